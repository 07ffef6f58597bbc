//! Runs a planned job on the worker pool: the page's side of the scheduler. It feeds
//! `kiln_scheduler::Job` what the pool reports, hands its assignments to idle workers,
//! keeps the blocks tasks write (the page is the shuffle service), and says what the
//! engine client must do next as `Effect`s.

use js_sys::Uint8Array;
use kiln_protocol::{FaultConfig, JobEvent, JobPlan, RequestBody, RequestId, UserError};
use kiln_scheduler::{Job, JobState, SchedulerConfig};

use crate::pool::{PoolEvent, PoolRef};

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
        }
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
}

pub enum Effect {
    Events(Vec<JobEvent>),
    /// Send this to the planning worker under the job's request id (the result).
    Finish {
        request_id: RequestId,
        body: RequestBody,
        blocks: Vec<Uint8Array>,
    },
    /// Answer the job's request with this error.
    Fail {
        request_id: RequestId,
        error: UserError,
    },
}

struct RunningJob {
    request_id: RequestId,
    job: Job<Uint8Array>,
    result_schema: Vec<u8>,
    started_ms: f64,
    page_size: u64,
}

#[derive(Default)]
pub struct JobRunner {
    pub pool: Option<PoolRef>,
    job: Option<RunningJob>,
    seed: u64,
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
            },
        };
        let result_schema = plan.result_schema.clone();
        let now = now_ms();
        self.job = Some(RunningJob {
            request_id,
            job: Job::new(plan, config, now),
            result_schema,
            started_ms: now,
            page_size,
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
                let blocks = blocks
                    .into_iter()
                    .map(|b| (b.byte_length() > 0).then_some(b))
                    .collect();
                job.finished(attempt, metrics, blocks, now);
            }
            PoolEvent::TaskFailed { attempt, error, .. } => job.failed(attempt, error, now),
            PoolEvent::WorkerLost { worker, reason } => job.worker_lost(worker, &reason, now),
            // Not a job's: the lake builder's.
            PoolEvent::LakeFileMade { .. } | PoolEvent::RequestFailed { .. } => {}
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
            let Some(assignment) = running.job.assign(worker, now) else {
                continue;
            };
            let sent =
                pool.borrow_mut()
                    .run(worker, assignment.request.clone(), &assignment.blocks);
            // A worker told to crash (fault injection) traps for real; the pool sees it
            // die like any other crash and reports it lost.
            if let Err(e) = sent {
                let reason = format!(
                    "could not be given a task: {}",
                    crate::engine_client::describe(&e)
                );
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
            JobState::Succeeded => {
                let blocks = running.job.take_result();
                effects.push(Effect::Finish {
                    request_id,
                    body: RequestBody::FinishJob {
                        job_id: running.job.job_id(),
                        result_schema: std::mem::take(&mut running.result_schema),
                        elapsed_ms: now - running.started_ms,
                        page_size: running.page_size,
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
        self.job = None;
        effects
    }
}
