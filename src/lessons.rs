//! The workshop's lessons: a week of batch processing, step by step, on the sample
//! lake. Each step has a short text, a ready job, a pointer at what to look at (the
//! part of the page it highlights), and a question whose answer is read off the run.

use kiln_protocol::StageOutput;

use crate::state::{AppState, EditorMode};

/// The settings a step's job runs with (the workers stay as the learner set them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepSettings {
    pub partitions: Option<usize>,
    pub split_mb: u64,
    pub fail_percent: f64,
    /// Memory per worker in MB; `None`: no budget.
    pub memory_mb: Option<u64>,
}

pub const DEFAULT_SETTINGS: StepSettings = StepSettings {
    partitions: None,
    split_mb: 128,
    fail_percent: 0.0,
    memory_mb: None,
};

pub struct LessonJob {
    pub mode: EditorMode,
    pub text: &'static str,
    pub settings: StepSettings,
}

pub struct Lesson {
    pub id: &'static str,
    pub title: &'static str,
    pub text: &'static [&'static str],
    pub job: Option<LessonJob>,
    /// The `data-testid` of what to look at; the step highlights it.
    pub focus: Option<&'static str>,
    pub look: &'static str,
    pub question: &'static str,
    /// The answer, read off the page's state after the step's job ran.
    pub answer: fn(&AppState) -> Option<f64>,
}

fn last_job(s: &AppState) -> Option<&crate::jobs::progress::JobProgress> {
    s.jobs
        .iter()
        .rev()
        .find(|j| !j.replayed)
        .map(|j| j.as_ref())
}

fn first_cell(s: &AppState) -> Option<f64> {
    s.result.as_ref()?.row(0)?.first()?.as_deref()?.parse().ok()
}

fn result_rows(s: &AppState) -> Option<f64> {
    Some(s.result.as_ref()?.summary.total_rows as f64)
}

