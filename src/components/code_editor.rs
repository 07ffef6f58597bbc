//! The code editor (SQL, or PySpark text): a transparent `<textarea>` over a `<pre>`
//! holding the highlighted text. The textarea does all the editing (caret, selection,
//! undo, IME); the `<pre>` only paints, so both must share font metrics, padding and
//! scroll position. SQL also gets completion of tables and columns.

use std::rc::Rc;

use kiln_protocol::TableSummary;
use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::editors::sql::complete::{Completion, complete};
use crate::editors::sql::highlight::{TokenKind, tokenize};
use crate::editors::sql::{byte_to_utf16, line_col, utf16_to_byte};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Sql,
    Python,
}

impl Language {
    fn testid(self) -> &'static str {
        match self {
            Language::Sql => "sql-editor",
            Language::Python => "pyspark-editor",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Language::Sql => "SQL query",
            Language::Python => "PySpark program",
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub language: Language,
    pub value: String,
    pub tables: Rc<Vec<TableSummary>>,
    pub on_change: Callback<String>,
    pub on_run: Callback<String>,
    /// Runs the text with its result written into a folder the user picks (SQL only):
    /// for a result larger than the tab may hold, without first running into the limit.
    #[prop_or_default]
    pub on_run_to_folder: Option<Callback<(String, js_sys::Promise)>>,
    /// Abandons the running statement.
    pub on_stop: Callback<()>,
    pub can_run: bool,
    pub running: bool,
}

#[derive(Clone, Debug, PartialEq)]
struct Popup {
    completion: Completion,
    /// The text the completion replaces, to check it is still there when accepted.
    typed: String,
    selected: usize,
    line: usize,
    col: usize,
}

fn open_popup(
    text: &str,
    caret_utf16: u32,
    tables: &[TableSummary],
    explicit: bool,
) -> Option<Popup> {
    let caret = utf16_to_byte(text, caret_utf16);
    let completion = complete(text, caret, tables, explicit)?;
    let typed = text.get(completion.start..completion.end)?.to_string();
    let (line, col) = line_col(text, completion.start);
    Some(Popup {
        completion,
        typed,
        selected: 0,
        line,
        col,
    })
}

#[component]
pub fn CodeEditor(props: &Props) -> Html {
    let language = props.language;
    let textarea = use_node_ref();
    let backdrop = use_node_ref();
    let popup_ref = use_node_ref();
    let popup = use_state_eq(|| None::<Popup>);
    // Only tracked while the popup is open: it sits at the caret, which moves on scroll.
    let scroll = use_state_eq(|| (0, 0));
    let tokens = use_memo(
        (props.value.clone(), language),
        |(v, language)| match language {
            Language::Sql => tokenize(v),
            Language::Python => crate::editors::python::tokenize(v),
        },
    );

    {
        let popup_ref = popup_ref.clone();
        let placement = (*popup).as_ref().map(|p| (p.line, p.col, p.selected));
        use_effect_with((placement, *scroll), move |(placement, (top, left))| {
            if let (Some((line, col, selected)), Some(el)) =
                (placement, popup_ref.cast::<HtmlElement>())
            {
                // Set through the CSSOM: a strict CSP forbids inline style attributes.
                let style = el.style();
                let _ = style.set_property(
                    "left",
                    &format!(
                        "min(calc(var(--editor-pad) + {col}ch - {left}px), calc(100% - 22rem))"
                    ),
                );
                let _ = style.set_property(
                    "top",
                    &format!(
                        "calc(var(--editor-pad) + {} * var(--editor-line) - {top}px + 2px)",
                        line + 1
                    ),
                );
                keep_in_view(&el, *selected);
            }
        });
    }

    let accept = {
        let textarea = textarea.clone();
        let popup = popup.clone();
        let on_change = props.on_change.clone();
        Rc::new(move |p: &Popup, index: usize| {
            popup.set(None);
            let (Some(ta), Some(candidate)) = (
                textarea.cast::<HtmlTextAreaElement>(),
                p.completion.candidates.get(index),
            ) else {
                return;
            };
            let text = ta.value();
            let (start, end) = (p.completion.start, p.completion.end);
            if text.get(start..end) != Some(p.typed.as_str()) {
                return;
            }
            let new_text = format!("{}{}{}", &text[..start], candidate.insert, &text[end..]);
            let caret = byte_to_utf16(&new_text, start + candidate.insert.len());
            ta.set_value(&new_text);
            let _ = ta.set_selection_range(caret, caret);
            on_change.emit(new_text);
        })
    };

    let on_input = {
        let popup = popup.clone();
        let tables = props.tables.clone();
        let on_change = props.on_change.clone();
        Callback::from(move |e: InputEvent| {
            let ta: HtmlTextAreaElement = e.target_unchecked_into();
            let text = ta.value();
            // Typing opens the list; deleting only refines a list already open; pasting
            // never opens one.
            let kind = e.input_type();
            let wanted = language == Language::Sql
                && (kind == "insertText"
                    || kind == "insertCompositionText"
                    || (kind.starts_with("delete") && popup.is_some()));
            let next = if wanted {
                let caret = ta.selection_start().ok().flatten().unwrap_or(0);
                open_popup(&text, caret, &tables, false)
            } else {
                None
            };
            popup.set(next);
            on_change.emit(text);
        })
    };

    let on_key = {
        let popup = popup.clone();
        let tables = props.tables.clone();
        let on_run = props.on_run.clone();
        let on_change = props.on_change.clone();
        let accept = accept.clone();
        Callback::from(move |e: KeyboardEvent| {
            let ta: HtmlTextAreaElement = e.target_unchecked_into();
            let key = e.key();
            if key == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                popup.set(None);
                on_run.emit(ta.value());
                return;
            }
            if key == "Tab" && language == Language::Python && popup.is_none() {
                // Indentation matters in Python: Tab inserts four spaces.
                e.prevent_default();
                let text = ta.value();
                let caret = ta.selection_start().ok().flatten().unwrap_or(0);
                let at = utf16_to_byte(&text, caret);
                let new_text = format!("{}    {}", &text[..at], &text[at..]);
                ta.set_value(&new_text);
                let _ = ta.set_selection_range(caret + 4, caret + 4);
                on_change.emit(new_text);
                return;
            }
            if key == " " && e.ctrl_key() && language == Language::Sql {
                e.prevent_default();
                let caret = ta.selection_start().ok().flatten().unwrap_or(0);
                popup.set(open_popup(&ta.value(), caret, &tables, true));
                return;
            }
            let Some(p) = (*popup).clone() else {
                return;
            };
            let n = p.completion.candidates.len();
            match key.as_str() {
                "ArrowDown" | "ArrowUp" => {
                    e.prevent_default();
                    let selected = if key == "ArrowDown" {
                        (p.selected + 1) % n
                    } else {
                        (p.selected + n - 1) % n
                    };
                    popup.set(Some(Popup { selected, ..p }));
                }
                "Enter" | "Tab" => {
                    e.prevent_default();
                    accept(&p, p.selected);
                }
                "Escape" => {
                    e.prevent_default();
                    popup.set(None);
                }
                "ArrowLeft" | "ArrowRight" | "Home" | "End" | "PageUp" | "PageDown" => {
                    popup.set(None)
                }
                _ => {}
            }
        })
    };

