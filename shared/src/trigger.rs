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

use serde_json::Value;

use crate::json_shape::{json_type, keys_of};
use crate::object_ref::{etag_unquote, ObjectRef};
use crate::text::url_decode;

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

/// Decodes an invocation payload.
pub fn decode(event: &Value) -> Result<Invocation, TriggerError> {
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

fn decode_sqs(records: &[Value]) -> Result<Invocation, TriggerError> {
    let mut units = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let Some(id) = record.get("messageId").and_then(Value::as_str) else {
            return Err(malformed(
                format!("SQS record {i}"),
                "it has no messageId, so its failure could not be reported",
            ));
        };
        let mut ignored = Vec::new();
        let objects = match record.get("body").and_then(Value::as_str) {
            None => Err(malformed(format!("SQS message {id}"), "it has no body")),
            Some(body) => serde_json::from_str::<Value>(body)
                .map_err(|e| {
                    malformed(
                        format!("SQS message {id}"),
                        format!("its body is not JSON ({e})"),
                    )
                })
                .and_then(|v| decode_payload(&v, &mut ignored).map(|(o, _)| o))
                .map_err(|e| match e {
                    TriggerError::Unrecognised(what) => {
                        TriggerError::Unrecognised(format!("SQS message {id}: {what}"))
                    }
                    other => other,
                }),
        };
        units.push(Unit {
            id: Some(id.to_owned()),
            objects,
            ignored,
        });
    }
    Ok(Invocation {
        shape: Shape::Sqs,
        units,
    })
}

fn decode_batch(event: &Value, version: &Value) -> Result<Invocation, TriggerError> {
    let schema_version = version
        .as_str()
        .ok_or_else(|| {
            malformed(
                "S3 Batch Operations job",
                "invocationSchemaVersion is not a string",
            )
        })?
        .to_owned();
    if schema_version != "1.0" && schema_version != "2.0" {
        return Err(malformed(
            "S3 Batch Operations job",
            format!("invocationSchemaVersion {schema_version:?} is not 1.0 or 2.0"),
        ));
    }
    let invocation_id = str_at(event, &["invocationId"])
        .ok_or_else(|| malformed("S3 Batch Operations job", "it has no invocationId"))?
        .to_owned();
    let tasks = event
        .get("tasks")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("S3 Batch Operations job", "it has no tasks array"))?;
    let mut units = Vec::with_capacity(tasks.len());
    for (i, task) in tasks.iter().enumerate() {
        let Some(id) = str_at(task, &["taskId"]) else {
            return Err(malformed(
                format!("S3 Batch Operations task {i}"),
                "it has no taskId",
            ));
        };
        let what = || format!("S3 Batch Operations task {id}");
        let bucket = match (str_at(task, &["s3Bucket"]), str_at(task, &["s3BucketArn"])) {
            (Some(b), _) => Ok(b.to_owned()),
            (None, Some(arn)) => arn
                .rsplit_once(":::")
                .map(|(_, b)| b.to_owned())
                .ok_or_else(|| {
                    malformed(what(), format!("s3BucketArn {arn:?} is not a bucket ARN"))
                }),
            (None, None) => Err(malformed(what(), "it has neither s3Bucket nor s3BucketArn")),
        };
        let objects = bucket.and_then(|bucket| {
            let key =
                str_at(task, &["s3Key"]).ok_or_else(|| malformed(what(), "it has no s3Key"))?;
            let key =
                url_decode(key).map_err(|m| malformed(what(), format!("s3Key {key:?}: {m}")))?;
            Ok(vec![ObjectRef {
                bucket,
                key,
                version_id: str_at(task, &["s3VersionId"]).map(str::to_owned),
                etag: None,
                size: None,
            }])
        });
        units.push(Unit {
            id: Some(id.to_owned()),
            objects,
            ignored: Vec::new(),
        });
    }
    Ok(Invocation {
        shape: Shape::BatchOperations {
            schema_version,
            invocation_id,
        },
        units,
    })
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

/// An SNS Message: an S3 event notification or CloudTrail's notification, as a JSON string.
fn decode_message(
    message: &str,
    what: &str,
    ignored: &mut Vec<String>,
) -> Result<Vec<ObjectRef>, TriggerError> {
    let v: Value = serde_json::from_str(message)
        .map_err(|e| malformed(what, format!("its Message is not JSON ({e})")))?;
    let is_s3 = v.get("Records").is_some()
        && v.get("Records")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().all(|r| r.get("s3").is_some()));
    if is_s3 || v.get("s3Bucket").is_some() || v.get("Event").is_some() {
        decode_payload(&v, ignored).map(|(o, _)| o)
    } else {
        Err(TriggerError::Unrecognised(format!(
            "{what}'s Message is neither an S3 event notification nor CloudTrail's notification (keys: {})",
            keys_of(&v)
        )))
    }
}

