//! The job's timeline: one lane per worker, one bar per task attempt, coloured by stage;
//! failed and killed attempts are outlined. Like Spark's event timeline, it shows where
//! workers waited, which stage kept them busy, and where retries went. After the job
//! ends, a slider scrubs through it: every view then shows the job as it was then.

use std::rc::Rc;

use kiln_protocol::WorkerId;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::stage_page::attempts;
use crate::format::elapsed_ms;
use crate::job_progress::JobProgress;

const WIDTH: f64 = 900.0;
const LABEL: f64 = 80.0;
const LANE: f64 = 22.0;
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
    let height = LANE * workers.len() as f64 + 20.0;
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
                        data-stage={a.stage.to_string()} data-status={a.status}
                        x={x0.to_string()} width={(x1 - x0).max(2.0).to_string()}
                        y={(LANE * lane as f64 + 4.0).to_string()} height={(LANE - 8.0).to_string()}
                        fill={PALETTE[a.stage % PALETTE.len()]}>
                        <title>{ format!("stage {} task {} attempt {}: {} ({})", a.stage, a.task, a.attempt,
                            a.status, elapsed_ms(end - a.start_ms)) }</title>
                    </rect>
                }
            }) }
            <text class="axis" x={WIDTH.to_string()} y={(height - 4.0).to_string()} text-anchor="end">
                { elapsed_ms(span) }
            </text>
            { cursor.unwrap_or_default() }
        </svg>
        </>
    }
}
