//! Shuffle blocks on disk: a task told to (`TaskRequest::shuffle_to`) writes its output
//! blocks into one file of the Origin Private File System as it encodes them, and hands
//! the page a `Blob` per block over that file. A `Blob` costs the page nothing to hold
//! and is cloned to the reduce task's worker by reference, so the bytes live only on
//! disk; and since the file outlives the worker that wrote it, a worker's death loses
//! no finished map output. The page owns the folder: it removes a job's files when the
//! job ends and a dead tab's at its next start (`src/jobs/shuffle_disk.rs`).
//!
//! Blocks are read back the same way, a piece at a time (`JsReader`), so neither the
//! writing nor the reading worker ever holds a block whole.

use std::io::{self, Read};
use std::sync::Arc;

use js_sys::{Array, Uint8Array};
use kiln_engine::distributed::exchange::{DeferredBlock, InputBlock};
use kiln_engine::distributed::ipc::{BlockExtents, BlockSink, SINK_PIECE_BYTES};
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, File, FileReaderSync, FileSystemFileHandle, FileSystemReadWriteOptions,
    FileSystemSyncAccessHandle,
};

use crate::opfs_spill::{create_file, folder, js_error, remove_unlocked};

/// One task attempt's shuffle file, open for writing: the `BlockSink` its task writes
/// through.
pub struct OpfsBlocks {
    handle: FileSystemFileHandle,
    access: FileSystemSyncAccessHandle,
    /// Bytes written so far: where the next piece goes.
    at: u64,
    extents: BlockExtents,
}

impl OpfsBlocks {
    /// Creates (or empties) `path/name`, the folder made as needed.
    pub async fn create(path: &str, name: &str) -> Result<Self, String> {
        let dir = folder(path).await?;
        let (handle, access) = create_file(&dir, name).await?;
        let blocks = Self {
            handle,
            access,
            at: 0,
            extents: BlockExtents::default(),
        };
        blocks
            .access
            .truncate_with_f64(0.0)
            .map_err(|e| js_error("emptying a shuffle file", e))?;
        Ok(blocks)
    }

    /// Closes the file and returns one `Blob` per output partition, for `outputs`
    /// partitions (an empty one where a partition got no bytes): each the partition's
    /// pieces, in order, as slices of the written file.
    pub async fn finish(mut self, outputs: usize) -> Result<Vec<Blob>, String> {
        let flushed = self
            .access
            .flush()
            .map_err(|e| js_error("flushing a shuffle file", e));
        // Closed before the file is read: an open handle locks it against the readers.
        self.access.close();
        flushed?;
        let file: File = JsFuture::from(self.handle.get_file())
            .await
            .map_err(|e| js_error("reopening a shuffle file", e))?
            .unchecked_into();
        std::mem::take(&mut self.extents)
            .into_partitions(outputs)
            .iter()
            .map(|extents| {
                let parts = Array::new();
                for &(offset, len) in extents {
                    let slice = file
                        .slice_with_f64_and_f64(offset as f64, (offset + len) as f64)
                        .map_err(|e| js_error("slicing a shuffle file", e))?;
                    parts.push(&slice);
                }
                Blob::new_with_blob_sequence(&parts)
                    .map_err(|e| js_error("joining a shuffle block's pieces", e))
            })
            .collect()
    }
}

impl Drop for OpfsBlocks {
    /// A task that failed half way leaves no handle open (closing twice does nothing).
    fn drop(&mut self) {
        self.access.close();
    }
}

impl BlockSink for OpfsBlocks {
    fn append(&mut self, partition: usize, bytes: &[u8]) -> Result<(), String> {
        let options = FileSystemReadWriteOptions::new();
        options.set_at(self.at as f64);
        let n = self
            .access
            .write_with_u8_array_and_options(bytes, &options)
            .map_err(|e| js_error("writing a shuffle file", e))?;
        if n as usize != bytes.len() {
            return Err(format!(
                "writing a shuffle file: {n} of {} bytes written (is the browser's storage full?)",
                bytes.len()
            ));
        }
        self.extents.push(partition, self.at, bytes.len() as u64);
        self.at += bytes.len() as u64;
        Ok(())
    }
}

/// Blocks as they came from the page (a task's inputs, or a job's result), each read a
/// piece at a time only when a stream reaches it: bytes the page held stay in the
/// page's copy of them, blocks on disk on disk. Also says how many of their bytes are
/// on disk.
pub fn input_blocks(blocks: Vec<JsValue>) -> (Vec<InputBlock>, u64) {
    let mut on_disk = 0u64;
    let blocks = blocks
        .into_iter()
        .map(|value| {
            let len = match value.dyn_ref::<Blob>() {
                Some(blob) => {
                    on_disk += blob.size() as u64;
                    blob.size() as u64
                }
                None => Uint8Array::new(&value).byte_length() as u64,
            };
            InputBlock::Deferred(Arc::new(JsBlock {
                value: SendWrapper::new(value),
                len,
            }))
        })
        .collect();
    (blocks, on_disk)
}

struct JsBlock {
    /// A `Blob` of a shuffle file, or a `Uint8Array` the page sent.
    value: SendWrapper<JsValue>,
    len: u64,
}

impl DeferredBlock for JsBlock {
    fn byte_len(&self) -> u64 {
        self.len
    }

    fn open_at(&self, offset: u64) -> Result<Box<dyn Read + Send>, String> {
        let reader = match self.value.dyn_ref::<Blob>() {
            Some(blob) => Source::Blob(
                blob.clone(),
                FileReaderSync::new().map_err(|e| js_error("reading a shuffle block", e))?,
            ),
            None => Source::Bytes(Uint8Array::new(&self.value)),
        };
        Ok(Box::new(JsReader {
            source: SendWrapper::new(reader),
            at: offset.min(self.len),
            len: self.len,
        }))
    }
}

enum Source {
    Blob(Blob, FileReaderSync),
    Bytes(Uint8Array),
}

/// Copies a block into this instance's memory a piece (at most `SINK_PIECE_BYTES`) at
/// a time: a `Blob` through `FileReaderSync` (DataFusion polls a task's stream
/// synchronously, and a worker may read a `Blob` that way), a `Uint8Array` by slices.
struct JsReader {
    source: SendWrapper<Source>,
    at: u64,
    len: u64,
}

impl Read for JsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (self.len - self.at).min(buf.len().min(SINK_PIECE_BYTES) as u64) as usize;
        if n == 0 {
            return Ok(0);
        }
        let (start, end) = (self.at as f64, (self.at + n as u64) as f64);
        let piece = match &*self.source {
            Source::Blob(blob, reader) => {
                let read = blob
                    .slice_with_f64_and_f64(start, end)
                    .and_then(|slice| reader.read_as_array_buffer(&slice))
                    .map_err(|e| {
                        io::Error::other(js_error(
                            "reading a shuffle block from the browser's private storage",
                            e,
                        ))
                    })?;
                Uint8Array::new(&read)
            }
            Source::Bytes(bytes) => bytes.subarray(self.at as u32, self.at as u32 + n as u32),
        };
        if piece.byte_length() as usize != n {
            return Err(io::Error::other(format!(
                "reading a shuffle block: {} of {n} bytes came back",
                piece.byte_length()
            )));
        }
        piece.copy_to(&mut buf[..n]);
        self.at += n as u64;
        Ok(n)
    }
}

/// Empties the folder of a result the planning worker no longer keeps (the folder
/// itself goes with the tab's at the next start).
pub fn remove_result_files(path: String) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(dir) = folder(&path).await {
            remove_unlocked(&dir).await;
        }
    });
}
