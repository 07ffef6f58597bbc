//! Spill files in the Origin Private File System: the page's local disk.
//!
//! DataFusion asks for a spill file synchronously, but OPFS hands out a synchronous
//! access handle only through a promise. So each pool worker opens one file, its
//! arena, once (before its first task under a budget) and keeps its handle; spill files
//! are chains of fixed-size chunks in it, reused as files are dropped, and the arena is
//! truncated whenever no spill file is left. One handle per worker also means one
//! lock: an arena whose worker died (a crashed or closed tab) is unlocked, and the next
//! worker to open its own removes it.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use js_sys::Reflect;
use kiln_engine::spill::{SpillBlob, SpillDisk};
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DedicatedWorkerGlobalScope, FileSystemDirectoryHandle, FileSystemFileHandle,
    FileSystemGetDirectoryOptions, FileSystemGetFileOptions, FileSystemReadWriteOptions,
    FileSystemSyncAccessHandle,
};

/// The folder of every worker's arena.
const FOLDER: &str = "kiln-spill";
/// A spill file grows by this much at a time: large enough that a file of hundreds of
/// MB is a short chain, small enough that a small spill does not hold much.
const CHUNK_BYTES: u64 = 4 << 20;

/// A worker's spill disk: its arena in OPFS.
pub struct OpfsDisk {
    arena: SendWrapper<Rc<RefCell<Arena>>>,
}

struct Arena {
    handle: FileSystemSyncAccessHandle,
    /// Chunks given back by dropped files, for the next ones.
    free: Vec<u64>,
    /// Chunks the arena has; the next new one is this.
    chunks: u64,
    live_files: usize,
}

pub(crate) fn js_error(what: &str, e: JsValue) -> String {
    let text = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| format!("{e:?}"));
    format!("{what}: {text}")
}

fn io_error(what: &str, e: JsValue) -> io::Error {
    io::Error::other(js_error(what, e))
}

impl OpfsDisk {
    /// Opens this worker's arena, after removing the arenas no live worker holds.
    pub async fn open() -> Result<OpfsDisk, String> {
        let folder = folder(FOLDER).await?;
        remove_unlocked(&folder).await;
        // Between making a file and locking it, another worker sweeping the folder (the
        // pool's workers open their arenas at once) may remove it: then a new one.
        let mut tries = 0;
        let handle = loop {
            let name = format!(
                "worker-{}-{}.spill",
                js_sys::Date::now() as u64,
                (js_sys::Math::random() * 1e9) as u64
            );
            match create_file(&folder, &name).await {
                Ok((_, handle)) => break handle,
                Err(e) if tries >= 4 => return Err(e),
                Err(_) => tries += 1,
            }
        };
        handle
            .truncate_with_f64(0.0)
            .map_err(|e| js_error("emptying the spill file", e))?;
        Ok(OpfsDisk {
            arena: SendWrapper::new(Rc::new(RefCell::new(Arena {
                handle,
                free: Vec::new(),
                chunks: 0,
                live_files: 0,
            }))),
        })
    }
}

/// The folder at `path` (`a/b`) of the worker's OPFS, made as needed.
pub(crate) async fn folder(path: &str) -> Result<FileSystemDirectoryHandle, String> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let mut dir: FileSystemDirectoryHandle =
        JsFuture::from(scope.navigator().storage().get_directory())
            .await
            .map_err(|e| js_error("this browser has no private storage (OPFS)", e))?
            .unchecked_into();
    let create = FileSystemGetDirectoryOptions::new();
    create.set_create(true);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        dir = JsFuture::from(dir.get_directory_handle_with_options(segment, &create))
            .await
            .map_err(|e| js_error(&format!("opening the folder {path}"), e))?
            .unchecked_into();
    }
    Ok(dir)
}

/// Makes (or opens) the file `name` in `folder` and its synchronous access handle,
/// which locks it until closed.
pub(crate) async fn create_file(
    folder: &FileSystemDirectoryHandle,
    name: &str,
) -> Result<(FileSystemFileHandle, FileSystemSyncAccessHandle), String> {
    let options = FileSystemGetFileOptions::new();
    options.set_create(true);
    let file: FileSystemFileHandle =
        JsFuture::from(folder.get_file_handle_with_options(name, &options))
            .await
            .map_err(|e| js_error(&format!("creating {name}"), e))?
            .unchecked_into();
    let handle: FileSystemSyncAccessHandle = JsFuture::from(file.create_sync_access_handle())
        .await
        .map_err(|e| js_error(&format!("opening {name}"), e))?
        .unchecked_into();
    Ok((file, handle))
}

