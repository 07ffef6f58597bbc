//! Kiln's engine: tables over byte sources, SQL planning and execution on DataFusion,
//! results as pages and files. It knows nothing of the browser: the browser crate hands
//! it byte sources and messages, the CLI hands it local files.

pub mod catalog;
pub mod chart;
pub mod distributed;
pub mod engine;
pub mod error;
pub mod export;
#[cfg(not(target_arch = "wasm32"))]
pub mod fuzzing;
pub mod known_wrong;
pub mod metadata;
pub mod naming;
pub mod profile;
pub mod program;
pub mod query_output;
pub mod range_cache;
pub mod results;
pub mod source_store;
pub mod spark_export;
pub mod spark_sql;
pub mod spill;
pub mod sql_types;

pub use catalog::SourceFile;
pub use engine::{Engine, EngineConfig, QueryOutput};
pub use error::EngineError;
pub use source_store::{BytesSource, RangeSource, SourceError, check_range};

pub use datafusion::physical_plan::ExecutionPlan;

/// A physical plan as DataFusion's EXPLAIN prints it, one operator a line.
pub fn displayable_plan(plan: &std::sync::Arc<dyn ExecutionPlan>) -> String {
    datafusion::physical_plan::displayable(plan.as_ref())
        .indent(true)
        .to_string()
}
