//! A block a task wrote, as the page keeps it for the tasks that read it.

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

#[derive(Clone, Debug)]
pub enum Block {
    /// Its bytes, in the page's memory.
    Held(Uint8Array),
    /// A slice of a shuffle file its worker wrote to the browser's private storage: the
    /// page holds only where it is (`TaskRequest::shuffle_to`).
    OnDisk(Blob),
    /// A large block kept in memory: its worker handed it on in pieces, as a `Blob`
    /// the browser holds outside the instances (`kiln-browser`'s `memory_blocks`). It
    /// counts against the page's budget like bytes.
    InMemory(Blob),
}

impl Block {
    /// A block as a worker posted it: bytes, or a `Blob`, of a file on disk when the
    /// task was told to write there (`on_disk`), of memory otherwise.
    pub fn from_js(value: JsValue, on_disk: bool) -> Self {
        match value.dyn_into::<Blob>() {
            Ok(blob) if on_disk => Block::OnDisk(blob),
            Ok(blob) => Block::InMemory(blob),
            Err(value) => Block::Held(Uint8Array::new(&value)),
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            Block::Held(bytes) => bytes.byte_length() as u64,
            Block::OnDisk(blob) | Block::InMemory(blob) => blob.size() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held in the page's memory.
    pub fn held_bytes(&self) -> u64 {
        match self {
            Block::Held(bytes) => bytes.byte_length() as u64,
            Block::InMemory(blob) => blob.size() as u64,
            Block::OnDisk(_) => 0,
        }
    }

    /// What is posted to the worker that reads it (copied, or cloned by reference).
    pub fn to_js(&self) -> JsValue {
        match self {
            Block::Held(bytes) => bytes.into(),
            Block::OnDisk(blob) | Block::InMemory(blob) => blob.into(),
        }
    }
}
