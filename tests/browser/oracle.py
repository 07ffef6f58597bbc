"""Independent answers for the browser tests, from DuckDB and pyarrow.

    oracle.py describe FILE               -> the explorer's facts for a Parquet file (pyarrow)
    oracle.py query SQL [name=path ...]   -> rows of a query (DuckDB); a folder or glob path
                                             is read with hive partitioning
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
        columns[name] = {
            "physical": meta.schema.column(i).physical_type,
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
        if os.path.isdir(path):
            source = f"read_parquet('{path}/**/*.parquet', hive_partitioning = true)"
        elif path.endswith(".csv") or path.endswith(".csv.gz"):
            source = f"read_csv_auto('{path}')"
        else:
            source = f"read_parquet('{path}')"
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM {source}')
    rows = con.execute(sql).fetchall()
    return [[plain(v) for v in row] for row in rows]


def main():
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "describe":
        print(json.dumps(describe(rest[0])))
    elif command == "query":
        print(json.dumps(query(rest[0], rest[1:])))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
