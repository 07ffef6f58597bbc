//! Column profiles of a kept result, as Quak and MotherDuck's column explorer show them
//! above a table: nulls, distinct values, min/max and a shape per column, over every
//! row of the result (not the rows in view).
//!
//! One aggregate query gives every column's count, distinct estimate, min and max; a
//! second look per column draws its shape: numbers, dates and times are binned into
//! equal-width bins (one scan of the column's values), anything else counts its most
//! common values (a group-by). Each bar carries the SQL condition that selects exactly
//! its rows, so a click on it becomes a filter in the editor and any SQL engine (DuckDB
//! in the tests) counts the same rows with it.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::compute::kernels::arity::unary;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use datafusion::arrow::util::display::ArrayFormatter;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::SessionContext;
use kiln_protocol::{ColumnProfile, ColumnShape, ProfileBar, ResultProfile};

use kiln_pyspark::{quote_ident, quote_str};

use crate::engine::QueryOutput;
use crate::error::EngineError;
use crate::sql_types::display_options;

/// Bins a histogram aims at; nice bin widths give between about half and all of these.
pub const HISTOGRAM_BINS: usize = 20;
/// Most common values listed for a column that is not binned.
pub const TOP_VALUES: usize = 8;

/// How a column is profiled, by its type.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Integers, dates and times: binned on their exact `i64` value.
    Whole { temporal: Temporal },
    /// Floats and decimals: binned as `f64`.
    Fractional,
    /// Text and booleans: most common values.
    Values,
    /// Binary: counted, not drawn (its values are not worth printing).
    Opaque,
    /// Nested types and NULL: only nulls.
    Nested,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Temporal {
    No,
    /// Days since the epoch.
    Date32,
    /// A timestamp (or Date64, in whole days) counted in `unit_seconds` seconds per step.
    Time {
        unit_seconds: f64,
        whole_days: bool,
    },
}

fn kind(data_type: &DataType) -> Kind {
    use datafusion::arrow::datatypes::TimeUnit;
    let time = |unit: &TimeUnit, whole_days: bool| Kind::Whole {
        temporal: Temporal::Time {
            whole_days,
            unit_seconds: match unit {
                TimeUnit::Second => 1.0,
                TimeUnit::Millisecond => 1e-3,
                TimeUnit::Microsecond => 1e-6,
                TimeUnit::Nanosecond => 1e-9,
            },
        },
    };
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => Kind::Whole {
            temporal: Temporal::No,
        },
        // A u64 may not fit an i64.
        DataType::UInt64
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => Kind::Fractional,
        DataType::Date32 => Kind::Whole {
            temporal: Temporal::Date32,
        },
        DataType::Date64 => time(&TimeUnit::Millisecond, true),
        DataType::Timestamp(unit, _) => time(unit, false),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean => {
            Kind::Values
        }
        DataType::Dictionary(_, value) => match kind(value) {
            Kind::Values => Kind::Values,
            _ => Kind::Nested,
        },
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => Kind::Opaque,
        _ => Kind::Nested,
    }
}

/// A float column's values as the bits of an `f64`, so DataFusion's `approx_distinct`
/// (which has no float accumulator) counts them as integers: -0.0 as the 0.0 SQL's
/// equality says it is, every NaN as one value.
fn float_bits(array: &ArrayRef) -> Result<ArrayRef, EngineError> {
    let floats = cast(array, &DataType::Float64)?;
    let bits: Int64Array = unary(floats.as_primitive::<Float64Type>(), |v| {
        let canonical = if v == 0.0 {
            0.0
        } else if v.is_nan() {
            f64::NAN
        } else {
            v
        };
        canonical.to_bits() as i64
    });
    Ok(Arc::new(bits))
}

fn is_float(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Float16 | DataType::Float32 | DataType::Float64
    )
}

