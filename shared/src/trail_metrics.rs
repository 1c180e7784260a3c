//! The trail-metrics function: configuration, one invocation end to end (decode the trigger, ingest
//! each object, answer in the trigger's shape), its health as Embedded Metric Format and its evidence
//! lines. The binary only reads the environment and runs this.

use std::io::Write;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::cloudtrail::ReadLimits;
use crate::object_ref::ObjectRef;
use crate::publish::{
    Attempt, DedupMode, EvidenceSink, MetricSink, ObjectSource, Outcome, ProgressStore,
    PublishError, Published, Publisher,
};
use crate::rules::ruleset::{Evidence, RuleSet, DEFAULT_NAMESPACE};
use crate::rules::{Namespace, RulesError, RulesSource};
use crate::trigger::{self, Invocation, Shape, TriggerError};
use crate::vars::{VarError, Vars};

/// The function's configuration, from environment variables (documented in the README).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `METRIC_NAMESPACE`: where rules without a namespace of their own publish.
    pub namespace: String,
    /// `RULES`.
    pub rules: RulesSource,
    /// `DEDUP`.
    pub dedup: DedupMode,
    /// `EVIDENCE_LOG`: one log line per event a security rule matches.
    pub evidence: bool,
    /// `HEALTH_NAMESPACE`: the namespace of the function's own EMF metrics.
    pub health_namespace: String,
    /// `S3_PATH_STYLE`; by default on when `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_S3` is set.
    pub path_style: bool,
    /// `AWS_MAX_ATTEMPTS`: attempts per AWS call, retries with backoff and jitter.
    pub max_attempts: u32,
    /// `MAX_DECOMPRESSED_BYTES`: the per-object cap on decompressed size.
    pub max_decompressed_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Invalid(#[from] VarError),
    #[error(transparent)]
    Rules(#[from] RulesError),
}

impl Config {
    /// Reads the configuration through `var` (the environment, in the binary).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let vars = Vars(var);
        let Namespace(namespace) = vars.parsed("METRIC_NAMESPACE", DEFAULT_NAMESPACE)?;
        Ok(Config {
            namespace,
            rules: vars.parsed("RULES", "builtin")?,
            dedup: vars.parsed("DEDUP", "tags")?,
            evidence: vars.flag("EVIDENCE_LOG", true)?,
            health_namespace: vars.text("HEALTH_NAMESPACE", "Trailwatch"),
            path_style: vars.s3_path_style()?,
            max_attempts: vars.aws_max_attempts()?,
            max_decompressed_bytes: vars.number(
                "MAX_DECOMPRESSED_BYTES",
                ReadLimits::default().max_decompressed_bytes,
                1,
            )?,
        })
    }

    /// Loads the rule set (reading S3 through `s3` when the rules live there).
    pub async fn load_rules(&self, s3: &aws_sdk_s3::Client) -> Result<RuleSet, ConfigError> {
        Ok(crate::aws::load_rules(&self.rules, &self.namespace, s3).await?)
    }

    pub fn limits(&self) -> ReadLimits {
        ReadLimits {
            max_decompressed_bytes: self.max_decompressed_bytes,
            ..ReadLimits::default()
        }
    }
}

/// An invocation that failed as a whole: Lambda retries it (async invocations) or records it.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    #[error("{} of {} objects failed: {}", .failed.len(), .total, .failed.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Objects {
        failed: Vec<PublishError>,
        total: usize,
    },
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
                .map_or("Permanent.Unknown", PublishError::error_type),
        }
    }
}

/// Counts for one invocation: its health metrics.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Health {
    pub files_processed: u64,
    pub files_skipped: u64,
    pub files_duplicate: u64,
    pub files_failed: u64,
    pub records: u64,
    pub datums: u64,
    pub requests: u64,
    pub out_of_window: u64,
    pub evidence: u64,
    pub dimension_values_encoded: u64,
    pub dimension_values_folded: u64,
    /// Now − newest eventTime, the largest over the files read.
    pub delivery_lag: Option<i64>,
}

impl Health {
    /// One Embedded Metric Format line: CloudWatch Logs turns it into metrics, no API call needed.
    pub fn emf(&self, namespace: &str, function: &str, now_ms: i64) -> Value {
        let mut metrics = vec![
            ("FilesProcessed", "Count", self.files_processed as f64),
            ("FilesSkipped", "Count", self.files_skipped as f64),
            ("FilesDuplicate", "Count", self.files_duplicate as f64),
            ("FilesFailed", "Count", self.files_failed as f64),
            ("Records", "Count", self.records as f64),
            ("Datums", "Count", self.datums as f64),
            ("PutMetricDataRequests", "Count", self.requests as f64),
            ("DatumsOutOfWindow", "Count", self.out_of_window as f64),
            ("EvidenceLines", "Count", self.evidence as f64),
            (
                "DimensionValuesEncoded",
                "Count",
                self.dimension_values_encoded as f64,
            ),
            (
                "DimensionValuesFolded",
                "Count",
                self.dimension_values_folded as f64,
            ),
        ];
        if let Some(lag) = self.delivery_lag {
            metrics.push(("DeliveryLag", "Seconds", lag as f64));
        }
        crate::lambda::emf_line(namespace, function, now_ms, &metrics)
    }
}

