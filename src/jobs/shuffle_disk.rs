//! The page's folder of shuffle files in the browser's private storage (OPFS):
//! `kiln-shuffle/tab-<id>/job-<n>/`, one file per map task that was told to write its
//! output there (`TaskRequest::shuffle_to`). Workers write the files; the page owns the
//! folder: it removes a job's files as the job ends, and the files of tabs that died
//! (closed or crashed mid-job) when it starts. A tab holds a Web Lock named after its
//! folder while it lives, and the browser releases it when the tab goes, so a folder
//! whose lock nobody holds is a dead tab's. The same start removes the spill arenas
//! that no live worker holds.

use std::cell::{Cell, OnceCell};

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

use crate::storage::opfs;

const FOLDER: &str = "kiln-shuffle";
const SPILL_FOLDER: &str = "kiln-spill";

thread_local! {
    static TAB: OnceCell<String> = const { OnceCell::new() };
    static READY: Cell<bool> = const { Cell::new(false) };
}

fn tab() -> String {
    TAB.with(|t| {
        t.get_or_init(|| {
            format!(
                "tab-{}-{}",
                js_sys::Date::now() as u64,
                (js_sys::Math::random() * 1e9) as u64
            )
        })
        .clone()
    })
}

fn lock_name(tab: &str) -> String {
    format!("{FOLDER}/{tab}")
}

/// Whether this tab's folder is claimed: tasks may then write shuffle output there.
/// Without OPFS or Web Locks it never is, and every block stays in memory.
pub fn ready() -> bool {
    READY.with(Cell::get)
}

/// Where the tasks of `job_id` write their shuffle files.
pub fn job_folder(job_id: u64) -> String {
    format!("{FOLDER}/{}", job_path(job_id))
}

/// A job's shuffle folder, and its result's, below `FOLDER`.
fn job_path(job_id: u64) -> String {
    format!("{}/job-{job_id}", tab())
}

fn result_path(job_id: u64) -> String {
    format!("{}/result-{job_id}", tab())
}

/// Where the result tasks of `job_id` write their blocks when they go to disk: apart
/// from its shuffle files, since the result outlives the job (the planning worker
/// keeps it, and empties the folder when it drops it).
pub fn result_folder(job_id: u64) -> String {
    format!("{FOLDER}/{}", result_path(job_id))
}

/// Takes this tab's lock, then removes the folders of tabs that hold none.
pub async fn claim() {
    match claim_and_sweep().await {
        Ok(()) => READY.with(|r| r.set(true)),
        Err(e) => web_sys::console::warn_2(
            &"Kiln: shuffle output stays in memory; the private storage is not usable:".into(),
            &e,
        ),
    }
}

async fn claim_and_sweep() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let locks = Reflect::get(&window.navigator(), &"locks".into())?;
    if locks.is_undefined() {
        return Err("this browser has no Web Locks".into());
    }
    let own = tab();
    // The lock is held for as long as the promise its callback returns is pending:
    // for good. `granted` resolves once the browser hands it over.
    let mut grant: Option<Function> = None;
    let granted = Promise::new(&mut |resolve, _| grant = Some(resolve));
    let grant = grant.ok_or("no resolver")?;
    let hold = Closure::once_into_js(move |_lock: JsValue| {
        let _ = grant.call0(&JsValue::NULL);
        Promise::new(&mut |_, _| {})
    });
    // Not awaited: the promise `request` returns settles only when the lock is released.
    let request: Function =
        wasm_bindgen::JsCast::dyn_into(Reflect::get(&locks, &"request".into())?)?;
    request.call2(&locks, &lock_name(&own).into(), &hold)?;
    JsFuture::from(granted).await?;

    let root = opfs::folder_in_root(FOLDER).await?;
    let snapshot = opfs::call(&locks, "query", &[]).await?;
    let held: Vec<String> = Reflect::get(&snapshot, &"held".into())
        .ok()
        .filter(Array::is_array)
        .map(|a| {
            Array::from(&a)
                .iter()
                .filter_map(|l| Reflect::get(&l, &"name".into()).ok()?.as_string())
                .collect()
        })
        .unwrap_or_default();
    for name in opfs::names(&root).await? {
        if name != own && !held.contains(&lock_name(&name)) {
            opfs::remove(&root, &name).await?;
        }
    }
    // The spill arenas of dead workers too (`kiln-browser`'s `opfs_spill`): a live
    // worker's is locked by its open access handle, and removing it fails, as it should.
    let arenas = opfs::folder_in_root(SPILL_FOLDER).await?;
    for name in opfs::names(&arenas).await? {
        let _ = opfs::remove(&arenas, &name).await;
    }
    Ok(())
}

/// Removes a job's shuffle files (its tasks are done or ended), and its result's when
/// `result_too` (a job that failed or was cancelled leaves no result to keep).
/// Removes the result folder of `job_id` alone: the parts of a result written into a
/// picked folder, staged here by the tasks, once they are copied there.
pub fn remove_result(job_id: u64) {
    wasm_bindgen_futures::spawn_local(async move {
        let removed = async {
            let root = opfs::folder_in_root(FOLDER).await?;
            opfs::remove_path(&root, &result_path(job_id)).await
        };
        if let Err(e) = removed.await {
            web_sys::console::warn_2(
                &"Kiln: a result's staged parts were not removed:".into(),
                &e,
            );
        }
    });
}

pub fn remove_job(job_id: u64, result_too: bool) {
    wasm_bindgen_futures::spawn_local(async move {
        let removed = async {
            let root = opfs::folder_in_root(FOLDER).await?;
            opfs::remove_path(&root, &job_path(job_id)).await?;
            if result_too {
                opfs::remove_path(&root, &result_path(job_id)).await?;
            }
            Ok::<(), JsValue>(())
        };
        if let Err(e) = removed.await {
            web_sys::console::warn_2(&"Kiln: a job's shuffle files were not removed:".into(), &e);
        }
    });
}
