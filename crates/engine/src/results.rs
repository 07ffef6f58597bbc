//! Results as people read them: pages of text for the table view, and whole results
//! written as a table, CSV, JSON or Parquet.

use datafusion::arrow::array::Array;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::ArrayFormatter;
use kiln_protocol::{ResultPage, ResultSummary};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::engine::QueryOutput;
use crate::error::EngineError;

pub fn summary(output: &QueryOutput, elapsed_ms: f64) -> ResultSummary {
    ResultSummary {
        columns: output
            .schema
            .fields()
            .iter()
            .map(|f| crate::sql_types::result_column(f))
            .collect(),
        total_rows: output.num_rows(),
        elapsed_ms,
    }
}

/// Rows `offset..offset + limit` as text; NULL stays `None` so it can be told apart
/// from an empty string. Only the batches that hold them are read.
pub fn page(output: &QueryOutput, offset: u64, limit: u64) -> Result<ResultPage, EngineError> {
    let mut page = page_of(&output.rows(offset, limit)?, 0, limit)?;
    page.offset = offset;
    Ok(page)
}

/// The same over batches at hand.
pub fn page_of(
    batches: &[RecordBatch],
    offset: u64,
    limit: u64,
) -> Result<ResultPage, EngineError> {
    let options = crate::sql_types::display_options();
    let mut rows = Vec::new();
    let mut skip = offset;
    for batch in batches {
        let n = batch.num_rows() as u64;
        if skip >= n {
            skip -= n;
            continue;
        }
        let take = (n - skip).min(limit - rows.len() as u64);
        let slice = batch.slice(skip as usize, take as usize);
        skip = 0;
        let formatters = slice
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        // Logical nulls: a column of type Null has no validity bitmap, yet every value
        // in it is NULL.
        let nulls: Vec<_> = slice.columns().iter().map(|c| c.logical_nulls()).collect();
        for row in 0..slice.num_rows() {
            rows.push(
                nulls
                    .iter()
                    .zip(&formatters)
                    .map(|(n, f)| {
                        let null = n.as_ref().is_some_and(|n| n.is_null(row));
                        (!null).then(|| f.value(row).to_string())
                    })
                    .collect(),
            );
        }
        if rows.len() as u64 >= limit {
            break;
        }
    }
    Ok(ResultPage { offset, rows })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

/// Writes a whole result in a text format.
pub fn write_text(
    output: &QueryOutput,
    format: OutputFormat,
    out: &mut dyn std::io::Write,
) -> Result<(), EngineError> {
    match format {
        OutputFormat::Table => {
            let table = datafusion::arrow::util::pretty::pretty_format_batches_with_options(
                &output.collect()?,
                &crate::sql_types::display_options(),
            )?;
            writeln!(out, "{table}").map_err(|e| EngineError::Io(e.to_string()))?;
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            if output.num_rows() == 0 {
                writer.write(&RecordBatch::new_empty(output.schema.clone()))?;
            }
            for batch in output.batches() {
                writer.write(&batch?)?;
            }
        }
        OutputFormat::Json => {
            // NULLs written as `null`, so every row has every column.
            let mut writer = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::JsonArray>(out);
            for batch in output.batches() {
                writer.write(&batch?)?;
            }
            writer.finish()?;
        }
    }
    Ok(())
}

/// Writer settings for everything Kiln writes as Parquet: zstd, and row groups big
/// enough for scans but small enough to split work across workers.
pub fn parquet_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(1 << 20))
        .build()
}

pub fn write_parquet<W: std::io::Write + Send>(
    output: &QueryOutput,
    out: W,
) -> Result<W, EngineError> {
    let mut writer = ArrowWriter::try_new(out, output.schema.clone(), Some(parquet_properties()))?;
    for batch in output.batches() {
        writer.write(&batch?)?;
    }
    Ok(writer.into_inner()?)
}
