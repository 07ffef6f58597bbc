//! A logical plan as Spark SQL: DataFusion's unparser with Spark's dialect, over the
//! analyzed plan (views inlined, every coercion an explicit cast), so the text means on
//! Spark what the plan means in Kiln.
//!
//! Where the two engines differ for the same text, the plan is rewritten before it is
//! unparsed, so that Spark computes Kiln's answer:
//! - `int / int` is integer division in DataFusion and a double in Spark: it becomes
//!   `CAST(a / b AS BIGINT)` (equal while the quotient fits a double's 53 bits).
//! - Scalar functions named otherwise in Spark are renamed (`strpos`, `random`,
//!   `character_length`, `btrim`).

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, ExprSchema};
use datafusion::error::Result;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::{
    BinaryExpr, Cast, Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder, Operator,
};
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    self, Ident, ObjectName, ObjectNamePart, TimezoneInfo, VisitMut, VisitorMut,
};
use datafusion::sql::unparser::Unparser;
use datafusion::sql::unparser::dialect::{
    CharacterLengthStyle, DateFieldExtractStyle, Dialect, IntervalStyle,
};

use crate::error::EngineError;

/// Spark SQL's way of writing what DataFusion's unparser writes.
pub struct SparkDialect;

impl Dialect for SparkDialect {
    fn identifier_quote_style(&self, _identifier: &str) -> Option<char> {
        // Always quoted: names like `PULocationID` or `count(*)` survive as written.
        Some('`')
    }

    fn supports_nulls_first_in_sort(&self) -> bool {
        // Explicit, since the engines differ in where NULLs go by default.
        true
    }

    fn use_timestamp_for_date64(&self) -> bool {
        true
    }

    fn interval_style(&self) -> IntervalStyle {
        IntervalStyle::MySQL
    }

    fn utf8_cast_dtype(&self) -> ast::DataType {
        ast::DataType::String(None)
    }

    fn large_utf8_cast_dtype(&self) -> ast::DataType {
        ast::DataType::String(None)
    }

    fn date_field_extract_style(&self) -> DateFieldExtractStyle {
        DateFieldExtractStyle::DatePart
    }

    fn character_length_style(&self) -> CharacterLengthStyle {
        CharacterLengthStyle::Length
    }

    fn int64_cast_dtype(&self) -> ast::DataType {
        ast::DataType::BigInt(None)
    }

    fn int32_cast_dtype(&self) -> ast::DataType {
        ast::DataType::Int(None)
    }

    fn timestamp_cast_dtype(
        &self,
        _time_unit: &datafusion::arrow::datatypes::TimeUnit,
        _tz: &Option<Arc<str>>,
    ) -> ast::DataType {
        ast::DataType::Timestamp(None, TimezoneInfo::None)
    }

    fn requires_derived_table_alias(&self) -> bool {
        true
    }

    fn window_func_support_window_frame(
        &self,
        func_name: &str,
        _start_bound: &ast::WindowFrameBound,
        _end_bound: &ast::WindowFrameBound,
    ) -> bool {
        // Spark refuses a frame on ranking and offset functions (they have a fixed one).
        !matches!(
            func_name.to_ascii_lowercase().as_str(),
            "row_number"
                | "rank"
                | "dense_rank"
                | "percent_rank"
                | "cume_dist"
                | "ntile"
                | "lag"
                | "lead"
        )
    }

    fn scalar_function_to_sql_overrides(
        &self,
        unparser: &Unparser,
        func_name: &str,
        args: &[Expr],
    ) -> Result<Option<ast::Expr>> {
        let renamed = match func_name {
            "strpos" => "instr",
            "random" => "rand",
            "character_length" | "char_length" => "length",
            "btrim" => "trim",
            _ => return Ok(None),
        };
        let args = args
            .iter()
            .map(|a| unparser.expr_to_sql(a))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(call(renamed, args)))
    }
}

