//! What every room needs of JavaScript: a thrown value as text, what the device has.

use wasm_bindgen::{JsCast, JsValue};

/// A JS error's message, or whatever text the value has.
pub fn describe(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// The device's memory in GB as the browser tells it (`navigator.deviceMemory`, which
/// Chromium rounds and caps at 8); `None` where it does not (Firefox, Safari).
pub fn device_memory_gb() -> Option<f64> {
    let navigator = web_sys::window()?.navigator();
    js_sys::Reflect::get(&navigator, &"deviceMemory".into())
        .ok()?
        .as_f64()
        .filter(|gb| *gb > 0.0)
}
