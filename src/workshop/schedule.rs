//! Jobs at intervals: a job's text with parameters (`{{month}}`, `{{date}}`,
//! `{{service}}`...), the intervals a cadence cuts time into, and the values each
//! interval gives the parameters. Time is a simulated clock in minutes since 1970 (UTC),
//! so a workshop can watch a month of daily runs in seconds.

use std::collections::BTreeMap;

/// How often a scheduled job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadence {
    Monthly,
    Weekly,
    Daily,
    Hourly,
    EveryMinutes(u32),
}

impl Cadence {
    pub const CHOICES: [Cadence; 5] = [
        Cadence::Monthly,
        Cadence::Weekly,
        Cadence::Daily,
        Cadence::Hourly,
        Cadence::EveryMinutes(15),
    ];

    pub fn label(self) -> String {
        match self {
            Cadence::Monthly => "monthly".into(),
            Cadence::Weekly => "weekly (Mondays)".into(),
            Cadence::Daily => "daily".into(),
            Cadence::Hourly => "hourly".into(),
            Cadence::EveryMinutes(n) => format!("every {n} minutes"),
        }
    }

    pub fn key(self) -> String {
        match self {
            Cadence::Monthly => "monthly".into(),
            Cadence::Weekly => "weekly".into(),
            Cadence::Daily => "daily".into(),
            Cadence::Hourly => "hourly".into(),
            Cadence::EveryMinutes(n) => format!("every-{n}"),
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "monthly" => Cadence::Monthly,
            "weekly" => Cadence::Weekly,
            "daily" => Cadence::Daily,
            "hourly" => Cadence::Hourly,
            other => Cadence::EveryMinutes(
                other
                    .strip_prefix("every-")?
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)?,
            ),
        })
    }

    /// The partition column a run's output folder is named by: `month=2024-01`.
    pub fn partition_key(self) -> &'static str {
        match self {
            Cadence::Monthly => "month",
            Cadence::Weekly => "week",
            Cadence::Daily => "date",
            Cadence::Hourly | Cadence::EveryMinutes(_) => "start",
        }
    }

    /// The start of the interval holding `t`.
    pub fn floor(self, t: i64) -> i64 {
        match self {
            Cadence::Monthly => {
                let (y, m, _) = civil(t.div_euclid(MINUTES_PER_DAY));
                days_from_civil(y, m, 1) * MINUTES_PER_DAY
            }
            Cadence::Weekly => {
                let day = t.div_euclid(MINUTES_PER_DAY);
                // 1970-01-01 was a Thursday: Mondays are days ≡ 4 (mod 7).
                (day - (day - 4).rem_euclid(7)) * MINUTES_PER_DAY
            }
            Cadence::Daily => t - t.rem_euclid(MINUTES_PER_DAY),
            Cadence::Hourly => t - t.rem_euclid(60),
            Cadence::EveryMinutes(n) => t - t.rem_euclid(i64::from(n.max(1))),
        }
    }

    /// The start of the interval after the one starting at `start`.
    pub fn next(self, start: i64) -> i64 {
        match self {
            Cadence::Monthly => {
                let (y, m, _) = civil(start.div_euclid(MINUTES_PER_DAY));
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days_from_civil(y, m, 1) * MINUTES_PER_DAY
            }
            Cadence::Weekly => start + 7 * MINUTES_PER_DAY,
            Cadence::Daily => start + MINUTES_PER_DAY,
            Cadence::Hourly => start + 60,
            Cadence::EveryMinutes(n) => start + i64::from(n.max(1)),
        }
    }

    /// The intervals whose starts lie in `[from, to)`, at most `limit` of them.
    pub fn intervals(self, from: i64, to: i64, limit: usize) -> Vec<Interval> {
        let mut out = Vec::new();
        let mut start = self.floor(from);
        if start < from {
            start = self.next(start);
        }
        while start < to && out.len() < limit {
            let end = self.next(start);
            out.push(Interval { start, end });
            start = end;
        }
        out
    }
}

pub const MINUTES_PER_DAY: i64 = 24 * 60;

/// One run's slice of time, `[start, end)`, in minutes since 1970.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub start: i64,
    pub end: i64,
}

