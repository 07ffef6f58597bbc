//! The reducer's tests: actions in, state out, no browser.

use kiln_protocol::{FieldSummaryRef, FileFormat, ResultProfile, ResultSummary, SqlSpan};

use super::*;
use crate::result::{KEPT_BLOCKS, PAGE_SIZE};

fn table(name: &str) -> TableSummary {
    TableSummary {
        name: name.into(),
        format: FileFormat::Csv,
        schema: vec![],
        partition_columns: vec![],
        files: vec![],
        root: name.into(),
        is_folder: false,
    }
}

fn tables_response(id: RequestId, names: &[&str], rejected: Vec<UserError>) -> Action {
    Action::Received(Response {
        id,
        body: ResponseBody::Tables {
            tables: names.iter().map(|n| table(n)).collect(),
            rejected,
            sources: Vec::new(),
        },
    })
}

fn user_error(message: &str) -> UserError {
    UserError {
        context: "planning the query".into(),
        message: message.into(),
        location: Some(SqlSpan {
            line: 1,
            column: 15,
            end_line: None,
            end_column: None,
        }),
    }
}

fn done(id: RequestId, result_id: u64, total_rows: u64, offset: u64) -> Action {
    Action::Received(Response {
        id,
        body: ResponseBody::QueryDone {
            result_id,
            summary: ResultSummary {
                columns: vec![FieldSummaryRef {
                    name: "x".into(),
                    data_type: "Int64".into(),
                    sql_type: "BIGINT".into(),
                }],
                total_rows,
                elapsed_ms: 1.5,
            },
            page: ResultPage {
                offset,
                rows: vec![vec![Some("1".into())]; total_rows.min(PAGE_SIZE) as usize],
            },
        },
    })
}

fn ready() -> AppState {
    let mut s = AppState::new(DEFAULT_SQL.into(), RunSettings::new(2));
    s.apply(Action::EngineReady);
    s
}

#[test]
fn a_results_profile_is_asked_once_and_a_late_one_is_dropped() {
    let mut s = ready();
    let sql = "SELECT 1 AS x".to_string();
    s.apply(Action::Sent {
        id: 1,
        pending: Pending::Query { sql: sql.clone() },
    });
    s.apply(done(1, 7, 3, 0));
    let result = s.result.clone().expect("a result");
    assert_eq!(
        result.sql.as_deref(),
        Some(sql.as_str()),
        "kept for the filters"
    );
    assert!(result.wants_profile());
    s.apply(Action::Sent {
        id: 2,
        pending: Pending::Profile { result_id: 7 },
    });
    assert!(
        !s.result.as_ref().is_some_and(|r| r.wants_profile()),
        "asked once"
    );
    let profile = |result_id| {
        Action::Received(Response {
            id: 2,
            body: ResponseBody::Profiled {
                result_id,
                profile: ResultProfile {
                    rows: 3,
                    columns: Vec::new(),
                    elapsed_ms: 4.0,
                },
            },
        })
    };
    s.apply(profile(6));
    assert_eq!(
        s.result.as_ref().map(|r| &r.profile),
        Some(&ProfileState::Running),
        "another result's profile does not land here"
    );
    s.apply(Action::Sent {
        id: 2,
        pending: Pending::Profile { result_id: 7 },
    });
    s.apply(profile(7));
    assert!(matches!(
        s.result.as_ref().map(|r| &r.profile),
        Some(ProfileState::Ready(p)) if p.rows == 3
    ));
    assert_eq!(s.status(), Status::Ready);
}

#[test]
fn status_follows_engine_and_requests() {
    let mut s = AppState::new(String::new(), RunSettings::new(2));
    assert_eq!(s.status(), Status::Loading);
    assert!(!s.can_run());
    s.apply(Action::EngineReady);
    assert_eq!(s.status(), Status::Ready);
    let sql = "SELECT 1".to_string();
    s.apply(Action::Sent {
        id: 1,
        pending: Pending::Query { sql },
    });
    assert_eq!(s.status(), Status::Running);
    assert_eq!(s.activity(), Some("Running query"));
    assert!(!s.can_run(), "one query at a time");
    s.apply(done(1, 7, 3, 0));
    assert_eq!(s.status(), Status::Ready);
    assert!(s.can_run());
    assert_eq!(s.result.as_ref().map(|r| r.result_id), Some(7));
}

