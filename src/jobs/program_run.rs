//! A PySpark program's run as the console shows it: its outputs in program order, text
//! as it is and each action as a job with its status, rows and (for `show`) the first
//! rows, the way `pyspark` prints them.

use kiln_protocol::{JobId, ProgramStep, ResultPage, ResultSummary, UserError, WriteSpec};

#[derive(Clone, Debug, PartialEq)]
pub struct ProgramRun {
    pub entries: Vec<Entry>,
    /// Every step has run, or the run stopped (an error or a cancel).
    pub finished: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub line: u64,
    pub kind: EntryKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EntryKind {
    Text(String),
    Job {
        job_id: JobId,
        /// The action, as the program's line spells it.
        text: String,
        write: Option<Box<WriteSpec>>,
        status: JobStatus,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum JobStatus {
    Waiting,
    Running,
    Done {
        result_id: u64,
        summary: ResultSummary,
        /// The first rows, for the console's table.
        first: ResultPage,
    },
    Failed(UserError),
    /// An earlier step failed or the run was stopped.
    Skipped,
}

/// Rows of a result the console shows inline; the whole result is in the Results tab.
pub const CONSOLE_ROWS: usize = 20;

impl ProgramRun {
    pub fn new(steps: &[ProgramStep]) -> Self {
        let entries = steps
            .iter()
            .map(|step| match step {
                ProgramStep::Text { line, text } => Entry {
                    line: *line,
                    kind: EntryKind::Text(text.clone()),
                },
                ProgramStep::Job { line, plan, write } => Entry {
                    line: *line,
                    kind: EntryKind::Job {
                        job_id: plan.job_id,
                        text: plan.sql.clone(),
                        write: write.clone().map(Box::new),
                        status: JobStatus::Waiting,
                    },
                },
            })
            .collect();
        let mut run = ProgramRun {
            entries,
            finished: false,
        };
        run.finished = !run.has_waiting();
        run
    }

    fn has_waiting(&self) -> bool {
        self.entries.iter().any(|e| {
            matches!(
                e.kind,
                EntryKind::Job {
                    status: JobStatus::Waiting | JobStatus::Running,
                    ..
                }
            )
        })
    }

    fn job_mut(&mut self, id: JobId) -> Option<&mut JobStatus> {
        self.entries.iter_mut().find_map(|e| match &mut e.kind {
            EntryKind::Job { job_id, status, .. } if *job_id == id => Some(status),
            _ => None,
        })
    }

    pub fn started(&mut self, id: JobId) {
        if let Some(status) = self.job_mut(id) {
            *status = JobStatus::Running;
        }
    }

    pub fn done(&mut self, id: JobId, result_id: u64, summary: ResultSummary, first: ResultPage) {
        if let Some(status) = self.job_mut(id) {
            *status = JobStatus::Done {
                result_id,
                summary,
                first,
            };
        }
        self.finished = !self.has_waiting();
    }

    /// The job failed: the steps after it do not run, as a Python script stops at its
    /// first exception.
    pub fn failed(&mut self, id: JobId, error: UserError) {
        if let Some(status) = self.job_mut(id) {
            *status = JobStatus::Failed(error);
        }
        self.stop();
    }

    /// Whatever has not run will not.
    pub fn stop(&mut self) {
        for entry in &mut self.entries {
            if let EntryKind::Job { status, .. } = &mut entry.kind
                && matches!(status, JobStatus::Waiting | JobStatus::Running)
            {
                *status = JobStatus::Skipped;
            }
        }
        self.finished = true;
    }
}

#[cfg(test)]
mod tests {
    use kiln_protocol::{JobPlan, JobPlans, StageGraph};

    use super::*;

    fn job(id: JobId, line: u64) -> ProgramStep {
        ProgramStep::Job {
            line,
            plan: Box::new(JobPlan {
                job_id: id,
                sql: format!("line {line}: df.show()"),
                graph: StageGraph { stages: vec![] },
                plans: JobPlans::default(),
                stages: vec![],
                result_schema: vec![],
                answer: None,
                memory_per_worker: None,
            }),
            write: None,
        }
    }

    fn summary() -> ResultSummary {
        ResultSummary {
            columns: vec![],
            total_rows: 3,
            elapsed_ms: 1.0,
        }
    }

    #[test]
    fn a_failed_job_skips_the_steps_after_it() {
        let steps = vec![
            ProgramStep::Text {
                line: 1,
                text: "root".into(),
            },
            job(7, 2),
            job(8, 3),
        ];
        let mut run = ProgramRun::new(&steps);
        assert!(!run.finished);
        run.started(7);
        run.failed(
            7,
            UserError {
                context: "c".into(),
                message: "m".into(),
                location: None,
            },
        );
        assert!(run.finished);
        assert!(matches!(
            &run.entries[2].kind,
            EntryKind::Job {
                status: JobStatus::Skipped,
                ..
            }
        ));
    }

    #[test]
    fn the_run_finishes_with_its_last_job() {
        let mut run = ProgramRun::new(&[job(1, 1), job(2, 2)]);
        let page = ResultPage {
            offset: 0,
            rows: vec![],
        };
        run.done(1, 10, summary(), page.clone());
        assert!(!run.finished);
        run.done(2, 11, summary(), page);
        assert!(run.finished);
        assert!(ProgramRun::new(&[]).finished);
    }
}
