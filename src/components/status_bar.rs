//! The engine's state at a glance, and the way back when it crashed.

use yew::prelude::*;

use crate::state::Status;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub status: Status,
    /// What the engine is busy with, when running.
    pub activity: Option<&'static str>,
    pub crash_message: Option<String>,
    pub tables: usize,
}

#[component]
pub fn StatusBar(props: &Props) -> Html {
    let text = match props.status {
        Status::Loading => "Loading engine…".to_string(),
        Status::Ready => "Ready".to_string(),
        Status::Running => format!("{}…", props.activity.unwrap_or("Running")),
        Status::Crashed => "Engine not running".to_string(),
    };
    let tables = match props.tables {
        1 => "1 table".to_string(),
        n => format!("{n} tables"),
    };
    html! {
        <footer class="status-bar">
            <span class={classes!("status", props.status.as_str())} data-testid="status"
                data-state={props.status.as_str()} role="status" title={props.crash_message.clone()}>
                <span class="status-dot" aria-hidden="true"></span>
                { text }
            </span>
            <span class="status-tables">{ tables }</span>
            <span class="status-note">{"Jobs run on a pool of web workers; your files never leave this browser."}</span>
        </footer>
    }
}
