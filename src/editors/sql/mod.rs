//! SQL text helpers for the editor: a tolerant lexer for highlighting, completion, and
//! mapping error spans back onto the text. All pure, so they are tested natively.

pub mod complete;
pub mod filter;
pub mod highlight;
pub mod location;
pub mod starter;

/// Words the lexer marks as keywords and completion offers. Upper case, sorted, so a
/// binary search answers "is this a keyword".
pub const KEYWORDS: &[&str] = &[
    "ALL",
    "ANALYZE",
    "AND",
    "ANTI",
    "ARRAY",
    "AS",
    "ASC",
    "BETWEEN",
    "BIGINT",
    "BOOLEAN",
    "BY",
    "CASE",
    "CAST",
    "COPY",
    "CREATE",
    "CROSS",
    "CURRENT",
    "DATE",
    "DECIMAL",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DOUBLE",
    "DROP",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXISTS",
    "EXPLAIN",
    "EXTERNAL",
    "FALSE",
    "FILTER",
    "FIRST",
    "FLOAT",
    "FOLLOWING",
    "FOR",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "IF",
    "ILIKE",
    "IN",
    "INNER",
    "INSERT",
    "INT",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LAST",
    "LATERAL",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NATURAL",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "PRECEDING",
    "QUALIFY",
    "RANGE",
    "REAL",
    "RECURSIVE",
    "REPLACE",
    "RIGHT",
    "ROW",
    "ROWS",
    "SELECT",
    "SEMI",
    "SET",
    "SHOW",
    "SIMILAR",
    "SMALLINT",
    "TABLE",
    "TABLES",
    "THEN",
    "TIME",
    "TIMESTAMP",
    "TINYINT",
    "TO",
    "TRUE",
    "TRY_CAST",
    "UNBOUNDED",
    "UNION",
    "UNNEST",
    "USING",
    "VALUES",
    "VARCHAR",
    "VERBOSE",
    "VIEW",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Functions offered by completion (DataFusion names, lower case).
pub const FUNCTIONS: &[&str] = &[
    "abs",
    "approx_distinct",
    "approx_median",
    "approx_percentile_cont",
    "array_agg",
    "arrow_typeof",
    "avg",
    "bool_and",
    "bool_or",
    "btrim",
    "ceil",
    "char_length",
    "coalesce",
    "concat",
    "concat_ws",
    "corr",
    "count",
    "cume_dist",
    "current_date",
    "current_timestamp",
    "date_bin",
    "date_part",
    "date_trunc",
    "dense_rank",
    "ends_with",
    "exp",
    "extract",
    "first_value",
    "floor",
    "from_unixtime",
    "greatest",
    "ifnull",
    "lag",
    "last_value",
    "lead",
    "least",
    "length",
    "ln",
    "log10",
    "lower",
    "lpad",
    "ltrim",
    "make_date",
    "max",
    "md5",
    "median",
    "min",
    "now",
    "nth_value",
    "ntile",
    "nullif",
    "nvl",
    "percent_rank",
    "power",
    "random",
    "rank",
    "regexp_like",
    "regexp_match",
    "regexp_replace",
    "repeat",
    "reverse",
    "round",
    "row_number",
    "rpad",
    "rtrim",
    "split_part",
    "sqrt",
    "starts_with",
    "stddev",
    "string_agg",
    "strpos",
    "substr",
    "sum",
    "to_char",
    "to_date",
    "to_timestamp",
    "trim",
    "trunc",
    "upper",
    "var",
];

pub fn is_keyword(word: &str) -> bool {
    // Keywords are ASCII, so a non-ASCII word can skip the allocation and the search.
    word.is_ascii()
        && KEYWORDS
            .binary_search(&word.to_ascii_uppercase().as_str())
            .is_ok()
}

/// True when the text holds nothing to run: only whitespace and comments.
pub fn is_blank(sql: &str) -> bool {
    highlight::tokenize(sql).iter().all(|t| {
        matches!(
            t.kind,
            highlight::TokenKind::Whitespace | highlight::TokenKind::Comment
        )
    })
}

/// The byte offset of a UTF-16 position (what the DOM's `selectionStart` counts),
/// clamped to the text and rounded down to a char boundary.
pub fn utf16_to_byte(text: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (byte, ch) in text.char_indices() {
        if units >= utf16 {
            return byte;
        }
        units += ch.len_utf16() as u32;
        if units > utf16 {
            // The position splits a surrogate pair; the char start is the sane place.
            return byte;
        }
    }
    text.len()
}

/// The UTF-16 position of a byte offset, for `setSelectionRange`.
pub fn byte_to_utf16(text: &str, byte: usize) -> u32 {
    let byte = byte.min(text.len());
    text.char_indices()
        .take_while(|(i, _)| *i < byte)
        .map(|(_, c)| c.len_utf16() as u32)
        .sum()
}

/// 0-based line and column (in chars) of a byte offset.
pub fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let byte = byte.min(text.len());
    let before = text.get(..byte).unwrap_or(text);
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count())
}

/// An identifier as SQL must spell it: bare when DataFusion would read it back
/// unchanged (unquoted names are folded to lower case), double-quoted otherwise.
pub fn quote_ident(name: &str) -> String {
    let mut chars = name.chars();
    let bare = match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c == '_' => {
            chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }
        _ => false,
    };
    if bare && !is_keyword(name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_table_is_sorted_so_binary_search_works() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(FUNCTIONS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_keyword("select"));
        assert!(is_keyword("Where"));
        assert!(!is_keyword("fare_amount"));
        assert!(!is_keyword("sélect"));
    }

    #[test]
    fn blank_sql_is_only_whitespace_and_comments() {
        assert!(is_blank("  \n-- nothing\n/* still nothing */ "));
        assert!(!is_blank("-- a comment\nSELECT 1"));
        assert!(is_blank(""));
    }

    #[test]
    fn utf16_positions_round_trip_through_multibyte_text() {
        let text = "é😀x";
        // é is 1 UTF-16 unit (2 bytes), 😀 is 2 units (4 bytes).
        assert_eq!(utf16_to_byte(text, 0), 0);
        assert_eq!(utf16_to_byte(text, 1), 2);
        assert_eq!(utf16_to_byte(text, 2), 2, "inside the surrogate pair");
        assert_eq!(utf16_to_byte(text, 3), 6);
        assert_eq!(utf16_to_byte(text, 4), 7);
        assert_eq!(utf16_to_byte(text, 99), 7);
        assert_eq!(byte_to_utf16(text, 6), 3);
        assert_eq!(byte_to_utf16(text, 7), 4);
    }

    #[test]
    fn line_col_counts_chars_not_bytes() {
        let text = "SELECT\n  'é', x";
        let x = text.find('x').unwrap_or_default();
        assert_eq!(line_col(text, x), (1, 7));
        assert_eq!(line_col(text, 0), (0, 0));
    }

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(quote_ident("fare_amount"), "fare_amount");
        assert_eq!(quote_ident("Fare Amount"), "\"Fare Amount\"");
        assert_eq!(quote_ident("VendorID"), "\"VendorID\"");
        assert_eq!(quote_ident("order"), "\"order\"");
        assert_eq!(quote_ident("2col"), "\"2col\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
