//! One stage's page, as in Spark's UI: every task attempt with where and how it ran,
//! summary quantiles over the finished ones, and a skew marker when the slowest task or
//! the biggest input is far above the median.

use std::rc::Rc;

use kiln_protocol::{JobEvent, TaskMetrics, WorkerId};
use yew::prelude::*;

use crate::format::{elapsed_ms, group_digits, human_bytes};
use crate::jobs::progress::JobProgress;

/// A summary line: its name, the metric, and how a value of it is shown.
type SummaryRow = (&'static str, fn(&TaskMetrics) -> f64, fn(f64) -> String);

/// Max over median above which a stage is called skewed.
const SKEW_RATIO: f64 = 2.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub stage: usize,
    pub job: Rc<JobProgress>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub stage: usize,
    pub task: usize,
    pub attempt: u32,
    pub worker: WorkerId,
    pub split: Option<String>,
    pub status: &'static str,
    pub metrics: Option<TaskMetrics>,
    pub error: Option<String>,
    pub start_ms: f64,
    /// When it finished, failed or was killed; `None` while it runs.
    pub end_ms: Option<f64>,
}

/// Every attempt of `stage`'s tasks (of every stage when `None`), in the order they
/// started.
pub fn attempts(events: &[JobEvent], stage: Option<usize>) -> Vec<Attempt> {
    let wanted = |s: &usize| stage.is_none_or(|x| x == *s);
    let mut out: Vec<Attempt> = Vec::new();
    for event in events {
        match event {
            JobEvent::TaskStarted {
                stage: s,
                task,
                attempt,
                worker,
                split,
                at_ms,
                ..
            } if wanted(s) => out.push(Attempt {
                stage: *s,
                task: *task,
                attempt: *attempt,
                worker: *worker,
                split: split.clone(),
                status: "running",
                metrics: None,
                error: None,
                start_ms: *at_ms,
                end_ms: None,
            }),
            JobEvent::TaskFinished {
                stage: s,
                task,
                attempt,
                metrics,
                at_ms,
                ..
            } if wanted(s) => {
                if let Some(a) = find(&mut out, *s, *task, *attempt) {
                    a.status = "succeeded";
                    a.metrics = Some(metrics.clone());
                    a.end_ms = Some(*at_ms);
                }
            }
            JobEvent::TaskFailed {
                stage: s,
                task,
                attempt,
                error,
                at_ms,
                ..
            } if wanted(s) => {
                if let Some(a) = find(&mut out, *s, *task, *attempt) {
                    a.status = "failed";
                    a.error = Some(error.to_string());
                    a.end_ms = Some(*at_ms);
                }
            }
            JobEvent::JobCancelled { at_ms, .. } => {
                for a in out.iter_mut().filter(|a| a.status == "running") {
                    a.status = "killed";
                    a.end_ms = Some(*at_ms);
                }
            }
            _ => {}
        }
    }
    out
}

fn find(out: &mut [Attempt], stage: usize, task: usize, attempt: u32) -> Option<&mut Attempt> {
    // The attempt a report is about is almost always among the latest started.
    out.iter_mut()
        .rev()
        .find(|a| a.stage == stage && a.task == task && a.attempt == attempt)
}

/// Min, 25th, median, 75th percentile and max (nearest rank).
pub fn quantiles(mut values: Vec<f64>) -> Option<[f64; 5]> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    Some([at(0.0), at(0.25), at(0.5), at(0.75), at(1.0)])
}

fn skewed(q: &[f64; 5]) -> bool {
    q[2] > 0.0 && q[4] / q[2] > SKEW_RATIO
}

