//! PySpark programs over the engine's tables, as the page runs them: the program is
//! interpreted (kiln-pyspark) in a session of its own, its `spark.read` paths open the
//! picked files ([`Engine::open_path`]), and each action it takes (`show`, `collect`,
//! `write`) becomes a job, as each action is a job in Spark. Also the export of a
//! program to Spark, where its paths become paths below `--input` / `--output`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{DataFrame, SessionContext};
use futures::FutureExt;
use futures::future::LocalBoxFuture;
use kiln_protocol::{
    FileFormat, JobOptions, JobPlan, ProgramSchemas, ProgramStep, UserError, WriteSpec,
};
use kiln_pyspark::{Interpreter, Output, PathSite, PathUse, ReadRequest};

use crate::engine::scanned_tables;
use crate::error::EngineError;
use crate::spark_export::{ScriptBody, SparkSource, pyspark_script, spark_sql_script};
use crate::spark_sql::to_spark_sql;
use crate::{Engine, spark_sql};

/// A program after its run: what it showed and wrote, and what it read from where.
pub struct ProgramRun {
    pub source: String,
    pub outputs: Vec<Output>,
    pub sites: Vec<PathSite>,
    /// The catalog's tables, by name: what `spark.table` and `spark.sql` may name.
    pub tables: BTreeMap<String, SparkSource>,
    /// What the program read by path, by the name its scans carry.
    pub path_reads: BTreeMap<String, SparkSource>,
    pub ctx: SessionContext,
    /// The program's variables after the run.
    pub interpreter: Interpreter,
}

/// A program's text and result as Spark runs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparkExport {
    pub pyspark: String,
    /// The last DataFrame the program shows or writes, as one Spark SQL query; `None`
    /// when the program has no action.
    pub spark_sql: Option<String>,
    /// Lines whose paths are not string literals and were left as written.
    pub paths_left_alone: Vec<usize>,
}

/// Opens what a program's `spark.read` names: one path, as the program spells it.
pub type Opener<'a> =
    dyn Fn(String) -> LocalBoxFuture<'a, Result<(Arc<dyn TableProvider>, FileFormat), String>> + 'a;

fn program_error(e: kiln_pyspark::PySparkError) -> UserError {
    UserError {
        context: format!("running the PySpark program, line {}", e.line),
        message: e.message,
        location: Some(kiln_protocol::SqlSpan {
            line: e.line as u64,
            column: 1,
            end_line: None,
            end_column: None,
        }),
    }
}

fn check_format(requested: &str, found: FileFormat, path: &str) -> Result<(), String> {
    let wanted = match requested {
        "parquet" => FileFormat::Parquet,
        "csv" => FileFormat::Csv,
        "json" => FileFormat::JsonLines,
        other => return Err(format!("reading {other} files is not supported")),
    };
    if wanted == found {
        Ok(())
    } else {
        Err(format!(
            "read.{requested}({path:?}) names {found:?} files; read them with the matching reader"
        ))
    }
}

impl Engine {
    /// Runs `source` over this engine's tables as the page does: `spark.table(name)`
    /// names a table, `spark.read.<format>(path)` a picked folder or file
    /// ([`Engine::open_path`]).
    pub async fn run_program(&self, source: &str) -> Result<ProgramRun, UserError> {
        let open = |path: String| {
            async move { self.open_path(&path).await.map_err(|e| e.message) }.boxed_local()
        };
        self.run_program_with(source, &open).await
    }

