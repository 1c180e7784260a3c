use super::*;
use crate::text::url_decode;
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
    let inv = Invocation::from_event(&event).unwrap();
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
    let inv = Invocation::from_event(&event).unwrap();
    let keys: Vec<_> = objects(&inv).into_iter().map(|o| o.key).collect();
    assert_eq!(keys, ["a", "c"]);
    assert_eq!(inv.units[0].ignored.len(), 1);
    assert!(inv.units[0].ignored[0].contains("ObjectRemoved:Delete on s3://trail/b"));
}

#[test]
fn cloudtrail_sns_notification_keys_are_not_decoded() {
    let msg = json!({"s3Bucket": "trail", "s3ObjectKey": [KEY, "a+b"]}).to_string();
    let event = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": msg}}]});
    let inv = Invocation::from_event(&event).unwrap();
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
    let inv = Invocation::from_event(&event).unwrap();
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
    let inv = Invocation::from_event(&event).unwrap();
    assert_eq!(inv.shape, Shape::Notification("EventBridge"));
    let o = &objects(&inv)[0];
    assert_eq!((o.key.as_str(), o.etag.as_deref()), ("a b+c", Some("e")));
    let other = json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}});
    assert!(
        matches!(Invocation::from_event(&other), Err(TriggerError::Unrecognised(m)) if m.contains("aws.ec2"))
    );
}

#[test]
fn batch_operations_both_schema_versions() {
    let v1 = json!({"invocationSchemaVersion": "1.0", "invocationId": "inv", "job": {"id": "j"},
        "tasks": [{"taskId": "t1", "s3Key": "a%2Bb+c", "s3VersionId": null, "s3BucketArn": "arn:aws:s3:::trail"}]});
    let inv = Invocation::from_event(&v1).unwrap();
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
    let inv = Invocation::from_event(&v2).unwrap();
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
    let inv = Invocation::from_event(&test).unwrap();
    assert!(objects(&inv).is_empty());
    assert!(inv.units[0].ignored[0].contains("test event for bucket trail"));
    let err = Invocation::from_event(&json!({"hello": 1}))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("keys hello") && err.contains("accepts"),
        "{err}"
    );
    assert!(Invocation::from_event(&json!([1]))
        .unwrap_err()
        .to_string()
        .contains("JSON array"));
    let dynamo = json!({"Records": [{"eventSource": "aws:dynamodb", "dynamodb": {}}]});
    assert!(Invocation::from_event(&dynamo)
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

// Where aws_lambda_events' types do not serve, and why trailwatch decodes those shapes itself.

#[test]
fn s3_records_are_decoded_here_because_the_ecosystem_type_demands_fields_trailwatch_does_not_read()
{
    use serde::Deserialize;
    // S3 always sends eventTime, userIdentity and requestParameters; hand-written test events (the
    // docs', users' own) often leave them out, and trailwatch reads only the bucket and the key.
    let record = s3_record("ObjectCreated:Put", KEY);
    assert!(aws_lambda_events::s3::S3EventRecord::deserialize(&record).is_err());
    let event = json!({ "Records": [record] });
    assert_eq!(objects(&Invocation::from_event(&event).unwrap()).len(), 1);
}

#[test]
fn batch_operations_are_decoded_here_because_the_ecosystem_type_drops_schema_2s_bucket() {
    use serde::Deserialize;
    let v2: Value = serde_json::from_str(include_str!(
        "../../../events/trail-metrics/batch-operations-v2.json"
    ))
    .unwrap();
    // It models schema 1.0 (s3BucketArn); 2.0 names the bucket in s3Bucket, which it drops.
    let job = aws_lambda_events::s3::batch_job::S3BatchJobEvent::deserialize(&v2).unwrap();
    assert!(job.tasks.iter().all(|t| t.s3_bucket_arn.is_none()));
    let decoded = objects(&Invocation::from_event(&v2).unwrap());
    assert_eq!(decoded.len(), 2);
    assert!(decoded
        .iter()
        .all(|o| o.bucket == "example-cloudtrail-bucket"));
}
