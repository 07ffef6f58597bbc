//! The query a table is opened with. A person who just picked a file should get an
//! answer without recalling SQL: the editor offers a look at the first rows, and a
//! count by a column with few values to change it into.

use kiln_protocol::TableSummary;

use super::quote_ident;
use crate::format::group_digits;

/// The runnable query for a table: its first hundred rows.
pub fn first_rows(table: &TableSummary) -> String {
    format!("SELECT * FROM {} LIMIT 100;", quote_ident(&table.name))
}

/// The editor's text after a table is opened: what the table is, the first rows, and a
/// count by a column to try next (commented out, so Ctrl+Enter runs the first query).
pub fn starter_sql(table: &TableSummary) -> String {
    let name = quote_ident(&table.name);
    let mut text = format!("-- {}: {}.\n", table.name, facts(table));
    text.push_str("-- Ctrl+Enter (Cmd+Enter) runs the query; Ctrl+Space suggests names.\n");
    text.push_str(&first_rows(table));
    text.push('\n');
    if let Some(column) = grouping_column(table) {
        let column = quote_ident(column);
        text.push_str(&format!(
            "\n-- Rows per {column}:\n\
             -- SELECT {column}, count(*) AS n FROM {name} GROUP BY {column} ORDER BY n DESC;\n"
        ));
    }
    text
}

fn facts(table: &TableSummary) -> String {
    let columns = plural(table.schema.len() as u64, "column");
    let files = plural(table.files.len() as u64, "file");
    match table.total_rows() {
        Some(rows) => format!("{} rows, {columns}, {files}", group_digits(rows)),
        None => format!("{columns}, {files}"),
    }
}

fn plural(n: u64, word: &str) -> String {
    format!(
        "{} {word}{}",
        group_digits(n),
        if n == 1 { "" } else { "s" }
    )
}

/// A column likely to have few values: a partition column (one value per folder), else
/// the first boolean or string column, else the first small integer. Names that suggest
/// one value per row (ids, times) are passed over.
fn grouping_column(table: &TableSummary) -> Option<&str> {
    if let Some(p) = table.partition_columns.first() {
        return Some(p);
    }
    let unique_looking = |name: &str| {
        let n = name.to_ascii_lowercase();
        n == "id" || n.ends_with("_id") || n.contains("time") || n.contains("date")
    };
    let candidates = || table.schema.iter().filter(|f| !unique_looking(&f.name));
    let of_kind = |kinds: &[&str]| {
        candidates()
            .find(|f| kinds.contains(&f.shown_type()))
            .map(|f| f.name.as_str())
    };
    of_kind(&["BOOLEAN", "STRING"]).or_else(|| of_kind(&["TINYINT", "SMALLINT", "INT"]))
}

#[cfg(test)]
mod tests {
    use kiln_protocol::{FieldSummary, FileFormat};

    use super::*;

    fn table(name: &str, columns: &[(&str, &str)], partitions: &[&str]) -> TableSummary {
        TableSummary {
            name: name.into(),
            format: FileFormat::Parquet,
            schema: columns
                .iter()
                .map(|(c, t)| FieldSummary {
                    name: c.to_string(),
                    data_type: String::new(),
                    sql_type: t.to_string(),
                    nullable: true,
                })
                .collect(),
            partition_columns: partitions.iter().map(|p| p.to_string()).collect(),
            files: vec![],
            root: name.into(),
            is_folder: false,
        }
    }

    #[test]
    fn offers_the_first_rows_and_a_count_by_a_column_with_few_values() {
        let t = table(
            "trips",
            &[
                ("VendorID", "INT"),
                ("tpep_pickup_datetime", "TIMESTAMP"),
                ("store_and_fwd_flag", "STRING"),
                ("fare", "DOUBLE"),
            ],
            &[],
        );
        let sql = starter_sql(&t);
        let runnable: Vec<&str> = sql.lines().filter(|l| !l.starts_with("--")).collect();
        assert_eq!(runnable, ["SELECT * FROM trips LIMIT 100;", ""]);
        assert!(
            sql.contains("-- SELECT store_and_fwd_flag, count(*) AS n FROM trips GROUP BY store_and_fwd_flag ORDER BY n DESC;"),
            "{sql}"
        );
    }

    #[test]
    fn a_partition_column_comes_first_and_odd_names_are_quoted() {
        let t = table("Yellow Trips", &[("note", "STRING")], &["month"]);
        let sql = starter_sql(&t);
        assert!(
            sql.contains("SELECT * FROM \"Yellow Trips\" LIMIT 100;"),
            "{sql}"
        );
        assert!(sql.contains("GROUP BY month"), "{sql}");
    }

    #[test]
    fn no_candidate_means_no_count() {
        let t = table("t", &[("id", "BIGINT"), ("x", "DOUBLE")], &[]);
        assert!(!starter_sql(&t).contains("GROUP BY"));
    }
}
