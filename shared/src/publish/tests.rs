use super::*;
use crate::cloudtrail::{ContentHash, ReadLimits};
use crate::fakes::{CasStore as Store, MemorySource as Source, RecordingSink as Sink};
use crate::rules::ruleset::{RuleSet, DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR};
use std::collections::HashMap;
use std::sync::Mutex;

const KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/25/111122223333_CloudTrail_us-east-1_20261125T0900Z_x.json.gz";

fn now() -> UnixSeconds {
    UnixSeconds::parse_rfc3339("2026-11-25T09:00:00Z").unwrap()
}

/// A log with `users` StartInstances events, one per user, at `time`; past the built-in rules'
/// 1,000 distinct users an hour, each further thousand is an hour later.
fn log(users: usize, time: &str) -> Vec<u8> {
    let records: Vec<String> = (0..users)
        .map(|i| {
            let later = i / DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR;
            let time = if later == 0 {
                time.to_owned()
            } else {
                // An hour on: "…T08:55:10Z" becomes "…T09:55:10Z", "…T10:55:10Z".
                let hour: usize = time[11..13].parse().unwrap();
                format!("{}{:02}{}", &time[..11], hour + later, &time[13..])
            };
            format!(
                r#"{{"eventTime":"{time}","eventName":"StartInstances","eventSource":"ec2.amazonaws.com","eventID":"id-{i}","userIdentity":{{"type":"IAMUser","userName":"user{i}"}}}}"#
            )
        })
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(",")).into_bytes()
}

/// Publishes `key` as `owner`, which must publish it.
async fn published<P: ProgressStore>(
    publisher: &Publisher<Source, Sink, P>,
    key: &str,
    owner: &str,
) -> Published {
    match publisher
        .publish_object(&object(key), &attempt(owner))
        .await
    {
        Ok(Outcome::Published(p)) => p,
        other => panic!("{key}: {other:?}"),
    }
}

/// The same publisher over another progress store.
fn with_store<P: ProgressStore>(
    base: Publisher<Source, Sink, Store>,
    store: P,
) -> Publisher<Source, Sink, P> {
    Publisher {
        engine: base.engine,
        source: base.source,
        sink: base.sink,
        store,
        now: base.now,
        evidence: base.evidence,
    }
}

fn ingest(files: &[(&str, Vec<u8>)], fail: Vec<usize>) -> Publisher<Source, Sink, Store> {
    let rules = RuleSet::builtin("CloudTrailMetrics").unwrap();
    Publisher {
        engine: Arc::new(
            Engine::new(rules, ReadLimits::default())
                .with_evidence(true)
                .with_content_hash(true),
        ),
        source: Source(
            files
                .iter()
                .map(|(k, b)| (k.to_string(), (b.clone(), format!("etag-{k}"))))
                .collect(),
        ),
        sink: Sink {
            fail,
            ..Sink::default()
        },
        store: Store::default(),
        now,
        evidence: None,
    }
}

type Logged = Arc<Mutex<Vec<Evidence>>>;

/// The ingest with an evidence sink that keeps what it is given.
fn logging<S, M, P>(mut ing: Publisher<S, M, P>) -> (Publisher<S, M, P>, Logged) {
    let logged: Logged = Arc::default();
    let sink = Arc::clone(&logged);
    ing.evidence = Some(Arc::new(move |_: &ObjectRef, e: &[Evidence]| {
        sink.lock().unwrap().extend_from_slice(e)
    }));
    (ing, logged)
}

