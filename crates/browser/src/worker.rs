//! The worker's side of the page <-> worker protocol (see `kiln_protocol::messages`).

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use kiln_engine::distributed::TaskHooks;
use kiln_engine::distributed::ipc::BlockSink;
use kiln_engine::export::{ExportStream, write_output, zip_output};
use kiln_engine::results;
use kiln_engine::{Engine, EngineConfig, QueryOutput, RangeSource, SourceFile};
use kiln_protocol::{
    AttemptId, ExportTarget, FileChunk, JobSource, Request, RequestBody, Response, ResponseBody,
    StoreSource, TaskProgress, UserError,
};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, File};

use crate::file_source::BrowserFile;
use crate::lake;
use crate::memory_blocks::MemoryBlocks;
use crate::opfs_shuffle::{OpfsBlocks, input_blocks, remove_result_files};
use crate::opfs_spill::{NoDisk, OpfsDisk};
use kiln_engine::spill::{SpillDisk, WorkerMemory};

fn lake_error(e: &kiln_gen::GenError) -> UserError {
    UserError {
        context: "generating the sample lake".into(),
        message: e.to_string(),
        location: None,
    }
}

/// Results kept for paging; older ones are dropped to bound the worker's memory.
const KEPT_RESULTS: usize = 8;

/// Bytes of file per export chunk: big enough to keep messages few, small enough that
/// the page never holds much it has not written yet (chunks it has written linger
/// until the page's next garbage collection: 8 MB chunks raised the tab's peak during a
/// 148 MB CSV download by 81 MB, 2 MB chunks by 62 MB).
const EXPORT_CHUNK_BYTES: usize = 2 << 20;

struct WorkerState {
    engine: Engine,
    /// Each with the folder of its blocks on disk, when some are.
    results: VecDeque<(u64, QueryOutput, Option<String>)>,
    next_result: u64,
    exports: HashMap<u64, Export>,
    next_export: u64,
    /// A pool worker's memory for tasks under a budget, made at the first such task
    /// (`WorkerMemory::for_budget`).
    memory: Option<WorkerMemory>,
    /// Where that memory spills: this worker's arena in OPFS, opened once.
    spill_disk: Option<Arc<dyn SpillDisk>>,
}

/// An export being pulled by the page.
enum Export {
    /// One file, encoded as it is pulled.
    File(ExportStream),
    /// A written output, zipped whole (its files are listed to the page first).
    Zip { bytes: Vec<u8>, sent: usize },
    /// A written output handed over file by file, each in chunks.
    Folder {
        files: Vec<(String, Vec<u8>)>,
        file: usize,
        sent: usize,
    },
}

impl Export {
    /// Whether every byte has been handed out.
    fn is_done(&self) -> bool {
        match self {
            Export::File(stream) => stream.is_finished(),
            Export::Zip { bytes, sent } => *sent >= bytes.len(),
            Export::Folder { files, file, .. } => *file >= files.len(),
        }
    }

    /// The next chunk, and for a folder export the file it belongs to. Empty once
    /// everything has been handed out.
    fn next_chunk(&mut self) -> Result<(Vec<u8>, Option<FileChunk>), UserError> {
        Ok(match self {
            Export::File(stream) => {
                let chunk = stream
                    .next_chunk(EXPORT_CHUNK_BYTES)
                    .map_err(|e| e.to_user("encoding the result"))?;
                (chunk.unwrap_or_default(), None)
            }
            Export::Zip { bytes, sent } => (take_chunk(bytes, sent), None),
            Export::Folder { files, file, sent } => {
                let Some((path, bytes)) = files.get(*file) else {
                    return Ok((Vec::new(), None));
                };
                let first = *sent == 0;
                let chunk = take_chunk(bytes, sent);
                let done = *sent >= bytes.len();
                let path = path.clone();
                if done {
                    *file += 1;
                    *sent = 0;
                }
                (chunk, Some(FileChunk { path, first, done }))
            }
        })
    }
}

