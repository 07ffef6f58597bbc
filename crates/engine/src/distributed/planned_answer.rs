//! Jobs the planner answers itself. A plan that reads no file and no other stage (an
//! answer from the files' statistics, such as `count(*)` of a Parquet file, or
//! constants) has nothing for a worker to do but what the planner can do as cheaply:
//! shipping it as a task would cost a round trip through the page and a worker's
//! decoding of the fragment, several times the work itself. DuckDB answers such queries
//! from metadata too, and Spark's driver runs a local relation without tasks.

use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::placeholder_row::PlaceholderRowExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use futures::StreamExt;

use super::ipc::BlockWriter;
use super::stages;

/// Whether every leaf of `plan` makes its rows without reading anything.
fn reads_nothing(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let children = plan.children();
    if children.is_empty() {
        return plan.is::<PlaceholderRowExec>() || plan.is::<EmptyExec>();
    }
    children.into_iter().all(reads_nothing)
}

/// The result of `plan` as one block (partitions in order, as the result stage's tasks
/// would give them), when it reads nothing and is one stage; `None` otherwise.
///
/// One stage means no exchange, so nothing in it spawns a thread, which a planning
/// worker does not have. A plan that fails here is left to its task (`None`), which
/// fails the same way with the context a task's error has.
pub async fn answer(plan: &Arc<dyn ExecutionPlan>, ctx: Arc<TaskContext>) -> Option<Vec<u8>> {
    if !reads_nothing(plan) || stages::cut(plan).ok()?.len() != 1 {
        return None;
    }
    let mut block = BlockWriter::new(plan.schema(), ctx.session_config().batch_size());
    for partition in 0..plan.output_partitioning().partition_count() {
        let mut stream = plan.execute(partition, Arc::clone(&ctx)).ok()?;
        while let Some(batch) = stream.next().await {
            block.write(&batch.ok()?).ok()?;
        }
    }
    block.finish(true).ok()
}
