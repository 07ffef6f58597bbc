//! Statement-by-statement evaluation of a PySpark program.

use std::collections::HashMap;

use datafusion::common::JoinType;
use datafusion::logical_expr::{Expr, SortExpr};
use datafusion::prelude::{DataFrame, SessionContext, coalesce as df_coalesce, col as df_col};
use futures::future::LocalBoxFuture;
use rustpython_parser::ast::{self, Constant, Ranged};
use rustpython_parser::{Mode, parse};

use crate::column::{Col, quote_ident, quote_str, sql_type, unquote_ident};
use crate::functions;
use crate::{Output, PathSite, PathUse, PySparkError, ReadRequest, Reader};

/// A Python value as the program sees it.
#[derive(Clone)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    Col(Col),
    Frame(Frame),
    Grouped {
        frame: Frame,
        keys: Vec<Col>,
    },
    Window {
        partition: Vec<String>,
        order: Vec<String>,
    },
    /// `Window`, the class.
    WindowClass,
    /// The `SparkSession` and what leads to it (`SparkSession.builder...`).
    Spark,
    Reader {
        format: Option<String>,
        options: Vec<(String, String)>,
    },
    Writer {
        frame: Frame,
        format: Option<String>,
        mode: Option<String>,
        partition_by: Vec<String>,
    },
    /// `pyspark.sql.functions`, however it was imported.
    Functions,
    /// A function of it imported by name (`from pyspark.sql.functions import col`).
    Function(String),
    /// Anything else imported: only its name is known.
    Module(String),
}

/// A DataFrame, and the file count a `coalesce(n)` / `repartition(n)` asked for.
#[derive(Clone)]
pub struct Frame {
    pub df: DataFrame,
    pub files: Option<crate::Partitioning>,
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "a bool",
            Value::Int(_) => "an int",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::List(_) => "a list",
            Value::Col(_) => "a Column",
            Value::Frame(_) => "a DataFrame",
            Value::Grouped { .. } => "GroupedData",
            Value::Window { .. } | Value::WindowClass => "a window",
            Value::Spark => "the SparkSession",
            Value::Reader { .. } => "a DataFrameReader",
            Value::Writer { .. } => "a DataFrameWriter",
            Value::Functions | Value::Function(_) | Value::Module(_) => "a module",
        }
    }

    /// A column: a string names one.
    pub fn as_col(&self) -> Result<Col, String> {
        match self {
            Value::Col(c) => Ok(c.clone()),
            Value::Str(s) => Ok(Col::name(s)),
            other => Err(format!(
                "expected a column or a column name, got {}",
                other.kind()
            )),
        }
    }

    /// A value inside an expression: a string is a literal here (`F.when(c, "x")`).
    pub fn as_value_sql(&self) -> Result<String, String> {
        match self {
            Value::Col(c) => Ok(c.expr()),
            other => other.as_literal(),
        }
    }

    pub fn as_literal(&self) -> Result<String, String> {
        Ok(match self {
            Value::None => "NULL".into(),
            Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format!("{f:?}"),
            Value::Str(s) => quote_str(s),
            Value::Col(c) => c.expr(),
            other => return Err(format!("expected a literal, got {}", other.kind())),
        })
    }

    fn as_str(&self) -> Result<&str, String> {
        match self {
            Value::Str(s) => Ok(s),
            other => Err(format!("expected a string, got {}", other.kind())),
        }
    }

    fn as_int(&self) -> Result<i64, String> {
        match self {
            Value::Int(i) => Ok(*i),
            other => Err(format!("expected an int, got {}", other.kind())),
        }
    }

    /// Arguments as a flat list: `select(["a", "b"])` is `select("a", "b")`.
    fn flatten(values: Vec<Value>) -> Vec<Value> {
        values
            .into_iter()
            .flat_map(|v| match v {
                Value::List(items) => items,
                other => vec![other],
            })
            .collect()
    }
}

pub struct Interpreter {
    ctx: SessionContext,
    source: String,
    vars: HashMap<String, Value>,
    outputs: Vec<Output>,
    line: usize,
    /// Where the program names the files it reads and writes, for the Spark export.
    paths: Vec<PathSite>,
}

type Eval<'a> = LocalBoxFuture<'a, Result<Value, String>>;

impl Interpreter {
    pub fn new(ctx: SessionContext, source: &str) -> Self {
        // Spark matches `PULocationID` in SQL text as written; DataFusion would fold it
        // to `pulocationid` and find no such column.
        ctx.state_ref()
            .write()
            .config_mut()
            .options_mut()
            .sql_parser
            .enable_ident_normalization = false;
        let mut vars = HashMap::new();
        // As in the pyspark shell and notebooks.
        vars.insert("spark".to_string(), Value::Spark);
        Self {
            ctx,
            source: source.to_string(),
            vars,
            outputs: Vec::new(),
            line: 1,
            paths: Vec::new(),
        }
    }

    /// The path literals of the program's reads and writes, in program order.
    pub fn path_sites(&self) -> &[PathSite] {
        &self.paths
    }

