//! The page's one state and its reducer. Everything the UI shows derives from here;
//! the engine client only turns worker messages into `Action`s.
//!
//! Longer than 800 lines on purpose: this is the one reducer, and every `Action`'s arm
//! is here, so every change to what the page shows reads in one place. What it holds
//! is modelled in its room (`result`, `editors`, `jobs`, `workshop`); its tests are in
//! `tests.rs`.

use std::rc::Rc;

use kiln_pipeline::Pipeline;
use kiln_protocol::{
    JobEvent, JobId, ProgramSchemas, RequestId, Response, ResponseBody, ResultPage, SparkScripts,
    TableSummary, UserError,
};
use yew::Reducible;

use crate::editors::history::History;
use crate::editors::tabs::Tabs;
use crate::jobs::program_run::ProgramRun;
use crate::jobs::progress::JobProgress;
use crate::jobs::runner::{RunSettings, SettingChange};
use crate::result::{ExportStatus, ProfileState, QueryResult};

pub const DEFAULT_SQL: &str = "\
-- Add Parquet or CSV files (pick them above or drop them anywhere on the page),
-- or make the sample lake. Each table appears on the left under its SQL name.
-- Ctrl+Enter (Cmd+Enter) runs the query; Ctrl+Space suggests names.
--
-- With the sample lake, for example:
--   SELECT payment_type, count(*) AS trips, avg(total_amount) AS avg_total
--   FROM yellow GROUP BY payment_type ORDER BY trips DESC;
SELECT 'hello' AS greeting, 6 * 7 AS answer;
";

pub const DEFAULT_PROGRAM: &str = "\
# PySpark, run in the page: spark.read opens the files you picked (by folder or file
# name), spark.table(name) a table on the left. Every action (show, collect, write)
# is a job of stages and tasks. With the sample data, for example:
from pyspark.sql import functions as F

