//! One file in, its metric aggregation out: framing, parsing, matching, aggregating. All or nothing:
//! a file that fails part-way yields an error and no aggregation.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::sync::Arc;

use crate::cloudtrail::{
    self, Compression, Container, ContentHash, Parsed, ReadError, ReadLimits, RecordWindow,
};
use crate::event::{Event, FieldValue};
use crate::metrics::{
    published_dimension_value, Aggregation, SeriesKey, StatisticSet, OVERFLOW_DIMENSION_VALUE,
};
use crate::rules::ruleset::{Evidence, RecordKind, RuleSet};
use crate::time::UnixSeconds;

/// What a file turned out to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// CloudTrail events (a log file, an array, NDJSON or a single event).
    Events,
    /// A CloudTrail digest file: hashes of log files, no events.
    Digest,
    /// Output of the CloudTrail LookupEvents API (`aws cloudtrail lookup-events`), not a log file.
    LookupEvents,
    /// No JSON in it at all.
    Empty,
}

impl FileKind {
    /// Why a file of this kind yields no metrics, for the message that skips it.
    pub fn skip_reason(self) -> Option<&'static str> {
        match self {
            FileKind::Events => None,
            FileKind::Digest => Some("a CloudTrail digest file (log-file hashes for validation, no events)"),
            FileKind::LookupEvents => Some(
                "CloudTrail LookupEvents API output (`aws cloudtrail lookup-events`), not a log file: read the trail's S3 log files instead",
            ),
            FileKind::Empty => Some("empty (no JSON)"),
        }
    }
}

/// Counts for one file or many.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordCounts {
    /// Top-level values and array elements read.
    pub records: u64,
    /// Records that are events with a usable `eventTime`.
    pub events: u64,
    /// Records that are not JSON objects.
    pub skipped_not_object: u64,
    /// Objects without a usable `eventTime` (missing, not RFC 3339).
    pub skipped_no_event_time: u64,
    /// Digest or LookupEvents records found among events.
    pub skipped_not_event: u64,
    /// Insights events, aggregated data-event summaries and network activity events that no rule
    /// asked for (by testing `eventCategory`): none of them is one API call.
    pub skipped_not_api_call: u64,
    /// Rule matches (one event may match several rules).
    pub matches: u64,
    /// Matches that gave no datum: the `metricValue` field was not a number.
    pub no_metric_value: u64,
    /// Matches that gave no datum: a dimension was missing, as in CloudWatch.
    pub no_dimension_value: u64,
    /// Matches whose dimension values were published as [`OVERFLOW_DIMENSION_VALUE`]: their rule
    /// had already published its `maxDimensionValuesPerHour` distinct values for that hour.
    pub folded_dimension_value: u64,
    /// Dimension values published percent-encoded, because CloudWatch refuses them as they are
    /// (non-ASCII, control characters, empty, > 1024 characters): see
    /// [`crate::metrics::published_dimension_value`].
    pub encoded_dimension_value: u64,
}

impl RecordCounts {
    pub fn skipped(&self) -> u64 {
        self.skipped_not_object
            + self.skipped_no_event_time
            + self.skipped_not_event
            + self.skipped_not_api_call
    }

    pub fn add(&mut self, o: &RecordCounts) {
        self.records += o.records;
        self.events += o.events;
        self.skipped_not_object += o.skipped_not_object;
        self.skipped_no_event_time += o.skipped_no_event_time;
        self.skipped_not_event += o.skipped_not_event;
        self.skipped_not_api_call += o.skipped_not_api_call;
        self.matches += o.matches;
        self.no_metric_value += o.no_metric_value;
        self.no_dimension_value += o.no_dimension_value;
        self.encoded_dimension_value += o.encoded_dimension_value;
        self.folded_dimension_value += o.folded_dimension_value;
    }
}

