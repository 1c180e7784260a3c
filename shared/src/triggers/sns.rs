//! An SNS Message: an S3 event notification or CloudTrail's notification, as a JSON string.

use super::{decode_payload, malformed, TriggerError};
use crate::json_shape::keys_of;
use crate::object_ref::ObjectRef;
use serde_json::Value;

/// An SNS Message: an S3 event notification or CloudTrail's notification, as a JSON string.
pub(super) fn decode_message(
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
