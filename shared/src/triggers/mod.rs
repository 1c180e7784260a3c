//! What trail-metrics is invoked with: every way a "a CloudTrail log landed in S3" can reach a Lambda
//! function, decoded to the objects it names. Pure: no AWS calls.
//!
//! Accepted, auto-detected:
//! - S3 event notifications (`Records[].s3`), keys URL-encoded (`+` for space);
//! - CloudTrail's own SNS notification (`{"s3Bucket":…,"s3ObjectKey":[…]}`), keys as they are;
//! - either of those inside SNS (`Records[].Sns.Message`), and inside SQS (`Records[].body`, raw or as an
//!   SNS notification);
//! - EventBridge "Object Created" events from S3 (`detail.bucket.name`, `detail.object.key`);
//! - S3 Batch Operations jobs (`invocationSchemaVersion` 1.0 and 2.0, `tasks[]`), keys URL-encoded.
//!
//! S3's `s3:TestEvent` (sent when a notification is configured) names no object and is accepted as such.

mod batch_operations;
mod eventbridge;
mod s3;
mod sns;
mod sqs;

use crate::json_shape::{json_type, keys_of};
use crate::object_ref::ObjectRef;
use batch_operations::decode_batch;
use eventbridge::decode_eventbridge;
use s3::{decode_cloudtrail_notification, decode_s3_record};
use serde_json::Value;
use sns::decode_message;
use sqs::decode_sqs;

/// How the function was invoked, which decides the shape of its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// S3, SNS or EventBridge, invoked asynchronously: an error makes Lambda retry the whole event.
    Notification(&'static str),
    /// An SQS batch: the answer lists the messages that failed (`batchItemFailures`).
    Sqs,
    /// An S3 Batch Operations job: the answer has a result per task.
    BatchOperations {
        schema_version: String,
        invocation_id: String,
    },
}

/// One unit the answer reports on: an SQS message, a Batch Operations task, or the whole event.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// The SQS `messageId` or Batch Operations `taskId`; `None` for a notification.
    pub id: Option<String>,
    /// The objects this unit names, or why it could not be read.
    pub objects: Result<Vec<ObjectRef>, TriggerError>,
    /// Notifications in this unit that name no new object (S3 test events, removals), described.
    pub ignored: Vec<String>,
}

/// A decoded invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub shape: Shape,
    pub units: Vec<Unit>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    #[error("unrecognised event: {0}. trail-metrics accepts S3 event notifications, CloudTrail's SNS notification, either of them through SNS or SQS, EventBridge \"Object Created\" events and S3 Batch Operations jobs")]
    Unrecognised(String),
    #[error("{what}: {message}")]
    Malformed { what: String, message: String },
}

fn malformed(what: impl Into<String>, message: impl Into<String>) -> TriggerError {
    TriggerError::Malformed {
        what: what.into(),
        message: message.into(),
    }
}

impl Invocation {
    /// Decodes an invocation payload, whichever way it came.
    pub fn from_event(event: &Value) -> Result<Invocation, TriggerError> {
        if let Some(version) = event.get("invocationSchemaVersion") {
            return decode_batch(event, version);
        }
        if let Some(records) = event.get("Records").and_then(Value::as_array) {
            let sqs = records
                .first()
                .and_then(|r| r.get("eventSource"))
                .and_then(Value::as_str)
                == Some("aws:sqs");
            if sqs {
                return decode_sqs(records);
            }
        }
        let mut ignored = Vec::new();
        let (objects, source) = decode_payload(event, &mut ignored)?;
        Ok(Invocation {
            shape: Shape::Notification(source),
            units: vec![Unit {
                id: None,
                objects: Ok(objects),
                ignored,
            }],
        })
    }
}

/// Decodes one notification payload (not SQS, not Batch Operations) to the objects it names. Returns
/// them and the name of the shape found.
fn decode_payload(
    v: &Value,
    ignored: &mut Vec<String>,
) -> Result<(Vec<ObjectRef>, &'static str), TriggerError> {
    if let Some(records) = v.get("Records").and_then(Value::as_array) {
        let mut objects = Vec::new();
        let mut source = "S3 event notification";
        for (i, record) in records.iter().enumerate() {
            if let Some(sns) = record.get("Sns") {
                source = "SNS";
                let message = str_at(sns, &["Message"])
                    .ok_or_else(|| malformed(format!("SNS record {i}"), "it has no Message"))?;
                objects.extend(decode_message(
                    message,
                    &format!("SNS record {i}"),
                    ignored,
                )?);
            } else if record.get("s3").is_some() {
                if let Some(o) = decode_s3_record(record, i, ignored)? {
                    objects.push(o);
                }
            } else {
                return Err(TriggerError::Unrecognised(format!(
                    "Records[{i}] is neither an S3 nor an SNS record (keys: {})",
                    keys_of(record)
                )));
            }
        }
        return Ok((objects, source));
    }
    if v.get("Type").and_then(Value::as_str) == Some("Notification") && v.get("Message").is_some() {
        // An SNS notification as SQS receives it without raw message delivery.
        let message = str_at(v, &["Message"])
            .ok_or_else(|| malformed("SNS notification", "Message is not a string"))?;
        return Ok((decode_message(message, "SNS notification", ignored)?, "SNS"));
    }
    if v.get("s3Bucket").is_some() || v.get("s3ObjectKey").is_some() {
        return Ok((
            decode_cloudtrail_notification(v)?,
            "CloudTrail SNS notification",
        ));
    }
    if v.get("detail-type").is_some() || v.get("source").is_some() && v.get("detail").is_some() {
        return decode_eventbridge(v, ignored).map(|o| (o, "EventBridge"));
    }
    if v.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        ignored.push(format!(
            "an S3 test event for bucket {}",
            str_at(v, &["Bucket"]).unwrap_or("?")
        ));
        return Ok((Vec::new(), "S3 event notification"));
    }
    Err(TriggerError::Unrecognised(match v {
        Value::Object(_) => format!("an object with keys {}", keys_of(v)),
        other => format!("a JSON {}", json_type(other)),
    }))
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

#[cfg(test)]
mod tests;
