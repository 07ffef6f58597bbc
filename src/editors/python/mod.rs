//! A small Python lexer for the PySpark editor's highlighting. Like the SQL lexer it
//! never fails: half-typed text is the normal case, so an unterminated string runs to
//! the end of its line (or, triple-quoted, of the input). Tokens cover the input
//! exactly, in order, with no gaps; kinds are the SQL lexer's, so the editor paints
//! both languages the same way.

use crate::editors::sql::highlight::{Token, TokenKind};

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

pub fn tokenize(src: &str) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < src.len() {
        let start = pos;
        let c = src[pos..].chars().next().unwrap_or(' ');
        let kind = if c == '#' {
            pos = src[pos..].find('\n').map_or(src.len(), |n| pos + n);
            TokenKind::Comment
        } else if c == '"' || c == '\'' {
            pos = string_end(src, pos, c);
            TokenKind::String
        } else if c.is_ascii_digit() {
            while pos < src.len()
                && (bytes[pos].is_ascii_alphanumeric() || bytes[pos] == b'.' || bytes[pos] == b'_')
            {
                pos += 1;
            }
            TokenKind::Number
        } else if c.is_alphabetic() || c == '_' {
            let end = src[pos..]
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .map_or(src.len(), |n| pos + n);
            let word = &src[pos..end];
            // A string prefix (f"...", r'...', b"...") belongs to the string.
            let next = src[end..].chars().next();
            if word.len() <= 2
                && word.chars().all(|ch| "rRbBfFuU".contains(ch))
                && matches!(next, Some('"' | '\''))
            {
                pos = string_end(src, end, next.unwrap_or('"'));
                TokenKind::String
            } else {
                pos = end;
                if KEYWORDS.contains(&word) {
                    TokenKind::Keyword
                } else {
                    TokenKind::Identifier
                }
            }
        } else if c.is_whitespace() {
            let end = src[pos..]
                .find(|ch: char| !ch.is_whitespace())
                .map_or(src.len(), |n| pos + n);
            pos = end;
            TokenKind::Whitespace
        } else {
            pos += c.len_utf8();
            if "()[]{},;:.".contains(c) {
                TokenKind::Punctuation
            } else {
                TokenKind::Operator
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: pos,
        });
    }
    tokens
}

/// Where the string starting at `start` (its quote `quote`) ends.
fn string_end(src: &str, start: usize, quote: char) -> usize {
    let triple: String = std::iter::repeat_n(quote, 3).collect();
    if src[start..].starts_with(&triple) {
        return src[start + 3..]
            .find(&triple)
            .map_or(src.len(), |n| start + 3 + n + 3);
    }
    let mut escaped = false;
    for (i, ch) in src[start + 1..].char_indices() {
        match ch {
            '\\' if !escaped => escaped = true,
            '\n' => return start + 1 + i,
            c if c == quote && !escaped => return start + 1 + i + 1,
            _ => escaped = false,
        }
    }
    src.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokenKind, &str)> {
        tokenize(src)
            .into_iter()
            .filter(|t| t.kind != TokenKind::Whitespace)
            .map(|t| (t.kind, t.text(src)))
            .collect()
    }

    #[test]
    fn tokens_cover_the_input_and_name_what_they_are() {
        let src = "df = spark.read.parquet(f\"x\\\"y\")  # read\nif None: pass";
        let tokens = tokenize(src);
        assert_eq!(tokens.first().map(|t| t.start), Some(0));
        assert!(tokens.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(tokens.last().map(|t| t.end), Some(src.len()));
        let k = kinds(src);
        assert!(k.contains(&(TokenKind::String, "f\"x\\\"y\"")));
        assert!(k.contains(&(TokenKind::Comment, "# read")));
        assert!(k.contains(&(TokenKind::Keyword, "None")));
        assert!(k.contains(&(TokenKind::Identifier, "spark")));
    }

    #[test]
    fn triple_quoted_strings_span_lines_and_open_ones_run_to_the_end() {
        let k = kinds("q = \"\"\"SELECT\n1\"\"\" + 'open");
        assert!(k.contains(&(TokenKind::String, "\"\"\"SELECT\n1\"\"\"")));
        assert!(k.contains(&(TokenKind::String, "'open")));
    }
}
