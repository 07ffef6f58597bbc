//! Blocks: what a task writes for the next stage or for the result, as Arrow IPC
//! streams. IPC is what crosses between workers, so it never goes through JSON and a
//! reader needs nothing but the bytes.

use std::io::{Cursor, Read};
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::buffer::{Buffer, MutableBuffer};
use datafusion::arrow::compute::BatchCoalescer;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::ipc::reader::{StreamDecoder, StreamReader};
use datafusion::arrow::ipc::writer::{IpcWriteOptions, StreamWriter};
use datafusion::arrow::ipc::{CompressionType, MessageHeader, root_as_message};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};

fn arrow_error(e: ArrowError) -> DataFusionError {
    DataFusionError::ArrowError(Box::new(e), None)
}

/// Where a task's output blocks go as they are encoded, instead of into memory: the
/// page's shuffle files in OPFS, natively a temp file. Each output partition's bytes
/// arrive in order, in pieces of about `SINK_PIECE_BYTES`, so a task holds a piece per
/// partition, never its output whole.
pub trait BlockSink {
    fn append(&mut self, partition: usize, bytes: &[u8]) -> std::result::Result<(), String>;
    /// How large a piece of one partition grows before it is handed on.
    fn piece_bytes(&self) -> usize {
        SINK_PIECE_BYTES
    }
    /// Whether blocks are compressed (`DISK_BLOCK_CODEC`): those bound for disk are,
    /// those kept in memory are read as soon as written and stay plain.
    fn compressed(&self) -> bool {
        true
    }
}

/// A piece small enough that a shuffle to 32 partitions holds 32 MB, large enough that
/// a write costs little beside encoding it.
pub const SINK_PIECE_BYTES: usize = 1 << 20;

/// Where a sink put each output partition's pieces in its one file: per partition, in
/// order, (offset, length).
#[derive(Debug, Default)]
pub struct BlockExtents(Vec<Vec<(u64, u64)>>);

impl BlockExtents {
    pub fn push(&mut self, partition: usize, offset: u64, len: u64) {
        if self.0.len() <= partition {
            self.0.resize(partition + 1, Vec::new());
        }
        self.0[partition].push((offset, len));
    }

    /// Each of `outputs` partitions' pieces (none for one that got no bytes).
    pub fn into_partitions(self, outputs: usize) -> Vec<Vec<(u64, u64)>> {
        let mut extents = self.0;
        extents.resize(outputs.max(extents.len()), Vec::new());
        extents
    }
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
    compression: Option<CompressionType>,
}

/// The codec of blocks written to disk. Uncompressed, a 10 GB Parquet file sorted in
/// full is about 70 GB of shuffle blocks, more than a laptop's disk gives a browser.
/// On 5.1M generated taxi trips (702 MB as IPC) LZ4 made 230 MB and zstd 152 MB, but
/// zstd took twice LZ4's extra time to write and half as long again to read.
pub const DISK_BLOCK_CODEC: CompressionType = CompressionType::LZ4_FRAME;

impl BlockWriter {
    pub fn new(schema: SchemaRef, batch_rows: usize) -> Self {
        Self {
            coalescer: BatchCoalescer::new(schema.clone(), batch_rows.max(1)),
            schema,
            writer: None,
            rows: 0,
            compression: None,
        }
    }

