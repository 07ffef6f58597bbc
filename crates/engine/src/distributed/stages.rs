//! Cutting a physical plan into stages at its exchanges, the way Apache Ballista's
//! distributed planner does: a repartition becomes a shuffle (map side in the child
//! stage, read side in the parent), a coalesce or sort-preserving merge gathers its
//! input stage's tasks into one, and the collected build side of a hash join is a
//! broadcast stage. Everything else is narrow and stays chained inside its stage.
//!
//! Each stage gets an executable fragment: its part of the plan with every cut replaced
//! by a [`StageInputExec`] leaf. A shuffle stage's fragment keeps the `RepartitionExec` on
//! top; the task runner takes its partitioning as the shuffle's and runs what is below.

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode};
use datafusion::physical_plan::limit::GlobalLimitExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::{
    ExecutionPlan, ExecutionPlanProperties, Partitioning, replace_children_if_necessary,
};
use kiln_protocol::{StageGraph, StageOperator, StageOutput, StageSummary};

use super::exchange::{InputKind, StageInputExec};

/// A stage as cut: what the views show and what the tasks run.
pub struct CutStage {
    pub summary: StageSummary,
    /// The fragment a task deserializes (with the `RepartitionExec` for a shuffle stage).
    pub fragment: Arc<dyn ExecutionPlan>,
}

impl CutStage {
    /// The plan whose partitions are this stage's tasks: below the shuffle's repartition.
    pub fn task_plan(&self) -> &Arc<dyn ExecutionPlan> {
        task_plan(&self.fragment)
    }
}

/// The part of a fragment a task executes: for a shuffle stage, the repartition's input.
pub fn task_plan(fragment: &Arc<dyn ExecutionPlan>) -> &Arc<dyn ExecutionPlan> {
    match fragment.downcast_ref::<RepartitionExec>() {
        Some(repartition) => repartition.input(),
        None => fragment,
    }
}

/// Cuts `plan` into stages, children before parents; the last is the result stage.
pub fn cut(plan: &Arc<dyn ExecutionPlan>) -> Result<Vec<CutStage>> {
    let mut stages = Vec::new();
    build_stage(plan, StageOutput::Result, &mut stages)?;
    Ok(stages)
}

pub fn graph(stages: &[CutStage]) -> StageGraph {
    StageGraph {
        stages: stages.iter().map(|s| s.summary.clone()).collect(),
    }
}

/// Builds the stage whose top operator is `top`, after the stages it reads from, and
/// returns its id.
fn build_stage(
    top: &Arc<dyn ExecutionPlan>,
    output: StageOutput,
    stages: &mut Vec<CutStage>,
) -> Result<usize> {
    let mut operators = Vec::new();
    let mut inputs = Vec::new();
    let fragment = match top.downcast_ref::<RepartitionExec>() {
        // The map side of a shuffle: the repartition stays on top of the fragment.
        Some(repartition) if matches!(output, StageOutput::Shuffle { .. }) => {
            let input = chain(repartition.input(), 0, &mut operators, &mut inputs, stages)?;
            replace_children_if_necessary(Arc::clone(top), vec![input])?
        }
        _ => chain(top, 0, &mut operators, &mut inputs, stages)?,
    };
    let id = stages.len();
    let tasks = task_plan(&fragment).output_partitioning().partition_count();
    stages.push(CutStage {
        summary: StageSummary {
            id,
            tasks,
            operators,
            inputs,
            output,
        },
        fragment,
    });
    Ok(id)
}

