"""Queries over generated taxi data, answered by Kiln and by DuckDB on the same files."""

from __future__ import annotations

import filecmp
import gzip
import re
import shutil

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import kiln
from conftest import TAXI_ROWS
from kiln import sql_str


@pytest.fixture(scope="module")
def zones_csv_gz(taxi_dir, tmp_path_factory):
    """A gzipped copy of the zone CSV, made with Python's gzip rather than by Kiln."""
    path = tmp_path_factory.mktemp("gz") / "taxi_zone_lookup.csv.gz"
    with open(taxi_dir / "taxi_zone_lookup.csv", "rb") as src, gzip.open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


@pytest.fixture(scope="module")
def tables(taxi_dir, zones_csv_gz):
    """Kiln's table arguments; DuckDB gets views of the same names over the same files."""
    return {
        "yellow": taxi_dir / "yellow",
        "green": taxi_dir / "green",
        "zones": taxi_dir / "taxi_zone_lookup.parquet",
        "zones_csv": taxi_dir / "taxi_zone_lookup.csv",
        "zones_gz": zones_csv_gz,
    }


@pytest.fixture(scope="module")
def con(taxi_dir, zones_csv_gz):
    con = duckdb.connect()
    con.execute(f"CREATE VIEW yellow AS SELECT * FROM read_parquet({sql_str(taxi_dir / 'yellow' / '*.parquet')})")
    con.execute(f"CREATE VIEW green AS SELECT * FROM read_parquet({sql_str(taxi_dir / 'green' / '*.parquet')})")
    con.execute(f"CREATE VIEW zones AS SELECT * FROM read_parquet({sql_str(taxi_dir / 'taxi_zone_lookup.parquet')})")
    # Explicit CSV options: the oracle must not guess differently from the file's
    # content (all cells are quoted text, the first line is the header).
    for view, path in (("zones_csv", taxi_dir / "taxi_zone_lookup.csv"), ("zones_gz", zones_csv_gz)):
        con.execute(
            f"CREATE VIEW {view} AS SELECT * FROM read_csv({sql_str(path)}, header = true, "
            "columns = {'LocationID': 'BIGINT', 'Borough': 'VARCHAR', 'Zone': 'VARCHAR', 'service_zone': 'VARCHAR'})"
        )
    yield con
    con.close()


