//! One job's run: which tasks wait, run or are done, what each attempt wrote, and the
//! events that tell the views about it.

use kiln_protocol::{
    AttemptId, FaultConfig, InputRead, JobEvent, JobId, JobPlan, StageOutput, StagePlan, TaskInput,
    TaskMetrics, TaskProgress, TaskRequest, UserError, WorkerId,
};

use crate::faults::FaultDice;

#[derive(Clone, Debug, PartialEq)]
pub struct SchedulerConfig {
    /// Attempts a task gets before the job fails, as Spark's `spark.task.maxFailures`.
    pub max_attempts: u32,
    /// Workers in the pool; a failed task avoids the worker it failed on while others exist.
    pub workers: usize,
    pub faults: FaultConfig,
    /// An attempt that has not reported for this long is given up and run elsewhere
    /// (a worker stuck in a loop cannot be asked to stop; its driver ends it).
    pub task_timeout_ms: Option<f64>,
    /// The job's result is written, a Parquet file per task of its last stage, rather
    /// than handed back as blocks to keep (a result too large to hold).
    pub result_as_parquet: bool,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            workers: 1,
            faults: FaultConfig::default(),
            task_timeout_ms: None,
            result_as_parquet: false,
        }
    }
}

/// A task attempt handed to a worker, with the blocks it reads in the order
/// `request.inputs` lists them.
#[derive(Clone, Debug)]
pub struct Assignment<B> {
    pub worker: WorkerId,
    pub request: TaskRequest,
    pub blocks: Vec<B>,
    /// Fault injection: the driver kills this worker while the attempt runs.
    pub kill_worker: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum JobState {
    Running,
    Succeeded,
    Failed(UserError),
    Cancelled,
}

#[derive(Debug)]
enum TaskState<B> {
    Waiting,
    Running {
        worker: WorkerId,
        attempt: u32,
        /// When the attempt last reported (started, or sent progress): the task timeout
        /// counts silence, not running time, so a long merge that reports is not ended.
        heard_ms: f64,
    },
    /// The blocks it wrote, one per output partition; `None` for an empty one.
    Done(Vec<Option<B>>),
}

#[derive(Debug)]
struct Task<B> {
    state: TaskState<B>,
    attempts: u32,
    failed_on: Vec<WorkerId>,
}

#[derive(Debug)]
struct Stage<B> {
    plan: StagePlan,
    tasks: Vec<Task<B>>,
    submitted: bool,
    done: usize,
}

impl<B> Stage<B> {
    fn completed(&self) -> bool {
        self.done == self.tasks.len()
    }

