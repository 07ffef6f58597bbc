//! The sample data lake: what to generate, and its files as they are planned and made.
//! The page plans a lake with the planning worker, then has the pool's workers make its
//! files in parallel, a part each, as a batch job's tasks would.

use serde::{Deserialize, Serialize};

/// What the sample lake holds: taxi-style trips of three services and the zone lookup,
/// from the same deterministic generator as `kiln gen taxi --layout lake --fhv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LakeConfig {
    /// Trip rows over every service and month.
    pub rows: u64,
    pub months: u32,
    pub seed: u64,
    /// Rows per part file of a month.
    pub part_rows: u64,
}

impl LakeConfig {
    /// Sizes a workshop can ask for: ten thousand to fifty million trips.
    pub const MIN_ROWS: u64 = 10_000;
    pub const MAX_ROWS: u64 = 50_000_000;

    /// A short name that differs whenever the lake's files would: where it is kept.
    pub fn key(&self) -> String {
        format!(
            "rows{}-months{}-seed{}-part{}",
            self.rows, self.months, self.seed, self.part_rows
        )
    }
}

impl Default for LakeConfig {
    fn default() -> Self {
        Self {
            rows: 1_000_000,
            months: 3,
            seed: 42,
            part_rows: 1_000_000,
        }
    }
}

/// One file of the lake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LakeFile {
    /// Its place in the plan: what `GenerateLakeFile` asks for.
    pub index: u32,
    /// `yellow/year=2024/month=01/part-00000.parquet`, or the zone lookup's name.
    pub path: String,
    /// Trip rows (the zone lookup's 265 for it).
    pub rows: u64,
}
