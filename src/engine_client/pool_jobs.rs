//! The pool's side of the client: the job runner's effects turned into task messages
//! and events, the pool started on the engine's module, and a program's jobs run one
//! after another.

use super::*;

impl EngineClient {
    pub(super) fn start_pool(&self, module: &JsValue) {
        if self.inner.borrow().runner.pool.is_some() {
            return;
        }
        let weak = Rc::downgrade(&self.inner);
        let on_event = Callback::from(move |event: PoolEvent| {
            if let Some(inner) = weak.upgrade() {
                EngineClient { inner }.on_pool_event(event);
            }
        });
        let workers = self.inner.borrow().settings.workers;
        // This tab's folder for shuffle files on disk, and the dead tabs' removed.
        wasm_bindgen_futures::spawn_local(crate::jobs::shuffle_disk::claim());
        let pool = WorkerPool::new(module.clone(), workers, on_event);
        self.inner.borrow_mut().runner.pool = Some(pool);
        // Once a second, attempts silent past the task timeout are given up.
        let weak = Rc::downgrade(&self.inner);
        let tick = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                let client = EngineClient { inner };
                let effects = client.inner.borrow_mut().runner.check_timeouts();
                client.apply_effects(effects);
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                1000,
            );
        }
        self.inner.borrow_mut().timeout_tick = Some(tick);
    }

    pub(super) fn on_pool_event(&self, event: PoolEvent) {
        if self.lake_event(&event) {
            return;
        }
        let effects = self.inner.borrow_mut().runner.on_pool_event(event);
        self.apply_effects(effects);
    }

    pub(super) fn apply_effects(&self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Events(events) => self.queue_events(events),
                Effect::Finish {
                    request_id,
                    body,
                    blocks,
                } => {
                    let out = Outgoing {
                        request: Request {
                            id: request_id,
                            body,
                        },
                        files: Vec::new(),
                        blocks,
                    };
                    self.flush_events();
                    let ready = self.inner.borrow().ready;
                    if ready {
                        self.post(out);
                    } else {
                        self.inner.borrow_mut().queue.push_back(out);
                    }
                }
                Effect::ResultPart { part, block } => self.write_part(part, block),
                Effect::Written {
                    parts,
                    elapsed_ms,
                    staged,
                } => {
                    self.flush_events();
                    self.disk_job_done(parts, elapsed_ms, staged);
                }
                Effect::Fail { request_id, error } => {
                    self.flush_events();
                    self.disk_job_failed(request_id);
                    self.run_failed(request_id, &error);
                    self.dispatch(Action::Received(Response {
                        id: request_id,
                        body: ResponseBody::Error { error },
                    }));
                    self.program_job_answered(request_id, false);
                    self.stream_job_answered(request_id, false);
                }
            }
        }
    }

    /// A job's start and end show at once; what happens between waits for the next batch.
    pub(super) fn queue_events(&self, events: Vec<JobEvent>) {
        let now = events
            .iter()
            .any(|e| e.is_terminal() || matches!(e, JobEvent::JobSubmitted { .. }));
        let schedule = {
            let mut inner = self.inner.borrow_mut();
            inner.unsent_events.extend(events);
            !now && !std::mem::replace(&mut inner.flush_scheduled, true)
        };
        if now {
            self.flush_events();
        } else if schedule {
            let weak = Rc::downgrade(&self.inner);
            let flush = Closure::once_into_js(move || {
                if let Some(inner) = weak.upgrade() {
                    EngineClient { inner }.flush_events();
                }
            });
            let scheduled = web_sys::window().and_then(|w| {
                w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    flush.unchecked_ref(),
                    EVENT_BATCH_MS,
                )
                .ok()
            });
            if scheduled.is_none() {
                self.flush_events();
            }
        }
    }

    pub(super) fn flush_events(&self) {
        let events = {
            let mut inner = self.inner.borrow_mut();
            inner.flush_scheduled = false;
            std::mem::take(&mut inner.unsent_events)
        };
        if !events.is_empty() {
            self.dispatch(Action::JobEvents(events));
        }
    }

    /// Starts the program's next job, if any is left.
    pub(super) fn next_program_job(&self) {
        let plan = {
            let mut inner = self.inner.borrow_mut();
            inner.program_job = None;
            inner.program.pop_front()
        };
        let Some(plan) = plan else { return };
        let id = {
            let mut inner = self.inner.borrow_mut();
            let id = inner.next_id;
            inner.next_id += 1;
            inner.program_job = Some(id);
            id
        };
        self.dispatch(Action::Sent {
            id,
            pending: Pending::ProgramJob {
                job_id: plan.job_id,
            },
        });
        let settings = self.run_settings();
        let effects = self
            .inner
            .borrow_mut()
            .runner
            .start(id, plan, &settings, PAGE_SIZE, false);
        self.apply_effects(effects);
    }

    /// A request was answered: if it was the program's running job, go on with the next
    /// one, or (it failed) drop the rest, as a script stops at its first error.
    pub(super) fn program_job_answered(&self, id: RequestId, ok: bool) {
        if self.inner.borrow().program_job != Some(id) {
            return;
        }
        if ok {
            self.next_program_job();
        } else {
            let mut inner = self.inner.borrow_mut();
            inner.program.clear();
            inner.program_job = None;
        }
    }
}
