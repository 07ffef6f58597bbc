//! The keyboard shortcuts, opened with `?` from anywhere but a text field and closed with
//! Esc, a click outside or its button.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

const SHORTCUTS: &[(&str, &str)] = &[
    (
        "Ctrl+Enter (Cmd+Enter)",
        "Run the query or program in the editor",
    ),
    ("Ctrl+Space", "Suggest tables, columns and keywords"),
    ("↑ ↓ then Enter or Tab", "Pick a suggestion"),
    ("Esc", "Close the suggestions, or this help"),
    ("Tab, Shift+Tab", "Move between controls"),
    (
        "Enter or Space on a stage",
        "Open the stage's page (Stages view)",
    ),
    ("?", "Show this help"),
];

/// Whether a key pressed here is text being typed, not a shortcut.
fn typing_into(target: Option<web_sys::EventTarget>) -> bool {
    target
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|e| {
            matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || e.get_attribute("contenteditable").is_some()
        })
}

/// Listens on the document for `?` and Esc while the page lives: a key pressed with
/// nothing focused goes to the document, not to any component.
#[hook]
pub fn use_help_key(open: UseStateSetter<bool>) {
    use_effect_with((), move |_| {
        let listener = Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(
            move |e: web_sys::KeyboardEvent| match e.key().as_str() {
                "?" if !typing_into(e.target()) => {
                    e.prevent_default();
                    open.set(true);
                }
                "Escape" => open.set(false),
                _ => {}
            },
        );
        let document = web_sys::window().and_then(|w| w.document());
        if let Some(d) = &document {
            let _ =
                d.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
        }
        move || {
            if let Some(d) = &document {
                let _ = d.remove_event_listener_with_callback(
                    "keydown",
                    listener.as_ref().unchecked_ref(),
                );
            }
        }
    });
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on_close: Callback<()>,
}

#[component]
pub fn HelpOverlay(props: &Props) -> Html {
    let close = props.on_close.reform(|_: MouseEvent| ());
    let keep = Callback::from(|e: MouseEvent| e.stop_propagation());
    html! {
        <div class="help-backdrop" onclick={close.clone()}>
            <section class="help-overlay" role="dialog" aria-modal="true" aria-labelledby="help-title"
                data-testid="help-overlay" onclick={keep}>
                <h2 id="help-title">{"Keyboard shortcuts"}</h2>
                <table class="grid">
                    <thead><tr><th>{"Keys"}</th><th>{"What they do"}</th></tr></thead>
                    <tbody>
                        for (keys, what) in SHORTCUTS.iter() {
                            <tr><td><kbd>{ *keys }</kbd></td><td>{ *what }</td></tr>
                        }
                    </tbody>
                </table>
                <button class="button" onclick={close} autofocus=true>{"Close"}</button>
            </section>
        </div>
    }
}
