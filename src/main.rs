//! Kiln's page: a Yew app that drives the query engine running in a web worker.

mod app;
mod components;
mod download;
mod engine_client;
mod event_log;
mod files;
mod format;
mod history;
mod job_progress;
mod job_runner;
mod lake;
mod lessons;
mod opfs;
mod pool;
mod program_run;
mod python;
mod save;
mod schedule;
mod share;
mod sql;
mod state;
mod storage;
mod stream;
mod tabs;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
