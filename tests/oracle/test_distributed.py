"""The query suite run as distributed jobs (`kiln sql --workers N`): stages, tasks and
shuffles on worker threads, the same scheduler and task code the page runs on web
workers. Answers must equal DuckDB's for every worker count, with scans split into
many row-group ranges, and under injected faults."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

import differential
import kiln
from test_taxi_queries import QUERIES, con, used, zones_csv_gz  # noqa: F401 (fixtures)

# Row groups small enough that `--split-mb 1` gives several scan tasks per file.
ROW_GROUP_ROWS = 16_384
SPLIT = ["--split-mb", "1"]


@pytest.fixture(scope="module")
def lake(taxi_dir, tmp_path_factory):
    """The taxi sample rewritten by pyarrow with many small row groups."""
    out = tmp_path_factory.mktemp("lake")
    for kind in ("yellow", "green"):
        (out / kind).mkdir()
        for src in sorted((taxi_dir / kind).glob("*.parquet")):
            pq.write_table(pq.read_table(src), out / kind / src.name, row_group_size=ROW_GROUP_ROWS,
                           compression="zstd")
    for name in ("taxi_zone_lookup.parquet", "taxi_zone_lookup.csv"):
        (out / name).write_bytes((taxi_dir / name).read_bytes())
    return out


@pytest.fixture(scope="module")
def tables(lake, taxi_dir, zones_csv_gz):
    """As the taxi suite's tables, with the trips read from the many-row-group copy."""
    return {
        "yellow": lake / "yellow",
        "green": lake / "green",
        "zones": taxi_dir / "taxi_zone_lookup.parquet",
        "zones_csv": taxi_dir / "taxi_zone_lookup.csv",
        "zones_gz": zones_csv_gz,
    }


def test_files_have_many_row_groups(lake):
    md = pq.ParquetFile(next((lake / "yellow").glob("*.parquet"))).metadata
    assert md.num_row_groups >= 4


@pytest.mark.parametrize("workers", [1, 2, 4, 8])
@pytest.mark.parametrize("query,ordered", [(q, o) for _, q, o in QUERIES], ids=[i for i, _, _ in QUERIES])
def test_job_matches_duckdb(query, ordered, workers, con, tables):
    kiln.compare_query(con, query, used(tables, query), ordered=ordered,
                       extra=["--workers", str(workers), *SPLIT])


def test_jobs_with_small_splits_match_duckdb(con, tables):
    """The same queries through `kiln matrix`, with splits so small that every row group
    is a task of its own (64 KB) or a few are (1 MB)."""
    cases = [differential.Case(q, ordered=o, name=i) for i, q, o in QUERIES]
    report = differential.check_all(con, cases, tables, workers=(2, 4), split_kb=(64, 1024), timeout=1800)
    differential.assert_clean(report, allow_refused=False)


def run_with_events(tmp_path, query, tables, *extra):
    events_path = tmp_path / "events.json"
    rows = kiln.sql(query, tables, extra=[*extra, *SPLIT, "--events", str(events_path)])
    return rows, json.loads(events_path.read_text())


def test_event_log_tells_the_whole_job(tmp_path, con, tables):
    query = next(q for i, q, _ in QUERIES if i == "join_zones_by_borough")
    rows, events = run_with_events(tmp_path, query, used(tables, query), "--workers", "3")
    assert events[0]["event"] == "job_submitted" and events[-1]["event"] == "job_succeeded"
    graph = events[0]["graph"]["stages"]
    finished = {}
    for e in events:
        if e["event"] == "task_finished":
            finished.setdefault(e["stage"], set()).add(e["task"])
    # Every task of every stage finished exactly once, and the scan read every row.
    assert {s: len(t) for s, t in finished.items()} == {s["id"]: s["tasks"] for s in graph}
    scan_stage = next(s["id"] for s in graph if "DataSourceExec" in [o["name"] for o in s["operators"]]
                      and s["output"]["kind"] == "shuffle")
    # rows_in counts the broadcast zone rows each task reads too; the rest is scanned.
    rows_scanned = sum(e["metrics"]["rows_in"] - e["metrics"]["shuffle_read_rows"] for e in events
                       if e["event"] == "task_finished" and e["stage"] == scan_stage)
    assert rows_scanned == con.execute("SELECT count(*) FROM yellow").fetchone()[0]
    assert finished[scan_stage] and len(finished[scan_stage]) > 3, "the scan is split by row groups"
    shuffle_written = sum(e["metrics"]["shuffle_write_rows"] for e in events
                          if e["event"] == "task_finished" and e["stage"] == scan_stage)
    shuffle_read = sum(e["metrics"]["shuffle_read_rows"] for e in events if e["event"] == "task_finished")
    assert shuffle_written > 0 and shuffle_read >= shuffle_written
    times = [e["at_ms"] for e in events]
    assert times == sorted(times)


