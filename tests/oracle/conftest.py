import duckdb
import pytest

import kiln


@pytest.fixture(scope="session", autouse=True)
def kiln_binary():
    # Without the binary every test would fail with a confusing FileNotFoundError;
    # one clear message says what to build or set.
    assert kiln.KILN_BIN.is_file(), (
        f"kiln binary not found at {kiln.KILN_BIN}: build it (cargo build) or set KILN_BIN"
    )
    assert kiln.PARQUET_TESTING.is_dir(), (
        f"test data not found at {kiln.PARQUET_TESTING}: set KILN_SHARED_DATA"
    )
    return kiln.KILN_BIN


@pytest.fixture()
def duck():
    con = duckdb.connect()
    yield con
    con.close()


TAXI_ROWS = 300_000


@pytest.fixture(scope="session")
def taxi_dir(tmp_path_factory, kiln_binary):
    """One generated taxi sample (3 months from 2024-01) shared by the query tests."""
    out = tmp_path_factory.mktemp("taxi")
    proc = kiln.run("gen", "taxi", "--rows", TAXI_ROWS, "--out", out, "--seed", 7, timeout=1200)
    assert proc.returncode == 0, kiln.describe(proc)
    return out


@pytest.fixture(scope="session")
def spark():
    """PySpark in local mode, the oracle for programs and for jobs exported to Spark."""
    import os
    import sys

    from pyspark.sql import SparkSession  # installed by scripts/lib.sh; missing is a failure

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("kiln-oracle")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .getOrCreate())
    yield session
    session.stop()
