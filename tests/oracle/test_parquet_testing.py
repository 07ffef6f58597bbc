"""Kiln against Apache's parquet-testing files, with pyarrow (or DuckDB) as the oracle.

Every expected value is computed here by pyarrow or DuckDB from the same file, or taken
from upstream's `*_expect.csv` files; nothing is copied from Kiln's output.
"""

from __future__ import annotations

import csv
import math
import struct
import subprocess

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kiln
from kiln import quote_ident

DATA = kiln.PARQUET_TESTING / "data"
BAD_DATA = kiln.PARQUET_TESTING / "bad_data"

PARQUET_FILES = sorted(DATA.glob("*.parquet"))
BAD_FILES = sorted(p for p in BAD_DATA.iterdir() if p.is_file()) if BAD_DATA.is_dir() else []
EXPECT_PAIRS = sorted(
    (csv_path, DATA / (csv_path.name[: -len("_expect.csv")] + ".parquet"))
    for csv_path in DATA.glob("*_expect.csv")
    if (DATA / (csv_path.name[: -len("_expect.csv")] + ".parquet")).is_file()
)

# Files whose pages fail their CRC on purpose. Readers that verify checksums refuse them
# (correct); readers that do not, decode the corrupted bytes. Both are acceptable, so for
# these Kiln may match pyarrow's unverified read or fail with a clean message.
CORRUPT_CHECKSUM = {
    "datapage_v1-corrupt-checksum.parquet",
    "rle-dict-uncompressed-corrupt-checksum.parquet",
}

# Malformed on purpose (its name says so): its dictionary page header declares the wrong
# size. pyarrow reads past the problem; arrow-rs, under DataFusion and Kiln, refuses the
# page. Either answer is acceptable, as for the checksum files: the data must equal
# pyarrow's, or the error must be clean and name the file.
MALFORMED = {"nation.dict-malformed.parquet"}


def _duckdb_connect():
    con = duckdb.connect()
    # DuckDB's GeoParquet conversion rejects files whose geometry metadata is off even
    # when the data itself decodes; plain columns are what the oracle needs.
    con.execute("SET enable_geoparquet_conversion = false")
    return con


def read_oracle(path) -> pa.Table | None:
    """The file's contents per pyarrow, else per DuckDB; None when neither decodes it."""
    try:
        return pq.read_table(path)
    except Exception:
        pass
    try:
        con = _duckdb_connect()
        return con.execute("SELECT * FROM read_parquet(?)", [str(path)]).to_arrow_table()
    except Exception:
        return None


def footer_rows(path) -> int | None:
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:
        pass
    try:
        con = _duckdb_connect()
        return con.execute("SELECT sum(num_rows) FROM parquet_file_metadata(?)", [str(path)]).fetchone()[0]
    except Exception:
        return None


# ---------------------------------------------------------------- per-column oracle


def _is_float(t: pa.DataType) -> bool:
    return pa.types.is_floating(t)


def _round_to_type(x, t: pa.DataType):
    """Kiln prints a float32/float16 result with the shortest text that round-trips in
    *that* width; parsed as a double it differs from pyarrow's widened value in the last
    digits, so both are compared at the column's own precision."""
    if x is None or not isinstance(x, float) or math.isnan(x):
        return x
    if pa.types.is_float32(t) or pa.types.is_float16(t):
        return struct.unpack("f", struct.pack("f", x))[0]
    return x


class ColumnOracle:
    """count, min, max, sum of one column, computed from pyarrow's decoded values."""

    def __init__(self, name: str, column: pa.ChunkedArray):
        self.name = name
        self.type = column.type
        self.non_null = len(column) - column.null_count
        self.numeric = pa.types.is_integer(self.type) or _is_float(self.type)
        if not self.numeric:
            return
        values = [v for v in column.to_pylist() if v is not None]
        if pa.types.is_integer(self.type):
            self.has_nan = False
            self.min = min(values, default=None)
            self.max = max(values, default=None)
            # Exact (Python ints): pyarrow's own sum kernel wraps around on overflow.
            self.sum = sum(values) if values else None
        else:
            values = [float(v) for v in values]
            real = [v for v in values if not math.isnan(v)]
            self.has_nan = len(real) < len(values)
            self.min = min(real, default=math.nan if values else None)
            self.max = max(real, default=math.nan if values else None)
            self.sum = (math.nan if self.has_nan else math.fsum(values)) if values else None
            # Summation order changes the last bits; the error bound scales with the
            # sum of magnitudes, not with the (possibly cancelling) result.
            self.sum_scale = math.fsum(abs(v) for v in real)

    def sum_fits(self) -> bool:
        """Whether the exact sum fits the type DataFusion sums this column in
        (Int64 / UInt64); a sum that does not cannot be printed exactly."""
        if self.sum is None or _is_float(self.type):
            return True
        if pa.types.is_unsigned_integer(self.type):
            return 0 <= self.sum < 2**64
        return -(2**63) <= self.sum < 2**63


