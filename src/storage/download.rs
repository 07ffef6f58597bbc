//! Saving bytes the engine produced (an exported file) as a download.

use js_sys::Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

use crate::format::sanitize_file_name;

pub fn save(buffer: &JsValue, file_name: &str, mime: &str) -> Result<(), JsValue> {
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_buffer_source_sequence_and_options(&Array::of1(buffer), &options)?;
    save_blob(&blob, file_name)
}

/// Hands `blob` to the browser's downloads as `file_name` (made safe for any OS).
pub fn save_blob(blob: &Blob, file_name: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let document = window
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let body = document
        .body()
        .ok_or_else(|| JsValue::from_str("no document body"))?;

    let url = Url::create_object_url_with_blob(blob)?;

    let link: HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    // The name comes from the worker, which got it from a user's file name.
    link.set_download(&sanitize_file_name(file_name));
    link.set_class_name("download-link");
    body.append_child(&link)?;
    link.click();
    link.remove();

    // The browser may still be reading the blob after click() returns, so the URL is
    // released later rather than now.
    let revoke = Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000)?;
    Ok(())
}
