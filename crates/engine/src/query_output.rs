//! A finished query's result, as it is kept for paging, charts and downloads: each
//! task's share of it decoded in memory, or left in its IPC block (in the page, a file
//! in the browser's private storage) and decoded a batch at a time whenever it is read,
//! so that a result larger than a worker's memory is still a result.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::buffer::Buffer;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;

use crate::distributed::exchange::InputBlock;
use crate::distributed::ipc::{self, BlockBatches};
use crate::error::EngineError;

#[derive(Clone)]
pub struct QueryOutput {
    pub schema: SchemaRef,
    /// One per task of the job's last stage, in task order: a written output has a
    /// file per task, as a Spark job's does.
    parts: Vec<ResultPart>,
}

#[derive(Clone)]
enum ResultPart {
    Held(Vec<RecordBatch>),
    /// A block not decoded, with its row count (counted once, as it was checked) and,
    /// unless it has dictionaries, where each batch starts.
    Stored {
        block: InputBlock,
        rows: u64,
        index: Option<Arc<BatchIndex>>,
    },
}

/// Where a stored block's batches start, so that a page deep in it is read from the
/// batch that holds its first row, not from the block's start.
struct BatchIndex {
    /// The block's schema message, which a read from the middle starts with.
    schema: Buffer,
    /// Each batch's message offset, and the rows of the block before it.
    batches: Vec<(u64, u64)>,
}

impl ResultPart {
    fn rows(&self) -> u64 {
        match self {
            ResultPart::Held(batches) => batches.iter().map(|b| b.num_rows() as u64).sum(),
            ResultPart::Stored { rows, .. } => *rows,
        }
    }

    fn batches(self) -> Box<dyn Iterator<Item = Result<RecordBatch, EngineError>> + Send> {
        match self {
            ResultPart::Held(batches) => Box::new(batches.into_iter().map(Ok)),
            ResultPart::Stored { block, .. } => Box::new(non_empty(block.batches())),
        }
    }

    /// Its batches from the one that holds row `skip` on, and how many of their rows
    /// come before that row.
    #[allow(clippy::type_complexity)]
    fn batches_from(
        &self,
        skip: u64,
    ) -> Result<
        (
            Box<dyn Iterator<Item = Result<RecordBatch, EngineError>> + Send>,
            u64,
        ),
        EngineError,
    > {
        let ResultPart::Stored {
            block,
            index: Some(index),
            ..
        } = self
        else {
            return Ok((self.clone().batches(), skip));
        };
        let at = index.batches.partition_point(|(_, before)| *before <= skip);
        let Some(&(offset, before)) = at.checked_sub(1).and_then(|i| index.batches.get(i)) else {
            return Ok((self.clone().batches(), skip));
        };
        let reader = block.reader_at(offset)?;
        let batches = BlockBatches::resume(index.schema.clone(), reader, offset, block.len());
        Ok((Box::new(non_empty(batches)), skip - before))
    }
}

fn non_empty(
    batches: impl Iterator<Item = datafusion::error::Result<RecordBatch>> + Send,
) -> impl Iterator<Item = Result<RecordBatch, EngineError>> + Send {
    batches
        .map(|b| b.map_err(EngineError::from))
        .filter(|b| b.as_ref().map_or(true, |b| b.num_rows() > 0))
}

impl fmt::Debug for QueryOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stored = self
            .parts
            .iter()
            .filter(|p| matches!(p, ResultPart::Stored { .. }))
            .count();
        f.debug_struct("QueryOutput")
            .field("schema", &self.schema)
            .field("rows", &self.num_rows())
            .field("parts", &self.parts.len())
            .field("stored_parts", &stored)
            .finish()
    }
}

