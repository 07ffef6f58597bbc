//! From a physical plan to a [`JobPlan`]: the plan cut into stages, each stage's tasks with the input partitions they read, and each fragment
//! serialized with datafusion-proto for the workers.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder};
use datafusion::datasource::source::DataSourceExec;

use datafusion::error::Result;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::LogicalPlan;
use datafusion::optimizer::OptimizerRule;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use datafusion_proto::bytes::physical_plan_to_bytes_with_extension_codec;
use kiln_protocol::{InputRead, JobId, JobOptions, JobPlan, JobPlans, StagePlan, TaskSpec};

use crate::error::EngineError;
use crate::source_store::SourceStore;

use super::exchange::{InputKind, KilnCodec, StageInputExec};
use super::ipc;
use super::partition_local::{self, PartitionLocalJoins};
use super::plans::{logical_tree, physical_tree};
use super::scalar_subquery::SingleRowSubqueries;
use super::spillable_joins::SpillableJoins;
use super::splits::{SplitNames, SplitScans, file_scan};
use super::stages::{self, CutStage, task_plan};

/// The session a job is planned in, and the rule that splits its scans (which keeps the
/// names of the splits it made). DataFusion plans for `options.partitions` tasks per
/// shuffle; each other setting is there because a task runs one partition of a stage,
/// in a worker without threads.
pub fn job_session(
    mut state: SessionState,
    options: &JobOptions,
    store: Arc<SourceStore>,
) -> (SessionState, Arc<SplitScans>) {
    let config = state.config_mut().options_mut();
    config.execution.target_partitions = options.partitions.max(1);
    // Kiln splits scans itself, by row groups, and every exchange is a stage boundary:
    // round-robin repartitions would only add stages that move data.
    config.optimizer.repartition_file_scans = false;
    config.optimizer.enable_round_robin_repartition = false;
    // A join's dynamic filter waits for the build side of every partition; a task runs
    // one partition, so it would wait forever.
    config.optimizer.enable_join_dynamic_filter_pushdown = false;
    // A physical scalar subquery hands its value to the expressions that use it in
    // memory, across what would become separate stages; as a join it is a stage like
    // any other.
    // (A scalar subquery that returns more than one row still fails, as it does in one
    // process: see `scalar_subquery`.)
    config
        .optimizer
        .enable_physical_uncorrelated_scalar_subquery = false;
    // Experimental, and it shares its buffered side's matches across partitions as a
    // collect-left join does; Kiln's audit would refuse it.
    config.optimizer.enable_piecewise_merge_join = false;
    // Scans are split first, so that every later rule plans for the real partitions;
    // joins are made partition-local last, so that no other rule undoes it, but before
    // DataFusion's sanity check, which then checks what it built.
    let splits = Arc::new(SplitScans::new(store, options.split_bytes));
    let mut rules: Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> = vec![splits.clone()];
    let defaults = state.physical_optimizers();
    let sanity = defaults
        .iter()
        .position(|rule| rule.name() == "SanityCheckPlan")
        .unwrap_or(defaults.len());
    rules.extend(defaults[..sanity].iter().cloned());
    // Under a memory budget, joins whose build side may not fit become sort-merge joins
    // (see `spillable_joins`), once DataFusion has chosen each join's mode and sides.
    if let Some(budget) = options.memory_per_worker {
        rules.push(Arc::new(SpillableJoins { budget }));
    }
    rules.push(Arc::new(PartitionLocalJoins));
    rules.extend(defaults[sanity..].iter().cloned());
    let mut logical: Vec<Arc<dyn OptimizerRule + Send + Sync>> =
        vec![Arc::new(SingleRowSubqueries)];
    logical.extend(state.optimizers().iter().cloned());
    let state = SessionStateBuilder::new_from_existing(state)
        .with_optimizer_rules(logical)
        .with_physical_optimizer_rules(rules)
        .build();
    (state, splits)
}

