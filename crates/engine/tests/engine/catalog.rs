//! The browser's path through the engine, natively: files handed over as byte sources
//! with the paths a folder pick gives, grouped into tables, renamed, removed, queried.
//! Expected values come from the data each test builds itself.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use bytes::Bytes;
use kiln_engine::{BytesSource, Engine, EngineConfig, SourceFile};

use crate::common::{file, parquet_bytes};
use parquet::arrow::ArrowWriter;

async fn scalar(engine: &Engine, sql: &str) -> String {
    let out = engine
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let page = kiln_engine::results::page(&out, 0, 10).unwrap();
    assert_eq!(page.rows.len(), 1, "{sql}");
    page.rows[0]
        .iter()
        .map(|c| c.clone().unwrap_or("NULL".into()))
        .collect::<Vec<_>>()
        .join("|")
}

#[tokio::test]
async fn a_partitioned_folder_is_one_table_with_typed_partition_columns() {
    let mut engine = Engine::new(EngineConfig::default());
    let (added, rejected) = engine
        .add_files(vec![
            file(
                "lake/year=2024/month=01/part-0.parquet",
                parquet_bytes(&[1, 2], &["a", "b"]),
            ),
            file(
                "lake/year=2024/month=02/part-0.parquet",
                parquet_bytes(&[3], &["c"]),
            ),
            file(
                "lake/year=2025/month=01/part-0.parquet",
                parquet_bytes(&[4, 5, 6], &["d", "e", "f"]),
            ),
            file("lake/_SUCCESS", Bytes::new()),
            file("other.parquet", parquet_bytes(&[7], &["g"])),
        ])
        .await;
    assert!(rejected.is_empty(), "{rejected:?}");
    let names: Vec<_> = added.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["other", "lake"]);
    let lake = &added[1];
    assert_eq!(lake.partition_columns, ["year", "month"]);
    assert_eq!(lake.files.len(), 3, "_SUCCESS is not data");
    assert_eq!(lake.total_rows(), Some(6));
    let year = lake.schema.iter().find(|f| f.name == "year").unwrap();
    assert_eq!(year.data_type, "Int64");
    assert_eq!(
        scalar(
            &engine,
            "SELECT count(*), sum(id) FROM lake WHERE year = 2024"
        )
        .await,
        "3|6"
    );
    assert_eq!(
        scalar(&engine, "SELECT count(*) FROM lake WHERE month = 1").await,
        "5"
    );
    assert_eq!(scalar(&engine, "SELECT name FROM other").await, "g");
}

/// A job's runs write `name=x/` folders over files that hold `name` themselves: the
/// table has one `name`, the files'.
#[tokio::test]
async fn a_folder_named_like_a_file_column_is_not_a_second_column() {
    let mut engine = Engine::new(EngineConfig::default());
    let (added, rejected) = engine
        .add_files(vec![
            file(
                "runs/name=a/part-0.parquet",
                parquet_bytes(&[1, 2], &["a", "a"]),
            ),
            file("runs/name=b/part-0.parquet", parquet_bytes(&[3], &["b"])),
        ])
        .await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert!(added[0].partition_columns.is_empty());
    assert_eq!(added[0].schema.len(), 2);
    assert_eq!(
        scalar(&engine, "SELECT count(DISTINCT name), sum(id) FROM runs").await,
        "2|6"
    );
}

#[tokio::test]
async fn gzipped_csv_opens_with_an_inferred_schema() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"\"LocationID\",\"Borough\"\n1,\"EWR\"\n2,\"Queens\"\n3,\"Bronx\"\n")
        .unwrap();
    let mut engine = Engine::new(EngineConfig::default());
    let (added, rejected) = engine
        .add_files(vec![file(
            "taxi+_zone_lookup.csv.gz",
            Bytes::from(gz.finish().unwrap()),
        )])
        .await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(added[0].name, "taxi_zone_lookup");
    assert_eq!(added[0].schema[0].data_type, "Int64");
    assert_eq!(
        scalar(
            &engine,
            "SELECT count(*), max(\"Borough\") FROM taxi_zone_lookup"
        )
        .await,
        "3|Queens"
    );
}

#[tokio::test]
async fn bad_files_are_refused_and_good_ones_kept() {
    let mut engine = Engine::new(EngineConfig::default());
    let good = parquet_bytes(&[1], &["x"]);
    let (added, rejected) = engine
        .add_files(vec![
            file(
                "notes.parquet",
                Bytes::from_static(b"just some text, not parquet at all"),
            ),
            file("empty.parquet", Bytes::new()),
            file("cut.parquet", good.slice(0..good.len() - 10)),
            file("fine.parquet", good.clone()),
        ])
        .await;
    assert_eq!(added.len(), 1);
    let messages: Vec<String> = rejected.iter().map(|e| e.to_string()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0].contains("notes.parquet") && messages[0].contains("not a Parquet file"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("empty.parquet") && messages[1].contains("empty"),
        "{messages:?}"
    );
    assert!(
        messages[2].contains("cut.parquet") && messages[2].contains("truncated"),
        "{messages:?}"
    );
}