fn call(name: &str, args: Vec<ast::Expr>) -> ast::Expr {
    ast::Expr::Function(ast::Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: ast::FunctionArguments::None,
        args: ast::FunctionArguments::List(ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(a)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// `plan` (as built by the SQL planner or a DataFrame, before optimization) as one Spark
/// SQL query over the tables it scans, named as in the catalog.
pub fn to_spark_sql(state: &SessionState, plan: &LogicalPlan) -> Result<String, EngineError> {
    let analyzed =
        state
            .analyzer()
            .execute_and_check(plan.clone(), state.config_options(), |_, _| {})?;
    let rewritten = analyzed
        .transform_up(|node| {
            let schema = merged_input_schema(&node);
            let mapped = node.map_expressions(|e| e.transform_up(|e| rewrite_expr(e, &schema)))?;
            let mapped = if mapped.transformed {
                mapped.map_data(|n| n.recompute_schema())?
            } else {
                mapped
            };
            mapped.transform_data(|node| match &node {
                // The unparser lifts a filter over a projection out of its derived
                // table (a LEFT JOIN's right side filtered, say, becomes a WHERE after
                // the join); a projection over the filter keeps it inside.
                LogicalPlan::Filter(filter)
                    if matches!(filter.input.as_ref(), LogicalPlan::Projection(_)) =>
                {
                    let columns: Vec<Expr> = node
                        .schema()
                        .columns()
                        .into_iter()
                        .map(Expr::Column)
                        .collect();
                    Ok(Transformed::yes(
                        LogicalPlanBuilder::from(node).project(columns)?.build()?,
                    ))
                }
                _ => Ok(Transformed::no(node)),
            })
        })?
        .data;
    // The unparser writes an aggregate's SELECT list in its own order (aggregates
    // first); a projection on top pins the columns to the plan's order.
    let rewritten = match rewritten {
        LogicalPlan::Projection(_) => rewritten,
        other => {
            let columns: Vec<Expr> = other
                .schema()
                .columns()
                .into_iter()
                .map(Expr::Column)
                .collect();
            LogicalPlanBuilder::from(other).project(columns)?.build()?
        }
    };
    let mut statement = Unparser::new(&SparkDialect)
        .with_pretty(true)
        .plan_to_sql(&rewritten)?;
    let _ = statement.visit(&mut Scopes::default());
    Ok(statement.to_string())
}

/// Fixes what DataFusion's unparser leaves behind when it nests a plan in derived
/// tables: columns still named by a table (`path_1.x`, `yellow.x`) that the query they
/// sit in cannot see, which Spark refuses. In each query, a column named by a table the
/// query's FROM does not list is renamed to the one table it lists, or loses the table
/// name when there are several (the name is then unique among them, as the plan was).
#[derive(Default)]
struct Scopes {
    /// The table names each enclosing query sees; `None`: leave its columns alone.
    stack: Vec<Option<Vec<String>>>,
}

fn visible(select: &ast::Select) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for from in &select.from {
        for factor in std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation))
        {
            let name = match factor {
                ast::TableFactor::Table { alias: Some(a), .. }
                | ast::TableFactor::Derived { alias: Some(a), .. } => a.name.value.clone(),
                ast::TableFactor::Table { name, .. } => match name.0.last() {
                    Some(ObjectNamePart::Identifier(i)) => i.value.clone(),
                    _ => return None,
                },
                _ => return None,
            };
            names.push(name);
        }
    }
    Some(names)
}

