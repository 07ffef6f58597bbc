//! Any text as a PySpark program: parsed, interpreted and its actions planned.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kiln_engine::fuzzing::run(kiln_engine::fuzzing::pyspark_program(data));
});
