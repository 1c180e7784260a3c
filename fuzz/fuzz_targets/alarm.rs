#![no_main]
//! See fuzz/src/checks.rs: what this target feeds and what it checks.

#[path = "../src/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::alarm(data));
