//! Browser `File`s as engine byte sources, read synchronously by range.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};

use bytes::Bytes;
use kiln_engine::range_cache::RangeCache;
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
    /// This file's name in the worker's [`RangeCache`].
    id: u64,
    /// The snapshot in which the file was last seen unchanged on disk.
    checked_in: AtomicU64,
    /// Where the bytes start that are served from the cache without a check: 0 for a
    /// small file read whole, the footer's start for a Parquet file; none at first.
    trusted_from: AtomicU64,
}

/// Each `FileReaderSync` read is a round trip to the browser's file thread (about a
/// millisecond, whatever its size). For a folder of many small files that, not bytes,
/// is the cost: a small file is read whole at once, and a large one's footer (read when
/// the file is added, when a job is planned and by every task) is read once.
const WHOLE_FILE_BYTES: u64 = 64 * 1024;
/// The first read of a file's end asks for the last 8 bytes (the footer's length); this
/// much is read instead, which holds most footers whole.
const TAIL_PROBE_BYTES: u64 = 64 * 1024;
/// What one worker keeps of what it read, over all its files. With a pool of 2 to 4
/// workers that is at most 1 GB for the tab; a file asked again within it is not read
/// again (the benchmark's 5M-row tables fit whole).
const CACHE_BUDGET_BYTES: u64 = 256 * 1024 * 1024;

/// A Parquet file's leading magic number, which planning reads from every file.
const MAGIC_BYTES: u64 = 4;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// The snapshot the worker reads in: reads in one snapshot trust a file once one real
/// read in it has found the file unchanged ([`new_request`], [`job_snapshot`]). A new
/// snapshot is the next number.
static SNAPSHOT: AtomicU64 = AtomicU64::new(1);
/// The job whose tasks the current snapshot serves, if any.
static SNAPSHOT_JOB: Mutex<Option<u64>> = Mutex::new(None);
static CACHE: LazyLock<Mutex<RangeCache>> =
    LazyLock::new(|| Mutex::new(RangeCache::new(CACHE_BUDGET_BYTES)));

/// Sizes the cache for a task under a memory budget of `budget` bytes (`None`: no
/// budget). The cache is memory the budget's pool does not see, so under a budget it
/// keeps at most half of it: a worker told 256 MB then holds about 128 MB of reads
/// beside what its operators hold, not another 256 MB.
pub fn fit_cache_to(budget: Option<u64>) {
    let bytes = budget.map_or(CACHE_BUDGET_BYTES, |b| (b / 2).min(CACHE_BUDGET_BYTES));
    cache().set_budget(bytes);
}

fn cache() -> MutexGuard<'static, RangeCache> {
    // A panic while the lock was held leaves a cache that is still consistent.
    CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

fn next_snapshot() {
    SNAPSHOT.fetch_add(1, Ordering::Relaxed);
}

/// Starts a new snapshot for a request that is not a task (files added, a job
/// planned). Kept bytes of a file are served in a snapshot only after one real read in
/// it has found the file unchanged, so a file changed or removed on disk fails its job
/// as it did before the cache, and never answers with what it held earlier.
pub fn new_request() {
    *SNAPSHOT_JOB.lock().unwrap_or_else(|e| e.into_inner()) = None;
    next_snapshot();
}

/// The snapshot for a task of `job`: all tasks of one job a worker runs share one, as a
/// Spark job lists its files once, so a file is checked once per job and worker rather
/// than before every task (each check is a round trip to the browser's file thread).
pub fn job_snapshot(job: u64) {
    let mut current = SNAPSHOT_JOB.lock().unwrap_or_else(|e| e.into_inner());
    if *current != Some(job) {
        *current = Some(job);
        next_snapshot();
    }
}

/// `range` of a file, out of `bytes` read from it at `start` (which hold the range).
fn slice_at(start: u64, bytes: &Bytes, range: &Range<u64>) -> Bytes {
    bytes.slice((range.start - start) as usize..(range.end - start) as usize)
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
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            checked_in: AtomicU64::new(0),
            trusted_from: AtomicU64::new(u64::MAX),
        })
    }

    /// `range` from the cache. A file's frame (its leading magic number, and past
    /// `trusted_from` a small file's whole or a large one's footer) is served as it is:
    /// the table was planned with it, and the tasks' data reads find any change. Any
    /// other kept bytes are served only once the file has been seen unchanged in this
    /// snapshot.
    fn cached(&self, range: &Range<u64>) -> Result<Option<Bytes>, SourceError> {
        let Some(bytes) = cache().get(self.id, range) else {
            return Ok(None);
        };
        let snapshot = SNAPSHOT.load(Ordering::Relaxed);
        if range.end > MAGIC_BYTES
            && range.start < self.trusted_from.load(Ordering::Relaxed)
            && self.checked_in.load(Ordering::Relaxed) != snapshot
        {
            // One byte is enough: the browser refuses any read of a file whose
            // modification time is no longer the one it had when it was picked.
            if let Err(e) = self.fetch(0..self.size.min(1)) {
                cache().forget(self.id);
                return Err(e);
            }
        }
        Ok(Some(bytes))
    }

    fn keep(&self, start: u64, bytes: Bytes) {
        cache().put(self.id, start, bytes);
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
        self.checked_in
            .store(SNAPSHOT.load(Ordering::Relaxed), Ordering::Relaxed);
        Ok(Bytes::from(bytes))
    }
}

impl RangeSource for BrowserFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&self, range: Range<u64>) -> Result<Bytes, SourceError> {
        check_range(&range, self.size)?;
        if let Some(bytes) = self.cached(&range)? {
            return Ok(bytes);
        }
        let size = self.size;
        if size <= WHOLE_FILE_BYTES {
            let whole = self.fetch(0..size)?;
            let wanted = slice_at(0, &whole, &range);
            self.keep(0, whole);
            self.trusted_from.store(0, Ordering::Relaxed);
            return Ok(wanted);
        }
        if range.end == size {
            let start = size.saturating_sub(TAIL_PROBE_BYTES.max(range.end - range.start));
            let tail = self.fetch(start..size)?;
            let wanted = slice_at(start, &tail, &range);
            let footer = self.footer_start(&tail);
            match footer {
                // A footer longer than the probe: read whole, once.
                Some(footer) if footer < start => self.keep(footer, self.fetch(footer..size)?),
                _ => self.keep(start, tail),
            }
            if let Some(footer) = footer {
                self.trusted_from.store(footer, Ordering::Relaxed);
            }
            return Ok(wanted);
        }
        let bytes = self.fetch(range.clone())?;
        self.keep(range.start, bytes.clone());
        Ok(bytes)
    }

    fn last_modified_ms(&self) -> Option<i64> {
        Some(self.modified_ms)
    }
}
