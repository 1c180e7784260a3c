//! `trailwatch verify` against the emulator: digests over a range of hours, checked against the markers
//! the trail-metrics function (under `cargo lambda watch`) writes; `--repair` publishes what is missing.
#![cfg(feature = "emulator-tests")]

use std::process::Command;

use serde_json::json;
use trailwatch_testkit::*;

const BUCKET: &str = "verify-trail";
const ACCOUNT: &str = "123456789012";

fn verify(args: &[&str]) -> (Option<i32>, String, String) {
    verify_at(&emulator().moto, args)
}

/// `trailwatch verify` against `endpoint`: moto, or the proxy in front of it.
fn verify_at(endpoint: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .arg("verify")
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
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
    region_digest_key("us-east-1", end)
}

fn region_digest_key(region: &str, end: i64) -> String {
    let t = rfc3339(end);
    let (y, m, d) = (&t[0..4], &t[5..7], &t[8..10]);
    let stamp = t.replace(['-', ':'], "");
    format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/{region}/{y}/{m}/{d}/{ACCOUNT}_CloudTrail-Digest_{region}_main_us-east-1_{stamp}")
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

/// `--signatures`: CloudTrail's public keys come from ListPublicKeys (moto does not serve it; the
/// proxy answers it with the test key), the signatures from each digest object's metadata. A digest
/// changed after CloudTrail signed it passes every other check, and fails this one.
#[tokio::test(flavor = "multi_thread")]
async fn verify_signatures_proves_digests_cloudtrails_and_finds_a_rewritten_one() {
    const SIGNED: &str = "verify-signed-trail";
    let (s3, _) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    let hour = (now() / 3600 - 30) * 3600;
    let (first_end, second_end) = (hour + 91, hour + 3691);
    let first_key = digest_key(first_end);
    let first = digest_json(SIGNED, &first_key, first_end, &[], None);
    put_signed_digest(&s3, SIGNED, &first_key, gzip(&first), &sign_digest(&first)).await;
    // The second as CloudTrail signed it, then rewritten: an hour that had activity made quiet.
    let second_key = digest_key(second_end);
    let second = digest_json(
        SIGNED,
        &second_key,
        second_end,
        &[],
        Some((&first_key, &first)),
    );
    let rewritten = String::from_utf8(second.clone())
        .unwrap()
        .replace(&rfc3339(second_end - 3600), &rfc3339(second_end - 3599));
    put_signed_digest(
        &s3,
        SIGNED,
        &second_key,
        gzip(rewritten.as_bytes()),
        &sign_digest(&second),
    )
    .await;
    // Another region's chain, copied without its metadata.
    let copied_key = region_digest_key("eu-west-1", first_end);
    let copied = digest_json(SIGNED, &copied_key, first_end, &[], None);
    put(&s3, SIGNED, &copied_key, gzip(&copied)).await;

    let timestamp = |t: i64| json!(t as f64);
    set_faults(
        json!([{"action": "ListPublicKeys", "fail": 1000, "answer": {"PublicKeyList": [{
            "Value": aws_smithy_types::base64::encode(TEST_PUBLIC_KEY),
            "ValidityStartTime": timestamp(hour - 86400),
            "ValidityEndTime": timestamp(hour + 86400),
            "Fingerprint": TEST_KEY_FINGERPRINT,
        }]}}]),
    );
    let uri = format!("s3://{SIGNED}/AWSLogs/{ACCOUNT}/CloudTrail-Digest/");
    let dedup = format!("s3://{STATE_BUCKET}/progress/");
    let until = rfc3339(second_end + 600);
    let args = |until: &str, signatures: bool| {
        let mut a = vec![
            uri.clone(),
            "--until".into(),
            until.into(),
            "--dedup".into(),
            dedup.clone(),
        ];
        if signatures {
            a.push("--signatures".into());
        }
        a
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        verify_at(&emulator().proxy, &args)
    };
    let line = |key: &str, what: &str| format!("s3://{SIGNED}/{key}: {what}");

    let (code, stdout, stderr) = run(args(&until, false));
    assert_eq!(
        code,
        Some(0),
        "without signatures, nothing is amiss: {stdout}\n{stderr}"
    );
    assert!(!stdout.contains("SIGNATURE"), "{stdout}");

    let (code, stdout, stderr) = run(args(&until, true));
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&line(
            &second_key,
            "SIGNATURE INVALID: the signature does not match"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&line(&copied_key, "SIGNATURE MISSING")),
        "{stdout}"
    );
    assert!(!stdout.contains(&line(&first_key, "SIGNATURE")), "{stdout}");
    assert!(stderr.contains("; 1 signatures valid, 2 not"), "{stderr}");
    let calls = faults()[0]["seen"].as_u64();
    assert_eq!(calls, Some(2), "ListPublicKeys once in each region");

    // The first hour alone holds: signed by CloudTrail's key, linked to nothing before.
    // The first hour: the first digest holds, the copy (of the same hour) does not.
    let (code, stdout, stderr) = run(args(&rfc3339(first_end + 60), true));
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("; 1 signatures valid, 1 not"), "{stderr}");
    set_faults(json!([]));
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
