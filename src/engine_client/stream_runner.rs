//! Runs a stream's micro-batches one after another, each as a job, then the same
//! aggregation once over the whole range as a batch job; the reducer folds their
//! results into the stream's state.

use std::collections::VecDeque;

use kiln_protocol::RequestBody;

use super::{EngineClient, job_options};
use crate::state::{Action, Pending};
use crate::workshop::stream::StreamSpec;

/// Rows a stream's job hands back at once: every window of a micro-batch or of the
/// whole range (a month of hourly windows is 744).
pub const STREAM_PAGE_ROWS: u64 = 100_000;

#[derive(Default)]
pub struct StreamQueue {
    /// The micro-batches not yet run (index, SQL), then the whole range's SQL.
    batches: VecDeque<(usize, String)>,
    whole: Option<String>,
    /// The request running now.
    current: Option<kiln_protocol::RequestId>,
}

impl EngineClient {
    pub fn run_stream(&self, spec: StreamSpec) {
        if self.inner.borrow().stream.current.is_some() {
            return;
        }
        {
            let mut inner = self.inner.borrow_mut();
            inner.stream.batches = spec
                .batches()
                .into_iter()
                .enumerate()
                .map(|(i, (t0, t1))| (i, spec.sql(t0, t1)))
                .collect();
            inner.stream.whole = Some(spec.sql(spec.from, spec.to));
        }
        self.dispatch(Action::StreamStarted(spec));
        self.next_stream_job();
    }

    fn next_stream_job(&self) {
        let (body, pending) = {
            let mut inner = self.inner.borrow_mut();
            let settings = inner.settings.clone();
            let next = match inner.stream.batches.pop_front() {
                Some((index, sql)) => Some((sql, Pending::StreamBatch { index })),
                None => inner
                    .stream
                    .whole
                    .take()
                    .map(|sql| (sql, Pending::StreamWhole)),
            };
            let Some((sql, pending)) = next else {
                inner.stream.current = None;
                return;
            };
            inner.stream.current = Some(inner.next_id);
            let body = RequestBody::PlanJob {
                sql,
                options: job_options(&settings),
            };
            (body, pending)
        };
        self.send(body, vec![], pending, None);
    }

    /// Whether request `id` is the stream's running job: its answer moves it on.
    pub(super) fn is_stream_job(&self, id: kiln_protocol::RequestId) -> bool {
        self.inner.borrow().stream.current == Some(id)
    }

    /// The stream's job `id` was answered: on to the next, or (it failed) stop.
    pub(super) fn stream_job_answered(&self, id: kiln_protocol::RequestId, ok: bool) {
        if !self.is_stream_job(id) {
            return;
        }
        if ok {
            self.next_stream_job();
        } else {
            self.stop_stream();
        }
    }

    pub(super) fn stop_stream(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.stream.batches.clear();
        inner.stream.whole = None;
        inner.stream.current = None;
    }
}
