//! The pool of engine workers that run tasks: each a web worker with its own wasm
//! instance of the engine, started from the one compiled module. The pool knows which
//! worker is ready, busy or dead, replaces dead ones (giving the new one the files the
//! old one had), and turns their messages into `PoolEvent`s for the job runner.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Array, Object, Reflect, Uint8Array};
use kiln_protocol::{
    AttemptId, LakeFile, Request, RequestBody, Response, ResponseBody, TaskMetrics, TaskProgress,
    TaskRequest, UserError, WorkerId,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, Event, File, MessageEvent, Worker, WorkerOptions, WorkerType};
use yew::Callback;

use crate::jobs::block::Block;
use crate::js::describe;

const WORKER_SCRIPT: &str = "worker.js";

pub enum PoolEvent {
    /// A worker became ready or finished what it ran: it may take a task.
    Idle,
    Progress {
        attempt: AttemptId,
        progress: TaskProgress,
    },
    TaskDone {
        attempt: AttemptId,
        metrics: TaskMetrics,
        blocks: Vec<Block>,
    },
    TaskFailed {
        attempt: AttemptId,
        error: UserError,
    },
    /// A worker died (a trap, out of memory, killed); a replacement is starting.
    WorkerLost { worker: WorkerId, reason: String },
    /// A file of the sample lake, made by `worker`; its bytes were transferred.
    LakeFileMade {
        worker: WorkerId,
        file: LakeFile,
        bytes: Uint8Array,
    },
    /// A request other than a task failed in `worker`.
    RequestFailed { worker: WorkerId, error: UserError },
    /// Workers kept dying before they were ready, so the pool stopped replacing them:
    /// nothing can run until the next job starts the pool again.
    PoolDown { reason: String },
}

/// Workers in a row that may die before they are ready before the pool stops
/// replacing them (a broken worker script would otherwise respawn forever).
const MAX_FAILED_STARTS: u32 = 4;

struct PoolWorker {
    id: WorkerId,
    worker: Worker,
    ready: bool,
    busy: bool,
    /// Left over after the pool shrank while it ran a task: it finishes that task,
    /// takes no other, and is ended.
    retiring: bool,
    _handlers: [Closure<dyn FnMut(Event)>; 2],
}

pub struct WorkerPool {
    module: JsValue,
    workers: Vec<PoolWorker>,
    /// Every file the pool must be able to read, by store path: what a new worker gets.
    sources: Vec<(String, File)>,
    next_id: WorkerId,
    next_request: u64,
    on_event: Callback<PoolEvent>,
    this: Weak<RefCell<WorkerPool>>,
    /// Workers that died before they were ready since one last became ready.
    failed_starts: u32,
}

pub type PoolRef = Rc<RefCell<WorkerPool>>;

impl WorkerPool {
    pub fn new(module: JsValue, size: usize, on_event: Callback<PoolEvent>) -> PoolRef {
        let pool = Rc::new_cyclic(|this| {
            RefCell::new(WorkerPool {
                module,
                workers: Vec::new(),
                sources: Vec::new(),
                next_id: 1,
                next_request: 1,
                on_event,
                this: this.clone(),
                failed_starts: 0,
            })
        });
        pool.borrow_mut().resize(size);
        pool
    }

    pub fn size(&self) -> usize {
        self.workers.iter().filter(|w| !w.retiring).count()
    }

    /// Grows or shrinks the pool. Shrinking ends idle workers; a busy one finishes its
    /// task first, so no running attempt is lost.
    pub fn resize(&mut self, size: usize) {
        while self.size() < size {
            if let Err(e) = self.spawn() {
                web_sys::console::error_1(
                    &format!("starting a pool worker: {}", describe(&e)).into(),
                );
                break;
            }
        }
        while self.size() > size {
            match self.workers.iter().position(|w| !w.busy && !w.retiring) {
                Some(at) => end(&self.workers.remove(at).worker),
                None => {
                    if let Some(w) = self.workers.iter_mut().find(|w| !w.retiring) {
                        w.retiring = true;
                    }
                }
            }
        }
    }

    /// Starts the pool again after it gave up replacing workers that died on start
    /// (the job about to run is the user's new attempt), then sizes it.
    pub fn restart(&mut self, size: usize) {
        if self.failed_starts >= MAX_FAILED_STARTS {
            self.failed_starts = 0;
        }
        self.resize(size);
    }

    /// Whether the pool stopped replacing workers that die before they are ready.
    fn gave_up(&self) -> bool {
        self.failed_starts >= MAX_FAILED_STARTS
    }

    /// Workers ready for a task.
    pub fn idle(&self) -> Vec<WorkerId> {
        self.workers
            .iter()
            .filter(|w| w.ready && !w.busy && !w.retiring)
            .map(|w| w.id)
            .collect()
    }

