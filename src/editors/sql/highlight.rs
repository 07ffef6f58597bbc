//! A small SQL lexer for highlighting and completion. It never fails: the editor holds
//! half-typed text, so an unterminated string, quoted identifier or comment simply runs
//! to the end of the input, and an unknown character becomes a one-char token.
//! Tokens cover the input exactly, in order, with no gaps.

use super::is_keyword;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Keyword,
    Identifier,
    QuotedIdentifier,
    String,
    Number,
    Comment,
    Operator,
    Punctuation,
    Whitespace,
}

impl TokenKind {
    /// The CSS class the editor gives this kind of token.
    pub fn css_class(self) -> &'static str {
        match self {
            TokenKind::Keyword => "tok-keyword",
            TokenKind::Identifier => "tok-ident",
            TokenKind::QuotedIdentifier => "tok-quoted",
            TokenKind::String => "tok-string",
            TokenKind::Number => "tok-number",
            TokenKind::Comment => "tok-comment",
            TokenKind::Operator => "tok-operator",
            TokenKind::Punctuation => "tok-punct",
            TokenKind::Whitespace => "tok-ws",
        }
    }
}

/// A token as a byte range of the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start..self.end).unwrap_or("")
    }
}

/// Longest first, so `->>` wins over `->` and `<=` over `<`.
const MULTI_CHAR_OPERATORS: &[&str] = &[
    "->>", "!~*", "<=>", "->", "<=", ">=", "<>", "!=", "==", "||", "::", "=>", "<<", ">>", "~~",
    "!~", "~*", "@>", "<@", "&&",
];
const OPERATOR_CHARS: &str = "+-*/%=<>!|&^~@#?:";
const PUNCTUATION_CHARS: &str = "(),;.[]{}";

