//! Saving a result: as one file (Parquet, CSV, JSON Lines, Arrow IPC), streamed to a
//! file the user picks where the browser allows it, or written like a batch job's
//! output (a file per task, `partitionBy` folders, `repartition`/`coalesce`), zipped
//! with Spark's `_SUCCESS`; then what was written, file by file.

use std::collections::BTreeSet;
use std::rc::Rc;

use kiln_protocol::{ExportFormat, ExportTarget, FileLayout, WriteOptions};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::format::{group_digits, human_bytes};
use crate::result::QueryResult;
use crate::storage::save::{self, Destination};

/// Files under this size, on average, are "small files" a reader pays per file for.
const SMALL_FILE_BYTES: u64 = 1 << 20;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub result: Rc<QueryResult>,
    /// Tasks of the job's last stage: a written output's files, before partitioning.
    pub tasks: Option<usize>,
    /// What to save, and where.
    pub on_save: Callback<(ExportTarget, Destination)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Tasks,
    Repartition,
    Coalesce,
}

#[component]
pub fn ResultSave(props: &Props) -> Html {
    let pick = use_state(|| false);
    let writing = use_state(|| false);
    let format = use_state(|| ExportFormat::Parquet);
    let partition_by = use_state(BTreeSet::<String>::new);
    let layout = use_state(|| Layout::Tasks);
    let file_count = use_state(|| 1usize);
    let busy = props
        .result
        .export
        .as_ref()
        .is_some_and(|e| !e.done && !props.result.detached);
    let disabled = busy || props.result.detached;

    let save_as = |f: ExportFormat| {
        let on_save = props.on_save.clone();
        let pick = *pick;
        let name = format!("kiln-result-{}.{}", props.result.result_id, f.extension());
        Callback::from(move |_: MouseEvent| {
            // The picker must open inside the click; the engine starts once it is open.
            // Only when asked: a picker opened and dropped rejects later, uncaught.
            let destination = match pick.then(|| save::pick_file(&name)) {
                Some(Ok(promise)) => Destination::File(promise),
                _ => Destination::Downloads,
            };
            on_save.emit((ExportTarget::File { format: f }, destination));
        })
    };
    let on_pick = {
        let pick = pick.clone();
        Callback::from(move |e: Event| {
            pick.set(
                e.target_dyn_into::<HtmlInputElement>()
                    .is_some_and(|i| i.checked()),
            )
        })
    };
    let toggle_writing = {
        let writing = writing.clone();
        Callback::from(move |_: MouseEvent| writing.set(!*writing))
    };

    let write_panel = (*writing).then(|| {
        let on_format = {
            let format = format.clone();
            Callback::from(move |e: Event| {
                let value = e
                    .target_dyn_into::<HtmlSelectElement>()
                    .map(|s| s.value())
                    .unwrap_or_default();
                if let Some(f) = ExportFormat::ALL.iter().find(|f| f.extension() == value) {
                    format.set(*f);
                }
            })
        };
        let toggle_column = |name: String| {
            let partition_by = partition_by.clone();
            Callback::from(move |_: Event| {
                let mut next = (*partition_by).clone();
                if !next.remove(&name) {
                    next.insert(name.clone());
                }
                partition_by.set(next);
            })
        };
        let choose = |l: Layout| {
            let layout = layout.clone();
            Callback::from(move |_: Event| layout.set(l))
        };
        let on_count = {
            let file_count = file_count.clone();
            Callback::from(move |e: Event| {
                if let Some(n) = e
                    .target_dyn_into::<HtmlInputElement>()
                    .and_then(|i| i.value().parse::<usize>().ok())
                {
                    file_count.set(n.clamp(1, 10_000));
                }
            })
        };
        // Columns keep the result's order, whatever order they were ticked in.
        let options = WriteOptions {
            format: *format,
            partition_by: props
                .result
                .summary
                .columns
                .iter()
                .filter(|c| partition_by.contains(&c.name))
                .map(|c| c.name.clone())
                .collect(),
            files: match *layout {
                Layout::Tasks => FileLayout::Tasks,
                Layout::Repartition => FileLayout::Repartition { n: *file_count },
                Layout::Coalesce => FileLayout::Coalesce { n: *file_count },
            },
        };
        let on_write = {
            let on_save = props.on_save.clone();
            let options = options.clone();
            Callback::from(move |_: MouseEvent| {
                let options = options.clone();
                on_save.emit((ExportTarget::Output { options, name: None }, Destination::Downloads))
            })
        };
        let on_write_folder = {
            let on_save = props.on_save.clone();
            Callback::from(move |_: MouseEvent| {
                // The picker must open inside the click.
                if let Ok(promise) = save::pick_folder() {
                    let options = options.clone();
                    on_save.emit((ExportTarget::Folder { options }, Destination::Folder(promise)));
                }
            })
        };
        let tasks = props
            .tasks
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        html! {
            <div class="write-output" data-testid="write-panel">
                <label>{"Format "}
                    <select data-testid="write-format" onchange={on_format}>
                        { for ExportFormat::ALL.iter().map(|f| html! {
                            <option value={f.extension()} selected={*f == *format}>{ f.label() }</option>
                        }) }
                    </select>
                </label>
                <fieldset>
                    <legend>{"partitionBy"}</legend>
                    { for props.result.summary.columns.iter().map(|c| html! {
                        <label>
                            <input type="checkbox" data-testid="partition-by" value={c.name.clone()}
                                checked={partition_by.contains(&c.name)} onchange={toggle_column(c.name.clone())} />
                            { format!(" {}", c.name) }
                        </label>
                    }) }
                </fieldset>
                <fieldset>
                    <legend>{"Files"}</legend>
                    <label><input type="radio" name="layout" data-testid="layout-tasks"
                        checked={*layout == Layout::Tasks} onchange={choose(Layout::Tasks)} />
                        { format!(" one per task of the last stage{tasks}") }</label>
                    <label><input type="radio" name="layout" data-testid="layout-repartition"
                        checked={*layout == Layout::Repartition} onchange={choose(Layout::Repartition)} />
                        {" repartition(n)"}</label>
                    <label><input type="radio" name="layout" data-testid="layout-coalesce"
                        checked={*layout == Layout::Coalesce} onchange={choose(Layout::Coalesce)} />
                        {" coalesce(n)"}</label>
                    <label>{" n = "}
                        <input type="number" min="1" data-testid="layout-n" value={file_count.to_string()}
                            onchange={on_count} disabled={*layout == Layout::Tasks} />
                    </label>
                </fieldset>
                <button class="button primary" data-testid="write-output" disabled={disabled} onclick={on_write}>
                    {"Write and download .zip"}
                </button>
                if save::can_pick_folder() {
                    <button class="button" data-testid="write-folder" disabled={disabled} onclick={on_write_folder}>
                        {"Write to a folder…"}
                    </button>
                }
            </div>
        }
    });

    let status = props.result.export.as_ref().map(|e| {
        let total: u64 = e.files.iter().map(|f| f.bytes).sum();
        let small = e.files.iter().filter(|f| f.bytes < SMALL_FILE_BYTES).count();
        html! {
            <div class="export-status" data-testid="export-status" data-done={e.done.to_string()}
                data-bytes={e.bytes.to_string()}>
                <span>{ if e.done { "Saved " } else { "Saving " } }<code>{ e.file_name.clone() }</code>
                    { format!(": {}", human_bytes(e.bytes)) }{ if e.done { "" } else { "…" } }</span>
                if !e.files.is_empty() {
                    <span class="muted">{ format!(" · {} files, {} in all, {} per file on average",
                        e.files.len(), human_bytes(total), human_bytes(total / e.files.len() as u64)) }</span>
                    if small > 0 {
                        <span class="small-files" title="Each file costs a reader an open and a footer read: many small files read slower than a few large ones. coalesce(n) writes fewer.">
                            { format!(" · {small} under {}: small files", human_bytes(SMALL_FILE_BYTES)) }
                        </span>
                    }
                    <table class="grid output-files" data-testid="output-files">
                        <thead><tr><th>{"file"}</th><th class="num">{"rows"}</th><th class="num">{"size"}</th></tr></thead>
                        <tbody>
                            { for e.files.iter().map(|f| html! {
                                <tr data-testid="output-file" data-path={f.path.clone()} data-rows={f.rows.to_string()}>
                                    <td>{ f.path.clone() }</td>
                                    <td class="num">{ group_digits(f.rows) }</td>
                                    <td class="num">{ human_bytes(f.bytes) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }
            </div>
        }
    });

    html! {
        <div class="result-save">
            <span class="muted">{"Download "}</span>
            { for ExportFormat::ALL.iter().map(|f| html! {
                <button class="button" data-testid={format!("save-{}", f.extension())} disabled={disabled}
                    onclick={save_as(*f)}>{ f.label() }</button>
            }) }
            if save::can_pick_file() {
                <label title="Streams the file to disk as it is written, for results too large to hold twice">
                    <input type="checkbox" data-testid="pick-file" checked={*pick} onchange={on_pick} />{" choose where to save"}
                </label>
            }
            <button class="link" data-testid="toggle-write" onclick={toggle_writing}>
                { if *writing { "Hide job output" } else { "Write as a job's output…" } }
            </button>
            { write_panel.unwrap_or_default() }
            { status.unwrap_or_default() }
        </div>
    }
}
