//! The job in the editor as Spark runs it: a PySpark script for `spark-submit` and a
//! Spark SQL file, each to copy or download, with what the user should know.

use kiln_protocol::SparkScripts;
use yew::prelude::*;

use crate::state::SparkExportView;
use crate::storage::download;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub view: SparkExportView,
    pub on_close: Callback<()>,
    /// A problem saving or copying, for the page's error panel.
    pub on_error: Callback<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    PySpark,
    SparkSql,
}

#[component]
pub fn SparkExport(props: &Props) -> Html {
    let tab = use_state(|| Tab::PySpark);
    let copied = use_state(|| false);
    let close = props.on_close.reform(|_: MouseEvent| ());
    let body = match &props.view {
        SparkExportView::Loading => html! { <p class="empty">{"Writing the job for Spark…"}</p> },
        SparkExportView::Failed(e) => html! {
            <p class="export-error" data-testid="spark-export-error">{ format!("{}: {}", e.context, e.message) }</p>
        },
        SparkExportView::Ready(scripts) => {
            let (text, file, mime) = shown(scripts, *tab);
            let select = |t: Tab| {
                let tab = tab.clone();
                let copied = copied.clone();
                Callback::from(move |_: MouseEvent| {
                    tab.set(t);
                    copied.set(false);
                })
            };
            let download = {
                let (text, file, on_error) = (text.clone(), file.clone(), props.on_error.clone());
                Callback::from(move |_: MouseEvent| {
                    let bytes = js_sys::Uint8Array::from(text.as_bytes());
                    if let Err(e) = download::save(&bytes, &file, mime) {
                        on_error.emit(format!("saving {file}: {}", crate::js::describe(&e)));
                    }
                })
            };
            let copy = {
                let (text, copied) = (text.clone(), copied.clone());
                Callback::from(move |_: MouseEvent| {
                    let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard())
                    else {
                        return;
                    };
                    let promise = clipboard.write_text(&text);
                    let copied = copied.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
                    });
                })
            };
            let tab_button = |t: Tab, label: &str, testid: &'static str| {
                let active = *tab == t;
                html! {
                    <button class={classes!("tab", active.then_some("active"))} role="tab"
                        aria-selected={active.to_string()} data-testid={testid} onclick={select(t)}>
                        { label.to_string() }
                    </button>
                }
            };
            html! {
                <>
                    <div class="tabs" role="tablist">
                        { tab_button(Tab::PySpark, "PySpark script", "export-tab-pyspark") }
                        if scripts.spark_sql.is_some() {
                            { tab_button(Tab::SparkSql, "Spark SQL", "export-tab-sql") }
                        }
                        <span class="spacer" />
                        <button class="button small" onclick={copy}>
                            { if *copied { "Copied" } else { "Copy" } }
                        </button>
                        <button class="button small" data-testid="export-download" onclick={download}>
                            { format!("Download {file}") }
                        </button>
                    </div>
                    for note in scripts.notes.iter() {
                        <p class="export-note">{ note.clone() }</p>
                    }
                    <pre class="export-code" data-testid="export-code">{ text }</pre>
                </>
            }
        }
    };
    html! {
        <section class="spark-export" data-testid="spark-export" aria-label="Export to Spark">
            <header class="spark-export-head">
                <h3>{"Run it on Spark"}</h3>
                <p class="hint">{"The same job for a Spark cluster: it reads the files below --input, laid out as you picked them."}</p>
                <button class="button small" onclick={close} aria-label="Close">{"Close"}</button>
            </header>
            { body }
        </section>
    }
}

/// The text, file name and type of the tab shown.
fn shown(scripts: &SparkScripts, tab: Tab) -> (String, String, &'static str) {
    match (tab, &scripts.spark_sql) {
        (Tab::SparkSql, Some(sql)) => (
            sql.clone(),
            format!("{}.sql", scripts.title),
            "application/sql",
        ),
        _ => (
            scripts.pyspark.clone(),
            format!("{}.py", scripts.title),
            "text/x-python",
        ),
    }
}
