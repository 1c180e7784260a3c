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
    w.publisher.store.put_marker(
        &c.b.0,
        Progress {
            etag: "e".into(),
            rules: "r".into(),
            done: 0,
            total: 2,
            lease: now().0 + 60,
            owner: "notified".into(),
            content: None,
            earlier: Vec::new(),
        },
        1,
    );
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
