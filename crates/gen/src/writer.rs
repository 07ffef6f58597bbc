//! Parquet encoding of the generated tables into any `Write` sink.

use std::io::Write;

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::GenError;
use crate::ZONE_PARQUET_PATH;
use crate::config::{TaxiConfig, TripFile};
use crate::trips::trip_batches;
use crate::zones::zone_lookup_batch;

/// Several row groups per multi-million-row file, so readers can prune and
/// parallelise the way they would on the real TLC files.
pub const MAX_ROW_GROUP_ROWS: usize = 256 * 1024;

pub fn writer_properties() -> Result<WriterProperties, GenError> {
    let level = ZstdLevel::try_new(3).map_err(|source| GenError::Parquet {
        context: "choosing the ZSTD level".into(),
        source,
    })?;
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_dictionary_enabled(true)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(MAX_ROW_GROUP_ROWS))
        .build())
}

/// Generates one trip file batch by batch straight into `sink`; memory stays
/// bounded by one batch plus the open row group. `progress` gets the rows
/// written so far after every batch. Returns the sink, flushed.
pub fn write_trip_file_with_progress<W: Write + Send>(
    cfg: &TaxiConfig,
    file: &TripFile,
    sink: W,
    mut progress: impl FnMut(u64),
) -> Result<W, GenError> {
    let path = file.path();
    let pq_err = |source| GenError::Parquet {
        context: format!("writing {path}"),
        source,
    };
    let batches = trip_batches(cfg, file);
    let mut writer =
        ArrowWriter::try_new(sink, batches.schema(), Some(writer_properties()?)).map_err(pq_err)?;
    let mut done = 0u64;
    for batch in batches {
        let batch = batch?;
        writer.write(&batch).map_err(pq_err)?;
        done += batch.num_rows() as u64;
        progress(done);
    }
    writer.into_inner().map_err(pq_err)
}

pub fn write_trip_file<W: Write + Send>(
    cfg: &TaxiConfig,
    file: &TripFile,
    sink: W,
) -> Result<W, GenError> {
    write_trip_file_with_progress(cfg, file, sink, |_| {})
}

pub fn write_zone_parquet<W: Write + Send>(sink: W) -> Result<W, GenError> {
    let pq_err = |source| GenError::Parquet {
        context: format!("writing {ZONE_PARQUET_PATH}"),
        source,
    };
    let batch = zone_lookup_batch();
    let mut writer =
        ArrowWriter::try_new(sink, batch.schema(), Some(writer_properties()?)).map_err(pq_err)?;
    writer.write(&batch).map_err(pq_err)?;
    writer.into_inner().map_err(pq_err)
}