    /// Runs `source`, opening what `spark.read` names with `open`.
    pub async fn run_program_with<'a>(
        &'a self,
        source: &str,
        open: &'a Opener<'a>,
    ) -> Result<ProgramRun, UserError> {
        let (run, error) = self.run_program_partly(source, open).await?;
        match error {
            Some(e) => Err(self.with_suggestion(e)),
            None => Ok(run),
        }
    }

    /// Runs `source` as far as it goes: the run holds the variables set before the
    /// statement that failed, if one did.
    async fn run_program_partly<'a>(
        &'a self,
        source: &str,
        open: &'a Opener<'a>,
    ) -> Result<(ProgramRun, Option<UserError>), UserError> {
        let ctx = self.program_context().await?;
        let tables: BTreeMap<String, SparkSource> = self
            .tables()
            .into_iter()
            .map(|t| {
                let source = SparkSource {
                    view: t.name.clone(),
                    path: t.root.clone(),
                    format: t.format,
                };
                (t.name, source)
            })
            .collect();
        let opened: RefCell<BTreeMap<String, SparkSource>> = RefCell::new(BTreeMap::new());
        let mut read = |request: ReadRequest| {
            let (ctx, opened) = (ctx.clone(), &opened);
            async move {
                let mut frames: Vec<DataFrame> = Vec::new();
                for path in &request.paths {
                    let (provider, format) = open(path.clone()).await?;
                    check_format(&request.format, format, path)?;
                    // Scans carry this name; the export maps it back to the path.
                    let name = format!("path_{}", opened.borrow().len() + 1);
                    ctx.register_table(name.as_str(), provider)
                        .map_err(|e| e.to_string())?;
                    let source = SparkSource {
                        view: name.clone(),
                        path: path.clone(),
                        format,
                    };
                    opened.borrow_mut().insert(name.clone(), source);
                    frames.push(ctx.table(name.as_str()).await.map_err(|e| e.to_string())?);
                }
                let mut frames = frames.into_iter();
                let first = frames.next().ok_or("no path")?;
                frames.try_fold(first, |all, df| {
                    all.union_by_name(df).map_err(|e| e.to_string())
                })
            }
            .boxed_local()
        };
        let mut interpreter = Interpreter::new(ctx.clone(), source);
        let (outputs, error) = match interpreter.run(&mut read).await {
            Ok(outputs) => (outputs, None),
            Err(e) => (Vec::new(), Some(program_error(e))),
        };
        let run = ProgramRun {
            source: source.to_string(),
            outputs,
            sites: interpreter.path_sites().to_vec(),
            tables,
            path_reads: opened.into_inner(),
            ctx: interpreter.context().clone(),
            interpreter,
        };
        Ok((run, error))
    }

    /// The schema of each of `vars` after running `source` (a pipeline's program,
    /// which has no actions), and the first `rows` rows of `preview`, computed here in
    /// one go (a preview is small).
    pub async fn describe_program(
        &self,
        source: &str,
        vars: &[String],
        preview: Option<&str>,
        rows: u64,
    ) -> Result<ProgramSchemas, UserError> {
        let open = |path: String| {
            async move { self.open_path(&path).await.map_err(|e| e.message) }.boxed_local()
        };
        let (run, error) = self.run_program_partly(source, &open).await?;
        let schemas = vars
            .iter()
            .map(|v| {
                run.interpreter.frame(v).map(|df| {
                    df.schema()
                        .fields()
                        .iter()
                        .map(|f| crate::sql_types::field_summary(f))
                        .collect()
                })
            })
            .collect();
        let preview = match preview.and_then(|v| run.interpreter.frame(v)) {
            Some(df) if error.is_none() => {
                let batches = df
                    .limit(0, Some(rows as usize))
                    .map_err(|e| EngineError::from(e).to_user("previewing the step"))?
                    .collect()
                    .await
                    .map_err(|e| EngineError::from(e).to_user("previewing the step"))?;
                Some(
                    crate::results::page_of(&batches, 0, rows)
                        .map_err(|e| e.to_user("previewing the step"))?,
                )
            }
            _ => None,
        };
        Ok(ProgramSchemas {
            schemas,
            preview,
            error,
        })
    }

    /// The program's outputs in order: its text as it is, each action as a job.
    pub async fn plan_program(
        &mut self,
        run: &ProgramRun,
        options: &JobOptions,
    ) -> Result<Vec<ProgramStep>, UserError> {
        let mut steps = Vec::new();
        for output in &run.outputs {
            match output {
                Output::Text { line, text } => steps.push(ProgramStep::Text {
                    line: *line as u64,
                    text: text.clone(),
                }),
                Output::Frame { line, df } => {
                    let plan = self
                        .plan_logical_job(&run.describe(*line), df.logical_plan().clone(), options)
                        .await?;
                    steps.push(ProgramStep::Job {
                        line: *line as u64,
                        plan: Box::new(plan),
                        write: None,
                    })
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
                    let plan: JobPlan = self
                        .plan_logical_job(&run.describe(*line), df.logical_plan().clone(), options)
                        .await?;
                    let format = match format.as_str() {
                        "parquet" => kiln_protocol::ExportFormat::Parquet,
                        "csv" => kiln_protocol::ExportFormat::Csv,
                        "json" => kiln_protocol::ExportFormat::JsonLines,
                        other => {
                            return Err(UserError {
                                context: format!("running line {line}"),
                                message: format!("writing {other} files is not supported"),
                                location: None,
                            });
                        }
                    };
                    let tasks = plan.graph.stages.last().map_or(1, |s| s.tasks as u64);
                    let layout = file_layout(*files);
                    let file_count = match layout {
                        kiln_protocol::FileLayout::Tasks => tasks,
                        kiln_protocol::FileLayout::Repartition { n } => n as u64,
                        kiln_protocol::FileLayout::Coalesce { n } => (n as u64).min(tasks),
                    };
                    steps.push(ProgramStep::Job {
                        line: *line as u64,
                        plan: Box::new(plan),
                        write: Some(WriteSpec {
                            path: path.clone(),
                            mode: mode.clone(),
                            options: kiln_protocol::WriteOptions {
                                format,
                                partition_by: partition_by.clone(),
                                files: layout,
                            },
                            file_count,
                        }),
                    })
                }
            }
        }
        Ok(steps)
    }
}

/// How many files a program's write makes, as Spark would: a file per task of the last
/// stage, `n` after `repartition(n)`, at most `n` after `coalesce(n)`.
pub fn file_layout(files: Option<kiln_pyspark::Partitioning>) -> kiln_protocol::FileLayout {
    use kiln_protocol::FileLayout;
    use kiln_pyspark::Partitioning;
    match files {
        None => FileLayout::Tasks,
        Some(Partitioning::Repartition(n)) => FileLayout::Repartition { n },
        Some(Partitioning::Coalesce(n)) => FileLayout::Coalesce { n },
    }
}