#[tokio::test]
async fn tables_can_be_renamed_and_removed() {
    let mut engine = Engine::new(EngineConfig::default());
    engine
        .add_files(vec![file("a.parquet", parquet_bytes(&[1, 2], &["x", "y"]))])
        .await;
    engine
        .add_files(vec![file("a.parquet", parquet_bytes(&[3], &["z"]))])
        .await;
    let names: Vec<_> = engine.tables().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["a", "a_2"], "the second file gets a fresh name");

    assert!(engine.rename_table("a", "Bad Name").is_err());
    assert!(
        engine.rename_table("a", "a_2").is_err(),
        "names stay unique"
    );
    engine.rename_table("a", "first").unwrap();
    assert_eq!(scalar(&engine, "SELECT count(*) FROM first").await, "2");
    assert!(engine.sql("SELECT * FROM a").await.is_err());

    engine.remove_table("first").unwrap();
    let err = engine.sql("SELECT * FROM first").await.unwrap_err();
    assert!(err.message.contains("first"), "{err:?}");
    assert_eq!(scalar(&engine, "SELECT count(*) FROM a_2").await, "1");
}

#[tokio::test]
async fn sql_errors_point_at_the_position() {
    let engine = Engine::new(EngineConfig::default());
    let err = engine.sql("SELECT 1,\n  2 FROMM x").await.unwrap_err();
    let at = err.location.expect("a parse error has a position");
    assert_eq!(at.line, 2);
    let err = engine
        .sql("SELECT nope FROM (SELECT 1 AS one)")
        .await
        .unwrap_err();
    let at = err.location.expect("an unknown column has a span");
    assert_eq!((at.line, at.column), (1, 8));
}

/// Counts the bytes a query reads, to show that DataFusion reads through the store the
/// way it reads S3: only the footer, the chunks of the projected columns, and the row
/// groups the filter cannot rule out.
#[derive(Debug)]
struct CountingSource {
    inner: BytesSource,
    read: std::sync::atomic::AtomicU64,
}

impl kiln_engine::RangeSource for CountingSource {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read(&self, range: std::ops::Range<u64>) -> Result<Bytes, kiln_engine::SourceError> {
        self.read.fetch_add(
            range.end - range.start,
            std::sync::atomic::Ordering::Relaxed,
        );
        self.inner.read(range)
    }
}

#[tokio::test]
async fn queries_read_only_the_ranges_they_need() {
    use kiln_engine::RangeSource;
    // Four row groups of a sorted key plus four wide payload columns.
    let rows = 40_000i64;
    let mut fields = vec![Field::new("key", DataType::Int64, false)];
    let mut columns: Vec<arrow::array::ArrayRef> =
        vec![Arc::new(Int64Array::from_iter_values(0..rows))];
    for c in 0..4 {
        fields.push(Field::new(format!("payload{c}"), DataType::Utf8, false));
        columns.push(Arc::new(StringArray::from_iter_values(
            (0..rows).map(|i| format!("{c}-{i}-{}", i * 7919 % 104_729)),
        )));
    }
    let schema = Arc::new(Schema::new(fields));
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(10_000))
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props)).unwrap();
    writer
        .write(&RecordBatch::try_new(schema, columns).unwrap())
        .unwrap();
    let bytes = Bytes::from(writer.into_inner().unwrap());

    let source = Arc::new(CountingSource {
        inner: BytesSource(bytes),
        read: Default::default(),
    });
    let size = source.size();
    let mut engine = Engine::new(EngineConfig::default());
    let (added, rejected) = engine
        .add_files(vec![SourceFile {
            path: "wide.parquet".into(),
            source: source.clone(),
        }])
        .await;
    assert!(rejected.is_empty() && added.len() == 1, "{rejected:?}");
    assert_eq!(added[0].files[0].row_groups.len(), 4);

    source.read.store(0, std::sync::atomic::Ordering::Relaxed);
    let expected: i64 = (0..100).sum();
    assert_eq!(
        scalar(&engine, "SELECT sum(key) FROM wide WHERE key < 100").await,
        expected.to_string()
    );
    let read = source.read.load(std::sync::atomic::Ordering::Relaxed);
    // One column of one row group out of five columns and four row groups, plus the
    // footer: far below a tenth of the file.
    assert!(read * 10 < size, "read {read} of {size} bytes");
}
