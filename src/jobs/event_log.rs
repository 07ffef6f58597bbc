//! A job's event log, append-only and shared: every snapshot of the page's state holds
//! a cheap handle (the shared events and how many of them it has seen) instead of its
//! own copy, so a job of thousands of events costs no copying per update.

use std::cell::{Ref, RefCell};
use std::rc::Rc;

use kiln_protocol::JobEvent;

#[derive(Clone, Debug, Default)]
pub struct EventLog {
    shared: Rc<RefCell<Vec<JobEvent>>>,
    len: usize,
}

impl EventLog {
    pub fn push(&mut self, event: JobEvent) {
        if self.shared.borrow().len() != self.len {
            // An older snapshot is being extended: it gets its own copy, so the log
            // others see never changes under them.
            let own = self.shared.borrow()[..self.len].to_vec();
            self.shared = Rc::new(RefCell::new(own));
        }
        self.shared.borrow_mut().push(event);
        self.len += 1;
    }

    /// The events this snapshot has seen. Do not hold it across a `push`.
    pub fn events(&self) -> Ref<'_, [JobEvent]> {
        Ref::map(self.shared.borrow(), |v| &v[..self.len])
    }
}

impl PartialEq for EventLog {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared) && self.len == other.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at_ms: f64) -> JobEvent {
        JobEvent::JobSucceeded { job_id: 1, at_ms }
    }

    #[test]
    fn snapshots_keep_what_they_saw() {
        let mut log = EventLog::default();
        log.push(event(1.0));
        let before = log.clone();
        log.push(event(2.0));
        assert_eq!(before.events().len(), 1);
        assert_eq!(log.events().len(), 2);
        assert_ne!(before, log);
        // Extending the old snapshot forks it instead of rewriting the newer one.
        let mut fork = before.clone();
        fork.push(event(3.0));
        assert_eq!(log.events()[1].at_ms(), 2.0);
        assert_eq!(fork.events()[1].at_ms(), 3.0);
    }
}