/// The result of one file.
#[derive(Debug)]
pub struct FileReport {
    pub kind: FileKind,
    pub compression: Compression,
    pub counts: RecordCounts,
    /// Matches per rule, in rule order.
    pub rule_matches: Vec<u64>,
    /// Matches per rule whose dimension values folded into [`OVERFLOW_DIMENSION_VALUE`].
    pub rule_folds: Vec<u64>,
    /// Dimension values published percent-encoded, published form to original, at most
    /// [`MAX_ENCODED_SHOWN`] of them: for people to find the series.
    pub encoded_values: BTreeMap<String, String>,
    pub newest_event: Option<UnixSeconds>,
    pub aggregation: Aggregation,
    /// One per match of a security rule, when the engine collects evidence (at most
    /// [`MAX_EVIDENCE`]; the rest are counted in `evidence_dropped`).
    pub evidence: Vec<Evidence>,
    pub evidence_dropped: u64,
    /// SHA-256 of the decompressed bytes, when the engine hashes ([`Engine::with_content_hash`]).
    pub content_hash: Option<ContentHash>,
}

/// Percent-encoded dimension values a report lists with their originals.
pub const MAX_ENCODED_SHOWN: usize = 100;

/// Evidence kept per file: a bound on memory when a file is nothing but failed logins.
pub const MAX_EVIDENCE: usize = 100_000;

/// A file that could not be processed: nothing derived from it may be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {error}", if *.gzip { " (offsets in the decompressed data)" } else { "" })]
pub struct FileError {
    pub file: String,
    pub gzip: bool,
    #[source]
    pub error: ReadError,
}

/// The rules and limits that turn files into metrics.
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    limits: ReadLimits,
    collect_evidence: bool,
    content_hash: bool,
    read_ahead: bool,
}

impl Engine {
    pub fn new(rules: RuleSet, limits: ReadLimits) -> Engine {
        Engine {
            rules,
            limits,
            collect_evidence: false,
            content_hash: false,
            read_ahead: false,
        }
    }

    /// Read, inflate and hash each file on a second thread while this one parses it
    /// ([`cloudtrail::read_records_ahead`]): a file takes about a third less time where a core is free,
    /// for a few percent more CPU. Worth it only when there are more cores than files being read.
    pub fn with_read_ahead(mut self, on: bool) -> Engine {
        self.read_ahead = on;
        self
    }

    /// Also hash each file's decompressed bytes ([`FileReport::content_hash`]), for the progress
    /// markers that CloudTrail's digest files are checked against. One SHA-256 pass over the JSON (its
    /// cost is measured in docs/completeness.md); off where nothing keeps the hash.
    pub fn with_content_hash(mut self, on: bool) -> Engine {
        self.content_hash = on;
        self
    }

