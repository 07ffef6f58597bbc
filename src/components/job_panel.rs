//! How jobs run (workers, partitions, fault injection) and the views of one job of the
//! session: its progress (bar, input rates, ETA, cancel), then one view at a time:
//! stages (DAG, list, a stage's page), plans, the task timeline, and the jobs list.

use std::rc::Rc;

use kiln_protocol::{JobEvent, StageOutput};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::jobs_list::JobsList;
use crate::components::number_field::NumberField;
use crate::components::plan_view::PlanView;
use crate::components::stage_dag::StageDag;
use crate::components::stage_page::StagePage;
use crate::components::timeline::Timeline;
use crate::format::{compact, elapsed_ms, human_bytes};
use crate::jobs::progress::{JobProgress, JobStatus};
use crate::jobs::runner::{RunSettings, SettingChange, default_memory_mb};
use crate::state::JobView;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub settings: RunSettings,
    pub jobs: Vec<Rc<JobProgress>>,
    /// Index in `jobs` of the job whose views are open; `None` is the newest.
    pub shown: Option<usize>,
    pub view: JobView,
    pub selected_stage: Option<usize>,
    pub scrub_ms: Option<f64>,
    pub on_settings: Callback<SettingChange>,
    pub on_save_events: Callback<()>,
    pub on_load_events: Callback<web_sys::File>,
    pub on_select_stage: Callback<usize>,
    pub on_show_job: Callback<usize>,
    pub on_view: Callback<JobView>,
    pub on_scrub: Callback<Option<f64>>,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn JobPanel(props: &Props) -> Html {
    let settings = props.settings.clone();
    let commit = |f: fn(f64) -> SettingChange| {
        let on_settings = props.on_settings.clone();
        Callback::from(move |text: String| {
            // Text that is not a number leaves the setting as it was.
            if let Some(n) = text.trim().parse::<f64>().ok().filter(|n| n.is_finite()) {
                on_settings.emit(f(n));
            }
        })
    };
    let on_workers = commit(|n| SettingChange::Workers(n as usize));
    let on_split = commit(|n| SettingChange::SplitMb(n as u64));
    let on_fail = commit(SettingChange::FailPercent);
    // An empty "tasks per shuffle" means the default, twice the workers.
    let on_partitions = props.on_settings.reform(|text: String| {
        SettingChange::Partitions(text.trim().parse::<f64>().ok().map(|n| n as usize))
    });
    let on_kill = props.on_settings.reform(|e: Event| {
        let checked = e
            .target_dyn_into::<HtmlInputElement>()
            .is_some_and(|i| i.checked());
        SettingChange::CrashAWorker(checked)
    });
    let on_hang = props.on_settings.reform(|e: Event| {
        let checked = e
            .target_dyn_into::<HtmlInputElement>()
            .is_some_and(|i| i.checked());
        SettingChange::HangATask(checked)
    });
    let whole = |f: fn(u64) -> SettingChange| {
        props.on_settings.reform(move |text: String| {
            f(text.trim().parse::<f64>().map_or(0, |n| n.max(0.0) as u64))
        })
    };
    let on_timeout = whole(SettingChange::TaskTimeoutS);
    let on_limit = whole(SettingChange::ResultLimitMb);
    // Read once per worker count, not on each of a job's many renders.
    let default_memory = use_memo(settings.workers, |workers| {
        default_memory_mb(crate::js::device_memory_gb(), *workers)
    });
    // Empty: no budget.
    let on_memory = props.on_settings.reform(|text: String| {
        SettingChange::MemoryMb(
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|n| *n >= 1.0)
                .map(|n| n as u64),
        )
    });
    let on_load = {
        let on_load_events = props.on_load_events.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                on_load_events.emit(file);
            }
            // The same file again is a new load.
            input.set_value("");
        })
    };

    // Faults on are marked on the folded line: a job that fails on purpose says why.
    let faults_on = !faults(&settings).is_empty();
    let shown_index = props
        .shown
        .or_else(|| props.jobs.len().checked_sub(1))
        .filter(|i| *i < props.jobs.len());
    let job = shown_index.map(|i| props.jobs[i].clone());
    // A finished job scrubbed to a moment is replayed up to it for every view.
    let scrub = props
        .scrub_ms
        .filter(|_| job.as_ref().is_some_and(|j| j.status != JobStatus::Running));
    let at_scrub = use_memo((job.clone(), scrub.map(f64::to_bits)), |(job, at)| {
        let job = job.as_ref()?;
        Some(match at.map(f64::from_bits) {
            Some(t) => JobProgress::replay(&job.events.events(), Some(t))
                .map_or_else(|| job.clone(), Rc::new),
            None => job.clone(),
        })
    });
    let view_job = (*at_scrub).clone();

    let tabs = JobView::ALL.iter().map(|v| {
        let active = *v == props.view;
        let onclick = props.on_view.reform({
            let v = *v;
            move |_: MouseEvent| v
        });
        html! {
            <button class={classes!("tab", active.then_some("active"))} role="tab" data-testid="job-view-tab"
                data-view={v.label().to_lowercase()} aria-selected={active.to_string()} onclick={onclick}>
                { v.label() }
                if *v == JobView::Jobs {
                    { format!(" ({})", props.jobs.len()) }
                }
            </button>
        }
    });

    let head = job.as_ref().map(|job| job_head(job, props));
    let content = match (props.view, &job, &view_job) {
        (JobView::Jobs, _, _) => html! {
            <JobsList jobs={props.jobs.clone()} shown={shown_index} on_show={props.on_show_job.clone()} />
        },
        (_, Some(job), Some(view_job)) => match props.view {
            JobView::Stages => html! {
                <>
                <div class="dag-scroll">
                    <StageDag job={view_job.clone()} selected={props.selected_stage}
                        on_select={props.on_select_stage.clone()} />
                </div>
                { stage_list(view_job) }
                if let Some(stage) = props.selected_stage {
                    <StagePage stage={stage} job={view_job.clone()} />
                }
                </>
            },
            JobView::Plans => html! { <PlanView job={job.clone()} /> },
            JobView::Timeline => {
                let on_scrub = (job.status != JobStatus::Running).then(|| props.on_scrub.clone());
                html! {
                    <div class="dag-scroll">
                        <Timeline job={view_job.clone()} span_ms={job.elapsed_ms} scrub_ms={scrub}
                            on_scrub={on_scrub} />
                    </div>
                }
            }
            JobView::Jobs => Html::default(),
        },
        _ => html! { <p class="empty">{"Run a query to see its job here."}</p> },
    };

    html! {
        <section class="job-panel" data-testid="job-panel">
            <div class="job-settings-line">
            <details class={classes!("job-settings", faults_on.then_some("faults-on"))} data-testid="job-settings">
                <summary data-testid="job-settings-summary" title="How jobs run: workers, tasks, splits, timeouts and fault injection">
                    <strong>{"Job settings"}</strong>{" "}<span class="muted">{ settings_line(&settings) }</span>
                </summary>
                <div class="job-settings-fields">
                <NumberField label="Workers" testid="workers" value={settings.workers.to_string()}
                    title="Web workers that run a job's tasks side by side"
                    min="1" max={RunSettings::MAX_WORKERS.to_string()} on_commit={on_workers} />
                <NumberField label="Tasks per shuffle" testid="partitions"
                    title="How many tasks read each shuffle (Spark's spark.sql.shuffle.partitions); empty: twice the workers"
                    value={settings.partitions.map(|p| p.to_string()).unwrap_or_default()}
                    placeholder={(2 * settings.workers).to_string()} min="1"
                    max={RunSettings::MAX_PARTITIONS.to_string()}
                    on_commit={on_partitions} />
                <NumberField label="Split MB" testid="split-mb" value={settings.split_mb.to_string()}
                    title="A scan task reads about this much of the files (Spark's maxPartitionBytes)"
                    min="1" on_commit={on_split} />
                <NumberField label="Task timeout s" testid="task-timeout"
                    title="An attempt silent this long is given up and its task runs on another worker"
                    value={settings.task_timeout_s.to_string()} min="1" on_commit={on_timeout} />
                <NumberField label="Result limit MB" testid="result-limit"
                    title="A result larger than this stops its job before the tab runs out of memory; it can be written into a folder instead"
                    value={settings.result_limit_mb.to_string()} min="1" on_commit={on_limit} />
                <NumberField label="Memory per worker MB" testid="memory-mb"
                    title="Each worker's budget for its tasks' sorts, aggregations and joins: past it they spill to this browser's private storage (a join whose build side may not fit becomes a sort-merge join, which can). Empty: the default for this device, a quarter of its memory shared by the workers"
                    value={settings.memory_mb.map(|mb| mb.to_string()).unwrap_or_default()}
                    placeholder={format!("{} (default)", *default_memory)}
                    min="1" max="4096" on_commit={on_memory} />
                </div>
                <fieldset class="fault-injection" data-testid="fault-injection">
                    <legend>{"Fault injection"}</legend>
                <NumberField label="Fail tasks %" testid="fail-probability"
                    title="Fault injection: the chance that a task attempt fails on purpose"
                    value={format!("{}", (settings.fail_probability * 100.0).round())}
                    min="0" max="100" on_commit={on_fail} />
                <label title="Fault injection: the worker taking the job's third task crashes (a real trap)">
                    <input type="checkbox" data-testid="kill-worker" checked={settings.kill_a_worker}
                        onchange={on_kill} />
                    {" Crash a worker mid-job"}
                </label>
                <label title="Fault injection: the job's second task attempt never reports; the task timeout gives it up and runs it elsewhere">
                    <input type="checkbox" data-testid="hang-task" checked={settings.hang_a_task}
                        onchange={on_hang} />
                    {" Hang a task"}
                </label>
                </fieldset>
            </details>
                <label class="load-events link" title="Replay a saved event log in these views">
                    {"Load event log…"}
                    <input type="file" accept=".json,application/json" data-testid="load-events"
                        onchange={on_load} />
                </label>
            </div>
            { match &job {
                // The job's element holds its views, so what they show is the job's.
                Some(job) => html! {
                    <div class="job" data-testid="job" data-status={job.status.as_str()}
                        data-job={job.job_id.to_string()} data-workers={job.workers.to_string()}
                        data-replayed={job.replayed.to_string()}>
                        { head.unwrap_or_default() }
                        <div class="tabs job-tabs" role="tablist">{ for tabs }</div>
                        <div class="job-view" data-testid="job-view" data-view={props.view.label().to_lowercase()}>
                            { content }
                        </div>
                    </div>
                },
                None => content,
            } }
        </section>
    }
}

