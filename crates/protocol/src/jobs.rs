//! A job as the scheduler sees it: stages of serialized plan fragments, the tasks they
//! run, the blocks of Arrow IPC that flow between them, and the events a run emits.
//!
//! Blocks (shuffle output, broadcast data, result batches) never travel inside these
//! structs: they go beside them, as transferable buffers in the browser and as shared
//! bytes natively. A struct only says how many blocks belong where, in order.

use serde::{Deserialize, Serialize};

use crate::{JobPlans, OperatorMetrics, StageGraph, StageOutput, UserError};

pub type JobId = u64;
/// A worker of the pool. A replacement worker gets a new id, never a dead one's.
pub type WorkerId = u64;

/// How a job is cut and run: the user's settings for one job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobOptions {
    /// Tasks per shuffle stage (DataFusion's `target_partitions` while planning).
    pub partitions: usize,
    /// A scan task reads row groups adding up to about this many bytes of its file.
    pub split_bytes: u64,
    /// The result is written as Parquet by the tasks of the last stage, not kept, so the
    /// planner leaves every stage to tasks (its own answers are kept blocks).
    #[serde(default)]
    pub result_to_disk: bool,
    /// Each worker's memory budget, when the job has one: a join whose build side may
    /// not fit it is then planned as a sort-merge join, which spills (a hash join's
    /// build side cannot).
    #[serde(default)]
    pub memory_per_worker: Option<u64>,
}

impl JobOptions {
    pub const DEFAULT_SPLIT_BYTES: u64 = 128 * 1024 * 1024;
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            partitions: 2,
            split_bytes: Self::DEFAULT_SPLIT_BYTES,
            result_to_disk: false,
            memory_per_worker: None,
        }
    }
}

/// Everything a scheduler needs to run a job, made by the planning side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobPlan {
    pub job_id: JobId,
    pub sql: String,
    /// The stage DAG as the views show it; `stages[i]` below is its `graph.stages[i]`.
    pub graph: StageGraph,
    pub plans: JobPlans,
    pub stages: Vec<StagePlan>,
    /// The result's schema as an empty Arrow IPC stream, so a result of no blocks still
    /// has columns.
    #[serde(with = "serde_bytes")]
    pub result_schema: Vec<u8>,
    /// The result as one block, when planning computed it (see
    /// `StageSummary::answered_in_planning`): the job then has no task to run.
    #[serde(default, with = "serde_bytes")]
    pub answer: Option<Vec<u8>>,
    /// Each worker's memory budget for the job's tasks (`JobOptions::memory_per_worker`,
    /// which the plan was made for).
    #[serde(default)]
    pub memory_per_worker: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StagePlan {
    pub id: usize,
    /// The stage's plan, serialized with datafusion-proto. Its leaves that read other
    /// stages are `StageInput` nodes, bound to blocks when a task runs.
    #[serde(with = "serde_bytes")]
    pub fragment: Vec<u8>,
    pub tasks: Vec<TaskSpec>,
    /// Stages this one reads, each with the kind of exchange between them.
    pub inputs: Vec<usize>,
    pub output: StageOutput,
}

