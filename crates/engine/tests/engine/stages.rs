//! Stage boundaries of known plans: where Kiln cuts DataFusion's physical plan into
//! stages (snapshots of `kiln explain --stages`).

use kiln_engine::distributed::render;
use kiln_engine::{Engine, EngineConfig};
use kiln_protocol::{JobOptions, StageOutput};

use crate::common::{file, parquet_bytes};

async fn engine() -> Engine {
    let mut engine = Engine::new(EngineConfig {
        target_partitions: 4,
    });
    let ids: Vec<i64> = (0..1000).collect();
    let names: Vec<String> = ids.iter().map(|i| format!("n{}", i % 10)).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_, rejected) = engine
        .add_files(vec![
            file("trips/part-0.parquet", parquet_bytes(&ids, &names)),
            file("trips/part-1.parquet", parquet_bytes(&ids, &names)),
            file("zones.parquet", parquet_bytes(&ids[..10], &names[..10])),
        ])
        .await;
    assert!(rejected.is_empty(), "{rejected:?}");
    engine
}

/// Plans with splits so small that each file is a task of its own (small files are
/// otherwise packed together, see `small_files_are_packed_into_one_task`).
async fn stages(sql: &str) -> kiln_protocol::StageGraph {
    let mut engine = engine().await;
    let options = JobOptions {
        partitions: 4,
        split_bytes: 1,
        ..Default::default()
    };
    engine.plan_job(sql, &options).await.unwrap().graph
}

#[tokio::test]
async fn small_files_are_packed_into_one_task() {
    let tasks = |partitions| async move {
        let mut engine = engine().await;
        let options = JobOptions {
            partitions,
            ..Default::default()
        };
        let graph = engine
            .plan_job("SELECT name, count(*) FROM trips GROUP BY name", &options)
            .await
            .unwrap()
            .graph;
        graph.stages[0].tasks
    };
    // Two files of a few KB, each counted with Spark's 4 MB open cost, fit one split...
    assert_eq!(tasks(1).await, 1);
    // ...unless that would leave workers idle: spread over 4, each file is a task.
    assert_eq!(tasks(4).await, 2);
}

#[tokio::test]
async fn a_group_by_is_two_stages_with_one_shuffle() {
    let graph = stages("SELECT name, count(*) FROM trips GROUP BY name").await;
    // The scan runs one task per file (splits of 1 byte: no file is packed with
    // another, and neither has more than one row group). The shuffle then has the 4
    // partitions asked for.
    assert_eq!(
        render(&graph),
        "\
stage 0: 2 tasks -> shuffle by [name@0] into 4 partitions
  AggregateExec
    DataSourceExec
stage 1: 4 tasks, reads stage 0 -> result
  ProjectionExec
    AggregateExec
      ShuffleRead
"
    );
}

#[tokio::test]
async fn a_join_with_a_small_table_broadcasts_it() {
    let graph =
        stages("SELECT z.name, count(*) FROM trips t JOIN zones z ON t.id = z.id GROUP BY z.name")
            .await;
    let outputs: Vec<&StageOutput> = graph.stages.iter().map(|s| &s.output).collect();
    assert!(
        outputs.contains(&&StageOutput::Broadcast),
        "{}",
        render(&graph)
    );
    let shuffles = outputs
        .iter()
        .filter(|o| matches!(o, StageOutput::Shuffle { .. }))
        .count();
    assert_eq!(shuffles, 1, "{}", render(&graph));
    assert_eq!(graph.stages.len(), 3, "{}", render(&graph));
    for stage in &graph.stages {
        assert!(
            stage.inputs.iter().all(|i| *i < stage.id),
            "inputs come first"
        );
    }
}

#[tokio::test]
async fn order_by_limit_gathers_into_one_task() {
    let graph = stages("SELECT * FROM trips ORDER BY id DESC LIMIT 5").await;
    let last = graph.stages.last().unwrap();
    assert_eq!(last.tasks, 1);
    assert_eq!(last.output, StageOutput::Result);
    assert_eq!(graph.stages[last.inputs[0]].output, StageOutput::Gather);
}