/// Profiles every column of `output` (the caller times it: the engine has no clock in
/// the browser). Columns are addressed by position internally, so duplicate or odd
/// names in the result do not matter.
pub async fn profile(output: &QueryOutput) -> Result<ResultProfile, EngineError> {
    let rows = output.num_rows();
    let fields = output.schema.fields();
    let mut positional: Vec<Field> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| Field::new(format!("c{i}"), f.data_type().clone(), true))
        .collect();
    let floats: Vec<usize> = (0..fields.len())
        .filter(|i| is_float(fields[*i].data_type()))
        .collect();
    positional.extend(
        floats
            .iter()
            .map(|i| Field::new(format!("b{i}"), DataType::Int64, true)),
    );
    let positional = Arc::new(Schema::new(positional));
    // Streamed from the result for each query the profile asks, so a result kept on
    // disk is read a batch at a time, never loaded.
    let table = StreamingTable::try_new(
        positional.clone(),
        vec![Arc::new(Positional {
            output: output.clone(),
            schema: positional.clone(),
            floats,
        })],
    )?;
    let ctx = SessionContext::new();
    ctx.register_table("r", Arc::new(table))?;

    let kinds: Vec<Kind> = fields.iter().map(|f| kind(f.data_type())).collect();
    let types: Vec<&DataType> = fields.iter().map(|f| f.data_type()).collect();
    let stats = column_stats(&ctx, &kinds, &types).await?;
    let mut columns = Vec::with_capacity(fields.len());
    for (i, field) in fields.iter().enumerate() {
        let stat = &stats[i];
        let column = ColumnRef {
            index: i,
            sql_name: quote_ident(field.name()),
            data_type: field.data_type().clone(),
        };
        let shape = match kinds[i] {
            _ if stat.non_null == 0 => ColumnShape::Empty,
            Kind::Whole { temporal } => whole_histogram(output, &column, temporal, stat)?,
            Kind::Fractional => fractional_histogram(output, &column)?,
            Kind::Values => top_values(&ctx, &column, stat.non_null).await?,
            Kind::Opaque | Kind::Nested => ColumnShape::Empty,
        };
        columns.push(ColumnProfile {
            name: field.name().clone(),
            nulls: rows - stat.non_null,
            distinct: stat.distinct,
            min: stat.min_text.clone(),
            max: stat.max_text.clone(),
            shape,
        });
    }
    Ok(ResultProfile {
        rows,
        columns,
        elapsed_ms: 0.0,
    })
}

struct ColumnRef {
    index: usize,
    /// The result's name of the column, quoted for the filters the user sees.
    sql_name: String,
    data_type: DataType,
}

struct Stats {
    non_null: u64,
    distinct: Option<u64>,
    /// Min and max as one-row arrays of the column's type, and as printed.
    min: Option<ArrayRef>,
    max: Option<ArrayRef>,
    min_text: Option<String>,
    max_text: Option<String>,
}

/// Count, distinct estimate, min and max of every column, in one aggregate query.
async fn column_stats(
    ctx: &SessionContext,
    kinds: &[Kind],
    types: &[&DataType],
) -> Result<Vec<Stats>, EngineError> {
    let mut select = Vec::new();
    // Where each column's aggregates are in the answer's row.
    let mut slots = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        let c = format!("c{i}");
        let first = select.len();
        select.push(format!("count({c})"));
        let distinct = match kind {
            Kind::Nested => None,
            // approx_distinct has no float accumulator: a float is counted by its bits,
            // in a column the table has beside it (see `float_bits`).
            Kind::Fractional if is_float(types[i]) => Some(format!("approx_distinct(b{i})")),
            // Nor a dictionary one; the values' text counts the same.
            Kind::Values if matches!(types[i], DataType::Dictionary(..)) => {
                Some(format!("approx_distinct(CAST({c} AS VARCHAR))"))
            }
            _ => Some(format!("approx_distinct({c})")),
        };
        let has_distinct = distinct.is_some();
        select.extend(distinct);
        let ordered = matches!(kind, Kind::Whole { .. } | Kind::Fractional | Kind::Values);
        if ordered {
            select.push(format!("min({c})"));
            select.push(format!("max({c})"));
        }
        slots.push((first, has_distinct, ordered));
    }
    if select.is_empty() {
        return Ok(Vec::new());
    }
    let answer = ctx
        .sql(&format!("SELECT {} FROM r", select.join(", ")))
        .await?
        .collect()
        .await?;
    let row = answer
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| EngineError::InvalidInput("the profile query gave no row".into()))?;
    let options = display_options();
    let text = |a: &ArrayRef| -> Result<Option<String>, EngineError> {
        if a.is_null(0) {
            return Ok(None);
        }
        Ok(Some(
            ArrayFormatter::try_new(a.as_ref(), &options)?
                .value(0)
                .to_string(),
        ))
    };
    let mut stats = Vec::with_capacity(kinds.len());
    for (first, has_distinct, ordered) in slots {
        let count = cast(row.column(first), &DataType::Int64)?;
        let non_null = count.as_primitive::<Int64Type>().value(0) as u64;
        let mut next = first + 1;
        let distinct = if has_distinct {
            let d = cast(row.column(next), &DataType::Int64)?;
            next += 1;
            Some(d.as_primitive::<Int64Type>().value(0) as u64)
        } else {
            None
        };
        let (min, max) = if ordered {
            (
                Some(row.column(next).clone()),
                Some(row.column(next + 1).clone()),
            )
        } else {
            (None, None)
        };
        stats.push(Stats {
            non_null,
            distinct,
            min_text: min.as_ref().map(text).transpose()?.flatten(),
            max_text: max.as_ref().map(text).transpose()?.flatten(),
            min,
            max,
        });
    }
    Ok(stats)
}

