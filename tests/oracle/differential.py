"""Differential testing of jobs: the same query answered by DataFusion in one process,
by Kiln's jobs with several worker counts and split sizes (`kiln matrix`), and by
DuckDB on the same files. Every answer must equal DuckDB's; Kiln may instead refuse
with one of its two loud errors (a plan it cannot yet run as a job; SQL that DataFusion
itself answers wrongly), never answer differently.

`check_all` is shared by the TPC-H test, the oracle suites' queries and the random
query generator (`querygen.py`)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import kiln

# Kiln's words for a plan it cannot yet run as a job, rather than risk a wrong answer...
REFUSAL = "cannot run as a job yet"
# ...and for SQL that DataFusion itself answers wrongly (crates/engine/src/known_wrong.rs),
# refused directly and as a job alike.
KNOWN_WRONG = "answered wrongly by DataFusion"


@dataclass
class Case:
    query: str
    # Whether the query's ORDER BY fixes the order of all its rows.
    ordered: bool = False
    # DuckDB's spelling, when it differs.
    duck: str | None = None
    name: str = ""


@dataclass
class Report:
    checked: int = 0
    refused: list[str] = field(default_factory=list)
    both_failed: int = 0
    failures: list[str] = field(default_factory=list)


def run_matrix(queries: Sequence[str], tables: dict, *, workers=(1, 2, 4, 8), split_kb=(131072,),
               memory_mb=(), timeout=kiln.DEFAULT_TIMEOUT) -> list[list[dict]]:
    """Each query's runs, in order: direct first, then one per split size and worker count,
    then one per memory budget (in MB per worker) and worker count."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(list(queries), f)
        path = f.name
    try:
        proc = kiln.run("matrix", path, *kiln.table_args(tables), "--workers", ",".join(map(str, workers)),
                        "--split-kb", ",".join(map(str, split_kb)),
                        *(["--memory-mb", ",".join(map(str, memory_mb))] if memory_mb else []), timeout=timeout)
    finally:
        os.unlink(path)
    assert proc.returncode == 0, "kiln matrix failed" + kiln.describe(proc)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert [line["query"] for line in lines] == list(range(len(queries))), "kiln matrix skipped queries"
    return [line["runs"] for line in lines]


def kiln_answer(run: dict) -> list[tuple]:
    """A run's rows as canonical tuples, by position (names are checked separately)."""
    columns = run["columns"]
    return [tuple(kiln.canon(row.get(c)) for c in columns) for row in run["rows"]]


def printed_tolerances(run: dict) -> list[float]:
    """Per column, one unit in the last decimal place Kiln printed: a DECIMAL answer is
    exact at its own scale (avg of DECIMAL(15,2) has 6 places), where DuckDB answers a
    double. 0 where Kiln printed no fraction or more than 9 places (then only the
    relative tolerance applies)."""
    tolerances = []
    for c in run["columns"]:
        places = 0
        for row in run["rows"]:
            text = str(row.get(c))
            if isinstance(row.get(c), (int, float, str)) and kiln._NUM_RE.match(text) and "." in text:
                if "e" in text.lower():
                    places = 99
                    break
                places = max(places, len(text.split(".")[1]))
        tolerances.append(10.0 ** -places if 0 < places <= 9 else 0.0)
    return tolerances


def assert_answers_equal(actual: list[tuple], expected: list[tuple], *, ordered: bool, tolerances, what: str):
    """As kiln.assert_rows_equal, with an absolute tolerance per column."""
    def close(a, b, tol):
        if tol and isinstance(a, (int, float)) and isinstance(b, (int, float)) \
                and not isinstance(a, bool) and not isinstance(b, bool):
            return abs(float(a) - float(b)) <= tol * 1.0001 or kiln.values_equal(a, b)
        return kiln.values_equal(a, b)

    def same(a, e):
        return len(a) == len(e) and all(close(x, y, t) for x, y, t in zip(a, e, tolerances))

    assert len(actual) == len(expected), (
        f"{what}: row count differs: kiln {len(actual)}, oracle {len(expected)}\n"
        f"  kiln first rows:   {actual[:5]}\n  oracle first rows: {expected[:5]}")
    if not ordered:
        key = lambda r: tuple(kiln._sort_key(v) for v in r)  # noqa: E731
        actual, expected = sorted(actual, key=key), sorted(expected, key=key)
    bad = [(i, a, e) for i, (a, e) in enumerate(zip(actual, expected)) if not same(a, e)]
    if bad and not ordered:
        remaining, bad = list(expected), []
        for i, a in enumerate(actual):
            j = next((j for j, e in enumerate(remaining) if same(a, e)), None)
            if j is None:
                bad.append((i, a, remaining[0] if remaining else None))
            else:
                del remaining[j]
    if bad:
        detail = "\n".join(f"  row {i}: kiln {a!r}\n         oracle {e!r}" for i, a, e in bad[:6])
        raise AssertionError(f"{what}: {len(bad)} rows differ\n{detail}")


