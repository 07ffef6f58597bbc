//! Completion for the word before the caret: table names, columns, keywords, functions.
//!
//! Ranking: candidates whose name starts with the typed prefix come before those that
//! merely contain it; within that, the order follows what the position usually wants
//! (after FROM/JOIN tables, at a statement's start keywords, elsewhere the columns of
//! the tables the statement mentions), then the name.

use std::collections::HashSet;

use kiln_protocol::TableSummary;

use super::highlight::{Token, TokenKind, tokenize};
use super::{FUNCTIONS, KEYWORDS, quote_ident};

pub const MAX_CANDIDATES: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateKind {
    Table,
    Column,
    Keyword,
    Function,
}

impl CandidateKind {
    pub fn label(self) -> &'static str {
        match self {
            CandidateKind::Table => "table",
            CandidateKind::Column => "column",
            CandidateKind::Keyword => "keyword",
            CandidateKind::Function => "function",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// What the list shows.
    pub label: String,
    /// What replaces the typed prefix (quoted or case-adjusted as needed).
    pub insert: String,
    pub kind: CandidateKind,
    /// A hint shown beside the label: a column's type and tables, a table's format.
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Byte range of the text the chosen candidate replaces (the typed prefix).
    pub start: usize,
    pub end: usize,
    pub candidates: Vec<Candidate>,
}

/// `explicit` is a request by the user (Ctrl+Space): then an empty prefix is fine.
/// While typing, nothing is offered for an empty prefix or a word already complete.
pub fn complete(
    text: &str,
    caret: usize,
    tables: &[TableSummary],
    explicit: bool,
) -> Option<Completion> {
    let mut caret = caret.min(text.len());
    while !text.is_char_boundary(caret) {
        caret -= 1;
    }
    let tokens = tokenize(text);
    let word = word_at(text, &tokens, caret, explicit)?;
    let significant: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.end <= word.start && !is_trivia(t))
        .collect();

    let mentioned = mentioned_tables(text, &tokens, word.start, tables);
    let mut pool = Vec::new();
    if let Some(qualifier) = qualifier(text, &significant, word.start) {
        // After `x.` only the columns of x make sense; an unknown x could be an alias
        // we failed to resolve, so fall back to every column.
        let table = resolve(text, &tokens, &qualifier, tables);
        let scope: Vec<&TableSummary> = match table {
            Some(t) => vec![t],
            None => tables.iter().collect(),
        };
        push_columns(&mut pool, &scope, &HashSet::new(), 0, 0, word.quoted);
    } else {
        let context = context(text, &significant);
        let ranks = context.ranks();
        for table in tables {
            pool.push(Ranked {
                tier: ranks.table,
                candidate: Candidate {
                    label: table.name.clone(),
                    insert: ident_insert(&table.name, word.quoted),
                    kind: CandidateKind::Table,
                    detail: table_detail(table),
                },
            });
        }
        let all: Vec<&TableSummary> = tables.iter().collect();
        // With no table named yet (a select list written first), every column is fair game.
        let other_tier = if mentioned.is_empty() {
            ranks.mentioned_column
        } else {
            ranks.other_column
        };
        push_columns(
            &mut pool,
            &all,
            &mentioned,
            ranks.mentioned_column,
            other_tier,
            word.quoted,
        );
        if !word.quoted {
            let lower = word.prefix.chars().any(char::is_lowercase)
                && !word.prefix.chars().any(char::is_uppercase);
            let upper = word.prefix.chars().any(char::is_uppercase)
                && !word.prefix.chars().any(char::is_lowercase);
            for kw in KEYWORDS {
                pool.push(Ranked {
                    tier: ranks.keyword,
                    candidate: Candidate {
                        label: kw.to_string(),
                        insert: if lower {
                            kw.to_ascii_lowercase()
                        } else {
                            kw.to_string()
                        },
                        kind: CandidateKind::Keyword,
                        detail: String::new(),
                    },
                });
            }
            for f in FUNCTIONS {
                pool.push(Ranked {
                    tier: ranks.function,
                    candidate: Candidate {
                        label: f.to_string(),
                        insert: if upper {
                            f.to_ascii_uppercase()
                        } else {
                            f.to_string()
                        },
                        kind: CandidateKind::Function,
                        detail: String::new(),
                    },
                });
            }
        }
    }

