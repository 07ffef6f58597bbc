"""Results saved as files (`kiln sql --out`) and written like a batch job's output
(`--write DIR --partition-by ... --files ...`), read back by pyarrow and DuckDB and
compared with DuckDB's own answer to the same query."""

from __future__ import annotations

import json
from collections import Counter

import duckdb
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.dataset as ds
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

import kiln

QUERY = """SELECT "VendorID", payment_type, "PULocationID", total_amount, tpep_pickup_datetime
           FROM yellow WHERE trip_distance > 2"""
DUCK = QUERY.replace("FROM yellow", "FROM read_parquet({path})")


@pytest.fixture(scope="module")
def con():
    return duckdb.connect()


def expected(con, taxi_dir, query=QUERY):
    path = kiln.sql_str(taxi_dir / "yellow" / "*.parquet")
    return con.execute(query.replace("FROM yellow", f"FROM read_parquet({path})")).fetchall()


def save(tmp_path, taxi_dir, fmt, *extra, query=QUERY):
    out = tmp_path / f"result.{fmt}"
    proc = kiln.run("sql", query, f"yellow={taxi_dir / 'yellow'}", "--out", out, "--out-format", fmt, *extra)
    assert proc.returncode == 0, kiln.describe(proc)
    return out


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "arrow"])
def test_a_saved_file_reads_back_equal(tmp_path, taxi_dir, con, fmt):
    out = save(tmp_path, taxi_dir, fmt, "--workers", "2")
    reader = {
        "parquet": lambda: pq.read_table(out),
        "csv": lambda: pacsv.read_csv(out, convert_options=pacsv.ConvertOptions(
            strings_can_be_null=True, quoted_strings_can_be_null=False)),
        "jsonl": lambda: pajson.read_json(out),
        "arrow": lambda: ipc.open_file(out).read_all(),
    }[fmt]
    table = reader()
    assert table.column_names == ["VendorID", "payment_type", "PULocationID", "total_amount",
                                  "tpep_pickup_datetime"]
    got = kiln.canon_rows([tuple(r.values()) for r in table.to_pylist()])
    kiln.assert_rows_equal(got, kiln.canon_rows(expected(con, taxi_dir)), ordered=False, what=fmt)


def test_parquet_is_zstd_with_reader_sized_row_groups(tmp_path, taxi_dir):
    md = pq.ParquetFile(save(tmp_path, taxi_dir, "parquet")).metadata
    codecs = {md.row_group(i).column(c).compression for i in range(md.num_row_groups) for c in range(md.num_columns)}
    assert codecs == {"ZSTD"}
    assert all(md.row_group(i).num_rows <= 1 << 20 for i in range(md.num_row_groups))


def test_an_empty_result_still_has_its_columns(tmp_path, taxi_dir):
    query = QUERY + " AND total_amount < -1e9"
    for fmt in ("parquet", "csv", "arrow"):
        out = save(tmp_path, taxi_dir, fmt, query=query)
        if fmt == "csv":
            assert out.read_text().strip().split(",")[0] == "VendorID"
        else:
            table = pq.read_table(out) if fmt == "parquet" else ipc.open_file(out).read_all()
            assert table.num_rows == 0 and table.num_columns == 5


def write(tmp_path, taxi_dir, query, *extra, workers="3"):
    out = tmp_path / "out"
    events = tmp_path / "events.json"
    proc = kiln.run("sql", query, f"yellow={taxi_dir / 'yellow'}", "--write", out, "--workers", workers,
                    "--events", events, *extra)
    assert proc.returncode == 0, kiln.describe(proc)
    listed = [line.split("\t") for line in proc.stdout.splitlines()]
    return out, listed, json.loads(events.read_text())


