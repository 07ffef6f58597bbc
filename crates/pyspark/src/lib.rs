//! PySpark DataFrame code run on DataFusion: the program is parsed by a real Python
//! parser (rustpython-parser), then interpreted statement by statement. DataFrame calls
//! become DataFusion `DataFrame` operations; column expressions (`F.col`, `F.when`,
//! arithmetic, comparisons) become SQL expression text that DataFusion parses against
//! the frame's schema, so their semantics are DataFusion's SQL and the same text serves
//! the Spark SQL export. Anything outside the supported subset is an error naming the
//! call and its line.

mod column;
mod functions;
mod interpreter;

use datafusion::prelude::{DataFrame, SessionContext};
use futures::future::LocalBoxFuture;

pub use interpreter::Interpreter;

/// A PySpark call Kiln cannot run, and where it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct PySparkError {
    /// 1-based line of the statement or call.
    pub line: usize,
    pub message: String,
}

/// How `spark.read` wants its files.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRequest {
    /// `parquet`, `csv`, `json`...
    pub format: String,
    pub paths: Vec<String>,
    pub options: Vec<(String, String)>,
}

/// What the program asked to see or write, in order.
#[derive(Debug, Clone)]
pub enum Output {
    /// `df.show(n)`, `df.collect()`, `display(df)`: a frame to show (already limited).
    Frame { line: usize, df: DataFrame },
    /// `df.count()`, `print(...)`, `df.printSchema()`, `df.columns`: text.
    Text { line: usize, text: String },
    /// `df.write.parquet(path, ...)`.
    Write {
        line: usize,
        df: DataFrame,
        path: String,
        format: String,
        mode: String,
        partition_by: Vec<String>,
        /// `coalesce(n)` / `repartition(n)` before the write: the number of files.
        files: Option<usize>,
    },
}

/// Opens the files `spark.read` names as a DataFrame; the host decides what paths mean
/// (local files natively, the picked files in the page).
pub type Reader<'a> = dyn FnMut(ReadRequest) -> LocalBoxFuture<'a, Result<DataFrame, String>> + 'a;

/// Runs `source` against `ctx`, reading files with `read`. Returns what it showed and
/// wrote, and the interpreter (for the frames its variables hold).
pub async fn run<'a>(
    ctx: &SessionContext,
    source: &str,
    read: &'a mut Reader<'a>,
) -> Result<(Vec<Output>, Interpreter), PySparkError> {
    let mut interpreter = Interpreter::new(ctx.clone(), source);
    let outputs = interpreter.run(read).await?;
    Ok((outputs, interpreter))
}
