//! Running one task attempt: decode the stage's fragment, bind the input blocks, execute
//! the task's partition batch by batch, and write what it produces as blocks: one per
//! bucket for a shuffle, one otherwise. The same code runs in a web worker and on a
//! native thread; the caller lends the clock, the progress sink and the stop flag.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::metrics::Time;
use datafusion::physical_plan::repartition::{BatchPartitioner, RepartitionExec};
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use datafusion_proto::bytes::physical_plan_from_bytes_with_extension_codec;
use futures::StreamExt;
use kiln_protocol::{TaskMetrics, TaskRequest, UserError};

use super::exchange::{InputBlock, KilnCodec, StageInputExec};
use super::ipc::{BlockSink, BlockWriter, DISK_BLOCK_CODEC, SINK_PIECE_BYTES};
use super::monitor::{STOPPED, TaskHooks, leaves, monitored, operators, read_so_far};
use super::plans::operator_metrics;
use super::splits::file_scan;
use super::stages::task_plan;
use crate::error::EngineError;

/// A finished attempt: one block per output partition (empty when it got no rows; all
/// empty when the task wrote them to a `BlockSink`) and what it did. A Parquet result's
/// part (`result_as_parquet`: written into a folder) is its one block, the Parquet
/// file; with a sink, the file goes to the sink as it is encoded, like any block.
/// `peak_memory_bytes` is left to the caller, who knows its memory.
pub struct TaskOutcome {
    pub blocks: Vec<Vec<u8>>,
    pub metrics: TaskMetrics,
}

/// Runs one attempt. `blocks` are the input blocks in the order `request.inputs` lists;
/// its output goes to `sink` as it is encoded when there is one.
pub async fn run_task(
    task_ctx: Arc<TaskContext>,
    request: &TaskRequest,
    blocks: Vec<InputBlock>,
    hooks: TaskHooks,
    sink: Option<&mut dyn BlockSink>,
) -> Result<TaskOutcome, UserError> {
    let started = (hooks.clock)();
    let fragment =
        physical_plan_from_bytes_with_extension_codec(&request.fragment, &task_ctx, &KilnCodec)
            .map_err(|e| {
                EngineError::from(e).to_user(format!("decoding stage {}", request.stage))
            })?;
    let shuffle_read_bytes = blocks.iter().map(InputBlock::len).sum();
    let fragment = bind_inputs(fragment, request, blocks).map_err(|e| {
        EngineError::from(e).to_user(format!("binding the inputs of stage {}", request.stage))
    })?;
    let plan = monitored(task_plan(&fragment).clone(), hooks.clone(), started)
        .map_err(|e| EngineError::from(e).to_user(format!("preparing stage {}", request.stage)))?;
    // The files a task scans say where it failed; "reading" only when reading them was
    // what failed (a division by zero is not the file's fault).
    let context = |reading: bool| {
        let files = task_files(&plan, request.partition);
        let (stage, task) = (request.stage, request.task);
        match (files.is_empty(), reading) {
            (true, _) => format!("running stage {stage} task {task}"),
            (false, true) => format!(
                "running stage {stage} task {task}, reading {}",
                files.join(", ")
            ),
            (false, false) => format!(
                "running stage {stage} task {task} (over {})",
                files.join(", ")
            ),
        }
    };

    let mut written = execute(&fragment, &plan, task_ctx, request, &hooks, sink)
        .await
        .map_err(|e| match e {
            Stop::Engine(e) => {
                let reading = e.is_read_error();
                e.to_user(context(reading))
            }
            Stop::Stopped(reason) => UserError {
                context: context(true),
                message: reason,
                location: None,
            },
            Stop::Sink(message) => UserError {
                context: format!(
                    "writing the output of stage {} task {} to disk",
                    request.stage, request.task
                ),
                message,
                location: None,
            },
        })?;

    let (rows_in, bytes_read, shuffle_read_rows) = leaf_metrics(&plan);
    written.metrics.duration_ms = (hooks.clock)() - started;
    written.metrics.rows_in = rows_in;
    written.metrics.bytes_read = bytes_read;
    written.metrics.shuffle_read_rows = shuffle_read_rows;
    written.metrics.shuffle_read_bytes = shuffle_read_bytes;
    written.metrics.operators = operators(&plan)
        .iter()
        .map(|op| operator_metrics(op.as_ref()))
        .collect();
    Ok(written)
}

