//! One invocation end to end: decode the trigger, publish each object it names exactly once, and answer
//! in the trigger's shape (a summary, SQS `batchItemFailures`, or S3 Batch Operations results).

use lambda_runtime::{tracing, Diagnostic};
use serde_json::{json, Value};
use trailwatch::cloudtrail::{classify_key, KeyKind};
use trailwatch::object_ref::ObjectRef;
use trailwatch::publish::{
    Attempt, MetricSink, ObjectSource, Outcome, ProgressStore, PublishError, Published, Publisher,
};
use trailwatch::triggers::{Invocation, Shape, TriggerError};

use crate::digests::{DigestCheck, DigestFailure};
use crate::health::Health;

/// An invocation that failed as a whole: Lambda retries it (async invocations) or records it.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    #[error("{} of {} objects failed: {}", .failed.len(), .total, .failed.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Objects {
        failed: Vec<ObjectError>,
        total: usize,
    },
}

/// Why one object named by the trigger failed: a log file not published, or a digest not checked.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Digest(#[from] DigestFailure),
}

impl ObjectError {
    pub fn retryable(&self) -> bool {
        match self {
            ObjectError::Publish(e) => e.retryable(),
            ObjectError::Digest(e) => e.retryable(),
        }
    }

    pub fn error_type(&self) -> &'static str {
        match self {
            ObjectError::Publish(e) => e.error_type(),
            ObjectError::Digest(e) => e.error_type(),
        }
    }
}

impl InvocationError {
    /// Lambda's `errorType`: `Retryable.*` when trying again can help, `Permanent.*` when it cannot.
    pub fn error_type(&self) -> &'static str {
        match self {
            InvocationError::Trigger(_) => "Permanent.UnrecognisedEvent",
            InvocationError::Objects { failed, .. } => failed
                .iter()
                .find(|e| e.retryable())
                .or(failed.first())
                .map_or("Permanent.Unknown", ObjectError::error_type),
        }
    }
}

impl From<InvocationError> for Diagnostic {
    fn from(e: InvocationError) -> Diagnostic {
        Diagnostic {
            error_type: e.error_type().into(),
            error_message: e.to_string(),
        }
    }
}

/// The result of one invocation.
#[derive(Debug)]
pub struct Handled {
    /// The answer for Lambda, or the error that fails the invocation.
    pub response: Result<Value, InvocationError>,
    pub health: Health,
}

/// trail-metrics: the publisher plus what the function reports.
pub struct Handler<S, M, P> {
    pub publisher: Publisher<S, M, P>,
    /// How digest files are checked; `None` skips them as files with no events.
    pub digests: Option<DigestCheck>,
}