    /// Makes files readable by every worker, now and after a replacement.
    pub fn register(&mut self, sources: Vec<(String, File)>) {
        if sources.is_empty() {
            return;
        }
        let ids: Vec<WorkerId> = self.workers.iter().map(|w| w.id).collect();
        for id in ids {
            self.post_sources(id, &sources);
        }
        // A replayed catalog (after the planning worker restarted) registers the same
        // paths again: the newest file for a path is the one a new worker needs.
        self.sources
            .retain(|(path, _)| !sources.iter().any(|(p, _)| p == path));
        self.sources.extend(sources);
    }

    /// Sends a task to a worker. Blocks are copied (structured clone), not transferred:
    /// the page keeps them in case the attempt fails and the task runs again.
    pub fn run(
        &mut self,
        worker: WorkerId,
        task: TaskRequest,
        blocks: &[Block],
    ) -> Result<(), JsValue> {
        let id = self.next_request;
        self.next_request += 1;
        let message = request_message(Request {
            id,
            body: RequestBody::RunTask { task },
        })?;
        let array: Array = blocks.iter().map(Block::to_js).collect();
        Reflect::set(&message, &"blocks".into(), &array)?;
        self.post_busy(worker, &message)
    }

    /// Sends a request other than a task (making a lake file) to an idle worker; its
    /// answer comes back as a `PoolEvent`.
    pub fn request(&mut self, worker: WorkerId, body: RequestBody) -> Result<(), JsValue> {
        let id = self.next_request;
        self.next_request += 1;
        let message = request_message(Request { id, body })?;
        self.post_busy(worker, &message)
    }

    /// Posts to a worker, which is busy until it answers.
    fn post_busy(&mut self, worker: WorkerId, message: &JsValue) -> Result<(), JsValue> {
        let w = self
            .workers
            .iter_mut()
            .find(|w| w.id == worker)
            .ok_or_else(|| JsValue::from_str("the worker is gone"))?;
        w.busy = true;
        w.worker.post_message(message)
    }

    /// Ends a worker (cancel, fault injection) and starts a replacement. Returns whether
    /// it was running something.
    pub fn kill(&mut self, worker: WorkerId) -> bool {
        let Some(at) = self.workers.iter().position(|w| w.id == worker) else {
            return false;
        };
        let dead = self.workers.remove(at);
        end(&dead.worker);
        if !dead.ready {
            self.failed_starts += 1;
        }
        if !dead.retiring
            && !self.gave_up()
            && let Err(e) = self.spawn()
        {
            web_sys::console::error_1(&format!("replacing a pool worker: {}", describe(&e)).into());
        }
        dead.busy
    }

    /// The ids of workers running a task.
    pub fn busy(&self) -> Vec<WorkerId> {
        self.workers
            .iter()
            .filter(|w| w.busy)
            .map(|w| w.id)
            .collect()
    }

    fn spawn(&mut self) -> Result<(), JsValue> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let id = self.next_id;
        // The name shows in the browser's devtools (and lets tests tell the pool apart).
        options.set_name(&format!("kiln pool worker {id}"));
        let worker = Worker::new_with_options(WORKER_SCRIPT, &options)?;
        self.next_id += 1;
        let this = self.this.clone();
        let on_message = Closure::<dyn FnMut(Event)>::new({
            let this = this.clone();
            move |event: Event| {
                if let (Some(pool), Some(event)) = (this.upgrade(), event.dyn_ref::<MessageEvent>())
                {
                    on_message(&pool, id, event.data());
                }
            }
        });
        let on_error = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            if let Some(pool) = this.upgrade() {
                let detail = event
                    .dyn_ref::<ErrorEvent>()
                    .map(|e| e.message())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| {
                        "the worker failed to load or start (its script could not be fetched or run)"
                            .into()
                    });
                lose(&pool, id, detail);
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let init = Object::new();
        Reflect::set(&init, &"kind".into(), &"init".into())?;
        Reflect::set(&init, &"module".into(), &self.module)?;
        worker.post_message(&init)?;
        self.workers.push(PoolWorker {
            id,
            worker,
            ready: false,
            busy: false,
            retiring: false,
            _handlers: [on_message, on_error],
        });
        let sources = self.sources.clone();
        self.post_sources(id, &sources);
        Ok(())
    }

    fn post_sources(&mut self, worker: WorkerId, sources: &[(String, File)]) {
        let id = self.next_request;
        self.next_request += 1;
        let Some(w) = self.workers.iter().find(|w| w.id == worker) else {
            return;
        };
        let posted = request_message(Request {
            id,
            body: RequestBody::RegisterSources {
                paths: sources.iter().map(|(p, _)| p.clone()).collect(),
            },
        })
        .and_then(|message| {
            let files: Array = sources.iter().map(|(_, f)| f.clone()).collect();
            Reflect::set(&message, &"files".into(), &files)?;
            w.worker.post_message(&message)
        });
        if let Err(e) = posted {
            web_sys::console::error_1(
                &format!("giving files to a pool worker: {}", describe(&e)).into(),
            );
        }
    }

    fn set_state(&mut self, worker: WorkerId, ready: bool, busy: bool) -> bool {
        let Some(at) = self.workers.iter().position(|w| w.id == worker) else {
            return false;
        };
        if self.workers[at].retiring && !busy {
            end(&self.workers.remove(at).worker);
            return false;
        }
        let w = &mut self.workers[at];
        w.ready = ready;
        w.busy = busy;
        true
    }
}