fn decode_s3_record(
    record: &Value,
    i: usize,
    ignored: &mut Vec<String>,
) -> Result<Option<ObjectRef>, TriggerError> {
    let what = || format!("S3 record {i}");
    let name = str_at(record, &["eventName"]).unwrap_or("");
    let bucket = str_at(record, &["s3", "bucket", "name"])
        .ok_or_else(|| malformed(what(), "it has no s3.bucket.name"))?;
    let raw_key = str_at(record, &["s3", "object", "key"])
        .ok_or_else(|| malformed(what(), "it has no s3.object.key"))?;
    let key =
        url_decode(raw_key).map_err(|m| malformed(what(), format!("key {raw_key:?}: {m}")))?;
    if !name.starts_with("ObjectCreated:") {
        ignored.push(format!(
            "{name} on s3://{bucket}/{key} (not an object creation)"
        ));
        return Ok(None);
    }
    Ok(Some(ObjectRef {
        bucket: bucket.to_owned(),
        key,
        version_id: str_at(record, &["s3", "object", "versionId"]).map(str::to_owned),
        etag: str_at(record, &["s3", "object", "eTag"]).map(etag_unquote),
        size: record.pointer("/s3/object/size").and_then(Value::as_u64),
    }))
}

fn decode_cloudtrail_notification(v: &Value) -> Result<Vec<ObjectRef>, TriggerError> {
    let what = "CloudTrail SNS notification";
    let bucket = str_at(v, &["s3Bucket"])
        .ok_or_else(|| malformed(what, "s3Bucket is missing or not a string"))?;
    let keys = v
        .get("s3ObjectKey")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(what, "s3ObjectKey is missing or not an array"))?;
    keys.iter()
        .map(|k| {
            let key = k
                .as_str()
                .ok_or_else(|| malformed(what, format!("s3ObjectKey holds a {}", json_type(k))))?;
            Ok(ObjectRef {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                version_id: None,
                etag: None,
                size: None,
            })
        })
        .collect()
}

