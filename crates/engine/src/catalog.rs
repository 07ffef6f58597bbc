//! Building a table from the files a person picked: sorting out what each file is,
//! reading Parquet footers for the explorer, and registering a DataFusion listing table
//! over the [`SourceStore`](crate::source_store::SourceStore).

use std::io::Read;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::arrow::ArrowFormat;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::context::SessionState;
use kiln_protocol::{FieldSummary, FileFormat as Format, FileSummary, UserError};
use object_store::path::Path;

use crate::error::EngineError;
use crate::metadata;
use crate::naming::{self, NameKind};
use crate::source_store::{BytesSource, RangeSource, STORE_URL, SourceStore};

/// A file handed to the engine, with its path relative to the table's root.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub source: Arc<dyn RangeSource>,
}

/// A table ready to register: its files are in the store and readable.
pub(crate) struct PreparedTable {
    pub provider: Arc<dyn TableProvider>,
    pub format: Format,
    pub files: Vec<FileSummary>,
    pub partition_columns: Vec<String>,
    pub schema: Vec<FieldSummary>,
}

/// Checks each file, puts the good ones in the store under `root`, and builds the
/// listing table. Files that fail are returned as errors beside the table; the table
/// fails only when no file is usable.
pub(crate) async fn prepare_table(
    state: &SessionState,
    store: &SourceStore,
    root: &str,
    label: &str,
    is_folder: bool,
    files: Vec<SourceFile>,
) -> (Result<PreparedTable, UserError>, Vec<UserError>) {
    let mut rejected = Vec::new();
    let mut accepted: Vec<(SourceFile, Format, FileSummary, FileColumns)> = Vec::new();
    for file in files {
        match inspect(&file) {
            Ok(None) => {}
            Ok(Some(inspected)) => accepted.push(inspected),
            Err(e) => rejected.push(e.to_user(format!("reading {}", file.path))),
        }
    }
    let Some(format) = accepted.first().map(|(_, f, _, _)| *f) else {
        let err = match rejected.pop() {
            Some(last) => last,
            None => UserError {
                context: format!("adding {label}"),
                message: "no Parquet or CSV files in it".into(),
                location: None,
            },
        };
        return (Err(err), rejected);
    };
    let first_columns = accepted[0].3.clone();
    let first_path = accepted[0].0.path.clone();
    let partition_keys: Vec<String> = accepted[0]
        .2
        .partition_values
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    // One table has one format and one partition layout; files that differ would make
    // the listing table read them wrongly, so they are turned away with a reason.
    let mut kept = Vec::with_capacity(accepted.len());
    for (index, (file, f, summary, columns)) in accepted.into_iter().enumerate() {
        let keys: Vec<String> = summary
            .partition_values
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        let clash = clashing_column(first_columns.as_deref(), columns.as_deref());
        // The first file defines the table, so it is never turned away for disagreeing
        // with itself (a file may repeat a column name with two types).
        let problem = if index == 0 {
            None
        } else if f != format {
            Some(format!(
                "it is {f:?} but the table's first file is {format:?}"
            ))
        } else if keys != partition_keys {
            Some(format!(
                "its partition folders {keys:?} differ from the table's {partition_keys:?}"
            ))
        } else if let Some((name, theirs, first)) = clash {
            // Columns one file adds are merged into the table (Spark's mergeSchema);
            // a column of two types cannot be.
            Some(format!(
                "its column `{name}` is {theirs} where {first_path} has it as {first}: files of one table must agree on a column's type"
            ))
        } else {
            None
        };
        match problem {
            Some(message) => rejected.push(UserError {
                context: format!("adding {} to {label}", file.path),
                message,
                location: None,
            }),
            None => kept.push((file, summary)),
        }
    }

    let prefix = Path::from(root);
    let single_file = (!is_folder).then(|| store_name(&kept[0].0.path));
    for (file, _) in &kept {
        let path = match &single_file {
            Some(name) => Path::from_iter([root, name.as_str()]),
            None => Path::from_iter(std::iter::once(root).chain(file.path.split('/'))),
        };
        store.insert(path, file.source.clone());
    }
    let summaries: Vec<FileSummary> = kept.into_iter().map(|(_, s)| s).collect();
    let url = match &single_file {
        Some(name) => format!("{STORE_URL}{root}/{name}"),
        None => format!("{STORE_URL}{root}/"),
    };
    let table = match ListingTableUrl::parse(&url) {
        Ok(url) => build_listing_table(state, url, format, &summaries, &partition_keys).await,
        Err(e) => Err(e.into()),
    };
    let table = table.map(|(provider, partition_columns)| {
        let schema = provider
            .schema()
            .fields()
            .iter()
            .map(|f| crate::sql_types::field_summary(f))
            .collect();
        PreparedTable {
            provider,
            format,
            files: summaries,
            partition_columns,
            schema,
        }
    });
    if table.is_err() {
        store.remove_prefix(&prefix);
    }
    (
        table.map_err(|e| e.to_user(format!("reading the schema of {label}"))),
        rejected,
    )
}

