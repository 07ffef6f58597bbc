//! What the explorer shows for a Parquet file, read from its footer alone.

use std::collections::BTreeSet;
use std::io::Cursor;

use arrow::array::{Array, ArrayRef};
use arrow::compute::{SortOptions, sort_to_indices};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use bytes::Bytes;
use kiln_protocol::{ColumnSummary, FileSummary, RowGroupSummary};
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::parquet_to_arrow_schema;
use parquet::basic::ConvertedType;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::reader::{ChunkReader, Length};

use crate::error::EngineError;
use crate::source_store::RangeSource;

const PARQUET_MAGIC: &[u8; 4] = b"PAR1";
const ENCRYPTED_FOOTER_MAGIC: &[u8; 4] = b"PARE";

/// Lets the parquet crate's footer parser read through a [`RangeSource`].
struct SourceReader<'a>(&'a dyn RangeSource);

impl Length for SourceReader<'_> {
    fn len(&self) -> u64 {
        self.0.size()
    }
}

impl ChunkReader for SourceReader<'_> {
    type T = Cursor<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        let bytes = self.get_bytes(start, (self.0.size() - start) as usize)?;
        Ok(Cursor::new(bytes))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.0
            .read(start..start + length as u64)
            .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))
    }
}

/// Reads and checks a Parquet footer, telling apart the ways a file can fail to be one.
pub fn read_footer(source: &dyn RangeSource) -> Result<ParquetMetaData, EngineError> {
    let size = source.size();
    if size == 0 {
        return Err(EngineError::NotParquet("the file is empty".into()));
    }
    if size < 12 {
        return Err(EngineError::NotParquet(format!(
            "the file is only {size} bytes, smaller than any Parquet file"
        )));
    }
    let head = source.read(0..4).map_err(|e| EngineError::Io(e.0))?;
    let tail = source
        .read(size - 4..size)
        .map_err(|e| EngineError::Io(e.0))?;
    if tail[..] == ENCRYPTED_FOOTER_MAGIC[..] {
        return Err(EngineError::Unsupported(
            "the file is encrypted (Parquet modular encryption with an encrypted footer); \
             Kiln cannot read it without its keys"
                .into(),
        ));
    }
    match (head[..] == PARQUET_MAGIC[..], tail[..] == PARQUET_MAGIC[..]) {
        (true, true) => {}
        (true, false) => {
            return Err(EngineError::CorruptParquet(format!(
                "it starts like a Parquet file but ends with {} where PAR1 should be: the file looks truncated",
                show_magic(&tail)
            )));
        }
        (false, true) => {
            // A reader needs only the footer, but a file whose first bytes are not PAR1
            // has been damaged (or is something else): better refused than trusted.
            return Err(EngineError::CorruptParquet(format!(
                "it ends like a Parquet file but starts with {}, not the magic number PAR1: the file is damaged",
                show_magic(&head)
            )));
        }
        (false, false) => {
            return Err(EngineError::NotParquet(
                "no Parquet magic number (PAR1) at its start or end".into(),
            ));
        }
    }
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&SourceReader(source))
        .map_err(|e| EngineError::CorruptParquet(format!("its footer cannot be decoded: {e}")))?;
    if let Some(problem) = unsupported(&metadata) {
        return Err(EngineError::Unsupported(problem));
    }
    if let Some(problem) = chunk_out_of_bounds(&metadata, size) {
        return Err(EngineError::CorruptParquet(problem));
    }
    Ok(metadata)
}

/// The rows a file holds as its row groups count them: some writers left the
/// file-level count 0 (parquet-rs 0.3; the vendored parquet crate reads such files by
/// the same count, vendor/README.md).
fn rows_in_row_groups(metadata: &ParquetMetaData) -> i64 {
    metadata
        .row_groups()
        .iter()
        .map(|rg| rg.num_rows().max(0))
        .sum()
}

