//! Runs of a scheduled job, one interval at a time (a backfill, or the simulated clock
//! passing a run's time): the job's text with the interval's parameters, run as any
//! job, retried when it fails, and its result written into the run's own partition
//! folder in the browser's private file system. Rerunning an interval replaces its
//! folder, so runs are idempotent. When the queue empties, the output is (re)opened as
//! a table.

use std::collections::VecDeque;

use kiln_protocol::{
    ExportFormat, ExportTarget, FileLayout, JobSource, RequestBody, RequestId, UserError,
    WriteOptions,
};
use wasm_bindgen_futures::{future_to_promise, spawn_local};

use super::{EngineClient, describe};
use crate::state::{Action, Pending};
use crate::storage::files::PickedFile;
use crate::storage::opfs;
use crate::storage::save::Destination;
use crate::workshop::schedule::{Cadence, Interval, RunStatus, RunUpdate, render};

/// Where scheduled jobs' outputs live in OPFS: `kiln-outputs/<name>/<partition>/`.
pub const OUTPUTS_FOLDER: &str = "kiln-outputs";

/// What every run of one scheduled job shares.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    pub job: JobSource,
    pub name: String,
    pub cadence: Cadence,
    pub service: String,
    pub attempts_per_run: u32,
    pub fail_once: Option<i64>,
}

#[derive(Default)]
pub struct RunQueue {
    spec: Option<RunSpec>,
    queue: VecDeque<(Interval, u32)>,
    current: Option<Current>,
}

struct Current {
    interval: Interval,
    attempt: u32,
    /// The request that plans the run's job (or program).
    request: RequestId,
    /// The run's result, once its job is done, and the save writing it.
    rows: Option<u64>,
    save_request: Option<RequestId>,
    export_id: Option<u64>,
}

impl EngineClient {
    /// Queues a run per interval; runs already queued for an interval are not doubled.
    pub fn run_intervals(&self, spec: RunSpec, intervals: Vec<Interval>) {
        {
            let mut inner = self.inner.borrow_mut();
            let runs = &mut inner.runs;
            runs.spec = Some(spec);
            for interval in intervals {
                if !runs.queue.iter().any(|(i, _)| *i == interval) {
                    runs.queue.push_back((interval, 1));
                }
            }
        }
        let queued: Vec<Interval> = self
            .inner
            .borrow()
            .runs
            .queue
            .iter()
            .map(|(i, _)| *i)
            .collect();
        for interval in queued {
            self.report_run(interval, RunStatus::Queued, 0, None, None);
        }
        self.next_run();
    }

    fn report_run(
        &self,
        interval: Interval,
        status: RunStatus,
        attempts: u32,
        error: Option<String>,
        rows: Option<u64>,
    ) {
        let name = self
            .inner
            .borrow()
            .runs
            .spec
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        self.dispatch(Action::RunUpdate(RunUpdate {
            name,
            interval,
            status,
            attempts,
            error,
            rows,
        }));
    }

    /// Starts the next queued run, unless one is running; with none left, opens the
    /// output as a table.
    fn next_run(&self) {
        if self.inner.borrow().runs.current.is_some() {
            return;
        }
        let next = {
            let mut inner = self.inner.borrow_mut();
            let spec = inner.runs.spec.clone();
            inner.runs.queue.pop_front().zip(spec)
        };
        let Some(((interval, attempt), spec)) = next else {
            if let Some(spec) = self.inner.borrow_mut().runs.spec.take() {
                self.open_output(spec.name);
            }
            return;
        };
        let params = interval.params(&spec.service);
        let text = match render(spec.job.text(), &params) {
            Ok(text) => text,
            Err(message) => {
                self.report_run(interval, RunStatus::Failed, attempt, Some(message), None);
                self.next_run();
                return;
            }
        };
        // The fault to teach retries: every task attempt of this run's job fails, so
        // the job fails, and the run is retried.
        let mut settings = self.inner.borrow().settings.clone();
        if spec.fail_once == Some(interval.start) && attempt == 1 {
            settings.fail_probability = 1.0;
            settings.fail_every_attempt = true;
        }
        let request = self.inner.borrow().next_id;
        {
            let mut inner = self.inner.borrow_mut();
            inner.settings_override = Some(settings.clone());
            inner.runs.current = Some(Current {
                interval,
                attempt,
                request,
                rows: None,
                save_request: None,
                export_id: None,
            });
        }
        self.report_run(interval, RunStatus::Running, attempt, None, None);
        match spec.job {
            JobSource::Sql { .. } => self.run_sql(text, &settings),
            JobSource::PySpark { .. } => {
                self.inner.borrow_mut().program_job_of_run = true;
                self.run_program(text, &settings)
            }
        }
    }