    /// The session the program ran in: its views, its settings.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Notes where a read or write call spells its paths: string literals, directly or
    /// in a list, positional or as `path=`. A path held in a variable is not a literal
    /// here; the export leaves it as written and says so.
    fn note_paths(&mut self, call: &ast::ExprCall, use_: PathUse) {
        let line = self.line_of(call.range().start().to_usize());
        let mut exprs: Vec<&ast::Expr> = match use_ {
            PathUse::Read => call.args.iter().collect(),
            PathUse::Write => call.args.iter().take(1).collect(),
        };
        exprs.extend(
            call.keywords
                .iter()
                .filter(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "path"))
                .map(|k| &k.value),
        );
        for expr in exprs {
            let items: Vec<&ast::Expr> = match expr {
                ast::Expr::List(l) => l.elts.iter().collect(),
                ast::Expr::Tuple(t) => t.elts.iter().collect(),
                other => vec![other],
            };
            for item in items {
                let literal = match item {
                    ast::Expr::Constant(c) => match &c.value {
                        Constant::Str(s) => Some(s.clone()),
                        _ => None,
                    },
                    _ => None,
                };
                self.paths.push(PathSite {
                    start: item.range().start().to_usize(),
                    end: item.range().end().to_usize(),
                    path: literal,
                    use_,
                    line,
                });
            }
        }
    }

    /// The DataFrame a variable holds after the run.
    pub fn frame(&self, name: &str) -> Option<DataFrame> {
        match self.vars.get(name) {
            Some(Value::Frame(f)) => Some(f.df.clone()),
            _ => None,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        1 + self.source[..offset.min(self.source.len())]
            .bytes()
            .filter(|b| *b == b'\n')
            .count()
    }

    pub async fn run<'r>(&mut self, read: &mut Reader<'r>) -> Result<Vec<Output>, PySparkError> {
        let module = parse(&self.source, Mode::Module, "<pyspark>").map_err(|e| {
            let message = e.error.to_string();
            // At the end of the text the parser points past the last line; the statement
            // left open is on the last line with anything on it.
            let line = if message.contains("EOF") {
                let lines: Vec<&str> = self.source.lines().collect();
                lines
                    .iter()
                    .rposition(|l| !l.trim().is_empty())
                    .map_or(1, |i| i + 1)
            } else {
                self.line_of(e.offset.to_usize())
            };
            PySparkError {
                line,
                message: format!("Python syntax error: {message}"),
            }
        })?;
        let body = match module {
            ast::Mod::Module(m) => m.body,
            _ => Vec::new(),
        };
        for stmt in &body {
            self.line = self.line_of(stmt.range().start().to_usize());
            let line = self.line;
            self.statement(stmt, read)
                .await
                .map_err(|message| PySparkError { line, message })?;
        }
        Ok(std::mem::take(&mut self.outputs))
    }

    async fn statement<'r>(
        &mut self,
        stmt: &ast::Stmt,
        read: &mut Reader<'r>,
    ) -> Result<(), String> {
        match stmt {
            ast::Stmt::Import(import) => {
                for alias in &import.names {
                    let name = alias.name.as_str();
                    let bound = alias.asname.as_ref().map_or(name, |a| a.as_str());
                    let value = if name == "pyspark.sql.functions" {
                        Value::Functions
                    } else {
                        Value::Module(name.to_string())
                    };
                    self.vars
                        .insert(bound.split('.').next().unwrap_or(bound).to_string(), value);
                }
                Ok(())
            }
            ast::Stmt::ImportFrom(import) => {
                let module = import.module.as_ref().map_or("", |m| m.as_str());
                for alias in &import.names {
                    let name = alias.name.as_str();
                    let bound = alias
                        .asname
                        .as_ref()
                        .map_or(name, |a| a.as_str())
                        .to_string();
                    let value = match (module, name) {
                        ("pyspark.sql", "functions") => Value::Functions,
                        ("pyspark.sql.functions", "*") => {
                            return Err("`from pyspark.sql.functions import *` hides which functions are used; import F".into());
                        }
                        ("pyspark.sql.functions", f) => Value::Function(f.to_string()),
                        (_, "Window") => Value::WindowClass,
                        (_, "SparkSession") => Value::Spark,
                        (_, other) => Value::Module(other.to_string()),
                    };
                    self.vars.insert(bound, value);
                }
                Ok(())
            }
            ast::Stmt::Assign(assign) => {
                let value = self.eval(&assign.value, read).await?;
                for target in &assign.targets {
                    match target {
                        ast::Expr::Name(n) => {
                            self.vars.insert(n.id.to_string(), value.clone());
                        }
                        _ => return Err("only assignments to a plain name are supported".into()),
                    }
                }
                Ok(())
            }
            ast::Stmt::Expr(e) => {
                self.eval(&e.value, read).await?;
                Ok(())
            }
            ast::Stmt::Pass(_) => Ok(()),
            other => Err(format!(
                "`{}` statements are not supported: Kiln runs DataFrame code, one statement after another",
                statement_name(other)
            )),
        }
    }

    fn eval<'a, 'r: 'a>(&'a mut self, expr: &'a ast::Expr, read: &'a mut Reader<'r>) -> Eval<'a> {
        Box::pin(async move {
            match expr {
                ast::Expr::Constant(c) => constant(&c.value),
                ast::Expr::Name(n) => self
                    .vars
                    .get(n.id.as_str())
                    .cloned()
                    .ok_or_else(|| format!("`{}` is not defined", n.id)),
                ast::Expr::List(l) => {
                    let mut items = Vec::new();
                    for e in &l.elts {
                        items.push(self.eval(e, read).await?);
                    }
                    Ok(Value::List(items))
                }
                ast::Expr::Tuple(t) => {
                    let mut items = Vec::new();
                    for e in &t.elts {
                        items.push(self.eval(e, read).await?);
                    }
                    Ok(Value::List(items))
                }
                ast::Expr::Attribute(a) => {
                    let base = self.eval(&a.value, read).await?;
                    self.attribute(base, a.attr.as_str()).await
                }
                ast::Expr::Subscript(s) => {
                    let base = self.eval(&s.value, read).await?;
                    let key = self.eval(&s.slice, read).await?;
                    match (base, key) {
                        (Value::Frame(_), Value::Str(name)) => Ok(Value::Col(Col::name(&name))),
                        (b, _) => Err(format!("cannot index {}", b.kind())),
                    }
                }
                ast::Expr::BinOp(b) => {
                    let left = self.eval(&b.left, read).await?;
                    let right = self.eval(&b.right, read).await?;
                    binary(&left, &b.op, &right)
                }
                ast::Expr::UnaryOp(u) => {
                    let operand = self.eval(&u.operand, read).await?;
                    match (&u.op, operand) {
                        (ast::UnaryOp::Invert | ast::UnaryOp::Not, Value::Col(c)) => {
                            Ok(Value::Col(Col::sql(format!("(NOT {})", c.expr()))))
                        }
                        (ast::UnaryOp::USub, Value::Int(i)) => Ok(Value::Int(-i)),
                        (ast::UnaryOp::USub, Value::Float(f)) => Ok(Value::Float(-f)),
                        (ast::UnaryOp::USub, Value::Col(c)) => {
                            Ok(Value::Col(Col::sql(format!("(- {})", c.expr()))))
                        }
                        (_, v) => Err(format!("unsupported unary operator on {}", v.kind())),
                    }
                }
                ast::Expr::Compare(c) => {
                    let left = self.eval(&c.left, read).await?;
                    match (c.ops.as_slice(), c.comparators.as_slice()) {
                        ([op], [right]) => {
                            let right = self.eval(right, read).await?;
                            compare(&left, op, &right)
                        }
                        _ => {
                            Err("chained comparisons are not supported; use & between them".into())
                        }
                    }
                }
                ast::Expr::Call(call) => self.call(call, read).await,
                ast::Expr::Lambda(_) => Err("lambdas (Python functions) do not run in Kiln".into()),
                _ => Err("this kind of Python expression is not supported".into()),
            }
        })
    }

    /// `base.name` without a call.
    async fn attribute(&mut self, base: Value, name: &str) -> Result<Value, String> {
        Ok(match (&base, name) {
            (Value::Spark, "builder" | "read") if name == "read" => Value::Reader {
                format: None,
                options: Vec::new(),
            },
            (Value::Spark, _) => Value::Spark,
            (Value::Module(m), "functions") if m == "pyspark.sql" || m == "pyspark" => {
                Value::Functions
            }
            (Value::Module(m), _) => Value::Module(format!("{m}.{name}")),
            (Value::Frame(f), "write") => Value::Writer {
                frame: f.clone(),
                format: None,
                mode: None,
                partition_by: Vec::new(),
            },
            (Value::Frame(f), "columns") => Value::List(
                f.df.schema()
                    .fields()
                    .iter()
                    .map(|c| Value::Str(c.name().clone()))
                    .collect(),
            ),
            (Value::Frame(f), "schema") => Value::Str(format!("{}", f.df.schema().as_arrow())),
            (Value::Frame(f), column) => {
                if f.df.schema().fields().iter().any(|c| c.name() == column) {
                    Value::Col(Col::name(column))
                } else {
                    return Err(format!(
                        "the DataFrame has no column or attribute `{column}`"
                    ));
                }
            }
            (Value::Functions, f) => Value::Function(f.to_string()),
            _ => return Err(format!("{} has no attribute `{name}`", base.kind())),
        })
    }

    async fn call<'r>(
        &mut self,
        call: &ast::ExprCall,
        read: &mut Reader<'r>,
    ) -> Result<Value, String> {
        // What is called first, so an error in its arguments can name it.
        let (receiver, method) = match call.func.as_ref() {
            ast::Expr::Attribute(a) => (Some(self.eval(&a.value, read).await?), a.attr.to_string()),
            ast::Expr::Name(n) => (None, n.id.to_string()),
            _ => return Err("this call is not supported".into()),
        };
        match (&receiver, method.as_str()) {
            (Some(Value::Reader { .. }), "parquet" | "csv" | "json" | "load") => {
                self.note_paths(call, PathUse::Read)
            }
            (Some(Value::Writer { .. }), "parquet" | "csv" | "json" | "save") => {
                self.note_paths(call, PathUse::Write)
            }
            _ => {}
        }
        if matches!(receiver, Some(Value::Functions))
            && matches!(method.as_str(), "udf" | "pandas_udf")
        {
            return functions::call(&method, &[]).map(Value::Col);
        }
        let in_call = |e: String| format!("{method}(…): {e}");
        let mut args = Vec::new();
        for a in &call.args {
            if let ast::Expr::Starred(s) = a {
                // `*cols`: spread a list.
                match self.eval(&s.value, read).await.map_err(in_call)? {
                    Value::List(items) => args.extend(items),
                    other => args.push(other),
                }
            } else {
                args.push(self.eval(a, read).await.map_err(in_call)?);
            }
        }
        let mut kwargs = Vec::new();
        for k in &call.keywords {
            let name = k
                .arg
                .as_ref()
                .map(|a| a.to_string())
                .ok_or("`**kwargs` is not supported")?;
            kwargs.push((name, self.eval(&k.value, read).await.map_err(in_call)?));
        }
        let line = self.line_of(call.range().start().to_usize());
        let named = |call_name: &str, e: String| format!("{call_name}: {e}");
        match receiver {
            None => self.builtin(&method, args, kwargs, line).await,
            Some(recv) => {
                let what = format!("{}.{method}(…)", short_kind(&recv));
                self.method(recv, &method, args, kwargs, read, line)
                    .await
                    .map_err(|e| {
                        if e.contains(&method) {
                            e
                        } else {
                            named(&what, e)
                        }
                    })
            }
        }
    }

    /// Calls of a bare name: `print`, a function imported from `pyspark.sql.functions`.
    async fn builtin(
        &mut self,
        name: &str,
        args: Vec<Value>,
        _kwargs: Vec<(String, Value)>,
        line: usize,
    ) -> Result<Value, String> {
        match self.vars.get(name).cloned() {
            Some(Value::Function(f)) => functions::call(&f, &args).map(Value::Col),
            Some(other) => Err(format!("{} is not callable", other.kind())),
            None if name == "print" => {
                let text = args.iter().map(display).collect::<Vec<_>>().join(" ");
                self.outputs.push(Output::Text { line, text });
                Ok(Value::None)
            }
            None if name == "display" => match args.first() {
                Some(Value::Frame(f)) => {
                    self.outputs.push(Output::Frame {
                        line,
                        df: f.df.clone(),
                    });
                    Ok(Value::None)
                }
                _ => Err("display takes a DataFrame".into()),
            },
            None => Err(format!("`{name}` is not defined")),
        }
    }

    async fn method<'r>(
        &mut self,
        recv: Value,
        method: &str,
        args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
        read: &mut Reader<'r>,
        line: usize,
    ) -> Result<Value, String> {
        let kw = |name: &str| keyword(&kwargs, name);
        match recv {
            Value::Functions => functions::call(method, &args).map(Value::Col),
            Value::Spark => match method {
                "appName" | "master" | "config" | "enableHiveSupport" | "getOrCreate" => {
                    Ok(Value::Spark)
                }
                "sql" => {
                    let sql = args
                        .first()
                        .ok_or("spark.sql takes a query")?
                        .as_str()?
                        .to_string();
                    let df = self
                        .ctx
                        .sql(&sql)
                        .await
                        .map_err(|e| format!("spark.sql: {e}"))?;
                    Ok(frame(df))
                }
                "table" => {
                    let name = args.first().ok_or("spark.table takes a name")?.as_str()?;
                    let df = self.ctx.table(name).await.map_err(|e| e.to_string())?;
                    Ok(frame(df))
                }
                "stop" => Ok(Value::None),
                _ => Err(format!("spark.{method} is not supported")),
            },
            Value::Reader {
                format,
                mut options,
            } => match method {
                "option" => {
                    let (k, v) = match args.as_slice() {
                        [k, v] => (k.as_str()?.to_string(), display(v)),
                        _ => return Err("option takes a key and a value".into()),
                    };
                    options.push((k, v));
                    Ok(Value::Reader { format, options })
                }
                "options" => {
                    for (k, v) in &kwargs {
                        options.push((k.clone(), display(v)));
                    }
                    Ok(Value::Reader { format, options })
                }
                "format" => Ok(Value::Reader {
                    format: Some(
                        args.first()
                            .ok_or("format takes a name")?
                            .as_str()?
                            .to_string(),
                    ),
                    options,
                }),
                "schema" => Ok(Value::Reader { format, options }),
                "parquet" | "csv" | "json" | "load" => {
                    let format = if method == "load" {
                        format.unwrap_or_else(|| "parquet".into())
                    } else {
                        method.to_string()
                    };
                    for (k, v) in &kwargs {
                        options.push((k.clone(), display(v)));
                    }
                    let paths = Value::flatten(args)
                        .iter()
                        .map(|p| p.as_str().map(str::to_string))
                        .collect::<Result<Vec<_>, _>>()?;
                    if paths.is_empty() {
                        return Err(format!("read.{method} takes a path"));
                    }
                    let df = read(ReadRequest {
                        format,
                        paths,
                        options,
                    })
                    .await?;
                    Ok(frame(df))
                }
                _ => Err(format!("spark.read.{method} is not supported")),
            },
            Value::WindowClass => window(Vec::new(), Vec::new(), method, args),
            Value::Window { partition, order } => window(partition, order, method, args),
            Value::Col(c) => column_method(c, method, args),
            Value::Grouped { frame: f, keys } => self.grouped(f, keys, method, args),
            Value::Writer {
                frame: f,
                format,
                mode,
                mut partition_by,
            } => match method {
                "mode" => Ok(Value::Writer {
                    frame: f,
                    format,
                    mode: Some(
                        args.first()
                            .ok_or("mode takes a name")?
                            .as_str()?
                            .to_string(),
                    ),
                    partition_by,
                }),
                "format" => Ok(Value::Writer {
                    frame: f,
                    format: Some(
                        args.first()
                            .ok_or("format takes a name")?
                            .as_str()?
                            .to_string(),
                    ),
                    mode,
                    partition_by,
                }),
                "partitionBy" => {
                    for a in Value::flatten(args) {
                        partition_by.push(a.as_str()?.to_string());
                    }
                    Ok(Value::Writer {
                        frame: f,
                        format,
                        mode,
                        partition_by,
                    })
                }
                "option" | "options" => Ok(Value::Writer {
                    frame: f,
                    format,
                    mode,
                    partition_by,
                }),
                "parquet" | "csv" | "json" | "save" => {
                    let path = args
                        .first()
                        .ok_or("a write takes a path")?
                        .as_str()?
                        .to_string();
                    match kw("partitionBy") {
                        Some(Value::Str(c)) => partition_by.push(c),
                        Some(Value::List(cols)) => {
                            for c in cols {
                                partition_by.push(c.as_str()?.to_string());
                            }
                        }
                        Some(other) => {
                            return Err(format!("partitionBy takes names, got {}", other.kind()));
                        }
                        None => {}
                    }
                    let mode = kw("mode")
                        .map(|m| m.as_str().map(str::to_string))
                        .transpose()?
                        .or(mode)
                        .unwrap_or_else(|| "errorifexists".into());
                    let format = if method == "save" {
                        format.unwrap_or_else(|| "parquet".into())
                    } else {
                        method.to_string()
                    };
                    self.outputs.push(Output::Write {
                        line,
                        df: f.df,
                        path,
                        format,
                        mode,
                        partition_by,
                        files: f.files,
                    });
                    Ok(Value::None)
                }
                _ => Err(format!("df.write.{method} is not supported")),
            },
            Value::Frame(f) => self.frame_method(f, method, args, kwargs, line).await,
            Value::List(items) if method == "index" => {
                let needle = args.first().map(display).unwrap_or_default();
                let at = items
                    .iter()
                    .position(|i| display(i) == needle)
                    .ok_or_else(|| format!("{needle} is not in the list"))?;
                Ok(Value::Int(at as i64))
            }
            other => Err(format!("{} has no method `{method}`", other.kind())),
        }
    }

    fn grouped(
        &mut self,
        f: Frame,
        keys: Vec<Col>,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, String> {
        let aggs: Vec<Col> = match method {
            "agg" => Value::flatten(args)
                .iter()
                .map(Value::as_col)
                .collect::<Result<_, _>>()?,
            "count" => vec![Col {
                alias: Some("count".into()),
                ..Col::sql("count(*)")
            }],
            "sum" | "avg" | "mean" | "min" | "max" => Value::flatten(args)
                .iter()
                .map(|a| {
                    let c = a.as_col()?;
                    let f = if method == "mean" { "avg" } else { method };
                    Ok(Col {
                        alias: Some(format!("{method}({})", c.output_name())),
                        ..Col::sql(format!("{f}({})", c.expr()))
                    })
                })
                .collect::<Result<_, String>>()?,
            "pivot" => return Err("groupBy(...).pivot is not supported".into()),
            _ => return Err(format!("GroupedData.{method} is not supported")),
        };
        let group = keys
            .iter()
            .map(|k| self.expr(&f.df, k))
            .collect::<Result<Vec<_>, _>>()?;
        let aggr = aggs
            .iter()
            .map(|a| self.expr(&f.df, a))
            .collect::<Result<Vec<_>, _>>()?;
        let df = f.df.aggregate(group, aggr).map_err(|e| e.to_string())?;
        Ok(frame(df))
    }

    /// A column as a DataFusion expression over `df`'s columns, aliased as Spark names it.
    fn expr(&self, df: &DataFrame, c: &Col) -> Result<Expr, String> {
        let parsed = df
            .parse_sql_expr(&c.expr())
            .map_err(|e| format!("{} ({e})", c.expr()))?;
        Ok(match &c.alias {
            Some(a) => parsed.alias(a),
            None if unquote_ident(&c.sql).is_none() && c.sql != "*" => {
                parsed.alias(c.output_name())
            }
            None => parsed,
        })
    }

    fn sort_expr(&self, df: &DataFrame, c: &Col, ascending: bool) -> Result<SortExpr, String> {
        let asc = c.ascending.unwrap_or(ascending);
        let e = df
            .parse_sql_expr(&c.expr())
            .map_err(|e| format!("{} ({e})", c.expr()))?;
        // Spark puts NULLs first ascending and last descending.
        Ok(e.sort(asc, asc))
    }

    async fn frame_method(
        &mut self,
        f: Frame,
        method: &str,
        args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
        line: usize,
    ) -> Result<Value, String> {
        let kw = |name: &str| keyword(&kwargs, name);
        let df = f.df.clone();
        let err = |e: datafusion::error::DataFusionError| e.to_string();
        let same = |df: DataFrame| Value::Frame(Frame { df, files: f.files });
        Ok(match method {
            "select" => {
                let cols = Value::flatten(args);
                let mut exprs = Vec::new();
                for c in &cols {
                    let c = c.as_col()?;
                    if c.sql == "*" {
                        exprs.extend(
                            df.schema()
                                .fields()
                                .iter()
                                .map(|field| df_col(quote_ident(field.name()))),
                        );
                    } else {
                        exprs.push(self.expr(&df, &c)?);
                    }
                }
                same(df.select(exprs).map_err(err)?)
            }
            "selectExpr" => {
                let mut exprs = Vec::new();
                for a in Value::flatten(args) {
                    let text = a.as_str()?;
                    let (body, alias) = split_alias(text);
                    let c = Col {
                        alias: alias.or_else(|| Some(text.to_string())),
                        ..Col::sql(body)
                    };
                    let c = match unquote_ident(&c.sql) {
                        Some(_) => Col { alias: None, ..c },
                        None => c,
                    };
                    exprs.push(self.expr(&df, &c)?);
                }
                same(df.select(exprs).map_err(err)?)
            }
            "filter" | "where" => {
                let cond = match args.as_slice() {
                    [Value::Str(sql)] => Col::sql(format!("({sql})")),
                    [v] => v.as_col()?,
                    _ => return Err(format!("{method} takes one condition")),
                };
                let e = df
                    .parse_sql_expr(&cond.expr())
                    .map_err(|e| format!("{} ({e})", cond.expr()))?;
                same(df.filter(e).map_err(err)?)
            }
            "withColumn" => {
                let (name, c) = match args.as_slice() {
                    [Value::Str(n), v] => (n.clone(), v.as_col_expr()?),
                    _ => return Err("withColumn takes a name and a column".into()),
                };
                let e = df
                    .parse_sql_expr(&c.expr())
                    .map_err(|e| format!("{} ({e})", c.expr()))?;
                same(df.with_column(&name, e).map_err(err)?)
            }
            "withColumnRenamed" => match args.as_slice() {
                // Quoted: DataFusion would fold an unquoted name to lower case and, finding
                // no such column, rename nothing.
                [Value::Str(old), Value::Str(new)] => {
                    // Like Spark, renaming a column that is not there does nothing.
                    same(df.with_column_renamed(quote_ident(old), new).map_err(err)?)
                }
                _ => return Err("withColumnRenamed takes the old and the new name".into()),
            },
            "drop" => {
                let names: Vec<String> = Value::flatten(args)
                    .iter()
                    .map(|a| a.as_col().map(|c| c.output_name()))
                    .collect::<Result<_, _>>()?;
                // Matched exactly, as Spark does (DataFusion's drop_columns would fold
                // `DOLocationID` to lower case and drop nothing); missing names are
                // ignored, as in Spark.
                let keep: Vec<Expr> = df
                    .schema()
                    .columns()
                    .into_iter()
                    .filter(|c| !names.contains(&c.name))
                    .map(Expr::Column)
                    .collect();
                same(df.select(keep).map_err(err)?)
            }
            "groupBy" | "groupby" => {
                let keys = Value::flatten(args)
                    .iter()
                    .map(Value::as_col)
                    .collect::<Result<_, _>>()?;
                Value::Grouped { frame: f, keys }
            }
            "agg" => return self.grouped(f, Vec::new(), "agg", args),
            "orderBy" | "sort" => {
                let ascending = match kw("ascending") {
                    Some(Value::Bool(b)) => b,
                    Some(Value::Int(i)) => i != 0,
                    None => true,
                    Some(_) => return Err("ascending takes a bool".into()),
                };
                let sorts = Value::flatten(args)
                    .iter()
                    .map(|a| a.as_col().and_then(|c| self.sort_expr(&df, &c, ascending)))
                    .collect::<Result<Vec<_>, _>>()?;
                same(df.sort(sorts).map_err(err)?)
            }
            "limit" => {
                let n = args.first().ok_or("limit takes a count")?.as_int()?;
                same(df.limit(0, Some(n.max(0) as usize)).map_err(err)?)
            }
            "distinct" => same(df.distinct().map_err(err)?),
            "dropDuplicates" | "drop_duplicates" => {
                let subset = Value::flatten(args);
                if subset.is_empty() {
                    same(df.distinct().map_err(err)?)
                } else {
                    return Err("dropDuplicates(subset) keeps an arbitrary row per key in Spark; use a window with row_number".into());
                }
            }
            "union" | "unionAll" => match args.as_slice() {
                [Value::Frame(other)] => same(df.union(other.df.clone()).map_err(err)?),
                _ => return Err(format!("{method} takes a DataFrame")),
            },
            "unionByName" => match args.as_slice() {
                [Value::Frame(other)] => same(df.union_by_name(other.df.clone()).map_err(err)?),
                _ => return Err("unionByName takes a DataFrame".into()),
            },
            "join" => {
                let other = match args.first() {
                    Some(Value::Frame(o)) => o.df.clone(),
                    _ => return Err("join takes a DataFrame".into()),
                };
                let on = args.get(1).cloned().or_else(|| kw("on"));
                let how = match args.get(2).cloned().or_else(|| kw("how")) {
                    Some(Value::Str(h)) => h,
                    None => "inner".into(),
                    Some(v) => return Err(format!("how must be a string, got {}", v.kind())),
                };
                same(join(df, other, on, &how)?)
            }
            "crossJoin" => match args.as_slice() {
                [Value::Frame(other)] => same(
                    df.join(other.df.clone(), JoinType::Inner, &[], &[], None)
                        .map_err(err)?,
                ),
                _ => return Err("crossJoin takes a DataFrame".into()),
            },
            "alias" => same(
                df.alias(args.first().ok_or("alias takes a name")?.as_str()?)
                    .map_err(err)?,
            ),
            "repartition" | "coalesce" => {
                let n = match args.first() {
                    Some(Value::Int(n)) if *n > 0 => *n as usize,
                    _ => return Err(format!("{method} takes a number of partitions")),
                };
                let files = if method == "repartition" {
                    crate::Partitioning::Repartition(n)
                } else {
                    crate::Partitioning::Coalesce(n)
                };
                Value::Frame(Frame {
                    df,
                    files: Some(files),
                })
            }
            "cache" | "persist" | "unpersist" | "checkpoint" | "localCheckpoint" => Value::Frame(f),
            "createOrReplaceTempView"
            | "registerTempTable"
            | "createTempView"
            | "createOrReplaceGlobalTempView" => {
                let name = args
                    .first()
                    .ok_or("a view needs a name")?
                    .as_str()?
                    .to_string();
                self.ctx.deregister_table(&name).map_err(err)?;
                self.ctx
                    .register_table(&name, df.into_view())
                    .map_err(err)?;
                Value::None
            }
            // `show(n)` shows 20 rows unless told; `take(n)` / `head(n)` one.
            "show" | "take" | "head" => {
                let default = if method == "show" { 20 } else { 1 };
                let n = match args.first().or(kw("n").as_ref()) {
                    Some(Value::Int(n)) => *n as usize,
                    _ => default,
                };
                self.outputs.push(Output::Frame {
                    line,
                    df: df.limit(0, Some(n)).map_err(err)?,
                });
                Value::None
            }
            "collect" | "toPandas" => {
                self.outputs.push(Output::Frame {
                    line,
                    df: f.df.clone(),
                });
                Value::Frame(f)
            }
            // As in a script, a count is a value; `print` shows it.
            "count" => Value::Int(df.count().await.map_err(err)? as i64),
            "printSchema" => {
                let text = df
                    .schema()
                    .fields()
                    .iter()
                    .map(|field| {
                        format!(
                            " |-- {}: {} (nullable = {})",
                            field.name(),
                            spark_type_name(field.data_type()),
                            field.is_nullable()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                self.outputs.push(Output::Text {
                    line,
                    text: format!("root\n{text}"),
                });
                Value::None
            }
            "explain" => {
                let plan = df.logical_plan().display_indent().to_string();
                self.outputs.push(Output::Text { line, text: plan });
                Value::None
            }
            _ => return Err(format!("DataFrame.{method} is not supported")),
        })
    }
}

impl Value {
    /// A column for `withColumn`: a string there is a column name too, as in Spark.
    fn as_col_expr(&self) -> Result<Col, String> {
        match self {
            Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::None => {
                Err("withColumn takes a Column: wrap a value in F.lit(...)".into())
            }
            other => other.as_col(),
        }
    }
}

/// A type as Spark's `printSchema` names it (`integer`, `long`, `string`...), so the
/// output reads as the course's does; types Spark lacks keep Arrow's name.
fn spark_type_name(t: &datafusion::arrow::datatypes::DataType) -> String {
    use datafusion::arrow::datatypes::DataType as T;
    match t {
        T::Boolean => "boolean".into(),
        T::Int8 => "byte".into(),
        T::Int16 => "short".into(),
        T::Int32 | T::UInt8 | T::UInt16 => "integer".into(),
        T::Int64 | T::UInt32 => "long".into(),
        T::UInt64 => "decimal(20,0)".into(),
        T::Float32 => "float".into(),
        T::Float64 => "double".into(),
        T::Utf8 | T::LargeUtf8 | T::Utf8View => "string".into(),
        T::Binary | T::LargeBinary | T::BinaryView | T::FixedSizeBinary(_) => "binary".into(),
        T::Date32 | T::Date64 => "date".into(),
        T::Timestamp(_, Some(_)) => "timestamp".into(),
        T::Timestamp(_, None) => "timestamp_ntz".into(),
        T::Decimal128(p, s) | T::Decimal256(p, s) => format!("decimal({p},{s})"),
        T::List(f) | T::LargeList(f) => format!("array<{}>", spark_type_name(f.data_type())),
        other => other.to_string().to_ascii_lowercase(),
    }
}

/// A keyword argument's value, by name.
fn keyword(kwargs: &[(String, Value)], name: &str) -> Option<Value> {
    kwargs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

fn frame(df: DataFrame) -> Value {
    Value::Frame(Frame { df, files: None })
}

/// `"a + 1 AS b"` -> (`a + 1`, `b`).
fn split_alias(text: &str) -> (String, Option<String>) {
    let lower = text.to_ascii_lowercase();
    match lower.rfind(" as ") {
        Some(at) => {
            let alias = text[at + 4..]
                .trim()
                .trim_matches('`')
                .trim_matches('"')
                .to_string();
            (text[..at].to_string(), Some(alias))
        }
        None => (text.to_string(), None),
    }
}

fn join(
    left: DataFrame,
    right: DataFrame,
    on: Option<Value>,
    how: &str,
) -> Result<DataFrame, String> {
    let join_type = match how.to_ascii_lowercase().replace('_', "").as_str() {
        "inner" => JoinType::Inner,
        "left" | "leftouter" => JoinType::Left,
        "right" | "rightouter" => JoinType::Right,
        "outer" | "full" | "fullouter" => JoinType::Full,
        "leftsemi" | "semi" => JoinType::LeftSemi,
        "leftanti" | "anti" => JoinType::LeftAnti,
        "cross" => JoinType::Inner,
        other => return Err(format!("join: unknown how `{other}`")),
    };
    let keys: Vec<String> = match on {
        Some(Value::Str(k)) => vec![k],
        Some(Value::List(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
        Some(Value::Col(_)) => {
            return Err("join on a Column condition is not supported; join on column names".into());
        }
        Some(v) => {
            return Err(format!(
                "join: `on` must be a name or a list of names, got {}",
                v.kind()
            ));
        }
    };
    let err = |e: datafusion::error::DataFusionError| format!("join: {e}");
    let left = left.alias("__l").map_err(err)?;
    let right = right.alias("__r").map_err(err)?;
    let names = |df: &DataFrame| -> Vec<String> {
        df.schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    };
    let (left_names, right_names) = (names(&left), names(&right));
    let qualify = |side: &str| -> Vec<String> {
        keys.iter()
            .map(|k| format!("{side}.{}", quote_ident(k)))
            .collect()
    };
    let (l_keys, r_keys) = (qualify("__l"), qualify("__r"));
    let l_refs: Vec<&str> = l_keys.iter().map(String::as_str).collect();
    let r_refs: Vec<&str> = r_keys.iter().map(String::as_str).collect();
    let joined = left
        .join(right, join_type, &l_refs, &r_refs, None)
        .map_err(err)?;
    if matches!(join_type, JoinType::LeftSemi | JoinType::LeftAnti) {
        return Ok(joined);
    }
    // As Spark's join on names: each key once (either side's for outer joins), then the
    // left's other columns, then the right's.
    let qualified = |side: &str, name: &str| {
        datafusion::prelude::col(datafusion::common::Column::new(Some(side), name))
    };
    let mut exprs: Vec<Expr> = keys
        .iter()
        .map(|k| match join_type {
            JoinType::Full => df_coalesce(vec![qualified("__l", k), qualified("__r", k)]).alias(k),
            JoinType::Right => qualified("__r", k).alias(k),
            _ => qualified("__l", k).alias(k),
        })
        .collect();
    exprs.extend(
        left_names
            .iter()
            .filter(|n| !keys.contains(n))
            .map(|n| qualified("__l", n).alias(n)),
    );
    exprs.extend(
        right_names
            .iter()
            .filter(|n| !keys.contains(n))
            .map(|n| qualified("__r", n).alias(n)),
    );
    joined.select(exprs).map_err(err)
}

fn window(
    mut partition: Vec<String>,
    mut order: Vec<String>,
    method: &str,
    args: Vec<Value>,
) -> Result<Value, String> {
    match method {
        "partitionBy" => {
            for a in Value::flatten(args) {
                partition.push(a.as_col()?.expr());
            }
        }
        "orderBy" => {
            for a in Value::flatten(args) {
                let c = a.as_col()?;
                let dir = match c.ascending {
                    Some(false) => " DESC NULLS LAST",
                    _ => " ASC NULLS FIRST",
                };
                order.push(format!("{}{dir}", c.expr()));
            }
        }
        "rowsBetween" | "rangeBetween" => {
            return Err(format!(
                "Window.{method} is not supported; the default frame is used"
            ));
        }
        _ => return Err(format!("Window.{method} is not supported")),
    }
    Ok(Value::Window { partition, order })
}

fn column_method(c: Col, method: &str, args: Vec<Value>) -> Result<Value, String> {
    let arg = |i: usize| {
        args.get(i)
            .ok_or_else(|| format!("{method} needs more arguments"))
    };
    let c = match method {
        "alias" | "name" | "as_" => Col {
            alias: Some(arg(0)?.as_str()?.to_string()),
            ..c
        },
        "cast" | "astype" => {
            let t = arg(0)?.as_str()?;
            let ty = sql_type(t).ok_or_else(|| format!("cast to `{t}` is not supported"))?;
            Col::sql(format!("CAST({} AS {ty})", c.expr()))
        }
        "desc" | "asc" => Col {
            ascending: Some(method == "asc"),
            ..c
        },
        "desc_nulls_last" | "asc_nulls_first" => Col {
            ascending: Some(method.starts_with("asc")),
            ..c
        },
        "isNull" => Col::sql(format!("({} IS NULL)", c.expr())),
        "isNotNull" => Col::sql(format!("({} IS NOT NULL)", c.expr())),
        "isin" => {
            let values = Value::flatten(args)
                .iter()
                .map(Value::as_literal)
                .collect::<Result<Vec<_>, _>>()?;
            Col::sql(format!("({} IN ({}))", c.expr(), values.join(", ")))
        }
        "between" => Col::sql(format!(
            "({} BETWEEN {} AND {})",
            c.expr(),
            arg(0)?.as_value_sql()?,
            arg(1)?.as_value_sql()?
        )),
        "like" => Col::sql(format!("({} LIKE {})", c.expr(), arg(0)?.as_literal()?)),
        "contains" => Col::sql(format!(
            "strpos({}, {}) > 0",
            c.expr(),
            arg(0)?.as_literal()?
        )),
        "startswith" => Col::sql(format!(
            "starts_with({}, {})",
            c.expr(),
            arg(0)?.as_literal()?
        )),
        "when" if c.open_case => Col {
            sql: format!(
                "{} WHEN {} THEN {}",
                c.sql,
                arg(0)?.as_col()?.expr(),
                arg(1)?.as_value_sql()?
            ),
            ..c
        },
        "otherwise" if c.open_case => {
            Col::sql(format!("{} ELSE {} END", c.sql, arg(0)?.as_value_sql()?))
        }
        "over" => match arg(0)? {
            Value::Window { partition, order } => {
                let mut spec = Vec::new();
                if !partition.is_empty() {
                    spec.push(format!("PARTITION BY {}", partition.join(", ")));
                }
                if !order.is_empty() {
                    spec.push(format!("ORDER BY {}", order.join(", ")));
                }
                Col::sql(format!("{} OVER ({})", c.expr(), spec.join(" ")))
            }
            other => return Err(format!("over takes a window, got {}", other.kind())),
        },
        _ => return Err(format!("Column.{method} is not supported")),
    };
    Ok(Value::Col(c))
}

fn constant(c: &Constant) -> Result<Value, String> {
    Ok(match c {
        Constant::None => Value::None,
        Constant::Bool(b) => Value::Bool(*b),
        Constant::Str(s) => Value::Str(s.clone()),
        Constant::Int(i) => Value::Int(
            i.to_string()
                .parse()
                .map_err(|_| format!("{i} does not fit in 64 bits"))?,
        ),
        Constant::Float(f) => Value::Float(*f),
        _ => return Err("this kind of constant is not supported".into()),
    })
}

fn binary(left: &Value, op: &ast::Operator, right: &Value) -> Result<Value, String> {
    use ast::Operator::*;
    // Plain Python arithmetic on numbers and strings stays Python.
    match (left, op, right) {
        (Value::Int(a), Add, Value::Int(b)) => return Ok(Value::Int(a + b)),
        (Value::Int(a), Sub, Value::Int(b)) => return Ok(Value::Int(a - b)),
        (Value::Int(a), Mult, Value::Int(b)) => return Ok(Value::Int(a * b)),
        (Value::Str(a), Add, Value::Str(b)) => return Ok(Value::Str(format!("{a}{b}"))),
        (Value::List(a), Add, Value::List(b)) => {
            return Ok(Value::List(a.iter().chain(b).cloned().collect()));
        }
        _ => {}
    }
    let sql_op = match op {
        Add => "+",
        Sub => "-",
        Mult => "*",
        Div => "/",
        Mod => "%",
        BitAnd => "AND",
        BitOr => "OR",
        _ => return Err("unsupported operator".into()),
    };
    if !matches!(left, Value::Col(_)) && !matches!(right, Value::Col(_)) {
        return Err(format!(
            "`{sql_op}` between {} and {} is not supported",
            left.kind(),
            right.kind()
        ));
    }
    // Spark's `/` is always a division of doubles.
    let (l, r) = (left.as_value_sql()?, right.as_value_sql()?);
    Ok(Value::Col(Col::sql(if sql_op == "/" {
        format!("(CAST({l} AS DOUBLE) / {r})")
    } else {
        format!("({l} {sql_op} {r})")
    })))
}

fn compare(left: &Value, op: &ast::CmpOp, right: &Value) -> Result<Value, String> {
    use ast::CmpOp::*;
    let sql_op = match op {
        Eq => "=",
        NotEq => "<>",
        Lt => "<",
        LtE => "<=",
        Gt => ">",
        GtE => ">=",
        _ => return Err("unsupported comparison".into()),
    };
    if !matches!(left, Value::Col(_)) && !matches!(right, Value::Col(_)) {
        return Err("comparisons outside column expressions are not supported".into());
    }
    Ok(Value::Col(Col::sql(format!(
        "({} {sql_op} {})",
        left.as_value_sql()?,
        right.as_value_sql()?
    ))))
}

fn display(v: &Value) -> String {
    match v {
        Value::None => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.clone(),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(display).collect::<Vec<_>>().join(", ")
        ),
        Value::Col(c) => format!("Column<'{}'>", c.expr()),
        other => other.kind().to_string(),
    }
}

fn short_kind(v: &Value) -> &'static str {
    match v {
        Value::Frame(_) => "df",
        Value::Col(_) => "Column",
        Value::Grouped { .. } => "groupBy(…)",
        Value::Spark => "spark",
        Value::Reader { .. } => "spark.read",
        Value::Writer { .. } => "df.write",
        Value::Functions | Value::Function(_) => "F",
        Value::Window { .. } | Value::WindowClass => "Window",
        _ => "value",
    }
}

fn statement_name(stmt: &ast::Stmt) -> &'static str {
    match stmt {
        ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) => "def",
        ast::Stmt::ClassDef(_) => "class",
        ast::Stmt::For(_) | ast::Stmt::AsyncFor(_) => "for",
        ast::Stmt::While(_) => "while",
        ast::Stmt::If(_) => "if",
        ast::Stmt::With(_) | ast::Stmt::AsyncWith(_) => "with",
        ast::Stmt::Try(_) | ast::Stmt::TryStar(_) => "try",
        ast::Stmt::Return(_) => "return",
        ast::Stmt::Delete(_) => "del",
        ast::Stmt::AugAssign(_) => "augmented assignment",
        ast::Stmt::Global(_) | ast::Stmt::Nonlocal(_) => "global",
        _ => "this kind of",
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use futures::FutureExt;

    use super::*;

    async fn run(source: &str) -> Result<(Vec<Output>, Interpreter), PySparkError> {
        let ctx = SessionContext::new();
        let schema = std::sync::Arc::new(Schema::new(vec![
            Field::new("Kind", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                std::sync::Arc::new(StringArray::from(vec![Some("a"), Some("b"), None])),
                std::sync::Arc::new(Int64Array::from(vec![1, 2, 3])),
            ],
        )
        .expect("a batch");
        ctx.register_batch("t", batch).expect("registered");
        let reader_ctx = ctx.clone();
        let mut read = move |request: ReadRequest| {
            let ctx = reader_ctx.clone();
            async move {
                assert_eq!(request.paths, vec!["data/t.parquet"]);
                ctx.table("t").await.map_err(|e| e.to_string())
            }
            .boxed_local()
        };
        crate::run(&ctx, source, &mut read).await
    }

    #[tokio::test]
    async fn a_program_builds_one_plan_from_many_statements() {
        let (outputs, interpreter) = run(
            "from pyspark.sql import functions as F\n\
             df = spark.read.parquet('data/t.parquet')\n\
             df = df.withColumn('double', F.col('n') * 2)\n\
             result = df.filter(F.col('Kind').isNotNull()).groupBy('Kind').agg(F.sum('double').alias('s'))\n\
             print(result.count())\n",
        )
        .await
        .expect("runs");
        let df = interpreter.frame("result").expect("a frame");
        let rows = df
            .sort(vec![df_col("\"Kind\"").sort(true, true)])
            .expect("sorted")
            .collect()
            .await
            .expect("collected");
        let s = rows[0]
            .column(1)
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("sums");
        assert_eq!(s.values(), &[2, 4]);
        assert!(matches!(&outputs[..], [Output::Text { line: 5, text }] if text == "2"));
    }

    #[tokio::test]
    async fn an_unsupported_call_names_itself_and_its_line() {
        let error =
            run("df = spark.read.parquet('data/t.parquet')\n\nx = df.groupBy('n').pivot('Kind')\n")
                .await
                .err()
                .expect("fails");
        assert_eq!(error.line, 3);
        assert!(error.message.contains("pivot"), "{error}");
    }
}