pub const LESSONS: &[Lesson] = &[
    Lesson {
        id: "batch-vs-streaming",
        title: "Batch and streaming",
        text: &[
            "A batch job reads a bounded input — every trip of a month, say — computes its answer once, and ends. A streaming job never ends: it processes records as they arrive.",
            "Kiln is a batch engine. The query below reads all yellow trips and reports how many there are, what they earned and the time they span: the whole input, at once.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::Sql,
            // The revenue makes the job read every trip: a count, a min and a max alone
            // the planner answers from the files' statistics, with no task to see.
            text: "SELECT count(*) AS trips,\n       round(sum(total_amount), 2) AS revenue,\n       min(tpep_pickup_datetime) AS first_pickup,\n       max(tpep_pickup_datetime) AS last_pickup\nFROM yellow",
            settings: DEFAULT_SETTINGS,
        }),
        focus: Some("result-table"),
        look: "the result: one row that covers the whole input",
        question: "How many yellow trips did the job count?",
        answer: first_cell,
    },
    Lesson {
        id: "when-batch-jobs-run",
        title: "What a batch job is, and when it runs",
        text: &[
            "A batch job is a program over a dataset that runs to completion. Most run on a schedule: weekly reports, daily loads, hourly aggregates, or every few minutes when freshness matters.",
            "A daily job would compute one row of this result each night, for the day that just ended.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::Sql,
            text: "SELECT date_trunc('day', tpep_pickup_datetime) AS day,\n       count(*) AS trips,\n       round(sum(total_amount), 2) AS revenue\nFROM yellow\nGROUP BY 1\nORDER BY 1",
            settings: DEFAULT_SETTINGS,
        }),
        focus: Some("result-table"),
        look: "one row per day: what a daily job makes",
        question: "How many daily runs would cover the yellow trips (rows in the result)?",
        answer: result_rows,
    },
    Lesson {
        id: "first-look",
        title: "A first look at the data",
        text: &[
            "Parquet files hold their rows in row groups; each row group stores every column as a chunk, with statistics (min, max, nulls) an engine uses to skip what a query does not need.",
            "Open the yellow table in the explorer: its files, their row groups, and each column's type, codec and statistics.",
        ],
        job: None,
        focus: Some("explorer"),
        look: "the explorer of the yellow table: files and row groups",
        question: "How many row groups does the first file of the yellow table have?",
        answer: |s| {
            let yellow = s.tables.iter().find(|t| t.name == "yellow")?;
            Some(yellow.files.first()?.row_groups.len() as f64)
        },
    },
    Lesson {
        id: "partitions-and-tasks",
        title: "Partitions, splits and tasks",
        text: &[
            "A job's input is cut into splits, and each split is a task; tasks of a stage run at the same time, one per worker. A big file is cut into runs of row groups of about the split size; small files are packed together up to it, each counted with an open cost of 4 MB (Spark's openCostInBytes).",
            "With splits of 1 MB, no two files share a task, and each row group of 1 MB or more is a split of its own: count the tasks of the scan stage.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::Sql,
            text: "SELECT count(*) AS long_trips FROM yellow WHERE trip_distance > 5",
            settings: StepSettings {
                partitions: None,
                split_mb: 1,
                fail_percent: 0.0,
                memory_mb: None,
            },
        }),
        focus: Some("stage-dag"),
        look: "stage 0 in the stage graph: its tasks",
        question: "How many tasks did the scan stage (stage 0) run?",
        answer: |s| Some(last_job(s)?.graph.stages.first()?.tasks as f64),
    },
    Lesson {
        id: "narrow-and-wide",
        title: "Narrow and wide transformations",
        text: &[
            "A narrow transformation (filter, select, withColumn) turns each input partition into one output partition: no data moves between tasks, so narrow steps chain inside one stage.",
            "A wide one (groupBy, join, distinct, orderBy) needs rows with the same key together: it shuffles, and a new stage begins. This job has only narrow steps.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::Sql,
            text: "SELECT \"PULocationID\", total_amount * 1.1 AS with_ten_percent\nFROM yellow\nWHERE payment_type = 1 AND trip_distance > 10",
            settings: DEFAULT_SETTINGS,
        }),
        focus: Some("stage-dag"),
        look: "the stage graph: no shuffle edge",
        question: "How many stages does this narrow job have?",
        answer: |s| Some(last_job(s)?.graph.stages.len() as f64),
    },
    Lesson {
        id: "group-by-and-shuffle",
        title: "Group by and the shuffle",
        text: &[
            "A group by runs in two stages: the first aggregates each split partially and writes its rows into shuffle buckets by key; the second reads one bucket per task and finishes the aggregate.",
            "The number of tasks that read the shuffle is the job's shuffle partitions (Spark's spark.sql.shuffle.partitions); here it is set to 4.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::Sql,
            text: "SELECT payment_type, count(*) AS trips, round(sum(total_amount), 2) AS revenue\nFROM yellow\nGROUP BY payment_type\nORDER BY payment_type",
            settings: StepSettings {
                partitions: Some(4),
                split_mb: 128,
                fail_percent: 0.0,
                memory_mb: None,
            },
        }),
        focus: Some("stage-dag"),
        look: "the shuffle edge, and the stage after it",
        question: "How many tasks read the shuffle?",
        answer: |s| {
            let job = last_job(s)?;
            let graph = &job.graph;
            let readers = graph.stages.iter().find(|stage| {
                stage.inputs.iter().any(|i| {
                    graph
                        .stages
                        .get(*i)
                        .is_some_and(|up| matches!(up.output, StageOutput::Shuffle { .. }))
                })
            })?;
            Some(readers.tasks as f64)
        },
    },
    Lesson {
        id: "joins",
        title: "Joins: broadcast or shuffle",
        text: &[
            "A join of a big table with a small one need not shuffle the big one: the small side is sent whole to every task (a broadcast join). Two big tables are both shuffled by the join key.",
            "The zone lookup has 265 rows: look at the edge that brings it to the join.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::Sql,
            text: "SELECT z.\"Borough\", count(*) AS trips\nFROM yellow y JOIN taxi_zone_lookup z ON y.\"PULocationID\" = z.\"LocationID\"\nGROUP BY z.\"Borough\"\nORDER BY trips DESC",
            settings: DEFAULT_SETTINGS,
        }),
        focus: Some("stage-dag"),
        look: "the broadcast edge in the stage graph",
        question: "How many broadcast edges does the stage graph show?",
        answer: |s| {
            let job = last_job(s)?;
            Some(
                job.graph
                    .stages
                    .iter()
                    .filter(|st| st.output == StageOutput::Broadcast)
                    .count() as f64,
            )
        },
    },
    Lesson {
        id: "skew",
        title: "Skew",
        text: &[
            "A shuffle puts all rows of a key in one task. When a few keys hold most rows — the airports and midtown Manhattan for taxi pickups — a few tasks do most of the work and the stage waits for them: skew.",
            "Open the second stage's page: its task durations and inputs, and the skew marker.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::Sql,
            text: "SELECT \"PULocationID\", count(*) AS trips\nFROM yellow\nGROUP BY 1\nORDER BY trips DESC\nLIMIT 10",
            settings: StepSettings {
                partitions: Some(8),
                split_mb: 128,
                fail_percent: 0.0,
                memory_mb: None,
            },
        }),
        focus: Some("stage-dag"),
        look: "the stage after the shuffle: click it for its tasks",
        question: "Which pickup zone (its PULocationID) has the most trips?",
        answer: first_cell,
    },
    Lesson {
        id: "repartition-and-coalesce",
        title: "Repartition, coalesce and the files they write",
        text: &[
            "A job writes one file per task of its last stage. repartition(n) shuffles into exactly n partitions (n files); coalesce(n) merges neighbouring partitions without a shuffle (at most n files).",
            "Thousands of tiny files are slow to list and read; one huge file cannot be read in parallel. The console says how many files this write makes.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::PySpark,
            text: "from pyspark.sql import functions as F\n\ngreen = spark.read.parquet(\"green\")\ngreen.repartition(3).write.parquet(\"output/green_by_3\", mode=\"overwrite\")\n",
            settings: DEFAULT_SETTINGS,
        }),
        focus: Some("console"),
        look: "the console: the write and its files",
        question: "How many files does the write make?",
        answer: |s| {
            s.program_run
                .as_ref()?
                .entries
                .iter()
                .find_map(|e| match &e.kind {
                    crate::jobs::program_run::EntryKind::Job { write: Some(w), .. } => {
                        Some(w.file_count as f64)
                    }
                    _ => None,
                })
        },
    },
    Lesson {
        id: "revenue-report",
        title: "The revenue report",
        text: &[
            "The course's report: green and yellow trips renamed to common columns, tagged with their service, unioned, and summed per zone, month and service with SQL.",
            "It runs as PySpark, unchanged; each action is a job.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::PySpark,
            text: REVENUE_REPORT,
            settings: DEFAULT_SETTINGS,
        }),
        focus: Some("console"),
        look: "the console's show() and the job it ran",
        question: "How many rows does the revenue report have?",
        answer: result_rows,
    },
    Lesson {
        id: "failures-and-retries",
        title: "Failures and retries",
        text: &[
            "Workers fail: a machine dies, memory runs out. A batch engine retries the failed task elsewhere (Spark: 4 attempts) and the job still gives the right answer. Here 30% of task attempts fail on purpose.",
            "The timeline marks failed attempts; the stage page lists every attempt.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::Sql,
            text: "SELECT payment_type, count(*) AS trips\nFROM green\nGROUP BY payment_type\nORDER BY payment_type",
            settings: StepSettings {
                partitions: Some(8),
                split_mb: 1,
                fail_percent: 30.0,
                memory_mb: None,
            },
        }),
        focus: Some("job-panel"),
        look: "the failed attempts in the timeline and the stages",
        question: "How many task attempts failed (and were retried)?",
        answer: |s| {
            let job = last_job(s)?;
            Some(
                job.stages
                    .iter()
                    .map(|st| st.failed_attempts)
                    .sum::<usize>() as f64,
            )
        },
    },
    Lesson {
        id: "memory-and-spill",
        title: "Memory and spill",
        text: &[
            "A task holds what it sorts, groups or joins in its worker's memory. When that outgrows the memory a worker may use, Spark spills: it writes sorted runs to local disk and merges them back, slower but still right. Kiln spills to this browser's private storage (OPFS).",
            "This step gives each worker 4 MB and ranks every trip within its pickup zone, which sorts each shuffle partition. Open the page of stage 1: the budget line says how many tasks spilled, and each task how much. Then empty \"Memory per worker MB\" in the job settings (the default: a quarter of this device's memory, shared by the workers) and run it again: the same answer, nothing spilled.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::Sql,
            text: "SELECT *, rank() OVER (PARTITION BY \"PULocationID\" ORDER BY total_amount DESC) AS fare_rank\nFROM yellow",
            settings: StepSettings {
                // Two shuffle partitions: each holds more than the budget.
                partitions: Some(2),
                split_mb: 128,
                fail_percent: 0.0,
                memory_mb: Some(4),
            },
        }),
        focus: Some("stage-dag"),
        look: "stage 1's page: its budget line and each task's spill",
        question: "How many spill files did the job's tasks write?",
        answer: |s| {
            let job = last_job(s)?;
            Some(
                job.stages
                    .iter()
                    .flat_map(|st| &st.operators)
                    .map(|op| op.spill_count)
                    .sum::<u64>() as f64,
            )
        },
    },
    Lesson {
        id: "parameters-and-backfills",
        title: "Parametrized jobs and backfills",
        text: &[
            "A scheduled job is one text with parameters — {{month}}, {{date}}, {{service}} — filled in for each run. A backfill runs it once per past interval; each run writes its own partition folder, so rerunning a month replaces just that month.",
            "Load the job, then open the Schedule tab and backfill every month of the lake.",
        ],
        job: Some(LessonJob {
            mode: EditorMode::Sql,
            text: "SELECT '{{month}}' AS month, count(*) AS trips, round(sum(total_amount), 2) AS revenue\nFROM {{service}}\nWHERE tpep_pickup_datetime >= TIMESTAMP '{{start}}'\n  AND tpep_pickup_datetime < TIMESTAMP '{{end}}'",
            settings: DEFAULT_SETTINGS,
        }),
        focus: Some("schedule"),
        look: "the Schedule tab: its run history grid",
        question: "How many runs did the backfill complete?",
        answer: |s| {
            Some(
                s.schedule
                    .runs
                    .iter()
                    .filter(|r| r.status == crate::workshop::schedule::RunStatus::Succeeded)
                    .count() as f64,
            )
        },
    },
    Lesson {
        id: "micro-batches",
        title: "Micro-batches",
        text: &[
            "Spark's structured streaming runs a stream as many small batch jobs: each micro-batch takes the records that arrived since the last one, and the engine keeps the running state (here, each window's counts).",
            "Open the Stream tab and replay the first month of yellow trips a day at a time: each micro-batch updates the daily windows; the same aggregation then runs once as a batch job, for comparison.",
        ],
        job: None,
        focus: Some("stream"),
        look: "the Stream tab: latency and throughput per micro-batch, beside the batch job",
        question: "How many micro-batches did the stream process?",
        answer: |s| Some(s.stream.as_ref()?.batches.len() as f64),
    },
];

