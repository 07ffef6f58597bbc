//! The stage DAG as an SVG graph: stages as boxes listing their chained operators, left
//! to right in the order they can run, edges drawn by the kind of exchange (a shuffle is
//! a wide dependency: thick and solid; a gather or a broadcast: dashed, dotted), boxes
//! coloured by live status. Clicking a stage opens its page.

use kiln_protocol::{StageGraph, StageOutput};
use yew::prelude::*;

use crate::format::compact;
use crate::jobs::progress::{JobProgress, JobStatus, StageProgress};

const BOX_W: f64 = 230.0;
const GAP_X: f64 = 90.0;
const GAP_Y: f64 = 18.0;
const LINE: f64 = 14.0;
const HEAD: f64 = 34.0;
const MAX_OPS: usize = 6;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub job: std::rc::Rc<JobProgress>,
    pub selected: Option<usize>,
    pub on_select: Callback<usize>,
}

struct Placed {
    x: f64,
    y: f64,
    h: f64,
}

/// Column of each stage: how many exchanges lie between it and the scans.
fn levels(graph: &StageGraph) -> Vec<usize> {
    let mut level = vec![0; graph.stages.len()];
    // Inputs always have smaller ids, so one pass in id order settles every level.
    for s in &graph.stages {
        level[s.id] = s.inputs.iter().map(|i| level[*i] + 1).max().unwrap_or(0);
    }
    level
}

/// A physical column as DataFusion prints it (`PULocationID@3`), without its index.
fn column_name(key: &str) -> String {
    match key.rsplit_once('@') {
        Some((name, index)) if index.chars().all(|c| c.is_ascii_digit()) => name.to_string(),
        _ => key.to_string(),
    }
}

fn height(ops: usize) -> f64 {
    let lines = ops.min(MAX_OPS) + usize::from(ops > MAX_OPS);
    HEAD + LINE * lines as f64 + 8.0
}

pub fn status(stage: &StageProgress) -> &'static str {
    if stage.tasks > 0 && stage.done == stage.tasks {
        "done"
    } else if stage.running > 0 || (stage.submitted && stage.done > 0) {
        "running"
    } else if stage.submitted && stage.tasks == 0 {
        "done"
    } else {
        "waiting"
    }
}