#[test]
fn a_crash_keeps_the_sql_tables_and_page_but_detaches_the_result() {
    let mut s = ready();
    s.apply(Action::SqlChanged("SELECT 42".into()));
    s.apply(Action::Sent {
        id: 1,
        pending: Pending::AddFiles,
    });
    s.apply(tables_response(1, &["trips"], vec![]));
    s.apply(Action::Sent {
        id: 2,
        pending: Pending::Query {
            sql: "SELECT 42".into(),
        },
    });
    s.apply(done(2, 1, 500, 0));
    s.apply(Action::Sent {
        id: 3,
        pending: Pending::Page {
            result_id: 1,
            offset: 100,
        },
    });
    s.apply(Action::EngineCrashed("out of memory".into()));
    assert_eq!(s.status(), Status::Crashed);
    assert!(s.in_flight.is_empty());
    assert_eq!(s.sql, "SELECT 42");
    assert_eq!(s.tables.len(), 1);
    let result = s.result.clone().expect("result kept");
    assert!(result.detached);
    assert_eq!(result.blocks.get(&0).map(|b| b.len()), Some(100));
    assert!(result.requested.contains(&100));
    s.apply(Action::EngineRestarting);
    assert_eq!(s.status(), Status::Loading);
}

#[test]
fn an_opened_table_is_offered_in_the_editor_unless_the_person_wrote_there() {
    let mut s = ready();
    let add = |s: &mut AppState, id, names: &[&str]| {
        s.apply(Action::Sent {
            id,
            pending: Pending::AddFiles,
        });
        s.apply(tables_response(id, names, vec![]));
    };
    add(&mut s, 1, &["trips"]);
    assert!(
        s.sql.contains("SELECT * FROM trips LIMIT 100;"),
        "{}",
        s.sql
    );
    assert_eq!(s.view, View::Explorer);
    // The offer is the page's text, so the next table replaces it...
    add(&mut s, 2, &["trips", "zones"]);
    assert!(
        s.sql.contains("SELECT * FROM zones LIMIT 100;"),
        "{}",
        s.sql
    );
    // ...but never the person's own.
    s.apply(Action::SqlChanged("SELECT 42".into()));
    add(&mut s, 3, &["trips", "zones", "more"]);
    assert_eq!(s.sql, "SELECT 42");
}

#[test]
fn stopping_a_query_forgets_it_without_a_crash() {
    let mut s = ready();
    s.apply(Action::Sent {
        id: 1,
        pending: Pending::Query {
            sql: "SELECT * FROM huge".into(),
        },
    });
    s.apply(Action::EngineStopped);
    assert_eq!(s.status(), Status::Loading);
    assert!(!s.query_running());
    assert_eq!(s.error, None);
    s.apply(Action::EngineReady);
    assert!(s.can_run());
}

#[test]
fn query_errors_carry_the_submitted_sql_and_replay_errors_are_hidden() {
    let mut s = ready();
    s.apply(Action::Sent {
        id: 1,
        pending: Pending::Query {
            sql: "SELECT * FROM nope".into(),
        },
    });
    s.apply(Action::SqlChanged("edited since".into()));
    s.apply(Action::Received(Response {
        id: 1,
        body: ResponseBody::Error {
            error: user_error("table 'nope' not found"),
        },
    }));
    let shown = s.error.clone().expect("error shown");
    assert_eq!(shown.sql.as_deref(), Some("SELECT * FROM nope"));
    assert_eq!(s.status(), Status::Ready);

    s.apply(Action::DismissError);
    s.apply(Action::Sent {
        id: 2,
        pending: Pending::Replay,
    });
    s.apply(Action::Received(Response {
        id: 2,
        body: ResponseBody::Error {
            error: user_error("no table named x"),
        },
    }));
    assert_eq!(s.error, None);
    assert!(s.in_flight.is_empty());
}

#[test]
fn submitting_a_query_clears_the_previous_error() {
    let mut s = ready();
    s.error = Some(ShownError {
        error: user_error("old"),
        sql: None,
    });
    s.apply(Action::Sent {
        id: 1,
        pending: Pending::Query {
            sql: "SELECT 1".into(),
        },
    });
    assert_eq!(s.error, None);
}

#[test]
fn rows_are_fetched_by_block_and_far_blocks_dropped() {
    let mut s = ready();
    s.apply(done(1, 1, 250, 0));
    let r = s.result.clone().expect("result");
    assert_eq!(r.row(99).map(|row| row.len()), Some(1));
    assert_eq!(r.row(100), None);
    assert_eq!(r.missing(90, 20), vec![100]);
    assert_eq!(r.missing(240, 50), vec![200], "nothing past the last row");
    s.apply(Action::Sent {
        id: 2,
        pending: Pending::Page {
            result_id: 1,
            offset: 200,
        },
    });
    assert_eq!(
        s.result.as_ref().map(|r| r.missing(190, 20)),
        Some(vec![100])
    );
    let page = |result_id, offset, rows| {
        Action::Received(Response {
            id: 2,
            body: ResponseBody::Page {
                result_id,
                page: ResultPage {
                    offset,
                    rows: vec![vec![None]; rows],
                },
            },
        })
    };
    s.apply(page(1, 200, 50));
    let r = s.result.clone().expect("result");
    assert_eq!(r.row(249), Some(&vec![None]));
    assert!(r.requested.is_empty());
    // A late page from an older result is ignored.
    s.apply(page(0, 100, 100));
    assert_eq!(s.result.as_ref().and_then(|r| r.row(100)), None);

    let mut big = ready();
    big.apply(done(1, 1, 100_000, 0));
    for block in 1..=KEPT_BLOCKS as u64 + 5 {
        big.apply(page(1, block * PAGE_SIZE, PAGE_SIZE as usize));
    }
    let r = big.result.expect("result");
    assert_eq!(r.blocks.len(), KEPT_BLOCKS);
    assert!(
        r.row(0).is_none(),
        "the block farthest from the reader went first"
    );
}

