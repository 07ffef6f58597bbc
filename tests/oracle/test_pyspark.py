"""PySpark programs run by `kiln pyspark` and by PySpark itself (local mode, from PyPI) on
the same generated files: each program leaves its answer in `result`, and the two
answers must be equal. Unsupported programs must fail naming the call and its line."""

from __future__ import annotations

import os
import textwrap

import pytest

import kiln

HEADER = """\
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.window import Window
spark = SparkSession.builder.appName("kiln-test").getOrCreate()
yellow = spark.read.parquet("{yellow}")
green = spark.read.parquet("{green}")
zones = spark.read.parquet("{zones}")
"""

# (id, program, ordered): the program's `result` is compared row by row when ordered.
PROGRAMS = [
    ("select", 'result = yellow.select("VendorID", "total_amount", F.col("trip_distance"))', False),
    ("select_star_limit_sorted", 'result = yellow.select("*").orderBy("tpep_pickup_datetime", "PULocationID", "total_amount").limit(5).select("PULocationID", "total_amount")', True),
    ("filter_column", 'result = yellow.filter(F.col("trip_distance") > 5).select("PULocationID")', False),
    ("where_sql_string", 'result = yellow.where("payment_type = 2 AND total_amount > 20").select("total_amount")', False),
    ("filter_and_or_not", 'result = yellow.filter((F.col("payment_type") == 1) & ~(F.col("trip_distance") < 3) | (F.col("total_amount") > 100)).select("total_amount")', False),
    ("with_column_arith", 'result = yellow.withColumn("per_mile", F.col("total_amount") / F.col("trip_distance")).filter(F.col("trip_distance") > 0).select("per_mile")', False),
    ("with_column_renamed_drop", 'result = yellow.withColumnRenamed("PULocationID", "zone").drop("store_and_fwd_flag", "Airport_fee").select("zone", "VendorID")', False),
    ("group_count", 'result = yellow.groupBy("payment_type").count()', False),
    ("group_agg", 'result = yellow.groupBy("VendorID", "payment_type").agg(F.sum("total_amount").alias("s"), F.avg("tip_amount").alias("a"), F.min("fare_amount"), F.max("fare_amount"), F.count("*").alias("n"))', False),
    ("count_distinct", 'result = yellow.groupBy("VendorID").agg(F.countDistinct("PULocationID").alias("zones"))', False),
    ("global_agg", 'result = yellow.agg(F.sum("total_amount").alias("s"), F.count("*").alias("n"))', False),
    ("grouped_sum_shortcut", 'result = yellow.groupBy("payment_type").sum("total_amount")', False),
    ("order_desc_limit", 'result = yellow.groupBy("PULocationID").agg(F.sum("total_amount").alias("s")).orderBy(F.desc("s")).limit(10)', True),
    ("sort_col_desc", 'result = yellow.groupBy("DOLocationID").count().sort(F.col("count").desc(), "DOLocationID").limit(7)', True),
    ("distinct", 'result = yellow.select("VendorID", "payment_type").distinct()', False),
    ("drop_duplicates", 'result = yellow.select("payment_type").dropDuplicates()', False),
    ("when_otherwise", 'result = yellow.select(F.when(F.col("total_amount") > 50, "high").when(F.col("total_amount") > 10, "mid").otherwise("low").alias("band")).groupBy("band").count()', False),
    ("lit_and_cast", 'result = yellow.select(F.lit("yellow").alias("service"), F.col("passenger_count").cast("int").alias("p")).groupBy("service", "p").count()', False),
    ("date_parts", 'result = yellow.select(F.hour("tpep_pickup_datetime").alias("h"), F.month("tpep_pickup_datetime").alias("m"), F.year("tpep_pickup_datetime").alias("y"), F.dayofweek("tpep_pickup_datetime").alias("d")).groupBy("h", "m", "y", "d").count()', False),
    ("date_trunc_to_date", 'result = yellow.select(F.date_trunc("month", F.col("tpep_pickup_datetime")).alias("month"), F.to_date("tpep_pickup_datetime").alias("day")).groupBy("month", "day").count()', False),
    ("expr", 'result = yellow.select(F.expr("total_amount - tip_amount").alias("net")).filter("net > 30")', False),
    ("select_expr", 'result = yellow.selectExpr("PULocationID AS zone", "total_amount * 2 AS double_total")', False),
    ("isin_between_isnull", 'result = yellow.filter(F.col("payment_type").isin(1, 2) & F.col("trip_distance").between(1, 3) & F.col("store_and_fwd_flag").isNotNull()).select("payment_type")', False),
    ("inner_join", 'result = yellow.join(zones.withColumnRenamed("LocationID", "PULocationID"), "PULocationID").groupBy("Borough").count()', False),
    ("left_join_list", 'z = zones.select(F.col("LocationID").alias("PULocationID"), "Borough").filter(F.col("Borough") != "Queens")\nresult = yellow.join(z, ["PULocationID"], "left").groupBy("Borough").count()', False),
    ("outer_join_two_keys", 'a = yellow.groupBy("PULocationID", "payment_type").count().withColumnRenamed("count", "y")\nb = green.groupBy("PULocationID", "payment_type").count().withColumnRenamed("count", "g")\nresult = a.join(b, ["PULocationID", "payment_type"], "outer")', False),
    ("semi_anti", 'busy = yellow.groupBy("PULocationID").count().filter(F.col("count") > 1500)\nresult = zones.withColumnRenamed("LocationID", "PULocationID").join(busy, "PULocationID", "left_anti").select("PULocationID")', False),
    ("union_all", 'result = yellow.select("PULocationID").unionAll(green.select("PULocationID")).groupBy("PULocationID").count()', False),
    ("union_by_name", 'result = yellow.select("VendorID", "PULocationID").unionByName(green.select("PULocationID", "VendorID")).groupBy("VendorID").count()', False),
    ("temp_view_sql", 'yellow.createOrReplaceTempView("trips")\nresult = spark.sql("SELECT payment_type, count(*) AS n FROM trips GROUP BY payment_type")', False),
    ("register_temp_table", 'yellow.registerTempTable("t2")\nresult = spark.sql("SELECT VendorID, SUM(total_amount) AS s FROM t2 GROUP BY 1")', False),
    ("window_row_number", 'w = Window.partitionBy("PULocationID").orderBy(F.desc("total_amount"), "tpep_pickup_datetime", "DOLocationID")\nresult = yellow.withColumn("rn", F.row_number().over(w)).filter(F.col("rn") <= 2).select("PULocationID", "rn", "total_amount")', False),
    ("window_rank_lag", 'w = Window.partitionBy("VendorID").orderBy("tpep_pickup_datetime", "PULocationID", "total_amount")\nresult = yellow.filter(F.col("PULocationID") == 132).select("VendorID", F.rank().over(w).alias("r"), F.lag("total_amount", 1).over(w).alias("prev"))', False),
    ("variables_across_statements", 'cheap = yellow.filter("total_amount < 10")\ncheap = cheap.withColumn("kind", F.lit("cheap"))\nresult = cheap.groupBy("kind").agg(F.round(F.avg("total_amount"), 2).alias("avg"))', False),
    ("cache_repartition", 'df = yellow.repartition(4).cache()\nresult = df.groupBy("payment_type").agg(F.max("trip_distance").alias("m"))', False),
]

