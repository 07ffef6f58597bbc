//! SQL that DataFusion 55 answers wrongly even in one process, refused with a reason
//! and a rewrite that is answered right. Kiln's differential tests against DuckDB
//! found each; a wrong answer is worse than an error. Remove a check when the
//! DataFusion release Kiln uses fixes the construct (the tests then say so: the
//! refusal turns into a failure against DuckDB's answer once the check is gone).
//!
//! - `INTERSECT ALL` / `EXCEPT ALL` are planned as a semi / anti join, which keeps every
//!   copy of a left row (or none) instead of min(m, n) (or m - n) copies.
//! - `x [NOT] IN (subquery)` anywhere but a top-level `WHERE` conjunct becomes a mark
//!   join, whose mark is never NULL (DataFusion documents this on `JoinType::LeftMark`):
//!   with a NULL on either side, `NOT IN` there is TRUE where SQL says NULL.

use std::ops::ControlFlow;

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::InSubquery;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::{Query, SetExpr, SetOperator, SetQuantifier, Visit, Visitor};

use crate::error::EngineError;

/// Refuses a statement that uses `INTERSECT ALL` or `EXCEPT ALL`.
pub fn check_statement(statement: &Statement) -> Result<(), EngineError> {
    let inner = match statement {
        Statement::Statement(inner) => inner.as_ref(),
        Statement::Explain(explain) => return check_statement(&explain.statement),
        _ => return Ok(()),
    };
    match inner.visit(&mut BagSetOperations) {
        ControlFlow::Break(what) => Err(EngineError::Unsupported(format!(
            "{what} is answered wrongly by DataFusion 55, so Kiln refuses it: it keeps every \
             copy of a matching row instead of the counts SQL asks for. Write it without ALL \
             (distinct rows), or number the copies with row_number() OVER (PARTITION BY the \
             columns) and join on that number too"
        ))),
        ControlFlow::Continue(()) => Ok(()),
    }
}

struct BagSetOperations;

impl Visitor for BagSetOperations {
    type Break = &'static str;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        bag_set_operation(&query.body)
    }
}

fn bag_set_operation(body: &SetExpr) -> ControlFlow<&'static str> {
    if let SetExpr::SetOperation {
        op,
        set_quantifier,
        left,
        right,
    } = body
    {
        let all = matches!(
            set_quantifier,
            SetQuantifier::All | SetQuantifier::AllByName
        );
        match op {
            SetOperator::Intersect if all => return ControlFlow::Break("INTERSECT ALL"),
            SetOperator::Except | SetOperator::Minus if all => {
                return ControlFlow::Break("EXCEPT ALL");
            }
            _ => {}
        }
        bag_set_operation(left)?;
        bag_set_operation(right)?;
    }
    ControlFlow::Continue(())
}

/// Refuses a plan with an `IN (subquery)` whose answer would need a NULL mark.
pub fn check_plan(plan: &LogicalPlan) -> Result<(), EngineError> {
    let mut found = None;
    plan.apply_with_subqueries(|node| {
        let schema = match node.inputs().as_slice() {
            [input] => Some(input.schema().as_ref().clone()),
            _ => None,
        };
        let mut check = |expr: &Expr, positive: bool| {
            if found.is_none() {
                found = wrong_in_subquery(expr, positive, schema.as_ref());
            }
        };
        match node {
            // A top-level conjunct `x NOT IN (...)` is a null-aware anti join: right.
            LogicalPlan::Filter(filter) => {
                for conjunct in split_conjunction(&filter.predicate) {
                    if !matches!(conjunct, Expr::InSubquery(_)) {
                        check(conjunct, true);
                    }
                }
            }
            other => {
                other.apply_expressions(|expr| {
                    check(expr, false);
                    Ok(TreeNodeRecursion::Continue)
                })?;
            }
        }
        Ok(if found.is_some() {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    })?;
    match found {
        None => Ok(()),
        Some(what) => Err(EngineError::Unsupported(format!(
            "{what} over a value that may be NULL, inside OR, NOT or outside WHERE, is answered \
             wrongly by DataFusion 55, so Kiln refuses it (it cannot give the NULL that SQL \
             gives there). Use \
             [NOT] EXISTS (SELECT ... WHERE inner = outer) instead, or keep NULLs out of both \
             sides (IS NOT NULL)"
        ))),
    }
}

/// `positive`: whether `expr` decides a filter only through AND and OR, where NULL and
/// FALSE both drop the row (so a non-NULL mark for `IN` is still right there).
fn wrong_in_subquery(
    expr: &Expr,
    positive: bool,
    schema: Option<&DFSchema>,
) -> Option<&'static str> {
    match expr {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And | Operator::Or,
            right,
        }) => wrong_in_subquery(left, positive, schema)
            .or_else(|| wrong_in_subquery(right, positive, schema)),
        Expr::Not(inner) => wrong_in_subquery(inner, false, schema),
        Expr::InSubquery(in_subquery) => {
            let InSubquery {
                expr: probe,
                subquery,
                negated,
            } = in_subquery;
            let nullable = schema.is_none_or(|s| probe.nullable(s).unwrap_or(true))
                || subquery
                    .subquery
                    .schema()
                    .fields()
                    .iter()
                    .any(|f| f.is_nullable());
            let wrong = nullable && (*negated || !positive);
            wrong.then_some(if *negated {
                "NOT IN (subquery)"
            } else {
                "IN (subquery)"
            })
        }
        other => {
            let mut found = None;
            let _ = other.apply_children(|child| {
                found = wrong_in_subquery(child, false, schema);
                Ok(if found.is_some() {
                    TreeNodeRecursion::Stop
                } else {
                    TreeNodeRecursion::Continue
                })
            });
            found
        }
    }
}
