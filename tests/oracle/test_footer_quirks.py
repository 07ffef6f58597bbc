"""Files whose footers say what some writers really wrote, made from a pyarrow file by
editing its footer (`footer_edit.py`; pyarrow cannot write these itself). Kiln must read
each as pyarrow and DuckDB do, or refuse it naming the file and the construct: never
return fewer rows (issue 17, part 3; docs/investigations/parquet-readers.md)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kiln
from footer_edit import edit_footer, field


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    path = tmp_path_factory.mktemp("quirks") / "base.parquet"
    table = pa.table({"id": pa.array([1, 2, 3, 4, 5, 6], pa.int32()),
                      "tags": pa.array([None, [], ["a"], ["b", "c"], ["d"], ["e", "f", "g"]], pa.list_(pa.string()))})
    pq.write_table(table, path, use_dictionary=False, write_statistics=False, compression="NONE",
                   write_page_index=False)
    return path


def test_a_footer_that_counts_no_rows_is_refused_not_read_as_empty(base, tmp_path):
    """parquet-rs 0.3 wrote FileMetaData.num_rows = 0 (parquet-testing's
    repeated_no_annotation.parquet); the row group holds 6 rows. The parquet crate Kiln
    reads with caps its batches at the footer's count, so it would return none."""
    path = tmp_path / "zero_rows.parquet"

    def zero_rows(meta):
        field(meta, 3)[2] = 0

    edit_footer(base, path, zero_rows)
    expected = duckdb.connect().execute(f"SELECT count(id) FROM read_parquet({kiln.sql_str(path)})").fetchone()[0]
    assert expected == 6
    proc = kiln.sql_proc("SELECT count(id) AS n FROM t", {"t": path})
    if proc.returncode == 0:
        assert kiln.parse_json_rows(proc) == [{"n": expected}], kiln.describe(proc)
    else:
        kiln.assert_clean_error(proc, "zero_rows.parquet", "footer says the file holds 0 rows", "row groups hold 6")
