//! Messages between the page and an engine worker. They travel through `postMessage` as
//! plain JS objects (serde-wasm-bindgen); browser `File`s and byte buffers travel beside
//! them in the same message, in the `files` array and the transfer list.

use serde::{Deserialize, Serialize};

use crate::{ResultPage, ResultSummary, TableSummary, UserError};

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
    /// Generate the taxi sample (yellow, green trips and the zone lookup) in the worker.
    GenerateSample {
        rows: u64,
    },
    RenameTable {
        from: String,
        to: String,
    },
    RemoveTable {
        name: String,
    },
    /// Run a SQL statement; the worker keeps the result for later `FetchPage`s.
    RunSql {
        sql: String,
        page_size: u64,
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
    /// Bytes to save; they arrive in the message's `buffer` field (transferred).
    Download {
        file_name: String,
        mime: String,
    },
    Error {
        error: UserError,
    },
}
