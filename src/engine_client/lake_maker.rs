//! The engine client's side of the sample lake: planning it with the planning worker,
//! handing its files to idle pool workers, storing what they make (OPFS when kept),
//! then opening it as tables; and reopening a kept lake after a reload.

use js_sys::{Array, Uint8Array};
use kiln_protocol::{LakeConfig, LakeFile, RequestBody};
use wasm_bindgen::prelude::JsValue;
use wasm_bindgen_futures::spawn_local;
use web_sys::File;

use super::{EngineClient, describe, now_ms};
use crate::jobs::pool::PoolEvent;
use crate::state::{Action, Pending};
use crate::storage::files::PickedFile;
use crate::storage::opfs;
use crate::workshop::lake::{LAKE_FOLDER, LakeBuild, LakePhase, LakeStatus, MANIFEST, Manifest};

impl EngineClient {
    /// Makes a sample lake; `keep` stores it in OPFS so a reload reopens it. Tables of
    /// an earlier lake (`replace`) are removed first.
    pub fn generate_lake(&self, config: LakeConfig, keep: bool, replace: Vec<String>) {
        if self.inner.borrow().lake.is_some() {
            return;
        }
        for name in replace {
            self.remove_table(name);
        }
        {
            let mut inner = self.inner.borrow_mut();
            inner.lake_keep = keep;
            inner.lake_config = Some(config.clone());
        }
        self.dispatch(Action::Lake(LakeStatus {
            config: config.clone(),
            phase: LakePhase::Planning,
            files_done: 0,
            files_total: 0,
            rows_done: 0,
            rows_total: 0,
            bytes: 0,
            elapsed_ms: 0.0,
            kept: keep,
        }));
        let this = self.clone();
        spawn_local(async move {
            // The kept lake is replaced: a half-made new one must not pass for the old.
            if let Ok(root) = opfs::root().await {
                let _ = opfs::remove(&root, LAKE_FOLDER).await;
            }
            this.send(
                RequestBody::PlanLake { config },
                vec![],
                Pending::Lake,
                None,
            );
        });
    }

    /// The planning worker planned the lake: its files go to the pool.
    pub(super) fn lake_planned(&self, config: LakeConfig, files: Vec<LakeFile>) {
        let keep = self.inner.borrow().lake_keep;
        let build = LakeBuild::new(config, keep, files, now_ms());
        self.inner.borrow_mut().lake = Some(build);
        let (pool, workers) = {
            let inner = self.inner.borrow();
            (inner.runner.pool.clone(), inner.settings.workers)
        };
        if let Some(pool) = pool {
            pool.borrow_mut().restart(workers);
        }
        self.report_lake(LakePhase::Making);
        self.pump_lake();
    }

    /// Hands waiting files to idle workers.
    fn pump_lake(&self) {
        let pool = self.inner.borrow().runner.pool.clone();
        let Some(pool) = pool else { return };
        let idle = pool.borrow().idle();
        for worker in idle {
            let assigned = {
                let mut inner = self.inner.borrow_mut();
                let Some(build) = inner.lake.as_mut() else {
                    return;
                };
                build
                    .assign(worker)
                    .map(|index| (build.config.clone(), index))
            };
            let Some((config, index)) = assigned else {
                return;
            };
            let sent = pool
                .borrow_mut()
                .request(worker, RequestBody::GenerateLakeFile { config, index });
            if sent.is_err()
                && let Some(build) = self.inner.borrow_mut().lake.as_mut()
            {
                build.unassign(worker);
            }
        }
    }