#[component]
pub fn StageDag(props: &Props) -> Html {
    let graph = &props.job.graph;
    let level = levels(graph);
    let columns = level.iter().copied().max().map_or(0, |m| m + 1);
    let mut next_y = vec![10.0; columns];
    let placed: Vec<Placed> = graph
        .stages
        .iter()
        .map(|s| {
            let col = level[s.id];
            let h = height(s.operators.len());
            let y = next_y[col];
            next_y[col] += h + GAP_Y;
            Placed {
                x: 10.0 + col as f64 * (BOX_W + GAP_X),
                y,
                h,
            }
        })
        .collect();
    let width = 20.0 + columns as f64 * (BOX_W + GAP_X) - GAP_X;
    let height_px = next_y.iter().copied().fold(0.0, f64::max);

    let edges = graph
        .stages
        .iter()
        .flat_map(|to| to.inputs.iter().map(move |from| (*from, to.id)));
    let edges: Html = edges
        .map(|(from, to)| {
            let (a, b) = (&placed[from], &placed[to]);
            let (x1, y1) = (a.x + BOX_W, a.y + a.h / 2.0);
            let (x2, y2) = (b.x, b.y + b.h / 2.0);
            let mid = (x1 + x2) / 2.0;
            let (kind, label, keys) = match &graph.stages[from].output {
                StageOutput::Shuffle { partitions, keys } => {
                    let keys: Vec<String> = keys.iter().map(|k| column_name(k)).collect();
                    ("shuffle", format!("shuffle ×{partitions}"), keys.join(", "))
                }
                StageOutput::Gather => ("gather", "gather".to_string(), String::new()),
                StageOutput::Broadcast => ("broadcast", "broadcast".to_string(), String::new()),
                StageOutput::Result => ("result", String::new(), String::new()),
            };
            // The gap between columns holds about 14 characters; the whole key list is
            // in the edge's tooltip.
            let short_keys = if keys.chars().count() > 14 {
                format!("{}…", keys.chars().take(13).collect::<String>())
            } else {
                keys.clone()
            };
            // Labels sit by the source, where the curve is still level: a stage has one
            // output, so two labels never meet, while edges converge at their target.
            let label_x = x1 + GAP_X / 2.0;
            html! {
                <g class={classes!("dag-edge", kind)} data-testid="dag-edge" data-kind={kind}
                    data-from={from.to_string()} data-to={to.to_string()}>
                    <title>{ format!("{label} {keys}") }</title>
                    <path d={format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")} />
                    <text x={label_x.to_string()} y={(y1 - 6.0).to_string()} text-anchor="middle">{ label }</text>
                    <text class="dag-keys" x={label_x.to_string()} y={(y1 + 14.0).to_string()} text-anchor="middle">
                        { short_keys }
                    </text>
                </g>
            }
        })
        .collect();

    let boxes: Html = graph
        .stages
        .iter()
        .zip(&placed)
        .map(|(s, p)| {
            let progress = props.job.stages.iter().find(|x| x.id == s.id);
            let ended_badly = matches!(props.job.status, JobStatus::Failed(_) | JobStatus::Cancelled);
            let state = match progress {
                // A stage under way when its job failed or was cancelled failed with it.
                Some(x) if ended_badly && x.submitted && status(x) != "done" => "failed",
                Some(x) => status(x),
                None => "waiting",
            };
            let failed = progress.is_some_and(|x| x.failed_attempts > 0);
            let (done, tasks) = progress.map_or((0, s.tasks), |x| (x.done, x.tasks));
            let fraction = progress.map_or(0.0, |x| x.fraction);
            let pct = (100.0 * fraction).floor();
            // Output rows per operator, once a task has finished and measured them.
            let rows: Vec<Option<u64>> = match progress {
                Some(x) if x.done > 0 => x.operators.iter().map(|m| Some(m.output_rows)).collect(),
                _ => Vec::new(),
            };
            let select = {
                let on_select = props.on_select.clone();
                let id = s.id;
                Callback::from(move |_: MouseEvent| on_select.emit(id))
            };
            let on_key = {
                let on_select = props.on_select.clone();
                let id = s.id;
                Callback::from(move |e: KeyboardEvent| {
                    if e.key() == "Enter" || e.key() == " " {
                        e.prevent_default();
                        on_select.emit(id);
                    }
                })
            };
            let selected = props.selected == Some(s.id);
            let ops: Vec<(usize, &str)> = s.operators.iter().map(|o| (o.depth, o.name.as_str())).collect();
            let shown = ops.len().min(MAX_OPS);
            let title = if s.answered_in_planning {
                format!("Stage {} · answered while planning", s.id)
            } else if state == "running" {
                format!("Stage {} · {done}/{tasks} tasks · {pct}%", s.id)
            } else {
                format!("Stage {} · {done}/{tasks} tasks", s.id)
            };
            html! {
                <g class={classes!("dag-stage", state, failed.then_some("retried"), selected.then_some("selected"))}
                    data-testid="dag-stage" data-stage={s.id.to_string()} data-status={state}
                    transform={format!("translate({},{})", p.x, p.y)} onclick={select}>
                    <title>{ format!("Stage {}: {done}/{tasks} tasks, {pct}% done", s.id) }</title>
                    <rect width={BOX_W.to_string()} height={p.h.to_string()} rx="6" />
                    <rect class="dag-bar" y={(p.h - 4.0).to_string()} height="4"
                        width={(BOX_W * fraction).to_string()} />
                    // The title is the stage's button for keyboards and screen readers: its
                    // name starts with the text it shows, as a button's must.
                    <text class="dag-title" x="10" y="18" role="button" tabindex="0" onkeydown={on_key}
                        aria-pressed={selected.to_string()}
                        aria-label={format!("{title}: opens its page")}>
                        { title.clone() }
                    </text>
                    { for ops.iter().take(shown).enumerate().map(|(i, (depth, op))| {
                        let y = (HEAD + 6.0 + LINE * i as f64).to_string();
                        html! {
                            <>
                            <text class="dag-op" x={(12 + 8 * depth.min(&6)).to_string()} y={y.clone()}>{ *op }</text>
                            if let Some(Some(n)) = rows.get(i) {
                                <text class="dag-rows" data-testid="dag-op-rows" x={(BOX_W - 8.0).to_string()} y={y}
                                    text-anchor="end">{ compact(*n as f64) }</text>
                            }
                            </>
                        }
                    }) }
                    if ops.len() > shown {
                        <text class="dag-op" x="14" y={(HEAD + 6.0 + LINE * shown as f64).to_string()}>
                            { format!("… {} more", ops.len() - shown) }
                        </text>
                    }
                </g>
            }
        })
        .collect();

    html! {
        <svg class="stage-dag" data-testid="stage-dag" role="group" aria-label="Stage graph"
            viewBox={format!("0 0 {width} {height_px}")} width={width.to_string()} height={height_px.to_string()}>
            { edges }
            { boxes }
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_protocol::StageSummary;

    fn stage(id: usize, inputs: Vec<usize>) -> StageSummary {
        StageSummary {
            id,
            tasks: 1,
            operators: Vec::new(),
            inputs,
            output: StageOutput::Result,
            input_bytes: 0,
            answered_in_planning: false,
        }
    }

    #[test]
    fn a_stage_sits_one_column_right_of_its_deepest_input() {
        let graph = StageGraph {
            stages: vec![
                stage(0, vec![]),
                stage(1, vec![]),
                stage(2, vec![0]),
                stage(3, vec![1, 2]),
            ],
        };
        assert_eq!(levels(&graph), [0, 0, 1, 2]);
    }

    #[test]
    fn keys_lose_their_column_index() {
        assert_eq!(column_name("PULocationID@3"), "PULocationID");
        assert_eq!(column_name("a@b"), "a@b");
    }
}
