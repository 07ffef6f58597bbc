//! Engine errors, and their translation into what the user is shown.

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use kiln_protocol::{SqlSpan, UserError};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("not a Parquet file: {0}")]
    NotParquet(String),
    #[error("corrupt Parquet file: {0}")]
    CorruptParquet(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("cannot read the file: {0}")]
    Io(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("cannot write the output: {0}")]
    Write(String),
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
}

impl EngineError {
    /// Wraps the error for the user, saying what Kiln was doing (`context`) and, for SQL
    /// errors, where in the statement the problem is.
    pub fn to_user(&self, context: impl Into<String>) -> UserError {
        UserError {
            context: context.into(),
            message: self.message(),
            location: self.location(),
        }
    }

    /// Whether the error came from reading or decoding a file (as opposed to planning or
    /// computing), so that the files involved are worth naming.
    pub fn is_read_error(&self) -> bool {
        match self {
            EngineError::DataFusion(e) => match e.find_root() {
                DataFusionError::ParquetError(_)
                | DataFusionError::ObjectStore(_)
                | DataFusionError::IoError(_)
                | DataFusionError::External(_) => true,
                DataFusionError::ArrowError(e, _) => matches!(
                    e.as_ref(),
                    ArrowError::ParquetError(_)
                        | ArrowError::IoError(..)
                        | ArrowError::ExternalError(_)
                ),
                _ => false,
            },
            EngineError::Parquet(_) | EngineError::Io(_) | EngineError::CorruptParquet(_) => true,
            _ => false,
        }
    }

    fn message(&self) -> String {
        match self {
            // DataFusion wraps errors in layers ("External error: Parquet error: ...");
            // the innermost message is the one that explains.
            EngineError::DataFusion(e) => explain(strip_prefixes(&e.find_root().to_string())),
            other => explain(other.to_string()),
        }
    }

    fn location(&self) -> Option<SqlSpan> {
        let EngineError::DataFusion(e) = self else {
            return None;
        };
        if let Some(span) = e.diagnostic().and_then(|d| d.span) {
            return Some(SqlSpan {
                line: span.start.line,
                column: span.start.column,
                end_line: Some(span.end.line),
                end_column: Some(span.end.column),
            });
        }
        parse_line_column(&e.to_string())
    }
}

/// A "did you mean" for an error naming a table or column that does not exist: the
/// nearest of `tables` for a missing table, of the fields DataFusion lists for a
/// missing column. A name that differs only in case gets the quoting advice, since
/// unquoted SQL names are folded to lower case.
pub fn suggest(message: &str, tables: &[String]) -> Option<String> {
    let (missing, candidates): (String, Vec<String>) =
        if let Some(rest) = message.split("No field named ").nth(1) {
            let name = rest
                .split(|c: char| c == '.' && !rest.starts_with('"') || c.is_whitespace())
                .next()?
                .trim_matches('"')
                .to_string();
            let fields = message.split("Valid fields are ").nth(1)?;
            let fields = fields
                .trim_end_matches('.')
                .split(", ")
                .map(|f| {
                    f.rsplit('.')
                        .next()
                        .unwrap_or(f)
                        .trim_matches('"')
                        .to_string()
                })
                .collect();
            (name, fields)
        } else if let Some(rest) = message.split("table '").nth(1) {
            let qualified = rest.split('\'').next()?;
            let name = qualified.rsplit('.').next()?.to_string();
            (name, tables.to_vec())
        } else {
            return None;
        };
    if let Some(same) = candidates
        .iter()
        .find(|c| c.eq_ignore_ascii_case(&missing) && **c != missing)
    {
        return Some(format!(
            "did you mean \"{same}\"? Unquoted names are folded to lower case, so a name with capitals needs double quotes"
        ));
    }
    let nearest = candidates
        .iter()
        .map(|c| {
            (
                strsim::levenshtein(&c.to_lowercase(), &missing.to_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= (c.len().max(missing.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)?
        .1;
    Some(format!("did you mean `{nearest}`?"))
}

/// A decoder message that says what failed but not why, with the why and a way out.
fn explain(message: String) -> String {
    if message.contains("index overflow decoding byte array") {
        return format!(
            "{message}: a string or binary column inside a list, map or struct holds more than \
             2 GiB in one batch of rows, more than the 32-bit offsets that nested strings are \
             read with can address (apache/arrow-rs#7973; top-level columns are read as views, \
             without this limit). Rewrite the file with smaller row groups to query it"
        );
    }
    if message.starts_with("Resources exhausted") {
        // DataFusion names the operator and the bytes; what to do about it is Kiln's.
        return format!(
            "{message}. The task needed more memory at once than its worker's budget leaves \
             (for one batch, or for what the operator cannot spill): raise the memory budget \
             per worker, or run the job with more partitions so that each task holds less"
        );
    }
    message
}

fn strip_prefixes(message: &str) -> String {
    let mut m = message.trim();
    // Layers can nest in any order ("Parquet error: External: Generic kiln error: ..."),
    // so strip until none is left.
    const PREFIXES: [&str; 8] = [
        "External error: ",
        "Execution error: ",
        "Arrow error: ",
        "Parquet error: ",
        "Parquet argument error: ",
        "External: ",
        "Generic kiln error: ",
        "Object Store error: ",
    ];
    while let Some(rest) = PREFIXES.iter().find_map(|p| m.strip_prefix(p)) {
        m = rest;
    }
    m.to_string()
}

/// The SQL parser reports positions only inside its message text:
/// `... found: x at Line: 1, Column: 15`.
fn parse_line_column(message: &str) -> Option<SqlSpan> {
    let rest = &message[message.rfind("Line: ")? + "Line: ".len()..];
    let (line, rest) = rest.split_once(',')?;
    let rest = rest.trim_start().strip_prefix("Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(SqlSpan {
        line: line.trim().parse().ok()?,
        column: column.parse().ok()?,
        end_line: None,
        end_column: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_names_get_the_nearest_suggested() {
        let column =
            "Schema error: No field named nme. Valid fields are t.id, t.name, t.\"PULocationID\".";
        assert_eq!(
            suggest(column, &[]).as_deref(),
            Some("did you mean `name`?")
        );
        let case =
            "Schema error: No field named pulocationid. Valid fields are t.id, t.\"PULocationID\".";
        assert!(
            suggest(case, &[])
                .unwrap()
                .starts_with("did you mean \"PULocationID\"?")
        );
        let table = "Error during planning: table 'datafusion.public.yelow' not found";
        let tables = ["yellow".to_string(), "green".to_string()];
        assert_eq!(
            suggest(table, &tables).as_deref(),
            Some("did you mean `yellow`?")
        );
        assert_eq!(
            suggest("table 'datafusion.public.xyzzy' not found", &tables),
            None
        );
    }

    #[test]
    fn parser_positions_are_found_in_the_message() {
        let span = parse_line_column(
            "SQL error: ParserError(\"Expected: end of statement, found: frm at Line: 2, Column: 10\")",
        )
        .unwrap();
        assert_eq!((span.line, span.column), (2, 10));
        assert!(parse_line_column("no position here").is_none());
    }
}
