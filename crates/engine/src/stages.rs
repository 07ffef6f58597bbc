//! Cutting a physical plan into stages at its exchanges, the way Apache Ballista's
//! distributed planner does: a hash repartition becomes a shuffle (map side in the child
//! stage, read side in the parent), a coalesce or sort-preserving merge gathers its
//! input stage into one task, and the collected build side of a hash join is a broadcast
//! stage. Everything else is narrow and stays chained inside its stage.

use std::sync::Arc;

use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, Partitioning};
use kiln_protocol::{StageGraph, StageOperator, StageOutput, StageSummary};

pub fn cut_stages(plan: &Arc<dyn ExecutionPlan>) -> StageGraph {
    let mut stages = Vec::new();
    build_stage(plan, StageOutput::Result, &mut stages);
    StageGraph { stages }
}

/// Builds the stage whose top operator is `top`, after the stages it reads from, and
/// returns its id.
fn build_stage(
    top: &Arc<dyn ExecutionPlan>,
    output: StageOutput,
    stages: &mut Vec<StageSummary>,
) -> usize {
    let mut operators = Vec::new();
    let mut inputs = Vec::new();
    chain(top, 0, &mut operators, &mut inputs, stages);
    let id = stages.len();
    stages.push(StageSummary {
        id,
        tasks: top.output_partitioning().partition_count(),
        operators,
        inputs,
        output,
    });
    id
}

fn chain(
    node: &Arc<dyn ExecutionPlan>,
    depth: usize,
    operators: &mut Vec<StageOperator>,
    inputs: &mut Vec<usize>,
    stages: &mut Vec<StageSummary>,
) {
    if let Some(repartition) = node.downcast_ref::<RepartitionExec>()
        && let Partitioning::Hash(keys, partitions) = repartition.partitioning()
    {
        let output = StageOutput::Shuffle {
            partitions: *partitions,
            keys: keys.iter().map(|k| k.to_string()).collect(),
        };
        operators.push(StageOperator {
            depth,
            name: "ShuffleRead".into(),
        });
        inputs.push(build_stage(repartition.input(), output, stages));
        return;
    }
    operators.push(StageOperator {
        depth,
        name: node.name().to_string(),
    });
    let gathers = node.is::<CoalescePartitionsExec>() || node.is::<SortPreservingMergeExec>();
    let broadcast_left = node
        .downcast_ref::<HashJoinExec>()
        .is_some_and(|join| *join.partition_mode() == PartitionMode::CollectLeft);
    for (i, child) in node.children().into_iter().enumerate() {
        if gathers && child.output_partitioning().partition_count() > 1 {
            inputs.push(build_stage(child, StageOutput::Gather, stages));
        } else if broadcast_left && i == 0 {
            operators.push(StageOperator {
                depth: depth + 1,
                name: "BroadcastRead".into(),
            });
            inputs.push(build_stage(child, StageOutput::Broadcast, stages));
        } else {
            chain(child, depth + 1, operators, inputs, stages);
        }
    }
}

/// The graph as `kiln explain --stages` prints it.
pub fn render(graph: &StageGraph) -> String {
    let mut out = String::new();
    for stage in &graph.stages {
        let output = match &stage.output {
            StageOutput::Shuffle { partitions, keys } => {
                format!(
                    "shuffle by [{}] into {partitions} partitions",
                    keys.join(", ")
                )
            }
            StageOutput::Gather => "gather into one task".into(),
            StageOutput::Broadcast => "broadcast".into(),
            StageOutput::Result => "result".into(),
        };
        let reads = if stage.inputs.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = stage.inputs.iter().map(|i| format!("stage {i}")).collect();
            format!(", reads {}", ids.join(", "))
        };
        let tasks = if stage.tasks == 1 {
            "1 task".into()
        } else {
            format!("{} tasks", stage.tasks)
        };
        out.push_str(&format!("stage {}: {tasks}{reads} -> {output}\n", stage.id));
        for op in &stage.operators {
            out.push_str(&format!("  {}{}\n", "  ".repeat(op.depth), op.name));
        }
    }
    out
}
