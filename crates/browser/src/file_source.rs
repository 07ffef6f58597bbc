//! Browser `File`s as engine byte sources, read synchronously by range.

use std::ops::Range;

use bytes::Bytes;
use kiln_engine::{RangeSource, SourceError};
use send_wrapper::SendWrapper;
use web_sys::{File, FileReaderSync};

/// A `File` the user picked. Reading a slice with `FileReaderSync` copies only that
/// slice into wasm memory, so a file of many gigabytes costs only what a query touches.
#[derive(Debug)]
pub struct BrowserFile {
    // The engine's object store demands `Send + Sync`. A wasm instance without threads
    // never moves the value across threads; SendWrapper checks that at run time instead
    // of an unchecked `unsafe impl`.
    inner: SendWrapper<(File, FileReaderSync)>,
    size: u64,
    modified_ms: i64,
}

impl BrowserFile {
    pub fn new(file: File) -> Result<Self, SourceError> {
        let reader = FileReaderSync::new()
            .map_err(|e| SourceError(format!("cannot create a file reader: {e:?}")))?;
        let size = file.size() as u64;
        let modified_ms = file.last_modified() as i64;
        Ok(Self {
            inner: SendWrapper::new((file, reader)),
            size,
            modified_ms,
        })
    }
}

impl RangeSource for BrowserFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&self, range: Range<u64>) -> Result<Bytes, SourceError> {
        let (file, reader) = &*self.inner;
        let gone = |e: wasm_bindgen::JsValue| {
            SourceError(format!(
                "the browser could not read {} (was it moved, deleted or changed on disk?): {e:?}",
                file.name()
            ))
        };
        let slice = file
            .slice_with_f64_and_f64(range.start as f64, range.end as f64)
            .map_err(gone)?;
        let buffer = reader.read_as_array_buffer(&slice).map_err(gone)?;
        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
        if bytes.len() as u64 != range.end - range.start {
            return Err(SourceError(format!(
                "{} returned {} bytes where {} were expected: it changed on disk",
                file.name(),
                bytes.len(),
                range.end - range.start
            )));
        }
        Ok(Bytes::from(bytes))
    }

    fn last_modified_ms(&self) -> Option<i64> {
        Some(self.modified_ms)
    }
}
