//! What each fuzz target feeds to trailwatch and what it checks besides "no panic, no hang". Shared by
//! the fuzz targets (`fuzz/fuzz_targets/`, built with sanitizers outside the workspace) and by the
//! library's tests: `shared/tests/fuzz_regressions.rs` replays every input in `fuzz/regressions/` (each
//! one a crash or hang the fuzzers found) and the seed corpora on every `cargo test`, and
//! `shared/tests/window_cuts.rs` reads through [`Trickle`].

use std::io::{self, Read, Write};

use serde_json::Value;
use trailwatch::alarms::{self, Alarm, RenderContext, View};
use trailwatch::cloudtrail::{ReadLimits, DEFAULT_WINDOW_BYTES};
use trailwatch::engine::{Engine, FileError, FileReport};
use trailwatch::event::FieldTable;
use trailwatch::metrics::is_valid_dimension_value;
use trailwatch::rules::cloudwatch;
use trailwatch::rules::pattern::Pattern;
use trailwatch::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE};
use trailwatch::triggers::Invocation;

/// Small caps, so the caps themselves are reached and inputs stay fast.
const LIMITS: ReadLimits = ReadLimits {
    max_decompressed_bytes: 1 << 20,
    max_record_bytes: 64 << 10,
    window_bytes: DEFAULT_WINDOW_BYTES,
};

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
        RuleSet::builtin(DEFAULT_NAMESPACE).expect("builtin rules"),
        LIMITS,
    )
    .with_evidence(true)
    .with_content_hash(true)
    .with_read_ahead(read_ahead)
}

/// A reader that hands out at most `step` bytes per read: framing must not depend on read sizes.
pub struct Trickle<'a> {
    pub data: &'a [u8],
    pub step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// What a file gave, in a form two runs can be compared by.
fn outcome(result: Result<FileReport, FileError>) -> Result<String, String> {
    match result {
        Ok(report) => {
            if report.kind == trailwatch::engine::FileKind::Events {
                let c = &report.counts;
                assert_eq!(
                    c.records,
                    c.events + c.skipped(),
                    "records are events or skips: {c:?}"
                );
            }
            let datums = report.aggregation.into_datums();
            for d in &datums {
                for (name, value) in &d.dimensions {
                    assert!(
                        is_valid_dimension_value(value),
                        "{name}={value:?} published"
                    );
                }
                assert!(d.statistics.sample_count >= 1.0, "{d:?}");
            }
            // The hash too: a read that hashed other bytes than it framed would show here.
            Ok(format!(
                "{:?} {:?} {:?} {:?} {:?}",
                report.kind, report.counts, report.rule_matches, datums, report.content_hash
            ))
        }
        // Both must fail; where may differ (a syntax error past the record cap is found by a whole
        // read, the cap by a trickle).
        Err(e) => {
            assert!(!e.to_string().is_empty());
            Err(String::new())
        }
    }
}

/// The CloudTrail reader and the engine on any bytes: read whole, read a few bytes at a time through a
/// small window, read ahead on a second thread, and (for plain input) gzipped through another small
/// window — all must agree.
pub fn cloudtrail_reader(data: &[u8]) {
    // The fast walk over a record agrees with serde_json wherever it answers (event/fast.rs).
    if let Ok(text) = std::str::from_utf8(data) {
        let agrees = engine().rules().fields().fast_walk_agrees(text);
        assert!(agrees.is_ok(), "{agrees:?}");
    }
    let whole = outcome(engine().process("fuzz", data));
    let step = 1 + data.len() % 13;
    // Window sizes from 1 byte up: each moves every cut to another place in the values.
    let window = |salt: usize| ReadLimits {
        window_bytes: 1 + (data.len() / 13 + salt) % 67,
        ..LIMITS
    };
    let trickled = outcome(engine().process_with("fuzz", Trickle { data, step }, window(0)));
    assert_eq!(
        whole,
        trickled,
        "read {step} bytes at a time through a {}-byte window",
        window(0).window_bytes
    );
    // Each read is a hand-over between threads, so reading ahead gets reads of a kilobyte or two:
    // the window's edges, the same code either way, are moved byte by byte above.
    let ahead_window = ReadLimits {
        window_bytes: 1024 + (data.len() / 13 + 11) % 1024,
        ..LIMITS
    };
    let ahead = outcome(engine_reading_ahead().process_with("fuzz", data, ahead_window));
    assert_eq!(
        whole, ahead,
        "read ahead through a {}-byte window",
        ahead_window.window_bytes
    );
    if !data.starts_with(&[0x1f, 0x8b]) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).expect("gzip to memory");
        let gz = gz.finish().expect("gzip to memory");
        let gzipped = outcome(engine().process_with("fuzz.gz", &gz[..], window(29)));
        assert_eq!(
            whole,
            gzipped,
            "gzipped, through a {}-byte window",
            window(29).window_bytes
        );
    }
}

