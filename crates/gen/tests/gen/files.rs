use std::collections::BTreeMap;

use crate::common::*;
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use kiln_gen::*;

fn small() -> TaxiConfig {
    TaxiConfig {
        rows: 30_000,
        seed: 7,
        start_year: 2023,
        start_month: 11,
        months: 3,
        ..TaxiConfig::default()
    }
}

fn by_path(files: &[GeneratedFile]) -> BTreeMap<&str, &GeneratedFile> {
    files.iter().map(|f| (f.path.as_str(), f)).collect()
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let a = generate_taxi(&small()).unwrap();
    let b = generate_taxi(&small()).unwrap();
    assert_eq!(a, b);
    let c = generate_taxi(&TaxiConfig { seed: 8, ..small() }).unwrap();
    assert_eq!(a.len(), c.len());
    for (x, y) in a.iter().zip(&c) {
        assert_eq!(x.path, y.path);
        if x.path.ends_with("tripdata_2023-11.parquet") {
            assert_ne!(x.bytes, y.bytes, "{} did not change with the seed", x.path);
        }
    }
}

#[test]
fn layout_and_exact_row_counts() {
    let cfg = small();
    let files = generate_taxi(&cfg).unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "yellow/yellow_tripdata_2023-11.parquet",
            "yellow/yellow_tripdata_2023-12.parquet",
            "yellow/yellow_tripdata_2024-01.parquet",
            "green/green_tripdata_2023-11.parquet",
            "green/green_tripdata_2023-12.parquet",
            "green/green_tripdata_2024-01.parquet",
            "taxi_zone_lookup.csv",
            "taxi_zone_lookup.parquet",
        ]
    );
    let mut yellow = 0u64;
    let mut green = 0u64;
    for f in files.iter().filter(|f| f.path.contains("tripdata")) {
        let rows: u64 = read_parquet(&f.bytes)
            .batches
            .iter()
            .map(|b| b.num_rows() as u64)
            .sum();
        assert!(rows > 0, "{} is empty", f.path);
        if f.path.starts_with("yellow/") {
            yellow += rows
        } else {
            green += rows
        }
    }
    assert_eq!(yellow + green, cfg.rows);
    assert_eq!(yellow, 25_500, "85% of 30,000");
}

#[test]
fn plan_counts_add_up_for_awkward_sizes() {
    for rows in [0u64, 1, 7, 99, 1_000_003, 50_000_000] {
        for months in [1u32, 2, 5, 13] {
            let cfg = TaxiConfig {
                rows,
                months,
                start_month: 10,
                ..TaxiConfig::default()
            };
            let plan = cfg.plan().unwrap();
            assert_eq!(plan.len(), 2 * months as usize);
            let total: u64 = plan.iter().map(|f| f.rows).sum();
            assert_eq!(total, rows, "rows {rows} months {months}");
            let yellow: u64 = plan
                .iter()
                .filter(|f| f.kind == TripKind::Yellow)
                .map(|f| f.rows)
                .sum();
            let share = yellow as f64 / rows.max(1) as f64;
            if rows >= 1000 {
                assert!((share - 0.85).abs() < 0.001, "yellow share {share}");
            }
            // Months differ by at most a few days, so no month may get far more than its share.
            let per_month = rows as f64 / f64::from(months);
            for f in &plan {
                let kind_share = if f.kind == TripKind::Yellow {
                    0.85
                } else {
                    0.15
                };
                assert!(
                    (f.rows as f64) <= per_month * kind_share * 1.1 + 1.0,
                    "{f:?} too large"
                );
            }
        }
    }
}

