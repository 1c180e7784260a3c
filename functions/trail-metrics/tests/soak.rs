//! The soak: one trail-metrics process under the Lambda runtime API (`cargo lambda watch`), invoked
//! many times in a row over the emulator's Invoke API with a seeded mix of new log files, duplicate
//! notifications, corrupt objects and digest files, reading from and publishing to moto. At the end:
//! every object counted exactly once (metrics read back equal the soak's own count), every corrupt
//! object reported, and the function's RSS within 10% of what it was after 100 invocations.
//!
//! `SOAK_INVOCATIONS` (default 200, what CI runs), `SOAK_RELEASE=1` (the release binary),
//! `SOAK_SEED` (default 1), `SOAK_FUNCTION_ENV=K=V,…` (more environment for the function).
//! `scripts/soak.sh` runs the full one.
#![cfg(feature = "emulator-tests")]

use std::collections::BTreeMap;
use std::time::Instant;

use aws_sdk_cloudwatch::types::Statistic;
use serde_json::{json, Value};
use trailwatch_testkit::*;

const TRAIL_BUCKET: &str = "soak-trail";
const ACCOUNT: &str = "123456789012";
/// The users good logs spread their StartInstances calls over.
const USERS: usize = 12;
/// The only user corrupt objects name: nothing of theirs may ever be counted.
const CORRUPT_USER: &str = "soak-corrupt";
/// The invocation after which the RSS baseline is taken.
const BASELINE_AFTER: usize = 100;

/// SplitMix64: a fixed sequence per seed, so a failing run can be replayed with its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Good,
    Duplicate,
    Corrupt,
    Digest,
}

/// How a notification reaches the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Wrapper {
    /// An S3 event notification, URL-encoded keys and the ETag.
    S3,
    /// That S3 event through SNS.
    SnsS3,
    /// CloudTrail's own SNS notification: keys as they are, no ETag, possibly several.
    SnsCloudTrail,
    /// An S3 event as an SQS message.
    Sqs,
    /// CloudTrail's SNS notification as an SQS message.
    SqsSnsCloudTrail,
}

const WRAPPERS: [Wrapper; 5] = [
    Wrapper::S3,
    Wrapper::SnsS3,
    Wrapper::SnsCloudTrail,
    Wrapper::Sqs,
    Wrapper::SqsSnsCloudTrail,
];

impl Wrapper {
    fn is_sqs(self) -> bool {
        matches!(self, Wrapper::Sqs | Wrapper::SqsSnsCloudTrail)
    }
}

/// One object in the trail bucket, as the soak wrote it.
#[derive(Debug, Clone)]
struct Object {
    key: String,
    /// Unquoted, as S3 event notifications carry it.
    etag: String,
    /// Records in the file (each has an eventTime).
    events: u64,
    /// For a corrupt object, what the error must say is wrong.
    damage: Option<&'static str>,
}

/// The soak's own count of what good objects held.
#[derive(Default)]
struct Expected {
    /// StartInstances calls without an error, per user.
    start_instances: BTreeMap<String, u64>,
    /// StartInstances calls refused with UnauthorizedOperation (the UnauthorizedAPICalls rule).
    unauthorized: u64,
}

/// A log file: StartInstances calls by a few users at recent minutes, plus calls that must not count
/// as StartInstances (a refused one counts as UnauthorizedAPICalls) and calls no rule matches.
fn good_log(rng: &mut Rng, window: (i64, i64), large: bool, expected: &mut Expected) -> Vec<Value> {
    let (from, to) = window;
    let minutes = ((to - from) / 60) as usize;
    let users = if large { 3 } else { 1 + rng.below(3) };
    let first = rng.below(USERS);
    let mut records = Vec::new();
    for u in 0..users {
        let user = format!("soak-user{:02}", (first + u) % USERS);
        let calls = if large { 300 } else { 1 + rng.below(6) };
        for _ in 0..calls {
            let t = from + 60 * rng.below(minutes) as i64 + rng.below(60) as i64;
            records.push(event(&user, "StartInstances", t, None));
        }
        *expected.start_instances.entry(user.clone()).or_default() += calls as u64;
        if rng.below(4) == 0 {
            let t = from + 60 * rng.below(minutes) as i64;
            records.push(event(
                &user,
                "StartInstances",
                t,
                Some("Client.UnauthorizedOperation"),
            ));
            expected.unauthorized += 1;
        }
        if rng.below(2) == 0 {
            let t = from + 60 * rng.below(minutes) as i64;
            records.push(event(&user, "DescribeInstances", t, None));
        }
    }
    records
}

