//! Turns the trip model into Arrow batches, one bounded batch at a time.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use crate::GenError;
use crate::config::{TaxiConfig, TripFile, TripKind};
use crate::model::{Trip, TripModel};
use crate::sample::Rng;
use crate::schema::trip_schema;

/// Rows per generated batch: large enough for efficient encoding, small enough
/// that a browser worker's memory stays flat however many rows are asked for.
pub const BATCH_ROWS: usize = 64 * 1024;

/// The batches of one trip file, in order. Every call with the same config and
/// file yields the same batches.
pub struct TripBatches {
    file: TripFile,
    schema: SchemaRef,
    model: TripModel,
    rng: Rng,
    remaining: u64,
}

pub fn trip_batches(cfg: &TaxiConfig, file: &TripFile) -> TripBatches {
    let kind_tag = match file.kind {
        TripKind::Yellow => 1,
        TripKind::Green => 2,
        TripKind::Fhv => 3,
    };
    TripBatches {
        file: file.clone(),
        schema: trip_schema(file.kind),
        model: TripModel::new(file.kind, file.year, file.month),
        // The year is offset so the stream word stays a plain non-negative number.
        rng: Rng::for_stream(
            cfg.seed,
            [
                kind_tag,
                (i64::from(file.year) + (1 << 32)) as u64,
                // Part 0 keeps the monthly file's stream: a one-part lake month holds
                // exactly the trips of the monthly file.
                u64::from(file.month) | (u64::from(file.part) << 8),
            ],
        ),
        remaining: file.rows,
    }
}

impl TripBatches {
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

impl Iterator for TripBatches {
    type Item = Result<RecordBatch, GenError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let n = self.remaining.min(BATCH_ROWS as u64) as usize;
        self.remaining -= n as u64;
        let trips: Vec<Trip> = (0..n).map(|_| self.model.trip(&mut self.rng)).collect();
        let columns = match self.file.kind {
            TripKind::Yellow => yellow_columns(&trips),
            TripKind::Green => green_columns(&trips),
            TripKind::Fhv => fhv_columns(&trips),
        };
        Some(
            RecordBatch::try_new(self.schema.clone(), columns).map_err(|source| GenError::Arrow {
                context: format!("building a batch of {}", self.file.path()),
                source,
            }),
        )
    }
}

fn i32s(trips: &[Trip], f: impl Fn(&Trip) -> i32) -> ArrayRef {
    Arc::new(Int32Array::from_iter_values(trips.iter().map(f)))
}

fn i64s(trips: &[Trip], f: impl Fn(&Trip) -> Option<i64>) -> ArrayRef {
    Arc::new(trips.iter().map(f).collect::<Int64Array>())
}

fn f64s(trips: &[Trip], f: impl Fn(&Trip) -> f64) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(trips.iter().map(f)))
}

fn opt_f64s(trips: &[Trip], f: impl Fn(&Trip) -> Option<f64>) -> ArrayRef {
    Arc::new(trips.iter().map(f).collect::<Float64Array>())
}

fn times(trips: &[Trip], f: impl Fn(&Trip) -> i64) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from_iter_values(
        trips.iter().map(f),
    ))
}

fn flags(trips: &[Trip]) -> ArrayRef {
    Arc::new(trips.iter().map(|t| t.store_fwd).collect::<StringArray>())
}

fn yellow_columns(t: &[Trip]) -> Vec<ArrayRef> {
    vec![
        i32s(t, |t| t.vendor),
        times(t, |t| t.pickup_us),
        times(t, |t| t.dropoff_us),
        i64s(t, |t| t.passengers),
        f64s(t, |t| t.distance),
        i64s(t, |t| t.ratecode),
        flags(t),
        i32s(t, |t| t.pu),
        i32s(t, |t| t.dropoff_zone),
        i64s(t, |t| Some(t.payment)),
        f64s(t, |t| t.fare),
        f64s(t, |t| t.extra),
        f64s(t, |t| t.mta_tax),
        f64s(t, |t| t.tip),
        f64s(t, |t| t.tolls),
        f64s(t, |t| t.improvement),
        f64s(t, |t| t.total),
        opt_f64s(t, |t| t.congestion),
        opt_f64s(t, |t| t.airport_fee),
    ]
}

fn green_columns(t: &[Trip]) -> Vec<ArrayRef> {
    vec![
        i32s(t, |t| t.vendor),
        times(t, |t| t.pickup_us),
        times(t, |t| t.dropoff_us),
        flags(t),
        i64s(t, |t| t.ratecode),
        i32s(t, |t| t.pu),
        i32s(t, |t| t.dropoff_zone),
        i64s(t, |t| t.passengers),
        f64s(t, |t| t.distance),
        f64s(t, |t| t.fare),
        f64s(t, |t| t.extra),
        f64s(t, |t| t.mta_tax),
        f64s(t, |t| t.tip),
        f64s(t, |t| t.tolls),
        opt_f64s(t, |_| None),
        f64s(t, |t| t.improvement),
        f64s(t, |t| t.total),
        // Green files leave the detail-less rows' payment type null instead of 0.
        i64s(t, |t| (t.payment != 0).then_some(t.payment)),
        i64s(t, |t| t.trip_type),
        opt_f64s(t, |t| t.congestion),
    ]
}

fn fhv_columns(t: &[Trip]) -> Vec<ArrayRef> {
    let bases: ArrayRef = Arc::new(t.iter().map(|t| Some(t.base)).collect::<StringArray>());
    let affiliated: ArrayRef =
        Arc::new(t.iter().map(|t| t.affiliated_base).collect::<StringArray>());
    let zone = |f: fn(&Trip) -> Option<i32>| -> ArrayRef {
        Arc::new(
            t.iter()
                .map(|t| f(t).map(i64::from))
                .collect::<Int64Array>(),
        )
    };
    vec![
        bases,
        times(t, |t| t.pickup_us),
        times(t, |t| t.dropoff_us),
        zone(|t| t.fhv_zones.then_some(t.pu)),
        zone(|t| t.fhv_zones.then_some(t.dropoff_zone)),
        i64s(t, |t| t.shared.then_some(1)),
        affiliated,
    ]
}
