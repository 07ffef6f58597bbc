//! Every query and program run, newest first, searchable by words of its text, its
//! error or its status; "Open" puts a run's text back in its editor.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::editors::history::{History, HistoryEntry};
use crate::format::{elapsed_ms, group_digits};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub history: Rc<History>,
    /// A run's kind (`sql`, `pyspark`, `pipeline`) and text, to put in its editor.
    pub on_open: Callback<(String, String)>,
    pub on_clear: Callback<()>,
    pub on_close: Callback<()>,
}

fn when(at_ms: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

fn outcome(e: &HistoryEntry) -> String {
    match (&e.error, e.rows, e.elapsed_ms) {
        (Some(error), _, _) => error.lines().next().unwrap_or("").to_string(),
        (None, Some(rows), Some(ms)) => format!(
            "{} row{} in {}",
            group_digits(rows),
            if rows == 1 { "" } else { "s" },
            elapsed_ms(ms)
        ),
        _ => String::new(),
    }
}

#[component]
pub fn HistoryPanel(props: &Props) -> Html {
    let query = use_state(String::new);
    let on_search = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                query.set(input.value());
            }
        })
    };
    let found = props.history.search(&query);
    let rows = found.iter().map(|&i| {
        let e = &props.history.entries[i];
        let open = {
            let (kind, text) = (e.kind.clone(), e.text.clone());
            props.on_open.reform(move |_: MouseEvent| (kind.clone(), text.clone()))
        };
        html! {
            <li class="history-entry" data-testid="history-entry" data-status={e.status.as_str()}
                data-kind={e.kind.clone()} data-rows={e.rows.map(|r| r.to_string())}>
                <div class="history-meta">
                    <span class="history-when">{ when(e.at_ms) }</span>
                    <span class="history-kind">{ e.kind.clone() }</span>
                    <span class={classes!("job-status", e.status.as_str())}>{ e.status.as_str() }</span>
                    <span class="history-outcome muted">{ outcome(e) }</span>
                    <button class="link" onclick={open} aria-label={format!("Open in the editor: {}", e.text.lines().next().unwrap_or(""))}>{"Open"}</button>
                </div>
                <pre class="history-text" data-testid="history-text">{ e.text.clone() }</pre>
            </li>
        }
    });
    html! {
        <section class="history-panel" data-testid="history-panel" aria-label="Query history">
            <div class="history-head">
                <strong>{ format!("History ({})", props.history.entries.len()) }</strong>
                <input type="search" placeholder="Search runs: words of the text, an error, failed…"
                    aria-label="Search the history" data-testid="history-search"
                    value={(*query).clone()} oninput={on_search} />
                <button class="link" onclick={props.on_clear.reform(|_: MouseEvent| ())}>{"Clear"}</button>
                <button class="icon-button" aria-label="Close the history"
                    onclick={props.on_close.reform(|_: MouseEvent| ())}>{"×"}</button>
            </div>
            if props.history.entries.is_empty() {
                <p class="empty">{"No runs yet: every query and program you run is kept here, across reloads."}</p>
            } else if found.is_empty() {
                <p class="empty">{"No run matches the search."}</p>
            } else {
                <ol class="history-list">{ for rows }</ol>
            }
        </section>
    }
}
