//! Shown when the engine is gone: what happened and a way to start it again. The
//! query text and the files are kept, so a restart brings the tables back.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub message: String,
    pub on_restart: Callback<()>,
}

#[component]
pub fn CrashBanner(props: &Props) -> Html {
    let restart = props.on_restart.reform(|_: MouseEvent| ());
    html! {
        <div class="crash-banner" role="alert">
            <div class="crash-text">
                <strong>{ props.message.clone() }</strong>
                <span>{"Your query and the files you added are kept. Restarting loads them into a fresh engine."}</span>
            </div>
            <button class="button primary" data-testid="restart-engine" onclick={restart}>{"Restart engine"}</button>
        </div>
    }
}