/// The result with columns named by position, and each float's bits beside it.
#[derive(Debug)]
struct Positional {
    output: QueryOutput,
    schema: SchemaRef,
    floats: Vec<usize>,
}

impl PartitionStream for Positional {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let (schema, floats) = (self.schema.clone(), self.floats.clone());
        let batches = self.output.batches().map(move |b| {
            let b = b.map_err(|e| DataFusionError::External(Box::new(e)))?;
            let mut columns = b.columns().to_vec();
            for i in &floats {
                columns.push(
                    float_bits(b.column(*i)).map_err(|e| DataFusionError::External(Box::new(e)))?,
                );
            }
            Ok(RecordBatch::try_new(schema.clone(), columns)?)
        });
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}

/// A column's values through `to` (`Int64` or `Float64`), batch by batch. A batch that
/// does not cast fails the profile: leaving it out would miscount every bar.
fn values_as(
    output: &QueryOutput,
    column: &ColumnRef,
    to: &DataType,
) -> Result<Vec<ArrayRef>, EngineError> {
    output
        .batches()
        .map(|b| as_number(b?.column(column.index), to))
        .collect()
}

fn as_number(array: &ArrayRef, to: &DataType) -> Result<ArrayRef, EngineError> {
    // A date does not cast to a 64-bit integer directly; its 32-bit days do.
    let array = match array.data_type() {
        DataType::Date32 => cast(array, &DataType::Int32)?,
        _ => array.clone(),
    };
    Ok(cast(&array, to)?)
}

/// Integers, dates and times, binned on their exact value so a bin's edges are values
/// of the column's type and its filter selects exactly its rows.
fn whole_histogram(
    output: &QueryOutput,
    column: &ColumnRef,
    temporal: Temporal,
    stats: &Stats,
) -> Result<ColumnShape, EngineError> {
    let bound = |a: &Option<ArrayRef>| -> Result<i64, EngineError> {
        let a = a
            .as_ref()
            .ok_or_else(|| EngineError::InvalidInput("no min or max".into()))?;
        Ok(as_number(a, &DataType::Int64)?
            .as_primitive::<Int64Type>()
            .value(0))
    };
    let (lo, hi) = (bound(&stats.min)?, bound(&stats.max)?);
    let width = whole_width(lo, hi, temporal);
    // Bins start at a multiple of their width, or for times of a day or more, at the
    // first value's midnight (a two-day bin then starts on the data's first day).
    let align = match temporal {
        Temporal::Time { unit_seconds, .. } => width.min((86400.0 / unit_seconds) as i64),
        _ => width,
    }
    .max(1);
    let start = lo.div_euclid(align) * align;
    let bin_of = |v: i64| (v.saturating_sub(start)).div_euclid(width);
    let bins = (bin_of(hi) + 1) as usize;
    let mut counts = vec![0u64; bins];
    for array in values_as(output, column, &DataType::Int64)? {
        for value in array.as_primitive::<Int64Type>().iter().flatten() {
            if let Some(count) = usize::try_from(bin_of(value))
                .ok()
                .and_then(|bin| counts.get_mut(bin))
            {
                *count += 1;
            }
        }
    }
    let edge = |k: usize| start.saturating_add((k as i64).saturating_mul(width));
    let literal = |v: i64| whole_literal(v, column, temporal);
    let mut out = Vec::with_capacity(bins);
    for (k, rows) in counts.into_iter().enumerate() {
        let (low, high) = (literal(edge(k))?, literal(edge(k + 1))?);
        let name = &column.sql_name;
        let (label, filter) = if width == 1 {
            (low.0, format!("{name} = {}", low.1))
        } else {
            (
                format!("{} – {}", low.0, high.0),
                format!("{name} >= {} AND {name} < {}", low.1, high.1),
            )
        };
        out.push(ProfileBar {
            label,
            rows,
            filter,
        });
    }
    Ok(ColumnShape::Histogram { bins: out })
}

