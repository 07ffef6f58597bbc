//! A job as the page shows it, folded from its event stream: what each stage has done,
//! how far the job is (never backwards), its input rates and ETA, what each operator
//! measured, and the whole log (to save, and for the views to replay).

use std::collections::HashMap;
use std::rc::Rc;

use kiln_protocol::{
    JobEvent, JobId, JobPlans, OperatorMetrics, StageGraph, StageOutput, TaskProgress,
};

use crate::jobs::event_log::EventLog;

#[derive(Clone, Debug, PartialEq)]
pub enum JobStatus {
    Running,
    Succeeded,
    Failed(String),
    Cancelled,
}

impl JobStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed(_) => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageProgress {
    pub id: usize,
    pub tasks: usize,
    pub done: usize,
    pub running: usize,
    pub failed_attempts: usize,
    pub submitted: bool,
    /// Share of the stage done, 0 to 1, counting how far running scans have read.
    pub fraction: f64,
    /// What each operator measured, summed over finished tasks (see `StageSummary`).
    pub operators: Vec<OperatorMetrics>,
}

/// (stage, task, attempt)
type AttemptKey = (usize, usize, u32);

#[derive(Clone, Copy, Debug, PartialEq)]
struct Running {
    input_bytes: u64,
    progress: TaskProgress,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JobProgress {
    pub job_id: JobId,
    pub sql: String,
    pub status: JobStatus,
    pub workers: usize,
    pub stages: Vec<StageProgress>,
    pub elapsed_ms: f64,
    pub lost_workers: usize,
    pub graph: Rc<StageGraph>,
    pub plans: Rc<JobPlans>,
    pub events: EventLog,
    /// Share of the job's tasks done, 0 to 1; it never goes down.
    pub fraction: f64,
    /// Rows and bytes read from files by finished tasks.
    rows_scanned: u64,
    bytes_scanned: u64,
    /// Bytes of the result's blocks.
    pub output_bytes: u64,
    running: HashMap<AttemptKey, Running>,
    /// Loaded from a saved event log, not run in this session.
    pub replayed: bool,
    /// The column-profile pass over the job's result, once it ran.
    pub profile: Option<ProfilePass>,
}

/// The extra pass that profiles a result's columns, done in the planning worker over
/// the kept result after the job: shown under the job in the job list.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfilePass {
    pub columns: usize,
    pub rows: u64,
    pub elapsed_ms: f64,
}

impl JobProgress {
    /// A new job's progress, from its `JobSubmitted` event.
    pub fn start(event: &JobEvent) -> Option<Self> {
        let JobEvent::JobSubmitted {
            job_id,
            sql,
            graph,
            plans,
            workers,
            ..
        } = event
        else {
            return None;
        };
        let stages = graph
            .stages
            .iter()
            .map(|s| StageProgress {
                id: s.id,
                tasks: s.tasks,
                done: 0,
                running: 0,
                failed_attempts: 0,
                submitted: false,
                fraction: 0.0,
                operators: vec![OperatorMetrics::default(); s.operators.len()],
            })
            .collect();
        let mut events = EventLog::default();
        events.push(event.clone());
        Some(Self {
            job_id: *job_id,
            sql: sql.clone(),
            status: JobStatus::Running,
            workers: *workers,
            stages,
            elapsed_ms: 0.0,
            lost_workers: 0,
            graph: Rc::new(graph.clone()),
            plans: Rc::new(plans.clone()),
            events,
            fraction: 0.0,
            rows_scanned: 0,
            bytes_scanned: 0,
            output_bytes: 0,
            running: HashMap::new(),
            replayed: false,
            profile: None,
        })
    }

    /// The job as it was `until` ms after it was submitted (all of it for `None`), from
    /// a saved log: the first event must be its `JobSubmitted`.
    pub fn replay(events: &[JobEvent], until: Option<f64>) -> Option<Self> {
        let (first, rest) = events.split_first()?;
        let mut job = Self::start(first)?;
        // Events reach the page from several workers, so a log is not strictly ordered
        // by time: every event up to `until` counts, not only the ones before the first
        // later one.
        for event in rest.iter().filter(|e| until.is_none_or(|t| e.at_ms() <= t)) {
            job.apply(event);
        }
        if let Some(t) = until {
            job.elapsed_ms = job.elapsed_ms.max(t);
        }
        Some(job)
    }