/// A column chunk the footer places beyond the data: the file was cut short (or the
/// footer was written for other bytes). Said when the file is added, not half-way
/// through a job.
fn chunk_out_of_bounds(metadata: &ParquetMetaData, size: u64) -> Option<String> {
    for (i, rg) in metadata.row_groups().iter().enumerate() {
        for chunk in rg.columns() {
            // `byte_range()` asserts what a corrupt footer breaks (the parquet_file fuzz
            // target found it), so the offsets are read and checked here.
            let start = chunk
                .dictionary_page_offset()
                .unwrap_or(chunk.data_page_offset());
            let len = chunk.compressed_size();
            if start < 0 || len < 0 {
                return Some(format!(
                    "row group {i}, column `{}` is said to lie at byte {start} with {len} bytes: its footer is corrupt",
                    chunk.column_path().string()
                ));
            }
            let end = start.saturating_add(len) as u64;
            if end > size {
                return Some(format!(
                    "row group {i}, column `{}` lies at bytes {start}..{end}, past its end at byte {size}: the file was cut short",
                    chunk.column_path().string()
                ));
            }
        }
    }
    None
}

/// What a readable footer asks for that Kiln's Parquet reader cannot do: said when the
/// file is added, not when a query first touches the column.
fn unsupported(metadata: &ParquetMetaData) -> Option<String> {
    for rg in metadata.row_groups() {
        for chunk in rg.columns() {
            if chunk.compression() == parquet::basic::Compression::LZO {
                return Some(format!(
                    "column `{}` is compressed with LZO, which Kiln (like pyarrow) cannot decode; rewrite the file with zstd, snappy or gzip",
                    chunk.column_path().string()
                ));
            }
        }
    }
    None
}