    let prefix = word.prefix.to_lowercase();
    let mut exact = false;
    let mut scored: Vec<(u8, u8, String, Candidate)> = Vec::new();
    let mut seen = HashSet::new();
    for Ranked { tier, candidate } in pool {
        let name = candidate.label.to_lowercase();
        if name == prefix {
            exact = true;
            continue;
        }
        let class = if name.starts_with(&prefix) {
            0
        } else if prefix.chars().count() >= 2 && name.contains(&prefix) {
            1
        } else {
            continue;
        };
        scored.push((class, tier, name, candidate));
    }
    // A word typed out in full is done; a popup now would make Enter replace it.
    if exact && !explicit {
        return None;
    }
    scored.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    let candidates: Vec<Candidate> = scored
        .into_iter()
        .filter(|(_, _, name, c)| seen.insert((name.clone(), c.kind == CandidateKind::Column)))
        .map(|(_, _, _, c)| c)
        .take(MAX_CANDIDATES)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    Some(Completion {
        start: word.start,
        end: caret,
        candidates,
    })
}

struct Ranked {
    tier: u8,
    candidate: Candidate,
}

struct Word<'a> {
    start: usize,
    /// The typed text, without the opening quote of a quoted identifier.
    prefix: std::borrow::Cow<'a, str>,
    quoted: bool,
}

fn is_trivia(t: &Token) -> bool {
    matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment)
}

fn word_at<'a>(text: &'a str, tokens: &[Token], caret: usize, explicit: bool) -> Option<Word<'a>> {
    let empty = Word {
        start: caret,
        prefix: "".into(),
        quoted: false,
    };
    let Some(token) = tokens.iter().find(|t| t.start < caret && caret <= t.end) else {
        return explicit.then_some(empty);
    };
    match token.kind {
        TokenKind::Identifier | TokenKind::Keyword => {
            let next_is_word = text[caret..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            // In the middle of a word the prefix is ambiguous; leave it alone.
            (!next_is_word).then(|| Word {
                start: token.start,
                prefix: text[token.start..caret].into(),
                quoted: false,
            })
        }
        TokenKind::QuotedIdentifier if text[token.start..].starts_with('"') => {
            open_quoted(&text[token.start..caret]).map(|inner| Word {
                start: token.start,
                prefix: inner.into(),
                quoted: true,
            })
        }
        TokenKind::Punctuation | TokenKind::Operator | TokenKind::Whitespace
            if caret == token.end && (explicit || token.text(text) == ".") =>
        {
            Some(empty)
        }
        _ => None,
    }
}

/// The unescaped content of a quoted identifier that is still open at its end.
fn open_quoted(s: &str) -> Option<String> {
    let mut inner = String::new();
    let mut chars = s.chars().skip(1).peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                inner.push('"');
            } else {
                return None;
            }
        } else {
            inner.push(c);
        }
    }
    Some(inner)
}

/// A name as written: quoted names match exactly, bare ones ignoring case (DataFusion
/// folds them to lower case, but being lenient here costs nothing).
#[derive(Debug)]
struct Name {
    text: String,
    quoted: bool,
}

impl Name {
    fn of(text: &str, token: &Token) -> Option<Name> {
        match token.kind {
            TokenKind::Identifier | TokenKind::Keyword => Some(Name {
                text: token.text(text).to_string(),
                quoted: false,
            }),
            TokenKind::QuotedIdentifier => {
                let raw = token.text(text);
                let inner = raw.get(1..raw.len().saturating_sub(1))?;
                Some(Name {
                    text: inner.replace("\"\"", "\""),
                    quoted: true,
                })
            }
            _ => None,
        }
    }

