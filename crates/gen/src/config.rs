//! What to generate: the config, and its expansion into one planned file per kind and month.

use crate::GenError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxiConfig {
    /// Total trip rows over all files (every service, all months).
    pub rows: u64,
    pub seed: u64,
    pub start_year: i32,
    /// 1-based.
    pub start_month: u32,
    pub months: u32,
    /// Also for-hire vehicle (FHV) trips, the third service of the TLC's records.
    pub fhv: bool,
    pub layout: Layout,
}

impl Default for TaxiConfig {
    fn default() -> Self {
        TaxiConfig {
            rows: 100_000,
            seed: 42,
            start_year: 2024,
            start_month: 1,
            months: 3,
            fhv: false,
            layout: Layout::Monthly,
        }
    }
}

/// How the trip files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A file per service and month, named as the TLC publishes them:
    /// `yellow/yellow_tripdata_2024-01.parquet`.
    Monthly,
    /// A partitioned data lake, as a batch job would write it:
    /// `yellow/year=2024/month=01/part-00000.parquet`, each month in parts of at most
    /// `part_rows` rows.
    Lake { part_rows: u64 },
}

/// Rows per part of a lake month by default: files of some 25 MB.
pub const LAKE_PART_ROWS: u64 = 1_000_000;

/// Share of all trips that are yellow, in percent, without FHV; the rest are green.
pub const YELLOW_PERCENT: u64 = 85;
/// Shares (yellow, green, fhv) in percent when FHV trips are generated.
pub const WITH_FHV_PERCENT: (u64, u64, u64) = (70, 10, 20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TripKind {
    Yellow,
    Green,
    Fhv,
}

impl TripKind {
    pub fn name(self) -> &'static str {
        match self {
            TripKind::Yellow => "yellow",
            TripKind::Green => "green",
            TripKind::Fhv => "fhv",
        }
    }
}

/// One planned output file: a kind, a month (or a part of one), and its exact row count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TripFile {
    pub kind: TripKind,
    pub year: i32,
    pub month: u32,
    /// 0-based part of the month (always 0 in the monthly layout).
    pub part: u32,
    pub rows: u64,
    pub layout: Layout,
}

impl TripFile {
    /// Relative, '/'-separated: the TLC download layout, or the lake's partitions.
    pub fn path(&self) -> String {
        let kind = self.kind.name();
        match self.layout {
            Layout::Monthly => format!(
                "{kind}/{kind}_tripdata_{:04}-{:02}.parquet",
                self.year, self.month
            ),
            Layout::Lake { .. } => format!(
                "{kind}/year={:04}/month={:02}/part-{:05}.parquet",
                self.year, self.month, self.part
            ),
        }
    }
}

/// Years kept within a range where day counts and epoch arithmetic stay trivially in i64.
const MIN_YEAR: i32 = 1970;
const MAX_YEAR: i32 = 9999;
/// 100 years of monthly files is already far past any sensible sample.
const MAX_MONTHS: u32 = 1200;

impl TaxiConfig {
    pub fn validate(&self) -> Result<(), GenError> {
        if !(1..=12).contains(&self.start_month) {
            return Err(GenError::Config(format!(
                "start_month must be 1..=12, got {}",
                self.start_month
            )));
        }
        if self.months == 0 || self.months > MAX_MONTHS {
            return Err(GenError::Config(format!(
                "months must be 1..={MAX_MONTHS}, got {}",
                self.months
            )));
        }
        let (last_year, _) = add_months(self.start_year, self.start_month, self.months - 1);
        if self.start_year < MIN_YEAR || last_year > MAX_YEAR {
            return Err(GenError::Config(format!(
                "months must lie within {MIN_YEAR}..={MAX_YEAR}, got {}-{:02} + {} months",
                self.start_year, self.start_month, self.months
            )));
        }
        Ok(())
    }

    /// All trip files in output order: yellow months, then green months.
    ///
    /// Each kind's rows are spread over the months in proportion to their
    /// length in days; cumulative flooring makes the parts add up exactly.
    pub fn plan(&self) -> Result<Vec<TripFile>, GenError> {
        self.validate()?;
        let share = |percent: u64| (u128::from(self.rows) * u128::from(percent) / 100) as u64;
        let kinds = if self.fhv {
            let (y, g, _) = WITH_FHV_PERCENT;
            let (yellow, green) = (share(y), share(g));
            vec![
                (TripKind::Yellow, yellow),
                (TripKind::Green, green),
                (TripKind::Fhv, self.rows - yellow - green),
            ]
        } else {
            let yellow = share(YELLOW_PERCENT);
            vec![
                (TripKind::Yellow, yellow),
                (TripKind::Green, self.rows - yellow),
            ]
        };
        let months: Vec<(i32, u32)> = (0..self.months)
            .map(|i| add_months(self.start_year, self.start_month, i))
            .collect();
        let days: Vec<u64> = months
            .iter()
            .map(|&(y, m)| u64::from(days_in_month(y, m)))
            .collect();
        let total_days: u64 = days.iter().sum();

        let mut files = Vec::with_capacity(months.len() * kinds.len());
        for (kind, total) in kinds {
            let mut cum_days = 0u64;
            let mut assigned = 0u64;
            for (&(year, month), &d) in months.iter().zip(&days) {
                cum_days += d;
                let upto =
                    (u128::from(total) * u128::from(cum_days) / u128::from(total_days)) as u64;
                let rows = upto - assigned;
                assigned = upto;
                let part_rows = match self.layout {
                    Layout::Monthly => rows.max(1),
                    Layout::Lake { part_rows } => part_rows.max(1),
                };
                // Even parts: a month of 2.5M rows in parts of 1M is 3 parts of ~833k.
                let parts = rows.div_ceil(part_rows).max(1);
                let mut given = 0u64;
                for part in 0..parts {
                    let upto_part = rows * (part + 1) / parts;
                    files.push(TripFile {
                        kind,
                        year,
                        month,
                        part: part as u32,
                        rows: upto_part - given,
                        layout: self.layout,
                    });
                    given = upto_part;
                }
            }
        }
        Ok(files)
    }
}

pub(crate) fn add_months(year: i32, month: u32, n: u32) -> (i32, u32) {
    let idx = i64::from(year) * 12 + i64::from(month - 1) + i64::from(n);
    ((idx.div_euclid(12)) as i32, (idx.rem_euclid(12) + 1) as u32)
}

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 1, 1), 19_723);
    }

    #[test]
    fn month_arithmetic_wraps_years() {
        assert_eq!(add_months(2023, 11, 3), (2024, 2));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
    }

    #[test]
    fn rejects_bad_configs() {
        let bad = [
            TaxiConfig {
                start_month: 0,
                ..TaxiConfig::default()
            },
            TaxiConfig {
                start_month: 13,
                ..TaxiConfig::default()
            },
            TaxiConfig {
                months: 0,
                ..TaxiConfig::default()
            },
            TaxiConfig {
                start_year: 1900,
                ..TaxiConfig::default()
            },
        ];
        for cfg in bad {
            assert!(
                matches!(cfg.plan(), Err(GenError::Config(_))),
                "{cfg:?} accepted"
            );
        }
    }
}