/// Evidence as JSON lines on stdout, where Lambda sends them to CloudWatch Logs: one object per line,
/// `{"trailwatch":"evidence","rule":…,"eventID":…,…,"object":"s3://…"}`.
pub fn evidence_to_stdout() -> Arc<EvidenceSink> {
    Arc::new(|object: &ObjectRef, evidence: &[Evidence]| {
        let object = object.to_string();
        let mut out = std::io::stdout().lock();
        for e in evidence {
            let mut line = json!({"trailwatch": "evidence", "object": object});
            if let (Value::Object(line), Ok(Value::Object(fields))) =
                (&mut line, serde_json::to_value(e))
            {
                line.extend(fields);
            }
            // A closed stdout is no reason to fail publishing.
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    })
}

/// The result of one invocation.
#[derive(Debug)]
pub struct Handled {
    /// The answer for Lambda, or the error that fails the invocation.
    pub response: Result<Value, InvocationError>,
    pub health: Health,
}

/// trail-metrics: the publisher plus what the function reports.
pub struct TrailMetrics<S, M, P> {
    pub publisher: Publisher<S, M, P>,
}

impl<S: ObjectSource, M: MetricSink, P: ProgressStore> TrailMetrics<S, M, P> {
    /// Handles one invocation. Progress and errors are logged with `tracing`; evidence goes where
    /// the ingest's evidence sink sends it.
    pub async fn handle(&self, event: &Value, attempt: &Attempt) -> Handled {
        let mut health = Health::default();
        let invocation = match trigger::decode(event) {
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
    ) -> Result<String, PublishError> {
        let result = self.publisher.publish_object(object, attempt).await;
        let object_name = object.to_string();
        match result {
            Ok(Outcome::SkippedKey(kind)) => {
                health.files_skipped += 1;
                let reason = kind.skip_reason().unwrap_or("");
                tracing::info!(object = object_name, reason, "skipped");
                Ok(format!("{object_name}: skipped, {reason}"))
            }
            Ok(Outcome::SkippedContent(kind)) => {
                health.files_skipped += 1;
                let reason = kind.skip_reason().unwrap_or("");
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
        if p.dimension_values_folded > 0 {
            tracing::warn!(
                object,
                matches = p.dimension_values_folded,
                value = crate::metrics::OVERFLOW_DIMENSION_VALUE,
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
        failures: Vec<PublishError>,
    },
}

/// The answer in the shape the trigger expects.
fn respond(
    shape: &Shape,
    units: Vec<(Option<String>, UnitResult)>,
) -> Result<Value, InvocationError> {
    match shape {
        Shape::Notification(source) => {
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
        Shape::Sqs => {
            // Failed messages go back to the queue; after the queue's maxReceiveCount they reach its
            // dead-letter queue, permanent failures included: nothing is dropped.
            let failures: Vec<Value> = units
                .into_iter()
                .filter(|(_, u)| match u {
                    UnitResult::Undecodable(_) => true,
                    UnitResult::Objects { failures, .. } => !failures.is_empty(),
                })
                .map(|(id, _)| json!({"itemIdentifier": id.unwrap_or_default()}))
                .collect();
            Ok(json!({"batchItemFailures": failures}))
        }
        Shape::BatchOperations {
            schema_version,
            invocation_id,
        } => {
            let results: Vec<Value> = units
                .into_iter()
                .map(|(id, u)| {
                    let (code, text) = match u {
                        UnitResult::Undecodable(e) => ("PermanentFailure", e.to_string()),
                        UnitResult::Objects { failures, summary, .. } => match failures.first() {
                            Some(e) if e.retryable() => ("TemporaryFailure", e.to_string()),
                            Some(e) => ("PermanentFailure", e.to_string()),
                            None => ("Succeeded", summary.join("; ")),
                        },
                    };
                    json!({"taskId": id.unwrap_or_default(), "resultCode": code, "resultString": text})
                })
                .collect();
            Ok(json!({
                "invocationSchemaVersion": schema_version,
                "treatMissingKeysAs": "PermanentFailure",
                "invocationId": invocation_id,
                "results": results,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.namespace, "CloudTrailMetrics");
        assert_eq!(c.rules, RulesSource::Builtin);
        assert_eq!(c.dedup, DedupMode::Tags);
        assert!(c.evidence && !c.path_style);
        assert_eq!(
            (c.health_namespace.as_str(), c.max_attempts),
            ("Trailwatch", 5)
        );
        assert!(
            config(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")])
                .unwrap()
                .path_style
        );
    }

    #[test]
    fn every_bad_value_names_its_variable() {
        for (name, value, says) in [
            ("DEDUP", "dynamodb", "`tags`, `off`"),
            ("METRIC_NAMESPACE", "AWS/EC2", "AWS/"),
            ("EVIDENCE_LOG", "maybe", "on or off"),
            ("AWS_MAX_ATTEMPTS", "0", "≥ 1"),
            ("MAX_DECOMPRESSED_BYTES", "4GB", "whole number"),
            ("RULES", "s3://bucket-only", "s3://bucket/key"),
        ] {
            let err = config(&[(name, value)]).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        }
    }

    #[test]
    fn health_is_embedded_metric_format() {
        let h = Health {
            files_processed: 2,
            delivery_lag: Some(300),
            ..Health::default()
        };
        let line = h.emf("Trailwatch", "trail-metrics", 1_764_060_000_000);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "Trailwatch"
        );
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["FunctionName"]])
        );
        assert_eq!(line["FilesProcessed"], 2.0);
        assert_eq!(line["DeliveryLag"], 300.0);
        let names: Vec<&str> = line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert!(
            names.iter().all(|n| line.get(n).is_some()),
            "every metric has a value"
        );
        let no_lag = Health::default().emf("T", "f", 0);
        assert!(no_lag.get("DeliveryLag").is_none());
    }
}