def test_partitioned_output_has_a_folder_per_value_and_a_file_per_task(tmp_path, taxi_dir, con):
    query = 'SELECT payment_type, "VendorID", total_amount FROM yellow'
    out, listed, events = write(tmp_path, taxi_dir, query, "--partition-by", "payment_type", "--split-mb", "1")
    assert (out / "_SUCCESS").exists()
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    assert files == sorted(f[0] for f in listed)
    # Rows per partition value, read back by DuckDB with Hive partitioning, equal DuckDB's.
    back = con.execute(f"""SELECT payment_type, count(*) FROM read_parquet({kiln.sql_str(out / '**' / '*.parquet')},
                           hive_partitioning = true) GROUP BY 1 ORDER BY 1""").fetchall()
    want = expected(con, taxi_dir, "SELECT payment_type, count(*) FROM yellow GROUP BY 1 ORDER BY 1")
    assert [(int(k), n) for k, n in back] == [(int(k), n) for k, n in want]
    # The partition column lives in the folder names only.
    assert pq.read_schema(out / files[0]).names == ["VendorID", "total_amount"]
    # One file per (task of the last stage, value it holds): count from the event log.
    result_stage = max(s["id"] for s in events[0]["graph"]["stages"])
    tasks = sum(1 for e in events if e["event"] == "task_finished" and e["stage"] == result_stage
                and e["metrics"]["rows_out"] > 0)
    assert tasks > 1, "the result stage ran several tasks"
    per_value = Counter(f.split("/")[0] for f in files)
    assert max(per_value.values()) <= tasks and len({f.split("/")[1] for f in files}) == tasks


@pytest.mark.parametrize("layout,files", [("coalesce:1", 1), ("repartition:4", 4)])
def test_coalesce_and_repartition_set_the_file_count(tmp_path, taxi_dir, con, layout, files):
    out, listed, _ = write(tmp_path, taxi_dir, QUERY, "--files", layout, "--out-format", "csv", "--split-mb", "1")
    written = sorted(out.glob("*.csv"))
    assert len(written) == files
    rows = [int(line[1]) for line in listed]
    if layout.startswith("repartition"):
        assert max(rows) - min(rows) <= 1, f"repartition spreads rows evenly: {rows}"
    back = con.execute(f"SELECT count(*) FROM read_csv({kiln.sql_str(out / '*.csv')})").fetchone()[0]
    assert back == len(expected(con, taxi_dir))


def test_partition_values_with_path_characters_read_back_unchanged(tmp_path, taxi_dir, con):
    query = """SELECT CASE WHEN payment_type = 1 THEN 'card/visa=1' WHEN payment_type = 2 THEN 'cash: 100%'
               ELSE NULL END AS kind, total_amount FROM yellow"""
    out, _, _ = write(tmp_path, taxi_dir, query, "--partition-by", "kind", "--files", "coalesce:1")
    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    got = Counter(table.column("kind").to_pylist())
    want = Counter(k for (k,) in expected(con, taxi_dir, query.replace(", total_amount", "")))
    assert got == want


def test_partitioning_by_a_missing_column_names_it(tmp_path, taxi_dir):
    proc = kiln.run("sql", QUERY, f"yellow={taxi_dir / 'yellow'}", "--write", tmp_path / "o",
                    "--partition-by", "nope")
    kiln.assert_clean_error(proc, "nope", "VendorID")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "arrow"])
def test_kiln_reads_back_what_it_saved(tmp_path, taxi_dir, con, fmt):
    """The round trip: a saved file, opened by Kiln, answers like the source does."""
    out = save(tmp_path, taxi_dir, fmt)
    check = 'SELECT payment_type, count(*), round(sum(total_amount), 2) FROM t GROUP BY 1 ORDER BY 1'
    rows = kiln.sql(check, {"t": out})
    got = [tuple(r.values()) for r in rows]
    want = expected(con, taxi_dir, check.replace("FROM t", "FROM yellow WHERE trip_distance > 2"))
    kiln.assert_rows_equal(kiln.canon_rows(got), kiln.canon_rows(want), ordered=True, what=fmt)


def test_kiln_reads_back_a_partitioned_output_with_its_partition_column(tmp_path, taxi_dir, con):
    query = 'SELECT payment_type, "VendorID", total_amount FROM yellow'
    out, _, _ = write(tmp_path, taxi_dir, query, "--partition-by", "payment_type")
    check = 'SELECT payment_type, count(*), round(sum(total_amount), 2) FROM t GROUP BY 1 ORDER BY 1'
    got = [tuple(r.values()) for r in kiln.sql(check, {"t": out})]
    want = expected(con, taxi_dir, check.replace("FROM t", "FROM yellow"))
    kiln.assert_rows_equal(kiln.canon_rows(got), kiln.canon_rows(want), ordered=True, what="partitioned")
