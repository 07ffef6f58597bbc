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

/// SQL's quoting of a name and a text, for any crate that spells SQL from values.
pub use column::{quote_ident, quote_str};
pub use interpreter::Interpreter;

/// A PySpark call Kiln cannot run, and where it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct PySparkError {
    /// 1-based line of the statement or call.
    pub line: usize,
    pub message: String,
}

/// A `repartition(n)` or `coalesce(n)` a DataFrame went through: a write then makes
/// `n` files (repartition, a shuffle), or at most `n` (coalesce, tasks merged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioning {
    Repartition(usize),
    Coalesce(usize),
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
        /// `coalesce(n)` / `repartition(n)` before the write: how many files.
        files: Option<Partitioning>,
    },
}

/// Whether a path is read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathUse {
    Read,
    Write,
}

/// A path as the program spells it in a read or write call.
#[derive(Debug, Clone, PartialEq)]
pub struct PathSite {
    /// Byte range of the expression in the program text (a string literal's quotes
    /// included).
    pub start: usize,
    pub end: usize,
    /// The path, when the expression is a string literal.
    pub path: Option<String>,
    pub use_: PathUse,
    pub line: usize,
}

/// The program with each literal path replaced by `replace(site, path)` (Python code,
/// e.g. `inp("yellow")`); paths that are not literals stay as written and are listed.
pub fn rewrite_paths(
    source: &str,
    sites: &[PathSite],
    replace: &dyn Fn(&PathSite, &str) -> String,
) -> (String, Vec<usize>) {
    let mut sorted: Vec<&PathSite> = sites.iter().collect();
    sorted.sort_by_key(|s| s.start);
    sorted.dedup_by_key(|s| s.start);
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    let mut left_alone = Vec::new();
    for site in sorted {
        let Some(path) = &site.path else {
            left_alone.push(site.line);
            continue;
        };
        if site.start < at || site.end > source.len() {
            continue;
        }
        out.push_str(&source[at..site.start]);
        out.push_str(&replace(site, path));
        at = site.end;
    }
    out.push_str(&source[at..]);
    (out, left_alone)
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
