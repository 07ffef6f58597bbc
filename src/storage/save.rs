//! Where a result's save goes, a chunk at a time: a file the user picked (the File
//! System Access API's writable stream, written as chunks arrive), a folder the user
//! picked (a written output, file by file), or else a Blob built from one small Blob per
//! chunk (the browser keeps large blobs out of the tab's memory) and handed to the
//! download bar at the end.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::JsValue;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{Blob, BlobPropertyBag};

use crate::storage::download;

/// Where the user asked a save to go.
pub enum Destination {
    Downloads,
    /// A promise of a `FileSystemWritableFileStream`.
    File(Promise),
    /// A promise of a `FileSystemDirectoryHandle`.
    Folder(Promise),
}

pub enum Sink {
    Blobs(Vec<Blob>),
    /// A `FileSystemWritableFileStream`.
    Stream(JsValue),
    /// A `FileSystemDirectoryHandle`, and the file being written in it.
    Folder {
        root: JsValue,
        open: Option<JsValue>,
    },
}

impl Sink {
    /// The sink a destination writes through, once its picker has answered.
    pub async fn open(destination: Destination) -> Result<Sink, JsValue> {
        Ok(match destination {
            Destination::Downloads => Sink::Blobs(Vec::new()),
            Destination::File(promise) => Sink::Stream(JsFuture::from(promise).await?),
            Destination::Folder(promise) => Sink::Folder {
                root: JsFuture::from(promise).await?,
                open: None,
            },
        })
    }

    /// Appends one chunk (an `ArrayBuffer`); for a folder, to the file `file` names.
    pub async fn write(
        &mut self,
        chunk: &JsValue,
        file: Option<&kiln_protocol::FileChunk>,
    ) -> Result<(), JsValue> {
        match self {
            Sink::Folder { root, open } => {
                let file = file.ok_or("a folder export sent a chunk of no file")?;
                if file.first {
                    *open = Some(create_file(root, &file.path).await?);
                }
                let stream = open
                    .as_ref()
                    .ok_or("a chunk came before its file was opened")?;
                let bytes = Uint8Array::new(chunk);
                call_async(stream, "write", &[bytes.into()]).await?;
                if file.done
                    && let Some(stream) = open.take()
                {
                    call_async(&stream, "close", &[]).await?;
                }
                Ok(())
            }
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
            Sink::Folder { open, .. } => match open {
                Some(stream) => call_async(&stream, "close", &[]).await.map(|_| ()),
                None => Ok(()),
            },
        }
    }

    /// Gives up: a stream is aborted, so no half-written file stays as if complete.
    pub async fn abort(self) {
        match self {
            Sink::Stream(stream)
            | Sink::Folder {
                open: Some(stream), ..
            } => {
                let _ = call_async(&stream, "abort", &[]).await;
            }
            _ => {}
        }
    }
}

/// Opens `path` (`a=1/b=2/part-00000.parquet`) under `root` for writing, creating its
/// folders.
async fn create_file(root: &JsValue, path: &str) -> Result<JsValue, JsValue> {
    let create = Object::new();
    Reflect::set(&create, &"create".into(), &true.into())?;
    let mut dir = root.clone();
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let name = parts.pop().ok_or("an output file with no name")?;
    for part in parts {
        dir = call_async(
            &dir,
            "getDirectoryHandle",
            &[part.into(), create.clone().into()],
        )
        .await?;
    }
    let handle = call_async(&dir, "getFileHandle", &[name.into(), create.into()]).await?;
    call_async(&handle, "createWritable", &[]).await
}

/// Writes a whole `File` (or Blob) to `path` under a picked folder `root`.
pub async fn write_file(root: &JsValue, path: &str, file: &web_sys::File) -> Result<(), JsValue> {
    let stream = create_file(root, path).await?;
    call_async(&stream, "write", &[file.clone().into()]).await?;
    call_async(&stream, "close", &[]).await.map(|_| ())
}

/// Whether the browser can stream a save into a file the user picks.
pub fn can_pick_file() -> bool {
    has_global("showSaveFilePicker")
}

/// Whether the browser can write a job's output into a folder the user picks.
pub fn can_pick_folder() -> bool {
    has_global("showDirectoryPicker")
}

fn has_global(name: &str) -> bool {
    web_sys::window().is_some_and(|w| Reflect::has(&w, &name.into()).unwrap_or(false))
}

/// Asks for a folder to write into (`showDirectoryPicker`, read-write). Must be called
/// from the click that asked for it.
pub fn pick_folder() -> Result<Promise, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let options = Object::new();
    Reflect::set(&options, &"mode".into(), &"readwrite".into())?;
    let pick: Function = Reflect::get(&window, &"showDirectoryPicker".into())?.dyn_into()?;
    pick.call1(&window, &options)?.dyn_into()
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
