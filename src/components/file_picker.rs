//! The header controls that bring data in: file and folder pickers and the sample
//! generator. Files are handed over as they are; nothing is read on the page.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::files::{PickedFile, from_file_list};
use crate::format::parse_rows;

pub const DEFAULT_SAMPLE_ROWS: &str = "100000";

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on_files: Callback<Vec<PickedFile>>,
    pub on_sample: Callback<u64>,
}

#[component]
pub fn FilePicker(props: &Props) -> Html {
    let rows = use_state(|| DEFAULT_SAMPLE_ROWS.to_string());
    let parsed_rows = parse_rows(&rows);

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
    let on_rows = {
        let rows = rows.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            rows.set(input.value());
        })
    };
    let on_sample = {
        let on_sample = props.on_sample.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(n) = parsed_rows {
                on_sample.emit(n);
            }
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
            <div class="sample">
                <label for="sample-rows">{"Sample rows"}</label>
                <input id="sample-rows" type="number" min="1" step="1000" data-testid="sample-rows"
                    class={classes!(parsed_rows.is_none().then_some("invalid"))}
                    value={(*rows).clone()} oninput={on_rows} />
                <button class="button" data-testid="sample-button" disabled={parsed_rows.is_none()}
                    title="Generate taxi trips (yellow, green) and the zone lookup in the engine"
                    onclick={on_sample}>
                    {"Sample data"}
                </button>
            </div>
        </div>
    }
}
