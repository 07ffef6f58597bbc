"""Jobs exported to Spark (`kiln export`) and run on real Spark (PySpark local mode, from
PyPI) over the same generated files: each exported PySpark script and Spark SQL file must
give the answer Kiln gives for the job. SQL jobs, PySpark programs and pipelines alike;
one script also goes through `spark-submit`, as a user would run it."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import kiln
from test_pyspark import HEADER, PROGRAMS

TABLES = {"yellow": "yellow", "green": "green", "zones": "taxi_zone_lookup.parquet"}

# SQL jobs whose text differs between the engines in ways the export must bridge:
# integer division, NULL ordering, date functions, CASE, subqueries, windows.
QUERIES = [
    ("group_by", "SELECT payment_type, count(*) AS n, sum(total_amount) AS s FROM yellow GROUP BY payment_type", False),
    ("join_zones", "SELECT z.\"Borough\", date_trunc('month', y.tpep_pickup_datetime) AS month, count(*) AS trips "
                   "FROM yellow y JOIN zones z ON y.\"PULocationID\" = z.\"LocationID\" GROUP BY 1, 2", False),
    ("integer_division", "SELECT \"PULocationID\" / 10 AS bucket, count(*) AS n FROM yellow GROUP BY 1", False),
    ("order_nulls_limit", "SELECT \"PULocationID\", total_amount FROM yellow ORDER BY total_amount DESC, \"PULocationID\", tpep_pickup_datetime LIMIT 15", True),
    ("case_when", "SELECT CASE WHEN trip_distance > 5 THEN 'long' WHEN trip_distance > 1 THEN 'mid' ELSE 'short' END AS kind, "
                  "count(*) AS n, avg(tip_amount) AS tip FROM yellow GROUP BY 1", False),
    ("count_distinct_hour", "SELECT extract(hour FROM tpep_pickup_datetime) AS h, count(DISTINCT \"PULocationID\") AS zones FROM yellow GROUP BY 1", False),
    ("window_rank", "SELECT * FROM (SELECT \"PULocationID\", total_amount, row_number() OVER (PARTITION BY \"PULocationID\" "
                    "ORDER BY total_amount DESC, tpep_pickup_datetime, \"DOLocationID\") AS rn FROM yellow) t WHERE rn <= 2", False),
    ("in_subquery", "SELECT count(*) AS n FROM green WHERE \"PULocationID\" IN (SELECT \"LocationID\" FROM zones WHERE \"Borough\" = 'Queens')", False),
    ("union_services", "SELECT 'yellow' AS service, count(*) AS n FROM yellow UNION ALL SELECT 'green', count(*) FROM green", False),
    ("filter_timestamp", "SELECT count(*) AS n, sum(fare_amount) AS fare FROM yellow WHERE tpep_pickup_datetime >= TIMESTAMP '2024-02-01 00:00:00' AND store_and_fwd_flag = 'N'", False),
    ("cast_and_round", "SELECT CAST(passenger_count AS VARCHAR) AS p, round(avg(total_amount), 2) AS avg_total FROM yellow GROUP BY 1", False),
]


def table_args(taxi_dir: Path) -> list[str]:
    return [f"{name}={taxi_dir / path}" for name, path in TABLES.items()]


def export(taxi_dir: Path, kind: str, what: str, to: str, *tables: str) -> str:
    proc = kiln.run("export", kind, what, *tables, "--to", to, "--input-root", taxi_dir,
                    "--title", "kiln-test-job")
    assert proc.returncode == 0, "kiln export failed" + kiln.describe(proc)
    return proc.stdout


def run_script(spark, script: str, tmp_path: Path, taxi_dir: Path, output: Path | None):
    """Runs an exported script in this process's Spark session, as `spark-submit` would
    run it (`__main__`, with its command line)."""
    path = tmp_path / "job.py"
    path.write_text(script)
    argv = [str(path), "--input", str(taxi_dir)]
    if output is not None:
        argv += ["--output", str(output)]
    saved = sys.argv
    sys.argv = argv
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv = saved


def read_parquet_rows(folder: Path) -> tuple[list[str], list[tuple]]:
    table = pq.read_table(folder)
    return table.column_names, [tuple(r.values()) for r in table.to_pylist()]


def spark_sql_rows(spark, text: str, taxi_dir: Path):
    """Runs an exported Spark SQL file statement by statement, its `${input}` set the way
    `spark-sql --hivevar input=DIR` sets it."""
    spark.conf.set("input", str(taxi_dir))
    result = None
    for statement in [s.strip() for s in text.split(";\n")]:
        body = "\n".join(l for l in statement.splitlines() if not l.startswith("--")).strip()
        if body:
            result = spark.sql(body)
    return result.columns, [tuple(r) for r in result.collect()]


@pytest.mark.parametrize("query,ordered", [(q, o) for _, q, o in QUERIES], ids=[i for i, _, _ in QUERIES])
def test_exported_sql_job_runs_on_spark_with_kilns_answer(tmp_path, taxi_dir, spark, query, ordered):
    tables = {name: taxi_dir / path for name, path in TABLES.items()}
    expected = [tuple(r.values()) for r in kiln.sql(query, tables)]
    script = export(taxi_dir, "sql", query, "pyspark", *table_args(taxi_dir))
    out = tmp_path / "out"
    run_script(spark, script, tmp_path, taxi_dir, out)
    _, got = read_parquet_rows(out)
    kiln.assert_rows_equal(kiln.canon_rows(got), kiln.canon_rows(expected), ordered=False,
                           what="PySpark script")
    sql_text = export(taxi_dir, "sql", query, "spark-sql", *table_args(taxi_dir))
    _, got = spark_sql_rows(spark, sql_text, taxi_dir)
    kiln.assert_rows_equal(kiln.canon_rows(got), kiln.canon_rows(expected), ordered=ordered,
                           what="Spark SQL file")


# Programs as the course writes them, reading by path; each ends by writing its result.
EXPORTED_PROGRAMS = [p for p in PROGRAMS if p[0] in {
    "group_agg", "filter_and_or_not", "when_otherwise", "date_trunc_to_date", "left_join_list",
    "outer_join_two_keys", "window_row_number", "temp_view_sql", "union_by_name", "revenue_report",
    "hourly_revenue_with_zones",
}]


def program_text(taxi_dir: Path, body: str) -> str:
    import textwrap

    paths = {"yellow": taxi_dir / "yellow", "green": taxi_dir / "green",
             "zones": taxi_dir / "taxi_zone_lookup.parquet"}
    return (HEADER.format(**paths) + textwrap.dedent(body)
            + '\nresult.write.mode("overwrite").parquet("result")\n')


@pytest.mark.parametrize("body", [b for _, b, _ in EXPORTED_PROGRAMS], ids=[i for i, _, _ in EXPORTED_PROGRAMS])
def test_exported_program_runs_on_spark_with_kilns_answer(tmp_path, taxi_dir, spark, body):
    code = program_text(taxi_dir, body)
    program = tmp_path / "program.py"
    program.write_text(code)
    kiln_out = tmp_path / "kiln"
    kiln_out.mkdir()
    proc = kiln.run("pyspark", program, "--result", "result", "--format", "json", cwd=kiln_out)
    assert proc.returncode == 0, kiln.describe(proc)
    expected = [tuple(r.values()) for r in kiln.parse_json_rows(proc)]

    script = export(taxi_dir, "pyspark", str(program), "pyspark")
    # Paths below the input folder became inp(...), the write out(...).
    assert f'inp("yellow")' in script and 'out("result")' in script, script
    assert str(taxi_dir) not in script, "an absolute input path is left in the script"
    out = tmp_path / "spark"
    run_script(spark, script, tmp_path, taxi_dir, out)
    _, got = read_parquet_rows(out / "result")
    kiln.assert_rows_equal(kiln.canon_rows(got), kiln.canon_rows(expected), ordered=False,
                           what="exported program")

    sql_text = export(taxi_dir, "pyspark", str(program), "spark-sql")
    _, got = spark_sql_rows(spark, sql_text, taxi_dir)
    kiln.assert_rows_equal(kiln.canon_rows(got), kiln.canon_rows(expected), ordered=False,
                           what="the program's result as Spark SQL")


PIPELINES = [
    ("revenue_by_borough", [
        {"op": "read", "table": "yellow"},
        {"op": "filter", "condition": {"kind": "compare", "all": True, "terms": [
            {"column": "trip_distance", "op": "gt", "value": {"type": "number", "value": 1.5}},
            {"column": "store_and_fwd_flag", "op": "eq", "value": {"type": "text", "value": "N"}}]}},
        {"op": "join", "table": "zones", "left_on": ["PULocationID"], "right_on": ["LocationID"], "how": "inner"},
        {"op": "with_column", "name": "net", "expr": "total_amount - tip_amount"},
        {"op": "group_by", "keys": ["Borough"], "aggs": [
            {"function": "sum", "column": "net", "alias": "net_revenue"},
            {"function": "count", "column": None, "alias": "trips"},
            {"function": "count_distinct", "column": "PULocationID", "alias": "zones"}]},
        {"op": "order_by", "keys": [{"column": "net_revenue", "descending": True}]},
    ]),
    ("top_trip_per_zone", [
        {"op": "read", "table": "green"},
        {"op": "select", "columns": ["PULocationID", "lpep_pickup_datetime", "total_amount", "DOLocationID"]},
        {"op": "window", "function": "row_number", "column": None, "partition_by": ["PULocationID"],
         "order_by": [{"column": "total_amount", "descending": True}, {"column": "lpep_pickup_datetime", "descending": False},
                      {"column": "DOLocationID", "descending": False}], "alias": "rank"},
        {"op": "filter", "condition": {"kind": "sql", "sql": "rank = 1"}},
        {"op": "rename", "from": "PULocationID", "to": "zone"},
        {"op": "drop", "columns": ["DOLocationID"]},
    ]),
    ("services_union_distinct", [
        {"op": "read", "table": "yellow"},
        {"op": "select", "columns": ["PULocationID", "payment_type"]},
        {"op": "union", "table": "green_keys"},
        {"op": "distinct"},
        {"op": "order_by", "keys": [{"column": "PULocationID", "descending": False}, {"column": "payment_type", "descending": False}]},
        {"op": "limit", "n": 25},
    ]),
]


@pytest.fixture(scope="module")
def green_keys(tmp_path_factory, taxi_dir):
    """green's two key columns as a file of their own, for the union pipeline."""
    import pyarrow.dataset as ds

    out = tmp_path_factory.mktemp("green_keys") / "green_keys.parquet"
    table = ds.dataset(taxi_dir / "green", partitioning="hive").to_table(columns=["PULocationID", "payment_type"])
    pq.write_table(table, out)
    return out


