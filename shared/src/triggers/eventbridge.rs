//! EventBridge "Object Created" events from S3.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;

use super::{malformed, TriggerError};
use crate::object_ref::{etag_unquote, ObjectRef};

/// The `detail` of an S3 event on EventBridge, as far as trailwatch reads it. Every field is optional
/// here so that a missing one is reported by name, not as a serde error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct S3Detail {
    bucket: Named,
    object: S3ObjectDetail,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Named {
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct S3ObjectDetail {
    key: Option<String>,
    size: Option<u64>,
    etag: Option<String>,
    version_id: Option<String>,
}

/// EventBridge events from S3 carry keys as stored (not URL-encoded).
pub(super) fn decode_eventbridge(
    v: &Value,
    ignored: &mut Vec<String>,
) -> Result<Vec<ObjectRef>, TriggerError> {
    let event = EventBridgeEvent::<Value>::deserialize(v)
        .map_err(|e| malformed("EventBridge event", e.to_string()))?;
    let (detail_type, source) = (event.detail_type, event.source);
    if source != "aws.s3" {
        return Err(TriggerError::Unrecognised(format!(
            "an EventBridge event from {source:?} ({detail_type:?}), not from aws.s3"
        )));
    }
    let what = "EventBridge S3 event";
    let detail = S3Detail::deserialize(&event.detail)
        .map_err(|e| malformed(what, format!("its detail is not an S3 event's ({e})")))?;
    let bucket = detail
        .bucket
        .name
        .ok_or_else(|| malformed(what, "it has no detail.bucket.name"))?;
    let key = detail
        .object
        .key
        .ok_or_else(|| malformed(what, "it has no detail.object.key"))?;
    if detail_type != "Object Created" {
        ignored.push(format!(
            "EventBridge {detail_type:?} on s3://{bucket}/{key} (not an object creation)"
        ));
        return Ok(Vec::new());
    }
    Ok(vec![ObjectRef {
        bucket,
        key,
        version_id: detail.object.version_id,
        etag: detail.object.etag.as_deref().map(etag_unquote),
        size: detail.object.size,
    }])
}