/// The folded settings in one line: what a job will run with.
fn settings_line(s: &RunSettings) -> String {
    let partitions = s.partitions.unwrap_or(2 * s.workers);
    let mut line = format!(
        "{} worker{} · {partitions} tasks per shuffle · {} MB splits",
        s.workers,
        if s.workers == 1 { "" } else { "s" },
        s.split_mb
    );
    match s.memory_mb {
        Some(mb) => line.push_str(&format!(" · {mb} MB per worker")),
        None => line.push_str(&format!(
            " · {} MB per worker (default)",
            s.memory_budget_mb(crate::js::device_memory_gb())
        )),
    }
    let faults = faults(s);
    if !faults.is_empty() {
        line.push_str(&format!(" · faults: {}", faults.join(", ")));
    }
    line
}

/// The faults a job will inject, in words.
fn faults(s: &RunSettings) -> Vec<String> {
    let mut faults = Vec::new();
    if s.fail_probability > 0.0 {
        faults.push(format!("{:.0}% of tasks fail", s.fail_probability * 100.0));
    }
    if s.kill_a_worker {
        faults.push("a worker crashes".into());
    }
    if s.hang_a_task {
        faults.push("a task hangs".into());
    }
    faults
}

/// The job's line: status, a progress bar that never goes back, input rates, elapsed
/// time and ETA, and what can be done with it.
fn job_head(job: &Rc<JobProgress>, props: &Props) -> Html {
    let (done, total) = job.tasks();
    let status = match &job.status {
        JobStatus::Failed(message) => format!("failed: {message}"),
        other => other.as_str().to_string(),
    };
    let (rows_per_s, bytes_per_s) = job.rates();
    let (rows, bytes) = job.scanned();
    let pct = 100.0 * job.fraction;
    let eta = job.eta_ms().map(|ms| format!("ETA {}", elapsed_ms(ms)));
    let running = job.status == JobStatus::Running && !job.replayed;
    let on_save = props.on_save_events.reform(|_: MouseEvent| ());
    let on_cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
            <div class="job-head">
                <strong>{ format!("Job {}", job.job_id) }{ if job.replayed { " (replayed)" } else { "" } }</strong>
                <span data-testid="job-status">{ status }</span>
                <progress class="job-progress" data-testid="job-progress" max="100"
                    value={format!("{pct:.1}")} data-fraction={job.fraction.to_string()}></progress>
                <span data-testid="job-percent">{ format!("{pct:.0}%") }</span>
                <span>{ format!("{done}/{total} tasks · {} stages", job.stages.len()) }</span>
                <span data-testid="job-elapsed">{ elapsed_ms(job.elapsed_ms) }</span>
                if let Some(eta) = eta {
                    <span data-testid="job-eta">{ eta }</span>
                }
                <span data-testid="job-rates" data-rows={rows.to_string()} data-bytes={bytes.to_string()}
                    title={format!("{rows} rows, {} read from files", human_bytes(bytes))}>
                    { format!("{} rows/s · {}/s", compact(rows_per_s), human_bytes(bytes_per_s as u64)) }
                </span>
                if job.lost_workers > 0 {
                    <span class="job-lost">{ format!("{} worker(s) lost and replaced", job.lost_workers) }</span>
                }
                if running {
                    <button class="danger small" data-testid="cancel-job" onclick={on_cancel}>{"Cancel"}</button>
                }
                <button class="link" data-testid="save-events" onclick={on_save}>{"Save event log"}</button>
            </div>
    }
}