impl<S: ObjectSource, M: MetricSink, P: ProgressStore> Handler<S, M, P> {
    /// Handles one invocation. Progress and errors are logged with `tracing`; evidence goes where
    /// the ingest's evidence sink sends it.
    pub async fn handle(&self, event: &Value, attempt: &Attempt) -> Handled {
        let mut health = Health::default();
        let invocation = match Invocation::from_event(event) {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(error = %e, "unrecognised event");
                return Handled {
                    response: Err(e.into()),
                    health,
                };
            }
        };
        let Invocation { shape, units } = invocation;
        let mut unit_results = Vec::with_capacity(units.len());
        for unit in units {
            for note in &unit.ignored {
                tracing::info!(
                    note = note.as_str(),
                    "notification names no new object: ignored"
                );
            }
            let result = match unit.objects {
                Err(e) => {
                    tracing::error!(error = %e, "could not read this part of the event");
                    health.files_failed += 1;
                    UnitResult::Undecodable(e)
                }
                Ok(objects) => {
                    let mut failures = Vec::new();
                    let mut summary = Vec::new();
                    for object in &objects {
                        match self.one(object, attempt, &mut health).await {
                            Ok(text) => summary.push(text),
                            Err(e) => failures.push(e),
                        }
                    }
                    UnitResult::Objects {
                        total: objects.len(),
                        summary,
                        failures,
                    }
                }
            };
            unit_results.push((unit.id, result));
        }
        let response = respond(&shape, unit_results);
        Handled { response, health }
    }

    async fn one(
        &self,
        object: &ObjectRef,
        attempt: &Attempt,
        health: &mut Health,
    ) -> Result<String, ObjectError> {
        if let (Some(check), KeyKind::Digest) = (&self.digests, classify_key(&object.key)) {
            return Ok(check.run(&self.publisher, object, attempt, health).await?);
        }
        Ok(self.log_file(object, attempt, health).await?)
    }

    async fn log_file(
        &self,
        object: &ObjectRef,
        attempt: &Attempt,
        health: &mut Health,
    ) -> Result<String, PublishError> {
        let result = self.publisher.publish_object(object, attempt).await;
        let object_name = object.to_string();
        match result {
            Ok(skipped @ (Outcome::SkippedKey(_) | Outcome::SkippedContent(_))) => {
                health.files_skipped += 1;
                let reason = skipped.skip_reason().unwrap_or("");
                tracing::info!(object = object_name, reason, "skipped");
                Ok(format!("{object_name}: skipped, {reason}"))
            }
            Ok(Outcome::AlreadyPublished { requests }) => {
                health.files_duplicate += 1;
                tracing::info!(
                    object = object_name,
                    requests,
                    "already published: not counted again"
                );
                Ok(format!(
                    "{object_name}: already published ({requests} requests), not counted again"
                ))
            }
            Ok(Outcome::Published(p)) => {
                self.published(&object_name, &p, health);
                Ok(format!(
                    "{object_name}: {} events, {} datums, {} of {} requests sent{}",
                    p.events,
                    p.datums,
                    p.requests_sent,
                    p.requests,
                    if p.resumed_at > 0 {
                        format!(" (resumed after {} published before)", p.resumed_at)
                    } else {
                        String::new()
                    }
                ))
            }
            Err(e) => {
                health.files_failed += 1;
                tracing::error!(
                    object = object_name,
                    retryable = e.retryable(),
                    error_type = e.error_type(),
                    error = %e,
                    "failed"
                );
                Err(e)
            }
        }
    }

    fn published(&self, object: &str, p: &Published, health: &mut Health) {
        health.files_processed += 1;
        health.records += p.records;
        health.datums += p.datums as u64;
        health.requests += p.requests_sent as u64;
        health.out_of_window += p.out_of_window as u64;
        if let Some(newest) = p.newest_event {
            let lag = ((self.publisher.now)().0 - newest.0).max(0);
            health.delivery_lag = Some(health.delivery_lag.map_or(lag, |l| l.max(lag)));
        }
        if p.out_of_window > 0 {
            tracing::warn!(
                object,
                datums = p.out_of_window,
                "datums older than 14 days or more than 2 hours ahead: CloudWatch refuses them, not sent"
            );
        }
        health.evidence += p.evidence as u64;
        health.dimension_values_encoded += p.dimension_values_encoded;
        health.dimension_values_folded += p.dimension_values_folded;
        health.matches_dropped += p.matches_dropped;
        health.records_unusable += p.records_unusable;
        if p.matches_dropped + p.records_unusable > 0 {
            tracing::warn!(
                object,
                matches = p.matches_dropped,
                records = p.records_unusable,
                "rule matches without a numeric metricValue or a dimension the event lacks give no datum, and records with no valid eventTime are no event: both counted in MatchesDropped and RecordsUnusable"
            );
        }
        if p.dimension_values_folded > 0 {
            tracing::warn!(
                object,
                matches = p.dimension_values_folded,
                value = trailwatch::metrics::OVERFLOW_DIMENSION_VALUE,
                "a rule published more distinct dimension values in an hour than its maxDimensionValuesPerHour: the rest were published under the overflow value (totals stay exact)"
            );
        }
        if p.evidence_dropped > 0 {
            tracing::warn!(
                object,
                dropped = p.evidence_dropped,
                "more security matches than one file's evidence limit: not logged"
            );
        }
        tracing::info!(
            object,
            events = p.events,
            datums = p.datums,
            requests_sent = p.requests_sent,
            requests = p.requests,
            resumed_at = p.resumed_at,
            "published"
        );
    }
}

