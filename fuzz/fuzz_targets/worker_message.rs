//! Any bytes as what a worker is sent: a request, a plan fragment or a shuffle block.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kiln_engine::fuzzing::contain_dependency_panics(|| {
        kiln_engine::fuzzing::worker_message(data)
    });
});
