//! SQS batches: each message is a notification of its own, and fails or succeeds alone.

use aws_lambda_events::sqs::SqsMessage;
use serde::Deserialize;
use serde_json::Value;

use super::{decode_payload, malformed, Invocation, Shape, TriggerError, Unit};

pub(super) fn decode_sqs(records: &[Value]) -> Result<Invocation, TriggerError> {
    let mut units = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let message = SqsMessage::deserialize(record).map_err(|e| {
            malformed(
                format!("SQS record {i}"),
                format!("it is not an SQS message ({e})"),
            )
        })?;
        let Some(id) = message.message_id else {
            return Err(malformed(
                format!("SQS record {i}"),
                "it has no messageId, so its failure could not be reported",
            ));
        };
        let mut ignored = Vec::new();
        let objects = match message.body {
            None => Err(malformed(format!("SQS message {id}"), "it has no body")),
            Some(body) => serde_json::from_str::<Value>(&body)
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
            id: Some(id),
            objects,
            ignored,
        });
    }
    Ok(Invocation {
        shape: Shape::Sqs,
        units,
    })
}