enum Stop {
    Engine(EngineError),
    Stopped(String),
    Sink(String),
}

impl From<DataFusionError> for Stop {
    fn from(e: DataFusionError) -> Self {
        Stop::Engine(EngineError::from(e))
    }
}

async fn execute(
    fragment: &Arc<dyn ExecutionPlan>,
    plan: &Arc<dyn ExecutionPlan>,
    task_ctx: Arc<TaskContext>,
    request: &TaskRequest,
    hooks: &TaskHooks,
    mut sink: Option<&mut dyn BlockSink>,
) -> Result<TaskOutcome, Stop> {
    let schema = plan.schema();
    let shuffle = fragment.downcast_ref::<RepartitionExec>();
    let mut partitioner = match shuffle {
        Some(r) => Some(BatchPartitioner::try_new(
            r.partitioning().clone(),
            Time::new(),
            request.partition,
            plan.output_partitioning().partition_count(),
        )?),
        None => None,
    };
    let outputs = shuffle.map_or(1, |r| r.partitioning().partition_count());
    let batch_rows = task_ctx.session_config().batch_size();
    let codec = sink
        .as_deref()
        .is_some_and(|s| s.compressed())
        .then_some(DISK_BLOCK_CODEC);
    let piece_bytes = sink
        .as_deref()
        .map_or(SINK_PIECE_BYTES, |s| s.piece_bytes());
    let mut writers: Vec<BlockWriter> = (0..outputs)
        .map(|_| BlockWriter::new(schema.clone(), batch_rows).compressed(codec))
        .collect();
    // A result saved to disk: this task's part, as the Parquet file it will be.
    let mut parquet = match (request.result_as_parquet, &partitioner) {
        (true, None) => Some(
            parquet::arrow::ArrowWriter::try_new(
                Vec::new(),
                schema.clone(),
                Some(crate::results::parquet_properties()),
            )
            .map_err(|e| Stop::Engine(e.into()))?,
        ),
        _ => None,
    };

    // Bytes of each output partition handed to the sink so far.
    let mut sunk = vec![0u64; outputs];
    let mut stream = plan.execute(request.partition, task_ctx)?;
    let mut rows_out = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows_out += batch.num_rows() as u64;
        match (&mut partitioner, &mut parquet) {
            (Some(p), _) => p.partition(batch, |bucket, part| writers[bucket].write(&part))?,
            (None, Some(file)) => file.write(&batch).map_err(|e| Stop::Engine(e.into()))?,
            (None, None) => writers[0].write(&batch)?,
        }
        if let Some(sink) = sink.as_deref_mut() {
            for (partition, writer) in writers.iter_mut().enumerate() {
                if let Some(piece) = writer.take_encoded(piece_bytes) {
                    sink_piece(sink, &mut sunk, partition, &piece)?;
                }
            }
            // What the Parquet writer has flushed (its finished pages and row groups;
            // it counts the bytes it wrote itself, so taking them keeps its offsets).
            if let Some(file) = &mut parquet {
                let encoded = file.inner_mut();
                if encoded.len() >= piece_bytes {
                    let piece = std::mem::take(encoded);
                    sink_piece(sink, &mut sunk, 0, &piece)?;
                }
            }
        }
        if request.inject_failure {
            return Err(Stop::Stopped(format!(
                "injected failure (fault injection) in attempt {}",
                request.attempt + 1
            )));
        }
        if hooks
            .stop
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
        {
            return Err(Stop::Stopped(STOPPED.into()));
        }
    }
    if request.inject_failure {
        return Err(Stop::Stopped(format!(
            "injected failure (fault injection) in attempt {}",
            request.attempt + 1
        )));
    }

    let mut metrics = TaskMetrics {
        rows_out,
        ..Default::default()
    };
    if let Some(file) = parquet {
        let mut bytes = file.into_inner().map_err(|e| Stop::Engine(e.into()))?;
        if let Some(sink) = sink.as_deref_mut() {
            sink_piece(sink, &mut sunk, 0, &bytes)?;
            bytes = Vec::new();
        }
        metrics.output_bytes = sunk[0] + bytes.len() as u64;
        return Ok(TaskOutcome {
            blocks: vec![bytes],
            metrics,
        });
    }
    let mut blocks = Vec::with_capacity(writers.len());
    for (partition, writer) in writers.into_iter().enumerate() {
        let rows = writer.rows();
        // The result and gathers always carry their schema, so an empty one still reads.
        let mut block = writer.finish(partitioner.is_none())?;
        if let Some(sink) = sink.as_deref_mut() {
            sink_piece(sink, &mut sunk, partition, &block)?;
            block = Vec::new();
        }
        let bytes = sunk[partition] + block.len() as u64;
        if partitioner.is_some() {
            metrics.shuffle_write_rows += rows;
            metrics.shuffle_write_bytes += bytes;
        }
        metrics.output_bytes += bytes;
        blocks.push(block);
    }
    Ok(TaskOutcome { blocks, metrics })
}

