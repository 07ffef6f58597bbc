//! What survives a reload: the editors' texts (SQL, PySpark, the pipeline) and which
//! editor was open. Storage can be missing or full (private browsing, quota), in which
//! case the page simply doesn't remember.

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
