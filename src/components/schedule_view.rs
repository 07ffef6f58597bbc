//! A job at intervals: the editor's job with its parameters, a cadence on a simulated
//! clock (the next runs, and the clock moved to fire them), a backfill over a date
//! range, and the run history as a grid, one cell per run.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::format::group_digits;
use crate::workshop::schedule::{Cadence, Interval, ScheduleState, parse_time, timestamp, used};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub schedule: Rc<ScheduleState>,
    /// The text of the job in the editor, for its parameters.
    pub job_text: String,
    pub services: Rc<Vec<String>>,
    pub on_change: Callback<ScheduleState>,
    /// Runs these intervals with the editor's job.
    pub on_run: Callback<Vec<Interval>>,
    pub on_download: Callback<String>,
    pub can_run: bool,
}

fn value(e: &Event) -> String {
    if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
        return select.value();
    }
    e.target_unchecked_into::<HtmlInputElement>().value()
}

#[component]
pub fn ScheduleView(props: &Props) -> Html {
    let s = props.schedule.clone();
    let edit = |f: fn(&mut ScheduleState, String)| {
        let (s, on_change) = (s.clone(), props.on_change.clone());
        Callback::from(move |e: Event| {
            let mut next = (*s).clone();
            f(&mut next, value(&e));
            on_change.emit(next);
        })
    };
    let params = used(&props.job_text);
    let known = ["month", "date", "year", "hour", "start", "end", "service"];
    let unknown: Vec<&String> = params
        .iter()
        .filter(|p| !known.contains(&p.as_str()))
        .collect();
    let range = match (parse_time(&s.backfill_from), parse_time(&s.backfill_to)) {
        (Some(from), Some(to)) if from < to => Some(s.cadence.intervals(from, to, 1000)),
        _ => None,
    };
    let backfill = {
        let (on_run, range) = (props.on_run.clone(), range.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(range) = &range {
                on_run.emit(range.clone());
            }
        })
    };
    let next = s.next_runs(5);
    let advance = {
        let (s, on_change, on_run) = (s.clone(), props.on_change.clone(), props.on_run.clone());
        let due = next.first().copied();
        Callback::from(move |_: MouseEvent| {
            if let Some(due) = due {
                let mut moved = (*s).clone();
                moved.clock = due.end;
                on_change.emit(moved);
                on_run.emit(vec![due]);
            }
        })
    };
    let rerun = |interval: Interval| {
        let on_run = props.on_run.clone();
        Callback::from(move |_: MouseEvent| on_run.emit(vec![interval]))
    };
    let cells = s.runs.iter().map(|r| {
        let title = format!(
            "{}: {}{}{}",
            r.interval.label(s.cadence),
            r.state(),
            if r.attempts > 1 { format!(" after {} attempts", r.attempts) } else { String::new() },
            r.error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
        );
        html! {
            <button class={classes!("run-cell", r.state())} data-testid="run-cell"
                data-interval={r.interval.label(s.cadence)} data-state={r.state()}
                data-attempts={r.attempts.to_string()} title={title}
                onclick={rerun(r.interval)} disabled={!props.can_run}>
                <span class="run-label">{ r.interval.label(s.cadence) }</span>
                <span class="run-mark">{ match r.state() {
                    "succeeded" => "✓", "retried" => "↻✓", "failed" => "✗", "running" => "…", "retrying" => "↻", _ => "·",
                } }</span>
                if let Some(rows) = r.rows {
                    <span class="run-rows">{ format!("{} rows", group_digits(rows)) }</span>
                }
            </button>
        }
    });
    let download = {
        let (on_download, name) = (props.on_download.clone(), s.name.clone());
        Callback::from(move |_: MouseEvent| on_download.emit(name.clone()))
    };
    html! {
        <div class="schedule" data-testid="schedule">
            <p class="hint">{"The editor's job, once per interval, with "}<code>{"{{month}}"}</code>{", "}<code>{"{{date}}"}</code>{", "}
                <code>{"{{start}}"}</code>{", "}<code>{"{{end}}"}</code>{", "}<code>{"{{service}}"}</code>
                {" filled in. Each run writes its result into its own partition folder of the output."}</p>
            <p class="schedule-params" data-testid="schedule-params">
                { if params.is_empty() { "The job uses no parameters: every run computes the same thing.".to_string() }
                  else { format!("Parameters used: {}", params.join(", ")) } }
            </p>
            if !unknown.is_empty() {
                <p class="invalid-hint">{ format!("Unknown: {}", unknown.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(", ")) }</p>
            }
            <div class="schedule-form">
                <label>{"Output table"}
                    <input type="text" data-testid="schedule-name" value={s.name.clone()}
                        onchange={edit(|s, v| s.name = v.trim().to_string())} />
                </label>
                <label>{"Runs"}
                    <select data-testid="schedule-cadence" onchange={edit(|s, v| {
                        if let Some(c) = Cadence::from_key(&v) { s.cadence = c; }
                    })}>
                        for c in Cadence::CHOICES {
                            <option value={c.key()} selected={c == s.cadence}>{ c.label() }</option>
                        }
                    </select>
                </label>
                <label><code>{"{{service}}"}</code>
                    <select data-testid="schedule-service" onchange={edit(|s, v| s.service = v)}>
                        for name in props.services.iter() {
                            <option value={name.clone()} selected={*name == s.service}>{ name.clone() }</option>
                        }
                    </select>
                </label>
                <label>{"Attempts per run"}
                    <input type="number" min="1" max="5" data-testid="schedule-attempts" value={s.attempts_per_run.to_string()}
                        onchange={edit(|s, v| if let Ok(n) = v.parse::<u32>() { s.attempts_per_run = n.clamp(1, 5) })} />
                </label>
            </div>
            <div class="schedule-clock">
                <span>{"Simulated clock: "}<strong data-testid="schedule-clock">{ timestamp(s.clock)[..16].to_string() }</strong></span>
                <button class="button small" data-testid="clock-advance" disabled={!props.can_run} onclick={advance}>
                    {"Advance to the next run"}
                </button>
                <span class="hint" data-testid="next-runs">{"next: "}{ next.iter().map(|i| format!("{} at {}", i.label(s.cadence), &timestamp(i.end)[..16])).collect::<Vec<_>>().join(" · ") }</span>
            </div>
            <div class="schedule-form">
                <label>{"Backfill from"}
                    <input type="text" data-testid="schedule-from" value={s.backfill_from.clone()} placeholder="2024-01-01"
                        onchange={edit(|s, v| s.backfill_from = v.trim().to_string())} />
                </label>
                <label>{"to"}
                    <input type="text" data-testid="schedule-to" value={s.backfill_to.clone()} placeholder="2024-04-01"
                        onchange={edit(|s, v| s.backfill_to = v.trim().to_string())} />
                </label>
                <label>{"Fail the first attempt of"}
                    <select data-testid="schedule-fail" onchange={edit(|s, v| s.fail_once = v.parse().ok())}>
                        <option value="" selected={s.fail_once.is_none()}>{"no run"}</option>
                        for i in range.clone().unwrap_or_default().iter() {
                            <option value={i.start.to_string()} selected={s.fail_once == Some(i.start)}>{ i.label(s.cadence) }</option>
                        }
                    </select>
                </label>
                <button class="button primary small" data-testid="backfill-button"
                    disabled={!props.can_run || range.as_ref().is_none_or(|r| r.is_empty()) || s.name.is_empty()}
                    onclick={backfill}>
                    { format!("Backfill {} runs", range.as_ref().map_or(0, |r| r.len())) }
                </button>
            </div>
            <div class="run-grid" data-testid="run-grid" aria-label="Run history">
                if s.runs.is_empty() {
                    <p class="hint">{"No runs yet. Each run shows here: queued, running, succeeded, retried or failed; click one to rerun it."}</p>
                }
                { for cells }
            </div>
            if !s.runs.is_empty() {
                <div class="step-row">
                    <button class="button small" data-testid="output-download" onclick={download}>
                        { format!("Download {} (zip)", s.name) }
                    </button>
                    <span class="hint">{ format!("also a table, {}, partitioned by {}", s.name, s.cadence.partition_key()) }</span>
                </div>
            }
        </div>
    }
}