# The course's revenue report: both services renamed to common columns, unioned,
# registered as a view and aggregated with SQL.
REVENUE = """
common = ["VendorID", "pickup_datetime", "dropoff_datetime", "store_and_fwd_flag", "RatecodeID",
          "PULocationID", "DOLocationID", "passenger_count", "trip_distance", "fare_amount", "extra",
          "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge", "total_amount",
          "payment_type", "congestion_surcharge"]
df_green = green.withColumnRenamed("lpep_pickup_datetime", "pickup_datetime") \\
    .withColumnRenamed("lpep_dropoff_datetime", "dropoff_datetime")
df_yellow = yellow.withColumnRenamed("tpep_pickup_datetime", "pickup_datetime") \\
    .withColumnRenamed("tpep_dropoff_datetime", "dropoff_datetime")
df_green_sel = df_green.select(common).withColumn("service_type", F.lit("green"))
df_yellow_sel = df_yellow.select(common).withColumn("service_type", F.lit("yellow"))
df_trips_data = df_green_sel.unionAll(df_yellow_sel)
df_trips_data.registerTempTable("trips_data")
result = spark.sql(\"\"\"
SELECT
    PULocationID AS revenue_zone,
    date_trunc('month', pickup_datetime) AS revenue_month,
    service_type,
    SUM(fare_amount) AS revenue_monthly_fare,
    SUM(extra) AS revenue_monthly_extra,
    SUM(mta_tax) AS revenue_monthly_mta_tax,
    SUM(tip_amount) AS revenue_monthly_tip_amount,
    SUM(tolls_amount) AS revenue_monthly_tolls_amount,
    SUM(improvement_surcharge) AS revenue_monthly_improvement_surcharge,
    SUM(total_amount) AS revenue_monthly_total_amount,
    SUM(congestion_surcharge) AS revenue_monthly_congestion_surcharge,
    AVG(passenger_count) AS avg_montly_passenger_count,
    AVG(trip_distance) AS avg_montly_trip_distance
FROM trips_data
GROUP BY 1, 2, 3
\"\"\")
"""

# Hourly revenue per zone for green and yellow, outer-joined and joined to the zones.
HOURLY = """
def_cols = ["hour", "zone"]
g = green.select(F.date_trunc("hour", "lpep_pickup_datetime").alias("hour"),
                 F.col("PULocationID").alias("zone"), "total_amount")
g = g.groupBy(def_cols).agg(F.sum("total_amount").alias("green_amount"), F.count("*").alias("green_records"))
y = yellow.select(F.date_trunc("hour", "tpep_pickup_datetime").alias("hour"),
                  F.col("PULocationID").alias("zone"), "total_amount")
y = y.groupBy(def_cols).agg(F.sum("total_amount").alias("yellow_amount"), F.count("*").alias("yellow_records"))
joined = g.join(y, on=["hour", "zone"], how="outer")
z = zones.withColumnRenamed("LocationID", "zone")
result = joined.join(z, on="zone").drop("service_zone")
"""

