//! Every case a digest can show, on fakes: published, lost and recovered, late, overwritten, deleted,
//! and the chain's missing, altered and gapped links.

use std::io::Write;
use std::sync::Arc;

use serde_json::json;
use sha2::Digest as _;

use super::*;
use crate::cloudtrail::{ContentHash, ReadLimits};
use crate::engine::Engine;
use crate::fakes::{CasStore, MemorySource, RecordingSink};
use crate::publish::{Lease, NoProgress, Progress};
use crate::rules::ruleset::RuleSet;

const ACCOUNT: &str = "111122223333";
const BUCKET: &str = "trail";

fn t(text: &str) -> UnixSeconds {
    UnixSeconds::parse_rfc3339(text).unwrap()
}

/// Two hours after the digests below end: past the grace period.
fn now() -> UnixSeconds {
    t("2026-11-25T12:00:00Z")
}

fn log_key(name: &str) -> String {
    format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/25/{ACCOUNT}_CloudTrail_us-east-1_{name}.json.gz")
}

fn digest_key(end: &str) -> String {
    format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/11/25/{ACCOUNT}_CloudTrail-Digest_us-east-1_main_us-east-1_{end}.json.gz")
}

/// A log with `n` StartInstances calls by `user`.
fn log(n: usize, user: &str) -> Vec<u8> {
    let records: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"eventTime":"2026-11-25T09:10:00Z","eventName":"StartInstances","eventSource":"ec2.amazonaws.com","eventID":"{user}-{i}","userIdentity":{{"type":"IAMUser","userName":"{user}"}}}}"#))
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(",")).into_bytes()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn sha256(data: &[u8]) -> ContentHash {
    ContentHash(sha2::Sha256::digest(data).into())
}

/// A digest in CloudTrail's documented format (decompressed), listing `files` (key, content as
/// delivered), covering the hour that ends at `end`, after `previous` (key, decompressed bytes).
fn digest(end: &str, files: &[(&str, &[u8])], previous: Option<(&str, &[u8])>) -> Vec<u8> {
    let end_time = t(end);
    let stamp = |s: UnixSeconds| s.to_string();
    let key = digest_key(&compact(end));
    let logs: Vec<_> = files
        .iter()
        .map(|(k, content)| {
            json!({"s3Bucket": BUCKET, "s3Object": k, "hashValue": sha256(content).to_string(),
                "hashAlgorithm": "SHA-256", "newestEventTime": "2026-11-25T09:10:00Z",
                "oldestEventTime": "2026-11-25T09:10:00Z"})
        })
        .collect();
    let (pb, pk, ph, pa, ps) = match previous {
        Some((k, bytes)) => (
            json!(BUCKET),
            json!(k),
            json!(sha256(bytes).to_string()),
            json!("SHA-256"),
            json!("00ff"),
        ),
        None => (
            json!(null),
            json!(null),
            json!(null),
            json!(null),
            json!(null),
        ),
    };
    json!({
        "awsAccountId": ACCOUNT,
        "digestStartTime": stamp(UnixSeconds(end_time.0 - 3600)),
        "digestEndTime": stamp(end_time),
        "digestS3Bucket": BUCKET,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": null,
        "oldestEventTime": null,
        "previousDigestS3Bucket": pb,
        "previousDigestS3Object": pk,
        "previousDigestHashValue": ph,
        "previousDigestHashAlgorithm": pa,
        "previousDigestSignature": ps,
        "logFiles": logs,
    })
    .to_string()
    .into_bytes()
}

/// `2026-11-25T10:01:31Z` as digest file names write it: `20261125T100131Z`.
fn compact(time: &str) -> String {
    time.replace(['-', ':'], "")
}

struct World {
    publisher: Publisher<MemorySource, RecordingSink, CasStore>,
}

impl World {
    fn new(objects: &[(&str, Vec<u8>)]) -> World {
        let rules = RuleSet::builtin("CloudTrailMetrics").unwrap();
        World {
            publisher: Publisher {
                engine: Arc::new(Engine::new(rules, ReadLimits::default()).with_content_hash(true)),
                source: MemorySource(
                    objects
                        .iter()
                        .map(|(k, b)| (k.to_string(), (b.clone(), format!("etag-{}", b.len()))))
                        .collect(),
                ),
                sink: RecordingSink::default(),
                store: CasStore::default(),
                now,
                evidence: None,
            },
        }
    }