/// Removes every file in `folder` that nothing holds open: a live worker's arena is
/// locked by its access handle, and removing it fails, as it should.
pub(crate) async fn remove_unlocked(folder: &FileSystemDirectoryHandle) {
    let names = folder.keys();
    loop {
        let Ok(next) = names.next() else { return };
        let Ok(step) = JsFuture::from(next).await else {
            return;
        };
        let done = Reflect::get(&step, &"done".into()).map_or(true, |d| d.is_truthy());
        if done {
            return;
        }
        if let Some(name) = Reflect::get(&step, &"value".into())
            .ok()
            .and_then(|v| v.as_string())
        {
            let _ = JsFuture::from(folder.remove_entry(&name)).await;
        }
    }
}

impl SpillDisk for OpfsDisk {
    fn create(&self) -> io::Result<Box<dyn SpillBlob>> {
        self.arena.borrow_mut().live_files += 1;
        Ok(Box::new(OpfsBlob {
            arena: SendWrapper::new(Rc::clone(&self.arena)),
            chunks: Vec::new(),
            len: 0,
        }))
    }

    fn describe(&self) -> &str {
        "this browser's private storage (OPFS)"
    }
}

/// One spill file: a chain of chunks of the arena.
struct OpfsBlob {
    arena: SendWrapper<Rc<RefCell<Arena>>>,
    chunks: Vec<u64>,
    len: u64,
}

fn at(offset: u64) -> FileSystemReadWriteOptions {
    let options = FileSystemReadWriteOptions::new();
    options.set_at(offset as f64);
    options
}

impl SpillBlob for OpfsBlob {
    fn append(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        let mut arena = self.arena.borrow_mut();
        while !bytes.is_empty() {
            let within = self.len % CHUNK_BYTES;
            if within == 0 && self.len / CHUNK_BYTES == self.chunks.len() as u64 {
                let chunk = arena.free.pop().unwrap_or_else(|| {
                    arena.chunks += 1;
                    arena.chunks - 1
                });
                self.chunks.push(chunk);
            }
            let chunk = self.chunks[(self.len / CHUNK_BYTES) as usize];
            let n = ((CHUNK_BYTES - within) as usize).min(bytes.len());
            let written = arena
                .handle
                .write_with_u8_array_and_options(&bytes[..n], &at(chunk * CHUNK_BYTES + within))
                .map_err(|e| io_error("writing a spill file", e))?;
            if written as usize != n {
                return Err(io::Error::other(format!(
                    "writing a spill file: {written} of {n} bytes written (is the browser's storage full?)"
                )));
            }
            self.len += n as u64;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    fn read_at(&mut self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        let arena = self.arena.borrow();
        while !buf.is_empty() {
            let chunk = *self
                .chunks
                .get((offset / CHUNK_BYTES) as usize)
                .ok_or_else(|| io::Error::other("reading past the end of a spill file"))?;
            let within = offset % CHUNK_BYTES;
            let n = ((CHUNK_BYTES - within) as usize).min(buf.len());
            let (now, rest) = buf.split_at_mut(n);
            let read = arena
                .handle
                .read_with_u8_array_and_options(now, &at(chunk * CHUNK_BYTES + within))
                .map_err(|e| io_error("reading a spill file", e))?;
            if read as usize != n {
                return Err(io::Error::other(format!(
                    "reading a spill file: {read} of {n} bytes read"
                )));
            }
            offset += n as u64;
            buf = rest;
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        self.len
    }
}

impl Drop for OpfsBlob {
    fn drop(&mut self) {
        let mut arena = self.arena.borrow_mut();
        arena.free.append(&mut self.chunks);
        arena.live_files -= 1;
        if arena.live_files == 0 {
            // Nothing spilled is left: give the storage back.
            arena.free.clear();
            arena.chunks = 0;
            let _ = arena.handle.truncate_with_f64(0.0);
        }
    }
}

/// The disk of a worker whose private storage could not be opened: a task that must
/// spill fails and says why, and tasks that fit their budget run as before.
pub struct NoDisk(pub String);

impl SpillDisk for NoDisk {
    fn create(&self) -> io::Result<Box<dyn SpillBlob>> {
        Err(io::Error::other(self.0.clone()))
    }

    fn describe(&self) -> &str {
        "this browser's private storage (OPFS)"
    }
}