    fn matches(&self, name: &str) -> bool {
        if self.quoted {
            self.text == name
        } else {
            self.text.eq_ignore_ascii_case(name)
        }
    }
}

/// `x` in `x.prefix`, when the dot directly precedes the word.
fn qualifier(text: &str, before: &[&Token], word_start: usize) -> Option<Name> {
    let [.., q, dot] = before else {
        return None;
    };
    if dot.text(text) != "." || dot.end != word_start || q.end != dot.start {
        return None;
    }
    Name::of(text, q)
}

/// A table by name, or by an alias given in the text (`FROM yellow y`, `JOIN zones AS z`).
fn resolve<'t>(
    text: &str,
    tokens: &[Token],
    q: &Name,
    tables: &'t [TableSummary],
) -> Option<&'t TableSummary> {
    if let Some(t) = tables.iter().find(|t| q.matches(&t.name)) {
        return Some(t);
    }
    let significant: Vec<&Token> = tokens.iter().filter(|t| !is_trivia(t)).collect();
    significant.iter().enumerate().find_map(|(i, tok)| {
        let table = tables
            .iter()
            .find(|t| Name::of(text, tok).is_some_and(|n| n.matches(&t.name)))?;
        let mut alias = significant.get(i + 1)?;
        if alias.text(text).eq_ignore_ascii_case("AS") {
            alias = significant.get(i + 2)?;
        } else if alias.kind == TokenKind::Keyword {
            return None;
        }
        Name::of(text, alias)
            .is_some_and(|a| a.quoted == q.quoted && a.matches(&q.text))
            .then_some(table)
    })
}

fn mentioned_tables(
    text: &str,
    tokens: &[Token],
    word_start: usize,
    tables: &[TableSummary],
) -> HashSet<String> {
    tokens
        .iter()
        .filter(|t| t.start != word_start)
        .filter_map(|t| Name::of(text, t))
        .filter_map(|n| tables.iter().find(|t| n.matches(&t.name)))
        .map(|t| t.name.clone())
        .collect()
}

#[derive(Debug, PartialEq)]
enum Context {
    StatementStart,
    TableName,
    Expression,
}

struct Ranks {
    table: u8,
    mentioned_column: u8,
    keyword: u8,
    function: u8,
    other_column: u8,
}

impl Context {
    fn ranks(&self) -> Ranks {
        let [table, mentioned_column, keyword, function, other_column] = match self {
            Context::StatementStart => [1, 3, 0, 2, 4],
            Context::TableName => [0, 1, 2, 3, 4],
            Context::Expression => [1, 0, 2, 3, 4],
        };
        Ranks {
            table,
            mentioned_column,
            keyword,
            function,
            other_column,
        }
    }
}

fn context(text: &str, before: &[&Token]) -> Context {
    match before.last() {
        None => return Context::StatementStart,
        Some(t) if t.text(text) == ";" => return Context::StatementStart,
        _ => {}
    }
    const TABLE_CLAUSES: &[&str] = &["FROM", "JOIN", "INTO", "UPDATE", "TABLE", "DESCRIBE"];
    const OTHER_CLAUSES: &[&str] = &[
        "SELECT", "WHERE", "GROUP", "ORDER", "HAVING", "ON", "BY", "LIMIT", "OFFSET", "SET",
        "USING", "WITH", "QUALIFY", "WINDOW", "UNION", "VALUES", "CASE", "WHEN", "THEN",
    ];
    for t in before.iter().rev() {
        if t.text(text) == ";" {
            break;
        }
        if t.kind != TokenKind::Keyword {
            continue;
        }
        let kw = t.text(text).to_ascii_uppercase();
        if TABLE_CLAUSES.contains(&kw.as_str()) {
            return Context::TableName;
        }
        if OTHER_CLAUSES.contains(&kw.as_str()) {
            return Context::Expression;
        }
    }
    Context::Expression
}

