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
            EngineError::DataFusion(e) => strip_prefixes(&e.find_root().to_string()),
            other => other.to_string(),
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
    fn parser_positions_are_found_in_the_message() {
        let span = parse_line_column(
            "SQL error: ParserError(\"Expected: end of statement, found: frm at Line: 2, Column: 10\")",
        )
        .unwrap();
        assert_eq!((span.line, span.column), (2, 10));
        assert!(parse_line_column("no position here").is_none());
    }
}
