//! The hostile-input corpus: `tests/data/hostile/` (written by `scripts/hostile_corpus.py`, described in
//! its README) and, built here at run time, gzip bombs and 100,000-deep nesting. Each input has a test
//! that says what must happen: a clear error naming the file and the byte offset, or a counted skip;
//! never a panic, never part of a file's datums, and peak memory within the engine's bound (measured
//! on the real `trailwatch` binary for the bombs and the nesting).
//!
//! `TRAILWATCH_BIN=target/release/trailwatch cargo test -p trailwatch-cli --test hostile memory --
//! --nocapture` measures a release build with the default 4 GiB cap instead (the README's figures).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use trailwatch::cloudtrail::{ReadError, ReadLimits, DEFAULT_MAX_RECORD_BYTES};
use trailwatch::engine::{Engine, FileError, FileKind, FileReport};
use trailwatch::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/hostile")
        .join(name)
}

fn engine() -> Engine {
    Engine::new(
        RuleSet::builtin(DEFAULT_NAMESPACE).unwrap(),
        ReadLimits::default(),
    )
}

fn read(name: &str) -> Result<FileReport, FileError> {
    engine().process(name, std::fs::File::open(corpus(name)).unwrap())
}

fn ok(name: &str) -> FileReport {
    read(name).unwrap_or_else(|e| panic!("{name} should be read: {e}"))
}

fn failed(name: &str) -> FileError {
    match read(name) {
        Ok(report) => panic!("{name} should fail, but gave {:?}", report.counts),
        Err(e) => {
            assert_eq!(e.file, name);
            assert!(e.to_string().starts_with(name), "{e}");
            e
        }
    }
}

/// StartInstances per user: what the file's datums say.
fn start_instances(report: FileReport) -> BTreeMap<String, f64> {
    let mut users = BTreeMap::new();
    for d in report.aggregation.into_datums() {
        if &*d.metric_name == "StartInstances" {
            *users.entry(d.dimensions[0].1.clone()).or_insert(0.0) += d.statistics.sum;
        }
    }
    users
}

fn users(names: &[&str]) -> BTreeMap<String, f64> {
    names.iter().map(|n| (n.to_string(), 1.0)).collect()
}

