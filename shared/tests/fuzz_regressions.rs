//! Replays, through the fuzz targets' own checks (the trailwatch-fuzz-checks crate), every crash or hang the fuzzers
//! found (fuzz/regressions/<target>/) and the seed inputs: sample events, the real CloudTrail files and
//! the hostile corpus. The fuzzers run with scripts/fuzz.sh; this keeps what they found fixed on every
//! `cargo test`, without a sanitizer build.

use std::path::{Path, PathBuf};

use fuzz_checks as checks;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// Runs `check` on every file under `dirs` (smaller than 1 MiB, as the fuzzers' seeds); returns how
/// many it ran.
fn replay(check: fn(&[u8]), dirs: &[&str]) -> usize {
    let mut n = 0;
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| repo(d)).collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.is_file() && path.extension().is_none_or(|e| e != "md") {
            let data = std::fs::read(&path).unwrap();
            if data.len() < 1 << 20 {
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(outcome.is_ok(), "{} fails its check", path.display());
                n += 1;
            }
        }
    }
    n
}

#[test]
fn cloudtrail_reader_regressions_and_seeds() {
    let n = replay(
        checks::cloudtrail_reader,
        &[
            "fuzz/regressions/cloudtrail_reader",
            "tests/data/hostile",
            "tests/data/real",
            "events/cloudtrail",
        ],
    );
    assert!(n > 100, "only {n} inputs");
}

#[test]
fn pattern_regressions() {
    replay(checks::pattern, &["fuzz/regressions/pattern"]);
}

#[test]
fn trigger_regressions_and_seeds() {
    let n = replay(
        checks::trigger,
        &["fuzz/regressions/trigger", "events/trail-metrics"],
    );
    assert!(n >= 5, "only {n} inputs");
}

#[test]
fn alarm_regressions_and_seeds() {
    let n = replay(
        checks::alarm,
        &["fuzz/regressions/alarm", "events/alarm-notifier"],
    );
    assert!(n >= 5, "only {n} inputs");
}
