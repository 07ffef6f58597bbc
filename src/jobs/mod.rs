//! Jobs on the pool: the runner that drives `kiln-scheduler` with the pool's workers,
//! the pool itself, a job's progress folded from its events, the event log they
//! share, and a PySpark program's run (its jobs one after another).

pub mod block;
pub mod event_log;
pub mod pool;
pub mod program_run;
pub mod progress;
pub mod runner;
pub mod shuffle_disk;
