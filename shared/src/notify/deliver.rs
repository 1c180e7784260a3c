//! One alarm, rendered for each destination and delivered to all of them at once, with the destinations
//! that already have it remembered so a retried invocation does not send it to them again.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::alarms::{render, Message, State, View};
use crate::error::CallError;
use crate::notify::{
    thread_key, DeliveryLog, Destination, Mark, PostError, Reply, Route, SecretRef, SecretResolver,
    Target, TopicPublisher, WebhookClient,
};
use crate::time::UnixSeconds;

/// How long a refusal (a 4xx other than 429) stops further calls for the same message: longer than
/// Lambda's retries of an async invocation (about 1 and 3 minutes after the first), short enough that a
/// redrive from the on-failure destination after the webhook is fixed goes through.
pub const REFUSAL_MEMORY: i64 = 15 * 60;

/// Retries within one invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per destination (the first included).
    pub attempts: u32,
    /// The time one HTTP attempt may take.
    pub timeout: Duration,
    /// The first backoff; it doubles, with jitter.
    pub backoff: Duration,
    /// Kept free before the deadline: for the delivery log and the answer.
    pub reserve: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            timeout: Duration::from_secs(10),
            backoff: Duration::from_millis(500),
            reserve: Duration::from_secs(1),
        }
    }
}

/// An attempt is not started with less time than this left.
const MIN_ATTEMPT: Duration = Duration::from_millis(500);

/// A delivery that did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{destination} ({alarm}): {message}")]
pub struct DeliveryFailure {
    /// The destination's label (`slack`, `email`, …): never its URL.
    pub destination: &'static str,
    pub alarm: String,
    pub retryable: bool,
    pub message: String,
    /// HTTP attempts made (0 when none could be).
    pub attempts: u32,
}

/// Delivers one alarm to every configured destination, over its ports.
pub struct Deliverer<W, T, S, L> {
    pub targets: Vec<Target>,
    pub webhooks: W,
    pub topic: T,
    pub secrets: S,
    pub log: L,
    pub policy: RetryPolicy,
    pub now: fn() -> UnixSeconds,
}

/// How one destination fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    Sent {
        attempts: u32,
    },
    Duplicate,
    /// Nothing to send it for this state change; says why.
    NotApplicable(&'static str),
}

impl<W: WebhookClient, T: TopicPublisher, S: SecretResolver, L: DeliveryLog> Deliverer<W, T, S, L> {
    /// Sends `view` to every destination at once (each with its own retries, all within `deadline`),
    /// and says how each fared, in the order of [`Deliverer::targets`]. `key` identifies the state change
    /// in the delivery log; without one, the log is not used.
    /// `route` (from the alarm's tags) may leave some out: they answer [`Delivered::NotApplicable`].
    pub async fn deliver_all(
        &self,
        view: &View,
        key: Option<&str>,
        deadline: Instant,
        route: &Route,
    ) -> Vec<Result<Delivered, DeliveryFailure>> {
        futures_util::future::join_all(self.targets.iter().map(|t| async move {
            if !route.allows(t) {
                return Ok(Delivered::NotApplicable(
                    "not among the destinations its trailwatch-notify tag names",
                ));
            }
            self.deliver(t, view, key, deadline, route).await
        }))
        .await
    }

    async fn deliver(
        &self,
        target: &Target,
        view: &View,
        key: Option<&str>,
        deadline: Instant,
        route: &Route,
    ) -> Result<Delivered, DeliveryFailure> {
        let label = target.destination.channel().label();
        let fail = |f: Failure| DeliveryFailure {
            destination: label,
            alarm: view.alarm.name.clone(),
            retryable: f.retryable,
            message: f.message,
            attempts: f.attempts,
        };
        let mark_key = key.map(|k| format!("{k}/{}", target.log_name));
        if let Some(mark_key) = &mark_key {
            if let Some(settled) = self.earlier(mark_key, label, deadline).await {
                return settled.map_err(fail);
            }
        }
        match self.send(target, view, deadline, route).await {
            Ok(Sent::Nothing(why)) => Ok(Delivered::NotApplicable(why)),
            Ok(Sent::Attempts(attempts)) => {
                if let Some(k) = &mark_key {
                    let mark = Mark::Delivered { at: (self.now)().0 };
                    self.remember(k, &mark, deadline).await;
                }
                Ok(Delivered::Sent { attempts })
            }
            Err(f) => {
                if let (false, Some(k)) = (f.retryable, &mark_key) {
                    let mark = Mark::Refused {
                        at: (self.now)().0,
                        why: f.message.clone(),
                    };
                    self.remember(k, &mark, deadline).await;
                }
                Err(fail(f))
            }
        }
    }

