//! PySpark programs and pipelines as the page runs them: a program's outputs in order
//! (text as it is, each action a job), a pipeline step's schema and preview, and a job
//! exported to Spark.

use serde::{Deserialize, Serialize};

use crate::{FieldSummary, JobPlan, ResultPage, UserError, WriteOptions};

/// One output of a program, in program order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProgramStep {
    /// `print(...)`, `printSchema()`, `count()` shown: text as the program made it.
    Text { line: u64, text: String },
    /// An action (`show`, `collect`, `write`): a job for the pool.
    Job {
        line: u64,
        plan: Box<JobPlan>,
        /// For `df.write`: where and how the job's result is written.
        write: Option<WriteSpec>,
    },
}

/// A program's `df.write....parquet(path)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteSpec {
    pub path: String,
    pub mode: String,
    pub options: WriteOptions,
    /// Files it makes before `partitionBy` folders split them: one per task of the
    /// job's last stage, or as `repartition(n)` / `coalesce(n)` say.
    #[serde(default)]
    pub file_count: u64,
}

/// What a job is, for planning and for the Spark export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobSource {
    Sql { sql: String },
    PySpark { source: String },
}

impl JobSource {
    pub fn text(&self) -> &str {
        match self {
            JobSource::Sql { sql } => sql,
            JobSource::PySpark { source } => source,
        }
    }
}

/// A job as Spark runs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SparkScripts {
    /// A name for the files: `kiln-job-3`.
    pub title: String,
    pub pyspark: String,
    pub spark_sql: Option<String>,
    /// What the user should know: paths left as written, and the like.
    pub notes: Vec<String>,
}

/// The schema of each variable asked about, after running a program without actions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgramSchemas {
    /// `schemas[i]` for the i-th variable asked about (`None`: not a DataFrame).
    pub schemas: Vec<Option<Vec<FieldSummary>>>,
    /// The rows of the previewed variable, when one was asked for.
    pub preview: Option<ResultPage>,
    /// Why the program stopped, if it did; variables after that have no schema.
    pub error: Option<UserError>,
}
