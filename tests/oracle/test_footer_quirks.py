"""Files whose footers say what some writers really wrote, made from a pyarrow file by
editing its footer (`footer_edit.py`; pyarrow cannot write these itself). Each reproduces
a file of apache/parquet-testing that the parquet crate's release read wrongly; Kiln reads
them with the vendored, patched crate (vendor/README.md) and must give DuckDB's rows, in
one process and as a job (issue 17, part 3; docs/investigations/parquet-readers.md)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kiln
from footer_edit import T_I32, T_I64, T_LIST, column_metas, edit_footer, field

QUERY = "SELECT id, tags FROM t ORDER BY id"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    # No dictionary, statistics or page index: each would let a reader (or DataFusion's
    # shortcuts) answer without decoding the pages the edits are about.
    path = tmp_path_factory.mktemp("quirks") / "base.parquet"
    table = pa.table({"id": pa.array([1, 2, 3, 4, 5, 6], pa.int32()),
                      "tags": pa.array([None, [], ["a"], ["b", "c"], ["d"], ["e", "f", "g"]], pa.list_(pa.string()))})
    pq.write_table(table, path, use_dictionary=False, write_statistics=False, compression="NONE",
                   write_page_index=False)
    return path


def assert_reads_as_duckdb(path, base):
    """The edited file gives the unedited file's rows, as DuckDB reads both, directly and
    as a job on two workers."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet({kiln.sql_str(path)})")
    names, expected = kiln.duckdb_rows(con, QUERY)
    _, unedited = kiln.duckdb_rows(con, QUERY.replace("FROM t", f"FROM read_parquet({kiln.sql_str(base)})"))
    assert expected == unedited and len(expected) == 6, "DuckDB must read the edited file as the original"
    for extra in ([], ["--workers", "2"]):
        rows = kiln.sql(QUERY, {"t": path}, extra=extra)
        kiln.assert_rows_equal(kiln.kiln_rows(rows, names), expected, ordered=True, columns=names,
                               what=f"{QUERY} {extra}")


def test_a_footer_that_counts_no_rows_reads_its_row_groups_rows(base, tmp_path):
    """parquet-rs 0.3 wrote FileMetaData.num_rows = 0 (parquet-testing's
    repeated_no_annotation.parquet); the row group holds 6 rows. The parquet crate's
    release capped its batches at the footer's count and returned none, silently."""
    path = tmp_path / "zero_rows.parquet"

    def zero_rows(meta):
        field(meta, 3)[2] = 0

    edit_footer(base, path, zero_rows)
    assert_reads_as_duckdb(path, base)
    summary = kiln.schema_json(path)
    assert [f["rows"] for f in summary["files"]] == [6], summary["files"]


def test_a_dictionary_page_offset_of_zero_means_no_dictionary(base, tmp_path):
    """parquet-mr before 1.11 wrote dictionary_page_offset = 0 for chunks without a
    dictionary (PARQUET-1402, parquet-testing's dict-page-offset-zero.parquet). Byte 0 is
    the magic number, so reading a page there fails."""
    path = tmp_path / "dict_offset_zero.parquet"

    def offset_zero(meta):
        for cm in column_metas(meta):
            assert field(cm, 11) is None, "the base file must have no dictionary pages"
            cm.append([11, T_I64, 0])

    edit_footer(base, path, offset_zero)
    assert_reads_as_duckdb(path, base)


def test_a_column_metadata_field_of_an_unexpected_wire_type_is_skipped(base, tmp_path):
    """Dremio's parquet-mr 1.12.0 build wrote a list at ColumnMetaData field 15 (the spec's
    i32 bloom_filter_length; parquet-testing's dict-page-offset-zero.parquet). The
    release decoded it as an i32 and misread the rest of the footer (arrow-rs#9923); the
    C++ and Java readers skip it by its wire type."""
    path = tmp_path / "field15_list.parquet"

    def list_at_15(meta):
        for cm in column_metas(meta):
            assert field(cm, 15) is None
            cm.append([15, T_LIST, (T_I32, [7, 8, 9])])

    edit_footer(base, path, list_at_15)
    assert_reads_as_duckdb(path, base)