def test_injected_task_failures_are_retried(tmp_path, con, tables):
    query = next(q for i, q, _ in QUERIES if i == "payment_type_group")
    rows, events = run_with_events(tmp_path, query, used(tables, query), "--workers", "2",
                                   "--fail-probability", "0.5", "--seed", "5")
    names, expected = kiln.duckdb_rows(con, query)
    kiln.assert_rows_equal(kiln.kiln_rows(rows, names), expected, ordered=False, columns=names, what=query)
    failed = [e for e in events if e["event"] == "task_failed"]
    assert failed and all(e["will_retry"] for e in failed)
    assert all("injected failure" in e["error"]["message"] for e in failed)
    # A retry avoids the workers the task already failed on, while one is left (2 here).
    for f in failed:
        failed_on = {e["worker"] for e in failed if (e["stage"], e["task"]) == (f["stage"], f["task"])
                     and e["attempt"] <= f["attempt"]}
        retry = next(e for e in events if e["event"] == "task_started" and e["stage"] == f["stage"]
                     and e["task"] == f["task"] and e["attempt"] == f["attempt"] + 1)
        if len(failed_on) < 2:
            assert retry["worker"] not in failed_on, (f, retry)


def test_a_killed_worker_is_replaced_and_its_task_rerun(tmp_path, con, tables):
    query = next(q for i, q, _ in QUERIES if i == "window_rank")
    rows, events = run_with_events(tmp_path, query, used(tables, query), "--workers", "2",
                                   "--kill-worker-at", "1")
    names, expected = kiln.duckdb_rows(con, query)
    kiln.assert_rows_equal(kiln.kiln_rows(rows, names), expected, ordered=False, columns=names, what=query)
    lost = [e for e in events if e["event"] == "worker_lost"]
    assert len(lost) == 1
    workers = {e["worker"] for e in events if e["event"] == "task_started"}
    assert lost[0]["worker"] in workers and len(workers) >= 3, "a new worker took the dead one's place"