#[tokio::test]
async fn a_join_of_two_large_tables_is_three_stages_of_shuffles() {
    // The small table is big enough here (hash join on both sides partitioned) when
    // DataFusion is told not to collect the build side.
    let mut engine = engine().await;
    let options = JobOptions {
        partitions: 4,
        split_bytes: 1,
        ..Default::default()
    };
    engine
        .context()
        .sql("SET datafusion.optimizer.hash_join_single_partition_threshold = 0")
        .await
        .unwrap();
    engine
        .context()
        .sql("SET datafusion.optimizer.hash_join_single_partition_threshold_rows = 0")
        .await
        .unwrap();
    let graph = engine
        .plan_job(
            "SELECT a.name, count(*) FROM trips a JOIN trips b ON a.id = b.id GROUP BY a.name",
            &options,
        )
        .await
        .unwrap()
        .graph;
    assert_eq!(
        render(&graph),
        "\
stage 0: 2 tasks -> shuffle by [id@0] into 4 partitions
  DataSourceExec
stage 1: 2 tasks -> shuffle by [id@0] into 4 partitions
  DataSourceExec
stage 2: 4 tasks, reads stage 0, stage 1 -> shuffle by [name@0] into 4 partitions
  AggregateExec
    HashJoinExec
      ShuffleRead
      ShuffleRead
stage 3: 4 tasks, reads stage 2 -> result
  ProjectionExec
    AggregateExec
      ShuffleRead
"
    );
}

#[tokio::test]
async fn a_scan_of_many_row_groups_is_split_into_tasks_and_a_coalesce_is_a_merged_gather() {
    let mut engine = Engine::new(EngineConfig::default());
    let ids: Vec<i64> = (0..50_000).collect();
    let names: Vec<String> = ids.iter().map(|i| format!("n{}", i % 10)).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let bytes = crate::common::parquet_bytes_grouped(&ids, &names, 5_000);
    let (_, rejected) = engine.add_files(vec![file("big.parquet", bytes)]).await;
    assert!(rejected.is_empty());
    let options = JobOptions {
        partitions: 3,
        split_bytes: 1,
        ..Default::default()
    };
    let graph = engine
        .plan_job("SELECT count(*), sum(id) FROM big", &options)
        .await
        .unwrap()
        .graph;
    assert_eq!(
        render(&graph),
        "\
stage 0: 10 tasks -> gather into one task
  AggregateExec
    DataSourceExec
stage 1: 1 task, reads stage 0 -> result
  ProjectionExec
    AggregateExec
      GatherRead
"
    );
}

#[tokio::test]
async fn each_scan_task_carries_only_its_own_files() {
    let mut engine = engine().await;
    let options = JobOptions {
        partitions: 4,
        split_bytes: 1,
        ..Default::default()
    };
    let plan = engine
        .plan_job("SELECT name, count(*) FROM trips GROUP BY name", &options)
        .await
        .unwrap();
    let scan = &plan.stages[0];
    assert_eq!(scan.tasks.len(), 2);
    assert!(
        scan.fragment.is_empty(),
        "no task needs the stage's fragment"
    );
    for (task, mine, other) in [(0, "part-0", "part-1"), (1, "part-1", "part-0")] {
        let own = scan.tasks[task]
            .fragment
            .as_deref()
            .expect("its own fragment");
        let text = String::from_utf8_lossy(own);
        assert!(text.contains(mine), "task {task} reads {mine}");
        assert!(!text.contains(other), "task {task} does not carry {other}");
    }
    // The reduce stage scans nothing: its tasks share the stage's fragment.
    assert!(plan.stages[1].tasks.iter().all(|t| t.fragment.is_none()));
    assert!(!plan.stages[1].fragment.is_empty());
}

#[tokio::test]
async fn explain_analyze_is_refused_with_a_reason_not_run() {
    let mut engine = engine().await;
    let error = engine
        .plan_job(
            "EXPLAIN ANALYZE SELECT name, count(*) FROM trips GROUP BY name",
            &JobOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        error.message.contains("EXPLAIN ANALYZE is not supported"),
        "{error:?}"
    );
    // A plain EXPLAIN is still a job: its answer is the plan's text.
    engine
        .plan_job(
            "EXPLAIN SELECT name, count(*) FROM trips GROUP BY name",
            &JobOptions::default(),
        )
        .await
        .unwrap();
}

