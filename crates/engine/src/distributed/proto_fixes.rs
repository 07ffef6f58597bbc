//! Plans rewritten before datafusion-proto serializes them, where a round trip would
//! not give back the same plan.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::memory::LazyMemoryExec;
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};

/// `generate_series` with a projection pushed into it (`count(*)` projects no column)
/// is serialized with the projected schema but without the projection, so the decoded
/// generator makes a column its schema does not have (DataFusion 55). The projection is
/// taken out of the generator into a `ProjectionExec`, which round-trips.
pub fn unproject_generators(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        let Some(exec) = node.downcast_ref::<LazyMemoryExec>() else {
            return Ok(Transformed::no(node));
        };
        let [generator] = exec.generators().as_slice() else {
            return Ok(Transformed::no(node));
        };
        // The generator's own schema, from a fresh copy's first batch (the copy is
        // dropped; the plan's generator is untouched).
        let probe = generator.read().reset_state();
        let Some(batch) = probe.write().generate_next_batch()? else {
            return Ok(Transformed::no(node));
        };
        let full = batch.schema();
        let projected = exec.schema();
        if full.fields() == projected.fields() {
            return Ok(Transformed::no(node));
        }
        let columns = projected
            .fields()
            .iter()
            .map(|f| {
                let index = full.index_of(f.name())?;
                Ok(ProjectionExpr::new(
                    Arc::new(Column::new(f.name(), index)),
                    f.name().clone(),
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let unprojected = Arc::new(LazyMemoryExec::try_new(full, exec.generators().clone())?);
        let projection = ProjectionExec::try_new(columns, unprojected)?;
        Ok(Transformed::yes(
            Arc::new(projection) as Arc<dyn ExecutionPlan>
        ))
    })
    .map(|t| t.data)
}
