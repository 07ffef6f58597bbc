//! Blocks: what a task writes for the next stage or for the result, as Arrow IPC
//! streams. IPC is what crosses between workers, so it never goes through JSON and a
//! reader needs nothing but the bytes.

use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::compute::BatchCoalescer;
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
///
/// Batches are coalesced to `batch_rows` before they are written. A shuffle splits each
/// batch it is given across every partition, so without this a reader of 2 partitions
/// gets half-size batches and of 4 a quarter: every operator downstream pays its
/// per-batch cost that many times more, and a sort merges that many more runs (a sort on
/// several keys merges one run per batch).
pub struct BlockWriter {
    schema: SchemaRef,
    writer: Option<StreamWriter<Vec<u8>>>,
    coalescer: BatchCoalescer,
    rows: u64,
}

impl BlockWriter {
    pub fn new(schema: SchemaRef, batch_rows: usize) -> Self {
        Self {
            coalescer: BatchCoalescer::new(schema.clone(), batch_rows.max(1)),
            schema,
            writer: None,
            rows: 0,
        }
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.rows += batch.num_rows() as u64;
        self.coalescer
            .push_batch(batch.clone())
            .map_err(arrow_error)?;
        self.write_completed()
    }

    fn write_completed(&mut self) -> Result<()> {
        while let Some(batch) = self.coalescer.next_completed_batch() {
            let writer = match &mut self.writer {
                Some(w) => w,
                None => self
                    .writer
                    .insert(StreamWriter::try_new(Vec::new(), &self.schema).map_err(arrow_error)?),
            };
            writer.write(&batch).map_err(arrow_error)?;
        }
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The finished stream; empty (no bytes at all) when no row was written, unless
    /// `keep_schema` asks for a schema-only stream.
    pub fn finish(mut self, keep_schema: bool) -> Result<Vec<u8>> {
        self.coalescer
            .finish_buffered_batch()
            .map_err(arrow_error)?;
        self.write_completed()?;
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
    check_buffers(&bytes).map_err(arrow_error)?;
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

/// arrow-ipc trusts the buffer offsets a batch's metadata gives, and panics on one past
/// the message's body (the worker_message fuzz target found it). A worker must answer a
/// bad block with an error, not a crash, so each message's buffers are checked against
/// its body before the reader sees them.
fn check_buffers(block: &[u8]) -> std::result::Result<(), ArrowError> {
    use datafusion::arrow::ipc::{MessageHeader, root_as_message};

    let bad = |what: String| ArrowError::IpcError(format!("a corrupt block: {what}"));
    let mut rest = block;
    let next_i32 = |rest: &mut &[u8]| -> std::result::Result<i32, ArrowError> {
        let (word, tail) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| bad("it ends inside a message's length".into()))?;
        *rest = tail;
        Ok(i32::from_le_bytes(*word))
    };
    while !rest.is_empty() {
        // A message is [0xFFFFFFFF] <metadata length> <metadata> <body>; length 0 ends.
        let mut length = next_i32(&mut rest)?;
        if length == -1 {
            length = next_i32(&mut rest)?;
        }
        if length == 0 {
            break;
        }
        let length = usize::try_from(length)
            .ok()
            .filter(|l| *l <= rest.len())
            .ok_or_else(|| bad(format!("a message claims {length} bytes of metadata")))?;
        let (metadata, tail) = rest.split_at(length);
        let message = root_as_message(metadata).map_err(|e| bad(e.to_string()))?;
        let body = usize::try_from(message.bodyLength())
            .ok()
            .filter(|b| *b <= tail.len())
            .ok_or_else(|| bad(format!("a body of {} bytes", message.bodyLength())))?;
        let batch = match message.header_type() {
            MessageHeader::RecordBatch => message.header_as_record_batch(),
            MessageHeader::DictionaryBatch => {
                message.header_as_dictionary_batch().and_then(|d| d.data())
            }
            _ => None,
        };
        // Kiln writes its blocks uncompressed; a compressed buffer's length prefix is
        // trusted by arrow-ipc as an allocation size (the fuzzer made it ask for 50 TB,
        // which aborts rather than fails), so such a block is not ours and is refused.
        if batch.is_some_and(|b| b.compression().is_some()) {
            return Err(bad(
                "its buffers are compressed, as Kiln never writes them".into()
            ));
        }
        for buffer in batch.and_then(|b| b.buffers()).into_iter().flatten() {
            let end = u64::try_from(buffer.offset())
                .ok()
                .zip(u64::try_from(buffer.length()).ok())
                .and_then(|(offset, length)| offset.checked_add(length));
            if end.is_none_or(|end| end > body as u64) {
                return Err(bad(format!(
                    "a buffer at {}+{} lies outside its message's {body} bytes",
                    buffer.offset(),
                    buffer.length()
                )));
            }
        }
        rest = &tail[body..];
    }
    Ok(())
}
