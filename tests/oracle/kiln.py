"""Shared helpers for the oracle tests: run the `kiln` CLI, parse its JSON, and compare
its rows with rows computed by pyarrow or DuckDB on the same files.

Kiln's JSON carries values in a few shapes (timestamps as ISO strings, decimals as
numbers or strings, NULL as a missing key or `null`), while DuckDB hands back Python
objects; both sides are therefore brought to one canonical form before comparing, and
the same canonical form is used on both sides so that no conversion can hide a
difference on one side only.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import re
import subprocess
from pathlib import Path
from typing import Any, Iterable, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]

# CI runs from a fresh clone elsewhere, with shared/ beside the clone.
SHARED_DATA = Path(os.environ.get("KILN_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
PARQUET_TESTING = SHARED_DATA / "parquet-testing"

_bin = Path(os.environ.get("KILN_BIN") or "target/debug/kiln")
KILN_BIN = _bin if _bin.is_absolute() else (REPO_ROOT / _bin)

# Generous: the debug build is slow, and a hang must show as a failure, not stall CI.
DEFAULT_TIMEOUT = 300

REL_TOL = 1e-9
ABS_TOL = 1e-9


# --------------------------------------------------------------------------- running


def run(*args: str | os.PathLike, timeout: float = DEFAULT_TIMEOUT, cwd=None) -> subprocess.CompletedProcess:
    """Runs `kiln ARGS`; a timeout raises (the caller decides whether that is the failure)."""
    return subprocess.run(
        [str(KILN_BIN), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def describe(proc: subprocess.CompletedProcess) -> str:
    """The command and what it printed, for assertion messages: a failure must be
    reproducible from the report alone."""
    cmd = " ".join(_shell_quote(a) for a in proc.args)
    return (
        f"\n  command: {cmd}\n  exit: {proc.returncode}\n"
        f"  stderr: {proc.stderr.strip()[:2000]!r}\n  stdout: {proc.stdout.strip()[:500]!r}"
    )


def _shell_quote(s: str) -> str:
    return s if re.fullmatch(r"[\w./=:+-]+", s) else "'" + s.replace("'", "'\\''") + "'"


def table_args(tables: dict[str, str | os.PathLike] | None) -> list[str]:
    return [f"{name}={path}" for name, path in (tables or {}).items()]


def sql_proc(query: str, tables=None, *, fmt: str = "json", partitions: int | None = None, extra: Sequence[str] = (),
             timeout=DEFAULT_TIMEOUT):
    args = ["sql", query, *table_args(tables), "--format", fmt, *extra]
    if partitions is not None:
        args += ["--partitions", str(partitions)]
    return run(*args, timeout=timeout)


def sql(query: str, tables=None, *, partitions: int | None = None, extra: Sequence[str] = (),
        timeout=DEFAULT_TIMEOUT) -> list[dict]:
    """Runs a query that must succeed and returns its rows (dicts) from `--format json`.
    `extra` are more `kiln sql` flags, e.g. `--workers 4` to run it as a distributed job."""
    proc = sql_proc(query, tables, partitions=partitions, extra=extra, timeout=timeout)
    assert proc.returncode == 0, "kiln sql failed" + describe(proc)
    return parse_json_rows(proc)


def parse_json_rows(proc: subprocess.CompletedProcess) -> list[dict]:
    try:
        rows = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"kiln printed invalid JSON ({e})" + describe(proc)) from None
    assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows), (
        "kiln --format json must print one array of row objects" + describe(proc)
    )
    return rows


def schema_json(path, timeout=DEFAULT_TIMEOUT) -> dict:
    proc = run("schema", path, "--format", "json", timeout=timeout)
    assert proc.returncode == 0, "kiln schema failed" + describe(proc)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"kiln schema printed invalid JSON ({e})" + describe(proc)) from None


def assert_no_panic(proc: subprocess.CompletedProcess) -> None:
    # 101 is Rust's exit code for a panic; "panicked at" covers a panic caught and
    # re-reported with another code.
    assert proc.returncode != 101 and "panicked at" not in proc.stderr, "kiln panicked" + describe(proc)


def assert_clean_error(proc: subprocess.CompletedProcess, *must_contain: str) -> str:
    """A user error: exit 1, nothing on stdout, exactly one `error: ...` line on stderr.
    Returns that line."""
    assert_no_panic(proc)
    assert proc.returncode == 1, "expected exit 1" + describe(proc)
    assert proc.stdout.strip() == "", "an error must print nothing on stdout" + describe(proc)
    lines = proc.stderr.strip("\n").splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}" + describe(proc)
    line = lines[0]
    assert line.startswith("error: "), "the message must start with 'error: '" + describe(proc)
    for needle in must_contain:
        assert needle.lower() in line.lower(), f"the message must mention {needle!r}" + describe(proc)
    return line


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_str(s: str | os.PathLike) -> str:
    """A SQL string literal (for DuckDB's read_parquet paths)."""
    return "'" + str(s).replace("'", "''") + "'"


# ------------------------------------------------------------------------ canonical form

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_EPOCH = dt.datetime(1970, 1, 1)


class Timestamp(int):
    """Nanoseconds since the epoch (UTC for zoned values): exact for int96/ns data,
    which Python's datetime (microseconds) would round."""

    def __repr__(self) -> str:
        us, ns = divmod(int(self), 1000)
        text = (_EPOCH + dt.timedelta(microseconds=us)).isoformat()
        return f"ts({text}{'+%03dns' % ns if ns else ''})"


def _ts_from_datetime(d: dt.datetime) -> Timestamp:
    if d.tzinfo is not None:
        d = d.astimezone(dt.timezone.utc).replace(tzinfo=None)
    delta = d - _EPOCH
    return Timestamp((delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000)


def parse_timestamp(s: str) -> Timestamp | None:
    m = _TS_RE.match(s)
    if not m:
        return None
    y, mo, d, h, mi, sec, frac, tz = m.groups()
    base = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec or 0))
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        base -= sign * offset
    ns = int((frac or "").ljust(9, "0"))
    return Timestamp(_ts_from_datetime(base) + ns)


