//! Stopping a running task promptly. An operator may pull its whole input before it
//! yields anything (a hash aggregate), or yield millions of rows per input batch (a join
//! with many matches), so no single place sees batches often; the check sits on the
//! output of every operator of the task instead.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties,
    ReplaceChildrenOptions,
};
use futures::StreamExt;

/// The message a stopped task fails with.
pub const STOPPED: &str = "the task was stopped";

/// Puts a stop check above every operator of `plan`.
pub fn interruptible(
    plan: Arc<dyn ExecutionPlan>,
    stop: Arc<AtomicBool>,
) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        let checked: Arc<dyn ExecutionPlan> = Arc::new(StopCheckExec {
            input: node,
            stop: stop.clone(),
        });
        Ok(Transformed::yes(checked))
    })
    .map(|t| t.data)
}

/// Passes its input through, failing as soon as `stop` is set.
#[derive(Debug)]
pub struct StopCheckExec {
    input: Arc<dyn ExecutionPlan>,
    stop: Arc<AtomicBool>,
}

impl StopCheckExec {
    pub fn input(&self) -> &Arc<dyn ExecutionPlan> {
        &self.input
    }
}

impl DisplayAs for StopCheckExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "StopCheck")
    }
}

impl ExecutionPlan for StopCheckExec {
    fn name(&self) -> &str {
        "StopCheck"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match children.pop() {
            Some(input) if children.is_empty() => Ok(Arc::new(StopCheckExec {
                input,
                stop: self.stop.clone(),
            })),
            _ => Err(DataFusionError::Internal(
                "StopCheck takes exactly one input".into(),
            )),
        }
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let schema = self.input.schema();
        let stop = self.stop.clone();
        let stream = self.input.execute(partition, context)?.map(move |batch| {
            if stop.load(Ordering::Relaxed) {
                Err(DataFusionError::Execution(STOPPED.into()))
            } else {
                batch
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        None
    }
}
