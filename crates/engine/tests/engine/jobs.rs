//! Jobs on the native runner: split scans, the event stream, and cancel. Answers against
//! DuckDB are the oracle suite's (tests/oracle/test_distributed.py); here the runner's
//! own behaviour is checked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kiln_engine::distributed::RunOptions;
use kiln_engine::{Engine, EngineConfig};
use kiln_protocol::{JobEvent, JobOptions, JobPlan};

use crate::common::{file, parquet_bytes_grouped};

const ROWS: i64 = 200_000;

async fn engine() -> Engine {
    let mut engine = Engine::new(EngineConfig::default());
    let ids: Vec<i64> = (0..ROWS).collect();
    let names: Vec<String> = ids.iter().map(|i| format!("n{}", i % 10)).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_, rejected) = engine
        .add_files(vec![file(
            "trips.parquet",
            parquet_bytes_grouped(&ids, &names, 10_000),
        )])
        .await;
    assert!(rejected.is_empty(), "{rejected:?}");
    engine
}

/// A job's answer as CSV text.
fn csv(output: &kiln_engine::QueryOutput) -> String {
    let mut csv = Vec::new();
    kiln_engine::results::write_text(output, kiln_engine::results::OutputFormat::Csv, &mut csv)
        .unwrap();
    String::from_utf8(csv).unwrap()
}

/// Runs a job to its end on the native runner, its events ignored.
fn run(engine: &Engine, plan: JobPlan) -> kiln_engine::QueryOutput {
    let cancel = AtomicBool::new(false);
    engine
        .run_job(plan, &RunOptions::default(), &cancel, &mut |_| {})
        .unwrap()
}

fn options(partitions: usize) -> JobOptions {
    JobOptions {
        partitions,
        // Far below one row group: every row group is its own split.
        split_bytes: 1,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_split_scan_reads_every_row_once() {
    let mut engine = engine().await;
    let plan = engine
        .plan_job(
            "SELECT name, count(*) AS n, sum(id) AS s FROM trips GROUP BY name",
            &options(3),
        )
        .await
        .unwrap();
    assert_eq!(plan.stages[0].tasks.len(), 20, "one task per row group");
    let splits: Vec<String> = plan.stages[0]
        .tasks
        .iter()
        .filter_map(|t| t.split.clone())
        .collect();
    assert!(splits[3].contains("row group 3"), "{splits:?}");
    let mut events = Vec::new();
    let cancel = AtomicBool::new(false);
    let output = engine
        .run_job(plan, &RunOptions::default(), &cancel, &mut |e| {
            events.push(e.clone())
        })
        .unwrap();
    let direct = engine
        .sql("SELECT name, count(*) AS n, sum(id) AS s FROM trips GROUP BY name")
        .await
        .unwrap();
    let sorted = |o: &kiln_engine::QueryOutput| {
        let mut lines: Vec<String> = csv(o).lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&output), sorted(&direct));
    let scanned: u64 = events
        .iter()
        .filter_map(|e| match e {
            JobEvent::TaskFinished {
                stage: 0, metrics, ..
            } => Some(metrics.rows_in),
            _ => None,
        })
        .sum();
    assert_eq!(scanned, ROWS as u64);
}

#[tokio::test]
async fn row_groups_ruled_out_by_statistics_get_no_task() {
    let mut engine = engine().await;
    // Ids are in order, 10,000 to a row group: 25,000..45,000 lie in groups 2 to 4.
    let sql = "SELECT count(*) AS n, sum(id) AS s FROM trips WHERE id >= 25000 AND id < 45000";
    let plan = engine.plan_job(sql, &options(3)).await.unwrap();
    let splits: Vec<String> = plan.stages[0]
        .tasks
        .iter()
        .filter_map(|t| t.split.clone())
        .collect();
    assert_eq!(splits.len(), 3, "{splits:?}");
    for (split, group) in splits.iter().zip(2..) {
        assert!(split.contains(&format!("row group {group} ")), "{splits:?}");
        assert!(split.contains("17 of 20 ruled out"), "{splits:?}");
    }
    let expected_sum: i64 = (25_000..45_000).sum();
    assert_eq!(
        csv(&run(&engine, plan)).trim(),
        format!("n,s\n20000,{expected_sum}")
    );
}

#[tokio::test]
async fn statistics_prune_only_the_scan_under_the_filter() {
    // The same table twice, filtered on one side only: the other side reads it all.
    let mut engine = engine().await;
    for (sql, expected) in [
        (
            "SELECT count(*) AS n FROM (SELECT id FROM trips WHERE id < 20000 \
             UNION ALL SELECT id FROM trips)",
            20_000 + ROWS,
        ),
        (
            "SELECT count(*) AS n FROM trips a \
             JOIN (SELECT id FROM trips WHERE id < 20000) b ON a.id = b.id",
            20_000,
        ),
        (
            "WITH t AS (SELECT id FROM trips) \
             SELECT count(*) AS n FROM t a JOIN t b ON a.id = b.id WHERE a.id < 20000",
            20_000,
        ),
    ] {
        let plan = engine.plan_job(sql, &options(3)).await.unwrap();
        assert_eq!(
            csv(&run(&engine, plan)).trim(),
            format!("n\n{expected}"),
            "{sql}"
        );
    }
}

#[tokio::test]
async fn cancel_stops_every_task_and_nothing_is_reported_after() {
    let mut engine = engine().await;
    // 200,000 x 20,000 matches per name: far more work than the test waits for.
    let plan = engine
        .plan_job(
            "SELECT count(*) FROM trips a JOIN trips b ON a.name = b.name",
            &options(2),
        )
        .await
        .unwrap();
    let cancel = AtomicBool::new(false);
    let mut events: Vec<(Instant, JobEvent)> = Vec::new();
    let (result, cancelled_at) = std::thread::scope(|scope| {
        let cancelled_at = scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(800));
            cancel.store(true, Ordering::SeqCst);
            Instant::now()
        });
        let result = engine.run_job(plan, &RunOptions::default(), &cancel, &mut |e| {
            events.push((Instant::now(), e.clone()))
        });
        (result, cancelled_at.join().unwrap())
    });
    // run_job returns only once every worker thread has stopped.
    let all_stopped = cancelled_at.elapsed();
    let error = result.expect_err("a cancelled job has no result");
    assert!(error.message.contains("cancelled"), "{error}");
    let (last_at, last) = events.last().unwrap();
    assert!(matches!(last, JobEvent::JobCancelled { .. }), "{last:?}");
    let stopped = last_at.duration_since(cancelled_at);
    eprintln!("cancel: job cancelled {stopped:?} after the request");
    assert!(stopped < Duration::from_millis(200), "{stopped:?}");
    eprintln!("cancel: every worker stopped within {all_stopped:?}");
    assert!(all_stopped < Duration::from_millis(200), "{all_stopped:?}");
    assert!(
        events
            .iter()
            .any(|(_, e)| matches!(e, JobEvent::TaskStarted { stage: 2, .. })
                || matches!(e, JobEvent::TaskStarted { stage: 1, .. })),
        "the join was running when cancelled"
    );
    // The join's tasks ran for most of a second, yielding nothing (a count): their
    // progress still came, from inside their operators (at most every 250 ms; the
    // times here are when the runner got the reports, so only their order is checked).
    let progress: Vec<(f64, u64)> = events
        .iter()
        .filter_map(|(_, e)| match e {
            JobEvent::TaskProgress {
                at_ms,
                stage: 2,
                task: 0,
                progress,
                ..
            } => Some((*at_ms, progress.rows)),
            _ => None,
        })
        .collect();
    assert!(progress.len() >= 2, "{progress:?}");
    for pair in progress.windows(2) {
        assert!(
            pair[1].1 >= pair[0].1,
            "rows read never go back: {progress:?}"
        );
    }
}

