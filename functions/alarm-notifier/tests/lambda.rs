//! alarm-notifier end to end: the real binary under the Lambda runtime API (`cargo lambda watch`),
//! real HTTP servers on 127.0.0.1 standing in for Slack, Teams, Discord and a generic webhook, and the
//! moto emulator for SNS (an HTTP subscriber of the e-mail topic receives what SNS delivers), SSM
//! (the Slack URL is a SecureString) and Secrets Manager (the Teams URL). Every test asserts what
//! arrived at each destination.
#![cfg(feature = "emulator-tests")]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{json, Value};
use trailwatch::alarms::{render, Channel, Message, RenderContext, View};
use trailwatch::rules::ruleset::{Evidence, RuleSet};
use trailwatch::time::UnixSeconds;
use trailwatch_testkit::*;

const TOPIC: &str = "trailwatch-alarms";
const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:trailwatch-alarms";
const EVIDENCE_GROUP: &str = "/aws/lambda/trail-metrics";

/// What a stand-in server answers.
#[derive(Debug, Clone)]
enum Answer {
    Status(u16, Option<&'static str>, &'static str),
    /// Accept the request and never answer.
    Hang,
    /// Answer with this status and a long body that echoes the URL called, as some error pages do.
    Echo(u16),
}

#[derive(Debug, Clone)]
struct Received {
    /// `slack`, `teams`, `discord`, `generic` or `sns`: the first path segment.
    hook: String,
    /// The full path and query, to check that the right URL was called.
    uri: String,
    body: Value,
    at: Instant,
    /// The `Authorization` header, if any.
    auth: Option<String>,
}

#[derive(Default)]
struct HookState {
    received: Vec<Received>,
    script: HashMap<String, VecDeque<Answer>>,
}

/// The stand-in webhooks: one HTTP/1.1 server on 127.0.0.1, on its own thread and runtime so it
/// outlives each test's runtime.
struct Hooks {
    addr: SocketAddr,
    state: Arc<Mutex<HookState>>,
}

impl Hooks {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers for the next requests to `hook` (then the usual success).
    fn script(&self, hook: &str, answers: Vec<Answer>) {
        self.state
            .lock()
            .unwrap()
            .script
            .insert(hook.to_owned(), answers.into());
    }

    /// What arrived at `hook` about `alarm`.
    fn received(&self, hook: &str, alarm: &str) -> Vec<Received> {
        self.state
            .lock()
            .unwrap()
            .received
            .iter()
            .filter(|r| {
                let body = r.body.to_string();
                // A sample's own name is also the start of the names unique() makes from it.
                r.hook == hook && body.contains(alarm) && !body.contains(&format!("{alarm}-t"))
            })
            .cloned()
            .collect()
    }
}

fn hooks() -> &'static Hooks {
    static HOOKS: OnceLock<Hooks> = OnceLock::new();
    HOOKS.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(HookState::default()));
        let served = Arc::clone(&state);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let state = Arc::clone(&served);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let state = Arc::clone(&state);
                            async move { Ok::<_, hyper::Error>(answer(&state, req).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Hooks { addr, state }
    })
}

async fn answer(state: &Mutex<HookState>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let uri = req.uri().to_string();
    let uri = uri.as_str();
    let hook = req
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_owned();
    let json_content = req
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = req.into_body().collect().await.unwrap().to_bytes();
    // SNS posts JSON as text/plain; the webhooks must get application/json.
    let body: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| json!({"unparsed": String::from_utf8_lossy(&body)}));
    assert!(
        json_content || hook == "sns",
        "{hook}: not sent as application/json"
    );
    let next = {
        let mut s = state.lock().unwrap();
        s.received.push(Received {
            hook: hook.clone(),
            uri: uri.to_owned(),
            body: body.clone(),
            at: Instant::now(),
            auth: auth.clone(),
        });
        s.script.get_mut(&hook).and_then(VecDeque::pop_front)
    };
    let echoed;
    let posted;
    let (status, retry_after, text) = match next {
        Some(Answer::Hang) => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            (500, None, "")
        }
        Some(Answer::Echo(s)) => {
            // The URL straddles the 200th character, where messages cut bodies.
            echoed = format!("{:<190}{uri} and again {uri}", "No such webhook:");
            (s, None, echoed.as_str())
        }
        Some(Answer::Status(s, r, t)) => (s, r, t),
        // What the real services answer: Slack `200 ok`, Teams Workflows `202`, Discord `204`.
        None => match hook.as_str() {
            "teams" => (202, None, ""),
            "discord" => (204, None, ""),
            // PagerDuty's Events API v2 accepts with 202 and a JSON status.
            "pagerduty" => (
                202,
                None,
                r#"{"status":"success","message":"Event processed"}"#,
            ),
            // Slack's Web API, as chat.postMessage documents it: 200 always, the verdict in `ok`; the
            // bot token in the Authorization header; the message echoed after `ts`.
            "slack-api" => {
                posted = if auth.as_deref() != Some(&format!("Bearer {BOT_TOKEN}")) {
                    json!({"ok": false, "error": "not_authed"})
                } else if !body["channel"].as_str().is_some_and(|c| {
                    c.starts_with('C') && c.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                }) {
                    json!({"ok": false, "error": "channel_not_found"})
                } else {
                    static TS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
                    let n = TS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    json!({"ok": true, "channel": body["channel"], "ts": format!("1764062000.{n:06}"),
                           "message": {"type": "message", "text": body["text"], "attachments": body["attachments"]}})
                }
                .to_string();
                (200, None, posted.as_str())
            }
            _ => (200, None, "ok"),
        },
    };
    let mut response = Response::builder().status(status);
    if let Some(r) = retry_after {
        response = response.header("retry-after", r);
    }
    response
        .body(Full::new(Bytes::from(text.to_owned())))
        .unwrap()
}