    pub fn apply(&mut self, event: &JobEvent) {
        self.elapsed_ms = self.elapsed_ms.max(event.at_ms());
        match event {
            JobEvent::JobSubmitted { .. } => return,
            JobEvent::StageSubmitted { stage, .. } => {
                if let Some(s) = self.stage_mut(*stage) {
                    s.submitted = true;
                }
            }
            JobEvent::TaskStarted {
                stage,
                task,
                attempt,
                input_bytes,
                ..
            } => {
                self.running.insert(
                    (*stage, *task, *attempt),
                    Running {
                        input_bytes: *input_bytes,
                        progress: TaskProgress::default(),
                    },
                );
                if let Some(s) = self.stage_mut(*stage) {
                    s.running += 1;
                }
            }
            JobEvent::TaskProgress {
                stage,
                task,
                attempt,
                progress,
                ..
            } => {
                if let Some(r) = self.running.get_mut(&(*stage, *task, *attempt)) {
                    r.progress = *progress;
                }
            }
            JobEvent::TaskFinished {
                stage,
                task,
                attempt,
                metrics,
                ..
            } => {
                self.running.remove(&(*stage, *task, *attempt));
                self.rows_scanned += metrics.rows_in.saturating_sub(metrics.shuffle_read_rows);
                self.bytes_scanned += metrics.bytes_read;
                let result = self
                    .graph
                    .stages
                    .get(*stage)
                    .is_some_and(|s| s.output == StageOutput::Result);
                if result {
                    self.output_bytes += metrics.output_bytes;
                }
                if let Some(s) = self.stage_mut(*stage) {
                    s.running = s.running.saturating_sub(1);
                    s.done += 1;
                    for (total, m) in s.operators.iter_mut().zip(&metrics.operators) {
                        total.add(m);
                    }
                }
            }
            JobEvent::TaskFailed {
                stage,
                task,
                attempt,
                ..
            } => {
                self.running.remove(&(*stage, *task, *attempt));
                if let Some(s) = self.stage_mut(*stage) {
                    s.running = s.running.saturating_sub(1);
                    s.failed_attempts += 1;
                }
            }
            JobEvent::WorkerLost { .. } => self.lost_workers += 1,
            JobEvent::JobSucceeded { .. } => self.status = JobStatus::Succeeded,
            JobEvent::JobFailed { error, .. } => self.status = JobStatus::Failed(error.to_string()),
            JobEvent::JobCancelled { .. } => {
                self.status = JobStatus::Cancelled;
                self.running.clear();
                for s in &mut self.stages {
                    s.running = 0;
                }
            }
            JobEvent::StageCompleted { .. } => {}
        }
        self.update_fractions();
        self.events.push(event.clone());
    }

    /// Moves each stage's and the job's share done forward, never back: a failed
    /// attempt's partial progress stays counted until its retry passes it.
    fn update_fractions(&mut self) {
        let mut partial: HashMap<usize, f64> = HashMap::new();
        for ((stage, _, _), r) in &self.running {
            if r.input_bytes > 0 {
                let read = r.progress.bytes_read as f64 / r.input_bytes as f64;
                // A task's last stretch (writing its output) is not in the bytes read.
                *partial.entry(*stage).or_default() += read.min(0.95);
            }
        }
        let succeeded = self.status == JobStatus::Succeeded;
        for s in &mut self.stages {
            let now = if succeeded || s.tasks == 0 {
                1.0
            } else {
                (s.done as f64 + partial.get(&s.id).copied().unwrap_or(0.0)) / s.tasks as f64
            };
            s.fraction = s.fraction.max(now.min(1.0));
        }
        let total: usize = self.stages.iter().map(|s| s.tasks).sum();
        let now = if succeeded || total == 0 {
            1.0
        } else {
            self.stages
                .iter()
                .map(|s| s.fraction * s.tasks as f64)
                .sum::<f64>()
                / total as f64
        };
        self.fraction = self.fraction.max(now.min(1.0));
    }

    fn stage_mut(&mut self, id: usize) -> Option<&mut StageProgress> {
        self.stages.iter_mut().find(|s| s.id == id)
    }

    pub fn tasks(&self) -> (usize, usize) {
        let total = self.stages.iter().map(|s| s.tasks).sum();
        let done = self.stages.iter().map(|s| s.done).sum();
        (done, total)
    }

    /// Rows and bytes read from files so far, running tasks included.
    pub fn scanned(&self) -> (u64, u64) {
        let (rows, bytes) = self
            .running
            .values()
            .filter(|r| r.input_bytes > 0)
            .fold((0, 0), |(rows, bytes), r| {
                (rows + r.progress.rows, bytes + r.progress.bytes_read)
            });
        (self.rows_scanned + rows, self.bytes_scanned + bytes)
    }

    /// Rows and bytes read from files per second of the job so far.
    pub fn rates(&self) -> (f64, f64) {
        let (rows, bytes) = self.scanned();
        let seconds = self.elapsed_ms / 1000.0;
        if seconds <= 0.0 {
            return (0.0, 0.0);
        }
        (rows as f64 / seconds, bytes as f64 / seconds)
    }

