//! The engine worker: Kiln's engine compiled to wasm and run inside a dedicated web
//! worker. It reads the user's `File`s by byte range and answers the page's requests.
//! Only this crate knows about the browser; the engine underneath does not.
#![cfg(target_arch = "wasm32")]

mod allocator;
mod file_source;
mod lake;
mod memory_blocks;
mod opfs_shuffle;
mod opfs_spill;
mod worker;

pub use worker::handle_message;

#[global_allocator]
static ALLOCATOR: allocator::Reporting = allocator::Reporting;