def check_extreme(kind: str, got, col: ColumnOracle) -> str | None:
    """NaN-aware min/max check. Engines disagree on where NaN sorts (DataFusion and
    DuckDB put it above everything, pyarrow skips it), so with NaN present either the
    NaN-free extreme or NaN is accepted. Kiln's JSON prints NaN as null (JSON has no
    NaN), so null stands for NaN there, and only there."""
    expected = getattr(col, kind)
    got = _round_to_type(kiln.canon(got), col.type)
    if col.has_nan and (got is None or (isinstance(got, float) and math.isnan(got))):
        return None
    if kiln.values_equal(got, expected):
        return None
    return f"{kind}({col.name!r}) [{col.type}]: kiln {got!r}, oracle {expected!r}"


def check_sum(got, col: ColumnOracle) -> str | None:
    got = kiln.canon(got)
    if col.sum is None:
        ok = got is None
    elif _is_float(col.type):
        if math.isnan(col.sum):
            ok = got is None or (isinstance(got, float) and math.isnan(got))
        else:
            ok = isinstance(got, (int, float)) and math.isclose(
                got, col.sum, rel_tol=kiln.REL_TOL, abs_tol=kiln.REL_TOL * col.sum_scale + kiln.ABS_TOL
            )
    else:
        ok = isinstance(got, int) and got == col.sum
    return None if ok else f"sum({col.name!r}) [{col.type}]: kiln {got!r}, oracle {col.sum!r}"


# ------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("path", PARQUET_FILES, ids=[p.name for p in PARQUET_FILES])
def test_file_matches_oracle(path):
    table = read_oracle(path)
    tables = {"t": path}
    if table is None:
        # Neither pyarrow nor DuckDB decodes it (none in the current data set): no value
        # can be checked, only that Kiln is honest about it.
        proc = kiln.sql_proc("SELECT count(*) AS n FROM t", tables)
        kiln.assert_no_panic(proc)
        if proc.returncode == 0:
            assert kiln.parse_json_rows(proc) == [{"n": footer_rows(path)}], kiln.describe(proc)
        else:
            kiln.assert_clean_error(proc)
        return

    columns = [ColumnOracle(name, table.column(i)) for i, name in enumerate(table.column_names)]
    # count(col) works for every type, nested ones included.
    count_columns = ", ".join(f"count({quote_ident(c.name)}) AS c{i}" for i, c in enumerate(columns))

    if path.name in CORRUPT_CHECKSUM | MALFORMED:
        # Reading every column decodes every page: where the damage is, if anywhere.
        proc = kiln.sql_proc(f"SELECT count(*) AS n, {count_columns} FROM t", tables)
        kiln.assert_no_panic(proc)
        if proc.returncode != 0:
            kiln.assert_clean_error(proc, path.name)
            return

    rows = kiln.sql("SELECT count(*) AS n FROM t", tables)
    assert rows == [{"n": table.num_rows}], f"count(*) of {path.name}: kiln {rows}, pyarrow {table.num_rows}"

    problems = []
    (row,) = kiln.sql(f"SELECT {count_columns} FROM t", tables)
    for i, c in enumerate(columns):
        if row.get(f"c{i}") != c.non_null:
            problems.append(f"count({c.name!r}) [{c.type}]: kiln {row.get(f'c{i}')!r}, oracle {c.non_null}")

    numeric = [(i, c) for i, c in enumerate(columns) if c.numeric]
    if numeric:
        parts = []
        for i, c in numeric:
            q = quote_ident(c.name)
            parts += [f"min({q}) AS min{i}", f"max({q}) AS max{i}"]
            if c.sum_fits():
                parts.append(f"sum({q}) AS sum{i}")
        (row,) = kiln.sql(f"SELECT {', '.join(parts)} FROM t", tables)
        for i, c in numeric:
            problems.append(check_extreme("min", row.get(f"min{i}"), c))
            problems.append(check_extreme("max", row.get(f"max{i}"), c))
            if c.sum_fits():
                problems.append(check_sum(row.get(f"sum{i}"), c))

    # A sum past the range of Int64/UInt64 has no exact answer in that type. Kiln sums as
    # DataFusion defines it: two's complement arithmetic that wraps around (issue 10 asks
    # for overflow "as the engine defines it"). The oracle wraps the exact sum the same
    # way, so a sum that is off by anything but a multiple of 2^64 still fails here.
    for i, c in numeric:
        if c.sum_fits():
            continue
        (row,) = kiln.sql(f"SELECT sum({quote_ident(c.name)}) AS s FROM t", tables)
        got = kiln.canon(row.get("s"))
        if pa.types.is_unsigned_integer(c.type):
            wrapped = c.sum % 2**64
        else:
            wrapped = (c.sum + 2**63) % 2**64 - 2**63
        if got != wrapped:
            problems.append(
                f"sum({c.name!r}) [{c.type}] overflows 64 bits: kiln {got!r}, wrapped exact sum {wrapped}"
            )

    problems = [p for p in problems if p]
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def _parse_cell(cell: str, t: pa.DataType):
    """The expect CSVs quote every cell; the parquet column's type says how to read it."""
    if cell == "":
        return None
    if pa.types.is_integer(t):
        return int(cell)
    if pa.types.is_floating(t):
        return float(cell)
    return cell


