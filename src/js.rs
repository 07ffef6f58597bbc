//! What every room needs of JavaScript: a thrown value as text.

use wasm_bindgen::{JsCast, JsValue};

/// A JS error's message, or whatever text the value has.
pub fn describe(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}
