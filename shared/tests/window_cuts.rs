//! Any value may be cut at any byte by a read or by the window's edge, and the file must read the same.
//!
//! For every kind of token a CloudTrail log holds, a log file and an NDJSON file carry it in many
//! places (fields no rule reads, fields rules read, arrays, the log object's trailing keys, top-level
//! values). Each file is read with every window size from 1 byte to the file's length, so the first
//! cut falls on every byte of it, plain and gzipped, from a whole buffer and from a source that hands
//! out a few bytes per read (and, for a sample of the window sizes, read ahead on a second thread).
//! Every read must give exactly what one whole read gives; for broken
//! tokens, the same error at the same offset.

use std::io::Write;

use fuzz_checks::Trickle;

use trailwatch::cloudtrail::ReadLimits;
use trailwatch::engine::{Engine, FileError, FileKind, FileReport};
use trailwatch::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE};

/// Every token kind: integers, fractions, signs and exponents (each a place where serde_json calls a
/// cut number invalid), numbers beyond u64 and f64, every escape, surrogate pairs and lone surrogates,
/// multi-byte UTF-8 of every width, literals, and empty and nested containers.
const VALID: &[&str] = &[
    "0",
    "-0",
    "7",
    "-7",
    "1234567890",
    "-1234567890",
    "18446744073709551616",
    "0.0",
    "0.4185962858909771",
    "-0.5",
    "1.5e-7",
    "1.234E+7",
    "-2e10",
    "-1.25E-10",
    "6e0",
    "1e400",
    "-1E-400",
    "true",
    "false",
    "null",
    r#""""#,
    r#""plain""#,
    r#""esc \" \\ \/ \b \f \n \r \t""#,
    r#""\u00e9\u4E2D\u0000""#,
    r#""\ud83d\ude00""#,
    r#""\ud800 lone""#,
    "\"Zoë 민수 😀 ü\"",
    "{}",
    "[]",
    "[[]]",
    r#"{"a":{}}"#,
    r#"[1,-2.5e-3,[{}],"x",{"k":[true,null]}]"#,
];

/// Broken tokens: each must fail with the same error, at the same offset, however the file is cut.
const INVALID: &[&str] = &[
    "1.}", "-}", "1e}", "1e-}", "01", "tru", "nul", "1.5.5", "+1", ".5", r#""\x""#, "[1,]", "--1",
];

fn record(token: &str, name: &str) -> String {
    format!(
        concat!(
            r#"{{"eventVersion":"1.08","eventTime":"2026-11-24T09:03:22Z","#,
            r#""eventSource":"ec2.amazonaws.com","eventName":"StartInstances","#,
            r#""userIdentity":{{"type":"IAMUser","userName":{name},"x":{t}}},"#,
            r#""pad":{t},"requestParameters":{{"a":[{t},{t}],"b":{{"c":{t}}}}},"#,
            r#""responseElements":{t}}}"#
        ),
        t = token,
        name = name,
    )
}

/// The files a token is tried in: a log file (the token in ignored fields, in a field a rule reads,
/// and after `Records`) and NDJSON (the token also as a top-level value).
fn files(token: &str) -> [String; 2] {
    let log = format!(
        r#"{{"Records":[{},{}],"after":{token},"last":[{token}]}}"#,
        record(token, r#""alice""#),
        record(token, token),
    );
    let ndjson = format!("{token}\n{}\n{token} {token}", record(token, r#""bob""#));
    [log, ndjson]
}

fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| build_engine(false))
}

/// [`engine`], reading ahead on a second thread.
fn engine_reading_ahead() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| build_engine(true))
}

fn build_engine(read_ahead: bool) -> Engine {
    Engine::new(
        RuleSet::builtin(DEFAULT_NAMESPACE).expect("the built-in rules load"),
        ReadLimits::default(),
    )
    .with_evidence(true)
    .with_read_ahead(read_ahead)
}