    fn verifier(&self, repair: bool) -> Verifier<'_, MemorySource, RecordingSink, CasStore> {
        Verifier {
            publisher: &self.publisher,
            grace_seconds: DEFAULT_GRACE_SECONDS,
            repair,
            signatures: None,
        }
    }

    async fn publish(&self, key: &str) {
        let outcome = self
            .publisher
            .publish_object(&ObjectRef::new(BUCKET, key), &attempt("notified"))
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::Published(_)), "{outcome:?}");
    }

    async fn verify(&self, key: &str, repair: bool) -> DigestReport {
        self.verifier(repair)
            .verify(&ObjectRef::new(BUCKET, key), &attempt("digest"))
            .await
            .unwrap()
    }

    fn requests(&self) -> usize {
        self.publisher.sink.accepted().len()
    }
}

fn attempt(owner: &str) -> Attempt {
    Attempt {
        owner: owner.into(),
        lease: Lease::Until(UnixSeconds(now().0 + 900)),
    }
}

fn checks(report: &DigestReport) -> Vec<FileCheck> {
    report.files.iter().map(|(_, c)| c.clone()).collect()
}

/// Two consecutive digests and their files; the second lists `a` and `b`.
struct Chain {
    first_key: String,
    first: Vec<u8>,
    second_key: String,
    a: (String, Vec<u8>),
    b: (String, Vec<u8>),
}

fn chain() -> Chain {
    let a = (log_key("20261125T0915Z_a"), log(2, "alice"));
    let b = (log_key("20261125T0920Z_b"), log(3, "bob"));
    let first = digest("2026-11-25T09:01:31Z", &[], None);
    let first_key = digest_key("20261125T090131Z");
    Chain {
        second_key: digest_key("20261125T100131Z"),
        first_key,
        first,
        a,
        b,
    }
}

impl Chain {
    fn second(&self, listed_b: &[u8]) -> Vec<u8> {
        digest(
            "2026-11-25T10:01:31Z",
            &[(&self.a.0, &self.a.1), (&self.b.0, listed_b)],
            Some((&self.first_key, &self.first)),
        )
    }

    fn world(&self, b_now: Option<&[u8]>) -> World {
        let mut objects = vec![
            (self.first_key.as_str(), gzip(&self.first)),
            (self.second_key.as_str(), gzip(&self.second(&self.b.1))),
            (self.a.0.as_str(), gzip(&self.a.1)),
        ];
        if let Some(b) = b_now {
            objects.push((self.b.0.as_str(), gzip(b)));
        }
        World::new(&objects)
    }
}

#[tokio::test]
async fn every_listed_file_published_and_a_linked_chain_is_in_order() {
    let c = chain();
    let w = c.world(Some(&c.b.1));
    w.publish(&c.a.0).await;
    w.publish(&c.b.0).await;
    let before = w.requests();
    let report = w.verify(&c.second_key, true).await;
    assert_eq!(
        checks(&report),
        [FileCheck::Published, FileCheck::Published]
    );
    assert_eq!(report.chain, ChainCheck::Linked);
    assert_eq!(report.moved_from, None);
    assert_eq!(report.findings(), Vec::<String>::new());
    assert_eq!(w.requests(), before, "nothing published again");
    let mut tally = Tally::default();
    tally.add(&report);
    assert_eq!((tally.files_listed, tally.files_published), (2, 2));
    assert!(!tally.alarming());
    // The first digest is a chain start with no files.
    let first = w.verify(&c.first_key, true).await;
    assert_eq!(
        (first.files.len(), first.chain.clone()),
        (0, ChainCheck::Start)
    );
}

