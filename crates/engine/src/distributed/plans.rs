//! A job's plans for the views: DataFusion's own text of each, and each as a flat tree
//! of nodes (depth-first, parents first), whose indices stage operators point into.

use std::sync::Arc;

use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::metrics::MetricValue;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use kiln_protocol::{OperatorMetrics, PlanNode, PlanTree};

/// `Name: detail` as DataFusion's one-line display gives it, split for the tree view.
fn node(depth: usize, line: &str) -> PlanNode {
    let line = line.trim();
    let (name, detail) = line.split_once(": ").unwrap_or((line, ""));
    PlanNode {
        depth,
        name: name.to_string(),
        detail: detail.to_string(),
    }
}

pub fn logical_tree(plan: &LogicalPlan) -> PlanTree {
    fn walk(plan: &LogicalPlan, depth: usize, nodes: &mut Vec<PlanNode>) {
        nodes.push(node(depth, &plan.display().to_string()));
        for input in plan.inputs() {
            walk(input, depth + 1, nodes);
        }
    }
    let mut nodes = Vec::new();
    walk(plan, 0, &mut nodes);
    PlanTree {
        text: plan.display_indent().to_string(),
        nodes,
    }
}

/// The physical plan's nodes in the order of its tree's `nodes`.
pub fn physical_nodes(plan: &Arc<dyn ExecutionPlan>) -> Vec<(usize, Arc<dyn ExecutionPlan>)> {
    fn walk(
        plan: &Arc<dyn ExecutionPlan>,
        depth: usize,
        out: &mut Vec<(usize, Arc<dyn ExecutionPlan>)>,
    ) {
        out.push((depth, Arc::clone(plan)));
        for child in plan.children() {
            walk(child, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(plan, 0, &mut out);
    out
}

pub fn physical_tree(plan: &Arc<dyn ExecutionPlan>) -> PlanTree {
    let nodes = physical_nodes(plan)
        .into_iter()
        .map(|(depth, n)| node(depth, &displayable(n.as_ref()).one_line().to_string()))
        .collect();
    PlanTree {
        text: displayable(plan.as_ref()).indent(true).to_string(),
        nodes,
    }
}

/// What `plan` (one operator, over the partitions it ran) measured.
pub fn operator_metrics(plan: &dyn ExecutionPlan) -> OperatorMetrics {
    let Some(set) = plan.metrics() else {
        return OperatorMetrics::default();
    };
    let mut out = OperatorMetrics::default();
    for metric in set.iter() {
        let value = metric.value();
        match value {
            MetricValue::OutputRows(c) => out.output_rows += c.value() as u64,
            MetricValue::ElapsedCompute(t) => out.elapsed_compute_ns += t.value() as u64,
            MetricValue::SpillCount(c) => out.spill_count += c.value() as u64,
            MetricValue::SpilledBytes(c) => out.spilled_bytes += c.value() as u64,
            MetricValue::Count { name, count } if name == "bytes_scanned" => {
                out.bytes_scanned += count.value() as u64
            }
            MetricValue::PruningMetrics {
                name,
                pruning_metrics,
            } if name == "row_groups_pruned_statistics" => {
                out.row_groups_pruned += pruning_metrics.pruned() as u64;
                out.row_groups_matched += pruning_metrics.matched() as u64;
            }
            _ => {}
        }
    }
    out
}
