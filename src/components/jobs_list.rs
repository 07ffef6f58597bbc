//! Every job of the session (and every event log loaded to replay), newest first, with
//! how it went; clicking one opens its views.

use std::rc::Rc;

use yew::prelude::*;

use crate::format::{elapsed_ms, human_bytes};
use crate::job_progress::JobProgress;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub jobs: Vec<Rc<JobProgress>>,
    /// Index of the job whose views are open.
    pub shown: Option<usize>,
    pub on_show: Callback<usize>,
}

#[component]
pub fn JobsList(props: &Props) -> Html {
    if props.jobs.is_empty() {
        return html! { <p class="empty">{"No jobs yet: run a query."}</p> };
    }
    let rows = props.jobs.iter().enumerate().rev().map(|(i, job)| {
        let (done, total) = job.tasks();
        let (_, bytes) = job.scanned();
        let onclick = props.on_show.reform(move |_: MouseEvent| i);
        let shown = props.shown == Some(i);
        html! {
            <tr class={classes!("job-row", shown.then_some("shown"))} data-testid="job-row"
                data-job={job.job_id.to_string()} data-status={job.status.as_str()} onclick={onclick}>
                <td>{ job.job_id }{ if job.replayed { " (replayed)" } else { "" } }</td>
                <td class={classes!("job-status", job.status.as_str())}>{ job.status.as_str() }</td>
                <td>{ elapsed_ms(job.elapsed_ms) }</td>
                <td>{ job.stages.len() }</td>
                <td>{ format!("{done}/{total}") }</td>
                <td>{ human_bytes(bytes) }</td>
                <td>{ human_bytes(job.output_bytes) }</td>
                <td class="job-sql" title={job.sql.clone()}>{ job.sql.clone() }</td>
            </tr>
        }
    });
    html! {
        <table class="jobs-list" data-testid="jobs-list">
            <thead><tr>
                <th>{"job"}</th><th>{"status"}</th><th>{"duration"}</th><th>{"stages"}</th>
                <th>{"tasks"}</th><th>{"input"}</th><th>{"output"}</th><th>{"query"}</th>
            </tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}
