//! `kiln pyspark FILE.py` and `kiln pipeline FILE.json`: a PySpark program (or a
//! pipeline's program) run on the engine the way the page runs it: `spark.read` opens
//! local paths (files, folders, globs) the way `kiln sql` table arguments do,
//! `spark.table(name)` names a table argument, and every action (`show`, `collect`,
//! `write`) runs, directly or with `--workers` as a job on worker threads; `df.write`
//! writes like `kiln sql --write` (a file per task, `partitionBy` folders, `_SUCCESS`).

use std::path::Path;
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::prelude::DataFrame;
use futures::FutureExt;
use kiln_engine::export::write_output;
use kiln_engine::program::ProgramRun;
use kiln_engine::results::{self, OutputFormat};
use kiln_engine::{Engine, QueryOutput};
use kiln_protocol::{
    ExportFormat, FileFormat, JobOptions, ProgramStep, UserError, WriteOptions, WriteSpec,
};
use kiln_pyspark::Output;

use crate::{JobArgs, cli_error, inputs, jobs};

/// How a program's actions run and show.
pub struct RunArgs<'a> {
    /// Print the DataFrame this variable holds at the end instead of the actions.
    pub result: Option<&'a str>,
    pub json: bool,
    /// `Some(n)`: every action is a job on `n` worker threads, as in the page.
    pub workers: Option<usize>,
    pub partitions: usize,
    pub job: &'a JobArgs,
}

/// Opens a local path for the program, as a table outside the catalog.
async fn open_local(
    engine: &Engine,
    path: String,
) -> Result<(Arc<dyn TableProvider>, FileFormat), String> {
    let (_, is_folder, files) = inputs::source_files(&path).map_err(|e| e.to_string())?;
    engine
        .open_files(is_folder, files)
        .await
        .map_err(|e| e.to_string())
}

/// Runs the program in `source`, reading local paths.
pub async fn run_source(engine: &Engine, source: &str) -> Result<ProgramRun, UserError> {
    let open = |path: String| open_local(engine, path).boxed_local();
    engine.run_program_with(source, &open).await
}

pub async fn run(
    engine: &mut Engine,
    file: &str,
    source: &str,
    args: &RunArgs<'_>,
) -> Result<(), UserError> {
    let run = run_source(engine, source).await.map_err(|mut e| {
        e.context = format!("{} ({file})", e.context);
        e
    })?;
    let context = |line: usize| format!("running {file}, line {line}");
    if let Some(name) = args.result {
        let df = run.interpreter.frame(name).ok_or_else(|| {
            cli_error(
                &format!("running {file}"),
                format!("no DataFrame named `{name}`"),
            )
        })?;
        return print_output(&collect(df, &context(0)).await?, args.json, &context(0));
    }
    match args.workers {
        None => {
            for output in &run.outputs {
                match output {
                    Output::Text { text, .. } => println!("{text}"),
                    Output::Frame { line, df } => {
                        let out = collect(df.clone(), &context(*line)).await?;
                        print_output(&out, args.json, &context(*line))?
                    }
                    Output::Write {
                        line,
                        df,
                        path,
                        format,
                        mode,
                        partition_by,
                        files,
                    } => {
                        let spec = WriteSpec {
                            path: path.clone(),
                            mode: mode.clone(),
                            options: WriteOptions {
                                format: export_format(format)
                                    .map_err(|e| cli_error(&context(*line), e))?,
                                partition_by: partition_by.clone(),
                                files: kiln_engine::program::file_layout(*files),
                            },
                            file_count: 0,
                        };
                        let schema = Arc::new(df.schema().as_arrow().clone());
                        let tasks = df
                            .clone()
                            .collect_partitioned()
                            .await
                            .map_err(|e| cli_error(&context(*line), e))?;
                        write(&schema, &tasks, &spec).map_err(|e| cli_error(&context(*line), e))?
                    }
                }
            }
        }
        Some(workers) => {
            let options = JobOptions {
                partitions: args.partitions.max(1),
                split_bytes: args.job.split_bytes(),
                ..Default::default()
            };
            let steps = engine.plan_program(&run, &options).await?;
            for step in steps {
                match step {
                    ProgramStep::Text { text, .. } => println!("{text}"),
                    ProgramStep::Job {
                        line,
                        plan,
                        write: spec,
                    } => {
                        let out = tokio::task::block_in_place(|| {
                            jobs::run_plan(engine, *plan, workers, args.job)
                        })?;
                        let line = line as usize;
                        match spec {
                            None => print_output(&out, args.json, &context(line))?,
                            Some(spec) => out
                                .tasks()
                                .map_err(|e| e.to_string())
                                .and_then(|tasks| write(&out.schema, &tasks, &spec))
                                .map_err(|e| cli_error(&context(line), e))?,
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn export_format(format: &str) -> Result<ExportFormat, String> {
    Ok(match format {
        "parquet" => ExportFormat::Parquet,
        "csv" => ExportFormat::Csv,
        "json" => ExportFormat::JsonLines,
        other => return Err(format!("writing {other} is not supported")),
    })
}

async fn collect(df: DataFrame, context: &str) -> Result<QueryOutput, UserError> {
    let schema = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.map_err(|e| cli_error(context, e))?;
    Ok(QueryOutput::new(schema, batches))
}

fn print_output(output: &QueryOutput, json: bool, context: &str) -> Result<(), UserError> {
    let format = if json {
        OutputFormat::Json
    } else {
        OutputFormat::Table
    };
    results::write_text(output, format, &mut std::io::stdout().lock())
        .map_err(|e| e.to_user(context.to_string()))
}

/// `df.write.<format>(path, mode=..., partitionBy=...)`: a file per task (or per
/// `coalesce(n)` group), `partitionBy` folders and `_SUCCESS`, as Spark writes.
fn write(
    schema: &datafusion::arrow::datatypes::SchemaRef,
    tasks: &[Vec<datafusion::arrow::record_batch::RecordBatch>],
    spec: &WriteSpec,
) -> Result<(), String> {
    let path = spec.path.as_str();
    let root = Path::new(path);
    match spec.mode.as_str() {
        "overwrite" if root.exists() => {
            std::fs::remove_dir_all(root).map_err(|e| format!("replacing {path}: {e}"))?;
        }
        "overwrite" => {}
        "ignore" if root.exists() => return Ok(()),
        "append" => {}
        mode if root.exists() => return Err(format!("{path} already exists (mode {mode})")),
        _ => {}
    }
    let written = write_output(schema, tasks, &spec.options).map_err(|e| e.to_string())?;
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
