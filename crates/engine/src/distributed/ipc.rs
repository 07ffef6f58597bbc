//! Blocks: what a task writes for the next stage or for the result, as Arrow IPC
//! streams. IPC is what crosses between workers, so it never goes through JSON and a
//! reader needs nothing but the bytes.

use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};

fn arrow_error(e: ArrowError) -> DataFusionError {
    DataFusionError::ArrowError(Box::new(e), None)
}

/// One block being written: an IPC stream in memory, opened at the first batch.
pub struct BlockWriter {
    schema: SchemaRef,
    writer: Option<StreamWriter<Vec<u8>>>,
    rows: u64,
}

impl BlockWriter {
    pub fn new(schema: SchemaRef) -> Self {
        Self {
            schema,
            writer: None,
            rows: 0,
        }
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let writer = match &mut self.writer {
            Some(w) => w,
            None => self
                .writer
                .insert(StreamWriter::try_new(Vec::new(), &self.schema).map_err(arrow_error)?),
        };
        writer.write(batch).map_err(arrow_error)?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The finished stream; empty (no bytes at all) when no row was written, unless
    /// `keep_schema` asks for a schema-only stream.
    pub fn finish(self, keep_schema: bool) -> Result<Vec<u8>> {
        match self.writer {
            Some(mut w) => {
                w.finish().map_err(arrow_error)?;
                w.into_inner().map_err(arrow_error)
            }
            None if keep_schema => schema_to_bytes(&self.schema),
            None => Ok(Vec::new()),
        }
    }
}

/// The batches of one block, decoded.
pub fn read_block(bytes: Bytes) -> Result<Vec<std::result::Result<RecordBatch, ArrowError>>> {
    let reader = StreamReader::try_new(Cursor::new(bytes), None).map_err(arrow_error)?;
    Ok(reader.collect())
}

/// All rows of many blocks, in order.
pub fn read_blocks(blocks: impl IntoIterator<Item = Bytes>) -> Result<Vec<RecordBatch>> {
    let mut out = Vec::new();
    for block in blocks {
        if block.is_empty() {
            continue;
        }
        for batch in read_block(block)? {
            let batch = batch.map_err(arrow_error)?;
            if batch.num_rows() > 0 {
                out.push(batch);
            }
        }
    }
    Ok(out)
}

/// A schema as an IPC stream of no batches.
pub fn schema_to_bytes(schema: &Schema) -> Result<Vec<u8>> {
    let mut writer = StreamWriter::try_new(Vec::new(), schema).map_err(arrow_error)?;
    writer.finish().map_err(arrow_error)?;
    writer.into_inner().map_err(arrow_error)
}

pub fn schema_from_bytes(bytes: &[u8]) -> Result<SchemaRef> {
    let reader = StreamReader::try_new(Cursor::new(bytes), None).map_err(arrow_error)?;
    Ok(Arc::clone(&reader.schema()))
}
