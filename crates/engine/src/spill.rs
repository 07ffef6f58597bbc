//! A worker's memory budget and the disk its operators spill to.
//!
//! A task's sorts, hash aggregations and sort-merge joins run under a memory pool of
//! the worker's budget; past it they write sorted runs to spill files and merge them
//! back, as DataFusion's spilling operators do. Where the files live is the caller's:
//! a temp file natively ([`TempFileDisk`]), the Origin Private File System in the page
//! (`kiln-browser`), both behind [`SpillDisk`]. The engine still knows nothing of the
//! browser: it is handed a disk, as it is handed byte sources.

use std::fmt;
use std::io;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use datafusion::common::config::SpillCompression;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::disk_manager::DiskManagerBuilder;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::{SpillFile, SpillWriter, TaskContext, TempFileFactory};
use datafusion::prelude::SessionContext;
use kiln_protocol::UserError;

use crate::distributed::TaskOutcome;
use crate::error::EngineError;
use futures::Stream;
use std::pin::Pin;

/// Where spill files are kept. A file is deleted when its [`SpillBlob`] is dropped.
pub trait SpillDisk: Send + Sync {
    fn create(&self) -> io::Result<Box<dyn SpillBlob>>;
    /// What the user is told the files are on ("a temp file", "this browser's private
    /// storage"), for errors.
    fn describe(&self) -> &str;
}

/// One spill file: appended to while an operator spills, then read back whole.
pub trait SpillBlob: Send {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Fills `buf` from `offset`; the caller never reads past [`Self::len`].
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a worker's spill files did since the last [`SpillCounters::take`]: the worker
/// runs one task at a time, so taking them after each task gives that task's.
#[derive(Debug, Default)]
pub struct SpillCounters {
    files: AtomicU64,
    written: AtomicU64,
    read: AtomicU64,
}

/// A task's spill, as [`SpillCounters::take`] gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SpillTotals {
    files: u64,
    bytes_written: u64,
    bytes_read: u64,
}

impl SpillCounters {
    fn take(&self) -> SpillTotals {
        SpillTotals {
            files: self.files.swap(0, Ordering::Relaxed),
            bytes_written: self.written.swap(0, Ordering::Relaxed),
            bytes_read: self.read.swap(0, Ordering::Relaxed),
        }
    }
}

/// A worker's memory: a pool of its budget, the disk its tasks spill to, and what they
/// spilled. One per worker, as each web worker is an instance of its own.
pub struct WorkerMemory {
    budget: u64,
    runtime: Arc<RuntimeEnv>,
    counters: Arc<SpillCounters>,
}

/// What a sort sets aside before it starts, out of the budget, so that it can still
/// merge its spilled runs when the rest is full: DataFusion's 10 MB default would not
/// leave room for the two sorts of a sort-merge join under a small budget.
const SORT_RESERVATION_SHARE: u64 = 16;

impl WorkerMemory {
    /// The session's runtime (its object stores, so tasks read the same sources) with
    /// a memory pool of `budget` bytes and spill files on `disk`. The pool names the
    /// largest consumers when an operator that cannot spill asks for more than is left,
    /// so the task's error says which operator and how much.
    pub fn new(base: &RuntimeEnv, budget: u64, disk: Arc<dyn SpillDisk>) -> Result<Self> {
        let counters = Arc::new(SpillCounters::default());
        let factory = Arc::new(DiskFiles {
            disk,
            counters: counters.clone(),
        });
        let top = NonZeroUsize::new(3).expect("3 is not zero");
        // 4 GB (the page's largest budget) is 2^32: `as usize` wraps it to a pool of 0
        // bytes on wasm32, where it means "all the worker can address".
        let pool_bytes = usize::try_from(budget).unwrap_or(usize::MAX);
        let pool = TrackConsumersPool::new(FairSpillPool::new(pool_bytes), top);
        let runtime = RuntimeEnvBuilder::from_runtime_env(base)
            .with_memory_pool(Arc::new(pool))
            .with_disk_manager_builder(
                DiskManagerBuilder::default().with_temp_file_factory(factory),
            )
            .build_arc()?;
        Ok(Self {
            budget,
            runtime,
            counters,
        })
    }

    /// The worker's memory for a task under `budget`, kept in `slot`: the last task's
    /// when it had the same budget, made anew (spilling to `disk`) otherwise.
    pub fn for_budget<'a>(
        slot: &'a mut Option<WorkerMemory>,
        base: &RuntimeEnv,
        budget: u64,
        disk: Arc<dyn SpillDisk>,
    ) -> std::result::Result<&'a WorkerMemory, UserError> {
        if slot.as_ref().is_none_or(|m| m.budget != budget) {
            let made = Self::new(base, budget, disk).map_err(|e| {
                EngineError::from(e).to_user("setting up the worker's memory budget")
            })?;
            *slot = Some(made);
        }
        Ok(slot.as_ref().expect("set above"))
    }

    /// A task's context in the session `ctx`, on this worker's memory.
    pub fn task_context(&self, ctx: &SessionContext) -> Arc<TaskContext> {
        let state = ctx.state();
        let mut config = state.config().clone();
        let reservation = (self.budget / SORT_RESERVATION_SHARE).max(64 * 1024) as usize;
        let execution = &mut config.options_mut().execution;
        execution.sort_spill_reservation_bytes = reservation;
        // Spill files are read back once, soon after: the codec of disk blocks.
        execution.spill_compression = SpillCompression::Lz4Frame;
        Arc::new(
            TaskContext::from(&state)
                .with_session_config(config)
                .with_runtime(self.runtime.clone()),
        )
    }

    /// A task's outcome with what it spilled, and under which budget, in its metrics.
    /// Called whatever the outcome: the worker runs one task at a time, so the next
    /// task's counts then start from zero.
    pub fn finish_task<E>(
        &self,
        outcome: std::result::Result<TaskOutcome, E>,
    ) -> std::result::Result<TaskOutcome, E> {
        let spill = self.counters.take();
        outcome.map(|mut outcome| {
            outcome.metrics.record_spill(
                Some(self.budget),
                spill.files,
                spill.bytes_written,
                spill.bytes_read,
            );
            outcome
        })
    }
}

