//! S3 Batch Operations jobs, schema 1.0 (`s3BucketArn`) and 2.0 (`s3Bucket`), one task per object.

use super::{malformed, str_at, Invocation, Shape, TriggerError, Unit};
use crate::object_ref::ObjectRef;
use crate::text::url_decode;
use serde_json::Value;

pub(super) fn decode_batch(event: &Value, version: &Value) -> Result<Invocation, TriggerError> {
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
    let units = tasks
        .iter()
        .enumerate()
        .map(|(i, task)| batch_task(i, task))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Invocation {
        shape: Shape::BatchOperations {
            schema_version,
            invocation_id,
        },
        units,
    })
}

/// One task: its id, and the object it names or why it names none.
fn batch_task(i: usize, task: &Value) -> Result<Unit, TriggerError> {
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
            .ok_or_else(|| malformed(what(), format!("s3BucketArn {arn:?} is not a bucket ARN"))),
        (None, None) => Err(malformed(what(), "it has neither s3Bucket nor s3BucketArn")),
    };
    let objects = bucket.and_then(|bucket| {
        let key = str_at(task, &["s3Key"]).ok_or_else(|| malformed(what(), "it has no s3Key"))?;
        let key = url_decode(key).map_err(|m| malformed(what(), format!("s3Key {key:?}: {m}")))?;
        Ok(vec![ObjectRef {
            bucket,
            key,
            version_id: str_at(task, &["s3VersionId"]).map(str::to_owned),
            etag: None,
            size: None,
        }])
    });
    Ok(Unit {
        id: Some(id.to_owned()),
        objects,
        ignored: Vec::new(),
    })
}