/// A whole value as (what a person reads, a SQL literal of the column's type).
fn whole_literal(
    value: i64,
    column: &ColumnRef,
    temporal: Temporal,
) -> Result<(String, String), EngineError> {
    if temporal == Temporal::No {
        return Ok((value.to_string(), value.to_string()));
    }
    let raw: ArrayRef = Arc::new(Int64Array::from(vec![value]));
    let typed = match &column.data_type {
        DataType::Date32 => cast(&cast(&raw, &DataType::Int32)?, &DataType::Date32)?,
        t => cast(&raw, t)?,
    };
    let text = ArrayFormatter::try_new(typed.as_ref(), &display_options())?
        .value(0)
        .to_string();
    let keyword = match column.data_type {
        DataType::Date32 | DataType::Date64 => "DATE",
        _ => "TIMESTAMP",
    };
    let text = match column.data_type {
        // Date64 counts milliseconds but prints as a date (bins are whole days).
        DataType::Date64 => text.chars().take(10).collect(),
        _ => text,
    };
    Ok((text.clone(), format!("{keyword} {}", quote_str(&text))))
}

/// A bin width in the column's own steps: a 1-2-5 series for numbers, calendar-like
/// steps (a minute, an hour, a day, a week) for times, so edges land where people count.
fn whole_width(lo: i64, hi: i64, temporal: Temporal) -> i64 {
    let span = (hi as f64 - lo as f64) / HISTOGRAM_BINS as f64;
    match temporal {
        Temporal::No => nice_step(span).max(1.0) as i64,
        Temporal::Date32 => day_step(span).max(1.0) as i64,
        Temporal::Time {
            unit_seconds,
            whole_days,
        } => {
            const STEPS: [f64; 24] = [
                1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
                7200.0, 10800.0, 21600.0, 43200.0, 86400.0, 172800.0, 604800.0, 1209600.0,
                2592000.0, 7776000.0, 31536000.0,
            ];
            let seconds = span * unit_seconds;
            let step = if seconds < 1.0 {
                nice_step(seconds)
            } else {
                STEPS
                    .iter()
                    .copied()
                    .find(|s| *s >= seconds)
                    .unwrap_or_else(|| 31536000.0 * nice_step(seconds / 31536000.0))
            };
            // A Date64 prints as a date: a bin inside a day would print its edges alike.
            let step = if whole_days { step.max(86400.0) } else { step };
            ((step / unit_seconds).round() as i64).max(1)
        }
    }
}

fn day_step(days: f64) -> f64 {
    const DAYS: [f64; 6] = [1.0, 2.0, 7.0, 14.0, 30.0, 91.0];
    DAYS.iter()
        .copied()
        .find(|d| *d >= days)
        .unwrap_or_else(|| 365.0 * nice_step(days / 365.0).max(1.0))
}

/// The smallest of 1, 2, 5 times a power of ten that is at least `x`.
fn nice_step(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * power)
}

