//! The engine's integration tests, as one test binary: each binary links all of
//! DataFusion, so one binary instead of three keeps the debug build small and quick.

mod catalog;
mod common;
mod fuzz_inputs;
mod jobs;
mod stages;
