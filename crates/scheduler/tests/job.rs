//! The scheduler's decisions, driven by hand: which blocks a task gets, retries, lost
//! workers, cancels and injected faults.

use kiln_protocol::{
    FaultConfig, InputRead, JobEvent, JobPlan, StageGraph, StageOutput, StagePlan, TaskMetrics,
    TaskProgress, TaskSpec, UserError,
};
use kiln_scheduler::{Job, JobState, SchedulerConfig};

/// A block is a label naming who wrote it: "s0t1p0" is stage 0, task 1, partition 0.
type Block = String;

fn stage(
    id: usize,
    inputs: Vec<usize>,
    output: StageOutput,
    reads: Vec<Vec<InputRead>>,
) -> StagePlan {
    StagePlan {
        id,
        fragment: vec![id as u8],
        tasks: reads
            .into_iter()
            .enumerate()
            .map(|(partition, reads)| TaskSpec {
                partition,
                split: None,
                input_bytes: 0,
                reads,
                fragment: None,
            })
            .collect(),
        inputs,
        output,
    }
}

fn read(stage: usize, partition: usize) -> InputRead {
    InputRead { stage, partition }
}

fn shuffle(partitions: usize) -> StageOutput {
    StageOutput::Shuffle {
        partitions,
        keys: vec!["k".into()],
    }
}

fn plan(stages: Vec<StagePlan>) -> JobPlan {
    JobPlan {
        job_id: 7,
        sql: "select".into(),
        graph: StageGraph { stages: Vec::new() },
        plans: Default::default(),
        stages,
        result_schema: Vec::new(),
        answer: None,
        memory_per_worker: None,
    }
}

/// Map stage of 3 tasks shuffling into 2 partitions, then a 2-task result stage.
fn group_by_plan() -> JobPlan {
    plan(vec![
        stage(0, vec![], shuffle(2), vec![vec![], vec![], vec![]]),
        stage(
            1,
            vec![0],
            StageOutput::Result,
            vec![vec![read(0, 0)], vec![read(0, 1)]],
        ),
    ])
}

fn config(workers: usize) -> SchedulerConfig {
    SchedulerConfig {
        workers,
        ..Default::default()
    }
}

/// The group-by job on 2 workers, attempts given up after `timeout_ms` of silence.
fn group_by_job_with_timeout(timeout_ms: f64) -> Job<Block> {
    Job::new(
        group_by_plan(),
        SchedulerConfig {
            task_timeout_ms: Some(timeout_ms),
            ..config(2)
        },
        0.0,
    )
}

/// Finishes an assignment, writing one labelled block per output partition.
fn finish(job: &mut Job<Block>, a: &kiln_scheduler::Assignment<Block>, partitions: usize) {
    let r = &a.request;
    let blocks = (0..partitions)
        .map(|p| Some(format!("s{}t{}p{p}", r.stage, r.task)))
        .collect();
    job.finished(r.attempt_id(), TaskMetrics::default(), blocks, 1.0);
}

fn error(message: &str) -> UserError {
    UserError {
        context: "running a task".into(),
        message: message.into(),
        location: None,
    }
}