#[tokio::test]
async fn a_file_whose_notification_was_lost_is_recovered_once() {
    let c = chain();
    let w = c.world(Some(&c.b.1));
    w.publish(&c.a.0).await;
    let report = w.verify(&c.second_key, true).await;
    assert_eq!(
        checks(&report),
        [
            FileCheck::Published,
            FileCheck::Recovered {
                late: false,
                requests: 1
            }
        ]
    );
    let findings = report.findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].starts_with(&format!("s3://{BUCKET}/{}: RECOVERED", c.b.0)),
        "{findings:?}"
    );
    let mut tally = Tally::default();
    tally.add(&report);
    assert_eq!(tally.files_recovered, 1);
    // Published through the markers: a second check, or the notification arriving at last, counts
    // nothing again.
    let requests = w.requests();
    let again = w.verify(&c.second_key, true).await;
    assert_eq!(checks(&again), [FileCheck::Published, FileCheck::Published]);
    w.publisher
        .publish_object(
            &ObjectRef::new(BUCKET, &c.b.0),
            &attempt("late-notification"),
        )
        .await
        .map(|o| assert!(matches!(o, Outcome::AlreadyPublished { .. }), "{o:?}"))
        .unwrap();
    assert_eq!(w.requests(), requests);
}

#[tokio::test]
async fn without_repair_an_unpublished_file_is_reported_and_nothing_is_published() {
    let c = chain();
    let w = c.world(Some(&c.b.1));
    let report = w.verify(&c.second_key, false).await;
    assert_eq!(
        checks(&report),
        [FileCheck::Unpublished, FileCheck::Unpublished]
    );
    assert_eq!(w.requests(), 0);
    let mut tally = Tally::default();
    tally.add(&report);
    assert!(tally.alarming());
    assert!(
        report.findings()[0].contains("NOT PUBLISHED"),
        "{:?}",
        report.findings()
    );
}

#[tokio::test]
async fn a_file_delivered_within_the_grace_period_is_late_not_lost() {
    let c = chain();
    let mut w = c.world(Some(&c.b.1));
    // The digest ended ten minutes ago.
    w.publisher.now = || t("2026-11-25T10:11:31Z");
    w.publish(&c.a.0).await;
    let report = w.verify(&c.second_key, true).await;
    assert_eq!(
        report.files[1].1,
        FileCheck::Recovered {
            late: true,
            requests: 1
        }
    );
    assert_eq!(
        report.findings(),
        Vec::<String>::new(),
        "late is no finding"
    );
}

#[tokio::test]
async fn a_file_overwritten_after_delivery_is_tampered_published_or_not() {
    let c = chain();
    let forged = log(50, "mallory");
    // Overwritten before anything read it: its notification counted the forged events.
    let w = c.world(Some(&forged));
    w.publish(&c.a.0).await;
    w.publish(&c.b.0).await;
    let report = w.verify(&c.second_key, true).await;
    assert_eq!(
        report.files[1].1,
        FileCheck::Tampered {
            found: sha256(&forged),
            counted: true
        }
    );
    // Overwritten before it was published: refused, nothing counted from it.
    let w = c.world(Some(&forged));
    w.publish(&c.a.0).await;
    let before = w.requests();
    let report = w.verify(&c.second_key, true).await;
    assert_eq!(
        report.files[1].1,
        FileCheck::Tampered {
            found: sha256(&forged),
            counted: false
        }
    );
    assert_eq!(w.requests(), before);
    let findings = report.findings();
    assert!(
        findings[0].contains("TAMPERED") && findings[0].contains("not published"),
        "{findings:?}"
    );
    let mut tally = Tally::default();
    tally.add(&report);
    assert_eq!(tally.files_tampered, 1);
    assert!(tally.alarming());
}

