//! Distributed execution, the way Spark and Ballista do it, sized for a browser tab: a
//! physical plan is split into scan splits and cut into stages at its exchanges
//! ([`planner`], [`stages`], [`splits`]); a task runs one partition of one stage
//! ([`task`]) and writes Arrow IPC blocks ([`ipc`]) that the next stage's leaves read
//! ([`exchange`]). Scheduling lives in `kiln-scheduler`; [`runner`] drives it natively.

pub mod disk_blocks;
pub mod exchange;
pub mod ipc;
pub mod monitor;
pub mod partition_local;
pub mod planned_answer;
pub mod planner;
pub mod plans;
mod proto_fixes;
pub mod runner;
pub mod scalar_subquery;
pub mod spillable_joins;
pub mod splits;
pub mod stages;
pub mod task;

pub use monitor::TaskHooks;
pub use runner::{RunOptions, run_job};
pub use stages::render;
pub use task::{TaskOutcome, run_task};
