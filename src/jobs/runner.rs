//! Runs a planned job on the worker pool: the page's side of the scheduler. It feeds
//! `kiln_scheduler::Job` what the pool reports, hands its assignments to idle workers,
//! keeps the blocks tasks write (the page is the shuffle service), and says what the
//! engine client must do next as `Effect`s.

use js_sys::Uint8Array;
use kiln_protocol::{FaultConfig, JobEvent, JobPlan, RequestBody, RequestId, UserError};
use kiln_scheduler::{Job, JobState, SchedulerConfig};

use crate::jobs::block::Block;
use crate::jobs::pool::{PoolEvent, PoolRef};
use crate::jobs::shuffle_disk;

/// How jobs run: the settings panel's values.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunSettings {
    pub workers: usize,
    /// Tasks per shuffle stage; `None`: twice the workers.
    pub partitions: Option<usize>,
    pub split_mb: u64,
    pub fail_probability: f64,
    pub kill_a_worker: bool,
    /// Not a panel setting: a scheduled run's injected failure fails the whole job.
    #[serde(skip)]
    pub fail_every_attempt: bool,
    /// An attempt silent for this long is given up: its worker is ended and the task
    /// runs elsewhere.
    #[serde(default = "default_timeout")]
    pub task_timeout_s: u64,
    /// Fault injection: the second task attempt of a job never reports.
    #[serde(default)]
    pub hang_a_task: bool,
    /// A result larger than this stops its job: the page would run out of memory
    /// holding it; it can be written into a folder instead.
    #[serde(default = "default_result_limit")]
    pub result_limit_mb: u64,
    /// Each worker's memory budget for its tasks' operators, which spill to the
    /// browser's private storage past it; `None`: the device's default
    /// (`memory_budget_mb`).
    #[serde(default)]
    pub memory_mb: Option<u64>,
}

fn default_timeout() -> u64 {
    300
}

fn default_result_limit() -> u64 {
    1024
}

/// The memory budget per worker a job gets unless one is set: a quarter of the device's
/// memory, shared by the workers. The rest is the page's, the planning worker's (which
/// holds results) and the browser's; a worker's wasm memory never shrinks, so an
/// unbounded task keeps what it once took. Where the browser does not say (it caps what
/// it says at 8 GB), 4 GB is assumed. TPC-H SF1 runs 1.07× slower (geomean) under 1 GB
/// per worker than unbounded (`bench/ab.mjs --b-memory-mb=1024`): what never failing for
/// memory costs.
pub fn default_memory_mb(device_gb: Option<f64>, workers: usize) -> u64 {
    let gb = device_gb
        .filter(|gb| gb.is_finite() && *gb > 0.0)
        .unwrap_or(4.0);
    let mb = gb * 1024.0 / 4.0 / workers.max(1) as f64;
    (mb as u64).clamp(64, 2048)
}

impl RunSettings {
    pub const MAX_WORKERS: usize = 16;
    /// Enough to show what too many small tasks cost (Spark's default is 200).
    pub const MAX_PARTITIONS: usize = 2048;

    pub fn new(workers: usize) -> Self {
        Self {
            workers: workers.clamp(1, Self::MAX_WORKERS),
            partitions: None,
            split_mb: 128,
            fail_probability: 0.0,
            kill_a_worker: false,
            fail_every_attempt: false,
            task_timeout_s: default_timeout(),
            hang_a_task: false,
            result_limit_mb: default_result_limit(),
            memory_mb: None,
        }
    }

    /// The budget each worker's tasks run under, in MB: the one set, or the default for
    /// a device with `device_gb` of memory.
    pub fn memory_budget_mb(&self, device_gb: Option<f64>) -> u64 {
        self.memory_mb
            .unwrap_or_else(|| default_memory_mb(device_gb, self.workers))
    }

    pub fn partitions(&self) -> usize {
        self.partitions.unwrap_or(2 * self.workers).max(1)
    }