    fn output(&self, task: usize, partition: usize) -> Option<&B> {
        match &self.tasks.get(task)?.state {
            TaskState::Done(blocks) => blocks.get(partition)?.as_ref(),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct Job<B> {
    job_id: JobId,
    stages: Vec<Stage<B>>,
    config: SchedulerConfig,
    state: JobState,
    events: Vec<JobEvent>,
    start_ms: f64,
    attempts_started: u32,
    dice: FaultDice,
    /// The result the planner computed, for a job with no task (`JobPlan::answer`).
    answer: Option<Vec<u8>>,
    /// What each task is told it may use (`JobPlan::memory_per_worker`).
    memory_per_worker: Option<u64>,
}

impl<B: Clone> Job<B> {
    /// Starts a job at `now_ms` (any clock, as long as later calls use the same one).
    pub fn new(plan: JobPlan, config: SchedulerConfig, now_ms: f64) -> Self {
        let stages = plan
            .stages
            .into_iter()
            .map(|plan| Stage {
                tasks: (0..plan.tasks.len())
                    .map(|_| Task {
                        state: TaskState::Waiting,
                        attempts: 0,
                        failed_on: Vec::new(),
                    })
                    .collect(),
                plan,
                submitted: false,
                done: 0,
            })
            .collect();
        let mut job = Self {
            job_id: plan.job_id,
            stages,
            dice: FaultDice::new(config.faults.seed),
            config,
            state: JobState::Running,
            events: Vec::new(),
            start_ms: now_ms,
            attempts_started: 0,
            answer: plan.answer,
            memory_per_worker: plan.memory_per_worker,
        };
        job.events.push(JobEvent::JobSubmitted {
            job_id: job.job_id,
            at_ms: 0.0,
            sql: plan.sql,
            graph: plan.graph,
            plans: plan.plans,
            workers: job.config.workers,
            memory_per_worker: job.memory_per_worker,
        });
        job.submit_ready_stages(now_ms);
        job
    }

    pub fn job_id(&self) -> JobId {
        self.job_id
    }

    pub fn state(&self) -> &JobState {
        &self.state
    }

    pub fn is_running(&self) -> bool {
        self.state == JobState::Running
    }

    /// Events since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<JobEvent> {
        std::mem::take(&mut self.events)
    }

    /// Workers running an attempt of this job, with the attempt.
    pub fn running(&self) -> Vec<(WorkerId, AttemptId)> {
        let mut out = Vec::new();
        for stage in &self.stages {
            for (task, t) in stage.tasks.iter().enumerate() {
                if let TaskState::Running {
                    worker, attempt, ..
                } = t.state
                {
                    out.push((worker, self.attempt_id(stage.plan.id, task, attempt)));
                }
            }
        }
        out
    }

    /// The next attempt for an idle worker: the waiting task of the lowest ready stage
    /// (Spark's FIFO order), skipping tasks that already failed on this worker while
    /// another worker could take them.
    pub fn assign(&mut self, worker: WorkerId, now_ms: f64) -> Option<Assignment<B>> {
        if !self.is_running() {
            return None;
        }
        let workers = self.config.workers;
        let (stage_index, task_index) = self.stages.iter().enumerate().find_map(|(s, stage)| {
            if !stage.submitted || stage.completed() {
                return None;
            }
            stage
                .tasks
                .iter()
                .position(|t| {
                    matches!(t.state, TaskState::Waiting)
                        && !(t.failed_on.contains(&worker) && distinct(&t.failed_on) < workers)
                })
                .map(|t| (s, t))
        })?;
        let attempt = self.stages[stage_index].tasks[task_index].attempts;
        let inject_failure = (attempt + 1 < self.config.max_attempts
            || self.config.faults.fail_every_attempt)
            && self.config.faults.task_failure_probability > 0.0
            && self.dice.roll() < self.config.faults.task_failure_probability;
        let kill_worker = self.config.faults.kill_worker_at_attempt == Some(self.attempts_started);
        let hang = self.config.faults.hang_at_attempt == Some(self.attempts_started);
        self.attempts_started += 1;

        let stage = &self.stages[stage_index];
        let spec = &stage.plan.tasks[task_index];
        let mut inputs = Vec::with_capacity(spec.reads.len());
        let mut blocks = Vec::new();
        for read in &spec.reads {
            let before = blocks.len();
            self.collect_blocks(*read, &mut blocks);
            inputs.push(TaskInput {
                stage: read.stage,
                partition: read.partition,
                blocks: blocks.len() - before,
            });
        }
        let request = TaskRequest {
            job_id: self.job_id,
            stage: stage.plan.id,
            task: task_index,
            attempt,
            partition: spec.partition,
            fragment: spec
                .fragment
                .clone()
                .unwrap_or_else(|| stage.plan.fragment.clone()),
            inputs,
            inject_failure,
            crash_worker: kill_worker,
            hang,
            result_as_parquet: self.config.result_as_parquet
                && stage.plan.output == StageOutput::Result,
            memory_budget: self.memory_per_worker,
            shuffle_to: None,
        };
        let split = spec.split.clone();
        let input_bytes = spec.input_bytes;
        let task = &mut self.stages[stage_index].tasks[task_index];
        task.attempts += 1;
        task.state = TaskState::Running {
            worker,
            attempt,
            heard_ms: now_ms,
        };
        self.events.push(JobEvent::TaskStarted {
            job_id: self.job_id,
            at_ms: self.at(now_ms),
            stage: request.stage,
            task: task_index,
            attempt,
            worker,
            split,
            input_bytes,
        });
        Some(Assignment {
            worker,
            request,
            blocks,
            kill_worker,
        })
    }

    /// The blocks of one input partition, by the kind of exchange that feeds it.
    fn collect_blocks(&self, read: InputRead, into: &mut Vec<B>) {
        let Some(input) = self.stages.get(read.stage) else {
            return;
        };
        let tasks = 0..input.tasks.len();
        match input.plan.output {
            // Partition p of a shuffle is bucket p of every map task.
            StageOutput::Shuffle { .. } => into.extend(
                tasks
                    .filter_map(|t| input.output(t, read.partition))
                    .cloned(),
            ),
            // Partition i of a gather is all that map task i wrote.
            StageOutput::Gather => into.extend(input.output(read.partition, 0).cloned()),
            // A broadcast is everything, for every reader.
            StageOutput::Broadcast | StageOutput::Result => {
                into.extend(tasks.filter_map(|t| input.output(t, 0)).cloned())
            }
        }
    }

    pub fn progress(&mut self, id: AttemptId, progress: TaskProgress, now_ms: f64) {
        if self.running_worker(id).is_some() {
            if let Some(TaskState::Running { heard_ms, .. }) = self
                .stages
                .get_mut(id.stage)
                .and_then(|s| s.tasks.get_mut(id.task))
                .map(|t| &mut t.state)
            {
                *heard_ms = now_ms;
            }
            self.events.push(JobEvent::TaskProgress {
                job_id: self.job_id,
                at_ms: self.at(now_ms),
                stage: id.stage,
                task: id.task,
                attempt: id.attempt,
                progress,
            });
        }
    }

    /// The workers whose attempts have not reported for longer than the task timeout:
    /// the driver ends them and reports them lost, and their tasks run again elsewhere.
    pub fn overdue(&self, now_ms: f64) -> Vec<WorkerId> {
        let Some(timeout) = self.config.task_timeout_ms else {
            return Vec::new();
        };
        self.stages
            .iter()
            .flat_map(|s| &s.tasks)
            .filter_map(|t| match t.state {
                TaskState::Running {
                    worker, heard_ms, ..
                } if now_ms - heard_ms > timeout => Some(worker),
                _ => None,
            })
            .collect()
    }

    /// Records a finished attempt and its blocks (one per output partition, `None` when
    /// empty). Reports of attempts no longer current (a cancelled job, a task already
    /// retried) are ignored.
    pub fn finished(
        &mut self,
        id: AttemptId,
        metrics: TaskMetrics,
        blocks: Vec<Option<B>>,
        now_ms: f64,
    ) {
        let Some(worker) = self.running_worker(id) else {
            return;
        };
        let at_ms = self.at(now_ms);
        let stage = &mut self.stages[id.stage];
        stage.tasks[id.task].state = TaskState::Done(blocks);
        stage.done += 1;
        self.events.push(JobEvent::TaskFinished {
            job_id: self.job_id,
            at_ms,
            stage: id.stage,
            task: id.task,
            attempt: id.attempt,
            worker,
            metrics,
        });
        if stage.completed() {
            self.events.push(JobEvent::StageCompleted {
                job_id: self.job_id,
                at_ms,
                stage: id.stage,
            });
            self.submit_ready_stages(now_ms);
        }
    }

    /// Records a failed attempt: the task waits for another worker, or, when its
    /// attempts are spent, the job fails with this error.
    pub fn failed(&mut self, id: AttemptId, error: UserError, now_ms: f64) {
        let Some(worker) = self.running_worker(id) else {
            return;
        };
        let at_ms = self.at(now_ms);
        let max_attempts = self.config.max_attempts;
        let task = &mut self.stages[id.stage].tasks[id.task];
        task.failed_on.push(worker);
        let over_budget = error.is_over_memory_budget();
        let will_retry = task.attempts < max_attempts && !over_budget;
        task.state = TaskState::Waiting;
        self.events.push(JobEvent::TaskFailed {
            job_id: self.job_id,
            at_ms,
            stage: id.stage,
            task: id.task,
            attempt: id.attempt,
            worker,
            error: error.clone(),
            will_retry,
        });
        if !will_retry {
            let context = if over_budget {
                format!(
                    "{} (not retried: under the same memory budget every attempt fails the same way)",
                    error.context
                )
            } else {
                format!("{} (failed {max_attempts} times)", error.context)
            };
            let error = UserError { context, ..error };
            self.state = JobState::Failed(error.clone());
            self.events.push(JobEvent::JobFailed {
                job_id: self.job_id,
                at_ms,
                error,
            });
        }
    }

    /// A worker died (a trap, out of memory, killed): its running attempts fail and are
    /// retried elsewhere. Finished blocks are the driver's and survive it.
    pub fn worker_lost(&mut self, worker: WorkerId, reason: &str, now_ms: f64) {
        let lost: Vec<AttemptId> = self
            .running()
            .into_iter()
            .filter(|(w, _)| *w == worker)
            .map(|(_, id)| id)
            .collect();
        if lost.is_empty() || !self.is_running() {
            return;
        }
        self.events.push(JobEvent::WorkerLost {
            job_id: self.job_id,
            at_ms: self.at(now_ms),
            worker,
            reason: reason.to_string(),
        });
        for id in lost {
            let error = UserError {
                context: format!("running stage {} task {}", id.stage, id.task),
                message: format!("worker {worker} was lost: {reason}"),
                location: None,
            };
            self.failed(id, error, now_ms);
        }
    }

    /// Cancels the job. The driver stops the workers in [`Job::running`] itself.
    pub fn cancel(&mut self, now_ms: f64) {
        if self.is_running() {
            self.state = JobState::Cancelled;
            self.events.push(JobEvent::JobCancelled {
                job_id: self.job_id,
                at_ms: self.at(now_ms),
            });
        }
    }

    /// Stops the job as failed, for a reason outside its tasks (its result grew past
    /// what the driver can hold).
    pub fn abort(&mut self, error: UserError, now_ms: f64) {
        if self.is_running() {
            self.state = JobState::Failed(error.clone());
            self.events.push(JobEvent::JobFailed {
                job_id: self.job_id,
                at_ms: self.at(now_ms),
                error,
            });
        }
    }

    /// The id of the stage whose tasks make the job's result.
    pub fn result_stage(&self) -> Option<usize> {
        self.stages.last().map(|s| s.plan.id)
    }

    /// The result's blocks in task order, once the job has succeeded; `from_answer`
    /// makes a block of the planner's answer, for a job it answered.
    pub fn take_result(&mut self, from_answer: impl FnOnce(Vec<u8>) -> B) -> Vec<B> {
        if self.state != JobState::Succeeded {
            return Vec::new();
        }
        if let Some(answer) = self.answer.take() {
            return vec![from_answer(answer)];
        }
        let Some(last) = self.stages.last_mut() else {
            return Vec::new();
        };
        last.tasks
            .iter_mut()
            .flat_map(
                |t| match std::mem::replace(&mut t.state, TaskState::Waiting) {
                    TaskState::Done(blocks) => blocks.into_iter().flatten().collect(),
                    _ => Vec::new(),
                },
            )
            .collect()
    }

    /// Submits every stage whose inputs are complete. A stage without tasks (a scan of
    /// no files) completes as it is submitted, which may make its readers ready too.
    fn submit_ready_stages(&mut self, now_ms: f64) {
        let at_ms = self.at(now_ms);
        loop {
            let completed: Vec<bool> = self
                .stages
                .iter()
                .map(|s| s.submitted && s.completed())
                .collect();
            let Some(stage) = self
                .stages
                .iter_mut()
                .find(|s| !s.submitted && s.plan.inputs.iter().all(|i| completed[*i]))
            else {
                break;
            };
            stage.submitted = true;
            let (id, tasks) = (stage.plan.id, stage.tasks.len());
            self.events.push(JobEvent::StageSubmitted {
                job_id: self.job_id,
                at_ms,
                stage: id,
                tasks,
            });
            if tasks == 0 {
                self.events.push(JobEvent::StageCompleted {
                    job_id: self.job_id,
                    at_ms,
                    stage: id,
                });
            }
        }
        if self.stages.iter().all(|s| s.submitted && s.completed()) {
            self.state = JobState::Succeeded;
            self.events.push(JobEvent::JobSucceeded {
                job_id: self.job_id,
                at_ms,
            });
        }
    }

    fn running_worker(&self, id: AttemptId) -> Option<WorkerId> {
        if id.job_id != self.job_id || !self.is_running() {
            return None;
        }
        match self.stages.get(id.stage)?.tasks.get(id.task)?.state {
            TaskState::Running {
                worker, attempt, ..
            } if attempt == id.attempt => Some(worker),
            _ => None,
        }
    }

    fn attempt_id(&self, stage: usize, task: usize, attempt: u32) -> AttemptId {
        AttemptId {
            job_id: self.job_id,
            stage,
            task,
            attempt,
        }
    }

    fn at(&self, now_ms: f64) -> f64 {
        (now_ms - self.start_ms).max(0.0)
    }
}

fn distinct(workers: &[WorkerId]) -> usize {
    let mut seen: Vec<WorkerId> = workers.to_vec();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}
