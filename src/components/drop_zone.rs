//! The whole page accepts dropped files and folders.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::js::describe;
use crate::storage::files::{Dropped, PickedFile, take_drop, walk};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on_files: Callback<Vec<PickedFile>>,
    /// A folder that could not be read.
    pub on_error: Callback<String>,
    pub children: Html,
}

/// Only drags that carry files are ours; dragged text or links are left alone.
fn carries_files(e: &DragEvent) -> bool {
    e.data_transfer()
        .is_some_and(|dt| dt.types().includes(&JsValue::from_str("Files"), 0))
}

#[component]
pub fn DropZone(props: &Props) -> Html {
    let dragging = use_state_eq(|| false);

    let on_drag_over = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            if carries_files(&e) {
                // Without this the browser refuses the drop (and would open the file).
                e.prevent_default();
                if let Some(dt) = e.data_transfer() {
                    dt.set_drop_effect("copy");
                }
                dragging.set(true);
            }
        })
    };
    let on_drag_leave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let on_drop = {
        let dragging = dragging.clone();
        let on_files = props.on_files.clone();
        let on_error = props.on_error.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            let Some(dt) = e.data_transfer() else {
                return;
            };
            match take_drop(&dt) {
                Dropped::Files(files) => on_files.emit(files),
                Dropped::Entries(entries) => {
                    let on_files = on_files.clone();
                    let on_error = on_error.clone();
                    spawn_local(async move {
                        match walk(entries).await {
                            Ok(files) => on_files.emit(files),
                            Err(e) => on_error.emit(describe(&e)),
                        }
                    });
                }
            }
        })
    };

    html! {
        <div class="app" data-testid="drop-zone"
            ondragenter={on_drag_over.clone()} ondragover={on_drag_over} ondrop={on_drop}>
            { props.children.clone() }
            if *dragging {
                <div class="drop-overlay" ondragleave={on_drag_leave}>
                    <div class="drop-message">
                        <strong>{"Drop to add"}</strong>
                        <span>{"Parquet and CSV files, or folders of them"}</span>
                    </div>
                </div>
            }
        </div>
    }
}
