//! A query's result as the page holds it: the rows fetched so far (by block, the
//! blocks nearest the reader kept), its last save and chart, and its column profiles.
//! The rest of its rows stay as Arrow in the engine worker.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use kiln_protocol::{ChartData, JobId, OutputFile, ResultPage, ResultProfile, ResultSummary};

pub const PAGE_SIZE: u64 = 100;

/// Rows held on the page at most, in blocks of `PAGE_SIZE`; the rest stays in the
/// engine worker as Arrow and is fetched again when scrolled back to.
pub const KEPT_BLOCKS: usize = 40;

pub type Row = Vec<Option<String>>;

#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    pub result_id: u64,
    pub summary: ResultSummary,
    /// Rows fetched so far, by the offset of their block (a multiple of `PAGE_SIZE`).
    pub blocks: BTreeMap<u64, Rc<Vec<Row>>>,
    /// Blocks asked for and not here yet.
    pub requested: BTreeSet<u64>,
    /// The worker that held the result is gone; the rows here stay, fetching doesn't.
    pub detached: bool,
    /// The result's last save, or the one under way.
    pub export: Option<ExportStatus>,
    /// The chart last drawn of it.
    pub chart: Option<Rc<ChartData>>,
    pub profile: ProfileState,
    /// The SQL statement that made it (not a program's), which a profile's filter wraps.
    pub sql: Option<String>,
    /// The job that made it, whose list entry shows the profile pass.
    pub job_id: Option<JobId>,
}

/// The column profiles of a result: asked for once it is shown.
#[derive(Clone, Debug, PartialEq)]
pub enum ProfileState {
    NotAsked,
    Running,
    Ready(Rc<ResultProfile>),
    Failed(String),
}

/// A save of the result as it goes: bytes written so far, and a written output's files.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportStatus {
    pub export_id: u64,
    pub file_name: String,
    pub bytes: u64,
    pub files: Vec<OutputFile>,
    pub done: bool,
}

impl QueryResult {
    pub fn new(result_id: u64, summary: ResultSummary, first: ResultPage) -> Self {
        let mut result = Self {
            result_id,
            summary,
            blocks: BTreeMap::new(),
            requested: BTreeSet::new(),
            detached: false,
            export: None,
            chart: None,
            profile: ProfileState::NotAsked,
            sql: None,
            job_id: None,
        };
        result.insert(first);
        result
    }

    /// Whether its profiles should be asked for now.
    pub fn wants_profile(&self) -> bool {
        self.profile == ProfileState::NotAsked && !self.detached && self.summary.total_rows > 0
    }

    /// Row `index` (0-based), when its block is here.
    pub fn row(&self, index: u64) -> Option<&Row> {
        let block = index / PAGE_SIZE * PAGE_SIZE;
        self.blocks.get(&block)?.get((index - block) as usize)
    }

    /// Offsets of the blocks rows `first..first + count` need that are neither here nor
    /// asked for.
    pub fn missing(&self, first: u64, count: u64) -> Vec<u64> {
        let end = (first + count).min(self.summary.total_rows);
        if first >= end {
            return Vec::new();
        }
        (first / PAGE_SIZE..=(end - 1) / PAGE_SIZE)
            .map(|b| b * PAGE_SIZE)
            .filter(|o| !self.blocks.contains_key(o) && !self.requested.contains(o))
            .collect()
    }

    pub(crate) fn insert(&mut self, page: ResultPage) {
        let offset = page.offset / PAGE_SIZE * PAGE_SIZE;
        self.requested.remove(&offset);
        self.blocks.insert(offset, Rc::new(page.rows));
        // Keep the blocks nearest the one just fetched: that is where the reader is.
        while self.blocks.len() > KEPT_BLOCKS {
            let farthest = self
                .blocks
                .keys()
                .copied()
                .max_by_key(|o| o.abs_diff(offset));
            match farthest {
                Some(o) => self.blocks.remove(&o),
                None => break,
            };
        }
    }
}
