//! The job's timeline: one lane per worker, one bar per task attempt, coloured by stage
//! (the legend says which), on a time axis; failed and killed attempts are outlined, and
//! each bar's tooltip says what the attempt was. Like Spark's event timeline, it shows
//! where workers waited, which stage kept them busy, and where retries went. After the
//! job ends, a slider scrubs through it: every view then shows the job as it was then.

use std::rc::Rc;

use kiln_protocol::WorkerId;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::stage_page::{Attempt, attempts};
use crate::format::{elapsed_ms, group_digits};
use crate::jobs::progress::JobProgress;

const WIDTH: f64 = 900.0;
const LABEL: f64 = 80.0;
const LANE: f64 = 22.0;
/// Room under the lanes for the time axis.
const AXIS: f64 = 22.0;
/// Stage colours, cycled.
const PALETTE: [&str; 8] = [
    "#c2410c", "#2563eb", "#15803d", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4b5563",
];

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The job as shown: as it was at the scrubbed time, when there is one.
    pub job: Rc<JobProgress>,
    /// The whole job's elapsed time so far, the right edge of the timeline.
    pub span_ms: f64,
    pub scrub_ms: Option<f64>,
    /// Present once the job has ended: moving the slider scrubs, `None` is the end.
    pub on_scrub: Option<Callback<Option<f64>>>,
}

#[component]
pub fn Timeline(props: &Props) -> Html {
    let attempts = attempts(&props.job.events.events(), None);
    let mut workers: Vec<WorkerId> = attempts.iter().map(|a| a.worker).collect();
    workers.sort_unstable();
    workers.dedup();
    let span = props.span_ms.max(1.0);
    let now = props.job.elapsed_ms;
    let x = |ms: f64| LABEL + (WIDTH - LABEL) * (ms / span).clamp(0.0, 1.0);
    let lanes_height = LANE * workers.len() as f64;
    let height = lanes_height + AXIS;
    let scrub = props.on_scrub.as_ref().map(|on_scrub| {
        let on_input = on_scrub.reform(|e: InputEvent| {
            e.target_dyn_into::<HtmlInputElement>()
                .and_then(|i| i.value().parse::<f64>().ok())
        });
        let on_end = on_scrub.reform(|_: MouseEvent| None);
        html! {
            <div class="timeline-scrub">
                <label>
                    {"Scrub "}
                    <input type="range" data-testid="timeline-scrub" min="0" max={span.to_string()}
                        step="any" value={props.scrub_ms.unwrap_or(span).to_string()} oninput={on_input} />
                </label>
                <span data-testid="scrub-at">{ match props.scrub_ms {
                    Some(t) => format!("at {} of {}", elapsed_ms(t), elapsed_ms(span)),
                    None => format!("the end ({})", elapsed_ms(span)),
                } }</span>
                if props.scrub_ms.is_some() {
                    <button class="link" onclick={on_end}>{"Back to the end"}</button>
                }
            </div>
        }
    });
    let cursor = props.scrub_ms.map(|t| {
        let cx = x(t);
        html! { <line class="scrub-cursor" x1={cx.to_string()} x2={cx.to_string()} y1="0" y2={height.to_string()} /> }
    });
    html! {
        <>
        { scrub.unwrap_or_default() }
        <svg class="timeline" data-testid="timeline" role="img" aria-label="Task timeline"
            viewBox={format!("0 0 {WIDTH} {height}")} width={WIDTH.to_string()} height={height.to_string()}>
            { for workers.iter().enumerate().map(|(lane, w)| html! {
                <g class="lane" data-testid="timeline-lane" data-worker={w.to_string()}>
                    <text x="4" y={(LANE * lane as f64 + 15.0).to_string()}>{ format!("worker {w}") }</text>
                    <line x1={LABEL.to_string()} x2={WIDTH.to_string()}
                        y1={(LANE * (lane as f64 + 1.0)).to_string()} y2={(LANE * (lane as f64 + 1.0)).to_string()} />
                </g>
            }) }
            { for attempts.iter().map(|a| {
                let lane = workers.iter().position(|w| *w == a.worker).unwrap_or(0);
                let end = a.end_ms.unwrap_or(now);
                let (x0, x1) = (x(a.start_ms), x(end));
                html! {
                    <rect class={classes!("attempt", a.status)} data-testid="timeline-bar"
                        data-stage={a.stage.to_string()} data-task={a.task.to_string()}
                        data-attempt={a.attempt.to_string()} data-status={a.status}
                        x={x0.to_string()} width={(x1 - x0).max(2.0).to_string()}
                        y={(LANE * lane as f64 + 4.0).to_string()} height={(LANE - 8.0).to_string()}
                        fill={stage_colour(a.stage)}>
                        <title>{ tooltip(a, end) }</title>
                    </rect>
                }
            }) }
            <g class="axis" data-testid="timeline-axis">
                <line x1={LABEL.to_string()} x2={WIDTH.to_string()}
                    y1={lanes_height.to_string()} y2={lanes_height.to_string()} />
                { for ticks(span).into_iter().map(|t| {
                    let tx = x(t);
                    let anchor = if t == 0.0 { "start" } else { "middle" };
                    html! {
                        <g class="tick" data-testid="timeline-tick" data-ms={t.to_string()}>
                            <line x1={tx.to_string()} x2={tx.to_string()}
                                y1={lanes_height.to_string()} y2={(lanes_height + 4.0).to_string()} />
                            <text x={tx.to_string()} y={(lanes_height + 16.0).to_string()} text-anchor={anchor}>
                                { tick_label(t) }
                            </text>
                        </g>
                    }
                }) }
            </g>
            { cursor.unwrap_or_default() }
        </svg>
        <ul class="timeline-legend" data-testid="timeline-legend" aria-label="Stages">
            { for props.job.graph.stages.iter().map(|stage| {
                let i = stage.id;
                html! {
                    <li data-testid="timeline-legend-stage" data-stage={i.to_string()}>
                        // A presentation attribute, not a style: the page's CSP refuses inline styles.
                        <svg class="swatch" width="10" height="10" aria-hidden="true">
                            <rect width="10" height="10" rx="2" fill={stage_colour(i)} />
                        </svg>
                        { format!("Stage {i}") }
                        <span class="muted">{ format!(" {}", stage.operator_chain()) }</span>
                    </li>
                }
            }) }
        </ul>
        </>
    }
}

