//! The engine: a DataFusion session plus the tables the user has added.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use kiln_protocol::{JobId, JobOptions, JobPlan, TableSummary, UserError};
use url::Url;

use crate::catalog::{self, SourceFile};
use crate::error::EngineError;
use crate::naming;
use crate::source_store::{STORE_URL, SourceStore};

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// DataFusion's `target_partitions`. Inside one wasm instance this must be 1: there
    /// are no threads, and Kiln's parallelism comes from running tasks on many workers.
    pub target_partitions: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            target_partitions: 1,
        }
    }
}

struct TableEntry {
    summary: TableSummary,
    provider: Arc<dyn TableProvider>,
    /// Where the table's files sit in the store; removed with the table.
    root: String,
}

pub struct Engine {
    ctx: SessionContext,
    store: Arc<SourceStore>,
    tables: Vec<TableEntry>,
    /// Store folders are never reused, even by tables opened through `&self`.
    next_root: std::sync::atomic::AtomicU64,
    next_job: JobId,
}

pub use crate::query_output::QueryOutput;

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        let mut session = SessionConfig::new()
            .with_target_partitions(config.target_partitions.max(1))
            .with_information_schema(true);
        // Spans let planning errors ("column x not found") point into the SQL text.
        session.options_mut().sql_parser.collect_spans = true;
        // A task runs one partition of a scan and must read exactly its split: with
        // work stealing a partition's stream would take files meant for its siblings.
        session
            .options_mut()
            .execution
            .enable_file_stream_work_stealing = false;
        let ctx = SessionContext::new_with_config(session);
        // A job's plan may call it (see `distributed::scalar_subquery`), and a pool
        // worker decodes the plan with this session's functions.
        ctx.register_udaf(crate::distributed::scalar_subquery::scalar_subquery_value());
        let store = Arc::new(SourceStore::default());
        let url = Url::parse(STORE_URL).expect("STORE_URL is a valid URL");
        ctx.register_object_store(&url, store.clone());
        Self {
            ctx,
            store,
            tables: Vec::new(),
            next_root: std::sync::atomic::AtomicU64::new(1),
            next_job: 1,
        }
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    fn state(&self) -> SessionState {
        self.ctx.state()
    }

    /// The store paths a source was put at when its table was added: what a pool
    /// worker must register to read the table's files.
    pub fn store_paths(&self, source: &Arc<dyn crate::RangeSource>) -> Vec<String> {
        self.store
            .paths_of(source)
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    /// Makes `source` readable at `path` (a path `store_paths` gave on another engine),
    /// without a table: pool workers run plan fragments that name files by path.
    pub fn register_source(
        &self,
        path: &str,
        source: Arc<dyn crate::RangeSource>,
    ) -> Result<(), UserError> {
        let parsed = object_store::path::Path::parse(path).map_err(|e| UserError {
            context: format!("registering {path}"),
            message: e.to_string(),
            location: None,
        })?;
        self.store.insert(parsed, source);
        Ok(())
    }

    pub fn tables(&self) -> Vec<TableSummary> {
        self.tables.iter().map(|t| t.summary.clone()).collect()
    }

    pub fn has_table(&self, name: &str) -> bool {
        self.tables.iter().any(|t| t.summary.name == name)
    }

    /// Adds files as the browser hands them over: lone files become a table each, files
    /// under a common folder one table. Returns the tables added and the files refused.
    pub async fn add_files(
        &mut self,
        files: Vec<SourceFile>,
    ) -> (Vec<TableSummary>, Vec<UserError>) {
        let groups = naming::group_paths(files.iter().map(|f| f.path.as_str()));
        let mut added = Vec::new();
        let mut rejected = Vec::new();
        for group in groups {
            let is_folder = group.members.len() > 1 || group.members[0].1 != group.root;
            let members = group
                .members
                .into_iter()
                .map(|(i, path)| SourceFile {
                    path,
                    source: files[i].source.clone(),
                })
                .collect();
            let (table, mut refused) = self.add_table(None, &group.root, is_folder, members).await;
            rejected.append(&mut refused);
            match table {
                Ok(t) => added.push(t),
                Err(e) => rejected.push(e),
            }
        }
        (added, rejected)
    }

    /// Adds one table from files below one root. `name` overrides the name derived from
    /// `root_name`; `is_folder` says whether `files` are paths below a folder.
    pub async fn add_table(
        &mut self,
        name: Option<&str>,
        root_name: &str,
        is_folder: bool,
        files: Vec<SourceFile>,
    ) -> (Result<TableSummary, UserError>, Vec<UserError>) {
        let name = match name {
            Some(n) => {
                if let Err(e) = self.check_new_name(n) {
                    return (Err(e), Vec::new());
                }
                n.to_string()
            }
            None => naming::unique_name(&naming::identifier_from_name(root_name), |n| {
                self.has_table(n)
            }),
        };
        let root = self.new_root();
        let (prepared, rejected) = catalog::prepare_table(
            &self.state(),
            &self.store,
            &root,
            root_name,
            is_folder,
            files,
        )
        .await;
        let result = prepared.and_then(|table| {
            self.ctx
                .register_table(name.as_str(), table.provider.clone())
                .map_err(|e| EngineError::from(e).to_user(format!("registering {name}")))?;
            let summary = TableSummary {
                name: name.clone(),
                format: table.format,
                schema: table.schema,
                partition_columns: table.partition_columns,
                files: table.files,
                root: root_name.to_string(),
                is_folder,
            };
            self.tables.push(TableEntry {
                summary: summary.clone(),
                provider: table.provider,
                root,
            });
            Ok(summary)
        });
        (result, rejected)
    }

    fn new_root(&self) -> String {
        let n = self
            .next_root
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("t{n}")
    }

    /// A table over `files` that is not in the catalog: what a program reads by a path
    /// outside it (the CLI's local files). Its files are readable by path like any.
    pub async fn open_files(
        &self,
        is_folder: bool,
        files: Vec<SourceFile>,
    ) -> Result<(Arc<dyn TableProvider>, kiln_protocol::FileFormat), UserError> {
        let root = self.new_root();
        let label = files
            .first()
            .map_or_else(|| "the files".to_string(), |f| f.path.clone());
        let (prepared, rejected) =
            catalog::prepare_table(&self.state(), &self.store, &root, &label, is_folder, files)
                .await;
        if let Some(first) = rejected.into_iter().next() {
            return Err(first);
        }
        prepared.map(|t| (t.provider, t.format))
    }

    fn check_new_name(&self, name: &str) -> Result<(), UserError> {
        let problem = if !naming::is_valid_identifier(name) || name.to_ascii_lowercase() != name {
            Some(format!(
                "`{name}` is not a plain SQL name: use lowercase letters, digits and _, not starting with a digit"
            ))
        } else if self.has_table(name) {
            Some(format!("a table named `{name}` already exists"))
        } else {
            None
        };
        match problem {
            Some(message) => Err(UserError {
                context: "naming a table".into(),
                message,
                location: None,
            }),
            None => Ok(()),
        }
    }

    pub fn rename_table(&mut self, from: &str, to: &str) -> Result<(), UserError> {
        if from == to {
            return Ok(());
        }
        self.check_new_name(to)?;
        let entry = self.entry_mut(from)?;
        entry.summary.name = to.to_string();
        let provider = entry.provider.clone();
        let registered = self
            .ctx
            .deregister_table(from)
            .and_then(|_| self.ctx.register_table(to, provider));
        registered
            .map(|_| ())
            .map_err(|e| EngineError::from(e).to_user(format!("renaming {from} to {to}")))
    }

    /// Records where a table's files were picked from (the CLI: the path as given), for
    /// programs that read it by path and for exports to Spark.
    pub fn set_root(&mut self, name: &str, root: &str) -> Result<(), UserError> {
        self.entry_mut(name)?.summary.root = root.to_string();
        Ok(())
    }

    pub fn remove_table(&mut self, name: &str) -> Result<(), UserError> {
        let index = self.index_of(name)?;
        let entry = self.tables.remove(index);
        self.store
            .remove_prefix(&object_store::path::Path::from(entry.root.as_str()));
        self.ctx
            .deregister_table(name)
            .map(|_| ())
            .map_err(|e| EngineError::from(e).to_user(format!("removing {name}")))
    }

    fn index_of(&self, name: &str) -> Result<usize, UserError> {
        self.tables
            .iter()
            .position(|t| t.summary.name == name)
            .ok_or_else(|| UserError {
                context: format!("finding table {name}"),
                message: format!("there is no table named `{name}`"),
                location: None,
            })
    }

    fn entry_mut(&mut self, name: &str) -> Result<&mut TableEntry, UserError> {
        let index = self.index_of(name)?;
        Ok(&mut self.tables[index])
    }

    /// Plans and runs one SQL statement, collecting the whole result.
    pub async fn sql(&self, sql: &str) -> Result<QueryOutput, UserError> {
        let df = self.plan(sql).await?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let scanned = scanned_tables(df.logical_plan());
        let batches = df.collect().await.map_err(|e| {
            let error = EngineError::from(e);
            let context = if error.is_read_error() {
                format!(
                    "running the query, reading {}",
                    self.describe_files(&scanned)
                )
            } else {
                "running the query".to_string()
            };
            error.to_user(context)
        })?;
        Ok(QueryOutput::new(schema, batches))
    }

    async fn plan(&self, sql: &str) -> Result<datafusion::prelude::DataFrame, UserError> {
        let plan = self.logical_plan(sql).await?;
        crate::known_wrong::check_plan(&plan).map_err(|e| e.to_user("planning the query"))?;
        // What `SessionContext::sql` checks before it runs a plan.
        datafusion::execution::context::SQLOptions::new()
            .verify_plan(&plan)
            .map_err(|e| EngineError::from(e).to_user("planning the query"))?;
        self.ctx
            .execute_logical_plan(plan)
            .await
            .map_err(|e| self.with_suggestion(EngineError::from(e).to_user("planning the query")))
    }

    /// `sql` as a logical plan, refused where DataFusion would answer its statement
    /// wrongly (see [`crate::known_wrong`]; the plan itself is checked by its callers,
    /// as a program's plans are).
    async fn logical_plan(&self, sql: &str) -> Result<LogicalPlan, UserError> {
        let state = self.state();
        let fail = |e: EngineError| self.with_suggestion(e.to_user("planning the query"));
        let dialect = state.config().options().sql_parser.dialect;
        let statement = state
            .sql_to_statement(sql, &dialect)
            .map_err(|e| fail(e.into()))?;
        crate::known_wrong::check_statement(&statement).map_err(fail)?;
        let plan = state
            .statement_to_plan(statement)
            .await
            .map_err(|e| fail(e.into()))?;
        Ok(plan)
    }

    /// Adds the nearest existing name to an error about a table or column that does
    /// not exist.
    pub fn with_suggestion(&self, mut error: UserError) -> UserError {
        let tables: Vec<String> = self.tables.iter().map(|t| t.summary.name.clone()).collect();
        if let Some(hint) = crate::error::suggest(&error.message, &tables) {
            error.message = format!("{}: {hint}", error.message.trim_end_matches('.'));
        }
        error
    }

    /// The physical plan DataFusion would run for `sql`, with this engine's partitioning.
    pub async fn physical_plan(
        &self,
        sql: &str,
    ) -> Result<Arc<dyn datafusion::physical_plan::ExecutionPlan>, UserError> {
        self.plan(sql)
            .await?
            .create_physical_plan()
            .await
            .map_err(|e| EngineError::from(e).to_user("planning the query"))
    }

    /// Plans `sql` as a distributed job: DataFusion plans it for `options.partitions`
    /// tasks per stage, then scans are split by row groups and the plan is cut into
    /// stages with serialized fragments.
    pub async fn plan_job(
        &mut self,
        sql: &str,
        options: &JobOptions,
    ) -> Result<JobPlan, UserError> {
        let logical = self.logical_plan(sql).await?;
        self.plan_logical_job(sql, logical, options).await
    }

    /// Plans a logical plan made elsewhere (a DataFrame of a PySpark program) as a
    /// distributed job; `text` is what the job shows as its source.
    pub async fn plan_logical_job(
        &mut self,
        text: &str,
        logical: LogicalPlan,
        options: &JobOptions,
    ) -> Result<JobPlan, UserError> {
        crate::known_wrong::check_plan(&logical).map_err(|e| e.to_user("planning the query"))?;
        // DataFusion's AnalyzeExec runs the whole plan under it in one process (it
        // spawns a tokio task, which a worker does not have): a job's stages run as
        // separate tasks, so there is no one plan for it to measure.
        if matches!(logical, LogicalPlan::Analyze(_)) {
            return Err(UserError {
                context: "planning the query".into(),
                message: "EXPLAIN ANALYZE is not supported: a job runs in stages on several \
                          workers, not as one plan. Run the query itself: the physical plan \
                          then shows each operator's rows and times, as EXPLAIN ANALYZE would"
                    .into(),
                location: None,
            });
        }
        let (state, splits) =
            crate::distributed::planner::job_session(self.state(), options, self.store.clone());
        let optimized = state
            .optimize(&logical)
            .map_err(|e| EngineError::from(e).to_user("optimizing the query"))?;
        let physical = state
            .query_planner()
            .create_physical_plan(&optimized, &state)
            .await
            .map_err(|e| {
                let error = EngineError::from(e);
                let context = if error.is_read_error() {
                    format!(
                        "splitting the input of {}",
                        self.describe_files(&scanned_tables(&logical))
                    )
                } else {
                    "planning the query".into()
                };
                error.to_user(context)
            })?;
        let answer = if options.result_to_disk {
            None
        } else {
            crate::distributed::planned_answer::answer(&physical, state.task_ctx()).await
        };
        let job_id = self.next_job;
        self.next_job += 1;
        crate::distributed::planner::plan_job(
            job_id,
            text,
            &logical,
            &optimized,
            physical,
            &splits.take_names(),
            answer,
        )
        .map(|plan| JobPlan {
            memory_per_worker: options.memory_per_worker,
            ..plan
        })
        .map_err(|e| e.to_user("cutting the plan into stages"))
    }

    /// A session for programs (PySpark) over this engine's tables: the same settings,
    /// files and tables, but a catalog of its own, so the views a program registers
    /// never replace or shadow the user's tables.
    pub async fn program_context(&self) -> Result<SessionContext, UserError> {
        let state = self.state();
        let ctx =
            SessionContext::new_with_config_rt(state.config().clone(), state.runtime_env().clone());
        for table in &self.tables {
            ctx.register_table(table.summary.name.as_str(), table.provider.clone())
                .map_err(|e| {
                    EngineError::from(e).to_user(format!("opening {}", table.summary.name))
                })?;
        }
        Ok(ctx)
    }

    /// What a program's `spark.read.parquet(path)` reads: a table by its SQL name, by
    /// the folder or file it was picked from, or part of a folder table (a sub-folder,
    /// one of its files, or a glob below it). Paths are as picked: `yellow`,
    /// `yellow/year=2024/month=01`, `yellow/*/*/*.parquet`.
    pub async fn open_path(
        &self,
        path: &str,
    ) -> Result<(Arc<dyn TableProvider>, kiln_protocol::FileFormat), UserError> {
        let wanted = path.trim().trim_start_matches("./").trim_end_matches('/');
        let fail = |message: String| UserError {
            context: format!("reading {path}"),
            message,
            location: None,
        };
        if let Some(t) = self
            .tables
            .iter()
            .find(|t| t.summary.name == wanted || t.summary.root == wanted)
        {
            return Ok((t.provider.clone(), t.summary.format));
        }
        let below = self.tables.iter().find_map(|t| {
            let rest = wanted
                .strip_prefix(t.summary.root.as_str())?
                .strip_prefix('/')?;
            t.summary.is_folder.then_some((t, rest))
        });
        match below {
            Some((t, rest)) => catalog::open_below(&self.state(), &t.root, &t.summary, rest)
                .await
                .map(|provider| (provider, t.summary.format))
                .map_err(|e| e.to_user(format!("reading {path}"))),
            None => {
                let known: Vec<String> = self
                    .tables
                    .iter()
                    .map(|t| {
                        let slash = if t.summary.is_folder { "/" } else { "" };
                        format!("{}{slash}", t.summary.root)
                    })
                    .collect();
                Err(fail(if known.is_empty() {
                    "no files are open: pick files or a folder first, then read them by name".into()
                } else {
                    format!(
                        "no picked file or folder is called {wanted}; open are: {}",
                        known.join(", ")
                    )
                }))
            }
        }
    }

    /// The tables a plan reads, with the files behind each: what an export to Spark
    /// must read again.
    pub fn tables_of(&self, plan: &LogicalPlan) -> Vec<TableSummary> {
        let names = scanned_tables(plan);
        self.tables
            .iter()
            .filter(|t| names.contains(&t.summary.name))
            .map(|t| t.summary.clone())
            .collect()
    }

    /// Runs a planned job on native threads standing in for web workers.
    pub fn run_job(
        &self,
        plan: JobPlan,
        options: &crate::distributed::RunOptions,
        cancel: &std::sync::atomic::AtomicBool,
        on_event: &mut dyn FnMut(&kiln_protocol::JobEvent),
    ) -> Result<QueryOutput, UserError> {
        crate::distributed::run_job(&self.ctx, plan, options, cancel, on_event)
    }

    /// "yellow (a.parquet, b.parquet)": which files a failed read may have come from.
    /// DataFusion's decode errors do not say which file they hit.
    fn describe_files(&self, tables: &[String]) -> String {
        const SHOWN: usize = 3;
        let parts: Vec<String> = self
            .tables
            .iter()
            .filter(|t| tables.contains(&t.summary.name))
            .map(|t| {
                let mut names: Vec<&str> =
                    t.summary.files.iter().map(|f| f.path.as_str()).collect();
                names.sort_unstable();
                let more = names.len().saturating_sub(SHOWN);
                names.truncate(SHOWN);
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!("{} ({}{more})", t.summary.name, names.join(", "))
            })
            .collect();
        if parts.is_empty() {
            "its input".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Names of the tables a plan scans.
pub(crate) fn scanned_tables(plan: &LogicalPlan) -> Vec<String> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let mut names = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            names.push(scan.table_name.table().to_string());
        }
        Ok(TreeNodeRecursion::Continue)
    });
    names
}