fn event(user: &str, name: &str, time: i64, error: Option<&str>) -> Value {
    let mut e = json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "userName": user, "accountId": ACCOUNT},
        "eventTime": rfc3339(time),
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.20",
        "eventID": format!("soak-{time}-{user}-{name}"),
        "recipientAccountId": ACCOUNT,
    });
    if let Some(code) = error {
        e["errorCode"] = json!(code);
        e["errorMessage"] = json!("You are not authorized to perform this operation.");
    }
    e
}

/// The three ways a log object is corrupt in the wild: cut short, not JSON, not UTF-8; with what the
/// error must say. Each holds StartInstances calls of `CORRUPT_USER` before the damage: each file is
/// all or nothing.
fn corrupt_log(variant: usize, time: i64) -> (Vec<u8>, &'static str) {
    let records: Vec<Value> = (0..5)
        .map(|i| event(CORRUPT_USER, "StartInstances", time + i, None))
        .collect();
    let text = json!({"Records": records}).to_string();
    // After the last record, before the closing `]}`.
    let end = text.len() - 2;
    match variant % 3 {
        0 => {
            let mut gz = gzip(text.as_bytes());
            gz.truncate(gz.len() * 2 / 3);
            (gz, "truncated")
        }
        1 => {
            let bad = format!("{},{{\"eventTime\": oops}}]}}", &text[..end]);
            (gzip(bad.as_bytes()), "invalid JSON")
        }
        _ => {
            let mut bytes = text.into_bytes();
            bytes.splice(end..end, *b",{\"eventName\":\"\xff\xfe\"}");
            (gzip(&bytes), "UTF-8")
        }
    }
}

/// A starting digest of a quiet hour, delivered as `key`.
fn digest_content(time: i64, key: &str) -> Vec<u8> {
    gzip(
        json!({
            "awsAccountId": ACCOUNT,
            "digestStartTime": rfc3339(time - 3600),
            "digestEndTime": rfc3339(time),
            "digestS3Bucket": TRAIL_BUCKET,
            "digestS3Object": key,
            "newestEventTime": null,
            "oldestEventTime": null,
            "previousDigestS3Bucket": null,
            "previousDigestS3Object": null,
            "previousDigestHashValue": null,
            "previousDigestHashAlgorithm": null,
            "previousDigestSignature": null,
            "digestPublicKeyFingerprint": "0123456789abcdef0123456789abcdef",
            "digestSignatureAlgorithm": "SHA256withRSA",
            "logFiles": [],
        })
        .to_string()
        .as_bytes(),
    )
}

/// A CloudTrail key for `seq`, under a prefix with spaces and parentheses for one object in five,
/// so S3 notifications carry URL-encoded keys.
fn log_key(seq: usize, time: i64, folder: &str) -> String {
    let t = rfc3339(time); // 2026-11-25T09:10:00Z
    let (y, m, d) = (&t[0..4], &t[5..7], &t[8..10]);
    let hm = format!("{}{}", &t[11..13], &t[14..16]);
    let prefix = if seq.is_multiple_of(5) {
        "soak logs (prod)/"
    } else {
        ""
    };
    format!(
        "{prefix}AWSLogs/{ACCOUNT}/{folder}/us-east-1/{y}/{m}/{d}/{ACCOUNT}_{folder}_us-east-1_{y}{m}{d}T{hm}Z_Soak{seq:012}.json.gz"
    )
}

