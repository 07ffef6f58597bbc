//! The sample lake, made in the page: the planning worker plans its files, the pool's
//! workers make them (a file each at a time, in parallel, like a job's tasks), and
//! the page keeps them in the browser's private file system (OPFS) when it can, so a
//! reload opens the kept lake instead of making it again.

use std::collections::{BTreeMap, HashMap, VecDeque};

use kiln_protocol::{LakeConfig, LakeFile, WorkerId};
use serde::{Deserialize, Serialize};
use web_sys::File;

/// Where in OPFS the kept lake lives; one lake at a time.
pub const LAKE_FOLDER: &str = "kiln-lake";
/// Written last: a lake without it was not finished.
pub const MANIFEST: &str = "manifest.json";
/// Attempts per file before the lake gives up (a worker may die making one).
const MAX_ATTEMPTS: u32 = 3;

/// What the page shows of the lake.
#[derive(Clone, Debug, PartialEq)]
pub struct LakeStatus {
    pub config: LakeConfig,
    pub phase: LakePhase,
    pub files_done: usize,
    pub files_total: usize,
    pub rows_done: u64,
    pub rows_total: u64,
    pub bytes: u64,
    pub elapsed_ms: f64,
    /// Kept in OPFS (it survives a reload), or only in this tab's memory.
    pub kept: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LakePhase {
    Planning,
    Making,
    /// Made; its tables are being added.
    Opening,
    Ready,
    Failed(String),
}

impl LakePhase {
    /// The phase's name in the page's `data-phase` attributes.
    pub fn as_str(&self) -> &'static str {
        match self {
            LakePhase::Planning => "planning",
            LakePhase::Making => "making",
            LakePhase::Opening => "opening",
            LakePhase::Ready => "ready",
            LakePhase::Failed(_) => "failed",
        }
    }
}

/// The kept lake's manifest: its config and files, written once every file is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub config: LakeConfig,
    pub files: Vec<LakeFile>,
}

/// A lake being made.
pub struct LakeBuild {
    pub config: LakeConfig,
    pub keep: bool,
    files: Vec<LakeFile>,
    queue: VecDeque<u32>,
    in_flight: HashMap<WorkerId, u32>,
    attempts: HashMap<u32, u32>,
    made: BTreeMap<u32, File>,
    bytes: u64,
    started_ms: f64,
    failed: Option<String>,
}

impl LakeBuild {
    pub fn new(config: LakeConfig, keep: bool, files: Vec<LakeFile>, now_ms: f64) -> Self {
        Self {
            queue: files.iter().map(|f| f.index).collect(),
            config,
            keep,
            files,
            in_flight: HashMap::new(),
            attempts: HashMap::new(),
            made: BTreeMap::new(),
            bytes: 0,
            started_ms: now_ms,
            failed: None,
        }
    }

    /// The next file for an idle worker, if one is waiting.
    pub fn assign(&mut self, worker: WorkerId) -> Option<u32> {
        if self.failed.is_some() {
            return None;
        }
        let index = self.queue.pop_front()?;
        *self.attempts.entry(index).or_default() += 1;
        self.in_flight.insert(worker, index);
        Some(index)
    }

    /// A worker could not be given its file: it goes back to the front.
    pub fn unassign(&mut self, worker: WorkerId) {
        if let Some(index) = self.in_flight.remove(&worker) {
            self.queue.push_front(index);
        }
    }

    /// The worker's file came back (its bytes are being stored).
    pub fn returned(&mut self, worker: WorkerId) {
        self.in_flight.remove(&worker);
    }

    pub fn stored(&mut self, index: u32, file: File) {
        self.bytes += file.size() as u64;
        self.made.insert(index, file);
    }

    /// A worker failed or died making its file: it is made again elsewhere, up to
    /// `MAX_ATTEMPTS` times.
    pub fn failed(&mut self, worker: WorkerId, reason: &str) {
        let Some(index) = self.in_flight.remove(&worker) else {
            return;
        };
        if self.attempts.get(&index).copied().unwrap_or(0) >= MAX_ATTEMPTS {
            let path = self.path(index);
            self.failed = Some(format!(
                "{path} failed {MAX_ATTEMPTS} times; the last time: {reason}"
            ));
        } else {
            self.queue.push_front(index);
        }
    }

    pub fn fail(&mut self, reason: String) {
        self.failed.get_or_insert(reason);
    }

    pub fn path(&self, index: u32) -> String {
        self.files
            .get(index as usize)
            .map_or_else(|| format!("file {index}"), |f| f.path.clone())
    }

    pub fn is_done(&self) -> bool {
        self.made.len() == self.files.len()
    }

    pub fn error(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// The made files, with their paths in the lake.
    pub fn picked(&self) -> Vec<(String, File)> {
        self.made
            .iter()
            .map(|(i, f)| (self.path(*i), f.clone()))
            .collect()
    }

    pub fn manifest(&self) -> Manifest {
        Manifest {
            config: self.config.clone(),
            files: self.files.clone(),
        }
    }

    pub fn status(&self, phase: LakePhase, now_ms: f64) -> LakeStatus {
        let rows = |f: &LakeFile| if is_trips(&f.path) { f.rows } else { 0 };
        LakeStatus {
            config: self.config.clone(),
            phase,
            files_done: self.made.len(),
            files_total: self.files.len(),
            rows_done: self
                .made
                .keys()
                .filter_map(|i| self.files.get(*i as usize))
                .map(rows)
                .sum(),
            rows_total: self.files.iter().map(rows).sum(),
            bytes: self.bytes,
            elapsed_ms: now_ms - self.started_ms,
            kept: self.keep,
        }
    }
}

/// Trip files sit in a service's folder; the zone lookup does not.
fn is_trips(path: &str) -> bool {
    path.contains('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<LakeFile> {
        [
            "yellow/year=2024/month=01/part-00000.parquet",
            "taxi_zone_lookup.parquet",
        ]
        .iter()
        .enumerate()
        .map(|(i, p)| LakeFile {
            index: i as u32,
            path: p.to_string(),
            rows: 10,
        })
        .collect()
    }

    #[test]
    fn a_file_whose_worker_failed_goes_to_another_until_it_fails_three_times() {
        let mut build = LakeBuild::new(LakeConfig::default(), false, files(), 0.0);
        assert_eq!(build.assign(1), Some(0));
        assert_eq!(build.assign(2), Some(1));
        assert_eq!(build.assign(3), None);
        build.failed(1, "trap");
        assert_eq!(build.assign(3), Some(0), "retried on another worker");
        build.failed(3, "trap");
        assert_eq!(build.assign(1), Some(0));
        build.failed(1, "out of memory");
        assert!(
            build
                .error()
                .is_some_and(|e| e.contains("failed 3 times") && e.contains("out of memory"))
        );
        assert_eq!(
            build.assign(2),
            None,
            "a failed lake hands out nothing more"
        );
    }
}