#[test]
fn reduce_tasks_read_their_bucket_of_every_map_output() {
    let mut job: Job<Block> = Job::new(group_by_plan(), config(2), 0.0);
    for _ in 0..3 {
        let a = job.assign(1, 0.0).expect("a map task");
        assert_eq!(a.request.stage, 0);
        finish(&mut job, &a, 2);
    }
    let reduce = job.assign(1, 0.0).expect("a reduce task");
    assert_eq!(reduce.request.stage, 1);
    assert_eq!(reduce.blocks, vec!["s0t0p0", "s0t1p0", "s0t2p0"]);
    assert_eq!(reduce.request.inputs[0].blocks, 3);
    let second = job.assign(2, 0.0).expect("the other reduce task");
    assert_eq!(second.blocks, vec!["s0t0p1", "s0t1p1", "s0t2p1"]);
    finish(&mut job, &second, 1);
    finish(&mut job, &reduce, 1);
    assert_eq!(job.state(), &JobState::Succeeded);
    assert_eq!(
        job.take_result(|_| unreachable!("no answer")),
        vec!["s1t0p0", "s1t1p0"]
    );

    let kinds: Vec<&str> = job
        .take_events()
        .iter()
        .map(|e| match e {
            JobEvent::JobSubmitted { .. } => "job",
            JobEvent::StageSubmitted { .. } => "stage+",
            JobEvent::StageCompleted { .. } => "stage.",
            JobEvent::TaskStarted { .. } => "t+",
            JobEvent::TaskFinished { .. } => "t.",
            JobEvent::JobSucceeded { .. } => "ok",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "job", "stage+", "t+", "t.", "t+", "t.", "t+", "t.", "stage.", "stage+", "t+", "t+",
            "t.", "t.", "stage.", "ok"
        ]
    );
}

#[test]
fn no_reduce_task_starts_before_its_map_stage_is_done() {
    let mut job = Job::new(group_by_plan(), config(4), 0.0);
    let maps: Vec<_> = (0..3).map(|w| job.assign(w, 0.0).expect("map")).collect();
    assert!(job.assign(9, 0.0).is_none(), "reduce tasks must wait");
    for a in &maps {
        finish(&mut job, a, 2);
    }
    assert!(job.assign(9, 0.0).is_some());
}

#[test]
fn gather_and_broadcast_inputs_bind_by_their_kind() {
    let plan = plan(vec![
        stage(0, vec![], StageOutput::Broadcast, vec![vec![], vec![]]),
        stage(1, vec![], StageOutput::Gather, vec![vec![], vec![]]),
        stage(
            2,
            vec![0, 1],
            StageOutput::Result,
            vec![vec![read(0, 0), read(1, 0), read(1, 1)]],
        ),
    ]);
    let mut job = Job::new(plan, config(1), 0.0);
    for _ in 0..4 {
        let a = job.assign(1, 0.0).expect("an input task");
        finish(&mut job, &a, 1);
    }
    let last = job.assign(1, 0.0).expect("the reading task");
    assert_eq!(last.blocks, vec!["s0t0p0", "s0t1p0", "s1t0p0", "s1t1p0"]);
    let counts: Vec<usize> = last.request.inputs.iter().map(|i| i.blocks).collect();
    assert_eq!(counts, vec![2, 1, 1]);
}

#[test]
fn a_failed_task_is_retried_on_another_worker_then_fails_the_job() {
    let mut job: Job<Block> = Job::new(group_by_plan(), config(2), 0.0);
    let first = job.assign(1, 0.0).expect("task");
    job.failed(first.request.attempt_id(), error("boom 0"), 1.0);
    // Worker 1 gets a different task while worker 2 exists to retry task 0.
    let other = job.assign(1, 0.0).expect("another task");
    assert_ne!(other.request.task, first.request.task);
    let retry = job.assign(2, 0.0).expect("the retry");
    assert_eq!(
        (retry.request.task, retry.request.attempt),
        (first.request.task, 1)
    );
    job.failed(retry.request.attempt_id(), error("boom 1"), 2.0);
    // Both workers have now failed it: either may run it again.
    let third = job.assign(1, 0.0);
    let third = match third {
        Some(a) if a.request.task == first.request.task => a,
        _ => panic!("task 0 should be retried on any worker once all have failed it"),
    };
    job.failed(third.request.attempt_id(), error("boom 2"), 3.0);
    let fourth = job.assign(2, 0.0).expect("the last attempt");
    assert_eq!(fourth.request.attempt, 3);
    job.failed(fourth.request.attempt_id(), error("boom 3"), 4.0);
    match job.state() {
        JobState::Failed(e) => {
            assert!(e.context.contains("failed 4 times"), "{e}");
            assert_eq!(e.message, "boom 3");
        }
        other => panic!("expected a failed job, got {other:?}"),
    }
    assert!(job.assign(1, 0.0).is_none());
    let retries = job
        .take_events()
        .iter()
        .filter(|e| {
            matches!(
                e,
                JobEvent::TaskFailed {
                    will_retry: true,
                    ..
                }
            )
        })
        .count();
    assert_eq!(retries, 3);
}