    /// Its batches' buffers compressed with `codec` (blocks bound for disk); blocks in
    /// memory stay uncompressed, since they are read as soon as written.
    pub fn compressed(mut self, codec: Option<CompressionType>) -> Self {
        self.compression = codec;
        self
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
                None => {
                    let options = IpcWriteOptions::default()
                        .try_with_compression(self.compression)
                        .map_err(arrow_error)?;
                    let writer =
                        StreamWriter::try_new_with_options(Vec::new(), &self.schema, options)
                            .map_err(arrow_error)?;
                    self.writer.insert(writer)
                }
            };
            writer.write(&batch).map_err(arrow_error)?;
        }
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The bytes encoded so far, taken out once there are at least `at_least` of them:
    /// a task writing to a `BlockSink` hands its blocks on as they grow, so no block is
    /// ever held whole. `finish` gives the rest.
    pub fn take_encoded(&mut self, at_least: usize) -> Option<Vec<u8>> {
        let encoded = self.writer.as_mut()?.get_mut();
        (encoded.len() >= at_least).then(|| std::mem::take(encoded))
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

/// All rows of many blocks, in order.
pub fn read_blocks(blocks: impl IntoIterator<Item = Bytes>) -> Result<Vec<RecordBatch>> {
    let mut out = Vec::new();
    for block in blocks {
        let len = block.len() as u64;
        for batch in BlockBatches::new(Cursor::new(block), len) {
            let batch = batch?;
            if batch.num_rows() > 0 {
                out.push(batch);
            }
        }
    }
    Ok(out)
}

/// The batches of one block of `len` bytes, decoded one at a time as `source` is read:
/// a task merging many blocks (the gather of a sort of all rows) then holds a batch of
/// each, not each whole, and a block on disk is never in memory at once. Every
/// message is checked (`check_message`) before arrow-ipc decodes it.
pub struct BlockBatches<R> {
    source: R,
    /// Bytes of the block not read yet: no message may claim more.
    left: u64,
    decoder: StreamDecoder,
    /// Bytes handed to the decoder that it has not consumed yet.
    pending: Buffer,
    /// The end-of-stream marker was given to the decoder.
    ended: bool,
    done: bool,
    /// Where in the block the source's next byte is.
    at: u64,
    /// The schema message, as framed (the first message of a block).
    schema: Option<Buffer>,
    /// Where each record batch message fed to the decoder and not yet yielded starts:
    /// each yields one batch, in order.
    batch_starts: std::collections::VecDeque<u64>,
    /// A dictionary message was read: its batches depend on it, so none can be read
    /// from its own offset (`resume`).
    dictionaries: bool,
}

impl<R: Read> BlockBatches<R> {
    pub fn new(source: R, len: u64) -> Self {
        Self {
            source,
            left: len,
            decoder: StreamDecoder::new(),
            pending: Buffer::from(Vec::<u8>::new()),
            ended: false,
            done: len == 0,
            at: 0,
            schema: None,
            batch_starts: Default::default(),
            dictionaries: false,
        }
    }

    /// Reads a block of `len` bytes from `offset`, where `source` starts, a record
    /// batch message's start (`next_indexed`) in a block without dictionaries; `schema`
    /// is the block's schema message (`schema_message`).
    pub fn resume(schema: Buffer, source: R, offset: u64, len: u64) -> Self {
        let mut batches = Self::new(source, len.saturating_sub(offset));
        batches.at = offset;
        batches.pending = schema;
        batches.done = false;
        batches
    }

    /// The block's schema message, once the first batch (or the end) was read.
    pub fn schema_message(&self) -> Option<Buffer> {
        self.schema.clone()
    }

    /// Whether the block has dictionary messages, which `resume` cannot start after.
    pub fn has_dictionaries(&self) -> bool {
        self.dictionaries
    }

    /// The next batch with where its message starts in the block.
    pub fn next_indexed(&mut self) -> Option<Result<(u64, RecordBatch)>> {
        let batch = self.next()?;
        Some(batch.map(|batch| (self.batch_starts.pop_front().unwrap_or(0), batch)))
    }

    fn read_exact(&mut self, buf: &mut [u8], what: &str) -> std::result::Result<(), ArrowError> {
        if (buf.len() as u64) > self.left {
            return Err(corrupt(format!("it ends inside {what}")));
        }
        self.source.read_exact(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                corrupt(format!("it ends inside {what}"))
            } else {
                ArrowError::IoError(format!("reading a block: {e}"), e)
            }
        })?;
        self.left -= buf.len() as u64;
        self.at += buf.len() as u64;
        Ok(())
    }

    /// The next message, framed as arrow-ipc reads it, or `None` at the stream's end.
    /// It is read into one 64-byte aligned buffer that its batch's arrays then slice: a
    /// `Vec<u8>` promises no alignment, and where its bytes are not aligned for a
    /// column arrow-ipc copies that column's buffers, so the batch holds, and a merge's
    /// memory pool counts, them twice (in the page a sort of all rows then failed at a
    /// budget it had passed).
    fn next_message(&mut self) -> std::result::Result<Option<Buffer>, ArrowError> {
        if self.left == 0 {
            return Ok(None);
        }
        let start = self.at;
        let mut word = [0u8; 4];
        self.read_exact(&mut word, "a message's length")?;
        let mut length = i32::from_le_bytes(word);
        if length == -1 {
            self.read_exact(&mut word, "a message's length")?;
            length = i32::from_le_bytes(word);
        }
        if length == 0 {
            return Ok(None);
        }
        let length = usize::try_from(length)
            .ok()
            .filter(|l| *l as u64 <= self.left)
            .ok_or_else(|| corrupt(format!("a message claims {length} bytes of metadata")))?;
        let mut metadata = vec![0u8; length];
        self.read_exact(&mut metadata, "a message's metadata")?;
        let checked = check_message(&metadata, self.left)?;
        let header = checked.header;
        let mut frame = MutableBuffer::from_len_zeroed(8 + length + checked.body);
        let bytes = frame.as_slice_mut();
        bytes[..4].copy_from_slice(&(-1i32).to_le_bytes());
        bytes[4..8].copy_from_slice(&(length as i32).to_le_bytes());
        bytes[8..8 + length].copy_from_slice(&metadata);
        self.read_exact(&mut bytes[8 + length..], "a message's body")?;
        check_inflated(&bytes[8 + length..], &checked.compressed)?;
        let frame: Buffer = frame.into();
        match header {
            MessageHeader::Schema => {
                self.schema.get_or_insert_with(|| frame.clone());
            }
            MessageHeader::RecordBatch => self.batch_starts.push_back(start),
            MessageHeader::DictionaryBatch => self.dictionaries = true,
            _ => {}
        }
        Ok(Some(frame))
    }

    /// arrow-ipc's decoder yields a batch only once it is given the bytes after it: a
    /// batch with an empty body (no columns, only a row count: `count(*)` below a
    /// `LIMIT`) at the end of a block is yielded by the end-of-stream marker, which is
    /// why the decoder always gets one at the end, and why what it leaves of a message
    /// is kept for the next call.
    fn next_batch(&mut self) -> std::result::Result<Option<RecordBatch>, ArrowError> {
        loop {
            while !self.pending.is_empty() {
                if let Some(batch) = self.decoder.decode(&mut self.pending)? {
                    return Ok(Some(batch));
                }
            }
            match self.next_message()? {
                Some(frame) => self.pending = frame,
                None if self.ended => return Ok(None),
                None => {
                    self.ended = true;
                    let mut marker = (-1i32).to_le_bytes().to_vec();
                    marker.extend_from_slice(&0i32.to_le_bytes());
                    self.pending = Buffer::from(marker);
                }
            }
        }
    }
}

