//! The job's plans in tabs: the logical plan as written, the optimized logical plan and
//! the physical plan, each as a collapsible tree with its node details, and as the text
//! DataFusion prints (to copy). After tasks finish, the physical plan's nodes carry what
//! they measured (EXPLAIN ANALYZE), summed over every task that ran them.

use std::collections::HashSet;
use std::rc::Rc;

use kiln_protocol::{JobPlans, OperatorMetrics, PlanTree, StageGraph};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

use crate::format::{elapsed_ms, group_digits, human_bytes};
use crate::jobs::progress::JobProgress;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Logical,
    Optimized,
    Physical,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Logical, Tab::Optimized, Tab::Physical];

    fn label(self) -> &'static str {
        match self {
            Tab::Logical => "Logical",
            Tab::Optimized => "Optimized logical",
            Tab::Physical => "Physical",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Tab::Logical => "logical",
            Tab::Optimized => "optimized",
            Tab::Physical => "physical",
        }
    }

    fn tree(self, plans: &JobPlans) -> &PlanTree {
        match self {
            Tab::Logical => &plans.logical,
            Tab::Optimized => &plans.optimized,
            Tab::Physical => &plans.physical,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub job: Rc<JobProgress>,
}

/// Each physical plan node's metrics, summed over the stages' operators that ran it;
/// `None` for nodes no finished task ran.
pub fn node_metrics(
    graph: &StageGraph,
    job: &JobProgress,
    nodes: usize,
) -> Vec<Option<OperatorMetrics>> {
    let mut out: Vec<Option<OperatorMetrics>> = vec![None; nodes];
    for (summary, progress) in graph.stages.iter().zip(&job.stages) {
        if progress.done == 0 {
            continue;
        }
        for (op, metrics) in summary.operators.iter().zip(&progress.operators) {
            if let Some(slot) = op.node.and_then(|i| out.get_mut(i)) {
                slot.get_or_insert_with(OperatorMetrics::default)
                    .add(metrics);
            }
        }
    }
    out
}

fn describe(m: &OperatorMetrics) -> Vec<(&'static str, String)> {
    let mut parts = vec![
        ("rows", group_digits(m.output_rows)),
        ("time", elapsed_ms(m.elapsed_compute_ns as f64 / 1e6)),
    ];
    if m.bytes_scanned > 0 {
        parts.push(("read", human_bytes(m.bytes_scanned)));
    }
    if m.row_groups_pruned + m.row_groups_matched > 0 {
        parts.push((
            "row groups",
            format!(
                "{} pruned, {} read",
                m.row_groups_pruned, m.row_groups_matched
            ),
        ));
    }
    if m.spill_count > 0 {
        parts.push((
            "spill",
            format!("{}× {}", m.spill_count, human_bytes(m.spilled_bytes)),
        ));
    }
    parts
}

#[component]
pub fn PlanView(props: &Props) -> Html {
    let tab = use_state(|| Tab::Physical);
    let collapsed = use_state(HashSet::<usize>::new);
    let as_text = use_state(|| false);
    let copied = use_state(|| None::<&'static str>);
    let tree = tab.tree(&props.job.plans);
    let metrics = if *tab == Tab::Physical {
        node_metrics(&props.job.graph, &props.job, tree.nodes.len())
    } else {
        Vec::new()
    };

    let tabs = Tab::ALL.iter().map(|t| {
        let active = *t == *tab;
        let onclick = {
            let (tab, collapsed, copied, t) = (tab.clone(), collapsed.clone(), copied.clone(), *t);
            Callback::from(move |_: MouseEvent| {
                tab.set(t);
                collapsed.set(HashSet::new());
                copied.set(None);
            })
        };
        html! {
            <button class={classes!("tab", active.then_some("active"))} role="tab" data-testid="plan-tab"
                data-tab={t.id()} aria-selected={active.to_string()} onclick={onclick}>{ t.label() }</button>
        }
    });

    let on_copy = {
        let text = tree.text.clone();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(window) = web_sys::window() else {
                return;
            };
            let promise = window.navigator().clipboard().write_text(&text);
            let copied = copied.clone();
            spawn_local(async move {
                copied.set(Some(match JsFuture::from(promise).await {
                    Ok(_) => "copied",
                    Err(_) => "the browser refused: select the text and copy it",
                }));
            });
        })
    };
    let on_text = {
        let as_text = as_text.clone();
        Callback::from(move |_: MouseEvent| as_text.set(!*as_text))
    };

    let body = if *as_text {
        html! { <pre class="plan-text" data-testid="plan-text">{ tree.text.clone() }</pre> }
    } else {
        let mut hidden_below: Option<usize> = None;
        let rows = tree.nodes.iter().enumerate().filter_map(|(i, node)| {
            if let Some(depth) = hidden_below {
                if node.depth > depth {
                    return None;
                }
                hidden_below = None;
            }
            let is_collapsed = collapsed.contains(&i);
            if is_collapsed {
                hidden_below = Some(node.depth);
            }
            let has_children = tree.subtree_len(i) > 1;
            let toggle = {
                let collapsed = collapsed.clone();
                Callback::from(move |_: MouseEvent| {
                    let mut next = (*collapsed).clone();
                    if !next.remove(&i) {
                        next.insert(i);
                    }
                    collapsed.set(next);
                })
            };
            let measured = metrics.get(i).cloned().flatten();
            Some(html! {
                <li class={classes!("plan-node", format!("depth-{}", node.depth.min(30)))} data-testid="plan-node"
                    data-depth={node.depth.to_string()} data-name={node.name.clone()}>
                    if has_children {
                        <button class="plan-toggle" data-testid="plan-toggle" onclick={toggle}
                            aria-expanded={(!is_collapsed).to_string()}
                            title={if is_collapsed { "Show its inputs" } else { "Hide its inputs" }}>
                            { if is_collapsed { "▸" } else { "▾" } }
                        </button>
                    } else {
                        <span class="plan-toggle leaf">{"·"}</span>
                    }
                    <span class="plan-name">{ node.name.clone() }</span>
                    <span class="plan-detail">{ node.detail.clone() }</span>
                    if let Some(m) = measured {
                        <span class="plan-metrics" data-testid="node-metrics"
                            data-rows={m.output_rows.to_string()}>
                            { for describe(&m).into_iter().map(|(k, v)| html! {
                                <span><em>{ k }</em>{" "}{ v }</span>
                            }) }
                        </span>
                    }
                </li>
            })
        });
        html! { <ol class="plan-tree" data-testid="plan-tree">{ for rows }</ol> }
    };

    html! {
        <section class="plan-view" data-testid="plan-view">
            <div class="plan-bar">
                <div class="tabs" role="tablist">{ for tabs }</div>
                <button class="link" data-testid="plan-as-text" onclick={on_text}>
                    { if *as_text { "Tree" } else { "Text" } }
                </button>
                <button class="link" data-testid="plan-copy" onclick={on_copy}>{"Copy text"}</button>
                if let Some(message) = *copied {
                    <span class="muted">{ message }</span>
                }
            </div>
            { body }
        </section>
    }
}