#[test]
fn a_task_over_its_memory_budget_fails_the_job_without_a_retry() {
    let mut job: Job<Block> = Job::new(group_by_plan(), config(2), 0.0);
    let first = job.assign(1, 0.0).expect("task");
    let message =
        "Resources exhausted: Failed to allocate additional 416.0 KB for ExternalSorterMerge[1]";
    job.failed(first.request.attempt_id(), error(message), 1.0);
    match job.state() {
        JobState::Failed(e) => {
            assert!(e.context.contains("not retried"), "{e}");
            assert_eq!(e.message, message);
        }
        other => panic!("expected a failed job, got {other:?}"),
    }
    assert!(job.assign(2, 0.0).is_none());
    let events = job.take_events();
    assert!(events.iter().any(|e| matches!(
        e,
        JobEvent::TaskFailed {
            will_retry: false,
            ..
        }
    )));
}

#[test]
fn a_lost_worker_loses_only_its_running_attempts() {
    let mut job: Job<Block> = Job::new(group_by_plan(), config(2), 0.0);
    let done = job.assign(1, 0.0).expect("task");
    finish(&mut job, &done, 2);
    let running = job.assign(1, 0.0).expect("task");
    job.worker_lost(1, "out of memory", 2.0);
    let events = job.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, JobEvent::WorkerLost { worker: 1, .. }))
    );
    let retry = job.assign(3, 0.0).expect("the lost task again");
    assert_eq!(retry.request.task, running.request.task);
    assert_eq!(retry.request.attempt, 1);
    // A late report from the dead worker's attempt changes nothing.
    finish(&mut job, &running, 2);
    finish(&mut job, &retry, 2);
    let last = job.assign(3, 0.0).expect("last map task");
    finish(&mut job, &last, 2);
    let reduce = job.assign(3, 0.0).expect("reduce");
    // Task 0's blocks, finished before the worker died, are still read.
    assert_eq!(reduce.blocks.len(), 3);
    assert!(reduce.blocks.contains(&"s0t0p0".to_string()));
}

#[test]
fn a_cancelled_job_hands_out_nothing_and_ignores_late_reports() {
    let mut job: Job<Block> = Job::new(group_by_plan(), config(2), 0.0);
    let a = job.assign(1, 0.0).expect("task");
    assert_eq!(job.running().len(), 1);
    job.cancel(5.0);
    assert_eq!(job.state(), &JobState::Cancelled);
    assert!(job.assign(2, 6.0).is_none());
    finish(&mut job, &a, 2);
    let events = job.take_events();
    assert!(matches!(events.last(), Some(JobEvent::JobCancelled { .. })));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, JobEvent::TaskFinished { .. }))
    );
}

#[test]
fn injected_faults_spare_the_last_attempt_and_name_the_worker_to_kill() {
    let faults = FaultConfig {
        task_failure_probability: 1.0,
        kill_worker_at_attempt: Some(1),
        seed: 3,
        fail_every_attempt: false,
        hang_at_attempt: None,
    };
    let mut job: Job<Block> = Job::new(
        group_by_plan(),
        SchedulerConfig {
            faults,
            ..config(1)
        },
        0.0,
    );
    let mut injected = Vec::new();
    let mut kills = Vec::new();
    for _ in 0..4 {
        let a = job.assign(1, 0.0).expect("attempt");
        injected.push(a.request.inject_failure);
        kills.push(a.kill_worker);
        job.failed(a.request.attempt_id(), error("injected"), 0.0);
        if a.request.attempt == 3 {
            break;
        }
    }
    assert_eq!(kills, [false, true, false, false]);
    assert_eq!(injected, [true, true, true, false]);
}

