//! Arrow schemas of the trip files, matching the NYC TLC trip record Parquet files.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::config::TripKind;

fn ts(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, None),
        false,
    )
}

fn f64_col(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Float64, nullable)
}

pub fn yellow_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("VendorID", DataType::Int32, false),
        ts("tpep_pickup_datetime"),
        ts("tpep_dropoff_datetime"),
        Field::new("passenger_count", DataType::Int64, true),
        f64_col("trip_distance", false),
        Field::new("RatecodeID", DataType::Int64, true),
        Field::new("store_and_fwd_flag", DataType::Utf8, true),
        Field::new("PULocationID", DataType::Int32, false),
        Field::new("DOLocationID", DataType::Int32, false),
        Field::new("payment_type", DataType::Int64, false),
        f64_col("fare_amount", false),
        f64_col("extra", false),
        f64_col("mta_tax", false),
        f64_col("tip_amount", false),
        f64_col("tolls_amount", false),
        f64_col("improvement_surcharge", false),
        f64_col("total_amount", false),
        f64_col("congestion_surcharge", true),
        f64_col("Airport_fee", true),
    ]))
}

pub fn green_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("VendorID", DataType::Int32, false),
        ts("lpep_pickup_datetime"),
        ts("lpep_dropoff_datetime"),
        Field::new("store_and_fwd_flag", DataType::Utf8, true),
        Field::new("RatecodeID", DataType::Int64, true),
        Field::new("PULocationID", DataType::Int32, false),
        Field::new("DOLocationID", DataType::Int32, false),
        Field::new("passenger_count", DataType::Int64, true),
        f64_col("trip_distance", false),
        f64_col("fare_amount", false),
        f64_col("extra", false),
        f64_col("mta_tax", false),
        f64_col("tip_amount", false),
        f64_col("tolls_amount", false),
        f64_col("ehail_fee", true),
        f64_col("improvement_surcharge", false),
        f64_col("total_amount", false),
        Field::new("payment_type", DataType::Int64, true),
        Field::new("trip_type", DataType::Int64, true),
        f64_col("congestion_surcharge", true),
    ]))
}

/// For-hire vehicle trips, as the TLC publishes them: a dispatching base, times and
/// zones, no fares. Zones are often unknown, so they are nullable.
pub fn fhv_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("dispatching_base_num", DataType::Utf8, false),
        ts("pickup_datetime"),
        ts("dropOff_datetime"),
        Field::new("PUlocationID", DataType::Int64, true),
        Field::new("DOlocationID", DataType::Int64, true),
        Field::new("SR_Flag", DataType::Int64, true),
        Field::new("Affiliated_base_number", DataType::Utf8, true),
    ]))
}

pub fn trip_schema(kind: TripKind) -> SchemaRef {
    match kind {
        TripKind::Yellow => yellow_schema(),
        TripKind::Green => green_schema(),
        TripKind::Fhv => fhv_schema(),
    }
}
