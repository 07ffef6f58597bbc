//! Input splits: a Parquet scan becomes tasks of whole row groups, about `split_bytes`
//! each and spread evenly, so a scan task reads a bounded slice of a file however large
//! the file is, and the workers finish together. A split is a byte range of its file;
//! DataFusion's Parquet reader reads the row groups whose first page starts inside the
//! range, so ranges cut at row-group starts give each row group to exactly one task.
//! Row groups whose statistics rule out the scan's filter get no task at all (a file
//! of them none), where DataFusion would have started a task to skip them.
//!
//! Splitting runs as the first physical optimizer rule of a job's planning, so every
//! later rule (distribution, sorting, combining partial and final aggregates) plans for
//! the partitions the tasks will really have.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::config::ConfigOptions;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::FileSource;
use datafusion::datasource::physical_plan::ParquetFileMetrics;
use datafusion::datasource::physical_plan::parquet::{ParquetAccessPlan, RowGroupAccessPlanFilter};
use datafusion::datasource::physical_plan::{
    FileGroup, FileScanConfig, FileScanConfigBuilder, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::DataFusionError;
use datafusion::physical_expr::expressions::{Column, DynamicFilterPhysicalExpr};
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_expr::{PhysicalExpr, conjunction_opt, split_conjunction};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::pruning::PruningPredicateBuilder;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use object_store::path::Path;
use parquet::arrow::parquet_to_arrow_schema;
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

/// Rewrites every Parquet scan in `plan` into tasks of whole row groups: a file's row
/// groups that its statistics rule out for the scan's filter get no task, the rest are
/// spread evenly over tasks of about `split_bytes` (small files packed together), and
/// never over fewer tasks than `parallelism` while there is that much to read.
/// Files already given a range are left as they are.
pub fn split_scans(
    plan: Arc<dyn ExecutionPlan>,
    store: &SourceStore,
    split_bytes: u64,
    parallelism: usize,
) -> Result<(Arc<dyn ExecutionPlan>, SplitNames), EngineError> {
    // The files scanned, and the filters right above Parquet scans, by scan. A scan
    // that the plan holds in more than one place (a shared subtree) is pruned by no
    // filter: one of its readers may not filter.
    let mut files: Vec<Path> = Vec::new();
    let mut filters = HashMap::new();
    let mut seen: HashMap<*const (), usize> = HashMap::new();
    plan.apply(|node| {
        if let Some((config, _)) = parquet_scan(node) {
            *seen.entry(Arc::as_ptr(node) as *const ()).or_default() += 1;
            for group in &config.file_groups {
                for file in group.iter() {
                    files.push(file.object_meta.location.clone());
                }
            }
        }
        if let Some(filter) = node.downcast_ref::<FilterExec>() {
            let input = filter.input();
            if parquet_scan(input).is_some() {
                filters.insert(Arc::as_ptr(input) as *const (), filter.predicate().clone());
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    filters.retain(|scan, _| seen.get(scan) == Some(&1));
    let mut footers = HashMap::new();
    for path in files {
        if footers.contains_key(&path) {
            continue;
        }
        // A file not in the store (none should be) is scanned whole, unsplit.
        if let Some(source) = store.source(&path) {
            footers.insert(path, read_footer(source.as_ref())?);
        }
    }

    let mut names = SplitNames::new();
    let plan = plan
        .transform_up(|node| {
            let Some((config, source)) = parquet_scan(&node) else {
                return Ok(Transformed::no(node));
            };
            // DataFusion pushes a filter into the scan only after this rule (the scan's
            // own is set when a table provider put it there); until then it sits above.
            let filter = FileSource::filter(source)
                .map(|f| (f, config.file_schema().clone()))
                .or_else(|| {
                    filters
                        .get(&(Arc::as_ptr(&node) as *const ()))
                        .map(|f| (f.clone(), node.schema()))
                });
            let mut units = Vec::new();
            for file in config.file_groups.iter().flat_map(|g| g.iter()) {
                let footer = footers
                    .get(&file.object_meta.location)
                    .filter(|_| file.range.is_none());
                units.extend(file_units(file, footer, filter.as_ref()));
            }
            let tasks = assign_tasks(&units, split_bytes, parallelism);
            let groups = file_groups(&units, &tasks, &mut names);
            let config = FileScanConfigBuilder::from(config.clone())
                .with_file_groups(groups)
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

/// A piece of a scan that goes to one task whole: a row group that may hold rows, or a
/// file that is not split (one without row groups, one already given a range).
struct Unit<'a> {
    file: &'a PartitionedFile,
    /// The file's row groups (which of them may hold rows) and this unit's; `None` for
    /// a whole file.
    row_group: Option<(Rc<FileLayout>, usize)>,
    /// Its compressed bytes, plus the open cost for a file's first unit.
    weight: u64,
}

struct FileLayout {
    layout: RowGroupLayout,
    /// Per row group: may it hold rows the scan wants (its statistics cannot rule it out)?
    read: Vec<bool>,
}

/// `file`'s units: its row groups that may hold rows (none when its statistics rule
/// all out), or the file whole when it cannot be split.
/// `filter` comes with the schema its columns index into.
fn file_units<'a>(
    file: &'a PartitionedFile,
    footer: Option<&ParquetMetaData>,
    filter: Option<&(Arc<dyn PhysicalExpr>, SchemaRef)>,
) -> Vec<Unit<'a>> {
    let Some(footer) = footer.filter(|f| f.num_row_groups() > 0) else {
        let bytes = file
            .range
            .as_ref()
            .map_or(file.object_meta.size, |r| (r.end - r.start) as u64);
        return vec![Unit {
            file,
            row_group: None,
            weight: bytes + OPEN_COST_BYTES,
        }];
    };
    let layout = layout(footer);
    let read = filter
        .and_then(|(f, schema)| row_groups_to_read(f, schema, footer))
        .filter(|read| read.len() == layout.groups.len())
        .unwrap_or_else(|| vec![true; layout.groups.len()]);
    let file_layout = Rc::new(FileLayout { layout, read });
    let mut units = Vec::new();
    for (i, &(_, bytes, _)) in file_layout.layout.groups.iter().enumerate() {
        if file_layout.read[i] {
            let open = if units.is_empty() { OPEN_COST_BYTES } else { 0 };
            units.push(Unit {
                file,
                row_group: Some((file_layout.clone(), i)),
                weight: bytes + open,
            });
        }
    }
    units
}

/// The task of each unit. Tasks hold at most about `split_bytes`; there are at least
/// `parallelism` of them while each still gets the open cost of a file, and more are
/// a multiple of `parallelism`, so that the workers' last wave is a full one. Units go
/// to tasks by where their middle falls in the running total, so tasks are as even as
/// whole row groups allow, and a file's row groups stay in order.
fn assign_tasks(units: &[Unit], split_bytes: u64, parallelism: usize) -> Vec<usize> {
    let total: u64 = units.iter().map(|u| u.weight).sum();
    let parallelism = parallelism.max(1) as u64;
    let by_size = total.div_ceil(split_bytes.max(1));
    let by_open_cost = (total / OPEN_COST_BYTES).max(1);
    let mut tasks = by_size.max(parallelism.min(by_open_cost)).max(1);
    if tasks > parallelism {
        tasks = tasks.div_ceil(parallelism).saturating_mul(parallelism);
    }
    let per_task = total as f64 / tasks as f64;
    let mut before = 0u64;
    units
        .iter()
        .map(|u| {
            let middle = before as f64 + u.weight as f64 / 2.0;
            before += u.weight;
            ((middle / per_task) as u64).min(tasks - 1) as usize
        })
        .collect()
}

/// The scan's file groups, one per task that got units, each unit's file cut at row
/// group starts into the byte ranges its tasks read. A range runs to the next range's
/// start (the first from 0, the last to the file's end), so the row groups ruled out by
/// statistics lie in some task's range: DataFusion's reader prunes them again there.
fn file_groups(units: &[Unit], tasks: &[usize], names: &mut SplitNames) -> Vec<FileGroup> {
    let mut groups: Vec<(usize, Vec<PartitionedFile>)> = Vec::new();
    let mut push = |task: usize, part: PartitionedFile| match groups.last_mut() {
        Some((t, files)) if *t == task => files.push(part),
        _ => groups.push((task, vec![part])),
    };
    let mut i = 0;
    while i < units.len() {
        let unit = &units[i];
        let Some((file_layout, _)) = &unit.row_group else {
            push(tasks[i], unit.file.clone());
            i += 1;
            continue;
        };
        // This file's units, and the runs of them that share a task.
        let mut end = i;
        while end < units.len() && std::ptr::eq(units[end].file, unit.file) {
            end += 1;
        }
        let mut runs: Vec<(usize, Vec<usize>)> = Vec::new();
        for j in i..end {
            let group = units[j].row_group.as_ref().map_or(0, |(_, g)| *g);
            match runs.last_mut() {
                Some((task, groups)) if *task == tasks[j] => groups.push(group),
                _ => runs.push((tasks[j], vec![group])),
            }
        }
        let layout = &file_layout.layout;
        let size = unit.file.object_meta.size;
        let starts: Vec<u64> = runs
            .iter()
            .enumerate()
            .map(|(n, (_, g))| if n == 0 { 0 } else { layout.groups[g[0]].0 })
            .collect();
        for (n, (task, run)) in runs.iter().enumerate() {
            let mut part = unit.file.clone();
            if runs.len() > 1 || file_layout.read.iter().any(|r| !r) {
                let end = starts.get(n + 1).copied().unwrap_or(size);
                part = part.with_range(starts[n] as i64, end as i64);
            }
            let key = (
                part.object_meta.location.to_string(),
                part.range.as_ref().map_or(0, |r| r.start),
            );
            names.insert(key, describe(&part.object_meta.location, file_layout, run));
            push(*task, part);
        }
        i = end;
    }
    if groups.is_empty() {
        // Every row group was ruled out: one task still runs the scan, which reads
        // nothing, so the plan keeps its shape. With no file at all (DataFusion ruled
        // out every file first), one empty group: a scan of no partitions satisfies
        // no operator that needs a single one.
        groups.push((
            0,
            units
                .first()
                .map(|u| vec![u.file.clone()])
                .unwrap_or_default(),
        ));
    }
    groups
        .into_iter()
        .map(|(_, files)| FileGroup::new(files))
        .collect()
}

/// "name row groups 3-5 (786,432 rows, 16.8 MB)", and how many statistics ruled out.
fn describe(path: &Path, file_layout: &FileLayout, run: &[usize]) -> String {
    let name = path.filename().unwrap_or(path.as_ref());
    let layout = &file_layout.layout;
    let count = layout.groups.len();
    let (first, last) = (run[0], run[run.len() - 1]);
    let groups = if run.len() == count {
        format!("all {count} row groups")
    } else if first == last {
        format!("row group {first}")
    } else {
        format!("row groups {first}-{last}")
    };
    let rows: u64 = run.iter().map(|&g| layout.groups[g].2).sum();
    let bytes: u64 = run.iter().map(|&g| layout.groups[g].1).sum();
    let skipped = file_layout.read.iter().filter(|r| !**r).count();
    let pruned = match skipped {
        0 => String::new(),
        n => format!(", {n} of {count} ruled out by statistics"),
    };
    format!(
        "{name} {groups} ({rows} rows, {:.1} MB{pruned})",
        bytes as f64 / 1e6
    )
}

/// Which of a file's row groups may hold rows for `filter`, by their min/max and null
/// statistics, or `None` when nothing in the filter can be checked that way.
///
/// `scanned` is the schema the filter's columns index into. Only the filter's
/// conjuncts over columns the file has with the table's own type are used: for any
/// other, DataFusion's reader first adapts the filter to the file (casts, missing
/// columns as nulls, partition values), and a row group wrongly ruled out here would
/// be rows lost. The reader prunes again with all of it.
fn row_groups_to_read(
    filter: &Arc<dyn PhysicalExpr>,
    scanned: &Schema,
    footer: &ParquetMetaData,
) -> Option<Vec<bool>> {
    let file_metadata = footer.file_metadata();
    let descr = file_metadata.schema_descr();
    let physical = parquet_to_arrow_schema(descr, file_metadata.key_value_metadata()).ok()?;
    let checked: Vec<Arc<dyn PhysicalExpr>> = split_conjunction(filter)
        .into_iter()
        .filter_map(|c| on_file_columns(c, scanned, &physical))
        .collect();
    let predicate = PruningPredicateBuilder::new()
        .with_file_schema(Arc::new(physical.clone()))
        .build(conjunction_opt(checked)?)?;
    let groups = footer.row_groups();
    let mut access = RowGroupAccessPlanFilter::new(ParquetAccessPlan::new_all(groups.len()));
    let metrics = ParquetFileMetrics::new(0, "split", &ExecutionPlanMetricsSet::new());
    access.prune_by_statistics(&physical, descr, groups, &predicate, &metrics);
    let access = access.build();
    Some((0..groups.len()).map(|g| access.should_scan(g)).collect())
}

/// `expr` with its columns pointing into the file's schema, when every column it reads
/// is one the file has, with the type the scan gives it.
fn on_file_columns(
    expr: &Arc<dyn PhysicalExpr>,
    scanned: &Schema,
    file: &Schema,
) -> Option<Arc<dyn PhysicalExpr>> {
    let mut dynamic = false;
    let _ = expr.apply(|node| {
        dynamic |= node.downcast_ref::<DynamicFilterPhysicalExpr>().is_some();
        Ok(TreeNodeRecursion::Continue)
    });
    let columns = collect_columns(expr);
    if dynamic || columns.is_empty() {
        return None;
    }
    for column in &columns {
        let table = scanned.fields().get(column.index())?;
        let (_, in_file) = file.column_with_name(column.name())?;
        if table.name() != column.name() || table.data_type() != in_file.data_type() {
            return None;
        }
    }
    expr.clone()
        .transform(|node| match node.downcast_ref::<Column>() {
            Some(column) => {
                let index = file.index_of(column.name())?;
                Ok(Transformed::yes(
                    Arc::new(Column::new(column.name(), index)) as Arc<dyn PhysicalExpr>,
                ))
            }
            None => Ok(Transformed::no(node)),
        })
        .ok()
        .map(|t| t.data)
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

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;

    /// The tasks `weights` are spread over, and each task's total weight.
    fn spread(weights: &[u64], split_bytes: u64, parallelism: usize) -> Vec<u64> {
        let file = PartitionedFile::new("f.parquet", 1);
        let units: Vec<Unit> = weights
            .iter()
            .map(|&weight| Unit {
                file: &file,
                row_group: None,
                weight,
            })
            .collect();
        let tasks = assign_tasks(&units, split_bytes, parallelism);
        assert!(
            tasks.windows(2).all(|w| w[0] <= w[1]),
            "in order: {tasks:?}"
        );
        let mut totals = vec![0; tasks.iter().max().map_or(0, |t| t + 1)];
        for (task, unit) in tasks.iter().zip(&units) {
            totals[*task] += unit.weight;
        }
        totals
    }

    #[test]
    fn row_groups_are_spread_evenly_over_the_parallelism() {
        // Six files of three 5 MB row groups, each file's first also its open cost:
        // four even tasks, where packing whole files made three for two workers.
        let weights: Vec<u64> = (0..18)
            .map(|i| 5 * MB + if i % 3 == 0 { OPEN_COST_BYTES } else { 0 })
            .collect();
        let totals = spread(&weights, 128 * MB, 4);
        assert_eq!(totals.len(), 4);
        let (min, max) = (totals.iter().min().unwrap(), totals.iter().max().unwrap());
        assert!(max - min <= 9 * MB, "{totals:?}");
        assert_eq!(spread(&weights, 128 * MB, 2).len(), 2);
    }

    #[test]
    fn more_tasks_than_the_parallelism_come_in_full_waves() {
        // 1,040 MB in 8 MB row groups with 128 MB splits: 9 tasks by size, rounded up
        // to 10 for two workers; none over the split size.
        let weights = vec![8 * MB; 130];
        let totals = spread(&weights, 128 * MB, 2);
        assert_eq!(totals.len(), 10);
        assert!(totals.iter().all(|&t| t <= 128 * MB), "{totals:?}");
    }

    #[test]
    fn small_files_are_packed_by_their_open_cost() {
        // Ten thousand 1 KB files: some 300 tasks, each near the split size.
        let weights = vec![1024 + OPEN_COST_BYTES; 10_000];
        let totals = spread(&weights, 128 * MB, 4);
        assert_eq!(totals.len() % 4, 0);
        assert!((300..=340).contains(&totals.len()), "{}", totals.len());
        // Two small files over four workers: a task each, not four.
        assert_eq!(spread(&[1024 + OPEN_COST_BYTES; 2], 128 * MB, 4).len(), 2);
        assert_eq!(spread(&[1024 + OPEN_COST_BYTES; 2], 128 * MB, 1).len(), 1);
    }

    #[test]
    fn a_row_group_larger_than_the_split_size_is_a_task_of_its_own() {
        let totals = spread(&[500, 5, 500], 100, 1);
        assert!(totals.contains(&500), "{totals:?}");
        assert_eq!(totals.iter().sum::<u64>(), 1005);
    }
}