#[component]
pub fn StagePage(props: &Props) -> Html {
    let attempts = attempts(&props.job.events.events(), Some(props.stage));
    let operators = props
        .job
        .graph
        .stages
        .get(props.stage)
        .zip(props.job.stages.get(props.stage));
    let done: Vec<&TaskMetrics> = attempts.iter().filter_map(|a| a.metrics.as_ref()).collect();
    let spilled = done.iter().filter(|m| m.spill_files > 0).count();
    let budget = done.iter().find_map(|m| m.memory_budget_bytes);
    let to_disk = done
        .iter()
        .filter(|m| m.shuffle_disk_write_bytes > 0)
        .count();
    let disk_written: u64 = done.iter().map(|m| m.shuffle_disk_write_bytes).sum();
    let disk_read: u64 = done.iter().map(|m| m.shuffle_disk_read_bytes).sum();
    let mut rows: Vec<SummaryRow> = vec![
        ("Duration", |m| m.duration_ms, elapsed_ms),
        ("Rows in", |m| m.rows_in as f64, |v| format!("{v:.0}")),
        (
            "Bytes read",
            |m| m.bytes_read as f64,
            |v| human_bytes(v as u64),
        ),
        (
            "Shuffle read",
            |m| m.shuffle_read_bytes as f64,
            |v| human_bytes(v as u64),
        ),
        (
            "Shuffle write",
            |m| m.shuffle_write_bytes as f64,
            |v| human_bytes(v as u64),
        ),
    ];
    if spilled > 0 {
        rows.push((
            "Spill written",
            |m| m.spill_write_bytes as f64,
            |v| human_bytes(v as u64),
        ));
    }
    let mut skew = Vec::new();
    let summary: Html = rows
        .iter()
        .filter_map(|(name, get, show)| {
            let q = quantiles(done.iter().map(|m| get(m)).collect())?;
            if (*name == "Duration" || *name == "Rows in") && skewed(&q) {
                skew.push(*name);
            }
            Some(html! {
                <tr><th>{ *name }</th>{ for q.iter().map(|v| html! { <td>{ show(*v) }</td> }) }</tr>
            })
        })
        .collect();
    html! {
        <section class="stage-page" data-testid="stage-page" data-stage={props.stage.to_string()}
            data-tasks={attempts.iter().map(|a| a.task).max().map_or(0, |m| m + 1).to_string()}>
            <h3>
                { format!("Stage {}: {} attempts", props.stage, attempts.len()) }
                if !skew.is_empty() {
                    <span class="skew" data-testid="skew" title={format!("max is over {SKEW_RATIO}× the median")}>
                        { format!("skew: {}", skew.join(", ").to_lowercase()) }
                    </span>
                }
            </h3>
            if operators.is_some_and(|(s, _)| s.answered_in_planning) {
                <p class="hint" data-testid="answered-in-planning">
                    { "The planner answered this stage itself: it reads no file and no other stage (the files' statistics or constants give its rows), so no task ran." }
                </p>
            }
            if let Some(budget) = budget {
                <p class="hint" data-testid="memory-budget">
                    { format!(
                        "Each worker had {} for its tasks' sorts, aggregations and joins. {}",
                        human_bytes(budget),
                        if spilled == 0 {
                            "No task needed more: nothing spilled.".to_string()
                        } else {
                            let written: u64 = done.iter().map(|m| m.spill_write_bytes).sum();
                            let files: u64 = done.iter().map(|m| m.spill_files).sum();
                            format!(
                                "{spilled} of {} tasks needed more and spilled: {files} files, {} written to this browser's private storage and read back.",
                                done.len(),
                                human_bytes(written)
                            )
                        }
                    ) }
                </p>
            }
            if disk_written > 0 || disk_read > 0 {
                <p class="hint" data-testid="shuffle-on-disk">
                    { shuffle_on_disk(to_disk, done.len(), disk_written, disk_read) }
                </p>
            }
            <table class="quantiles">
                <thead><tr><th>{"Metric"}</th><th>{"min"}</th><th>{"25th"}</th><th>{"median"}</th><th>{"75th"}</th><th>{"max"}</th></tr></thead>
                <tbody>{ summary }</tbody>
            </table>
            if let Some((summary, progress)) = operators {
                <table class="operators" data-testid="operator-table">
                    <thead><tr>
                        <th class="name">{"operator"}</th><th>{"output rows"}</th><th>{"compute"}</th>
                        <th>{"bytes read"}</th><th>{"spilled"}</th>
                    </tr></thead>
                    <tbody>
                        { for summary.operators.iter().zip(&progress.operators).map(|(op, m)| html! {
                            <tr data-testid="operator-row">
                                <td class={format!("name op-depth-{}", op.depth.min(30))}>{ op.name.clone() }</td>
                                <td>{ group_digits(m.output_rows) }</td>
                                <td>{ elapsed_ms(m.elapsed_compute_ns as f64 / 1e6) }</td>
                                <td>{ if m.bytes_scanned > 0 { human_bytes(m.bytes_scanned) } else { String::new() } }</td>
                                <td>{ if m.spill_count > 0 { human_bytes(m.spilled_bytes) } else { String::new() } }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            <table class="tasks" data-testid="task-table">
                <thead><tr>
                    <th>{"task"}</th><th>{"split"}</th><th>{"worker"}</th><th>{"attempt"}</th><th>{"status"}</th>
                    <th>{"duration"}</th><th>{"rows in"}</th><th>{"rows out"}</th><th>{"bytes read"}</th>
                    <th>{"shuffle read"}</th><th>{"shuffle write"}</th>
                    if spilled > 0 { <th>{"spilled"}</th> }
                    <th title="The most the task's allocations held at once">{"task's peak"}</th>
                    <th title="The worker's memory when the task ended: it only grows, so it is the most any of the worker's tasks needed">{"worker memory"}</th>
                </tr></thead>
                <tbody>
                    { for attempts.iter().map(|a| {
                        let m = a.metrics.as_ref();
                        let num = |f: fn(&TaskMetrics) -> u64| m.map(|m| f(m).to_string()).unwrap_or_default();
                        let bytes = |f: fn(&TaskMetrics) -> u64| m.map(|m| human_bytes(f(m))).unwrap_or_default();
                        html! {
                            <tr data-testid="task-row" data-status={a.status} title={a.error.clone()}>
                                <td>{ a.task }</td>
                                <td class="split">{ a.split.clone().unwrap_or_default() }</td>
                                <td>{ a.worker }</td>
                                <td>{ a.attempt }</td>
                                <td class={classes!("task-status", a.status)}>{ a.status }</td>
                                <td>{ m.map(|m| elapsed_ms(m.duration_ms)).unwrap_or_default() }</td>
                                <td>{ num(|m| m.rows_in) }</td>
                                <td>{ num(|m| m.rows_out) }</td>
                                <td>{ bytes(|m| m.bytes_read) }</td>
                                <td>{ bytes(|m| m.shuffle_read_bytes) }</td>
                                <td>{ bytes(|m| m.shuffle_write_bytes) }</td>
                                // Only in a stage that spilled: 1,000 task rows re-render on every event.
                                if spilled > 0 {
                                    <td data-testid="task-spill">{ m.filter(|m| m.spill_files > 0).map(|m| format!(
                                        "{} in {} file{}", human_bytes(m.spill_write_bytes), m.spill_files,
                                        if m.spill_files == 1 { "" } else { "s" })).unwrap_or_default() }</td>
                                }
                                <td>{ m.and_then(|m| m.peak_heap_bytes).map(human_bytes).unwrap_or_default() }</td>
                                <td>{ m.and_then(|m| m.peak_memory_bytes).map(human_bytes).unwrap_or_default() }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </section>
    }
}

/// What a stage's shuffle did on disk: blocks its tasks wrote there (the page already
/// held as much shuffle output as the workers' budgets together) and read from there.
fn shuffle_on_disk(tasks: usize, of: usize, written: u64, read: u64) -> String {
    let mut parts = Vec::new();
    if written > 0 {
        parts.push(format!(
            "{tasks} of {of} tasks wrote their output ({}) to this browser's private storage: the page already held as much shuffle output as the workers' memory together, so it keeps only where these blocks are.",
            human_bytes(written)
        ));
    }
    if read > 0 {
        parts.push(format!(
            "This stage's tasks read {} of their input blocks from there.",
            human_bytes(read)
        ));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        assert_eq!(quantiles(vec![]), None);
        assert_eq!(quantiles(vec![5.0]), Some([5.0; 5]));
        assert_eq!(
            quantiles(vec![9.0, 1.0, 5.0, 3.0, 7.0]),
            Some([1.0, 3.0, 5.0, 7.0, 9.0])
        );
        assert!(skewed(&[1.0, 1.0, 1.0, 1.0, 3.0]));
        assert!(!skewed(&[1.0, 1.0, 2.0, 2.0, 3.0]));
    }

    #[test]
    fn shuffle_on_disk_says_what_was_written_and_read() {
        assert_eq!(
            shuffle_on_disk(3, 8, 5 << 20, 0),
            "3 of 8 tasks wrote their output (5.0 MiB) to this browser's private storage: the page already held as much shuffle output as the workers' memory together, so it keeps only where these blocks are."
        );
        assert_eq!(
            shuffle_on_disk(0, 4, 0, 1 << 20),
            "This stage's tasks read 1.0 MiB of their input blocks from there."
        );
    }
}
