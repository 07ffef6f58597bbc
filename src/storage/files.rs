//! Collecting the `File`s the user picks or drops, with the paths the engine groups
//! tables by. Contents are never read here: the worker reads them.

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DataTransfer, File, FileList, FileSystemDirectoryEntry, FileSystemDirectoryReader,
    FileSystemEntry, FileSystemFileEntry,
};

/// A file and the path it is registered under.
#[derive(Clone, Debug)]
pub struct PickedFile {
    pub file: File,
    pub path: String,
}

/// OS litter such as `.DS_Store` would only come back as a rejected file.
fn is_hidden(path: &str) -> bool {
    path.split('/').any(|segment| segment.starts_with('.'))
}

/// From an `<input type=file>`. For a folder pick the browser gives each file a
/// `webkitRelativePath` (`folder/sub/file`); for a plain pick it is empty.
pub fn from_file_list(list: &FileList) -> Vec<PickedFile> {
    let mut picked: Vec<PickedFile> = (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|file| {
            let relative = Reflect::get(&file, &JsValue::from_str("webkitRelativePath"))
                .ok()
                .and_then(|v| v.as_string())
                .filter(|p| !p.is_empty());
            let path = relative.unwrap_or_else(|| file.name());
            PickedFile { file, path }
        })
        .filter(|p| !is_hidden(&p.path))
        .collect();
    picked.sort_by(|a, b| a.path.cmp(&b.path));
    picked
}

/// The entries of a drop. They must be taken while the drop event is being handled:
/// the browser empties the `DataTransfer` afterwards.
pub enum Dropped {
    Entries(Vec<FileSystemEntry>),
    /// Browsers without `webkitGetAsEntry` still give the top-level files.
    Files(Vec<PickedFile>),
}

pub fn take_drop(data: &DataTransfer) -> Dropped {
    let items = data.items();
    let entries: Vec<FileSystemEntry> = (0..items.length())
        .filter_map(|i| items.get(i))
        .filter(|item| item.kind() == "file")
        .filter_map(|item| item.webkit_get_as_entry().ok().flatten())
        .collect();
    if !entries.is_empty() {
        return Dropped::Entries(entries);
    }
    Dropped::Files(data.files().map(|l| from_file_list(&l)).unwrap_or_default())
}

/// Walks dropped folders. Paths are `folder/sub/file` (`fullPath` without its leading
/// slash), which is what a folder pick would give too.
pub async fn walk(entries: Vec<FileSystemEntry>) -> Result<Vec<PickedFile>, JsValue> {
    let mut out = Vec::new();
    let mut stack = entries;
    while let Some(entry) = stack.pop() {
        let path = entry.full_path().trim_start_matches('/').to_string();
        if is_hidden(&path) {
            continue;
        }
        if entry.is_file() {
            let file = file_of(entry.unchecked_ref()).await?;
            out.push(PickedFile { file, path });
        } else if entry.is_directory() {
            let dir: &FileSystemDirectoryEntry = entry.unchecked_ref();
            let reader = dir.create_reader();
            // readEntries hands out a batch at a time (100 in Chrome) until it returns none.
            loop {
                let batch = read_entries(&reader).await?;
                if batch.length() == 0 {
                    break;
                }
                stack.extend(batch.iter().map(|e| e.unchecked_into::<FileSystemEntry>()));
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

async fn file_of(entry: &FileSystemFileEntry) -> Result<File, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        entry.file_with_callback_and_callback(&resolve, &reject);
    });
    JsFuture::from(promise).await?.dyn_into::<File>()
}

async fn read_entries(reader: &FileSystemDirectoryReader) -> Result<Array, JsValue> {
    let mut call_error = None;
    let promise = Promise::new(&mut |resolve, reject| {
        if let Err(e) = reader.read_entries_with_callback_and_callback(&resolve, &reject) {
            call_error = Some(e);
        }
    });
    if let Some(e) = call_error {
        return Err(e);
    }
    JsFuture::from(promise).await?.dyn_into::<Array>()
}

#[cfg(test)]
mod tests {
    use super::is_hidden;

    #[test]
    fn hidden_files_and_folders_are_skipped() {
        assert!(is_hidden(".DS_Store"));
        assert!(is_hidden("trips/.git/config"));
        assert!(!is_hidden("trips/year=2024/part-0.parquet"));
    }
}
