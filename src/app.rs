//! Layout and wiring: the state, the engine client, and the components between them.
//!
//! Longer than 800 lines: this is the page's layout and the wiring of every view's
//! callbacks to the engine client and the reducer, one after another; the views
//! themselves are in `components/`.

use kiln_protocol::{ExportTarget, UserError};
use yew::prelude::*;

use crate::components::chart::Chart;
use crate::components::code_editor::{CodeEditor, Language};
use crate::components::console::Console;
use crate::components::crash_banner::CrashBanner;
use crate::components::drop_zone::DropZone;
use crate::components::editor_tabs::EditorTabs;
use crate::components::error_panel::ErrorPanel;
use crate::components::explorer::Explorer;
use crate::components::file_picker::FilePicker;
use crate::components::help_overlay::{HelpOverlay, use_help_key};
use crate::components::history_panel::HistoryPanel;
use crate::components::job_panel::{self, JobPanel};
use crate::components::lake_panel::LakePanel;
use crate::components::pipeline_builder::PipelineBuilder;
use crate::components::resize_handle::{Axis, ResizeHandle};
use crate::components::result_save::ResultSave;
use crate::components::result_table::ResultTable;
use crate::components::spark_export::SparkExport;
use crate::components::status_bar::StatusBar;
use crate::components::table_list::TableList;
use crate::components::workshop::{Workshop, WorkshopTab};
use crate::editors::sql;
use crate::engine_client::EngineClient;
use crate::engine_client::RunSpec;
use crate::jobs::runner::RunSettings;
use crate::jobs::runner::SettingChange;
use crate::lessons::LESSONS;
use crate::state::{Action, AppState, DEFAULT_SQL, EditorMode, Engine, View};
use crate::storage;
use crate::storage::files::PickedFile;
use crate::storage::save::Destination;
use crate::storage::{download, share};