#[tokio::test]
async fn a_deleted_file_is_missing_by_name() {
    let c = chain();
    let w = c.world(None);
    w.publish(&c.a.0).await;
    let report = w.verify(&c.second_key, true).await;
    match &report.files[1] {
        (object, FileCheck::Missing(why)) => {
            assert_eq!(object.key, c.b.0);
            assert!(why.contains("NoSuchKey"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert!(report.findings()[0].contains("MISSING"));
}

#[tokio::test]
async fn a_file_another_invocation_is_publishing_is_in_progress() {
    let c = chain();
    let w = c.world(Some(&c.b.1));
    w.publish(&c.a.0).await;
    w.publisher
        .store
        .put_marker(&c.b.0, held("e", now().0 + 60, "notified"), 1);
    let report = w.verify(&c.second_key, true).await;
    assert_eq!(report.files[1].1, FileCheck::InProgress);
    assert_eq!(report.findings(), Vec::<String>::new());
}

#[tokio::test]
async fn a_missing_previous_digest_and_an_altered_one_are_found() {
    let c = chain();
    let w = World::new(&[
        (&c.second_key, gzip(&c.second(&c.b.1))),
        (&c.a.0, gzip(&c.a.1)),
        (&c.b.0, gzip(&c.b.1)),
    ]);
    let report = w.verify(&c.second_key, false).await;
    assert_eq!(
        report.chain,
        ChainCheck::PreviousMissing(ObjectRef::new(BUCKET, &c.first_key))
    );
    let mut tally = Tally::default();
    tally.add(&report);
    assert_eq!(tally.digests_missing, 1);

    let altered = digest("2026-11-25T09:01:31Z", &[(&c.a.0, &c.a.1)], None);
    let w = World::new(&[
        (&c.first_key, gzip(&altered)),
        (&c.second_key, gzip(&c.second(&c.b.1))),
    ]);
    let report = w.verify(&c.second_key, false).await;
    assert_eq!(
        report.chain,
        ChainCheck::PreviousAltered {
            previous: ObjectRef::new(BUCKET, &c.first_key),
            found: sha256(&altered)
        }
    );
    assert!(report.findings().last().unwrap().contains("DIGEST ALTERED"));
}

#[tokio::test]
async fn digests_missing_between_two_links_are_a_gap() {
    // The previous digest ended three hours before this one starts.
    let early = digest("2026-11-25T06:01:31Z", &[], None);
    let early_key = digest_key("20261125T060131Z");
    let late = digest("2026-11-25T10:01:31Z", &[], Some((&early_key, &early)));
    let late_key = digest_key("20261125T100131Z");
    let w = World::new(&[(&early_key, gzip(&early)), (&late_key, gzip(&late))]);
    let report = w.verify(&late_key, false).await;
    assert_eq!(
        report.chain,
        ChainCheck::Gap {
            previous: ObjectRef::new(BUCKET, &early_key),
            from: t("2026-11-25T06:01:31Z"),
            to: t("2026-11-25T09:01:31Z"),
        }
    );
    let finding = report.findings().pop().unwrap();
    assert!(finding.contains("DIGESTS MISSING"), "{finding}");
}

#[tokio::test]
async fn a_digest_read_from_another_place_than_it_was_delivered_to_is_moved() {
    let c = chain();
    let moved = "AWSLogs/elsewhere.json.gz";
    let w = World::new(&[(moved, gzip(&c.first))]);
    let report = w.verify(moved, false).await;
    assert_eq!(
        report.moved_from,
        Some(ObjectRef::new(BUCKET, &c.first_key))
    );
    assert!(report.findings()[0].contains("MOVED"));
}

#[tokio::test]
async fn a_digest_cannot_be_checked_without_markers_or_when_it_is_not_one() {
    let c = chain();
    let w = c.world(Some(&c.b.1));
    let off = Publisher {
        engine: Arc::clone(&w.publisher.engine),
        source: MemorySource(w.publisher.source.0.clone()),
        sink: RecordingSink::default(),
        store: NoProgress,
        now,
        evidence: None,
    };
    let err = Verifier {
        publisher: &off,
        grace_seconds: 0,
        repair: true,
        signatures: None,
    }
    .verify(&ObjectRef::new(BUCKET, &c.second_key), &attempt("d"))
    .await
    .unwrap_err();
    assert!(matches!(err.kind, VerifyErrorKind::NoMarkers(_)), "{err}");
    assert!(!err.retryable());
    assert!(err
        .to_string()
        .starts_with(&format!("digest s3://{BUCKET}/{}", c.second_key)));

    let err = w
        .verifier(true)
        .verify(&ObjectRef::new(BUCKET, &c.a.0), &attempt("d"))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Permanent.InvalidDigest", "{err}");
    let err = w
        .verifier(true)
        .verify(&ObjectRef::new(BUCKET, "gone"), &attempt("d"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, VerifyErrorKind::Read(_)) && !err.retryable(),
        "{err}"
    );
}

#[test]
fn a_chain_whose_newest_digest_is_old_is_silent() {
    let report = |end: &str| DigestReport {
        digest: ObjectRef::new(BUCKET, digest_key(&compact(end))),
        moved_from: None,
        start: UnixSeconds(t(end).0 - 3600),
        end: t(end),
        files: Vec::new(),
        chain: ChainCheck::Linked,
        signature: SignatureCheck::NotChecked,
    };
    let reports = [
        report("2026-11-25T09:01:31Z"),
        report("2026-11-25T10:01:31Z"),
    ];
    // Two hours after the newest: still in time.
    assert!(silent_chains(&reports, t("2026-11-25T12:01:31Z")).is_empty());
    let silent = silent_chains(&reports, t("2026-11-25T12:01:32Z"));
    assert_eq!(silent.len(), 1, "one line per chain: {silent:?}");
    assert!(
        silent[0].contains("_20261125T100131Z.json.gz: DIGESTS MISSING")
            && silent[0].contains("ends 2026-11-25T10:01:31Z"),
        "{silent:?}"
    );
}

/// Says a digest's signature is valid when it ends at `valid_end`, and records what it was given.
struct FakeKeys {
    valid_end: UnixSeconds,
    seen: std::sync::Mutex<Vec<(String, Option<String>)>>,
}

impl SignatureChecker for FakeKeys {
    fn check(&self, digest: &Digest, signature: Option<&str>) -> SignatureCheck {
        self.seen
            .lock()
            .unwrap()
            .push((digest.location.key.clone(), signature.map(str::to_owned)));
        if digest.end == self.valid_end {
            SignatureCheck::Valid
        } else {
            SignatureCheck::Invalid("made by another key".into())
        }
    }
}

#[tokio::test]
async fn a_signature_is_checked_only_when_asked_and_a_bad_one_alarms() {
    let c = chain();
    let w = c.world(Some(&c.b.1));
    w.publish(&c.a.0).await;
    w.publish(&c.b.0).await;
    assert_eq!(
        w.verify(&c.second_key, false).await.signature,
        SignatureCheck::NotChecked
    );
    let keys = FakeKeys {
        valid_end: t("2026-11-25T10:01:31Z"),
        seen: Default::default(),
    };
    let verifier = Verifier {
        signatures: Some(&keys),
        ..w.verifier(false)
    };
    let mut tally = Tally::default();
    for key in [&c.second_key, &c.first_key] {
        let report = verifier
            .verify(&ObjectRef::new(BUCKET, key), &attempt("d"))
            .await
            .unwrap();
        tally.add(&report);
        if key == &c.second_key {
            assert_eq!(report.signature, SignatureCheck::Valid);
            assert_eq!(report.findings(), Vec::<String>::new());
        } else {
            assert_eq!(
                report.findings(),
                [
                    format!("s3://{BUCKET}/{}: CHAIN START: no digest before this one (log file validation or logging was started or restarted here)", c.first_key),
                    format!("s3://{BUCKET}/{}: SIGNATURE INVALID: made by another key", c.first_key),
                ]
            );
        }
    }
    // The digest read, not its predecessor read for the chain; with the signature its object
    // carries (the in-memory source keeps none).
    assert_eq!(
        *keys.seen.lock().unwrap(),
        [(c.second_key.clone(), None), (c.first_key.clone(), None)]
    );
    assert_eq!((tally.signatures_valid, tally.signatures_failed), (1, 1));
    assert!(tally.alarming());
    assert!(
        tally.to_string().ends_with("; 1 signatures valid, 1 not"),
        "{tally}"
    );
    let mut unsigned = Tally::default();
    unsigned.add(&DigestReport {
        signature: SignatureCheck::Unsigned,
        ..w.verify(&c.second_key, false).await
    });
    assert!(unsigned.alarming());
    assert!(unsigned
        .to_string()
        .ends_with("; 0 signatures valid, 1 not"));
    let mut unchecked = Tally::default();
    unchecked.add(&w.verify(&c.second_key, false).await);
    assert!(!unchecked.alarming());
    assert!(!unchecked.to_string().contains("signatures"), "{unchecked}");
}

/// The in-memory source, but reading `failing` answers `error`.
struct Failing {
    inner: MemorySource,
    failing: String,
    error: CallError,
}

impl ObjectSource for Failing {
    type Body = std::io::Cursor<Vec<u8>>;

    async fn open(
        &self,
        object: &ObjectRef,
    ) -> Result<crate::publish::Opened<Self::Body>, CallError> {
        if object.key == self.failing {
            return Err(self.error.clone());
        }
        self.inner.open(object).await
    }
}

fn call_error(code: &str, retryable: bool) -> CallError {
    CallError {
        operation: "GetObject",
        code: code.into(),
        message: "injected".into(),
        retryable,
    }
}

/// `world`'s publisher, reading through [`Failing`].
fn failing(
    world: &World,
    failing: &str,
    error: CallError,
) -> Publisher<Failing, RecordingSink, CasStore> {
    Publisher {
        engine: Arc::clone(&world.publisher.engine),
        source: Failing {
            inner: MemorySource(world.publisher.source.0.clone()),
            failing: failing.into(),
            error,
        },
        sink: RecordingSink::default(),
        store: CasStore::default(),
        now,
        evidence: None,
    }
}

/// A check without repair or signatures through `publisher`.
fn checking<S: ObjectSource>(
    publisher: &Publisher<S, RecordingSink, CasStore>,
) -> Verifier<'_, S, RecordingSink, CasStore> {
    Verifier {
        publisher,
        grace_seconds: DEFAULT_GRACE_SECONDS,
        repair: false,
        signatures: None,
    }
}

#[tokio::test]
async fn a_previous_digest_that_cannot_be_read_is_unchecked_not_missing() {
    let c = chain();
    let w = c.world(Some(&c.b.1));
    for (code, retryable) in [("AccessDenied", false), ("SlowDown", true)] {
        let publisher = failing(&w, &c.first_key, call_error(code, retryable));
        let report = checking(&publisher)
            .verify(&ObjectRef::new(BUCKET, &c.second_key), &attempt("d"))
            .await
            .unwrap();
        match &report.chain {
            ChainCheck::Unchecked {
                previous,
                error,
                retryable: r,
            } => {
                assert_eq!(previous.key, c.first_key);
                assert!(error.contains(code), "{error}");
                assert_eq!(*r, retryable, "{code}");
            }
            other => panic!("{code}: {other:?}"),
        }
        assert_eq!(report.retry_may_help(), retryable, "{code}");
        let mut tally = Tally::default();
        tally.add(&report);
        assert_eq!((tally.chains_unchecked, tally.digests_missing), (1, 0));
    }
}

#[tokio::test]
async fn a_digest_that_cannot_be_read_says_whether_a_retry_may_help() {
    let c = chain();
    let w = c.world(Some(&c.b.1));
    for (code, retryable, kind) in [
        ("AccessDenied", false, "Permanent.Aws"),
        ("SlowDown", true, "Retryable.Aws"),
    ] {
        let publisher = failing(&w, &c.second_key, call_error(code, retryable));
        let err = checking(&publisher)
            .verify(&ObjectRef::new(BUCKET, &c.second_key), &attempt("d"))
            .await
            .unwrap_err();
        assert_eq!(err.retryable(), retryable, "{err}");
        assert_eq!(err.error_type(), kind, "{err}");
    }
}

#[tokio::test]
async fn a_file_that_cannot_be_published_for_now_is_unchecked_and_may_be_retried() {
    let c = chain();
    let mut w = c.world(Some(&c.b.1));
    w.publish(&c.a.0).await;
    w.publisher.sink.fail_with = Some(CallError {
        operation: "PutMetricData",
        code: "Throttling".into(),
        message: "Rate exceeded".into(),
        retryable: true,
    });
    let report = w.verify(&c.second_key, true).await;
    assert!(
        matches!(&report.files[1].1, FileCheck::Unchecked { retryable: true, error } if error.contains("Throttling")),
        "{:?}",
        report.files[1]
    );
    assert!(report.retry_may_help());
    let mut tally = Tally::default();
    tally.add(&report);
    assert_eq!((tally.files_unchecked, tally.files_missing), (1, 0));
    assert!(!tally.alarming(), "a retry may still publish it");
}

#[tokio::test]
async fn a_marker_taken_between_the_check_and_the_publish_is_in_progress() {
    let c = chain();
    let mut w = c.world(Some(&c.b.1));
    w.publish(&c.a.0).await;
    let b = c.b.0.clone();
    // The verifier's load finds nothing; by the publisher's, another invocation holds it.
    let etag = format!("etag-{}", gzip(&c.b.1).len());
    let taken = std::sync::atomic::AtomicBool::new(false);
    w.publisher.store.after_load = Some(Box::new(move |store, object, _| {
        if object.key != b || taken.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return None;
        }
        store.put_marker(&object.key, held(&etag, now().0 + 60, "notified"), 1);
        Some(Ok(None))
    }));
    let report = w.verify(&c.second_key, true).await;
    assert_eq!(report.files[1].1, FileCheck::InProgress);
}

#[tokio::test]
async fn a_lease_that_has_ended_or_is_ours_is_no_other_invocation_at_work() {
    let c = chain();
    for (lease, owner) in [(now().0, "notified"), (now().0 + 60, "digest")] {
        let w = c.world(Some(&c.b.1));
        w.publish(&c.a.0).await;
        w.publisher.store.put_marker(
            &c.b.0,
            held(&format!("etag-{}", gzip(&c.b.1).len()), lease, owner),
            1,
        );
        let report = w.verify(&c.second_key, false).await;
        assert_eq!(report.files[1].1, FileCheck::Unpublished, "{owner} {lease}");
    }
}

#[tokio::test]
async fn late_is_strictly_within_the_grace_period() {
    let c = chain();
    // The in-memory source has no Last-Modified: the digest's end stands for the delivery.
    let since_end = now().0 - t("2026-11-25T10:01:31Z").0;
    for (grace, late) in [(since_end, false), (since_end + 1, true)] {
        let w = c.world(Some(&c.b.1));
        w.publish(&c.a.0).await;
        let report = Verifier {
            grace_seconds: grace,
            ..w.verifier(true)
        }
        .verify(&ObjectRef::new(BUCKET, &c.second_key), &attempt("d"))
        .await
        .unwrap();
        assert_eq!(
            report.files[1].1,
            FileCheck::Recovered { late, requests: 1 },
            "grace {grace}"
        );
    }
}

#[tokio::test]
async fn a_chain_may_slip_five_minutes_and_no_more() {
    let first = digest("2026-11-25T09:01:31Z", &[], None);
    let first_key = digest_key("20261125T090131Z");
    // Each next digest starts an hour before it ends: 300 and 301 seconds after the first ends.
    for (end, linked) in [
        ("2026-11-25T10:06:31Z", true),
        ("2026-11-25T10:06:32Z", false),
    ] {
        let next = digest(end, &[], Some((&first_key, &first)));
        let next_key = digest_key(&compact(end));
        let w = World::new(&[(&first_key, gzip(&first)), (&next_key, gzip(&next))]);
        let report = w.verify(&next_key, false).await;
        assert_eq!(
            report.chain == ChainCheck::Linked,
            linked,
            "{end}: {:?}",
            report.chain
        );
    }
}

#[tokio::test]
async fn a_digest_is_read_up_to_its_size_limit_and_refused_past_it() {
    let c = chain();
    let padded = |size: u64| {
        let mut bytes = c.first.clone();
        bytes.resize(size as usize, b' ');
        bytes
    };
    let w = World::new(&[
        ("at-limit", padded(MAX_DIGEST_BYTES)),
        ("past-limit", padded(MAX_DIGEST_BYTES + 1)),
    ]);
    let report = w.verify("at-limit", false).await;
    assert_eq!(report.chain, ChainCheck::Start);
    let err = w
        .verifier(false)
        .verify(&ObjectRef::new(BUCKET, "past-limit"), &attempt("d"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, VerifyErrorKind::Digest(DigestError::TooLarge)),
        "{err}"
    );
}

/// A report with `chain`, `moved` or not, and one file per check in `files`.
fn report_with(chain: ChainCheck, moved: bool, files: Vec<FileCheck>) -> DigestReport {
    DigestReport {
        digest: ObjectRef::new(BUCKET, "d"),
        moved_from: moved.then(|| ObjectRef::new(BUCKET, "elsewhere")),
        start: t("2026-11-25T09:01:31Z"),
        end: t("2026-11-25T10:01:31Z"),
        files: files
            .into_iter()
            .enumerate()
            .map(|(i, f)| (ObjectRef::new(BUCKET, format!("f{i}")), f))
            .collect(),
        chain,
        signature: SignatureCheck::NotChecked,
    }
}

#[test]
fn the_tally_counts_each_finding_once_and_says_what_alarms() {
    let previous = ObjectRef::new(BUCKET, "p");
    let found = sha256(b"other");
    type Counter = fn(&Tally) -> u64;
    let cases: [(ChainCheck, bool, Counter, bool); 7] = [
        (ChainCheck::Linked, false, |t| t.digests, false),
        (ChainCheck::Start, false, |t| t.chain_starts, false),
        (
            ChainCheck::PreviousMissing(previous.clone()),
            false,
            |t| t.digests_missing,
            true,
        ),
        (
            ChainCheck::Gap {
                previous: previous.clone(),
                from: t("2026-11-25T06:00:00Z"),
                to: t("2026-11-25T09:00:00Z"),
            },
            false,
            |t| t.digests_missing,
            true,
        ),
        (
            ChainCheck::PreviousAltered {
                previous: previous.clone(),
                found,
            },
            false,
            |t| t.digests_altered,
            true,
        ),
        (
            ChainCheck::Unchecked {
                previous: previous.clone(),
                error: "x".into(),
                retryable: false,
            },
            false,
            |t| t.chains_unchecked,
            false,
        ),
        (ChainCheck::Linked, true, |t| t.digests_altered, true),
    ];
    for (chain, moved, counter, alarming) in cases {
        let report = report_with(chain.clone(), moved, Vec::new());
        let mut tally = Tally::default();
        tally.add(&report);
        tally.add(&report);
        assert_eq!(counter(&tally), 2, "{chain:?} moved {moved}");
        assert_eq!(tally.digests, 2);
        assert_eq!(tally.alarming(), alarming, "{chain:?} moved {moved}");
    }
    let files = vec![
        FileCheck::Published,
        FileCheck::PublishedUnhashed,
        FileCheck::InProgress,
        FileCheck::Unpublished,
        FileCheck::Recovered {
            late: true,
            requests: 1,
        },
        FileCheck::Recovered {
            late: false,
            requests: 1,
        },
        FileCheck::Tampered {
            found,
            counted: true,
        },
        FileCheck::Missing("gone".into()),
        FileCheck::Unchecked {
            error: "x".into(),
            retryable: true,
        },
    ];
    let mut tally = Tally::default();
    tally.add(&report_with(ChainCheck::Linked, false, files));
    assert_eq!(
        tally.to_string(),
        "1 digests, 9 log files listed: 2 published, 1 recovered, 1 late, 1 tampered, 1 missing, 1 not published, 1 in progress, 1 unchecked; 0 digests missing, 0 altered"
    );
    // Each alarming file count alone alarms.
    for file in [
        FileCheck::Unpublished,
        FileCheck::Tampered {
            found,
            counted: false,
        },
        FileCheck::Missing("gone".into()),
    ] {
        let mut tally = Tally::default();
        tally.add(&report_with(ChainCheck::Linked, false, vec![file.clone()]));
        assert!(tally.alarming(), "{file:?}");
    }
}

#[test]
fn a_retry_may_help_only_where_a_check_failed_for_a_passing_reason() {
    let unchecked_file = |retryable| FileCheck::Unchecked {
        error: "x".into(),
        retryable,
    };
    let unchecked_chain = |retryable| ChainCheck::Unchecked {
        previous: ObjectRef::new(BUCKET, "p"),
        error: "x".into(),
        retryable,
    };
    let cases = [
        (ChainCheck::Linked, vec![FileCheck::Published], false),
        (ChainCheck::Linked, vec![unchecked_file(false)], false),
        (
            ChainCheck::Linked,
            vec![FileCheck::Published, unchecked_file(true)],
            true,
        ),
        (unchecked_chain(false), vec![FileCheck::Published], false),
        (unchecked_chain(true), vec![FileCheck::Published], true),
        (unchecked_chain(true), vec![unchecked_file(true)], true),
    ];
    for (chain, files, expected) in cases {
        let report = report_with(chain.clone(), false, files.clone());
        assert_eq!(report.retry_may_help(), expected, "{chain:?} {files:?}");
    }
}

/// A marker another invocation (`owner`) holds until `lease`, half done.
fn held(etag: &str, lease: i64, owner: &str) -> Progress {
    Progress {
        etag: etag.into(),
        rules: "r".into(),
        done: 0,
        total: 2,
        lease,
        owner: owner.into(),
        content: None,
        earlier: Vec::new(),
    }
}
