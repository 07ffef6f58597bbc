use serde::{Deserialize, Serialize};

/// A window of a query result, already formatted as text for display.
/// `None` is SQL NULL, which the UI must show differently from an empty string.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultPage {
    pub offset: u64,
    pub rows: Vec<Vec<Option<String>>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultSummary {
    pub columns: Vec<FieldSummaryRef>,
    pub total_rows: u64,
    pub elapsed_ms: f64,
}

/// A result column: name, Arrow type and SQL type as text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldSummaryRef {
    pub name: String,
    pub data_type: String,
    /// As `FieldSummary::sql_type`.
    #[serde(default)]
    pub sql_type: String,
}

impl FieldSummaryRef {
    /// As `FieldSummary::shown_type`.
    pub fn shown_type(&self) -> &str {
        crate::catalog::shown_type(&self.sql_type, &self.data_type)
    }
}

/// An error for the user: what went wrong and, for SQL, where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserError {
    /// What failed, in the user's terms: "reading yellow.parquet", "planning the query".
    pub context: String,
    /// The underlying message, e.g. DataFusion's.
    pub message: String,
    /// 1-based position in the SQL text, when the error points at one.
    pub location: Option<SqlSpan>,
}

impl UserError {
    /// Whether a task asked for more memory than its worker's budget leaves. Under the
    /// same budget every attempt asks for the same and fails the same way, so the
    /// scheduler does not retry it (as it retries a crash or a flaky read). Matched on
    /// DataFusion's `ResourcesExhausted` text, which every path carries unchanged.
    pub fn is_over_memory_budget(&self) -> bool {
        self.message.contains("Resources exhausted:")
    }
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.context, self.message)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlSpan {
    pub line: u64,
    pub column: u64,
    /// End of the span (exclusive), on the same or a later line, when known.
    pub end_line: Option<u64>,
    pub end_column: Option<u64>,
}
