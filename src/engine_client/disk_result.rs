//! A job whose result goes into a folder rather than into the page: each task of its
//! last stage makes its part as a Parquet file, which is written into the folder the
//! user picked as it arrives and then dropped, so no result is ever held whole. What a
//! result too large for the tab's memory is run as.

use js_sys::Promise;
use kiln_protocol::{RequestId, UserError};
use wasm_bindgen::prelude::JsValue;
use wasm_bindgen_futures::{JsFuture, spawn_local};

use super::{EngineClient, describe};
use crate::jobs::block::Block;
use crate::jobs::runner::RunSettings;
use crate::jobs::shuffle_disk;
use crate::state::{Action, WrittenResult};

pub struct DiskResult {
    /// The request that plans the job.
    pub request: RequestId,
    root: JsValue,
    folder: String,
    pending: usize,
    bytes: u64,
    done: Option<(usize, f64)>,
    /// The job whose result folder in the private storage holds the parts (written
    /// there by tasks under a memory budget), removed once they are copied.
    staged: Option<u64>,
    failed: Option<String>,
}

impl EngineClient {
    /// Runs `sql` with its result written into the folder `folder` (a promise of a
    /// picked directory handle), part by part.
    pub fn run_sql_to_folder(&self, sql: String, settings: RunSettings, folder: Promise) {
        let this = self.clone();
        spawn_local(async move {
            let root = match JsFuture::from(folder).await {
                Ok(root) => root,
                Err(e) => {
                    this.dispatch(Action::ShowError(UserError {
                        context: "picking a folder for the result".into(),
                        message: describe(&e),
                        location: None,
                    }));
                    return;
                }
            };
            let name = js_sys::Reflect::get(&root, &"name".into())
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_else(|| "the folder".into());
            let request = this.inner.borrow().next_id;
            this.inner.borrow_mut().disk = Some(DiskResult {
                request,
                root,
                folder: name,
                pending: 0,
                bytes: 0,
                done: None,
                staged: None,
                failed: None,
            });
            this.run_sql(sql, &settings);
        });
    }

    /// Whether request `id` is a job whose result goes to disk.
    pub(super) fn is_disk_job(&self, id: RequestId) -> bool {
        self.inner
            .borrow()
            .disk
            .as_ref()
            .is_some_and(|d| d.request == id)
    }

    /// Writes one part into the folder: its bytes, or the staged file's, which the
    /// browser streams from disk to disk.
    pub(super) fn write_part(&self, part: usize, block: Block) {
        let root = {
            let mut inner = self.inner.borrow_mut();
            let Some(disk) = inner.disk.as_mut() else {
                return;
            };
            disk.pending += 1;
            disk.bytes += block.len();
            disk.root.clone()
        };
        let this = self.clone();
        spawn_local(async move {
            let name = format!("part-{part:05}.parquet");
            let file = match &block {
                Block::Held(bytes) => {
                    web_sys::File::new_with_u8_array_sequence(&js_sys::Array::of1(bytes), &name)
                }
                Block::OnDisk(blob) | Block::InMemory(blob) => {
                    web_sys::File::new_with_blob_sequence(&js_sys::Array::of1(blob), &name)
                }
            };
            let written = match file {
                Ok(file) => crate::storage::save::write_file(&root, &name, &file).await,
                Err(e) => Err(e),
            };
            if let Some(disk) = this.inner.borrow_mut().disk.as_mut() {
                disk.pending -= 1;
                if let Err(e) = written {
                    disk.failed
                        .get_or_insert(format!("writing {name}: {}", describe(&e)));
                }
            }
            this.finish_disk_job();
        });
    }

    /// Every part was handed over; the job ends once they are written.
    pub(super) fn disk_job_done(&self, parts: usize, elapsed_ms: f64, staged: Option<u64>) {
        if let Some(disk) = self.inner.borrow_mut().disk.as_mut() {
            disk.done = Some((parts, elapsed_ms));
            disk.staged = staged;
        }
        self.finish_disk_job();
    }

    /// The job failed: the folder keeps what was written, without `_SUCCESS`.
    pub(super) fn disk_job_failed(&self, id: RequestId) {
        if self.is_disk_job(id) {
            self.inner.borrow_mut().disk = None;
        }
    }

    fn finish_disk_job(&self) {
        let ready = self
            .inner
            .borrow()
            .disk
            .as_ref()
            .is_some_and(|d| d.done.is_some() && d.pending == 0);
        if !ready {
            return;
        }
        let Some(disk) = self.inner.borrow_mut().disk.take() else {
            return;
        };
        if let Some(job_id) = disk.staged {
            shuffle_disk::remove_result(job_id);
        }
        let this = self.clone();
        spawn_local(async move {
            let (parts, elapsed_ms) = disk.done.unwrap_or_default();
            let marker = async {
                let empty =
                    web_sys::File::new_with_u8_array_sequence(&js_sys::Array::new(), "_SUCCESS")?;
                crate::storage::save::write_file(&disk.root, "_SUCCESS", &empty).await
            }
            .await;
            let error = disk
                .failed
                .clone()
                .or_else(|| marker.err().map(|e| describe(&e)));
            this.dispatch(Action::ResultWritten(WrittenResult {
                request: disk.request,
                folder: disk.folder,
                parts,
                bytes: disk.bytes,
                elapsed_ms,
                error,
            }));
        });
    }
}