fn sink_piece(
    sink: &mut dyn BlockSink,
    sunk: &mut [u64],
    partition: usize,
    piece: &[u8],
) -> Result<(), Stop> {
    if piece.is_empty() {
        return Ok(());
    }
    sink.append(partition, piece).map_err(Stop::Sink)?;
    sunk[partition] += piece.len() as u64;
    Ok(())
}

/// Puts each input partition's blocks into the leaves that read them.
fn bind_inputs(
    fragment: Arc<dyn ExecutionPlan>,
    request: &TaskRequest,
    blocks: Vec<InputBlock>,
) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
    let mut by_stage: HashMap<usize, HashMap<usize, Vec<InputBlock>>> = HashMap::new();
    let mut blocks = blocks.into_iter();
    for input in &request.inputs {
        let taken: Vec<InputBlock> = blocks.by_ref().take(input.blocks).collect();
        if taken.len() != input.blocks {
            return Err(DataFusionError::Internal(format!(
                "task of stage {} got fewer input blocks than it lists",
                request.stage
            )));
        }
        by_stage
            .entry(input.stage)
            .or_default()
            .entry(input.partition)
            .or_default()
            .extend(taken);
    }
    fragment
        .transform_up(|node| match node.downcast_ref::<StageInputExec>() {
            Some(input) => {
                let bound = input.bind(by_stage.remove(&input.stage()).unwrap_or_default());
                Ok(Transformed::yes(Arc::new(bound) as Arc<dyn ExecutionPlan>))
            }
            None => Ok(Transformed::no(node)),
        })
        .map(|t| t.data)
}

/// (rows from the leaves, bytes read from files, rows read from other stages).
fn leaf_metrics(plan: &Arc<dyn ExecutionPlan>) -> (u64, u64, u64) {
    let leaves = leaves(plan);
    let (rows, bytes) = read_so_far(&leaves);
    let stage_inputs: Vec<_> = leaves
        .into_iter()
        .filter(|leaf| leaf.is::<StageInputExec>())
        .collect();
    (rows, bytes, read_so_far(&stage_inputs).0)
}

/// The names of the files the task's partition scans, for error messages.
fn task_files(plan: &Arc<dyn ExecutionPlan>, partition: usize) -> Vec<String> {
    let mut files = Vec::new();
    let _ = plan.apply(|node| {
        if let Some(config) = file_scan(node) {
            let group = config
                .file_groups
                .get(partition)
                .or_else(|| config.file_groups.first());
            for file in group.into_iter().flat_map(|g| g.iter()) {
                let path = file.object_meta.location.as_ref();
                // Store paths are `t<n>/<file>`: the table root is Kiln's, not the user's.
                let shown = path.split_once('/').map_or(path, |(_, rest)| rest);
                files.push(shown.to_string());
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    files
}