impl Interval {
    /// The values a run for this interval gives the job's parameters.
    pub fn params(&self, service: &str) -> BTreeMap<&'static str, String> {
        let (y, m, d) = civil(self.start.div_euclid(MINUTES_PER_DAY));
        let mut p = BTreeMap::new();
        p.insert("year", format!("{y:04}"));
        p.insert("month", format!("{y:04}-{m:02}"));
        p.insert("date", format!("{y:04}-{m:02}-{d:02}"));
        p.insert(
            "hour",
            format!("{:02}", self.start.rem_euclid(MINUTES_PER_DAY) / 60),
        );
        p.insert("start", timestamp(self.start));
        p.insert("end", timestamp(self.end));
        p.insert("service", service.to_string());
        p
    }

    /// The run's output folder: `month=2024-01`.
    pub fn partition(&self, cadence: Cadence) -> String {
        let p = self.params("");
        let key = cadence.partition_key();
        let value = match cadence {
            Cadence::Monthly => p["month"].clone(),
            Cadence::Weekly | Cadence::Daily => p["date"].clone(),
            Cadence::Hourly | Cadence::EveryMinutes(_) => p["start"].replace([' ', ':'], "-"),
        };
        format!("{key}={value}")
    }

    pub fn label(&self, cadence: Cadence) -> String {
        let p = self.params("");
        match cadence {
            Cadence::Monthly => p["month"].clone(),
            Cadence::Weekly | Cadence::Daily => p["date"].clone(),
            Cadence::Hourly | Cadence::EveryMinutes(_) => p["start"][..16].to_string(),
        }
    }
}

