//! SQS batches: each message is a notification of its own, and fails or succeeds alone.

use super::{decode_payload, malformed, Invocation, Shape, TriggerError, Unit};
use serde_json::Value;

pub(super) fn decode_sqs(records: &[Value]) -> Result<Invocation, TriggerError> {
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
