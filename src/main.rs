//! Kiln's page: a Yew app that drives the query engine running in a web worker.
//!
//! Rooms, from the top down; a room imports only from rooms below it, never up (no
//! import cycle between rooms):
//! - `app` and `components` (the views, one file each), and `lessons` (the workshop's
//!   steps, whose answers are read off the page's state);
//! - `engine_client`: the planning worker, the pool's jobs, the lake, schedules and
//!   streams driven through it, turning messages into `Action`s;
//! - `state`: the one reducer;
//! - `storage` (localStorage, OPFS, saves, picked files, shared links), `workshop`
//!   (schedules, streams, the sample lake), `editors` (SQL and Python lexers,
//!   completion, tabs, history), `jobs` (runner, pool, progress, event log);
//! - `result`, `format` and `js` at the bottom.

mod app;
mod components;
mod editors;
mod engine_client;
mod format;
mod jobs;
mod js;
mod lessons;
mod result;
mod state;
mod storage;
mod workshop;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