/// A metric-filter pattern (the first line) against an event (the rest).
pub fn pattern(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, event_text) = text.split_once('\n').unwrap_or((text, "{}"));
    let mut fields = FieldTable::default();
    let Ok(parsed) = Pattern::parse(pattern, &mut fields) else {
        return;
    };
    let Ok(event) = fields.extract(event_text) else {
        return;
    };
    let matched = parsed.matches(&event);
    let why = parsed.explain_mismatch(&event);
    if matched {
        // Asking why a match did not match must not fail either; nothing more is promised.
        let _ = why;
    }
    exported_pattern_means_the_same(pattern, event_text, matched);
}

/// The pattern as `rules export` writes it for CloudWatch parses back and, where the export says the
/// meaning is kept, matches the event exactly when the original does.
fn exported_pattern_means_the_same(pattern: &str, event: &str, matched: bool) {
    let rule = |pattern: &str| {
        let file = serde_json::json!({"rules": [{"name": "P", "filterPattern": pattern,
            "metricTransformations": [{"metricName": "M", "metricValue": "1"}]}]});
        RuleSet::from_json("fuzz.json", &file.to_string(), DEFAULT_NAMESPACE)
    };
    let Ok(original) = rule(pattern) else {
        return;
    };
    let (exported, same_meaning) = match cloudwatch::acceptance(&original.rules()[0]) {
        cloudwatch::Acceptance::AsWritten(f) => (f, true),
        cloudwatch::Acceptance::Rewritten {
            filters,
            same_meaning,
            ..
        } => (filters, same_meaning),
        cloudwatch::Acceptance::Refused(_) => return,
    };
    let printed = &exported[0].pattern;
    let again =
        rule(printed).unwrap_or_else(|e| panic!("{pattern:?} exported as {printed:?}: {e}"));
    if same_meaning {
        let Ok(event) = again.fields().extract(event) else {
            return;
        };
        assert_eq!(
            again.rules()[0].pattern.matches(&event),
            matched,
            "{pattern:?} exported as {printed:?}"
        );
    }
}

/// A trail-metrics invocation payload (S3, SNS, SQS, EventBridge, Batch).
pub fn trigger(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = trailwatch::text::url_decode(text);
        let _ = trailwatch::cloudtrail::classify_key(text);
    }
    let Ok(event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(invocation) = Invocation::from_event(&event) else {
        return;
    };
    for unit in invocation.units {
        for object in unit.objects.into_iter().flatten() {
            let kind = trailwatch::cloudtrail::classify_key(&object.key);
            let _ = kind.skip_reason();
            assert!(!object.to_string().is_empty());
        }
    }
}

/// An alarm-notifier payload (SNS, Lambda alarm action, EventBridge), decoded and rendered every way.
pub fn alarm(data: &[u8]) {
    let Ok(event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(decoded) = alarms::from_event(&event) else {
        return;
    };
    for alarm in decoded.into_iter().flatten() {
        render_all(&alarm);
    }
}

fn rules() -> &'static RuleSet {
    static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin(DEFAULT_NAMESPACE).expect("builtin rules"))
}

fn render_all(alarm: &Alarm) {
    let ctx = RenderContext {
        namespace: DEFAULT_NAMESPACE.to_owned(),
        rules: Some(rules()),
        evidence_log_group: Some("/aws/lambda/trail-metrics".to_owned()),
    };
    let view = View::new(alarm, &ctx);
    let subject = alarms::subject(&view);
    assert!(subject.len() < 100, "subject of {} bytes", subject.len());
    assert!(
        subject
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_control()),
        "{subject:?}"
    );
    let _ = alarms::text(&view);
    for json in [
        alarms::slack(&view),
        alarms::teams(&view),
        alarms::discord(&view),
        alarms::json_alarm(&view),
    ] {
        assert!(json.is_object());
    }
}
