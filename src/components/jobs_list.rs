//! Every job of the session (and every event log loaded to replay), newest first, with
//! how it went; clicking one opens its views.

use std::rc::Rc;

use yew::prelude::*;

use crate::format::{elapsed_ms, group_digits, human_bytes};
use crate::jobs::progress::JobProgress;

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
        // The profile pass is not a job of stages but it is work over the job's result:
        // listed under it, as Spark lists a job's follow-up actions.
        let profile = job.profile.as_ref().map(|p| {
            html! {
                <tr class="job-row profile-pass" data-testid="profile-pass" data-job={job.job_id.to_string()}>
                    <td>{"↳"}</td>
                    <td class="job-status succeeded">{"profiled"}</td>
                    <td data-testid="profile-pass-ms" data-ms={format!("{:.1}", p.elapsed_ms)}>{ elapsed_ms(p.elapsed_ms) }</td>
                    <td colspan="4">{ format!("{} columns × {} rows, in the planning worker", p.columns, group_digits(p.rows)) }</td>
                    <td class="job-sql">{"column profiles of the result (nulls, distinct, min/max, histograms)"}</td>
                </tr>
            }
        });
        html! {
            <>
            <tr class={classes!("job-row", shown.then_some("shown"))} data-testid="job-row"
                data-job={job.job_id.to_string()} data-status={job.status.as_str()}
                data-ms={format!("{:.1}", job.elapsed_ms)} onclick={onclick}>
                <td>{ job.job_id }{ if job.replayed { " (replayed)" } else { "" } }</td>
                <td class={classes!("job-status", job.status.as_str())}>{ job.status.as_str() }</td>
                <td>{ elapsed_ms(job.elapsed_ms) }</td>
                <td>{ job.stages.len() }</td>
                <td>{ format!("{done}/{total}") }</td>
                <td>{ human_bytes(bytes) }</td>
                <td>{ human_bytes(job.output_bytes) }</td>
                <td class="job-sql" title={job.sql.clone()}>{ job.sql.clone() }</td>
            </tr>
            { profile.unwrap_or_default() }
            </>
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