def test_a_task_failing_every_attempt_fails_the_job_with_its_error(tmp_path, tables):
    # A file whose footer is fine but whose data pages are cut: every attempt fails.
    src = next((tables["yellow"]).glob("*.parquet"))
    bad = tmp_path / "bad"
    bad.mkdir()
    data = bytearray(src.read_bytes())
    for i in range(4, len(data) // 2, 97):
        data[i] = 0xFF
    (bad / src.name).write_bytes(bytes(data))
    proc = kiln.sql_proc("SELECT sum(total_amount) FROM t", {"t": bad}, extra=["--workers", "2", *SPLIT])
    assert proc.returncode != 0, kiln.describe(proc)
    assert "failed 4 times" in proc.stderr and src.name in proc.stderr, kiln.describe(proc)


def test_explain_stages_json(tables):
    query = next(q for i, q, _ in QUERIES if i == "join_zones_by_borough")
    proc = kiln.run("explain", "--stages", "--format", "json", "--partitions", "3", *SPLIT, query,
                    *kiln.table_args(used(tables, query)))
    assert proc.returncode == 0, kiln.describe(proc)
    stages = json.loads(proc.stdout)["stages"]
    kinds = [s["output"]["kind"] for s in stages]
    assert kinds[-1] == "result" and "broadcast" in kinds and "shuffle" in kinds
    shuffle = next(s for s in stages if s["output"]["kind"] == "shuffle")
    assert shuffle["output"]["partitions"] == 3 and shuffle["output"]["keys"]
    for s in stages:
        assert all(i < s["id"] for i in s["inputs"])


# One file of many row groups: DataFusion plans it as one partition, the job splits it
# into many tasks; every operator that needed one partition must still see all rows.
SINGLE_FILE_QUERIES = [
    "SELECT count(*) AS n, sum(total_amount) AS total, min(tpep_pickup_datetime) AS first FROM one",
    'SELECT "VendorID", total_amount, tpep_pickup_datetime FROM one '
    'ORDER BY total_amount DESC, tpep_pickup_datetime, "VendorID" LIMIT 7',
    'SELECT "PULocationID", count(*) AS n FROM one GROUP BY "PULocationID" HAVING count(*) > 500',
    "SELECT count(DISTINCT \"DOLocationID\") AS zones FROM one WHERE trip_distance > 3",
    'SELECT rn, total_amount FROM (SELECT total_amount, row_number() OVER (ORDER BY total_amount DESC, '
    'tpep_pickup_datetime, "PULocationID", "DOLocationID", trip_distance) AS rn FROM one) w WHERE rn <= 5',
    "SELECT * FROM one LIMIT 0",
]


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("query", SINGLE_FILE_QUERIES, ids=[f"q{i}" for i in range(len(SINGLE_FILE_QUERIES))])
def test_single_file_split_into_tasks(query, workers, lake, duck):
    one = next((lake / "yellow").glob("*.parquet"))
    duck.execute(f"CREATE VIEW one AS SELECT * FROM read_parquet('{one}')")
    ordered = "ORDER BY total_amount DESC" in query and "LIMIT 7" in query
    kiln.compare_query(duck, query, {"one": one}, ordered=ordered, extra=["--workers", str(workers), *SPLIT])


# Table functions in a job's fragments must survive serialization to the workers: a
# `count(*)` pushes an empty projection into the generator (DataFusion's proto loses it).
GENERATOR_QUERIES = [
    "SELECT count(*) AS n FROM generate_series(1, 100000)",
    "SELECT count(*) AS n, sum(value) AS s FROM generate_series(1, 100000, 7)",
    "SELECT count(*) AS n FROM range(0, 50000)",
    "SELECT count(*) AS n FROM one CROSS JOIN generate_series(1, 3)",
]


@pytest.mark.parametrize("query", GENERATOR_QUERIES, ids=[f"g{i}" for i in range(len(GENERATOR_QUERIES))])
def test_table_functions_run_as_jobs(query, lake, duck):
    one = next((lake / "yellow").glob("*.parquet"))
    duck.execute(f"CREATE OR REPLACE VIEW one AS SELECT * FROM read_parquet('{one}')")
    # DuckDB's generate_series column is `generate_series`, DataFusion's `value`.
    duck_query = query.replace("sum(value)", "sum(generate_series)")
    kiln.compare_query(duck, query, {"one": one}, duck_query, extra=["--workers", "2"])


def test_operator_metrics_add_up_to_the_data(tmp_path):
    """EXPLAIN ANALYZE per operator, summed over tasks: the filter's output rows equal
    DuckDB's count and the scan's pruned row groups equal those pyarrow's statistics
    rule out."""
    import duckdb
    import pyarrow as pa

    n, per_group, threshold = 100_000, 10_000, 73_000
    path = tmp_path / "sorted.parquet"
    pq.write_table(pa.table({"x": pa.array(range(n), pa.int64()),
                             "y": pa.array([i % 7 for i in range(n)], pa.int64())}),
                   path, row_group_size=per_group, compression="zstd")
    query = f"SELECT y, count(*) AS c FROM t WHERE x >= {threshold} GROUP BY y"
    events_path = tmp_path / "events.json"
    kiln.sql(query, {"t": path}, extra=["--workers", "2", "--split-mb", "1", "--events", str(events_path)])
    events = json.loads(events_path.read_text())
    submitted = events[0]
    nodes = submitted["plans"]["physical"]["nodes"]
    assert submitted["plans"]["logical"]["nodes"][0]["name"] == "Projection"
    totals = {}
    for e in events:
        if e["event"] != "task_finished":
            continue
        stage = submitted["graph"]["stages"][e["stage"]]
        assert len(e["metrics"]["operators"]) == len(stage["operators"])
        for op, m in zip(stage["operators"], e["metrics"]["operators"]):
            if op["node"] is not None:
                assert nodes[op["node"]]["name"] == op["name"]
                t = totals.setdefault(op["node"], {"rows": 0, "pruned": 0, "matched": 0})
                t["rows"] += m["output_rows"]
                t["pruned"] += m["row_groups_pruned"]
                t["matched"] += m["row_groups_matched"]
    filters = [i for i, node in enumerate(nodes) if node["name"] == "FilterExec"]
    scans = [i for i, node in enumerate(nodes) if node["name"] == "DataSourceExec"]
    assert len(filters) == 1 and len(scans) == 1
    expected_rows = duckdb.connect().execute(f"SELECT count(*) FROM '{path}' WHERE x >= {threshold}").fetchone()[0]
    assert totals[filters[0]]["rows"] == expected_rows
    md = pq.ParquetFile(path).metadata
    maxes = [md.row_group(i).column(0).statistics.max for i in range(md.num_row_groups)]
    assert totals[scans[0]]["pruned"] == sum(1 for m in maxes if m < threshold)
    assert totals[scans[0]]["matched"] == sum(1 for m in maxes if m >= threshold)


# Plans that read nothing (a count the files' statistics give, constants): the planner
# answers them itself, with no task, and the answer is still DuckDB's.
PLANNER_ANSWERED = [
    ("count", "SELECT count(*) AS n FROM one", True),
    ("count_folder", "SELECT count(*) AS n FROM yellow", True),
    ("constants", "SELECT 1 + 2 AS three, 'x' AS s", True),
    ("nothing", "SELECT count(*) AS n FROM one WHERE 1 = 0", True),
    ("min_max", "SELECT count(*) AS n, min(total_amount) AS low, max(total_amount) AS high FROM one", False),
]


@pytest.mark.parametrize("query,answered", [(q, a) for _, q, a in PLANNER_ANSWERED],
                         ids=[i for i, _, _ in PLANNER_ANSWERED])
def test_plans_that_read_nothing_are_answered_while_planning(tmp_path, query, answered, lake, duck):
    one = next((lake / "yellow").glob("*.parquet"))
    duck.execute(f"CREATE OR REPLACE VIEW one AS SELECT * FROM read_parquet('{one}')")
    duck.execute(f"CREATE OR REPLACE VIEW yellow AS SELECT * FROM read_parquet('{lake / 'yellow'}/*.parquet')")
    tables = {"one": one, "yellow": lake / "yellow"}
    names, expected = kiln.duckdb_rows(duck, query)
    rows, events = run_with_events(tmp_path, query, tables, "--workers", "2")
    kiln.assert_rows_equal(kiln.kiln_rows(rows, names), expected, ordered=False, columns=names, what=query)
    started = [e for e in events if e["event"] == "task_started"]
    graph = events[0]["graph"]["stages"]
    if answered:
        assert not started and [s["answered_in_planning"] for s in graph] == [True], events
        proc = kiln.run("explain", "--stages", query, *kiln.table_args(tables))
        assert proc.returncode == 0 and "answered while planning, no task" in proc.stdout, kiln.describe(proc)
    else:
        # Statistics may or may not answer it exactly; a stage the planner answered never
        # also runs tasks.
        assert not any(s["answered_in_planning"] for s in graph) or not started, events