/// Terminates a worker. Its handlers are detached first: messages it posted before it
/// ended may still be queued, and must not reach closures about to be dropped.
fn end(worker: &Worker) {
    worker.set_onmessage(None);
    worker.set_onerror(None);
    worker.terminate();
}

fn request_message(request: Request) -> Result<Object, JsValue> {
    let message = Object::new();
    Reflect::set(&message, &"kind".into(), &"request".into())?;
    Reflect::set(
        &message,
        &"request".into(),
        &serde_wasm_bindgen::to_value(&request)?,
    )?;
    Ok(message)
}

/// Emits without holding the pool borrowed: the runner may call back into the pool.
fn emit(pool: &PoolRef, event: PoolEvent) {
    let callback = pool.borrow().on_event.clone();
    callback.emit(event);
}

fn lose(pool: &PoolRef, worker: WorkerId, reason: String) {
    pool.borrow_mut().kill(worker);
    let down = {
        let p = pool.borrow();
        p.gave_up() && p.workers.is_empty()
    };
    emit(
        pool,
        PoolEvent::WorkerLost {
            worker,
            reason: reason.clone(),
        },
    );
    if down {
        let reason = format!(
            "{MAX_FAILED_STARTS} engine workers in a row died before they were ready, so no more are started until the next job; the last one said: {reason}"
        );
        emit(pool, PoolEvent::PoolDown { reason });
    } else {
        emit(pool, PoolEvent::Idle);
    }
}

fn on_message(pool: &PoolRef, worker: WorkerId, data: JsValue) {
    let field = |name: &str| Reflect::get(&data, &name.into()).unwrap_or(JsValue::UNDEFINED);
    match field("kind").as_string().as_deref() {
        Some("ready") if pool.borrow_mut().set_state(worker, true, false) => {
            pool.borrow_mut().failed_starts = 0;
            emit(pool, PoolEvent::Idle);
        }
        Some("fatal") => {
            let message = field("message")
                .as_string()
                .unwrap_or_else(|| "no message".into());
            lose(pool, worker, message);
        }
        Some("progress") => {
            let attempt = serde_wasm_bindgen::from_value(field("attempt"));
            let progress = serde_wasm_bindgen::from_value(field("progress"));
            if let (Ok(attempt), Ok(progress)) = (attempt, progress) {
                emit(pool, PoolEvent::Progress { attempt, progress });
            }
        }
        Some("response") => {
            let response: Response = match serde_wasm_bindgen::from_value(field("response")) {
                Ok(r) => r,
                Err(e) => {
                    lose(
                        pool,
                        worker,
                        format!("sent a message the page could not read: {e}"),
                    );
                    return;
                }
            };
            match response.body {
                ResponseBody::TaskDone { attempt, metrics } => {
                    let blocks = field("blocks");
                    let blocks: Vec<Block> = if Array::is_array(&blocks) {
                        // A task told to write to disk reports what it wrote there; the
                        // Blobs of one that wrote nothing there are its memory.
                        let on_disk = metrics.shuffle_disk_write_bytes > 0;
                        Array::from(&blocks)
                            .iter()
                            .map(|b| Block::from_js(b, on_disk))
                            .collect()
                    } else {
                        Vec::new()
                    };
                    pool.borrow_mut().set_state(worker, true, false);
                    emit(
                        pool,
                        PoolEvent::TaskDone {
                            attempt,
                            metrics,
                            blocks,
                        },
                    );
                    emit(pool, PoolEvent::Idle);
                }
                ResponseBody::TaskFailed { attempt, error } => {
                    pool.borrow_mut().set_state(worker, true, false);
                    emit(pool, PoolEvent::TaskFailed { attempt, error });
                    emit(pool, PoolEvent::Idle);
                }
                ResponseBody::LakeFileMade { file } => {
                    let bytes = Uint8Array::new(&field("buffer"));
                    pool.borrow_mut().set_state(worker, true, false);
                    emit(
                        pool,
                        PoolEvent::LakeFileMade {
                            worker,
                            file,
                            bytes,
                        },
                    );
                    emit(pool, PoolEvent::Idle);
                }
                ResponseBody::Error { error } => {
                    pool.borrow_mut().set_state(worker, true, false);
                    emit(pool, PoolEvent::RequestFailed { worker, error });
                    emit(pool, PoolEvent::Idle);
                }
                ResponseBody::Registered { rejected } => {
                    for e in rejected {
                        web_sys::console::warn_1(&format!("pool worker {worker}: {e}").into());
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}
