//! How jobs run (workers, partitions, fault injection) and how the last one went: one
//! row per stage with its tasks done, running and retried, and its event log to save.

use kiln_protocol::{JobEvent, StageOutput};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::number_field::NumberField;
use crate::components::stage_dag::StageDag;
use crate::components::stage_page::StagePage;
use crate::components::timeline::Timeline;
use crate::job_progress::{JobProgress, JobStatus};
use crate::job_runner::{RunSettings, SettingChange};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub settings: RunSettings,
    pub job: Option<std::rc::Rc<JobProgress>>,
    pub on_settings: Callback<SettingChange>,
    pub on_save_events: Callback<()>,
    pub selected_stage: Option<usize>,
    pub on_select_stage: Callback<usize>,
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
    let on_save = props.on_save_events.reform(|_: MouseEvent| ());

    let progress = props.job.as_ref().map(|job| {
        let (done, total) = job.tasks();
        let status = match &job.status {
            JobStatus::Failed(message) => format!("failed: {message}"),
            other => other.as_str().to_string(),
        };
        html! {
            <div class="job" data-testid="job" data-status={job.status.as_str()}
                data-job={job.job_id.to_string()} data-workers={job.workers.to_string()}>
                <div class="job-head">
                    <strong>{ format!("Job {}", job.job_id) }</strong>
                    <span data-testid="job-status">{ status }</span>
                    <span>{ format!("{done}/{total} tasks, {} stages, {:.0} ms", job.stages.len(), job.elapsed_ms) }</span>
                    if job.lost_workers > 0 {
                        <span class="job-lost">{ format!("{} worker(s) lost and replaced", job.lost_workers) }</span>
                    }
                    <button class="link" data-testid="save-events" onclick={on_save}>{"Save event log"}</button>
                </div>
                <ol class="stages">
                    { for job.stages.iter().zip(&job.graph.stages).map(|(s, plan)| {
                        let ops: Vec<&str> = plan.operators.iter().map(|o| o.name.as_str()).collect();
                        let output = match &plan.output {
                            StageOutput::Shuffle { partitions, .. } => format!("shuffle → {partitions}"),
                            StageOutput::Gather => "gather".into(),
                            StageOutput::Broadcast => "broadcast".into(),
                            StageOutput::Result => "result".into(),
                        };
                        let pct = if s.tasks == 0 { 100.0 } else { 100.0 * s.done as f64 / s.tasks as f64 };
                        html! {
                            <li class="stage" data-testid="stage" data-stage={s.id.to_string()}
                                data-tasks={s.tasks.to_string()} data-done={s.done.to_string()}
                                data-failed={s.failed_attempts.to_string()}>
                                <span class="stage-name">{ format!("Stage {}", s.id) }</span>
                                <span class="stage-ops">{ ops.join(" ← ") }</span>
                                <progress max={s.tasks.max(1).to_string()} value={s.done.to_string()}
                                    title={format!("{pct:.0}%")}></progress>
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
                <div class="dag-scroll">
                    <StageDag job={job.clone()} selected={props.selected_stage}
                        on_select={props.on_select_stage.clone()} />
                </div>
                <div class="dag-scroll">
                    <Timeline events={job.events.clone()} elapsed_ms={job.elapsed_ms} />
                </div>
                if let Some(stage) = props.selected_stage {
                    <StagePage stage={stage} events={job.events.clone()} />
                }
            </div>
        }
    });

    html! {
        <section class="job-panel" data-testid="job-panel">
            <div class="job-settings">
                <NumberField label="Workers" testid="workers" value={settings.workers.to_string()}
                    min="1" max={RunSettings::MAX_WORKERS.to_string()} on_commit={on_workers} />
                <NumberField label="Tasks per shuffle" testid="partitions"
                    value={settings.partitions.map(|p| p.to_string()).unwrap_or_default()}
                    placeholder={(2 * settings.workers).to_string()} min="1" max="256"
                    on_commit={on_partitions} />
                <NumberField label="Split MB" testid="split-mb" value={settings.split_mb.to_string()}
                    min="1" on_commit={on_split} />
                <NumberField label="Fail tasks %" testid="fail-probability"
                    title="Fault injection: the chance that a task attempt fails on purpose"
                    value={format!("{}", (settings.fail_probability * 100.0).round())}
                    min="0" max="100" on_commit={on_fail} />
                <label title="Fault injection: the worker taking the job's third task crashes (a real trap)">
                    <input type="checkbox" data-testid="kill-worker" checked={settings.kill_a_worker}
                        onchange={on_kill} />
                    {" Crash a worker mid-job"}
                </label>
            </div>
            { progress.unwrap_or_default() }
        </section>
    }
}

/// The event log as the JSON file "Save event log" writes.
pub fn events_json(events: &[JobEvent]) -> String {
    serde_json::to_string_pretty(events).unwrap_or_else(|_| "[]".into())
}