@pytest.mark.parametrize("csv_path,parquet_path", EXPECT_PAIRS, ids=[p.name for _, p in EXPECT_PAIRS])
def test_decodes_to_upstream_expect_csv(csv_path, parquet_path):
    schema = pq.read_schema(parquet_path)
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        body = list(reader)
    # Upstream's headers are not always the column names (one has a stray leading
    # space), but their order is the file's column order.
    assert len(header) == len(schema), f"{csv_path.name}: {len(header)} CSV columns, {len(schema)} in the file"
    names = schema.names
    expected = [tuple(kiln.canon(_parse_cell(c, schema.field(i).type)) for i, c in enumerate(r)) for r in body]
    rows = kiln.sql("SELECT * FROM t", {"t": parquet_path})
    actual = kiln.kiln_rows(rows, names)
    kiln.assert_rows_equal(actual, expected, ordered=False, columns=names, what=parquet_path.name)


def test_expect_csvs_are_paired():
    # Guards the test above against silently checking nothing.
    assert len(EXPECT_PAIRS) >= 3, [p.name for _, p in EXPECT_PAIRS]


def test_compression_coverage():
    found: dict[str, list[str]] = {}
    for path in PARQUET_FILES:
        for codec in {name for rg in kiln.column_codecs(path) for name in rg}:
            found.setdefault(codec, []).append(path.name)
    # Codec names are the Parquet spec's (see kiln.column_codecs for pyarrow's LZ4 naming).
    # BROTLI is left out: no file of this subset is brotli-compressed (pyarrow and
    # DuckDB both report none), though the data README lists it.
    # LZ4 (the deprecated codec) covers hadoop_lz4_compressed and
    # non_hadoop_lz4_compressed; LZ4_RAW covers lz4_raw_compressed.
    required = ["SNAPPY", "GZIP", "LZ4", "LZ4_RAW", "ZSTD", "UNCOMPRESSED"]
    missing = [c for c in required if c not in found]
    assert not missing, f"codecs no longer covered by the data set: {missing} (found {sorted(found)})"
    assert {"hadoop_lz4_compressed.parquet", "non_hadoop_lz4_compressed.parquet"} <= set(found["LZ4"])


def test_encrypted_file_is_reported_as_encrypted():
    path = DATA / "uniform_encryption.parquet.encrypted"
    assert path.is_file()
    proc = kiln.run("schema", path)
    kiln.assert_clean_error(proc, "encrypted")


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.name for p in BAD_FILES])
def test_bad_data(path):
    try:
        proc = kiln.sql_proc("SELECT * FROM t", {"t": path}, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"kiln sql on {path.name} did not finish within 60 s")
    kiln.assert_no_panic(proc)
    try:
        expected = pq.read_table(path)
    except Exception:
        expected = None
    if expected is None:
        # pyarrow cannot decode it (nor can DuckDB, see the data README): only a clean,
        # specific error is acceptable.
        kiln.assert_clean_error(proc, path.name)
        return
    if proc.returncode != 0:
        kiln.assert_clean_error(proc, path.name)
        return
    names = expected.column_names
    actual = kiln.kiln_rows(kiln.parse_json_rows(proc), names)
    oracle = kiln.canon_rows(zip(*(col.to_pylist() for col in expected.columns)))
    kiln.assert_rows_equal(actual, oracle, ordered=False, columns=names, what=path.name)


def test_bad_data_is_present():
    assert len(BAD_FILES) >= 4, [p.name for p in BAD_FILES]


def test_table_name_is_derived_from_the_file_name():
    path = DATA / "alltypes_plain.snappy.parquet"
    n = pq.ParquetFile(path).metadata.num_rows
    proc = kiln.run("sql", "SELECT count(*) AS n FROM alltypes_plain", path, "--format", "json")
    assert proc.returncode == 0, kiln.describe(proc)
    assert kiln.parse_json_rows(proc) == [{"n": n}]