/// A file's columns as read from its footer (Parquet only): what files of one table
/// must agree on.
type FileColumns = Option<datafusion::arrow::datatypes::SchemaRef>;

/// A column both files have, with types that differ: (name, the second's, the first's).
fn clashing_column(
    first: Option<&datafusion::arrow::datatypes::Schema>,
    other: Option<&datafusion::arrow::datatypes::Schema>,
) -> Option<(String, DataType, DataType)> {
    let (first, other) = (first?, other?);
    other.fields().iter().find_map(|field| {
        let theirs = first.field_with_name(field.name()).ok()?;
        (theirs.data_type() != field.data_type()).then(|| {
            (
                field.name().clone(),
                field.data_type().clone(),
                theirs.data_type().clone(),
            )
        })
    })
}

/// Classifies one file and summarizes it. `Ok(None)` means: skip it quietly.
fn inspect(
    file: &SourceFile,
) -> Result<Option<(SourceFile, Format, FileSummary, FileColumns)>, EngineError> {
    match naming::kind_of(&file.path) {
        NameKind::Ignored => Ok(None),
        NameKind::Unsupported(format) => Err(EngineError::Unsupported(format!(
            "{format} files are not read by Kiln; it reads Parquet, CSV (also .csv.gz), JSON Lines and Arrow IPC files"
        ))),
        NameKind::Csv => Ok(Some((
            file.clone(),
            Format::Csv,
            plain_summary(&file.path, file.source.as_ref()),
            None,
        ))),
        NameKind::JsonLines => Ok(Some((
            file.clone(),
            Format::JsonLines,
            plain_summary(&file.path, file.source.as_ref()),
            None,
        ))),
        NameKind::ArrowIpc => Ok(Some((
            file.clone(),
            Format::ArrowIpc,
            plain_summary(&file.path, file.source.as_ref()),
            None,
        ))),
        NameKind::CsvGz => {
            // gzip cannot be read from the middle, so a .csv.gz is inflated once into
            // memory; such files (zone lookups and the like) are small.
            let source = inflate(file.source.as_ref())?;
            let path = file
                .path
                .trim_end_matches(".gz")
                .trim_end_matches(".GZ")
                .to_string();
            let summary = plain_summary(&path, source.as_ref());
            Ok(Some((
                SourceFile { path, source },
                Format::Csv,
                summary,
                None,
            )))
        }
        NameKind::Parquet | NameKind::Unknown => {
            let footer = metadata::read_footer(file.source.as_ref())?;
            let summary = metadata::summarize_parquet(&file.path, file.source.as_ref(), &footer);
            let columns = parquet::arrow::parquet_to_arrow_schema(
                footer.file_metadata().schema_descr(),
                footer.file_metadata().key_value_metadata(),
            )
            .ok()
            .map(Arc::new);
            Ok(Some((file.clone(), Format::Parquet, summary, columns)))
        }
    }
}

fn inflate(source: &dyn RangeSource) -> Result<Arc<dyn RangeSource>, EngineError> {
    let compressed = source
        .read(0..source.size())
        .map_err(|e| EngineError::Io(e.0))?;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(compressed.as_ref())
        .read_to_end(&mut out)
        .map_err(|e| EngineError::InvalidInput(format!("not a valid gzip file: {e}")))?;
    Ok(Arc::new(BytesSource(Bytes::from(out))))
}

/// What is known of a file without a Parquet footer: its size and partition values.
fn plain_summary(path: &str, source: &dyn RangeSource) -> FileSummary {
    FileSummary {
        path: path.to_string(),
        size_bytes: source.size(),
        rows: None,
        created_by: None,
        format_version: None,
        row_groups: Vec::new(),
        columns: Vec::new(),
        partition_values: naming::partition_values(path),
    }
}

/// A lone file's name in the store: it becomes part of a URL, so only characters that
/// need no escaping are kept; the user-facing name stays in the file summary.
fn store_name(path: &str) -> String {
    let name: String = path
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() { "file".into() } else { name }
}