    /// A job's result came back (request `id`, kept as `result_id`): if it finishes the
    /// current run (its SQL, or the last job of its program), the result is saved.
    pub(super) fn run_result(&self, id: RequestId, result_id: u64, rows: u64) {
        let finished = {
            let inner = self.inner.borrow();
            let Some(current) = &inner.runs.current else {
                return;
            };
            let program_done = inner.program.is_empty() && inner.program_job.is_none();
            current.save_request.is_none()
                && (current.request == id || (inner.program_job_of_run && program_done))
        };
        if !finished {
            return;
        }
        let (spec, interval) = {
            let inner = self.inner.borrow();
            let (Some(spec), Some(current)) = (&inner.runs.spec, &inner.runs.current) else {
                return;
            };
            (spec.clone(), current.interval)
        };
        let folder = format!("{}/{}", spec.name, interval.partition(spec.cadence));
        // Idempotent: the run's folder is emptied, then written.
        let handle = future_to_promise(async move {
            let root = opfs::folder_in_root(OUTPUTS_FOLDER).await?;
            opfs::remove_path(&root, &folder).await?;
            opfs::make_folder(&root, &folder).await
        });
        let save_request = self.inner.borrow().next_id;
        if let Some(current) = self.inner.borrow_mut().runs.current.as_mut() {
            current.rows = Some(rows);
            current.save_request = Some(save_request);
        }
        let target = ExportTarget::Folder {
            options: WriteOptions {
                format: ExportFormat::Parquet,
                partition_by: Vec::new(),
                files: FileLayout::Tasks,
            },
        };
        self.save_result(result_id, target, Destination::Folder(handle));
    }

    /// The request for a run's output was opened as export `export_id`.
    pub(super) fn run_export_opened(&self, request: RequestId, export_id: u64) {
        if let Some(current) = self.inner.borrow_mut().runs.current.as_mut()
            && current.save_request == Some(request)
        {
            current.export_id = Some(export_id);
        }
    }

    /// An export finished (`ok`) or failed: if it was the current run's, the run is
    /// over.
    pub(super) fn run_export_done(&self, export_id: u64, ok: Result<(), String>) {
        let is_ours = self
            .inner
            .borrow()
            .runs
            .current
            .as_ref()
            .is_some_and(|c| c.export_id == Some(export_id));
        if is_ours {
            self.end_attempt(ok);
        }
    }

    /// The current run's job failed (request `id`: its plan, or one of its jobs).
    pub(super) fn run_failed(&self, id: RequestId, error: &UserError) {
        let ours = {
            let inner = self.inner.borrow();
            inner.runs.current.as_ref().is_some_and(|c| {
                c.save_request.is_none()
                    && (c.request == id
                        || (inner.program_job_of_run && inner.program_job == Some(id)))
            })
        };
        if ours {
            self.end_attempt(Err(error.to_string()));
        }
    }

    fn end_attempt(&self, outcome: Result<(), String>) {
        let (current, attempts_per_run) = {
            let mut inner = self.inner.borrow_mut();
            inner.settings_override = None;
            inner.program_job_of_run = false;
            let attempts = inner.runs.spec.as_ref().map_or(1, |s| s.attempts_per_run);
            (inner.runs.current.take(), attempts)
        };
        let Some(current) = current else { return };
        match outcome {
            Ok(()) => self.report_run(
                current.interval,
                RunStatus::Succeeded,
                current.attempt,
                None,
                current.rows,
            ),
            Err(message) if current.attempt < attempts_per_run => {
                self.report_run(
                    current.interval,
                    RunStatus::Retrying,
                    current.attempt,
                    Some(message),
                    None,
                );
                self.inner
                    .borrow_mut()
                    .runs
                    .queue
                    .push_front((current.interval, current.attempt + 1));
            }
            Err(message) => self.report_run(
                current.interval,
                RunStatus::Failed,
                current.attempt,
                Some(message),
                None,
            ),
        }
        self.next_run();
    }

    /// Opens (again) the scheduled job's output as a table named `name`, its runs'
    /// folders as partitions.
    fn open_output(&self, name: String) {
        let this = self.clone();
        spawn_local(async move {
            let listed = list_output(&name).await;
            match listed {
                Ok(files) => {
                    let picked: Vec<PickedFile> = files
                        .into_iter()
                        .map(|(path, file)| PickedFile {
                            file,
                            path: format!("{name}/{path}"),
                        })
                        .collect();
                    this.send(
                        RequestBody::RemoveTable { name: name.clone() },
                        vec![],
                        Pending::Quiet,
                        None,
                    );
                    this.add_files(picked);
                }
                Err(e) => this.dispatch(Action::ShowError(UserError {
                    context: format!("opening the output {name}"),
                    message: describe(&e),
                    location: None,
                })),
            }
        });
    }

    /// The scheduled job's output folder as one zip.
    pub fn download_output(&self, name: String) {
        let this = self.clone();
        spawn_local(async move {
            let listed = list_output(&name).await;
            match listed {
                Ok(files) => this.zip_and_download(name, files),
                Err(e) => this.dispatch(Action::ShowError(UserError {
                    context: format!("downloading the output {name}"),
                    message: describe(&e),
                    location: None,
                })),
            }
        });
    }
}

/// Every file a scheduled job has written, by its path below the job's output folder.
async fn list_output(name: &str) -> Result<Vec<(String, web_sys::File)>, wasm_bindgen::JsValue> {
    let root = opfs::folder_in_root(OUTPUTS_FOLDER).await?;
    let dir = opfs::make_folder(&root, name).await?;
    opfs::list(&dir).await
}
