//! The hostile-input corpus against the engine: `tests/data/hostile/` (written by
//! `scripts/hostile_corpus.py`, described in its README). Each input has a test that says what must
//! happen: a clear error naming the file and the byte offset, or a counted skip; never a panic, never part
//! of a file's datums. Gzip bombs and deep nesting, with peak memory, are measured on the real binary:
//! cli/tests/hostile.rs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use trailwatch::cloudtrail::ReadError;
use trailwatch::engine::{Engine, FileError, FileKind, FileReport};
use trailwatch_testkit::{builtin_engine, start_instances_by_user};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/hostile")
        .join(name)
}

fn engine() -> Engine {
    builtin_engine()
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

fn start_instances(report: FileReport) -> BTreeMap<String, f64> {
    start_instances_by_user(report)
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