/// A job plans an uncorrelated scalar subquery as a join, which on its own would
/// repeat outer rows for every row of a subquery that returns several; the subquery is
/// checked to return at most one, as in one process.
#[tokio::test]
async fn a_scalar_subquery_of_several_rows_fails_as_in_one_process() {
    let mut engine = engine().await;
    let sql = "SELECT count(*) AS n FROM trips WHERE id = (SELECT id FROM trips WHERE id < 3)";
    let direct = engine.sql(sql).await.unwrap_err();
    assert!(direct.message.contains("more than one row"), "{direct:?}");
    let plan = engine.plan_job(sql, &options(3)).await.unwrap();
    let cancel = AtomicBool::new(false);
    let error = engine
        .run_job(plan, &RunOptions::default(), &cancel, &mut |_| {})
        .unwrap_err();
    assert!(error.message.contains("more than one row"), "{error:?}");
}

#[tokio::test]
async fn a_scalar_subquery_of_one_row_or_none_answers() {
    let mut engine = engine().await;
    for (sql, expected) in [
        // One row, not an aggregate.
        (
            "SELECT count(*) AS n FROM trips WHERE id >= (SELECT id FROM trips WHERE id = 199990)",
            "n\n10",
        ),
        // No row: NULL, so nothing compares equal.
        (
            "SELECT count(*) AS n FROM trips WHERE id = (SELECT id FROM trips WHERE id < 0)",
            "n\n0",
        ),
        (
            "SELECT (SELECT max(id) FROM trips) - (SELECT min(id) FROM trips) AS d",
            "d\n199999",
        ),
    ] {
        let plan = engine.plan_job(sql, &options(3)).await.unwrap();
        assert_eq!(csv(&run(&engine, plan)).trim(), expected, "{sql}");
    }
}

