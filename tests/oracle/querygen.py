"""Random queries over generated tables, for differential tests of jobs.

The tables (`make_tables`) have NULLs in every column that joins or groups, skewed keys
(one hot key holds a fifth of the rows), an empty file among the files of each table,
many small row groups (so a small split cuts a scan into many tasks) and an empty
table. The queries (`generate`) cover the shapes whose meaning can depend on how
partitions see each other: joins of every type (equi and non-equi, so hash and
nested-loop joins), EXISTS / NOT EXISTS / IN / NOT IN with NULLs on either side, scalar
subqueries (uncorrelated, correlated, one row, no row, several rows), GROUP BY with
HAVING, DISTINCT, windows with frames, set operations, ORDER BY ... LIMIT, CTEs used
twice, and limits below joins. Every output column is aliased (c0, c1, ...) and every
ORDER BY that decides the answer is total, so a difference is a wrong answer, not a
tie broken differently.

`python querygen.py SEED COUNT` prints the queries, for reading or reproducing."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from differential import Case

# The tables: columns a query may use, by kind.
TABLES = {
    "t1": {"rows": 360, "hot": 0.2, "keys": 30, "first_id": 0},
    "t2": {"rows": 240, "hot": 0.25, "keys": 40, "first_id": 1000},
    "t3": {"rows": 40, "hot": 0.0, "keys": 40, "first_id": 5000},
}
GROUPS = ["a", "b", "c", "d"]


def make_tables(out: Path, seed: int = 11) -> dict[str, Path]:
    """Writes each table as a folder of Parquet files (one of them empty); returns
    Kiln's table arguments."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    r = random.Random(seed)
    schema = pa.schema([
        ("id", pa.int64()),
        ("k", pa.int32()),
        ("g", pa.string()),
        ("v", pa.float64()),
        ("x", pa.int64()),
    ])
    paths = {}
    for name, spec in TABLES.items():
        n, first = spec["rows"], spec["first_id"]
        ids = list(range(first, first + n))
        if name == "t3":
            ks = [None if i % 13 == 5 else i - first for i in ids]
        else:
            ks = [None if r.random() < 0.15 else 1 if r.random() < spec["hot"] else r.randrange(spec["keys"])
                  for _ in ids]
        gs = [None if r.random() < 0.1 else r.choice(GROUPS[:3] if name == "t2" else GROUPS) for _ in ids]
        # Multiples of 0.5: sums are exact in binary, whatever order they are added in.
        vs = [None if r.random() < 0.1 else r.randrange(-100, 100) / 2 for _ in ids]
        xs = [r.randrange(0, 50) for _ in ids]
        table = pa.table([ids, ks, gs, vs, xs], schema=schema)
        folder = out / name
        folder.mkdir(parents=True)
        cut = n * 2 // 3
        pq.write_table(table.slice(0, cut), folder / "part-0.parquet", row_group_size=24, compression="zstd")
        pq.write_table(table.slice(0, 0), folder / "part-1.parquet", compression="snappy")
        pq.write_table(table.slice(cut), folder / "part-2.parquet", compression="gzip")
        paths[name] = folder
    empty = out / "e"
    empty.mkdir()
    pq.write_table(pa.table([[], [], [], [], []], schema=schema), empty / "part-0.parquet")
    paths["e"] = empty
    return paths