/// The next `EXPORT_CHUNK_BYTES` of `bytes` after `sent`, moving `sent` past them.
fn take_chunk(bytes: &[u8], sent: &mut usize) -> Vec<u8> {
    let start = (*sent).min(bytes.len());
    let end = (start + EXPORT_CHUNK_BYTES).min(bytes.len());
    *sent = end;
    bytes[start..end].to_vec()
}

impl WorkerState {
    fn new() -> Self {
        std::panic::set_hook(Box::new(|info| {
            // A panic aborts the instance; tell the page why before it traps.
            post_fatal(&format!("the engine crashed: {info}"));
        }));
        Self {
            engine: Engine::new(EngineConfig::default()),
            results: VecDeque::new(),
            next_result: 1,
            exports: HashMap::new(),
            next_export: 1,
            memory: None,
            spill_disk: None,
        }
    }
}

thread_local! {
    // Taken out while a request runs and put back after, so no borrow is held across an
    // await. worker.js hands over one request at a time, so nothing else looks meanwhile.
    static STATE: RefCell<Option<WorkerState>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn now_ms() -> f64 {
    scope().performance().map_or(0.0, |p| p.now())
}

fn post_fatal(message: &str) {
    let msg = Object::new();
    let _ = Reflect::set(&msg, &"kind".into(), &"fatal".into());
    let _ = Reflect::set(&msg, &"message".into(), &message.into());
    let _ = scope().post_message(&msg);
}

/// Posts a response; `buffer` (a download) and the `blocks` that are bytes (Arrow IPC
/// for the page's scheduler) are transferred, not copied. Blocks written to disk go as
/// `Blob`s, which are cloned by reference.
fn post(
    response: &Response,
    buffer: Option<ArrayBuffer>,
    blocks: Vec<JsValue>,
) -> Result<(), JsValue> {
    let msg = Object::new();
    Reflect::set(&msg, &"kind".into(), &"response".into())?;
    Reflect::set(
        &msg,
        &"response".into(),
        &serde_wasm_bindgen::to_value(response)?,
    )?;
    let transfer = Array::new();
    if let Some(buffer) = buffer {
        Reflect::set(&msg, &"buffer".into(), &buffer)?;
        transfer.push(&buffer);
    }
    if !blocks.is_empty() {
        let array: Array = blocks.iter().collect();
        Reflect::set(&msg, &"blocks".into(), &array)?;
        for b in blocks.iter().filter(|b| b.is_instance_of::<ArrayBuffer>()) {
            transfer.push(b);
        }
    }
    if transfer.length() == 0 {
        scope().post_message(&msg)
    } else {
        scope().post_message_with_transfer(&msg, &transfer)
    }
}

/// Where a task's output blocks go as they are encoded.
enum Output {
    /// Out of the instance's memory, for the page to hold (`memory_blocks`).
    Memory(MemoryBlocks),
    /// Into a shuffle file the page told the task to write (`TaskRequest::shuffle_to`).
    Disk(OpfsBlocks),
}

/// Copies bytes out of this instance's memory into a buffer that can be transferred.
fn to_buffer(bytes: &[u8]) -> ArrayBuffer {
    Uint8Array::from(bytes).buffer()
}

/// The wasm instance's memory size: wasm memory never shrinks, so this is its peak.
fn memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// This worker's spill disk: its arena in OPFS, opened at the first task under a budget
/// and kept.
async fn spill_disk(slot: &mut Option<Arc<dyn SpillDisk>>) -> Arc<dyn SpillDisk> {
    if let Some(disk) = slot {
        return disk.clone();
    }
    let disk: Arc<dyn SpillDisk> = match OpfsDisk::open().await {
        Ok(disk) => Arc::new(disk),
        Err(reason) => Arc::new(NoDisk(reason)),
    };
    *slot = Some(disk.clone());
    disk
}

/// Handles one message from the page: `{ kind: 'request', request, files }`.
#[wasm_bindgen]
pub async fn handle_message(data: JsValue) -> Result<(), JsValue> {
    let request: Request = serde_wasm_bindgen::from_value(Reflect::get(&data, &"request".into())?)?;
    let files: Vec<File> = js_array(&data, "files");
    // Bytes the page held, or `Blob`s of shuffle files on disk (`opfs_shuffle`).
    let blocks: Vec<JsValue> = js_array(&data, "blocks");
    let mut state = STATE
        .with(|s| s.borrow_mut().take())
        .unwrap_or_else(WorkerState::new);
    match &request.body {
        RequestBody::RunTask { task } => crate::file_source::job_snapshot(task.job_id),
        _ => crate::file_source::new_request(),
    }
    let reply = handle(&mut state, request.body, files, blocks).await;
    STATE.with(|s| *s.borrow_mut() = Some(state));
    let reply = reply.unwrap_or_else(|error| Reply::new(ResponseBody::Error { error }));
    post(
        &Response {
            id: request.id,
            body: reply.body,
        },
        reply.buffer,
        reply.blocks,
    )
}

fn js_array<T: JsCast>(data: &JsValue, field: &str) -> Vec<T> {
    Reflect::get(data, &field.into())
        .ok()
        .filter(Array::is_array)
        .map(|a| Array::from(&a).iter().map(JsCast::unchecked_into).collect())
        .unwrap_or_default()
}

struct Reply {
    body: ResponseBody,
    buffer: Option<ArrayBuffer>,
    blocks: Vec<JsValue>,
}

impl Reply {
    fn new(body: ResponseBody) -> Self {
        Self {
            body,
            buffer: None,
            blocks: Vec::new(),
        }
    }
}

async fn handle(
    state: &mut WorkerState,
    body: RequestBody,
    files: Vec<File>,
    blocks: Vec<JsValue>,
) -> Result<Reply, UserError> {
    match body {
        RequestBody::AddFiles { files: described } => {
            let mut sources = Vec::with_capacity(described.len());
            let mut opened: Vec<(usize, Arc<dyn RangeSource>)> = Vec::new();
            let mut rejected = Vec::new();
            for (index, (incoming, file)) in described.into_iter().zip(files).enumerate() {
                match BrowserFile::new(file) {
                    Ok(source) => {
                        let source: Arc<dyn RangeSource> = Arc::new(source);
                        opened.push((index, source.clone()));
                        sources.push(SourceFile {
                            path: incoming.path,
                            source,
                        })
                    }
                    Err(e) => rejected.push(UserError {
                        context: format!("opening {}", incoming.path),
                        message: e.0,
                        location: None,
                    }),
                }
            }
            let (_, mut refused) = state.engine.add_files(sources).await;
            rejected.append(&mut refused);
            let sources = opened
                .iter()
                .flat_map(|(index, source)| {
                    state
                        .engine
                        .store_paths(source)
                        .into_iter()
                        .map(|path| StoreSource {
                            path,
                            file: Some(*index),
                        })
                })
                .collect();
            Ok(Reply::new(tables(&state.engine, rejected, sources)))
        }
        RequestBody::PlanLake { config } => {
            let files = lake::plan(&config).map_err(|e| lake_error(&e))?;
            Ok(Reply::new(ResponseBody::LakePlanned { files }))
        }
        RequestBody::GenerateLakeFile { config, index } => {
            let (file, bytes) = lake::make(&config, index).map_err(|e| lake_error(&e))?;
            Ok(Reply {
                body: ResponseBody::LakeFileMade { file },
                buffer: Some(to_buffer(&bytes)),
                blocks: Vec::new(),
            })
        }
        RequestBody::ZipFiles { root, paths } => {
            let mut contents = Vec::with_capacity(paths.len());
            for (path, file) in paths.iter().zip(files) {
                let source = BrowserFile::new(file).map_err(|e| UserError {
                    context: format!("reading {path}"),
                    message: e.0,
                    location: None,
                })?;
                let bytes = source.read(0..source.size()).map_err(|e| UserError {
                    context: format!("reading {path}"),
                    message: e.0,
                    location: None,
                })?;
                contents.push((path.clone(), bytes));
            }
            let entries: Vec<(&str, &[u8])> = contents
                .iter()
                .map(|(p, b)| (p.as_str(), b.as_ref()))
                .collect();
            let bytes = kiln_engine::export::zip_folder(&root, &entries, false, false)
                .map_err(|e| e.to_user("zipping the files"))?;
            let export_id = state.next_export;
            state.next_export += 1;
            state
                .exports
                .insert(export_id, Export::Zip { bytes, sent: 0 });
            Ok(Reply::new(ResponseBody::ExportOpened {
                export_id,
                file_name: format!("{root}.zip"),
                mime: "application/zip".into(),
                files: Vec::new(),
            }))
        }
        RequestBody::RenameTable { from, to } => {
            state.engine.rename_table(&from, &to)?;
            Ok(Reply::new(tables(&state.engine, Vec::new(), Vec::new())))
        }
        RequestBody::RemoveTable { name } => {
            state.engine.remove_table(&name)?;
            Ok(Reply::new(tables(&state.engine, Vec::new(), Vec::new())))
        }
        RequestBody::PlanJob { sql, options } => {
            let plan = state.engine.plan_job(&sql, &options).await?;
            Ok(Reply::new(ResponseBody::JobPlanned { plan }))
        }
        RequestBody::PlanProgram { source, options } => {
            let run = state.engine.run_program(&source).await?;
            let steps = state.engine.plan_program(&run, &options).await?;
            Ok(Reply::new(ResponseBody::ProgramPlanned { steps }))
        }
        RequestBody::DescribeProgram {
            source,
            vars,
            preview,
            rows,
        } => {
            let schemas = state
                .engine
                .describe_program(&source, &vars, preview.as_deref(), rows)
                .await?;
            Ok(Reply::new(ResponseBody::ProgramDescribed { schemas }))
        }
        RequestBody::ExportSpark { job, title } => {
            // Paths in the page are already relative to the folder the files came from.
            let same = |p: &str| p.to_string();
            let export = match &job {
                JobSource::Sql { sql } => {
                    kiln_engine::program::export_sql(&state.engine, &title, sql, &same).await?
                }
                JobSource::PySpark { source } => {
                    let run = state.engine.run_program(source).await?;
                    run.export(&title, &same)?
                }
            };
            Ok(Reply::new(ResponseBody::SparkExported {
                scripts: kiln_engine::program::scripts(&title, export),
            }))
        }
        RequestBody::FinishJob {
            job_id: _,
            result_schema,
            elapsed_ms,
            page_size,
            result_folder,
        } => {
            // A result on disk stays there, read a batch at a time as it is paged,
            // charted or saved; one the page held is decoded here once.
            let (blocks, on_disk) = input_blocks(blocks);
            let output = if on_disk > 0 {
                QueryOutput::stored(&result_schema, blocks)
            } else {
                QueryOutput::from_input_blocks(&result_schema, blocks)
            }
            .map_err(|e| e.to_user("reading the job's result"));
            match output {
                Ok(output) => keep_result(state, output, result_folder, elapsed_ms, page_size),
                Err(error) => {
                    if let Some(folder) = result_folder {
                        remove_result_files(folder);
                    }
                    Err(error)
                }
            }
        }
        RequestBody::RegisterSources { paths } => {
            let mut rejected = Vec::new();
            for (path, file) in paths.into_iter().zip(files) {
                let registered = BrowserFile::new(file)
                    .map_err(|e| UserError {
                        context: format!("opening {path}"),
                        message: e.0,
                        location: None,
                    })
                    .and_then(|source| state.engine.register_source(&path, Arc::new(source)));
                if let Err(e) = registered {
                    rejected.push(e);
                }
            }
            Ok(Reply::new(ResponseBody::Registered { rejected }))
        }
        RequestBody::RunTask { task } => {
            if task.hang {
                // Fault injection: a task that never reports. The worker is stuck for
                // good; only the page's task timeout, which ends it, gets the task done.
                loop {
                    std::hint::spin_loop();
                }
            }
            if task.crash_worker {
                // Fault injection: the instance traps (panic = abort) as a real crash
                // would; the page must notice, replace this worker and rerun the task.
                panic!("fault injection: worker crashed while taking a task");
            }
            let attempt = task.attempt_id();
            crate::allocator::reset_peak();
            crate::file_source::fit_cache_to(task.memory_budget);
            let (blocks, read_from_disk) = input_blocks(blocks);
            let memory = match task.memory_budget {
                None => None,
                Some(budget) => {
                    let disk = spill_disk(&mut state.spill_disk).await;
                    let base = state.engine.context().runtime_env();
                    match WorkerMemory::for_budget(&mut state.memory, &base, budget, disk) {
                        Ok(memory) => Some(memory),
                        Err(error) => {
                            return Ok(Reply::new(ResponseBody::TaskFailed { attempt, error }));
                        }
                    }
                }
            };
            let ctx = match memory {
                None => state.engine.context().task_ctx(),
                Some(memory) => memory.task_context(state.engine.context()),
            };
            let shuffle_error = |message| UserError {
                context: "writing the task's shuffle output to the browser's private storage"
                    .into(),
                message,
                location: None,
            };
            let mut sink = match &task.shuffle_to {
                None => Output::Memory(MemoryBlocks::default()),
                Some(folder) => {
                    let name = format!("s{}-t{}-a{}.blocks", task.stage, task.task, task.attempt);
                    match OpfsBlocks::create(folder, &name).await {
                        Ok(sink) => Output::Disk(sink),
                        Err(message) => {
                            let error = shuffle_error(message);
                            return Ok(Reply::new(ResponseBody::TaskFailed { attempt, error }));
                        }
                    }
                }
            };
            let outcome = kiln_engine::distributed::run_task(
                ctx,
                &task,
                blocks,
                task_hooks(attempt),
                Some(match &mut sink {
                    Output::Memory(s) => s as &mut dyn BlockSink,
                    Output::Disk(s) => s as &mut dyn BlockSink,
                }),
            )
            .await;
            let outcome = match memory {
                None => outcome,
                Some(memory) => memory.finish_task(outcome),
            };
            match outcome {
                Ok(outcome) => {
                    let mut metrics = outcome.metrics;
                    metrics.peak_memory_bytes = Some(memory_bytes());
                    metrics.peak_heap_bytes = Some(crate::allocator::peak_bytes() as u64);
                    metrics.shuffle_disk_read_bytes = read_from_disk;
                    let blocks = match sink {
                        Output::Memory(sink) => match sink.finish(outcome.blocks.len()) {
                            Ok(blocks) => blocks,
                            Err(message) => {
                                let error = UserError {
                                    context: "keeping the task's output".into(),
                                    message,
                                    location: None,
                                };
                                return Ok(Reply::new(ResponseBody::TaskFailed { attempt, error }));
                            }
                        },
                        Output::Disk(sink) => match sink.finish(outcome.blocks.len()).await {
                            Ok(blobs) => {
                                metrics.shuffle_disk_write_bytes = metrics.output_bytes;
                                blobs.into_iter().map(JsValue::from).collect()
                            }
                            Err(message) => {
                                let error = shuffle_error(message);
                                return Ok(Reply::new(ResponseBody::TaskFailed { attempt, error }));
                            }
                        },
                    };
                    Ok(Reply {
                        body: ResponseBody::TaskDone { attempt, metrics },
                        buffer: None,
                        blocks,
                    })
                }
                Err(error) => Ok(Reply::new(ResponseBody::TaskFailed { attempt, error })),
            }
        }
        RequestBody::OpenExport { result_id, target } => {
            let output = kept_result(state, result_id, "saving the result")?;
            let stamp = format!("result-{result_id}");
            let (export, file_name, mime, files) = match target {
                ExportTarget::File { format } => {
                    let stream = ExportStream::new(output, format)
                        .map_err(|e| e.to_user("encoding the result"))?;
                    let name = format!("kiln-{stamp}.{}", format.extension());
                    (Export::File(stream), name, format.mime(), Vec::new())
                }
                ExportTarget::Output { options, name } => {
                    let written = output
                        .tasks()
                        .and_then(|tasks| write_output(&output.schema, &tasks, &options))
                        .map_err(|e| e.to_user("writing the output"))?;
                    let root = name
                        .as_deref()
                        .and_then(|n| n.trim_end_matches('/').rsplit('/').next())
                        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
                        // The zip's folder: safe as a name on every OS.
                        .map(|n| {
                            n.chars()
                                .map(|c| {
                                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                                        c
                                    } else {
                                        '_'
                                    }
                                })
                                .collect::<String>()
                        })
                        .unwrap_or_else(|| format!("kiln-{stamp}"));
                    let bytes = zip_output(&root, &written, options.format)
                        .map_err(|e| e.to_user("zipping the output"))?;
                    let files = written.into_iter().map(|(f, _)| f).collect();
                    let export = Export::Zip { bytes, sent: 0 };
                    (export, format!("{root}.zip"), "application/zip", files)
                }
                ExportTarget::Folder { options } => {
                    let written = output
                        .tasks()
                        .and_then(|tasks| write_output(&output.schema, &tasks, &options))
                        .map_err(|e| e.to_user("writing the output"))?;
                    let listed = written.iter().map(|(f, _)| f.clone()).collect();
                    let mut files: Vec<(String, Vec<u8>)> =
                        written.into_iter().map(|(f, b)| (f.path, b)).collect();
                    // Like Spark's, the marker is written last: its presence means done.
                    files.push(("_SUCCESS".into(), Vec::new()));
                    let export = Export::Folder {
                        files,
                        file: 0,
                        sent: 0,
                    };
                    (export, format!("kiln-{stamp}"), "inode/directory", listed)
                }
            };
            let export_id = state.next_export;
            state.next_export += 1;
            state.exports.insert(export_id, export);
            Ok(Reply::new(ResponseBody::ExportOpened {
                export_id,
                file_name,
                mime: mime.into(),
                files,
            }))
        }
        RequestBody::NextChunk { export_id } => {
            let export = state.exports.get_mut(&export_id).ok_or_else(|| UserError {
                context: "saving the result".into(),
                message: "this export was closed".into(),
                location: None,
            })?;
            let (bytes, file) = export.next_chunk()?;
            let last = export.is_done();
            if last {
                state.exports.remove(&export_id);
            }
            Ok(Reply {
                body: ResponseBody::ExportChunk {
                    export_id,
                    last,
                    file,
                },
                buffer: Some(to_buffer(&bytes)),
                blocks: Vec::new(),
            })
        }
        RequestBody::Chart { result_id, spec } => {
            let output = kept_result(state, result_id, "drawing the chart")?;
            let data = kiln_engine::chart::chart_data(output, &spec)
                .map_err(|e| e.to_user("drawing the chart"))?;
            Ok(Reply::new(ResponseBody::Chart { result_id, data }))
        }
        RequestBody::Profile { result_id } => {
            let output = kept_result(state, result_id, "profiling the result")?;
            let start = now_ms();
            let mut profile = kiln_engine::profile::profile(output)
                .await
                .map_err(|e| e.to_user("profiling the result"))?;
            profile.elapsed_ms = now_ms() - start;
            Ok(Reply::new(ResponseBody::Profiled { result_id, profile }))
        }
        RequestBody::CloseExport { export_id } => {
            state.exports.remove(&export_id);
            Ok(Reply::new(ResponseBody::ExportClosed { export_id }))
        }
        RequestBody::FetchPage {
            result_id,
            offset,
            limit,
        } => {
            let output = kept_result(state, result_id, "paging the result")?;
            let page = results::page(output, offset, limit)
                .map_err(|e| e.to_user("formatting the result"))?;
            Ok(Reply::new(ResponseBody::Page { result_id, page }))
        }
        RequestBody::ExportParquet { table } => {
            let output = state
                .engine
                .sql(&format!("SELECT * FROM \"{table}\""))
                .await?;
            let bytes = results::write_parquet(&output, Vec::new())
                .map_err(|e| e.to_user(format!("writing {table} as Parquet")))?;
            let file_name = format!("{table}.parquet");
            Ok(Reply {
                body: ResponseBody::Download {
                    file_name,
                    mime: "application/vnd.apache.parquet".into(),
                },
                buffer: Some(to_buffer(&bytes)),
                blocks: Vec::new(),
            })
        }
    }
}