def canon(v: Any) -> Any:
    """One representation per value, whichever side it came from:
    NULL -> None; integers -> int; other numbers -> float (decimals included, since
    Kiln may print them as numbers); timestamps -> Timestamp; dates -> date;
    numeric strings -> numbers (Kiln may print decimals as strings); lists -> tuples;
    structs/maps -> sorted tuples of (key, value)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return v
    if isinstance(v, decimal.Decimal):
        return _canon_decimal(v)
    if isinstance(v, dt.datetime):
        return _ts_from_datetime(v)
    if isinstance(v, dt.date):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, str):
        if _NUM_RE.match(v):
            return _canon_decimal(decimal.Decimal(v))
        if v in ("NaN", "nan"):
            return math.nan
        ts = parse_timestamp(v)
        if ts is not None:
            return ts
        if _DATE_RE.match(v):
            return dt.date.fromisoformat(v)
        return v
    if isinstance(v, dict):
        return tuple(sorted(((str(k), canon(x)) for k, x in v.items()), key=lambda kv: kv[0]))
    if isinstance(v, (list, tuple)):
        return tuple(canon(x) for x in v)
    return v


def _canon_decimal(d: decimal.Decimal):
    if d == d.to_integral_value() and abs(d) < 10**30:
        return int(d)
    return float(d)


def values_equal(a: Any, b: Any) -> bool:
    """Equality of canonical values; numbers within REL_TOL, NaN equal to NaN."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Timestamp) or isinstance(b, Timestamp):
        return isinstance(a, Timestamp) and isinstance(b, Timestamp) and int(a) == int(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        fa, fb = float(a), float(b)
        if math.isnan(fa) or math.isnan(fb):
            return math.isnan(fa) and math.isnan(fb)
        return math.isclose(fa, fb, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _sort_key(v: Any):
    """A total order over canonical values of mixed types (None first), so rows from
    both sides can be sorted the same way before pairing them up."""
    if v is None:
        return (0,)
    if isinstance(v, bool):
        return (1, int(v))
    if isinstance(v, Timestamp):
        return (3, int(v))
    if isinstance(v, (int, float)):
        f = float(v)
        return (2, 1, 0.0) if math.isnan(f) else (2, 0, f)
    if isinstance(v, dt.date):
        return (4, v.toordinal())
    if isinstance(v, str):
        return (5, v)
    if isinstance(v, bytes):
        return (6, v)
    if isinstance(v, tuple):
        return (7, tuple(_sort_key(x) for x in v))
    return (8, repr(v))


# ------------------------------------------------------------------------- row sets


def kiln_rows(rows: Iterable[dict], columns: Sequence[str]) -> list[tuple]:
    """Kiln's JSON rows as canonical tuples in `columns` order; a missing key is NULL.
    A key that is not an expected column is an error (wrong output names)."""
    out = []
    for r in rows:
        extra = set(r) - set(columns)
        assert not extra, f"kiln returned unexpected columns {sorted(extra)} (expected {list(columns)})"
        out.append(tuple(canon(r.get(c)) for c in columns))
    return out


def canon_rows(rows: Iterable[Sequence]) -> list[tuple]:
    return [tuple(canon(v) for v in r) for r in rows]


def assert_rows_equal(actual: list[tuple], expected: list[tuple], *, ordered: bool, columns=None, what=""):
    """Compares two lists of canonical row tuples, in order or as multisets."""
    label = f"{what}: " if what else ""
    assert len(actual) == len(expected), (
        f"{label}row count differs: kiln {len(actual)}, oracle {len(expected)}\n"
        f"  kiln first rows:   {actual[:5]}\n  oracle first rows: {expected[:5]}"
    )
    if not ordered:
        actual = sorted(actual, key=lambda r: tuple(_sort_key(v) for v in r))
        expected = sorted(expected, key=lambda r: tuple(_sort_key(v) for v in r))
    mismatches = [(i, a, e) for i, (a, e) in enumerate(zip(actual, expected)) if not _rows_equal(a, e)]
    if mismatches and not ordered:
        # Sorting can pair rows differently when a float differs within tolerance;
        # only a failed one-to-one matching is a real difference.
        mismatches = _unmatched(actual, expected)
    if mismatches:
        cols = f"  columns: {list(columns)}\n" if columns else ""
        detail = "\n".join(f"  row {i}: kiln {a!r}\n         oracle {e!r}" for i, a, e in mismatches[:8])
        raise AssertionError(f"{label}{len(mismatches)} rows differ\n{cols}{detail}")


def _rows_equal(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))


def _unmatched(actual: list[tuple], expected: list[tuple]):
    remaining = list(expected)
    missing = []
    for i, a in enumerate(actual):
        for j, e in enumerate(remaining):
            if _rows_equal(a, e):
                del remaining[j]
                break
        else:
            missing.append((i, a, remaining[0] if remaining else None))
    return missing


def duckdb_rows(con, query: str) -> tuple[list[str], list[tuple]]:
    """Runs a DuckDB query; returns its column names and canonical rows."""
    cur = con.execute(query)
    names = [d[0] for d in cur.description]
    return names, canon_rows(cur.fetchall())


def compare_query(con, kiln_query: str, tables, duck_query: str | None = None, *, ordered=False, partitions=None,
                  extra: Sequence[str] = ()):
    """Runs the same SQL (or a DuckDB spelling of it) on both engines and compares.
    Output column names must match too: they are part of the answer a user sees."""
    names, expected = duckdb_rows(con, duck_query or kiln_query)
    rows = sql(kiln_query, tables, partitions=partitions, extra=extra)
    actual = kiln_rows(rows, names)
    assert_rows_equal(actual, expected, ordered=ordered, columns=names, what=kiln_query)
    return actual


# ------------------------------------------------------------------ parquet metadata

_LZ4_FAMILY = {"LZ4", "LZ4_RAW", "UNKNOWN"}


def column_codecs(path) -> list[list[str]]:
    """Codec of every column chunk ([row group][column]) as the Parquet spec names it.
    pyarrow calls LZ4_RAW "LZ4" and the deprecated Hadoop-framed LZ4 codec "UNKNOWN",
    so for that family DuckDB's parquet_metadata (which prints the footer's codec as
    written) decides; every other codec is pyarrow's word."""
    import duckdb
    import pyarrow.parquet as pq

    md = pq.ParquetFile(path).metadata
    codecs = [
        [md.row_group(r).column(c).compression for c in range(md.num_columns)] for r in range(md.num_row_groups)
    ]
    if any(name in _LZ4_FAMILY for rg in codecs for name in rg):
        con = duckdb.connect()
        rows = con.execute(
            "SELECT row_group_id, column_id, compression FROM parquet_metadata(?)", [str(path)]
        ).fetchall()
        by_chunk = {(r, c): name for r, c, name in rows}
        codecs = [
            [by_chunk[(r, c)] if name in _LZ4_FAMILY else name for c, name in enumerate(rg)]
            for r, rg in enumerate(codecs)
        ]
    return codecs


def codec_name(kiln_text: str) -> str:
    """Kiln prints codecs with their level (`ZSTD(ZstdLevel(3))`); the level is a writer
    setting the footer does not store, so only the codec name is compared."""
    return kiln_text.split("(", 1)[0].strip().upper()