    /// A pool event while a lake is being made. Returns false when it is not the lake's.
    pub(super) fn lake_event(&self, event: &PoolEvent) -> bool {
        if self.inner.borrow().lake.is_none() {
            return false;
        }
        match event {
            PoolEvent::Idle => self.pump_lake(),
            PoolEvent::LakeFileMade {
                worker,
                file,
                bytes,
            } => {
                if let Some(build) = self.inner.borrow_mut().lake.as_mut() {
                    build.returned(*worker);
                }
                self.store_lake_file(file.clone(), bytes.clone());
                self.pump_lake();
            }
            PoolEvent::RequestFailed { worker, error } => {
                if let Some(build) = self.inner.borrow_mut().lake.as_mut() {
                    build.failed(*worker, &error.to_string());
                }
                self.check_lake();
            }
            PoolEvent::WorkerLost { worker, reason } => {
                if let Some(build) = self.inner.borrow_mut().lake.as_mut() {
                    build.failed(*worker, &format!("the worker was lost: {reason}"));
                }
                self.check_lake();
            }
            PoolEvent::PoolDown { reason } => {
                if let Some(build) = self.inner.borrow_mut().lake.as_mut() {
                    build.fail(reason.clone());
                }
                self.check_lake();
            }
            _ => {}
        }
        true
    }

    /// Keeps a made file (in OPFS when the lake is kept, else in memory).
    fn store_lake_file(&self, file: LakeFile, bytes: Uint8Array) {
        let keep = self.inner.borrow().lake.as_ref().is_some_and(|b| b.keep);
        let this = self.clone();
        spawn_local(async move {
            let name = file
                .path
                .rsplit('/')
                .next()
                .unwrap_or(&file.path)
                .to_string();
            let stored = if keep {
                store_kept(&file.path, &bytes).await
            } else {
                in_memory(&bytes, &name)
            };
            let stored = match stored {
                Ok(f) => Ok(f),
                // OPFS full or missing: this tab keeps the lake in memory instead.
                Err(_) if keep => {
                    if let Some(build) = this.inner.borrow_mut().lake.as_mut() {
                        build.keep = false;
                    }
                    in_memory(&bytes, &name)
                }
                Err(e) => Err(e),
            };
            match stored {
                Ok(f) => {
                    if let Some(build) = this.inner.borrow_mut().lake.as_mut() {
                        build.stored(file.index, f);
                    }
                }
                Err(e) => {
                    if let Some(build) = this.inner.borrow_mut().lake.as_mut() {
                        build.fail(format!("storing {}: {}", file.path, describe(&e)));
                    }
                }
            }
            this.check_lake();
        });
    }

    /// Reports progress; when every file is made, opens the lake as tables.
    fn check_lake(&self) {
        let (done, error) = {
            let inner = self.inner.borrow();
            let Some(build) = inner.lake.as_ref() else {
                return;
            };
            (build.is_done(), build.error().map(str::to_string))
        };
        if let Some(error) = error {
            self.report_lake(LakePhase::Failed(error));
            self.inner.borrow_mut().lake = None;
            return;
        }
        if !done {
            self.report_lake(LakePhase::Making);
            return;
        }
        self.report_lake(LakePhase::Opening);
        let Some(build) = self.inner.borrow_mut().lake.take() else {
            return;
        };
        let this = self.clone();
        spawn_local(async move {
            if build.keep {
                let written = async {
                    let dir = opfs::folder_in_root(LAKE_FOLDER).await?;
                    let json = serde_json::to_string(&build.manifest())
                        .map_err(|e| JsValue::from_str(&e.to_string()))?;
                    opfs::write(&dir, MANIFEST, &Uint8Array::from(json.as_bytes())).await
                }
                .await;
                if let Err(e) = written {
                    web_sys::console::warn_1(
                        &format!("the lake was not kept: {}", describe(&e)).into(),
                    );
                }
            }
            let status = build.status(LakePhase::Ready, now_ms());
            this.open_lake_files(build.picked());
            this.inner.borrow_mut().lake_files = build.picked();
            this.dispatch(Action::Lake(status));
        });
    }

    fn report_lake(&self, phase: LakePhase) {
        let status = self
            .inner
            .borrow()
            .lake
            .as_ref()
            .map(|b| b.status(phase, now_ms()));
        if let Some(status) = status {
            self.dispatch(Action::Lake(status));
        }
    }

    fn open_lake_files(&self, files: Vec<(String, File)>) {
        let picked = files
            .into_iter()
            .map(|(path, file)| PickedFile { file, path })
            .collect();
        self.add_files(picked);
    }

