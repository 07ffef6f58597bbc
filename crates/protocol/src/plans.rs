//! A job's plans as the views show them: DataFusion's logical, optimized and physical
//! plans, each as its text and as a flat tree, and what each operator did.

use serde::{Deserialize, Serialize};

/// The three plans of one job, as planned (the physical plan after scans were split).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobPlans {
    pub logical: PlanTree,
    pub optimized: PlanTree,
    pub physical: PlanTree,
}

/// A plan as DataFusion prints it, and the same plan node by node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanTree {
    pub text: String,
    /// Depth-first, parents before children: a node's subtree is the run of nodes after
    /// it that are deeper than it.
    pub nodes: Vec<PlanNode>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanNode {
    pub depth: usize,
    /// The operator, e.g. `Aggregate` or `AggregateExec`.
    pub name: String,
    /// The rest of DataFusion's one-line display: expressions, projections, filters.
    pub detail: String,
}

impl PlanTree {
    /// The number of nodes in the subtree rooted at `index`, itself included.
    pub fn subtree_len(&self, index: usize) -> usize {
        let Some(root) = self.nodes.get(index) else {
            return 0;
        };
        1 + self.nodes[index + 1..]
            .iter()
            .take_while(|n| n.depth > root.depth)
            .count()
    }
}

/// What one operator of one task did (DataFusion's metrics, as EXPLAIN ANALYZE shows).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OperatorMetrics {
    pub output_rows: u64,
    /// CPU time spent in the operator itself, in nanoseconds.
    pub elapsed_compute_ns: u64,
    pub spill_count: u64,
    pub spilled_bytes: u64,
    /// Bytes read from files (scans only).
    pub bytes_scanned: u64,
    /// Row groups skipped and kept by statistics (scans only).
    pub row_groups_pruned: u64,
    pub row_groups_matched: u64,
}

impl OperatorMetrics {
    pub fn add(&mut self, other: &OperatorMetrics) {
        self.output_rows += other.output_rows;
        self.elapsed_compute_ns += other.elapsed_compute_ns;
        self.spill_count += other.spill_count;
        self.spilled_bytes += other.spilled_bytes;
        self.bytes_scanned += other.bytes_scanned;
        self.row_groups_pruned += other.row_groups_pruned;
        self.row_groups_matched += other.row_groups_matched;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subtree_is_the_run_of_deeper_nodes() {
        let node = |depth| PlanNode {
            depth,
            name: "n".into(),
            detail: String::new(),
        };
        let tree = PlanTree {
            text: String::new(),
            nodes: vec![node(0), node(1), node(2), node(1), node(2), node(2)],
        };
        assert_eq!(tree.subtree_len(0), 6);
        assert_eq!(tree.subtree_len(1), 2);
        assert_eq!(tree.subtree_len(3), 3);
        assert_eq!(tree.subtree_len(5), 1);
        assert_eq!(tree.subtree_len(6), 0);
    }
}
