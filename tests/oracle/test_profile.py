"""Column profiles (`kiln sql --profile`, what the page's result header draws) against
DuckDB on the same result: NULLs, min and max, the distinct count within the stated
error of its HyperLogLog estimate, and every bar's row count, counted by DuckDB with the
very SQL condition the bar would put in the editor when clicked."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kiln
from kiln import canon, quote_ident, sql_str, values_equal

# DataFusion's approx_distinct: 16,384 registers, a standard error of about 0.8%;
# 3% is beyond four standard errors.
DISTINCT_REL_ERROR = 0.03


def kiln_profile(query: str, tables: dict, *extra: str) -> dict:
    proc = kiln.run("sql", query, *kiln.table_args(tables), "--profile", *extra)
    assert proc.returncode == 0, kiln.describe(proc)
    return json.loads(proc.stdout)


def check_profile(profile: dict, duck, query: str) -> None:
    """Every number of the profile, recounted by DuckDB over `query`'s result."""
    # A zoned timestamp's bar edges carry their offset (`+00:00`); DuckDB must not read
    # them in the machine's zone.
    duck.execute("SET TimeZone = 'UTC'")
    duck.execute(f"CREATE OR REPLACE TEMP TABLE result AS {query}")
    rows = duck.execute("SELECT count(*) FROM result").fetchone()[0]
    assert profile["rows"] == rows
    types = {name: t for name, t, *_ in duck.execute("DESCRIBE result").fetchall()}
    assert [c["name"] for c in profile["columns"]] == list(types)
    for column in profile["columns"]:
        name = column["name"]
        c = quote_ident(name)
        non_null, exact_distinct, lo, hi = duck.execute(
            f"SELECT count({c}), count(DISTINCT {c}), min({c}), max({c}) FROM result"
        ).fetchone()
        where = f"{name}: {column}"
        assert column["nulls"] == rows - non_null, where
        if column["distinct"] is not None:
            tolerance = max(1, DISTINCT_REL_ERROR * exact_distinct)
            assert abs(column["distinct"] - exact_distinct) <= tolerance, (
                f"{where}: distinct {column['distinct']} vs DuckDB's {exact_distinct}"
            )
        for kiln_text, duck_value in ((column["min"], lo), (column["max"], hi)):
            if kiln_text is None:
                assert duck_value is None or column["shape"]["kind"] == "empty", where
                continue
            if isinstance(duck_value, bool):
                assert kiln_text == str(duck_value).lower(), where
            else:
                assert values_equal(canon(kiln_text), canon(duck_value)), (
                    f"{where}: {kiln_text!r} vs DuckDB's {duck_value!r}"
                )
        shape = column["shape"]
        bars = shape.get("bins") or shape.get("values") or []
        for bar in bars:
            counted = duck.execute(f"SELECT count(*) FROM result WHERE {bar['filter']}").fetchone()[0]
            assert bar["rows"] == counted, f"{name} bar {bar['label']!r} ({bar['filter']})"
        if shape["kind"] == "histogram":
            # Bins cover every value (NaN aside, which has no place on an axis).
            nan = f" AND NOT isnan({c})" if types[name] in ("DOUBLE", "FLOAT") else ""
            finite = duck.execute(f"SELECT count(*) FROM result WHERE {c} IS NOT NULL{nan}").fetchone()[0]
            assert sum(b["rows"] for b in bars) == finite, where
            assert 1 <= len(bars) <= 22, where
        elif shape["kind"] == "top_values":
            top = duck.execute(
                f"SELECT CAST({c} AS VARCHAR) AS v, count(*) AS n FROM result WHERE {c} IS NOT NULL "
                f"GROUP BY {c} ORDER BY n DESC, v LIMIT {len(bars)}"
            ).fetchall()
            assert [b["rows"] for b in bars] == [n for _, n in top], where
            assert sum(b["rows"] for b in bars) + shape["others"] == non_null, where


