"""Native peers of the benchmark, on the same files as the page reads.

  native.py duckdb DATA QUERIES.json RUNS   time each query in DuckDB (PyPI), all cores
  native.py arrow DATA OUT                  each table as one Arrow IPC stream, for
                                            DuckDB-WASM versions without a Parquet reader
Prints JSON.
"""

import datetime
import json
import os
import sys
import time

import duckdb
import pyarrow.parquet as pq


def tables(data):
    """Table name -> list of Parquet files, as the page sees the folders."""
    out = {}
    for name in sorted(os.listdir(data)):
        full = os.path.join(data, name)
        if os.path.isdir(full):
            files = sorted(
                os.path.join(root, f)
                for root, _, fs in os.walk(full)
                for f in fs
                if f.endswith(".parquet")
            )
            if files:
                out[name] = files
        elif name.endswith(".parquet"):
            out[name[: -len(".parquet")]] = [full]
    return out


def plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float)):
        return float(value)  # Decimal
    return value


def time_duckdb(data, queries_file, runs):
    with open(queries_file) as f:
        queries = json.load(f)
    con = duckdb.connect()
    for name, files in tables(data).items():
        con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_parquet({files!r})")
    out = {"threads": con.execute("SELECT current_setting('threads')").fetchone()[0], "queries": {}}
    for q in queries:
        con.execute(q["sql"]).fetchall()  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            cur = con.execute(q["sql"])
            rows = cur.fetchall()
            times.append((time.perf_counter() - start) * 1000)
        out["queries"][q["id"]] = {
            "times": times,
            "columns": [d[0] for d in cur.description],
            "rows": [[plain(v) for v in r] for r in rows],
        }
    print(json.dumps(out))


def to_arrow(data, out_dir):
    import pyarrow as pa

    os.makedirs(out_dir, exist_ok=True)
    made = []
    for name, files in tables(data).items():
        table = pa.concat_tables(pq.read_table(f) for f in files)
        path = os.path.join(out_dir, f"{name}.arrows")
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=1 << 17)
        made.append({"name": name, "file": os.path.basename(path), "rows": table.num_rows})
    print(json.dumps(made))


if __name__ == "__main__":
    if sys.argv[1] == "duckdb":
        time_duckdb(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "arrow":
        to_arrow(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