enum UnitResult {
    Undecodable(TriggerError),
    Objects {
        total: usize,
        summary: Vec<String>,
        failures: Vec<ObjectError>,
    },
}

/// The answer in the shape the trigger expects.
fn respond(
    shape: &Shape,
    units: Vec<(Option<String>, UnitResult)>,
) -> Result<Value, InvocationError> {
    match shape {
        Shape::Notification(source) => notification_answer(source, units),
        Shape::Sqs => Ok(sqs_answer(units)),
        Shape::BatchOperations {
            schema_version,
            invocation_id,
        } => Ok(batch_operations_answer(
            schema_version,
            invocation_id,
            units,
        )),
    }
}

/// S3, SNS, EventBridge: a summary, or an error that makes Lambda retry the whole event.
fn notification_answer(
    source: &str,
    units: Vec<(Option<String>, UnitResult)>,
) -> Result<Value, InvocationError> {
    let mut all_failures = Vec::new();
    let mut summary = Vec::new();
    let mut total = 0;
    for (_, unit) in units {
        match unit {
            UnitResult::Undecodable(e) => return Err(e.into()),
            UnitResult::Objects {
                total: t,
                summary: s,
                failures,
            } => {
                total += t;
                summary.extend(s);
                all_failures.extend(failures);
            }
        }
    }
    if all_failures.is_empty() {
        Ok(json!({"source": source, "objects": summary}))
    } else {
        Err(InvocationError::Objects {
            failed: all_failures,
            total,
        })
    }
}

/// SQS: the messages that failed go back to the queue; after the queue's maxReceiveCount they reach
/// its dead-letter queue, permanent failures included: nothing is dropped.
fn sqs_answer(units: Vec<(Option<String>, UnitResult)>) -> Value {
    let failures: Vec<Value> = units
        .into_iter()
        .filter(|(_, u)| match u {
            UnitResult::Undecodable(_) => true,
            UnitResult::Objects { failures, .. } => !failures.is_empty(),
        })
        .map(|(id, _)| json!({"itemIdentifier": id.unwrap_or_default()}))
        .collect();
    json!({"batchItemFailures": failures})
}

/// S3 Batch Operations: a result per task, temporary when a retry can help.
fn batch_operations_answer(
    schema_version: &str,
    invocation_id: &str,
    units: Vec<(Option<String>, UnitResult)>,
) -> Value {
    let results: Vec<Value> = units
        .into_iter()
        .map(|(id, u)| {
            let (code, text) = match u {
                UnitResult::Undecodable(e) => ("PermanentFailure", e.to_string()),
                UnitResult::Objects {
                    failures, summary, ..
                } => match failures.first() {
                    Some(e) if e.retryable() => ("TemporaryFailure", e.to_string()),
                    Some(e) => ("PermanentFailure", e.to_string()),
                    None => ("Succeeded", summary.join("; ")),
                },
            };
            json!({"taskId": id.unwrap_or_default(), "resultCode": code, "resultString": text})
        })
        .collect();
    json!({
        "invocationSchemaVersion": schema_version,
        "treatMissingKeysAs": "PermanentFailure",
        "invocationId": invocation_id,
        "results": results,
    })
}

#[cfg(test)]
mod tests {
    //! The answer for every trigger shape, on fakes: what Lambda, SQS and S3 Batch Operations are told
    //! when every object is published, when one is missing, and when a failure may pass.

    use std::sync::Arc;

    use serde_json::Value;
    use trailwatch::cloudtrail::ReadLimits;
    use trailwatch::engine::Engine;
    use trailwatch::error::CallError;
    use trailwatch::fakes::{CasStore, MemorySource, RecordingSink};
    use trailwatch::publish::{Attempt, Lease, Publisher};
    use trailwatch::rules::ruleset::RuleSet;
    use trailwatch::time::UnixSeconds;

