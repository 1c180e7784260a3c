//! Hostile inputs built at run time, through the real `trailwatch` binary: gzip bombs and
//! 100,000-deep nesting. Each must end in a clear error naming the file, with peak memory within the
//! engine's bound. The corpus of hostile files is read by the engine in shared/tests/hostile.rs.
//!
//! `TRAILWATCH_BIN=target/release/trailwatch cargo test -p trailwatch-cli --test hostile memory --
//! --nocapture` measures a release build with the default 4 GiB cap instead (docs/hardening.md's
//! figures).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use trailwatch::cloudtrail::DEFAULT_MAX_RECORD_BYTES;
use trailwatch_testkit::{builtin_engine as engine, start_instances_by_user as start_instances};

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