/// EventBridge events from S3 carry keys as stored (not URL-encoded).
fn decode_eventbridge(
    v: &Value,
    ignored: &mut Vec<String>,
) -> Result<Vec<ObjectRef>, TriggerError> {
    let detail_type = str_at(v, &["detail-type"]).unwrap_or("");
    let source = str_at(v, &["source"]).unwrap_or("");
    if source != "aws.s3" {
        return Err(TriggerError::Unrecognised(format!(
            "an EventBridge event from {source:?} ({detail_type:?}), not from aws.s3"
        )));
    }
    let what = "EventBridge S3 event";
    let bucket = str_at(v, &["detail", "bucket", "name"])
        .ok_or_else(|| malformed(what, "it has no detail.bucket.name"))?;
    let key = str_at(v, &["detail", "object", "key"])
        .ok_or_else(|| malformed(what, "it has no detail.object.key"))?;
    if detail_type != "Object Created" {
        ignored.push(format!(
            "EventBridge {detail_type:?} on s3://{bucket}/{key} (not an object creation)"
        ));
        return Ok(Vec::new());
    }
    Ok(vec![ObjectRef {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        version_id: str_at(v, &["detail", "object", "version-id"]).map(str::to_owned),
        etag: str_at(v, &["detail", "object", "etag"]).map(etag_unquote),
        size: v.pointer("/detail/object/size").and_then(Value::as_u64),
    }])
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T0835Z_abc.json.gz";

    fn s3_record(name: &str, key: &str) -> Value {
        json!({"eventSource": "aws:s3", "eventName": name,
               "s3": {"bucket": {"name": "trail"}, "object": {"key": key, "eTag": "e1", "size": 10, "versionId": "v1"}}})
    }

    fn objects(inv: &Invocation) -> Vec<ObjectRef> {
        inv.units
            .iter()
            .flat_map(|u| u.objects.clone().unwrap())
            .collect()
    }

    #[test]
    fn s3_keys_are_url_decoded() {
        let event = json!({"Records": [s3_record("ObjectCreated:Put", "my+prefix/AWSLogs/1/CloudTrail/a%3Ab.json.gz")]});
        let inv = decode(&event).unwrap();
        assert_eq!(inv.shape, Shape::Notification("S3 event notification"));
        let o = &objects(&inv)[0];
        assert_eq!(o.key, "my prefix/AWSLogs/1/CloudTrail/a:b.json.gz");
        assert_eq!(
            (o.etag.as_deref(), o.size, o.version_id.as_deref()),
            (Some("e1"), Some(10), Some("v1"))
        );
    }

    #[test]
    fn every_s3_record_is_read_and_removals_are_ignored() {
        let event = json!({"Records": [s3_record("ObjectCreated:Put", "a"), s3_record("ObjectRemoved:Delete", "b"), s3_record("ObjectCreated:CompleteMultipartUpload", "c")]});
        let inv = decode(&event).unwrap();
        let keys: Vec<_> = objects(&inv).into_iter().map(|o| o.key).collect();
        assert_eq!(keys, ["a", "c"]);
        assert_eq!(inv.units[0].ignored.len(), 1);
        assert!(inv.units[0].ignored[0].contains("ObjectRemoved:Delete on s3://trail/b"));
    }

    #[test]
    fn cloudtrail_sns_notification_keys_are_not_decoded() {
        let msg = json!({"s3Bucket": "trail", "s3ObjectKey": [KEY, "a+b"]}).to_string();
        let event = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": msg}}]});
        let inv = decode(&event).unwrap();
        assert_eq!(inv.shape, Shape::Notification("SNS"));
        let keys: Vec<_> = objects(&inv).into_iter().map(|o| o.key).collect();
        assert_eq!(keys, [KEY, "a+b"]);
    }

    #[test]
    fn s3_event_inside_sns_inside_sqs() {
        let s3 = json!({"Records": [s3_record("ObjectCreated:Put", "k%20x")]}).to_string();
        let sns = json!({"Type": "Notification", "Message": s3}).to_string();
        let event = json!({"Records": [
            {"eventSource": "aws:sqs", "messageId": "m1", "body": sns},
            {"eventSource": "aws:sqs", "messageId": "m2", "body": "not json"},
            {"eventSource": "aws:sqs", "messageId": "m3", "body": json!({"s3Bucket": "t", "s3ObjectKey": ["k2"]}).to_string()},
        ]});
        let inv = decode(&event).unwrap();
        assert_eq!(inv.shape, Shape::Sqs);
        assert_eq!(inv.units[0].id.as_deref(), Some("m1"));
        assert_eq!(inv.units[0].objects.as_ref().unwrap()[0].key, "k x");
        let err = inv.units[1].objects.as_ref().unwrap_err().to_string();
        assert!(
            err.contains("SQS message m2") && err.contains("not JSON"),
            "{err}"
        );
        assert_eq!(inv.units[2].objects.as_ref().unwrap()[0].key, "k2");
    }

    #[test]
    fn eventbridge_object_created() {
        let event = json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3",
            "detail": {"bucket": {"name": "trail"}, "object": {"key": "a b+c", "size": 5, "etag": "\"e\"", "version-id": "v"}}});
        let inv = decode(&event).unwrap();
        assert_eq!(inv.shape, Shape::Notification("EventBridge"));
        let o = &objects(&inv)[0];
        assert_eq!((o.key.as_str(), o.etag.as_deref()), ("a b+c", Some("e")));
        let other = json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}});
        assert!(
            matches!(decode(&other), Err(TriggerError::Unrecognised(m)) if m.contains("aws.ec2"))
        );
    }

    #[test]
    fn batch_operations_both_schema_versions() {
        let v1 = json!({"invocationSchemaVersion": "1.0", "invocationId": "inv", "job": {"id": "j"},
            "tasks": [{"taskId": "t1", "s3Key": "a%2Bb+c", "s3VersionId": null, "s3BucketArn": "arn:aws:s3:::trail"}]});
        let inv = decode(&v1).unwrap();
        assert_eq!(
            inv.shape,
            Shape::BatchOperations {
                schema_version: "1.0".into(),
                invocation_id: "inv".into()
            }
        );
        let o = &objects(&inv)[0];
        assert_eq!(
            (o.bucket.as_str(), o.key.as_str(), o.version_id.clone()),
            ("trail", "a+b c", None)
        );
        let v2 = json!({"invocationSchemaVersion": "2.0", "invocationId": "inv", "job": {"id": "j", "userArguments": {}},
            "tasks": [{"taskId": "t1", "s3Key": "k", "s3VersionId": "v", "s3Bucket": "trail"}, {"taskId": "t2", "s3Bucket": "trail"}]});
        let inv = decode(&v2).unwrap();
        assert_eq!(
            inv.units[0].objects.as_ref().unwrap()[0]
                .version_id
                .as_deref(),
            Some("v")
        );
        assert!(inv.units[1]
            .objects
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("task t2"));
    }

    #[test]
    fn test_events_are_ignored_and_unknown_shapes_are_errors() {
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "trail"});
        let inv = decode(&test).unwrap();
        assert!(objects(&inv).is_empty());
        assert!(inv.units[0].ignored[0].contains("test event for bucket trail"));
        let err = decode(&json!({"hello": 1})).unwrap_err().to_string();
        assert!(
            err.contains("keys hello") && err.contains("accepts"),
            "{err}"
        );
        assert!(decode(&json!([1]))
            .unwrap_err()
            .to_string()
            .contains("JSON array"));
        let dynamo = json!({"Records": [{"eventSource": "aws:dynamodb", "dynamodb": {}}]});
        assert!(decode(&dynamo)
            .unwrap_err()
            .to_string()
            .contains("Records[0]"));
    }

    #[test]
    fn url_decode_rejects_bad_escapes() {
        assert_eq!(url_decode("a%C3%A9+b").unwrap(), "aé b");
        assert!(url_decode("a%zz").is_err());
        assert!(url_decode("a%").is_err());
        assert!(url_decode("%FF").is_err());
    }
}