/// S3 event notifications URL-encode keys (`+` for a space).
fn url_encode(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Event builders from the sample events in events/trail-metrics/.
struct Templates {
    s3: Value,
    sns: Value,
    sqs: Value,
}

impl Templates {
    fn load() -> Templates {
        Templates {
            s3: event_file("s3-put.json")["Records"][0].clone(),
            sns: event_file("sns-cloudtrail-notification.json")["Records"][0].clone(),
            sqs: event_file("sqs-s3-event.json")["Records"][0].clone(),
        }
    }

    fn s3_event(&self, objects: &[&Object]) -> Value {
        let records: Vec<Value> = objects
            .iter()
            .map(|o| {
                let mut r = self.s3.clone();
                r["s3"]["bucket"]["name"] = json!(TRAIL_BUCKET);
                r["s3"]["bucket"]["arn"] = json!(format!("arn:aws:s3:::{TRAIL_BUCKET}"));
                r["s3"]["object"]["key"] = json!(url_encode(&o.key));
                r["s3"]["object"]["eTag"] = json!(o.etag);
                r
            })
            .collect();
        json!({ "Records": records })
    }

    fn cloudtrail_notification(&self, objects: &[&Object]) -> Value {
        let keys: Vec<&str> = objects.iter().map(|o| o.key.as_str()).collect();
        json!({"s3Bucket": TRAIL_BUCKET, "s3ObjectKey": keys})
    }

    fn sns(&self, message: &Value, seq: usize) -> Value {
        let mut r = self.sns.clone();
        r["Sns"]["Message"] = json!(message.to_string());
        r["Sns"]["MessageId"] = json!(format!("soak-sns-{seq}"));
        r
    }

    /// The event for `objects` through `wrapper`, and the SQS message id when there is one.
    fn wrap(&self, wrapper: Wrapper, objects: &[&Object], seq: usize) -> (Value, Option<String>) {
        let message_id = format!("soak-sqs-{seq}");
        let sqs = |body: String| {
            let mut r = self.sqs.clone();
            r["body"] = json!(body);
            r["messageId"] = json!(message_id);
            json!({ "Records": [r] })
        };
        match wrapper {
            Wrapper::S3 => (self.s3_event(objects), None),
            Wrapper::SnsS3 => (
                json!({"Records": [self.sns(&self.s3_event(objects), seq)]}),
                None,
            ),
            Wrapper::SnsCloudTrail => (
                json!({"Records": [self.sns(&self.cloudtrail_notification(objects), seq)]}),
                None,
            ),
            Wrapper::Sqs => (
                sqs(self.s3_event(objects).to_string()),
                Some(message_id.clone()),
            ),
            Wrapper::SqsSnsCloudTrail => {
                let sns = self.sns(&self.cloudtrail_notification(objects), seq);
                (sqs(sns["Sns"].to_string()), Some(message_id.clone()))
            }
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|e| panic!("{name}={v:?} is not a number: {e}")),
        Err(_) => default,
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// The objects the soak makes, and what it expects of them.
struct Plan {
    s3: aws_sdk_s3::Client,
    rng: Rng,
    /// Event times: (from, to).
    window: (i64, i64),
    expected: Expected,
    published: Vec<Object>,
    corrupt: Vec<Object>,
    objects_good: usize,
    seq: usize,
}

impl Plan {
    /// The objects of one invocation of `kind` (written to the bucket where they must exist), and
    /// what the answer must say of them: published, already published, corrupt or digest.
    async fn objects(&mut self, kind: Kind, wrapper: Wrapper) -> (Vec<Object>, &'static str) {
        self.seq += 1;
        let to = self.window.1;
        match kind {
            Kind::Good => {
                // CloudTrail's notification may name several new files.
                let n = if wrapper == Wrapper::SnsCloudTrail && self.rng.below(3) == 0 {
                    2
                } else {
                    1
                };
                let mut objects = Vec::new();
                for _ in 0..n {
                    self.seq += 1;
                    self.objects_good += 1;
                    let large = self.objects_good.is_multiple_of(50);
                    let records = good_log(&mut self.rng, self.window, large, &mut self.expected);
                    let key = log_key(self.seq, to, "CloudTrail");
                    let body = gzip(json!({ "Records": records }).to_string().as_bytes());
                    let etag = put_object(&self.s3, TRAIL_BUCKET, &key, body).await;
                    objects.push(Object {
                        key,
                        etag,
                        events: records.len() as u64,
                        damage: None,
                    });
                }
                self.published.extend(objects.iter().cloned());
                (objects, "published")
            }
            Kind::Duplicate => {
                let o = self.published[self.rng.below(self.published.len())].clone();
                (vec![o], "already published")
            }
            Kind::Corrupt => {
                // One in four is a redelivery of a corrupt object seen before: it fails again.
                if !self.corrupt.is_empty() && self.rng.below(4) == 0 {
                    (
                        vec![self.corrupt[self.rng.below(self.corrupt.len())].clone()],
                        "corrupt",
                    )
                } else {
                    let key = log_key(self.seq, to, "CloudTrail");
                    let (body, damage) = corrupt_log(self.corrupt.len(), to - 600);
                    let etag = put_object(&self.s3, TRAIL_BUCKET, &key, body).await;
                    let o = Object {
                        key,
                        etag,
                        events: 0,
                        damage: Some(damage),
                    };
                    self.corrupt.push(o.clone());
                    (vec![o], "corrupt")
                }
            }
            Kind::Digest => {
                if self.rng.below(2) == 0 {
                    // A digest by its key: checked (a starting digest listing no file).
                    let key = log_key(self.seq, to, "CloudTrail-Digest");
                    let etag =
                        put_object(&self.s3, TRAIL_BUCKET, &key, digest_content(to, &key)).await;
                    let o = Object {
                        key,
                        etag,
                        events: 0,
                        damage: None,
                    };
                    (vec![o], "digest")
                } else {
                    // A digest under a log key: skipped by its content.
                    let key = log_key(self.seq, to, "CloudTrail");
                    let etag =
                        put_object(&self.s3, TRAIL_BUCKET, &key, digest_content(to, &key)).await;
                    let o = Object {
                        key,
                        etag,
                        events: 0,
                        damage: None,
                    };
                    (vec![o], "digest")
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn soak_many_invocations_count_each_object_once_report_every_bad_one_and_do_not_leak() {
    let invocations = env_number("SOAK_INVOCATIONS", 200) as usize;
    let seed = env_number("SOAK_SEED", 1);
    let release = std::env::var("SOAK_RELEASE").is_ok_and(|v| v == "1");
    assert!(
        invocations > BASELINE_AFTER,
        "SOAK_INVOCATIONS must be more than {BASELINE_AFTER}: the RSS baseline is taken after {BASELINE_AFTER}"
    );
    let (s3, cw) = clients().await;
    ensure_bucket(&s3, STATE_BUCKET).await;
    ensure_bucket(&s3, TRAIL_BUCKET).await;

    let started = Instant::now();
    let mut env = function_env();
    env.push(format!("DEDUP=s3://{STATE_BUCKET}/progress/"));
    // More environment for the function, to try a setting (an allocator tunable…) under the soak.
    let extra_env = std::env::var("SOAK_FUNCTION_ENV").unwrap_or_default();
    env.extend(
        extra_env
            .split(',')
            .filter(|kv| !kv.is_empty())
            .map(str::to_owned),
    );
    // No reload mid-run: one process from the first invocation to the last.
    let mut options = vec!["--ignore-changes"];
    if release {
        options.push("--release");
    }
    let ping = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "ping"});
    let watch = start_watch_with("trail-metrics", &env, &ping, &options);
    let ready = started.elapsed();
    let pid = watch
        .function_pid()
        .expect("the trail-metrics process under cargo lambda watch");
    let binary = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    let profile = if release { "/release/" } else { "/debug/" };
    assert!(
        binary.to_string_lossy().contains(profile),
        "cargo lambda watch runs {}, not the {profile} build",
        binary.display()
    );

    let templates = Templates::load();
    // Event times: the last three hours, whole minutes, inside CloudWatch's 14-day window.
    let to = now() / 60 * 60 - 60;
    let from = to - 3 * 3600;
    let mut plan = Plan {
        s3: s3.clone(),
        rng: Rng(seed),
        window: (from, to),
        expected: Expected::default(),
        published: Vec::new(),
        corrupt: Vec::new(),
        objects_good: 0,
        seq: 0,
    };
    let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut wrappers: BTreeMap<Wrapper, usize> = BTreeMap::new();
    let mut problems: Vec<String> = Vec::new();
    let mut failed_invocations = 0;
    // Corrupt objects not notified through SQS fail the invocation; SQS hands the message back.
    let mut failures_expected = 0;
    let mut rss_samples = Vec::new();
    let mut slowest = (0.0f64, 0);

    let loop_started = Instant::now();
    for i in 1..=invocations {
        let roll = plan.rng.below(100);
        let kind = match roll {
            _ if plan.published.is_empty() => Kind::Good,
            0..=54 => Kind::Good,
            55..=74 => Kind::Duplicate,
            75..=86 => Kind::Corrupt,
            _ => Kind::Digest,
        };
        *kinds.entry(kind).or_default() += 1;
        let wrapper = WRAPPERS[plan.rng.below(WRAPPERS.len())];
        *wrappers.entry(wrapper).or_default() += 1;

        // What to invoke with, and what the answer must be.
        let (objects, expect) = plan.objects(kind, wrapper).await;
        let refs: Vec<&Object> = objects.iter().collect();
        let (payload, message_id) = templates.wrap(wrapper, &refs, plan.seq);

        let t = Instant::now();
        let answer = watch.invoke_http(&payload);
        let took = t.elapsed().as_secs_f64();
        if took > slowest.0 {
            slowest = (took, i);
        }
        if !answer.ok() {
            failed_invocations += 1;
        }
        if kind == Kind::Corrupt && !wrapper.is_sqs() {
            failures_expected += 1;
        }
        let context = format!("invocation {i} ({kind:?} through {wrapper:?})");
        let problem = check(&answer, expect, &objects, message_id.as_deref());
        if let Some(p) = problem {
            problems.push(format!("{context}: {p}"));
        }

        if i == BASELINE_AFTER || i % 100 == 0 || i == invocations {
            let now_pid = watch.function_pid();
            assert_eq!(
                now_pid,
                Some(pid),
                "the function process changed or died by invocation {i}: {}",
                watch
                    .log()
                    .lines()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            let rss = proc_status_bytes(pid, "VmRSS").expect("VmRSS of the function process");
            rss_samples.push((i, rss, loop_started.elapsed().as_secs_f64()));
        }
    }
    let loop_time = loop_started.elapsed();

    // Read every series back from the emulator and compare with the soak's own count.
    let counts = read_back(&cw, &plan.expected, (from, to), &mut problems).await;
    let (read_back_total, expected_total, corrupt_counted, unauthorized) = (
        counts.start_instances,
        counts.expected_start_instances,
        counts.from_corrupt,
        counts.unauthorized,
    );
    // Every corrupt object is in the function's log as an error, whichever way it came in.
    let log = watch.log();
    for o in &plan.corrupt {
        let name = format!("s3://{TRAIL_BUCKET}/{}", o.key);
        let damage = o.damage.unwrap_or_default();
        if !log.lines().any(|l| {
            l.contains(&name) && l.contains("Permanent.CorruptObject") && l.contains(damage)
        }) {
            problems.push(format!(
                "{name}: no Permanent.CorruptObject error saying {damage:?} in the function's log"
            ));
        }
    }

    let rss_baseline = rss_samples
        .iter()
        .find(|(i, _, _)| *i == BASELINE_AFTER)
        .map(|(_, r, _)| *r)
        .unwrap();
    let rss_end = rss_samples.last().map(|(_, r, _)| *r).unwrap();
    let ratio = rss_end as f64 / rss_baseline as f64;
    let peak = proc_status_bytes(pid, "VmHWM").unwrap_or(0);
    let count = |k| kinds.get(&k).copied().unwrap_or(0);
    println!(
        "soak: {} binary ({}{}), seed {seed}, {invocations} invocations in {:.1} s ({:.1} ms each, slowest {:.0} ms at #{}), \
         ready after {:.1} s",
        if release { "release" } else { "debug" },
        binary.display(),
        if extra_env.is_empty() {
            String::new()
        } else {
            format!(", with {extra_env}")
        },
        loop_time.as_secs_f64(),
        loop_time.as_secs_f64() * 1000.0 / invocations as f64,
        slowest.0 * 1000.0,
        slowest.1,
        ready.as_secs_f64(),
    );
    println!(
        "soak: invocations good {} ({} new objects), duplicate {}, corrupt {} ({} distinct objects), digest {}; \
         failed invocations {failed_invocations} (expected {failures_expected})",
        count(Kind::Good),
        plan.objects_good,
        count(Kind::Duplicate),
        count(Kind::Corrupt),
        plan.corrupt.len(),
        count(Kind::Digest),
    );
    println!("soak: wrappers {wrappers:?}");
    // Counts are whole numbers; `as i64` also prints an empty sum (-0.0) as 0.
    println!(
        "soak: StartInstances read back {} (expected {expected_total}) over {USERS} users, \
         UnauthorizedAPICalls {} (expected {}), StartInstances from corrupt objects {}",
        read_back_total as i64,
        unauthorized as i64,
        plan.expected.unauthorized,
        corrupt_counted as i64,
    );
    println!(
        "soak: RSS (and seconds into the run) after invocation {}",
        rss_samples
            .iter()
            .map(|(i, r, t)| format!("#{i} {:.1} MiB ({t:.0} s)", mib(*r)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "soak: RSS after {BASELINE_AFTER} invocations {:.1} MiB, at the end {:.1} MiB, ratio {ratio:.3}, peak {:.1} MiB; \
         wall time {:.1} s",
        mib(rss_baseline),
        mib(rss_end),
        mib(peak),
        started.elapsed().as_secs_f64(),
    );

    assert!(
        problems.is_empty(),
        "{} problems, the first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(
        failed_invocations, failures_expected,
        "only the corrupt ones fail"
    );
    assert!(
        ratio <= 1.10,
        "RSS grew from {rss_baseline} bytes after {BASELINE_AFTER} invocations to {rss_end} at the end"
    );
}

/// What the emulator holds, against what the soak wrote.
struct ReadBack {
    start_instances: f64,
    expected_start_instances: u64,
    from_corrupt: f64,
    unauthorized: f64,
}

/// Reads every series back from the emulator; each difference from `expected` is a problem.
async fn read_back(
    cw: &aws_sdk_cloudwatch::Client,
    expected: &Expected,
    window: (i64, i64),
    problems: &mut Vec<String>,
) -> ReadBack {
    let (read_from, read_to) = (window.0 - 120, window.1 + 180);
    let mut read_back_total = 0.0;
    let mut expected_total = 0;
    for u in 0..USERS {
        let user = format!("soak-user{u:02}");
        let want = expected.start_instances.get(&user).copied().unwrap_or(0);
        expected_total += want;
        for stat in [Statistic::Sum, Statistic::SampleCount] {
            let got = statistic(
                cw,
                "StartInstances",
                &[("UserName", &user)],
                read_from,
                read_to,
                stat.clone(),
            )
            .await;
            if got != want as f64 {
                problems.push(format!(
                    "StartInstances {stat:?} for {user}: read back {got}, expected {want}"
                ));
            }
            if stat == Statistic::Sum {
                read_back_total += got;
            }
        }
    }
    let corrupt_counted = statistic(
        cw,
        "StartInstances",
        &[("UserName", CORRUPT_USER)],
        read_from - 3600,
        read_to,
        Statistic::SampleCount,
    )
    .await;
    if corrupt_counted != 0.0 {
        problems.push(format!(
            "{corrupt_counted} StartInstances from corrupt objects were published"
        ));
    }
    let unauthorized = statistic(
        cw,
        "UnauthorizedAPICalls",
        &[],
        read_from,
        read_to,
        Statistic::Sum,
    )
    .await;
    if unauthorized != expected.unauthorized as f64 {
        problems.push(format!(
            "UnauthorizedAPICalls: read back {unauthorized}, expected {}",
            expected.unauthorized
        ));
    }
    ReadBack {
        start_instances: read_back_total,
        expected_start_instances: expected_total,
        from_corrupt: corrupt_counted,
        unauthorized,
    }
}

/// What is wrong with an answer, if anything. `expect`: published, already published, corrupt, digest.
fn check(
    answer: &Answer,
    expect: &str,
    objects: &[Object],
    message_id: Option<&str>,
) -> Option<String> {
    let names: Vec<String> = objects
        .iter()
        .map(|o| format!("s3://{TRAIL_BUCKET}/{}", o.key))
        .collect();
    if let Some(id) = message_id {
        // SQS: a failed message comes back in batchItemFailures, the others are deleted.
        let want = if expect == "corrupt" {
            json!({"batchItemFailures": [{"itemIdentifier": id}]})
        } else {
            json!({"batchItemFailures": []})
        };
        return (!answer.ok() || answer.json() != want)
            .then(|| format!("expected {want}, got {answer:?}"));
    }
    if expect == "corrupt" {
        if answer.ok() {
            return Some(format!("a corrupt object was not reported: {answer:?}"));
        }
        let error = answer.json();
        let message = error["errorMessage"].as_str().unwrap_or("");
        let damage = objects[0].damage.unwrap_or_default();
        return (error["errorType"] != "Permanent.CorruptObject"
            || !message.contains(&format!("{}: corrupt log file", names[0]))
            || !message.contains(damage))
        .then(|| {
            format!(
                "expected Permanent.CorruptObject naming {} and saying {damage:?}: {error}",
                names[0]
            )
        });
    }
    if !answer.ok() {
        return Some(format!("failed: {}", answer.body));
    }
    let answer = answer.json();
    let Some(summary) = answer["objects"].as_array() else {
        return Some(format!("no objects in {answer}"));
    };
    if summary.len() != objects.len() {
        return Some(format!("{} objects named, answer {answer}", objects.len()));
    }
    for ((line, name), object) in summary.iter().zip(&names).zip(objects) {
        let line = line.as_str().unwrap_or("");
        let ok = match expect {
            "published" => {
                line.starts_with(&format!("{name}: {} events, ", object.events))
                    && line.contains("requests sent")
                    && !line.contains("resumed")
            }
            "already published" => line.starts_with(&format!("{name}: already published")),
            // A digest by its key is checked; a digest under a log key is skipped by its content.
            _ if name.contains("/CloudTrail-Digest/") => {
                line.starts_with(&format!("{name}: digest, 1 digests, 0 log files listed"))
            }
            _ => line.starts_with(&format!("{name}: skipped")) && line.contains("digest"),
        };
        if !ok {
            return Some(format!("expected {expect} for {name}, got {line:?}"));
        }
    }
    None
}