    /// Milliseconds left at the pace so far, once there is a pace to go by.
    pub fn eta_ms(&self) -> Option<f64> {
        (self.status == JobStatus::Running && self.fraction >= 0.02)
            .then(|| self.elapsed_ms * (1.0 - self.fraction) / self.fraction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_protocol::{StageGraph, StageOutput, StageSummary, TaskMetrics, TaskProgress};

    fn submitted() -> JobEvent {
        JobEvent::JobSubmitted {
            job_id: 3,
            at_ms: 0.0,
            sql: "select".into(),
            graph: StageGraph {
                stages: vec![StageSummary {
                    id: 0,
                    tasks: 2,
                    operators: Vec::new(),
                    inputs: Vec::new(),
                    output: StageOutput::Result,
                    input_bytes: 0,
                    answered_in_planning: false,
                }],
            },
            plans: Default::default(),
            workers: 2,
            memory_per_worker: None,
        }
    }

    #[test]
    fn folds_task_events_into_stage_counts() {
        let mut job = JobProgress::start(&submitted()).expect("a submitted job");
        let started = |task| JobEvent::TaskStarted {
            job_id: 3,
            at_ms: 1.0,
            stage: 0,
            task,
            attempt: 0,
            worker: 1,
            split: None,
            input_bytes: 0,
        };
        job.apply(&started(0));
        job.apply(&started(1));
        assert_eq!(job.stages[0].running, 2);
        job.apply(&JobEvent::TaskFinished {
            job_id: 3,
            at_ms: 5.0,
            stage: 0,
            task: 0,
            attempt: 0,
            worker: 1,
            metrics: TaskMetrics::default(),
        });
        assert_eq!((job.stages[0].done, job.stages[0].running), (1, 1));
        assert_eq!(job.tasks(), (1, 2));
        job.apply(&JobEvent::JobCancelled {
            job_id: 3,
            at_ms: 9.0,
        });
        assert_eq!(job.status, JobStatus::Cancelled);
        assert_eq!(job.stages[0].running, 0);
        assert_eq!(job.elapsed_ms, 9.0);
        assert_eq!(job.events.events().len(), 5);
    }

    #[test]
    fn progress_counts_reads_and_never_goes_back() {
        let mut job = JobProgress::start(&submitted()).expect("a submitted job");
        let key = |at_ms, task, attempt| (at_ms, task, attempt);
        let started = |(at_ms, task, attempt): (f64, usize, u32)| JobEvent::TaskStarted {
            job_id: 3,
            at_ms,
            stage: 0,
            task,
            attempt,
            worker: 1,
            split: None,
            input_bytes: 1000,
        };
        let progress =
            |(at_ms, task, attempt): (f64, usize, u32), bytes_read| JobEvent::TaskProgress {
                job_id: 3,
                at_ms,
                stage: 0,
                task,
                attempt,
                progress: TaskProgress {
                    rows: bytes_read / 10,
                    bytes_read,
                },
            };
        job.apply(&started(key(0.0, 0, 0)));
        job.apply(&progress(key(1000.0, 0, 0), 500));
        // Half of one of two tasks.
        assert_eq!(job.fraction, 0.25);
        assert_eq!(job.scanned(), (50, 500));
        assert_eq!(job.rates(), (50.0, 500.0));
        assert_eq!(job.eta_ms(), Some(3000.0));
        job.apply(&JobEvent::TaskFailed {
            job_id: 3,
            at_ms: 1500.0,
            stage: 0,
            task: 0,
            attempt: 0,
            worker: 1,
            error: kiln_protocol::UserError {
                context: "c".into(),
                message: "m".into(),
                location: None,
            },
            will_retry: true,
        });
        // The failed attempt's reads are gone, but the bar stays where it was.
        assert_eq!(job.scanned(), (0, 0));
        assert_eq!(job.fraction, 0.25);
        job.apply(&started(key(1500.0, 0, 1)));
        job.apply(&progress(key(2000.0, 0, 1), 900));
        assert_eq!(job.stages[0].fraction, 0.9 / 2.0);
        job.apply(&JobEvent::JobSucceeded {
            job_id: 3,
            at_ms: 3000.0,
        });
        assert_eq!(job.fraction, 1.0);
        assert_eq!(job.eta_ms(), None);
        let replayed = JobProgress::replay(&job.events.events(), Some(1200.0)).expect("replays");
        assert_eq!(replayed.fraction, 0.25);
        assert_eq!(replayed.elapsed_ms, 1200.0);
        assert_eq!(replayed.status, JobStatus::Running);
    }
}
