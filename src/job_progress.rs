//! A job as the page shows it, folded from its event stream: what each stage has done,
//! the job's status, and the whole log (to save, and for the views to replay).

use std::rc::Rc;

use kiln_protocol::{JobEvent, JobId, StageGraph};

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
}

#[derive(Clone, Debug, PartialEq)]
pub struct JobProgress {
    pub job_id: JobId,
    pub status: JobStatus,
    pub workers: usize,
    pub stages: Vec<StageProgress>,
    pub elapsed_ms: f64,
    pub lost_workers: usize,
    pub graph: Rc<StageGraph>,
    pub events: Rc<Vec<JobEvent>>,
}

impl JobProgress {
    /// A new job's progress, from its `JobSubmitted` event.
    pub fn start(event: &JobEvent) -> Option<Self> {
        let JobEvent::JobSubmitted {
            job_id,
            graph,
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
            })
            .collect();
        Some(Self {
            job_id: *job_id,
            status: JobStatus::Running,
            workers: *workers,
            stages,
            elapsed_ms: 0.0,
            lost_workers: 0,
            graph: Rc::new(graph.clone()),
            events: Rc::new(vec![event.clone()]),
        })
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
            JobEvent::TaskStarted { stage, .. } => {
                if let Some(s) = self.stage_mut(*stage) {
                    s.running += 1;
                }
            }
            JobEvent::TaskFinished { stage, .. } => {
                if let Some(s) = self.stage_mut(*stage) {
                    s.running = s.running.saturating_sub(1);
                    s.done += 1;
                }
            }
            JobEvent::TaskFailed { stage, .. } => {
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
                for s in &mut self.stages {
                    s.running = 0;
                }
            }
            JobEvent::StageCompleted { .. } | JobEvent::TaskProgress { .. } => {}
        }
        Rc::make_mut(&mut self.events).push(event.clone());
    }

    fn stage_mut(&mut self, id: usize) -> Option<&mut StageProgress> {
        self.stages.iter_mut().find(|s| s.id == id)
    }

    pub fn tasks(&self) -> (usize, usize) {
        let total = self.stages.iter().map(|s| s.tasks).sum();
        let done = self.stages.iter().map(|s| s.done).sum();
        (done, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_protocol::{StageGraph, StageOutput, StageSummary, TaskMetrics};

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
                }],
            },
            workers: 2,
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
        assert_eq!(job.events.len(), 5);
    }
}
