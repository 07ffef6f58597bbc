//! Where the page keeps things: this module is what survives a reload in localStorage
//! (the editors' texts and tabs, which editor was open, the history, settings and panel
//! sizes); below it, OPFS (`opfs`), saves to the user's disk (`save`, `download`),
//! picked files and folders (`files`) and a job in the address (`share`). Storage can
//! be missing or full (private browsing, quota), in which case the page simply doesn't
//! remember.

pub mod download;
pub mod files;
pub mod opfs;
pub mod save;
pub mod share;

const SQL_KEY: &str = "kiln.sql";
const PROGRAM_KEY: &str = "kiln.pyspark";
const PIPELINE_KEY: &str = "kiln.pipeline";
const MODE_KEY: &str = "kiln.mode";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn load(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok().flatten()
}

fn save(key: &str, value: &str) {
    if let Some(storage) = local_storage() {
        // A failed write only costs the text on the next reload; nothing to tell the user.
        let _ = storage.set_item(key, value);
    }
}

pub fn load_sql() -> Option<String> {
    load(SQL_KEY)
}

pub fn save_sql(sql: &str) {
    save(SQL_KEY, sql)
}

pub fn load_program() -> Option<String> {
    load(PROGRAM_KEY)
}

pub fn save_program(source: &str) {
    save(PROGRAM_KEY, source)
}

/// The pipeline as saved; one that no longer parses (an older layout) is dropped.
pub fn load_pipeline() -> Option<kiln_pipeline::Pipeline> {
    serde_json::from_str(&load(PIPELINE_KEY)?).ok()
}

pub fn save_pipeline(pipeline: &kiln_pipeline::Pipeline) {
    if let Ok(json) = serde_json::to_string(pipeline) {
        save(PIPELINE_KEY, &json)
    }
}

pub fn load_mode() -> Option<String> {
    load(MODE_KEY)
}

pub fn save_mode(mode: &str) {
    save(MODE_KEY, mode)
}

const LESSON_STEP_KEY: &str = "kiln.lesson.step";
const LESSONS_DONE_KEY: &str = "kiln.lessons.done";

pub fn load_lesson_step() -> usize {
    load(LESSON_STEP_KEY)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub fn save_lesson_step(step: usize) {
    save(LESSON_STEP_KEY, &step.to_string())
}

/// The ids of the lesson steps answered right.
pub fn load_lessons_done() -> Vec<String> {
    load(LESSONS_DONE_KEY)
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

pub fn save_lessons_done(done: &[String]) {
    if let Ok(json) = serde_json::to_string(done) {
        save(LESSONS_DONE_KEY, &json)
    }
}

const SETTINGS_KEY: &str = "kiln.settings";
const SCHEDULE_KEY: &str = "kiln.schedule";

/// The job settings as last set (workers, tasks per shuffle, split size, faults).
pub fn load_settings() -> Option<crate::jobs::runner::RunSettings> {
    serde_json::from_str(&load(SETTINGS_KEY)?).ok()
}

pub fn save_settings(settings: &crate::jobs::runner::RunSettings) {
    if let Ok(json) = serde_json::to_string(settings) {
        save(SETTINGS_KEY, &json)
    }
}

/// The schedule's settings (not its run history, whose outputs live in OPFS).
pub fn load_schedule() -> Option<crate::workshop::schedule::ScheduleState> {
    let v: serde_json::Value = serde_json::from_str(&load(SCHEDULE_KEY)?).ok()?;
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Some(crate::workshop::schedule::ScheduleState {
        name: text("name")?,
        cadence: crate::workshop::schedule::Cadence::from_key(&text("cadence")?)?,
        service: text("service")?,
        backfill_from: text("from")?,
        backfill_to: text("to")?,
        attempts_per_run: v.get("attempts")?.as_u64()? as u32,
        clock: v.get("clock")?.as_i64()?,
        ..Default::default()
    })
}

pub fn save_schedule(s: &crate::workshop::schedule::ScheduleState) {
    let v = serde_json::json!({
        "name": s.name, "cadence": s.cadence.key(), "service": s.service,
        "from": s.backfill_from, "to": s.backfill_to,
        "attempts": s.attempts_per_run, "clock": s.clock,
    });
    save(SCHEDULE_KEY, &v.to_string())
}

const TABS_KEY: &str = "kiln.tabs";
const HISTORY_KEY: &str = "kiln.history";

/// A tab's saved result beyond this many bytes of JSON is left out (its text stays):
/// localStorage holds about 5 MB for the whole page.
const MAX_TABS_JSON: usize = 1 << 20;

pub fn load_tabs() -> Option<crate::editors::tabs::SavedTabs> {
    serde_json::from_str(&load(TABS_KEY)?).ok()
}

pub fn save_tabs(tabs: &crate::editors::tabs::SavedTabs) {
    let Ok(mut json) = serde_json::to_string(tabs) else {
        return;
    };
    if json.len() > MAX_TABS_JSON {
        let mut lean = tabs.clone();
        for tab in &mut lean.tabs {
            tab.result = None;
        }
        json = serde_json::to_string(&lean).unwrap_or_default();
    }
    save(TABS_KEY, &json)
}

pub fn load_history() -> Option<crate::editors::history::History> {
    serde_json::from_str(&load(HISTORY_KEY)?).ok()
}

pub fn save_history(history: &crate::editors::history::History) {
    if let Ok(json) = serde_json::to_string(history) {
        save(HISTORY_KEY, &json)
    }
}

const LAYOUT_KEY: &str = "kiln.layout";

/// The panels' sizes, as the person last dragged them, in px.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    pub sidebar: f64,
    pub workshop: f64,
    /// The result table's viewport (the profiles' row comes on top).
    pub result: f64,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            sidebar: 290.0,
            workshop: 400.0,
            result: 440.0,
        }
    }
}

pub fn load_layout() -> Option<Layout> {
    serde_json::from_str(&load(LAYOUT_KEY)?).ok()
}

pub fn save_layout(layout: &Layout) {
    if let Ok(json) = serde_json::to_string(layout) {
        save(LAYOUT_KEY, &json)
    }
}
