//! The native runner: the page's scheduler loop with threads for web workers. Each
//! worker thread runs one task at a time through the same [`run_task`] as a wasm
//! worker, so scheduling, shuffles, retries and cancels are tested here without a
//! browser. A killed worker is a thread told to stop; its replacement gets a new id.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use bytes::Bytes;
use datafusion::prelude::SessionContext;
use kiln_protocol::{
    AttemptId, FaultConfig, JobEvent, JobPlan, TaskMetrics, TaskProgress, UserError, WorkerId,
};
use kiln_scheduler::{Assignment, Job, JobState, SchedulerConfig};

use super::disk_blocks::DiskBlocks;
use super::exchange::InputBlock;
use super::monitor::TaskHooks;
use super::task::run_task;
use crate::QueryOutput;
use crate::spill::{TempFileDisk, WorkerMemory};

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub workers: usize,
    pub max_attempts: u32,
    pub faults: FaultConfig,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            workers: 2,
            max_attempts: 4,
            faults: FaultConfig::default(),
        }
    }
}

enum Report {
    Progress(AttemptId, TaskProgress),
    Done(WorkerId, AttemptId, TaskMetrics, Vec<Option<InputBlock>>),
    Failed(WorkerId, AttemptId, UserError),
}

struct WorkerHandle {
    id: WorkerId,
    tasks: Sender<Assignment<InputBlock>>,
    killed: Arc<AtomicBool>,
    busy: bool,
}

#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now_ms(self) -> f64 {
        self.0.elapsed().as_secs_f64() * 1000.0
    }
}