def duck_answer(con, query: str):
    try:
        return kiln.duckdb_rows(con, query), None
    except Exception as e:  # noqa: BLE001 (any DuckDB error is an answer: "this fails")
        return None, str(e).splitlines()[0]


def check_all(con, cases: Sequence[Case], tables: dict, *, workers=(1, 2, 4, 8), split_kb=(131072,),
              allow_refusal=True, timeout=kiln.DEFAULT_TIMEOUT) -> Report:
    """Runs every case on every engine and returns what differed (not raising, so one
    report lists every wrong query)."""
    all_runs = run_matrix([c.query for c in cases], tables, workers=workers, split_kb=split_kb, timeout=timeout)
    return check_runs(con, cases, all_runs, allow_refusal=allow_refusal)


def check_runs(con, cases: Sequence[Case], all_runs: list[list[dict]], *, allow_refusal=True) -> Report:
    """Compares the runs of `run_matrix` with DuckDB's answers."""
    report = Report()
    for case, runs in zip(cases, all_runs):
        report.checked += 1
        label = case.name or case.query
        expected, duck_error = duck_answer(con, case.duck or case.query)
        direct = runs[0]
        if expected is None:
            # DuckDB refuses the query (e.g. a scalar subquery of several rows): every
            # Kiln run must fail too, none may answer.
            answered = [r["label"] for r in runs if "error" not in r]
            if answered:
                report.failures.append(f"{label}\n  DuckDB failed ({duck_error}) but Kiln answered in {answered}")
            else:
                report.both_failed += 1
            continue
        names, rows = expected
        for run in runs:
            what = f"{label}\n  [{run['label']}]"
            if "error" in run:
                job_refusal = run["label"] != "direct" and REFUSAL in run["error"]
                if KNOWN_WRONG in run["error"] or (allow_refusal and job_refusal):
                    report.refused.append(f"{label} [{run['label']}]: {run['error']}")
                else:
                    report.failures.append(f"{what} failed where DuckDB answered: {run['error']}")
                continue
            if len(run["columns"]) != len(names):
                report.failures.append(f"{what} columns {run['columns']}, DuckDB {names}")
                continue
            answer = kiln_answer(run)
            try:
                assert_answers_equal(answer, rows, ordered=case.ordered, tolerances=printed_tolerances(run),
                                     what=what)
                if run is not direct and "error" not in direct:
                    # A job against Kiln's own one-process answer: the same engine, so
                    # the same decimals, closer than DuckDB's doubles need be.
                    kiln.assert_rows_equal(answer, kiln_answer(direct), ordered=case.ordered,
                                           what=f"{what} against direct")
            except AssertionError as e:
                report.failures.append(str(e))
                continue
            if run is not direct and run["columns"] != direct["columns"]:
                report.failures.append(f"{what} columns {run['columns']}, direct {direct['columns']}")
    return report


def assert_clean(report: Report, *, allow_refused=True):
    shown = "\n\n".join(report.failures[:12])
    assert not report.failures, (
        f"{len(report.failures)} wrong answers in {report.checked} queries"
        f" (first {min(12, len(report.failures))}):\n\n{shown}"
    )
    if not allow_refused:
        assert not report.refused, "refused as jobs:\n" + "\n".join(report.refused[:12])


def write_report(path: Path, report: Report) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "checked": report.checked,
        "both_failed": report.both_failed,
        "refused": report.refused,
        "failures": report.failures,
    }, indent=2))