    /// Also collect an [`Evidence`] for each match of a security rule.
    pub fn with_evidence(mut self, on: bool) -> Engine {
        self.collect_evidence = on;
        if on {
            self.rules.intern_evidence_fields();
        }
        self
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Reads one file (gzip or plain) and aggregates what the rules make of it. `file` names it in
    /// errors.
    pub fn process(&self, file: &str, source: impl Read + Send) -> Result<FileReport, FileError> {
        self.process_with(file, source, self.limits)
    }

    /// [`Engine::process`] under other read limits: what a file yields must not depend on the
    /// window's size, and tests and the fuzzers check that it does not.
    pub fn process_with(
        &self,
        file: &str,
        source: impl Read + Send,
        limits: ReadLimits,
    ) -> Result<FileReport, FileError> {
        let fail = |compression, error| FileError {
            file: file.to_owned(),
            gzip: compression == Compression::Gzip
                && matches!(
                    error,
                    ReadError::RecordTooLarge { .. }
                        | ReadError::RecordsNotFirst { .. }
                        | ReadError::DuplicateRecords { .. }
                        | ReadError::Syntax { .. }
                        | ReadError::Utf8 { .. }
                        | ReadError::Truncated { .. }
                ),
            error,
        };
        let (compression, mut decoded) =
            cloudtrail::open(source).map_err(|e| fail(Compression::None, e))?;
        if self.content_hash {
            decoded = decoded.hashed();
        }
        let mut state = FileState::new(&self.rules, self.collect_evidence);
        let mut on_record = |window: RecordWindow<'_>| state.record(window);
        let read = if self.read_ahead {
            cloudtrail::read_records_ahead(decoded, limits, &mut on_record)
        } else {
            cloudtrail::read_records(decoded, limits, &mut on_record)
        };
        let end = read.map_err(|e| fail(compression, e))?;
        let kind = match end.container {
            Container::Empty => FileKind::Empty,
            Container::Records => state.file_kind(),
        };
        let mut report = state.finish(kind, compression);
        report.content_hash = end.content_hash;
        if kind != FileKind::Events {
            // A skipped file: nothing from it counts.
            report.counts = RecordCounts::default();
            report.aggregation = Aggregation::default();
            report.evidence.clear();
        }
        Ok(report)
    }
}

/// A datum's dimensions, names with values, as a series key holds them.
type DimensionValues = Vec<(Arc<str>, String)>;

/// Working state while one file is read.
struct FileState<'r> {
    rules: &'r RuleSet,
    /// What the file's first value was when it was no event (a digest, LookupEvents output).
    first_kind: Option<FileKind>,
    counts: RecordCounts,
    rule_matches: Vec<u64>,
    /// Datums per transformation (flattened over rules), for default values.
    transformation_hits: Vec<u64>,
    newest_event: Option<UnixSeconds>,
    aggregation: Aggregation,
    collect_evidence: bool,
    evidence: Vec<Evidence>,
    evidence_dropped: u64,
    /// Some rule tests `eventCategory`, so records other than API calls are offered to it.
    any_rule_sees_every_kind: bool,
    /// The cardinality guard's state: distinct dimension values per (transformation, hour). Keyed
    /// by std's randomised hash: the values come from the logs.
    dimension_values: HashMap<(usize, i64), HashSet<DimensionValues>>,
    rule_folds: Vec<u64>,
    encoded_values: BTreeMap<String, String>,
}

impl<'r> FileState<'r> {
    fn new(rules: &'r RuleSet, collect_evidence: bool) -> Self {
        let transformations = rules.rules().iter().map(|r| r.transformations.len()).sum();
        FileState {
            rules,
            first_kind: None,
            counts: RecordCounts::default(),
            rule_matches: vec![0; rules.rules().len()],
            transformation_hits: vec![0; transformations],
            newest_event: None,
            aggregation: Aggregation::default(),
            collect_evidence,
            evidence: Vec::new(),
            evidence_dropped: 0,
            any_rule_sees_every_kind: rules.rules().iter().any(|r| r.sees_every_kind),
            dimension_values: HashMap::default(),
            rule_folds: vec![0; rules.rules().len()],
            encoded_values: BTreeMap::new(),
        }
    }

    fn record(&mut self, window: RecordWindow<'_>) -> Result<Parsed, ReadError> {
        let Some((event, len)) = parse_window(self.rules, window)? else {
            return Ok(Parsed::Incomplete);
        };
        self.counts.records += 1;
        if !event.is_object() {
            self.counts.skipped_not_object += 1;
            return Ok(Parsed::Record { len });
        }
        let kind = self.rules.record_kind(&event);
        let wanted = match kind {
            RecordKind::ApiCall => true,
            // A summary of many calls over five minutes: no rule may count it as one.
            RecordKind::Aggregated => false,
            RecordKind::Insight | RecordKind::NetworkActivity => self.any_rule_sees_every_kind,
        };
        if !wanted {
            self.counts.skipped_not_api_call += 1;
        } else if let Some(time) = self.rules.event_time(&event) {
            self.counts.events += 1;
            self.newest_event = self.newest_event.max(Some(time));
            self.apply_rules(&event, time.minute_floor(), kind == RecordKind::ApiCall);
        } else {
            self.not_an_event(&event, window)?;
        }
        Ok(Parsed::Record { len })
    }

