//! Turns an error's `SqlSpan` into the offending line plus an underline, the way a
//! compiler points at a mistake.

use kiln_protocol::SqlSpan;

use super::highlight::{TokenKind, tokenize};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked {
    /// 1-based, as the span gives it.
    pub line_number: u64,
    pub line: String,
    /// Spaces (tabs where the line has tabs, so it lines up) and then `^`s.
    pub underline: String,
}

/// `None` when the line is not in the text. A column past the end of the line (where
/// "unexpected end of input" points) is marked just after the line's last char.
/// Columns count chars, 1-based; the end is exclusive.
pub fn mark(sql: &str, span: &SqlSpan) -> Option<Marked> {
    let line_index = usize::try_from(span.line.checked_sub(1)?).ok()?;
    let line = sql.split('\n').nth(line_index)?.trim_end_matches('\r');
    let chars: Vec<char> = line.chars().collect();
    let start = usize::try_from(span.column.saturating_sub(1))
        .unwrap_or(usize::MAX)
        .min(chars.len());
    let end = match (span.end_line, span.end_column) {
        (Some(end_line), Some(end_column)) if end_line == span.line => {
            usize::try_from(end_column.saturating_sub(1)).unwrap_or(usize::MAX)
        }
        // A span that runs onto later lines is underlined to the end of this one.
        (Some(end_line), _) if end_line > span.line => chars.len(),
        _ => token_end(line, start),
    };
    let end = end.clamp(start + 1, chars.len().max(start + 1));
    let mut underline: String = chars[..start]
        .iter()
        .map(|&c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    underline.extend(std::iter::repeat_n('^', end - start));
    Some(Marked {
        line_number: span.line,
        line: line.to_string(),
        underline,
    })
}

/// Without an end, the error is taken to cover the token that starts at the column.
fn token_end(line: &str, start_char: usize) -> usize {
    let start_byte = line
        .char_indices()
        .nth(start_char)
        .map_or(line.len(), |(b, _)| b);
    tokenize(line)
        .into_iter()
        .find(|t| t.start == start_byte && t.kind != TokenKind::Whitespace)
        .map_or(start_char + 1, |t| {
            start_char + line[t.start..t.end].chars().count()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(line: u64, column: u64, end: Option<(u64, u64)>) -> SqlSpan {
        SqlSpan {
            line,
            column,
            end_line: end.map(|e| e.0),
            end_column: end.map(|e| e.1),
        }
    }

    #[test]
    fn underlines_the_given_range() {
        let sql = "SELECT *\nFROM yelow\nLIMIT 5";
        let m = mark(sql, &span(2, 6, Some((2, 11)))).expect("in range");
        assert_eq!(m.line_number, 2);
        assert_eq!(m.line, "FROM yelow");
        assert_eq!(m.underline, "     ^^^^^");
    }

    #[test]
    fn without_an_end_the_token_is_underlined() {
        let m = mark("SELECT fare_amout FROM t", &span(1, 8, None)).expect("in range");
        assert_eq!(m.underline, "       ^^^^^^^^^^");
    }

    #[test]
    fn tabs_and_multibyte_chars_keep_the_underline_aligned() {
        let m = mark("\tWHERE ä = 'x", &span(1, 12, None)).expect("in range");
        assert_eq!(m.underline, "\t          ^^");
        let m = mark("a\r\nb", &span(1, 1, Some((1, 2)))).expect("in range");
        assert_eq!(m.line, "a");
    }

    #[test]
    fn multi_line_spans_run_to_the_end_of_the_first_line() {
        let m = mark("SELECT (a +\n b", &span(1, 8, Some((2, 3)))).expect("in range");
        assert_eq!(m.underline, "       ^^^^");
    }

    #[test]
    fn lines_outside_the_text_are_ignored_and_columns_clamped() {
        assert_eq!(mark("SELECT 1", &span(3, 1, None)), None);
        assert_eq!(mark("SELECT 1", &span(0, 1, None)), None);
        assert_eq!(
            mark("SELECT 1", &span(1, 40, None)).map(|m| m.underline),
            Some("        ^".into())
        );
        // Just past the end of the line is where "unexpected end of input" points.
        assert_eq!(
            mark("SELECT", &span(1, 7, None)).map(|m| m.underline),
            Some("      ^".into())
        );
    }
}
