//! The fuzz targets' inputs kept in `fuzz/`: every crash a fuzzer found
//! (`fuzz/regressions/<target>/`) must now give an answer or an error, never a panic;
//! every seed (`fuzz/seeds/<target>/`) must be accepted, so the fuzzers start from
//! inputs the engine really takes.
//!
//! The worker-message seeds are made from a real plan; when DataFusion's protobuf
//! changes, remake them: `KILN_WRITE_FUZZ_SEEDS=1 cargo test --workspace
//! --exclude kiln-browser fuzz_seeds`.

use std::fs;
use std::path::PathBuf;

use kiln_engine::distributed::ipc::BlockWriter;
use kiln_engine::fuzzing::{self, Outcome};
use kiln_engine::{Engine, EngineConfig};
use kiln_protocol::{JobOptions, Request, RequestBody};

use crate::common::{file, parquet_bytes};

const TARGETS: [&str; 3] = ["parquet_file", "pyspark_program", "worker_message"];

fn fuzz_dir(kind: &str, target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join(target)
}

/// As the fuzz target `target` runs `input`.
fn run(target: &str, input: &[u8]) -> Outcome {
    match target {
        "parquet_file" => fuzzing::run(fuzzing::parquet_file(input)),
        "pyspark_program" => fuzzing::run(fuzzing::pyspark_program(input)),
        "worker_message" => fuzzing::contain_dependency_panics(|| fuzzing::worker_message(input))
            .and_then(|outcome| outcome),
        other => panic!("no fuzz target {other}"),
    }
}

/// The files below `fuzz/<kind>/<target>/`, with their names.
fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(dir) = fs::read_dir(fuzz_dir(kind, target)) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = dir
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, fs::read(e.path()).expect("a readable fuzz input"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn fuzz_regressions_give_an_answer_or_an_error() {
    for target in TARGETS {
        for (name, input) in inputs("regressions", target) {
            // A panic here fails the test; either outcome is fine.
            let outcome = run(target, &input);
            eprintln!("{target}/{name}: {outcome:?}");
        }
    }
}

#[test]
fn fuzz_seeds_are_inputs_the_engine_takes() {
    if std::env::var_os("KILN_WRITE_FUZZ_SEEDS").is_some() {
        fuzzing::run(async {
            write_worker_message_seeds().await;
            Ok(())
        })
        .unwrap();
    }
    for target in ["pyspark_program", "worker_message"] {
        let seeds = inputs("seeds", target);
        assert!(seeds.len() >= 3, "{target} has seeds");
        for (name, input) in seeds {
            let outcome = run(target, &input);
            assert_eq!(outcome, Ok(()), "{target}/{name}");
        }
    }
    // And one thing that must not be taken, so an entry point that accepts all is caught.
    assert!(run("worker_message", b"\x01not a plan").is_err());
    assert!(run("pyspark_program", b"df = spark.nope()").is_err());
    assert!(run("parquet_file", b"PAR1 but not more").is_err());
    assert_eq!(
        run("parquet_file", &parquet_bytes(&[1, 2], &["a", "b"])),
        Ok(())
    );
}

/// A request, a stage's plan fragment and a shuffle block, each behind the byte that
/// tells `worker_message` what it is.
async fn write_worker_message_seeds() {
    let dir = fuzz_dir("seeds", "worker_message");
    fs::create_dir_all(&dir).unwrap();
    let sql = "SELECT name, count(*), max(id) FROM trips WHERE id > 3 GROUP BY name";
    let request = Request {
        id: 7,
        body: RequestBody::PlanJob {
            sql: sql.into(),
            options: JobOptions::default(),
        },
    };
    let mut seeds = vec![(
        "request.json",
        [vec![0], serde_json::to_vec(&request).unwrap()].concat(),
    )];

    let mut engine = Engine::new(EngineConfig::default());
    let ids: Vec<i64> = (0..50).collect();
    let names: Vec<String> = ids.iter().map(|i| format!("n{}", i % 4)).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_, rejected) = engine
        .add_files(vec![file("trips.parquet", parquet_bytes(&ids, &names))])
        .await;
    assert!(rejected.is_empty(), "{rejected:?}");
    let job = engine.plan_job(sql, &JobOptions::default()).await.unwrap();
    for (i, stage) in job.stages.iter().enumerate() {
        let fragment = stage.tasks[0]
            .fragment
            .clone()
            .unwrap_or(stage.fragment.clone());
        seeds.push((
            ["fragment-scan.bin", "fragment-final.bin"][i.min(1)],
            [vec![1], fragment].concat(),
        ));
    }
    let result = engine.sql(sql).await.unwrap();
    let mut block = BlockWriter::new(result.schema.clone(), 8192);
    for batch in result.collect().unwrap() {
        block.write(&batch).unwrap();
    }
    seeds.push((
        "block.arrows",
        [vec![2], block.finish(true).unwrap()].concat(),
    ));
    for (name, bytes) in seeds {
        fs::write(dir.join(name), bytes).unwrap();
    }
}
