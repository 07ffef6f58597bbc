//! Column profiles of a result: per column its nulls, distinct count, min and max, and
//! its shape (a histogram of a number or time, the most common values of anything
//! else), computed over every row of the result where the result is kept.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultProfile {
    pub rows: u64,
    pub columns: Vec<ColumnProfile>,
    /// What the pass took in the engine worker.
    pub elapsed_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    pub nulls: u64,
    /// Distinct non-null values: exact for booleans and 8/16-bit integers, otherwise a
    /// HyperLogLog estimate (DataFusion's `approx_distinct`: 16,384 registers, a
    /// standard error of about 0.8%). `None` for types it cannot count (nested ones).
    pub distinct: Option<u64>,
    /// As the result table prints them.
    pub min: Option<String>,
    pub max: Option<String>,
    pub shape: ColumnShape,
}

impl ColumnProfile {
    /// The share of rows that are NULL, 0 to 1.
    pub fn null_share(&self, rows: u64) -> f64 {
        if rows == 0 {
            0.0
        } else {
            self.nulls as f64 / rows as f64
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnShape {
    /// Numbers, dates and times: equal-width bins from the first bin's low edge to the
    /// last one's high edge. A row falls in the bin with `low <= value < high`; the
    /// last bin also holds `value = high`.
    Histogram { bins: Vec<ProfileBar> },
    /// The most common values (ties by value), with the rows of all the others.
    TopValues {
        values: Vec<ProfileBar>,
        others: u64,
    },
    /// Nothing to draw: every value is NULL, or the type has no order or values to
    /// list (nested types).
    Empty,
}

/// One bar of a profile: what it counts, and the filter that selects its rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileBar {
    /// As a person reads it: `10 – 20`, or the value.
    pub label: String,
    pub rows: u64,
    /// A SQL condition over the column that holds exactly this bar's rows, e.g.
    /// `"fare" >= 10 AND "fare" < 20` or `"payment" = 'Cash'`.
    pub filter: String,
}
