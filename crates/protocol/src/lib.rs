//! Plain data that crosses a boundary in Kiln: from the engine to the page, from a worker
//! to the scheduler, from the CLI to a JSON file. Serde only, so the UI can depend on it
//! without pulling in the engine.

mod catalog;
mod chart;
mod jobs;
mod lake;
mod messages;
mod output;
mod plans;
mod profile;
mod programs;
mod result;
mod stages;

pub use catalog::*;
pub use chart::*;
pub use jobs::*;
pub use lake::*;
pub use messages::*;
pub use output::*;
pub use plans::*;
pub use profile::*;
pub use programs::*;
pub use result::*;
pub use stages::*;