/// One worker per core, as the browser counts them.
fn default_workers() -> usize {
    web_sys::window().map_or(2, |w| w.navigator().hardware_concurrency() as usize)
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| {
        let settings = storage::load_settings()
            .map(|mut s| {
                // Workers beyond this machine's cores, saved on another, would only queue.
                s.workers = s.workers.clamp(1, RunSettings::MAX_WORKERS);
                s
            })
            .unwrap_or_else(|| RunSettings::new(default_workers()));
        let mut state = AppState::new(
            storage::load_sql().unwrap_or_else(|| DEFAULT_SQL.to_string()),
            settings,
        );
        // The tabs as they were: texts, and results' first rows (their engine is new).
        if let Some(tabs) = storage::load_tabs().and_then(crate::editors::tabs::Tabs::restore) {
            let open = &tabs.list[tabs.active];
            state.sql = open.sql.clone();
            state.result = open.result.clone();
            state.tabs = std::rc::Rc::new(tabs);
        }
        if let Some(mut history) = storage::load_history() {
            history.interrupted();
            state.history = std::rc::Rc::new(history);
        }
        if let Some(schedule) = storage::load_schedule() {
            state.schedule = std::rc::Rc::new(schedule);
        }
        if let Some(program) = storage::load_program() {
            state.program = program;
        }
        if let Some(pipeline) = storage::load_pipeline() {
            state.pipeline = std::rc::Rc::new(pipeline);
        }
        if let Some(mode) = storage::load_mode().and_then(|m| EditorMode::from_key(&m)) {
            state.mode = mode;
        }
        // A shared link's job replaces the editor's (what was there is autosaved).
        let hash = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        match share::decode(&hash) {
            Some(Ok(job)) => state.open_shared(job),
            Some(Err(message)) => state.apply(Action::ShowError(UserError {
                context: "opening the shared link".into(),
                message,
                location: None,
            })),
            None => {}
        }
        state
    });
    let dispatcher = state.dispatcher();
    let client = use_memo((), {
        let dispatcher = dispatcher.clone();
        let settings = state.settings.clone();
        move |_| EngineClient::new(dispatcher.to_callback(), settings)
    });
    {
        let client = client.clone();
        use_effect_with((), move |_| client.start());
    }
    use_effect_with(state.sql.clone(), |sql| storage::save_sql(sql));
    use_effect_with(state.program.clone(), |p| storage::save_program(p));
    use_effect_with(state.pipeline.clone(), |p| storage::save_pipeline(p));
    use_effect_with(state.mode, |m| storage::save_mode(m.key()));
    use_effect_with(state.settings.clone(), storage::save_settings);
    use_effect_with(state.schedule.clone(), |s| storage::save_schedule(s));
    use_effect_with(state.history.clone(), |h| storage::save_history(h));
    use_effect_with(
        (state.tabs.clone(), state.sql.clone(), state.result.clone()),
        |(tabs, sql, result)| storage::save_tabs(&tabs.saved(sql, result.as_deref())),
    );
    let history_open = use_state_eq(|| false);
    // Panel sizes, dragged by their handles; the workspace's grid reads them as custom
    // properties set through the CSSOM (the page's CSP refuses style attributes).
    let layout = use_state_eq(|| storage::load_layout().unwrap_or_default());
    use_effect_with(*layout, storage::save_layout);
    let workspace_ref = use_node_ref();
    {
        let workspace_ref = workspace_ref.clone();
        use_effect_with(*layout, move |l| {
            if let Some(el) = workspace_ref.cast::<web_sys::HtmlElement>() {
                let style = el.style();
                let _ = style.set_property("--sidebar-w", &format!("{}px", l.sidebar));
                let _ = style.set_property("--workshop-w", &format!("{}px", l.workshop));
            }
        });
    }
    let resize = |apply: fn(&mut storage::Layout, f64)| {
        let layout = layout.clone();
        Callback::from(move |v: f64| {
            let mut next = *layout;
            apply(&mut next, v);
            layout.set(next);
        })
    };

    // The workshop panel: closed, or open on a tab; the lesson step and the steps done.
    let workshop = use_state_eq(|| None::<WorkshopTab>);
    let lesson_step = use_state_eq(|| storage::load_lesson_step().min(LESSONS.len() - 1));
    let lessons_done = use_state(|| std::rc::Rc::new(storage::load_lessons_done()));
    use_effect_with(*lesson_step, |s| storage::save_lesson_step(*s));
    use_effect_with((*lessons_done).clone(), |d| storage::save_lessons_done(d));
    // The current step points at a part of the page: the workspace names it, and the
    // stylesheet highlights it whatever component renders it, whenever it appears.
    let lesson_focus = (*workshop == Some(WorkshopTab::Lessons))
        .then(|| LESSONS[*lesson_step].focus)
        .flatten();

    // The pipeline's program, or the step that keeps it from being one.
    let pipeline_program = use_memo(state.pipeline.clone(), |p| p.to_pyspark());
    let preview = use_state_eq(|| None::<usize>);
    let help = use_state_eq(|| false);
    use_help_key(help.setter());
    {
        // Each change asks the engine for every step's schema (and the preview's rows).
        // A pipeline that is not a program yet is described up to its faulty step.
        let client = client.clone();
        let pipeline = state.pipeline.clone();
        let show = state.mode == EditorMode::Pipeline && state.engine == Engine::Ready;
        use_effect_with(
            (pipeline, *preview, show),
            move |(pipeline, preview, show)| {
                if *show && !pipeline.steps.is_empty() {
                    let mut describable = (**pipeline).clone();
                    if let Err(e) = pipeline.to_pyspark() {
                        describable.steps.truncate(e.step);
                    }
                    if let Ok(program) = describable.to_pyspark() {
                        let vars = (0..describable.steps.len())
                            .map(kiln_pipeline::step_var)
                            .collect();
                        client.describe_pipeline(program.text, vars, *preview);
                    }
                }
            },
        );
    }
    let pipeline_problem: Option<(usize, String)> = match &*pipeline_program {
        Err(e) => Some((e.step, e.message.clone())),
        Ok(program) => state
            .pipeline_info
            .as_ref()
            .and_then(|info| info.schemas.error.as_ref())
            .and_then(|e| {
                let line = e.location.map(|l| l.line as usize)?;
                Some((program.step_at(line)?, e.message.clone()))
            }),
    };

    let on_files = {
        let client = client.clone();
        Callback::from(move |files: Vec<PickedFile>| client.add_files(files))
    };
    let on_drop_error = dispatcher.to_callback().reform(|message: String| {
        Action::ShowError(UserError {
            context: "reading the dropped folder".into(),
            message,
            location: None,
        })
    });
    let on_lake = {
        let client = client.clone();
        // The tables of an earlier lake make way for the new one's.
        let replace: Vec<String> = state
            .tables
            .iter()
            .filter(|t| ["yellow", "green", "fhv", "taxi_zone_lookup"].contains(&t.name.as_str()))
            .map(|t| t.name.clone())
            .collect();
        Callback::from(move |(config, keep): (kiln_protocol::LakeConfig, bool)| {
            client.generate_lake(config, keep, replace.clone())
        })
    };
    let on_lake_download = {
        let client = client.clone();
        Callback::from(move |config: kiln_protocol::LakeConfig| client.download_lake(&config))
    };
    let on_lake_folder = {
        let client = client.clone();
        Callback::from(move |promise: js_sys::Promise| client.save_lake_to_folder(promise))
    };
    let on_lake_forget = {
        let client = client.clone();
        Callback::from(move |_: ()| client.forget_lake())
    };
    let on_select = dispatcher.to_callback().reform(Action::SelectTable);
    let on_rename = {
        let client = client.clone();
        Callback::from(move |(from, to): (String, String)| client.rename_table(from, to))
    };
    let on_remove = {
        let client = client.clone();
        Callback::from(move |name: String| client.remove_table(name))
    };
    let on_export = {
        let client = client.clone();
        Callback::from(move |name: String| client.export_parquet(name))
    };
    let on_sql_change = dispatcher.to_callback().reform(Action::SqlChanged);
    let on_program_change = dispatcher.to_callback().reform(Action::ProgramChanged);
    let on_pipeline_change = dispatcher.to_callback().reform(Action::PipelineChanged);
    let on_run = {
        let client = client.clone();
        let can_run = state.can_run();
        let settings = state.settings.clone();
        Callback::from(move |sql: String| {
            if can_run && !sql::is_blank(&sql) {
                client.run_sql(sql, &settings);
            }
        })
    };
    let on_run_to_folder = {
        let client = client.clone();
        let can_run = state.can_run();
        let settings = state.settings.clone();
        Callback::from(move |(sql, folder): (String, js_sys::Promise)| {
            if can_run && !sql::is_blank(&sql) {
                client.run_sql_to_folder(sql, settings.clone(), folder);
            }
        })
    };
    // The explorer's query: into the SQL editor, then run as the editor runs it.
    let on_query_table = {
        let (on_run, dispatch) = (on_run.clone(), dispatcher.to_callback());
        Callback::from(move |sql: String| {
            dispatch.emit(Action::Mode(EditorMode::Sql));
            dispatch.emit(Action::SqlChanged(sql.clone()));
            on_run.emit(sql);
        })
    };
    // A run from the history: its text back in the editor it came from.
    let on_history_open = {
        let dispatch = dispatcher.to_callback();
        Callback::from(move |(kind, text): (String, String)| match kind.as_str() {
            "sql" => {
                dispatch.emit(Action::Mode(EditorMode::Sql));
                dispatch.emit(Action::SqlChanged(text));
            }
            _ => {
                dispatch.emit(Action::Mode(EditorMode::PySpark));
                dispatch.emit(Action::ProgramChanged(text));
            }
        })
    };
    // A bar of a column profile: the result's SQL, filtered to the bar's rows, run.
    let on_profile_filter = state
        .result
        .as_ref()
        .and_then(|r| r.sql.clone())
        .map(|base| {
            let on_query_table = on_query_table.clone();
            Callback::from(move |condition: String| {
                on_query_table.emit(sql::filter::with_filter(&base, &condition));
            })
        });
    // Profiles are asked for once per result, when it arrives.
    {
        let client = client.clone();
        let wanted = state
            .result
            .as_ref()
            .filter(|r| r.wants_profile())
            .map(|r| r.result_id);
        use_effect_with(wanted, move |wanted| {
            if let Some(result_id) = wanted {
                client.profile(*result_id);
            }
        });
    }
    let on_run_program = {
        let client = client.clone();
        let can_run = state.can_run();
        let settings = state.settings.clone();
        Callback::from(move |source: String| {
            if can_run && !source.trim().is_empty() {
                client.run_program(source, &settings);
            }
        })
    };
    let on_run_pipeline = {
        let on_run_program = on_run_program.clone();
        let program = pipeline_program.clone();
        Callback::from(move |_: ()| {
            if let Ok(program) = &*program {
                on_run_program.emit(program.runnable());
            }
        })
    };
    let on_preview = {
        let preview = preview.clone();
        Callback::from(move |step: Option<usize>| preview.set(step))
    };
    let on_mode = |mode: EditorMode| {
        dispatcher
            .to_callback()
            .reform(move |_: MouseEvent| Action::Mode(mode))
    };
    let on_export_spark = {
        let client = client.clone();
        let mode = state.mode;
        let (sql, program) = (state.sql.clone(), state.program.clone());
        let pipeline = pipeline_program.clone();
        let title = format!("kiln-job-{}", state.jobs.len() + 1);
        let dispatch = dispatcher.to_callback();
        Callback::from(move |_: MouseEvent| {
            let job = match mode {
                EditorMode::Sql => kiln_protocol::JobSource::Sql { sql: sql.clone() },
                EditorMode::PySpark => kiln_protocol::JobSource::PySpark {
                    source: program.clone(),
                },
                EditorMode::Pipeline => match &*pipeline {
                    Ok(p) => kiln_protocol::JobSource::PySpark {
                        source: p.runnable(),
                    },
                    Err(e) => {
                        dispatch.emit(Action::ShowError(UserError {
                            context: "exporting the pipeline to Spark".into(),
                            message: e.to_string(),
                            location: None,
                        }));
                        return;
                    }
                },
            };
            client.export_spark(job, title.clone());
        })
    };
    let on_share = {
        let shared = state.shared_job();
        let dispatch = dispatcher.to_callback();
        Callback::from(move |_: MouseEvent| {
            let hash = share::encode(&shared);
            let Some(window) = web_sys::window() else {
                return;
            };
            let location = window.location();
            let url = format!(
                "{}{}{hash}",
                location.origin().unwrap_or_default(),
                location.pathname().unwrap_or_default()
            );
            // The address itself carries the job: bookmark it, or copy it.
            if let Ok(history) = window.history() {
                let _ =
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
            }
            let _ = window.navigator().clipboard().write_text(&url);
            dispatch.emit(Action::Shared(url));
        })
    };
    let on_console_save = {
        let client = client.clone();
        Callback::from(
            move |(id, target, destination): (u64, ExportTarget, Destination)| {
                client.save_result(id, target, destination)
            },
        )
    };
    let on_console_job = {
        let jobs = state.jobs.clone();
        let dispatch = dispatcher.to_callback();
        Callback::from(move |job_id: kiln_protocol::JobId| {
            if let Some(index) = jobs.iter().rposition(|j| !j.replayed && j.job_id == job_id) {
                dispatch.emit(Action::ShowJob(index));
            }
        })
    };
    let current_job = match state.mode {
        EditorMode::Sql => kiln_protocol::JobSource::Sql {
            sql: state.sql.clone(),
        },
        EditorMode::PySpark => kiln_protocol::JobSource::PySpark {
            source: state.program.clone(),
        },
        EditorMode::Pipeline => kiln_protocol::JobSource::PySpark {
            source: pipeline_program
                .as_ref()
                .as_ref()
                .map(|p| p.runnable())
                .unwrap_or_default(),
        },
    };
    let run_spec = {
        let s = &state.schedule;
        RunSpec {
            job: current_job.clone(),
            name: s.name.clone(),
            cadence: s.cadence,
            service: s.service.clone(),
            attempts_per_run: s.attempts_per_run,
            fail_once: s.fail_once,
        }
    };
    let on_run_intervals = {
        let (client, spec) = (client.clone(), run_spec.clone());
        Callback::from(move |intervals: Vec<crate::workshop::schedule::Interval>| {
            client.run_intervals(spec.clone(), intervals)
        })
    };
    let on_download_output = {
        let client = client.clone();
        Callback::from(move |name: String| client.download_output(name))
    };
    let on_stream = {
        let client = client.clone();
        Callback::from(move |spec: crate::workshop::stream::StreamSpec| client.run_stream(spec))
    };
    let on_lesson_load = {
        let (client, dispatch, workshop) =
            (client.clone(), dispatcher.to_callback(), workshop.clone());
        let (settings, schedule) = (state.settings.clone(), state.schedule.clone());
        Callback::from(move |(step, run): (usize, bool)| {
            let lesson = &LESSONS[step];
            match lesson.id {
                "first-look" => dispatch.emit(Action::SelectTable("yellow".into())),
                "micro-batches" => workshop.set(Some(WorkshopTab::Stream)),
                _ => {}
            }
            let Some(job) = &lesson.job else { return };
            dispatch.emit(Action::Mode(job.mode));
            let text = job.text.to_string();
            dispatch.emit(match job.mode {
                EditorMode::PySpark => Action::ProgramChanged(text.clone()),
                _ => Action::SqlChanged(text.clone()),
            });
            let mut next = settings.clone();
            for change in [
                SettingChange::Partitions(job.settings.partitions),
                SettingChange::SplitMb(job.settings.split_mb),
                SettingChange::FailPercent(job.settings.fail_percent),
                SettingChange::MemoryMb(job.settings.memory_mb),
            ] {
                next.apply(change);
                dispatch.emit(Action::Settings(change));
            }
            if !run {
                return;
            }
            client.apply_settings(next.clone());
            if lesson.id == "parameters-and-backfills" {
                // The step's job is a template: it runs as a backfill of every month.
                workshop.set(Some(WorkshopTab::Schedule));
                let mut s = (*schedule).clone();
                s.service = "yellow".into();
                s.cadence = crate::workshop::schedule::Cadence::Monthly;
                dispatch.emit(Action::Schedule(s.clone()));
                let range = crate::workshop::schedule::parse_time(&s.backfill_from)
                    .zip(crate::workshop::schedule::parse_time(&s.backfill_to))
                    .map(|(from, to)| s.cadence.intervals(from, to, 100))
                    .unwrap_or_default();
                let spec = RunSpec {
                    job: kiln_protocol::JobSource::Sql { sql: text },
                    name: s.name.clone(),
                    cadence: s.cadence,
                    service: s.service.clone(),
                    attempts_per_run: s.attempts_per_run,
                    fail_once: s.fail_once,
                };
                client.run_intervals(spec, range);
                return;
            }
            match job.mode {
                EditorMode::PySpark => client.run_program(text, &next),
                _ => client.run_sql(text, &next),
            }
        })
    };
    let on_answered = {
        let lessons_done = lessons_done.clone();
        Callback::from(move |id: String| {
            if !lessons_done.contains(&id) {
                let mut done = (**lessons_done).clone();
                done.push(id);
                lessons_done.set(std::rc::Rc::new(done));
            }
        })
    };
    let services: std::rc::Rc<Vec<String>> =
        std::rc::Rc::new(state.tables.iter().map(|t| t.name.clone()).collect());
    let lesson_answer = (LESSONS[*lesson_step].answer)(&state);
    let on_export_error = dispatcher.to_callback().reform(|message: String| {
        Action::ShowError(UserError {
            context: "exporting to Spark".into(),
            message,
            location: None,
        })
    });
    let on_settings = dispatcher.to_callback().reform(Action::Settings);
    {
        // The pool follows the settings as the reducer holds them.
        let client = client.clone();
        use_effect_with(state.settings.clone(), move |settings| {
            client.apply_settings(settings.clone())
        });
    }
    let on_save_events = {
        let job = state.shown_job();
        let dispatch = dispatcher.to_callback();
        Callback::from(move |_: ()| {
            let Some(job) = &job else { return };
            let json = job_panel::events_json(&job.events.events());
            let bytes = js_sys::Uint8Array::from(json.as_bytes());
            let name = format!("kiln-job-{}-events.json", job.job_id);
            if let Err(e) = download::save(&bytes, &name, "application/json") {
                dispatch.emit(Action::ShowError(UserError {
                    context: format!("saving {name}"),
                    message: crate::js::describe(&e),
                    location: None,
                }));
            }
        })
    };
    let on_load_events = {
        let dispatch = dispatcher.to_callback();
        Callback::from(move |file: web_sys::File| {
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                let events = text
                    .map_err(|e| crate::js::describe(&e))
                    .and_then(|t| job_panel::parse_events(&t.as_string().unwrap_or_default()))
                    .map_err(|message| UserError {
                        context: format!("loading the event log {name}"),
                        message,
                        location: None,
                    });
                dispatch.emit(Action::LoadEventLog(events));
            });
        })
    };
    let on_fetch = {
        let client = client.clone();
        let result_id = state.result.as_ref().map(|r| r.result_id);
        Callback::from(move |offset: u64| {
            if let Some(id) = result_id {
                client.fetch_page(id, offset);
            }
        })
    };
    let on_save_result = {
        let client = client.clone();
        let result_id = state.result.as_ref().map(|r| r.result_id);
        Callback::from(move |(target, destination): (ExportTarget, Destination)| {
            if let Some(id) = result_id {
                client.save_result(id, target, destination);
            }
        })
    };
    let on_draw = {
        let client = client.clone();
        let result_id = state.result.as_ref().map(|r| r.result_id);
        Callback::from(move |spec: kiln_protocol::ChartSpec| {
            if let Some(id) = result_id {
                client.draw_chart(id, spec);
            }
        })
    };
    // The last stage of the job that made the result: a written output's file count.
    let result_tasks = state
        .jobs
        .last()
        .and_then(|j| j.graph.stages.last().map(|s| s.tasks));
    let on_stop = {
        let client = client.clone();
        Callback::from(move |_: ()| client.stop())
    };
    let on_restart = {
        let client = client.clone();
        Callback::from(move |_: ()| client.restart())
    };
    let on_dismiss_error = dispatcher
        .to_callback()
        .reform(|_: ()| Action::DismissError);
    let on_dismiss_rejected = dispatcher
        .to_callback()
        .reform(|_: ()| Action::DismissRejected);
    let show = |view: View| {
        dispatcher
            .to_callback()
            .reform(move |_: MouseEvent| Action::ShowView(view))
    };

    let crash_message = match &state.engine {
        Engine::Crashed { message } => Some(message.clone()),
        _ => None,
    };
    let selected = state.selected_table().cloned();
    let tab = |view: View, label: String, testid: &'static str| {
        let active = state.view == view;
        html! {
            <button class={classes!("tab", active.then_some("active"))} role="tab"
                aria-selected={active.to_string()} data-testid={testid} onclick={show(view)}>
                { label }
            </button>
        }
    };

    html! {
        <DropZone on_files={on_files.clone()} on_error={on_drop_error}>
            <header class="topbar">
                <div class="brand">
                    <span class="logo" aria-hidden="true">{"◆"}</span>
                    <h1>{"Kiln"}</h1>
                    <span class="tagline">{"SQL on your Parquet and CSV files, in the browser"}</span>
                </div>
                <div class="topbar-actions">
                    <FilePicker on_files={on_files} />
                    <button class={classes!("button", workshop.is_some().then_some("active"))} data-testid="workshop-toggle"
                        title="Lessons, jobs at intervals and micro-batches, for workshops"
                        onclick={{ let w = workshop.clone(); Callback::from(move |_: MouseEvent| w.set(if w.is_some() { None } else { Some(WorkshopTab::Lessons) })) }}>
                        {"Workshop"}
                    </button>
                    <LakePanel status={state.lake.clone()} can_generate={state.can_run()}
                        on_generate={on_lake} on_download={on_lake_download}
                        on_save_folder={on_lake_folder} on_forget={on_lake_forget} />
                    <button class="icon-button help-button" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)"
                        onclick={{ let h = help.clone(); Callback::from(move |_: MouseEvent| h.set(true)) }}>{"?"}</button>
                </div>
            </header>
            if let Some(message) = crash_message.clone() {
                <CrashBanner message={message} on_restart={on_restart} />
            }
            <div class={classes!("workspace", workshop.is_some().then_some("with-workshop"))}
                data-lesson-focus={lesson_focus.unwrap_or_default()} ref={workspace_ref}>
                <aside class="sidebar">
                    <TableList tables={state.tables.clone()} selected={state.selected.clone()}
                        rejected={state.rejected.clone()} on_select={on_select}
                        on_rename={on_rename} on_remove={on_remove} on_export={on_export}
                        on_dismiss_rejected={on_dismiss_rejected} />
                </aside>
                <ResizeHandle axis={Axis::Columns} value={layout.sidebar} min={180.0} max={640.0}
                    label="Width of the tables panel" testid="resize-sidebar"
                    on_change={resize(|l, v| l.sidebar = v)} />
                <main class="main">
                    <div class="editor-modes">
                        <div class="tab-group" role="tablist" aria-label="Job editor">
                        for mode in EditorMode::ALL {
                            <button class={classes!("tab", (state.mode == mode).then_some("active"))} role="tab"
                                aria-selected={(state.mode == mode).to_string()}
                                data-testid={format!("mode-{}", mode.key())} onclick={on_mode(mode)}>
                                { mode.label() }
                            </button>
                        }
                        </div>
                        <span class="spacer" />
                        <button class={classes!("button", "small", history_open.then_some("active"))} data-testid="history-toggle"
                            aria-expanded={history_open.to_string()}
                            title="Every query and program run, kept across reloads, searchable"
                            onclick={{ let h = history_open.clone(); Callback::from(move |_: MouseEvent| h.set(!*h)) }}>
                            { format!("History ({})", state.history.entries.len()) }
                        </button>
                        <button class="button small" data-testid="share-job" onclick={on_share}
                            title="A link that opens this job (its text and settings, never your data)">
                            {"Share"}
                        </button>
                        <button class="button small" data-testid="export-spark" onclick={on_export_spark}
                            title="The job as a PySpark script and Spark SQL, to run on a Spark cluster">
                            {"Export to Spark"}
                        </button>
                    </div>
                    if *history_open {
                        <HistoryPanel history={state.history.clone()} on_open={on_history_open}
                            on_clear={dispatcher.to_callback().reform(|_: ()| Action::ClearHistory)}
                            on_close={{ let h = history_open.clone(); Callback::from(move |_: ()| h.set(false)) }} />
                    }
                    { match state.mode {
                        EditorMode::Sql => html! {
                            <>
                            <EditorTabs tabs={state.tabs.clone()}
                                on_switch={dispatcher.to_callback().reform(Action::SwitchTab)}
                                on_close={dispatcher.to_callback().reform(Action::CloseTab)}
                                on_new={dispatcher.to_callback().reform(|_: ()| Action::NewTab)} />
                            <CodeEditor language={Language::Sql} value={state.sql.clone()} tables={state.tables.clone()}
                                on_change={on_sql_change} on_run={on_run} on_stop={on_stop.clone()}
                                on_run_to_folder={on_run_to_folder}
                                can_run={state.can_run()} running={state.query_running()} />
                            </>
                        },
                        EditorMode::PySpark => html! {
                            <CodeEditor language={Language::Python} value={state.program.clone()} tables={state.tables.clone()}
                                on_change={on_program_change} on_run={on_run_program} on_stop={on_stop.clone()}
                                can_run={state.can_run()} running={state.query_running()} />
                        },
                        EditorMode::Pipeline => html! {
                            <PipelineBuilder pipeline={state.pipeline.clone()} tables={state.tables.clone()}
                                info={state.pipeline_info.clone()} problem={pipeline_problem.clone()}
                                preview={*preview} on_change={on_pipeline_change} on_preview={on_preview}
                                on_run={on_run_pipeline} on_stop={on_stop.clone()}
                                can_run={state.can_run()} running={state.query_running()}
                                on_error={dispatcher.to_callback().reform(|message: String| Action::ShowError(UserError {
                                    context: "the pipeline file".into(),
                                    message,
                                    location: None,
                                }))} />
                        },
                    } }
                    if let Some(url) = state.shared_url.clone() {
                        <div class="share-note" data-testid="share-note">
                            <span>{"Link copied: it opens this job, with its settings — never your data."}</span>
                            <input type="text" readonly=true data-testid="share-url" value={url} />
                            <button class="icon-button" aria-label="Close"
                                onclick={dispatcher.to_callback().reform(|_: MouseEvent| Action::Shared(String::new()))}>{"×"}</button>
                        </div>
                    }
                    if let Some(view) = state.spark_export.clone() {
                        <SparkExport view={view} on_error={on_export_error}
                            on_close={dispatcher.to_callback().reform(|_: ()| Action::CloseSparkExport)} />
                    }
                    if let Some(run) = state.program_run.clone() {
                        <Console run={run} on_show_job={on_console_job} on_save={on_console_save} />
                    }
                    if let Some(error) = state.error.clone() {
                        <ErrorPanel error={error.clone()} on_dismiss={on_dismiss_error}
                            on_write_to_folder={{
                                let (client, settings, sql) = (client.clone(), state.settings.clone(), error.sql.clone());
                                Callback::from(move |folder: js_sys::Promise| {
                                    if let Some(sql) = &sql {
                                        client.run_sql_to_folder(sql.clone(), settings.clone(), folder);
                                    }
                                })
                            }} />
                    }
                    <JobPanel settings={state.settings.clone()} jobs={state.jobs.clone()}
                        shown={state.shown_job} view={state.job_view}
                        selected_stage={state.selected_stage} scrub_ms={state.scrub_ms}
                        on_settings={on_settings} on_save_events={on_save_events}
                        on_load_events={on_load_events}
                        on_select_stage={dispatcher.to_callback().reform(Action::SelectStage)}
                        on_show_job={dispatcher.to_callback().reform(Action::ShowJob)}
                        on_view={dispatcher.to_callback().reform(Action::ShowJobView)}
                        on_scrub={dispatcher.to_callback().reform(Action::Scrub)}
                        on_cancel={on_stop.clone()} />
                    <div class="view">
                    <div class="tabs" role="tablist">
                        { tab(View::Results, "Results".into(), "tab-results") }
                        { tab(View::Chart, "Chart".into(), "tab-chart") }
                        { tab(View::Explorer, match &selected {
                            Some(t) => format!("Explorer: {}", t.name),
                            None => "Explorer".into(),
                        }, "tab-explorer") }
                    </div>
                    <div class="panel" role="tabpanel">
                        { match state.view {
                            View::Results => match state.result.clone() {
                                Some(result) => html! {
                                    <>
                                    <ResultSave result={result.clone()} tasks={result_tasks} on_save={on_save_result} />
                                    <ResultTable result={result} on_fetch={on_fetch} on_filter={on_profile_filter} height={layout.result} />
                                    <ResizeHandle axis={Axis::Rows} value={layout.result} min={160.0} max={2400.0}
                                        label="Height of the result table" testid="resize-result"
                                        on_change={resize(|l, v| l.result = v)} />
                                    </>
                                },
                                None if state.query_running() => html! {
                                    <p class="empty">{"Running…"}</p>
                                },
                                None => match &state.written {
                                    Some(w) => html! {
                                        <p class="empty written" data-testid="written-result" data-parts={w.parts.to_string()}>
                                            { format!("The result was written into {}: {} Parquet file{} ({}) in {}, and _SUCCESS.",
                                                w.folder, w.parts, if w.parts == 1 { "" } else { "s" },
                                                crate::format::human_bytes(w.bytes), crate::format::elapsed_ms(w.elapsed_ms)) }
                                            if let Some(e) = &w.error { <span class="invalid-hint">{ format!(" But: {e}") }</span> }
                                        </p>
                                    },
                                    None => html! {
                                        <p class="empty">{"Run a query to see its result here."}</p>
                                    },
                                },
                            },
                            View::Chart => match state.result.clone() {
                                Some(result) => html! { <Chart result={result} on_draw={on_draw} /> },
                                None => html! { <p class="empty">{"Run a query to chart its result."}</p> },
                            },
                            View::Explorer => match selected {
                                Some(table) => {
                                    let key = table.name.clone();
                                    html! { <Explorer key={key} table={table} on_query={on_query_table.clone()}
                                        can_run={state.can_run()} /> }
                                }
                                None if state.tables.is_empty() => html! {
                                    <p class="empty">{"Add a table to explore its files, row groups and column statistics."}</p>
                                },
                                None => html! {
                                    <p class="empty">{"Select a table on the left to explore it."}</p>
                                },
                            },
                        } }
                    </div>
                    </div>
                </main>
                if workshop.is_some() {
                    <ResizeHandle axis={Axis::Columns} value={layout.workshop} min={280.0} max={900.0}
                        direction={-1.0} label="Width of the workshop panel" testid="resize-workshop"
                        on_change={resize(|l, v| l.workshop = v)} />
                }
                if let Some(tab) = *workshop {
                    <Workshop tab={tab} on_tab={{ let w = workshop.clone(); Callback::from(move |t| w.set(Some(t))) }}
                        on_close={{ let w = workshop.clone(); Callback::from(move |_| w.set(None)) }}
                        can_run={state.can_run()}
                        step={*lesson_step} answer={lesson_answer} done={(*lessons_done).clone()}
                        on_step={{ let s = lesson_step.clone(); Callback::from(move |i| s.set(i)) }}
                        on_load={on_lesson_load} on_answered={on_answered}
                        schedule={state.schedule.clone()} job_text={current_job.text().to_string()}
                        services={services} on_schedule={dispatcher.to_callback().reform(Action::Schedule)}
                        on_run_intervals={on_run_intervals} on_download_output={on_download_output}
                        stream={state.stream.clone()} tables={state.tables.clone()} on_stream={on_stream} />
                }
            </div>
            <StatusBar status={state.status()} activity={state.activity()}
                crash_message={crash_message} tables={state.tables.len()} />
            if *help {
                <HelpOverlay on_close={{ let h = help.clone(); Callback::from(move |_: ()| h.set(false)) }} />
            }
        </DropZone>
    }
}