impl StagePlan {
    /// Blocks each task of this stage writes.
    pub fn output_blocks(&self) -> usize {
        match &self.output {
            StageOutput::Shuffle { partitions, .. } => *partitions,
            _ => 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// The partition of the stage's plan this task computes.
    pub partition: usize,
    /// What it reads, for the views: "yellow/2024-01.parquet row groups 0-3 (130 MB)".
    pub split: Option<String>,
    /// Bytes of files it scans (the sum of its splits' ranges).
    #[serde(default)]
    pub input_bytes: u64,
    /// The input partitions it needs: (input stage, partition of that stage's reader).
    pub reads: Vec<InputRead>,
    /// This task's own fragment, when the stage's would carry every task's files (a
    /// scan over many files); else the stage's fragment serves.
    #[serde(default, with = "serde_bytes")]
    pub fragment: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRead {
    pub stage: usize,
    pub partition: usize,
}

/// One attempt of one task, as sent to a worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRequest {
    pub job_id: JobId,
    pub stage: usize,
    pub task: usize,
    pub attempt: u32,
    pub partition: usize,
    #[serde(with = "serde_bytes")]
    pub fragment: Vec<u8>,
    /// For each input partition, how many of the accompanying blocks are its, in order.
    pub inputs: Vec<TaskInput>,
    /// Fault injection: fail this attempt on purpose after its first batch.
    pub inject_failure: bool,
    /// Fault injection: the worker's instance crashes (a real trap) as it takes the task.
    /// Runners that cannot crash a worker (threads) end it their own way.
    #[serde(default)]
    pub crash_worker: bool,
    /// Fault injection: the attempt never reports (the worker loops), so only a task
    /// timeout gets the task done.
    #[serde(default)]
    pub hang: bool,
    /// A task of the job's last stage writes its output as one Parquet file (the
    /// result is saved to disk, not kept).
    #[serde(default)]
    pub result_as_parquet: bool,
    /// The worker's memory budget for this task: its operators spill past it.
    #[serde(default)]
    pub memory_budget: Option<u64>,
    /// Where the task writes its output blocks, when the page already holds as much
    /// shuffle output as it will (a folder of the browser's private storage, `/`-separated);
    /// `None`: they come back as bytes.
    #[serde(default)]
    pub shuffle_to: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInput {
    pub stage: usize,
    pub partition: usize,
    pub blocks: usize,
}

/// Which attempt of which task a report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AttemptId {
    pub job_id: JobId,
    pub stage: usize,
    pub task: usize,
    pub attempt: u32,
}

impl TaskRequest {
    pub fn attempt_id(&self) -> AttemptId {
        AttemptId {
            job_id: self.job_id,
            stage: self.stage,
            task: self.task,
            attempt: self.attempt,
        }
    }
}

/// What one finished attempt did. Bytes are Arrow IPC for shuffle and output.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskMetrics {
    pub duration_ms: f64,
    /// Rows the stage's leaves produced: scanned rows plus rows read from other stages.
    pub rows_in: u64,
    /// Rows the task's plan produced.
    pub rows_out: u64,
    /// Bytes read from the input files.
    pub bytes_read: u64,
    pub shuffle_read_rows: u64,
    pub shuffle_read_bytes: u64,
    pub shuffle_write_rows: u64,
    pub shuffle_write_bytes: u64,
    /// Bytes of the blocks written for the next stage or the result.
    pub output_bytes: u64,
    /// Peak memory of the worker's wasm instance, where it can be known. An instance's
    /// memory only grows, so this is the most any task on the worker has needed so far.
    pub peak_memory_bytes: Option<u64>,
    /// The most the task's own allocations held at once (live heap bytes, counted by the
    /// worker's allocator from the task's start): what it needed, beside what the
    /// instance has kept from earlier tasks and fragmentation.
    #[serde(default)]
    pub peak_heap_bytes: Option<u64>,
    /// Per operator of the stage, in the order of `StageSummary::operators`.
    #[serde(default)]
    pub operators: Vec<OperatorMetrics>,
    /// The memory budget the task ran under (its worker's), when there was one.
    #[serde(default)]
    pub memory_budget_bytes: Option<u64>,
    /// Spill files the task's operators wrote past that budget, and their bytes
    /// written and read back.
    #[serde(default)]
    pub spill_files: u64,
    #[serde(default)]
    pub spill_write_bytes: u64,
    #[serde(default)]
    pub spill_read_bytes: u64,
    /// Bytes of the task's output blocks written to disk (`TaskRequest::shuffle_to`), and
    /// of its input blocks read from there.
    #[serde(default)]
    pub shuffle_disk_write_bytes: u64,
    #[serde(default)]
    pub shuffle_disk_read_bytes: u64,
}

impl TaskMetrics {
    /// What the worker's spill files did during the task, under `budget`.
    pub fn record_spill(&mut self, budget: Option<u64>, files: u64, written: u64, read: u64) {
        self.memory_budget_bytes = budget;
        self.spill_files = files;
        self.spill_write_bytes = written;
        self.spill_read_bytes = read;
    }
}

/// A running attempt's progress so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskProgress {
    pub rows: u64,
    pub bytes_read: u64,
}

