//! The header controls that bring the user's data in: file and folder pickers. Files
//! are handed over as they are; nothing is read on the page.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::storage::files::{PickedFile, from_file_list};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on_files: Callback<Vec<PickedFile>>,
}

#[component]
pub fn FilePicker(props: &Props) -> Html {
    let on_pick = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(list) = input.files() {
                on_files.emit(from_file_list(&list));
            }
            // Picking the same file again must fire `change` again.
            input.set_value("");
        })
    };
    html! {
        <div class="file-picker">
            <label class="button primary" title="Parquet, CSV (also .csv.gz), JSON Lines or Arrow IPC files">
                {"Open files…"}
                <input type="file" class="visually-hidden" data-testid="file-input"
                    multiple={true} accept=".parquet,.csv,.gz,.jsonl,.ndjson,.arrow,.feather" onchange={on_pick.clone()} />
            </label>
            <label class="button" title="A folder of files with one schema; key=value subfolders become partition columns">
                {"Open folder…"}
                <input type="file" class="visually-hidden" data-testid="folder-input"
                    webkitdirectory={true} multiple={true} onchange={on_pick} />
            </label>
            <span class="hint">{"or drop files and folders anywhere"}</span>
        </div>
    }
}