const SLACK_PATH: &str = "/slack/services/T000/B000/SECRETSLACK";
const TEAMS_PATH: &str = "/teams/workflows/run?api-version=1&sig=SECRETTEAMS";
const DISCORD_PATH: &str = "/discord/api/webhooks/1/SECRETDISCORD";
const GENERIC_PATH: &str = "/generic/SECRETGENERIC";
const PAGERDUTY_PATH: &str = "/pagerduty/v2/enqueue";
const ROUTING_KEY: &str = "R0123456789abcdef0123456789abcde";
const BOT_TOKEN: &str = "xoxb-17-42-SECRETBOT";
const SLACK_CHANNEL: &str = "C0123ABCDEF";

/// The emulator's side: the SSM parameter, the secret, the topic with an HTTP subscriber, the state
/// bucket. Then alarm-notifier under `cargo lambda watch`.
fn notifier() -> &'static Watch {
    static WATCH: OnceLock<Watch> = OnceLock::new();
    WATCH.get_or_init(|| {
        let h = hooks();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                let config = sdk_config().await;
                let (s3, _) = clients().await;
                ensure_bucket(&s3, STATE_BUCKET).await;
                aws_sdk_ssm::Client::new(&config)
                    .put_parameter()
                    .name("/trailwatch/slack")
                    .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
                    .value(h.url(SLACK_PATH))
                    .overwrite(true)
                    .send()
                    .await
                    .unwrap();
                aws_sdk_ssm::Client::new(&config)
                    .put_parameter()
                    .name("/trailwatch/slack-bot")
                    .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
                    .value(BOT_TOKEN)
                    .overwrite(true)
                    .send()
                    .await
                    .unwrap();
                aws_sdk_ssm::Client::new(&config)
                    .put_parameter()
                    .name("/trailwatch/pagerduty")
                    .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
                    .value(ROUTING_KEY)
                    .overwrite(true)
                    .send()
                    .await
                    .unwrap();
                aws_sdk_secretsmanager::Client::new(&config)
                    .create_secret()
                    .name("trailwatch/teams")
                    .secret_string(json!({ "url": h.url(TEAMS_PATH) }).to_string())
                    .send()
                    .await
                    .unwrap();
                let sns = aws_sdk_sns::Client::new(&config);
                let topic = sns.create_topic().name(TOPIC).send().await.unwrap();
                assert_eq!(topic.topic_arn(), Some(TOPIC_ARN));
                sns.subscribe()
                    .topic_arn(TOPIC_ARN)
                    .protocol("http")
                    .endpoint(h.url("/sns"))
                    .send()
                    .await
                    .unwrap();
            })
        })
        .join()
        .unwrap();
        let mut env = function_env();
        env.extend([
            "SLACK_WEBHOOK_URL=ssm:/trailwatch/slack".to_owned(),
            "TEAMS_WEBHOOK_URL=secretsmanager:trailwatch/teams".to_owned(),
            format!("DISCORD_WEBHOOK_URL={}", h.url(DISCORD_PATH)),
            format!("WEBHOOK_URL={}", h.url(GENERIC_PATH)),
            format!("EMAIL_TOPIC_ARN={TOPIC_ARN}"),
            "PAGERDUTY_ROUTING_KEY=ssm:/trailwatch/pagerduty".to_owned(),
            format!("PAGERDUTY_EVENTS_URL={}", h.url(PAGERDUTY_PATH)),
            "SLACK_BOT_TOKEN=ssm:/trailwatch/slack-bot".to_owned(),
            format!("SLACK_CHANNEL={SLACK_CHANNEL}"),
            format!("SLACK_API_URL={}", h.url("/slack-api/")),
            format!("DEDUP=s3://{STATE_BUCKET}/deliveries/"),
            "WEBHOOK_TIMEOUT_SECONDS=2".to_owned(),
            format!("EVIDENCE_LOG_GROUP={EVIDENCE_GROUP}"),
        ]);
        // A transition that is not notified: the function is up, and nothing is sent.
        let ping = with_states(
            &unique(&sample("sns-trailwatch-root-account-usage.json")),
            "INSUFFICIENT_DATA",
            "OK",
        );
        start_watch("alarm-notifier", &env, &ping)
    })
}

/// Every destination the notifier is configured with, as its answers label them.
const LABELS: [&str; 7] = [
    "slack",
    "slack-bot",
    "teams",
    "discord",
    "webhook",
    "email",
    "pagerduty",
];

/// The tests share the stand-in servers' scripts: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn sample(name: &str) -> Value {
    let path = root().join("events/alarm-notifier").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Applies `f` to every alarm message in an event, whatever its shape.
