//! The read side of an exchange: the leaf that stands where a stage's plan was cut, and
//! the datafusion-proto codec that lets it travel inside a serialized fragment.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufReader, Cursor, Read};
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties,
    Partitioning, PlanProperties, ReplaceChildrenOptions,
};
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use serde::{Deserialize, Serialize};

use super::ipc;

/// An input block of a task: Arrow IPC bytes at hand, or a handle that fetches them
/// only when the task's stream reaches the block. A task that merges many blocks (the
/// gather of a sort of all rows) then holds a block per input at a time, not all of
/// them; in the page the bytes stay in the page's copy or on disk until then.
#[derive(Clone)]
pub enum InputBlock {
    Bytes(Bytes),
    Deferred(Arc<dyn DeferredBlock>),
}

/// A block whose bytes are fetched as they are read, a piece at a time.
pub trait DeferredBlock: Send + Sync {
    fn byte_len(&self) -> u64;
    /// A reader of the block's bytes from byte `offset` on (0: the whole block); an
    /// error says why they could not be had.
    fn open_at(&self, offset: u64) -> std::result::Result<Box<dyn Read + Send>, String>;
}

impl InputBlock {
    pub fn len(&self) -> u64 {
        match self {
            InputBlock::Bytes(bytes) => bytes.len() as u64,
            InputBlock::Deferred(block) => block.byte_len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The block's bytes from `offset` on. A block on disk is read through a buffer,
    /// since a block's message lengths are read four bytes at a time and a read of a
    /// file costs about the same for 4 bytes as for 64 KiB; a body larger than the
    /// buffer is read past it, straight into its batch.
    pub fn reader_at(&self, offset: u64) -> Result<Box<dyn Read + Send>> {
        match self {
            InputBlock::Bytes(bytes) => {
                let mut reader = Cursor::new(bytes.clone());
                reader.set_position(offset);
                Ok(Box::new(reader))
            }
            InputBlock::Deferred(block) => match block.open_at(offset) {
                Ok(reader) => Ok(Box::new(BufReader::with_capacity(64 << 10, reader))),
                Err(e) => Err(DataFusionError::Execution(format!(
                    "reading an input block: {e}"
                ))),
            },
        }
    }

    /// The block's batches, decoded one at a time as the stream reaches them.
    pub fn batches(&self) -> Box<dyn Iterator<Item = Result<RecordBatch>> + Send> {
        let len = self.len();
        let deferred = matches!(self, InputBlock::Deferred(_));
        match self.reader_at(0) {
            Ok(reader) => Box::new(ipc::BlockBatches::new(reader, len).map(move |batch| {
                batch.map_err(|e| {
                    if deferred {
                        e.context("reading an input block")
                    } else {
                        e
                    }
                })
            })),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }
}

impl From<Bytes> for InputBlock {
    fn from(bytes: Bytes) -> Self {
        InputBlock::Bytes(bytes)
    }
}

impl fmt::Debug for InputBlock {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            InputBlock::Bytes(bytes) => write!(f, "InputBlock({} bytes)", bytes.len()),
            InputBlock::Deferred(block) => {
                write!(f, "InputBlock(deferred, {} bytes)", block.byte_len())
            }
        }
    }
}

/// How the stage below was cut from this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputKind {
    /// Partition p holds bucket p of every map task.
    Shuffle,
    /// Partition i holds all that task i of the stage below wrote (a sort-preserving
    /// merge reads them as separate sorted streams).
    Gather,
    /// One partition holding all that every task of the stage below wrote, in task
    /// order: a coalesce, done by the read itself (DataFusion's coalesce would spawn a
    /// thread per input, and a worker has none).
    Merge,
    /// One partition holding everything the stage below wrote.
    Broadcast,
}

