//! `trailwatch verify` against the emulator: digests over a range of hours, checked against the markers
//! the trail-metrics function (under `cargo lambda watch`) writes; `--repair` publishes what is missing.
#![cfg(feature = "emulator-tests")]

use std::process::Command;

use serde_json::json;
use trailwatch_testkit::*;

const BUCKET: &str = "verify-trail";
const ACCOUNT: &str = "123456789012";

fn verify(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .arg("verify")
        .args(args)
        .env("AWS_ENDPOINT_URL", &emulator().moto)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn log_key(time: i64, tag: &str) -> String {
    let t = rfc3339(time);
    let (y, m, d) = (&t[0..4], &t[5..7], &t[8..10]);
    format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/{y}/{m}/{d}/{ACCOUNT}_CloudTrail_us-east-1_{y}{m}{d}T{}{}Z_{tag}.json.gz", &t[11..13], &t[14..16])
}

fn digest_key(end: i64) -> String {
    let t = rfc3339(end);
    let (y, m, d) = (&t[0..4], &t[5..7], &t[8..10]);
    let stamp = t.replace(['-', ':'], "");
    format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/{y}/{m}/{d}/{ACCOUNT}_CloudTrail-Digest_us-east-1_main_us-east-1_{stamp}")
        + ".json.gz"
}

/// Two digests of one chain: the first lists a file the function published; the second a file
/// whose notification never came, one overwritten since, one deleted. A check reports them and
/// exits 1; `--repair` publishes the unnotified one and refuses the overwritten one.
#[tokio::test(flavor = "multi_thread")]
async fn verify_reports_every_gap_and_repair_publishes_what_is_missing() {
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    // Two days ago, on the hour and a bit: inside CloudWatch's window.
    let hour = (now() / 3600 - 48) * 3600;
    let tags = [
        "VerifyNotify",
        "VerifyLost01",
        "VerifyForged",
        "VerifyGone01",
    ];
    let times: Vec<i64> = (0..4).map(|i| hour + 600 + 60 * i).collect();
    let keys: Vec<String> = tags
        .iter()
        .zip(&times)
        .map(|(t, at)| log_key(*at, t))
        .collect();
    let logs: Vec<Vec<u8>> = tags
        .iter()
        .zip(&times)
        .map(|(t, at)| start_instances_log(&[(format!("{t}-user"), 1)], *at))
        .collect();
    put(&s3, BUCKET, &keys[0], logs[0].clone()).await;
    put(&s3, BUCKET, &keys[1], logs[1].clone()).await;
    let forged = start_instances_log(&[("VerifyMallory-user".into(), 1)], times[2]);
    put(&s3, BUCKET, &keys[2], forged).await;

    let (first_end, second_end) = (hour + 91, hour + 3691);
    let first_key = digest_key(first_end);
    let plain0 = gunzip(&logs[0]);
    let first = digest_json(BUCKET, &first_key, first_end, &[(&keys[0], &plain0)], None);
    put(&s3, BUCKET, &first_key, gzip(&first)).await;
    let plain: Vec<Vec<u8>> = logs[1..].iter().map(|l| gunzip(l)).collect();
    let listed: Vec<(&str, &[u8])> = keys[1..]
        .iter()
        .map(String::as_str)
        .zip(plain.iter().map(Vec::as_slice))
        .collect();
    let second_key = digest_key(second_end);
    let second = digest_json(
        BUCKET,
        &second_key,
        second_end,
        &listed,
        Some((&first_key, &first)),
    );
    put(&s3, BUCKET, &second_key, gzip(&second)).await;

    let event = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": keys[0]}}}]});
    assert!(invoke(&event).ok);

    let uri = format!("s3://{BUCKET}/AWSLogs/{ACCOUNT}/CloudTrail-Digest/");
    let since = &rfc3339(hour)[..10];
    let until = rfc3339(second_end + 600);
    let dedup = format!("s3://{STATE_BUCKET}/progress/");
    let base = [
        uri.as_str(),
        "--since",
        since,
        "--until",
        until.as_str(),
        "--dedup",
        dedup.as_str(),
        "--grace-seconds",
        "0",
    ];
    let (code, stdout, stderr) = verify(&base);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let line = |key: &str, what: &str| format!("s3://{BUCKET}/{key}: {what}");
    for key in &keys[1..] {
        assert!(
            stdout.contains(&line(key, "NOT PUBLISHED")),
            "{key}: {stdout}"
        );
    }
    assert!(
        stdout.contains(&line(&first_key, "CHAIN START")),
        "{stdout}"
    );
    assert!(!stdout.contains("DIGEST"), "the chain is whole: {stdout}");
    assert!(
        stderr.contains("2 digests, 4 log files listed: 1 published")
            && stderr.contains("3 not published")
            && stderr.contains("add --repair"),
        "{stderr}"
    );
    assert_eq!(
        start_instances(&cw, "VerifyLost01-user", times[1]).await,
        0.0,
        "nothing written without --repair"
    );

    let mut repair = base.to_vec();
    repair.push("--repair");
    let (code, stdout, stderr) = verify(&repair);
    assert_eq!(
        code,
        Some(1),
        "tampered and deleted files remain: {stdout}\n{stderr}"
    );
    assert!(stdout.contains(&line(&keys[1], "RECOVERED")), "{stdout}");
    assert!(
        stdout.contains(&line(&keys[2], "TAMPERED")) && stdout.contains("not published"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&line(&keys[3], "MISSING")) && stdout.contains("NoSuchKey"),
        "{stdout}"
    );
    assert_eq!(
        start_instances(&cw, "VerifyLost01-user", times[1]).await,
        1.0
    );
    assert_eq!(
        start_instances(&cw, "VerifyMallory-user", times[2]).await,
        0.0
    );

    // Again: the recovered file is published now, and counted once.
    let (code, stdout, _) = verify(&repair);
    assert_eq!(code, Some(1));
    assert!(!stdout.contains("RECOVERED"), "{stdout}");
    assert_eq!(
        start_instances(&cw, "VerifyLost01-user", times[1]).await,
        1.0
    );

    // The first hour alone is complete: exit 0.
    let first_only = rfc3339(first_end + 60);
    let (code, stdout, stderr) = verify(&[
        uri.as_str(),
        "--since",
        since,
        "--until",
        first_only.as_str(),
        "--dedup",
        dedup.as_str(),
    ]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");

    // Later than two hours after the newest digest, the chain has fallen silent.
    let late = rfc3339(second_end + 3 * 3600);
    let (code, stdout, _) = verify(&[
        uri.as_str(),
        "--since",
        since,
        "--until",
        late.as_str(),
        "--dedup",
        dedup.as_str(),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains(&line(&second_key, "DIGESTS MISSING")),
        "{stdout}"
    );
}

#[test]
fn verify_refuses_to_guess_the_marker_store() {
    let (code, _, stderr) = verify(&["s3://b/AWSLogs/"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--dedup"), "{stderr}");
    let (code, _, stderr) = verify(&["s3://b/AWSLogs/", "--dedup", "off"]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("no markers"), "{stderr}");
}