#[test]
fn trip_files_read_back_with_exact_schemas() {
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, None);
    let f = |n: &str, t: DataType, null: bool| Field::new(n, t, null);
    let yellow = Schema::new(vec![
        f("VendorID", DataType::Int32, false),
        f("tpep_pickup_datetime", ts(), false),
        f("tpep_dropoff_datetime", ts(), false),
        f("passenger_count", DataType::Int64, true),
        f("trip_distance", DataType::Float64, false),
        f("RatecodeID", DataType::Int64, true),
        f("store_and_fwd_flag", DataType::Utf8, true),
        f("PULocationID", DataType::Int32, false),
        f("DOLocationID", DataType::Int32, false),
        f("payment_type", DataType::Int64, false),
        f("fare_amount", DataType::Float64, false),
        f("extra", DataType::Float64, false),
        f("mta_tax", DataType::Float64, false),
        f("tip_amount", DataType::Float64, false),
        f("tolls_amount", DataType::Float64, false),
        f("improvement_surcharge", DataType::Float64, false),
        f("total_amount", DataType::Float64, false),
        f("congestion_surcharge", DataType::Float64, true),
        f("Airport_fee", DataType::Float64, true),
    ]);
    let green = Schema::new(vec![
        f("VendorID", DataType::Int32, false),
        f("lpep_pickup_datetime", ts(), false),
        f("lpep_dropoff_datetime", ts(), false),
        f("store_and_fwd_flag", DataType::Utf8, true),
        f("RatecodeID", DataType::Int64, true),
        f("PULocationID", DataType::Int32, false),
        f("DOLocationID", DataType::Int32, false),
        f("passenger_count", DataType::Int64, true),
        f("trip_distance", DataType::Float64, false),
        f("fare_amount", DataType::Float64, false),
        f("extra", DataType::Float64, false),
        f("mta_tax", DataType::Float64, false),
        f("tip_amount", DataType::Float64, false),
        f("tolls_amount", DataType::Float64, false),
        f("ehail_fee", DataType::Float64, true),
        f("improvement_surcharge", DataType::Float64, false),
        f("total_amount", DataType::Float64, false),
        f("payment_type", DataType::Int64, true),
        f("trip_type", DataType::Int64, true),
        f("congestion_surcharge", DataType::Float64, true),
    ]);
    assert_eq!(*yellow_schema(), yellow);
    assert_eq!(*green_schema(), green);

    let files = generate_taxi(&small()).unwrap();
    let files = by_path(&files);
    let y = read_parquet(&files["yellow/yellow_tripdata_2023-12.parquet"].bytes);
    assert_eq!(*y.schema, yellow);
    for b in &y.batches {
        assert_eq!(*b.schema(), yellow);
    }
    let g = read_parquet(&files["green/green_tripdata_2023-12.parquet"].bytes);
    assert_eq!(*g.schema, green);
    let ehail = opt_f64s(&g.batches, "ehail_fee");
    assert!(
        !ehail.is_empty() && ehail.iter().all(Option::is_none),
        "ehail_fee must be all null"
    );
}

#[test]
fn large_files_have_several_row_groups_of_at_most_256k() {
    let cfg = TaxiConfig {
        rows: 700_000,
        seed: 3,
        start_year: 2024,
        start_month: 2,
        months: 1,
        ..TaxiConfig::default()
    };
    let plan = cfg.plan().unwrap();
    let file = plan.iter().find(|f| f.kind == TripKind::Yellow).unwrap();
    assert_eq!(file.rows, 595_000);
    let mut seen = Vec::new();
    let bytes = write_trip_file_with_progress(&cfg, file, Vec::new(), |n| seen.push(n)).unwrap();
    assert_eq!(seen.last(), Some(&595_000));
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    let back = read_parquet(&bytes.into());
    assert!(
        back.row_group_rows.len() >= 3,
        "row groups {:?}",
        back.row_group_rows
    );
    assert!(
        back.row_group_rows.iter().all(|&n| n <= 256 * 1024),
        "{:?}",
        back.row_group_rows
    );
    assert_eq!(back.row_group_rows.iter().sum::<i64>(), 595_000);

    // Leap February: pickups must reach into the 29th but never past the month.
    let start = month_start_us(2024, 2);
    let end = month_start_us(2024, 3);
    let pickups = times(&back.batches, "tpep_pickup_datetime");
    assert!(pickups.iter().all(|&t| (start..end).contains(&t)));
    assert!(pickups.iter().any(|&t| t >= end - 86_400_000_000));
}

#[test]
fn every_pickup_is_inside_its_files_month() {
    let files = generate_taxi(&small()).unwrap();
    let mut checked = 0;
    for f in files.iter().filter(|f| f.path.contains("tripdata")) {
        let (kind, rest) = f.path.split_once('/').unwrap();
        let ym = rest
            .trim_end_matches(".parquet")
            .rsplit('_')
            .next()
            .unwrap();
        let (y, m) = ym.split_once('-').unwrap();
        let (y, m): (i32, u32) = (y.parse().unwrap(), m.parse().unwrap());
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let (start, end) = (month_start_us(y, m), month_start_us(ny, nm));
        let col = if kind == "yellow" {
            "tpep_pickup_datetime"
        } else {
            "lpep_pickup_datetime"
        };
        let back = read_parquet(&f.bytes);
        for t in times(&back.batches, col) {
            assert!(
                (start..end).contains(&t),
                "{}: pickup {t} outside {ym}",
                f.path
            );
            assert_eq!(t % 1_000_000, 0, "TLC timestamps are whole seconds");
            checked += 1;
        }
    }
    assert_eq!(checked, small().rows);
}

