//! `kiln sql --workers N`: the query as a distributed job on worker threads, with its
//! event stream printed as it happens and saved as JSON.

use std::sync::atomic::AtomicBool;

use kiln_engine::distributed::RunOptions;
use kiln_engine::{Engine, QueryOutput};
use kiln_protocol::{FaultConfig, JobEvent, JobOptions, UserError};

use crate::{JobArgs, cli_error};

pub async fn run(
    engine: &mut Engine,
    sql: &str,
    partitions: usize,
    workers: usize,
    args: &JobArgs,
) -> Result<QueryOutput, UserError> {
    let options = JobOptions {
        partitions: partitions.max(1),
        split_bytes: args.split_bytes(),
        memory_per_worker: args.memory_per_worker,
        ..Default::default()
    };
    let plan = engine.plan_job(sql, &options).await?;
    run_plan(engine, plan, workers, args)
}

/// Runs a planned job on `workers` threads, with the fault injection, progress and
/// event log `args` ask for.
pub fn run_plan(
    engine: &Engine,
    plan: kiln_protocol::JobPlan,
    workers: usize,
    args: &JobArgs,
) -> Result<QueryOutput, UserError> {
    let run = RunOptions {
        workers: workers.clamp(1, 64),
        max_attempts: 4,
        faults: FaultConfig {
            task_failure_probability: args.fail_probability.clamp(0.0, 1.0),
            kill_worker_at_attempt: args.kill_worker_at,
            seed: args.seed,
            fail_every_attempt: false,
            hang_at_attempt: None,
        },
    };
    let mut events = Vec::new();
    let cancel = AtomicBool::new(false);
    let result = tokio::task::block_in_place(|| {
        engine.run_job(plan, &run, &cancel, &mut |event| {
            if args.progress {
                print_event(event);
            }
            if args.events.is_some() {
                events.push(event.clone());
            }
        })
    });
    if let Some(path) = &args.events {
        let context = format!("writing the events to {}", path.display());
        let json = serde_json::to_vec_pretty(&events).map_err(|e| cli_error(&context, e))?;
        std::fs::write(path, json).map_err(|e| cli_error(&context, e))?;
    }
    result
}

fn print_event(event: &JobEvent) {
    let at = event.at_ms();
    let line = match event {
        JobEvent::JobSubmitted { graph, workers, .. } => format!(
            "job submitted: {} stages, {} workers",
            graph.stages.len(),
            workers
        ),
        JobEvent::StageSubmitted { stage, tasks, .. } => {
            format!("stage {stage} submitted: {tasks} tasks")
        }
        JobEvent::StageCompleted { stage, .. } => format!("stage {stage} completed"),
        JobEvent::TaskStarted {
            stage,
            task,
            attempt,
            worker,
            split,
            ..
        } => format!(
            "  task {stage}.{task} attempt {attempt} started on worker {worker}{}",
            split
                .as_ref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ),
        JobEvent::TaskProgress { .. } => return,
        JobEvent::TaskFinished {
            stage,
            task,
            metrics,
            ..
        } => format!(
            "  task {stage}.{task} finished in {:.0} ms: {} rows in, {} out, {} shuffle bytes written",
            metrics.duration_ms, metrics.rows_in, metrics.rows_out, metrics.shuffle_write_bytes
        ),
        JobEvent::TaskFailed {
            stage,
            task,
            attempt,
            error,
            will_retry,
            ..
        } => format!(
            "  task {stage}.{task} attempt {attempt} failed{}: {}",
            if *will_retry { " (will retry)" } else { "" },
            error.message
        ),
        JobEvent::WorkerLost { worker, reason, .. } => format!("worker {worker} lost: {reason}"),
        JobEvent::JobSucceeded { .. } => "job succeeded".into(),
        JobEvent::JobFailed { error, .. } => format!("job failed: {error}"),
        JobEvent::JobCancelled { .. } => "job cancelled".into(),
    };
    eprintln!("[{at:>8.1} ms] {line}");
}
