"""Jobs bigger than their workers' memory: with `--memory-per-worker`, a task's sorts,
aggregations and sort-merge joins spill to temp files past the budget. On generated
trips several times the budget, each kind of job must give DuckDB's answer and its
events must show that it spilled. Results are compared inside DuckDB (EXCEPT ALL both
ways over Kiln's Parquet output), so millions of rows never pass through Python."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

import differential
import kiln
from test_tpch import cases as tpch_cases
from test_tpch import make_tpch

# About 1.4 million trips: some 200 MB in memory against 32 MB per worker.
ROWS = 1_500_000
BUDGET = "32MB"
WORKERS = ["--workers", "2", "--memory-per-worker", BUDGET]


@pytest.fixture(scope="module")
def trips(tmp_path_factory, kiln_binary):
    out = tmp_path_factory.mktemp("spill-taxi")
    proc = kiln.run("gen", "taxi", "--rows", ROWS, "--out", out, "--seed", 11, timeout=1200)
    assert proc.returncode == 0, kiln.describe(proc)
    return out / "yellow"


def in_memory_bytes(folder) -> int:
    return sum(pq.read_table(f).nbytes for f in folder.glob("*.parquet"))


def test_the_data_is_several_times_the_budget(trips):
    assert in_memory_bytes(trips) > 4 * 32 * 1024 * 1024


def run_job(tmp_path, query: str, trips, *extra: str):
    """Runs `query` as a job under the budget; its result as Parquet, and its events."""
    out = tmp_path / "result.parquet"
    events = tmp_path / "events.json"
    proc = kiln.run("sql", query, f"yellow={trips}", *WORKERS, *extra, "--events", events, "--out", out,
                    timeout=1800)
    assert proc.returncode == 0, kiln.describe(proc)
    return out, json.loads(events.read_text())


def spilled(events) -> dict:
    """The job's spill, summed over its tasks, and the budget each task reported."""
    done = [e["metrics"] for e in events if e["event"] == "task_finished"]
    assert done, "the job ran no task"
    return {
        "files": sum(m["spill_files"] for m in done),
        "written": sum(m["spill_write_bytes"] for m in done),
        "read": sum(m["spill_read_bytes"] for m in done),
        "operator_files": sum(op["spill_count"] for m in done for op in m["operators"]),
        "budgets": {m["memory_budget_bytes"] for m in done},
    }


def assert_views_equal(duck, kiln_query: str, duck_query: str) -> None:
    """The same rows, as many times each, in `kiln_query` (over Kiln's output) and
    `duck_query` (DuckDB's own answer)."""
    duck.execute(f"CREATE OR REPLACE TEMP VIEW kiln_answer AS {kiln_query}")
    duck.execute(f"CREATE OR REPLACE TEMP VIEW duck_answer AS {duck_query}")
    (kiln_rows,), = duck.execute("SELECT count(*) FROM kiln_answer").fetchall()
    (duck_rows,), = duck.execute("SELECT count(*) FROM duck_answer").fetchall()
    assert kiln_rows == duck_rows, f"Kiln gave {kiln_rows} rows, DuckDB {duck_rows}"
    for a, b in (("kiln_answer", "duck_answer"), ("duck_answer", "kiln_answer")):
        (n,), = duck.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchall()
        assert n == 0, f"{n} rows of {a} are not in {b}"


def assert_same_rows(duck, kiln_parquet, duck_query: str) -> None:
    assert_views_equal(duck, f"SELECT * FROM read_parquet({kiln.sql_str(kiln_parquet)})", duck_query)


def duck_trips(trips) -> str:
    return f"read_parquet({kiln.sql_str(trips / '*.parquet')})"


def assert_spilled(events) -> dict:
    s = spilled(events)
    assert s["budgets"] == {32 * 1024 * 1024}, s
    assert s["files"] > 0 and s["written"] > 0, f"the job did not spill: {s}"
    assert s["read"] == s["written"], f"spilled bytes were not all read back: {s}"
    assert s["operator_files"] == s["files"], f"operators and the disk disagree on spill files: {s}"
    return s


def test_order_by_all_rows_spills_and_matches_duckdb(tmp_path, trips, duck):
    query = "SELECT * FROM yellow ORDER BY total_amount, tpep_pickup_datetime"
    out, events = run_job(tmp_path, query, trips)
    assert_spilled(events)
    assert_same_rows(duck, out, f"SELECT * FROM {duck_trips(trips)}")
    # The order itself: no row's key is below the one before it, in the file's order.
    (unsorted,), = duck.execute(
        f"""SELECT count(*) FROM (
              SELECT total_amount < lag(total_amount) OVER (ORDER BY rn)
                     OR (total_amount = lag(total_amount) OVER (ORDER BY rn)
                         AND tpep_pickup_datetime < lag(tpep_pickup_datetime) OVER (ORDER BY rn)) AS bad
              FROM (SELECT *, row_number() OVER () AS rn FROM read_parquet({kiln.sql_str(out)})))
            WHERE bad""").fetchall()
    assert unsorted == 0


GROUP_KEYS = 'tpep_pickup_datetime, tpep_dropoff_datetime, "PULocationID", "DOLocationID"'


