//! The browser's origin private file system (OPFS): where the sample lake is kept so a
//! reload does not make it again. Files read back from it are disk-backed `File`s, so a
//! kept lake costs no memory until a job reads it. Every call may fail (no OPFS in
//! this browser, quota): callers fall back to keeping files in memory.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

pub(crate) async fn call(
    target: &JsValue,
    method: &str,
    args: &[JsValue],
) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let args: Array = args.iter().cloned().collect();
    let result = f.apply(target, &args)?;
    match result.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(value) => Ok(value),
    }
}

fn create_option(create: bool) -> Result<JsValue, JsValue> {
    let options = Object::new();
    Reflect::set(&options, &"create".into(), &create.into())?;
    Ok(options.into())
}

/// The OPFS root, when the browser has one.
pub async fn root() -> Result<JsValue, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let storage = Reflect::get(&window.navigator(), &"storage".into())?;
    if storage.is_undefined() {
        return Err("this browser has no storage manager".into());
    }
    call(&storage, "getDirectory", &[]).await
}

/// The folder at `path` (`a/b`) below `dir`, made when `create`.
async fn folder(dir: &JsValue, path: &str, create: bool) -> Result<JsValue, JsValue> {
    let mut dir = dir.clone();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        dir = call(
            &dir,
            "getDirectoryHandle",
            &[part.into(), create_option(create)?],
        )
        .await?;
    }
    Ok(dir)
}

fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// Writes `bytes` to `path` below `dir`, replacing what was there.
pub async fn write(dir: &JsValue, path: &str, bytes: &Uint8Array) -> Result<(), JsValue> {
    let (parent, name) = split(path);
    let parent = folder(dir, parent, true).await?;
    let handle = call(
        &parent,
        "getFileHandle",
        &[name.into(), create_option(true)?],
    )
    .await?;
    let stream = call(&handle, "createWritable", &[]).await?;
    call(&stream, "write", &[bytes.clone().into()]).await?;
    call(&stream, "close", &[]).await.map(|_| ())
}

/// The file at `path` below `dir`, as a disk-backed `File`.
pub async fn file(dir: &JsValue, path: &str) -> Result<File, JsValue> {
    let (parent, name) = split(path);
    let parent = folder(dir, parent, false).await?;
    let handle = call(
        &parent,
        "getFileHandle",
        &[name.into(), create_option(false)?],
    )
    .await?;
    call(&handle, "getFile", &[]).await?.dyn_into()
}

pub async fn read_text(dir: &JsValue, path: &str) -> Result<String, JsValue> {
    let file = file(dir, path).await?;
    JsFuture::from(file.text())
        .await?
        .as_string()
        .ok_or_else(|| "not text".into())
}

/// Removes `name` (a file, or a folder with all it holds) from `dir`; a missing one is
/// not an error.
pub async fn remove(dir: &JsValue, name: &str) -> Result<(), JsValue> {
    let options = Object::new();
    Reflect::set(&options, &"recursive".into(), &true.into())?;
    match call(dir, "removeEntry", &[name.into(), options.into()]).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

fn is_not_found(e: &JsValue) -> bool {
    Reflect::get(e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .is_some_and(|n| n == "NotFoundError")
}

/// The sub-folder `name` of the OPFS root, made when missing.
pub async fn folder_in_root(name: &str) -> Result<JsValue, JsValue> {
    folder(&root().await?, name, true).await
}

/// Every file below `dir`, with its path relative to it, in name order.
pub async fn list(dir: &JsValue) -> Result<Vec<(String, File)>, JsValue> {
    let mut out = Vec::new();
    let mut folders = vec![(String::new(), dir.clone())];
    while let Some((prefix, folder)) = folders.pop() {
        let iterator = call(&folder, "values", &[]).await?;
        loop {
            let step = call(&iterator, "next", &[]).await?;
            if Reflect::get(&step, &"done".into())?.is_truthy() {
                break;
            }
            let handle = Reflect::get(&step, &"value".into())?;
            let name = Reflect::get(&handle, &"name".into())?
                .as_string()
                .unwrap_or_default();
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let kind = Reflect::get(&handle, &"kind".into())?.as_string();
            if kind.as_deref() == Some("directory") {
                folders.push((path, handle));
            } else {
                out.push((path, call(&handle, "getFile", &[]).await?.dyn_into()?));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The folder at `path` below `dir`, made when missing.
pub async fn make_folder(dir: &JsValue, path: &str) -> Result<JsValue, JsValue> {
    folder(dir, path, true).await
}

/// Removes `path` (`a/b/c`) below `dir`; a missing one is not an error.
pub async fn remove_path(dir: &JsValue, path: &str) -> Result<(), JsValue> {
    let (parent, name) = split(path);
    match folder(dir, parent, false).await {
        Ok(parent) => remove(&parent, name).await,
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The names of the entries (files and folders) directly in `dir`.
pub async fn names(dir: &JsValue) -> Result<Vec<String>, JsValue> {
    let iterator = call(dir, "keys", &[]).await?;
    let mut out = Vec::new();
    loop {
        let step = call(&iterator, "next", &[]).await?;
        if Reflect::get(&step, &"done".into())?.is_truthy() {
            return Ok(out);
        }
        if let Some(name) = Reflect::get(&step, &"value".into())?.as_string() {
            out.push(name);
        }
    }
}