@pytest.mark.parametrize("steps", [s for _, s in PIPELINES], ids=[i for i, _ in PIPELINES])
def test_pipeline_matches_pyspark_and_its_export_runs(tmp_path, taxi_dir, spark, green_keys, steps):
    import shutil

    shutil.copy(green_keys, taxi_dir / "green_keys.parquet")
    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps({"steps": steps}))
    tables = table_args(taxi_dir) + [f"green_keys={taxi_dir / 'green_keys.parquet'}"]
    proc = kiln.run("pipeline", path, *tables, "--format", "json", "--workers", "2")
    assert proc.returncode == 0, kiln.describe(proc)
    got = [tuple(r.values()) for r in kiln.parse_json_rows(proc)]

    # The pipeline's program, as PySpark runs it, is the oracle.
    program = kiln.run("pipeline", path, "--print-program")
    assert program.returncode == 0, kiln.describe(program)
    for name, rel in list(TABLES.items()) + [("green_keys", "green_keys.parquet")]:
        spark.read.parquet(str(taxi_dir / rel)).createOrReplaceTempView(name)
    scope = {"spark": spark}
    text = program.stdout.replace("display(", "result = (")
    exec(compile(text, "<pipeline>", "exec"), scope)
    result = scope["result"]
    expected = [tuple(r) for r in result.collect()]
    ordered = any(s["op"] == "order_by" for s in steps)
    kiln.assert_rows_equal(kiln.canon_rows(got), kiln.canon_rows(expected), ordered=ordered,
                           what="pipeline vs PySpark")

    # The script's display(df) writes the result below --output.
    script = export(taxi_dir, "pipeline", str(path), "pyspark", *tables)
    out = tmp_path / "spark"
    run_script(spark, script, tmp_path, taxi_dir, out)
    _, from_export = read_parquet_rows(out / "result")
    kiln.assert_rows_equal(kiln.canon_rows(from_export), kiln.canon_rows(got), ordered=False,
                           what="exported pipeline")


