"""Independent answers for the browser tests, from DuckDB and pyarrow.

    oracle.py describe FILE               -> the explorer's facts for a Parquet file (pyarrow)
    oracle.py query SQL [name=path ...]   -> rows of a query (DuckDB); a folder or glob path
                                             is read with hive partitioning
    oracle.py codec-files DIR             -> writes one file per codec with pyarrow (nested
                                             types, timestamps of every unit, nulls); prints paths
    oracle.py regroup SRC DST ROWS        -> rewrites every Parquet file under SRC into DST
                                             (same layout) with row groups of ROWS rows, zstd
    oracle.py check-export FMT FILE SQL [name=path ...]
                                          -> reads a file Kiln saved (parquet, csv, jsonl,
                                             arrow) with pyarrow and compares its rows, as a
                                             multiset, with DuckDB's answer to SQL
    oracle.py unzip ZIP DIR               -> extracts a zip; prints its entries
    oracle.py pyspark PROGRAM DIR VAR     -> runs a PySpark program in PySpark (local mode)
                                             from DIR (its relative paths are below it);
                                             prints the columns and rows VAR holds
    oracle.py bad-files DIR SRC           -> writes damaged and odd files made from the
                                             Parquet file SRC into DIR; prints what each is
    oracle.py many-files DIR N            -> N tiny Parquet files of one table in DIR
    oracle.py sparse-big SRC DST BYTES    -> SRC with BYTES of nothing (sparse) between its
                                             data and its footer: a valid file past 4 GB
    oracle.py schema-files DIR            -> files of one table whose columns differ: one
                                             adds a column, one changes a column's type
    oracle.py arrow-rows FILE             -> the rows pyarrow reads from FILE, or its error
    oracle.py gen-queries DIR SEED COUNT  -> writes the random-query tables of
                                             tests/oracle/querygen.py into DIR; prints its
                                             COUNT queries from SEED with DuckDB's answer
                                             (rows) or error, and the table paths
    oracle.py spark-script SCRIPT INPUT OUTPUT
                                          -> runs a script Kiln exported, as spark-submit
                                             would (`--input INPUT --output OUTPUT`), then
                                             prints the rows it wrote below OUTPUT
"""

import datetime
import decimal
import json
import os
import sys

import duckdb
import pyarrow.parquet as pq


def describe(path):
    meta = pq.ParquetFile(path).metadata
    columns = {}
    for i in range(meta.num_columns):
        name = meta.schema.column(i).path
        nulls, have_all = 0, meta.num_row_groups > 0
        for rg in range(meta.num_row_groups):
            stats = meta.row_group(rg).column(i).statistics
            if stats is None or not stats.has_null_count:
                have_all = False
            else:
                nulls += stats.null_count
        column = meta.schema.column(i)
        # Plain integers format the same everywhere, so their min/max can be compared as
        # text; pyarrow must have min/max for every row group.
        extremes = None
        plain_int = column.physical_type in ("INT32", "INT64") and column.logical_type.type in ("NONE", "INT")
        stats = [meta.row_group(rg).column(i).statistics for rg in range(meta.num_row_groups)]
        if plain_int and stats and all(st is not None and st.has_min_max for st in stats):
            extremes = [str(min(st.min for st in stats)), str(max(st.max for st in stats))]
        columns[name] = {
            "extremes": extremes,
            "physical": column.physical_type,
            "nulls": nulls if have_all else None,
            "compression": meta.row_group(0).column(i).compression if meta.num_row_groups else None,
        }
    row_groups = []
    for rg in range(meta.num_row_groups):
        g = meta.row_group(rg)
        row_groups.append({
            "rows": g.num_rows,
            "uncompressed": g.total_byte_size,
            "compressed": sum(g.column(i).total_compressed_size for i in range(g.num_columns)),
        })
    return {
        "rows": meta.num_rows,
        "size": os.path.getsize(path),
        "created_by": meta.created_by,
        "row_groups": row_groups,
        "columns": columns,
    }