#[test]
fn a_job_of_stages_without_tasks_succeeds_at_once() {
    let plan = plan(vec![
        stage(0, vec![], shuffle(2), vec![]),
        stage(1, vec![0], StageOutput::Result, vec![]),
    ]);
    let mut job: Job<Block> = Job::new(plan, config(1), 0.0);
    assert_eq!(job.state(), &JobState::Succeeded);
    assert!(job.take_result(|_| unreachable!("no answer")).is_empty());
}

#[test]
fn a_job_the_planner_answered_gives_its_answer_without_a_task() {
    let mut answered = plan(vec![stage(0, vec![], StageOutput::Result, vec![])]);
    answered.answer = Some(b"rows".to_vec());
    let mut job: Job<Block> = Job::new(answered, config(2), 0.0);
    assert_eq!(job.state(), &JobState::Succeeded);
    assert!(job.assign(1, 0.0).is_none());
    let events = job.take_events();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, JobEvent::TaskStarted { .. })),
        "{events:?}"
    );
    assert!(matches!(events.last(), Some(JobEvent::JobSucceeded { .. })));
    let result = job.take_result(|bytes| String::from_utf8(bytes).expect("text"));
    assert_eq!(result, vec!["rows".to_string()]);
}

#[test]
fn failing_every_attempt_fails_the_job_after_its_last() {
    let faults = FaultConfig {
        task_failure_probability: 1.0,
        kill_worker_at_attempt: None,
        seed: 3,
        fail_every_attempt: true,
        hang_at_attempt: None,
    };
    let mut job: Job<Block> = Job::new(
        group_by_plan(),
        SchedulerConfig {
            faults,
            ..config(1)
        },
        0.0,
    );
    for _ in 0..4 {
        let a = job.assign(1, 0.0).expect("attempt");
        assert!(a.request.inject_failure);
        job.failed(a.request.attempt_id(), error("injected"), 0.0);
    }
    assert!(
        matches!(job.state(), JobState::Failed(_)),
        "{:?}",
        job.state()
    );
}

#[test]
fn an_attempt_past_the_timeout_is_overdue_and_its_task_runs_again() {
    let mut job = group_by_job_with_timeout(1_000.0);
    let stuck = job.assign(1, 0.0).expect("attempt");
    assert!(job.overdue(999.0).is_empty());
    assert_eq!(job.overdue(1_001.0), vec![1]);
    job.worker_lost(1, "did not report within 1 s", 1_001.0);
    let again = job.assign(2, 1_002.0).expect("the task again");
    assert_eq!(
        (again.request.task, again.request.attempt),
        (stuck.request.task, 1)
    );
}

#[test]
fn an_attempt_that_keeps_reporting_is_not_overdue_however_long_it_runs() {
    let mut job = group_by_job_with_timeout(1_000.0);
    let long = job.assign(1, 0.0).expect("attempt");
    let id = long.request.attempt_id();
    // A merge of many runs: 10 s of work, reporting every 250 ms.
    for tick in 1..=40 {
        let now = f64::from(tick) * 250.0;
        job.progress(id, TaskProgress::default(), now);
        assert!(job.overdue(now + 999.0).is_empty(), "at {now} ms");
    }
    // Then silent: overdue a timeout after its last report.
    assert_eq!(job.overdue(10_000.0 + 1_001.0), vec![1]);
}

#[test]
fn a_task_with_its_own_fragment_is_sent_that_one() {
    let mut plan = group_by_plan();
    plan.stages[0].tasks[1].fragment = Some(vec![42]);
    let mut job: Job<Block> = Job::new(plan, config(1), 0.0);
    let sent: Vec<Vec<u8>> = (0..3)
        .map(|_| {
            let a = job.assign(1, 0.0).expect("a map task");
            finish(&mut job, &a, 2);
            a.request.fragment
        })
        .collect();
    assert_eq!(sent, vec![vec![0], vec![42], vec![0]]);
}