fn each_message(event: &Value, f: impl Fn(&mut Value, &str)) -> Value {
    let mut event = event.clone();
    if let Some(records) = event.get_mut("Records").and_then(Value::as_array_mut) {
        for r in records {
            let mut m: Value = serde_json::from_str(r["Sns"]["Message"].as_str().unwrap()).unwrap();
            f(&mut m, "sns");
            r["Sns"]["Message"] = json!(m.to_string());
        }
    } else if event.get("alarmData").is_some() {
        f(&mut event["alarmData"], "data");
    } else {
        f(&mut event["detail"], "data");
    }
    event
}

/// The event with a state-change time and an alarm name of its own, so its deliveries are not those
/// of another test.
fn unique(event: &Value) -> Value {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let time = format!("2026-11-25T09:{:02}:{:02}.000+0000", n / 60, n % 60);
    each_message(event, |m, shape| {
        let (name, time_at) = match shape {
            "sns" => ("AlarmName", "/StateChangeTime"),
            _ => ("alarmName", "/state/timestamp"),
        };
        if let Some(t) = m.pointer_mut(time_at) {
            *t = json!(time);
        }
        if let Some(Value::String(s)) = m.get_mut(name) {
            s.push_str(&format!("-t{n:03}"));
        }
    })
}

fn with_states(event: &Value, old: &str, new: &str) -> Value {
    each_message(event, |m, shape| match shape {
        "sns" => {
            m["OldStateValue"] = json!(old);
            m["NewStateValue"] = json!(new);
        }
        _ => {
            m["previousState"]["value"] = json!(old);
            m["state"]["value"] = json!(new);
        }
    })
}

/// What the library renders for the first alarm of `event`, per destination: what must arrive.
fn expected(event: &Value) -> (String, HashMap<Channel, Message>) {
    let alarm = trailwatch::alarms::from_event(event)
        .unwrap()
        .remove(0)
        .unwrap();
    let rules = RuleSet::builtin("CloudTrailMetrics").unwrap();
    let ctx = RenderContext {
        namespace: "CloudTrailMetrics".into(),
        rules: Some(&rules),
        evidence_log_group: Some(EVIDENCE_GROUP.into()),
    };
    let view = View::new(&alarm, &ctx);
    let rendered = Channel::ALL
        .iter()
        .map(|k| (*k, render(*k, &view)))
        .collect();
    (alarm.name, rendered)
}

fn json_of(m: &Message) -> &Value {
    match m {
        Message::Json(v) => v,
        Message::Email { .. } | Message::Nothing(_) => panic!("not JSON"),
    }
}

const HOOKS: [(&str, Channel, &str); 4] = [
    ("slack", Channel::Slack, SLACK_PATH),
    ("teams", Channel::Teams, TEAMS_PATH),
    ("discord", Channel::Discord, DISCORD_PATH),
    ("generic", Channel::Webhook, GENERIC_PATH),
];

/// Checks that each destination got the alarm `count` times, exactly as rendered.
fn assert_arrived(event: &Value, count: usize) {
    assert_arrived_with(event, count, &[]);
}

