"""`kiln schema --format json` against the footers as pyarrow reads them."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kiln

DATA = kiln.PARQUET_TESTING / "data"

# A spread of writers (parquet-mr, parquet-cpp, Impala, Spark, arrow-rs), codecs,
# nested leaves, several row groups, nulls and page-level statistics.
FILES = [
    "alltypes_plain.parquet",
    "alltypes_plain.snappy.parquet",
    "alltypes_tiny_pages.parquet",
    "byte_stream_split.zstd.parquet",
    "concatenated_gzip_members.parquet",
    "data_index_bloom_encoding_stats.parquet",
    "datapage_v2.snappy.parquet",
    "delta_binary_packed.parquet",
    "hadoop_lz4_compressed.parquet",
    "int32_with_null_pages.parquet",
    "lz4_raw_compressed.parquet",
    "nested_structs.rust.parquet",
    "nullable.impala.parquet",
    "nulls.snappy.parquet",
    "sort_columns.parquet",
]

# The generated yellow file must span several row groups (the generator cuts them at
# 256Ki rows): 1 month of 650,000 trips gives 552,500 yellow rows, 3 row groups.
TAXI_ROWS = 650_000


def _int_stats_column(md: pq.FileMetaData, schema: pa.Schema, c: int) -> bool:
    """Top-level plain integer columns: their statistics mean the same in every reader
    (no decimal scale, no timestamp unit, no unsigned-order subtleties)."""
    col = md.schema.column(c)
    if "." in col.path or col.physical_type not in ("INT32", "INT64"):
        return False
    field = schema.field(col.path) if col.path in schema.names else None
    return field is not None and pa.types.is_integer(field.type)


def check_file(summary: dict, path) -> list[str]:
    """Compares one `files[]` entry of kiln's schema JSON with pyarrow's footer."""
    pf = pq.ParquetFile(path)
    md = pf.metadata
    codecs = kiln.column_codecs(path)
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{summary['path']}: {what}: kiln {got!r}, pyarrow {want!r}")

    expect("rows", summary["rows"], md.num_rows)
    expect("size_bytes", summary["size_bytes"], path.stat().st_size)
    expect("created_by", summary["created_by"] or None, md.created_by or None)
    expect("format_version major", summary["format_version"], int(md.format_version.split(".")[0]))
    expect("row group count", len(summary["row_groups"]), md.num_row_groups)
    for r, rg_summary in enumerate(summary["row_groups"][: md.num_row_groups]):
        rg = md.row_group(r)
        expect(f"row group {r} rows", rg_summary["rows"], rg.num_rows)
        expect(f"row group {r} uncompressed_bytes", rg_summary["uncompressed_bytes"], rg.total_byte_size)
        compressed = sum(rg.column(c).total_compressed_size for c in range(rg.num_columns))
        expect(f"row group {r} compressed_bytes", rg_summary["compressed_bytes"], compressed)

    columns = summary["columns"]
    expect("leaf columns", [c["path"] for c in columns], [md.schema.column(c).path for c in range(md.num_columns)])
    if len(columns) != md.num_columns:
        return problems
    arrow_schema = pf.schema_arrow
    for c, col in enumerate(columns):
        name = col["path"]
        chunks = [md.row_group(r).column(c) for r in range(md.num_row_groups)]
        expect(f"{name}: physical_type", col["physical_type"], md.schema.column(c).physical_type)
        expect(
            f"{name}: compression",
            sorted({kiln.codec_name(x) for x in col["compression"]}),
            sorted({codecs[r][c] for r in range(md.num_row_groups)}),
        )
        expect(
            f"{name}: compressed_bytes", col["compressed_bytes"], sum(ch.total_compressed_size for ch in chunks)
        )
        stats = [ch.statistics if ch.is_stats_set else None for ch in chunks]
        if chunks and all(s is not None and s.has_null_count for s in stats):
            expect(f"{name}: null_count", col["null_count"], sum(s.null_count for s in stats))
        if _int_stats_column(md, arrow_schema, c):
            with_minmax = [s for s in stats if s is not None and s.has_min_max]
            if with_minmax:
                expect(f"{name}: min", kiln.canon(col["min"]), min(s.min for s in with_minmax))
                expect(f"{name}: max", kiln.canon(col["max"]), max(s.max for s in with_minmax))
    return problems


@pytest.mark.parametrize("name", FILES)
def test_schema_matches_footer(name):
    path = DATA / name
    summary = kiln.schema_json(path)
    assert summary["format"] == "parquet"
    assert [f["name"] for f in summary["schema"]] == pq.read_schema(path).names
    assert len(summary["files"]) == 1
    problems = check_file(summary["files"][0], path)
    assert not problems, "\n  ".join(problems)


def test_integer_statistics_are_checked_somewhere():
    # Guards check_file's min/max branch against silently never running.
    checked = 0
    for name in FILES:
        md = pq.ParquetFile(DATA / name).metadata
        schema = pq.read_schema(DATA / name)
        checked += sum(_int_stats_column(md, schema, c) for c in range(md.num_columns))
    assert checked >= 5


@pytest.fixture(scope="module")
def taxi_one_month(tmp_path_factory):
    out = tmp_path_factory.mktemp("taxi_schema")
    proc = kiln.run("gen", "taxi", "--rows", TAXI_ROWS, "--months", 1, "--out", out, timeout=1200)
    assert proc.returncode == 0, kiln.describe(proc)
    return out


def test_generated_taxi_files(taxi_one_month):
    for kind in ("yellow", "green"):
        folder = taxi_one_month / kind
        summary = kiln.schema_json(folder)
        files = sorted(folder.glob("*.parquet"))
        assert sorted(f["path"] for f in summary["files"]) == [p.name for p in files]
        problems = []
        for entry in summary["files"]:
            problems += check_file(entry, folder / entry["path"])
        assert not problems, "\n  ".join(problems)
    yellow = pq.ParquetFile(next((taxi_one_month / "yellow").glob("*.parquet"))).metadata
    assert yellow.num_row_groups >= 3, "the taxi file should span several row groups"


def test_generated_zone_lookup(taxi_one_month):
    path = taxi_one_month / "taxi_zone_lookup.parquet"
    summary = kiln.schema_json(path)
    problems = check_file(summary["files"][0], path)
    assert not problems, "\n  ".join(problems)
    csv_summary = kiln.schema_json(taxi_one_month / "taxi_zone_lookup.csv")
    assert csv_summary["format"] == "csv"
    assert [f["name"] for f in csv_summary["schema"]] == ["LocationID", "Borough", "Zone", "service_zone"]


def test_partitioned_folder(tmp_path):
    layout = {(2023, 12): 3, (2024, 1): 5, (2024, 2): 7}
    for (year, month), n in layout.items():
        folder = tmp_path / "lake" / f"year={year}" / f"month={month}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"v": pa.array(range(n), pa.int64())}), folder / "part-0.parquet")
    summary = kiln.schema_json(tmp_path / "lake")
    assert summary["partition_columns"] == ["year", "month"]
    assert [f["name"] for f in summary["schema"]] == ["v", "year", "month"]
    got = {tuple(tuple(kv) for kv in f["partition_values"]): f["rows"] for f in summary["files"]}
    assert got == {(("year", str(y)), ("month", str(m))): n for (y, m), n in layout.items()}