# Each: (id, SQL, ordered?). The SQL is the same text for both engines. Ordered results
# use enough sort keys that no two distinct output rows tie.
QUERIES = [
    (
        "payment_type_group",
        'SELECT payment_type, count(*) AS trips, sum(total_amount) AS total, avg(tip_amount) AS avg_tip '
        "FROM yellow GROUP BY payment_type",
        False,
    ),
    (
        "join_zones_by_borough",
        'SELECT z."Borough" AS borough, count(*) AS trips, sum(y.total_amount) AS total, '
        'avg(y.trip_distance) AS avg_distance '
        'FROM yellow y JOIN zones z ON y."PULocationID" = z."LocationID" GROUP BY z."Borough"',
        False,
    ),
    (
        "top_total_amount",
        'SELECT total_amount, tpep_pickup_datetime, tpep_dropoff_datetime, "PULocationID", "DOLocationID", '
        'trip_distance, "VendorID", fare_amount, tip_amount FROM yellow '
        'ORDER BY total_amount DESC, tpep_pickup_datetime, tpep_dropoff_datetime, "PULocationID", '
        '"DOLocationID", trip_distance, "VendorID", fare_amount, tip_amount LIMIT 25',
        True,
    ),
    (
        "multi_predicate_filter",
        "SELECT count(*) AS trips, sum(fare_amount) AS fares, min(tpep_pickup_datetime) AS first_pickup, "
        "max(tpep_dropoff_datetime) AS last_dropoff FROM yellow "
        "WHERE trip_distance BETWEEN 2 AND 10 AND payment_type = 1 AND passenger_count >= 2 "
        "AND tpep_pickup_datetime >= TIMESTAMP '2024-02-01 00:00:00' AND store_and_fwd_flag = 'N' "
        'AND "PULocationID" <> "DOLocationID"',
        False,
    ),
    (
        "date_trunc_month",
        "SELECT CAST(date_trunc('month', tpep_pickup_datetime) AS TIMESTAMP) AS month, count(*) AS trips, "
        "sum(total_amount) AS revenue, max(trip_distance) AS longest FROM yellow GROUP BY 1 ORDER BY 1",
        True,
    ),
    (
        "count_distinct",
        'SELECT count(DISTINCT "PULocationID") AS pickup_zones, count(DISTINCT "DOLocationID") AS dropoff_zones, '
        'count(DISTINCT "VendorID") AS vendors FROM yellow',
        False,
    ),
    (
        "union_all_yellow_green",
        "SELECT kind, count(*) AS trips, sum(total_amount) AS total, count(passenger_count) AS with_passengers "
        "FROM (SELECT 'yellow' AS kind, total_amount, passenger_count FROM yellow "
        "UNION ALL SELECT 'green' AS kind, total_amount, passenger_count FROM green) u GROUP BY kind",
        False,
    ),
    (
        "window_top3_per_zone",
        'SELECT "PULocationID", rn, total_amount, tpep_pickup_datetime, tpep_dropoff_datetime, "DOLocationID", '
        'trip_distance FROM (SELECT "PULocationID", total_amount, tpep_pickup_datetime, tpep_dropoff_datetime, '
        '"DOLocationID", trip_distance, row_number() OVER (PARTITION BY "PULocationID" ORDER BY total_amount DESC, '
        'tpep_pickup_datetime, tpep_dropoff_datetime, "DOLocationID", trip_distance) AS rn FROM yellow) w '
        "WHERE rn <= 3",
        False,
    ),
    (
        "window_rank",
        'SELECT "PULocationID", rk, count(*) AS n, sum(total_amount) AS total FROM (SELECT "PULocationID", '
        'total_amount, rank() OVER (PARTITION BY "PULocationID" ORDER BY total_amount DESC) AS rk FROM yellow) w '
        'WHERE rk <= 3 GROUP BY "PULocationID", rk',
        False,
    ),
    (
        "subquery_in",
        'SELECT count(*) AS trips, sum(total_amount) AS total FROM yellow WHERE "PULocationID" IN '
        "(SELECT \"LocationID\" FROM zones WHERE \"Borough\" = 'Manhattan')",
        False,
    ),
    (
        "scalar_subquery",
        "SELECT count(*) AS above_avg FROM yellow WHERE total_amount > (SELECT avg(total_amount) FROM yellow)",
        False,
    ),
    (
        "join_csv_zones",
        'SELECT z.service_zone AS service_zone, z."Borough" AS borough, count(*) AS trips, '
        'sum(g.fare_amount) AS fares FROM green g JOIN zones_csv z ON g."DOLocationID" = z."LocationID" '
        'GROUP BY z.service_zone, z."Borough"',
        False,
    ),
    (
        "join_csv_gz_zones",
        'SELECT z."Zone" AS zone, count(*) AS trips FROM yellow y JOIN zones_gz z '
        'ON y."PULocationID" = z."LocationID" GROUP BY z."Zone"',
        False,
    ),
    (
        "having",
        'SELECT "PULocationID", count(*) AS trips, avg(fare_amount) AS avg_fare FROM yellow '
        'GROUP BY "PULocationID" HAVING count(*) > 1000',
        False,
    ),
    (
        "case_expression",
        "SELECT CASE WHEN trip_distance < 1 THEN 'short' WHEN trip_distance < 5 THEN 'medium' "
        "ELSE 'long' END AS bucket, count(*) AS trips, avg(tip_amount) AS avg_tip, "
        "sum(CASE WHEN payment_type = 1 THEN 1 ELSE 0 END) AS card_trips FROM yellow GROUP BY 1",
        False,
    ),
    (
        "nulls",
        "SELECT count(*) AS null_passengers, count(passenger_count) AS counted, "
        "count(\"RatecodeID\") AS with_ratecode, count(congestion_surcharge) AS with_congestion "
        "FROM yellow WHERE passenger_count IS NULL",
        False,
    ),
    (
        "null_group_keys",
        "SELECT trip_type, payment_type, count(*) AS trips, sum(ehail_fee) AS ehail FROM green "
        "GROUP BY trip_type, payment_type",
        False,
    ),
    (
        "left_join_unmatched",
        'SELECT z."Borough" AS borough, count(y."PULocationID") AS trips FROM zones z '
        'LEFT JOIN yellow y ON y."PULocationID" = z."LocationID" GROUP BY z."Borough"',
        False,
    ),
]


@pytest.mark.parametrize("query,ordered", [(q, o) for _, q, o in QUERIES], ids=[i for i, _, _ in QUERIES])
def test_query_matches_duckdb(query, ordered, con, tables):
    kiln.compare_query(con, query, used(tables, query), ordered=ordered)


def used(tables: dict, query: str) -> dict:
    """Only the tables the query names: a problem with one input (say the .csv.gz)
    then fails only the queries that read it."""
    return {name: path for name, path in tables.items() if re.search(rf"\b{name}\b", query)}


def test_queries_are_not_trivial(con):
    # A comparison of two empty answers proves nothing: every query must return rows,
    # and the NULL checks must meet actual NULLs.
    for qid, query, _ in QUERIES:
        assert con.execute(f"SELECT count(*) FROM ({query}) q").fetchone()[0] > 0, qid
    assert con.execute("SELECT count(*) FROM yellow WHERE passenger_count IS NULL").fetchone()[0] > 0
    assert con.execute("SELECT count(*) FROM green WHERE trip_type IS NULL").fetchone()[0] > 0