def plain(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def query(sql, tables):
    con = duckdb.connect()
    for spec in tables:
        name, path = spec.split("=", 1)
        if "|" in path:
            files = ", ".join(f"'{p}'" for p in path.split("|"))
            source = f"read_parquet([{files}], union_by_name = true)"
        elif os.path.isdir(path):
            source = f"read_parquet('{path}/**/*.parquet', hive_partitioning = true, union_by_name = true)"
        elif path.endswith(".csv") or path.endswith(".csv.gz"):
            source = f"read_csv_auto('{path}')"
        else:
            source = f"read_parquet('{path}')"
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM {source}')
    rows = con.execute(sql).fetchall()
    return [[plain(v) for v in row] for row in rows]


def gen_queries(out_dir, seed, count):
    """The differential tests' random queries (tests/oracle/querygen.py), answered by DuckDB."""
    import pathlib

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracle"))
    import querygen

    tables = querygen.make_tables(pathlib.Path(out_dir))
    specs = [f"{name}={path}" for name, path in tables.items()]
    cases = []
    for case in querygen.generate(seed, count):
        try:
            cases.append({"query": case.query, "ordered": case.ordered, "rows": query(case.query, specs)})
        except duckdb.Error as e:
            cases.append({"query": case.query, "ordered": case.ordered, "error": str(e).splitlines()[0]})
    return {"tables": {name: str(path) for name, path in tables.items()}, "cases": cases}


CODECS = ["none", "snappy", "gzip", "brotli", "lz4", "zstd"]


def codec_files(out_dir):
    """Files written by pyarrow, an independent writer, with every codec it has."""
    import pyarrow as pa

    n = 5000
    ids = list(range(n))
    base = datetime.datetime(2024, 1, 1)
    stamps = [base + datetime.timedelta(seconds=37 * i) for i in ids]
    table = pa.table({
        "id": pa.array(ids, pa.int64()),
        "ts_ms": pa.array(stamps, pa.timestamp("ms")),
        "ts_us": pa.array(stamps, pa.timestamp("us")),
        "ts_ns": pa.array(stamps, pa.timestamp("ns")),
        "label": pa.array([None if i % 7 == 0 else f"label-{i % 13}" for i in ids]),
        "tags": pa.array([[i, i + 1] if i % 5 else None for i in ids], pa.list_(pa.int64())),
        "point": pa.array([{"x": i, "y": float(i) / 2} for i in ids]),
        "attrs": pa.array([[("k", i)] for i in ids], pa.map_(pa.string(), pa.int64())),
    })
    paths = []
    for codec in CODECS:
        path = os.path.join(out_dir, f"codec_{codec}.parquet")
        pq.write_table(table, path, compression=codec, row_group_size=2000,
                       use_dictionary=["label"], data_page_version="2.0" if codec == "zstd" else "1.0")
        paths.append(path)
    return paths


def regroup(src, dst, rows):
    written = []
    for folder, _, names in os.walk(src):
        for name in sorted(names):
            if not name.endswith(".parquet"):
                continue
            out = os.path.join(dst, os.path.relpath(os.path.join(folder, name), src))
            os.makedirs(os.path.dirname(out), exist_ok=True)
            pq.write_table(pq.read_table(os.path.join(folder, name)), out, row_group_size=rows,
                           compression="zstd")
            written.append(out)
    return written


def canon_value(v):
    """One form for a value however a reader typed it: numbers as rounded floats,
    timestamps as ISO text with a space, text that is a timestamp likewise."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float, decimal.Decimal)):
        return round(float(v), 6)
    if isinstance(v, datetime.datetime):
        return v.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, str):
        try:
            return datetime.datetime.fromisoformat(v).replace(tzinfo=None).isoformat(sep=" ")
        except ValueError:
            return v
    return v


def check_export(fmt, path, sql, tables):
    from collections import Counter

    import pyarrow.csv as pacsv
    import pyarrow.ipc as ipc
    import pyarrow.json as pajson

    table = {
        "parquet": lambda: pq.read_table(path),
        # An unquoted empty field is NULL, a quoted one the empty string (as DuckDB and
        # Spark write and read them).
        "csv": lambda: pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            strings_can_be_null=True, quoted_strings_can_be_null=False)),
        "jsonl": lambda: pajson.read_json(path),
        "arrow": lambda: ipc.open_file(path).read_all(),
    }[fmt]()
    got = Counter(tuple(canon_value(v) for v in row.values()) for row in table.to_pylist())
    want = Counter(tuple(canon_value(v) for v in row) for row in query(sql, tables))
    return {
        "columns": table.column_names,
        "rows": table.num_rows,
        "equal": got == want,
        "missing": [list(r) for r in list((want - got).elements())[:3]],
        "extra": [list(r) for r in list((got - want).elements())[:3]],
        "schema": str(table.schema),
    }


def unzip(path, out):
    import zipfile

    with zipfile.ZipFile(path) as z:
        z.extractall(out)
        return [{"name": i.filename, "size": i.file_size} for i in z.infolist()]


def spark_session():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (SparkSession.builder.master("local[2]").appName("kiln-browser-oracle")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate())


def pyspark_program(program, directory, var):
    # Before the JVM starts: Spark resolves relative paths against its own working folder.
    os.chdir(directory)
    spark = spark_session()
    scope = {"spark": spark}
    import contextlib

    # What the program prints (show, printSchema) must not mix with the JSON answer.
    with open(program) as f, contextlib.redirect_stdout(sys.stderr):
        exec(compile(f.read(), program, "exec"), scope)
    df = scope[var]
    return {"columns": df.columns, "rows": [[plain(v) for v in row] for row in df.collect()]}


def spark_script(script, input_dir, output_dir):
    import runpy

    import contextlib

    spark_session()
    sys.argv = [script, "--input", input_dir, "--output", output_dir]
    with contextlib.redirect_stdout(sys.stderr):
        runpy.run_path(script, run_name="__main__")
    # A query's result is the output folder itself; a program's display(df) writes
    # OUTPUT/result.
    folder = os.path.join(output_dir, "result")
    if not os.path.isdir(folder):
        folder = output_dir
    table = pq.read_table(folder)
    return {"columns": table.column_names,
            "rows": [[plain(v) for v in r.values()] for r in table.to_pylist()]}


def bad_files(out, src):
    """Damaged and odd files made from a good Parquet file, each with what it is."""
    import pyarrow as pa

    os.makedirs(out, exist_ok=True)
    b = open(src, "rb").read()
    flen = int.from_bytes(b[-8:-4], "little")
    fstart = len(b) - 8 - flen
    made = {}

    def put(name, data, what):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        made[name] = what

    put("empty.parquet", b"", "empty")
    put("bad_magic.parquet", b"XXXX" + b[4:], "starts with")
    put("footer_cut.parquet", b[: len(b) - 20], "truncated")
    # The footer intact, the data it points at cut away.
    put("data_cut.parquet", b[: fstart // 3] + b[fstart:], "past its end")
    put("text.parquet", b"name,age\nann,3\n" * 20, "not a Parquet file")
    put("data.orc", b"ORC" + b"\0" * 100, "ORC files are not read")
    # LZO: the codec field of the column's metadata rewritten (UNCOMPRESSED -> LZO).
    plain = os.path.join(out, "plain.tmp")
    pq.write_table(pa.table({"id": list(range(10))}), plain, compression="none")
    p = bytearray(open(plain, "rb").read())
    os.remove(plain)
    pflen = int.from_bytes(p[-8:-4], "little")
    pstart = len(p) - 8 - pflen
    at = p.find(b"\x15\x00", pstart)
    p[at + 1] = 0x06
    put("lzo.parquet", bytes(p), "LZO")
    return made


def many_files(out, n):
    import pyarrow as pa

    os.makedirs(out, exist_ok=True)
    for i in range(n):
        pq.write_table(pa.table({"id": [i], "part": [i % 7]}), os.path.join(out, f"part-{i:05d}.parquet"))
    return n


def sparse_big(src, dst, gap):
    b = open(src, "rb").read()
    flen = int.from_bytes(b[-8:-4], "little")
    fstart = len(b) - 8 - flen
    with open(dst, "wb") as f:
        f.write(b[:fstart])
        # A hole: no disk used, and nothing in the footer points into it.
        f.seek(fstart + gap)
        f.write(b[fstart:])
    return os.path.getsize(dst)


def schema_files(out):
    import pyarrow as pa

    os.makedirs(out, exist_ok=True)
    pq.write_table(pa.table({"id": pa.array([1, 2, 3], pa.int64()), "fare": [10.5, 20.0, 7.25]}),
                   os.path.join(out, "a.parquet"))
    pq.write_table(pa.table({"id": pa.array([4, 5], pa.int64()), "fare": [3.0, 4.5], "tip": [1.0, None]}),
                   os.path.join(out, "b.parquet"))
    pq.write_table(pa.table({"id": ["six"], "fare": [6.0]}), os.path.join(out, "c.parquet"))
    return {"merged": ["a.parquet", "b.parquet"], "clash": "c.parquet", "column": "id"}


def arrow_rows(path):
    try:
        return {"rows": pq.read_table(path).num_rows}
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        return {"error": str(e)}


def main():
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "describe":
        print(json.dumps(describe(rest[0])))
    elif command == "codec-files":
        print(json.dumps(codec_files(rest[0])))
    elif command == "regroup":
        print(json.dumps(regroup(rest[0], rest[1], int(rest[2]))))
    elif command == "check-export":
        print(json.dumps(check_export(rest[0], rest[1], rest[2], rest[3:])))
    elif command == "unzip":
        print(json.dumps(unzip(rest[0], rest[1])))
    elif command == "pyspark":
        print(json.dumps(pyspark_program(rest[0], rest[1], rest[2])))
    elif command == "bad-files":
        print(json.dumps(bad_files(rest[0], rest[1])))
    elif command == "many-files":
        print(json.dumps(many_files(rest[0], int(rest[1]))))
    elif command == "sparse-big":
        print(json.dumps(sparse_big(rest[0], rest[1], int(rest[2]))))
    elif command == "schema-files":
        print(json.dumps(schema_files(rest[0])))
    elif command == "arrow-rows":
        print(json.dumps(arrow_rows(rest[0])))
    elif command == "spark-script":
        print(json.dumps(spark_script(rest[0], rest[1], rest[2])))
    elif command == "query":
        print(json.dumps(query(rest[0], rest[1:])))
    elif command == "gen-queries":
        print(json.dumps(gen_queries(rest[0], int(rest[1]), int(rest[2]))))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