    /// Reopens the lake kept in OPFS, if a finished one is there.
    pub(super) fn reopen_kept_lake(&self) {
        let this = self.clone();
        spawn_local(async move {
            let Ok(dir) = opfs::folder_in_root(LAKE_FOLDER).await else {
                return;
            };
            let Ok(text) = opfs::read_text(&dir, MANIFEST).await else {
                return;
            };
            let Ok(manifest) = serde_json::from_str::<Manifest>(&text) else {
                return;
            };
            let mut files = Vec::new();
            for f in &manifest.files {
                match opfs::file(&dir, &f.path).await {
                    Ok(file) => files.push((f.path.clone(), file)),
                    // A lake missing a file is not opened half.
                    Err(_) => return,
                }
            }
            let mut build = LakeBuild::new(manifest.config.clone(), true, manifest.files, now_ms());
            for (index, (_, file)) in files.iter().enumerate() {
                build.stored(index as u32, file.clone());
            }
            let status = build.status(LakePhase::Ready, now_ms());
            this.open_lake_files(files.clone());
            this.inner.borrow_mut().lake_files = files;
            this.dispatch(Action::Lake(status));
        });
    }

    /// Forgets the kept lake (its tables stay for this session).
    pub fn forget_lake(&self) {
        let this = self.clone();
        spawn_local(async move {
            let removed = match opfs::root().await {
                Ok(root) => opfs::remove(&root, LAKE_FOLDER).await,
                Err(e) => Err(e),
            };
            match removed {
                Ok(()) => this.dispatch(Action::LakeForgotten),
                Err(e) => this.dispatch(Action::ShowError(kiln_protocol::UserError {
                    context: "forgetting the kept sample lake".into(),
                    message: describe(&e),
                    location: None,
                })),
            }
        });
    }

    /// The lake's files as one zip, `kiln-lake-<config>.zip`, made in the planning
    /// worker and downloaded chunk by chunk.
    pub fn download_lake(&self, config: &LakeConfig) {
        let files = self.inner.borrow().lake_files.clone();
        self.zip_and_download(format!("kiln-lake-{}", config.key()), files);
    }

    /// Files as one zip under a folder `root`, made in the planning worker and
    /// downloaded chunk by chunk.
    pub(super) fn zip_and_download(&self, root: String, files: Vec<(String, File)>) {
        let (paths, files): (Vec<String>, Vec<File>) = files.into_iter().unzip();
        let id = self.inner.borrow().next_id;
        self.inner
            .borrow_mut()
            .opening
            .insert(id, crate::storage::save::Destination::Downloads);
        self.send(
            RequestBody::ZipFiles { root, paths },
            files,
            Pending::LakeZip,
            None,
        );
    }

    /// Writes the lake's files into a folder the user picked (`promise`).
    pub fn save_lake_to_folder(&self, promise: js_sys::Promise) {
        let files = self.inner.borrow().lake_files.clone();
        let this = self.clone();
        spawn_local(async move {
            let saved = async {
                let root = wasm_bindgen_futures::JsFuture::from(promise).await?;
                for (path, file) in &files {
                    crate::storage::save::write_file(&root, path, file).await?;
                }
                Ok::<(), JsValue>(())
            }
            .await;
            if let Err(e) = saved {
                this.dispatch(Action::ShowError(kiln_protocol::UserError {
                    context: "saving the sample lake into a folder".into(),
                    message: describe(&e),
                    location: None,
                }));
            }
        });
    }
}

async fn store_kept(path: &str, bytes: &Uint8Array) -> Result<File, JsValue> {
    let dir = opfs::folder_in_root(LAKE_FOLDER).await?;
    opfs::write(&dir, path, bytes).await?;
    opfs::file(&dir, path).await
}

fn in_memory(bytes: &Uint8Array, name: &str) -> Result<File, JsValue> {
    File::new_with_u8_array_sequence(&Array::of1(bytes), name)
}