/// The same, with other counts for some webhooks (those that were called again after failing).
fn assert_arrived_with(event: &Value, count: usize, except: &[(&str, usize)]) {
    let (name, rendered) = expected(event);
    let h = hooks();
    for (hook, kind, path) in HOOKS {
        let got = h.received(hook, &name);
        let count = except
            .iter()
            .find(|(h, _)| *h == hook)
            .map_or(count, |(_, n)| *n);
        assert_eq!(got.len(), count, "{hook}: {name}: {got:#?}");
        for r in got {
            assert_eq!(r.uri, path, "{hook}");
            assert_eq!(&r.body, json_of(&rendered[&kind]), "{hook}: {name}");
        }
    }
    let Message::Email { subject, body } = &rendered[&Channel::Email] else {
        panic!("no e-mail rendering")
    };
    let mails = h.received("sns", &name);
    assert_eq!(mails.len(), count, "e-mail: {name}: {mails:#?}");
    for m in mails {
        assert_eq!(m.body["Type"], "Notification");
        assert_eq!(m.body["TopicArn"], TOPIC_ARN);
        assert_eq!(&m.body["Subject"], subject);
        assert_eq!(&m.body["Message"], body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sample_reaches_every_destination_once_even_when_delivered_twice() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let (s3, _) = clients().await;
    for file in [
        "sns-trailwatch-root-account-usage.json",
        "sns-trailwatch-start-instances-contributor.json",
        "sns-daily-metric-alarm-null-description.json",
        "sns-anomaly-detection-alarm.json",
        "sns-composite-alarm.json",
        "eventbridge-alarm-state-change.json",
        "lambda-action-metric-math-alarm.json",
    ] {
        let event = unique(&sample(file));
        let out = watch.invoke(&event);
        assert!(out.ok, "{file}: {out:?}");
        let deliveries = &out.json()["alarms"][0]["deliveries"];
        let key = out.json()["alarms"][0]["key"].as_str().unwrap().to_owned();
        for label in LABELS {
            assert_eq!(deliveries[label], "sent (1 attempt)", "{file}: {out:?}");
            // Remembered where every container sees it: `<message key>/<label>-<hash of the target>`.
            let listed = s3
                .list_objects_v2()
                .bucket(STATE_BUCKET)
                .prefix(format!("deliveries/{key}/{label}-"))
                .send()
                .await
                .unwrap();
            // `slack-` is also the start of `slack-bot-`: the rest of this label's names is the hash.
            let mine: Vec<_> = listed
                .contents()
                .iter()
                .filter(|o| {
                    o.key()
                        .and_then(|k| k.rsplit_once(&format!("/{label}-")))
                        .is_some_and(|(_, hash)| hash.bytes().all(|b| b.is_ascii_hexdigit()))
                })
                .collect();
            let [marker_key] = mine.as_slice() else {
                panic!("{file}: not one delivery marker for {label}: {listed:?}")
            };
            let marker = s3
                .get_object()
                .bucket(STATE_BUCKET)
                .key(marker_key.key().unwrap())
                .send()
                .await
                .unwrap();
            let text = marker.body.collect().await.unwrap().into_bytes();
            assert!(text.starts_with(b"v1 delivered at="), "{text:?}");
        }
        assert_arrived(&event, 1);
        // SNS delivers at least once, and Lambda retries: the same state change again sends nothing.
        let again = watch.invoke(&event);
        assert!(again.ok, "{file}: {again:?}");
        assert_eq!(
            again.json()["alarms"][0]["deliveries"]["slack"],
            "already delivered"
        );
        assert_arrived(&event, 1);
    }
    // A sample as it is in events/, as a user would invoke it.
    let out = watch.invoke_file(&root().join("events/alarm-notifier/sns-composite-alarm.json"));
    assert!(out.ok, "{out:?}");
    assert_eq!(
        out.json()["alarms"][0]["deliveries"]["discord"],
        "sent (1 attempt)"
    );
    assert_arrived(&sample("sns-composite-alarm.json"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn transitions_not_notified_are_dropped_with_a_log_line() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let event = with_states(
        &unique(&sample("sns-composite-alarm.json")),
        "OK",
        "INSUFFICIENT_DATA",
    );
    let out = watch.invoke(&event);
    assert!(out.ok, "{out:?}");
    assert_eq!(out.json()["alarms"][0]["filtered"], true);
    assert_arrived(&event, 0);
    let (name, _) = expected(&event);
    let log = watch.log();
    assert!(
        log.lines().any(
            |l| l.contains("transition not notified (NOTIFY_TRANSITIONS): dropped")
                && l.contains(&name)
        ),
        "{log}"
    );
}

/// PagerDuty's Events API v2 as its documentation describes it: a trigger with the routing key
/// from SSM, retried on 429, and a resolve with the same dedup key when the alarm is OK again.
#[tokio::test(flavor = "multi_thread")]
async fn pagerduty_is_triggered_retried_on_429_and_resolved() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let h = hooks();
    h.script(
        "pagerduty",
        vec![Answer::Status(429, None, r#"{"status":"throttle event"}"#)],
    );
    let event = unique(&sample("sns-trailwatch-root-account-usage.json"));
    let (name, rendered) = expected(&event);
    let out = watch.invoke(&event);
    assert!(out.ok, "{out:?}");
    assert_eq!(
        out.json()["alarms"][0]["deliveries"]["pagerduty"],
        "sent (2 attempts)"
    );
    let got = h.received("pagerduty", &name);
    assert_eq!(got.len(), 2, "{got:#?}");
    let mut expected_body = json_of(&rendered[&Channel::PagerDuty]).clone();
    expected_body["routing_key"] = json!(ROUTING_KEY);
    for r in &got {
        assert_eq!(r.uri, PAGERDUTY_PATH);
        assert_eq!(r.body, expected_body);
    }
    assert_eq!(got[0].body["event_action"], "trigger");
    let key = got[0].body["dedup_key"].clone();

    let ok = with_states(&event, "ALARM", "OK");
    let out = watch.invoke(&ok);
    assert!(out.ok, "{out:?}");
    let resolves: Vec<Value> = h
        .state
        .lock()
        .unwrap()
        .received
        .iter()
        .filter(|r| {
            r.hook == "pagerduty"
                && r.body["event_action"] == "resolve"
                && r.body["dedup_key"] == key
        })
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(
        resolves.last(),
        Some(&json!({"event_action": "resolve", "dedup_key": key, "routing_key": ROUTING_KEY}))
    );
}

/// Documented EventBridge events: a change CloudWatch mutes, one whose actions it suppresses, and a
/// configuration change. None reaches a channel; each is acknowledged, with a log line.
#[tokio::test(flavor = "multi_thread")]
async fn what_cloudwatch_keeps_quiet_stays_quiet_and_configuration_changes_are_acknowledged() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    for (file, logged) in [
        (
            "documented/eventbridge-single-metric-muted.json",
            "muted by CloudWatch alarm mute rule testMute",
        ),
        (
            "documented/eventbridge-composite-suppressed.json",
            "actions suppressed by WaitPeriod",
        ),
    ] {
        let event = unique(&sample(file));
        let out = watch.invoke(&event);
        assert!(out.ok, "{file}: {out:?}");
        assert!(
            out.json()["alarms"][0]["silenced"]
                .as_str()
                .unwrap()
                .starts_with(logged),
            "{file}: {}",
            out.stdout
        );
        assert_arrived(&event, 0);
        let (name, _) = expected(&event);
        let log = watch.log();
        assert!(
            log.lines()
                .any(|l| l.contains("silenced by CloudWatch") && l.contains(&name)),
            "{file}: {log}"
        );
    }
    let out = watch.invoke(&sample("documented/eventbridge-config-change-update.json"));
    assert!(out.ok, "{out:?}");
    assert_eq!(
        out.json()["ignored"],
        "a configuration change (update) of alarm \"ServerCpuTooHigh\""
    );
    assert!(
        watch
            .log()
            .lines()
            .any(|l| l.contains("not an alarm state change: acknowledged")),
        "{}",
        watch.log()
    );
}

/// `2026-11-25T09:12:30Z` as SNS writes it: `2026-11-25T09:12:30.000+0000`.
fn sns_time(t: UnixSeconds) -> String {
    t.to_string().replace('Z', ".000+0000")
}

/// Lines in trail-metrics' log group, as Lambda ships the function's stdout, logged at `at`.
async fn log_lines(lines: &[String], at: UnixSeconds) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk_config().await);
    if let Err(e) = logs
        .create_log_group()
        .log_group_name(EVIDENCE_GROUP)
        .send()
        .await
    {
        let e = e.into_service_error();
        assert!(e.is_resource_already_exists_exception(), "{e:?}");
    }
    let stream = format!("2026/12/01/[$LATEST]{}", at.0);
    logs.create_log_stream()
        .log_group_name(EVIDENCE_GROUP)
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();
    let mut put = logs
        .put_log_events()
        .log_group_name(EVIDENCE_GROUP)
        .log_stream_name(&stream);
    for l in lines {
        put = put.log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(at.0 * 1000)
                .message(l)
                .build()
                .unwrap(),
        );
    }
    put.send().await.unwrap();
}

/// trail-metrics' evidence lines, searched in its log group: the message of a root-usage alarm lists
/// the newest events (who, what, from where, with which agent) and counts them all once. A line
/// logged again by a retried file, an event of another rule and the function's other lines do not
/// count; nothing a caller wrote pings a channel.
#[tokio::test(flavor = "multi_thread")]
async fn the_events_behind_a_security_alarm_are_in_its_message() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    // Within CloudWatch Logs' 14 days whenever the test runs.
    let changed = UnixSeconds(UnixSeconds::now().0 / 60 * 60 - 3600);
    let evidence = |i: i64, rule: &str| {
        Evidence {
            rule: rule.into(),
            event_id: Some(format!("e{}-{i}", changed.0)),
            event_time: Some(UnixSeconds(changed.0 - 600 + i * 30).to_string()),
            event_name: Some("ConsoleLogin".into()),
            event_source: Some("signin.amazonaws.com".into()),
            error_code: None,
            principal: Some("root".into()),
            actor: Some("root".into()),
            role: None,
            principal_published: None,
            principal_type: Some("Root".into()),
            source_ip: Some(format!("203.0.113.{i}")),
            user_agent: Some("Mozilla/5.0 <!channel>".into()),
            account: Some("123456789012".into()),
            region: Some("us-east-1".into()),
        }
        .log_line("s3://trail/AWSLogs/123456789012/CloudTrail/us-east-1/x.json.gz")
    };
    let mut lines = vec!["START RequestId: 8f5e Version: $LATEST".to_owned()];
    lines.extend((0..7).map(|i| evidence(i, "RootAccountUsage")));
    lines.push(evidence(4, "RootAccountUsage"));
    lines.push(evidence(9, "IAMPolicyChanges"));
    lines.push(r#"{"level":"INFO","message":"published","datums":3}"#.to_owned());
    log_lines(&lines, UnixSeconds(changed.0 - 240)).await;

    let event = each_message(
        &unique(&sample("sns-trailwatch-root-account-usage.json")),
        |m, _| m["StateChangeTime"] = json!(sns_time(changed)),
    );
    let out = watch.invoke(&event);
    assert!(out.ok, "{out:?}");
    let (name, _) = expected(&event);
    let h = hooks();
    let mail = h.received("sns", &name);
    let text = mail[0].body["Message"].as_str().unwrap();
    assert!(
        text.contains("The 5 newest of 7 CloudTrail events rule RootAccountUsage matched:\n"),
        "{text}"
    );
    let at = |i: i64| UnixSeconds(changed.0 - 600 + i * 30).to_string();
    assert!(
        text.contains(&format!(
            "  - {} ConsoleLogin (signin.amazonaws.com), by root (Root) from 203.0.113.6 with \"Mozilla/5.0 <!channel>\", account 123456789012, us-east-1, event e{}-6\n",
            at(6),
            changed.0
        )),
        "{text}"
    );
    for absent in ["203.0.113.1 ", "203.0.113.9", "published"] {
        assert!(!text.contains(absent), "{absent}: {text}");
    }
    assert!(
        text.contains("All the CloudTrail events behind it (Logs Insights):"),
        "{text}"
    );
    let slack = &h.received("slack", &name)[0].body;
    assert!(
        slack.to_string().contains("Mozilla/5.0 &lt;!channel&gt;"),
        "{slack}"
    );
    let generic = &h.received("generic", &name)[0].body;
    assert_eq!(generic["evidence"]["total"], 7, "{generic}");
    assert_eq!(generic["evidence"]["complete"], true);
    assert_eq!(generic["evidence"]["events"].as_array().unwrap().len(), 5);
    let pagerduty = &h.received("pagerduty", &name)[0].body;
    assert_eq!(
        pagerduty["payload"]["custom_details"]["evidence"]["events"]
            .as_array()
            .unwrap()
            .len(),
        5,
        "{pagerduty}"
    );
}

/// Slack through a bot token: chat.postMessage with the token from SSM in the Authorization header,
/// the message in the configured channel; the OK goes in the thread of its ALARM (the `ts` kept in the
/// S3 delivery log), and Slack's `ratelimited` (429 with Retry-After) is waited out.
#[tokio::test(flavor = "multi_thread")]
async fn slack_bot_posts_the_ok_in_the_thread_of_its_alarm() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let h = hooks();
    let alarm = with_states(
        &unique(&sample("eventbridge-alarm-state-change.json")),
        "OK",
        "ALARM",
    );
    let (name, rendered) = expected(&alarm);
    h.script(
        "slack-api",
        vec![Answer::Status(
            429,
            Some("1"),
            r#"{"ok":false,"error":"ratelimited"}"#,
        )],
    );
    let out = watch.invoke(&alarm);
    assert!(out.ok, "{out:?}");
    assert_eq!(
        out.json()["alarms"][0]["deliveries"]["slack-bot"],
        "sent (2 attempts)"
    );
    let got = h.received("slack-api", &name);
    assert_eq!(got.len(), 2, "{got:#?}");
    let posted = &got[1];
    assert_eq!(posted.uri, "/slack-api/chat.postMessage");
    assert_eq!(
        posted.auth.as_deref(),
        Some(format!("Bearer {BOT_TOKEN}").as_str())
    );
    assert_eq!(posted.body["channel"], SLACK_CHANNEL);
    assert!(posted.body.get("thread_ts").is_none());
    let mut expected_body = json_of(&rendered[&Channel::SlackBot]).clone();
    expected_body["channel"] = json!(SLACK_CHANNEL);
    assert_eq!(posted.body, expected_body);
    assert!(
        got[1].at.duration_since(got[0].at) >= Duration::from_millis(900),
        "Retry-After waited"
    );

    // The OK, a minute later: in the thread the ALARM opened.
    let ok = each_message(&with_states(&alarm, "ALARM", "OK"), |m, _| {
        if let Some(t) = m.pointer_mut("/state/timestamp") {
            *t = json!(
                t.as_str()
                    .unwrap()
                    .replace("+0000", "")
                    .replace(".000", ".500")
                    + "+0000"
            );
        }
    });
    let out = watch.invoke(&ok);
    assert!(out.ok, "{out:?}");
    let got = h.received("slack-api", &name);
    assert_eq!(got.len(), 3, "{got:#?}");
    let thread = got[2].body["thread_ts"]
        .as_str()
        .expect("posted in a thread");
    assert!(thread.starts_with("1764062000."), "{thread}");
    // Each invocation runs in one container here, and the thread is found in the S3 log all the same.
    let (s3, _) = clients().await;
    let alarm_key = trailwatch::notify::thread_key(
        &trailwatch::alarms::from_event(&alarm)
            .unwrap()
            .remove(0)
            .unwrap(),
    );
    let listed = s3
        .list_objects_v2()
        .bucket(STATE_BUCKET)
        .prefix(format!("deliveries/{alarm_key}/"))
        .send()
        .await
        .unwrap();
    // One mark per channel the alarm opened a thread in: other tests post this sample alarm to a
    // tagged channel, which keeps a mark of its own beside this one.
    let keys: Vec<_> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .filter(|k| k.ends_with(&format!("/{SLACK_CHANNEL}")))
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let mark = object_text(&s3, STATE_BUCKET, keys[0]).await;
    assert_eq!(mark.split(" ts=").nth(1), Some(thread), "{mark}");
}

