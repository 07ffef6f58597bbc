//! `pyspark.sql.functions` (`F.*`) as SQL expressions DataFusion evaluates the same way.

use crate::column::{Col, quote_str};
use crate::interpreter::Value;

/// Functions whose DataFusion SQL name and arguments are Spark's (columns by name).
const SAME_NAME: &[&str] = &[
    "sum", "avg", "min", "max", "abs", "sqrt", "exp", "ln", "log10", "floor", "ceil", "upper",
    "lower", "trim", "ltrim", "rtrim", "length", "concat", "coalesce", "greatest", "least",
    "stddev", "variance", "md5", "reverse", "initcap",
];

/// `F.name(args)` as a column, or why not.
pub fn call(name: &str, args: &[Value]) -> Result<Col, String> {
    let cols = |args: &[Value]| -> Result<Vec<String>, String> {
        args.iter().map(|a| a.as_col().map(|c| c.expr())).collect()
    };
    let one = |args: &[Value]| -> Result<String, String> {
        match args {
            [a] => Ok(a.as_col()?.expr()),
            _ => Err(format!(
                "F.{name} takes one column, got {} arguments",
                args.len()
            )),
        }
    };
    let lit = |v: &Value| v.as_literal();
    let date_part = |part: &str, args: &[Value]| -> Result<Col, String> {
        Ok(Col::sql(format!(
            "CAST(date_part('{part}', {}) AS INT)",
            one(args)?
        )))
    };
    Ok(match name {
        "col" | "column" => match args {
            [Value::Str(n)] => Col::name(n),
            _ => return Err(format!("F.{name} takes a column name")),
        },
        "lit" => match args {
            [v] => Col::sql(lit(v)?),
            _ => return Err("F.lit takes one value".into()),
        },
        "expr" => match args {
            [Value::Str(sql)] => Col::sql(format!("({sql})")),
            _ => return Err("F.expr takes a SQL expression as a string".into()),
        },
        "mean" => Col::sql(format!("avg({})", one(args)?)),
        "count" => match args {
            [Value::Str(s)] if s == "*" => Col::sql("count(*)"),
            _ => Col::sql(format!("count({})", one(args)?)),
        },
        "countDistinct" | "count_distinct" => {
            Col::sql(format!("count(DISTINCT {})", cols(args)?.join(", ")))
        }
        "approx_count_distinct" => Col::sql(format!("approx_distinct({})", one(args)?)),
        "first" => Col::sql(format!("first_value({})", one(args)?)),
        "last" => Col::sql(format!("last_value({})", one(args)?)),
        "collect_list" => Col::sql(format!("array_agg({})", one(args)?)),
        "round" => match args {
            [c] => Col::sql(format!("round({})", c.as_col()?.expr())),
            [c, n] => Col::sql(format!("round({}, {})", c.as_col()?.expr(), lit(n)?)),
            _ => return Err("F.round takes a column and a scale".into()),
        },
        "when" => match args {
            [cond, value] => Col {
                sql: format!(
                    "CASE WHEN {} THEN {}",
                    cond.as_col()?.expr(),
                    value.as_value_sql()?
                ),
                alias: None,
                ascending: None,
                open_case: true,
            },
            _ => return Err("F.when takes a condition and a value".into()),
        },
        "date_trunc" => match args {
            [Value::Str(unit), c] => Col::sql(format!(
                "date_trunc({}, {})",
                quote_str(&unit.to_ascii_lowercase()),
                c.as_col()?.expr()
            )),
            _ => return Err("F.date_trunc takes a unit ('month', 'day', ...) and a column".into()),
        },
        "to_date" => match args {
            [c] => Col::sql(format!("CAST({} AS DATE)", c.as_col()?.expr())),
            [c, Value::Str(f)] => Col::sql(format!(
                "to_date({}, {})",
                c.as_col()?.expr(),
                quote_str(&java_to_chrono(f))
            )),
            _ => return Err("F.to_date takes a column and an optional format".into()),
        },
        "to_timestamp" => Col::sql(format!("CAST({} AS TIMESTAMP)", one(args)?)),
        "year" => date_part("year", args)?,
        "month" => date_part("month", args)?,
        "dayofmonth" => date_part("day", args)?,
        "hour" => date_part("hour", args)?,
        "minute" => date_part("minute", args)?,
        "second" => date_part("second", args)?,
        "quarter" => date_part("quarter", args)?,
        // Spark counts Sunday as 1; date_part's dow counts it as 0.
        "dayofweek" => Col::sql(format!("CAST(date_part('dow', {}) AS INT) + 1", one(args)?)),
        "desc" | "asc" => {
            let mut c = match args {
                [v] => v.as_col()?,
                _ => return Err(format!("F.{name} takes one column")),
            };
            c.ascending = Some(name == "asc");
            c
        }
        "row_number" | "rank" | "dense_rank" | "percent_rank" | "cume_dist" if args.is_empty() => {
            Col::sql(format!("{name}()"))
        }
        "lag" | "lead" => match args {
            [c] => Col::sql(format!("{name}({})", c.as_col()?.expr())),
            [c, n] => Col::sql(format!("{name}({}, {})", c.as_col()?.expr(), lit(n)?)),
            [c, n, d] => Col::sql(format!(
                "{name}({}, {}, {})",
                c.as_col()?.expr(),
                lit(n)?,
                lit(d)?
            )),
            _ => return Err(format!("F.{name} takes a column, an offset and a default")),
        },
        "substring" => match args {
            [c, p, l] => Col::sql(format!(
                "substr({}, {}, {})",
                c.as_col()?.expr(),
                lit(p)?,
                lit(l)?
            )),
            _ => return Err("F.substring takes a column, a position and a length".into()),
        },
        "concat_ws" => match args {
            [Value::Str(sep), rest @ ..] => Col::sql(format!(
                "concat_ws({}, {})",
                quote_str(sep),
                cols(rest)?.join(", ")
            )),
            _ => return Err("F.concat_ws takes a separator and columns".into()),
        },
        "isnull" => Col::sql(format!("({} IS NULL)", one(args)?)),
        "udf" | "pandas_udf" => {
            return Err(format!(
                "F.{name}: Python functions do not run in Kiln (there is no Python here); \
                 write the logic with F.when, F.expr or SQL"
            ));
        }
        n if SAME_NAME.contains(&n) => Col::sql(format!("{n}({})", cols(args)?.join(", "))),
        _ => return Err(format!("F.{name} is not supported")),
    })
}

/// Java's date pattern letters as chrono's, for the common ones.
fn java_to_chrono(pattern: &str) -> String {
    pattern
        .replace("yyyy", "%Y")
        .replace("MM", "%m")
        .replace("dd", "%d")
        .replace("HH", "%H")
        .replace("mm", "%M")
        .replace("ss", "%S")
}
