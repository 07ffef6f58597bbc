//! A chart of a result: what to draw (the user's pick, or defaults from column types)
//! and the points the engine computed for it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Bar,
    Line,
    Scatter,
    Histogram,
}

impl ChartKind {
    pub const ALL: [ChartKind; 4] = [
        ChartKind::Bar,
        ChartKind::Line,
        ChartKind::Scatter,
        ChartKind::Histogram,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ChartKind::Bar => "Bar",
            ChartKind::Line => "Line",
            ChartKind::Scatter => "Scatter",
            ChartKind::Histogram => "Histogram",
        }
    }

    /// Whether the chart has a y column (a histogram counts its x values).
    pub fn has_y(self) -> bool {
        self != ChartKind::Histogram
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartSpec {
    pub kind: ChartKind,
    pub x: String,
    pub y: Option<String>,
    /// A column whose values split the points into series (one colour each).
    pub series: Option<String>,
}

/// How the x axis reads its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AxisKind {
    Number,
    /// Milliseconds since the Unix epoch, shown as dates.
    Time,
    Category,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartData {
    pub spec: ChartSpec,
    pub x_axis: AxisKind,
    /// For a category axis, its categories in order (points' x is an index into it);
    /// for a histogram, the bins' lower edges as text.
    pub categories: Vec<String>,
    pub series: Vec<ChartSeries>,
    /// For a histogram, the width of a bin in x units.
    pub bin_width: Option<f64>,
    /// Rows the chart stands for, and whether points were thinned out to draw it.
    pub rows: u64,
    pub sampled: bool,
    /// Rows left out because their x or y is NULL (or not a number).
    pub skipped: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartSeries {
    pub name: String,
    /// (x, y): x is a number, a time in ms, or a category index.
    pub points: Vec<(f64, f64)>,
}
