#![allow(dead_code)]

use arrow::array::{
    Array, Float64Array, Int32Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub struct ReadBack {
    pub schema: arrow::datatypes::SchemaRef,
    pub row_group_rows: Vec<i64>,
    pub batches: Vec<RecordBatch>,
}

pub fn read_parquet(bytes: &Bytes) -> ReadBack {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.clone()).unwrap();
    let schema = builder.schema().clone();
    let row_group_rows = builder
        .metadata()
        .row_groups()
        .iter()
        .map(|rg| rg.num_rows())
        .collect();
    let batches = builder
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    ReadBack {
        schema,
        row_group_rows,
        batches,
    }
}

fn col<'a, T: 'static>(b: &'a RecordBatch, name: &str) -> &'a T {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("missing column {name}"))
        .as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("column {name} has an unexpected type"))
}

pub fn i32s(batches: &[RecordBatch], name: &str) -> Vec<i32> {
    batches
        .iter()
        .flat_map(|b| col::<Int32Array>(b, name).values().to_vec())
        .collect()
}

pub fn opt_i64s(batches: &[RecordBatch], name: &str) -> Vec<Option<i64>> {
    batches
        .iter()
        .flat_map(|b| col::<Int64Array>(b, name).iter().collect::<Vec<_>>())
        .collect()
}

pub fn f64s(batches: &[RecordBatch], name: &str) -> Vec<f64> {
    batches
        .iter()
        .flat_map(|b| {
            let a = col::<Float64Array>(b, name);
            assert_eq!(a.null_count(), 0, "{name} has nulls");
            a.values().to_vec()
        })
        .collect()
}

pub fn opt_f64s(batches: &[RecordBatch], name: &str) -> Vec<Option<f64>> {
    batches
        .iter()
        .flat_map(|b| col::<Float64Array>(b, name).iter().collect::<Vec<_>>())
        .collect()
}

pub fn opt_strs(batches: &[RecordBatch], name: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            col::<StringArray>(b, name)
                .iter()
                .map(|s| s.map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

pub fn times(batches: &[RecordBatch], name: &str) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| col::<TimestampMicrosecondArray>(b, name).values().to_vec())
        .collect()
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Microseconds since the epoch at 00:00 on the first of the month.
pub fn month_start_us(year: i32, month: u32) -> i64 {
    // Count days by brute force so the test does not share the crate's civil-date code.
    let mut days: i64 = 0;
    for y in 1970..year {
        days += if is_leap(y) { 366 } else { 365 };
    }
    for m in 1..month {
        days += i64::from(days_in(year, m));
    }
    days * 86_400 * 1_000_000
}

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in(y: i32, m: u32) -> u32 {
    [
        31,
        if is_leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][(m - 1) as usize]
}
