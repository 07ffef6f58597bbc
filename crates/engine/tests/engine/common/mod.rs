//! Small Parquet files built in the tests, and their wrapping as engine sources.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use bytes::Bytes;
use kiln_engine::{BytesSource, SourceFile};
use parquet::arrow::ArrowWriter;

#[allow(dead_code)]
pub fn parquet_bytes(ids: &[i64], names: &[&str]) -> Bytes {
    parquet_bytes_grouped(ids, names, 1 << 20)
}

/// As `parquet_bytes`, with row groups of at most `group_rows` rows.
#[allow(dead_code)]
pub fn parquet_bytes_grouped(ids: &[i64], names: &[&str], group_rows: usize) -> Bytes {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(ids.to_vec())),
            Arc::new(StringArray::from(names.to_vec())),
        ],
    )
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), schema, Some(props)).unwrap();
    writer.write(&batch).unwrap();
    Bytes::from(writer.into_inner().unwrap())
}

pub fn file(path: &str, bytes: Bytes) -> SourceFile {
    SourceFile {
        path: path.to_string(),
        source: Arc::new(BytesSource(bytes)),
    }
}
