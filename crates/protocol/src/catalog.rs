use serde::{Deserialize, Serialize};

/// A table the user can query: one file, or a folder of files with one schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableSummary {
    /// The SQL name: a valid identifier derived from the file or folder name.
    pub name: String,
    pub format: FileFormat,
    /// The table's columns as the engine sees them, partition columns last.
    pub schema: Vec<FieldSummary>,
    /// Columns that come from `key=value` folder names rather than from the files.
    pub partition_columns: Vec<String>,
    pub files: Vec<FileSummary>,
    /// Where the table was picked from: its folder, or the file for a lone file. Paths
    /// in programs (`spark.read.parquet("yellow")`) and in Spark exports are relative
    /// to the place that holds it.
    #[serde(default)]
    pub root: String,
    /// Whether `root` is a folder (its files' paths are below it).
    #[serde(default)]
    pub is_folder: bool,
}

impl TableSummary {
    pub fn total_rows(&self) -> Option<u64> {
        self.files.iter().map(|f| f.rows).sum()
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size_bytes).sum()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Parquet,
    Csv,
    JsonLines,
    ArrowIpc,
}

impl FileFormat {
    pub fn label(self) -> &'static str {
        match self {
            FileFormat::Parquet => "parquet",
            FileFormat::Csv => "csv",
            FileFormat::JsonLines => "jsonl",
            FileFormat::ArrowIpc => "arrow",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldSummary {
    pub name: String,
    /// Arrow data type as DataFusion prints it, e.g. `Timestamp(Microsecond, None)`.
    pub data_type: String,
    /// The type as SQL names it, e.g. `TIMESTAMP` (what people read; the Arrow type is
    /// for the hover). Empty in event logs saved before it existed.
    #[serde(default)]
    pub sql_type: String,
    pub nullable: bool,
}

impl FieldSummary {
    /// The type people read: the SQL name, or the Arrow one from an older event log.
    pub fn shown_type(&self) -> &str {
        shown_type(&self.sql_type, &self.data_type)
    }
}

pub(crate) fn shown_type<'a>(sql_type: &'a str, data_type: &'a str) -> &'a str {
    if sql_type.is_empty() {
        data_type
    } else {
        sql_type
    }
}

/// What the explorer shows for one file. For CSV only the size and schema are known
/// without reading the whole file, so the Parquet-only parts are empty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    /// Path relative to the table's root (the file name for a single file).
    pub path: String,
    pub size_bytes: u64,
    /// Row count from the footer; `None` for formats without one (CSV).
    pub rows: Option<u64>,
    pub created_by: Option<String>,
    pub format_version: Option<i32>,
    pub row_groups: Vec<RowGroupSummary>,
    pub columns: Vec<ColumnSummary>,
    /// `key=value` folder segments of the path, in order.
    pub partition_values: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowGroupSummary {
    pub rows: u64,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
}

/// One leaf column of a Parquet file, aggregated over its row groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnSummary {
    /// Dotted path for nested columns, e.g. `a.list.element`.
    pub path: String,
    pub physical_type: String,
    /// Logical (or legacy converted) type, when the file declares one.
    pub logical_type: Option<String>,
    /// Compression codecs used by its column chunks (usually one).
    pub compression: Vec<String>,
    pub encodings: Vec<String>,
    /// Sum of the row groups' null counts; `None` when any row group lacks it.
    pub null_count: Option<u64>,
    /// Smallest and largest value from the statistics, formatted for display.
    pub min: Option<String>,
    pub max: Option<String>,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
}
