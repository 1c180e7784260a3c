//! trail-metrics end to end: the real binary under the Lambda runtime API (`cargo lambda watch`),
//! invoked with `cargo lambda invoke` and the sample events in events/, reading from and publishing to
//! the moto emulator. Counts are read back with GetMetricStatistics and compared with what each test
//! put in.
#![cfg(feature = "emulator-tests")]

use aws_sdk_cloudwatch::types::Statistic;
use serde_json::{json, Value};
use trailwatch::triggers::Invocation;
use trailwatch_testkit::*;

/// Every sample event that names log objects, with the part of the window its logs use.
const SHAPES: &[&str] = &[
    "s3-put.json",
    "s3-put-url-encoded-key.json",
    "s3-put-organization-trail.json",
    "sns-cloudtrail-notification.json",
    "sns-s3-event.json",
    "sqs-s3-event.json",
    "eventbridge-object-created.json",
    "batch-operations-v1.json",
    "batch-operations-v2.json",
];

/// The objects an event file names.
fn objects(name: &str) -> Vec<trailwatch::object_ref::ObjectRef> {
    let inv = Invocation::from_event(&event_file(name)).unwrap();
    inv.units
        .into_iter()
        .flat_map(|u| u.objects.unwrap())
        .collect()
}

/// Users unique to one object, with how many StartInstances each made.
fn users_for(tag: &str, n: usize) -> Vec<(String, usize)> {
    (0..n).map(|i| (format!("{tag}-user{i}"), i + 1)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_trigger_shape_publishes_each_object_once() {
    let _shared = FAULTS.read().await;
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    // Five days ago, a minute apart per object: inside CloudWatch's window, apart from other tests.
    let base = (now() - 5 * 86_400) / 60 * 60;
    let mut expected = Vec::new();
    let mut minute = 0;
    for shape in SHAPES {
        for object in objects(shape) {
            let tag = object
                .key
                .rsplit('_')
                .next()
                .unwrap()
                .trim_end_matches(".json.gz")
                .to_owned();
            let users = users_for(&tag, 2);
            let time = base + minute * 60;
            minute += 1;
            put(
                &s3,
                &object.bucket,
                &object.key,
                start_instances_log(&users, time),
            )
            .await;
            expected.push((shape, users, time));
        }
    }
    for shape in SHAPES {
        let out = invoke(&with_real_etags(&s3, event_file(shape)).await);
        assert!(out.ok, "{shape}: {out:?}");
        let answer = out.json();
        match *shape {
            "sqs-s3-event.json" => assert_eq!(answer, json!({"batchItemFailures": []}), "{shape}"),
            s if s.starts_with("batch-operations") => {
                let results = answer["results"].as_array().unwrap();
                assert_eq!(results.len(), objects(shape).len(), "{shape}: {answer}");
                assert!(
                    results.iter().all(|r| r["resultCode"] == "Succeeded"),
                    "{shape}: {answer}"
                );
                assert_eq!(answer["treatMissingKeysAs"], "PermanentFailure");
            }
            _ => {
                let summary = answer["objects"].to_string();
                assert!(summary.contains("requests sent"), "{shape}: {answer}");
            }
        }
    }
    // The same notifications again, as S3's at-least-once delivery or a re-run would send them.
    for shape in SHAPES {
        let out = invoke(&with_real_etags(&s3, event_file(shape)).await);
        assert!(out.ok, "{shape}: {out:?}");
        if shape.starts_with('s') && !shape.starts_with("sqs") {
            assert!(
                out.stdout.contains("already published"),
                "{shape}: {}",
                out.stdout
            );
        }
    }
    for (shape, users, time) in expected {
        for (user, n) in users {
            let got = start_instances(&cw, &user, time).await;
            assert_eq!(got, n as f64, "{shape}: StartInstances for {user}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn url_encoded_and_organization_keys_are_read_where_they_are() {
    let objects_url = objects("s3-put-url-encoded-key.json");
    assert!(
        objects_url[0].key.starts_with("audit logs (prod)/AWSLogs/"),
        "{:?}",
        objects_url[0]
    );
    let org = objects("s3-put-organization-trail.json");
    assert!(org[0]
        .key
        .starts_with("AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/"));
}

#[tokio::test(flavor = "multi_thread")]
async fn insights_and_test_events_publish_nothing() {
    let _shared = FAULTS.read().await;
    let out = invoke_event_file("s3-put-insights.json");
    assert!(out.ok, "{out:?}");
    let summary = out.json()["objects"].to_string();
    assert!(
        summary.contains("skipped") && summary.contains("Insights"),
        "{summary}"
    );
    let out = invoke_event_file("s3-test-event.json");
    assert!(out.ok, "{out:?}");
    assert_eq!(out.json()["objects"], json!([]));
}

/// The digest the sample event names lists four log files: one its notification published, one
/// whose notification never came, one overwritten since delivery, one deleted. The digest before it
/// exists and links. The function publishes the unnotified one, counts nothing of the overwritten
/// one, and names both bad files; a second delivery of the digest finds everything settled.
#[tokio::test(flavor = "multi_thread")]
async fn a_digest_recovers_a_lost_log_file_and_names_tampered_and_deleted_ones() {
    let _shared = FAULTS.read().await;
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    let digest = &objects("s3-put-digest.json")[0];
    let bucket = digest.bucket.as_str();
    let time = (now() - 3 * 86_400) / 60 * 60;
    let log_key = |name: &str| {
        format!("AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T0905Z_{name}.json.gz")
    };
    let names = [
        "DigestNotified",
        "DigestLost",
        "DigestForged",
        "DigestDeleted",
    ];
    let keys: Vec<String> = names.iter().map(|n| log_key(n)).collect();
    let logs: Vec<Vec<u8>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| start_instances_log(&users_for(n, 1), time + 60 * i as i64))
        .collect();
    let plain: Vec<Vec<u8>> = logs.iter().map(|l| gunzip(l)).collect();
    put(&s3, bucket, &keys[0], logs[0].clone()).await;
    put(&s3, bucket, &keys[1], logs[1].clone()).await;
    let forged = start_instances_log(&users_for("DigestMallory", 1), time);
    put(&s3, bucket, &keys[2], forged).await;

    let previous_key = digest.key.replace("T091031Z", "T081031Z");
    let previous = digest_json(
        bucket,
        &previous_key,
        parse_time("2026-11-25T08:10:31Z"),
        &[],
        None,
    );
    put(&s3, bucket, &previous_key, gzip(&previous)).await;
    let listed: Vec<(&str, &[u8])> = keys
        .iter()
        .map(String::as_str)
        .zip(plain.iter().map(Vec::as_slice))
        .collect();
    let body = digest_json(
        bucket,
        &digest.key,
        parse_time("2026-11-25T09:10:31Z"),
        &listed,
        Some((&previous_key, &previous)),
    );
    put(&s3, bucket, &digest.key, gzip(&body)).await;

    // The first file's notification arrives; the others' never do.
    let mut notified = event_file("s3-put.json");
    notified["Records"][0]["s3"]["bucket"]["name"] = json!(bucket);
    notified["Records"][0]["s3"]["object"]["key"] = json!(keys[0]);
    assert!(invoke(&with_real_etags(&s3, notified).await).ok);

    let digest_event = with_real_etags(&s3, event_file("s3-put-digest.json")).await;
    let out = invoke(&digest_event);
    assert!(out.ok, "{out:?}");
    let summary = out.json()["objects"][0].as_str().unwrap().to_owned();
    // The lost file was written seconds ago (its S3 Last-Modified), inside the grace period: it is
    // published as late, not reported as lost. (Old files are recovered: shared/src/verify tests.)
    assert!(
        summary.contains("4 log files listed: 1 published, 0 recovered, 1 late, 1 tampered, 1 missing, 0 not published")
            && summary.contains("0 digests missing, 0 altered"),
        "{summary}"
    );
    for (name, n) in [
        ("DigestNotified", 1.0),
        ("DigestLost", 1.0),
        ("DigestMallory", 0.0),
    ] {
        let i = names.iter().position(|x| *x == name).unwrap_or(0);
        let got = start_instances(&cw, &format!("{name}-user0"), time + 60 * i as i64).await;
        assert_eq!(got, n, "StartInstances of {name}");
    }
    let log = watch().log();
    for (key, finding) in [(&keys[2], "TAMPERED"), (&keys[3], "MISSING")] {
        assert!(
            log.contains(&format!("s3://{bucket}/{key}: {finding}")),
            "{finding} for {key} in the function's log"
        );
    }
    assert!(
        log.contains("LogFilesTampered"),
        "health metrics in the log"
    );

    let again = invoke(&digest_event);
    assert!(again.ok, "{again:?}");
    let summary = again.json()["objects"][0].as_str().unwrap().to_owned();
    assert!(summary.contains("2 published, 0 recovered"), "{summary}");
    assert_eq!(
        start_instances(&cw, "DigestLost-user0", time + 60).await,
        1.0,
        "not counted twice"
    );
}

/// An organization trail's digest (`AWSLogs/o-…/<account>/CloudTrail-Digest/…`) whose previous digest was
/// deleted: its file is published, and the broken chain is counted and named.
#[tokio::test(flavor = "multi_thread")]
async fn an_organization_digest_after_a_deleted_one_reports_the_gap() {
    let _shared = FAULTS.read().await;
    let (s3, _) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    let bucket = "org-trail-bucket";
    let time = (now() - 3 * 86_400) / 60 * 60;
    let base = "AWSLogs/o-a1b2c3d4e5/123456789012";
    let log_key = format!("{base}/CloudTrail/eu-west-1/2026/11/25/123456789012_CloudTrail_eu-west-1_20261125T0905Z_OrgDigest0001.json.gz");
    let log = start_instances_log(&users_for("OrgDigest", 1), time);
    put(&s3, bucket, &log_key, log.clone()).await;
    let digest_key = |stamp: &str| {
        format!("{base}/CloudTrail-Digest/eu-west-1/2026/11/25/123456789012_CloudTrail-Digest_eu-west-1_org-trail_us-east-1_{stamp}.json.gz")
    };
    let (gone, here) = (
        digest_key("20261125T081031Z"),
        digest_key("20261125T091031Z"),
    );
    let deleted = digest_json(bucket, &gone, parse_time("2026-11-25T08:10:31Z"), &[], None);
    let body = digest_json(
        bucket,
        &here,
        parse_time("2026-11-25T09:10:31Z"),
        &[(&log_key, &gunzip(&log))],
        Some((&gone, &deleted)),
    );
    put(&s3, bucket, &here, gzip(&body)).await;
    let mut event = event_file("s3-put-digest.json");
    event["Records"][0]["s3"]["bucket"]["name"] = json!(bucket);
    event["Records"][0]["s3"]["object"]["key"] = json!(here);
    let out = invoke(&with_real_etags(&s3, event).await);
    assert!(out.ok, "{out:?}");
    let summary = out.json()["objects"][0].as_str().unwrap().to_owned();
    assert!(
        summary.contains("1 log files listed: 0 published, 0 recovered, 1 late"),
        "{summary}"
    );
    assert!(summary.contains("1 digests missing"), "{summary}");
    assert!(
        watch().log().contains(&format!("s3://{bucket}/{here}: DIGEST MISSING: the previous digest s3://{bucket}/{gone} is gone")),
        "the gap named in the log"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_object_fails_naming_it_and_publishes_nothing() {
    let _shared = FAULTS.read().await;
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    let time = (now() - 4 * 86_400) / 60 * 60;
    let mut log = start_instances_log(&users_for("corrupt", 1), time);
    log.truncate(log.len() - 30);
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T0950Z_CorruptGzip001.json.gz";
    put(&s3, "corrupt-bucket", key, log).await;
    let mut event = event_file("s3-put.json");
    event["Records"][0]["s3"]["bucket"]["name"] = json!("corrupt-bucket");
    event["Records"][0]["s3"]["object"]["key"] = json!(key);
    let out = invoke(&with_real_etags(&s3, event.clone()).await);
    assert!(!out.ok, "{out:?}");
    // cargo lambda invoke wraps the message in a box: compare without the wrapping.
    let text: String = format!("{}{}", out.stdout, out.stderr)
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect();
    assert!(text.contains("Permanent.CorruptObject"), "{text}");
    assert!(
        text.contains(&format!(
            "s3://corrupt-bucket/{key}:corruptlogfile,nothingpublished"
        )),
        "{text}"
    );
    assert_eq!(start_instances(&cw, "corrupt-user0", time).await, 0.0);

    // In an SQS batch only the message naming it comes back.
    let good_key = key.replace("CorruptGzip001", "SqsBatchGood01");
    let users = users_for("sqsbatch", 1);
    put(
        &s3,
        "corrupt-bucket",
        &good_key,
        start_instances_log(&users, time + 600),
    )
    .await;
    let mut good = event.clone();
    good["Records"][0]["s3"]["object"]["key"] = json!(good_key);
    let mut sqs = event_file("sqs-s3-event.json");
    sqs["Records"][0]["body"] = json!(good.to_string());
    sqs["Records"][1]["body"] = json!(event.to_string());
    let out = invoke(&with_real_etags(&s3, sqs.clone()).await);
    assert!(out.ok, "{out:?}");
    let failed_id = sqs["Records"][1]["messageId"].clone();
    assert_eq!(
        out.json(),
        json!({"batchItemFailures": [{"itemIdentifier": failed_id}]})
    );
    assert_eq!(
        start_instances(&cw, "sqsbatch-user0", time + 600).await,
        1.0
    );
}

/// A notification names the version it announces (its ETag). When the object was overwritten since,
/// that version is gone: the read is refused (If-Match), nothing is counted, and the error says so.
/// The new version's own notification publishes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_notification_for_an_overwritten_object_counts_nothing() {
    let _shared = FAULTS.read().await;
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    ensure_bucket(&s3, "pinned-bucket").await;
    let time = (now() - 4 * 86_400) / 60 * 60 + 1800;
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T0950Z_Overwritten01.json.gz";
    let first = put_object(
        &s3,
        "pinned-bucket",
        key,
        start_instances_log(&users_for("pinned-first", 1), time),
    )
    .await;
    let second = put_object(
        &s3,
        "pinned-bucket",
        key,
        start_instances_log(&users_for("pinned-second", 1), time),
    )
    .await;
    assert_ne!(first, second);
    let mut event = event_file("s3-put.json");
    event["Records"][0]["s3"]["bucket"]["name"] = json!("pinned-bucket");
    event["Records"][0]["s3"]["object"]["key"] = json!(key);
    event["Records"][0]["s3"]["object"]["eTag"] = json!(first);
    let out = invoke(&event);
    assert!(!out.ok, "{out:?}");
    let text = error_text(&out);
    assert!(text.contains("Permanent.Superseded"), "{text}");
    // The answer is boxed and wrapped: compare without spaces.
    assert!(
        text.replace(' ', "")
            .contains("overwrittenafteritsnotification"),
        "{text}"
    );
    assert_eq!(start_instances(&cw, "pinned-first-user0", time).await, 0.0);
    assert_eq!(start_instances(&cw, "pinned-second-user0", time).await, 0.0);
    event["Records"][0]["s3"]["object"]["eTag"] = json!(second);
    let out = invoke(&event);
    assert!(out.ok, "{out:?}");
    assert_eq!(start_instances(&cw, "pinned-second-user0", time).await, 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn unrecognised_events_are_errors() {
    let _shared = FAULTS.read().await;
    let out =
        invoke(&json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}));
    assert!(!out.ok, "{out:?}");
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(
        text.contains("Permanent.UnrecognisedEvent") && text.contains("aws.events"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_a_failed_publish_sends_only_what_was_not_accepted() {
    let _alone = FAULTS.write().await;
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    let time = (now() - 3 * 86_400) / 60 * 60;
    // 2,500 users: three PutMetricData requests. The second fails, past the SDK's retries. A thousand
    // users an hour, within the built-in rule's cardinality guard.
    let hour_of = |i: usize| time + (i / 1000) as i64 * 3600;
    let log: Vec<Value> = (0..2500)
        .map(|i| {
            json!({
                "eventVersion": "1.09",
                "userIdentity": {"type": "IAMUser", "userName": format!("retry-user{i}")},
                "eventTime": rfc3339(hour_of(i)),
                "eventSource": "ec2.amazonaws.com",
                "eventName": "StartInstances",
                "eventID": format!("retry-{i}"),
            })
        })
        .collect();
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T1000Z_PartialPublish1.json.gz";
    let log = gzip(json!({ "Records": log }).to_string().as_bytes());
    put(&s3, "retry-bucket", key, log).await;
    let mut event = event_file("s3-put.json");
    event["Records"][0]["s3"]["bucket"]["name"] = json!("retry-bucket");
    event["Records"][0]["s3"]["object"]["key"] = json!(key);

    set_faults(json!([{"action": "PutMetricData", "pass": 1, "fail": 1000, "status": 503}]));
    let out = invoke(&with_real_etags(&s3, event.clone()).await);
    set_faults(json!([]));
    assert!(!out.ok, "{out:?}");
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(
        text.contains("Retryable") && text.contains("PutMetricData request 2 of 3"),
        "{text}"
    );

    // Lambda's retry.
    let out = invoke(&with_real_etags(&s3, event.clone()).await);
    assert!(out.ok, "{out:?}");
    let answer = out.json().to_string();
    assert!(
        answer.contains("2 of 3 requests sent (resumed after 1 published before)"),
        "{answer}"
    );
    // And a duplicate notification after that.
    let out = invoke(&with_real_etags(&s3, event.clone()).await);
    assert!(out.stdout.contains("already published"), "{out:?}");

    for i in [0, 999, 1000, 1999, 2000, 2499] {
        let user = format!("retry-user{i}");
        assert_eq!(start_instances(&cw, &user, hour_of(i)).await, 1.0, "{user}");
    }
}

/// A PutMetricData that stalls (the connection accepts and never answers) is given up after the
/// SDK's attempt timeout and tried again, well inside the invocation: the file is published once.
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_call_is_abandoned_and_retried_within_the_invocation() {
    let _alone = FAULTS.write().await;
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    let time = (now() - 3 * 86_400) / 60 * 60 + 300;
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T1005Z_StalledCall001.json.gz";
    put(
        &s3,
        "stall-bucket",
        key,
        start_instances_log(&users_for("stalled", 1), time),
    )
    .await;
    let mut event = event_file("s3-put.json");
    event["Records"][0]["s3"]["bucket"]["name"] = json!("stall-bucket");
    event["Records"][0]["s3"]["object"]["key"] = json!(key);
    let hang = trailwatch::aws::ATTEMPT_TIMEOUT.as_secs() + 20;
    set_faults(json!([{"action": "PutMetricData", "fail": 1, "hang": hang}]));
    let started = std::time::Instant::now();
    let out = invoke(&with_real_etags(&s3, event).await);
    let took = started.elapsed();
    set_faults(json!([]));
    assert!(out.ok, "{out:?}");
    assert!(
        took.as_secs() < hang,
        "the stalled attempt was waited out: {took:?}"
    );
    assert_eq!(start_instances(&cw, "stalled-user0", time).await, 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_log_is_counted_as_an_independent_count_says() {
    let _shared = FAULTS.read().await;
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    // A real published log (invictus-ir), its times moved to two days ago so CloudWatch accepts them.
    let path = root().join(
        "events/cloudtrail/218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json",
    );
    let mut log: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let records = log["Records"].as_array_mut().unwrap();
    let shift = (now() - 2 * 86_400) / 3600 * 3600 - 1_688_990_400; // 2023-07-10T12:00:00Z
    let mut unauthorized = 0.0;
    let mut first = i64::MAX;
    let mut last = i64::MIN;
    for r in records.iter_mut() {
        let t = parse_time(r["eventTime"].as_str().unwrap()) + shift;
        first = first.min(t);
        last = last.max(t);
        r["eventTime"] = json!(rfc3339(t));
        // CIS v7.0.0 5.1, the default: `A || (B && C && D)`, as CloudWatch reads it.
        let code = r["errorCode"].as_str().unwrap_or("");
        let ip = r["sourceIPAddress"].as_str();
        let name = r["eventName"].as_str();
        if code.ends_with("UnauthorizedOperation")
            || (code.starts_with("AccessDenied")
                && ip.is_some_and(|ip| ip != "delivery.logs.amazonaws.com")
                && name.is_some_and(|n| n != "HeadBucket"))
        {
            unauthorized += 1.0;
        }
    }
    assert!(unauthorized > 0.0, "the sample has AccessDenied events");
    let records_len = records.len();
    let key = "AWSLogs/218007301253/CloudTrail/us-east-1/2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json.gz";
    put(&s3, "real-bucket", key, gzip(log.to_string().as_bytes())).await;
    let mut event = event_file("s3-put.json");
    event["Records"][0]["s3"]["bucket"]["name"] = json!("real-bucket");
    event["Records"][0]["s3"]["object"]["key"] = json!(key);
    // From the object's notification arriving at the function to its metrics accepted by PutMetricData,
    // over the local Lambda runtime API (the S3 path's own part, after CloudTrail's delivery delay).
    let event = with_real_etags(&s3, event.clone()).await;
    let function = watch();
    let start = std::time::Instant::now();
    let answer = function.invoke_http(&event);
    let took = start.elapsed();
    assert!(answer.ok(), "{answer:?}");
    eprintln!(
        "S3 path: a {}-record log file, notification in to PutMetricData accepted: {took:?}",
        records_len
    );
    let got = statistic(
        &cw,
        "UnauthorizedAPICalls",
        &[],
        first - 60,
        last + 60,
        Statistic::Sum,
    )
    .await;
    assert_eq!(got, unauthorized);
}

fn parse_time(s: &str) -> i64 {
    trailwatch::time::UnixSeconds::parse_rfc3339(s).unwrap().0
}

/// Peak resident memory (VmHWM) of the function process this test binary's `cargo lambda watch` runs,
/// in bytes (found below the watch, so other trail-metrics processes on the machine do not count).
fn function_peak_rss() -> u64 {
    let pid = watch()
        .function_pid()
        .expect("the trail-metrics process under cargo lambda watch");
    proc_status_bytes(pid, "VmHWM").expect("VmHWM of the function process")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_50_mb_gzipped_log_is_published_within_a_256_mb_memory_budget() {
    let _shared = FAULTS.read().await;
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    let file = log_dir().join("big.json.gz");
    let generated = std::process::Command::new("python3")
        .arg(root().join("scripts/gen_cloudtrail.py"))
        .arg(&file)
        .args(["--records", "235000", "--start", "now"])
        .output()
        .unwrap();
    assert!(generated.status.success(), "{generated:?}");
    let bytes = std::fs::read(&file).unwrap();
    let size = bytes.len();
    assert!(size >= 50_000_000, "{size} bytes");
    let reference = std::process::Command::new("python3")
        .arg(root().join("scripts/reference_count.py"))
        .arg(&file)
        .output()
        .unwrap();
    let reference = String::from_utf8(reference.stdout).unwrap();
    let expected = |name: &str| -> f64 {
        reference
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {reference}"))
            .parse()
            .unwrap()
    };

    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T1100Z_FiftyMegabytes.json.gz";
    put(&s3, "big-bucket", key, bytes).await;
    let mut event = event_file("s3-put.json");
    event["Records"][0]["s3"]["bucket"]["name"] = json!("big-bucket");
    event["Records"][0]["s3"]["object"]["key"] = json!(key);
    let out = invoke(&with_real_etags(&s3, event.clone()).await);
    assert!(out.ok, "{out:?}");
    let peak = function_peak_rss();
    println!(
        "trail-metrics peak RSS after a {:.1} MB gzipped log: {:.1} MiB",
        size as f64 / 1e6,
        peak as f64 / 1048576.0
    );
    assert!(peak < 256 << 20, "peak RSS {peak} bytes");

    // Read every StartInstances series back and compare with the reference count.
    let (from, to) = (now() - 4 * 3600, now() + 3600);
    let mut principals = Vec::new();
    let mut token = None;
    loop {
        let page = cw
            .list_metrics()
            .namespace("CloudTrailMetrics")
            .metric_name("StartInstances")
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for m in page.metrics() {
            principals.extend(
                m.dimensions()
                    .iter()
                    .map(|d| d.value().unwrap_or_default().to_owned()),
            );
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    principals.sort();
    principals.dedup();
    let mut total = 0.0;
    let mut active = 0;
    for p in &principals {
        let n = statistic(
            &cw,
            "StartInstances",
            &[("UserName", p)],
            from,
            to,
            Statistic::SampleCount,
        )
        .await;
        total += n;
        active += usize::from(n > 0.0);
    }
    assert_eq!(total, expected("start_instances"));
    assert_eq!(active as f64, expected("principals"));
    let root = statistic(&cw, "RootAccountUsage", &[], from, to, Statistic::Sum).await;
    assert_eq!(root, expected("root_usage"));

    // The content hash the marker keeps, as a digest would list it, against Python's hashlib
    // (OpenSSL's SHA-256) over the decompressed bytes.
    let hashed = std::process::Command::new("python3")
        .args([
            "-c",
            "import gzip, hashlib, sys\nh = hashlib.sha256()\nwith gzip.open(sys.argv[1]) as f:\n    for chunk in iter(lambda: f.read(1 << 20), b''):\n        h.update(chunk)\nprint(h.hexdigest())",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(hashed.status.success(), "{hashed:?}");
    let independent = String::from_utf8(hashed.stdout).unwrap().trim().to_owned();
    assert_eq!(independent.len(), 64, "{independent}");
    let marker = object_text(&s3, STATE_BUCKET, &format!("progress/big-bucket/{key}")).await;
    assert!(
        marker.contains(&format!(" sha256={independent}")),
        "the marker of a {size}-byte gzipped log: {marker}"
    );
}

#[test]
fn a_bad_configuration_stops_the_function_at_start_naming_the_variable() {
    let text = start_fails(
        env!("CARGO_BIN_EXE_trail-metrics"),
        "trail-metrics",
        &[("DEDUP", "dynamodb://table")],
    );
    assert!(text.contains("DEDUP=\"dynamodb://table\""), "{text}");
}