    /// An object without `eventTime`: a digest file, a LookupEvents record, or an unusable event.
    fn not_an_event(
        &mut self,
        event: &Event<'_>,
        window: RecordWindow<'_>,
    ) -> Result<(), ReadError> {
        let shape = self.rules.shape;
        let present = |id| event.get(id).is_present();
        if *event.get(shape.records) == FieldValue::Array {
            return Err(ReadError::RecordsNotFirst {
                offset: window.offset,
            });
        }
        let kind = if present(shape.digest_log_files) && present(shape.digest_end_time) {
            FileKind::Digest
        } else if (present(shape.lookup_event_id) && present(shape.lookup_cloudtrail_event))
            || (window.first_value && *event.get(shape.lookup_events) == FieldValue::Array)
        {
            FileKind::LookupEvents
        } else {
            self.counts.skipped_no_event_time += 1;
            return Ok(());
        };
        if window.first_value {
            self.first_kind = Some(kind);
        }
        self.counts.skipped_not_event += 1;
        Ok(())
    }

    /// What the file is: a digest or LookupEvents output when its first value is one and nothing in it
    /// is anything else; otherwise a file of events, where such values are skipped records. The whole
    /// file is read either way, so a file that goes on after a digest is not skipped unread.
    fn file_kind(&self) -> FileKind {
        match self.first_kind {
            Some(kind) if self.counts.skipped_not_event == self.counts.records => kind,
            _ => FileKind::Events,
        }
    }

    /// Applies every rule to an API call; to other records, only the rules that test
    /// `eventCategory`. The per-record hot path: kept whole, as its steps (match, value, dimensions,
    /// the cardinality guard, evidence) all work on the same rule, event and counters.
    fn apply_rules(&mut self, event: &Event<'_>, minute: UnixSeconds, api_call: bool) {
        let rules = self.rules;
        let mut t_index = 0;
        for (r_index, rule) in rules.rules().iter().enumerate() {
            if !(api_call || rule.sees_every_kind) || !rule.pattern.matches(event) {
                t_index += rule.transformations.len();
                continue;
            }
            self.counts.matches += 1;
            self.rule_matches[r_index] += 1;
            if rule.security && self.collect_evidence {
                if self.evidence.len() < MAX_EVIDENCE {
                    self.evidence.push(rules.evidence(rule, event));
                } else {
                    self.evidence_dropped += 1;
                }
            }
            'transformations: for t in &rule.transformations {
                let this = t_index;
                t_index += 1;
                let Some(value) = rules.metric_value(&t.value, event) else {
                    self.counts.no_metric_value += 1;
                    continue;
                };
                let mut dimensions = Vec::with_capacity(t.dimensions.len());
                for d in &t.dimensions {
                    match rules.dimension_value(d.source, event) {
                        None => {
                            self.counts.no_dimension_value += 1;
                            continue 'transformations;
                        }
                        Some(v) => {
                            // Borrowed back unchanged is the common case: no second copy, no compare.
                            let encoded = match published_dimension_value(&v) {
                                Cow::Borrowed(same) if same.len() == v.len() => None,
                                other => Some(other.into_owned()),
                            };
                            let published = match encoded {
                                None => v.into_owned(),
                                Some(published) => {
                                    self.counts.encoded_dimension_value += 1;
                                    if self.encoded_values.len() < MAX_ENCODED_SHOWN {
                                        self.encoded_values
                                            .entry(published.clone())
                                            .or_insert_with(|| v.into_owned());
                                    }
                                    published
                                }
                            };
                            dimensions.push((Arc::clone(&d.name), published));
                        }
                    }
                }
                if !dimensions.is_empty() {
                    let hour = minute.0.div_euclid(3600);
                    let seen = self.dimension_values.entry((this, hour)).or_default();
                    // Looked up by slice: a value set already seen costs no copy.
                    if !seen.contains(dimensions.as_slice()) {
                        if seen.len() < rule.max_dimension_values_per_hour {
                            seen.insert(dimensions.clone());
                        } else {
                            self.counts.folded_dimension_value += 1;
                            self.rule_folds[r_index] += 1;
                            for (_, v) in &mut dimensions {
                                OVERFLOW_DIMENSION_VALUE.clone_into(v);
                            }
                        }
                    }
                }
                self.transformation_hits[this] += 1;
                self.aggregation.add(
                    SeriesKey {
                        namespace: Arc::clone(&t.namespace),
                        metric_name: Arc::clone(&t.metric_name),
                        dimensions,
                        minute,
                    },
                    StatisticSet::of(value),
                    t.unit,
                );
            }
        }
    }

    fn finish(mut self, kind: FileKind, compression: Compression) -> FileReport {
        // A dimensionless rule with a defaultValue that matched nothing reports it at the file's newest
        // minute, so alarms on it see data instead of INSUFFICIENT_DATA.
        if let (FileKind::Events, Some(newest)) = (kind, self.newest_event) {
            let transformations = self.rules.rules().iter().flat_map(|r| &r.transformations);
            for (t, hits) in transformations.zip(&self.transformation_hits) {
                if let (Some(default), 0, true) = (t.default_value, *hits, t.dimensions.is_empty())
                {
                    self.aggregation.add(
                        SeriesKey {
                            namespace: Arc::clone(&t.namespace),
                            metric_name: Arc::clone(&t.metric_name),
                            dimensions: Vec::new(),
                            minute: newest.minute_floor(),
                        },
                        StatisticSet::of(default),
                        t.unit,
                    );
                }
            }
        }
        FileReport {
            kind,
            compression,
            counts: self.counts,
            rule_matches: self.rule_matches,
            rule_folds: self.rule_folds,
            encoded_values: self.encoded_values,
            newest_event: self.newest_event,
            aggregation: self.aggregation,
            evidence: self.evidence,
            evidence_dropped: self.evidence_dropped,
            content_hash: None,
        }
    }
}

