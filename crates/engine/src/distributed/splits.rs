//! Input splits: a Parquet scan becomes one partition per run of row groups adding up to
//! about `split_bytes`, so a scan task reads a bounded slice of a file however large the
//! file is. A split is a byte range of its file; DataFusion's Parquet reader reads the
//! row groups whose first page starts inside the range, so ranges cut at row-group
//! starts give each row group to exactly one task.
//!
//! Splitting runs as the first physical optimizer rule of a job's planning, so every
//! later rule (distribution, sorting, combining partial and final aggregates) plans for
//! the partitions the tasks will really have.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::config::ConfigOptions;
use datafusion::datasource::physical_plan::{
    FileGroup, FileScanConfig, FileScanConfigBuilder, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::DataFusionError;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use object_store::path::Path;
use parquet::file::metadata::ParquetMetaData;

use crate::error::EngineError;
use crate::metadata::read_footer;
use crate::source_store::SourceStore;

/// Where a file's row groups start and how big they are.
struct RowGroupLayout {
    /// (offset of the first page, compressed bytes, rows) per row group.
    groups: Vec<(u64, u64, u64)>,
}

/// Human descriptions of the splits made, by (file path, range start), for the views.
pub type SplitNames = HashMap<(String, i64), String>;

/// The physical optimizer rule that splits scans; it keeps the splits' names.
#[derive(Debug)]
pub struct SplitScans {
    store: Arc<SourceStore>,
    split_bytes: u64,
    names: Mutex<SplitNames>,
}

impl SplitScans {
    pub fn new(store: Arc<SourceStore>, split_bytes: u64) -> Self {
        Self {
            store,
            split_bytes,
            names: Mutex::default(),
        }
    }

    pub fn take_names(&self) -> SplitNames {
        std::mem::take(&mut *self.names.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl PhysicalOptimizerRule for SplitScans {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let parallelism = config.execution.target_partitions;
        let (plan, names) = split_scans(plan, &self.store, self.split_bytes, parallelism)
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(names);
        Ok(plan)
    }

    fn name(&self) -> &str {
        "kiln_split_scans"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Rewrites every Parquet scan in `plan` into row-group splits of about `split_bytes`,
/// small ones packed together while that still leaves `parallelism` tasks.
/// Files already given a range are left as they are.
pub fn split_scans(
    plan: Arc<dyn ExecutionPlan>,
    store: &SourceStore,
    split_bytes: u64,
    parallelism: usize,
) -> Result<(Arc<dyn ExecutionPlan>, SplitNames), EngineError> {
    let mut files: Vec<Path> = Vec::new();
    plan.apply(|node| {
        if let Some((config, _)) = parquet_scan(node) {
            for group in &config.file_groups {
                for file in group.iter() {
                    files.push(file.object_meta.location.clone());
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    let mut layouts = HashMap::new();
    for path in files {
        if layouts.contains_key(&path) {
            continue;
        }
        // A file not in the store (none should be) is scanned whole, unsplit.
        if let Some(source) = store.source(&path) {
            let metadata = read_footer(source.as_ref())?;
            layouts.insert(path, layout(&metadata));
        }
    }

    let mut names = SplitNames::new();
    let split_bytes = split_bytes.max(1);
    let plan = plan
        .transform_up(|node| {
            let Some((config, _)) = parquet_scan(&node) else {
                return Ok(Transformed::no(node));
            };
            let mut groups = Vec::new();
            for group in &config.file_groups {
                for file in group.iter() {
                    let layout = layouts
                        .get(&file.object_meta.location)
                        .filter(|_| file.range.is_none());
                    let Some(layout) = layout else {
                        groups.push(FileGroup::new(vec![file.clone()]));
                        continue;
                    };
                    for split in cut(layout, file.object_meta.size, split_bytes) {
                        let mut part = file.clone();
                        if split.whole_file {
                            part.range = None;
                        } else {
                            part = part.with_range(split.start as i64, split.end as i64);
                        }
                        let key = (
                            file.object_meta.location.to_string(),
                            part.range.as_ref().map_or(0, |r| r.start),
                        );
                        names.insert(key, split.describe(&file.object_meta.location, layout));
                        groups.push(FileGroup::new(vec![part]));
                    }
                }
            }
            let config = FileScanConfigBuilder::from(config.clone())
                .with_file_groups(pack(groups, split_bytes, parallelism))
                .build();
            let scan: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
            Ok(Transformed::yes(scan))
        })?
        .data;
    Ok((plan, names))
}

/// What opening one more file costs a task, counted as bytes when small files are
/// packed into splits (Spark's `spark.sql.files.openCostInBytes`).
const OPEN_COST_BYTES: u64 = 4 << 20;

/// Packs neighbouring small splits (whole small files, as a folder of many little files
/// has) into one task, counting an open cost per file, as Spark does: ten thousand 1 KB
/// files are some 300 tasks, not ten thousand. As in Spark, a task holds at most
/// `split_bytes` and at most the total spread over `parallelism`, so that three small
/// files still give the workers three tasks rather than one. A split that is big
/// already stays a task of its own.
fn pack(groups: Vec<FileGroup>, split_bytes: u64, parallelism: usize) -> Vec<FileGroup> {
    let bytes = |f: &datafusion::datasource::listing::PartitionedFile| {
        f.range
            .as_ref()
            .map_or(f.object_meta.size, |r| (r.end - r.start) as u64)
            + OPEN_COST_BYTES
    };
    let total: u64 = groups.iter().flat_map(|g| g.iter()).map(bytes).sum();
    let per_task = split_bytes.min(OPEN_COST_BYTES.max(total / parallelism.max(1) as u64));
    let mut packed = Vec::new();
    let mut current = Vec::new();
    let mut size = 0u64;
    for group in groups {
        for file in group.into_inner() {
            let cost = bytes(&file);
            if !current.is_empty() && size + cost > per_task {
                packed.push(FileGroup::new(std::mem::take(&mut current)));
                size = 0;
            }
            size += cost;
            current.push(file);
        }
    }
    if !current.is_empty() {
        packed.push(FileGroup::new(current));
    }
    packed
}

/// The scan's config when `node` scans files (Parquet, CSV, ...).
pub fn file_scan(node: &Arc<dyn ExecutionPlan>) -> Option<&FileScanConfig> {
    node.downcast_ref::<DataSourceExec>()?
        .data_source()
        .downcast_ref::<FileScanConfig>()
}

/// The scan's config when `node` is a Parquet scan.
pub fn parquet_scan(node: &Arc<dyn ExecutionPlan>) -> Option<(&FileScanConfig, &ParquetSource)> {
    node.downcast_ref::<DataSourceExec>()?
        .downcast_to_file_source::<ParquetSource>()
}

fn layout(metadata: &ParquetMetaData) -> RowGroupLayout {
    let groups = metadata
        .row_groups()
        .iter()
        .filter(|rg| rg.num_columns() > 0)
        .map(|rg| {
            let first = rg.column(0);
            let start = first
                .dictionary_page_offset()
                .unwrap_or_else(|| first.data_page_offset());
            (
                start.max(0) as u64,
                rg.compressed_size().max(0) as u64,
                rg.num_rows().max(0) as u64,
            )
        })
        .collect();
    RowGroupLayout { groups }
}

struct Split {
    start: u64,
    end: u64,
    /// Row groups [first, last] it covers.
    first: usize,
    last: usize,
    bytes: u64,
    rows: u64,
    whole_file: bool,
}

impl Split {
    fn describe(&self, path: &Path, layout: &RowGroupLayout) -> String {
        let name = path.filename().unwrap_or(path.as_ref());
        let groups = if self.whole_file {
            format!("all {} row groups", layout.groups.len())
        } else if self.first == self.last {
            format!("row group {}", self.first)
        } else {
            format!("row groups {}-{}", self.first, self.last)
        };
        format!(
            "{name} {groups} ({} rows, {:.1} MB)",
            self.rows,
            self.bytes as f64 / 1e6
        )
    }
}

/// Runs of consecutive row groups of at least `split_bytes` each (the last may be
/// smaller). Ranges start at a row group's first page and end where the next run starts.
fn cut(layout: &RowGroupLayout, file_size: u64, split_bytes: u64) -> Vec<Split> {
    let groups = &layout.groups;
    if groups.is_empty() {
        return vec![Split {
            start: 0,
            end: file_size,
            first: 0,
            last: 0,
            bytes: 0,
            rows: 0,
            whole_file: true,
        }];
    }
    let mut splits: Vec<Split> = Vec::new();
    let mut current: Option<Split> = None;
    for (i, &(start, bytes, rows)) in groups.iter().enumerate() {
        let split = current.get_or_insert(Split {
            start,
            end: start,
            first: i,
            last: i,
            bytes: 0,
            rows: 0,
            whole_file: false,
        });
        split.last = i;
        split.bytes += bytes;
        split.rows += rows;
        if split.bytes >= split_bytes
            && let Some(done) = current.take()
        {
            splits.push(done);
        }
    }
    splits.extend(current);
    // Each range runs to the next one's start; the first from 0, the last to the end.
    let starts: Vec<u64> = splits.iter().map(|s| s.start).collect();
    let count = splits.len();
    for (i, split) in splits.iter_mut().enumerate() {
        if i == 0 {
            split.start = 0;
        }
        split.end = starts.get(i + 1).copied().unwrap_or(file_size);
        split.whole_file = count == 1;
    }
    splits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(sizes: &[u64]) -> RowGroupLayout {
        let mut offset = 4;
        let groups = sizes
            .iter()
            .map(|&s| {
                let g = (offset, s, s * 10);
                offset += s;
                g
            })
            .collect();
        RowGroupLayout { groups }
    }

    #[test]
    fn row_groups_are_grouped_until_a_split_is_big_enough() {
        let l = layout(&[40, 40, 40, 40, 10]);
        let splits = cut(&l, 300, 80);
        let spans: Vec<(usize, usize)> = splits.iter().map(|s| (s.first, s.last)).collect();
        assert_eq!(spans, [(0, 1), (2, 3), (4, 4)]);
        // Contiguous ranges covering the whole file, each holding its row groups' starts.
        assert_eq!(splits[0].start, 0);
        assert_eq!(splits[0].end, 84);
        assert_eq!(splits[1].start, 84);
        assert_eq!(splits[2].end, 300);
        for s in &splits {
            for g in s.first..=s.last {
                assert!((s.start..s.end).contains(&l.groups[g].0));
            }
        }
    }

    #[test]
    fn a_small_file_is_one_whole_split() {
        let splits = cut(&layout(&[10, 10]), 30, 1 << 20);
        assert_eq!(splits.len(), 1);
        assert!(splits[0].whole_file);
        assert_eq!(splits[0].rows, 200);
    }

    #[test]
    fn a_row_group_larger_than_the_split_size_is_its_own_split() {
        let splits = cut(&layout(&[500, 5, 500]), 1100, 100);
        let spans: Vec<(usize, usize)> = splits.iter().map(|s| (s.first, s.last)).collect();
        assert_eq!(spans, [(0, 0), (1, 2)]);
    }
}
