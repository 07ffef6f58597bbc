//! `kiln`: the engine on the command line, for tests, benchmarks and scripts.

mod inputs;
mod jobs;
mod matrix;
mod output;
mod pyspark;
mod schema_text;

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use kiln_engine::results::{self, OutputFormat};
use kiln_engine::{Engine, EngineConfig};
use kiln_protocol::{JobOptions, UserError};

#[derive(Parser)]
#[command(name = "kiln", version, about = "Kiln: batch jobs over Parquet files")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a SQL query over files: `kiln sql "SELECT ..." trips=yellow.parquet zones=lookup.csv`
    Sql {
        query: String,
        /// Tables as `name=path` or just `path` (the name is derived from the file name).
        /// A path may be a file, a folder (one table, `key=value` folders become
        /// partition columns) or a quoted glob.
        tables: Vec<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// DataFusion's target partitions (parallelism); default: the number of cores.
        #[arg(long)]
        partitions: Option<usize>,
        /// Print the elapsed time to stderr.
        #[arg(long)]
        time: bool,
        /// Print the result's column profiles (nulls, distinct, min/max, histogram or
        /// top values per column, as the page's result header shows them) as JSON,
        /// instead of the rows.
        #[arg(long)]
        profile: bool,
        #[command(flatten)]
        job: JobArgs,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Show how a query would run: its physical plan, or (`--stages`) the plan cut into
    /// stages at its shuffles, gathers and broadcasts.
    Explain {
        query: String,
        tables: Vec<String>,
        #[arg(long)]
        stages: bool,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        /// Tasks per stage (DataFusion's target partitions); default: the number of cores.
        #[arg(long)]
        partitions: Option<usize>,
        /// Row groups of a scan task add up to about this many MB of file.
        #[arg(long, default_value_t = 128)]
        split_mb: u64,
    },
    /// Show what is in a Parquet file (or folder): rows, row groups, column statistics.
    Schema {
        path: String,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Run a PySpark DataFrame program (`spark.read`, transformations, `show`, `write`).
    Pyspark {
        file: String,
        /// Tables `spark.table(name)` can name, as `name=path` or `path`.
        tables: Vec<String>,
        /// Print the DataFrame this variable holds at the end, instead of the program's
        /// own output.
        #[arg(long)]
        result: Option<String>,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        #[arg(long)]
        partitions: Option<usize>,
        #[command(flatten)]
        job: JobArgs,
    },
    /// Run a pipeline (the page's pipeline builder, saved as JSON) over table arguments.
    Pipeline {
        file: String,
        /// The tables its steps read, as `name=path` or `path`.
        tables: Vec<String>,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        /// Print the pipeline's PySpark program instead of running it.
        #[arg(long)]
        print_program: bool,
        #[arg(long)]
        partitions: Option<usize>,
        #[command(flatten)]
        job: JobArgs,
    },
    /// Export a job to run on Apache Spark: a PySpark script or a Spark SQL file that
    /// reads the same files below an input folder.
    Export {
        /// What to export: `sql` (QUERY is SQL), `pyspark` (a program file) or
        /// `pipeline` (a pipeline file).
        #[arg(value_enum)]
        kind: ExportKind,
        query: String,
        tables: Vec<String>,
        /// `pyspark` for a script for spark-submit, `spark-sql` for a SQL file.
        #[arg(long, value_enum, default_value_t = ExportTo::Pyspark)]
        to: ExportTo,
        /// Paths below this folder become paths below the script's `--input`.
        #[arg(long, default_value = ".")]
        input_root: std::path::PathBuf,
        #[arg(long, default_value = "kiln-job")]
        title: String,
    },
    /// Write a table (e.g. a CSV file) as a zstd-compressed Parquet file.
    Convert {
        input: String,
        output: std::path::PathBuf,
    },
    /// Run every query of a file directly and as jobs with each worker count and split
    /// size, printing each answer (or error) as JSON, one line per query: what the
    /// differential tests compare with each other and with DuckDB.
    Matrix {
        /// A JSON array of SQL queries.
        queries: std::path::PathBuf,
        tables: Vec<String>,
        /// Worker counts to run each query as a job with (tasks per shuffle: twice as many).
        #[arg(long, value_delimiter = ',', default_value = "1,2,4,8")]
        workers: Vec<usize>,
        /// Split sizes in KB to run each job with.
        #[arg(long, value_delimiter = ',', default_value = "131072")]
        split_kb: Vec<u64>,
        /// Memory budgets per worker, in MB, to run each job with too (at the first
        /// split size): its sorts, aggregations and joins spill past them.
        #[arg(long, value_delimiter = ',')]
        memory_mb: Vec<u64>,
    },
    /// Generate sample data.
    Gen {
        #[command(subcommand)]
        dataset: Dataset,
    },
}

/// Running a query as a distributed job: stages and tasks on worker threads, as the page
/// runs them on web workers.
#[derive(clap::Args)]
struct JobArgs {
    /// Run as a job on this many worker threads (as the page does on web workers);
    /// without it, DataFusion runs the query directly.
    #[arg(long)]
    workers: Option<usize>,
    /// Row groups of a scan task add up to about this many MB of file.
    #[arg(long, default_value_t = 128)]
    split_mb: u64,
    /// The same in KB, instead of `--split-mb`: small files cut into many tasks.
    #[arg(long)]
    split_kb: Option<u64>,
    /// Write the job's events to this file as JSON.
    #[arg(long)]
    events: Option<std::path::PathBuf>,
    /// Print stages and tasks to stderr as they start and finish.
    #[arg(long)]
    progress: bool,
    /// Fault injection: the chance that a task attempt fails on purpose.
    #[arg(long, default_value_t = 0.0)]
    fail_probability: f64,
    /// Fault injection: kill the worker running the n-th task attempt (0-based).
    #[arg(long)]
    kill_worker_at: Option<u32>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Each worker's memory budget (`64MB`, `1GB`, bytes): sorts, aggregations and
    /// sort-merge joins spill to temp files past it; joins whose build side may not fit
    /// are planned as sort-merge joins.
    #[arg(long, value_parser = parse_size)]
    memory_per_worker: Option<u64>,
}

/// `64MB`, `1.5GB`, `512KB` or plain bytes, in powers of 1024 as memory is counted.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 64MB or 1GB"))?;
    let scale = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1u64,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?}: use KB, MB or GB")),
    };
    let bytes = number * scale as f64;
    if bytes < 1.0 {
        return Err(format!("{text:?} is too small for a memory budget"));
    }
    Ok(bytes as u64)
}

