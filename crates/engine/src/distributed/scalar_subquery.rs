//! Uncorrelated scalar subqueries in a job.
//!
//! In one process DataFusion runs `(SELECT y FROM u)` once and hands its value to the
//! expressions that use it in memory (`ScalarSubqueryExec`), failing when it returns
//! more than one row. A job cannot share memory across stages, so a job's session plans
//! such a subquery as a join instead (`enable_physical_uncorrelated_scalar_subquery =
//! false`), and DataFusion documents what that costs: a subquery that returns several
//! rows then silently multiplies the outer rows. [`SingleRowSubqueries`] closes that
//! gap: before the rewrite to a join, every scalar subquery not already known to return
//! at most one row is wrapped in [`scalar_subquery_value`], an aggregate that is its one
//! value (NULL for no rows) and fails with DataFusion's own message for more than one.
//! An aggregate without GROUP BY returns exactly one row, so the join stays one to one.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, UInt64Type};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, Aggregate, AggregateUDF, AggregateUDFImpl, Expr, LogicalPlan, Signature, Subquery,
    Volatility,
};
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

/// `scalar_subquery_value(x)`: the one value of `x`, NULL over no rows, an error over
/// more than one.
pub fn scalar_subquery_value() -> AggregateUDF {
    AggregateUDF::from(ScalarSubqueryValue::new())
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ScalarSubqueryValue {
    signature: Signature,
}

impl ScalarSubqueryValue {
    fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for ScalarSubqueryValue {
    fn name(&self) -> &str {
        "scalar_subquery_value"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [one] => Ok(one.clone()),
            _ => exec_err!("scalar_subquery_value takes one argument"),
        }
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OneValue {
            rows: 0,
            value: ScalarValue::try_from(args.return_type())?,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new("rows", DataType::UInt64, false)),
            Arc::new(
                args.return_field
                    .as_ref()
                    .clone()
                    .with_name("value")
                    .with_nullable(true),
            ),
        ])
    }
}

#[derive(Debug)]
struct OneValue {
    rows: u64,
    value: ScalarValue,
}

impl OneValue {
    fn add(&mut self, rows: u64, values: &ArrayRef, index: usize) -> Result<()> {
        if rows == 0 {
            return Ok(());
        }
        if self.rows == 0 {
            self.value = ScalarValue::try_from_array(values, index)?;
        }
        self.rows += rows;
        if self.rows > 1 {
            // DataFusion's own words for it in one process (`ScalarSubqueryExec`).
            return exec_err!("Scalar subquery returned more than one row");
        }
        Ok(())
    }
}

impl Accumulator for OneValue {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        match values.first() {
            Some(values) => self.add(values.len() as u64, values, 0),
            None => Ok(()),
        }
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [rows, values] = states else {
            return exec_err!("scalar_subquery_value: a state is rows and value");
        };
        let rows = rows.as_primitive::<UInt64Type>();
        for i in 0..rows.len() {
            self.add(rows.value(i), values, i)?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::UInt64(Some(self.rows)),
            self.value.clone(),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.value.clone())
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.value.size() - std::mem::size_of_val(&self.value)
    }
}

/// The logical rule that wraps scalar subqueries (see the module's documentation). It
/// runs first, before DataFusion's `ScalarSubqueryToJoin` turns them into joins.
#[derive(Debug, Default)]
pub struct SingleRowSubqueries;

impl OptimizerRule for SingleRowSubqueries {
    fn name(&self) -> &str {
        "kiln_single_row_subqueries"
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        plan.transform_up_with_subqueries(|node| {
            node.map_expressions(|expr| {
                expr.transform_up(|expr| match expr {
                    Expr::ScalarSubquery(subquery)
                        if subquery.outer_ref_columns.is_empty()
                            && !at_most_one_row(&subquery.subquery) =>
                    {
                        Ok(Transformed::yes(Expr::ScalarSubquery(one_value(subquery)?)))
                    }
                    other => Ok(Transformed::no(other)),
                })
            })
        })
    }
}

/// `subquery` as an aggregate of its one column, under the column's own name.
fn one_value(subquery: Subquery) -> Result<Subquery> {
    let input = Arc::clone(&subquery.subquery);
    let schema = input.schema();
    if schema.fields().len() != 1 {
        // Not a scalar subquery DataFusion accepts; its own error says why.
        return Ok(subquery);
    }
    let (qualifier, field) = schema.qualified_field(0);
    let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
    let value = scalar_subquery_value()
        .call(vec![column])
        .alias(field.name());
    let aggregate = Aggregate::try_new(input, Vec::new(), vec![value])?;
    Ok(Subquery {
        subquery: Arc::new(LogicalPlan::Aggregate(aggregate)),
        ..subquery
    })
}

/// Whether `plan` returns at most one row whatever its input: an aggregate without
/// GROUP BY, seen through the nodes that cannot add rows.
fn at_most_one_row(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Aggregate(aggregate) => aggregate.group_expr.is_empty(),
        LogicalPlan::Projection(p) => at_most_one_row(&p.input),
        LogicalPlan::SubqueryAlias(a) => at_most_one_row(&a.input),
        LogicalPlan::Filter(f) => at_most_one_row(&f.input),
        LogicalPlan::Sort(s) => at_most_one_row(&s.input),
        LogicalPlan::EmptyRelation(_) => true,
        LogicalPlan::Values(v) => v.values.len() <= 1,
        _ => false,
    }
}