/// A log of `n` failed (AccessDenied) calls, which the UnauthorizedAPICalls rule matches.
fn denied(n: usize) -> String {
    (0..n)
        .map(|i| format!(r#",{{"eventTime":"2026-11-25T08:40:00Z","eventName":"GetObject","eventID":"denied-{i}","errorCode":"AccessDenied","sourceIPAddress":"203.0.113.9","userIdentity":{{"type":"IAMUser","userName":"mallory"}}}}"#))
        .collect()
}

fn object(key: &str) -> ObjectRef {
    ObjectRef {
        bucket: "trail".into(),
        key: key.into(),
        version_id: None,
        etag: None,
        size: None,
    }
}

fn attempt(owner: &str) -> Attempt {
    Attempt {
        owner: owner.into(),
        lease: Lease::Until(UnixSeconds(now().0 + 900)),
    }
}

/// StartInstances SampleCount per user over every accepted request.
fn start_counts(sink: &Sink) -> HashMap<String, f64> {
    let mut counts = HashMap::new();
    for d in sink.accepted.lock().unwrap().iter().flatten() {
        if &*d.metric_name == "StartInstances" {
            *counts.entry(d.dimensions[0].1.clone()).or_default() += d.statistics.sample_count;
        }
    }
    counts
}

#[tokio::test]
async fn publishes_once_and_skips_a_second_delivery() {
    let ing = ingest(&[(KEY, log(3, "2026-11-25T08:55:10Z"))], vec![]);
    let p = published(&ing, KEY, "r1").await;
    assert_eq!(
        (p.events, p.requests, p.requests_sent, p.resumed_at),
        (3, 1, 1, 0)
    );
    assert_eq!(
        p.newest_event,
        UnixSeconds::parse_rfc3339("2026-11-25T08:55:10Z")
    );
    let again = ing
        .publish_object(&object(KEY), &attempt("r2"))
        .await
        .unwrap();
    assert_eq!(again, Outcome::AlreadyPublished { requests: 1 });
    assert_eq!(*ing.sink.calls.lock().unwrap(), 1);
    assert_eq!(start_counts(&ing.sink).len(), 3);
    assert!(ing.store.markers.lock().unwrap()[KEY].0.is_complete());
}

#[tokio::test]
async fn a_retry_after_a_failed_batch_sends_only_the_rest() {
    // 2,500 users: three requests of at most 1,000 datums. The second fails.
    let mut bytes = log(2500, "2026-11-25T08:55:10Z");
    bytes.truncate(bytes.len() - 2);
    bytes.extend_from_slice(format!("{}]}}", denied(3)).as_bytes());
    let (ing, logged) = logging(ingest(&[(KEY, bytes)], vec![2]));
    let err = ing
        .publish_object(&object(KEY), &attempt("r1"))
        .await
        .unwrap_err();
    assert_eq!(
        logged.lock().unwrap().len(),
        3,
        "evidence is logged before publishing"
    );
    assert!(err.retryable(), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("s3://trail/{KEY}: PutMetricData request 2 of 3")),
        "{text}"
    );
    let marker = ing.store.markers.lock().unwrap()[KEY].0.clone();
    assert_eq!(
        (marker.done, marker.total, marker.lease),
        (1, 3, 0),
        "lease released after the failure"
    );
    // Lambda's retry, with another request ID.
    let p = published(&ing, KEY, "r2").await;
    assert_eq!((p.requests_sent, p.resumed_at), (2, 1));
    assert_eq!(p.evidence, 0, "evidence was logged by the first attempt");
    assert_eq!(logged.lock().unwrap().len(), 3);
    let counts = start_counts(&ing.sink);
    assert_eq!(counts.len(), 2500);
    assert!(
        counts.values().all(|c| *c == 1.0),
        "every user counted exactly once"
    );
}

#[tokio::test]
async fn a_live_lease_of_another_invocation_is_retryable() {
    let ing = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
    let rules = ing.engine.rules().fingerprint();
    let p = Progress {
        etag: format!("etag-{KEY}"),
        rules,
        done: 0,
        total: 1,
        lease: now().0 + 60,
        owner: "other".into(),
        content: None,
        earlier: Vec::new(),
    };
    ing.store
        .markers
        .lock()
        .unwrap()
        .insert(KEY.into(), (p.clone(), 1));
    let err = ing
        .publish_object(&object(KEY), &attempt("r1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, PublishErrorKind::InProgress { .. }) && err.retryable(),
        "{err}"
    );
    assert_eq!(err.error_type(), "Retryable.InProgress");
    assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
    // Once the lease has run out, the object is taken over.
    ing.store.markers.lock().unwrap().insert(
        KEY.into(),
        (
            Progress {
                lease: now().0 - 1,
                ..p
            },
            1,
        ),
    );
    assert!(matches!(
        ing.publish_object(&object(KEY), &attempt("r1"))
            .await
            .unwrap(),
        Outcome::Published(_)
    ));
}

#[tokio::test]
async fn a_marker_changed_since_it_was_read_stops_the_claim() {
    let store = Store {
        // Another invocation writes right after this one read.
        after_load: Some(Box::new(|store: &Store, o: &ObjectRef, _| {
            let p = Progress {
                etag: "x".into(),
                rules: "r".into(),
                done: 0,
                total: 1,
                lease: 0,
                owner: "o".into(),
                content: None,
                earlier: Vec::new(),
            };
            store.put_marker(&o.key, p, 7);
            None
        })),
        ..Store::default()
    };
    let base = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
    let ing = with_store(base, store);
    let err = ing
        .publish_object(&object(KEY), &attempt("r1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, PublishErrorKind::Marker(SaveError::Conflict)) && err.retryable(),
        "{err}"
    );
    assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_store_without_compare_and_swap_looks_again_before_claiming() {
    // Like tags: no compare-and-swap. Another invocation claims the object while this one reads it.
    let store = Store {
        atomic: false,
        after_load: Some(Box::new(|_: &Store, o: &ObjectRef, n| {
            (n == 2).then(|| {
                Ok(Some(Stored {
                    progress: Progress {
                        etag: format!("etag-{}", o.key),
                        rules: "r".into(),
                        done: 0,
                        total: 1,
                        lease: now().0 + 300,
                        owner: "other".into(),
                        content: None,
                        earlier: Vec::new(),
                    },
                    token: None,
                }))
            })
        })),
        ..Store::default()
    };
    let base = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
    let ing = with_store(base, store);
    let err = ing
        .publish_object(&object(KEY), &attempt("r1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, PublishErrorKind::InProgress { .. }),
        "{err}"
    );
    assert_eq!(ing.store.loads.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_conflict_on_a_write_that_went_through_is_success() {
    // A marker write that went through but answered "conflict", as when the SDK retries a conditional
    // PUT whose first try succeeded.
    let store = Store {
        after_save: Some(Box::new(|p: &Progress, result| match result {
            Ok(_) if p.done > 0 => Err(SaveError::Conflict),
            other => other,
        })),
        ..Store::default()
    };
    let base = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
    let ing = with_store(base, store);
    let outcome = ing
        .publish_object(&object(KEY), &attempt("r1"))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Published(_)), "{outcome:?}");
    assert!(ing.store.markers.lock().unwrap()[KEY].0.is_complete());
}

#[tokio::test]
async fn a_duplicate_with_an_etag_is_settled_without_reading_the_object() {
    let ing = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
    ing.publish_object(&object(KEY), &attempt("r1"))
        .await
        .unwrap();
    let mut again = object(KEY);
    again.etag = Some(format!("etag-{KEY}"));
    // Remove the object: only the marker can answer now.
    let ing = Publisher {
        source: Source::default(),
        ..ing
    };
    assert_eq!(
        ing.publish_object(&again, &attempt("r2")).await.unwrap(),
        Outcome::AlreadyPublished { requests: 1 }
    );
}

#[tokio::test]
async fn a_corrupt_object_publishes_nothing_and_is_permanent() {
    let mut bytes = log(3, "2026-11-25T08:55:10Z");
    bytes.truncate(bytes.len() - 40);
    let ing = ingest(&[(KEY, bytes)], vec![]);
    let err = ing
        .publish_object(&object(KEY), &attempt("r1"))
        .await
        .unwrap_err();
    assert!(!err.retryable());
    assert_eq!(err.error_type(), "Permanent.CorruptObject");
    assert!(
        err.to_string()
            .starts_with(&format!("s3://trail/{KEY}: corrupt log file")),
        "{err}"
    );
    assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
    assert!(ing.store.markers.lock().unwrap().is_empty());
}

#[tokio::test]
async fn digests_are_skipped_by_key_and_by_content() {
    let digest_key = KEY.replace("/CloudTrail/", "/CloudTrail-Digest/");
    let digest = br#"{"awsAccountId":"1","digestStartTime":"2026-11-25T08:00:00Z","digestEndTime":"2026-11-25T09:00:00Z","logFiles":[]}"#.to_vec();
    let ing = ingest(&[(&digest_key, digest.clone()), (KEY, digest)], vec![]);
    assert_eq!(
        ing.publish_object(&object(&digest_key), &attempt("r"))
            .await
            .unwrap(),
        Outcome::SkippedKey(KeyKind::Digest)
    );
    assert_eq!(
        ing.publish_object(&object(KEY), &attempt("r"))
            .await
            .unwrap(),
        Outcome::SkippedContent(FileKind::Digest)
    );
    assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_partial_publish_with_other_rules_is_refused() {
    let ing = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
    let p = Progress {
        etag: format!("etag-{KEY}"),
        rules: "0000000000000000".into(),
        done: 1,
        total: 2,
        lease: 0,
        owner: "old".into(),
        content: None,
        earlier: Vec::new(),
    };
    ing.store.markers.lock().unwrap().insert(KEY.into(), (p, 1));
    let err = ing
        .publish_object(&object(KEY), &attempt("r1"))
        .await
        .unwrap_err();
    assert!(
        !err.retryable()
            && err
                .to_string()
                .contains("Deploy the rules with fingerprint 0000000000000000 again"),
        "{err}"
    );
    assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_new_version_of_an_object_is_published_again() {
    let ing = ingest(&[(KEY, log(1, "2026-11-25T08:55:10Z"))], vec![]);
    let p = Progress {
        etag: "older".into(),
        rules: ing.engine.rules().fingerprint(),
        done: 1,
        total: 1,
        lease: 0,
        owner: "old".into(),
        content: None,
        earlier: Vec::new(),
    };
    ing.store.markers.lock().unwrap().insert(KEY.into(), (p, 1));
    assert!(matches!(
        ing.publish_object(&object(KEY), &attempt("r1"))
            .await
            .unwrap(),
        Outcome::Published(_)
    ));
    assert_eq!(
        ing.store.markers.lock().unwrap()[KEY].0.etag,
        format!("etag-{KEY}")
    );
}

#[tokio::test]
async fn datums_cloudwatch_would_refuse_are_counted_not_sent() {
    let ing = ingest(&[(KEY, log(2, "2026-11-01T08:00:00Z"))], vec![]);
    let p = published(&ing, KEY, "r1").await;
    assert!(p.out_of_window >= 2, "{p:?}");
    assert_eq!(p.requests_sent, 0);
    assert_eq!(*ing.sink.calls.lock().unwrap(), 0);
    assert!(ing.store.markers.lock().unwrap()[KEY].0.is_complete());
}

#[tokio::test]
async fn evidence_names_the_rule_and_the_event() {
    let root = br#"{"Records":[{"eventTime":"2026-11-25T08:50:00Z","eventName":"ConsoleLogin","eventID":"e-1","eventType":"AwsConsoleSignIn","sourceIPAddress":"198.51.100.7","recipientAccountId":"111122223333","awsRegion":"us-east-1","userIdentity":{"type":"Root"}}]}"#.to_vec();
    let (ing, logged) = logging(ingest(&[(KEY, root)], vec![]));
    let p = published(&ing, KEY, "r1").await;
    let logged = logged.lock().unwrap();
    assert_eq!(p.evidence, logged.len());
    let e = logged
        .iter()
        .find(|e| e.rule == "RootAccountUsage")
        .expect("root usage evidence");
    assert_eq!(e.event_id.as_deref(), Some("e-1"));
    assert_eq!(e.principal.as_deref(), Some("root"));
    assert_eq!(e.source_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(
        (e.account.as_deref(), e.region.as_deref()),
        (Some("111122223333"), Some("us-east-1"))
    );
}

#[test]
fn progress_round_trips_and_rejects_garbage() {
    let p = Progress {
        etag: "abc-2".into(),
        rules: "0123".into(),
        done: 2,
        total: 5,
        lease: 17,
        owner: "req-1".into(),
        content: None,
        earlier: Vec::new(),
    };
    assert_eq!(Progress::parse(&p.encode()), Ok(p.clone()));
    // The content hash, when known, round-trips; the longest marker fits an S3 tag value (256).
    let hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let hashed = Progress {
        etag: format!("{}-10000", "f".repeat(32)),
        rules: "0123456789abcdef".into(),
        done: 10_000,
        total: 10_000,
        lease: 9_999_999_999,
        owner: "o".repeat(MAX_OWNER_CHARS),
        content: ContentHash::from_hex(hash),
        earlier: Vec::new(),
    };
    let text = hashed.encode();
    assert!(text.ends_with(&format!(" sha256={hash}")), "{text}");
    assert!(text.len() <= 256, "{} characters: {text}", text.len());
    assert_eq!(Progress::parse(&text), Ok(hashed));
    assert_eq!(
        Progress::parse(&format!("{} sha256=abc", p.encode())),
        Err(ProgressError::NotAHash("abc".into()))
    );
    assert!(Progress::parse("v2 x").is_err());
    assert!(Progress::parse("v1 etag=a").is_err());
    assert!(Progress::parse("v1 etag=a rules=b done=3 total=2 lease=0 owner=o").is_err());
    assert!(Progress::parse("v1 etag=a rules=b done=x total=2 lease=0 owner=o").is_err());
}

fn sha256(data: &[u8]) -> ContentHash {
    use sha2::Digest as _;
    ContentHash(sha2::Sha256::digest(data).into())
}

fn marker(publisher: &Publisher<Source, Sink, Store>, key: &str) -> Option<Progress> {
    let markers = publisher.store.markers.lock().unwrap();
    markers.get(key).map(|(p, _)| p.clone())
}

#[tokio::test]
async fn a_log_with_nothing_to_publish_is_marked_published_with_its_content_hash() {
    let empty = br#"{"Records":[]}"#.to_vec();
    let ing = ingest(&[(KEY, empty.clone())], vec![]);
    let p = published(&ing, KEY, "r1").await;
    assert_eq!((p.requests, p.requests_sent), (0, 0));
    let m = marker(&ing, KEY).expect("a marker for a file with no datums");
    assert!(m.is_complete(), "{m:?}");
    assert_eq!((m.done, m.total, m.lease), (0, 0, 0));
    assert_eq!(m.content, Some(sha256(&empty)));
    // A second notification is settled by the marker.
    assert!(matches!(
        ing.publish_object(&object(KEY), &attempt("r2")).await,
        Ok(Outcome::AlreadyPublished { requests: 0 })
    ));
}

#[tokio::test]
async fn a_published_log_is_marked_with_the_hash_of_its_decompressed_content() {
    let data = log(3, "2026-11-25T08:55:10Z");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &data).unwrap();
    let ing = ingest(&[(KEY, gz.finish().unwrap())], vec![]);
    published(&ing, KEY, "r1").await;
    let m = marker(&ing, KEY).unwrap();
    assert!(m.is_complete());
    assert_eq!(m.content, Some(sha256(&data)));
}

#[tokio::test]
async fn a_listed_log_whose_bytes_are_not_the_listed_ones_is_tampered_and_nothing_is_published() {
    let data = log(2, "2026-11-25T08:55:10Z");
    let ing = ingest(&[(KEY, data.clone())], vec![]);
    let listed = sha256(b"what CloudTrail delivered");
    let err = ing
        .publish_listed(&object(KEY), listed, &attempt("r1"))
        .await
        .unwrap_err();
    match &err.kind {
        PublishErrorKind::Tampered { listed: l, found } => {
            assert_eq!((*l, *found), (listed, sha256(&data)));
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.retryable());
    assert_eq!(err.error_type(), "Permanent.Tampered");
    let text = err.to_string();
    assert!(text.starts_with(&format!("s3://trail/{KEY}: ")), "{text}");
    assert!(
        text.contains(&listed.to_string()) && text.contains("nothing published"),
        "{text}"
    );
    assert!(ing.sink.accepted.lock().unwrap().is_empty());
    assert_eq!(marker(&ing, KEY), None, "nothing claimed");

    // The bytes CloudTrail listed are published as any log file is.
    let p = match ing
        .publish_listed(&object(KEY), sha256(&data), &attempt("r2"))
        .await
    {
        Ok(Outcome::Published(p)) => p,
        other => panic!("{other:?}"),
    };
    assert_eq!(p.events, 2);
    assert_eq!(start_counts(&ing.sink).len(), 2);
    assert_eq!(marker(&ing, KEY).unwrap().content, Some(sha256(&data)));
}

#[tokio::test]
async fn a_notification_for_a_version_since_overwritten_publishes_nothing() {
    let ing = ingest(&[(KEY, log(2, "2026-11-25T08:55:10Z"))], vec![]);
    let announced = ObjectRef {
        etag: Some("etag-of-an-earlier-version".into()),
        ..object(KEY)
    };
    let err = ing
        .publish_object(&announced, &attempt("r1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err.kind, PublishErrorKind::Superseded { notified } if notified == "etag-of-an-earlier-version"),
        "{err}"
    );
    assert!(!err.retryable());
    assert_eq!(err.error_type(), "Permanent.Superseded");
    assert!(
        err.to_string()
            .contains("overwritten after its notification"),
        "{err}"
    );
    assert!(ing.sink.accepted.lock().unwrap().is_empty());
    assert_eq!(marker(&ing, KEY), None);
    // The version the source holds is read when it is the one announced.
    let current = ObjectRef {
        etag: Some(format!("etag-{KEY}")),
        ..object(KEY)
    };
    assert!(matches!(
        ing.publish_object(&current, &attempt("r2")).await,
        Ok(Outcome::Published(_))
    ));
}

#[tokio::test]
async fn a_late_notification_for_an_earlier_version_counts_nothing_again() {
    let mut ing = ingest(&[(KEY, log(2, "2026-11-25T08:55:10Z"))], vec![]);
    let first = format!("etag-{KEY}");
    published(&ing, KEY, "r1").await;
    // Overwritten: a second version, with its own notification.
    ing.source.0.insert(
        KEY.into(),
        (log(3, "2026-11-25T08:56:10Z"), "etag-v2".into()),
    );
    let v2 = ObjectRef {
        etag: Some("etag-v2".into()),
        ..object(KEY)
    };
    assert!(matches!(
        ing.publish_object(&v2, &attempt("r2")).await,
        Ok(Outcome::Published(_))
    ));
    let m = marker(&ing, KEY).unwrap();
    assert_eq!(
        (m.etag.as_str(), m.earlier.clone()),
        ("etag-v2", vec![first.clone()])
    );
    let requests = ing.sink.accepted.lock().unwrap().len();
    // The first version's notification again (a versioned bucket still serves that version).
    let v1 = ObjectRef {
        etag: Some(first.clone()),
        ..object(KEY)
    };
    assert_eq!(
        ing.publish_object(&v1, &attempt("r3")).await.unwrap(),
        Outcome::AlreadyPublished { requests: 0 }
    );
    assert_eq!(ing.sink.accepted.lock().unwrap().len(), requests);
    // Remembered through the marker's text, and bounded.
    assert_eq!(Progress::parse(&m.encode()), Ok(m.clone()));
    let many = Progress {
        earlier: (0..20).map(|i| format!("e{i}")).collect(),
        ..m.clone()
    };
    assert_eq!(Progress::parse(&many.encode()), Ok(many.clone()));
    let kept = super::earlier_versions(Some(&many), "next");
    assert_eq!(kept.len(), MAX_EARLIER_ETAGS);
    assert_eq!(
        kept.last().map(String::as_str),
        Some("etag-v2"),
        "the newest kept"
    );
    assert!(!kept.contains(&"e0".to_owned()), "the oldest dropped");
}

#[tokio::test]
async fn what_gives_no_datum_is_counted_not_lost() {
    // Not an object; no eventTime; a StartInstances with no one behind it (no dimension value).
    let data = br#"{"Records":[5,{"eventName":"StartInstances"},{"eventTime":"2026-11-25T08:55:10Z","eventName":"StartInstances","eventSource":"ec2.amazonaws.com","eventID":"anon"}]}"#;
    let ing = ingest(&[(KEY, data.to_vec())], vec![]);
    let p = published(&ing, KEY, "r1").await;
    assert_eq!(p.records_unusable, 2, "{p:?}");
    assert_eq!(p.matches_dropped, 1, "{p:?}");
    assert_eq!(p.records, 3);
}
