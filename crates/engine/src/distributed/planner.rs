//! From a physical plan to a [`JobPlan`]: the plan cut into stages, each stage's tasks with the input partitions they read, and each fragment
//! serialized with datafusion-proto for the workers.

use std::sync::Arc;

use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use datafusion_proto::bytes::physical_plan_to_bytes_with_extension_codec;
use kiln_protocol::{InputRead, JobId, JobPlan, StagePlan, TaskSpec};

use crate::error::EngineError;

use super::exchange::{InputKind, KilnCodec, StageInputExec};
use super::ipc;
use super::splits::SplitNames;
use super::stages::{self, CutStage};

/// Cuts and serializes `plan` (its scans already split, see [`super::splits`]) into the
/// job `job_id`.
pub fn plan_job(
    job_id: JobId,
    sql: &str,
    plan: Arc<dyn ExecutionPlan>,
    split_names: &SplitNames,
) -> Result<JobPlan, EngineError> {
    let result_schema = ipc::schema_to_bytes(&plan.schema())?;
    let cut = stages::cut(&plan)?;
    let graph = stages::graph(&cut);
    let stages = cut
        .iter()
        .map(|stage| stage_plan(stage, split_names))
        .collect::<datafusion::error::Result<Vec<_>>>()?;
    Ok(JobPlan {
        job_id,
        sql: sql.to_string(),
        graph,
        stages,
        result_schema,
    })
}

fn stage_plan(stage: &CutStage, split_names: &SplitNames) -> Result<StagePlan> {
    let fragment =
        physical_plan_to_bytes_with_extension_codec(Arc::clone(&stage.fragment), &KilnCodec)?
            .to_vec();
    let task_plan = stage.task_plan();
    let tasks = (0..task_plan.output_partitioning().partition_count())
        .map(|partition| {
            let mut reads = Vec::new();
            let mut files = Vec::new();
            walk_partition(task_plan, partition, &mut |node, p| {
                if let Some(input) = node.downcast_ref::<StageInputExec>() {
                    match input.kind() {
                        InputKind::Shuffle => reads.push(InputRead {
                            stage: input.stage(),
                            partition: p,
                        }),
                        InputKind::Gather | InputKind::Merge | InputKind::Broadcast => reads
                            .extend((0..input.partitions()).map(|partition| InputRead {
                                stage: input.stage(),
                                partition,
                            })),
                    }
                } else if let Some(config) = node
                    .downcast_ref::<DataSourceExec>()
                    .and_then(|s| s.data_source().downcast_ref::<FileScanConfig>())
                    && let Some(group) = config.file_groups.get(p)
                {
                    for file in group.iter() {
                        let key = (
                            file.object_meta.location.to_string(),
                            file.range.as_ref().map_or(0, |r| r.start),
                        );
                        files.push(split_names.get(&key).cloned().unwrap_or_else(|| {
                            file.object_meta
                                .location
                                .filename()
                                .unwrap_or_default()
                                .to_string()
                        }));
                    }
                }
            });
            TaskSpec {
                partition,
                split: (!files.is_empty()).then(|| files.join(", ")),
                reads,
            }
        })
        .collect();
    Ok(StagePlan {
        id: stage.summary.id,
        fragment,
        tasks,
        inputs: stage.summary.inputs.clone(),
        output: stage.summary.output.clone(),
    })
}

/// Visits every node that computing partition `partition` of `node` executes, with the
/// partition of that node it executes. Operators inside a stage map partitions one to
/// one, except unions (which concatenate their inputs' partitions) and single-partition
/// children (the build side of a collect-left join, read whole by every partition).
fn walk_partition(
    node: &Arc<dyn ExecutionPlan>,
    partition: usize,
    visit: &mut dyn FnMut(&Arc<dyn ExecutionPlan>, usize),
) {
    visit(node, partition);
    if node.is::<UnionExec>() {
        let mut rest = partition;
        for child in node.children() {
            let count = child.output_partitioning().partition_count();
            if rest < count {
                walk_partition(child, rest, visit);
                return;
            }
            rest -= count;
        }
        return;
    }
    for child in node.children() {
        let count = child.output_partitioning().partition_count();
        let p = if count <= 1 {
            0
        } else {
            partition.min(count - 1)
        };
        walk_partition(child, p, visit);
    }
}
