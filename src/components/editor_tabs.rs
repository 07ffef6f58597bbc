//! The SQL editor's tabs: one per query, each with its own result; a tab closes with
//! its ×, and + opens a new one.

use std::rc::Rc;

use yew::prelude::*;

use crate::editors::tabs::Tabs;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub tabs: Rc<Tabs>,
    pub on_switch: Callback<usize>,
    pub on_close: Callback<usize>,
    pub on_new: Callback<()>,
}

#[component]
pub fn EditorTabs(props: &Props) -> Html {
    let many = props.tabs.list.len() > 1;
    let tabs = props.tabs.list.iter().enumerate().map(|(i, tab)| {
        let active = i == props.tabs.active;
        let running = props.tabs.running == Some(tab.id);
        html! {
            <span class={classes!("editor-tab", active.then_some("active"))} data-testid="editor-tab"
                data-title={tab.title.clone()}>
                <button class="editor-tab-name" data-testid="editor-tab-name" aria-current={active.then_some("true")}
                    onclick={props.on_switch.reform(move |_: MouseEvent| i)}
                    title={if running { "This tab's query is running" } else { "Open this query" }}>
                    { tab.title.clone() }
                    if running { <span class="tab-running" aria-hidden="true">{" ●"}</span> }
                </button>
                if many {
                    <button class="editor-tab-close" data-testid="editor-tab-close"
                        aria-label={format!("Close {}", tab.title)} title={format!("Close {}", tab.title)}
                        onclick={props.on_close.reform(move |_: MouseEvent| i)}>{"×"}</button>
                }
            </span>
        }
    });
    html! {
        <div class="editor-tabs">
            // Not a tablist: each tab also holds its close button, which a tablist may not.
            <div class="editor-tab-list" role="group" aria-label="Query tabs">{ for tabs }</div>
            <button class="icon-button editor-tab-new" data-testid="editor-tab-new" aria-label="New query tab"
                title="New query tab (its own text and result)" onclick={props.on_new.reform(|_: MouseEvent| ())}>{"+"}</button>
        </div>
    }
}