/// Joins that emit build rows only after every probe partition has finished (left,
/// full, semi, anti, mark): a broadcast build side would leave each probe task with an
/// incomplete answer, so they are planned as partitioned joins, both sides shuffled.
#[tokio::test]
async fn joins_that_keep_build_rows_are_never_broadcast() {
    for sql in [
        "SELECT z.id, count(t.id) FROM zones z LEFT JOIN trips t ON z.id = t.id GROUP BY z.id",
        "SELECT z.id FROM zones z WHERE EXISTS (SELECT 1 FROM trips t WHERE t.id = z.id)",
        "SELECT z.id FROM zones z WHERE NOT EXISTS (SELECT 1 FROM trips t WHERE t.id = z.id)",
        "SELECT z.id, t.id FROM zones z FULL JOIN trips t ON z.id = t.id",
        "SELECT z.id FROM zones z WHERE z.name = 'n1' OR EXISTS (SELECT 1 FROM trips t WHERE t.id = z.id)",
    ] {
        let graph = stages(sql).await;
        assert!(
            graph
                .stages
                .iter()
                .all(|s| s.output != StageOutput::Broadcast),
            "{sql}\n{}",
            render(&graph)
        );
    }
}

#[tokio::test]
async fn a_left_join_with_a_small_table_on_the_left_shuffles_both_sides() {
    let graph = stages(
        "SELECT z.id, count(t.id) FROM zones z LEFT JOIN trips t ON z.id = t.id GROUP BY z.id",
    )
    .await;
    assert_eq!(
        render(&graph),
        "\
stage 0: 1 task -> shuffle by [id@0] into 4 partitions
  DataSourceExec
stage 1: 2 tasks -> shuffle by [id@0] into 4 partitions
  DataSourceExec
stage 2: 4 tasks, reads stage 0, stage 1 -> shuffle by [id@0] into 4 partitions
  AggregateExec
    HashJoinExec
      ShuffleRead
      ShuffleRead
stage 3: 4 tasks, reads stage 2 -> result
  AggregateExec
    ShuffleRead
"
    );
}

/// A join without equal keys has no partitioned form: when it keeps unmatched build
/// rows, its probe side is gathered so one task sees all of it.
#[tokio::test]
async fn a_left_nested_loop_join_reads_its_probe_side_in_one_task() {
    let graph = stages(
        "SELECT z.id, count(t.id) FROM zones z LEFT JOIN trips t ON z.id < t.id GROUP BY z.id",
    )
    .await;
    assert_eq!(
        render(&graph),
        "\
stage 0: 2 tasks -> gather into one task
  DataSourceExec
stage 1: 1 task, reads stage 0 -> shuffle by [id@0] into 4 partitions
  AggregateExec
    NestedLoopJoinExec
      DataSourceExec
      GatherRead
stage 2: 4 tasks, reads stage 1 -> result
  AggregateExec
    ShuffleRead
"
    );
}

/// `NOT IN` is a null-aware anti join: one NULL anywhere in the subquery empties the
/// answer, so its whole probe side is read by one task.
#[tokio::test]
async fn not_in_reads_its_subquery_in_one_task() {
    let graph =
        stages("SELECT z.id FROM zones z WHERE z.name NOT IN (SELECT name FROM trips)").await;
    assert_eq!(
        render(&graph),
        "\
stage 0: 1 task -> broadcast
  DataSourceExec
stage 1: 2 tasks -> gather into one task
  DataSourceExec
stage 2: 1 task, reads stage 0, stage 1 -> result
  HashJoinExec
    BroadcastRead
    GatherRead
"
    );
}

/// The audit that runs before every cut refuses, naming the operator, a plan in which
/// partitions would need to see each other: here DataFusion's own plan for one process,
/// whose left join broadcasts its build side.
#[tokio::test]
async fn the_audit_refuses_a_broadcast_left_join() {
    let engine = engine().await;
    let plan = engine
        .physical_plan(
            "SELECT z.id, count(t.id) FROM zones z LEFT JOIN trips t ON z.id = t.id GROUP BY z.id",
        )
        .await
        .unwrap();
    let text = kiln_engine::displayable_plan(&plan);
    assert!(text.contains("mode=CollectLeft"), "{text}");
    let error = kiln_engine::distributed::partition_local::check(&plan).unwrap_err();
    assert!(
        error.contains("Left hash join with a broadcast build side"),
        "{error}"
    );
}
