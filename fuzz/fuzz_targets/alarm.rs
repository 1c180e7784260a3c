#![no_main]
//! See fuzz-checks/src/lib.rs: what this target feeds and what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::alarm(data));
