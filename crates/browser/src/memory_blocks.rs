//! Output blocks kept in memory, but not in the worker's: a task not told to write to
//! disk still hands its blocks on as they are encoded, and each large piece leaves the
//! wasm instance for a `Blob` at once.
//!
//! A wasm instance's memory only grows, and a block held whole (a sort's map task: all
//! its rows in one block) made a worker under a 256 MB budget reach 3.4 GB on 10 GB of
//! trips. Pieces go to `Blob`s, which the browser keeps outside the instance (and
//! pages to disk itself when it must); a `Blob` of `Blob`s joins them without a copy.
//! Small blocks, the common case, stay bytes: a reader slices those without a round
//! trip to the browser per piece.

use js_sys::{Array, Uint8Array};
use kiln_engine::distributed::ipc::BlockSink;
use wasm_bindgen::JsValue;
use web_sys::Blob;

use crate::opfs_spill::js_error;

/// How large a partition's piece grows in the instance before it becomes a `Blob`:
/// below it a block is bytes as before. A shuffle to 16 partitions then holds 128 MB
/// of pieces at most.
const PIECE_BYTES: usize = 8 << 20;

#[derive(Default)]
struct Partition {
    /// The partition's pieces so far, each a `Blob`, in order.
    pieces: Vec<Blob>,
    /// A block that came whole in one piece smaller than `PIECE_BYTES`, copied out.
    small: Option<Uint8Array>,
}

/// A task's output, one entry per partition, as the page receives it.
#[derive(Default)]
pub struct MemoryBlocks {
    partitions: Vec<Partition>,
}

impl MemoryBlocks {
    /// One value per output partition, for `outputs` partitions: an `ArrayBuffer` for a
    /// small block (empty for none), a `Blob` of its pieces for a large one.
    pub fn finish(mut self, outputs: usize) -> Result<Vec<JsValue>, String> {
        self.partitions
            .resize_with(outputs.max(self.partitions.len()), Partition::default);
        self.partitions
            .into_iter()
            .map(|p| {
                // `append` keeps a block as `small` only while it has no pieces.
                if let Some(bytes) = p.small {
                    return Ok(bytes.buffer().into());
                }
                if p.pieces.is_empty() {
                    return Ok(Uint8Array::new_with_length(0).buffer().into());
                }
                let parts: Array = p.pieces.into_iter().collect();
                Blob::new_with_blob_sequence(&parts)
                    .map(JsValue::from)
                    .map_err(|e| js_error("joining a block's pieces", e))
            })
            .collect()
    }
}

fn piece(bytes: &Uint8Array) -> Result<Blob, String> {
    Blob::new_with_u8_array_sequence(&Array::of1(bytes))
        .map_err(|e| js_error("keeping a block's piece", e))
}

impl BlockSink for MemoryBlocks {
    fn append(&mut self, partition: usize, bytes: &[u8]) -> Result<(), String> {
        if self.partitions.len() <= partition {
            self.partitions
                .resize_with(partition + 1, Partition::default);
        }
        let p = &mut self.partitions[partition];
        if let Some(small) = p.small.take() {
            // A piece after a small one: both are pieces (it was not the whole block).
            p.pieces.push(piece(&small)?);
        }
        let copied = Uint8Array::from(bytes);
        if p.pieces.is_empty() && bytes.len() < PIECE_BYTES {
            p.small = Some(copied);
        } else {
            p.pieces.push(piece(&copied)?);
        }
        Ok(())
    }

    fn piece_bytes(&self) -> usize {
        PIECE_BYTES
    }

    fn compressed(&self) -> bool {
        false
    }
}