#[test]
fn bad_config_is_an_error() {
    let err = generate_taxi(&TaxiConfig {
        start_month: 13,
        ..small()
    })
    .unwrap_err();
    assert!(matches!(err, GenError::Config(_)), "{err}");
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn write_taxi_writes_the_same_bytes_to_disk() {
    let cfg = TaxiConfig {
        rows: 5_000,
        months: 2,
        ..small()
    };
    let dir = std::env::temp_dir().join(format!("kiln-gen-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let written = write_taxi(&cfg, &dir).unwrap();
    let in_memory = generate_taxi(&cfg).unwrap();
    assert_eq!(written.len(), in_memory.len());
    for (path, f) in written.iter().zip(&in_memory) {
        assert_eq!(*path, dir.join(&f.path));
        assert_eq!(std::fs::read(path).unwrap(), f.bytes.as_ref(), "{}", f.path);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn zone_parquet_matches_the_batch() {
    let files = generate_taxi(&TaxiConfig {
        rows: 10,
        ..small()
    })
    .unwrap();
    let files = by_path(&files);
    let back = read_parquet(&files["taxi_zone_lookup.parquet"].bytes);
    let expected = zone_lookup_batch();
    assert_eq!(back.schema, expected.schema());
    assert_eq!(back.batches, vec![expected]);
}

/// The lake layout holds the monthly files' trips, split into parts, plus FHV trips.
#[test]
fn a_lake_is_partitioned_by_service_year_and_month_in_parts() {
    let lake = TaxiConfig {
        rows: 40_000,
        fhv: true,
        layout: Layout::Lake { part_rows: 5_000 },
        ..small()
    };
    let plan = lake.plan().unwrap();
    let total: u64 = plan.iter().map(|f| f.rows).sum();
    assert_eq!(total, lake.rows);
    let by_kind =
        |k: TripKind| -> u64 { plan.iter().filter(|f| f.kind == k).map(|f| f.rows).sum() };
    assert_eq!(
        (
            by_kind(TripKind::Yellow),
            by_kind(TripKind::Green),
            by_kind(TripKind::Fhv)
        ),
        (28_000, 4_000, 8_000)
    );
    assert!(plan.iter().all(|f| f.rows <= 5_000 && f.rows > 0));
    let yellow_nov: Vec<String> = plan
        .iter()
        .filter(|f| f.kind == TripKind::Yellow && f.month == 11)
        .map(|f| f.path())
        .collect();
    assert_eq!(
        yellow_nov[0],
        "yellow/year=2023/month=11/part-00000.parquet"
    );
    assert_eq!(yellow_nov.len(), 2, "{yellow_nov:?}");

    let files = generate_taxi(&lake).unwrap();
    let fhv = files.iter().find(|f| f.path.starts_with("fhv/")).unwrap();
    let back = read_parquet(&fhv.bytes);
    assert_eq!(back.schema, fhv_schema());
    let rows: usize = back.batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(
        rows as u64,
        plan.iter().find(|f| f.path() == fhv.path).unwrap().rows
    );
}

/// A month that fits one part is the monthly file's trips, byte for byte in content.
#[test]
fn a_one_part_lake_month_holds_the_monthly_files_trips() {
    let monthly = TaxiConfig {
        rows: 6_000,
        months: 1,
        ..small()
    };
    let lake = TaxiConfig {
        layout: Layout::Lake {
            part_rows: 1_000_000,
        },
        ..monthly.clone()
    };
    let a = generate_taxi(&monthly).unwrap();
    let b = generate_taxi(&lake).unwrap();
    assert_eq!(a[0].path, "yellow/yellow_tripdata_2023-11.parquet");
    assert_eq!(b[0].path, "yellow/year=2023/month=11/part-00000.parquet");
    assert_eq!(a[0].bytes, b[0].bytes);
}
