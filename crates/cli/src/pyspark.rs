//! `kiln pyspark FILE.py`: a PySpark program run on the engine. `spark.read` opens local
//! paths (files, folders, globs) the way `kiln sql` table arguments do; `df.write` writes
//! like `kiln sql --write` (a file per partition, `partitionBy` folders, `_SUCCESS`).

use std::path::Path;

use datafusion::prelude::DataFrame;
use futures::FutureExt;
use kiln_engine::export::write_output;
use kiln_engine::results::{self, OutputFormat};
use kiln_engine::{Engine, QueryOutput};
use kiln_protocol::{ExportFormat, FileLayout, UserError, WriteOptions};
use kiln_pyspark::{Output, ReadRequest};

use crate::{cli_error, inputs};

pub async fn run(
    engine: &mut Engine,
    file: &str,
    result: Option<&str>,
    json: bool,
) -> Result<(), UserError> {
    let source =
        std::fs::read_to_string(file).map_err(|e| cli_error(&format!("reading {file}"), e))?;
    let ctx = engine.context().clone();
    let engine_cell = std::cell::RefCell::new(engine);
    let mut read = |request: ReadRequest| {
        let engine = &engine_cell;
        // The interpreter awaits each read before it goes on, so this borrow never meets
        // another one.
        #[allow(clippy::await_holding_refcell_ref)]
        async move {
            let mut frames: Vec<DataFrame> = Vec::new();
            for path in &request.paths {
                let table = {
                    let mut engine = engine.borrow_mut();
                    inputs::add_table_arg(&mut engine, path).await
                }
                .map_err(|e| e.to_string())?;
                let ctx = engine.borrow().context().clone();
                frames.push(ctx.table(&table.name).await.map_err(|e| e.to_string())?);
            }
            let mut frames = frames.into_iter();
            let first = frames.next().ok_or("no path")?;
            frames.try_fold(first, |all, df| {
                all.union_by_name(df).map_err(|e| e.to_string())
            })
        }
        .boxed_local()
    };
    let (outputs, interpreter) =
        kiln_pyspark::run(&ctx, &source, &mut read)
            .await
            .map_err(|e| UserError {
                context: format!("running {file}"),
                message: e.to_string(),
                location: None,
            })?;
    let context = |line: usize| format!("running {file}, line {line}");
    if let Some(name) = result {
        let df = interpreter.frame(name).ok_or_else(|| {
            cli_error(
                &format!("running {file}"),
                format!("no DataFrame named `{name}`"),
            )
        })?;
        return print_frame(df, json, &context(0)).await;
    }
    for output in outputs {
        match output {
            Output::Text { text, .. } => println!("{text}"),
            Output::Frame { line, df } => print_frame(df, json, &context(line)).await?,
            Output::Write {
                line,
                df,
                path,
                format,
                mode,
                partition_by,
                files,
            } => write(df, &path, &format, &mode, partition_by, files)
                .await
                .map_err(|e| cli_error(&context(line), e))?,
        }
    }
    Ok(())
}

async fn print_frame(df: DataFrame, json: bool, context: &str) -> Result<(), UserError> {
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.map_err(|e| cli_error(context, e))?;
    let output = QueryOutput {
        schema,
        task_batches: vec![batches.len()],
        batches,
    };
    let format = if json {
        OutputFormat::Json
    } else {
        OutputFormat::Table
    };
    results::write_text(&output, format, &mut std::io::stdout().lock())
        .map_err(|e| e.to_user(context.to_string()))
}

/// `df.write.<format>(path, mode=..., partitionBy=...)`: a file per partition of the plan
/// (or per `coalesce(n)` / `repartition(n)` group), like Spark.
async fn write(
    df: DataFrame,
    path: &str,
    format: &str,
    mode: &str,
    partition_by: Vec<String>,
    files: Option<usize>,
) -> Result<(), String> {
    let format = match format {
        "parquet" => ExportFormat::Parquet,
        "csv" => ExportFormat::Csv,
        "json" => ExportFormat::JsonLines,
        other => return Err(format!("writing {other} is not supported")),
    };
    let root = Path::new(path);
    match mode {
        "overwrite" if root.exists() => {
            std::fs::remove_dir_all(root).map_err(|e| format!("replacing {path}: {e}"))?;
        }
        "overwrite" => {}
        "ignore" if root.exists() => return Ok(()),
        "append" => {}
        _ if root.exists() => return Err(format!("{path} already exists (mode {mode})")),
        _ => {}
    }
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let tasks = df.collect_partitioned().await.map_err(|e| e.to_string())?;
    let options = WriteOptions {
        format,
        partition_by,
        files: files.map_or(FileLayout::Tasks, |n| FileLayout::Coalesce { n }),
    };
    let written = write_output(&schema, &tasks, &options).map_err(|e| e.to_string())?;
    for (file, bytes) in &written {
        let target = root.join(&file.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&target, bytes).map_err(|e| format!("writing {}: {e}", target.display()))?;
    }
    std::fs::create_dir_all(root).map_err(|e| e.to_string())?;
    std::fs::write(root.join("_SUCCESS"), b"").map_err(|e| e.to_string())
}
