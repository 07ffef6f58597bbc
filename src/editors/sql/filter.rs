//! A column profile's bar, clicked: its condition over the result, as SQL in the editor.
//! The statement that made the result becomes a subquery (so the filter means exactly
//! "these rows of that result"); a second click narrows the same wrap with `AND`.

use super::highlight::{TokenKind, tokenize};

const WRAP_START: &str = "SELECT * FROM (\n";
const WRAP_END: &str = "\n) AS filtered\nWHERE ";

/// `base` (one statement) restricted to the rows where `condition` holds.
pub fn with_filter(base: &str, condition: &str) -> String {
    let base = statement_text(base);
    if base.starts_with(WRAP_START) && base.contains(WRAP_END) {
        return format!("{base}\n  AND {condition}");
    }
    format!("{WRAP_START}{base}{WRAP_END}{condition}")
}

/// The statement without what may trail it: whitespace, comments and semicolons (a
/// semicolon would end the subquery).
fn statement_text(sql: &str) -> &str {
    let tokens = tokenize(sql);
    let end = tokens
        .iter()
        .rev()
        .find(|t| {
            !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment) && t.text(sql) != ";"
        })
        .map_or(0, |t| t.end);
    let start = tokens
        .iter()
        .find(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .map_or(0, |t| t.start);
    sql.get(start..end.max(start)).unwrap_or(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_the_statement_then_narrows_it() {
        let first = with_filter(
            "-- trips\nSELECT * FROM trips;  -- done\n",
            "\"fare\" >= 10 AND \"fare\" < 20",
        );
        assert_eq!(
            first,
            "SELECT * FROM (\nSELECT * FROM trips\n) AS filtered\nWHERE \"fare\" >= 10 AND \"fare\" < 20"
        );
        let second = with_filter(&first, "\"kind\" = 'a'");
        assert!(
            second.ends_with("\"fare\" < 20\n  AND \"kind\" = 'a'"),
            "{second}"
        );
        assert_eq!(second.matches("AS filtered").count(), 1);
    }

    #[test]
    fn a_comment_inside_stays_and_a_trailing_one_cannot_swallow_the_wrap() {
        let sql = with_filter("SELECT 1 AS x -- one\n", "\"x\" = 1");
        assert_eq!(
            sql,
            "SELECT * FROM (\nSELECT 1 AS x\n) AS filtered\nWHERE \"x\" = 1"
        );
    }
}
