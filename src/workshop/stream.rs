//! Micro-batches: a table replayed as a stream, a slice of event time at a time,
//! through a windowed count (and sum). Each micro-batch is a job; the page keeps the
//! windows' running totals, as a streaming engine keeps its state, and shows the
//! latency and throughput of each batch beside the same aggregation run once as a
//! batch job. The two must agree.

use std::collections::BTreeMap;

use kiln_protocol::{ResultPage, ResultSummary};

use crate::workshop::schedule::timestamp;

/// What to replay and how.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamSpec {
    pub table: String,
    /// The event time column.
    pub time_column: String,
    /// A number to sum per window, if the table has one.
    pub value_column: Option<String>,
    /// Event time per micro-batch, in minutes.
    pub batch_minutes: i64,
    /// `hour` or `day`: the tumbling window the counts are kept in.
    pub window: &'static str,
    /// Event time replayed, `[from, to)`, minutes since 1970.
    pub from: i64,
    pub to: i64,
}

impl StreamSpec {
    /// The aggregation over event time `[t0, t1)`.
    pub fn sql(&self, t0: i64, t1: i64) -> String {
        let time = quote(&self.time_column);
        let value = self
            .value_column
            .as_ref()
            .map(|v| format!(", sum({}) AS total", quote(v)))
            .unwrap_or_default();
        format!(
            "SELECT date_trunc('{window}', {time}) AS window_start, count(*) AS trips{value}\n\
             FROM {table}\n\
             WHERE {time} >= TIMESTAMP '{start}' AND {time} < TIMESTAMP '{end}'\n\
             GROUP BY 1",
            window = self.window,
            table = quote(&self.table),
            start = timestamp(t0),
            end = timestamp(t1),
        )
    }

    /// The micro-batches' slices of event time.
    pub fn batches(&self) -> Vec<(i64, i64)> {
        let step = self.batch_minutes.max(1);
        let mut out = Vec::new();
        let mut t = self.from;
        while t < self.to {
            out.push((t, (t + step).min(self.to)));
            t += step;
        }
        out
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A micro-batch (or the whole batch job) as it ran.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchStat {
    pub from: i64,
    pub to: i64,
    /// Input rows it aggregated (its windows' counts).
    pub rows: u64,
    pub latency_ms: f64,
}

impl BatchStat {
    pub fn rows_per_second(&self) -> f64 {
        if self.latency_ms > 0.0 {
            self.rows as f64 / self.latency_ms * 1000.0
        } else {
            0.0
        }
    }
}

/// A window's running totals.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub trips: u64,
    pub total: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StreamState {
    pub spec: StreamSpec,
    pub planned: usize,
    pub batches: Vec<BatchStat>,
    /// The stream's state: each window's totals so far.
    pub windows: BTreeMap<String, Totals>,
    /// The same aggregation as one batch job, once it ran.
    pub whole: Option<(BatchStat, BTreeMap<String, Totals>)>,
    pub finished: bool,
    pub error: Option<String>,
}

impl StreamState {
    pub fn new(spec: StreamSpec) -> Self {
        let planned = spec.batches().len();
        Self {
            spec,
            planned,
            batches: Vec::new(),
            windows: BTreeMap::new(),
            whole: None,
            finished: false,
            error: None,
        }
    }

    /// A micro-batch's result merged into the windows it touched.
    pub fn micro_batch(&mut self, index: usize, summary: &ResultSummary, page: &ResultPage) {
        let (from, to) = self.spec.batches().get(index).copied().unwrap_or_default();
        let rows = windows(page);
        let mut count = 0;
        for (window, totals) in rows {
            count += totals.trips;
            let entry = self.windows.entry(window).or_default();
            entry.trips += totals.trips;
            entry.total += totals.total;
        }
        self.batches.push(BatchStat {
            from,
            to,
            rows: count,
            latency_ms: summary.elapsed_ms,
        });
    }

    pub fn whole_batch(&mut self, summary: &ResultSummary, page: &ResultPage) {
        let rows = windows(page);
        let count = rows.values().map(|t| t.trips).sum();
        self.whole = Some((
            BatchStat {
                from: self.spec.from,
                to: self.spec.to,
                rows: count,
                latency_ms: summary.elapsed_ms,
            },
            rows,
        ));
        self.finished = true;
    }

    /// Whether the stream's windows equal the batch job's (sums to 1e-9 relative).
    pub fn agrees(&self) -> Option<bool> {
        let (_, whole) = self.whole.as_ref()?;
        Some(
            whole.len() == self.windows.len()
                && whole.iter().all(|(w, t)| {
                    self.windows.get(w).is_some_and(|s| {
                        s.trips == t.trips
                            && (s.total - t.total).abs() <= 1e-9 * t.total.abs().max(1.0)
                    })
                }),
        )
    }

    pub fn stream_stats(&self) -> BatchStat {
        BatchStat {
            from: self.spec.from,
            to: self.spec.to,
            rows: self.batches.iter().map(|b| b.rows).sum(),
            latency_ms: self.batches.iter().map(|b| b.latency_ms).sum(),
        }
    }
}

/// A result page of (window_start, trips[, total]) as windows.
fn windows(page: &ResultPage) -> BTreeMap<String, Totals> {
    page.rows
        .iter()
        .filter_map(|row| {
            let window = row.first()?.clone()?;
            let trips = row.get(1)?.as_deref()?.parse().ok()?;
            let total = row
                .get(2)
                .and_then(|v| v.as_deref())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            Some((window, Totals { trips, total }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshop::schedule::parse_time;

    fn spec() -> StreamSpec {
        StreamSpec {
            table: "yellow".into(),
            time_column: "tpep_pickup_datetime".into(),
            value_column: Some("total_amount".into()),
            batch_minutes: 6 * 60,
            window: "day",
            from: parse_time("2024-01-01").unwrap(),
            to: parse_time("2024-01-02").unwrap(),
        }
    }

    fn page(rows: &[(&str, u64, f64)]) -> ResultPage {
        ResultPage {
            offset: 0,
            rows: rows
                .iter()
                .map(|(w, n, t)| {
                    vec![
                        Some(w.to_string()),
                        Some(n.to_string()),
                        Some(t.to_string()),
                    ]
                })
                .collect(),
        }
    }

    fn summary(ms: f64) -> ResultSummary {
        ResultSummary {
            columns: vec![],
            total_rows: 1,
            elapsed_ms: ms,
        }
    }

    #[test]
    fn micro_batches_add_up_to_the_batch_job() {
        let mut s = StreamState::new(spec());
        assert_eq!(s.planned, 4, "a day in 6-hour micro-batches");
        assert!(
            s.spec
                .sql(0, 60)
                .contains("\"tpep_pickup_datetime\" >= TIMESTAMP '1970-01-01 00:00:00'")
        );
        s.micro_batch(
            0,
            &summary(10.0),
            &page(&[("2024-01-01T00:00:00", 5, 50.0)]),
        );
        s.micro_batch(
            1,
            &summary(10.0),
            &page(&[("2024-01-01T00:00:00", 7, 70.5)]),
        );
        assert_eq!(
            s.windows["2024-01-01T00:00:00"],
            Totals {
                trips: 12,
                total: 120.5
            }
        );
        assert_eq!(s.stream_stats().rows, 12);
        s.whole_batch(&summary(5.0), &page(&[("2024-01-01T00:00:00", 12, 120.5)]));
        assert_eq!(s.agrees(), Some(true));
        s.whole_batch(&summary(5.0), &page(&[("2024-01-01T00:00:00", 13, 120.5)]));
        assert_eq!(s.agrees(), Some(false));
    }
}