def test_an_exported_script_runs_under_spark_submit(tmp_path, taxi_dir):
    """The script is standalone: `spark-submit job.py --input DIR --output DIR` runs it."""
    query = "SELECT payment_type, count(*) AS n FROM yellow GROUP BY payment_type"
    script = export(taxi_dir, "sql", query, "pyspark", *table_args(taxi_dir))
    path = tmp_path / "job.py"
    path.write_text(script)
    import pyspark

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    out = tmp_path / "out"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    proc = subprocess.run([str(submit), "--master", "local[1]", "--conf", "spark.ui.enabled=false",
                           str(path), "--input", str(taxi_dir), "--output", str(out)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    _, got = read_parquet_rows(out)
    expected = [tuple(r.values()) for r in kiln.sql(query, {"yellow": taxi_dir / "yellow"})]
    kiln.assert_rows_equal(kiln.canon_rows(got), kiln.canon_rows(expected), ordered=False)


def test_arrow_tables_are_refused_with_a_reason(tmp_path, taxi_dir):
    arrow = tmp_path / "t.arrow"
    import pyarrow as pa
    import pyarrow.feather as feather

    feather.write_feather(pa.table({"a": [1, 2]}), arrow, compression="uncompressed")
    proc = kiln.run("export", "sql", "SELECT * FROM t", f"t={arrow}", "--input-root", tmp_path)
    kiln.assert_clean_error(proc, "Arrow IPC")
