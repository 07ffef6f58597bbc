//! Where a result's save goes, a chunk at a time: a file the user picked (the File
//! System Access API's writable stream, written as chunks arrive), or else a Blob built
//! from one small Blob per chunk (the browser keeps large blobs out of the tab's memory)
//! and handed to the download bar at the end.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::JsValue;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{Blob, BlobPropertyBag};

use crate::download;

pub enum Sink {
    Blobs(Vec<Blob>),
    /// A `FileSystemWritableFileStream`.
    Stream(JsValue),
}

impl Sink {
    /// Appends one chunk (an `ArrayBuffer`).
    pub async fn write(&mut self, chunk: &JsValue) -> Result<(), JsValue> {
        match self {
            Sink::Blobs(parts) => {
                parts.push(Blob::new_with_buffer_source_sequence(&Array::of1(chunk))?);
                Ok(())
            }
            Sink::Stream(stream) => {
                let bytes = Uint8Array::new(chunk);
                call_async(stream, "write", &[bytes.into()])
                    .await
                    .map(|_| ())
            }
        }
    }

    /// Completes the file: closes the stream, or downloads the blob as `file_name`.
    pub async fn finish(self, file_name: &str, mime: &str) -> Result<(), JsValue> {
        match self {
            Sink::Blobs(parts) => {
                let options = BlobPropertyBag::new();
                options.set_type(mime);
                let sequence: Array = parts.into_iter().collect();
                let blob = Blob::new_with_blob_sequence_and_options(&sequence, &options)?;
                download::save_blob(&blob, file_name)
            }
            Sink::Stream(stream) => call_async(&stream, "close", &[]).await.map(|_| ()),
        }
    }

    /// Gives up: a stream is aborted, so no half-written file stays as if complete.
    pub async fn abort(self) {
        if let Sink::Stream(stream) = self {
            let _ = call_async(&stream, "abort", &[]).await;
        }
    }
}

/// Whether the browser can stream a save into a file the user picks.
pub fn can_pick_file() -> bool {
    web_sys::window()
        .is_some_and(|w| Reflect::has(&w, &"showSaveFilePicker".into()).unwrap_or(false))
}

/// Asks where to save (`showSaveFilePicker`) and opens the file for writing. Must be
/// called from the click that asked for it: browsers only show pickers then.
pub fn pick_file(suggested_name: &str) -> Result<Promise, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let options = Object::new();
    Reflect::set(&options, &"suggestedName".into(), &suggested_name.into())?;
    let pick: Function = Reflect::get(&window, &"showSaveFilePicker".into())?.dyn_into()?;
    let handle: Promise = pick.call1(&window, &options)?.dyn_into()?;
    Ok(future_to_promise(async move {
        let handle = JsFuture::from(handle).await?;
        call_async(&handle, "createWritable", &[]).await
    }))
}

async fn call_async(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let args: Array = args.iter().cloned().collect();
    let promise: Promise = f.apply(target, &args)?.dyn_into()?;
    JsFuture::from(promise).await
}