#[test]
fn selection_follows_adds_renames_and_removals() {
    let mut s = ready();
    s.apply(Action::Sent {
        id: 1,
        pending: Pending::AddFiles,
    });
    s.apply(tables_response(1, &["a"], vec![]));
    assert_eq!(s.selected.as_deref(), Some("a"));
    assert_eq!(s.view, View::Explorer, "new table shown");

    s.apply(Action::Sent {
        id: 2,
        pending: Pending::AddFiles,
    });
    s.apply(tables_response(2, &["a", "yellow", "green"], vec![]));
    assert_eq!(s.selected.as_deref(), Some("yellow"));

    s.apply(Action::Sent {
        id: 3,
        pending: Pending::Rename {
            from: "yellow".into(),
            to: "taxi".into(),
        },
    });
    s.apply(tables_response(3, &["a", "taxi", "green"], vec![]));
    assert_eq!(s.selected.as_deref(), Some("taxi"));

    s.apply(Action::Sent {
        id: 4,
        pending: Pending::Remove,
    });
    s.apply(tables_response(4, &["a", "green"], vec![]));
    assert_eq!(
        s.selected.as_deref(),
        Some("a"),
        "falls back to the first table"
    );
}

#[test]
fn a_replay_keeps_the_selection_and_the_dismissed_rejections() {
    let mut s = ready();
    s.selected = Some("b".into());
    s.apply(Action::Sent {
        id: 1,
        pending: Pending::Replay,
    });
    s.apply(tables_response(1, &["a"], vec![user_error("not parquet")]));
    assert_eq!(s.selected.as_deref(), Some("b"));
    assert!(s.rejected.is_empty());
    s.apply(Action::Sent {
        id: 2,
        pending: Pending::Replay,
    });
    s.apply(tables_response(2, &["a", "b"], vec![]));
    assert_eq!(s.selected_table().map(|t| t.name.as_str()), Some("b"));
}

#[test]
fn rejections_are_replaced_by_the_next_add_only() {
    let mut s = ready();
    s.apply(Action::Sent {
        id: 1,
        pending: Pending::AddFiles,
    });
    s.apply(tables_response(1, &["a"], vec![user_error("not parquet")]));
    assert_eq!(s.rejected.len(), 1);
    s.apply(Action::Sent {
        id: 2,
        pending: Pending::Remove,
    });
    s.apply(tables_response(2, &[], vec![]));
    assert_eq!(s.rejected.len(), 1, "kept across unrelated changes");
    s.apply(Action::Sent {
        id: 3,
        pending: Pending::AddFiles,
    });
    s.apply(tables_response(3, &["b"], vec![]));
    assert!(s.rejected.is_empty());
}

#[test]
fn quick_setting_edits_do_not_undo_each_other() {
    let mut s = AppState::new(String::new(), RunSettings::new(2));
    s.apply(Action::Settings(SettingChange::Workers(4)));
    s.apply(Action::Settings(SettingChange::Partitions(None)));
    s.apply(Action::Settings(SettingChange::FailPercent(30.0)));
    assert_eq!(s.settings.workers, 4);
    assert_eq!(s.settings.partitions(), 8);
    assert!((s.settings.fail_probability - 0.3).abs() < 1e-9);
    s.apply(Action::Settings(SettingChange::Workers(99)));
    assert_eq!(s.settings.workers, RunSettings::MAX_WORKERS);
}

#[test]
fn closing_the_open_tab_opens_its_neighbour_with_its_text() {
    let mut s = ready();
    s.apply(Action::SqlChanged("SELECT 1".into()));
    s.apply(Action::NewTab);
    s.apply(Action::SqlChanged("SELECT 2".into()));
    s.apply(Action::NewTab);
    s.apply(Action::SqlChanged("SELECT 3".into()));
    s.apply(Action::SwitchTab(1));
    assert_eq!(s.sql, "SELECT 2");
    s.apply(Action::CloseTab(1));
    assert_eq!(s.tabs.list.len(), 2);
    assert_eq!((s.tabs.active, s.sql.as_str()), (1, "SELECT 3"));
    s.apply(Action::CloseTab(0));
    assert_eq!(
        (s.tabs.active, s.sql.as_str()),
        (0, "SELECT 3"),
        "the open tab stays open"
    );
}