/// DataFusion's spill files over a [`SpillDisk`].
struct DiskFiles {
    disk: Arc<dyn SpillDisk>,
    counters: Arc<SpillCounters>,
}

impl TempFileFactory for DiskFiles {
    fn create_temp_file(&self, description: &str) -> Result<Arc<dyn SpillFile>> {
        let blob = self.disk.create().map_err(|e| {
            DataFusionError::ResourcesExhausted(format!(
                "{description} ran out of memory and could not spill to {}: {e}",
                self.disk.describe()
            ))
        })?;
        self.counters.files.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(DiskFile {
            blob: Arc::new(Mutex::new(blob)),
            counters: self.counters.clone(),
        }))
    }
}

struct DiskFile {
    blob: Arc<Mutex<Box<dyn SpillBlob>>>,
    counters: Arc<SpillCounters>,
}

impl fmt::Debug for DiskFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiskFile").finish_non_exhaustive()
    }
}

fn lock(blob: &Mutex<Box<dyn SpillBlob>>) -> MutexGuard<'_, Box<dyn SpillBlob>> {
    // A panic while the lock was held leaves bytes a reader checks anyway (the IPC
    // decoder), and a failed task drops the file.
    blob.lock().unwrap_or_else(|e| e.into_inner())
}

/// Spill files are read back in pieces this large, so a merge of many runs holds a
/// piece of each, not each whole.
const READ_CHUNK_BYTES: u64 = 1024 * 1024;

impl SpillFile for DiskFile {
    fn size(&self) -> Option<u64> {
        Some(lock(&self.blob).len())
    }

    fn read_stream(&self) -> Result<Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>> {
        let blob = self.blob.clone();
        let counters = self.counters.clone();
        let len = lock(&blob).len();
        let chunks = futures::stream::unfold(0u64, move |offset| {
            let blob = blob.clone();
            let counters = counters.clone();
            async move {
                if offset >= len {
                    return None;
                }
                let n = READ_CHUNK_BYTES.min(len - offset);
                let mut buf = vec![0; n as usize];
                let read = lock(&blob).read_at(offset, &mut buf);
                counters.read.fetch_add(n, Ordering::Relaxed);
                Some((
                    read.map(|()| Bytes::from(buf))
                        .map_err(DataFusionError::IoError),
                    offset + n,
                ))
            }
        });
        Ok(Box::pin(chunks))
    }

    fn open_writer(&self) -> Result<Box<dyn SpillWriter>> {
        Ok(Box::new(DiskWriter {
            blob: self.blob.clone(),
            counters: self.counters.clone(),
            pending: Vec::with_capacity(WRITE_BUFFER_BYTES),
        }))
    }
}

/// Arrow's IPC writer writes each buffer of a batch, and its padding, as a write of
/// its own; in the page each is a call into the browser's file system, so they are
/// gathered into writes this large.
const WRITE_BUFFER_BYTES: usize = 1024 * 1024;

struct DiskWriter {
    blob: Arc<Mutex<Box<dyn SpillBlob>>>,
    counters: Arc<SpillCounters>,
    pending: Vec<u8>,
}

impl DiskWriter {
    fn write_pending(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            lock(&self.blob).append(&self.pending)?;
            self.counters
                .written
                .fetch_add(self.pending.len() as u64, Ordering::Relaxed);
            self.pending.clear();
        }
        Ok(())
    }
}

impl io::Write for DiskWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= WRITE_BUFFER_BYTES {
            self.write_pending()?;
        }
        Ok(buf.len())
    }

    /// Readers may open the file after a flush, before it is finished.
    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()
    }
}

impl SpillWriter for DiskWriter {
    fn finish(&mut self) -> Result<()> {
        self.write_pending().map_err(DataFusionError::IoError)
    }
}

impl Drop for DiskWriter {
    fn drop(&mut self) {
        // A writer dropped without `finish` (a task that failed) loses nothing anyone
        // reads; one that was finished has nothing pending.
        let _ = self.write_pending();
    }
}

/// Spill files as anonymous temp files: the OS removes them when they are closed,
/// and when the process dies, so nothing is left behind. (A wasm build has no temp
/// files: the page lends its own disk.)
pub struct TempFileDisk;

impl SpillDisk for TempFileDisk {
    fn create(&self) -> io::Result<Box<dyn SpillBlob>> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            Ok(Box::new(TempBlob {
                file: tempfile::tempfile()?,
                len: 0,
            }))
        }
        #[cfg(target_arch = "wasm32")]
        {
            Err(io::Error::other("a wasm build has no temp files"))
        }
    }

    fn describe(&self) -> &str {
        "a temp file"
    }
}
#[cfg(not(target_arch = "wasm32"))]
struct TempBlob {
    file: std::fs::File,
    len: u64,
}

#[cfg(not(target_arch = "wasm32"))]
impl SpillBlob for TempBlob {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        self.file.seek(SeekFrom::Start(self.len))?;
        self.file.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        self.file.seek(SeekFrom::Start(offset))?;
        self.file.read_exact(buf)
    }

    fn len(&self) -> u64 {
        self.len
    }
}
