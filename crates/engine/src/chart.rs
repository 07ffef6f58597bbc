//! The points of a chart over a whole result, computed where the result is (the engine
//! worker), so the page gets a few thousand points however many rows there are: bars
//! sum y per category, lines and scatters are thinned evenly past `MAX_POINTS`, and a
//! histogram counts every row into bins.

use std::collections::HashMap;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use kiln_protocol::{AxisKind, ChartData, ChartKind, ChartSeries, ChartSpec};

use crate::engine::QueryOutput;
use crate::error::EngineError;

/// Points per chart at most; more would only overdraw the same pixels.
pub const MAX_POINTS: usize = 5_000;
/// Categories a bar chart shows at most (the largest by total).
pub const MAX_BARS: usize = 100;
pub const HISTOGRAM_BINS: usize = 30;
const MAX_SERIES: usize = 12;

/// One column's values for charting.
enum Values {
    Number(Vec<Option<f64>>),
    Time(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
}

impl Values {
    fn number(&self, row: usize) -> Option<f64> {
        match self {
            Values::Number(v) | Values::Time(v) => v[row].filter(|x| x.is_finite()),
            Values::Text(_) => None,
        }
    }

    fn text(&self, row: usize) -> Option<String> {
        match self {
            Values::Text(v) => v[row].clone(),
            Values::Number(v) => v[row].map(|x| format!("{x}")),
            Values::Time(v) => v[row].map(|x| format!("{x}")),
        }
    }
}

fn column(output: &QueryOutput, name: &str) -> Result<Values, EngineError> {
    let index = output
        .schema
        .index_of(name)
        .map_err(|_| EngineError::InvalidInput(format!("the result has no column {name}")))?;
    let data_type = output.schema.field(index).data_type().clone();
    // One column at a time: a result kept on disk is read through, not loaded.
    let arrays: Vec<ArrayRef> = output
        .batches()
        .map(|b| Ok(b?.column(index).clone()))
        .collect::<Result<_, EngineError>>()?;
    let numbers = |arrays: &[ArrayRef], to_ms: f64| -> Result<Vec<Option<f64>>, EngineError> {
        let mut out = Vec::new();
        for a in arrays {
            let as_f64 = cast(a, &DataType::Float64)?;
            out.extend(
                as_f64
                    .as_primitive::<Float64Type>()
                    .iter()
                    .map(|v| v.map(|x| x * to_ms)),
            );
        }
        Ok(out)
    };
    Ok(match &data_type {
        t if t.is_numeric() => Values::Number(numbers(&arrays, 1.0)?),
        DataType::Timestamp(unit, _) => {
            let per_ms = match unit {
                TimeUnit::Second => 1e3,
                TimeUnit::Millisecond => 1.0,
                TimeUnit::Microsecond => 1e-3,
                TimeUnit::Nanosecond => 1e-6,
            };
            let mut out = Vec::new();
            for a in &arrays {
                // Through Int64: a timestamp does not cast to a float directly.
                let raw = cast(a, &DataType::Int64)?;
                out.extend(
                    raw.as_primitive::<Int64Type>()
                        .iter()
                        .map(|v| v.map(|x| x as f64 * per_ms)),
                );
            }
            Values::Time(out)
        }
        DataType::Date32 | DataType::Date64 => {
            let as_ts = arrays
                .iter()
                .map(|a| cast(a, &DataType::Timestamp(TimeUnit::Millisecond, None)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut out = Vec::new();
            for a in &as_ts {
                let raw = cast(a, &DataType::Int64)?;
                out.extend(
                    raw.as_primitive::<Int64Type>()
                        .iter()
                        .map(|v| v.map(|x| x as f64)),
                );
            }
            Values::Time(out)
        }
        _ => {
            let options = FormatOptions::default();
            let mut out = Vec::new();
            for a in &arrays {
                let f = ArrayFormatter::try_new(a.as_ref(), &options)?;
                let nulls = a.logical_nulls();
                for row in 0..a.len() {
                    let null = nulls.as_ref().is_some_and(|n| n.is_null(row));
                    out.push((!null).then(|| f.value(row).to_string()));
                }
            }
            Values::Text(out)
        }
    })
}

pub fn chart_data(output: &QueryOutput, spec: &ChartSpec) -> Result<ChartData, EngineError> {
    let rows = output.num_rows() as usize;
    let x = column(output, &spec.x)?;
    let y = match (&spec.y, spec.kind.has_y()) {
        (Some(name), true) => Some(column(output, name)?),
        (None, true) => {
            return Err(EngineError::InvalidInput(format!(
                "a {} chart needs a y column",
                spec.kind.label().to_lowercase()
            )));
        }
        (_, false) => None,
    };
    let series_values = spec
        .series
        .as_deref()
        .map(|s| column(output, s))
        .transpose()?;
    let series_of = |row: usize| {
        series_values.as_ref().map_or_else(String::new, |s| {
            s.text(row).unwrap_or_else(|| "NULL".into())
        })
    };
    let mut data = ChartData {
        spec: spec.clone(),
        x_axis: match x {
            Values::Number(_) => AxisKind::Number,
            Values::Time(_) => AxisKind::Time,
            Values::Text(_) => AxisKind::Category,
        },
        categories: Vec::new(),
        series: Vec::new(),
        bin_width: None,
        rows: rows as u64,
        sampled: false,
        skipped: 0,
    };
    match spec.kind {
        ChartKind::Histogram => histogram(&x, rows, &mut data)?,
        ChartKind::Bar => {
            let y = y
                .as_ref()
                .ok_or_else(|| EngineError::InvalidInput("no y".into()))?;
            bars(&x, y, rows, &series_of, &mut data);
        }
        ChartKind::Line | ChartKind::Scatter => {
            let y = y
                .as_ref()
                .ok_or_else(|| EngineError::InvalidInput("no y".into()))?;
            if data.x_axis == AxisKind::Category {
                return Err(EngineError::InvalidInput(format!(
                    "a {} chart needs a number or time x; {} is text (a bar chart takes it)",
                    spec.kind.label().to_lowercase(),
                    spec.x
                )));
            }
            points(
                &x,
                y,
                rows,
                &series_of,
                spec.kind == ChartKind::Line,
                &mut data,
            );
        }
    }
    if data.series.len() > MAX_SERIES {
        data.series.truncate(MAX_SERIES);
        data.sampled = true;
    }
    Ok(data)
}

/// y summed per x category (and series), largest categories first past `MAX_BARS`.
fn bars(
    x: &Values,
    y: &Values,
    rows: usize,
    series_of: &dyn Fn(usize) -> String,
    data: &mut ChartData,
) {
    let mut categories: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut sums: Vec<(String, HashMap<usize, f64>)> = Vec::new();
    for row in 0..rows {
        let (Some(cat), Some(value)) = (x.text(row), y.number(row)) else {
            data.skipped += 1;
            continue;
        };
        let c = *index.entry(cat.clone()).or_insert_with(|| {
            categories.push(cat);
            categories.len() - 1
        });
        let name = series_of(row);
        let slot = match sums.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                sums.push((name, HashMap::new()));
                sums.len() - 1
            }
        };
        *sums[slot].1.entry(c).or_default() += value;
    }
    let mut keep: Vec<usize> = (0..categories.len()).collect();
    if keep.len() > MAX_BARS {
        let total = |c: &usize| {
            sums.iter()
                .map(|(_, m)| m.get(c).copied().unwrap_or(0.0))
                .sum::<f64>()
        };
        keep.sort_by(|a, b| total(b).total_cmp(&total(a)));
        keep.truncate(MAX_BARS);
        keep.sort_unstable();
        data.sampled = true;
    }
    data.categories = keep.iter().map(|c| categories[*c].clone()).collect();
    data.series = sums
        .into_iter()
        .map(|(name, m)| ChartSeries {
            name,
            points: keep
                .iter()
                .enumerate()
                .filter_map(|(i, c)| m.get(c).map(|v| (i as f64, *v)))
                .collect(),
        })
        .collect();
}

/// (x, y) per row and series; a line's points sorted by x. Thinned to `MAX_POINTS`
/// per series by taking every k-th point.
fn points(
    x: &Values,
    y: &Values,
    rows: usize,
    series_of: &dyn Fn(usize) -> String,
    sort: bool,
    data: &mut ChartData,
) {
    let mut series: Vec<ChartSeries> = Vec::new();
    for row in 0..rows {
        let (Some(px), Some(py)) = (x.number(row), y.number(row)) else {
            data.skipped += 1;
            continue;
        };
        let name = series_of(row);
        match series.iter_mut().find(|s| s.name == name) {
            Some(s) => s.points.push((px, py)),
            None => series.push(ChartSeries {
                name,
                points: vec![(px, py)],
            }),
        }
    }
    for s in &mut series {
        if sort {
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        if s.points.len() > MAX_POINTS {
            let step = s.points.len().div_ceil(MAX_POINTS);
            s.points = s.points.iter().step_by(step).copied().collect();
            data.sampled = true;
        }
    }
    data.series = series;
}

/// Every row's x counted into `HISTOGRAM_BINS` equal bins from its min to its max.
fn histogram(x: &Values, rows: usize, data: &mut ChartData) -> Result<(), EngineError> {
    if let Values::Text(_) = x {
        return Err(EngineError::InvalidInput(
            "a histogram needs a number or time column".into(),
        ));
    }
    let values: Vec<f64> = (0..rows).filter_map(|r| x.number(r)).collect();
    data.skipped = (rows - values.len()) as u64;
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    if values.is_empty() {
        return Ok(());
    }
    let width = if max > min {
        (max - min) / HISTOGRAM_BINS as f64
    } else {
        1.0
    };
    let mut counts = vec![0u64; HISTOGRAM_BINS];
    for v in &values {
        // The max falls in the last bin, not one past it.
        let bin = (((v - min) / width) as usize).min(HISTOGRAM_BINS - 1);
        counts[bin] += 1;
    }
    data.bin_width = Some(width);
    data.series = vec![ChartSeries {
        name: String::new(),
        points: counts
            .iter()
            .enumerate()
            .map(|(i, c)| (min + i as f64 * width, *c as f64))
            .collect(),
    }];
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Float64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;

    use super::*;

    fn output() -> QueryOutput {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("v", DataType::Float64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    Some("b"),
                    Some("a"),
                    None,
                ])),
                Arc::new(Float64Array::from(vec![
                    Some(1.0),
                    Some(2.0),
                    Some(3.0),
                    Some(4.0),
                ])),
            ],
        )
        .expect("a batch");
        QueryOutput::new(schema, vec![batch])
    }

    #[test]
    fn bars_sum_y_per_category_and_skip_nulls() {
        let spec = ChartSpec {
            kind: ChartKind::Bar,
            x: "k".into(),
            y: Some("v".into()),
            series: None,
        };
        let data = chart_data(&output(), &spec).expect("a chart");
        assert_eq!(data.categories, vec!["a", "b"]);
        assert_eq!(data.series[0].points, vec![(0.0, 4.0), (1.0, 2.0)]);
        assert_eq!(data.skipped, 1);
    }

    #[test]
    fn a_histogram_counts_every_value_once() {
        let spec = ChartSpec {
            kind: ChartKind::Histogram,
            x: "v".into(),
            y: None,
            series: None,
        };
        let data = chart_data(&output(), &spec).expect("a chart");
        let total: f64 = data.series[0].points.iter().map(|p| p.1).sum();
        assert_eq!(total, 4.0);
        assert_eq!(data.series[0].points.len(), HISTOGRAM_BINS);
        assert_eq!(
            data.series[0].points.last().map(|p| p.1),
            Some(1.0),
            "the max is in the last bin"
        );
    }

    #[test]
    fn a_line_needs_a_number_or_time_x() {
        let spec = ChartSpec {
            kind: ChartKind::Line,
            x: "k".into(),
            y: Some("v".into()),
            series: None,
        };
        let error = chart_data(&output(), &spec).expect_err("text x");
        assert!(error.to_string().contains("bar chart"), "{error}");
    }
}
