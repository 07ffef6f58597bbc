//! `kiln schema` as text: the same facts as the page's explorer.

use std::fmt::Write;

use kiln_protocol::TableSummary;

pub fn render(table: &TableSummary) -> String {
    let mut out = String::new();
    let rows = table
        .total_rows()
        .map_or_else(|| "unknown".to_string(), |r| r.to_string());
    let _ = writeln!(
        out,
        "table {} ({:?}): {rows} rows, {} bytes in {} file(s)",
        table.name,
        table.format,
        table.total_bytes(),
        table.files.len()
    );
    let _ = writeln!(out, "\nschema:");
    for field in &table.schema {
        let partition = if table.partition_columns.contains(&field.name) {
            "  (partition)"
        } else {
            ""
        };
        let null = if field.nullable { "" } else { " not null" };
        let _ = writeln!(out, "  {} {}{null}{partition}", field.name, field.data_type);
    }
    for file in &table.files {
        let _ = writeln!(out, "\nfile {}: {} bytes", file.path, file.size_bytes);
        if let Some(rows) = file.rows {
            let _ = writeln!(out, "  rows: {rows}");
        }
        if let Some(created_by) = &file.created_by {
            let _ = writeln!(out, "  created by: {created_by}");
        }
        for (i, rg) in file.row_groups.iter().enumerate() {
            let _ = writeln!(
                out,
                "  row group {i}: {} rows, {} bytes compressed, {} uncompressed",
                rg.rows, rg.compressed_bytes, rg.uncompressed_bytes
            );
        }
        for c in &file.columns {
            let _ = writeln!(
                out,
                "  column {}: {} {} | {} | {} | nulls {} | min {} | max {}",
                c.path,
                c.physical_type,
                c.logical_type.as_deref().unwrap_or("-"),
                c.compression.join(","),
                c.encodings.join(","),
                c.null_count.map_or_else(|| "?".into(), |n| n.to_string()),
                c.min.as_deref().unwrap_or("-"),
                c.max.as_deref().unwrap_or("-"),
            );
        }
    }
    out
}