#[test]
fn truncated_gzip_fails_naming_the_compressed_offset() {
    let e = failed("truncated.json.gz");
    assert!(
        matches!(
            e.error,
            ReadError::Gzip {
                compressed_offset: 235,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("truncated"), "{e}");
}

#[test]
fn multi_member_gzip_is_read_whole() {
    // One log cut in the middle of a record by a member boundary, and two logs as two members.
    assert_eq!(
        start_instances(ok("multi-member-split.json.gz")),
        users(&["alice", "bob"])
    );
    assert_eq!(
        start_instances(ok("multi-member-logs.json.gz")),
        users(&["alice", "bob", "carol"])
    );
}

#[test]
fn gzip_and_plain_are_told_by_content_not_by_name() {
    assert_eq!(
        start_instances(ok("plain-named-gz.json.gz")),
        users(&["alice", "bob"])
    );
    assert_eq!(
        start_instances(ok("gzip-without-name")),
        users(&["alice", "bob"])
    );
}

#[test]
fn a_byte_order_mark_is_allowed_before_the_json() {
    for name in ["bom.json", "bom.json.gz"] {
        assert_eq!(
            start_instances(ok(name)),
            users(&["alice", "bob"]),
            "{name}"
        );
    }
    assert_eq!(ok("bom-only.json").kind, FileKind::Empty);
}

#[test]
fn bytes_that_are_not_utf8_fail_naming_the_offset() {
    for name in ["non-utf8.json", "non-utf8.json.gz"] {
        let e = failed(name);
        assert!(matches!(e.error, ReadError::Utf8 { offset: 82 }), "{e}");
        assert!(e.to_string().contains("byte offset 82"), "{e}");
    }
}

#[test]
fn lone_surrogates_are_read_as_replacement_characters() {
    let report = ok("lone-surrogates.json");
    assert_eq!(report.counts.events, 3);
    // "al\ud800ice" is no dimension value CloudWatch takes as it is: published percent-encoded.
    assert_eq!(report.counts.encoded_dimension_value, 1);
    assert_eq!(
        start_instances(report),
        users(&["al%EF%BF%BDice", "bob", "carol"])
    );
}

#[test]
fn a_256_kb_event_is_an_event() {
    let report = ok("event-256k.json");
    assert_eq!(report.counts.records, 1);
    assert_eq!(start_instances(report), users(&["alice"]));
}

#[test]
fn records_that_are_not_objects_are_counted_and_skipped() {
    let report = ok("records-not-objects.json");
    assert_eq!(report.counts.records, 10);
    assert_eq!(report.counts.skipped_not_object, 8);
    assert_eq!(report.counts.skipped_no_event_time, 1);
    assert_eq!(report.counts.events, 1);
    assert_eq!(start_instances(report), users(&["alice"]));
}

#[test]
fn a_duplicate_key_in_an_event_takes_the_last_value() {
    // As JavaScript, Python and Jackson do: eventName StopInstances then StartInstances.
    assert_eq!(
        start_instances(ok("duplicate-keys.json")),
        users(&["alice"])
    );
}

#[test]
fn a_second_records_list_fails_the_file_instead_of_being_ignored() {
    let e = failed("duplicate-records.json");
    assert!(
        matches!(e.error, ReadError::DuplicateRecords { offset: 384 }),
        "{e}"
    );
    // Spelled with escapes, and after a nested `Records` that is only a value.
    let e = failed("duplicate-records-escaped.json");
    assert!(
        matches!(e.error, ReadError::DuplicateRecords { offset: 37 }),
        "{e}"
    );
}

#[test]
fn numbers_beyond_i64_and_f64_do_not_fail_the_file() {
    let report = ok("huge-numbers.json");
    assert_eq!(report.counts.events, 3);
    // bob's userName is 1e400: no usable dimension, counted.
    assert_eq!(report.counts.no_dimension_value, 1);
    assert_eq!(start_instances(report), users(&["alice", "carol"]));
}

#[test]
fn event_time_in_every_form_cloudtrail_and_exports_use() {
    let report = ok("event-times.json");
    // 11 good forms (Z, fractions, offsets with and without a colon, no offset, a space, lower case,
    // a leap second), all in the minute 10:00 UTC; 12 invalid ones counted as skipped.
    assert_eq!(report.counts.events, 11);
    assert_eq!(report.counts.skipped_no_event_time, 12);
    let datums = report.aggregation.into_datums();
    let starts: Vec<_> = datums
        .iter()
        .filter(|d| &*d.metric_name == "StartInstances")
        .collect();
    assert_eq!(starts.len(), 11);
    for d in starts {
        assert_eq!(
            d.timestamp.to_string(),
            "2026-11-20T10:00:00Z",
            "{:?}",
            d.dimensions
        );
        assert!(d.dimensions[0].1.starts_with("good"));
    }
}

#[test]
fn ndjson_with_crlf_and_blank_lines() {
    assert_eq!(
        start_instances(ok("crlf.ndjson")),
        users(&["alice", "bob", "carol"])
    );
}

#[test]
fn empty_files_are_counted_skips_and_empty_records_are_logs() {
    for name in ["empty.json", "whitespace.json", "empty.json.gz"] {
        let report = ok(name);
        assert_eq!(report.kind, FileKind::Empty, "{name}");
        assert_eq!(report.kind.skip_reason(), Some("empty (no JSON)"));
    }
    for name in ["empty-records.json", "empty-records-ws.json.gz"] {
        let report = ok(name);
        assert_eq!(report.kind, FileKind::Events, "{name}");
        assert_eq!(report.counts.records, 0);
        assert!(report.aggregation.is_empty());
    }
}

#[test]
fn a_digest_or_insights_file_under_a_log_file_name_publishes_nothing() {
    let digest = ok("123456789012_CloudTrail_us-east-1_20261120T1000Z_digest.json.gz");
    assert_eq!(digest.kind, FileKind::Digest);
    assert!(digest.aggregation.is_empty());
    // An Insights event summarises many calls: a counted skip, offered to no default rule, and no
    // default value is invented for it.
    let insight = ok("123456789012_CloudTrail_us-east-1_20261120T1000Z_insight.json.gz");
    assert_eq!(insight.kind, FileKind::Events);
    assert_eq!(insight.counts.events, 0);
    assert_eq!(insight.counts.skipped_not_api_call, 1);
    assert_eq!(insight.counts.matches, 0);
    assert!(start_instances(insight).is_empty());
    assert_eq!(ok("lookup-events.json").kind, FileKind::LookupEvents);
}

#[test]
fn a_digest_or_lookup_events_page_first_does_not_hide_what_follows() {
    // Found by the fuzzer as a bad CRC that a digest hid: the first value used to decide the file's
    // kind and end the read there.
    for name in ["digest-then-log.json", "lookup-then-log.json"] {
        let report = ok(name);
        assert_eq!(report.kind, FileKind::Events, "{name}");
        assert_eq!(report.counts.skipped_not_event, 1, "{name}");
        assert_eq!(start_instances(report), users(&["alice"]), "{name}");
    }
    let e = failed("digest-bad-crc.json.gz");
    assert!(matches!(e.error, ReadError::Gzip { .. }), "{e}");
}

#[test]
fn garbage_after_the_log_and_an_unclosed_log_fail_naming_the_offset() {
    let e = failed("trailing-garbage.json");
    assert!(
        matches!(e.error, ReadError::Syntax { offset: 708, .. }),
        "{e}"
    );
    let e = failed("unclosed-records.json");
    assert!(
        matches!(e.error, ReadError::Truncated { offset: 705 }),
        "{e}"
    );
}

#[test]
fn every_corpus_file_has_a_line_in_the_readme() {
    let readme = std::fs::read_to_string(corpus("README.md")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(corpus("")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name != "README.md" && !readme.contains(&format!("`{name}`")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "not in tests/data/hostile/README.md: {missing:?}"
    );
}

// ---- Built at run time: bombs and deep nesting, through the real binary, with peak memory. ----

/// The binary under test: this build's `trailwatch`, or `TRAILWATCH_BIN` (a release build, say). A
/// relative `TRAILWATCH_BIN` is taken from the workspace root, where the command is typed: cargo runs
/// the tests from `cli/`.
fn binary() -> (PathBuf, bool) {
    match std::env::var_os("TRAILWATCH_BIN") {
        Some(bin) => {
            let bin = PathBuf::from(bin);
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let bin = if bin.is_relative() {
                workspace.join(bin)
            } else {
                bin
            };
            assert!(
                bin.is_file(),
                "TRAILWATCH_BIN={}: no such file (build it with cargo build --release)",
                bin.display()
            );
            (bin, true)
        }
        None => (PathBuf::from(env!("CARGO_BIN_EXE_trailwatch")), false),
    }
}

/// The decompressed-size cap the bomb tests run with: the default (4 GiB) for a release binary, 256 MiB
/// for the debug one, which inflates at a few hundred MB/s.
fn bomb_cap() -> u64 {
    if binary().1 {
        trailwatch::cloudtrail::DEFAULT_MAX_DECOMPRESSED_BYTES
    } else {
        256 << 20
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trailwatch-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A gzip file of `head`, then `fill` repeated to `total` bytes: one member compressed once and
/// repeated, so GiBs cost MBs on disk and milliseconds to build.
fn bomb(name: &str, head: &[u8], fill: u8, total: u64) -> (PathBuf, u64) {
    const MEMBER: usize = 16 << 20;
    let member = gzip(&vec![fill; MEMBER]);
    let mut file = gzip(head);
    for _ in 0..total / MEMBER as u64 {
        file.extend_from_slice(&member);
    }
    let path = scratch(name);
    std::fs::write(&path, &file).unwrap();
    (path, file.len() as u64)
}

/// What the binary printed, how it exited and its peak resident memory.
struct Measured {
    code: Option<i32>,
    output: String,
    peak_mib: f64,
    seconds: f64,
}

/// Runs the binary under GNU time when the machine has it: time forks from its own small image, so
/// its figure is the binary's own peak. Without it, wait4 on a child spawned from this test process
/// gives an upper bound (the child starts as a copy of this process's memory, and Linux counts that).
fn measure(args: &[&str]) -> Measured {
    let gnu_time = Path::new("/usr/bin/time");
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let figure = scratch(&format!("time-{run}"));
    let mut command = if gnu_time.exists() {
        let mut c = Command::new(gnu_time);
        c.args(["-f", "%M", "-o"]).arg(&figure).arg(binary().0);
        c
    } else {
        Command::new(binary().0)
    };
    let started = std::time::Instant::now();
    let mut child = command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let (status, mut peak_kib) = wait_with_peak_rss(child.id());
    // The process is reaped: keep std from waiting on it again.
    std::mem::forget(child);
    if gnu_time.exists() {
        let text = std::fs::read_to_string(&figure).unwrap();
        peak_kib = text
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("GNU time wrote {text:?}"));
    }
    Measured {
        code: status,
        output: format!("{}{}", out.join().unwrap(), err.join().unwrap()),
        peak_mib: peak_kib as f64 / 1024.0,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Waits for `pid` and returns its exit code and peak RSS (ru_maxrss, KiB on Linux), from wait4.
fn wait_with_peak_rss(pid: u32) -> (Option<i32>, i64) {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, zeroes are a valid value, and wait4 writes both out-params.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid as libc::pid_t, "wait4 failed");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, usage.ru_maxrss)
}

fn print_figures(what: &str, compressed: u64, m: &Measured) {
    println!(
        "{what}: {:.1} MB on disk, exit {:?}, peak RSS {:.1} MiB, {:.1} s ({})",
        compressed as f64 / 1e6,
        m.code,
        m.peak_mib,
        m.seconds,
        if binary().1 {
            "TRAILWATCH_BIN"
        } else {
            "debug build"
        }
    );
}

/// The engine's memory bound: the 64 MiB record cap, the window that holds a record (grown by
/// doubling), and the binary itself.
const PEAK_BOUND_MIB: f64 = 200.0;

#[test]
fn memory_a_gzip_bomb_of_whitespace_stops_at_the_decompressed_size_cap() {
    let cap = bomb_cap();
    let (path, size) = bomb("spaces.json.gz", b"{\"Records\":[", b' ', 2 * cap);
    let cap_arg = cap.to_string();
    let m = measure(&[
        "metrics",
        path.to_str().unwrap(),
        "--max-decompressed-bytes",
        &cap_arg,
    ]);
    print_figures(
        &format!("gzip bomb, {} MiB of spaces", (2 * cap) >> 20),
        size,
        &m,
    );
    assert_eq!(m.code, Some(1), "{}", m.output);
    assert!(
        m.output.contains(&format!(
            "FAILED {}: decompressed data exceeds the cap of {cap} bytes",
            path.display()
        )),
        "{}",
        m.output
    );
    assert!(m.output.contains("TOTAL (0 datums)"), "{}", m.output);
    assert!(m.peak_mib < 64.0, "peak RSS {:.1} MiB", m.peak_mib);
}

#[test]
fn memory_a_gzip_bomb_of_zeros_fails_at_its_first_byte() {
    let (path, size) = bomb("zeros.json.gz", b"", 0, 4 << 30);
    let m = measure(&["metrics", path.to_str().unwrap()]);
    print_figures("gzip bomb, 4 GiB of zero bytes", size, &m);
    assert_eq!(m.code, Some(1), "{}", m.output);
    assert!(
        m.output.contains("invalid JSON at byte offset 0"),
        "{}",
        m.output
    );
    assert!(m.peak_mib < 64.0, "peak RSS {:.1} MiB", m.peak_mib);
}

#[test]
fn memory_a_gzip_bomb_inside_one_string_stops_at_the_record_cap() {
    // The worst case for memory: one record that never ends, held until the 64 MiB record cap.
    let (path, size) = bomb("string.json.gz", b"{\"Records\":[{\"s\":\"", b'a', 1 << 30);
    let m = measure(&["metrics", path.to_str().unwrap()]);
    print_figures("gzip bomb, one 1 GiB string", size, &m);
    assert_eq!(m.code, Some(1), "{}", m.output);
    assert!(
        m.output.contains(&format!(
            "record at byte offset 12 is larger than the cap of {DEFAULT_MAX_RECORD_BYTES} bytes"
        )),
        "{}",
        m.output
    );
    assert!(
        m.peak_mib < PEAK_BOUND_MIB,
        "peak RSS {:.1} MiB",
        m.peak_mib
    );
}

#[test]
fn memory_nesting_100000_deep_is_read_with_bounded_memory() {
    const DEPTH: usize = 100_000;
    let mut arrays = String::from("{\"Records\":[");
    // An event whose requestParameters nest 100,000 arrays deep, then one 100,000 objects deep, then
    // a record that is itself 100,000 arrays deep.
    let event = |inner: &str| {
        format!(
            "{{\"eventTime\":\"2026-11-20T10:00:00Z\",\"eventName\":\"StartInstances\",\
             \"userIdentity\":{{\"type\":\"IAMUser\",\"userName\":\"deep\"}},\"requestParameters\":{inner}}}"
        )
    };
    arrays.push_str(&event(&format!(
        "{}{}",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    )));
    arrays.push(',');
    arrays.push_str(&event(&format!(
        "{}1{}",
        "{\"a\":".repeat(DEPTH),
        "}".repeat(DEPTH)
    )));
    arrays.push(',');
    arrays.push_str(&format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH)));
    arrays.push_str("]}");
    let path = scratch("deep.json");
    std::fs::write(&path, &arrays).unwrap();

    // The engine: both events counted, the deep array skipped as not an object.
    let report = engine().process("deep.json", arrays.as_bytes()).unwrap();
    assert_eq!(report.counts.events, 2);
    assert_eq!(report.counts.skipped_not_object, 1);
    assert_eq!(start_instances(report), [("deep".to_owned(), 2.0)].into());

    let m = measure(&["metrics", path.to_str().unwrap()]);
    print_figures("nesting 100,000 deep", arrays.len() as u64, &m);
    assert_eq!(m.code, Some(0), "{}", m.output);
    assert!(m.output.contains("UserName=deep"), "{}", m.output);
    assert!(m.peak_mib < 64.0, "peak RSS {:.1} MiB", m.peak_mib);
}