#[tokio::test]
async fn a_count_from_the_files_statistics_is_answered_while_planning_without_a_task() {
    let mut engine = engine().await;
    let plan = engine
        .plan_job("SELECT count(*) AS n FROM trips", &options(2))
        .await
        .unwrap();
    assert!(plan.answer.is_some());
    assert_eq!(plan.graph.stages.len(), 1);
    assert!(plan.graph.stages[0].answered_in_planning);
    assert!(plan.stages[0].tasks.is_empty());
    let cancel = AtomicBool::new(false);
    let mut tasks = 0;
    let output = engine
        .run_job(plan, &RunOptions::default(), &cancel, &mut |e| {
            tasks += usize::from(matches!(e, JobEvent::TaskStarted { .. }));
        })
        .unwrap();
    assert_eq!(csv(&output), format!("n\n{ROWS}\n"));
    assert_eq!(tasks, 0);

    // A result written to disk is the tasks' to write.
    let to_disk = JobOptions {
        result_to_disk: true,
        ..options(2)
    };
    let plan = engine
        .plan_job("SELECT count(*) AS n FROM trips", &to_disk)
        .await
        .unwrap();
    assert!(plan.answer.is_none());
    assert_eq!(plan.stages[0].tasks.len(), 1);
    assert_eq!(csv(&run(&engine, plan)), format!("n\n{ROWS}\n"));
}

#[tokio::test]
async fn constants_are_answered_while_planning_and_what_fails_is_left_to_a_task() {
    let mut engine = engine().await;
    let plan = engine
        .plan_job("SELECT 1 + 1 AS two, 'a' AS a", &options(2))
        .await
        .unwrap();
    assert!(plan.graph.stages[0].answered_in_planning);
    assert_eq!(csv(&run(&engine, plan)), "two,a\n2,a\n");

    // The division fails when it runs: the task fails it, with a task's context.
    let plan = engine
        .plan_job("SELECT 1 / (1 - 1) AS x", &options(2))
        .await
        .unwrap();
    assert!(plan.answer.is_none());
    assert_eq!(plan.stages[0].tasks.len(), 1);
    let cancel = AtomicBool::new(false);
    let error = engine
        .run_job(plan, &RunOptions::default(), &cancel, &mut |_| {})
        .unwrap_err();
    assert!(
        error.message.to_lowercase().contains("divide by zero"),
        "{error:?}"
    );
}

/// Under a memory budget far below what a sort holds, the sort spills to temp files:
/// the answer is still the one-process answer, in order, and every task says what it
/// spilled, under which budget.
#[tokio::test]
async fn a_sort_over_its_budget_spills_and_gives_the_same_answer() {
    let mut engine = engine().await;
    let sql = "SELECT id, name FROM trips ORDER BY name DESC, id";
    let budget = 2 << 20;
    // Whole files as splits: a merge of N sorted runs holds a batch of each, and one
    // run per row group would not fit the budget.
    let plan = engine
        .plan_job(
            sql,
            &JobOptions {
                memory_per_worker: Some(budget),
                partitions: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut finished = Vec::new();
    let cancel = AtomicBool::new(false);
    let output = engine
        .run_job(plan, &RunOptions::default(), &cancel, &mut |e| {
            if let JobEvent::TaskFinished { metrics, .. } = e {
                finished.push(metrics.clone());
            }
        })
        .unwrap();
    let direct = engine.sql(sql).await.unwrap();
    assert_eq!(csv(&output), csv(&direct));
    assert!(
        finished
            .iter()
            .all(|m| m.memory_budget_bytes == Some(budget))
    );
    let files: u64 = finished.iter().map(|m| m.spill_files).sum();
    let written: u64 = finished.iter().map(|m| m.spill_write_bytes).sum();
    let read: u64 = finished.iter().map(|m| m.spill_read_bytes).sum();
    let by_operators: u64 = finished
        .iter()
        .flat_map(|m| &m.operators)
        .map(|o| o.spill_count)
        .sum();
    assert!(files > 0 && written > 0, "no spill: {finished:?}");
    assert_eq!(read, written, "spilled bytes not all read back");
    assert_eq!(by_operators, files);
}

/// Under a budget, a join whose build side may not fit a task's share becomes a
/// sort-merge join, which spills; one known to be small stays a hash join.
#[tokio::test]
async fn a_budget_plans_joins_that_can_spill() {
    let mut engine = engine().await;
    let sql = "SELECT count(*) FROM trips a JOIN trips b ON a.id = b.id";
    let physical = |plan: &JobPlan| plan.plans.physical.text.clone();
    let with_budget = |budget: Option<u64>| JobOptions {
        memory_per_worker: budget,
        ..options(2)
    };
    let unbounded = engine.plan_job(sql, &with_budget(None)).await.unwrap();
    let roomy = engine
        .plan_job(sql, &with_budget(Some(1 << 30)))
        .await
        .unwrap();
    let tight = engine
        .plan_job(sql, &with_budget(Some(2 << 20)))
        .await
        .unwrap();
    for plan in [&unbounded, &roomy] {
        assert!(
            physical(plan).contains("HashJoinExec"),
            "{}",
            physical(plan)
        );
    }
    assert!(
        physical(&tight).contains("SortMergeJoinExec"),
        "{}",
        physical(&tight)
    );
    assert!(
        !physical(&tight).contains("HashJoinExec"),
        "{}",
        physical(&tight)
    );
    // Both answer alike.
    let (a, b) = (run(&engine, roomy), run(&engine, tight));
    assert_eq!(csv(&a), csv(&b));
    assert_eq!(csv(&b), "count(*)\n200000\n");
}