fn outcome(result: Result<FileReport, FileError>) -> Result<String, String> {
    match result {
        Ok(report) => Ok(format!(
            "{:?} {:?} {:?} {:?} {:?}",
            report.kind,
            report.counts,
            report.rule_matches,
            report.aggregation.into_datums(),
            report.evidence.len(),
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip to memory");
    e.finish().expect("gzip to memory")
}

/// Reads `text` every way with every window size; returns the one outcome they all agree on.
fn read_every_way(text: &str) -> Result<String, String> {
    let plain = text.as_bytes();
    let zipped = gzip(plain);
    let whole = outcome(engine().process("file", plain));
    for window_bytes in 1..=plain.len() + 1 {
        let limits = ReadLimits {
            window_bytes,
            ..ReadLimits::default()
        };
        let step = 1 + window_bytes % 7;
        let mut ways: Vec<(&str, Result<FileReport, FileError>)> = vec![
            ("plain, whole", engine().process_with("file", plain, limits)),
            (
                "plain, read by read",
                engine().process_with("file", Trickle { data: plain, step }, limits),
            ),
            (
                "gzip, whole",
                engine().process_with("file", &zipped[..], limits),
            ),
            (
                "gzip, read by read",
                engine().process_with(
                    "file",
                    Trickle {
                        data: &zipped,
                        step,
                    },
                    limits,
                ),
            ),
        ];
        // Reading ahead hands the window the same reads from another thread, so the window's edges
        // fall where they do above: a sample of the sizes (each a thread, and a hand-over per read)
        // checks the hand-over without a few million of them.
        if window_bytes == 3 || window_bytes % 31 == 0 {
            ways.push((
                "plain, read ahead, read by read",
                engine_reading_ahead().process_with("file", Trickle { data: plain, step }, limits),
            ));
            ways.push((
                "gzip, read ahead, whole",
                engine_reading_ahead().process_with("file", &zipped[..], limits),
            ));
        }
        for (way, result) in ways {
            let got = outcome(result);
            // Errors name gzip offsets as decompressed ones; the rest must be identical.
            let got = got.map_err(|e| e.replace(" (offsets in the decompressed data)", ""));
            assert_eq!(
                got, whole,
                "{way}, {window_bytes}-byte window, {step}-byte reads, in:\n{text}"
            );
        }
    }
    whole
}

#[test]
fn every_valid_token_reads_the_same_at_every_cut() {
    for token in VALID {
        let [log, ndjson] = files(token);
        let whole = read_every_way(&log).unwrap_or_else(|e| panic!("{token}: {e}"));
        // Both records are events and both are StartInstances calls (the built-in rules count them
        // per user): a reader that lost or merged records would not say so.
        assert!(
            whole.starts_with("Events RecordCounts { records: 2, events: 2,"),
            "{token}: {whole}"
        );
        let ndjson_whole = read_every_way(&ndjson).unwrap_or_else(|e| panic!("{token}: {e}"));
        // Top-level arrays are streamed as arrays of records, so only the event count is fixed.
        assert!(
            ndjson_whole.contains(" events: 1,"),
            "{token}: {ndjson_whole}"
        );
    }
}

#[test]
fn every_broken_token_fails_the_same_way_at_every_cut() {
    for token in INVALID {
        for file in files(token) {
            let whole = read_every_way(&file);
            let error = whole.expect_err(token);
            assert!(error.contains("byte offset"), "{token}: {error}");
        }
    }
}

#[test]
fn the_issue_13_straddle_log_is_counted_whole() {
    // The shape of the log that was refused: a decimal and an exponent in every record, with padding
    // that moves them across every window edge. Records alone were read correctly.
    let mut log = String::from(r#"{"Records":["#);
    let n: u64 = 4_000;
    for i in 0..n {
        if i > 0 {
            log.push(',');
        }
        log.push_str(&format!(
            concat!(
                r#"{{"eventVersion":"1.08","eventTime":"2026-11-24T09:03:22Z","#,
                r#""eventSource":"ec2.amazonaws.com","eventName":"StartInstances","#,
                r#""userIdentity":{{"type":"IAMUser","userName":"alice"}},"pad":"{}","#,
                r#""requestParameters":{{"x":0.4185962858909771,"y":1.5e-7,"z":-3}}}}"#
            ),
            "p".repeat(i as usize % 97)
        ));
    }
    log.push_str("]}");
    for window_bytes in [1 << 10, 4 << 10, 64 << 10] {
        let limits = ReadLimits {
            window_bytes,
            ..ReadLimits::default()
        };
        for data in [log.as_bytes().to_vec(), gzip(log.as_bytes())] {
            let report = engine()
                .process_with("straddle.json.gz", &data[..], limits)
                .unwrap_or_else(|e| panic!("{window_bytes}-byte window: {e}"));
            assert_eq!(report.kind, FileKind::Events);
            assert_eq!(report.counts.events, n);
            let started: f64 = report
                .aggregation
                .into_datums()
                .iter()
                .filter(|d| &*d.metric_name == "StartInstances")
                .map(|d| d.statistics.sum)
                .sum();
            assert_eq!(started, n as f64, "{window_bytes}-byte window");
        }
    }
}