/// Routing by alarm tags, in an EventBridge event as AWS documents it (`detail.alarmTags`, an object of
/// key-value pairs, and `detail.alarmTagsStatus`): only the destinations `trailwatch-notify` names get
/// the alarm, and the Slack bot posts in the channel `trailwatch-slack-channel` names.
#[tokio::test(flavor = "multi_thread")]
async fn an_alarms_tags_route_it_to_its_teams_destinations() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let h = hooks();
    let mut event = unique(&sample("eventbridge-alarm-state-change.json"));
    event["detail"]["alarmTags"] = json!({
        "team": "payments", "trailwatch-notify": "slack-bot webhook",
        "trailwatch-slack-channel": "C0456PAYMENTS",
    });
    event["detail"]["alarmTagsStatus"] = json!("SUCCESS");
    let (name, _) = expected(&event);
    let out = watch.invoke(&event);
    assert!(out.ok, "{out:?}");
    let deliveries = &out.json()["alarms"][0]["deliveries"];
    assert_eq!(deliveries["slack-bot"], "sent (1 attempt)", "{deliveries}");
    assert_eq!(deliveries["webhook"], "sent (1 attempt)", "{deliveries}");
    let bot = h.received("slack-api", &name);
    assert_eq!(bot.len(), 1);
    assert_eq!(bot[0].body["channel"], "C0456PAYMENTS");
    let generic = h.received("generic", &name);
    assert_eq!(generic[0].body["alarmTags"]["team"], "payments");
    for hook in ["slack", "teams", "discord", "pagerduty", "sns"] {
        assert!(h.received(hook, &name).is_empty(), "{hook} got it");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_error_is_retried_within_the_invocation() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let h = hooks();
    h.script(
        "slack",
        vec![
            Answer::Status(500, None, "internal_error"),
            Answer::Status(503, None, "busy"),
        ],
    );
    let event = unique(&sample("sns-anomaly-detection-alarm.json"));
    let out = watch.invoke(&event);
    assert!(out.ok, "{out:?}");
    assert_eq!(
        out.json()["alarms"][0]["deliveries"]["slack"],
        "sent (3 attempts)"
    );
    let (name, _) = expected(&event);
    assert_eq!(h.received("slack", &name).len(), 3);
    assert_eq!(h.received("teams", &name).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_requests_waits_for_retry_after() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let h = hooks();
    h.script(
        "discord",
        vec![Answer::Status(429, Some("2"), r#"{"retry_after": 2.0}"#)],
    );
    let event = unique(&sample("sns-daily-metric-alarm-null-description.json"));
    let out = watch.invoke(&event);
    assert!(out.ok, "{out:?}");
    let (name, _) = expected(&event);
    let got = h.received("discord", &name);
    assert_eq!(got.len(), 2, "{got:#?}");
    let waited = got[1].at - got[0].at;
    assert!(waited >= Duration::from_secs(2), "waited {waited:?}");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_beyond_the_invocation_fails_it_and_lambdas_retry_sends_only_what_is_missing()
{
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let h = hooks();
    h.script("generic", vec![Answer::Status(429, Some("3600"), "")]);
    let event = unique(&sample("eventbridge-alarm-state-change.json"));
    let (name, _) = expected(&event);
    let out = watch.invoke(&event);
    assert!(!out.ok, "{out:?}");
    let text = error_text(&out);
    assert!(text.contains("Retryable.Delivery"), "{text}");
    assert!(!text.contains("SECRETGENERIC"), "{text}");
    assert_eq!(h.received("generic", &name).len(), 1);
    assert_eq!(h.received("slack", &name).len(), 1);
    // Lambda's retry of the same event: only the generic webhook is called again.
    let retry = watch.invoke(&event);
    assert!(retry.ok, "{retry:?}");
    assert_eq!(
        retry.json()["alarms"][0]["deliveries"],
        json!({"slack": "already delivered", "slack-bot": "already delivered", "teams": "already delivered",
               "discord": "already delivered", "webhook": "sent (1 attempt)", "email": "already delivered",
               "pagerduty": "already delivered"})
    );
    assert_arrived_with(&event, 1, &[("generic", 2)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_is_permanent_not_retried_and_named_without_the_url() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let h = hooks();
    h.script("teams", vec![Answer::Echo(404)]);
    let event = unique(&sample("lambda-action-metric-math-alarm.json"));
    let (name, _) = expected(&event);
    let out = watch.invoke(&event);
    assert!(!out.ok, "{out:?}");
    let text = error_text(&out);
    assert!(text.contains("Permanent.Delivery"), "{text}");
    assert!(!text.contains("SECRETTEAMS"), "{text}");
    let log = watch.log();
    assert!(
        // The server echoed the URL; the message keeps the status and the text around it.
        log.lines().any(
            |l| l.contains(&format!("teams ({name}): HTTP 404 (No such webhook:"))
                && l.contains("(redacted)")
        ),
        "{log}"
    );
    assert!(!log.contains("SECRET"), "a webhook URL is in the log");
    assert_eq!(h.received("teams", &name).len(), 1);
    assert_eq!(h.received("slack", &name).len(), 1);
    // Lambda's retry a minute later does not call it again, and still fails (to the DLQ, in the end).
    let retry = watch.invoke(&event);
    assert!(!retry.ok, "{retry:?}");
    assert_eq!(h.received("teams", &name).len(), 1);
    assert_eq!(h.received("slack", &name).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_times_out_and_is_left_to_lambdas_retry() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let h = hooks();
    h.script("slack", vec![Answer::Hang, Answer::Hang, Answer::Hang]);
    let event = unique(&sample("sns-trailwatch-root-account-usage.json"));
    let (name, _) = expected(&event);
    let started = Instant::now();
    let out = watch.invoke(&event);
    let took = started.elapsed();
    assert!(!out.ok, "{out:?}");
    assert!(error_text(&out).contains("Retryable.Delivery"), "{out:?}");
    assert!(
        watch
            .log()
            .contains("no answer within 2s, after 3 attempts"),
        "{}",
        watch.log()
    );
    // Three attempts of 2 s and two short backoffs; the other destinations did not wait for it.
    assert!(took >= Duration::from_secs(6), "{took:?}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert_eq!(h.received("slack", &name).len(), 3);
    assert_eq!(h.received("discord", &name).len(), 1);
    let retry = watch.invoke(&event);
    assert!(retry.ok, "{retry:?}");
    assert_arrived_with(&event, 1, &[("slack", 4)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_failing_leaves_the_email_to_the_retry() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let event = unique(&sample("sns-composite-alarm.json"));
    let (name, _) = expected(&event);
    set_faults(json!([{"action": "Publish", "pass": 0, "fail": 2, "status": 503}]));
    let out = watch.invoke(&event);
    set_faults(json!([]));
    assert!(!out.ok, "{out:?}");
    assert!(error_text(&out).contains("Retryable.Delivery"), "{out:?}");
    assert!(hooks().received("sns", &name).is_empty());
    let retry = watch.invoke(&event);
    assert!(retry.ok, "{retry:?}");
    assert_arrived(&event, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_that_is_not_an_alarm_is_an_error_naming_what_it_found() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let out = watch.invoke(
        &json!({"Records": [{"eventSource": "aws:s3", "s3": {"marker": "t-unrecognised"}}]}),
    );
    assert!(!out.ok, "{out:?}");
    let text = error_text(&out);
    assert!(text.contains("Permanent.UnrecognisedEvent"), "{text}");
    // Logged too, saying what it found.
    let log = watch.log();
    assert!(
        log.lines().any(|l| l.contains("unrecognised event")
            && l.contains("Records[0] is not an SNS record (keys: eventSource, s3)")),
        "{log}"
    );
}

#[test]
fn a_bad_configuration_stops_the_function_at_start_without_echoing_the_url() {
    let text = start_fails(
        env!("CARGO_BIN_EXE_alarm-notifier"),
        "alarm-notifier",
        &[(
            "SLACK_WEBHOOK_URL",
            "hooks.slack.com/services/T0/B0/SECRETVALUE",
        )],
    );
    assert!(text.contains("SLACK_WEBHOOK_URL"), "{text}");
    assert!(!text.contains("SECRETVALUE"), "{text}");
}

/// The sample CloudTrail event from EventBridge (StopLogging by an IAM Identity Center user) with an
/// eventID of its own.
fn stop_logging(n: u32) -> (Value, String) {
    let mut event = sample("eventbridge-cloudtrail-stop-logging.json");
    let id = format!("e{:x}-{n}-{}", now(), std::process::id());
    event["detail"]["eventID"] = json!(id);
    event["id"] = json!(format!("eb-{id}"));
    (event, id)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_realtime_cloudtrail_event_is_notified_in_milliseconds_and_a_repeated_one_once() {
    let _serial = SERIAL.lock().await;
    let watch = notifier();
    let h = hooks();
    let (event, id) = stop_logging(0);
    let answer = watch.invoke_http(&event);
    assert!(answer.ok(), "{answer:?}");
    let deliveries = &answer.json()["matched"][0]["deliveries"];
    for hook in LABELS {
        assert_eq!(deliveries[hook], "sent (1 attempt)", "{hook}: {deliveries}");
    }
    let generic = h.received("generic", &id);
    assert_eq!(generic.len(), 1);
    assert_eq!(generic[0].body["notification"], "event");
    assert_eq!(generic[0].body["eventID"], json!(id));
    assert_eq!(generic[0].body["alarmName"], "CloudTrailConfigChanges");
    let slack = h.received("slack", &id);
    assert!(
        slack[0]
            .body
            .to_string()
            .contains("StopLogging by maria.garcia@example.com"),
        "{}",
        slack[0].body
    );
    // SNS delivers the e-mail topic's message to its HTTP subscriber a moment later.
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.received("sns", &id).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sns = h.received("sns", &id);
    assert_eq!(sns.len(), 1);
    assert!(
        sns[0].body["Subject"]
            .as_str()
            .is_some_and(|s| s.starts_with("EVENT: CloudTrailConfigChanges: StopLogging")),
        "{}",
        sns[0].body
    );
    // EventBridge delivers at least once: the same event again is not sent again.
    let again = watch.invoke_http(&event);
    assert!(again.ok(), "{again:?}");
    assert_eq!(
        again.json()["matched"][0]["deliveries"]["webhook"],
        "already delivered"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    for hook in [
        "slack",
        "slack-api",
        "teams",
        "discord",
        "generic",
        "pagerduty",
        "sns",
    ] {
        assert_eq!(h.received(hook, &id).len(), 1, "{hook}");
    }
    // An event no real-time rule matches (the bus's pattern may be wider) sends nothing.
    let (mut quiet, quiet_id) = stop_logging(1);
    quiet["detail"]["eventName"] = json!("DescribeTrails");
    let answer = watch.invoke_http(&quiet);
    assert!(answer.ok(), "{answer:?}");
    assert_eq!(answer.json()["matched"], json!([]));
    assert!(h.received("generic", &quiet_id).is_empty());
    // From the event's arrival at the function to the webhook's POST, over the local runtime API.
    let mut latencies = Vec::new();
    for n in 2..22 {
        let (event, id) = stop_logging(n);
        let start = Instant::now();
        let answer = watch.invoke_http(&event);
        assert!(answer.ok(), "{answer:?}");
        let got = h.received("generic", &id);
        assert_eq!(got.len(), 1, "{id}");
        latencies.push(got[0].at.duration_since(start));
    }
    latencies.sort();
    eprintln!(
        "real-time latency, event in to webhook POST ({} events): median {:?}, max {:?}",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    assert!(latencies[latencies.len() / 2] < Duration::from_secs(2));
}