fn stage_colour(stage: usize) -> &'static str {
    PALETTE[stage % PALETTE.len()]
}

/// What a bar is, as Spark's timeline tooltip says it: which task of which stage, what it
/// read, where it ran, how long, how many rows, and how it ended.
fn tooltip(a: &Attempt, end_ms: f64) -> String {
    let mut lines = vec![format!(
        "Stage {} · task {} · attempt {}",
        a.stage, a.task, a.attempt
    )];
    if let Some(split) = &a.split {
        lines.push(format!("split: {split}"));
    }
    lines.push(format!(
        "worker {} · {} (from {} to {})",
        a.worker,
        elapsed_ms(end_ms - a.start_ms),
        elapsed_ms(a.start_ms),
        elapsed_ms(end_ms)
    ));
    if let Some(m) = &a.metrics {
        lines.push(format!(
            "{} rows in · {} rows out",
            group_digits(m.rows_in),
            group_digits(m.rows_out)
        ));
    }
    let mut status = a.status.to_string();
    if let Some(error) = &a.error {
        status.push_str(&format!(": {error}"));
    }
    lines.push(status);
    lines.join("\n")
}

/// Round times from 0 to `span_ms`, about five of them: steps of 1, 2 or 5 times a power
/// of ten, as a chart's axis has.
fn ticks(span_ms: f64) -> Vec<f64> {
    if !span_ms.is_finite() || span_ms <= 0.0 {
        return vec![0.0];
    }
    let rough = span_ms / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    (0..)
        .map(|i| i as f64 * step)
        .take_while(|t| *t <= span_ms * (1.0 + 1e-9))
        .collect()
}

fn tick_label(ms: f64) -> String {
    // Steps are multiples of a power of ten; rounding hides the float noise of i * step.
    let clean = |v: f64| (v * 1e6).round() / 1e6;
    if ms == 0.0 {
        "0".into()
    } else if ms >= 1000.0 {
        format!("{} s", clean(ms / 1000.0))
    } else {
        format!("{} ms", clean(ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_span() {
        assert_eq!(ticks(1000.0), vec![0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]);
        assert_eq!(ticks(73.0), vec![0.0, 20.0, 40.0, 60.0]);
        assert_eq!(ticks(12_500.0), vec![0.0, 5000.0, 10_000.0]);
        assert_eq!(ticks(0.0), vec![0.0]);
        for span in [0.3, 7.0, 999.0, 86_400_000.0] {
            let t = ticks(span);
            assert!((3..=11).contains(&t.len()), "{span}: {t:?}");
            assert!(
                t.last().is_some_and(|l| *l <= span * (1.0 + 1e-9)),
                "{span}: {t:?}"
            );
        }
    }

    #[test]
    fn tick_labels_read_as_times() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(200.0), "200 ms");
        assert_eq!(tick_label(5000.0), "5 s");
        assert_eq!(tick_label(2500.0), "2.5 s");
        assert_eq!(tick_label(3.0 * 0.1), "0.3 ms");
    }
}