    use super::*;

    const S3_PUT: &str = include_str!("../../../events/trail-metrics/s3-put.json");
    const SQS: &str = include_str!("../../../events/trail-metrics/sqs-s3-event.json");
    const BATCH_V1: &str = include_str!("../../../events/trail-metrics/batch-operations-v1.json");
    const BATCH_V2: &str = include_str!("../../../events/trail-metrics/batch-operations-v2.json");
    const EVENTBRIDGE: &str =
        include_str!("../../../events/trail-metrics/eventbridge-object-created.json");
    const DIGEST: &str = include_str!("../../../events/trail-metrics/s3-put-digest.json");

    const LOG: &str = r#"{"Records":[{"eventVersion":"1.08","eventTime":"2026-11-25T09:05:00Z","eventSource":"ec2.amazonaws.com","eventName":"StartInstances","awsRegion":"us-east-1","eventID":"e1","eventType":"AwsApiCall","userIdentity":{"type":"IAMUser","userName":"alice"}}]}"#;

    fn now() -> UnixSeconds {
        UnixSeconds::parse_rfc3339("2026-11-25T10:00:00Z").unwrap()
    }

    /// The log keys an event names, in order.
    fn keys(event: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut rest = event;
        while let Some(start) = rest.find("AWSLogs/") {
            let tail = &rest[start..];
            let end = tail
                .find(".json.gz")
                .map_or(tail.len(), |e| e + ".json.gz".len());
            keys.push(tail[..end].to_owned());
            rest = &tail[end..];
        }
        keys
    }