impl ProgramRun {
    /// "line 12: report.show()": what a job of this program shows as its text.
    pub fn describe(&self, line: usize) -> String {
        let text = self
            .source
            .lines()
            .nth(line.saturating_sub(1))
            .map(str::trim)
            .unwrap_or_default();
        format!("line {line}: {text}")
    }

    /// The DataFrame of the program's last action.
    pub fn result(&self) -> Option<&DataFrame> {
        self.outputs.iter().rev().find_map(|o| match o {
            Output::Frame { df, .. } | Output::Write { df, .. } => Some(df),
            Output::Text { .. } => None,
        })
    }

    /// The program as a PySpark script and its result as Spark SQL. `relative` turns a
    /// path as the program spells it into one relative to the input (or output) folder.
    pub fn export(
        &self,
        title: &str,
        relative: &dyn Fn(&str) -> String,
    ) -> Result<SparkExport, UserError> {
        let fail = |e: EngineError| e.to_user("exporting the program to Spark");
        let (text, paths_left_alone) = kiln_pyspark::rewrite_paths(
            &self.source,
            &self.sites,
            &|site: &PathSite, path: &str| {
                let helper = match site.use_ {
                    PathUse::Read => "inp",
                    PathUse::Write => "out",
                };
                format!(
                    "{helper}({})",
                    kiln_pipeline::python::py_str(&relative(path))
                )
            },
        );
        // Views only for the catalog's tables the program names (`spark.table`,
        // `spark.sql`): what it reads by path it reads by path on Spark too.
        let mut scanned: Vec<String> = Vec::new();
        for output in &self.outputs {
            if let Output::Frame { df, .. } | Output::Write { df, .. } = output {
                scanned.extend(scanned_tables(df.logical_plan()));
            }
        }
        let views: Vec<SparkSource> = self
            .tables
            .values()
            .filter(|s| scanned.contains(&s.view))
            .map(|s| SparkSource {
                path: relative(&s.path),
                ..s.clone()
            })
            .collect();
        let pyspark = pyspark_script(title, &views, &ScriptBody::Program { text }).map_err(fail)?;
        let spark_sql = match self.result() {
            Some(df) => Some(self.spark_sql(title, df.logical_plan(), relative)?),
            None => None,
        };
        Ok(SparkExport {
            pyspark,
            spark_sql,
            paths_left_alone,
        })
    }

    fn spark_sql(
        &self,
        title: &str,
        plan: &LogicalPlan,
        relative: &dyn Fn(&str) -> String,
    ) -> Result<String, UserError> {
        let fail = |e: EngineError| e.to_user("writing the program's result as Spark SQL");
        let query = to_spark_sql(&self.ctx.state(), plan).map_err(fail)?;
        let scanned = scanned_tables(plan);
        let views: Vec<SparkSource> = self
            .tables
            .values()
            .chain(self.path_reads.values())
            .filter(|s| scanned.contains(&s.view))
            .map(|s| SparkSource {
                path: relative(&s.path),
                ..s.clone()
            })
            .collect();
        spark_sql_script(title, &views, &query).map_err(fail)
    }
}

/// A SQL job as a PySpark script and a Spark SQL file over the tables it reads.
pub async fn export_sql(
    engine: &Engine,
    title: &str,
    sql: &str,
    relative: &dyn Fn(&str) -> String,
) -> Result<SparkExport, UserError> {
    let state = engine.context().state();
    let plan = state
        .create_logical_plan(sql)
        .await
        .map_err(|e| EngineError::from(e).to_user("planning the query"))?;
    let fail = |e: EngineError| e.to_user("exporting the query to Spark");
    let query = spark_sql::to_spark_sql(&state, &plan).map_err(fail)?;
    let views: Vec<SparkSource> = engine
        .tables_of(&plan)
        .into_iter()
        .map(|t| SparkSource {
            view: t.name,
            path: relative(&t.root),
            format: t.format,
        })
        .collect();
    let pyspark = pyspark_script(
        title,
        &views,
        &ScriptBody::Query {
            spark_sql: query.clone(),
        },
    )
    .map_err(fail)?;
    let spark_sql = spark_sql_script(title, &views, &query).map_err(fail)?;
    Ok(SparkExport {
        pyspark,
        spark_sql: Some(spark_sql),
        paths_left_alone: Vec::new(),
    })
}

/// An export as the page and the CLI hand it over, with what the user should know.
pub fn scripts(title: &str, export: SparkExport) -> kiln_protocol::SparkScripts {
    let notes = export
        .paths_left_alone
        .iter()
        .map(|line| {
            format!("line {line}: the path is not a string literal, so it was left as written; point it below --input by hand")
        })
        .collect();
    kiln_protocol::SparkScripts {
        title: title.to_string(),
        pyspark: export.pyspark,
        spark_sql: export.spark_sql,
        notes,
    }
}
