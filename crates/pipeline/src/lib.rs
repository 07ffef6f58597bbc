//! A visual DataFrame pipeline: the list of steps the page's pipeline builder edits, and
//! the PySpark program it stands for. The program is the pipeline's one meaning: the
//! page runs it with the same interpreter as PySpark text (so a pipeline gets the same
//! plans, stages and progress as any job), and the Spark export is that program too.
//!
//! Every step's output is a variable of its own (`df0`, `df1`, ...), so the page can show
//! any step's schema and a preview of its rows by asking for that variable.

use serde::{Deserialize, Serialize};

pub mod python;

use python::{py_list, py_str};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Step {
    /// A table of the catalog (`spark.table(name)`); only as the first step.
    Read {
        table: String,
    },
    Select {
        columns: Vec<String>,
    },
    Filter {
        condition: Condition,
    },
    /// A new (or replaced) column from a SQL expression (`F.expr`).
    WithColumn {
        name: String,
        expr: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Drop {
        columns: Vec<String>,
    },
    GroupBy {
        keys: Vec<String>,
        aggs: Vec<Agg>,
    },
    /// A join with another table of the catalog, on pairs of key columns; a right key
    /// named differently is renamed to the left one, so the keys come out once.
    Join {
        table: String,
        left_on: Vec<String>,
        right_on: Vec<String>,
        how: JoinHow,
    },
    OrderBy {
        keys: Vec<SortKey>,
    },
    Limit {
        n: u64,
    },
    Distinct,
    /// `unionByName` with another table of the catalog.
    Union {
        table: String,
    },
    Window {
        function: WindowFunction,
        /// The column `lag`/`lead` read; unused by the ranking functions.
        column: Option<String>,
        partition_by: Vec<String>,
        order_by: Vec<SortKey>,
        alias: String,
    },
    Repartition {
        n: u32,
    },
    Coalesce {
        n: u32,
    },
    /// `df.write` (only as the last step).
    Write {
        path: String,
        format: WriteFormat,
        mode: WriteMode,
        partition_by: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// Comparisons of a column with a value, all of which must hold (`all`) or any.
    Compare { all: bool, terms: Vec<Comparison> },
    /// A SQL condition as Spark's `filter("...")` takes it.
    Sql { sql: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub column: String,
    pub op: CompareOp,
    /// The value compared with; unused by `IsNull` / `IsNotNull`.
    pub value: Literal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    IsNull,
    IsNotNull,
    Contains,
    StartsWith,
}

impl CompareOp {
    pub const ALL: [CompareOp; 10] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::IsNull,
        CompareOp::IsNotNull,
        CompareOp::Contains,
        CompareOp::StartsWith,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "≠",
            CompareOp::Lt => "<",
            CompareOp::Le => "≤",
            CompareOp::Gt => ">",
            CompareOp::Ge => "≥",
            CompareOp::IsNull => "is null",
            CompareOp::IsNotNull => "is not null",
            CompareOp::Contains => "contains",
            CompareOp::StartsWith => "starts with",
        }
    }

    pub fn takes_value(self) -> bool {
        !matches!(self, CompareOp::IsNull | CompareOp::IsNotNull)
    }
}

/// A value typed as the user meant it: the builder offers numbers for numeric columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Literal {
    Number(f64),
    Text(String),
    Bool(bool),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agg {
    pub function: AggFunction,
    /// The column aggregated; `count` of every row when `None`.
    pub column: Option<String>,
    pub alias: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggFunction {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    CountDistinct,
    First,
}

impl AggFunction {
    pub const ALL: [AggFunction; 7] = [
        AggFunction::Count,
        AggFunction::Sum,
        AggFunction::Avg,
        AggFunction::Min,
        AggFunction::Max,
        AggFunction::CountDistinct,
        AggFunction::First,
    ];

    /// Its name in `pyspark.sql.functions`.
    pub fn name(self) -> &'static str {
        match self {
            AggFunction::Count => "count",
            AggFunction::Sum => "sum",
            AggFunction::Avg => "avg",
            AggFunction::Min => "min",
            AggFunction::Max => "max",
            AggFunction::CountDistinct => "countDistinct",
            AggFunction::First => "first",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinHow {
    Inner,
    Left,
    Right,
    Outer,
    LeftSemi,
    LeftAnti,
}

impl JoinHow {
    pub const ALL: [JoinHow; 6] = [
        JoinHow::Inner,
        JoinHow::Left,
        JoinHow::Right,
        JoinHow::Outer,
        JoinHow::LeftSemi,
        JoinHow::LeftAnti,
    ];

    /// Its name as `join(..., how=)` takes it.
    pub fn name(self) -> &'static str {
        match self {
            JoinHow::Inner => "inner",
            JoinHow::Left => "left",
            JoinHow::Right => "right",
            JoinHow::Outer => "outer",
            JoinHow::LeftSemi => "left_semi",
            JoinHow::LeftAnti => "left_anti",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SortKey {
    pub column: String,
    pub descending: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowFunction {
    RowNumber,
    Rank,
    DenseRank,
    Lag,
    Lead,
}

impl WindowFunction {
    pub const ALL: [WindowFunction; 5] = [
        WindowFunction::RowNumber,
        WindowFunction::Rank,
        WindowFunction::DenseRank,
        WindowFunction::Lag,
        WindowFunction::Lead,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WindowFunction::RowNumber => "row_number",
            WindowFunction::Rank => "rank",
            WindowFunction::DenseRank => "dense_rank",
            WindowFunction::Lag => "lag",
            WindowFunction::Lead => "lead",
        }
    }

    pub fn reads_a_column(self) -> bool {
        matches!(self, WindowFunction::Lag | WindowFunction::Lead)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteFormat {
    Parquet,
    Csv,
    Json,
}

impl WriteFormat {
    pub fn name(self) -> &'static str {
        match self {
            WriteFormat::Parquet => "parquet",
            WriteFormat::Csv => "csv",
            WriteFormat::Json => "json",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteMode {
    Overwrite,
    Append,
    ErrorIfExists,
    Ignore,
}

impl WriteMode {
    pub fn name(self) -> &'static str {
        match self {
            WriteMode::Overwrite => "overwrite",
            WriteMode::Append => "append",
            WriteMode::ErrorIfExists => "error",
            WriteMode::Ignore => "ignore",
        }
    }
}

/// Why a pipeline cannot be written out, and which step (0-based) is at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineError {
    pub step: usize,
    pub message: String,
}

impl std::fmt::Display for PipelineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {}: {}", self.step + 1, self.message)
    }
}

impl std::error::Error for PipelineError {}

/// The PySpark program of a pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Imports and one assignment per step; no action: the caller adds what should run.
    pub text: String,
    /// The variable holding the last step's DataFrame (`None` when it is a write).
    pub result: Option<String>,
    /// The line (1-based) of each step's statement, for errors the program reports.
    pub step_lines: Vec<usize>,
}

impl Program {
    /// The program with the action Kiln runs it with: the last step's DataFrame shown
    /// whole (`display`), unless the pipeline ends in a write.
    pub fn runnable(&self) -> String {
        match &self.result {
            Some(var) => format!("{}display({var})\n", self.text),
            None => self.text.clone(),
        }
    }

    /// The step whose statement is at `line`, for an error the interpreter reports.
    pub fn step_at(&self, line: usize) -> Option<usize> {
        self.step_lines.iter().rposition(|l| *l <= line)
    }
}

pub const HEADER: &str =
    "from pyspark.sql import functions as F\nfrom pyspark.sql.window import Window\n";

/// The variable that holds step `index`'s output.
pub fn step_var(index: usize) -> String {
    format!("df{index}")
}

impl Pipeline {
    /// The program: imports, then `dfN = ...` per step (a write is a statement of its
    /// own, with no variable).
    pub fn to_pyspark(&self) -> Result<Program, PipelineError> {
        let mut text = String::from(HEADER);
        let mut step_lines = Vec::new();
        let mut result = None;
        let last = self.steps.len().saturating_sub(1);
        for (i, step) in self.steps.iter().enumerate() {
            let fail = |message: String| PipelineError { step: i, message };
            let prev = || step_var(i.saturating_sub(1));
            if i == 0 && !matches!(step, Step::Read { .. }) {
                return Err(fail("a pipeline starts by reading a table".into()));
            }
            if matches!(step, Step::Write { .. }) && i != last {
                return Err(fail("a write is the last step".into()));
            }
            step_lines.push(text.lines().count() + 1);
            let call = match step {
                Step::Read { table } => {
                    if i != 0 {
                        return Err(fail(
                            "only the first step reads a table; use a join or a union to add one"
                                .into(),
                        ));
                    }
                    format!("spark.table({})", py_str(non_empty(table, "a table", i)?))
                }
                Step::Select { columns } => {
                    format!("{}.select({})", prev(), py_list(columns, "columns", i)?)
                }
                Step::Filter { condition } => {
                    format!("{}.filter({})", prev(), condition_py(condition, i)?)
                }
                Step::WithColumn { name, expr } => format!(
                    "{}.withColumn({}, F.expr({}))",
                    prev(),
                    py_str(non_empty(name, "a column name", i)?),
                    py_str(non_empty(expr, "an expression", i)?)
                ),
                Step::Rename { from, to } => format!(
                    "{}.withColumnRenamed({}, {})",
                    prev(),
                    py_str(non_empty(from, "a column", i)?),
                    py_str(non_empty(to, "a new name", i)?)
                ),
                Step::Drop { columns } => {
                    let names: Vec<String> = columns.iter().map(|c| py_str(c)).collect();
                    if names.is_empty() {
                        return Err(fail("pick the columns to drop".into()));
                    }
                    format!("{}.drop({})", prev(), names.join(", "))
                }
                Step::GroupBy { keys, aggs } => {
                    if aggs.is_empty() {
                        return Err(fail("add an aggregate (count, sum, ...)".into()));
                    }
                    let aggs = aggs
                        .iter()
                        .map(|a| agg_py(a, i))
                        .collect::<Result<Vec<_>, _>>()?;
                    let keys: Vec<String> = keys.iter().map(|k| py_str(k)).collect();
                    format!(
                        "{}.groupBy({}).agg({})",
                        prev(),
                        keys.join(", "),
                        aggs.join(", ")
                    )
                }
                Step::Join {
                    table,
                    left_on,
                    right_on,
                    how,
                } => {
                    if left_on.is_empty() || left_on.len() != right_on.len() {
                        return Err(fail("pick a key column on each side for every key".into()));
                    }
                    let mut right =
                        format!("spark.table({})", py_str(non_empty(table, "a table", i)?));
                    for (l, r) in left_on.iter().zip(right_on) {
                        if l != r {
                            right =
                                format!("{right}.withColumnRenamed({}, {})", py_str(r), py_str(l));
                        }
                    }
                    format!(
                        "{}.join({right}, on={}, how={})",
                        prev(),
                        py_list(left_on, "key columns", i)?,
                        py_str(how.name())
                    )
                }
                Step::OrderBy { keys } => {
                    if keys.is_empty() {
                        return Err(fail("pick the columns to sort by".into()));
                    }
                    format!("{}.orderBy({})", prev(), sort_keys_py(keys))
                }
                Step::Limit { n } => format!("{}.limit({n})", prev()),
                Step::Distinct => format!("{}.distinct()", prev()),
                Step::Union { table } => format!(
                    "{}.unionByName(spark.table({}))",
                    prev(),
                    py_str(non_empty(table, "a table", i)?)
                ),
                Step::Window {
                    function,
                    column,
                    partition_by,
                    order_by,
                    alias,
                } => {
                    if order_by.is_empty() {
                        return Err(fail(format!("{} needs an order", function.name())));
                    }
                    let call = if function.reads_a_column() {
                        let column = column.as_deref().unwrap_or_default();
                        format!(
                            "F.{}({}, 1)",
                            function.name(),
                            py_str(non_empty(column, "the column it reads", i)?)
                        )
                    } else {
                        format!("F.{}()", function.name())
                    };
                    let partition: Vec<String> = partition_by.iter().map(|c| py_str(c)).collect();
                    format!(
                        "{}.withColumn({}, {call}.over(Window.partitionBy({}).orderBy({})))",
                        prev(),
                        py_str(non_empty(alias, "a name for the new column", i)?),
                        partition.join(", "),
                        sort_keys_py(order_by)
                    )
                }
                Step::Repartition { n } => format!("{}.repartition({})", prev(), (*n).max(1)),
                Step::Coalesce { n } => format!("{}.coalesce({})", prev(), (*n).max(1)),
                Step::Write {
                    path,
                    format,
                    mode,
                    partition_by,
                } => {
                    let mut call = format!("{}.write.mode({})", prev(), py_str(mode.name()));
                    if !partition_by.is_empty() {
                        let cols: Vec<String> = partition_by.iter().map(|c| py_str(c)).collect();
                        call.push_str(&format!(".partitionBy({})", cols.join(", ")));
                    }
                    call.push_str(&format!(
                        ".{}({})",
                        format.name(),
                        py_str(non_empty(path, "an output path", i)?)
                    ));
                    text.push_str(&call);
                    text.push('\n');
                    continue;
                }
            };
            text.push_str(&format!("{} = {call}\n", step_var(i)));
            result = Some(step_var(i));
        }
        if self.steps.is_empty() {
            return Err(PipelineError {
                step: 0,
                message: "add a step that reads a table".into(),
            });
        }
        if matches!(self.steps.last(), Some(Step::Write { .. })) {
            result = None;
        }
        Ok(Program {
            text,
            result,
            step_lines,
        })
    }

    /// The tables the pipeline reads, in order of first use.
    pub fn tables(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for step in &self.steps {
            if let Step::Read { table } | Step::Join { table, .. } | Step::Union { table } = step
                && !out.contains(table)
            {
                out.push(table.clone());
            }
        }
        out
    }
}

fn non_empty<'a>(value: &'a str, what: &str, step: usize) -> Result<&'a str, PipelineError> {
    if value.trim().is_empty() {
        Err(PipelineError {
            step,
            message: format!("{what} is missing"),
        })
    } else {
        Ok(value)
    }
}

fn condition_py(condition: &Condition, step: usize) -> Result<String, PipelineError> {
    match condition {
        Condition::Sql { sql } => Ok(py_str(non_empty(sql, "a condition", step)?)),
        Condition::Compare { all, terms } => {
            if terms.is_empty() {
                return Err(PipelineError {
                    step,
                    message: "add a condition".into(),
                });
            }
            let terms = terms
                .iter()
                .map(|t| comparison_py(t, step))
                .collect::<Result<Vec<_>, _>>()?;
            if terms.len() == 1 {
                return Ok(terms.into_iter().next().unwrap_or_default());
            }
            let joiner = if *all { " & " } else { " | " };
            Ok(terms
                .iter()
                .map(|t| format!("({t})"))
                .collect::<Vec<_>>()
                .join(joiner))
        }
    }
}

fn comparison_py(term: &Comparison, step: usize) -> Result<String, PipelineError> {
    let col = format!(
        "F.col({})",
        py_str(non_empty(&term.column, "a column", step)?)
    );
    let value = literal_py(&term.value);
    Ok(match term.op {
        CompareOp::Eq => format!("{col} == {value}"),
        CompareOp::Ne => format!("{col} != {value}"),
        CompareOp::Lt => format!("{col} < {value}"),
        CompareOp::Le => format!("{col} <= {value}"),
        CompareOp::Gt => format!("{col} > {value}"),
        CompareOp::Ge => format!("{col} >= {value}"),
        CompareOp::IsNull => format!("{col}.isNull()"),
        CompareOp::IsNotNull => format!("{col}.isNotNull()"),
        CompareOp::Contains => format!("{col}.contains({value})"),
        CompareOp::StartsWith => format!("{col}.startswith({value})"),
    })
}

fn literal_py(literal: &Literal) -> String {
    match literal {
        Literal::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Literal::Number(n) => format!("{n:?}"),
        Literal::Text(s) => py_str(s),
        Literal::Bool(b) => if *b { "True" } else { "False" }.into(),
    }
}

fn agg_py(agg: &Agg, step: usize) -> Result<String, PipelineError> {
    let alias = py_str(non_empty(&agg.alias, "a name for the aggregate", step)?);
    let column = match (&agg.column, agg.function) {
        (None, AggFunction::Count) => "\"*\"".to_string(),
        (Some(c), _) if !c.trim().is_empty() => py_str(c),
        _ => {
            return Err(PipelineError {
                step,
                message: format!("{} needs a column", agg.function.name()),
            });
        }
    };
    Ok(format!(
        "F.{}({column}).alias({alias})",
        agg.function.name()
    ))
}

fn sort_keys_py(keys: &[SortKey]) -> String {
    keys.iter()
        .map(|k| {
            if k.descending {
                format!("F.desc({})", py_str(&k.column))
            } else {
                py_str(&k.column)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(table: &str) -> Step {
        Step::Read {
            table: table.into(),
        }
    }

    #[test]
    fn every_step_is_a_variable_of_its_own() {
        let pipeline = Pipeline {
            steps: vec![
                read("yellow"),
                Step::Filter {
                    condition: Condition::Compare {
                        all: true,
                        terms: vec![
                            Comparison {
                                column: "trip_distance".into(),
                                op: CompareOp::Gt,
                                value: Literal::Number(2.0),
                            },
                            Comparison {
                                column: "store_and_fwd_flag".into(),
                                op: CompareOp::Eq,
                                value: Literal::Text("N".into()),
                            },
                        ],
                    },
                },
                Step::GroupBy {
                    keys: vec!["PULocationID".into()],
                    aggs: vec![Agg {
                        function: AggFunction::Sum,
                        column: Some("total_amount".into()),
                        alias: "revenue".into(),
                    }],
                },
                Step::OrderBy {
                    keys: vec![SortKey {
                        column: "revenue".into(),
                        descending: true,
                    }],
                },
            ],
        };
        let program = pipeline.to_pyspark().unwrap();
        let body: Vec<&str> = program.text.lines().skip(2).collect();
        assert_eq!(
            body,
            [
                "df0 = spark.table(\"yellow\")",
                "df1 = df0.filter((F.col(\"trip_distance\") > 2) & (F.col(\"store_and_fwd_flag\") == \"N\"))",
                "df2 = df1.groupBy(\"PULocationID\").agg(F.sum(\"total_amount\").alias(\"revenue\"))",
                "df3 = df2.orderBy(F.desc(\"revenue\"))",
            ]
        );
        assert_eq!(program.result.as_deref(), Some("df3"));
        assert_eq!(program.step_lines, [3, 4, 5, 6]);
        assert_eq!(program.step_at(5), Some(2));
    }

    #[test]
    fn a_join_renames_differently_named_right_keys() {
        let pipeline = Pipeline {
            steps: vec![
                read("yellow"),
                Step::Join {
                    table: "zones".into(),
                    left_on: vec!["PULocationID".into()],
                    right_on: vec!["LocationID".into()],
                    how: JoinHow::Left,
                },
            ],
        };
        let text = pipeline.to_pyspark().unwrap().text;
        assert!(text.contains(
            "df1 = df0.join(spark.table(\"zones\").withColumnRenamed(\"LocationID\", \"PULocationID\"), on=[\"PULocationID\"], how=\"left\")"
        ), "{text}");
        assert_eq!(pipeline.tables(), ["yellow", "zones"]);
    }

    #[test]
    fn a_write_ends_the_pipeline_and_leaves_no_result() {
        let pipeline = Pipeline {
            steps: vec![
                read("t"),
                Step::Coalesce { n: 1 },
                Step::Write {
                    path: "out/report".into(),
                    format: WriteFormat::Parquet,
                    mode: WriteMode::Overwrite,
                    partition_by: vec!["year".into()],
                },
            ],
        };
        let program = pipeline.to_pyspark().unwrap();
        assert!(program.text.ends_with(
            "df1.write.mode(\"overwrite\").partitionBy(\"year\").parquet(\"out/report\")\n"
        ));
        assert_eq!(program.result, None);
    }

    #[test]
    fn mistakes_name_their_step() {
        let no_read = Pipeline {
            steps: vec![Step::Distinct],
        };
        assert_eq!(no_read.to_pyspark().unwrap_err().step, 0);
        let empty_agg = Pipeline {
            steps: vec![
                read("t"),
                Step::GroupBy {
                    keys: vec!["a".into()],
                    aggs: vec![],
                },
            ],
        };
        let err = empty_agg.to_pyspark().unwrap_err();
        assert_eq!(
            (err.step, err.to_string().starts_with("step 2:")),
            (1, true)
        );
        let write_in_middle = Pipeline {
            steps: vec![
                read("t"),
                Step::Write {
                    path: "o".into(),
                    format: WriteFormat::Csv,
                    mode: WriteMode::Overwrite,
                    partition_by: vec![],
                },
                Step::Distinct,
            ],
        };
        assert_eq!(write_in_middle.to_pyspark().unwrap_err().step, 1);
    }

    #[test]
    fn strings_are_python_literals_whatever_they_hold() {
        let pipeline = Pipeline {
            steps: vec![
                read("t"),
                Step::Filter {
                    condition: Condition::Sql {
                        sql: "name = 'a\"b' AND x > 1\n".into(),
                    },
                },
            ],
        };
        let text = pipeline.to_pyspark().unwrap().text;
        assert!(
            text.contains(r#"df1 = df0.filter("name = 'a\"b' AND x > 1\n")"#),
            "{text}"
        );
    }

    #[test]
    fn steps_round_trip_through_json() {
        let pipeline = Pipeline {
            steps: vec![
                read("t"),
                Step::Window {
                    function: WindowFunction::Lag,
                    column: Some("x".into()),
                    partition_by: vec!["k".into()],
                    order_by: vec![SortKey {
                        column: "ts".into(),
                        descending: false,
                    }],
                    alias: "prev_x".into(),
                },
            ],
        };
        let json = serde_json::to_string(&pipeline).unwrap();
        assert_eq!(serde_json::from_str::<Pipeline>(&json).unwrap(), pipeline);
        assert!(
            pipeline.to_pyspark().unwrap().text.contains(
                "df1 = df0.withColumn(\"prev_x\", F.lag(\"x\", 1).over(Window.partitionBy(\"k\").orderBy(\"ts\")))"
            )
        );
    }
}
