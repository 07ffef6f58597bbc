//! The workshop's machinery: jobs at intervals and their backfills, micro-batch
//! streams, and the sample lake they run over. (The lessons read the whole page's
//! state to check answers, so they live above it, in `src/lessons.rs`.)

pub mod lake;
pub mod schedule;
pub mod stream;
