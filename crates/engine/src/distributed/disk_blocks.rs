//! A task's output blocks on a `SpillDisk` instead of in memory: the native runner's
//! counterpart of the page's shuffle files in OPFS (`kiln-browser/src/opfs_shuffle.rs`).
//! All of a task's partitions share one file, each partition's block a list of extents
//! in it, appended to as the task encodes them and read back a piece at a time by the
//! tasks that take them as input. The file goes when the last block of it is dropped.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use super::exchange::{DeferredBlock, InputBlock};
use super::ipc::{BlockExtents, BlockSink, SINK_PIECE_BYTES};
use crate::spill::{SpillBlob, SpillDisk};

type SharedFile = Arc<Mutex<Box<dyn SpillBlob>>>;

/// The `BlockSink` of one task attempt.
pub struct DiskBlocks {
    file: SharedFile,
    extents: BlockExtents,
}

impl DiskBlocks {
    pub fn create(disk: &dyn SpillDisk) -> io::Result<Self> {
        Ok(Self {
            file: Arc::new(Mutex::new(disk.create()?)),
            extents: BlockExtents::default(),
        })
    }

    /// One block per output partition, `None` for a partition that got no bytes, for
    /// `outputs` partitions.
    pub fn into_blocks(self, outputs: usize) -> Vec<Option<InputBlock>> {
        self.extents
            .into_partitions(outputs)
            .into_iter()
            .map(|extents| {
                let len = extents.iter().map(|(_, n)| n).sum();
                (len > 0).then(|| {
                    InputBlock::Deferred(Arc::new(DiskBlock {
                        file: self.file.clone(),
                        extents,
                        len,
                    }))
                })
            })
            .collect()
    }
}

impl BlockSink for DiskBlocks {
    fn append(&mut self, partition: usize, bytes: &[u8]) -> Result<(), String> {
        let mut file = self
            .file
            .lock()
            .map_err(|_| "a shuffle file's lock was poisoned".to_string())?;
        let at = file.len();
        file.append(bytes)
            .map_err(|e| format!("writing a shuffle file: {e}"))?;
        self.extents.push(partition, at, bytes.len() as u64);
        Ok(())
    }
}

struct DiskBlock {
    file: SharedFile,
    extents: Vec<(u64, u64)>,
    len: u64,
}

impl DeferredBlock for DiskBlock {
    fn byte_len(&self) -> u64 {
        self.len
    }

    fn open_at(&self, offset: u64) -> Result<Box<dyn Read + Send>, String> {
        // The extent that holds byte `offset`, and how far into it.
        let (mut next, mut at) = (0, offset);
        while let Some(&(_, len)) = self.extents.get(next) {
            if at < len {
                break;
            }
            at -= len;
            next += 1;
        }
        Ok(Box::new(ExtentReader {
            file: self.file.clone(),
            extents: self.extents.clone(),
            next,
            at,
        }))
    }
}

/// Reads a block's extents in order, at most a piece per read.
struct ExtentReader {
    file: SharedFile,
    extents: Vec<(u64, u64)>,
    /// The extent being read, and how far into it.
    next: usize,
    at: u64,
}

impl Read for ExtentReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(&(offset, len)) = self.extents.get(self.next) {
            if self.at == len {
                self.next += 1;
                self.at = 0;
                continue;
            }
            let n = (len - self.at).min(buf.len().min(SINK_PIECE_BYTES) as u64) as usize;
            self.file
                .lock()
                .map_err(|_| io::Error::other("a shuffle file's lock was poisoned"))?
                .read_at(offset + self.at, &mut buf[..n])?;
            self.at += n as u64;
            return Ok(n);
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spill::TempFileDisk;

    #[test]
    fn pieces_of_interleaved_partitions_read_back_in_order() {
        let mut sink = DiskBlocks::create(&TempFileDisk).unwrap();
        let pieces: [(usize, &[u8]); 5] =
            [(0, b"ab"), (2, b"xyz"), (0, b"cd"), (2, b"w"), (0, b"e")];
        for (partition, bytes) in pieces {
            sink.append(partition, bytes).unwrap();
        }
        let blocks = sink.into_blocks(4);
        assert_eq!(blocks.len(), 4);
        assert!(blocks[1].is_none() && blocks[3].is_none());
        let read = |block: &Option<InputBlock>| {
            let Some(InputBlock::Deferred(block)) = block else {
                panic!("a partition with bytes has a block on disk");
            };
            let mut out = Vec::new();
            block.open_at(0).unwrap().read_to_end(&mut out).unwrap();
            assert_eq!(out.len() as u64, block.byte_len());
            out
        };
        assert_eq!(read(&blocks[0]), b"abcde");
        assert_eq!(read(&blocks[2]), b"xyzw");
        let Some(InputBlock::Deferred(block)) = &blocks[0] else {
            unreachable!()
        };
        for (offset, rest) in [
            (0, &b"abcde"[..]),
            (1, b"bcde"),
            (2, b"cde"),
            (4, b"e"),
            (5, b""),
        ] {
            let mut out = Vec::new();
            block
                .open_at(offset)
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, rest, "from byte {offset}");
        }
    }
}
