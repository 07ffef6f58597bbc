//! What survives a reload: the SQL text. Storage can be missing or full (private
//! browsing, quota), in which case the page simply doesn't remember.

const SQL_KEY: &str = "kiln.sql";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn load_sql() -> Option<String> {
    local_storage()?.get_item(SQL_KEY).ok().flatten()
}

pub fn save_sql(sql: &str) {
    if let Some(storage) = local_storage() {
        // A failed write only costs the text on the next reload; nothing to tell the user.
        let _ = storage.set_item(SQL_KEY, sql);
    }
}