trips = spark.read.parquet(\"yellow\")
by_zone = (trips.groupBy(\"PULocationID\")
    .agg(F.count(\"*\").alias(\"trips\"), F.round(F.avg(\"total_amount\"), 2).alias(\"avg_total\"))
    .orderBy(F.desc(\"trips\")))
by_zone.show(10)
";

/// What a request sent to the worker is for, so its response lands in the right place.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    AddFiles,
    /// Planning the sample lake.
    Lake,
    /// Zipping the sample lake for a download.
    LakeZip,
    /// A micro-batch of the stream, and the stream's aggregation as one batch job.
    StreamBatch {
        index: usize,
    },
    StreamWhole,
    /// Housekeeping whose failure is expected and not shown (removing a table that
    /// may not be there).
    Quiet,
    Rename {
        from: String,
        to: String,
    },
    Remove,
    Query {
        sql: String,
    },
    Page {
        result_id: u64,
        offset: u64,
    },
    Export,
    /// Pulling a result's save from the engine, a chunk at a time.
    Save,
    Chart,
    /// Column profiles of a kept result.
    Profile {
        result_id: u64,
    },
    /// Running a PySpark program (or a pipeline's): planning its actions.
    Program,
    /// One action of a program, as a job on the pool.
    ProgramJob {
        job_id: JobId,
    },
    /// The schemas (and a preview) of a pipeline's steps.
    DescribePipeline {
        preview: Option<usize>,
    },
    SparkExport,
    /// Re-sent after an engine restart to rebuild the catalog; its failures are expected
    /// (e.g. a table renamed and later removed) and not shown.
    Replay,
}

impl Pending {
    /// Work the page does on its own after a result (its profiles), shown where it
    /// lands rather than as the page being busy: a person may go on meanwhile.
    fn is_background(&self) -> bool {
        matches!(self, Pending::Profile { .. })
    }

    fn describe(&self) -> &'static str {
        match self {
            Pending::AddFiles => "Adding files",
            Pending::Lake => "Planning the sample lake",
            Pending::LakeZip => "Zipping the sample lake",
            Pending::Quiet => "Tidying up",
            Pending::StreamBatch { .. } => "Running a micro-batch",
            Pending::StreamWhole => "Running the batch job",
            Pending::Rename { .. } => "Renaming",
            Pending::Remove => "Removing",
            Pending::Query { .. } => "Running query",
            Pending::Page { .. } => "Fetching rows",
            Pending::Export => "Writing Parquet",
            Pending::Save => "Saving the result",
            Pending::Chart => "Drawing the chart",
            Pending::Profile { .. } => "Profiling the columns",
            Pending::Program => "Running the program",
            Pending::ProgramJob { .. } => "Running a job",
            Pending::DescribePipeline { .. } => "Checking the pipeline",
            Pending::SparkExport => "Exporting to Spark",
            Pending::Replay => "Restoring tables",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Engine {
    Loading,
    Ready,
    Crashed { message: String },
}

/// What the status bar shows; also the `data-state` browser tests read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Loading,
    Ready,
    Running,
    Crashed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Loading => "loading",
            Status::Ready => "ready",
            Status::Running => "running",
            Status::Crashed => "crashed",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ShownError {
    pub error: UserError,
    /// The SQL as submitted, so a location points into the text that caused it even
    /// after the editor changed.
    pub sql: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Results,
    Chart,
    Explorer,
}

/// Which editor makes the next job: SQL, PySpark text, or the pipeline builder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditorMode {
    Sql,
    PySpark,
    Pipeline,
}

impl EditorMode {
    pub const ALL: [EditorMode; 3] = [EditorMode::Sql, EditorMode::PySpark, EditorMode::Pipeline];

    pub fn label(self) -> &'static str {
        match self {
            EditorMode::Sql => "SQL",
            EditorMode::PySpark => "PySpark",
            EditorMode::Pipeline => "Pipeline",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            EditorMode::Sql => "sql",
            EditorMode::PySpark => "pyspark",
            EditorMode::Pipeline => "pipeline",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }
}

/// The pipeline builder's view of its steps: each step's schema, and the rows of the
/// step being previewed.
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineInfo {
    pub schemas: ProgramSchemas,
    pub preview: Option<usize>,
}

/// A result written into a folder instead of being kept.
#[derive(Clone, Debug, PartialEq)]
pub struct WrittenResult {
    pub request: RequestId,
    pub folder: String,
    pub parts: usize,
    pub bytes: u64,
    pub elapsed_ms: f64,
    /// A part or the `_SUCCESS` marker that could not be written.
    pub error: Option<String>,
}

/// The Spark export panel.
#[derive(Clone, Debug, PartialEq)]
pub enum SparkExportView {
    Loading,
    Ready(SparkScripts),
    Failed(UserError),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub engine: Engine,
    pub in_flight: Vec<(RequestId, Pending)>,
    pub tables: Rc<Vec<TableSummary>>,
    pub rejected: Vec<UserError>,
    pub selected: Option<String>,
    pub sql: String,
    /// The query the page put in the editor for a table just opened; while the editor
    /// still holds it, the next table opened replaces it.
    pub offered_sql: Option<String>,
    pub result: Option<Rc<QueryResult>>,
    pub error: Option<ShownError>,
    pub view: View,
    pub settings: RunSettings,
    /// Every job of the session, oldest first, and event logs loaded to replay; the
    /// last one run is live while it runs.
    pub jobs: Vec<Rc<JobProgress>>,
    /// The job whose views are open, by index in `jobs`; `None` follows the newest.
    pub shown_job: Option<usize>,
    pub job_view: JobView,
    /// The stage whose page is open.
    pub selected_stage: Option<usize>,
    /// A finished job's views as they were this many ms into it (the timeline's scrub).
    pub scrub_ms: Option<f64>,
    pub mode: EditorMode,
    /// The PySpark editor's text.
    pub program: String,
    pub pipeline: Rc<Pipeline>,
    /// The last program's outputs, as the console shows them.
    pub program_run: Option<Rc<ProgramRun>>,
    pub pipeline_info: Option<Rc<PipelineInfo>>,
    /// The newest pipeline description asked for: older answers are stale.
    pub pipeline_request: Option<RequestId>,
    pub spark_export: Option<SparkExportView>,
    /// The sample lake being made, or made.
    pub lake: Option<crate::workshop::lake::LakeStatus>,
    pub schedule: Rc<crate::workshop::schedule::ScheduleState>,
    pub stream: Option<Rc<crate::workshop::stream::StreamState>>,
    /// The link the job was last shared as, while its note shows.
    pub shared_url: Option<String>,
    /// The last result written into a folder rather than kept.
    pub written: Option<WrittenResult>,
    /// Every run, newest first (kept across reloads).
    pub history: Rc<History>,
    /// The SQL editor's tabs; the open one's text and result are `sql` and `result`.
    pub tabs: Rc<Tabs>,
}

/// Now, in ms since the epoch (0 off the browser, where the reducer's tests run).
fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// The views of a job, one at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobView {
    Stages,
    Plans,
    Timeline,
    Jobs,
}

impl JobView {
    pub const ALL: [JobView; 4] = [
        JobView::Stages,
        JobView::Plans,
        JobView::Timeline,
        JobView::Jobs,
    ];

    pub fn label(self) -> &'static str {
        match self {
            JobView::Stages => "Stages",
            JobView::Plans => "Plans",
            JobView::Timeline => "Timeline",
            JobView::Jobs => "Jobs",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    EngineReady,
    /// The engine failed to load, the worker crashed, or it reported a fatal error.
    EngineCrashed(String),
    /// The user stopped a running statement; the worker is being replaced.
    EngineStopped,
    EngineRestarting,
    Sent {
        id: RequestId,
        pending: Pending,
    },
    Received(Response),
    SelectTable(String),
    ShowView(View),
    SqlChanged(String),
    /// A problem found on the page itself, e.g. a dropped folder that couldn't be read.
    ShowError(UserError),
    DismissError,
    DismissRejected,
    /// Events of the running job, in order.
    JobEvents(Vec<JobEvent>),
    /// A new, empty SQL tab, opened.
    NewTab,
    SwitchTab(usize),
    CloseTab(usize),
    ClearHistory,
    Settings(SettingChange),
    /// Opens a stage's page, or closes it when it is the open one.
    SelectStage(usize),
    /// Opens the views of the session's job at this index.
    ShowJob(usize),
    ShowJobView(JobView),
    Scrub(Option<f64>),
    /// Bytes of a result's save written so far; `done` once the file is complete.
    ExportProgress {
        export_id: u64,
        bytes: u64,
        done: bool,
    },
    /// A saved event log to replay, or why it could not be read.
    LoadEventLog(Result<Vec<JobEvent>, UserError>),
    Mode(EditorMode),
    ProgramChanged(String),
    PipelineChanged(Pipeline),
    CloseSparkExport,
    /// The program's run was stopped before its remaining jobs ran.
    ProgramStopped,
    Lake(crate::workshop::lake::LakeStatus),
    /// The kept lake was deleted from the browser's storage.
    LakeForgotten,
    Schedule(crate::workshop::schedule::ScheduleState),
    /// The job was shared as this link (empty: the note is closed).
    Shared(String),
    /// A job's result was written into a folder, part by part.
    ResultWritten(WrittenResult),
    RunUpdate(crate::workshop::schedule::RunUpdate),
    StreamStarted(crate::workshop::stream::StreamSpec),
}

impl AppState {
    /// The job whose views are open.
    pub fn shown_job(&self) -> Option<Rc<JobProgress>> {
        match self.shown_job {
            Some(i) => self.jobs.get(i).cloned(),
            None => self.jobs.last().cloned(),
        }
    }

    fn show_job(&mut self, index: Option<usize>) {
        self.shown_job = index;
        self.selected_stage = None;
        self.scrub_ms = None;
    }

    pub fn new(sql: String, settings: RunSettings) -> Self {
        AppState {
            mode: EditorMode::Sql,
            program: DEFAULT_PROGRAM.to_string(),
            pipeline: Rc::new(Pipeline::default()),
            program_run: None,
            pipeline_info: None,
            pipeline_request: None,
            spark_export: None,
            lake: None,
            schedule: Rc::new(crate::workshop::schedule::ScheduleState::default()),
            stream: None,
            shared_url: None,
            written: None,
            history: Rc::new(History::default()),
            tabs: Rc::new(Tabs::new(sql.clone())),
            settings,
            jobs: Vec::new(),
            shown_job: None,
            job_view: JobView::Stages,
            selected_stage: None,
            scrub_ms: None,
            engine: Engine::Loading,
            in_flight: Vec::new(),
            tables: Rc::new(Vec::new()),
            rejected: Vec::new(),
            selected: None,
            sql,
            offered_sql: None,
            result: None,
            error: None,
            view: View::Results,
        }
    }

    pub fn status(&self) -> Status {
        match self.engine {
            Engine::Crashed { .. } => Status::Crashed,
            Engine::Loading => Status::Loading,
            Engine::Ready if self.in_flight.iter().all(|(_, p)| p.is_background()) => Status::Ready,
            Engine::Ready => Status::Running,
        }
    }

    /// What the engine is busy with, oldest request first.
    pub fn activity(&self) -> Option<&'static str> {
        self.in_flight
            .iter()
            .find(|(_, p)| !p.is_background())
            .map(|(_, p)| p.describe())
    }

    pub fn query_running(&self) -> bool {
        self.in_flight.iter().any(|(_, p)| {
            matches!(
                p,
                Pending::Query { .. } | Pending::Program | Pending::ProgramJob { .. }
            )
        }) || self.program_run.as_ref().is_some_and(|r| !r.finished)
    }

    pub fn can_run(&self) -> bool {
        self.engine == Engine::Ready && !self.query_running() && !self.making_lake()
    }

    /// The editor's job and its settings, as a shared link carries them.
    pub fn shared_job(&self) -> crate::storage::share::SharedJob {
        crate::storage::share::SharedJob {
            mode: self.mode.key().into(),
            sql: (self.mode == EditorMode::Sql).then(|| self.sql.clone()),
            program: (self.mode == EditorMode::PySpark).then(|| self.program.clone()),
            pipeline: (self.mode == EditorMode::Pipeline).then(|| (*self.pipeline).clone()),
            partitions: self.settings.partitions,
            split_mb: Some(self.settings.split_mb),
            cadence: Some(self.schedule.cadence.key()),
            service: Some(self.schedule.service.clone()),
        }
    }

    /// Opens a shared link's job in the editor, with its settings.
    pub fn open_shared(&mut self, job: crate::storage::share::SharedJob) {
        if let Some(mode) = EditorMode::from_key(&job.mode) {
            self.mode = mode;
        }
        if let Some(sql) = job.sql {
            self.sql = sql;
        }
        if let Some(program) = job.program {
            self.program = program;
        }
        if let Some(pipeline) = job.pipeline {
            self.pipeline = Rc::new(pipeline);
        }
        self.settings
            .apply(SettingChange::Partitions(job.partitions));
        if let Some(mb) = job.split_mb {
            self.settings.apply(SettingChange::SplitMb(mb));
        }
        let schedule = Rc::make_mut(&mut self.schedule);
        if let Some(cadence) = job
            .cadence
            .as_deref()
            .and_then(crate::workshop::schedule::Cadence::from_key)
        {
            schedule.cadence = cadence;
        }
        if let Some(service) = job.service {
            schedule.service = service;
        }
    }

    /// The pool is making the sample lake: jobs wait until it is done.
    pub fn making_lake(&self) -> bool {
        self.lake.as_ref().is_some_and(|l| {
            matches!(
                l.phase,
                crate::workshop::lake::LakePhase::Planning
                    | crate::workshop::lake::LakePhase::Making
                    | crate::workshop::lake::LakePhase::Opening
            )
        })
    }

    pub fn selected_table(&self) -> Option<&TableSummary> {
        let name = self.selected.as_deref()?;
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn apply(&mut self, action: Action) {
        match action {
            Action::EngineReady => self.engine = Engine::Ready,
            Action::EngineCrashed(message) => {
                self.engine = Engine::Crashed { message };
                self.worker_gone();
            }
            Action::EngineStopped => {
                self.engine = Engine::Loading;
                self.worker_gone();
            }
            Action::EngineRestarting => self.engine = Engine::Loading,
            Action::Sent { id, pending } => {
                match &pending {
                    Pending::Query { sql } => {
                        Rc::make_mut(&mut self.history).started(id, "sql", sql, now_ms());
                        Rc::make_mut(&mut self.tabs).running = Some(self.tabs.active_id());
                        self.error = None;
                        self.view = View::Results;
                        self.program_run = None;
                        self.written = None;
                    }
                    Pending::Program => {
                        let (kind, text) = match self.mode {
                            EditorMode::Pipeline => (
                                "pipeline",
                                self.pipeline
                                    .to_pyspark()
                                    .map(|p| p.text)
                                    .unwrap_or_default(),
                            ),
                            _ => ("pyspark", self.program.clone()),
                        };
                        Rc::make_mut(&mut self.history).started(id, kind, &text, now_ms());
                        self.error = None;
                        self.program_run = None;
                    }
                    Pending::DescribePipeline { .. } => self.pipeline_request = Some(id),
                    Pending::SparkExport => self.spark_export = Some(SparkExportView::Loading),
                    _ => {}
                }
                if let (Pending::Page { result_id, offset }, Some(result)) =
                    (&pending, &mut self.result)
                    && result.result_id == *result_id
                {
                    Rc::make_mut(result).requested.insert(*offset);
                }
                if let (Pending::Profile { result_id }, Some(result)) = (&pending, &mut self.result)
                    && result.result_id == *result_id
                {
                    Rc::make_mut(result).profile = ProfileState::Running;
                }
                self.in_flight.push((id, pending));
            }
            Action::Received(response) => self.receive(response),
            Action::SelectTable(name) => {
                self.selected = Some(name);
                self.view = View::Explorer;
            }
            Action::ShowView(view) => self.view = view,
            Action::SqlChanged(sql) => self.sql = sql,
            Action::NewTab => {
                self.park_tab();
                let at = Rc::make_mut(&mut self.tabs).add(String::new());
                self.open_tab(at);
            }
            Action::SwitchTab(at) => {
                if at != self.tabs.active && at < self.tabs.list.len() {
                    self.park_tab();
                    self.open_tab(at);
                }
            }
            Action::CloseTab(at) => {
                if self.tabs.list.len() > 1 && at < self.tabs.list.len() {
                    let active = self.tabs.active;
                    let tabs = Rc::make_mut(&mut self.tabs);
                    tabs.list.remove(at);
                    if at < active {
                        tabs.active = active - 1;
                    } else if at == active {
                        // Closing the open tab opens its neighbour, as a switch would.
                        let next = at.min(tabs.list.len() - 1);
                        self.open_tab(next);
                    }
                }
            }
            Action::ClearHistory => self.history = Rc::new(History::default()),
            Action::ShowError(error) => self.error = Some(ShownError { error, sql: None }),
            Action::DismissError => self.error = None,
            Action::DismissRejected => self.rejected.clear(),
            Action::JobEvents(events) => {
                for event in &events {
                    if let (JobEvent::JobSubmitted { job_id, .. }, Some(run)) =
                        (event, &mut self.program_run)
                    {
                        Rc::make_mut(run).started(*job_id);
                    }
                    if let Some(job) = JobProgress::start(event) {
                        self.jobs.push(Rc::new(job));
                        self.show_job(None);
                    } else if let Some(job) = self
                        .jobs
                        .iter_mut()
                        .rev()
                        .find(|j| !j.replayed && j.job_id == event.job_id())
                    {
                        Rc::make_mut(job).apply(event);
                    }
                }
            }
            Action::Settings(change) => self.settings.apply(change),
            Action::ShowJob(index) => {
                if index < self.jobs.len() {
                    self.show_job(Some(index));
                    self.job_view = JobView::Stages;
                }
            }
            Action::ShowJobView(view) => self.job_view = view,
            Action::ExportProgress {
                export_id,
                bytes,
                done,
            } => {
                if let Some(result) = &mut self.result
                    && let Some(export) = &mut Rc::make_mut(result).export
                    && export.export_id == export_id
                {
                    export.bytes = bytes;
                    export.done = done;
                }
            }
            Action::Scrub(at) => self.scrub_ms = at,
            Action::LoadEventLog(Ok(events)) => match JobProgress::replay(&events, None) {
                Some(mut job) => {
                    job.replayed = true;
                    self.jobs.push(Rc::new(job));
                    self.show_job(Some(self.jobs.len() - 1));
                    self.job_view = JobView::Stages;
                }
                None => {
                    self.error = Some(ShownError {
                        error: UserError {
                            context: "loading an event log".into(),
                            message: "the log does not start with a job_submitted event".into(),
                            location: None,
                        },
                        sql: None,
                    })
                }
            },
            Action::LoadEventLog(Err(error)) => self.error = Some(ShownError { error, sql: None }),
            Action::SelectStage(stage) => {
                self.selected_stage = (self.selected_stage != Some(stage)).then_some(stage);
            }
            Action::Mode(mode) => self.mode = mode,
            Action::ProgramChanged(source) => self.program = source,
            Action::PipelineChanged(pipeline) => self.pipeline = Rc::new(pipeline),
            Action::CloseSparkExport => self.spark_export = None,
            Action::Lake(status) => self.lake = Some(status),
            Action::Schedule(schedule) => self.schedule = Rc::new(schedule),
            Action::Shared(url) => self.shared_url = (!url.is_empty()).then_some(url),
            Action::ResultWritten(written) => {
                self.in_flight.retain(|(id, _)| *id != written.request);
                self.result = None;
                self.view = View::Results;
                self.written = Some(written);
            }
            Action::RunUpdate(update) => Rc::make_mut(&mut self.schedule).update(update),
            Action::StreamStarted(spec) => {
                self.stream = Some(Rc::new(crate::workshop::stream::StreamState::new(spec)))
            }
            Action::LakeForgotten => {
                if let Some(lake) = &mut self.lake {
                    lake.kept = false;
                }
            }
            Action::ProgramStopped => {
                if let Some(run) = &mut self.program_run {
                    Rc::make_mut(run).stop();
                }
            }
        }
    }

    /// The open tab's text and result, put back in its tab before another opens.
    fn park_tab(&mut self) {
        let (sql, result) = (self.sql.clone(), self.result.take());
        let tabs = Rc::make_mut(&mut self.tabs);
        if let Some(tab) = tabs.list.get_mut(tabs.active) {
            tab.sql = sql;
            tab.result = result;
        }
    }

    fn open_tab(&mut self, at: usize) {
        let tabs = Rc::make_mut(&mut self.tabs);
        tabs.active = at;
        self.sql = tabs.list[at].sql.clone();
        self.result = tabs.list[at].result.clone();
        self.mode = EditorMode::Sql;
        self.view = View::Results;
        self.error = None;
        self.offered_sql = None;
    }

    /// Whatever was in flight died with the worker, and so did the result it held.
    fn worker_gone(&mut self) {
        Rc::make_mut(&mut self.history).interrupted();
        Rc::make_mut(&mut self.tabs).running = None;
        for tab in &mut Rc::make_mut(&mut self.tabs).list {
            if let Some(result) = &mut tab.result {
                Rc::make_mut(result).detached = true;
            }
        }
        self.in_flight.clear();
        if let Some(run) = &mut self.program_run {
            Rc::make_mut(run).stop();
        }
        if let Some(result) = &mut self.result {
            Rc::make_mut(result).detached = true;
        }
    }

    fn receive(&mut self, Response { id, body }: Response) {
        let pending = self
            .in_flight
            .iter()
            .position(|(i, _)| *i == id)
            .map(|at| self.in_flight.remove(at).1);
        match body {
            ResponseBody::Tables {
                tables, rejected, ..
            } => self.tables_changed(tables, rejected, pending),
            ResponseBody::QueryDone {
                result_id,
                summary,
                page,
            } => {
                match (&pending, &mut self.stream) {
                    (Some(Pending::StreamBatch { index }), Some(stream)) => {
                        Rc::make_mut(stream).micro_batch(*index, &summary, &page);
                        return;
                    }
                    (Some(Pending::StreamWhole), Some(stream)) => {
                        Rc::make_mut(stream).whole_batch(&summary, &page);
                        return;
                    }
                    _ => {}
                }
                if let (Some(Pending::ProgramJob { job_id }), Some(run)) =
                    (&pending, &mut self.program_run)
                {
                    let first = ResultPage {
                        offset: 0,
                        rows: page
                            .rows
                            .iter()
                            .take(crate::jobs::program_run::CONSOLE_ROWS)
                            .cloned()
                            .collect(),
                    };
                    Rc::make_mut(run).done(*job_id, result_id, summary.clone(), first);
                }
                let mut result = QueryResult::new(result_id, summary, page);
                match &pending {
                    Some(Pending::Query { sql }) => {
                        result.sql = Some(sql.clone());
                        result.job_id = self.jobs.last().map(|j| j.job_id);
                        Rc::make_mut(&mut self.history).succeeded(
                            id,
                            Some(result.summary.total_rows),
                            Some(result.summary.elapsed_ms),
                        );
                        // A query run from a tab that is not open any more lands in its tab.
                        let tabs = Rc::make_mut(&mut self.tabs);
                        let owner = tabs.running.take();
                        if let Some(owner) = owner.filter(|o| *o != tabs.active_id()) {
                            if let Some(at) = tabs.index_of(owner) {
                                tabs.list[at].result = Some(Rc::new(result));
                            }
                            return;
                        }
                    }
                    Some(Pending::ProgramJob { job_id }) => result.job_id = Some(*job_id),
                    _ => {}
                }
                self.result = Some(Rc::new(result));
                self.view = View::Results;
            }
            ResponseBody::ProgramPlanned { steps } => {
                Rc::make_mut(&mut self.history).succeeded(id, None, None);
                self.program_run = Some(Rc::new(ProgramRun::new(&steps)));
            }
            ResponseBody::ProgramDescribed { schemas } => {
                if self.pipeline_request == Some(id)
                    && let Some(Pending::DescribePipeline { preview }) = pending
                {
                    self.pipeline_info = Some(Rc::new(PipelineInfo { schemas, preview }));
                }
            }
            ResponseBody::SparkExported { scripts } => {
                self.spark_export = Some(SparkExportView::Ready(scripts));
            }
            ResponseBody::Page { result_id, page } => {
                if let Some(result) = &mut self.result {
                    // A page of an older result arriving late must not land in this one.
                    if result.result_id == result_id {
                        Rc::make_mut(result).insert(page);
                    }
                }
            }
            ResponseBody::ExportOpened {
                export_id,
                file_name,
                files,
                ..
            } => {
                if matches!(pending, Some(Pending::LakeZip | Pending::Quiet)) {
                    return;
                }
                if let Some(result) = &mut self.result {
                    Rc::make_mut(result).export = Some(ExportStatus {
                        export_id,
                        file_name,
                        bytes: 0,
                        files,
                        done: false,
                    });
                }
            }
            ResponseBody::ExportChunk { .. } | ResponseBody::ExportClosed { .. } => {}
            ResponseBody::Chart { result_id, data } => {
                if let Some(result) = &mut self.result
                    && result.result_id == result_id
                {
                    Rc::make_mut(result).chart = Some(Rc::new(data));
                }
            }
            ResponseBody::Profiled { result_id, profile } => {
                let Some(result) = &mut self.result else {
                    return;
                };
                if result.result_id != result_id {
                    return;
                }
                let pass = crate::jobs::progress::ProfilePass {
                    columns: profile.columns.len(),
                    rows: profile.rows,
                    elapsed_ms: profile.elapsed_ms,
                };
                if let Some(job) = result
                    .job_id
                    .and_then(|id| self.jobs.iter_mut().rev().find(|j| j.job_id == id))
                {
                    Rc::make_mut(job).profile = Some(pass);
                }
                Rc::make_mut(result).profile = ProfileState::Ready(Rc::new(profile));
            }
            // The client saved the bytes before dispatching; nothing to show.
            ResponseBody::Download { .. } => {}
            // The engine client handles the job protocol itself and never passes it on.
            ResponseBody::Registered { .. }
            | ResponseBody::LakePlanned { .. }
            | ResponseBody::LakeFileMade { .. }
            | ResponseBody::JobPlanned { .. }
            | ResponseBody::TaskDone { .. }
            | ResponseBody::TaskFailed { .. } => {}
            ResponseBody::Error { error } => {
                if matches!(pending, Some(Pending::Replay | Pending::Quiet)) {
                    return;
                }
                if self.history.is_running(id) {
                    Rc::make_mut(&mut self.history).failed(id, &error.message);
                }
                if matches!(pending, Some(Pending::Query { .. })) {
                    Rc::make_mut(&mut self.tabs).running = None;
                }
                // A profile that failed says so in the header; the result stands.
                if let (Some(Pending::Profile { result_id }), Some(result)) =
                    (&pending, &mut self.result)
                {
                    if result.result_id == *result_id {
                        Rc::make_mut(result).profile = ProfileState::Failed(error.message);
                    }
                    return;
                }
                if let (Some(Pending::Page { result_id, offset }), Some(result)) =
                    (&pending, &mut self.result)
                    && result.result_id == *result_id
                {
                    // The engine let it go (it keeps the last few results): the rows
                    // here stay, and the header says the rest needs a new run.
                    let result = Rc::make_mut(result);
                    result.requested.remove(offset);
                    result.detached = true;
                    return;
                }
                match &pending {
                    Some(Pending::ProgramJob { job_id }) => {
                        if let Some(run) = &mut self.program_run {
                            Rc::make_mut(run).failed(*job_id, error.clone());
                        }
                    }
                    Some(Pending::SparkExport) => {
                        self.spark_export = Some(SparkExportView::Failed(error));
                        return;
                    }
                    Some(Pending::Lake) => {
                        if let Some(lake) = &mut self.lake {
                            lake.phase =
                                crate::workshop::lake::LakePhase::Failed(error.to_string());
                        }
                        return;
                    }
                    Some(Pending::StreamBatch { .. } | Pending::StreamWhole) => {
                        if let Some(stream) = &mut self.stream {
                            let stream = Rc::make_mut(stream);
                            stream.error = Some(error.to_string());
                            stream.finished = true;
                        }
                    }
                    Some(Pending::DescribePipeline { .. }) => {
                        // The builder shows its own errors by step; stale ones are noise.
                        return;
                    }
                    _ => {}
                }
                let sql = match pending {
                    Some(Pending::Query { sql }) => Some(sql),
                    _ => None,
                };
                self.error = Some(ShownError { error, sql });
            }
        }
    }

    /// Whether the SQL editor holds nothing the person wrote.
    fn editor_is_untouched(&self) -> bool {
        let text = self.sql.trim();
        text.is_empty()
            || text == DEFAULT_SQL.trim()
            || self.offered_sql.as_deref().map(str::trim) == Some(text)
    }

    fn tables_changed(
        &mut self,
        tables: Vec<TableSummary>,
        rejected: Vec<UserError>,
        pending: Option<Pending>,
    ) {
        let added_files = matches!(pending, Some(Pending::AddFiles));
        let replay = pending == Some(Pending::Replay);
        // An add replaces the old rejections (they were about an earlier pick); other
        // changes keep them on screen until dismissed. A replay repeats old news.
        if added_files || (!rejected.is_empty() && !replay) {
            self.rejected = rejected;
        }
        let new_table = tables
            .iter()
            .find(|t| !self.tables.iter().any(|old| old.name == t.name))
            .map(|t| t.name.clone());
        if let Some(Pending::Rename { from, to }) = &pending
            && self.selected.as_deref() == Some(from)
        {
            self.selected = Some(to.clone());
        }
        if added_files && let Some(name) = new_table {
            // Offer a query over what was just opened, unless the editor holds the
            // person's own text (the example, or a query offered before, is not theirs).
            if self.editor_is_untouched()
                && let Some(table) = tables.iter().find(|t| t.name == name)
            {
                let sql = crate::editors::sql::starter::starter_sql(table);
                self.offered_sql = Some(sql.clone());
                self.sql = sql;
            }
            self.selected = Some(name);
            // Show what was just added, unless that would hide a result being read.
            if self.result.is_none() {
                self.view = View::Explorer;
            }
        }
        let selected_exists = self
            .selected
            .as_deref()
            .is_some_and(|s| tables.iter().any(|t| t.name == s));
        // Mid-replay the selected table may simply not be back yet.
        let waiting_for_replay = replay && self.selected.is_some();
        if !selected_exists && !waiting_for_replay {
            self.selected = tables.first().map(|t| t.name.clone());
        }
        self.tables = Rc::new(tables);
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests;
