//! Owns the engine worker: compiles the engine once, starts the worker, speaks the
//! message protocol, and turns what comes back into `Action`s. It also remembers the
//! catalog changes that succeeded, so a restarted engine can be given the same files.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};

use js_sys::{Array, Object, Reflect, Uint8Array, WebAssembly};
use kiln_protocol::{
    ChartSpec, ExportTarget, FileChunk, IncomingFile, JobEvent, JobOptions, JobPlan, JobSource,
    ProgramStep, Request, RequestBody, RequestId, Response, ResponseBody, StoreSource, UserError,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{ErrorEvent, Event, File, MessageEvent, Worker, WorkerOptions, WorkerType};
use yew::Callback;

mod disk_result;
mod lake_maker;
mod scheduled_runs;
mod stream_runner;

pub use scheduled_runs::RunSpec;
mod pool_jobs;
mod saves;

use crate::jobs::block::Block;
use crate::jobs::pool::{PoolEvent, WorkerPool};
use crate::jobs::runner::{Effect, JobRunner, RunSettings};
use crate::js::describe;
use crate::result::PAGE_SIZE;
use crate::state::{Action, Pending};
use crate::storage::download;
use crate::storage::files::PickedFile;
use crate::storage::save::{Destination, Sink};

const ENGINE_WASM: &str = "engine/kiln_browser_bg.wasm";
const WORKER_SCRIPT: &str = "worker.js";

/// A cheap handle; clones share one worker.
#[derive(Clone)]
pub struct EngineClient {
    inner: Rc<RefCell<Inner>>,
}

impl PartialEq for EngineClient {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

struct Inner {
    dispatch: Callback<Action>,
    /// The compiled engine, kept so a restart needn't download and compile it again.
    module: Option<JsValue>,
    worker: Option<Worker>,
    /// Bumped for every worker and every crash, so late events from a dead one are ignored.
    generation: u32,
    ready: bool,
    next_id: RequestId,
    /// Requests made before the worker said it is ready.
    queue: VecDeque<Outgoing>,
    /// Catalog changes sent but not yet answered.
    sent_ops: Vec<(RequestId, CatalogOp)>,
    /// Catalog changes the engine accepted, by request id: what a restart replays. Kept
    /// in the order they were sent, which is the order the engine applied them.
    log: Vec<(RequestId, CatalogOp)>,
    /// The worker's event handlers must live as long as the worker.
    handlers: Option<Handlers>,
    /// The pool that runs jobs' tasks, and the job running on it.
    runner: JobRunner,
    settings: RunSettings,
    /// Job events not yet handed to the page's state: they go in batches, at most one
    /// per `EVENT_BATCH_MS`, so a job of a thousand tasks re-renders ten times a second
    /// rather than once per worker message.
    unsent_events: Vec<JobEvent>,
    flush_scheduled: bool,
    /// Saves asked for and not opened yet, by request id: where each goes.
    opening: HashMap<RequestId, Destination>,
    /// Saves under way, by export id. Taken out while a chunk is written.
    saving: HashMap<u64, Saving>,
    /// A program's actions not yet run, in order, and the request id of the one running.
    program: VecDeque<JobPlan>,
    program_job: Option<RequestId>,
    /// The sample lake being made, whether it is to be kept, and (once made or
    /// reopened) its files, for saving it.
    lake: Option<crate::workshop::lake::LakeBuild>,
    lake_keep: bool,
    lake_config: Option<kiln_protocol::LakeConfig>,
    lake_files: Vec<(String, File)>,
    /// Whether the kept lake was looked for (once, at the first start).
    looked_for_lake: bool,
    /// Runs of a scheduled job waiting or running, and the settings of the running
    /// one (a run may inject a failure); whether the running program is a run's.
    runs: scheduled_runs::RunQueue,
    settings_override: Option<RunSettings>,
    program_job_of_run: bool,
    stream: stream_runner::StreamQueue,
    /// The job whose result is being written into a folder.
    disk: Option<disk_result::DiskResult>,
    /// Checks running attempts against the task timeout, once a second.
    timeout_tick: Option<Closure<dyn FnMut()>>,
}

struct Saving {
    file_name: String,
    mime: String,
    sink: Sink,
    bytes: u64,
}

const EVENT_BATCH_MS: i32 = 100;

struct Outgoing {
    request: Request,
    files: Vec<File>,
    /// Arrow IPC blocks for the worker: bytes are transferred with the message, blocks on
    /// disk go as their `Blob`s.
    blocks: Vec<Block>,
}

struct Handlers {
    _message: Closure<dyn FnMut(MessageEvent)>,
    _error: Closure<dyn FnMut(Event)>,
    _message_error: Closure<dyn FnMut(MessageEvent)>,
}

#[derive(Clone, Debug)]
enum CatalogOp {
    Add(Vec<PickedFile>),
    Rename { from: String, to: String },
    Remove(String),
}

impl CatalogOp {
    fn request(&self) -> (RequestBody, Vec<File>) {
        match self {
            CatalogOp::Add(files) => (
                RequestBody::AddFiles {
                    files: files
                        .iter()
                        .map(|p| IncomingFile {
                            path: p.path.clone(),
                            size: p.file.size() as u64,
                        })
                        .collect(),
                },
                files.iter().map(|p| p.file.clone()).collect(),
            ),
            CatalogOp::Rename { from, to } => (
                RequestBody::RenameTable {
                    from: from.clone(),
                    to: to.clone(),
                },
                vec![],
            ),
            CatalogOp::Remove(name) => (RequestBody::RemoveTable { name: name.clone() }, vec![]),
        }
    }
}

impl EngineClient {
    pub fn new(dispatch: Callback<Action>, settings: RunSettings) -> Self {
        EngineClient {
            inner: Rc::new(RefCell::new(Inner {
                dispatch,
                module: None,
                worker: None,
                generation: 0,
                ready: false,
                next_id: 1,
                queue: VecDeque::new(),
                sent_ops: Vec::new(),
                log: Vec::new(),
                handlers: None,
                runner: JobRunner::default(),
                settings,
                unsent_events: Vec::new(),
                flush_scheduled: false,
                opening: HashMap::new(),
                saving: HashMap::new(),
                program: VecDeque::new(),
                program_job: None,
                lake: None,
                lake_keep: false,
                lake_config: None,
                lake_files: Vec::new(),
                looked_for_lake: false,
                runs: Default::default(),
                settings_override: None,
                program_job_of_run: false,
                stream: Default::default(),
                disk: None,
                timeout_tick: None,
            })),
        }
    }

    /// Compiles the engine (first time only) and starts a worker with it.
    pub fn start(&self) {
        let this = self.clone();
        spawn_local(async move {
            let module = this.inner.borrow().module.clone();
            let module = match module {
                Some(module) => module,
                None => match compile_engine().await {
                    Ok(module) => {
                        this.inner.borrow_mut().module = Some(module.clone());
                        module
                    }
                    Err(e) => {
                        this.crash(format!(
                            "The engine failed to load ({ENGINE_WASM}): {}",
                            describe(&e)
                        ));
                        return;
                    }
                },
            };
            this.start_pool(&module);
            let first = !std::mem::replace(&mut this.inner.borrow_mut().looked_for_lake, true);
            if first {
                this.reopen_kept_lake();
            }
            if let Err(e) = this.spawn_worker(&module) {
                this.crash(format!(
                    "The engine worker could not be started: {}",
                    describe(&e)
                ));
            }
        });
    }

    /// A new worker, given again every catalog change that had succeeded.
    pub fn restart(&self) {
        // After a crash the worker is already gone, and what was asked for since then
        // waits in the queue; only a live worker (a stop) needs ending here.
        if self.inner.borrow().worker.is_some() {
            self.tear_down(true);
        }
        let (log, waiting) = {
            let mut inner = self.inner.borrow_mut();
            (
                std::mem::take(&mut inner.log),
                std::mem::take(&mut inner.queue),
            )
        };
        self.dispatch(Action::EngineRestarting);
        // The catalog must be back before anything asked for while the engine was down.
        for (_, op) in log {
            self.send_op(op, Pending::Replay);
        }
        self.inner.borrow_mut().queue.extend(waiting);
        self.start();
    }

    /// Stops what runs: a job on the pool is cancelled (its busy workers are ended and
    /// replaced); anything else means replacing the planning worker, whose catalog is
    /// rebuilt from the log like after a crash.
    pub fn stop(&self) {
        let had_program = {
            let mut inner = self.inner.borrow_mut();
            let had = !inner.program.is_empty() || inner.program_job.is_some();
            inner.program.clear();
            had
        };
        if had_program {
            self.dispatch(Action::ProgramStopped);
        }
        self.stop_stream();
        if self.inner.borrow().runner.is_running() {
            let effects = self.inner.borrow_mut().runner.cancel();
            self.apply_effects(effects);
            return;
        }
        self.tear_down(true);
        self.dispatch(Action::EngineStopped);
        self.restart();
    }

    pub fn add_files(&self, files: Vec<PickedFile>) {
        if !files.is_empty() {
            self.send_op(CatalogOp::Add(files), Pending::AddFiles);
        }
    }

    pub fn rename_table(&self, from: String, to: String) {
        let pending = Pending::Rename {
            from: from.clone(),
            to: to.clone(),
        };
        self.send_op(CatalogOp::Rename { from, to }, pending);
    }

    pub fn remove_table(&self, name: String) {
        self.send_op(CatalogOp::Remove(name), Pending::Remove);
    }

    /// Plans `sql` as a job in the planning worker; its answer starts the job on the pool.
    pub fn run_sql(&self, sql: String, settings: &RunSettings) {
        // The pool follows the settings through `apply_settings` alone (the app calls it
        // whenever they change), so a run never resizes it.
        let mut options = job_options(settings);
        // A result written into a folder is written by the tasks, so the planner must
        // leave even a job it could answer itself to them.
        let id = self.inner.borrow().next_id;
        options.result_to_disk = self.is_disk_job(id);
        let body = RequestBody::PlanJob {
            sql: sql.clone(),
            options,
        };
        self.send(body, vec![], Pending::Query { sql }, None);
    }

    /// Runs a PySpark program: the planning worker interprets it and plans each action
    /// as a job; the jobs then run on the pool one after another, in program order.
    pub fn run_program(&self, source: String, settings: &RunSettings) {
        let body = RequestBody::PlanProgram {
            source,
            options: job_options(settings),
        };
        self.send(body, vec![], Pending::Program, None);
    }

    /// Each step's schema of a pipeline's program (its variables `vars`), and the first
    /// rows of the step `preview` holds.
    pub fn describe_pipeline(&self, source: String, vars: Vec<String>, preview: Option<usize>) {
        let body = RequestBody::DescribeProgram {
            source,
            preview: preview.and_then(|i| vars.get(i).cloned()),
            vars,
            rows: PREVIEW_ROWS,
        };
        self.send(body, vec![], Pending::DescribePipeline { preview }, None);
    }

    pub fn export_spark(&self, job: JobSource, title: String) {
        self.send(
            RequestBody::ExportSpark { job, title },
            vec![],
            Pending::SparkExport,
            None,
        );
    }

    /// The settings a job starts with: the page's, or a scheduled run's.
    fn run_settings(&self) -> RunSettings {
        let inner = self.inner.borrow();
        inner
            .settings_override
            .clone()
            .unwrap_or_else(|| inner.settings.clone())
    }

    /// New settings: the pool grows or shrinks to the number of workers.
    pub fn apply_settings(&self, settings: RunSettings) {
        let pool = {
            let mut inner = self.inner.borrow_mut();
            inner.settings = settings.clone();
            inner.runner.pool.clone()
        };
        if let Some(pool) = pool
            && pool.borrow().size() != settings.workers
        {
            pool.borrow_mut().resize(settings.workers);
        }
    }

    /// Gives the pool the files a catalog change added, where the planning worker put them.
    fn register_sources(&self, data: &JsValue, op: Option<&CatalogOp>, sources: &[StoreSource]) {
        let Some(pool) = self.inner.borrow().runner.pool.clone() else {
            return;
        };
        let made: Vec<JsValue> = Reflect::get(data, &"blocks".into())
            .ok()
            .filter(Array::is_array)
            .map(|a| Array::from(&a).iter().collect())
            .unwrap_or_default();
        let mut made = made.into_iter();
        let mut registered = Vec::new();
        for source in sources {
            let file = match (source.file, op) {
                (Some(i), Some(CatalogOp::Add(files))) => files.get(i).map(|p| p.file.clone()),
                (None, _) => made.next().and_then(|bytes| {
                    let name = source.path.rsplit('/').next().unwrap_or("data");
                    File::new_with_buffer_source_sequence(&Array::of1(&bytes), name).ok()
                }),
                _ => None,
            };
            if let Some(file) = file {
                registered.push((source.path.clone(), file));
            }
        }
        pool.borrow_mut().register(registered);
    }

    pub fn fetch_page(&self, result_id: u64, offset: u64) {
        let body = RequestBody::FetchPage {
            result_id,
            offset,
            limit: PAGE_SIZE,
        };
        self.send(body, vec![], Pending::Page { result_id, offset }, None);
    }

    pub fn draw_chart(&self, result_id: u64, spec: ChartSpec) {
        self.send(
            RequestBody::Chart { result_id, spec },
            vec![],
            Pending::Chart,
            None,
        );
    }

    /// Asks for the column profiles of a kept result.
    pub fn profile(&self, result_id: u64) {
        self.send(
            RequestBody::Profile { result_id },
            vec![],
            Pending::Profile { result_id },
            None,
        );
    }

    fn send_op(&self, op: CatalogOp, pending: Pending) {
        let (body, files) = op.request();
        self.send(body, files, pending, Some(op));
    }

    fn send(&self, body: RequestBody, files: Vec<File>, pending: Pending, op: Option<CatalogOp>) {
        let (id, now) = {
            let mut inner = self.inner.borrow_mut();
            let id = inner.next_id;
            inner.next_id += 1;
            if let Some(op) = op {
                inner.sent_ops.push((id, op));
            }
            let out = Outgoing {
                request: Request { id, body },
                files,
                blocks: Vec::new(),
            };
            if inner.ready {
                (id, Some(out))
            } else {
                inner.queue.push_back(out);
                (id, None)
            }
        };
        // Recorded first: a failed post answers with an error for this id right away.
        self.dispatch(Action::Sent { id, pending });
        if let Some(out) = now {
            self.post(out);
        }
    }

    fn post(&self, out: Outgoing) {
        let id = out.request.id;
        let worker = self.inner.borrow().worker.clone();
        let posted = worker
            .ok_or_else(|| JsValue::from_str("the engine is not running"))
            .and_then(|worker| {
                let message = Object::new();
                Reflect::set(&message, &"kind".into(), &"request".into())?;
                let request = serde_wasm_bindgen::to_value(&out.request)?;
                Reflect::set(&message, &"request".into(), &request)?;
                let files: Array = out.files.iter().collect();
                Reflect::set(&message, &"files".into(), &files)?;
                if out.blocks.is_empty() {
                    return worker.post_message(&message);
                }
                let blocks: Array = out.blocks.iter().map(Block::to_js).collect();
                Reflect::set(&message, &"blocks".into(), &blocks)?;
                let transfer: Array = out
                    .blocks
                    .iter()
                    .filter_map(|b| match b {
                        Block::Held(bytes) => Some(bytes.buffer()),
                        Block::OnDisk(_) | Block::InMemory(_) => None,
                    })
                    .collect();
                worker.post_message_with_transfer(&message, &transfer)
            });
        if let Err(e) = posted {
            self.inner.borrow_mut().sent_ops.retain(|(i, _)| *i != id);
            self.answer_with_error(id, "sending the request to the engine", describe(&e));
        }
    }

    fn spawn_worker(&self, module: &JsValue) -> Result<(), JsValue> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        options.set_name("kiln planner");
        let worker = Worker::new_with_options(WORKER_SCRIPT, &options)?;
        let generation = {
            let mut inner = self.inner.borrow_mut();
            inner.generation += 1;
            inner.generation
        };
        let weak = Rc::downgrade(&self.inner);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let weak = weak.clone();
            move |event: MessageEvent| {
                if let Some(client) = live(&weak, generation) {
                    client.on_message(event.data());
                }
            }
        });
        let on_error = Closure::<dyn FnMut(Event)>::new({
            let weak = weak.clone();
            move |event: Event| {
                if let Some(client) = live(&weak, generation) {
                    let detail = event
                        .dyn_ref::<ErrorEvent>()
                        .map(|e| e.message())
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| {
                            format!("no details; {WORKER_SCRIPT} may have failed to load")
                        });
                    client.crash(format!("The engine worker crashed: {detail}"));
                }
            }
        });
        let on_message_error = Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            if let Some(client) = live(&weak, generation) {
                client.crash("The engine sent a message the page could not read.".into());
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker.set_onmessageerror(Some(on_message_error.as_ref().unchecked_ref()));

        let init = Object::new();
        Reflect::set(&init, &"kind".into(), &"init".into())?;
        Reflect::set(&init, &"module".into(), module)?;
        worker.post_message(&init)?;

        let mut inner = self.inner.borrow_mut();
        inner.worker = Some(worker);
        inner.ready = false;
        // Replacing the previous worker's handlers is safe here: none of them is running.
        inner.handlers = Some(Handlers {
            _message: on_message,
            _error: on_error,
            _message_error: on_message_error,
        });
        Ok(())
    }

    fn on_message(&self, data: JsValue) {
        let kind = Reflect::get(&data, &"kind".into())
            .ok()
            .and_then(|k| k.as_string());
        match kind.as_deref() {
            Some("ready") => {
                let queued = {
                    let mut inner = self.inner.borrow_mut();
                    inner.ready = true;
                    std::mem::take(&mut inner.queue)
                };
                self.dispatch(Action::EngineReady);
                for out in queued {
                    self.post(out);
                }
            }
            Some("fatal") => {
                let message = Reflect::get(&data, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
                    .unwrap_or_else(|| "no message".into());
                let started = self.inner.borrow().ready;
                self.crash(if started {
                    format!("The engine stopped: {message}")
                } else {
                    format!("The engine failed to start: {message}")
                });
            }
            Some("response") => self.on_response(&data),
            // Anything else is not ours to interpret; ignoring it keeps the page running.
            _ => {}
        }
    }

    fn on_response(&self, data: &JsValue) {
        let raw = Reflect::get(data, &"response".into()).unwrap_or(JsValue::UNDEFINED);
        let mut response: Response = match serde_wasm_bindgen::from_value(raw.clone()) {
            Ok(response) => response,
            Err(e) => {
                let id = Reflect::get(&raw, &"id".into())
                    .ok()
                    .and_then(|v| v.as_f64())
                    .map_or(0, |f| f as u64);
                self.inner.borrow_mut().sent_ops.retain(|(i, _)| *i != id);
                self.answer_with_error(id, "reading the engine's answer", e.to_string());
                return;
            }
        };
        let op = {
            let mut inner = self.inner.borrow_mut();
            let at = inner.sent_ops.iter().position(|(i, _)| *i == response.id);
            at.map(|at| inner.sent_ops.remove(at).1)
        };
        match &response.body {
            ResponseBody::Tables { sources, .. } => {
                self.register_sources(data, op.as_ref(), sources);
                if let Some(op) = op {
                    self.inner.borrow_mut().record(response.id, op);
                }
            }
            ResponseBody::JobPlanned { .. } => {
                let ResponseBody::JobPlanned { plan } = response.body else {
                    return;
                };
                let settings = self.run_settings();
                let page_size = if self.is_stream_job(response.id) {
                    stream_runner::STREAM_PAGE_ROWS
                } else {
                    PAGE_SIZE
                };
                let to_disk = self.is_disk_job(response.id);
                let effects = self.inner.borrow_mut().runner.start(
                    response.id,
                    plan,
                    &settings,
                    page_size,
                    to_disk,
                );
                self.apply_effects(effects);
                return;
            }
            ResponseBody::ProgramPlanned { steps } => {
                let jobs: VecDeque<JobPlan> = steps
                    .iter()
                    .filter_map(|s| match s {
                        ProgramStep::Job { plan, .. } => Some((**plan).clone()),
                        ProgramStep::Text { .. } => None,
                    })
                    .collect();
                let none = jobs.is_empty();
                self.inner.borrow_mut().program = jobs;
                let id = response.id;
                self.dispatch(Action::Received(response));
                self.next_program_job();
                if none {
                    self.run_failed(
                        id,
                        &UserError {
                            context: "running the scheduled program".into(),
                            message: "it shows or writes nothing, so there is no result to keep; end it with display(df) or df.show()".into(),
                            location: None,
                        },
                    );
                }
                return;
            }
            ResponseBody::LakePlanned { files } => {
                let config = self.inner.borrow_mut().lake_config.take();
                if let Some(config) = config {
                    self.lake_planned(config, files.clone());
                }
            }
            ResponseBody::QueryDone {
                result_id, summary, ..
            } => {
                let (id, result_id, rows) = (response.id, *result_id, summary.total_rows);
                self.dispatch(Action::Received(response));
                self.program_job_answered(id, true);
                self.run_result(id, result_id, rows);
                self.stream_job_answered(id, true);
                return;
            }
            ResponseBody::ExportOpened {
                export_id,
                file_name,
                mime,
                ..
            } => {
                self.run_export_opened(response.id, *export_id);
                self.export_opened(response.id, *export_id, file_name, mime)
            }
            ResponseBody::ExportChunk {
                export_id,
                last,
                file,
            } => {
                let chunk = Reflect::get(data, &"buffer".into()).unwrap_or(JsValue::UNDEFINED);
                self.export_chunk(*export_id, chunk, *last, file.clone());
            }
            ResponseBody::Error { error } => {
                // A save that failed to open has no file to wait for any more.
                self.inner.borrow_mut().opening.remove(&response.id);
                let id = response.id;
                self.run_failed(id, error);
                self.dispatch(Action::Received(response));
                self.program_job_answered(id, false);
                self.stream_job_answered(id, false);
                return;
            }
            ResponseBody::Download { file_name, mime } => {
                let buffer = Reflect::get(data, &"buffer".into()).unwrap_or(JsValue::UNDEFINED);
                let saved = if buffer.is_undefined() || buffer.is_null() {
                    Err("the engine sent no bytes".to_string())
                } else {
                    download::save(&buffer, file_name, mime).map_err(|e| describe(&e))
                };
                if let Err(message) = saved {
                    response.body = ResponseBody::Error {
                        error: UserError {
                            context: format!("saving {file_name}"),
                            message,
                            location: None,
                        },
                    };
                }
            }
            _ => {}
        }
        self.dispatch(Action::Received(response));
    }

    fn answer_with_error(&self, id: RequestId, context: &str, message: String) {
        self.dispatch(Action::Received(Response {
            id,
            body: ResponseBody::Error {
                error: UserError {
                    context: context.into(),
                    message,
                    location: None,
                },
            },
        }));
    }

    fn crash(&self, message: String) {
        self.tear_down(false);
        self.dispatch(Action::EngineCrashed(message));
    }

    /// Ends the current worker. What was in flight is lost with it (the reducer forgets
    /// it too on `EngineCrashed` / `EngineStopped`), except catalog changes: those not
    /// yet posted are kept for the restart, and so are the posted ones if `innocent`.
    /// After a crash they are not: any of them may be what brought the engine down.
    fn tear_down(&self, innocent: bool) {
        let mut inner = self.inner.borrow_mut();
        if let Some(worker) = inner.worker.take() {
            worker.set_onmessage(None);
            worker.set_onerror(None);
            worker.set_onmessageerror(None);
            worker.terminate();
        }
        inner.generation += 1;
        inner.ready = false;
        // The program's remaining jobs need the worker that planned them.
        inner.program.clear();
        inner.program_job = None;
        let queued: Vec<RequestId> = inner.queue.drain(..).map(|o| o.request.id).collect();
        for (id, op) in std::mem::take(&mut inner.sent_ops) {
            if innocent || queued.contains(&id) {
                inner.record(id, op);
            }
        }
    }

    /// Never called with `inner` borrowed: a dispatch may render, and rendering may call
    /// back into the client.
    fn dispatch(&self, action: Action) {
        let dispatch = self.inner.borrow().dispatch.clone();
        dispatch.emit(action);
    }
}

impl Inner {
    fn record(&mut self, id: RequestId, op: CatalogOp) {
        let at = self.log.partition_point(|(i, _)| *i < id);
        self.log.insert(at, (id, op));
    }
}

fn live(weak: &Weak<RefCell<Inner>>, generation: u32) -> Option<EngineClient> {
    let inner = weak.upgrade()?;
    let current = inner.borrow().generation == generation;
    current.then_some(EngineClient { inner })
}

pub(crate) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Rows a pipeline step's preview shows.
const PREVIEW_ROWS: u64 = 8;

fn job_options(settings: &RunSettings) -> JobOptions {
    JobOptions {
        partitions: settings.partitions(),
        split_bytes: settings.split_mb.max(1) * 1024 * 1024,
        result_to_disk: false,
        memory_per_worker: Some(settings.memory_budget_mb(crate::js::device_memory_gb()) << 20),
    }
}

async fn compile_engine() -> Result<JsValue, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let response = window.fetch_with_str(ENGINE_WASM);
    JsFuture::from(WebAssembly::compile_streaming(&response)).await
}