impl JobArgs {
    /// What a scan task's row groups add up to, in bytes.
    pub(crate) fn split_bytes(&self) -> u64 {
        match self.split_kb {
            Some(kb) => kb.max(1) * 1024,
            None => self.split_mb.max(1) * 1024 * 1024,
        }
    }
}

#[derive(Subcommand)]
enum Dataset {
    /// Taxi trips (yellow and green, one file per month) and the 265-zone lookup.
    Taxi {
        /// Total trip rows, yellow and green together.
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 3)]
        months: u32,
        /// Also for-hire vehicle (FHV) trips (then 70% yellow, 10% green, 20% FHV).
        #[arg(long)]
        fhv: bool,
        /// `monthly` (TLC file names) or `lake` (`yellow/year=2024/month=01/part-00000.parquet`).
        #[arg(long, value_enum, default_value_t = GenLayout::Monthly)]
        layout: GenLayout,
        /// With `--layout lake`: rows per part file of a month.
        #[arg(long, default_value_t = kiln_gen::LAKE_PART_ROWS)]
        part_rows: u64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GenLayout {
    Monthly,
    Lake,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportKind {
    Sql,
    Pyspark,
    Pipeline,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportTo {
    Pyspark,
    SparkSql,
}

#[derive(Clone, Copy, ValueEnum)]
enum TextOrJson {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn one_line(e: &UserError) -> String {
    let position = e
        .location
        .map(|l| format!(" (at line {}, column {})", l.line, l.column))
        .unwrap_or_default();
    format!("{}: {}{position}", e.context, e.message.replace('\n', " "))
}

pub(crate) fn cli_error(context: &str, message: impl ToString) -> UserError {
    UserError {
        context: context.to_string(),
        message: message.to_string(),
        location: None,
    }
}

fn default_partitions() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

async fn run(command: Command) -> Result<(), UserError> {
    match command {
        Command::Pyspark {
            file,
            tables,
            result,
            format,
            partitions,
            job,
        } => {
            let mut engine = engine_with_tables(partitions, &tables).await?;
            let source = std::fs::read_to_string(&file)
                .map_err(|e| cli_error(&format!("reading {file}"), e))?;
            let args = pyspark::RunArgs {
                result: result.as_deref(),
                json: matches!(format, TextOrJson::Json),
                workers: job.workers,
                partitions: partitions.unwrap_or(2 * job.workers.unwrap_or(1)),
                job: &job,
            };
            pyspark::run(&mut engine, &file, &source, &args).await
        }
        Command::Pipeline {
            file,
            tables,
            format,
            print_program,
            partitions,
            job,
        } => {
            let program = pipeline_program(&file)?;
            if print_program {
                print!("{program}");
                return Ok(());
            }
            let mut engine = engine_with_tables(partitions, &tables).await?;
            let args = pyspark::RunArgs {
                result: None,
                json: matches!(format, TextOrJson::Json),
                workers: job.workers,
                partitions: partitions.unwrap_or(2 * job.workers.unwrap_or(1)),
                job: &job,
            };
            pyspark::run(&mut engine, &file, &program, &args).await
        }
        Command::Export {
            kind,
            query,
            tables,
            to,
            input_root,
            title,
        } => {
            let engine = engine_with_tables(None, &tables).await?;
            let base = input_root.canonicalize().unwrap_or(input_root);
            let relative = |p: &str| relative_to(&base, p);
            let export = match kind {
                ExportKind::Sql => {
                    kiln_engine::program::export_sql(&engine, &title, &query, &relative).await?
                }
                ExportKind::Pyspark | ExportKind::Pipeline => {
                    let source = match kind {
                        ExportKind::Pipeline => pipeline_program(&query)?,
                        _ => std::fs::read_to_string(&query)
                            .map_err(|e| cli_error(&format!("reading {query}"), e))?,
                    };
                    pyspark::run_source(&engine, &source)
                        .await?
                        .export(&title, &relative)?
                }
            };
            let scripts = kiln_engine::program::scripts(&title, export);
            for note in &scripts.notes {
                eprintln!("note: {note}");
            }
            let text = match to {
                ExportTo::Pyspark => scripts.pyspark,
                ExportTo::SparkSql => scripts.spark_sql.ok_or_else(|| {
                    cli_error(
                        "exporting to Spark SQL",
                        "the program shows or writes no DataFrame, so it has no query",
                    )
                })?,
            };
            print!("{text}");
            Ok(())
        }
        Command::Sql {
            query,
            tables,
            format,
            partitions,
            time,
            profile,
            job,
            output: save,
        } => {
            let mut engine = engine_with_tables(partitions, &tables).await?;
            let start = Instant::now();
            let output = match job.workers {
                Some(workers) => {
                    let partitions = partitions.unwrap_or(2 * workers);
                    jobs::run(&mut engine, &query, partitions, workers, &job).await?
                }
                None => engine.sql(&query).await?,
            };
            if time {
                eprintln!("elapsed: {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
            }
            if save.wanted() {
                return save.save(&output);
            }
            if profile {
                let start = Instant::now();
                let mut profile = kiln_engine::profile::profile(&output)
                    .await
                    .map_err(|e| e.to_user("profiling the result"))?;
                profile.elapsed_ms = start.elapsed().as_secs_f64() * 1e3;
                if time {
                    eprintln!("profile: {:.1} ms", profile.elapsed_ms);
                }
                let text = serde_json::to_string_pretty(&profile)
                    .map_err(|e| cli_error("writing the profile", e))?;
                println!("{text}");
                return Ok(());
            }
            let format = match format {
                Format::Table => OutputFormat::Table,
                Format::Csv => OutputFormat::Csv,
                Format::Json => OutputFormat::Json,
            };
            let mut stdout = std::io::stdout().lock();
            results::write_text(&output, format, &mut stdout)
                .map_err(|e| e.to_user("writing the result"))?;
            stdout
                .flush()
                .map_err(|e| cli_error("writing the result", e))
        }
        Command::Matrix {
            queries,
            tables,
            workers,
            split_kb,
            memory_mb,
        } => {
            let mut engine = engine_with_tables(None, &tables).await?;
            matrix::run(&mut engine, &queries, &workers, &split_kb, &memory_mb).await
        }
        Command::Explain {
            query,
            tables,
            stages,
            format,
            partitions,
            split_mb,
        } => {
            let mut engine = engine_with_tables(partitions, &tables).await?;
            let text = if stages {
                let options = JobOptions {
                    partitions: partitions.unwrap_or_else(default_partitions),
                    split_bytes: split_mb.max(1) * 1024 * 1024,
                    ..Default::default()
                };
                let graph = engine.plan_job(&query, &options).await?.graph;
                match format {
                    TextOrJson::Json => serde_json::to_string_pretty(&graph)
                        .map_err(|e| cli_error("writing JSON", e))?,
                    TextOrJson::Text => kiln_engine::distributed::render(&graph),
                }
            } else {
                kiln_engine::displayable_plan(&engine.physical_plan(&query).await?)
            };
            print!("{text}");
            Ok(())
        }
        Command::Schema { path, format } => {
            let mut engine = Engine::new(EngineConfig::default());
            let table = inputs::add_table_arg(&mut engine, &path).await?;
            let text = match format {
                TextOrJson::Json => serde_json::to_string_pretty(&table)
                    .map_err(|e| cli_error("writing JSON", e))?,
                TextOrJson::Text => schema_text::render(&table),
            };
            println!("{text}");
            Ok(())
        }
        Command::Convert { input, output } => {
            let mut engine = Engine::new(EngineConfig {
                target_partitions: default_partitions(),
            });
            let table = inputs::add_table_arg(&mut engine, &input).await?;
            let result = engine.sql(&format!("SELECT * FROM {}", table.name)).await?;
            let context = format!("writing {}", output.display());
            let file = std::fs::File::create(&output).map_err(|e| cli_error(&context, e))?;
            results::write_parquet(&result, file).map_err(|e| e.to_user(&context))?;
            eprintln!("wrote {} rows to {}", result.num_rows(), output.display());
            Ok(())
        }
        Command::Gen {
            dataset:
                Dataset::Taxi {
                    rows,
                    out,
                    seed,
                    months,
                    fhv,
                    layout,
                    part_rows,
                },
        } => {
            let config = kiln_gen::TaxiConfig {
                rows,
                seed,
                months,
                fhv,
                layout: match layout {
                    GenLayout::Monthly => kiln_gen::Layout::Monthly,
                    GenLayout::Lake => kiln_gen::Layout::Lake { part_rows },
                },
                ..Default::default()
            };
            let written = kiln_gen::write_taxi(&config, &out)
                .map_err(|e| cli_error(&format!("generating taxi data in {}", out.display()), e))?;
            for path in written {
                println!("{}", path.display());
            }
            Ok(())
        }
    }
}

/// A pipeline file's program, ending in the action the page runs: its last step's
/// DataFrame shown whole (or its write).
fn pipeline_program(file: &str) -> Result<String, UserError> {
    let context = format!("reading the pipeline {file}");
    let text = std::fs::read_to_string(file).map_err(|e| cli_error(&context, e))?;
    let pipeline: kiln_pipeline::Pipeline =
        serde_json::from_str(&text).map_err(|e| cli_error(&context, e))?;
    let program = pipeline.to_pyspark().map_err(|e| cli_error(&context, e))?;
    Ok(program.runnable())
}

/// `path` relative to `base` when it lies below it (as the Spark export's `--input`
/// expects); otherwise as given.
fn relative_to(base: &std::path::Path, path: &str) -> String {
    let p = std::path::Path::new(path);
    let absolute = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map_or(p.to_path_buf(), |d| d.join(p))
    };
    match absolute.strip_prefix(base) {
        Ok(rest) if !rest.as_os_str().is_empty() => rest.to_string_lossy().replace('\\', "/"),
        _ => path.to_string(),
    }
}

/// An engine with the tables named on the command line.
async fn engine_with_tables(
    partitions: Option<usize>,
    tables: &[String],
) -> Result<Engine, UserError> {
    let mut engine = Engine::new(EngineConfig {
        target_partitions: partitions.unwrap_or_else(default_partitions),
    });
    for spec in tables {
        inputs::add_table_arg(&mut engine, spec).await?;
    }
    Ok(engine)
}