impl QueryOutput {
    /// A result computed in one piece.
    pub fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        Self {
            schema,
            parts: vec![ResultPart::Held(batches)],
        }
    }

    /// A result from the Arrow IPC blocks a job's last stage wrote, one per task,
    /// decoded into memory, with the schema the job's plan gave (so a result of no rows
    /// still has its columns).
    pub fn from_blocks(
        schema_ipc: &[u8],
        blocks: impl IntoIterator<Item = bytes::Bytes>,
    ) -> Result<Self, EngineError> {
        Self::from_input_blocks(schema_ipc, blocks.into_iter().map(InputBlock::Bytes))
    }

    /// The same from blocks that may be on disk, each read a piece at a time.
    pub fn from_input_blocks(
        schema_ipc: &[u8],
        blocks: impl IntoIterator<Item = InputBlock>,
    ) -> Result<Self, EngineError> {
        let schema = ipc::schema_from_bytes(schema_ipc)?;
        let parts = blocks
            .into_iter()
            .map(|block| {
                Ok(ResultPart::Held(
                    non_empty(block.batches()).collect::<Result<_, _>>()?,
                ))
            })
            .collect::<Result<_, EngineError>>()?;
        Ok(Self { schema, parts })
    }

    /// A result left in its blocks: each is read through once here, to count its rows
    /// and to find a corrupt one now rather than on some later page, and is then read
    /// again, a batch at a time, whenever the result is.
    pub fn stored(
        schema_ipc: &[u8],
        blocks: impl IntoIterator<Item = InputBlock>,
    ) -> Result<Self, EngineError> {
        let schema = ipc::schema_from_bytes(schema_ipc)?;
        let mut parts = Vec::new();
        for block in blocks {
            let mut batches = BlockBatches::new(block.reader_at(0)?, block.len());
            let (mut rows, mut starts) = (0u64, Vec::new());
            while let Some(batch) = batches.next_indexed() {
                let (offset, batch) = batch?;
                if batch.num_rows() > 0 {
                    starts.push((offset, rows));
                    rows += batch.num_rows() as u64;
                }
            }
            let index = match (batches.has_dictionaries(), batches.schema_message()) {
                (false, Some(schema)) => Some(Arc::new(BatchIndex {
                    schema,
                    batches: starts,
                })),
                _ => None,
            };
            parts.push(ResultPart::Stored { block, rows, index });
        }
        Ok(Self { schema, parts })
    }

    pub fn num_rows(&self) -> u64 {
        self.parts.iter().map(ResultPart::rows).sum()
    }

    /// Every batch in order, decoded as the iterator reaches it; it owns what it reads,
    /// so a download can hold it across many requests.
    pub fn batches(&self) -> ResultBatches {
        ResultBatches {
            parts: self.parts.iter().cloned().collect(),
            current: None,
        }
    }

    /// Every batch, all in memory at once: for what needs the whole result together.
    pub fn collect(&self) -> Result<Vec<RecordBatch>, EngineError> {
        self.batches().collect()
    }

    /// The batches of each task of the job's last stage.
    pub fn tasks(&self) -> Result<Vec<Vec<RecordBatch>>, EngineError> {
        self.parts
            .iter()
            .map(|part| part.clone().batches().collect())
            .collect()
    }

    /// Rows `offset..offset + limit`, as slices of the batches that hold them: a part
    /// wholly before `offset` is skipped by its row count, without being read, and a
    /// stored part is read from the batch that holds the first of them.
    pub fn rows(&self, offset: u64, limit: u64) -> Result<Vec<RecordBatch>, EngineError> {
        let mut out = Vec::new();
        let mut skip = offset;
        let mut left = limit;
        for part in &self.parts {
            if left == 0 {
                break;
            }
            let rows = part.rows();
            if skip >= rows {
                skip -= rows;
                continue;
            }
            let (batches, before) = part.batches_from(skip)?;
            skip = before;
            for batch in batches {
                let batch = batch?;
                let n = batch.num_rows() as u64;
                if skip >= n {
                    skip -= n;
                    continue;
                }
                let take = (n - skip).min(left);
                out.push(batch.slice(skip as usize, take as usize));
                skip = 0;
                left -= take;
                if left == 0 {
                    break;
                }
            }
        }
        Ok(out)
    }
}

/// A result's batches in order (`QueryOutput::batches`).
pub struct ResultBatches {
    parts: VecDeque<ResultPart>,
    current: Option<Box<dyn Iterator<Item = Result<RecordBatch, EngineError>> + Send>>,
}