/// Walks the narrow chain below `node`, cutting child stages off at exchanges, and
/// returns the chain with the cuts replaced by stage-input leaves.
fn chain(
    node: &Arc<dyn ExecutionPlan>,
    depth: usize,
    operators: &mut Vec<StageOperator>,
    inputs: &mut Vec<usize>,
    stages: &mut Vec<CutStage>,
) -> Result<Arc<dyn ExecutionPlan>> {
    if let Some(repartition) = node.downcast_ref::<RepartitionExec>() {
        // Every repartition is an exchange, round-robin ones too: a task computes one
        // partition, and a repartition's partition needs all of its input's.
        let partitioning = repartition.partitioning();
        let output = StageOutput::Shuffle {
            partitions: partitioning.partition_count(),
            keys: match partitioning {
                Partitioning::Hash(keys, _) => keys.iter().map(|k| k.to_string()).collect(),
                _ => Vec::new(),
            },
        };
        let stage = build_stage(node, output, stages)?;
        inputs.push(stage);
        operators.push(StageOperator {
            depth,
            name: "ShuffleRead".into(),
        });
        let leaf = StageInputExec::new(
            stage,
            InputKind::Shuffle,
            partitioning.partition_count(),
            node.as_ref(),
        );
        return Ok(Arc::new(leaf));
    }
    if let Some(coalesce) = node.downcast_ref::<CoalescePartitionsExec>()
        && coalesce.input().output_partitioning().partition_count() > 1
    {
        // The read merges the gathered tasks' output itself; a fetch stays a limit.
        let stage = build_stage(coalesce.input(), StageOutput::Gather, stages)?;
        inputs.push(stage);
        operators.push(StageOperator {
            depth,
            name: "GatherRead".into(),
        });
        let read: Arc<dyn ExecutionPlan> = Arc::new(StageInputExec::new(
            stage,
            InputKind::Merge,
            stages[stage].summary.tasks,
            node.as_ref(),
        ));
        return Ok(match coalesce.fetch() {
            Some(fetch) => Arc::new(GlobalLimitExec::new(read, 0, Some(fetch))),
            None => read,
        });
    }
    operators.push(StageOperator {
        depth,
        name: node.name().to_string(),
    });
    let gathers = node.is::<SortPreservingMergeExec>();
    let broadcast_left = node
        .downcast_ref::<HashJoinExec>()
        .is_some_and(|join| *join.partition_mode() == PartitionMode::CollectLeft);
    let children = node.children();
    if children.is_empty() {
        return Ok(Arc::clone(node));
    }
    let mut new_children = Vec::with_capacity(children.len());
    for (i, child) in children.into_iter().enumerate() {
        let partitions = child.output_partitioning().partition_count();
        let replaced = if gathers && partitions > 1 {
            let stage = build_stage(child, StageOutput::Gather, stages)?;
            inputs.push(stage);
            operators.push(StageOperator {
                depth: depth + 1,
                name: "GatherRead".into(),
            });
            Arc::new(StageInputExec::new(
                stage,
                InputKind::Gather,
                stages[stage].summary.tasks,
                child.as_ref(),
            )) as Arc<dyn ExecutionPlan>
        } else if broadcast_left && i == 0 {
            // A coalesce under the build side only merges what the broadcast merges
            // anyway: the broadcast stage starts below it, one task per partition.
            let source = match child.downcast_ref::<CoalescePartitionsExec>() {
                Some(coalesce) => coalesce.input(),
                None => child,
            };
            let stage = build_stage(source, StageOutput::Broadcast, stages)?;
            inputs.push(stage);
            operators.push(StageOperator {
                depth: depth + 1,
                name: "BroadcastRead".into(),
            });
            Arc::new(StageInputExec::new(
                stage,
                InputKind::Broadcast,
                1,
                child.as_ref(),
            )) as Arc<dyn ExecutionPlan>
        } else {
            chain(child, depth + 1, operators, inputs, stages)?
        };
        new_children.push(replaced);
    }
    replace_children_if_necessary(Arc::clone(node), new_children)
}

/// The graph as `kiln explain --stages` prints it.
pub fn render(graph: &StageGraph) -> String {
    let mut out = String::new();
    for stage in &graph.stages {
        let output = match &stage.output {
            StageOutput::Shuffle { partitions, keys } if keys.is_empty() => {
                format!("shuffle round-robin into {partitions} partitions")
            }
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
