//! Kiln's scheduler: the state of one running job and the decisions about it. It knows
//! neither the engine nor the browser: the page drives it with web workers, the CLI with
//! threads, and both feed it the same reports and read the same events back.
//!
//! The driver owns the blocks tasks write (type `B`: transferable buffers in the page,
//! shared bytes natively), so it plays the part of Spark's external shuffle service: a
//! worker that dies loses only the attempts it was running, never finished map output.

mod faults;
mod job;

pub use job::{Assignment, Job, JobState, SchedulerConfig};