/// The settings that make a run go wrong on purpose, to teach and to test retries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultConfig {
    /// Chance that an attempt fails on purpose. A task's last allowed attempt is spared,
    /// so a demo job still finishes.
    pub task_failure_probability: f64,
    /// Kill the worker that runs the n-th task attempt of the job (0-based), mid-task.
    pub kill_worker_at_attempt: Option<u32>,
    pub seed: u64,
    /// Spare no attempt: with a probability of 1 the job fails, as a job does whose
    /// input is broken (a scheduled run's injected failure).
    #[serde(default)]
    pub fail_every_attempt: bool,
    /// Hang the worker that runs the n-th task attempt of the job (0-based).
    #[serde(default)]
    pub hang_at_attempt: Option<u32>,
}

/// One thing that happened while a job ran. Times are milliseconds since the job was
/// submitted, so a saved log replays the same way anywhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JobEvent {
    JobSubmitted {
        job_id: JobId,
        at_ms: f64,
        sql: String,
        graph: StageGraph,
        #[serde(default)]
        plans: JobPlans,
        workers: usize,
        /// Each worker's memory budget, when the job has one.
        #[serde(default)]
        memory_per_worker: Option<u64>,
    },
    StageSubmitted {
        job_id: JobId,
        at_ms: f64,
        stage: usize,
        tasks: usize,
    },
    StageCompleted {
        job_id: JobId,
        at_ms: f64,
        stage: usize,
    },
    TaskStarted {
        job_id: JobId,
        at_ms: f64,
        stage: usize,
        task: usize,
        attempt: u32,
        worker: WorkerId,
        split: Option<String>,
        #[serde(default)]
        input_bytes: u64,
    },
    TaskProgress {
        job_id: JobId,
        at_ms: f64,
        stage: usize,
        task: usize,
        attempt: u32,
        progress: TaskProgress,
    },
    TaskFinished {
        job_id: JobId,
        at_ms: f64,
        stage: usize,
        task: usize,
        attempt: u32,
        worker: WorkerId,
        metrics: TaskMetrics,
    },
    TaskFailed {
        job_id: JobId,
        at_ms: f64,
        stage: usize,
        task: usize,
        attempt: u32,
        worker: WorkerId,
        error: UserError,
        will_retry: bool,
    },
    WorkerLost {
        job_id: JobId,
        at_ms: f64,
        worker: WorkerId,
        reason: String,
    },
    JobSucceeded {
        job_id: JobId,
        at_ms: f64,
    },
    JobFailed {
        job_id: JobId,
        at_ms: f64,
        error: UserError,
    },
    JobCancelled {
        job_id: JobId,
        at_ms: f64,
    },
}

impl JobEvent {
    pub fn at_ms(&self) -> f64 {
        match self {
            JobEvent::JobSubmitted { at_ms, .. }
            | JobEvent::StageSubmitted { at_ms, .. }
            | JobEvent::StageCompleted { at_ms, .. }
            | JobEvent::TaskStarted { at_ms, .. }
            | JobEvent::TaskProgress { at_ms, .. }
            | JobEvent::TaskFinished { at_ms, .. }
            | JobEvent::TaskFailed { at_ms, .. }
            | JobEvent::WorkerLost { at_ms, .. }
            | JobEvent::JobSucceeded { at_ms, .. }
            | JobEvent::JobFailed { at_ms, .. }
            | JobEvent::JobCancelled { at_ms, .. } => *at_ms,
        }
    }

    pub fn job_id(&self) -> JobId {
        match self {
            JobEvent::JobSubmitted { job_id, .. }
            | JobEvent::StageSubmitted { job_id, .. }
            | JobEvent::StageCompleted { job_id, .. }
            | JobEvent::TaskStarted { job_id, .. }
            | JobEvent::TaskProgress { job_id, .. }
            | JobEvent::TaskFinished { job_id, .. }
            | JobEvent::TaskFailed { job_id, .. }
            | JobEvent::WorkerLost { job_id, .. }
            | JobEvent::JobSucceeded { job_id, .. }
            | JobEvent::JobFailed { job_id, .. }
            | JobEvent::JobCancelled { job_id, .. } => *job_id,
        }
    }

    /// Whether this event ends its job.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobEvent::JobSucceeded { .. }
                | JobEvent::JobFailed { .. }
                | JobEvent::JobCancelled { .. }
        )
    }
}