    let on_scroll = {
        let backdrop = backdrop.clone();
        let popup = popup.clone();
        let scroll = scroll.clone();
        Callback::from(move |e: Event| {
            let ta: HtmlTextAreaElement = e.target_unchecked_into();
            if let Some(pre) = backdrop.cast::<HtmlElement>() {
                pre.set_scroll_top(ta.scroll_top());
                pre.set_scroll_left(ta.scroll_left());
            }
            if popup.is_some() {
                scroll.set((ta.scroll_top(), ta.scroll_left()));
            }
        })
    };

    let close = {
        let popup = popup.clone();
        Callback::from(move |_: FocusEvent| popup.set(None))
    };
    let close_on_click = {
        let popup = popup.clone();
        Callback::from(move |_: MouseEvent| popup.set(None))
    };
    let run = {
        let on_run = props.on_run.clone();
        let textarea = textarea.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(ta) = textarea.cast::<HtmlTextAreaElement>() {
                on_run.emit(ta.value());
            }
        })
    };

    let run_to_folder = props.on_run_to_folder.clone().map(|on| {
        let textarea = textarea.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(ta) = textarea.cast::<HtmlTextAreaElement>() else {
                return;
            };
            // The picker opens inside the click, or not at all.
            if let Ok(folder) = crate::storage::save::pick_folder() {
                on.emit((ta.value(), folder));
            }
        })
    });

    let value = &props.value;
    let highlighted = tokens.iter().map(|t| {
        let text = t.text(value).to_string();
        if t.kind == TokenKind::Whitespace {
            html! { { text } }
        } else {
            html! { <span class={t.kind.css_class()}>{ text }</span> }
        }
    });

    let list = (*popup).as_ref().map(|p| {
        let items = p.completion.candidates.iter().enumerate().map(|(i, c)| {
            let pick = {
                let accept = accept.clone();
                let p = p.clone();
                Callback::from(move |e: MouseEvent| {
                    // Keep the textarea focused (a blur would close the list first).
                    e.prevent_default();
                    accept(&p, i);
                })
            };
            let selected = i == p.selected;
            html! {
                <li class={classes!("completion-item", selected.then_some("selected"))}
                    data-testid="completion-item" role="option" aria-selected={selected.to_string()}
                    onmousedown={pick}>
                    <span class={classes!("completion-kind", c.kind.label())} title={c.kind.label()}>
                        { &c.kind.label()[..1] }
                    </span>
                    <span class="completion-label">{ c.label.clone() }</span>
                    <span class="completion-detail">{ c.detail.clone() }</span>
                </li>
            }
        });
        html! {
            <ul class="completion" id="completion-list" data-testid="completion-list" role="listbox"
                aria-label="Suggestions" ref={popup_ref.clone()}>
                { for items }
            </ul>
        }
    });

    html! {
        <div class="editor">
            <div class="editor-wrap">
                <div class="editor-box">
                    <pre class="editor-highlight" aria-hidden="true" ref={backdrop}>
                        { for highlighted }{" "}
                    </pre>
                    <textarea ref={textarea} class="editor-input" data-testid={language.testid()}
                        aria-label={language.label()} spellcheck="false" autocomplete="off"
                        autocapitalize="off" autocorrect="off" wrap="off"
                        aria-autocomplete="list" aria-haspopup="listbox"
                        aria-controls={popup.is_some().then_some("completion-list")}
                        value={props.value.clone()}
                        oninput={on_input} onkeydown={on_key} onscroll={on_scroll}
                        onblur={close} onclick={close_on_click} />
                </div>
                { list.unwrap_or_default() }
            </div>
            <div class="editor-bar">
                <button class="button primary run" data-testid="run-button"
                    disabled={!props.can_run} onclick={run}
                    title="Run (Ctrl+Enter)">
                    { if props.running { "Running…" } else { "Run" } }
                </button>
                if let Some(onclick) = run_to_folder {
                    <button class="button" data-testid="run-to-folder" disabled={!props.can_run}
                        {onclick} title="Run, writing the result as Parquet files into a folder you pick: for results larger than the tab may hold">
                        {"Run into a folder…"}
                    </button>
                }
                if props.running {
                    <button class="button" data-testid="stop-button"
                        title="Stop the query: its tasks end at once, your tables stay"
                        onclick={props.on_stop.reform(|_: MouseEvent| ())}>
                        {"Stop"}
                    </button>
                }
                <span class="hint">
                    <kbd>{"Ctrl"}</kbd>{"+"}<kbd>{"Enter"}</kbd>{" runs"}
                    if language == Language::Sql {
                        {" · "}<kbd>{"Ctrl"}</kbd>{"+"}<kbd>{"Space"}</kbd>{" suggests names"}
                    } else {
                        {" · every action (show, collect, write) is a job"}
                    }
                </span>
            </div>
        </div>
    }
}

/// Scrolls the list so the highlighted item is visible.
fn keep_in_view(list: &HtmlElement, index: usize) {
    let Some(item) = list
        .children()
        .item(index as u32)
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok())
    else {
        return;
    };
    let top = item.offset_top();
    let bottom = top + item.offset_height();
    if top < list.scroll_top() {
        list.set_scroll_top(top);
    } else if bottom > list.scroll_top() + list.client_height() {
        list.set_scroll_top(bottom - list.client_height());
    }
}
