//! A program's console: its outputs in program order, as `pyspark` prints them: text
//! as it is, a `show()` as a table of its first rows, and every action as the job it
//! ran (with a link to its views). A `df.write` offers its output for download.

use std::rc::Rc;

use kiln_protocol::{ExportTarget, JobId, UserError};
use yew::prelude::*;

use crate::format::{elapsed_ms, group_digits};
use crate::jobs::program_run::{CONSOLE_ROWS, EntryKind, JobStatus, ProgramRun};
use crate::storage::save::{self, Destination};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub run: Rc<ProgramRun>,
    /// Opens a job's views (stages, plans, timeline).
    pub on_show_job: Callback<JobId>,
    /// Saves a kept result (a written output as a zip, or into a folder).
    pub on_save: Callback<(u64, ExportTarget, Destination)>,
}

#[component]
pub fn Console(props: &Props) -> Html {
    let entries = props.run.entries.iter().map(|entry| {
        let line = html! { <span class="console-line" title="line of the program">{ format!("{:>3}", entry.line) }</span> };
        match &entry.kind {
            EntryKind::Text(text) => html! {
                <div class="console-entry text" data-testid="console-text">
                    { line }
                    <pre class="console-text">{ text.clone() }</pre>
                </div>
            },
            EntryKind::Job {
                job_id,
                text,
                write,
                status,
            } => {
                let show_job = {
                    let on_show_job = props.on_show_job.clone();
                    let id = *job_id;
                    Callback::from(move |_: MouseEvent| on_show_job.emit(id))
                };
                let (state, detail) = match status {
                    JobStatus::Waiting => ("waiting", html! { {"waiting"} }),
                    JobStatus::Running => ("running", html! { {"running…"} }),
                    JobStatus::Skipped => ("skipped", html! { {"not run"} }),
                    JobStatus::Failed(e) => ("failed", html! { { describe(e) } }),
                    JobStatus::Done { summary, .. } => ("done", html! {
                        { format!("{} rows in {}", group_digits(summary.total_rows), elapsed_ms(summary.elapsed_ms)) }
                    }),
                };
                let body = match (status, write) {
                    (JobStatus::Done { result_id, .. }, Some(spec)) => {
                        let zip = {
                            let on_save = props.on_save.clone();
                            let target = ExportTarget::Output {
                                options: spec.options.clone(),
                                name: Some(spec.path.clone()),
                            };
                            let id = *result_id;
                            Callback::from(move |_: MouseEvent| {
                                on_save.emit((id, target.clone(), Destination::Downloads))
                            })
                        };
                        let folder = {
                            let on_save = props.on_save.clone();
                            let target = ExportTarget::Folder {
                                options: spec.options.clone(),
                            };
                            let id = *result_id;
                            Callback::from(move |_: MouseEvent| {
                                // The picker must open inside the click.
                                if let Ok(promise) = save::pick_folder() {
                                    on_save.emit((id, target.clone(), Destination::Folder(promise)))
                                }
                            })
                        };
                        let name = spec.path.trim_end_matches('/').rsplit('/').next().unwrap_or("output").to_string();
                        html! {
                            <div class="console-write">
                                <span data-testid="console-write" data-files={spec.file_count.to_string()}>
                                    { format!("writes {} as {} (mode {}): {} file{}{}", spec.path, spec.options.format.label(), spec.mode,
                                        spec.file_count, if spec.file_count == 1 { "" } else { "s" },
                                        if spec.options.partition_by.is_empty() { String::new() } else { format!(" before the {} folders split them", spec.options.partition_by.join("/")) }) }
                                </span>
                                <button class="button small" data-testid="console-download-output" onclick={zip}>
                                    { format!("Download {name}.zip") }
                                </button>
                                if save::can_pick_folder() {
                                    <button class="button small" onclick={folder}>{"Write into a folder…"}</button>
                                }
                            </div>
                        }
                    }
                    (JobStatus::Done { summary, first, .. }, None) => {
                        let headers = summary.columns.iter().map(|c| html! {
                            <th title={format!("{} (Arrow type {})", c.shown_type(), c.data_type)}>{ c.name.clone() }</th>
                        });
                        let rows = first.rows.iter().take(CONSOLE_ROWS).map(|row| {
                            let cells = row.iter().map(|cell| match cell {
                                Some(v) => html! { <td>{ v.clone() }</td> },
                                None => html! { <td class="null">{"null"}</td> },
                            });
                            html! { <tr>{ for cells }</tr> }
                        });
                        let more = summary.total_rows.saturating_sub(first.rows.len() as u64);
                        html! {
                            <div class="console-table-wrap">
                                <table class="console-table" data-testid="console-table">
                                    <thead><tr>{ for headers }</tr></thead>
                                    <tbody>{ for rows }</tbody>
                                </table>
                                if more > 0 {
                                    <p class="console-more">{ format!("…and {} more rows in the Results tab", group_digits(more)) }</p>
                                }
                            </div>
                        }
                    }
                    _ => html! {},
                };
                html! {
                    <div class={classes!("console-entry", "job", state)} data-testid="console-job" data-status={state}>
                        { line }
                        <div class="console-job">
                            <div class="console-job-head">
                                <button class="link-button" onclick={show_job} title="Open this job's stages, plans and timeline">
                                    { format!("Job {job_id}") }
                                </button>
                                <code class="console-action">{ text.clone() }</code>
                                <span class="console-status">{ detail }</span>
                            </div>
                            { body }
                        </div>
                    </div>
                }
            }
        }
    });
    html! {
        <section class="console" data-testid="console" aria-label="Program output">
            <header class="console-head">
                <h3>{"Output"}</h3>
                if !props.run.finished {
                    <span class="console-running">{"running…"}</span>
                }
            </header>
            if props.run.entries.is_empty() {
                <p class="empty">{"The program ran but shows nothing: add an action (df.show(), df.write...) to run a job."}</p>
            }
            { for entries }
        </section>
    }
}

fn describe(e: &UserError) -> String {
    format!("{}: {}", e.context, e.message)
}
