//! The catalog: every table with its vitals and the actions on it, plus the files the
//! engine turned away.

use std::rc::Rc;

use kiln_protocol::{FileFormat, TableSummary, UserError};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::format::{exact_bytes, group_digits, human_bytes};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub tables: Rc<Vec<TableSummary>>,
    pub selected: Option<String>,
    pub rejected: Vec<UserError>,
    pub on_select: Callback<String>,
    pub on_rename: Callback<(String, String)>,
    pub on_remove: Callback<String>,
    pub on_export: Callback<String>,
    pub on_dismiss_rejected: Callback<()>,
}

#[component]
pub fn TableList(props: &Props) -> Html {
    let items = props.tables.iter().map(|table| {
        html! {
            <TableItem key={table.name.clone()}
                table={table.clone()}
                selected={props.selected.as_deref() == Some(table.name.as_str())}
                on_select={props.on_select.clone()}
                on_rename={props.on_rename.clone()}
                on_remove={props.on_remove.clone()}
                on_export={props.on_export.clone()} />
        }
    });
    html! {
        <section class="tables" aria-label="Tables">
            <h2>{"Tables"}<span class="count">{props.tables.len()}</span></h2>
            if !props.rejected.is_empty() {
                <Rejected errors={props.rejected.clone()} on_dismiss={props.on_dismiss_rejected.clone()} />
            }
            if props.tables.is_empty() {
                <p class="empty">
                    {"No tables yet. Open Parquet or CSV files, drop a folder on the page, or generate the sample data."}
                </p>
            }
            <ul class="table-list" data-testid="table-list">{ for items }</ul>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RejectedProps {
    errors: Vec<UserError>,
    on_dismiss: Callback<()>,
}

#[component]
fn Rejected(props: &RejectedProps) -> Html {
    let n = props.errors.len();
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <div class="rejected" data-testid="rejected-files" role="alert">
            <div class="rejected-head">
                <strong>
                    { if n == 1 { "1 file could not be added".to_string() } else { format!("{n} files could not be added") } }
                </strong>
                <button class="icon-button" title="Dismiss" aria-label="Dismiss" onclick={dismiss}>{"×"}</button>
            </div>
            <ul>
                { for props.errors.iter().map(|e| html! {
                    <li>
                        <span class="rejected-context">{ e.context.clone() }</span>
                        <span class="rejected-message">{ e.message.clone() }</span>
                    </li>
                }) }
            </ul>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ItemProps {
    table: TableSummary,
    selected: bool,
    on_select: Callback<String>,
    on_rename: Callback<(String, String)>,
    on_remove: Callback<String>,
    on_export: Callback<String>,
}

#[component]
fn TableItem(props: &ItemProps) -> Html {
    let table = &props.table;
    let name = table.name.clone();
    let renaming = use_state_eq(|| false);
    let input = use_node_ref();

    // The input appears on click; typing should start at once, over the old name.
    use_effect_with((*renaming, input.clone()), |(renaming, input)| {
        if *renaming && let Some(el) = input.cast::<HtmlInputElement>() {
            let _ = el.focus();
            el.select();
        }
    });

    let select = props.on_select.reform({
        let name = name.clone();
        move |_: MouseEvent| name.clone()
    });
    let start_rename = {
        let renaming = renaming.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            renaming.set(true)
        })
    };
    let on_key = {
        let renaming = renaming.clone();
        let on_rename = props.on_rename.clone();
        let name = name.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" => {
                e.prevent_default();
                let input: HtmlInputElement = e.target_unchecked_into();
                let to = input.value().trim().to_string();
                if !to.is_empty() && to != name {
                    on_rename.emit((name.clone(), to));
                }
                renaming.set(false);
            }
            "Escape" => renaming.set(false),
            _ => {}
        })
    };
    let cancel = {
        let renaming = renaming.clone();
        Callback::from(move |_: FocusEvent| renaming.set(false))
    };
    // Actions on a table shouldn't also select it (and switch to the explorer).
    let remove = props.on_remove.reform({
        let name = name.clone();
        move |e: MouseEvent| {
            e.stop_propagation();
            name.clone()
        }
    });
    let export = props.on_export.reform({
        let name = name.clone();
        move |e: MouseEvent| {
            e.stop_propagation();
            name.clone()
        }
    });

    let rows = table.total_rows().map_or_else(
        || "rows unknown".to_string(),
        |r| format!("{} rows", group_digits(r)),
    );
    let bytes = table.total_bytes();
    let files = match table.files.len() {
        1 => "1 file".to_string(),
        n => format!("{n} files"),
    };
    let format = table.format.label();

    html! {
        // The whole card selects the table; the action buttons keep their clicks.
        <li class={classes!("table-item", props.selected.then_some("selected"))}
            data-testid="table-item" data-table={name.clone()} onclick={select}>
            if *renaming {
                <input ref={input} class="rename-input" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())} data-testid="rename-input" type="text"
                    aria-label={format!("New name for {name}")} value={name.clone()}
                    spellcheck="false" autocomplete="off"
                    onkeydown={on_key} onblur={cancel} />
            } else {
                <button class="table-select" aria-pressed={props.selected.to_string()}
                    title="Show in the explorer">
                    <span class="table-name">{ name.clone() }</span>
                    <span class={classes!("badge", format)}>{ format }</span>
                </button>
            }
            <div class="table-meta">
                <span>{ rows }</span>
                <span title={exact_bytes(bytes)}>{ human_bytes(bytes) }</span>
                <span>{ files }</span>
            </div>
            if !table.partition_columns.is_empty() {
                <div class="table-partitions" title="Partition columns (from key=value folders)">
                    {"partitioned by "}<code>{ table.partition_columns.join(", ") }</code>
                </div>
            }
            <div class="table-actions">
                if !*renaming {
                    <button class="link-button" data-testid="rename-table" onclick={start_rename}>{"Rename"}</button>
                }
                if table.format != FileFormat::Parquet {
                    <button class="link-button" data-testid="export-parquet" onclick={export}
                        title="Convert to a zstd-compressed Parquet file and download it">
                        {"Save as Parquet"}
                    </button>
                }
                <button class="link-button danger" data-testid="remove-table" onclick={remove}>{"Remove"}</button>
            </div>
        </li>
    }
}
