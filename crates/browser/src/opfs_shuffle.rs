//! Shuffle blocks on disk: a task told to (`TaskRequest::shuffle_to`) writes its output
//! blocks into one file of the Origin Private File System and hands the page a `Blob`
//! per block, a slice of that file. A `Blob` costs the page nothing to hold and is
//! cloned to the reduce task's worker by reference, so the bytes live only on disk; and
//! since the file outlives the worker that wrote it, a worker's death loses no finished
//! map output. The page owns the folder: it removes a job's files when the job ends and
//! a dead tab's at its next start (`src/jobs/shuffle_disk.rs`).

use std::sync::Arc;

use bytes::Bytes;
use js_sys::Uint8Array;
use kiln_engine::distributed::exchange::{DeferredBlock, InputBlock};
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, FileReaderSync, FileSystemReadWriteOptions, FileSystemSyncAccessHandle};

use crate::opfs_spill::{create_file, folder, js_error};

/// Writes `blocks` in order into `path/name` (the folder made as needed) and returns
/// one `Blob` per block, over the written file.
pub async fn write_blocks(path: &str, name: &str, blocks: &[Vec<u8>]) -> Result<Vec<Blob>, String> {
    let dir = folder(path).await?;
    let (handle, access) = create_file(&dir, name).await?;
    // Closed on every path: an open handle would lock the file against the readers.
    let written = write_all(&access, blocks);
    let flushed = access
        .flush()
        .map_err(|e| js_error("flushing a shuffle file", e));
    access.close();
    let ends = written?;
    flushed?;
    let file: File = JsFuture::from(handle.get_file())
        .await
        .map_err(|e| js_error("reopening a shuffle file", e))?
        .unchecked_into();
    let mut start = 0u64;
    ends.into_iter()
        .map(|end| {
            let blob = file
                .slice_with_f64_and_f64(start as f64, end as f64)
                .map_err(|e| js_error("slicing a shuffle file", e));
            start = end;
            blob
        })
        .collect()
}

/// Writes the blocks one after another; returns where each ends.
fn write_all(access: &FileSystemSyncAccessHandle, blocks: &[Vec<u8>]) -> Result<Vec<u64>, String> {
    access
        .truncate_with_f64(0.0)
        .map_err(|e| js_error("emptying a shuffle file", e))?;
    let mut ends = Vec::with_capacity(blocks.len());
    let mut at = 0u64;
    for block in blocks {
        let options = FileSystemReadWriteOptions::new();
        options.set_at(at as f64);
        let n = access
            .write_with_u8_array_and_options(block, &options)
            .map_err(|e| js_error("writing a shuffle file", e))?;
        if n as usize != block.len() {
            return Err(format!(
                "writing a shuffle file: {n} of {} bytes written (is the browser's storage full?)",
                block.len()
            ));
        }
        at += block.len() as u64;
        ends.push(at);
    }
    Ok(ends)
}

/// The bytes of blocks as the page sent them (a job's result), read at once.
pub fn read_blocks(blocks: &[JsValue]) -> Result<Vec<Bytes>, String> {
    blocks.iter().map(block_bytes).collect()
}

/// One block's bytes, copied into this instance's memory: a `Blob` of a shuffle file is
/// read synchronously (DataFusion polls a task's stream synchronously, and a worker may
/// read a `Blob` that way), a `Uint8Array` the page sent is copied.
fn block_bytes(value: &JsValue) -> Result<Bytes, String> {
    let bytes = match value.dyn_ref::<Blob>() {
        Some(blob) => {
            let buffer = FileReaderSync::new()
                .and_then(|reader| reader.read_as_array_buffer(blob))
                .map_err(|e| {
                    js_error(
                        "reading a shuffle block from the browser's private storage",
                        e,
                    )
                })?;
            Uint8Array::new(&buffer).to_vec()
        }
        None => Uint8Array::new(value).to_vec(),
    };
    Ok(Bytes::from(bytes))
}

/// A task's input blocks as they came from the page, each copied into this instance's
/// memory only when the task's stream reaches it (and dropped once read): bytes the page
/// held stay in the page's copy of them until then, blocks on disk on disk. Also says
/// how many of their bytes are on disk.
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

    fn read(&self) -> Result<Bytes, String> {
        block_bytes(&self.value)
    }
}