impl VisitorMut for Scopes {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut ast::Query) -> ControlFlow<()> {
        match query.body.as_mut() {
            ast::SetExpr::Select(select) => self.stack.push(visible(select)),
            body => {
                // The sides of a UNION each see their own FROM.
                fix_set_sides(body);
                self.stack.push(None);
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &mut ast::Query) -> ControlFlow<()> {
        self.stack.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
        if let (ast::Expr::CompoundIdentifier(parts), Some(Some(names))) =
            (&mut *expr, self.stack.last())
            && parts.len() == 2
            && !names.iter().any(|n| *n == parts[0].value)
            && !names.is_empty()
        {
            if let [only] = names.as_slice() {
                parts[0] = Ident::with_quote('`', only.clone());
            } else {
                *expr = ast::Expr::Identifier(parts[1].clone());
            }
        }
        ControlFlow::Continue(())
    }
}

fn fix_set_sides(body: &mut ast::SetExpr) {
    match body {
        ast::SetExpr::SetOperation { left, right, .. } => {
            fix_set_sides(left);
            fix_set_sides(right);
        }
        ast::SetExpr::Select(select) => {
            let mut scopes = Scopes {
                stack: vec![visible(select)],
            };
            let _ = select.visit(&mut scopes);
        }
        _ => {}
    }
}

/// The schema a node's expressions are evaluated against: its inputs' columns.
fn merged_input_schema(node: &LogicalPlan) -> DFSchema {
    let mut schema = DFSchema::empty();
    for input in node.inputs() {
        schema.merge(input.schema());
    }
    schema
}

fn rewrite_expr(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    Ok(match expr {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Divide,
            right,
        }) if is_integer(&left, schema) && is_integer(&right, schema) => {
            Transformed::yes(Expr::Cast(Cast::new(
                Box::new(Expr::BinaryExpr(BinaryExpr::new(
                    left,
                    Operator::Divide,
                    right,
                ))),
                DataType::Int64,
            )))
        }
        other => Transformed::no(other),
    })
}

fn is_integer(expr: &Expr, schema: &dyn ExprSchema) -> bool {
    expr.get_type(schema).is_ok_and(|t| t.is_integer())
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn sql(query: &str) -> String {
        let ctx = SessionContext::new();
        let schema = Arc::new(Schema::new(vec![
            Field::new("PULocationID", DataType::Int64, false),
            Field::new("Zone", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(StringArray::from(vec![Some("a"), None])),
            ],
        )
        .unwrap();
        ctx.register_batch("trips", batch).unwrap();
        let plan = ctx.state().create_logical_plan(query).await.unwrap();
        to_spark_sql(&ctx.state(), &plan).unwrap()
    }

    #[tokio::test]
    async fn identifiers_are_backquoted_and_integer_division_stays_integral() {
        let text = sql("SELECT \"PULocationID\" / 2 AS half FROM trips").await;
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("CAST((`trips`.`PULocationID` / 2) AS BIGINT) AS `half`"),
            "{text}"
        );
        assert!(flat.contains("FROM `trips`"), "{text}");
    }

    #[test]
    fn columns_named_by_a_table_their_query_cannot_see_are_renamed() {
        use datafusion::sql::sqlparser::dialect::GenericDialect;
        use datafusion::sql::sqlparser::parser::Parser;

        let sql = "SELECT yellow.a, t.b FROM (SELECT yellow.a, yellow.b FROM yellow LIMIT 3) AS d \
                   WHERE x IN (SELECT zones.id FROM zones) \
                   UNION ALL SELECT q.a, q.b FROM l JOIN r ON l.k = r.k";
        let mut statement = Parser::parse_sql(&GenericDialect {}, sql)
            .unwrap()
            .remove(0);
        let _ = statement.visit(&mut Scopes::default());
        let text = statement.to_string();
        // One table in view: renamed to it. Inner queries keep their own names. Several
        // in view: the name alone.
        assert!(
            text.starts_with(
                "SELECT `d`.a, `d`.b FROM (SELECT yellow.a, yellow.b FROM yellow LIMIT 3) AS d"
            ),
            "{text}"
        );
        assert!(text.contains("(SELECT zones.id FROM zones)"), "{text}");
        assert!(
            text.contains("SELECT a, b FROM l JOIN r ON l.k = r.k"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn strings_cast_to_spark_string_and_sorts_say_where_nulls_go() {
        let text =
            sql("SELECT CAST(\"PULocationID\" AS VARCHAR) AS s FROM trips ORDER BY \"Zone\"").await;
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("AS STRING"), "{text}");
        assert!(flat.contains("NULLS LAST"), "{text}");
    }
}
