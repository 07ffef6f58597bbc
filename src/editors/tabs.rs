//! The SQL editor's tabs: several queries side by side, each with its own result. The
//! open tab's text and result live in the state's `sql` and `result` (where every view
//! reads them); the others wait here. Across a reload each tab keeps its text, and its
//! result's first rows and profiles as they were (the engine that held the rest is new).

use std::rc::Rc;

use kiln_protocol::{ResultPage, ResultProfile, ResultSummary};
use serde::{Deserialize, Serialize};

use crate::result::{PAGE_SIZE, ProfileState, QueryResult};

#[derive(Clone, Debug, PartialEq)]
pub struct EditorTab {
    pub id: u32,
    pub title: String,
    /// Stale for the open tab (the state holds its live text and result).
    pub sql: String,
    pub result: Option<Rc<QueryResult>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tabs {
    pub list: Vec<EditorTab>,
    pub active: usize,
    next_id: u32,
    /// The tab whose query is running, where its result goes even if another is open.
    pub running: Option<u32>,
}

impl Tabs {
    pub fn new(sql: String) -> Self {
        Self {
            list: vec![EditorTab {
                id: 1,
                title: "Query 1".into(),
                sql,
                result: None,
            }],
            active: 0,
            next_id: 2,
            running: None,
        }
    }

    pub fn active_id(&self) -> u32 {
        self.list.get(self.active).map_or(0, |t| t.id)
    }

    /// Adds an empty tab after the others; the caller parks the open one first.
    pub fn add(&mut self, sql: String) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        // The lowest "Query N" not taken, so closing and opening does not count up forever.
        let n = (1..)
            .find(|n| !self.list.iter().any(|t| t.title == format!("Query {n}")))
            .unwrap_or(id as usize);
        self.list.push(EditorTab {
            id,
            title: format!("Query {n}"),
            sql,
            result: None,
        });
        self.list.len() - 1
    }

    pub fn index_of(&self, id: u32) -> Option<usize> {
        self.list.iter().position(|t| t.id == id)
    }

    pub fn saved(&self, live_sql: &str, live_result: Option<&QueryResult>) -> SavedTabs {
        SavedTabs {
            active: self.active,
            tabs: self
                .list
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let (sql, result) = if i == self.active {
                        (live_sql, live_result)
                    } else {
                        (t.sql.as_str(), t.result.as_deref())
                    };
                    SavedTab {
                        title: t.title.clone(),
                        sql: sql.to_string(),
                        result: result.map(SavedResult::of),
                    }
                })
                .collect(),
        }
    }

    pub fn restore(saved: SavedTabs) -> Option<Self> {
        if saved.tabs.is_empty() {
            return None;
        }
        let list: Vec<EditorTab> = saved
            .tabs
            .into_iter()
            .enumerate()
            .map(|(i, t)| EditorTab {
                id: i as u32 + 1,
                title: t.title,
                sql: t.sql,
                result: t.result.map(|r| Rc::new(r.into_result(i as u64))),
            })
            .collect();
        Some(Self {
            active: saved.active.min(list.len() - 1),
            next_id: list.len() as u32 + 1,
            list,
            running: None,
        })
    }
}

/// The tabs as localStorage keeps them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedTabs {
    pub active: usize,
    pub tabs: Vec<SavedTab>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedTab {
    pub title: String,
    pub sql: String,
    pub result: Option<SavedResult>,
}

/// A result as it can outlive its engine: the summary, the first rows, the profiles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedResult {
    pub summary: ResultSummary,
    pub first: ResultPage,
    pub profile: Option<ResultProfile>,
    pub sql: Option<String>,
}

/// Result ids the engine never gives (it counts up from 1): a restored result must not
/// be mistaken for a kept one.
const RESTORED_IDS: u64 = u64::MAX - 1024;

impl SavedResult {
    fn of(result: &QueryResult) -> Self {
        let rows = result
            .blocks
            .get(&0)
            .map(|b| b.iter().take(PAGE_SIZE as usize).cloned().collect())
            .unwrap_or_default();
        Self {
            summary: result.summary.clone(),
            first: ResultPage { offset: 0, rows },
            profile: match &result.profile {
                ProfileState::Ready(p) => Some((**p).clone()),
                _ => None,
            },
            sql: result.sql.clone(),
        }
    }

    fn into_result(self, index: u64) -> QueryResult {
        let mut result = QueryResult::new(RESTORED_IDS + index, self.summary, self.first);
        result.detached = true;
        result.sql = self.sql;
        if let Some(p) = self.profile {
            result.profile = ProfileState::Ready(Rc::new(p));
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_are_numbered_by_the_lowest_free_title() {
        let mut tabs = Tabs::new("SELECT 1".into());
        tabs.add(String::new());
        tabs.add(String::new());
        assert_eq!(tabs.list[2].title, "Query 3");
        tabs.list.remove(1);
        tabs.add(String::new());
        assert_eq!(tabs.list[2].title, "Query 2");
    }

    #[test]
    fn a_saved_tab_comes_back_with_its_text_and_a_detached_result() {
        let mut tabs = Tabs::new("SELECT 1".into());
        tabs.add("SELECT 2".into());
        let summary = ResultSummary {
            columns: Vec::new(),
            total_rows: 3,
            elapsed_ms: 1.0,
        };
        let page = ResultPage {
            offset: 0,
            rows: vec![vec![Some("a".into())]; 3],
        };
        let live = QueryResult::new(7, summary, page);
        let saved = tabs.saved("SELECT 1 -- edited", Some(&live));
        let json = serde_json::to_string(&saved).expect("serializes");
        let back = Tabs::restore(serde_json::from_str(&json).expect("parses")).expect("tabs");
        assert_eq!(back.list.len(), 2);
        assert_eq!(back.list[0].sql, "SELECT 1 -- edited");
        let result = back.list[0].result.as_ref().expect("the open tab's result");
        assert!(result.detached, "its engine is gone");
        assert_eq!(result.row(2), Some(&vec![Some("a".to_string())]));
        assert!(!result.wants_profile());
        assert_eq!(back.list[1].sql, "SELECT 2");
    }
}