fn kept_result<'a>(
    state: &'a WorkerState,
    result_id: u64,
    context: &str,
) -> Result<&'a QueryOutput, UserError> {
    state
        .results
        .iter()
        .find(|(id, ..)| *id == result_id)
        .map(|(_, output, _)| output)
        .ok_or_else(|| UserError {
            context: context.into(),
            message: "this result is no longer kept; run the query again".into(),
            location: None,
        })
}

fn tables(engine: &Engine, rejected: Vec<UserError>, sources: Vec<StoreSource>) -> ResponseBody {
    ResponseBody::Tables {
        tables: engine.tables(),
        rejected,
        sources,
    }
}

/// Keeps a finished query's batches for paging and answers with its first page.
fn keep_result(
    state: &mut WorkerState,
    output: QueryOutput,
    folder: Option<String>,
    elapsed_ms: f64,
    page_size: u64,
) -> Result<Reply, UserError> {
    let summary = results::summary(&output, elapsed_ms);
    let page = match results::page(&output, 0, page_size) {
        Ok(page) => page,
        Err(e) => {
            if let Some(folder) = folder {
                remove_result_files(folder);
            }
            return Err(e.to_user("formatting the result"));
        }
    };
    let result_id = state.next_result;
    state.next_result += 1;
    state.results.push_back((result_id, output, folder));
    while state.results.len() > KEPT_RESULTS {
        if let Some((_, _, Some(folder))) = state.results.pop_front() {
            remove_result_files(folder);
        }
    }
    Ok(Reply::new(ResponseBody::QueryDone {
        result_id,
        summary,
        page,
    }))
}

/// What a task running in this worker is lent: the clock, and progress messages posted
/// to the page from inside the task. No stop flag: the page ends a worker to cancel.
fn task_hooks(attempt: AttemptId) -> TaskHooks {
    TaskHooks {
        clock: Arc::new(now_ms),
        progress: Arc::new(move |progress: TaskProgress| {
            let msg = Object::new();
            let posted = (|| -> Result<(), JsValue> {
                Reflect::set(&msg, &"kind".into(), &"progress".into())?;
                Reflect::set(
                    &msg,
                    &"attempt".into(),
                    &serde_wasm_bindgen::to_value(&attempt)?,
                )?;
                Reflect::set(
                    &msg,
                    &"progress".into(),
                    &serde_wasm_bindgen::to_value(&progress)?,
                )?;
                scope().post_message(&msg)
            })();
            // Progress is advisory: a lost report only delays the bar.
            let _ = posted;
        }),
        stop: None,
    }
}
