//! Cutting a physical plan into stages at its exchanges, the way Apache Ballista's
//! distributed planner does: a repartition becomes a shuffle (map side in the child
//! stage, read side in the parent), a coalesce or sort-preserving merge gathers its
//! input stage's tasks into one, and the collected build side of a hash join is a
//! broadcast stage. Everything else is narrow and stays chained inside its stage.
//!
//! Each stage gets an executable fragment: its part of the plan with every cut replaced
//! by a [`StageInputExec`] leaf. A shuffle stage's fragment keeps the `RepartitionExec` on
//! top; the task runner takes its partitioning as the shuffle's and runs what is below.

use std::collections::HashMap;
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
use super::plans::physical_nodes;

/// A stage as cut: what the views show and what the tasks run.
pub struct CutStage {
    pub summary: StageSummary,
    /// The fragment a task deserializes (with the `RepartitionExec` for a shuffle stage).
    pub fragment: Arc<dyn ExecutionPlan>,
}

/// The part of a fragment a task executes, whose partitions are the stage's tasks: for a
/// shuffle stage, the repartition's input.
pub fn task_plan(fragment: &Arc<dyn ExecutionPlan>) -> &Arc<dyn ExecutionPlan> {
    match fragment.downcast_ref::<RepartitionExec>() {
        Some(repartition) => repartition.input(),
        None => fragment,
    }
}

/// Cuts `plan` into stages, children before parents; the last is the result stage.
pub fn cut(plan: &Arc<dyn ExecutionPlan>) -> Result<Vec<CutStage>> {
    let mut cutter = Cutter {
        stages: Vec::new(),
        plan_index: physical_nodes(plan)
            .iter()
            .enumerate()
            .map(|(i, (_, node))| (address(node), i))
            .collect(),
        origins: HashMap::new(),
    };
    cutter.build_stage(plan, StageOutput::Result)?;
    Ok(cutter.stages)
}

pub fn graph(stages: &[CutStage]) -> StageGraph {
    StageGraph {
        stages: stages.iter().map(|s| s.summary.clone()).collect(),
    }
}

/// Identifies a node while the plan is cut (every node stays alive until it ends).
fn address(node: &Arc<dyn ExecutionPlan>) -> usize {
    Arc::as_ptr(node) as *const () as usize
}

struct Cutter {
    stages: Vec<CutStage>,
    /// Each node of the whole plan by address, to its index in the physical plan tree.
    plan_index: HashMap<usize, usize>,
    /// Each node of a fragment by address, to the plan node it came from.
    origins: HashMap<usize, usize>,
}

impl Cutter {
    /// Builds the stage whose top operator is `top`, after the stages it reads from, and
    /// returns its id.
    fn build_stage(&mut self, top: &Arc<dyn ExecutionPlan>, output: StageOutput) -> Result<usize> {
        let mut inputs = Vec::new();
        let fragment = match top.downcast_ref::<RepartitionExec>() {
            // The map side of a shuffle: the repartition stays on top of the fragment.
            Some(repartition) if matches!(output, StageOutput::Shuffle { .. }) => {
                let input = self.chain(repartition.input(), &mut inputs)?;
                replace_children_if_necessary(Arc::clone(top), vec![input])?
            }
            _ => self.chain(top, &mut inputs)?,
        };
        let id = self.stages.len();
        let tasks = task_plan(&fragment).output_partitioning().partition_count();
        let operators = self.operators(task_plan(&fragment));
        self.stages.push(CutStage {
            summary: StageSummary {
                id,
                tasks,
                operators,
                inputs,
                output,
                input_bytes: 0,
                answered_in_planning: false,
            },
            fragment,
        });
        Ok(id)
    }

    /// The operators a task runs, in the order its metrics are reported.
    fn operators(&self, plan: &Arc<dyn ExecutionPlan>) -> Vec<StageOperator> {
        physical_nodes(plan)
            .into_iter()
            .map(|(depth, node)| {
                let name = match node.downcast_ref::<StageInputExec>().map(|i| i.kind()) {
                    Some(InputKind::Shuffle) => "ShuffleRead",
                    Some(InputKind::Gather | InputKind::Merge) => "GatherRead",
                    Some(InputKind::Broadcast) => "BroadcastRead",
                    None => node.name(),
                };
                StageOperator {
                    depth,
                    name: name.to_string(),
                    node: self.origins.get(&address(&node)).copied(),
                }
            })
            .collect()
    }

    /// Records that fragment node `new` runs plan node `old`.
    fn derive(&mut self, new: &Arc<dyn ExecutionPlan>, old: &Arc<dyn ExecutionPlan>) {
        if let Some(&index) = self.plan_index.get(&address(old)) {
            self.origins.insert(address(new), index);
        }
    }

    /// Walks the narrow chain below `node`, cutting child stages off at exchanges, and
    /// returns the chain with the cuts replaced by stage-input leaves.
    fn chain(
        &mut self,
        node: &Arc<dyn ExecutionPlan>,
        inputs: &mut Vec<usize>,
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
            let stage = self.build_stage(node, output)?;
            inputs.push(stage);
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
            let stage = self.build_stage(coalesce.input(), StageOutput::Gather)?;
            inputs.push(stage);
            let read: Arc<dyn ExecutionPlan> = Arc::new(StageInputExec::new(
                stage,
                InputKind::Merge,
                self.stages[stage].summary.tasks,
                node.as_ref(),
            ));
            let top = match coalesce.fetch() {
                Some(fetch) => Arc::new(GlobalLimitExec::new(read, 0, Some(fetch))),
                None => read,
            };
            self.derive(&top, node);
            return Ok(top);
        }
        let gathers = node.is::<SortPreservingMergeExec>();
        let broadcast_left = node
            .downcast_ref::<HashJoinExec>()
            .is_some_and(|join| *join.partition_mode() == PartitionMode::CollectLeft);
        let children = node.children();
        if children.is_empty() {
            self.derive(node, node);
            return Ok(Arc::clone(node));
        }
        let mut new_children = Vec::with_capacity(children.len());
        for (i, child) in children.into_iter().enumerate() {
            let partitions = child.output_partitioning().partition_count();
            let replaced = if gathers && partitions > 1 {
                let stage = self.build_stage(child, StageOutput::Gather)?;
                inputs.push(stage);
                Arc::new(StageInputExec::new(
                    stage,
                    InputKind::Gather,
                    self.stages[stage].summary.tasks,
                    child.as_ref(),
                )) as Arc<dyn ExecutionPlan>
            } else if broadcast_left && i == 0 {
                // A coalesce under the build side only merges what the broadcast merges
                // anyway: the broadcast stage starts below it, one task per partition.
                // Not one with a fetch: that limit is over all partitions, and each
                // task would apply it to its own.
                let source = match child.downcast_ref::<CoalescePartitionsExec>() {
                    Some(coalesce) if coalesce.fetch().is_none() => coalesce.input(),
                    _ => child,
                };
                let stage = self.build_stage(source, StageOutput::Broadcast)?;
                inputs.push(stage);
                Arc::new(StageInputExec::new(
                    stage,
                    InputKind::Broadcast,
                    1,
                    child.as_ref(),
                )) as Arc<dyn ExecutionPlan>
            } else {
                self.chain(child, inputs)?
            };
            new_children.push(replaced);
        }
        let new = replace_children_if_necessary(Arc::clone(node), new_children)?;
        self.derive(&new, node);
        Ok(new)
    }
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
        let tasks = if stage.answered_in_planning {
            "answered while planning, no task".into()
        } else if stage.tasks == 1 {
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
