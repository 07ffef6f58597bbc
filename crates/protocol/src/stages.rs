use serde::{Deserialize, Serialize};

/// A job's physical plan cut into stages at its exchanges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageGraph {
    /// Children before parents: a stage's inputs always have smaller ids.
    pub stages: Vec<StageSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageSummary {
    pub id: usize,
    /// Tasks the stage runs: the partitions of its top operator.
    pub tasks: usize,
    /// The chained (narrow) operators, top first, with their depth inside the stage.
    pub operators: Vec<StageOperator>,
    /// Stages whose output this stage reads.
    pub inputs: Vec<usize>,
    pub output: StageOutput,
    /// Bytes of files the stage's tasks scan (their splits), 0 when it scans none.
    #[serde(default)]
    pub input_bytes: u64,
    /// The planner computed this stage's output itself, so it runs no task: it reads no
    /// file and no other stage (an answer from the files' statistics, or constants).
    #[serde(default)]
    pub answered_in_planning: bool,
}

impl StageSummary {
    /// The stage's operators as the views list them: top first, `←` between.
    pub fn operator_chain(&self) -> String {
        let names: Vec<&str> = self.operators.iter().map(|o| o.name.as_str()).collect();
        names.join(" ← ")
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageOperator {
    pub depth: usize,
    pub name: String,
    /// The node of the job's physical plan (`JobPlans::physical.nodes`) this operator
    /// runs, so operator metrics can be drawn on the plan; none for stage reads.
    #[serde(default)]
    pub node: Option<usize>,
}

/// How a stage's output reaches the next stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StageOutput {
    /// Hash-partitioned into `partitions` buckets by `keys`: a wide dependency.
    Shuffle {
        partitions: usize,
        keys: Vec<String>,
    },
    /// All partitions merged into one task (coalesce or sort-preserving merge).
    Gather,
    /// Sent whole to every task of the next stage (the build side of a join).
    Broadcast,
    /// The job's result.
    Result,
}
