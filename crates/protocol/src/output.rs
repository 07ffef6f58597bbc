//! What a result can be saved as: one file in a format, or a batch job's written output
//! (files per task and per partition value, like Spark's `df.write`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Parquet,
    Csv,
    JsonLines,
    ArrowIpc,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Parquet,
        ExportFormat::Csv,
        ExportFormat::JsonLines,
        ExportFormat::ArrowIpc,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
            ExportFormat::ArrowIpc => "arrow",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "application/vnd.apache.parquet",
            ExportFormat::Csv => "text/csv",
            ExportFormat::JsonLines => "application/jsonl",
            ExportFormat::ArrowIpc => "application/vnd.apache.arrow.file",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "Parquet",
            ExportFormat::Csv => "CSV",
            ExportFormat::JsonLines => "JSON Lines",
            ExportFormat::ArrowIpc => "Arrow IPC",
        }
    }
}

/// How many files a written output has, before partition columns split them further.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileLayout {
    /// One file per task of the job's last stage, as Spark writes.
    Tasks,
    /// `repartition(n)`: the rows spread evenly over `n` files.
    Repartition { n: usize },
    /// `coalesce(n)`: neighbouring tasks' output merged into at most `n` files.
    Coalesce { n: usize },
}

/// A result written like a batch job's output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteOptions {
    pub format: ExportFormat,
    /// `partitionBy`: a `col=value/` folder level per column, in order.
    pub partition_by: Vec<String>,
    pub files: FileLayout,
}

/// One file of a written output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Relative to the output's root, `/`-separated: `month=2024-01/part-00000.parquet`.
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
}

/// What to export from a result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExportTarget {
    /// The whole result as one file.
    File { format: ExportFormat },
    /// The result written as a folder of files, downloaded as one zip. `name` names
    /// the folder (a program's `df.write.parquet("out/report")` gives `report`).
    Output {
        options: WriteOptions,
        #[serde(default)]
        name: Option<String>,
    },
    /// The result written as a folder of files, handed over file by file (for a
    /// folder the user picked), `_SUCCESS` last.
    Folder { options: WriteOptions },
}

/// Which file of a folder export a chunk belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileChunk {
    /// Relative to the folder, `/`-separated.
    pub path: String,
    /// The file's first chunk: create it.
    pub first: bool,
    /// The file's last chunk: close it.
    pub done: bool,
}