fn push_columns(
    pool: &mut Vec<Ranked>,
    tables: &[&TableSummary],
    mentioned: &HashSet<String>,
    mentioned_tier: u8,
    other_tier: u8,
    quoted: bool,
) {
    // One candidate per column name, listing every table that has it.
    let mut merged: Vec<(String, Vec<String>, String, bool)> = Vec::new();
    for table in tables {
        for field in &table.schema {
            let is_mentioned = mentioned.contains(&table.name);
            match merged.iter_mut().find(|m| m.0 == field.name) {
                Some(m) => {
                    m.1.push(table.name.clone());
                    m.3 |= is_mentioned;
                }
                None => merged.push((
                    field.name.clone(),
                    vec![table.name.clone()],
                    field.shown_type().to_string(),
                    is_mentioned,
                )),
            }
        }
    }
    for (name, in_tables, data_type, is_mentioned) in merged {
        pool.push(Ranked {
            tier: if is_mentioned {
                mentioned_tier
            } else {
                other_tier
            },
            candidate: Candidate {
                insert: ident_insert(&name, quoted),
                label: name,
                kind: CandidateKind::Column,
                detail: format!("{data_type} · {}", in_tables.join(", ")),
            },
        });
    }
}

fn ident_insert(name: &str, quoted: bool) -> String {
    if quoted {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        quote_ident(name)
    }
}

fn table_detail(table: &TableSummary) -> String {
    let format = table.format.label();
    match table.files.len() {
        1 => format.to_string(),
        n => format!("{format} · {n} files"),
    }
}

#[cfg(test)]
mod tests {
    use kiln_protocol::{FieldSummary, FileFormat};

    use super::*;

    fn table(name: &str, columns: &[&str]) -> TableSummary {
        TableSummary {
            name: name.into(),
            format: FileFormat::Parquet,
            schema: columns
                .iter()
                .map(|c| FieldSummary {
                    name: c.to_string(),
                    data_type: "Int64".into(),
                    sql_type: "BIGINT".into(),
                    nullable: true,
                })
                .collect(),
            partition_columns: vec![],
            files: vec![],
            root: name.into(),
            is_folder: false,
        }
    }

    fn catalog() -> Vec<TableSummary> {
        vec![
            table("yellow", &["fare_amount", "tip_amount", "pickup_zone"]),
            table("green", &["fare_amount", "trip_type", "green_only"]),
            table("zones", &["zone_id", "Zone Name", "borough"]),
        ]
    }

    /// Completes at the `|` in `src`.
    fn at(src: &str) -> Option<Completion> {
        let caret = src.find('|').expect("test text has a caret");
        let text = src.replace('|', "");
        complete(&text, caret, &catalog(), false)
    }

