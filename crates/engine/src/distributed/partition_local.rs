//! A job runs each partition of a stage as its own task, in its own worker. DataFusion's
//! operators may assume that all partitions of one operator run in one process and see
//! each other: a collect-left join's build side is shared by every probe partition, and
//! the last probe partition to finish emits the build rows that none matched (a counter
//! in memory); a null-aware anti join shares "the probe side had a NULL" the same way.
//! Cut into tasks, no task ever is the last one, and those rows are silently lost.
//!
//! This module keeps a job's answer equal to the single-process answer:
//! - [`PartitionLocalJoins`], the last rule of a job's physical optimizer, replans every
//!   join whose output is not complete per probe partition: a partitioned hash join
//!   (both sides shuffled on the keys) where that is equivalent, and a probe side
//!   gathered into one task where nothing else is (a null-aware anti join, a nested-loop
//!   join that keeps unmatched build rows).
//! - [`check`] is the audit run on every plan before it is cut: each operator must be one
//!   Kiln knows to be partition-local (or an exchange, which becomes a stage boundary),
//!   and every join must be planned as above. A plan it cannot vouch for fails loudly,
//!   naming the operator; it never runs to a wrong answer.

use std::sync::Arc;

use datafusion::common::JoinType;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::joins::{HashJoinExec, NestedLoopJoinExec, PartitionMode};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::{
    ExecutionPlan, ExecutionPlanProperties, Partitioning, replace_children_if_necessary,
};

/// Whether a join whose build (left) side is shared by all probe partitions emits rows
/// only once every probe partition has finished: the build rows that matched (semi,
/// mark) or that did not (left, anti, full). Written as a full match so that a join type
/// DataFusion adds later must be decided here before it compiles.
pub fn emits_build_side_at_end(join_type: JoinType) -> bool {
    match join_type {
        JoinType::Left
        | JoinType::Full
        | JoinType::LeftSemi
        | JoinType::LeftAnti
        | JoinType::LeftMark => true,
        JoinType::Inner
        | JoinType::Right
        | JoinType::RightSemi
        | JoinType::RightAnti
        | JoinType::RightMark => false,
    }
}

/// The physical optimizer rule that makes every join's output complete per partition
/// (see the module's documentation). It runs after DataFusion's own rules, so nothing
/// undoes it, and before the sanity check, which then checks what it built.
#[derive(Debug, Default)]
pub struct PartitionLocalJoins;