    /// A handler whose source holds the objects the event names, except `missing`, each a valid
    /// one-event log (or `corrupt` bytes).
    fn handler(
        event: &str,
        missing: &[usize],
        corrupt: &[usize],
        sink: RecordingSink,
    ) -> Handler<MemorySource, RecordingSink, CasStore> {
        let files: Vec<(String, Vec<u8>)> = keys(event)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !missing.contains(i))
            .map(|(i, k)| {
                let body = if corrupt.contains(&i) {
                    b"{\"Records\":[{\"eventTime\":".to_vec()
                } else {
                    LOG.as_bytes().to_vec()
                };
                (k, body)
            })
            .collect();
        let source = announced_source(event, files);
        Handler {
            publisher: Publisher {
                engine: Arc::new(
                    Engine::new(
                        RuleSet::builtin("CloudTrailMetrics").unwrap(),
                        ReadLimits::default(),
                    )
                    .with_content_hash(true),
                ),
                source,
                sink,
                store: CasStore::default(),
                now,
                evidence: None,
            },
            digests: None,
        }
    }

    /// `files` in a source, each with the ETag `event` announces for it (as a real notification's
    /// would), or `etag-<key>` when it names none.
    fn announced_source(event: &str, files: Vec<(String, Vec<u8>)>) -> MemorySource {
        let announced: std::collections::HashMap<String, String> =
            Invocation::from_event(&serde_json::from_str(event).unwrap())
                .map(|i| {
                    i.units
                        .into_iter()
                        .flat_map(|u| u.objects.unwrap_or_default())
                        .filter_map(|o| Some((o.key, o.etag?)))
                        .collect()
                })
                .unwrap_or_default();
        MemorySource(
            files
                .into_iter()
                .map(|(k, b)| {
                    let etag = announced.get(&k).cloned().unwrap_or(format!("etag-{k}"));
                    (k, (b, etag))
                })
                .collect(),
        )
    }

    fn attempt() -> Attempt {
        Attempt {
            owner: "request-1".into(),
            lease: Lease::Until(UnixSeconds(now().0 + 60)),
        }
    }

    fn throttled() -> RecordingSink {
        RecordingSink {
            fail_with: Some(CallError {
                operation: "PutMetricData",
                code: "Throttling".into(),
                message: "Rate exceeded".into(),
                retryable: true,
            }),
            ..RecordingSink::default()
        }
    }

    async fn answer(
        h: &Handler<MemorySource, RecordingSink, CasStore>,
        event: &str,
    ) -> (Result<Value, InvocationError>, Health) {
        let event: Value = serde_json::from_str(event).unwrap();
        let handled = h.handle(&event, &attempt()).await;
        (handled.response, handled.health)
    }

    #[tokio::test]
    async fn a_notification_is_answered_with_a_summary_and_published_once() {
        for event in [S3_PUT, EVENTBRIDGE] {
            let h = handler(event, &[], &[], RecordingSink::default());
            let (response, health) = answer(&h, event).await;
            let response = response.unwrap();
            let summary = response["objects"][0].as_str().unwrap();
            assert!(
                summary.contains("1 events") && summary.contains("1 of 1 requests sent"),
                "{response}"
            );
            assert_eq!(health.files_processed, 1);
            assert_eq!(h.publisher.sink.accepted().len(), 1);
            // The same notification again (S3 delivers at least once): not counted twice.
            let (again, health) = answer(&h, event).await;
            assert!(again.unwrap()["objects"][0]
                .as_str()
                .unwrap()
                .contains("already published"));
            assert_eq!(health.files_duplicate, 1);
            assert_eq!(h.publisher.sink.accepted().len(), 1);
        }
    }

    #[tokio::test]
    async fn a_notification_with_a_failed_object_fails_the_invocation_with_its_error_type() {
        let h = handler(S3_PUT, &[0], &[], RecordingSink::default());
        let (response, health) = answer(&h, S3_PUT).await;
        let err = response.unwrap_err();
        assert_eq!(err.error_type(), "Permanent.Aws");
        assert!(err.to_string().contains("1 of 1 objects failed"), "{err}");
        assert!(err.to_string().contains("NoSuchKey"), "{err}");
        assert_eq!(health.files_failed, 1);
        let retryable = handler(S3_PUT, &[], &[], throttled());
        let err = answer(&retryable, S3_PUT).await.0.unwrap_err();
        assert_eq!(err.error_type(), "Retryable.Aws");
        let diagnostic = Diagnostic::from(err);
        assert_eq!(diagnostic.error_type, "Retryable.Aws");
        assert!(diagnostic.error_message.contains("Throttling"));
    }

    #[tokio::test]
    async fn a_digest_is_skipped_and_an_unknown_event_is_permanent() {
        let h = handler(DIGEST, &[], &[], RecordingSink::default());
        let (response, health) = answer(&h, DIGEST).await;
        assert!(response.unwrap()["objects"][0]
            .as_str()
            .unwrap()
            .contains("skipped, a CloudTrail digest file"));
        assert_eq!(health.files_skipped, 1);
        let (response, _) = answer(&h, r#"{"hello":"world"}"#).await;
        let err = response.unwrap_err();
        assert_eq!(err.error_type(), "Permanent.UnrecognisedEvent");
    }

    #[tokio::test]
    async fn sqs_lists_only_the_messages_that_failed() {
        let ok = handler(SQS, &[], &[], RecordingSink::default());
        assert_eq!(
            answer(&ok, SQS).await.0.unwrap(),
            json!({"batchItemFailures": []})
        );
        // The second message's object is missing: only it goes back to the queue.
        let one_missing = handler(SQS, &[1], &[], RecordingSink::default());
        let (response, health) = answer(&one_missing, SQS).await;
        assert_eq!(
            response.unwrap(),
            json!({"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]})
        );
        assert_eq!((health.files_processed, health.files_failed), (1, 1));
        // A message whose body is not an S3 event is a failure of that message alone.
        let mut event: Value = serde_json::from_str(SQS).unwrap();
        event["Records"][0]["body"] = json!("not an event");
        let text = event.to_string();
        let (response, _) = answer(&ok, &text).await;
        assert_eq!(
            response.unwrap(),
            json!({"batchItemFailures": [{"itemIdentifier": "059f36b4-87a3-44ab-83d2-661975830a7d"}]})
        );
    }

    #[tokio::test]
    async fn batch_operations_get_a_result_per_task() {
        for event in [BATCH_V1, BATCH_V2] {
            let input: Value = serde_json::from_str(event).unwrap();
            let tasks = input["tasks"].as_array().unwrap();
            let h = handler(event, &[], &[], RecordingSink::default());
            let response = answer(&h, event).await.0.unwrap();
            assert_eq!(
                response["invocationSchemaVersion"],
                input["invocationSchemaVersion"]
            );
            assert_eq!(response["invocationId"], input["invocationId"]);
            assert_eq!(response["treatMissingKeysAs"], "PermanentFailure");
            let results = response["results"].as_array().unwrap();
            assert_eq!(results.len(), tasks.len());
            for (result, task) in results.iter().zip(tasks) {
                assert_eq!(result["taskId"], task["taskId"]);
                assert_eq!(result["resultCode"], "Succeeded", "{result}");
            }
        }
        // A missing object fails for good; a corrupt one too; throttling may pass.
        let h = handler(BATCH_V2, &[0], &[1], RecordingSink::default());
        let response = answer(&h, BATCH_V2).await.0.unwrap();
        let codes: Vec<&str> = response["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["resultCode"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["PermanentFailure", "PermanentFailure"]);
        assert!(response["results"][1]["resultString"]
            .as_str()
            .unwrap()
            .contains("corrupt log file"));
        let h = handler(BATCH_V2, &[], &[], throttled());
        let response = answer(&h, BATCH_V2).await.0.unwrap();
        assert_eq!(response["results"][0]["resultCode"], "TemporaryFailure");
        assert!(response["results"][0]["resultString"]
            .as_str()
            .unwrap()
            .contains("Throttling"));
    }

    /// The digest the DIGEST event names, listing `log_key` with the hash of `listed`, in a handler
    /// that checks digests; the log object holds `stored` (absent when `None`).
    fn digest_handler(
        listed: &[u8],
        stored: Option<&[u8]>,
    ) -> Handler<MemorySource, RecordingSink, CasStore> {
        use sha2::Digest as _;
        let digest_key = &keys(DIGEST)[0];
        let log_key = digest_key
            .replace("CloudTrail-Digest", "CloudTrail")
            .replace(
                "_management-events_us-east-1_20261125T091031Z",
                "_20261125T0905Z_abc",
            );
        let hash: String = sha2::Sha256::digest(listed)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let digest = json!({
            "awsAccountId": "123456789012",
            "digestStartTime": "2026-11-25T08:10:31Z",
            "digestEndTime": "2026-11-25T09:10:31Z",
            "digestS3Bucket": "example-cloudtrail-bucket",
            "digestS3Object": digest_key,
            "previousDigestS3Bucket": null,
            "previousDigestS3Object": null,
            "previousDigestHashValue": null,
            "previousDigestHashAlgorithm": null,
            "previousDigestSignature": null,
            "logFiles": [{"s3Bucket": "example-cloudtrail-bucket", "s3Object": log_key,
                "hashValue": hash, "hashAlgorithm": "SHA-256"}],
        });
        let mut files = vec![(digest_key.clone(), digest.to_string().into_bytes())];
        if let Some(stored) = stored {
            files.push((log_key, stored.to_vec()));
        }
        let mut h = handler(DIGEST, &[0], &[], RecordingSink::default());
        h.publisher.source = announced_source(DIGEST, files);
        h.digests = Some(DigestCheck { grace_seconds: 900 });
        h
    }

    #[tokio::test]
    async fn a_digest_recovers_a_log_file_no_notification_brought_once() {
        let h = digest_handler(LOG.as_bytes(), Some(LOG.as_bytes()));
        let (response, health) = answer(&h, DIGEST).await;
        let response = response.unwrap();
        let summary = response["objects"][0].as_str().unwrap();
        assert!(
            summary.contains("1 log files listed: 0 published, 1 recovered"),
            "{summary}"
        );
        assert_eq!(
            (
                health.digests_checked,
                health.log_files_listed,
                health.log_files_recovered
            ),
            (1, 1, 1)
        );
        // The digest ended 50 minutes before `now`.
        assert_eq!(health.digest_lag, Some(2969));
        assert_eq!(h.publisher.sink.accepted().len(), 1);
        let (again, health) = answer(&h, DIGEST).await;
        assert!(again.unwrap()["objects"][0]
            .as_str()
            .unwrap()
            .contains("1 published, 0 recovered"));
        assert_eq!(health.log_files_recovered, 0);
        assert_eq!(h.publisher.sink.accepted().len(), 1, "not counted twice");
        let emf = health.emf("T", "f", 0);
        assert_eq!(
            (
                emf["LogFilesListed"].clone(),
                emf["LogFilesMissing"].clone()
            ),
            (json!(1.0), json!(0.0))
        );
    }

    #[tokio::test]
    async fn a_digest_reports_tampered_and_deleted_files_without_failing() {
        let forged = LOG.replace("alice", "mallory");
        let h = digest_handler(LOG.as_bytes(), Some(forged.as_bytes()));
        let (response, health) = answer(&h, DIGEST).await;
        assert!(response.is_ok(), "a finding is not a failure to retry");
        assert_eq!(health.log_files_tampered, 1);
        assert!(
            h.publisher.sink.accepted().is_empty(),
            "the forged file is not counted"
        );
        let h = digest_handler(LOG.as_bytes(), None);
        let (response, health) = answer(&h, DIGEST).await;
        assert!(response.is_ok());
        assert_eq!(health.log_files_missing, 1);
        assert_eq!(health.emf("T", "f", 0)["LogFilesMissing"], 1.0);
    }

    #[tokio::test]
    async fn a_digest_that_cannot_be_read_fails_with_its_name() {
        let mut h = digest_handler(LOG.as_bytes(), None);
        h.publisher.source = announced_source(
            DIGEST,
            vec![(keys(DIGEST)[0].clone(), br#"{"Records":[]}"#.to_vec())],
        );
        let err = answer(&h, DIGEST).await.0.unwrap_err();
        assert_eq!(err.error_type(), "Permanent.InvalidDigest");
        assert!(
            err.to_string().contains(
                "digest s3://example-cloudtrail-bucket/AWSLogs/123456789012/CloudTrail-Digest/"
            ),
            "{err}"
        );
        let throttled_store = digest_handler(LOG.as_bytes(), Some(LOG.as_bytes()));
        let store = CasStore {
            after_load: Some(Box::new(|_: &CasStore, _: &ObjectRef, _| {
                Some(Err(CallError {
                    operation: "GetObjectTagging",
                    code: "SlowDown".into(),
                    message: "Please reduce your request rate".into(),
                    retryable: true,
                }))
            })),
            ..CasStore::default()
        };
        let h = Handler {
            publisher: Publisher {
                store,
                ..throttled_store.publisher
            },
            digests: throttled_store.digests,
        };
        let err = answer(&h, DIGEST).await.0.unwrap_err();
        assert_eq!(err.error_type(), "Retryable.DigestUnchecked", "{err}");
        assert!(err.to_string().contains("SlowDown"), "{err}");
        // Denied is no reason to try again: reported, not retried.
        let denied_store = digest_handler(LOG.as_bytes(), Some(LOG.as_bytes()));
        let store = CasStore {
            after_load: Some(Box::new(|_: &CasStore, _: &ObjectRef, _| {
                Some(Err(CallError {
                    operation: "GetObject",
                    code: "AccessDenied".into(),
                    message: "Access Denied".into(),
                    retryable: false,
                }))
            })),
            ..CasStore::default()
        };
        let h = Handler {
            publisher: Publisher {
                store,
                ..denied_store.publisher
            },
            digests: denied_store.digests,
        };
        let (response, health) = answer(&h, DIGEST).await;
        assert!(response.is_ok(), "{response:?}");
        assert_eq!(health.log_files_listed, 1);
    }
}