impl<R: Read> Iterator for BlockBatches<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_batch() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(arrow_error(e)))
            }
        }
    }
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

fn corrupt(what: String) -> ArrowError {
    ArrowError::IpcError(format!("a corrupt block: {what}"))
}

/// What `check_message` found of a message: its body's length, its kind, and where
/// its compressed buffers lie in the body (none when it is not compressed).
struct CheckedMessage {
    body: usize,
    header: MessageHeader,
    compressed: Vec<(usize, usize)>,
}

/// The most bytes a message's compressed buffers may inflate to. A message of Kiln's
/// holds one batch of the session's batch size; a forged one could claim any size, and
/// arrow-ipc allocates what the claim says (the fuzzer made it ask for 50 TB, which
/// aborts rather than fails).
const MAX_INFLATED_BYTES: u64 = 1 << 30;

/// arrow-ipc trusts the buffer offsets a batch's metadata gives, and panics on one past
/// the message's body (the worker_message fuzz target found it). A worker must answer a
/// bad block with an error, not a crash, so each message is checked against its body
/// (of at most `left` bytes) before the reader sees it, and, once the body is read, its
/// compressed buffers' claimed sizes (`check_inflated`).
fn check_message(metadata: &[u8], left: u64) -> std::result::Result<CheckedMessage, ArrowError> {
    let message = root_as_message(metadata).map_err(|e| corrupt(e.to_string()))?;
    let body = usize::try_from(message.bodyLength())
        .ok()
        .filter(|b| *b as u64 <= left)
        .ok_or_else(|| corrupt(format!("a body of {} bytes", message.bodyLength())))?;
    let batch = match message.header_type() {
        MessageHeader::RecordBatch => message.header_as_record_batch(),
        MessageHeader::DictionaryBatch => {
            message.header_as_dictionary_batch().and_then(|d| d.data())
        }
        _ => None,
    };
    let is_compressed = batch.is_some_and(|b| b.compression().is_some());
    let mut compressed = Vec::new();
    for buffer in batch.and_then(|b| b.buffers()).into_iter().flatten() {
        let span = usize::try_from(buffer.offset())
            .ok()
            .zip(usize::try_from(buffer.length()).ok())
            .filter(|(offset, length)| offset.checked_add(*length).is_some_and(|e| e <= body));
        let Some(span) = span else {
            return Err(corrupt(format!(
                "a buffer at {}+{} lies outside its message's {body} bytes",
                buffer.offset(),
                buffer.length()
            )));
        };
        if is_compressed && span.1 > 0 {
            compressed.push(span);
        }
    }
    Ok(CheckedMessage {
        body,
        header: message.header_type(),
        compressed,
    })
}