/// Floats and decimals, binned as `f64` against edges that are short decimal numbers
/// (a multiple of a 1-2-5 width, printed and read back), so the filter's literals and
/// the binning agree on every row.
fn fractional_histogram(
    output: &QueryOutput,
    column: &ColumnRef,
) -> Result<ColumnShape, EngineError> {
    let arrays = values_as(output, column, &DataType::Float64)?;
    // From the values, not the min/max row: SQL's max of a float column is NaN if any is.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for array in &arrays {
        for value in array.as_primitive::<Float64Type>().iter().flatten() {
            if value.is_finite() {
                lo = lo.min(value);
                hi = hi.max(value);
            }
        }
    }
    if lo > hi {
        return Ok(ColumnShape::Empty);
    }
    let name = &column.sql_name;
    if lo == hi {
        let text = format!("{lo}");
        let rows = arrays
            .iter()
            .map(|a| {
                let a = a.as_primitive::<Float64Type>();
                a.iter().flatten().filter(|v| *v == lo).count() as u64
            })
            .sum();
        let bins = vec![ProfileBar {
            label: text.clone(),
            rows,
            filter: format!("{name} = {text}"),
        }];
        return Ok(ColumnShape::Histogram { bins });
    }
    let width = nice_step((hi - lo) / HISTOGRAM_BINS as f64);
    let decimals = (-width.log10().floor()).max(0.0) as usize;
    let first = (lo / width).floor() as i64;
    let last = (hi / width).floor() as i64;
    let edges: Vec<(String, f64)> = (first..=last + 1)
        .map(|k| {
            let text = short_number(k as f64 * width, decimals);
            let value = text.parse::<f64>().unwrap_or(k as f64 * width);
            (text, value)
        })
        .collect();
    let bins = edges.len() - 1;
    let mut counts = vec![0u64; bins];
    for array in &arrays {
        for value in array.as_primitive::<Float64Type>().iter().flatten() {
            if !value.is_finite() || value < edges[0].1 {
                continue;
            }
            // The arithmetic's guess, then the edges' word: the filters compare with
            // the edges, so the counts must too.
            let mut bin = (((value - edges[0].1) / width) as usize).min(bins - 1);
            while bin > 0 && value < edges[bin].1 {
                bin -= 1;
            }
            while bin + 1 < bins && value >= edges[bin + 1].1 {
                bin += 1;
            }
            if value < edges[bin + 1].1 {
                counts[bin] += 1;
            }
        }
    }
    let bins = counts
        .into_iter()
        .enumerate()
        .map(|(k, rows)| {
            let (low, high) = (&edges[k].0, &edges[k + 1].0);
            ProfileBar {
                label: format!("{low} – {high}"),
                rows,
                filter: format!("{name} >= {low} AND {name} < {high}"),
            }
        })
        .collect();
    Ok(ColumnShape::Histogram { bins })
}

/// `x` with `decimals` digits after the point, trailing zeros dropped (`0` not `-0`).
fn short_number(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".into() } else { text }
}

/// The most common values of a text or boolean column (ties by value), and how many
/// rows hold any other.
async fn top_values(
    ctx: &SessionContext,
    column: &ColumnRef,
    non_null: u64,
) -> Result<ColumnShape, EngineError> {
    let c = format!("c{}", column.index);
    let answer = ctx
        .sql(&format!(
            "SELECT CAST({c} AS VARCHAR) AS v, count(*) AS n FROM r WHERE {c} IS NOT NULL \
             GROUP BY {c} ORDER BY n DESC, v LIMIT {TOP_VALUES}"
        ))
        .await?
        .collect()
        .await?;
    let boolean = column.data_type == DataType::Boolean;
    let mut values = Vec::new();
    for batch in &answer {
        let v = cast(batch.column(0), &DataType::Utf8)?;
        let n = cast(batch.column(1), &DataType::Int64)?;
        let (v, n) = (v.as_string::<i32>(), n.as_primitive::<Int64Type>());
        for row in 0..batch.num_rows() {
            let text = v.value(row).to_string();
            let literal = if boolean {
                text.to_uppercase()
            } else {
                quote_str(&text)
            };
            values.push(ProfileBar {
                label: if text.is_empty() {
                    "(empty)".into()
                } else {
                    text
                },
                rows: n.value(row) as u64,
                filter: format!("{} = {literal}", column.sql_name),
            });
        }
    }
    let listed: u64 = values.iter().map(|b| b.rows).sum();
    Ok(ColumnShape::TopValues {
        values,
        others: non_null.saturating_sub(listed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_five() {
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(13.0), 20.0);
        assert_eq!(nice_step(0.0012), 0.002);
        assert_eq!(short_number(0.30000000000000004, 1), "0.3");
        assert_eq!(short_number(-0.0, 2), "0");
        assert_eq!(short_number(20.0, 0), "20");
    }

    #[test]
    fn times_bin_by_calendar_steps() {
        let day_us = 86_400_000_000i64;
        let month = Temporal::Time {
            unit_seconds: 1e-6,
            whole_days: false,
        };
        // 31 days in 20 bins: two days a bin.
        assert_eq!(whole_width(0, 31 * day_us, month), 2 * day_us);
        let seconds = Temporal::Time {
            unit_seconds: 1.0,
            whole_days: false,
        };
        assert_eq!(whole_width(0, 3_600, seconds), 300);
        assert_eq!(whole_width(0, 365, Temporal::Date32), 30);
        assert_eq!(whole_width(1, 5, Temporal::No), 1);
    }
}
