//! EventBridge "Object Created" events from S3.

use super::{malformed, str_at, TriggerError};
use crate::object_ref::{etag_unquote, ObjectRef};
use serde_json::Value;

/// EventBridge events from S3 carry keys as stored (not URL-encoded).
pub(super) fn decode_eventbridge(
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