/// Each compressed buffer starts with the length it inflates to (-1: stored as is);
/// their sum may not pass `MAX_INFLATED_BYTES`.
fn check_inflated(body: &[u8], buffers: &[(usize, usize)]) -> std::result::Result<(), ArrowError> {
    let mut total = 0u64;
    for &(offset, length) in buffers {
        let prefix = body
            .get(offset..offset + 8)
            .filter(|_| length >= 8)
            .ok_or_else(|| {
                corrupt(format!(
                    "a compressed buffer of {length} bytes has no length"
                ))
            })?;
        let claimed = i64::from_le_bytes(prefix.try_into().expect("8 bytes"));
        let inflated = match claimed {
            -1 => (length - 8) as u64,
            n => u64::try_from(n)
                .map_err(|_| corrupt(format!("a compressed buffer claims {n} bytes")))?,
        };
        total = total.saturating_add(inflated);
        if total > MAX_INFLATED_BYTES {
            return Err(corrupt(format!(
                "its compressed buffers claim more than {MAX_INFLATED_BYTES} bytes"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field};

    use super::*;

    fn batch(rows: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
        ]));
        let n = Int64Array::from_iter_values((0..rows).map(|i| i % 7));
        let s =
            StringArray::from_iter((0..rows).map(|i| (i % 3 != 0).then(|| format!("v{}", i % 5))));
        RecordBatch::try_new(schema, vec![Arc::new(n), Arc::new(s)]).unwrap()
    }

    fn write(codec: Option<CompressionType>, batches: &[RecordBatch]) -> Vec<u8> {
        let mut writer = BlockWriter::new(batches[0].schema(), 1000).compressed(codec);
        for b in batches {
            writer.write(b).unwrap();
        }
        writer.finish(true).unwrap()
    }

    #[test]
    fn compressed_blocks_read_back_as_written() {
        let batches = [batch(2500), batch(10), batch(1200)];
        let plain = write(None, &batches);
        for codec in [CompressionType::LZ4_FRAME, CompressionType::ZSTD] {
            let block = write(Some(codec), &batches);
            assert!(
                block.len() * 3 < plain.len(),
                "{codec:?}: {} of {}",
                block.len(),
                plain.len()
            );
            let read = read_blocks([Bytes::from(block)]).unwrap();
            let expected =
                datafusion::arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
            let got =
                datafusion::arrow::compute::concat_batches(&batches[0].schema(), &read).unwrap();
            assert_eq!(got, expected, "{codec:?}");
        }
    }

    #[test]
    fn a_compressed_buffer_that_claims_too_much_is_refused() {
        // The values buffer of 1,000 Int64s inflates to 8,000 bytes: its prefix says so.
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let values = Int64Array::from_iter_values((0..1000).map(|i| i % 7));
        let one = RecordBatch::try_new(schema, vec![Arc::new(values)]).unwrap();
        let mut block = write(Some(CompressionType::LZ4_FRAME), &[one]);
        let claim = 8000i64.to_le_bytes();
        let at = block
            .windows(8)
            .position(|w| w == claim)
            .expect("the buffer's length prefix");
        block[at..at + 8].copy_from_slice(&(50i64 << 40).to_le_bytes());
        let error = read_blocks([Bytes::from(block)]).unwrap_err().to_string();
        assert!(error.contains("claim more than"), "{error}");
    }
}
