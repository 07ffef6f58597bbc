"""User mistakes and broken inputs: exit 1, one `error: ...` line naming what failed,
nothing on stdout, and never a panic (exit 101)."""

from __future__ import annotations

import re

import pytest

import kiln

SOURCE = kiln.PARQUET_TESTING / "data" / "alltypes_tiny_pages.parquet"
GOOD = kiln.PARQUET_TESTING / "data" / "alltypes_plain.parquet"


def _broken_files(folder):
    data = SOURCE.read_bytes()
    files = {
        "x.parquet": b"id,name\n1,this is CSV text, not Parquet\n" * 20,
        "empty.parquet": b"",
        "first_half.parquet": data[: len(data) // 2],
        "tail_cut.parquet": data[:-100],
    }
    paths = {}
    for name, content in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(content)
    return paths


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    return _broken_files(tmp_path_factory.mktemp("broken"))


BROKEN_NAMES = ["x.parquet", "empty.parquet", "first_half.parquet", "tail_cut.parquet"]


@pytest.mark.parametrize("name", BROKEN_NAMES)
def test_broken_file_in_sql(name, broken):
    proc = kiln.sql_proc("SELECT * FROM t", {"t": broken[name]})
    kiln.assert_clean_error(proc, name)


@pytest.mark.parametrize("name", BROKEN_NAMES)
def test_broken_file_in_schema(name, broken):
    proc = kiln.run("schema", broken[name], "--format", "json")
    kiln.assert_clean_error(proc, name)


def test_not_parquet_says_so(broken):
    proc = kiln.sql_proc("SELECT * FROM t", {"t": broken["x.parquet"]})
    kiln.assert_clean_error(proc, "x.parquet", "not a Parquet file")


def test_syntax_error_has_position():
    proc = kiln.sql_proc("SELECT *\nFROM t\nWHERE id = = 3", {"t": GOOD})
    line = kiln.assert_clean_error(proc)
    assert re.search(r"line \d+, column \d+", line, re.IGNORECASE), "no line/column in" + kiln.describe(proc)


def test_unknown_column():
    proc = kiln.sql_proc("SELECT no_such_column FROM t", {"t": GOOD})
    kiln.assert_clean_error(proc, "no_such_column")


def test_unknown_table():
    proc = kiln.sql_proc("SELECT * FROM no_such_table", {"t": GOOD})
    kiln.assert_clean_error(proc, "no_such_table")


def test_missing_path(tmp_path):
    missing = tmp_path / "nowhere" / "missing.parquet"
    proc = kiln.sql_proc("SELECT * FROM t", {"t": missing})
    kiln.assert_clean_error(proc, "missing.parquet")
    proc = kiln.run("schema", missing)
    kiln.assert_clean_error(proc, "missing.parquet")


def test_glob_matching_nothing(tmp_path):
    proc = kiln.sql_proc("SELECT * FROM t", {"t": f"{tmp_path}/*.parquet"})
    kiln.assert_clean_error(proc)


def test_broken_file_among_good_ones_is_named(tmp_path, broken):
    # In a folder the bad file must be named, not just "the table".
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.parquet").write_bytes(GOOD.read_bytes())
    (folder / "b.parquet").write_bytes(broken["tail_cut.parquet"].read_bytes())
    proc = kiln.sql_proc("SELECT count(*) AS n FROM t", {"t": folder})
    kiln.assert_clean_error(proc, "b.parquet")


def test_convert_of_broken_file(tmp_path, broken):
    out = tmp_path / "out.parquet"
    proc = kiln.run("convert", broken["first_half.parquet"], out)
    kiln.assert_clean_error(proc, "first_half.parquet")