PROGRAMS += [("revenue_report", REVENUE, False), ("hourly_revenue_with_zones", HOURLY, False)]

# Programs Kiln must refuse, with the call and the line named.
BAD = [
    ("udf", 'f = F.udf(lambda x: x * 2)\nresult = yellow.select(f("total_amount"))', "udf", 8),
    ("rdd", 'result = yellow.rdd.map(lambda r: r)', "rdd", 8),
    ("for_loop", 'for c in ["a"]:\n    pass', "for", 8),
    ("pivot", 'result = yellow.groupBy("VendorID").pivot("payment_type").count()', "pivot", 8),
    ("rows_between", 'w = Window.partitionBy("VendorID").rowsBetween(-1, 0)', "rowsBetween", 8),
    ("join_condition", 'result = yellow.join(zones, yellow.PULocationID == zones.LocationID)', "join", 8),
    ("unknown_function", 'result = yellow.select(F.soundex_plus("Zone"))', "soundex_plus", 8),
    ("undefined_name", 'result = trips.select("a")', "trips", 8),
    ("missing_column", '\n\nresult = yellow.select(F.col("no_such_column") + 1)', "no_such_column", 10),
    ("syntax", 'result = yellow.select("a"', "syntax", 8),
]


def program(taxi_dir, body):
    paths = {"yellow": taxi_dir / "yellow", "green": taxi_dir / "green",
             "zones": taxi_dir / "taxi_zone_lookup.parquet"}
    return HEADER.format(**paths) + textwrap.dedent(body) + "\n"


def spark_rows(spark, code):
    scope = {}
    exec(compile(code, "<program>", "exec"), scope)
    result = scope["result"]
    return result.columns, [tuple(r) for r in result.collect()]


def kiln_rows(tmp_path, code):
    path = tmp_path / "program.py"
    path.write_text(code)
    proc = kiln.run("pyspark", path, "--result", "result", "--format", "json")
    assert proc.returncode == 0, "kiln pyspark failed" + kiln.describe(proc)
    return kiln.parse_json_rows(proc)


@pytest.mark.parametrize("code,ordered", [(c, o) for _, c, o in PROGRAMS], ids=[i for i, _, _ in PROGRAMS])
def test_program_matches_pyspark(tmp_path, taxi_dir, spark, code, ordered):
    code = program(taxi_dir, code)
    columns, expected = spark_rows(spark, code)
    rows = kiln_rows(tmp_path, code)
    got = [tuple(r.values()) for r in rows]
    assert len(rows) == len(expected)
    if rows:
        assert len(rows[0]) == len(columns), f"columns {list(rows[0])} vs Spark's {columns}"
    kiln.assert_rows_equal(kiln.canon_rows(got), kiln.canon_rows(expected), ordered=ordered)


@pytest.mark.parametrize("body,word,line", [(b, w, l) for _, b, w, l in BAD], ids=[i for i, *_ in BAD])
def test_unsupported_programs_name_the_call_and_line(tmp_path, taxi_dir, body, word, line):
    path = tmp_path / "bad.py"
    path.write_text(program(taxi_dir, body))
    proc = kiln.run("pyspark", path, "--result", "result")
    message = kiln.assert_clean_error(proc, word)
    assert f"line {line}" in message, message


def test_revenue_report_written_with_coalesce_1(tmp_path, taxi_dir, spark):
    """As the course writes it: `coalesce(1).write.parquet(..., mode="overwrite")` leaves one
    file and `_SUCCESS`; its rows equal PySpark's report."""
    import pyarrow.parquet as pq

    out = tmp_path / "report"
    code = program(taxi_dir, REVENUE) + f'result.coalesce(1).write.parquet("{out}", mode="overwrite")\n'
    path = tmp_path / "report.py"
    path.write_text(code)
    proc = kiln.run("pyspark", path)
    assert proc.returncode == 0, kiln.describe(proc)
    files = sorted(p.name for p in out.iterdir())
    assert files[0] == "_SUCCESS" and len(files) == 2 and files[1].endswith(".parquet"), files
    written = pq.read_table(out / files[1])
    _, expected = spark_rows(spark, program(taxi_dir, REVENUE))
    got = [tuple(r.values()) for r in written.to_pylist()]
    kiln.assert_rows_equal(kiln.canon_rows(got), kiln.canon_rows(expected), ordered=False)
    # mode="overwrite" replaces it; the default mode refuses to.
    assert kiln.run("pyspark", path).returncode == 0
    path.write_text(code.replace(', mode="overwrite"', ""))
    kiln.assert_clean_error(kiln.run("pyspark", path), "already exists")