/// Parses the record at the start of `window` and extracts the fields `rules` read. Returns the event
/// and its length, or `None` when the window ends inside the record.
pub fn parse_window<'a>(
    rules: &RuleSet,
    window: RecordWindow<'a>,
) -> Result<Option<(Event<'a>, usize)>, ReadError> {
    let extracted = rules.fields().extract_prefix(window.text);
    let Some(len) = cloudtrail::value_len(&window, extracted.as_ref().map(|e| e.len))? else {
        return Ok(None);
    };
    let Ok(extracted) = extracted else {
        return Ok(None); // value_len measured a length, so the parse succeeded
    };
    // Values end on an ASCII byte, so `len` is a character boundary.
    let raw = window.text.get(..len).ok_or_else(|| ReadError::Syntax {
        offset: window.offset + len as u64,
        message: "a value ends inside a character".into(),
    })?;
    Ok(Some((extracted.into_event(raw), len)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ruleset::DEFAULT_NAMESPACE;

    fn engine() -> Engine {
        Engine::new(
            RuleSet::builtin(DEFAULT_NAMESPACE).unwrap(),
            ReadLimits::default(),
        )
    }

    fn start(user: &str, time: &str) -> String {
        format!(
            r#"{{"eventTime":"{time}","eventName":"StartInstances","eventSource":"ec2.amazonaws.com","userIdentity":{{"type":"IAMUser","userName":"{user}"}}}}"#
        )
    }

    #[test]
    fn counts_start_instances_per_user_and_minute() {
        let log = format!(
            r#"{{"Records":[{},{},{},{}]}}"#,
            start("alice", "2023-07-10T11:45:02Z"),
            start("alice", "2023-07-10T11:45:59Z"),
            start("bob", "2023-07-10T11:45:10Z"),
            start("alice", "2023-07-10T11:46:00Z"),
        );
        let report = engine().process("log.json", log.as_bytes()).unwrap();
        assert_eq!(report.counts.events, 4);
        let datums = report.aggregation.into_datums();
        let starts: Vec<_> = datums
            .iter()
            .filter(|d| &*d.metric_name == "StartInstances")
            .map(|d| {
                (
                    d.dimensions[0].1.as_str(),
                    d.timestamp.to_string(),
                    d.statistics.sum,
                )
            })
            .collect();
        assert_eq!(
            starts,
            [
                ("alice", "2023-07-10T11:45:00Z".to_owned(), 2.0),
                ("alice", "2023-07-10T11:46:00Z".to_owned(), 1.0),
                ("bob", "2023-07-10T11:45:00Z".to_owned(), 1.0)
            ]
        );
        // Every dimensionless security metric gets its default 0 at the newest minute.
        let defaults: Vec<_> = datums.iter().filter(|d| d.dimensions.is_empty()).collect();
        assert_eq!(defaults.len(), 15);
        assert!(defaults
            .iter()
            .all(|d| d.statistics.sum == 0.0 && d.timestamp.to_string() == "2023-07-10T11:46:00Z"));
    }

    #[test]
    fn a_matching_rule_gets_no_default_datum() {
        let root = r#"{"eventTime":"2023-07-10T11:45:02Z","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","userIdentity":{"type":"Root"}}"#;
        let datums = engine()
            .process("x", root.as_bytes())
            .unwrap()
            .aggregation
            .into_datums();
        let root_usage: Vec<_> = datums
            .iter()
            .filter(|d| &*d.metric_name == "RootAccountUsage")
            .collect();
        assert_eq!(root_usage.len(), 1);
        assert_eq!(root_usage[0].statistics.sum, 1.0);
    }

    #[test]
    fn unusable_records_are_counted_not_fatal() {
        let log = r#"{"Records":[1,"x",{"eventName":"a"},{"eventTime":"yesterday"},{"eventTime":"2023-07-10T11:45:02Z"}]}"#;
        let report = engine().process("x", log.as_bytes()).unwrap();
        assert_eq!(report.counts.records, 5);
        assert_eq!(report.counts.skipped_not_object, 2);
        assert_eq!(report.counts.skipped_no_event_time, 2);
        assert_eq!(report.counts.events, 1);
    }

    #[test]
    fn a_corrupt_record_fails_the_whole_file_naming_it_and_the_offset() {
        let log = format!(
            r#"{{"Records":[{},{{"eventTime": nope}}]}}"#,
            start("a", "2023-07-10T11:45:02Z")
        );
        let err = engine().process("bad.json", log.as_bytes()).unwrap_err();
        let at = log.find("nope").unwrap();
        // serde_json reports the byte where it noticed the error: within the bad token.
        assert!(
            matches!(err.error, ReadError::Syntax { offset, .. } if (at..at + 4).contains(&(offset as usize))),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("bad.json: invalid JSON at byte offset "),
            "{err}"
        );
    }

    #[test]
    fn invalid_utf8_is_an_error_with_the_offset() {
        let mut log = br#"{"Records":[{"eventTime":"2023-07-10T11:45:02Z","x":"caf"#.to_vec();
        log.extend_from_slice(b"\xe9\"}]}");
        let err = engine().process("latin1.json", &log[..]).unwrap_err();
        assert!(matches!(err.error, ReadError::Utf8 { offset: 56 }), "{err}");
    }

    #[test]
    fn digest_and_lookup_events_files_are_recognised() {
        let digest = r#"{"awsAccountId":"1","digestStartTime":"2015-08-17T14:01:31Z","digestEndTime":"2015-08-17T15:01:31Z","logFiles":[]}"#;
        let report = engine().process("d", digest.as_bytes()).unwrap();
        assert_eq!(report.kind, FileKind::Digest);
        assert!(report.aggregation.is_empty());
        let lookup = "{\"EventId\":\"e\",\"CloudTrailEvent\":\"{}\"}\n{\"EventId\":\"f\",\"CloudTrailEvent\":\"{}\"}";
        assert_eq!(
            engine().process("l", lookup.as_bytes()).unwrap().kind,
            FileKind::LookupEvents
        );
    }

    #[test]
    fn a_digest_after_an_empty_log_does_not_make_the_file_a_digest() {
        let digest = r#"{"digestEndTime":"2015-08-17T15:01:31Z","logFiles":[]}"#;
        let file = format!(
            "{{\"Records\":[]}}\n{digest}\n{{\"Records\":[{}]}}",
            start("a", "2023-07-10T11:45:02Z")
        );
        let report = engine().process("x", file.as_bytes()).unwrap();
        assert_eq!(report.kind, FileKind::Events);
        assert_eq!(
            (report.counts.events, report.counts.skipped_not_event),
            (1, 1)
        );
    }

    #[test]
    fn records_after_other_keys_is_an_error_not_a_silent_skip() {
        let file = format!(
            r#"{{"version":1,"Records":[{}]}}"#,
            start("a", "2023-07-10T11:45:02Z")
        );
        let err = engine().process("odd.json", file.as_bytes()).unwrap_err();
        assert!(
            matches!(err.error, ReadError::RecordsNotFirst { offset: 0 }),
            "{err}"
        );
    }

    #[test]
    fn dimensions_cloudwatch_would_refuse_are_published_percent_encoded() {
        let log = format!(
            "[{},{}]",
            start("jos\u{e9}", "2023-07-10T11:45:02Z"),
            start("ok", "2023-07-10T11:45:02Z")
        );
        let report = engine().process("x", log.as_bytes()).unwrap();
        assert_eq!(report.counts.encoded_dimension_value, 1);
        let datums = report.aggregation.into_datums();
        let users: Vec<_> = datums
            .iter()
            .filter(|d| &*d.metric_name == "StartInstances")
            .map(|d| d.dimensions[0].1.as_str())
            .collect();
        assert_eq!(users, ["jos%C3%A9", "ok"]);
    }

    fn guarded_engine(limit: usize) -> Engine {
        let rules = format!(
            r#"{{"rules":[{{"name":"Starts","filterPattern":"{{ $.eventName = StartInstances }}","maxDimensionValuesPerHour":{limit},"metricTransformations":[{{"metricName":"Starts","metricValue":"1","dimensions":{{"UserName":"$.userIdentity.userName"}}}}]}}]}}"#
        );
        Engine::new(
            RuleSet::from_json("guard.json", &rules, DEFAULT_NAMESPACE).unwrap(),
            ReadLimits::default(),
        )
    }

    /// Sum per dimension value, over every minute.
    fn per_user(report: FileReport) -> Vec<(String, f64)> {
        let mut sums = std::collections::BTreeMap::new();
        for d in report.aggregation.into_datums() {
            *sums.entry(d.dimensions[0].1.clone()).or_insert(0.0) += d.statistics.sum;
        }
        sums.into_iter().collect()
    }

    #[test]
    fn values_past_the_cardinality_guard_fold_into_the_overflow_value_and_totals_stay_exact() {
        let events: Vec<String> = [
            ("a", "2023-07-10T11:01:00Z"),
            ("b", "2023-07-10T11:02:00Z"),
            ("c", "2023-07-10T11:03:00Z"), // the guard is full for 11:00-12:00
            ("a", "2023-07-10T11:04:00Z"), // a value already seen keeps its name
            ("d", "2023-07-10T11:05:00Z"),
            ("e", "2023-07-10T11:59:59Z"),
            ("d", "2023-07-10T12:00:00Z"), // a new hour, a new allowance
        ]
        .iter()
        .map(|(user, time)| start(user, time))
        .collect();
        let log = format!("[{}]", events.join(","));
        let report = guarded_engine(3).process("x", log.as_bytes()).unwrap();
        assert_eq!(report.counts.folded_dimension_value, 2);
        assert_eq!(report.rule_folds, vec![2]);
        let overflow = OVERFLOW_DIMENSION_VALUE.to_owned();
        assert_eq!(
            per_user(report),
            vec![
                (overflow, 2.0),
                ("a".into(), 2.0),
                ("b".into(), 1.0),
                ("c".into(), 1.0),
                ("d".into(), 1.0),
            ]
        );
        let report = guarded_engine(5).process("x", log.as_bytes()).unwrap();
        assert_eq!(report.counts.folded_dimension_value, 0);
    }

    #[test]
    fn a_guard_of_zero_is_refused() {
        let rules = r#"{"rules":[{"name":"S","filterPattern":"","maxDimensionValuesPerHour":0,"metricTransformations":[{"metricName":"S","metricValue":"1"}]}]}"#;
        let e = RuleSet::from_json("g.json", rules, DEFAULT_NAMESPACE).unwrap_err();
        assert!(e.to_string().contains("maxDimensionValuesPerHour"), "{e}");
    }

    #[test]
    fn evidence_names_the_principal_and_the_form_it_is_published_in() {
        let event = |user: &str| {
            format!(
                r#"{{"eventTime":"2023-07-10T11:45:02Z","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","userIdentity":{{"type":"IAMUser","userName":"{user}"}}}}"#
            )
        };
        let log = format!("[{},{}]", event("Zoë"), event("alice"));
        let report = engine()
            .with_evidence(true)
            .process("x", log.as_bytes())
            .unwrap();
        let principals: Vec<_> = report
            .evidence
            .iter()
            .map(|e| (e.principal.as_deref(), e.principal_published.as_deref()))
            .collect();
        assert_eq!(
            principals,
            [(Some("Zoë"), Some("Zo%C3%AB")), (Some("alice"), None)]
        );
        let line = serde_json::to_value(&report.evidence[0]).unwrap();
        assert_eq!(line["principalPublished"], "Zo%C3%AB");
        let line = serde_json::to_value(&report.evidence[1]).unwrap();
        assert!(line.get("principalPublished").is_none(), "{line}");
    }

    #[test]
    fn what_an_evidence_line_says_is_what_alarm_notifier_reads_back() {
        use crate::alarms::evidence::{Collector, EvidenceSearch};
        let event = r#"{"eventTime":"2023-07-10T11:45:02Z","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventID":"e-1","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.9","userAgent":"aws-cli/2.15 \u202e","recipientAccountId":"111122223333","awsRegion":"eu-west-1","requestParameters":{"name":"trail","secret":"s3cr3t"},"userIdentity":{"type":"IAMUser","userName":"Zoë"}}"#;
        let report = engine()
            .with_evidence(true)
            .process("x", format!("[{event}]").as_bytes())
            .unwrap();
        let rule = report.evidence[0].rule.clone();
        let line = report.evidence[0].log_line("s3://trail/AWSLogs/1.json.gz");
        assert!(!line.contains("s3cr3t"), "never the whole record: {line}");
        let search = EvidenceSearch {
            log_group: "g".into(),
            rule,
            logged_from_ms: 0,
            logged_to_ms: 0,
            events_from: UnixSeconds::parse_rfc3339("2023-07-10T11:40:00Z").unwrap(),
            events_to: UnixSeconds::parse_rfc3339("2023-07-10T11:50:00Z").unwrap(),
        };
        let mut c = Collector::new(&search, 5);
        c.offer(&line);
        let found = c.finish(true);
        assert_eq!(found.total, 1, "{line}");
        assert_eq!(
            found.events[0].line(),
            "2023-07-10T11:45:02Z StopLogging (cloudtrail.amazonaws.com), refused: AccessDenied, by Zoë (IAMUser) from 198.51.100.9 with \"aws-cli/2.15 \u{202e}\", account 111122223333, eu-west-1, event e-1"
        );
    }
}
