//! Messages between the page and an engine worker. They travel through `postMessage` as
//! plain JS objects (serde-wasm-bindgen); browser `File`s and byte buffers travel beside
//! them in the same message, in the `files` array and the transfer list.

use serde::{Deserialize, Serialize};

use crate::{
    AttemptId, ChartData, ChartSpec, ExportTarget, FileChunk, JobId, JobOptions, JobPlan,
    JobSource, LakeConfig, LakeFile, OutputFile, ProgramSchemas, ProgramStep, ResultPage,
    ResultProfile, ResultSummary, SparkScripts, TableSummary, TaskMetrics, TaskRequest, UserError,
};

/// Correlates a response with the request that caused it.
pub type RequestId = u64;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub body: RequestBody,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RequestBody {
    /// Register files. `files[i]` describes the i-th `File` in the message's `files` array.
    AddFiles {
        files: Vec<IncomingFile>,
    },
    /// The files of a sample lake, in the order `GenerateLakeFile` makes them.
    PlanLake {
        config: LakeConfig,
    },
    /// Pool workers: make one file of a sample lake; its bytes come back transferred.
    GenerateLakeFile {
        config: LakeConfig,
        index: u32,
    },
    /// Zip the files in the message's `files` array (`paths[i]` for `files[i]`) under a
    /// folder named `root`, then hand the zip over chunk by chunk (`NextChunk`).
    ZipFiles {
        root: String,
        paths: Vec<String>,
    },
    RenameTable {
        from: String,
        to: String,
    },
    RemoveTable {
        name: String,
    },
    /// Plan a SQL statement as a job of stages and tasks for the worker pool.
    PlanJob {
        sql: String,
        options: JobOptions,
    },
    /// Run a PySpark program and plan each of its actions as a job, in program order.
    PlanProgram {
        source: String,
        options: JobOptions,
    },
    /// A job as a PySpark script and Spark SQL, reading its files below an input folder.
    ExportSpark {
        job: JobSource,
        title: String,
    },
    /// Run a program without actions (a pipeline) and give each variable's schema, and
    /// the first `rows` rows of `preview`.
    DescribeProgram {
        source: String,
        vars: Vec<String>,
        preview: Option<String>,
        rows: u64,
    },
    /// A job's result blocks (in the message's `blocks` array, Arrow IPC): keep them as
    /// the result for `FetchPage`s.
    FinishJob {
        job_id: JobId,
        #[serde(with = "serde_bytes")]
        result_schema: Vec<u8>,
        elapsed_ms: f64,
        page_size: u64,
        /// The folder of the browser's private storage that holds the result's blocks
        /// on disk, when some are: the planning worker owns it from here on, and
        /// empties it when it drops the result.
        #[serde(default)]
        result_folder: Option<String>,
    },
    /// Pool workers: make files readable at the paths the planning worker put them at.
    /// `files[i]` is the file for `paths[i]`.
    RegisterSources {
        paths: Vec<String>,
    },
    /// Pool workers: run one task attempt; its input blocks are in the `blocks` array.
    RunTask {
        task: TaskRequest,
    },
    FetchPage {
        result_id: u64,
        offset: u64,
        limit: u64,
    },
    /// Write a table (e.g. a CSV one) as a zstd Parquet file and hand its bytes back.
    ExportParquet {
        table: String,
    },
    /// Start saving a kept result; its bytes are then pulled chunk by chunk with
    /// `NextChunk`, so the page writes each before the next is made.
    OpenExport {
        result_id: u64,
        target: ExportTarget,
    },
    NextChunk {
        export_id: u64,
    },
    /// The page gave up on an export (its save failed or was cancelled).
    CloseExport {
        export_id: u64,
    },
    /// The points of a chart over a kept result.
    Chart {
        result_id: u64,
        spec: ChartSpec,
    },
    /// Column profiles of a kept result, over all of its rows.
    Profile {
        result_id: u64,
    },
}

/// One file the user picked or dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingFile {
    /// Path as the browser gives it: the file name, or `folder/sub/file.parquet` for a
    /// folder pick or drop (`webkitRelativePath`). Files that share a first folder
    /// segment become one table; `key=value` segments become partition columns.
    pub path: String,
    pub size: u64,
}

/// A file of the catalog as the pool must see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSource {
    /// Its path in the engine's object store.
    pub path: String,
    /// Index of the `File` in the request's `files` array; `None` for data the engine
    /// made itself (the sample), whose bytes come in the response's `blocks` array, in
    /// order.
    pub file: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: RequestId,
    pub body: ResponseBody,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseBody {
    /// The full catalog after a change, plus the errors of files that could not be added.
    Tables {
        tables: Vec<TableSummary>,
        rejected: Vec<UserError>,
        /// Where files added by this request sit in the engine's store, for the pool.
        #[serde(default)]
        sources: Vec<StoreSource>,
    },
    /// Pool workers: the sources were registered; those that could not be are listed.
    Registered {
        rejected: Vec<UserError>,
    },
    JobPlanned {
        plan: JobPlan,
    },
    ProgramPlanned {
        steps: Vec<ProgramStep>,
    },
    LakePlanned {
        files: Vec<LakeFile>,
    },
    /// A lake file, in the message's `buffer` field (transferred).
    LakeFileMade {
        file: LakeFile,
    },
    SparkExported {
        scripts: SparkScripts,
    },
    ProgramDescribed {
        schemas: ProgramSchemas,
    },
    /// A finished attempt; its output blocks are in the message's `blocks` array, one per
    /// output partition (empty buffers for empty partitions).
    TaskDone {
        attempt: AttemptId,
        metrics: TaskMetrics,
    },
    TaskFailed {
        attempt: AttemptId,
        error: UserError,
    },
    QueryDone {
        result_id: u64,
        summary: ResultSummary,
        page: ResultPage,
    },
    Page {
        result_id: u64,
        page: ResultPage,
    },
    ExportOpened {
        export_id: u64,
        /// A name to save it as (the page makes it safe for the file system).
        file_name: String,
        mime: String,
        /// A written output's files (before zipping), for the page to list.
        files: Vec<OutputFile>,
    },
    /// The next piece of an export, in the message's `buffer` field (transferred).
    ExportChunk {
        export_id: u64,
        last: bool,
        /// For a folder export, the file the chunk is part of.
        #[serde(default)]
        file: Option<FileChunk>,
    },
    ExportClosed {
        export_id: u64,
    },
    Chart {
        result_id: u64,
        data: ChartData,
    },
    Profiled {
        result_id: u64,
        profile: ResultProfile,
    },
    /// Bytes to save; they arrive in the message's `buffer` field (transferred).
    Download {
        file_name: String,
        mime: String,
    },
    Error {
        error: UserError,
    },
}