const REVENUE_REPORT: &str = "from pyspark.sql import functions as F

df_green = spark.read.parquet(\"green\") \\
    .withColumnRenamed(\"lpep_pickup_datetime\", \"pickup_datetime\") \\
    .withColumnRenamed(\"lpep_dropoff_datetime\", \"dropoff_datetime\")
df_yellow = spark.read.parquet(\"yellow\") \\
    .withColumnRenamed(\"tpep_pickup_datetime\", \"pickup_datetime\") \\
    .withColumnRenamed(\"tpep_dropoff_datetime\", \"dropoff_datetime\")

common_columns = [\"VendorID\", \"pickup_datetime\", \"dropoff_datetime\", \"PULocationID\",
    \"DOLocationID\", \"passenger_count\", \"trip_distance\", \"fare_amount\", \"extra\",
    \"mta_tax\", \"tip_amount\", \"tolls_amount\", \"improvement_surcharge\", \"total_amount\",
    \"congestion_surcharge\"]
df_trips_data = df_green.select(common_columns).withColumn(\"service_type\", F.lit(\"green\")) \\
    .unionAll(df_yellow.select(common_columns).withColumn(\"service_type\", F.lit(\"yellow\")))
df_trips_data.registerTempTable(\"trips_data\")

df_result = spark.sql(\"\"\"
SELECT PULocationID AS revenue_zone,
       date_trunc('month', pickup_datetime) AS revenue_month,
       service_type,
       SUM(fare_amount) AS revenue_monthly_fare,
       SUM(total_amount) AS revenue_monthly_total_amount,
       AVG(passenger_count) AS avg_monthly_passenger_count,
       AVG(trip_distance) AS avg_monthly_trip_distance
FROM trips_data
GROUP BY 1, 2, 3
\"\"\")
display(df_result)
";

/// Whether an answer typed by the learner is the run's: numbers compared to a
/// millionth, so `3` and `3.0` both count.
pub fn is_right(typed: &str, answer: f64) -> bool {
    typed
        .trim()
        .replace(',', "")
        .parse::<f64>()
        .is_ok_and(|t| (t - answer).abs() <= 1e-6 * answer.abs().max(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_at_least_twelve_steps_with_unique_ids() {
        assert!(LESSONS.len() >= 12);
        let mut ids: Vec<&str> = LESSONS.iter().map(|l| l.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), LESSONS.len());
    }

    #[test]
    fn answers_are_numbers_typed_any_usual_way() {
        assert!(is_right(" 1,234 ", 1234.0));
        assert!(is_right("3.0", 3.0));
        assert!(!is_right("four", 4.0));
        assert!(!is_right("5", 4.0));
    }
}