def test_group_by_with_a_million_groups_spills_and_matches_duckdb(tmp_path, trips, duck):
    query = (f"SELECT {GROUP_KEYS}, count(*) AS n, sum(total_amount) AS total, min(trip_distance) AS d, "
             f"max(tip_amount) AS tip FROM yellow GROUP BY {GROUP_KEYS}")
    out, events = run_job(tmp_path, query, trips)
    assert_spilled(events)
    (groups,), = duck.execute(f"SELECT count(*) FROM read_parquet({kiln.sql_str(out)})").fetchall()
    assert groups > 1_000_000
    # Sums of the same values in another order may differ in the last bits.
    assert_views_equal(
        duck,
        f"SELECT {GROUP_KEYS}, n, round(total, 4), d, tip FROM read_parquet({kiln.sql_str(out)})",
        f"SELECT {GROUP_KEYS}, count(*), round(sum(total_amount), 4), min(trip_distance), max(tip_amount) "
        f"FROM {duck_trips(trips)} GROUP BY {GROUP_KEYS}")


def test_window_function_spills_and_matches_duckdb(tmp_path, trips, duck):
    # rank() and a RANGE count are the same whatever order ties come in.
    window = "OVER (PARTITION BY \"PULocationID\" ORDER BY total_amount)"
    query = f"SELECT *, rank() {window} AS r, count(*) {window} AS c FROM yellow"
    out, events = run_job(tmp_path, query, trips)
    assert_spilled(events)
    assert_same_rows(duck, out, query.replace("FROM yellow", f"FROM {duck_trips(trips)}"))


def test_join_of_two_large_tables_spills_and_matches_duckdb(tmp_path, trips, duck):
    # Each trip with every trip that began in the same second at the same place: the
    # build side's share per task is well over a quarter of the budget, so the hash
    # join becomes a sort-merge join.
    query = ("SELECT a.tpep_pickup_datetime, a.\"PULocationID\", a.tpep_dropoff_datetime, a.total_amount, "
             "a.trip_distance, a.tip_amount, b.fare_amount, b.\"DOLocationID\", b.tpep_dropoff_datetime AS b_off, "
             "b.passenger_count FROM yellow a JOIN yellow b ON a.tpep_pickup_datetime = b.tpep_pickup_datetime "
             "AND a.\"PULocationID\" = b.\"PULocationID\"")
    out, events = run_job(tmp_path, query, trips)
    physical = events[0]["plans"]["physical"]["text"]
    assert "SortMergeJoinExec" in physical and "HashJoinExec" not in physical, physical
    assert_spilled(events)
    assert_same_rows(duck, out, query.replace("FROM yellow a", f"FROM {duck_trips(trips)} a")
                     .replace("JOIN yellow b", f"JOIN {duck_trips(trips)} b"))


def test_a_small_join_stays_a_hash_join_under_the_budget(tmp_path, trips, duck):
    query = ("SELECT z.n, count(*) AS trips FROM yellow y JOIN (SELECT DISTINCT \"PULocationID\" AS id, "
             "\"PULocationID\" % 7 AS n FROM yellow WHERE \"PULocationID\" < 50) z ON y.\"DOLocationID\" = z.id "
             "GROUP BY z.n")
    out, events = run_job(tmp_path, query, trips)
    physical = events[0]["plans"]["physical"]["text"]
    assert "HashJoinExec" in physical and "SortMergeJoinExec" not in physical, physical
    assert_same_rows(duck, out, query.replace("FROM yellow", f"FROM {duck_trips(trips)}"))


def test_partitioned_write_under_the_budget_matches_duckdb(tmp_path, trips, duck):
    out = tmp_path / "by-vendor"
    events = tmp_path / "events.json"
    query = "SELECT * FROM yellow ORDER BY tpep_pickup_datetime"
    proc = kiln.run("sql", query, f"yellow={trips}", *WORKERS, "--events", events, "--write", out,
                    "--partition-by", "VendorID", timeout=1800)
    assert proc.returncode == 0, kiln.describe(proc)
    assert_spilled(json.loads(events.read_text()))
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders and all(f.startswith("VendorID=") for f in folders), folders
    written = f"read_parquet({kiln.sql_str(out / '**' / '*.parquet')}, hive_partitioning = true)"
    columns = ", ".join(kiln.quote_ident(c) for c in pq.read_schema(next(trips.glob("*.parquet"))).names)
    assert_views_equal(duck, f"SELECT {columns} FROM {written}", f"SELECT {columns} FROM {duck_trips(trips)}")


def test_a_budget_too_small_fails_clearly(trips):
    proc = kiln.run("sql", "SELECT * FROM yellow ORDER BY total_amount", f"yellow={trips}", "--workers", "2",
                    "--memory-per-worker", "1MB", timeout=1800)
    message = kiln.assert_clean_error(proc, "Resources exhausted", "ExternalSorter", "1024.0 KB",
                                      "raise the memory budget per worker")
    # Where: the stage, the task and its files.
    assert "running stage 0 task" in message and ".parquet" in message, message
    # Not retried: under the same budget every attempt fails the same way.
    assert "not retried" in message and "failed 4 times" not in message, message


def test_tpch_under_a_small_budget_matches_duckdb(tmp_path_factory):
    """All 22 TPC-H queries with joins planned as sort-merge joins and every worker
    under 32 MB, through `kiln matrix`, against DuckDB."""
    import duckdb

    tables = make_tpch(tmp_path_factory.mktemp("tpch-spill"), "0.1")
    con = duckdb.connect()
    for name, folder in tables.items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({kiln.sql_str(folder / '*.parquet')})")
    all_cases = tpch_cases()
    runs = differential.run_matrix([c.query for c in all_cases], tables, workers=(1, 2), memory_mb=(32,),
                                   timeout=3600)
    assert all(any("memory_mb=32" in r["label"] for r in q) for q in runs)
    report = differential.check_runs(con, all_cases, runs, allow_refusal=False)
    differential.assert_clean(report, allow_refused=False)