/// Cuts and serializes `plan` (its scans already split, see [`super::splits`]) into the
/// job `job_id`.
/// `logical` is the plan as written and `optimized` as DataFusion's optimizer left it;
/// the job carries both for the views. `answer` is the result when the planner computed
/// it ([`super::planned_answer`]): the plan's one stage then has no task.
pub fn plan_job(
    job_id: JobId,
    sql: &str,
    logical: &LogicalPlan,
    optimized: &LogicalPlan,
    plan: Arc<dyn ExecutionPlan>,
    split_names: &SplitNames,
    answer: Option<Vec<u8>>,
) -> Result<JobPlan, EngineError> {
    let result_schema = ipc::schema_to_bytes(&plan.schema())?;
    partition_local::check(&plan).map_err(EngineError::Unsupported)?;
    let cut = stages::cut(&plan)?;
    let mut graph = stages::graph(&cut);
    let answer = answer.filter(|_| cut.len() == 1);
    let stages = match &answer {
        Some(_) => cut.iter().map(answered_stage).collect(),
        None => cut
            .iter()
            .map(|stage| stage_plan(stage, split_names))
            .collect::<datafusion::error::Result<Vec<_>>>()?,
    };
    for (summary, stage) in graph.stages.iter_mut().zip(&stages) {
        summary.input_bytes = stage.tasks.iter().map(|t| t.input_bytes).sum();
        if answer.is_some() {
            summary.tasks = 0;
            summary.answered_in_planning = true;
        }
    }
    Ok(JobPlan {
        job_id,
        sql: sql.to_string(),
        graph,
        plans: JobPlans {
            logical: logical_tree(logical),
            optimized: logical_tree(optimized),
            physical: physical_tree(&plan),
        },
        stages,
        result_schema,
        answer,
        memory_per_worker: None,
    })
}

/// A stage the planner answered: nothing for a worker to run or decode.
fn answered_stage(stage: &CutStage) -> StagePlan {
    StagePlan {
        id: stage.summary.id,
        fragment: Vec::new(),
        tasks: Vec::new(),
        inputs: stage.summary.inputs.clone(),
        output: stage.summary.output.clone(),
    }
}

fn stage_plan(stage: &CutStage, split_names: &SplitNames) -> Result<StagePlan> {
    let fragment = super::proto_fixes::unproject_generators(Arc::clone(&stage.fragment))?;
    let task_plan = task_plan(&fragment);
    let tasks = (0..task_plan.output_partitioning().partition_count())
        .map(|partition| {
            let mut reads = Vec::new();
            let mut files = Vec::new();
            let mut input_bytes = 0;
            // Which file group of each scan this partition reads, by the scan's node.
            let mut scan_groups = HashMap::new();
            walk_partition(task_plan, partition, &mut |node, p| {
                if file_scan(node).is_some() {
                    scan_groups.insert(node_address(node), p);
                }
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
                } else if let Some(config) = file_scan(node)
                    && let Some(group) = config.file_groups.get(p)
                {
                    for file in group.iter() {
                        input_bytes += file
                            .range
                            .as_ref()
                            .map_or(file.object_meta.size, |r| (r.end - r.start) as u64);
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
            let own = match own_files_fragment(&fragment, &scan_groups)? {
                Some(plan) => {
                    Some(physical_plan_to_bytes_with_extension_codec(plan, &KilnCodec)?.to_vec())
                }
                None => None,
            };
            Ok(TaskSpec {
                partition,
                split: (!files.is_empty()).then(|| files.join(", ")),
                input_bytes,
                reads,
                fragment: own,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // When every task has its own fragment, the stage's is never sent.
    let fragment = if tasks.iter().all(|t| t.fragment.is_some()) {
        Vec::new()
    } else {
        physical_plan_to_bytes_with_extension_codec(fragment, &KilnCodec)?.to_vec()
    };
    Ok(StagePlan {
        id: stage.summary.id,
        fragment,
        tasks,
        inputs: stage.summary.inputs.clone(),
        output: stage.summary.output.clone(),
    })
}

/// A plan node's identity within one plan tree.
fn node_address(node: &Arc<dyn ExecutionPlan>) -> usize {
    Arc::as_ptr(node) as *const () as usize
}

/// The stage's plan for one task, when the stage scans files in more than one group:
/// each scan keeps only the group the task reads (`read`, by [`node_address`]), the
/// other groups left empty (so partition numbers stay). A task of a scan over 10,000
/// files then decodes its own few dozen, not all of them. `None`: the stage's plan
/// serves every task.
fn own_files_fragment(
    fragment: &Arc<dyn ExecutionPlan>,
    read: &HashMap<usize, usize>,
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let mut trimmed = false;
    let plan = Arc::clone(fragment)
        .transform_up(|node| {
            let Some(config) = file_scan(&node).filter(|c| c.file_groups.len() > 1) else {
                return Ok(Transformed::no(node));
            };
            let kept = read.get(&node_address(&node)).copied();
            let groups = config
                .file_groups
                .iter()
                .enumerate()
                .map(|(i, group)| {
                    if Some(i) == kept {
                        group.clone()
                    } else {
                        FileGroup::new(Vec::new())
                    }
                })
                .collect();
            trimmed = true;
            let config = FileScanConfigBuilder::from(config.clone())
                .with_file_groups(groups)
                .build();
            Ok(Transformed::yes(
                DataSourceExec::from_data_source(config) as Arc<dyn ExecutionPlan>
            ))
        })?
        .data;
    Ok(trimmed.then_some(plan))
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
