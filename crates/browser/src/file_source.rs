//! Browser `File`s as engine byte sources, read synchronously by range.

use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use kiln_engine::{RangeSource, SourceError, check_range};
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
    /// Bytes kept from the first read that wanted them: the whole of a small file, the
    /// Parquet footer of a large one (from its offset to the end).
    kept: OnceLock<(u64, Bytes)>,
}

/// Each `FileReaderSync` read is a round trip to the browser's file thread (about a
/// millisecond, whatever its size). For a folder of many small files that, not bytes,
/// is the cost: a small file is read whole at once, and a large one's footer (read when
/// the file is added, when a job is planned and by every task) is read once.
const WHOLE_FILE_BYTES: u64 = 64 * 1024;
/// The first read of a file's end asks for the last 8 bytes (the footer's length); this
/// much is read instead, which holds most footers whole.
const TAIL_PROBE_BYTES: u64 = 64 * 1024;
/// What one worker keeps at most, over all its files; past it, reads go to the file.
const KEPT_BUDGET_BYTES: u64 = 128 * 1024 * 1024;
static KEPT_BYTES: AtomicU64 = AtomicU64::new(0);

/// `range` of a file, out of `bytes` read from it at `start` (which hold the range).
fn slice_at(start: u64, bytes: &Bytes, range: &Range<u64>) -> Bytes {
    bytes.slice((range.start - start) as usize..(range.end - start) as usize)
}

fn reserve(bytes: u64) -> bool {
    KEPT_BYTES
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |kept| {
            (kept + bytes <= KEPT_BUDGET_BYTES).then_some(kept + bytes)
        })
        .is_ok()
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
            kept: OnceLock::new(),
        })
    }

    fn kept_slice(&self, range: &Range<u64>) -> Option<Bytes> {
        let (start, bytes) = self.kept.get()?;
        (range.start >= *start && range.end <= start + bytes.len() as u64)
            .then(|| slice_at(*start, bytes, range))
    }

    fn keep(&self, start: u64, bytes: Bytes) {
        let len = bytes.len() as u64;
        if reserve(len) && self.kept.set((start, bytes)).is_err() {
            KEPT_BYTES.fetch_sub(len, Ordering::Relaxed);
        }
    }

    /// The footer of a Parquet file, from `tail` (the file's last bytes, from `start`):
    /// where it starts, when `tail` ends like a Parquet file.
    fn footer_start(&self, tail: &[u8]) -> Option<u64> {
        let n = tail.len();
        if n < 8 || &tail[n - 4..] != b"PAR1" {
            return None;
        }
        let len = u32::from_le_bytes(tail[n - 8..n - 4].try_into().ok()?) as u64;
        self.size.checked_sub(8 + len)
    }

    /// Reads `range` from the browser, checking that the file is still what was picked.
    fn fetch(&self, range: Range<u64>) -> Result<Bytes, SourceError> {
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
}

impl RangeSource for BrowserFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&self, range: Range<u64>) -> Result<Bytes, SourceError> {
        check_range(&range, self.size)?;
        if let Some(bytes) = self.kept_slice(&range) {
            return Ok(bytes);
        }
        let size = self.size;
        if self.kept.get().is_none() && size <= WHOLE_FILE_BYTES {
            let whole = self.fetch(0..size)?;
            let wanted = slice_at(0, &whole, &range);
            self.keep(0, whole);
            return Ok(wanted);
        }
        if self.kept.get().is_none() && range.end == size {
            let start = size.saturating_sub(TAIL_PROBE_BYTES.max(range.end - range.start));
            let tail = self.fetch(start..size)?;
            let wanted = slice_at(start, &tail, &range);
            match self.footer_start(&tail) {
                Some(footer) if footer >= start => {
                    self.keep(footer, tail.slice((footer - start) as usize..));
                }
                // A footer longer than the probe: read whole, once.
                Some(footer) => self.keep(footer, self.fetch(footer..size)?),
                None => {}
            }
            return Ok(wanted);
        }
        self.fetch(range)
    }

    fn last_modified_ms(&self) -> Option<i64> {
        Some(self.modified_ms)
    }
}