pub fn tokenize(src: &str) -> Vec<Token> {
    let mut lexer = Lexer { src, pos: 0 };
    let mut tokens = Vec::new();
    while lexer.pos < src.len() {
        let start = lexer.pos;
        let kind = lexer.next_kind();
        // Every branch consumes at least one char; this guards the loop if one ever didn't.
        if lexer.pos == start {
            lexer.bump();
        }
        tokens.push(Token {
            kind,
            start,
            end: lexer.pos,
        });
    }
    tokens
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_nth(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat_while(&mut self, f: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&f) {
            self.bump();
        }
    }

    fn next_kind(&mut self) -> TokenKind {
        let Some(c) = self.peek() else {
            return TokenKind::Whitespace;
        };
        let next = self.peek_nth(1);
        if c.is_whitespace() {
            self.eat_while(char::is_whitespace);
            TokenKind::Whitespace
        } else if self.rest().starts_with("--") {
            self.eat_while(|c| c != '\n');
            TokenKind::Comment
        } else if self.rest().starts_with("/*") {
            self.block_comment();
            TokenKind::Comment
        } else if c == '\'' {
            self.bump();
            self.quoted('\'', false);
            TokenKind::String
        } else if matches!(c, 'E' | 'e') && next == Some('\'') {
            self.pos += 2;
            self.quoted('\'', true);
            TokenKind::String
        } else if matches!(c, 'X' | 'x' | 'B' | 'b' | 'N' | 'n' | 'R' | 'r') && next == Some('\'') {
            self.pos += 2;
            self.quoted('\'', false);
            TokenKind::String
        } else if c == '"' || c == '`' {
            self.bump();
            self.quoted(c, false);
            TokenKind::QuotedIdentifier
        } else if c == '$' && self.dollar_quoted() {
            TokenKind::String
        } else if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            self.number();
            TokenKind::Number
        } else if c.is_alphabetic() || c == '_' {
            let start = self.pos;
            self.eat_while(|c| c.is_alphanumeric() || c == '_' || c == '$');
            if is_keyword(&self.src[start..self.pos]) {
                TokenKind::Keyword
            } else {
                TokenKind::Identifier
            }
        } else if PUNCTUATION_CHARS.contains(c) {
            self.bump();
            TokenKind::Punctuation
        } else if let Some(op) = MULTI_CHAR_OPERATORS
            .iter()
            .find(|op| self.rest().starts_with(**op))
        {
            self.pos += op.len();
            TokenKind::Operator
        } else if OPERATOR_CHARS.contains(c) || c == '$' {
            self.bump();
            TokenKind::Operator
        } else {
            self.bump();
            TokenKind::Punctuation
        }
    }

    /// Block comments nest, as in PostgreSQL and DataFusion's parser.
    fn block_comment(&mut self) {
        self.pos += 2;
        let mut depth = 1;
        while depth > 0 && self.pos < self.src.len() {
            if self.rest().starts_with("/*") {
                self.pos += 2;
                depth += 1;
            } else if self.rest().starts_with("*/") {
                self.pos += 2;
                depth -= 1;
            } else {
                self.bump();
            }
        }
    }

    /// After the opening quote: up to and including the closing one, where a doubled
    /// quote is an escaped quote (and, in `E'...'` strings, a backslash escapes too).
    fn quoted(&mut self, quote: char, backslash_escapes: bool) {
        while let Some(c) = self.bump() {
            if backslash_escapes && c == '\\' {
                self.bump();
            } else if c == quote {
                if self.peek() == Some(quote) {
                    self.bump();
                } else {
                    return;
                }
            }
        }
    }

    /// `$$...$$` or `$tag$...$tag$`; false (consuming nothing) for anything else, such as
    /// a `$1` placeholder.
    fn dollar_quoted(&mut self) -> bool {
        let rest = self.rest();
        let Some(tag_len) = rest[1..].find('$') else {
            return false;
        };
        let tag = &rest[..tag_len + 2];
        let tag_ok = tag[1..tag.len() - 1]
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_alphabetic() || (i > 0 && c.is_alphanumeric()));
        if !tag_ok {
            return false;
        }
        let body_start = self.pos + tag.len();
        self.pos = match self.src[body_start..].find(tag) {
            Some(i) => body_start + i + tag.len(),
            None => self.src.len(),
        };
        true
    }

    fn number(&mut self) {
        if (self.rest().starts_with("0x") || self.rest().starts_with("0X"))
            && self.peek_nth(2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            self.pos += 2;
            self.eat_while(|c| c.is_ascii_hexdigit());
            return;
        }
        self.eat_while(|c| c.is_ascii_digit());
        // `1.` is a number, but `1..2` is not a decimal; keep the second dot out.
        if self.peek() == Some('.') && self.peek_nth(1) != Some('.') {
            self.bump();
            self.eat_while(|c| c.is_ascii_digit());
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let signed = matches!(self.peek_nth(1), Some('+' | '-'));
            let digit_at = if signed { 2 } else { 1 };
            if self.peek_nth(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += digit_at;
                self.eat_while(|c| c.is_ascii_digit());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TokenKind::*;
    use super::*;

    fn lex(src: &str) -> Vec<(TokenKind, &str)> {
        tokenize(src)
            .into_iter()
            .map(|t| (t.kind, t.text(src)))
            .filter(|(k, _)| *k != Whitespace)
            .collect()
    }

    #[test]
    fn tricky_statement() {
        let sql =
            r#"SELECT "Fare ""x""", e'it\'s', 'a''b', 1.5e-3, .5, t.col>=0x1F FROM "t" -- done"#;
        assert_eq!(
            lex(sql),
            vec![
                (Keyword, "SELECT"),
                (QuotedIdentifier, r#""Fare ""x""""#),
                (Punctuation, ","),
                (String, r"e'it\'s'"),
                (Punctuation, ","),
                (String, "'a''b'"),
                (Punctuation, ","),
                (Number, "1.5e-3"),
                (Punctuation, ","),
                (Number, ".5"),
                (Punctuation, ","),
                (Identifier, "t"),
                (Punctuation, "."),
                (Identifier, "col"),
                (Operator, ">="),
                (Number, "0x1F"),
                (Keyword, "FROM"),
                (QuotedIdentifier, "\"t\""),
                (Comment, "-- done"),
            ]
        );
    }

    #[test]
    fn unterminated_constructs_run_to_the_end() {
        assert_eq!(
            lex("SELECT 'abc"),
            vec![(Keyword, "SELECT"), (String, "'abc")]
        );
        assert_eq!(
            lex("SELECT \"col"),
            vec![(Keyword, "SELECT"), (QuotedIdentifier, "\"col")]
        );
        assert_eq!(
            lex("1 /* open\n more"),
            vec![(Number, "1"), (Comment, "/* open\n more")]
        );
        assert_eq!(
            lex("x = $$ body"),
            vec![(Identifier, "x"), (Operator, "="), (String, "$$ body")]
        );
        assert_eq!(lex("'it''"), vec![(String, "'it''")]);
    }

    #[test]
    fn block_comments_nest() {
        assert_eq!(
            lex("/* a /* b */ still comment */ x"),
            vec![
                (Comment, "/* a /* b */ still comment */"),
                (Identifier, "x")
            ]
        );
    }

    #[test]
    fn line_comment_stops_at_newline() {
        let tokens = tokenize("-- c\nSELECT");
        assert_eq!(tokens[0].kind, Comment);
        assert_eq!(tokens[0].text("-- c\nSELECT"), "-- c");
        assert_eq!(tokens[1].kind, Whitespace);
        assert_eq!(tokens[2].kind, Keyword);
    }

    #[test]
    fn operators_take_the_longest_match() {
        assert_eq!(
            lex("a->>'k' <> b::int || c"),
            vec![
                (Identifier, "a"),
                (Operator, "->>"),
                (String, "'k'"),
                (Operator, "<>"),
                (Identifier, "b"),
                (Operator, "::"),
                (Keyword, "int"),
                (Operator, "||"),
                (Identifier, "c"),
            ]
        );
    }

    #[test]
    fn placeholders_and_odd_characters_do_not_stop_the_lexer() {
        assert_eq!(lex("$1"), vec![(Operator, "$"), (Number, "1")]);
        assert_eq!(
            lex("a § b"),
            vec![(Identifier, "a"), (Punctuation, "§"), (Identifier, "b")]
        );
    }

    #[test]
    fn keywords_are_case_insensitive_and_words_are_unicode() {
        assert_eq!(
            lex("select größe from Täbelle"),
            vec![
                (Keyword, "select"),
                (Identifier, "größe"),
                (Keyword, "from"),
                (Identifier, "Täbelle"),
            ]
        );
    }

    #[test]
    fn tokens_cover_the_input_exactly() {
        for src in [
            "",
            "SELECT 1",
            "é'😀",
            "/*/*",
            "\"a\"\"",
            "e'\\",
            "$tag$ x $ta",
            "1e",
            "1.e5 .. 3",
            "x'",
        ] {
            let tokens = tokenize(src);
            let mut at = 0;
            for t in &tokens {
                assert_eq!(t.start, at, "gap in {src:?}");
                assert!(t.end > t.start, "empty token in {src:?}");
                at = t.end;
            }
            assert_eq!(at, src.len(), "tokens of {src:?} stop early");
        }
    }
}