    /// Applies one edit of the settings panel to the current settings (not to the ones
    /// the panel last rendered: two quick edits must not undo each other).
    pub fn apply(&mut self, change: SettingChange) {
        match change {
            SettingChange::Workers(n) => self.workers = n.clamp(1, Self::MAX_WORKERS),
            SettingChange::Partitions(p) => {
                self.partitions = p.map(|p| p.clamp(1, Self::MAX_PARTITIONS))
            }
            SettingChange::SplitMb(mb) => self.split_mb = mb.clamp(1, 4096),
            SettingChange::FailPercent(p) => self.fail_probability = (p / 100.0).clamp(0.0, 1.0),
            SettingChange::CrashAWorker(on) => self.kill_a_worker = on,
            SettingChange::TaskTimeoutS(s) => self.task_timeout_s = s.clamp(1, 86_400),
            SettingChange::HangATask(on) => self.hang_a_task = on,
            SettingChange::ResultLimitMb(mb) => self.result_limit_mb = mb.clamp(1, 1 << 20),
            SettingChange::MemoryMb(mb) => self.memory_mb = mb.map(|mb| mb.clamp(1, 4096)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SettingChange {
    Workers(usize),
    Partitions(Option<usize>),
    SplitMb(u64),
    FailPercent(f64),
    CrashAWorker(bool),
    TaskTimeoutS(u64),
    HangATask(bool),
    ResultLimitMb(u64),
    MemoryMb(Option<u64>),
}

pub enum Effect {
    Events(Vec<JobEvent>),
    /// Send this to the planning worker under the job's request id (the result).
    Finish {
        request_id: RequestId,
        body: RequestBody,
        blocks: Vec<Block>,
    },
    /// Answer the job's request with this error.
    Fail {
        request_id: RequestId,
        error: UserError,
    },
    /// A task of a job whose result goes to disk wrote its part (a Parquet file, as
    /// its bytes or, under a memory budget, a file in the private storage).
    ResultPart {
        part: usize,
        block: Block,
    },
    /// That job is done: every part was handed over. `staged` is the job whose result
    /// folder in the private storage holds parts, to be removed once they are copied.
    Written {
        parts: usize,
        elapsed_ms: f64,
        staged: Option<u64>,
    },
}

/// The context of the error that stops a job whose result outgrew the limit; the page
/// offers to write the result into a folder instead.
pub const RESULT_TOO_LARGE: &str = "keeping the result";

struct RunningJob {
    request_id: RequestId,
    job: Job<Block>,
    result_schema: Vec<u8>,
    started_ms: f64,
    page_size: u64,
    /// The result goes to disk, part by part, not to the planning worker.
    to_disk: bool,
    parts: usize,
    /// Bytes of result blocks held so far, and the most the page will hold.
    result_bytes: u64,
    result_limit: u64,
    /// Shuffle and result bytes the page holds, and the most it holds before tasks are
    /// told to write their output to the browser's private storage (`None`: no limit,
    /// the job has no memory budget).
    shuffle_held: u64,
    shuffle_limit: Option<u64>,
    /// Some task was told to; its files go when the job ends.
    shuffle_on_disk: bool,
    /// Some result task was told to write its blocks to disk (`shuffle_disk::
    /// result_folder`): the result is then kept there, not in memory.
    result_on_disk: bool,
}

#[derive(Default)]
pub struct JobRunner {
    pub pool: Option<PoolRef>,
    job: Option<RunningJob>,
    seed: u64,
}

fn result_too_large(bytes: u64, limit: u64) -> UserError {
    UserError {
        context: RESULT_TOO_LARGE.into(),
        message: format!(
            "the result passed {} MB, more than the {} MB this page holds (the result limit in the job settings), so the job was stopped before the tab ran out of memory. Write it into a folder instead: each task then saves its part as a Parquet file, and nothing is held",
            bytes >> 20,
            limit >> 20
        ),
        location: None,
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

impl JobRunner {
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    pub fn start(
        &mut self,
        request_id: RequestId,
        plan: JobPlan,
        settings: &RunSettings,
        page_size: u64,
        to_disk: bool,
    ) -> Vec<Effect> {
        let Some(pool) = &self.pool else {
            return vec![Effect::Fail {
                request_id,
                error: UserError {
                    context: "running the query".into(),
                    message: "the worker pool has not started".into(),
                    location: None,
                },
            }];
        };
        // After workers kept dying on start, a new job is the moment to try again.
        pool.borrow_mut().restart(settings.workers);
        self.seed += 1;
        let config = SchedulerConfig {
            max_attempts: 4,
            workers: pool.borrow().size(),
            faults: FaultConfig {
                task_failure_probability: settings.fail_probability,
                // Mid-job: the third attempt of the job is the one whose worker dies.
                kill_worker_at_attempt: settings.kill_a_worker.then_some(2),
                seed: self.seed,
                fail_every_attempt: settings.fail_every_attempt,
                // The second attempt: the first may be a one-task job's only one.
                hang_at_attempt: settings.hang_a_task.then_some(1),
            },
            task_timeout_ms: Some(settings.task_timeout_s as f64 * 1000.0),
            result_as_parquet: to_disk,
        };
        // As much shuffle output as the workers may hold together, at the job's own
        // budget (a workshop step sets its own): the page is one more process of the job
        // and gets no more memory than they do.
        let shuffle_limit = plan
            .memory_per_worker
            .map(|budget| budget.saturating_mul(config.workers as u64));
        let result_schema = plan.result_schema.clone();
        let now = now_ms();
        self.job = Some(RunningJob {
            request_id,
            job: Job::new(plan, config, now),
            result_schema,
            started_ms: now,
            page_size,
            to_disk,
            parts: 0,
            result_bytes: 0,
            result_limit: settings.result_limit_mb.saturating_mul(1 << 20),
            shuffle_limit,
            shuffle_held: 0,
            shuffle_on_disk: false,
            result_on_disk: false,
        });
        self.pump()
    }

    pub fn on_pool_event(&mut self, event: PoolEvent) -> Vec<Effect> {
        let now = now_ms();
        let Some(running) = &mut self.job else {
            return Vec::new();
        };
        let job = &mut running.job;
        match event {
            PoolEvent::Idle => {}
            PoolEvent::Progress { attempt, progress } => job.progress(attempt, progress, now),
            PoolEvent::TaskDone {
                attempt,
                metrics,
                blocks,
                ..
            } => {
                let mut effects = Vec::new();
                let blocks = if Some(attempt.stage) == job.result_stage() {
                    if running.to_disk {
                        // Handed to the disk at once, never held.
                        for block in blocks {
                            effects.push(Effect::ResultPart {
                                part: attempt.task,
                                block,
                            });
                            running.parts += 1;
                        }
                        Vec::new()
                    } else {
                        // Only what the page holds counts: a result on disk takes none
                        // of the tab's memory.
                        let held = blocks.iter().map(Block::held_bytes).sum::<u64>();
                        running.result_bytes += held;
                        running.shuffle_held += held;
                        if running.result_bytes > running.result_limit {
                            job.abort(
                                result_too_large(running.result_bytes, running.result_limit),
                                now,
                            );
                        }
                        blocks
                    }
                } else {
                    running.shuffle_held += blocks.iter().map(Block::held_bytes).sum::<u64>();
                    blocks
                };
                let blocks = blocks
                    .into_iter()
                    .map(|b| (!b.is_empty()).then_some(b))
                    .collect();
                job.finished(attempt, metrics, blocks, now);
                effects.extend(self.pump());
                return effects;
            }
            PoolEvent::TaskFailed { attempt, error, .. } => job.failed(attempt, error, now),
            PoolEvent::WorkerLost { worker, reason } => job.worker_lost(worker, &reason, now),
            PoolEvent::PoolDown { reason } => job.abort(
                UserError {
                    context: "starting the engine's workers".into(),
                    message: reason,
                    location: None,
                },
                now,
            ),
            // Not a job's: the lake builder's.
            PoolEvent::LakeFileMade { .. } | PoolEvent::RequestFailed { .. } => {}
        }
        self.pump()
    }

    /// Gives up attempts silent for longer than the task timeout: their workers are
    /// ended (a wasm task cannot be interrupted) and their tasks run elsewhere.
    pub fn check_timeouts(&mut self) -> Vec<Effect> {
        let now = now_ms();
        let (Some(running), Some(pool)) = (&mut self.job, &self.pool) else {
            return Vec::new();
        };
        let overdue = running.job.overdue(now);
        if overdue.is_empty() {
            return Vec::new();
        }
        for worker in overdue {
            pool.borrow_mut().kill(worker);
            running.job.worker_lost(
                worker,
                "its task did not report within the task timeout: the worker was ended, and the task runs again elsewhere",
                now,
            );
        }
        self.pump()
    }

    /// Cancels the running job: its busy workers are ended at once (a wasm task cannot
    /// be interrupted), and fresh ones take their places.
    pub fn cancel(&mut self) -> Vec<Effect> {
        if let Some(running) = &mut self.job {
            running.job.cancel(now_ms());
            if let Some(pool) = &self.pool {
                let busy = pool.borrow().busy();
                for worker in busy {
                    pool.borrow_mut().kill(worker);
                }
            }
        }
        self.pump()
    }

    /// Hands tasks to idle workers, then reports events and the end of the job.
    fn pump(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        let (Some(running), Some(pool)) = (&mut self.job, &self.pool) else {
            return effects;
        };
        let now = now_ms();
        let idle = pool.borrow().idle();
        for worker in idle {
            let Some(mut assignment) = running.job.assign(worker, now) else {
                continue;
            };
            let past_limit = running
                .shuffle_limit
                .is_some_and(|limit| running.shuffle_held >= limit);
            // Past the limit, map output goes to disk; so does the result's. A result
            // written into a folder goes through the private storage whenever there is
            // a budget: one part (a sort's merge) can be the whole result, which the
            // worker then never holds.
            let job_id = running.job.job_id();
            let result_task = Some(assignment.request.stage) == running.job.result_stage();
            let staged = running.to_disk && running.shuffle_limit.is_some();
            if shuffle_disk::ready() && (past_limit || (result_task && staged)) {
                if !result_task {
                    assignment.request.shuffle_to = Some(shuffle_disk::job_folder(job_id));
                    running.shuffle_on_disk = true;
                } else {
                    assignment.request.shuffle_to = Some(shuffle_disk::result_folder(job_id));
                    running.result_on_disk = true;
                }
            }
            let sent =
                pool.borrow_mut()
                    .run(worker, assignment.request.clone(), &assignment.blocks);
            // A worker told to crash (fault injection) traps for real; the pool sees it
            // die like any other crash and reports it lost.
            if let Err(e) = sent {
                let reason = format!("could not be given a task: {}", crate::js::describe(&e));
                pool.borrow_mut().kill(worker);
                running.job.worker_lost(worker, &reason, now);
            }
        }
        let events = running.job.take_events();
        if !events.is_empty() {
            effects.push(Effect::Events(events));
        }
        let request_id = running.request_id;
        match running.job.state().clone() {
            JobState::Running => return effects,
            JobState::Succeeded if running.to_disk => effects.push(Effect::Written {
                parts: running.parts,
                elapsed_ms: now - running.started_ms,
                staged: running.result_on_disk.then(|| running.job.job_id()),
            }),
            JobState::Succeeded => {
                let blocks = running
                    .job
                    .take_result(|answer| Block::Held(Uint8Array::from(answer.as_slice())));
                effects.push(Effect::Finish {
                    request_id,
                    body: RequestBody::FinishJob {
                        job_id: running.job.job_id(),
                        result_schema: std::mem::take(&mut running.result_schema),
                        elapsed_ms: now - running.started_ms,
                        page_size: running.page_size,
                        result_folder: running
                            .result_on_disk
                            .then(|| shuffle_disk::result_folder(running.job.job_id())),
                    },
                    blocks,
                });
            }
            JobState::Failed(error) => effects.push(Effect::Fail { request_id, error }),
            JobState::Cancelled => effects.push(Effect::Fail {
                request_id,
                error: UserError {
                    context: "running the query".into(),
                    message: "the job was cancelled".into(),
                    location: None,
                },
            }),
        }
        // A kept result's folder is the planning worker's from `FinishJob` on; a result
        // written into a folder leaves its staged parts to the copy (`Effect::Written`).
        let result_kept = matches!(running.job.state(), JobState::Succeeded);
        let result_left = running.result_on_disk && !result_kept;
        if running.shuffle_on_disk || result_left {
            shuffle_disk::remove_job(running.job.job_id(), result_left);
        }
        self.job = None;
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_budget_is_a_quarter_of_the_device_shared_by_the_workers() {
        assert_eq!(default_memory_mb(Some(8.0), 2), 1024);
        assert_eq!(default_memory_mb(Some(8.0), 4), 512);
        // Unknown (or nonsense) device memory: 4 GB assumed.
        assert_eq!(default_memory_mb(None, 1), 1024);
        assert_eq!(default_memory_mb(Some(f64::NAN), 1), 1024);
        // Never so small that every sort spills, nor more than a wasm worker may grow to.
        assert_eq!(default_memory_mb(Some(0.25), 16), 64);
        assert_eq!(default_memory_mb(Some(64.0), 1), 2048);
        let mut settings = RunSettings::new(2);
        assert_eq!(settings.memory_budget_mb(Some(8.0)), 1024);
        settings.apply(SettingChange::MemoryMb(Some(64)));
        assert_eq!(settings.memory_budget_mb(Some(8.0)), 64);
    }
}
