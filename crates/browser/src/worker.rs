//! The worker's side of the page <-> worker protocol (see `kiln_protocol::messages`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::Arc;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use kiln_engine::results;
use kiln_engine::{BytesSource, Engine, EngineConfig, QueryOutput, SourceFile};
use kiln_protocol::{Request, RequestBody, Response, ResponseBody, UserError};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, File};

use crate::file_source::BrowserFile;

/// The sample's tables, named as in batch-processing courses: (name, the generated
/// folder or file they come from, whether it is a folder).
const SAMPLE_TABLES: [(&str, &str, bool); 3] = [
    ("yellow_tripdata", "yellow", true),
    ("green_tripdata", "green", true),
    ("zones", kiln_gen::ZONE_PARQUET_PATH, false),
];

/// Results kept for paging; older ones are dropped to bound the worker's memory.
const KEPT_RESULTS: usize = 4;

struct WorkerState {
    engine: Engine,
    results: VecDeque<(u64, QueryOutput)>,
    next_result: u64,
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

fn post(response: &Response, buffer: Option<ArrayBuffer>) -> Result<(), JsValue> {
    let msg = Object::new();
    Reflect::set(&msg, &"kind".into(), &"response".into())?;
    Reflect::set(
        &msg,
        &"response".into(),
        &serde_wasm_bindgen::to_value(response)?,
    )?;
    match buffer {
        Some(buffer) => {
            Reflect::set(&msg, &"buffer".into(), &buffer)?;
            scope().post_message_with_transfer(&msg, &Array::of1(&buffer))
        }
        None => scope().post_message(&msg),
    }
}

/// Handles one message from the page: `{ kind: 'request', request, files }`.
#[wasm_bindgen]
pub async fn handle_message(data: JsValue) -> Result<(), JsValue> {
    let request: Request = serde_wasm_bindgen::from_value(Reflect::get(&data, &"request".into())?)?;
    let files: Vec<File> = Reflect::get(&data, &"files".into())
        .ok()
        .filter(Array::is_array)
        .map(|a| Array::from(&a).iter().map(JsCast::unchecked_into).collect())
        .unwrap_or_default();
    let mut state = STATE
        .with(|s| s.borrow_mut().take())
        .unwrap_or_else(WorkerState::new);
    let reply = handle(&mut state, request.body, files).await;
    STATE.with(|s| *s.borrow_mut() = Some(state));
    let (body, buffer) = match reply {
        Ok(reply) => reply,
        Err(error) => (ResponseBody::Error { error }, None),
    };
    post(
        &Response {
            id: request.id,
            body,
        },
        buffer,
    )
}

type Reply = (ResponseBody, Option<ArrayBuffer>);

async fn handle(
    state: &mut WorkerState,
    body: RequestBody,
    files: Vec<File>,
) -> Result<Reply, UserError> {
    match body {
        RequestBody::AddFiles { files: described } => {
            let mut sources = Vec::with_capacity(described.len());
            let mut rejected = Vec::new();
            for (incoming, file) in described.into_iter().zip(files) {
                match BrowserFile::new(file) {
                    Ok(source) => sources.push(SourceFile {
                        path: incoming.path,
                        source: Arc::new(source),
                    }),
                    Err(e) => rejected.push(UserError {
                        context: format!("opening {}", incoming.path),
                        message: e.0,
                        location: None,
                    }),
                }
            }
            let (_, mut refused) = state.engine.add_files(sources).await;
            rejected.append(&mut refused);
            Ok((tables(&state.engine, rejected), None))
        }
        RequestBody::GenerateSample { rows } => {
            let config = kiln_gen::TaxiConfig {
                rows,
                ..Default::default()
            };
            let generated = kiln_gen::generate_taxi(&config).map_err(|e| UserError {
                context: "generating the sample data".into(),
                message: e.to_string(),
                location: None,
            })?;
            let mut rejected = Vec::new();
            for (name, root, is_folder) in SAMPLE_TABLES {
                let files = generated
                    .iter()
                    .filter_map(|f| {
                        let path = if is_folder {
                            f.path.strip_prefix(root)?.strip_prefix('/')?
                        } else {
                            (f.path == root).then_some(root)?
                        };
                        Some(SourceFile {
                            path: path.to_string(),
                            source: Arc::new(BytesSource(f.bytes.clone())),
                        })
                    })
                    .collect();
                let name = kiln_engine::naming::unique_name(name, |n| state.engine.has_table(n));
                let (table, mut refused) = state
                    .engine
                    .add_table(Some(&name), root, is_folder, files)
                    .await;
                rejected.append(&mut refused);
                if let Err(e) = table {
                    rejected.push(e);
                }
            }
            Ok((tables(&state.engine, rejected), None))
        }
        RequestBody::RenameTable { from, to } => {
            state.engine.rename_table(&from, &to)?;
            Ok((tables(&state.engine, Vec::new()), None))
        }
        RequestBody::RemoveTable { name } => {
            state.engine.remove_table(&name)?;
            Ok((tables(&state.engine, Vec::new()), None))
        }
        RequestBody::RunSql { sql, page_size } => {
            let start = now_ms();
            let output = state.engine.sql(&sql).await?;
            let elapsed_ms = now_ms() - start;
            let summary = results::summary(&output, elapsed_ms);
            let page = results::page(&output.batches, 0, page_size)
                .map_err(|e| e.to_user("formatting the result"))?;
            let result_id = state.next_result;
            state.next_result += 1;
            state.results.push_back((result_id, output));
            while state.results.len() > KEPT_RESULTS {
                state.results.pop_front();
            }
            Ok((
                ResponseBody::QueryDone {
                    result_id,
                    summary,
                    page,
                },
                None,
            ))
        }
        RequestBody::FetchPage {
            result_id,
            offset,
            limit,
        } => {
            let (_, output) = state
                .results
                .iter()
                .find(|(id, _)| *id == result_id)
                .ok_or_else(|| UserError {
                    context: "paging the result".into(),
                    message: "this result is no longer kept; run the query again".into(),
                    location: None,
                })?;
            let page = results::page(&output.batches, offset, limit)
                .map_err(|e| e.to_user("formatting the result"))?;
            Ok((ResponseBody::Page { result_id, page }, None))
        }
        RequestBody::ExportParquet { table } => {
            let output = state
                .engine
                .sql(&format!("SELECT * FROM \"{table}\""))
                .await?;
            let bytes = results::write_parquet(&output, Vec::new())
                .map_err(|e| e.to_user(format!("writing {table} as Parquet")))?;
            let buffer = Uint8Array::from(bytes.as_slice()).buffer();
            let file_name = format!("{table}.parquet");
            Ok((
                ResponseBody::Download {
                    file_name,
                    mime: "application/vnd.apache.parquet".into(),
                },
                Some(buffer),
            ))
        }
    }
}

fn tables(engine: &Engine, rejected: Vec<UserError>) -> ResponseBody {
    ResponseBody::Tables {
        tables: engine.tables(),
        rejected,
    }
}