    /// What the delivery log says about this message and destination: delivered before, refused a
    /// moment ago, or nothing that settles it (`None`, also when the log cannot be read: sending twice
    /// is better than not at all).
    async fn earlier(
        &self,
        mark_key: &str,
        label: &str,
        deadline: Instant,
    ) -> Option<Result<Delivered, Failure>> {
        let now = (self.now)().0;
        let reserve = self.policy.reserve;
        match within(deadline, reserve, "delivery log", self.log.get(mark_key)).await {
            Ok(Some(Mark::Delivered { .. })) => Some(Ok(Delivered::Duplicate)),
            Ok(Some(Mark::Refused { at, why })) if now - at < REFUSAL_MEMORY => {
                Some(Err(Failure::permanent(format!(
                    "refused this message {} s ago ({why}): not sent again",
                    now - at
                ))))
            }
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(
                    destination = label,
                    log = self.log.describe(),
                    error = %e,
                    "delivery log unreadable: sending without it"
                );
                None
            }
        }
    }

    /// Renders the message for the destination and sends it; the attempts it took.
    async fn send(
        &self,
        target: &Target,
        view: &View,
        deadline: Instant,
        route: &Route,
    ) -> Result<Sent, Failure> {
        let channel = target.destination.channel();
        match (&target.destination, render(channel, view)) {
            (_, Message::Nothing(why)) => Ok(Sent::Nothing(why)),
            (
                Destination::PagerDuty {
                    routing_key,
                    events_url,
                },
                Message::Json(mut event),
            ) => {
                let key = self
                    .secret(target, routing_key, deadline, Expect::RoutingKey)
                    .await?;
                event["routing_key"] = serde_json::Value::String(key);
                let sent = self
                    .post(
                        channel.label(),
                        events_url,
                        event.to_string().into_bytes(),
                        deadline,
                        Via::Webhook,
                    )
                    .await;
                self.forget_refused(target, &sent);
                sent.map(|(attempts, _)| Sent::Attempts(attempts))
            }
            (Destination::Email { topic_arn }, Message::Email { subject, body }) => {
                let publish = self.topic.publish(topic_arn, &subject, &body);
                within(deadline, self.policy.reserve, "Publish", publish)
                    .await
                    .map(|()| Sent::Attempts(1))
                    .map_err(|e| Failure {
                        retryable: e.retryable,
                        message: format!("SNS Publish to {topic_arn}: {e}"),
                        attempts: 1,
                    })
            }
            (Destination::Webhook { secret, .. }, Message::Json(body)) => {
                let url = self.secret(target, secret, deadline, Expect::Url).await?;
                let sent = self
                    .post(
                        channel.label(),
                        &url,
                        body.to_string().into_bytes(),
                        deadline,
                        Via::Webhook,
                    )
                    .await;
                self.forget_refused(target, &sent);
                sent.map(|(attempts, _)| Sent::Attempts(attempts))
            }
            (
                Destination::SlackBot {
                    token,
                    channel: to,
                    api_url,
                },
                Message::Json(body),
            ) => {
                // The alarm's own channel, from its tags, before the configured one, which stays
                // the fallback.
                let (to, fallback) = match &route.slack_channel {
                    Some(tagged) if tagged != to => (tagged, Some(to)),
                    _ => (to, None),
                };
                self.slack_bot(target, view, body, (token, to, api_url), fallback, deadline)
                    .await
            }
            // render() gives e-mail to e-mail and JSON to webhooks.
            _ => Err(Failure::permanent(
                "no rendering for this destination".into(),
            )),
        }
    }

    /// chat.postMessage: an ALARM opens a thread (its `ts` kept in the delivery log), any other state is
    /// posted in the thread of the alarm's last ALARM, if one is known.
    async fn slack_bot(
        &self,
        target: &Target,
        view: &View,
        mut body: serde_json::Value,
        (secret, to, api_url): (&SecretRef, &String, &String),
        fallback: Option<&String>,
        deadline: Instant,
    ) -> Result<Sent, Failure> {
        let mut token = self
            .secret(target, secret, deadline, Expect::SlackToken)
            .await?;
        body["channel"] = serde_json::Value::String(to.clone());
        // A thread lives in one channel: the mark is kept per channel the ALARM went to, so an OK for
        // another channel (a tag changed, or the tag's channel refused the ALARM) is not sent into it.
        let thread =
            |channel: &str| format!("{}/{}/{channel}", thread_key(&view.alarm), target.log_name);
        let opens = view.alarm.new_state == State::Alarm;
        if !opens {
            let reserve = self.policy.reserve;
            match within(deadline, reserve, "delivery log", self.log.get(&thread(to))).await {
                Ok(Some(Mark::Thread { ts, .. })) => {
                    body["thread_ts"] = serde_json::Value::String(ts);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    log = self.log.describe(),
                    error = %e,
                    "delivery log unreadable: posted outside the alarm's thread"
                ),
            }
        }
        let url = format!("{}/chat.postMessage", api_url.trim_end_matches('/'));
        let label = target.destination.channel().label();
        let mut sent = self
            .post_message(label, &url, &body, &token, deadline)
            .await;
        // A token that expired (rotation) or was replaced: read it again, and try once more with it.
        if slack_refused(&sent, SLACK_AUTH) {
            *target.url.lock().unwrap_or_else(|p| p.into_inner()) = None;
            token = self
                .secret(target, secret, deadline, Expect::SlackToken)
                .await?;
            sent = self
                .post_message(label, &url, &body, &token, deadline)
                .await;
        }
        // The channel an alarm's tag named does not take it: the configured channel does, rather than
        // nobody.
        if let (Some(fallback), true) = (fallback, slack_refused(&sent, SLACK_CHANNEL_GONE)) {
            tracing::warn!(
                alarm = view.alarm.name,
                channel = to,
                error = sent.as_ref().err().map(|f| f.message.as_str()),
                "the channel the alarm's trailwatch-slack-channel tag names refused it: posted to SLACK_CHANNEL"
            );
            body["channel"] = serde_json::Value::String(fallback.clone());
            if let Some(o) = body.as_object_mut() {
                o.remove("thread_ts");
            }
            sent = self
                .post_message(label, &url, &body, &token, deadline)
                .await;
        }
        self.forget_refused(target, &sent);
        let (attempts, ts) = sent?;
        if let (true, Some(ts)) = (opens, ts) {
            let mark = Mark::Thread {
                at: (self.now)().0,
                ts,
            };
            let posted_to = body["channel"].as_str().unwrap_or(to);
            self.remember(&thread(posted_to), &mark, deadline).await;
        }
        Ok(Sent::Attempts(attempts))
    }

    /// One chat.postMessage of `body`, with the retries of [`Deliverer::post`].
    async fn post_message(
        &self,
        label: &str,
        url: &str,
        body: &serde_json::Value,
        token: &str,
        deadline: Instant,
    ) -> Result<(u32, Option<String>), Failure> {
        let body = body.to_string().into_bytes();
        self.post(label, url, body, deadline, Via::Api { token })
            .await
    }

    async fn remember(&self, key: &str, mark: &Mark, deadline: Instant) {
        // Half the reserve is kept for the answer.
        let put = self.log.put(key, mark);
        if let Err(e) = within(deadline, self.policy.reserve / 2, "delivery log", put).await {
            tracing::warn!(
                key,
                log = self.log.describe(),
                error = %e,
                "could not record the delivery: a retry may send it again"
            );
        }
    }

    /// A refused URL or key read from a reference is read again next time: it may have been rotated.
    fn forget_refused<R>(&self, target: &Target, sent: &Result<R, Failure>) {
        if sent.as_ref().is_err_and(|f| !f.retryable) {
            *target.url.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }

    /// The webhook URL or routing key, read once per container (a failure is tried again next time).
    async fn secret(
        &self,
        target: &Target,
        secret: &SecretRef,
        deadline: Instant,
        expect: Expect,
    ) -> Result<String, Failure> {
        if let Some(url) = target.url.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(url);
        }
        let variable = target.destination.channel().variable();
        let value = match secret {
            SecretRef::Value(v) => v.clone(),
            reference => within(
                deadline,
                self.policy.reserve,
                "secret",
                self.secrets.resolve(reference),
            )
            .await
            .map_err(|e| Failure {
                retryable: e.retryable,
                message: format!("{variable} ({reference}): {e}"),
                attempts: 0,
            })?,
        };
        let value = value.trim().to_owned();
        if !expect.holds(&value) {
            // Never the value: it is a secret, even when it is not what it should be.
            return Err(Failure::permanent(format!(
                "{variable} ({secret}) does not hold {}",
                expect.what()
            )));
        }
        *target.url.lock().unwrap_or_else(|p| p.into_inner()) = Some(value.clone());
        Ok(value)
    }

    /// POSTs with retries; the number of attempts (and, from Slack's API, the message's `ts`), or why it
    /// failed and whether a retry could help.
    async fn post(
        &self,
        label: &str,
        url: &str,
        body: Vec<u8>,
        deadline: Instant,
        via: Via<'_>,
    ) -> Result<(u32, Option<String>), Failure> {
        let policy = &self.policy;
        let mut attempt = 0u32;
        loop {
            let remaining = deadline
                .saturating_duration_since(Instant::now())
                .saturating_sub(policy.reserve);
            if remaining < MIN_ATTEMPT {
                return Err(Failure {
                    retryable: true,
                    message: format!(
                        "no time left in this invocation for attempt {}: left to Lambda's retry",
                        attempt + 1
                    ),
                    attempts: attempt,
                });
            }
            attempt += 1;
            let timeout = policy.timeout.min(remaining);
            let answer = match via {
                Via::Webhook => self.webhooks.post(url, body.clone(), timeout).await,
                Via::Api { token } => self.webhooks.call(url, body.clone(), token, timeout).await,
            };
            let answer = match via {
                Via::Webhook => answer,
                Via::Api { .. } => slack_answer(answer),
            };
            let (wait, what) = match judge(answer, attempt, policy) {
                Attempted::Delivered(ts) => return Ok((attempt, ts)),
                Attempted::Refused(failure) => return Err(failure),
                Attempted::Retry { wait, what } => (wait, what),
            };
            if attempt >= policy.attempts {
                return Err(Failure {
                    retryable: true,
                    message: format!("{what}, after {attempt} attempts"),
                    attempts: attempt,
                });
            }
            let left = deadline
                .saturating_duration_since(Instant::now())
                .saturating_sub(policy.reserve);
            if wait.saturating_add(MIN_ATTEMPT) > left {
                return Err(Failure {
                    retryable: true,
                    message: format!(
                        "{what}; the next attempt ({:.1} s from now) would not fit in the {:.1} s this invocation has left: left to Lambda's retry",
                        wait.as_secs_f64(),
                        left.as_secs_f64()
                    ),
                    attempts: attempt,
                });
            }
            tracing::warn!(
                destination = label,
                attempt,
                error = what,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

/// How a destination is called.
#[derive(Clone, Copy)]
enum Via<'a> {
    /// A webhook: its URL is the credential, its status the answer.
    Webhook,
    /// Slack's Web API, with a bot token; the answer is in the body.
    Api { token: &'a str },
}

/// Slack's answers to a token that expired, was revoked or replaced: the token is read again.
const SLACK_AUTH: &[&str] = &[
    "token_expired",
    "invalid_auth",
    "not_authed",
    "token_revoked",
];

/// Slack's answers for a channel that cannot take the message.
const SLACK_CHANNEL_GONE: &[&str] = &["channel_not_found", "not_in_channel", "is_archived"];

/// Whether Slack refused with one of `errors`.
fn slack_refused<T>(sent: &Result<T, Failure>, errors: &[&str]) -> bool {
    sent.as_ref().is_err_and(|f| {
        errors
            .iter()
            .any(|e| f.message.contains(&format!("(Slack: {e})")))
    })
}

/// Slack's Web API errors that a later attempt may get past; any other is a refusal.
const SLACK_TRANSIENT: &[&str] = &[
    "ratelimited",
    "rate_limited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// Slack's answer as the retry policy reads statuses: `{"ok":true,"ts":…}` delivered (the `ts` kept in
/// the body), `{"ok":false,"error":…}` a transient failure (503) or a refusal (400), whatever the HTTP
/// status said. 429 and 5xx stay as they are.
fn slack_answer(answer: Result<Reply, PostError>) -> Result<Reply, PostError> {
    let Ok(reply) = answer else { return answer };
    if !(200..300).contains(&reply.status) {
        return Ok(reply);
    }
    let parsed: Option<serde_json::Value> = serde_json::from_str(&reply.body).ok();
    let ok = parsed
        .as_ref()
        .and_then(|v| v.get("ok"))
        .and_then(|v| v.as_bool());
    let error = parsed
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(|v| v.as_str())
        .unwrap_or("no error named")
        // An error code, as Slack writes them: anything else is cut.
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect::<String>();
    match ok {
        Some(true) => {
            let ts = parsed
                .as_ref()
                .and_then(|v| v.get("ts"))
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned();
            Ok(Reply { body: ts, ..reply })
        }
        Some(false) => Ok(Reply {
            status: if SLACK_TRANSIENT.contains(&error.as_str()) {
                503
            } else {
                400
            },
            body: format!("Slack: {error}"),
            ..reply
        }),
        // A 2xx that is not Slack's JSON: whether it was posted is unknown; failing keeps the event.
        None => Ok(Reply {
            status: 400,
            body: "an answer that is not Slack's JSON".into(),
            ..reply
        }),
    }
}

/// What sending did: attempts made, or nothing to send.
enum Sent {
    Attempts(u32),
    Nothing(&'static str),
}

/// What a destination's secret must hold.
#[derive(Clone, Copy)]
enum Expect {
    Url,
    RoutingKey,
    SlackToken,
}

impl Expect {
    fn holds(self, value: &str) -> bool {
        match self {
            Expect::Url => value.starts_with("https://") || value.starts_with("http://"),
            // Integration keys are 32 characters; ruleset keys start with R. Letters and digits.
            Expect::RoutingKey => {
                !value.is_empty()
                    && value.len() <= 64
                    && value.bytes().all(|b| b.is_ascii_alphanumeric())
            }
            // Bot tokens are `xoxb-` and letters, digits and dashes; with token rotation on, Slack
            // issues `xoxe.xoxb-…`.
            Expect::SlackToken => {
                value.starts_with("xox")
                    && value.len() <= 255
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            }
        }
    }

    fn what(self) -> &'static str {
        match self {
            Expect::Url => "an http(s) URL",
            Expect::RoutingKey => "a PagerDuty routing key (letters and digits)",
            Expect::SlackToken => "a Slack token (xoxb-…)",
        }
    }
}

/// Why one destination did not get a message.
struct Failure {
    retryable: bool,
    message: String,
    attempts: u32,
}

impl Failure {
    fn permanent(message: String) -> Failure {
        Failure {
            retryable: false,
            message,
            attempts: 0,
        }
    }
}

/// How one webhook attempt went.
enum Attempted {
    /// With what the answer said, if the call reads one (Slack's `ts`).
    Delivered(Option<String>),
    /// Not delivered, and trying again cannot help.
    Refused(Failure),
    /// Not delivered yet: try again after `wait`, for `what` went wrong.
    Retry { wait: Duration, what: String },
}

/// The delivery policy for one answer: 2xx delivered; 429, 408, 5xx, timeouts and connection errors
/// retried (after `Retry-After` for 429 and 503, else with backoff); any other status refused.
fn judge(answer: Result<Reply, PostError>, attempt: u32, policy: &RetryPolicy) -> Attempted {
    match answer {
        Ok(Reply { status, body, .. }) if (200..300).contains(&status) => {
            Attempted::Delivered(Some(body).filter(|b| !b.is_empty()))
        }
        Ok(Reply {
            status,
            retry_after,
            body,
        }) if status == 429 || status == 408 || status >= 500 => {
            let what = format!("HTTP {status}{}", shown(&body));
            let wait = match retry_after {
                Some(wait) if status == 429 || status == 503 => wait,
                _ => backoff(policy.backoff, attempt),
            };
            Attempted::Retry { wait, what }
        }
        Ok(Reply { status, body, .. }) => Attempted::Refused(Failure {
            retryable: false,
            message: format!("HTTP {status}{}: refused, not retried", shown(&body)),
            attempts: attempt,
        }),
        Err(e @ (PostError::Timeout(_) | PostError::Failed(_))) => Attempted::Retry {
            wait: backoff(policy.backoff, attempt),
            what: e.to_string(),
        },
    }
}

/// An AWS call bounded by the invocation's deadline (less `reserve`): the SDK's own timeouts do not
/// know it, and a call that outlives the invocation ends it as "Task timed out", with nothing recorded.
async fn within<T>(
    deadline: Instant,
    reserve: Duration,
    what: &'static str,
    call: impl Future<Output = Result<T, CallError>>,
) -> Result<T, CallError> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .saturating_sub(reserve);
    tokio::time::timeout(left, call).await.unwrap_or_else(|_| {
        Err(CallError {
            operation: what,
            code: "Timeout".into(),
            message: format!(
                "no answer in the {:.1} s this invocation had left",
                left.as_secs_f64()
            ),
            retryable: true,
        })
    })
}

fn shown(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(" ({body})")
    }
}

/// `base · 2^(attempt−1)`, times a jitter between ½ and 1.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(10));
    exp.mul_f64(0.5 + fastrand::f64() / 2.0)
}