async fn build_listing_table(
    state: &SessionState,
    url: ListingTableUrl,
    format: Format,
    files: &[FileSummary],
    partition_keys: &[String],
) -> Result<(Arc<dyn TableProvider>, Vec<String>), EngineError> {
    let file_format: Arc<dyn FileFormat> = match format {
        Format::Parquet => Arc::new(ParquetFormat::default()),
        Format::Csv => Arc::new(CsvFormat::default().with_has_header(true)),
        Format::JsonLines => Arc::new(JsonFormat::default()),
        Format::ArrowIpc => Arc::new(ArrowFormat),
    };
    let partition_cols: Vec<(String, DataType)> = partition_keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            // Spark infers integer partition values as numbers (`year=2024` -> 2024); do
            // the same so `WHERE year = 2024` works without quotes.
            let all_integers = files.iter().all(|f| {
                f.partition_values
                    .get(i)
                    .is_some_and(|(_, v)| v.parse::<i64>().is_ok())
            });
            let ty = if all_integers {
                DataType::Int64
            } else {
                DataType::Utf8
            };
            (key.clone(), ty)
        })
        .collect();
    // Files were filtered by kind already; an empty extension lets `.parq`, `.pq` and
    // extension-less Parquet files through.
    let options = ListingOptions::new(file_format).with_file_extension("");
    let schema = options.infer_schema(state, &url).await?;
    // A folder named like a column the files hold (`month=2024-01/` over files with a
    // `month` column, as a job writes its runs) is not a second `month`: the files'
    // column is the table's.
    let (partition_cols, shadowed): (Vec<_>, Vec<_>) = partition_cols
        .into_iter()
        .partition(|(name, _)| schema.field_with_name(name).is_err());
    let kept: Vec<String> = partition_keys
        .iter()
        .filter(|k| !shadowed.iter().any(|(name, _)| name == *k))
        .cloned()
        .collect();
    let options = options.with_table_partition_cols(partition_cols);
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema);
    let table = ListingTable::try_new(config)?;
    Ok((Arc::new(table), kept))
}

/// A table over part of a folder table: the files below `rest` (a sub-folder, a file,
/// or a glob such as `year=2024/*/*.parquet`), with the partition columns of the
/// folders below it, as Spark's `read.parquet("folder/year=2024")` sees them. The files
/// are already in the store under `store_root`, so nothing new needs registering.
pub(crate) async fn open_below(
    state: &SessionState,
    store_root: &str,
    table: &kiln_protocol::TableSummary,
    rest: &str,
) -> Result<Arc<dyn TableProvider>, EngineError> {
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let is_glob = |s: &&str| s.contains(['*', '?', '[']);
    let literal = segments.iter().take_while(|s| !is_glob(s)).count();
    let prefix = segments[..literal].join("/");
    let pattern = (literal < segments.len()).then(|| segments[literal..].join("/"));
    let exact_file = pattern.is_none() && table.files.iter().any(|f| f.path == prefix);
    let below = |path: &str| -> Option<String> {
        if exact_file {
            return (path == prefix).then(|| path.rsplit('/').next().unwrap_or(path).to_string());
        }
        let relative = if prefix.is_empty() {
            path
        } else {
            path.strip_prefix(prefix.as_str())?.strip_prefix('/')?
        };
        match &pattern {
            Some(p) => glob::Pattern::new(p)
                .ok()
                .filter(|g| g.matches(relative))
                .map(|_| relative.to_string()),
            None => Some(relative.to_string()),
        }
    };
    let files: Vec<FileSummary> = table
        .files
        .iter()
        .filter_map(|f| {
            below(&f.path).map(|relative| FileSummary {
                partition_values: naming::partition_values(&relative),
                ..f.clone()
            })
        })
        .collect();
    let Some(first) = files.first() else {
        return Err(EngineError::InvalidInput(format!(
            "no file of {} is at {rest}",
            table.root
        )));
    };
    let keys: Vec<String> = first
        .partition_values
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    let base = if prefix.is_empty() {
        format!("{STORE_URL}{store_root}/")
    } else if exact_file {
        format!("{STORE_URL}{store_root}/{prefix}")
    } else {
        format!("{STORE_URL}{store_root}/{prefix}/")
    };
    let url = url::Url::parse(&base).map_err(|e| EngineError::InvalidInput(e.to_string()))?;
    let glob = pattern
        .map(|p| glob::Pattern::new(&p))
        .transpose()
        .map_err(|e| EngineError::InvalidInput(format!("{rest} is not a valid pattern: {e}")))?;
    let url = ListingTableUrl::try_new(url, glob)?;
    build_listing_table(state, url, table.format, &files, &keys)
        .await
        .map(|(provider, _)| provider)
}