def test_empty_result(con, tables):
    query = "SELECT \"VendorID\", total_amount FROM yellow WHERE total_amount < -1000000"
    assert con.execute(query).fetchall() == []
    assert kiln.sql(query, used(tables, query)) == []


@pytest.mark.parametrize("qid", ["payment_type_group", "join_zones_by_borough", "window_top3_per_zone", "having"])
def test_partitions_do_not_change_answers(qid, con, tables):
    query = next(q for i, q, _ in QUERIES if i == qid)
    one = kiln.compare_query(con, query, used(tables, query), partitions=1)
    four = kiln.compare_query(con, query, used(tables, query), partitions=4)
    kiln.assert_rows_equal(one, four, ordered=False, what=f"{qid}: --partitions 1 vs 4")


def test_row_counts_add_up(taxi_dir, tables):
    files = sorted((taxi_dir / "yellow").glob("*.parquet")) + sorted((taxi_dir / "green").glob("*.parquet"))
    names = [p.relative_to(taxi_dir).as_posix() for p in files]
    assert names == [f"{k}/{k}_tripdata_2024-{m:02d}.parquet" for k in ("yellow", "green") for m in (1, 2, 3)]
    assert sum(pq.ParquetFile(p).metadata.num_rows for p in files) == TAXI_ROWS
    rows = kiln.sql(
        "SELECT (SELECT count(*) FROM yellow) + (SELECT count(*) FROM green) AS n",
        {"yellow": tables["yellow"], "green": tables["green"]},
    )
    assert rows == [{"n": TAXI_ROWS}]
    zones = pq.read_table(taxi_dir / "taxi_zone_lookup.parquet")
    assert zones.num_rows == 265
    assert zones.column_names == ["LocationID", "Borough", "Zone", "service_zone"]


def _gen(out, seed):
    proc = kiln.run("gen", "taxi", "--rows", 20_000, "--out", out, "--seed", seed, timeout=600)
    assert proc.returncode == 0, kiln.describe(proc)
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def test_generator_is_deterministic(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    files_a, files_b, files_c = _gen(a, 11), _gen(b, 11), _gen(c, 12)
    assert files_a == files_b == files_c
    different = [f for f in files_a if not filecmp.cmp(a / f, b / f, shallow=False)]
    assert different == [], "same seed, different bytes"
    trips = [f for f in files_a if "tripdata" in f]
    assert len(trips) == 6
    same_across_seeds = [f for f in trips if filecmp.cmp(a / f, c / f, shallow=False)]
    assert same_across_seeds == [], "a different seed must give different trips"


def test_hive_partitioned_folder(tmp_path):
    lake = tmp_path / "lake"
    layout = {(2023, 12): 40, (2024, 1): 25, (2024, 2): 60, (2024, 11): 10}
    for (year, month), n in layout.items():
        for part in range(2):
            folder = lake / f"year={year}" / f"month={month}"
            folder.mkdir(parents=True, exist_ok=True)
            values = pa.array([year * 100 + month + i for i in range(n + part)], pa.int64())
            pq.write_table(pa.table({"v": values, "w": pa.array([float(i) / 3 for i in range(n + part)])}),
                           folder / f"part-{part}.parquet")
    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW lake AS SELECT * FROM read_parquet({sql_str(lake / '**' / '*.parquet')}, hive_partitioning = true)"
    )
    query = "SELECT year, month, count(*) AS n, sum(v) AS sv, sum(w) AS sw FROM lake GROUP BY 1, 2"
    kiln.compare_query(con, query, {"lake": lake})
    kiln.compare_query(con, "SELECT count(*) AS n FROM lake WHERE year = 2024 AND month >= 2", {"lake": lake})


def _assert_tables_equal(got: pa.Table, want: pa.Table, what: str):
    assert got.column_names == want.column_names, what
    actual = kiln.canon_rows(zip(*(c.to_pylist() for c in got.columns)))
    expected = kiln.canon_rows(zip(*(c.to_pylist() for c in want.columns)))
    kiln.assert_rows_equal(actual, expected, ordered=False, columns=want.column_names, what=what)


@pytest.mark.parametrize("source", ["csv", "csv.gz"])
def test_convert_zone_csv(source, taxi_dir, zones_csv_gz, tmp_path):
    src = taxi_dir / "taxi_zone_lookup.csv" if source == "csv" else zones_csv_gz
    out = tmp_path / "zones.parquet"
    proc = kiln.run("convert", src, out)
    assert proc.returncode == 0, kiln.describe(proc)
    # pyarrow.csv keeps "N/A" and "NA" as text in string columns (strings_can_be_null
    # is off by default), as they are in the file.
    want = pacsv.read_csv(taxi_dir / "taxi_zone_lookup.csv")
    _assert_tables_equal(pq.read_table(out), want, f"kiln convert {src.name}")