    fn labels(c: &Option<Completion>) -> Vec<&str> {
        c.as_ref()
            .map(|c| c.candidates.iter().map(|c| c.label.as_str()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn tables_come_first_after_from() {
        let c = at("SELECT * FROM ye|");
        assert_eq!(labels(&c), vec!["yellow"]);
        let c = c.expect("completion");
        assert_eq!((c.start, c.end), (14, 16));
        assert_eq!(c.candidates[0].kind, CandidateKind::Table);
    }

    #[test]
    fn columns_of_mentioned_tables_rank_before_other_columns() {
        let c = at("SELECT p| FROM yellow");
        assert_eq!(labels(&c)[0], "pickup_zone");
        // green_only belongs to a table the statement does not mention, so it goes last.
        let c = at("SELECT g| FROM yellow");
        assert_eq!(labels(&c), ["green", "GROUP", "greatest", "green_only"]);
        // With no table mentioned yet, every column counts as relevant.
        let c = at("SELECT gr|");
        assert_eq!(labels(&c), ["green_only", "green", "GROUP", "greatest"]);
        let c = at("SELECT tr| FROM green");
        assert_eq!(labels(&c)[0], "trip_type");
    }

    #[test]
    fn prefix_matches_beat_substring_matches() {
        let c = at("SELECT amo| FROM yellow");
        // No name starts with `amo`; the contained ones still show, mentioned first.
        assert_eq!(labels(&c), vec!["fare_amount", "tip_amount"]);
        let c = at("SELECT zo| FROM zones");
        assert_eq!(labels(&c)[..3], ["Zone Name", "zone_id", "zones"]);
        assert!(
            labels(&c).contains(&"pickup_zone"),
            "substring match listed later"
        );
        let pos_zone = labels(&c).iter().position(|l| *l == "pickup_zone");
        let pos_zones = labels(&c).iter().position(|l| *l == "zones");
        assert!(
            pos_zones < pos_zone,
            "prefix match `zones` before substring match"
        );
    }

    #[test]
    fn duplicate_column_names_merge_into_one_candidate() {
        let c = at("SELECT fare| FROM green").expect("completion");
        let fares: Vec<_> = c
            .candidates
            .iter()
            .filter(|c| c.label == "fare_amount")
            .collect();
        assert_eq!(fares.len(), 1);
        assert_eq!(fares[0].detail, "BIGINT · yellow, green");
    }

    #[test]
    fn keywords_follow_the_case_typed_and_lead_at_statement_start() {
        let c = at("sel|");
        assert_eq!(
            c.as_ref().map(|c| c.candidates[0].insert.as_str()),
            Some("select")
        );
        let c = at("SEL|");
        assert_eq!(
            c.as_ref().map(|c| c.candidates[0].insert.as_str()),
            Some("SELECT")
        );
        let c = at("SELECT 1; gr|");
        assert_eq!(labels(&c), ["GROUP", "green", "greatest", "green_only"]);
    }

    #[test]
    fn qualified_names_complete_that_tables_columns_also_through_aliases() {
        assert_eq!(
            labels(&at("SELECT y.| FROM yellow y")),
            vec!["fare_amount", "pickup_zone", "tip_amount"]
        );
        assert_eq!(labels(&at("SELECT z.b| FROM zones AS z")), vec!["borough"]);
        assert_eq!(labels(&at("SELECT green.t| FROM green")), vec!["trip_type"]);
    }

    #[test]
    fn names_that_need_quotes_are_inserted_quoted() {
        let c = at("SELECT Zone| FROM zones").expect("completion");
        let zone_name = c.candidates.iter().find(|c| c.label == "Zone Name");
        assert_eq!(zone_name.map(|c| c.insert.as_str()), Some("\"Zone Name\""));
        let c = at("SELECT \"Zo| FROM zones").expect("completion");
        assert_eq!(c.start, 7);
        assert_eq!(c.candidates[0].insert, "\"Zone Name\"");
        assert_eq!(c.candidates[1].insert, "\"zone_id\"");
    }

    #[test]
    fn nothing_is_offered_inside_strings_comments_or_mid_word() {
        assert_eq!(at("SELECT 'ye|"), None);
        assert_eq!(at("SELECT 1 -- ye|"), None);
        assert_eq!(at("SELECT fa|re_amount FROM yellow"), None);
        assert_eq!(at("SELECT 1.|"), None);
        assert_eq!(at("SELECT |"), None, "empty prefix while typing");
    }

    #[test]
    fn a_word_typed_in_full_closes_the_popup_unless_asked() {
        assert_eq!(at("SELECT * FROM yellow|"), None);
        let text = "SELECT * FROM zones";
        let c = complete(text, text.len(), &catalog(), true);
        assert_eq!(labels(&c), Vec::<&str>::new());
        let text = "SELECT * FROM ";
        let c = complete(text, text.len(), &catalog(), true);
        assert_eq!(labels(&c)[..3], ["green", "yellow", "zones"]);
    }
}