/// Runs `plan` on `options.workers` threads and returns its result. Every event goes to
/// `on_event` as it happens; `cancel` stops the job from another thread.
pub fn run_job(
    ctx: &SessionContext,
    plan: JobPlan,
    options: &RunOptions,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(&JobEvent),
) -> Result<QueryOutput, UserError> {
    let clock = Clock(Instant::now());
    let workers = options.workers.max(1);
    let result_schema = plan.result_schema.clone();
    let config = SchedulerConfig {
        max_attempts: options.max_attempts.max(1),
        workers,
        faults: options.faults.clone(),
        ..SchedulerConfig::default()
    };
    let mut job: Job<InputBlock> = Job::new(plan, config, clock.now_ms());

    std::thread::scope(|scope| {
        let (report_tx, reports) = mpsc::channel::<Report>();
        let mut next_id: WorkerId = 1;
        let spawn = |next_id: &mut WorkerId| {
            let id = *next_id;
            *next_id += 1;
            let (tasks, inbox) = mpsc::channel();
            let killed = Arc::new(AtomicBool::new(false));
            let (report_tx, flag) = (report_tx.clone(), killed.clone());
            scope.spawn(move || worker_loop(ctx, id, inbox, report_tx, flag, clock));
            WorkerHandle {
                id,
                tasks,
                killed,
                busy: false,
            }
        };
        let mut pool: Vec<WorkerHandle> = (0..workers).map(|_| spawn(&mut next_id)).collect();

        loop {
            let mut killed = Vec::new();
            for worker in pool.iter_mut().filter(|w| !w.busy) {
                // Not `break`: a task may wait for another worker than this one.
                let Some(assignment) = job.assign(worker.id, clock.now_ms()) else {
                    continue;
                };
                let kill = assignment.kill_worker;
                worker.busy = worker.tasks.send(assignment).is_ok();
                if kill {
                    killed.push(worker.id);
                }
            }
            for id in killed {
                // Fault injection: the worker stops at its next batch, as if its
                // instance had died, and a fresh one takes its place.
                if let Some(index) = pool.iter().position(|w| w.id == id) {
                    pool.remove(index).killed.store(true, Ordering::SeqCst);
                    job.worker_lost(id, "killed by fault injection", clock.now_ms());
                    pool.push(spawn(&mut next_id));
                }
            }
            for event in job.take_events() {
                on_event(&event);
            }
            if !job.is_running() {
                break;
            }
            if cancel.load(Ordering::SeqCst) {
                job.cancel(clock.now_ms());
                for worker in &pool {
                    worker.killed.store(true, Ordering::SeqCst);
                }
                continue;
            }
            match reports.recv_timeout(Duration::from_millis(20)) {
                Ok(Report::Progress(id, progress)) => job.progress(id, progress, clock.now_ms()),
                Ok(Report::Done(worker, id, metrics, blocks)) => {
                    mark_idle(&mut pool, worker);
                    job.finished(id, metrics, blocks, clock.now_ms());
                }
                Ok(Report::Failed(worker, id, error)) => {
                    mark_idle(&mut pool, worker);
                    job.failed(id, error, clock.now_ms());
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        // Whatever still runs (a cancelled job) stops at its next batch.
        for worker in &pool {
            worker.killed.store(true, Ordering::SeqCst);
        }
    });

    match job.state().clone() {
        JobState::Succeeded => {
            let answer = |bytes: Vec<u8>| InputBlock::Bytes(Bytes::from(bytes));
            QueryOutput::from_input_blocks(&result_schema, job.take_result(answer))
                .map_err(|e| e.to_user("reading the result"))
        }
        JobState::Failed(error) => Err(error),
        JobState::Cancelled => Err(UserError {
            context: "running the query".into(),
            message: "the job was cancelled".into(),
            location: None,
        }),
        JobState::Running => Err(UserError {
            context: "running the query".into(),
            message: "the workers stopped before the job finished".into(),
            location: None,
        }),
    }
}

fn mark_idle(pool: &mut [WorkerHandle], worker: WorkerId) {
    if let Some(w) = pool.iter_mut().find(|w| w.id == worker) {
        w.busy = false;
    }
}

/// A worker thread: runs what it is sent until its inbox closes or it is stopped
/// (`killed` is its whole instance dying: a cancel or fault injection).
fn worker_loop(
    ctx: &SessionContext,
    id: WorkerId,
    inbox: Receiver<Assignment<InputBlock>>,
    reports: Sender<Report>,
    killed: Arc<AtomicBool>,
    clock: Clock,
) {
    // A worker's own memory, as a web worker has its own instance: its budget is its
    // own, whatever the others use. Made again only when a task asks for another.
    let mut memory: Option<WorkerMemory> = None;
    for assignment in inbox {
        if killed.load(Ordering::SeqCst) {
            return;
        }
        let attempt = assignment.request.attempt_id();
        let progress_reports = reports.clone();
        let hooks = TaskHooks {
            clock: Arc::new(move || clock.now_ms()),
            progress: Arc::new(move |progress| {
                let _ = progress_reports.send(Report::Progress(attempt, progress));
            }),
            stop: Some(killed.clone()),
        };
        let blocks = assignment.blocks;
        let read_from_disk = blocks
            .iter()
            .filter(|b| matches!(b, InputBlock::Deferred(_)))
            .map(InputBlock::len)
            .sum();
        let outcome = match assignment.request.memory_budget {
            None => futures::executor::block_on(run_task(
                ctx.task_ctx(),
                &assignment.request,
                blocks,
                hooks,
                None,
            ))
            .map(|outcome| {
                let blocks = outcome
                    .blocks
                    .into_iter()
                    .map(|b| (!b.is_empty()).then(|| InputBlock::Bytes(Bytes::from(b))));
                (outcome.metrics, blocks.collect())
            }),
            // Under a budget, every task's output goes to a temp file as it is encoded,
            // as the page's go to OPFS once it holds the workers' budgets: the same
            // sink, and the same reads a piece at a time, tested without a browser.
            Some(budget) => {
                let disk = Arc::new(TempFileDisk);
                let sink = DiskBlocks::create(disk.as_ref()).map_err(|e| UserError {
                    context: format!(
                        "opening a temp file for stage {} task {}'s output",
                        assignment.request.stage, assignment.request.task
                    ),
                    message: e.to_string(),
                    location: None,
                });
                match (
                    sink,
                    WorkerMemory::for_budget(&mut memory, &ctx.runtime_env(), budget, disk),
                ) {
                    (Err(error), _) | (_, Err(error)) => Err(error),
                    (Ok(mut sink), Ok(memory)) => memory
                        .finish_task(futures::executor::block_on(run_task(
                            memory.task_context(ctx),
                            &assignment.request,
                            blocks,
                            hooks,
                            Some(&mut sink),
                        )))
                        .map(|outcome| {
                            let mut metrics = outcome.metrics;
                            metrics.shuffle_disk_write_bytes = metrics.output_bytes;
                            metrics.shuffle_disk_read_bytes = read_from_disk;
                            (metrics, sink.into_blocks(outcome.blocks.len()))
                        }),
                }
            }
        };
        let report = match outcome {
            Ok((metrics, blocks)) => Report::Done(id, attempt, metrics, blocks),
            Err(error) => Report::Failed(id, attempt, error),
        };
        if reports.send(report).is_err() || killed.load(Ordering::SeqCst) {
            return;
        }
    }
}
