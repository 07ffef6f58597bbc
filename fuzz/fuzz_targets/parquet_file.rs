//! Any bytes as a picked Parquet file: added as a table and read in full.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kiln_engine::fuzzing::run(kiln_engine::fuzzing::parquet_file(data));
});