def duckdb_views(con, tables: dict[str, Path]) -> None:
    for name, folder in tables.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{folder}/*.parquet')")


# ----------------------------------------------------------------------------- queries

PAIRS = [("t1", "t2"), ("t2", "t1"), ("t1", "t3"), ("t3", "t1"), ("t2", "t3"), ("t3", "t3"), ("t1", "t1"),
         ("t1", "e"), ("e", "t2")]
SMALL_PAIRS = [("t3", "t3"), ("t3", "t2"), ("t2", "t3"), ("t3", "e"), ("e", "t3"), ("t3", "t1")]
JOIN_TYPES = ["INNER", "LEFT", "RIGHT", "FULL"]


def _where(r: random.Random, alias: str) -> str:
    return r.choice(["", "", f" WHERE {alias}.id % 3 <> 0", f" WHERE {alias}.g IS NOT NULL",
                     f" WHERE {alias}.v > 0"])


def equi_join(r: random.Random) -> Case:
    a, b = r.choice(PAIRS)
    jt = r.choice(JOIN_TYPES)
    on = "a.k = b.k" + r.choice(["", "", " AND a.g = b.g", " AND a.x < b.x", " AND a.id <> b.id"])
    src = f"{a} a {jt} JOIN {b} b ON {on}"
    if r.random() < 0.5:
        sql = f"SELECT a.id AS c0, b.id AS c1, a.k AS c2, b.g AS c3 FROM {src}"
    else:
        key = r.choice(["a.g", "b.g", "a.k % 4", "b.x % 3"])
        sql = (f"SELECT {key} AS c0, count(*) AS c1, count(b.id) AS c2, count(a.id) AS c3, "
               f"sum(a.v) AS c4, max(b.x) AS c5 FROM {src} GROUP BY {key}")
    return Case(sql)


def non_equi_join(r: random.Random) -> Case:
    a, b = r.choice(SMALL_PAIRS)
    jt = r.choice(JOIN_TYPES)
    on = r.choice(["a.x < b.x", "a.k > b.k", "a.x + 3 < b.x AND a.g <> b.g", "a.v < b.v", "a.id < b.id - 20"])
    src = f"{a} a {jt} JOIN {b} b ON {on}"
    if r.random() < 0.5:
        sql = f"SELECT a.id AS c0, b.id AS c1 FROM {src}"
    else:
        sql = f"SELECT a.id AS c0, count(b.id) AS c1, min(b.x) AS c2 FROM {src} GROUP BY a.id"
    return Case(sql)


def cross_join(r: random.Random) -> Case:
    a, b = r.choice(SMALL_PAIRS)
    pred = r.choice(["", " WHERE a.x = b.x", " WHERE a.g = b.g AND a.id < b.id", " WHERE a.k < b.k"])
    if r.random() < 0.5:
        return Case(f"SELECT a.id AS c0, b.id AS c1 FROM {a} a CROSS JOIN {b} b{pred}")
    return Case(f"SELECT count(*) AS c0, sum(a.x * b.x) AS c1, count(DISTINCT b.g) AS c2 "
                f"FROM {a} a CROSS JOIN {b} b{pred}")


def exists(r: random.Random) -> Case:
    a, b = r.choice(PAIRS)
    neg = r.choice(["", "NOT "])
    corr = "b.k = a.k" + r.choice(["", "", " AND b.x > a.x", " AND b.g = a.g", " AND b.id <> a.id"])
    pred = f"{neg}EXISTS (SELECT 1 FROM {b} b WHERE {corr})"
    if r.random() < 0.3:
        # In a disjunction: a mark join.
        pred = f"({pred} OR a.g = 'b')"
    return Case(f"SELECT a.id AS c0, a.k AS c1 FROM {a} a WHERE {pred}")


def in_subquery(r: random.Random) -> Case:
    a, b = r.choice(PAIRS)
    neg = r.choice(["", "NOT "])
    inner = r.choice(["", " WHERE b.k IS NOT NULL", " WHERE b.g = 'a'", " WHERE b.x > 40", " WHERE b.id < 0"])
    pred = f"a.k {neg}IN (SELECT b.k FROM {b} b{inner})"
    if r.random() < 0.25:
        pred = f"({pred} OR a.v > 20)"
    outer = r.choice(["", " AND a.k IS NOT NULL", " AND a.id % 2 = 0"])
    return Case(f"SELECT a.id AS c0, a.k AS c1 FROM {a} a WHERE {pred}{outer}")


def scalar_subquery(r: random.Random) -> Case:
    a, b = r.choice(PAIRS)
    kind = r.randrange(8)
    if kind == 0:
        return Case(f"SELECT a.id AS c0 FROM {a} a WHERE a.v > (SELECT avg(b.v) FROM {b} b)")
    if kind == 1:
        return Case(f"SELECT a.id AS c0, a.x - (SELECT max(b.x) FROM {b} b) AS c1 FROM {a} a WHERE a.id % 5 = 0")
    if kind == 2:
        # One row, or none (then NULL): a scalar subquery that is not an aggregate.
        first = TABLES.get(b, {"first_id": 0})["first_id"]
        pick = first + r.randrange(-5, 300)
        return Case(f"SELECT a.id AS c0, a.k AS c1 FROM {a} a WHERE a.k = (SELECT b.k FROM {b} b WHERE b.id = {pick})")
    if kind == 3:
        # Several rows: an error in every engine, never an answer.
        return Case(f"SELECT a.id AS c0 FROM {a} a WHERE a.k = (SELECT b.k FROM {b} b WHERE b.x < 30)")
    if kind == 4:
        return Case(f"SELECT a.id AS c0, (SELECT count(*) FROM {b} b WHERE b.k = a.k) AS c1 FROM {a} a")
    if kind == 5:
        return Case(f"SELECT a.id AS c0, (SELECT sum(b.v) FROM {b} b WHERE b.k = a.k) AS c1 FROM {a} a")
    if kind == 6:
        return Case(f"SELECT a.id AS c0 FROM {a} a WHERE a.v > (SELECT avg(b.v) FROM {b} b WHERE b.g = a.g)")
    return Case(f"SELECT (SELECT min(b.x) FROM {b} b) AS c0, count(*) AS c1 FROM {a} a")


def group_by(r: random.Random) -> Case:
    t = r.choice(["t1", "t2", "t3", "e"])
    keys = r.choice([["g"], ["k"], ["g", "k"], ["x % 5"], ["g", "x % 2"]])
    aggs = r.sample(["count(*)", "count(v)", "sum(v)", "min(v)", "max(id)", "avg(v)", "count(DISTINCT k)",
                     "sum(x)", "min(g)"], r.randrange(1, 4))
    cols = [f"{k} AS c{i}" for i, k in enumerate(keys)]
    cols += [f"{agg} AS c{len(keys) + i}" for i, agg in enumerate(aggs)]
    having = r.choice(["", "", " HAVING count(*) > 3", " HAVING sum(x) > 100", " HAVING min(v) < 0"])
    group = ", ".join(keys)
    if r.random() < 0.15:
        group = f"ROLLUP ({group})"
    return Case(f"SELECT {', '.join(cols)} FROM {t}{_where(r, t)} GROUP BY {group}{having}")


def distinct(r: random.Random) -> Case:
    t = r.choice(["t1", "t2", "t3", "e"])
    if r.random() < 0.5:
        cols = r.choice([["g"], ["k"], ["g", "k"], ["k", "x % 3"]])
        return Case(f"SELECT DISTINCT {', '.join(f'{c} AS c{i}' for i, c in enumerate(cols))} FROM {t}")
    return Case(f"SELECT count(DISTINCT k) AS c0, count(DISTINCT g) AS c1, count(DISTINCT v) AS c2 FROM {t}")


WINDOW_FUNCS = ["row_number()", "rank()", "dense_rank()", "sum(v)", "count(v)", "count(*)", "avg(v)", "min(v)",
                "max(x)", "lag(v, 1)", "lead(x, 2)", "first_value(v)", "last_value(x)"]
FRAMED = {"sum(v)", "count(v)", "count(*)", "avg(v)", "min(v)", "max(x)", "first_value(v)", "last_value(x)"}
FRAMES = ["", "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW", "ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING",
          "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING", "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
          "RANGE BETWEEN 10 PRECEDING AND 5 FOLLOWING", "ROWS BETWEEN CURRENT ROW AND 3 FOLLOWING"]


def window(r: random.Random) -> Case:
    t = r.choice(["t1", "t2", "t3", "e"])
    fn = r.choice(WINDOW_FUNCS)
    part = r.choice(["", "PARTITION BY g", "PARTITION BY k", "PARTITION BY g, k", "PARTITION BY x % 4"])
    frame = r.choice(FRAMES) if fn in FRAMED else ""
    second = ""
    if r.random() < 0.3:
        second = ", sum(x) OVER (PARTITION BY g ORDER BY id) AS c2"
    return Case(f"SELECT id AS c0, {fn} OVER ({part} ORDER BY id {frame}) AS c1{second} FROM {t}{_where(r, t)}")


def set_op(r: random.Random) -> Case:
    a, b = r.choice(PAIRS)
    op = r.choice(["UNION", "UNION ALL", "INTERSECT", "EXCEPT", "INTERSECT ALL", "EXCEPT ALL"])
    cols = r.choice([["k"], ["g"], ["g", "k"], ["k", "x % 3"]])
    left = ", ".join(f"{c} AS c{i}" for i, c in enumerate(cols))
    right = ", ".join(cols)
    return Case(f"SELECT {left} FROM {a} {op} SELECT {right} FROM {b}")


def order_limit(r: random.Random) -> Case:
    t = r.choice(["t1", "t2", "t3", "e"])
    kind = r.randrange(3)
    n = r.choice([1, 3, 10, 50, 1000])
    offset = r.choice(["", "", " OFFSET 2", " OFFSET 30"])
    if kind == 0:
        order = r.choice(["v DESC NULLS LAST, id", "k NULLS FIRST, id DESC", "g NULLS LAST, x, id", "id DESC"])
        return Case(f"SELECT id AS c0, k AS c1, v AS c2 FROM {t} ORDER BY {order} LIMIT {n}{offset}", ordered=True)
    if kind == 1:
        return Case(f"SELECT g AS c0, count(*) AS c1 FROM {t} GROUP BY g ORDER BY c1 DESC, c0 NULLS FIRST "
                    f"LIMIT {n}{offset}", ordered=True)
    a, b = r.choice(PAIRS)
    return Case(f"SELECT a.id AS c0, b.id AS c1 FROM {a} a JOIN {b} b ON a.k = b.k "
                f"ORDER BY a.id, b.id LIMIT {n}{offset}", ordered=True)


def cte_twice(r: random.Random) -> Case:
    t = r.choice(["t1", "t2", "t3"])
    kind = r.randrange(3)
    base = f"WITH c AS (SELECT k, count(*) AS n, sum(v) AS s FROM {t} GROUP BY k) "
    if kind == 0:
        jt = r.choice(JOIN_TYPES)
        return Case(base + f"SELECT x.k AS c0, x.n AS c1, y.n AS c2 FROM c x {jt} JOIN c y ON x.k = y.k + 1")
    if kind == 1:
        return Case(base + "SELECT k AS c0, n AS c1 FROM c WHERE n > (SELECT avg(n) FROM c)")
    return Case(f"WITH c AS (SELECT id, g, k FROM {t} WHERE id % 2 = 0) "
                "SELECT count(*) AS c0, count(k) AS c1 FROM c WHERE k IN (SELECT k FROM c WHERE g = 'a') "
                "OR id IN (SELECT id + 2 FROM c)")


def limit_below(r: random.Random) -> Case:
    a, b = r.choice(PAIRS)
    n = r.choice([1, 5, 17])
    kind = r.randrange(4)
    if kind == 0:
        return Case(f"SELECT a.id AS c0, b.id AS c1 FROM (SELECT * FROM {b} ORDER BY id LIMIT {n}) b "
                    f"JOIN {a} a ON a.k = b.k")
    if kind == 1:
        return Case(f"SELECT count(*) AS c0 FROM (SELECT id FROM {a} WHERE k IS NOT NULL LIMIT {n}) x")
    if kind == 2:
        return Case(f"SELECT a.id AS c0 FROM {a} a WHERE a.k IN (SELECT k FROM {b} ORDER BY id LIMIT {n})")
    jt = r.choice(JOIN_TYPES)
    return Case(f"SELECT a.id AS c0, b.id AS c1 FROM (SELECT * FROM {a} ORDER BY x, id LIMIT {n}) a "
                f"{jt} JOIN (SELECT * FROM {b} ORDER BY id DESC LIMIT {n + 3}) b ON a.k = b.k")


def nested(r: random.Random) -> Case:
    """A generated query used as a table: its shape below another join or aggregate."""
    inner = r.choice([equi_join, exists, in_subquery, window, set_op, distinct])(r)
    kind = r.randrange(2)
    if kind == 0:
        return Case(f"SELECT count(*) AS c0, count(DISTINCT q.c0) AS c1 FROM ({inner.query}) q")
    return Case(f"SELECT q.c0 AS c0, count(*) AS c1 FROM ({inner.query}) q "
                f"LEFT JOIN t3 z ON q.c0 = z.k GROUP BY q.c0")


TEMPLATES = [equi_join, equi_join, non_equi_join, cross_join, exists, exists, in_subquery, in_subquery,
             scalar_subquery, scalar_subquery, group_by, distinct, window, window, set_op, order_limit,
             cte_twice, limit_below, nested]


def generate(seed: int, count: int) -> list[Case]:
    r = random.Random(seed)
    cases = []
    for i in range(count):
        template = r.choice(TEMPLATES)
        case = template(r)
        case.name = f"seed {seed} #{i} ({template.__name__}): {case.query}"
        cases.append(case)
    return cases


if __name__ == "__main__":
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    for case in generate(seed, count):
        print(case.query + ";")
