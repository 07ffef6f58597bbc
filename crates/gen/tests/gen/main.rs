//! The generator's integration tests, as one test binary (one link instead of three).

mod common;
mod distributions;
mod files;
mod zones;
