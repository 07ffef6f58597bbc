//! The last error, in the user's terms, pointing into the SQL when it can.

use yew::prelude::*;

use crate::editors::sql::location::mark;
use crate::state::ShownError;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub error: ShownError,
    pub on_dismiss: Callback<()>,
    /// For a result too large to keep: run the job again into a folder the user picks.
    pub on_write_to_folder: Callback<js_sys::Promise>,
}

#[component]
pub fn ErrorPanel(props: &Props) -> Html {
    let error = &props.error.error;
    let marked = error
        .location
        .as_ref()
        .and_then(|span| mark(props.error.sql.as_deref()?, span));
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());

    html! {
        <section class="error-panel" data-testid="error-panel" role="alert">
            <div class="error-head">
                <span class="error-context">{ error.context.clone() }</span>
                <button class="icon-button" title="Dismiss" aria-label="Dismiss error" onclick={dismiss}>{"×"}</button>
            </div>
            <pre class="error-message" data-testid="error-message">{ error.message.clone() }</pre>
            if error.context == crate::jobs::runner::RESULT_TOO_LARGE && props.error.sql.is_some() {
                <div class="error-actions">
                    <button class="button small primary" data-testid="write-to-folder"
                        onclick={{
                            let on = props.on_write_to_folder.clone();
                            Callback::from(move |_: MouseEvent| {
                                // The picker opens inside the click, or not at all.
                                if let Ok(promise) = crate::storage::save::pick_folder() {
                                    on.emit(promise);
                                }
                            })
                        }}>
                        {"Write the result into a folder…"}
                    </button>
                </div>
            }
            { match (marked, &error.location) {
                (Some(m), _) => html! {
                    <div class="error-location" data-testid="error-location">
                        <div class="error-where">{ format!("line {}, column {}", m.line_number, error.location.map_or(0, |l| l.column)) }</div>
                        <pre class="error-snippet"><span class="gutter">{ format!("{:>4} │ ", m.line_number) }</span>{ m.line }{"\n"}<span class="gutter">{"     │ "}</span><span class="underline">{ m.underline }</span></pre>
                    </div>
                },
                // The span points outside the text we have; still say where.
                (None, Some(l)) => html! {
                    <div class="error-location" data-testid="error-location">
                        <div class="error-where">{ format!("line {}, column {}", l.line, l.column) }</div>
                    </div>
                },
                (None, None) => html! {},
            } }
        </section>
    }
}