impl Iterator for ResultBatches {
    type Item = Result<RecordBatch, EngineError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(batch) = self.current.as_mut().and_then(Iterator::next) {
                return Some(batch);
            }
            self.current = Some(self.parts.pop_front()?.batches());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatchOptions;

    use super::*;
    use crate::distributed::ipc::{BlockWriter, schema_to_bytes};

    fn block(schema: &SchemaRef, values: &[&[i64]]) -> InputBlock {
        let mut writer = BlockWriter::new(schema.clone(), 3);
        for v in values {
            let batch =
                RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(v.to_vec()))])
                    .unwrap();
            writer.write(&batch).unwrap();
        }
        InputBlock::Bytes(Bytes::from(writer.finish(true).unwrap()))
    }

    fn values(batches: &[RecordBatch]) -> Vec<i64> {
        batches
            .iter()
            .flat_map(|b| {
                let column = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
                column.values().to_vec()
            })
            .collect()
    }

    #[test]
    fn a_stored_result_pages_and_splits_like_a_held_one() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let blocks = || {
            vec![
                block(&schema, &[&[1, 2], &[3, 4, 5]]),
                block(&schema, &[]),
                block(&schema, &[&[6], &[7, 8, 9, 10]]),
            ]
        };
        let schema_ipc = schema_to_bytes(&schema).unwrap();
        let held = QueryOutput::from_input_blocks(&schema_ipc, blocks()).unwrap();
        let stored = QueryOutput::stored(&schema_ipc, blocks()).unwrap();
        for output in [&held, &stored] {
            assert_eq!(output.num_rows(), 10);
            assert_eq!(
                values(&output.collect().unwrap()),
                (1..=10).collect::<Vec<_>>()
            );
            let tasks = output.tasks().unwrap();
            assert_eq!(
                tasks.iter().map(|t| values(t)).collect::<Vec<_>>(),
                [vec![1, 2, 3, 4, 5], vec![], vec![6, 7, 8, 9, 10]]
            );
            for (offset, limit) in [(0, 3), (4, 3), (5, 1), (9, 5), (10, 2), (0, 100)] {
                let expected: Vec<i64> = (1..=10)
                    .skip(offset as usize)
                    .take(limit as usize)
                    .collect();
                assert_eq!(values(&output.rows(offset, limit).unwrap()), expected);
            }
        }
    }

    #[test]
    fn rows_without_columns_are_counted() {
        // `count(*)` over a `LIMIT`: the limit's stage sends rows of no columns, whose
        // IPC messages have empty bodies.
        let schema = Arc::new(Schema::empty());
        let options = RecordBatchOptions::new().with_row_count(Some(3));
        let batch = RecordBatch::try_new_with_options(schema.clone(), vec![], &options).unwrap();
        let mut writer = BlockWriter::new(schema.clone(), 2);
        writer.write(&batch).unwrap();
        writer.write(&batch).unwrap();
        let block = Bytes::from(writer.finish(true).unwrap());
        let schema_ipc = schema_to_bytes(&schema).unwrap();
        let held = QueryOutput::from_blocks(&schema_ipc, [block.clone()]).unwrap();
        let stored = QueryOutput::stored(&schema_ipc, [InputBlock::Bytes(block)]).unwrap();
        for output in [held, stored] {
            assert_eq!(output.num_rows(), 6);
            let rows: usize = output.collect().unwrap().iter().map(|b| b.num_rows()).sum();
            assert_eq!(rows, 6);
        }
    }

    #[test]
    fn a_corrupt_stored_block_is_an_error_when_kept() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let InputBlock::Bytes(good) = block(&schema, &[&[1, 2, 3]]) else {
            unreachable!()
        };
        let cut = InputBlock::Bytes(good.slice(..good.len() - 20));
        let schema_ipc = schema_to_bytes(&schema).unwrap();
        assert!(QueryOutput::stored(&schema_ipc, [cut]).is_err());
    }
}
