//! Every statement and program run, newest first, with how it went: kept across
//! reloads and searchable, so yesterday's query is one search away.

use serde::{Deserialize, Serialize};

use kiln_protocol::RequestId;

/// Entries kept; older ones fall off the end.
pub const MAX_ENTRIES: usize = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    /// The page was closed or the engine restarted before it ended.
    Unfinished,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Unfinished => "unfinished",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// `sql` or `pyspark`: the editor it came from.
    pub kind: String,
    pub text: String,
    /// When it was run, in ms since the epoch.
    pub at_ms: f64,
    pub status: RunStatus,
    pub rows: Option<u64>,
    pub elapsed_ms: Option<f64>,
    pub error: Option<String>,
    /// The request that runs it, while it runs (not kept across reloads).
    #[serde(skip)]
    pub request: Option<RequestId>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Newest first.
    pub entries: Vec<HistoryEntry>,
}

impl History {
    pub fn started(&mut self, request: RequestId, kind: &str, text: &str, at_ms: f64) {
        self.entries.insert(
            0,
            HistoryEntry {
                kind: kind.into(),
                text: text.trim().to_string(),
                at_ms,
                status: RunStatus::Running,
                rows: None,
                elapsed_ms: None,
                error: None,
                request: Some(request),
            },
        );
        self.entries.truncate(MAX_ENTRIES);
    }

    /// Whether `request` is a run this history is waiting for.
    pub fn is_running(&self, request: RequestId) -> bool {
        self.entries.iter().any(|e| e.request == Some(request))
    }

    pub fn succeeded(&mut self, request: RequestId, rows: Option<u64>, elapsed_ms: Option<f64>) {
        if let Some(e) = self.entry(request) {
            e.status = RunStatus::Succeeded;
            e.rows = rows;
            e.elapsed_ms = elapsed_ms;
            e.request = None;
        }
    }

    pub fn failed(&mut self, request: RequestId, message: &str) {
        if let Some(e) = self.entry(request) {
            e.status = RunStatus::Failed;
            e.error = Some(message.to_string());
            e.request = None;
        }
    }

    /// Runs that can no longer end: the worker went, or this is a reload.
    pub fn interrupted(&mut self) {
        for e in &mut self.entries {
            if e.status == RunStatus::Running {
                e.status = RunStatus::Unfinished;
                e.request = None;
            }
        }
    }

    fn entry(&mut self, request: RequestId) -> Option<&mut HistoryEntry> {
        self.entries.iter_mut().find(|e| e.request == Some(request))
    }

    /// Entries whose text (or error) holds every word of `query`, ignoring case; all of
    /// them for an empty query. Indexes into `entries`.
    pub fn search(&self, query: &str) -> Vec<usize> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                let haystack = format!(
                    "{} {} {}",
                    e.text.to_lowercase(),
                    e.status.as_str(),
                    e.error.as_deref().unwrap_or("").to_lowercase()
                );
                words.iter().all(|w| haystack.contains(w.as_str()))
            })
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_recorded_newest_first_and_found_by_words() {
        let mut h = History::default();
        h.started(1, "sql", "SELECT count(*) FROM yellow\n", 10.0);
        h.started(2, "sql", "SELECT * FROM zones", 20.0);
        h.succeeded(1, Some(1), Some(5.0));
        h.failed(2, "table zones not found");
        assert_eq!(h.entries[0].text, "SELECT * FROM zones");
        assert_eq!(h.entries[0].status, RunStatus::Failed);
        assert_eq!(h.entries[1].rows, Some(1));
        assert_eq!(h.search("yellow COUNT"), vec![1]);
        assert_eq!(h.search("not found"), vec![0]);
        assert_eq!(h.search("failed"), vec![0]);
        assert_eq!(h.search(""), vec![0, 1]);
        h.started(3, "pyspark", "df.show()", 30.0);
        h.interrupted();
        assert_eq!(h.entries[0].status, RunStatus::Unfinished);
        let json = serde_json::to_string(&h).expect("serializes");
        let back: History = serde_json::from_str(&json).expect("parses");
        assert_eq!(back.entries.len(), 3);
        assert_eq!(back.entries[0].request, None);
    }

    #[test]
    fn the_oldest_fall_off() {
        let mut h = History::default();
        for i in 0..(MAX_ENTRIES as u64 + 5) {
            h.started(i, "sql", &format!("SELECT {i}"), i as f64);
        }
        assert_eq!(h.entries.len(), MAX_ENTRIES);
        assert_eq!(h.entries[0].text, format!("SELECT {}", MAX_ENTRIES + 4));
    }
}
