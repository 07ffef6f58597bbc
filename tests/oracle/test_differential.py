"""Jobs answer as one process does: random queries (`querygen.py`), the queries found
wrong once (`regressions/jobs.sql`), each run directly and as jobs with 1, 2, 4 and 8
workers and several split sizes, against DuckDB. (The taxi suite's queries get the
same in `test_distributed.py`, TPC-H's in `test_tpch.py`.)

The number of generated queries is `KILN_DIFF_QUERIES` (default 300) from seed
`KILN_DIFF_SEED` (default 20261201); `scripts/difftest` runs long searches."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest

import differential
import kiln
import querygen
from differential import Case

SEED = int(os.environ.get("KILN_DIFF_SEED", "20261201"))
COUNT = int(os.environ.get("KILN_DIFF_QUERIES", "300"))
WORKERS = (1, 2, 4, 8)
# 1 KB: every row group its own task; 128 MB: one task per file or fewer.
SPLITS = (1, 131072)
REGRESSIONS = Path(__file__).parent / "regressions" / "jobs.sql"
ARTIFACTS = kiln.REPO_ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def gen_tables(tmp_path_factory):
    return querygen.make_tables(tmp_path_factory.mktemp("gen"))


@pytest.fixture(scope="module")
def gen_con(gen_tables):
    con = duckdb.connect()
    querygen.duckdb_views(con, gen_tables)
    yield con
    con.close()


def regression_cases() -> list[Case]:
    """Each case: `--` comment lines saying what it found, then one statement ending in `;`."""
    cases, comment, lines = [], [], []
    for line in REGRESSIONS.read_text().splitlines():
        if not lines and line.startswith("--"):
            comment.append(line[2:].strip())
            continue
        if line.strip():
            lines.append(line)
        if line.rstrip().endswith(";"):
            query = "\n".join(lines).rstrip().rstrip(";")
            ordered = bool(re.search(r"\bORDER BY\b[^()]*\bLIMIT\b[^()]*$", query, re.I))
            cases.append(Case(query, ordered=ordered, name=f"{' '.join(comment)}: {query}"))
            comment, lines = [], []
    return cases


def test_generator_covers_every_shape():
    names = {c.name.split("(")[1].split(")")[0] for c in querygen.generate(SEED, COUNT)}
    assert names == {t.__name__ for t in querygen.TEMPLATES}


def test_generated_queries(gen_con, gen_tables):
    cases = querygen.generate(SEED, COUNT)
    report = differential.check_all(gen_con, cases, gen_tables, workers=WORKERS, split_kb=SPLITS,
                                    timeout=1800)
    differential.write_report(ARTIFACTS / "differential.json", report)
    differential.assert_clean(report)
    # A refusal is honest, but a generator whose queries are mostly refused tests little.
    assert len(report.refused) <= report.checked, report.refused[:5]


def test_regressions(gen_con, gen_tables):
    cases = regression_cases()
    assert cases, f"no cases read from {REGRESSIONS}"
    report = differential.check_all(gen_con, cases, gen_tables, workers=WORKERS, split_kb=SPLITS)
    differential.assert_clean(report)

