//! S3 event records, and CloudTrail's own notification (`{"s3Bucket":…,"s3ObjectKey":[…]}`).

use super::{malformed, str_at, TriggerError};
use crate::json_shape::json_type;
use crate::object_ref::{etag_unquote, ObjectRef};
use crate::text::url_decode;
use serde_json::Value;

pub(super) fn decode_s3_record(
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

pub(super) fn decode_cloudtrail_notification(v: &Value) -> Result<Vec<ObjectRef>, TriggerError> {
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
