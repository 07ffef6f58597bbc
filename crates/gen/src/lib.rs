//! Kiln's sample-data generator: NYC-taxi-style trip files that look and skew
//! like the real TLC trip records, reproducible from a seed on every target
//! (including wasm32 inside a web worker).
//!
//! The core streams one Parquet file batch by batch into any `Write` sink
//! ([`write_trip_file`]); [`generate_taxi`] and [`write_taxi`] drive it for a
//! whole sample.

mod config;
mod model;
mod sample;
mod schema;
mod trips;
mod writer;
mod zones;

pub use config::{
    LAKE_PART_ROWS, Layout, TaxiConfig, TripFile, TripKind, WITH_FHV_PERCENT, YELLOW_PERCENT,
};
pub use schema::{fhv_schema, green_schema, trip_schema, yellow_schema};
pub use trips::{BATCH_ROWS, TripBatches, trip_batches};
pub use writer::{
    MAX_ROW_GROUP_ROWS, write_trip_file, write_trip_file_with_progress, write_zone_parquet,
    writer_properties,
};
pub use zones::{zone_lookup_batch, zone_lookup_csv, zone_schema};

use bytes::Bytes;

pub const ZONE_CSV_PATH: &str = "taxi_zone_lookup.csv";
pub const ZONE_PARQUET_PATH: &str = "taxi_zone_lookup.parquet";

#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("invalid generator config: {0}")]
    Config(String),
    #[error("arrow error while {context}: {source}")]
    Arrow {
        context: String,
        #[source]
        source: arrow::error::ArrowError,
    },
    #[error("parquet error while {context}: {source}")]
    Parquet {
        context: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("i/o error at {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// One output file held in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative to the output root, '/'-separated.
    pub path: String,
    pub bytes: Bytes,
}

/// The sample lake's config: every service, a partitioned layout, and the default
/// start month; what `kiln gen taxi --fhv --layout lake` and the page both make.
pub fn lake_config(rows: u64, months: u32, seed: u64, part_rows: u64) -> TaxiConfig {
    TaxiConfig {
        rows,
        months,
        seed,
        fhv: true,
        layout: Layout::Lake { part_rows },
        ..TaxiConfig::default()
    }
}

/// A lake's files in order, as (path, rows): its trip parts, then the zone lookup
/// (as Parquet).
pub fn lake_files(cfg: &TaxiConfig) -> Result<Vec<(String, u64)>, GenError> {
    let mut files: Vec<(String, u64)> = cfg.plan()?.iter().map(|f| (f.path(), f.rows)).collect();
    files.push((ZONE_PARQUET_PATH.to_string(), zones::ZONES.len() as u64));
    Ok(files)
}

/// The `index`-th file of [`lake_files`], made: each can be made on its own, so a pool
/// of workers can share the work.
pub fn make_lake_file(cfg: &TaxiConfig, index: usize) -> Result<GeneratedFile, GenError> {
    let plan = cfg.plan()?;
    match plan.get(index) {
        Some(file) => Ok(GeneratedFile {
            path: file.path(),
            bytes: write_trip_file(cfg, file, Vec::new())?.into(),
        }),
        None if index == plan.len() => Ok(GeneratedFile {
            path: ZONE_PARQUET_PATH.to_string(),
            bytes: write_zone_parquet(Vec::new())?.into(),
        }),
        None => Err(GenError::Config(format!(
            "the lake has {} files; there is no file {index}",
            plan.len() + 1
        ))),
    }
}

/// All files of the sample, in memory: trip files (yellow months, then green
/// months), then the zone lookup as CSV and as Parquet.
pub fn generate_taxi(cfg: &TaxiConfig) -> Result<Vec<GeneratedFile>, GenError> {
    let mut out = Vec::new();
    for file in cfg.plan()? {
        let bytes = write_trip_file(cfg, &file, Vec::new())?;
        out.push(GeneratedFile {
            path: file.path(),
            bytes: bytes.into(),
        });
    }
    out.push(GeneratedFile {
        path: ZONE_CSV_PATH.to_string(),
        bytes: zone_lookup_csv().into(),
    });
    out.push(GeneratedFile {
        path: ZONE_PARQUET_PATH.to_string(),
        bytes: write_zone_parquet(Vec::new())?.into(),
    });
    Ok(out)
}

/// The same files as [`generate_taxi`], streamed to disk under `out_dir` so
/// that no whole file is ever held in memory. Returns the paths written.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_taxi(
    cfg: &TaxiConfig,
    out_dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, GenError> {
    use std::io::Write;

    let create =
        |rel: &str| -> Result<(std::path::PathBuf, std::io::BufWriter<std::fs::File>), GenError> {
            let path = rel
                .split('/')
                .fold(out_dir.to_path_buf(), |p, part| p.join(part));
            let io_err = |source| GenError::Io {
                path: path.display().to_string(),
                source,
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io_err)?;
            }
            let file = std::fs::File::create(&path).map_err(io_err)?;
            Ok((path, std::io::BufWriter::new(file)))
        };
    let finish = |path: &std::path::Path, sink: std::io::BufWriter<std::fs::File>| {
        let io_err = |source| GenError::Io {
            path: path.display().to_string(),
            source,
        };
        // into_inner flushes, so late write errors surface here rather than on drop.
        sink.into_inner()
            .map(drop)
            .map_err(|e| io_err(e.into_error()))
    };

    let mut written = Vec::new();
    for file in cfg.plan()? {
        let (path, sink) = create(&file.path())?;
        let sink = write_trip_file(cfg, &file, sink)?;
        finish(&path, sink)?;
        written.push(path);
    }

    let (path, mut sink) = create(ZONE_CSV_PATH)?;
    sink.write_all(zone_lookup_csv().as_bytes())
        .map_err(|source| GenError::Io {
            path: path.display().to_string(),
            source,
        })?;
    finish(&path, sink)?;
    written.push(path);

    let (path, sink) = create(ZONE_PARQUET_PATH)?;
    let sink = write_zone_parquet(sink)?;
    finish(&path, sink)?;
    written.push(path);
    Ok(written)
}
