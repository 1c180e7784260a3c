//! `trailwatch backfill` against the emulator: dry run, publish, and the exactly-once markers it shares
//! with the trail-metrics function (run under `cargo lambda watch`).
#![cfg(feature = "emulator-tests")]

use std::process::Command;

use aws_sdk_cloudwatch::types::Statistic;
use serde_json::json;
use trailwatch_testkit::*;

fn backfill(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .arg("backfill")
        .args(args)
        .env("AWS_ENDPOINT_URL", &emulator().moto)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn log_key(region: &str, day: i64, tag: &str) -> String {
    let date = rfc3339(day);
    let (y, m, d) = (&date[0..4], &date[5..7], &date[8..10]);
    format!("AWSLogs/123456789012/CloudTrail/{region}/{y}/{m}/{d}/123456789012_CloudTrail_{region}_{y}{m}{d}T1200Z_{tag}.json.gz")
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_then_publish_sharing_markers_with_the_function() {
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    let bucket = "backfill-trail";
    let day = now() / 86_400 * 86_400 - 2 * 86_400;
    let files = [
        (log_key("us-east-1", day, "ByTheFunction1"), day + 3600),
        (log_key("us-east-1", day, "BackfillFile02"), day + 4200),
        (
            log_key("eu-west-1", day + 86_400, "BackfillFile03"),
            day + 86_400 + 600,
        ),
        (
            log_key("us-east-1", day - 3 * 86_400, "TooOldForSince"),
            day - 3 * 86_400 + 600,
        ),
    ];
    for (i, (key, time)) in files.iter().enumerate() {
        put(
            &s3,
            bucket,
            key,
            start_instances_log(&[(format!("bf{i}-user"), i + 1)], *time),
        )
        .await;
    }
    put(
        &s3,
        bucket,
        &files[1].0.replace("/CloudTrail/", "/CloudTrail-Digest/"),
        b"{}".to_vec(),
    )
    .await;

    // The function publishes the first file when it lands.
    let event = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": files[0].0}}}]});
    let out = invoke(&event);
    assert!(out.ok, "{out:?}");

    let uri = format!("s3://{bucket}/AWSLogs/123456789012/CloudTrail/");
    let since = &rfc3339(day)[..10];
    let dedup = format!("s3://{STATE_BUCKET}/progress/");
    let common = [uri.as_str(), "--since", since, "--dedup", dedup.as_str()];

    let (ok, stdout, stderr) = backfill(&common);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("3 log files to process"), "{stderr}");
    assert!(stderr.contains("would publish: 2 files"), "{stderr}");
    assert!(
        stderr.contains("already published (skipped): 1"),
        "{stderr}"
    );
    assert!(
        stdout.contains("bf1-user") && stdout.contains("bf2-user"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("bf0-user") && !stdout.contains("bf3-user"),
        "{stdout}"
    );
    let count = |i: usize| {
        let cw = cw.clone();
        let time = files[i].1;
        async move {
            let user = format!("bf{i}-user");
            statistic(
                &cw,
                "StartInstances",
                &[("UserName", &user)],
                time - 120,
                time + 120,
                Statistic::SampleCount,
            )
            .await
        }
    };
    assert_eq!(count(1).await, 0.0, "a dry run publishes nothing");

    let mut publish = common.to_vec();
    publish.push("--publish");
    let (ok, _, stderr) = backfill(&publish);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("published: 2 files"), "{stderr}");
    for i in 0..3 {
        assert_eq!(count(i).await, (i + 1) as f64, "file {i}");
    }
    assert_eq!(count(3).await, 0.0, "before --since");

    // Re-running changes nothing.
    let (ok, _, stderr) = backfill(&publish);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("published: 0 files") && stderr.contains("already published (skipped): 3"),
        "{stderr}"
    );
    for i in 0..3 {
        assert_eq!(count(i).await, (i + 1) as f64, "file {i} after a re-run");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_are_explained() {
    let (ok, _, stderr) = backfill(&["my-bucket/prefix"]);
    assert!(!ok);
    assert!(
        stderr.contains("is not an s3://bucket/prefix URI"),
        "{stderr}"
    );
    let (ok, _, stderr) = backfill(&["s3://b/p", "--since", "last week"]);
    assert!(!ok);
    assert!(stderr.contains("not a date (YYYY-MM-DD)"), "{stderr}");
    // The marker store is never guessed: the wrong one would count the function's files again.
    let (ok, _, stderr) = backfill(&["s3://b/p", "--publish"]);
    assert!(!ok);
    assert!(stderr.contains("--dedup <MODE>"), "{stderr}");
    let (ok, _, stderr) = backfill(&["s3://no-such-bucket-anywhere/AWSLogs/", "--dedup", "off"]);
    assert!(!ok);
    assert!(
        stderr.contains("ListObjectsV2") && stderr.contains("NoSuchBucket"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_failure_is_printed_when_stderr_is_not_a_terminal() {
    let (s3, _) = clients().await;
    let bucket = "backfill-failures";
    let day = now() / 86_400 * 86_400 - 86_400;
    let good = log_key("us-east-1", day, "GoodLogFile001");
    let corrupt = log_key("us-east-1", day, "CorruptFile001");
    put(
        &s3,
        bucket,
        &good,
        start_instances_log(&[("failures-user".into(), 1)], day + 600),
    )
    .await;
    put(
        &s3,
        bucket,
        &corrupt,
        b"{\"Records\":[{\"eventTime\":".to_vec(),
    )
    .await;
    // The same user in the same minute in another file: one datum once CloudWatch adds them up.
    let twin = log_key("us-east-1", day, "GoodLogFile002");
    put(
        &s3,
        bucket,
        &twin,
        start_instances_log(&[("failures-user".into(), 1)], day + 600),
    )
    .await;
    let uri = format!("s3://{bucket}/AWSLogs/");
    // The test reads stderr through a pipe: no terminal, so no progress bar.
    let (ok, _, stderr) = backfill(&[uri.as_str(), "--dedup", "off"]);
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains(&format!("s3://{bucket}/{corrupt}: corrupt log file")),
        "{stderr}"
    );
    assert!(stderr.contains("failed: 1"), "{stderr}");
    assert!(
        stderr.contains("CloudWatch adds them up to the table's"),
        "{stderr}"
    );
}