/// A leaf reading another stage's blocks. Planned without blocks; a task binds the
/// blocks of the partitions it runs just before it executes.
#[derive(Debug)]
pub struct StageInputExec {
    stage: usize,
    kind: InputKind,
    partitions: usize,
    blocks: Arc<HashMap<usize, Vec<InputBlock>>>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl StageInputExec {
    /// Stands in for `replaced`, whose output the stage `stage` computes.
    pub fn new(
        stage: usize,
        kind: InputKind,
        partitions: usize,
        replaced: &dyn ExecutionPlan,
    ) -> Self {
        Self::with_properties(
            stage,
            kind,
            partitions,
            replaced.equivalence_properties().clone(),
        )
    }

    fn with_properties(
        stage: usize,
        kind: InputKind,
        partitions: usize,
        equivalence: EquivalenceProperties,
    ) -> Self {
        let outputs = if kind == InputKind::Merge {
            1
        } else {
            partitions
        };
        let properties = PlanProperties::new(
            equivalence,
            Partitioning::UnknownPartitioning(outputs),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Self {
            stage,
            kind,
            partitions,
            blocks: Arc::default(),
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }

    pub fn stage(&self) -> usize {
        self.stage
    }

    pub fn kind(&self) -> InputKind {
        self.kind
    }

    pub fn partitions(&self) -> usize {
        self.partitions
    }

    /// A copy reading `blocks`: Arrow IPC streams by partition of this leaf.
    pub fn bind(&self, blocks: HashMap<usize, Vec<InputBlock>>) -> Self {
        Self {
            stage: self.stage,
            kind: self.kind,
            partitions: self.partitions,
            blocks: Arc::new(blocks),
            properties: self.properties.clone(),
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }
}

impl DisplayAs for StageInputExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let kind = match self.kind {
            InputKind::Shuffle => "ShuffleRead",
            InputKind::Gather | InputKind::Merge => "GatherRead",
            InputKind::Broadcast => "BroadcastRead",
        };
        write!(
            f,
            "{kind}: stage={}, partitions={}",
            self.stage, self.partitions
        )
    }
}

impl ExecutionPlan for StageInputExec {
    fn name(&self) -> &str {
        match self.kind {
            InputKind::Shuffle => "ShuffleRead",
            InputKind::Gather | InputKind::Merge => "GatherRead",
            InputKind::Broadcast => "BroadcastRead",
        }
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let blocks: Vec<InputBlock> = if self.kind == InputKind::Merge {
            (0..self.partitions)
                .flat_map(|p| self.blocks.get(&p).cloned().unwrap_or_default())
                .collect()
        } else {
            self.blocks.get(&partition).cloned().unwrap_or_default()
        };
        let rows = MetricBuilder::new(&self.metrics).output_rows(partition);
        let schema = self.schema();
        // Blocks are opened, and their batches read and decoded, one at a time as the
        // stream is polled.
        let batches = blocks
            .into_iter()
            .filter(|b| !b.is_empty())
            .flat_map(|block| block.batches())
            .inspect(move |batch| {
                if let Ok(batch) = batch {
                    rows.add(batch.num_rows());
                }
            });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::iter(batches),
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// What travels in the proto for a `StageInputExec`.
#[derive(Serialize, Deserialize)]
struct StageInputHeader {
    stage: usize,
    kind: InputKind,
    partitions: usize,
}

/// Kiln's extension codec: encodes `StageInputExec` as a JSON header plus its schema as
/// an empty Arrow IPC stream.
#[derive(Debug, Default)]
pub struct KilnCodec;

impl PhysicalExtensionCodec for KilnCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        _inputs: &[Arc<dyn ExecutionPlan>],
        _ctx: &TaskContext,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let malformed =
            |what: &str| DataFusionError::Internal(format!("malformed stage input: {what}"));
        let (len, rest) = buf
            .split_first_chunk::<4>()
            .ok_or_else(|| malformed("too short"))?;
        let len = u32::from_le_bytes(*len) as usize;
        let (header, schema) = rest
            .split_at_checked(len)
            .ok_or_else(|| malformed("header cut"))?;
        let header: StageInputHeader =
            serde_json::from_slice(header).map_err(|e| malformed(&e.to_string()))?;
        let schema: SchemaRef = ipc::schema_from_bytes(schema)?;
        Ok(Arc::new(StageInputExec::with_properties(
            header.stage,
            header.kind,
            header.partitions,
            EquivalenceProperties::new(schema),
        )))
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let Some(input) = node.downcast_ref::<StageInputExec>() else {
            return Err(DataFusionError::NotImplemented(format!(
                "{} cannot be sent to a worker",
                node.name()
            )));
        };
        let header = serde_json::to_vec(&StageInputHeader {
            stage: input.stage,
            kind: input.kind,
            partitions: input.partitions,
        })
        .map_err(|e| DataFusionError::Internal(e.to_string()))?;
        buf.extend_from_slice(&(header.len() as u32).to_le_bytes());
        buf.extend_from_slice(&header);
        buf.extend_from_slice(&ipc::schema_to_bytes(&input.schema())?);
        Ok(())
    }
}
