//! Small Parquet files built in the tests, and their wrapping as engine sources.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use bytes::Bytes;
use kiln_engine::{BytesSource, SourceFile};
use parquet::arrow::ArrowWriter;

pub fn parquet_bytes(ids: &[i64], names: &[&str]) -> Bytes {
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
    let mut writer = ArrowWriter::try_new(Vec::new(), schema, None).unwrap();
    writer.write(&batch).unwrap();
    Bytes::from(writer.into_inner().unwrap())
}

pub fn file(path: &str, bytes: Bytes) -> SourceFile {
    SourceFile {
        path: path.to_string(),
        source: Arc::new(BytesSource(bytes)),
    }
}