/// Four bytes as text when they are printable (`"XXXX"`), else as hex.
fn show_magic(bytes: &[u8]) -> String {
    if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("\"{}\"", String::from_utf8_lossy(bytes))
    } else {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn summarize_parquet(
    path: &str,
    source: &dyn RangeSource,
    metadata: &ParquetMetaData,
) -> FileSummary {
    let file_meta = metadata.file_metadata();
    let row_groups = metadata
        .row_groups()
        .iter()
        .map(|rg| RowGroupSummary {
            rows: rg.num_rows().max(0) as u64,
            compressed_bytes: rg.compressed_size().max(0) as u64,
            uncompressed_bytes: rg.total_byte_size().max(0) as u64,
        })
        .collect();
    FileSummary {
        path: path.to_string(),
        size_bytes: source.size(),
        rows: Some(rows_in_row_groups(metadata) as u64),
        created_by: file_meta.created_by().map(str::to_string),
        format_version: Some(file_meta.version()),
        row_groups,
        columns: summarize_columns(metadata),
        partition_values: crate::naming::partition_values(path),
    }
}

fn summarize_columns(metadata: &ParquetMetaData) -> Vec<ColumnSummary> {
    let schema = metadata.file_metadata().schema_descr();
    let arrow_schema =
        parquet_to_arrow_schema(schema, metadata.file_metadata().key_value_metadata()).ok();
    (0..schema.num_columns())
        .map(|i| {
            let descr = schema.column(i);
            let parts = descr.path().parts();
            let mut compression = BTreeSet::new();
            let mut encodings = BTreeSet::new();
            let mut null_count = Some(0u64);
            let (mut compressed, mut uncompressed) = (0u64, 0u64);
            for rg in metadata.row_groups() {
                let chunk = rg.column(i);
                compression.insert(codec_name(chunk.compression()));
                encodings.extend(chunk.encodings().map(|e| format!("{e:?}")));
                null_count = match (
                    null_count,
                    chunk.statistics().and_then(|s| s.null_count_opt()),
                ) {
                    (Some(total), Some(n)) => Some(total + n),
                    _ => None,
                };
                compressed += chunk.compressed_size().max(0) as u64;
                uncompressed += chunk.uncompressed_size().max(0) as u64;
            }
            if metadata.row_groups().is_empty() {
                null_count = None;
            }
            let logical_type = descr.logical_type_ref().map(logical_type_text).or_else(|| {
                match descr.converted_type() {
                    ConvertedType::NONE => None,
                    other => Some(other.to_string()),
                }
            });
            // Statistics are converted to Arrow values only for top-level columns: that is
            // where the parquet crate knows how to apply the logical type (timestamps,
            // decimals, strings) so min and max read as the user's values.
            let (min, max) = match (&arrow_schema, parts) {
                (Some(arrow_schema), [name]) => min_max(name, arrow_schema, metadata),
                _ => (None, None),
            };
            ColumnSummary {
                path: parts.join("."),
                physical_type: descr.physical_type().to_string(),
                logical_type,
                compression: compression.into_iter().collect(),
                encodings: encodings.into_iter().collect(),
                null_count,
                min,
                max,
                compressed_bytes: compressed,
                uncompressed_bytes: uncompressed,
            }
        })
        .collect()
}

fn min_max(
    column: &str,
    arrow_schema: &arrow::datatypes::Schema,
    metadata: &ParquetMetaData,
) -> (Option<String>, Option<String>) {
    let Ok(converter) = StatisticsConverter::try_new(
        column,
        arrow_schema,
        metadata.file_metadata().schema_descr(),
    ) else {
        return (None, None);
    };
    let mins = converter.row_group_mins(metadata.row_groups().iter()).ok();
    let maxes = converter.row_group_maxes(metadata.row_groups().iter()).ok();
    (
        mins.and_then(|a| extreme(&a, false)),
        maxes.and_then(|a| extreme(&a, true)),
    )
}

/// The smallest (or largest) non-null value of an array, formatted.
fn extreme(values: &ArrayRef, largest: bool) -> Option<String> {
    if values.null_count() == values.len() || matches!(values.data_type(), DataType::Null) {
        return None;
    }
    let options = SortOptions {
        descending: largest,
        nulls_first: false,
    };
    let order = sort_to_indices(values, Some(options), Some(1)).ok()?;
    let index = order.values().first().copied()? as usize;
    let formatter = ArrayFormatter::try_new(values.as_ref(), &FormatOptions::default()).ok()?;
    Some(formatter.value(index).to_string())
}

/// The codec without the writer's level: `ZSTD(ZstdLevel(1))` is the reader's default
/// level, not something the file records.
fn codec_name(codec: parquet::basic::Compression) -> String {
    let text = format!("{codec:?}");
    text.split('(').next().unwrap_or(&text).to_string()
}

/// Logical types in the spec's own words, e.g. `TIMESTAMP(MICROS, adjusted_to_utc=false)`.
fn logical_type_text(t: &parquet::basic::LogicalType) -> String {
    use parquet::basic::{LogicalType as L, TimeUnit};
    let unit = |u: &TimeUnit| match u {
        TimeUnit::MILLIS => "MILLIS",
        TimeUnit::MICROS => "MICROS",
        TimeUnit::NANOS => "NANOS",
    };
    match t {
        L::Decimal(d) => format!("DECIMAL({},{})", d.precision, d.scale),
        L::Time(t) => format!(
            "TIME({}, adjusted_to_utc={})",
            unit(&t.unit),
            t.is_adjusted_to_u_t_c
        ),
        L::Timestamp(t) => {
            format!(
                "TIMESTAMP({}, adjusted_to_utc={})",
                unit(&t.unit),
                t.is_adjusted_to_u_t_c
            )
        }
        L::Integer(i) => format!(
            "INTEGER({}, {})",
            i.bit_width,
            if i.is_signed { "signed" } else { "unsigned" }
        ),
        // The rest carry no parameters worth showing: STRING, MAP, LIST, DATE, UUID, ...
        other => {
            let text = format!("{other:?}");
            text.split(['(', ' ', '{'])
                .next()
                .unwrap_or(&text)
                .to_uppercase()
        }
    }
}