impl PhysicalOptimizerRule for PartitionLocalJoins {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let partitions = config.execution.target_partitions.max(1);
        plan.transform_up(|node| {
            if let Some(join) = node.downcast_ref::<HashJoinExec>()
                && let Some(replanned) = replan_hash_join(join, partitions)?
            {
                return Ok(Transformed::yes(replanned));
            }
            if let Some(join) = node.downcast_ref::<NestedLoopJoinExec>()
                && emits_build_side_at_end(*join.join_type())
                && partition_count(join.right()) > 1
            {
                // No partitioned form exists for a join without equal keys: the
                // probe side is gathered, so one task sees every probe row.
                let children = vec![Arc::clone(join.left()), gather(join.right())];
                return Ok(Transformed::yes(replace_children_if_necessary(
                    Arc::clone(&node),
                    children,
                )?));
            }
            Ok(Transformed::no(node))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "kiln_partition_local_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The join planned so that each partition's output is complete, or `None` when it
/// already is.
fn replan_hash_join(
    join: &HashJoinExec,
    partitions: usize,
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let probe_partitions = partition_count(join.right());
    if join.null_aware {
        // `NOT IN`: whether the probe side is empty or holds a NULL decides every
        // output row, so one task must see the whole probe side.
        if *join.partition_mode() == PartitionMode::CollectLeft && probe_partitions <= 1 {
            return Ok(None);
        }
        let rebuilt = join
            .builder()
            .with_partition_mode(PartitionMode::CollectLeft)
            .with_new_children(vec![gather(join.left()), gather(join.right())])?
            .build_exec()?;
        return Ok(Some(rebuilt));
    }
    if *join.partition_mode() != PartitionMode::CollectLeft
        || !emits_build_side_at_end(*join.join_type())
        || probe_partitions <= 1
    {
        return Ok(None);
    }
    // Each side shuffled on its keys: build rows of partition p meet every probe row
    // that could match them in partition p, so each task's output is complete.
    let (left_keys, right_keys): (Vec<_>, Vec<_>) = join
        .on()
        .iter()
        .map(|(l, r)| (Arc::clone(l), Arc::clone(r)))
        .unzip();
    let left = hash_partitioned(join.left(), left_keys, partitions)?;
    let right = hash_partitioned(join.right(), right_keys, partitions)?;
    let rebuilt = join
        .builder()
        .with_partition_mode(PartitionMode::Partitioned)
        .with_new_children(vec![left, right])?
        .build_exec()?;
    Ok(Some(rebuilt))
}

fn partition_count(plan: &Arc<dyn ExecutionPlan>) -> usize {
    plan.output_partitioning().partition_count()
}

/// `plan` in one partition: a coalesce over it, unless it is one already.
fn gather(plan: &Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
    if partition_count(plan) <= 1 {
        Arc::clone(plan)
    } else {
        Arc::new(CoalescePartitionsExec::new(Arc::clone(plan)))
    }
}

/// `plan` hash partitioned on `keys` into `partitions`: a coalesce or repartition on top
/// of it is replaced rather than stacked (each would only be another stage).
fn hash_partitioned(
    plan: &Arc<dyn ExecutionPlan>,
    keys: Vec<Arc<dyn datafusion::physical_expr::PhysicalExpr>>,
    partitions: usize,
) -> Result<Arc<dyn ExecutionPlan>> {
    let source = if let Some(coalesce) = plan.downcast_ref::<CoalescePartitionsExec>()
        && coalesce.fetch().is_none()
    {
        Arc::clone(coalesce.input())
    } else if let Some(repartition) = plan.downcast_ref::<RepartitionExec>()
        && !repartition.preserve_order()
    {
        Arc::clone(repartition.input())
    } else {
        Arc::clone(plan)
    };
    Ok(Arc::new(RepartitionExec::try_new(
        source,
        Partitioning::Hash(keys, partitions),
    )?))
}

/// Whether partition p of `node` depends only on partition p of each input (or on a
/// single-partition input read whole), once the exchanges below it are cut into
/// stages. Exchanges themselves (repartition, coalesce, sort-preserving merge) count:
/// the cutter turns each into a stage boundary. A sort with a fetch (TopK) shares a
/// dynamic filter among its partitions in one process; in a task it sees only its own
/// partition's bound, which prunes less but never wrongly (every partition's k-th
/// row bounds the global k-th).
fn is_partition_local(node: &Arc<dyn ExecutionPlan>) -> bool {
    use datafusion::physical_plan::aggregates::AggregateExec;
    use datafusion::physical_plan::coop::CooperativeExec;
    use datafusion::physical_plan::empty::EmptyExec;
    use datafusion::physical_plan::filter::FilterExec;
    use datafusion::physical_plan::joins::{CrossJoinExec, SortMergeJoinExec};
    use datafusion::physical_plan::limit::{GlobalLimitExec, LocalLimitExec};
    use datafusion::physical_plan::memory::LazyMemoryExec;
    use datafusion::physical_plan::placeholder_row::PlaceholderRowExec;
    use datafusion::physical_plan::projection::ProjectionExec;
    use datafusion::physical_plan::sorts::partial_sort::PartialSortExec;
    use datafusion::physical_plan::sorts::sort::SortExec;
    use datafusion::physical_plan::union::InterleaveExec;
    use datafusion::physical_plan::unnest::UnnestExec;
    use datafusion::physical_plan::windows::{BoundedWindowAggExec, WindowAggExec};
    node.is::<datafusion::datasource::source::DataSourceExec>()
        || node.is::<ProjectionExec>()
        || node.is::<FilterExec>()
        || node.is::<CooperativeExec>()
        || node.is::<AggregateExec>()
        || node.is::<SortExec>()
        || node.is::<PartialSortExec>()
        || node.is::<GlobalLimitExec>()
        || node.is::<LocalLimitExec>()
        || node.is::<UnionExec>()
        || node.is::<InterleaveExec>()
        || node.is::<HashJoinExec>()
        || node.is::<NestedLoopJoinExec>()
        || node.is::<CrossJoinExec>()
        || node.is::<SortMergeJoinExec>()
        || node.is::<BoundedWindowAggExec>()
        || node.is::<WindowAggExec>()
        || node.is::<EmptyExec>()
        || node.is::<PlaceholderRowExec>()
        || node.is::<LazyMemoryExec>()
        || node.is::<UnnestExec>()
        || node.is::<datafusion::physical_plan::explain::ExplainExec>()
        || is_exchange(node)
}

/// Refuses a plan whose answer as a job could differ from its answer in one process.
/// Run on the optimized physical plan, before it is cut into stages.
/// The error says which operator and why.
pub fn check(plan: &Arc<dyn ExecutionPlan>) -> std::result::Result<(), String> {
    let mut problem = None;
    // The closure never fails, so neither does the walk.
    let _ = plan.apply(|node| {
        problem = check_node(node);
        Ok::<_, DataFusionError>(if problem.is_some() {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    match problem {
        None => Ok(()),
        Some(why) => Err(format!("this query cannot run as a job yet: {why}")),
    }
}

fn check_node(node: &Arc<dyn ExecutionPlan>) -> Option<String> {
    let name = node.name();
    if !is_partition_local(node) {
        return Some(format!(
            "its plan holds {name}, which Kiln has not verified to give the same answer when \
             its partitions run as separate tasks"
        ));
    }
    if let Some(join) = node.downcast_ref::<HashJoinExec>() {
        let probe = partition_count(join.right());
        if join.null_aware && probe > 1 {
            return Some(format!(
                "a null-aware anti join (NOT IN) over {probe} probe partitions needs all of \
                 them in one task"
            ));
        }
        if *join.partition_mode() == PartitionMode::CollectLeft
            && emits_build_side_at_end(*join.join_type())
            && probe > 1
        {
            return Some(format!(
                "a {} hash join with a broadcast build side emits unmatched rows only after \
                 all {probe} probe tasks",
                join.join_type()
            ));
        }
    }
    if let Some(join) = node.downcast_ref::<NestedLoopJoinExec>()
        && emits_build_side_at_end(*join.join_type())
        && partition_count(join.right()) > 1
    {
        return Some(format!(
            "a {} nested-loop join emits unmatched rows only after all probe tasks",
            join.join_type()
        ));
    }
    if let Some(repartition) = node.downcast_ref::<RepartitionExec>()
        && repartition.preserve_order()
    {
        return Some(
            "an order-preserving repartition: a shuffle read concatenates its blocks and \
             would lose the order"
                .into(),
        );
    }
    // Inside a stage, partition p of an operator reads partition p of each input, or
    // the whole of a one-partition input; unions concatenate. Any other shape would
    // need the tasks to see each other's partitions.
    if !node.is::<UnionExec>() && !is_exchange(node) {
        let own = partition_count(node);
        for child in node.children() {
            let count = partition_count(child);
            if count != own && count != 1 {
                return Some(format!(
                    "{name} has {own} partitions over an input of {count}, which no task \
                     can compute on its own"
                ));
            }
        }
    }
    None
}

fn is_exchange(node: &Arc<dyn ExecutionPlan>) -> bool {
    node.is::<RepartitionExec>()
        || node.is::<CoalescePartitionsExec>()
        || node
            .is::<datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec>(
            )
}