def test_taxi_trips_profile_as_duckdb_counts_them(taxi_dir, duck):
    yellow = taxi_dir / "yellow"
    duck.execute(f"CREATE VIEW yellow AS SELECT * FROM read_parquet({sql_str(yellow / '*.parquet')})")
    query = "SELECT * FROM yellow"
    # As the page runs it: a job of two workers, scans cut into many tasks.
    profile = kiln_profile(query, {"yellow": yellow}, "--workers", "2", "--split-kb", "512")
    assert profile["rows"] > 100_000
    kinds = {c["name"]: c["shape"]["kind"] for c in profile["columns"]}
    assert kinds["tpep_pickup_datetime"] == "histogram"
    assert kinds["store_and_fwd_flag"] == "top_values"
    assert kinds["fare_amount"] == "histogram"
    check_profile(profile, duck, query)


def test_every_kind_of_column(tmp_path, duck):
    """Text with empty strings and quotes, booleans, dates, decimals, floats with NaN
    and -0.0, a column of only NULLs, one value repeated, and a name that needs quotes."""
    n = 5_000
    table = pa.table({
        "city": pa.array([None if i % 11 == 0 else ["Oslo", "", "O'Hare", "Zürich", "Lima"][i % 5] for i in range(n)]),
        "flag": pa.array([None if i % 13 == 0 else i % 3 == 0 for i in range(n)]),
        "day": pa.array([None if i % 17 == 0 else dt.date(2024, 1, 1) + dt.timedelta(days=i % 400) for i in range(n)]),
        "price": pa.array([None if i % 7 == 0 else decimal.Decimal(i % 997) / 4 for i in range(n)], pa.decimal128(12, 2)),
        "ratio": pa.array([float("nan") if i == 10 else (-0.0 if i % 9 == 0 else (i % 101) / 7.0) for i in range(n)]),
        "nothing": pa.array([None] * n, pa.int64()),
        "same": pa.array([42] * n, pa.int32()),
        'odd "name"': pa.array([i * 1_000_003 for i in range(n)], pa.int64()),
        "at": pa.array([1_700_000_000_000_000 + i * 3_600_000_123 for i in range(n)], pa.timestamp("us")),
        "at_utc": pa.array([None if i % 19 == 0 else 1_600_000_000_000 + i * 86_400_017 for i in range(n)],
                           pa.timestamp("ms", tz="UTC")),
    })
    path = tmp_path / "kinds.parquet"
    pq.write_table(table, path)
    duck.execute(f"CREATE VIEW kinds AS SELECT * FROM read_parquet({sql_str(path)})")
    query = "SELECT * FROM kinds"
    profile = kiln_profile(query, {"kinds": path})
    by_name = {c["name"]: c for c in profile["columns"]}
    assert by_name["nothing"]["shape"]["kind"] == "empty"
    assert by_name["same"]["shape"]["bins"][0]["rows"] == n
    assert by_name["city"]["shape"]["kind"] == "top_values"
    assert {b["label"] for b in by_name["city"]["shape"]["values"]} >= {"(empty)", "O'Hare"}
    assert by_name["flag"]["shape"]["kind"] == "top_values"
    assert by_name["day"]["shape"]["kind"] == "histogram"
    check_profile(profile, duck, query)


def test_a_grouped_result_profiles_what_the_query_gave(taxi_dir, duck):
    yellow = taxi_dir / "yellow"
    duck.execute(f"CREATE VIEW yellow AS SELECT * FROM read_parquet({sql_str(yellow / '*.parquet')})")
    query = (
        "SELECT \"PULocationID\", payment_type, count(*) AS trips, avg(total_amount) AS avg_total "
        "FROM yellow GROUP BY \"PULocationID\", payment_type"
    )
    profile = kiln_profile(query, {"yellow": yellow}, "--workers", "2")
    check_profile(profile, duck, query)
