//! Entry points of the `cargo fuzz` targets in `fuzz/`: the ways bytes from outside
//! reach the engine. Each takes arbitrary input and must return, never panic; an error
//! is the right answer to bad input. The same functions replay `fuzz/regressions/` in
//! the engine's tests, so a crash the fuzzer found stays fixed.
//!
//! Kiln's own code must never panic on any input. A panic inside a dependency's decoder
//! (the parquet crate on a corrupt page, say) is another matter: Kiln cannot fix it,
//! and in the page it ends the worker, whose task is retried and then fails with the
//! file named. [`contain_dependency_panics`] turns those into errors (printed once per
//! site, to report upstream) so the fuzzers go on looking for Kiln's own.

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Mutex, Once, OnceLock};

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use bytes::Bytes;
use datafusion_proto::bytes::physical_plan_from_bytes_with_extension_codec;
use kiln_protocol::{JobOptions, Request};
use parquet::arrow::ArrowWriter;

use crate::distributed::exchange::KilnCodec;
use crate::distributed::ipc;
use crate::{BytesSource, Engine, EngineConfig, SourceFile};

/// What running one input gave: `Err` holds the message a user would see.
pub type Outcome = Result<(), String>;

thread_local! {
    static DEPENDENCY_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`; a panic whose site is in a dependency's source becomes `Err`, any other
/// panic goes on (and, under libFuzzer's hook, aborts as a crash).
pub fn contain_dependency_panics<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let site = info
                .location()
                .filter(|l| is_dependency(l.file()))
                .map(|l| format!("{}:{}", l.file(), l.line()));
            let Some(site) = site else {
                return previous(info);
            };
            let message = format!(
                "a dependency panicked at {site}: {}",
                payload(info.payload())
            );
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            if seen.get_or_insert_with(HashSet::new).insert(site) {
                eprintln!("contained: {message}");
            }
            DEPENDENCY_PANIC.with(|p| *p.borrow_mut() = Some(message));
        }));
    });
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Ok(value),
        Err(panic) => match DEPENDENCY_PANIC.with(|p| p.borrow_mut().take()) {
            Some(message) => Err(message),
            None => resume_unwind(panic),
        },
    }
}

/// A crate from a registry or git, or one Kiln carries patched under `vendor/` (still
/// upstream's code: see `vendor/README.md`).
fn is_dependency(file: &str) -> bool {
    file.contains("/.cargo/registry/")
        || file.contains("/.cargo/git/")
        || file.starts_with("vendor/")
        || file.contains("/vendor/")
}

fn payload(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Drives an async entry point to its end on a runtime of its own, with dependency
/// panics contained: what each fuzz target runs per input.
pub fn run(input: impl Future<Output = Outcome>) -> Outcome {
    contain_dependency_panics(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(input)
    })
    .and_then(|outcome| outcome)
}

/// A file the user picked: registered as a table, its footer summarized, and every
/// row of it read, as the explorer and a `SELECT *` would.
pub async fn parquet_file(bytes: &[u8]) -> Outcome {
    let mut engine = Engine::new(EngineConfig::default());
    let file = SourceFile {
        path: "fuzz.parquet".into(),
        source: Arc::new(BytesSource(Bytes::copy_from_slice(bytes))),
    };
    let (tables, rejected) = engine.add_files(vec![file]).await;
    if let Some(e) = rejected.into_iter().next() {
        return Err(e.to_string());
    }
    if tables.is_empty() {
        return Err("no table".into());
    }
    engine
        .sql("SELECT * FROM fuzz")
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A PySpark program typed into the page, run over a three-row table `trips` and each
/// of its actions planned as a job (not run: a plan is what the parser and
/// interpreter produce).
pub async fn pyspark_program(text: &[u8]) -> Outcome {
    let source = String::from_utf8_lossy(text);
    let mut engine = Engine::new(EngineConfig::default());
    let trips = SourceFile {
        path: "trips.parquet".into(),
        source: Arc::new(BytesSource(trips())),
    };
    let (_, rejected) = engine.add_files(vec![trips]).await;
    if let Some(e) = rejected.into_iter().next() {
        return Err(format!("the fuzz table itself: {e}"));
    }
    let run = engine
        .run_program(&source)
        .await
        .map_err(|e| e.to_string())?;
    engine
        .plan_program(&run, &JobOptions::default())
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A message a worker decodes: its first byte picks what the rest is, so one target
/// covers the three decoders a worker runs on what it is sent: a request (the same
/// serde types the page posts), a task's plan fragment (DataFusion's protobuf with
/// Kiln's exchange nodes), and a shuffle block (an Arrow IPC stream).
pub fn worker_message(data: &[u8]) -> Outcome {
    let Some((&kind, rest)) = data.split_first() else {
        return Err("empty".into());
    };
    match kind % 3 {
        0 => serde_json::from_slice::<Request>(rest)
            .map(drop)
            .map_err(|e| e.to_string()),
        1 => {
            // A worker's engine: its object store is what a scan fragment names.
            let ctx = Engine::new(EngineConfig::default()).context().task_ctx();
            physical_plan_from_bytes_with_extension_codec(rest, &ctx, &KilnCodec)
                .map(drop)
                .map_err(|e| e.to_string())
        }
        _ => {
            let batches =
                ipc::read_blocks([Bytes::copy_from_slice(rest)]).map_err(|e| e.to_string())?;
            // A decoded batch must hold what its schema says: the engine indexes into
            // it without checking again.
            for batch in batches {
                for column in batch.columns() {
                    column
                        .to_data()
                        .validate_full()
                        .map_err(|e| e.to_string())?;
                }
            }
            Ok(())
        }
    }
}

/// `trips`, three rows: `id`, `fare` and `zone`, with a null of each kind.
fn trips() -> Bytes {
    static TRIPS: OnceLock<Bytes> = OnceLock::new();
    TRIPS
        .get_or_init(|| {
            let batch = RecordBatch::try_from_iter([
                (
                    "id",
                    Arc::new(Int64Array::from(vec![Some(1), Some(2), None])) as _,
                ),
                (
                    "fare",
                    Arc::new(Float64Array::from(vec![Some(2.5), None, Some(7.0)])) as _,
                ),
                (
                    "zone",
                    Arc::new(StringArray::from(vec![None, Some("JFK"), Some("EWR")])) as _,
                ),
            ])
            .expect("three columns of three rows");
            let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), None)
                .expect("a writer over memory");
            writer.write(&batch).expect("writing to memory");
            Bytes::from(writer.into_inner().expect("closing a file in memory"))
        })
        .clone()
}