/// `{{name}}` in `text` replaced by its value. An unknown name is an error naming it
/// and the names there are.
pub fn render(text: &str, params: &BTreeMap<&'static str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| "a `{{` is never closed by `}}`".to_string())?;
        let name = after[..close].trim();
        let value = params.get(name).ok_or_else(|| {
            format!(
                "unknown parameter {{{{{name}}}}}; there are {}",
                params
                    .keys()
                    .map(|k| format!("{{{{{k}}}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        out.push_str(value);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The parameters a text uses, in order of first use.
pub fn used(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let name = after[..close].trim().to_string();
        if !names.contains(&name) {
            names.push(name);
        }
        rest = &after[close + 2..];
    }
    names
}

/// `YYYY-MM-DD HH:MM:SS`.
pub fn timestamp(t: i64) -> String {
    let (y, m, d) = civil(t.div_euclid(MINUTES_PER_DAY));
    let minutes = t.rem_euclid(MINUTES_PER_DAY);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:00",
        minutes / 60,
        minutes % 60
    )
}

/// Minutes since 1970 of `YYYY-MM-DD` (midnight) or `YYYY-MM-DD HH:MM`.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = text.split_once([' ', 'T']).unwrap_or((text, "00:00"));
    let mut parts = date.split('-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut hm = time.split(':');
    let h: i64 = hm.next()?.parse().ok()?;
    let min: i64 = hm.next().unwrap_or("0").parse().ok()?;
    Some(days_from_civil(y, m, d) * MINUTES_PER_DAY + h * 60 + min)
}

/// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01 (civil_from_days).
fn civil(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

/// A scheduled job's settings and run history, as the schedule view shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleState {
    /// The output table; runs write into `<name>/<partition>/`.
    pub name: String,
    pub cadence: Cadence,
    pub service: String,
    pub backfill_from: String,
    pub backfill_to: String,
    /// Attempts a run gets before it is marked failed.
    pub attempts_per_run: u32,
    /// A fault to teach retries: the first attempt of the run for the interval that
    /// starts here fails.
    pub fail_once: Option<i64>,
    /// The simulated clock, minutes since 1970.
    pub clock: i64,
    pub runs: Vec<RunRecord>,
    /// The job (output name) whose runs `runs` are.
    pub history_of: String,
}

impl Default for ScheduleState {
    fn default() -> Self {
        Self {
            name: "monthly_report".into(),
            cadence: Cadence::Monthly,
            service: "yellow".into(),
            backfill_from: "2024-01-01".into(),
            backfill_to: "2024-04-01".into(),
            attempts_per_run: 2,
            fail_once: None,
            clock: parse_time("2024-01-01").unwrap_or(0),
            runs: Vec::new(),
            history_of: String::new(),
        }
    }
}

/// One run of a scheduled job: an interval, and how its attempts went.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub interval: Interval,
    pub status: RunStatus,
    pub attempts: u32,
    pub error: Option<String>,
    /// Rows the run wrote.
    pub rows: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Queued,
    Running,
    /// An attempt failed; another is coming.
    Retrying,
    Succeeded,
    Failed,
}

impl RunRecord {
    /// The grid's colour: a run that needed more than one attempt shows as retried.
    pub fn state(&self) -> &'static str {
        match self.status {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Retrying => "retrying",
            RunStatus::Succeeded if self.attempts > 1 => "retried",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }
}

/// What the run queue reports of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunUpdate {
    /// The scheduled job's output name: the history is that job's.
    pub name: String,
    pub interval: Interval,
    pub status: RunStatus,
    pub attempts: u32,
    pub error: Option<String>,
    pub rows: Option<u64>,
}

impl ScheduleState {
    /// Records what happened to a run; a rerun of an interval replaces its record. A
    /// run of another job (renamed meanwhile) starts a new history.
    pub fn update(&mut self, u: RunUpdate) {
        if u.name != self.history_of {
            self.history_of = u.name.clone();
            self.runs.clear();
        }
        let record = RunRecord {
            interval: u.interval,
            status: u.status,
            attempts: u.attempts,
            error: u.error,
            rows: u.rows,
        };
        match self.runs.iter_mut().find(|r| r.interval == u.interval) {
            Some(r) => *r = record,
            None => {
                self.runs.push(record);
                self.runs.sort_by_key(|r| r.interval);
            }
        }
    }

    /// The scheduled runs due after the clock: each fires at its interval's end, as
    /// a batch job runs once its data is complete.
    pub fn next_runs(&self, n: usize) -> Vec<Interval> {
        let first = self.cadence.floor(self.clock);
        let mut out = Vec::new();
        let mut start = first;
        while out.len() < n {
            let end = self.cadence.next(start);
            if end > self.clock {
                out.push(Interval { start, end });
            }
            start = end;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_runs_fire_at_their_intervals_ends_and_reruns_replace_records() {
        let mut s = ScheduleState {
            cadence: Cadence::Daily,
            clock: parse_time("2024-01-10 06:00").unwrap(),
            ..ScheduleState::default()
        };
        let next = s.next_runs(2);
        assert_eq!(
            next[0].label(Cadence::Daily),
            "2024-01-10",
            "today's run fires at midnight"
        );
        assert_eq!(timestamp(next[0].end), "2024-01-11 00:00:00");
        let run = |status, attempts| RunUpdate {
            name: "monthly_report".into(),
            interval: next[0],
            status,
            attempts,
            error: None,
            rows: None,
        };
        s.update(run(RunStatus::Running, 1));
        s.update(run(RunStatus::Succeeded, 2));
        assert_eq!(s.runs.len(), 1);
        assert_eq!(s.runs[0].state(), "retried");
    }

    #[test]
    fn a_monthly_backfill_has_a_run_per_month_with_its_parameters() {
        let from = parse_time("2024-01-01").unwrap();
        let to = parse_time("2024-04-01").unwrap();
        let runs = Cadence::Monthly.intervals(from, to, 100);
        let months: Vec<String> = runs
            .iter()
            .map(|r| r.params("green")["month"].clone())
            .collect();
        assert_eq!(months, ["2024-01", "2024-02", "2024-03"]);
        assert_eq!(runs[1].partition(Cadence::Monthly), "month=2024-02");
        assert_eq!(
            runs[1].params("green")["end"],
            "2024-03-01 00:00:00",
            "leap February ends on the 29th"
        );
        let text = "SELECT * FROM {{service}} WHERE pickup >= '{{start}}' AND pickup < '{{ end }}'";
        assert_eq!(
            render(text, &runs[0].params("green")).unwrap(),
            "SELECT * FROM green WHERE pickup >= '2024-01-01 00:00:00' AND pickup < '2024-02-01 00:00:00'"
        );
        assert_eq!(used(text), ["service", "start", "end"]);
    }

    #[test]
    fn weeks_start_on_monday_and_intervals_start_at_or_after_from() {
        // 2024-01-03 is a Wednesday; the first whole week starts Monday the 8th.
        let runs = Cadence::Weekly.intervals(
            parse_time("2024-01-03").unwrap(),
            parse_time("2024-01-23").unwrap(),
            10,
        );
        let dates: Vec<String> = runs.iter().map(|r| r.label(Cadence::Weekly)).collect();
        assert_eq!(dates, ["2024-01-08", "2024-01-15", "2024-01-22"]);
        let hourly = Cadence::EveryMinutes(15).intervals(
            parse_time("2024-01-01 10:05").unwrap(),
            parse_time("2024-01-01 11:00").unwrap(),
            10,
        );
        assert_eq!(hourly.len(), 3);
        assert_eq!(timestamp(hourly[0].start), "2024-01-01 10:15:00");
    }

    #[test]
    fn unknown_parameters_are_named() {
        let p = Interval { start: 0, end: 60 }.params("yellow");
        let err = render("{{mnth}}", &p).unwrap_err();
        assert!(
            err.contains("{{mnth}}") && err.contains("{{month}}"),
            "{err}"
        );
        assert!(render("{{month", &p).is_err());
    }

    #[test]
    fn dates_round_trip() {
        for day in [-1000i64, 0, 19_723, 20_000, 60_000] {
            let (y, m, d) = civil(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(
            Cadence::from_key(&Cadence::EveryMinutes(5).key()),
            Some(Cadence::EveryMinutes(5))
        );
    }
}