/// One row per stage with its progress and its output.
fn stage_list(job: &JobProgress) -> Html {
    html! {
        <ol class="stages">
            { for job.stages.iter().zip(&job.graph.stages).map(|(s, plan)| {
                let output = match &plan.output {
                    StageOutput::Shuffle { partitions, .. } => format!("shuffle → {partitions}"),
                    StageOutput::Gather => "gather".into(),
                    StageOutput::Broadcast => "broadcast".into(),
                    StageOutput::Result => "result".into(),
                };
                let pct = 100.0 * s.fraction;
                html! {
                    <li class="stage" data-testid="stage" data-stage={s.id.to_string()}
                        data-tasks={s.tasks.to_string()} data-done={s.done.to_string()}
                        data-failed={s.failed_attempts.to_string()}>
                        <span class="stage-name">{ format!("Stage {}", s.id) }</span>
                        <span class="stage-ops">{ plan.operator_chain() }</span>
                        <progress max="100" value={format!("{pct:.1}")} title={format!("{pct:.0}%")}></progress>
                        <span>{ format!("{}/{} tasks", s.done, s.tasks) }</span>
                        <span>{ if s.running > 0 { format!("{} running", s.running) } else { String::new() } }</span>
                        <span class="stage-retried">{
                            if s.failed_attempts > 0 { format!("{} failed, retried", s.failed_attempts) } else { String::new() }
                        }</span>
                        <span class="stage-output">{ output }</span>
                    </li>
                }
            }) }
        </ol>
    }
}

/// The event log as the JSON file "Save event log" writes.
pub fn events_json(events: &[JobEvent]) -> String {
    serde_json::to_string_pretty(events).unwrap_or_else(|_| "[]".into())
}

/// A saved event log, as "Load event log" reads it.
pub fn parse_events(text: &str) -> Result<Vec<JobEvent>, String> {
    serde_json::from_str(text).map_err(|e| format!("not a Kiln event log: {e}"))
}
