//! Under a memory budget, a hash join's build side is the one thing a task holds that
//! cannot spill. [`SpillableJoins`] replans each partitioned hash join whose build side,
//! shared out over the partitions, is not known to fit well within a worker's budget,
//! as a sort-merge join of the same shuffled sides: it sorts both (which spills) and
//! streams them. Joins whose build side is known to be small stay hash joins, which
//! are faster; so does every join of a job without a budget.

use std::sync::Arc;

use datafusion::arrow::compute::SortOptions;
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{LexOrdering, PhysicalSortExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode, SortMergeJoinExec};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, PhysicalExpr};

/// A partition's share of the build side may take this part of the budget; the rest is
/// for the probe side's batches and the other operators of the task.
const BUILD_SHARE_OF_BUDGET: u64 = 4;

#[derive(Debug)]
pub struct SpillableJoins {
    pub budget: u64,
}

impl PhysicalOptimizerRule for SpillableJoins {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let Some(join) = node.downcast_ref::<HashJoinExec>() else {
                return Ok(Transformed::no(node));
            };
            if *join.partition_mode() != PartitionMode::Partitioned
                || join.null_aware
                || self.fits(join.left())
            {
                return Ok(Transformed::no(node));
            }
            Ok(match sort_merge(join)? {
                Some(replanned) => Transformed::yes(replanned),
                // A join type the sort-merge join does not have: left as it is, and it
                // fails with its operator named if it outgrows the budget.
                None => Transformed::no(node),
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "kiln_spillable_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

impl SpillableJoins {
    /// Whether `build`, over its partitions, is known to take at most its share of the
    /// budget per partition. Unknown sizes do not fit: a wrong guess would fail the
    /// job, where a sort-merge join is only slower.
    fn fits(&self, build: &Arc<dyn ExecutionPlan>) -> bool {
        let Ok(stats) = StatisticsContext::new().compute(build.as_ref(), &StatisticsArgs::new())
        else {
            return false;
        };
        let bytes = match stats.total_byte_size {
            Precision::Exact(b) | Precision::Inexact(b) => b as u64,
            Precision::Absent => return false,
        };
        let partitions = build.output_partitioning().partition_count().max(1) as u64;
        bytes / partitions <= self.budget / BUILD_SHARE_OF_BUDGET
    }
}

/// `join` as a sort-merge join of its inputs, each sorted on its keys within its
/// partitions; the hash join's own projection, if any, on top.
fn sort_merge(join: &HashJoinExec) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let sorted = |input: &Arc<dyn ExecutionPlan>, keys: Vec<Arc<dyn PhysicalExpr>>| {
        let ordering = LexOrdering::new(
            keys.into_iter()
                .map(|key| PhysicalSortExpr::new(key, SortOptions::default())),
        );
        ordering.map(|ordering| -> Arc<dyn ExecutionPlan> {
            Arc::new(SortExec::new(ordering, Arc::clone(input)).with_preserve_partitioning(true))
        })
    };
    let on = join.on().to_vec();
    let (Some(left), Some(right)) = (
        sorted(join.left(), on.iter().map(|(l, _)| Arc::clone(l)).collect()),
        sorted(
            join.right(),
            on.iter().map(|(_, r)| Arc::clone(r)).collect(),
        ),
    ) else {
        return Ok(None);
    };
    let Ok(smj) = SortMergeJoinExec::try_new(
        left,
        right,
        on.clone(),
        join.filter().cloned(),
        *join.join_type(),
        vec![SortOptions::default(); on.len()],
        join.null_equality(),
    ) else {
        return Ok(None);
    };
    let smj: Arc<dyn ExecutionPlan> = Arc::new(smj);
    let Some(projection) = &join.projection else {
        return Ok(Some(smj));
    };
    let schema = smj.schema();
    let exprs = projection
        .iter()
        .map(|&i| {
            let name = schema.field(i).name().clone();
            (
                Arc::new(Column::new(&name, i)) as Arc<dyn PhysicalExpr>,
                name,
            )
        })
        .collect::<Vec<_>>();
    Ok(Some(Arc::new(ProjectionExec::try_new(exprs, smj)?)))
}
