//! `kiln matrix QUERIES.json tables...`: every query run directly (DataFusion in one
//! process) and as a job for each worker count and split size, each answer printed as
//! JSON. One process runs them all, so a differential test of hundreds of queries does
//! not pay for hundreds of starts; the comparison itself (with DuckDB too) is the
//! test's, so that Kiln never judges its own answers.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use kiln_engine::results::{self, OutputFormat};
use kiln_engine::{Engine, QueryOutput};
use kiln_protocol::UserError;
use serde_json::{Value, json};

use crate::{JobArgs, cli_error, jobs, one_line};

pub async fn run(
    engine: &mut Engine,
    queries: &Path,
    workers: &[usize],
    split_kb: &[u64],
    memory_mb: &[u64],
) -> Result<(), UserError> {
    let context = format!("reading the queries in {}", queries.display());
    let text = std::fs::read_to_string(queries).map_err(|e| cli_error(&context, e))?;
    let queries: Vec<String> = serde_json::from_str(&text).map_err(|e| cli_error(&context, e))?;
    let mut stdout = std::io::stdout().lock();
    for (index, query) in queries.iter().enumerate() {
        let started = Instant::now();
        let output = engine.sql(query).await;
        let mut runs = vec![answer("direct", output, started)];
        // Every split size without a budget, then every budget at the first split size.
        let first_split = split_kb.first().copied().unwrap_or(131072);
        let settings = split_kb
            .iter()
            .map(|&split| (split, None))
            .chain(memory_mb.iter().map(|&mb| (first_split, Some(mb))));
        for (split, mb) in settings {
            for &count in workers {
                let args = job_args(count, split, mb.map(|mb| mb.max(1) << 20));
                let mut label = format!("workers={count} split_kb={split}");
                if let Some(mb) = mb {
                    label.push_str(&format!(" memory_mb={mb}"));
                }
                let started = Instant::now();
                let output = jobs::run(engine, query, 2 * count, count, &args).await;
                runs.push(answer(&label, output, started));
            }
        }
        let line = json!({ "query": index, "runs": runs });
        writeln!(stdout, "{line}").map_err(|e| cli_error("writing the answers", e))?;
        stdout
            .flush()
            .map_err(|e| cli_error("writing the answers", e))?;
    }
    Ok(())
}

fn job_args(workers: usize, split_kb: u64, memory_per_worker: Option<u64>) -> JobArgs {
    JobArgs {
        workers: Some(workers),
        split_mb: 128,
        split_kb: Some(split_kb),
        events: None,
        progress: false,
        fail_probability: 0.0,
        kill_worker_at: None,
        seed: 1,
        memory_per_worker,
    }
}

/// One run's answer: its columns and rows as `kiln sql --format json` prints them, or
/// its error as the CLI would print it; and how long it took since `started`.
fn answer(label: &str, output: Result<QueryOutput, UserError>, started: Instant) -> Value {
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let rows = output.and_then(|output| {
        let mut bytes = Vec::new();
        results::write_text(&output, OutputFormat::Json, &mut bytes)
            .map_err(|e| e.to_user("writing the result"))?;
        let rows: Value =
            serde_json::from_slice(&bytes).map_err(|e| cli_error("writing the result", e))?;
        let columns: Vec<String> = output
            .schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        Ok((columns, rows))
    });
    match rows {
        Ok((columns, rows)) => {
            json!({ "label": label, "ms": ms, "columns": columns, "rows": rows })
        }
        Err(error) => json!({ "label": label, "ms": ms, "error": one_line(&error) }),
    }
}
