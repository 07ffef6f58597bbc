//! Watching a running task from inside its plan: a stop check on the output of every
//! operator, and progress from its leaves. Neither can live in the loop that drains the
//! task's output: an operator may pull its whole input before it yields anything (a
//! hash aggregate), or yield millions of rows per input batch (a join with many
//! matches), so only the operators themselves see batches often enough.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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
use kiln_protocol::TaskProgress;

/// The message a stopped task fails with.
pub const STOPPED: &str = "the task was stopped";

/// How often a running task reports progress, at most.
pub const PROGRESS_INTERVAL_MS: f64 = 250.0;

pub type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;
pub type ProgressSink = Arc<dyn Fn(TaskProgress) + Send + Sync>;

/// What the runner lends a task: its clock, where progress goes, and (natively) the
/// flag that stops it. A browser worker has no flag: the page ends the whole worker.
#[derive(Clone)]
pub struct TaskHooks {
    pub clock: Clock,
    pub progress: ProgressSink,
    pub stop: Option<Arc<AtomicBool>>,
}

/// Shared by every monitored operator of one task.
struct Monitor {
    hooks: TaskHooks,
    leaves: Vec<Arc<dyn ExecutionPlan>>,
    last_report: Mutex<f64>,
}

impl Monitor {
    fn stopped(&self) -> bool {
        self.hooks
            .stop
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// Reports progress if the last report is old enough.
    fn tick(&self) {
        let now = (self.hooks.clock)();
        {
            let mut last = self.last_report.lock().unwrap_or_else(|e| e.into_inner());
            if now - *last < PROGRESS_INTERVAL_MS {
                return;
            }
            *last = now;
        }
        let (rows, bytes_read) = read_so_far(&self.leaves);
        (self.hooks.progress)(TaskProgress { rows, bytes_read });
    }
}

/// The operators of `plan` without inputs: scans and stage reads.
pub fn leaves(plan: &Arc<dyn ExecutionPlan>) -> Vec<Arc<dyn ExecutionPlan>> {
    let mut leaves = Vec::new();
    let _ = plan.apply(|node| {
        if node.children().is_empty() {
            leaves.push(Arc::clone(node));
        }
        Ok(TreeNodeRecursion::Continue)
    });
    leaves
}

/// The operators of a monitored `plan`, without their monitors, parents first.
pub fn operators(plan: &Arc<dyn ExecutionPlan>) -> Vec<Arc<dyn ExecutionPlan>> {
    let mut out = Vec::new();
    let _ = plan.apply(|node| {
        if !node.is::<MonitorExec>() {
            out.push(Arc::clone(node));
        }
        Ok(TreeNodeRecursion::Continue)
    });
    out
}

/// Rows the leaves produced and bytes they read from files, so far.
pub fn read_so_far(leaves: &[Arc<dyn ExecutionPlan>]) -> (u64, u64) {
    leaves
        .iter()
        .filter_map(|leaf| leaf.metrics())
        .fold((0, 0), |(rows, bytes), m| {
            let scanned = m.sum_by_name("bytes_scanned").map_or(0, |v| v.as_usize());
            (
                rows + m.output_rows().unwrap_or(0) as u64,
                bytes + scanned as u64,
            )
        })
}

/// Wraps every operator of `plan` in a monitor; `started` is when the task began.
pub fn monitored(
    plan: Arc<dyn ExecutionPlan>,
    hooks: TaskHooks,
    started: f64,
) -> Result<Arc<dyn ExecutionPlan>> {
    let monitor = Arc::new(Monitor {
        hooks,
        leaves: leaves(&plan),
        last_report: Mutex::new(started),
    });
    plan.transform_up(|node| {
        let wrapped: Arc<dyn ExecutionPlan> = Arc::new(MonitorExec {
            input: node,
            monitor: monitor.clone(),
        });
        Ok(Transformed::yes(wrapped))
    })
    .map(|t| t.data)
}

/// Passes its input through, failing as soon as the task is stopped, and reports the
/// task's progress (what its leaves have read) when it is due.
struct MonitorExec {
    input: Arc<dyn ExecutionPlan>,
    monitor: Arc<Monitor>,
}

impl fmt::Debug for MonitorExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitorExec").finish_non_exhaustive()
    }
}

impl DisplayAs for MonitorExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Monitor")
    }
}

impl ExecutionPlan for MonitorExec {
    fn name(&self) -> &str {
        "Monitor"
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
            Some(input) if children.is_empty() => Ok(Arc::new(MonitorExec {
                input,
                monitor: self.monitor.clone(),
            })),
            _ => Err(DataFusionError::Internal(
                "Monitor takes exactly one input".into(),
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
        let monitor = self.monitor.clone();
        let stream = self.input.execute(partition, context)?.map(move |batch| {
            if monitor.stopped() {
                return Err(DataFusionError::Execution(STOPPED.into()));
            }
            monitor.tick();
            batch
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn progress_is_reported_at_most_every_interval() {
        let now = Arc::new(AtomicU64::new(0));
        let reports = Arc::new(Mutex::new(Vec::new()));
        let clock_now = now.clone();
        let sink = reports.clone();
        let monitor = Monitor {
            hooks: TaskHooks {
                clock: Arc::new(move || clock_now.load(Ordering::SeqCst) as f64),
                progress: Arc::new(move |_| sink.lock().unwrap().push(())),
                stop: None,
            },
            leaves: Vec::new(),
            last_report: Mutex::new(0.0),
        };
        let mut reported_at = Vec::new();
        for t in (0..=1000).step_by(10) {
            now.store(t, Ordering::SeqCst);
            let before = reports.lock().unwrap().len();
            monitor.tick();
            if reports.lock().unwrap().len() > before {
                reported_at.push(t);
            }
        }
        assert_eq!(reported_at, [250, 500, 750, 1000]);
    }
}
