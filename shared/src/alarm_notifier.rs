//! The alarm-notifier function: one invocation end to end. Decode the alarm state changes (every SNS
//! record), drop the transitions nobody wants, render each for each destination, deliver them all at
//! once, and answer: success when every destination has the message, an error Lambda retries when one
//! could not be reached, with the destinations that already have it remembered so a retry does not send
//! it to them again.
//!
//! Delivery policy, per destination and invocation:
//! - 2xx: delivered.
//! - 5xx, 408, timeouts, connection errors: retried with backoff and jitter, up to `attempts`.
//! - 429: retried after `Retry-After` when that fits in the invocation's remaining time; otherwise left
//!   to Lambda's retry.
//! - Other statuses: refused. Not retried: the refusal is remembered for [`REFUSAL_MEMORY`], so Lambda's
//!   retries of the invocation do not call that destination again; the invocation still fails, so the
//!   event ends in the function's on-failure destination with the reason (nothing lost).
//!
//! What "remembered" means depends on the delivery log: one per container (`memory`), or marker objects
//! in S3 (`s3://bucket/prefix/`) that every container sees.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::alarm::{self, Alarm, AlarmError};
use crate::alarm_render::{self, Context, View};
use crate::error::CallError;
use crate::http::{Post, PostError, Reply};
use crate::notifier::{Destination, Kind, Secret, TransitionFilter};
use crate::rules::ruleset::RuleSet;
use crate::time::UnixSeconds;

/// Publishes to an SNS topic (e-mail and SMS subscribers).
pub trait Publish: Send + Sync {
    fn publish(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> impl Future<Output = Result<(), CallError>> + Send;
}

/// Reads a secret reference (`ssm:` or `secretsmanager:`).
pub trait Resolve: Send + Sync {
    fn resolve(&self, secret: &Secret) -> impl Future<Output = Result<String, CallError>> + Send;
}

/// What a destination did with a message before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    Delivered { at: i64 },
    Refused { at: i64, why: String },
}

impl Mark {
    pub fn encode(&self) -> String {
        match self {
            Mark::Delivered { at } => format!("v1 delivered at={at}"),
            // One line: the reason goes last and keeps its spaces.
            Mark::Refused { at, why } => {
                format!("v1 refused at={at} why={}", why.replace('\n', " "))
            }
        }
    }

    pub fn parse(text: &str) -> Option<Mark> {
        let rest = text.trim().strip_prefix("v1 ")?;
        let (state, rest) = rest.split_once(" at=").unwrap_or((rest, ""));
        let (at, why) = rest.split_once(" why=").unwrap_or((rest, ""));
        let at = at.trim().parse().ok()?;
        match state {
            "delivered" => Some(Mark::Delivered { at }),
            "refused" => Some(Mark::Refused {
                at,
                why: why.to_owned(),
            }),
            _ => None,
        }
    }
}

/// Where deliveries are remembered, by `message key/destination`.
pub trait DeliveryLog: Send + Sync {
    fn describe(&self) -> String;
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Mark>, CallError>> + Send;
    fn put(&self, key: &str, mark: &Mark) -> impl Future<Output = Result<(), CallError>> + Send;
}

/// Deliveries remembered by this container only: a retry that lands on another container sends again.
#[derive(Debug, Default)]
pub struct MemoryLog {
    marks: Mutex<(HashMap<String, Mark>, VecDeque<String>)>,
}

/// The most keys [`MemoryLog`] keeps; the oldest go first.
const MEMORY_LOG_KEYS: usize = 10_000;

impl DeliveryLog for MemoryLog {
    fn describe(&self) -> String {
        "memory (this container)".into()
    }

    async fn get(&self, key: &str) -> Result<Option<Mark>, CallError> {
        let marks = self.marks.lock().unwrap_or_else(|p| p.into_inner());
        Ok(marks.0.get(key).cloned())
    }

    async fn put(&self, key: &str, mark: &Mark) -> Result<(), CallError> {
        let mut marks = self.marks.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *marks;
        if map.insert(key.to_owned(), mark.clone()).is_none() {
            order.push_back(key.to_owned());
            while order.len() > MEMORY_LOG_KEYS {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
        Ok(())
    }
}

/// No memory at all (`DEDUP=off`): every retry sends to every destination.
#[derive(Debug, Default)]
pub struct NoLog;

impl DeliveryLog for NoLog {
    fn describe(&self) -> String {
        "off".into()
    }

    async fn get(&self, _key: &str) -> Result<Option<Mark>, CallError> {
        Ok(None)
    }

    async fn put(&self, _key: &str, _mark: &Mark) -> Result<(), CallError> {
        Ok(())
    }
}

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

/// One configured destination, and its URL once read.
#[derive(Debug)]
pub struct Target {
    pub destination: Destination,
    /// How its deliveries are recorded: the label and a hash of where it points (`slack-1a2b3c4d`), so
    /// two deployments sharing a delivery log, or a destination that changed, never see each other's.
    pub log_name: String,
    /// The URL, once read from its reference. Cleared when the destination refuses a message, so a
    /// URL rotated in SSM or Secrets Manager is read again.
    url: Mutex<Option<String>>,
}

impl Target {
    pub fn new(destination: Destination) -> Target {
        let kind = destination.kind();
        let points_to = match &destination {
            Destination::Email { topic_arn } => topic_arn.clone(),
            Destination::Webhook {
                secret: Secret::Value(url),
                ..
            } => url.clone(),
            Destination::Webhook { secret, .. } => secret.to_string(),
        };
        let hash = Sha256::digest(format!("{}\n{points_to}", kind.variable()).as_bytes());
        Target {
            log_name: format!("{}-{}", kind.label(), hex(&hash[..4])),
            destination,
            url: Mutex::new(None),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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

/// An invocation that failed, in whole or in part.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Unrecognised(AlarmError),
    #[error("{}", describe_failures(.failures, .unreadable, *.deliveries))]
    Failed {
        failures: Vec<DeliveryFailure>,
        unreadable: Vec<AlarmError>,
        deliveries: usize,
    },
}

fn describe_failures(
    failures: &[DeliveryFailure],
    unreadable: &[AlarmError],
    deliveries: usize,
) -> String {
    let mut parts = Vec::new();
    if !failures.is_empty() {
        parts.push(format!(
            "{} of {deliveries} deliveries failed: {}",
            failures.len(),
            failures
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    if !unreadable.is_empty() {
        parts.push(format!(
            "{} message(s) could not be read: {}",
            unreadable.len(),
            unreadable
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    parts.join(". ")
}

impl NotifyError {
    /// Lambda's `errorType`: `Retryable.*` when trying again can help, `Permanent.*` when it cannot.
    pub fn error_type(&self) -> &'static str {
        match self {
            NotifyError::Unrecognised(_) => "Permanent.UnrecognisedEvent",
            NotifyError::Failed { failures, .. } if failures.iter().any(|f| f.retryable) => {
                "Retryable.Delivery"
            }
            NotifyError::Failed { failures, .. } if !failures.is_empty() => "Permanent.Delivery",
            NotifyError::Failed { .. } => "Permanent.MalformedAlarm",
        }
    }
}

/// Counts for one invocation: its health metrics.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Health {
    pub alarms: u64,
    pub filtered: u64,
    pub unreadable: u64,
    pub delivered: u64,
    pub duplicates: u64,
    pub failed: u64,
    /// HTTP attempts beyond the first.
    pub retries: u64,
}

impl Health {
    /// One Embedded Metric Format line.
    pub fn emf(&self, namespace: &str, function: &str, now_ms: i64) -> Value {
        crate::lambda::emf_line(
            namespace,
            function,
            now_ms,
            &[
                ("AlarmsReceived", "Count", self.alarms as f64),
                ("AlarmsFiltered", "Count", self.filtered as f64),
                ("MessagesUnreadable", "Count", self.unreadable as f64),
                ("Deliveries", "Count", self.delivered as f64),
                ("DeliveriesDuplicate", "Count", self.duplicates as f64),
                ("DeliveriesFailed", "Count", self.failed as f64),
                ("DeliveryRetries", "Count", self.retries as f64),
            ],
        )
    }
}

/// The result of one invocation.
#[derive(Debug)]
pub struct Handled {
    pub response: Result<Value, NotifyError>,
    pub health: Health,
}

/// What one destination sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Json(Value),
    Email { subject: String, body: String },
}

/// The rendering for a destination kind.
pub fn render(kind: Kind, view: &View) -> Message {
    match kind {
        Kind::Slack => Message::Json(alarm_render::slack(view)),
        Kind::Teams => Message::Json(alarm_render::teams(view)),
        Kind::Discord => Message::Json(alarm_render::discord(view)),
        Kind::Webhook => Message::Json(alarm_render::json_alarm(view)),
        Kind::Email => Message::Email {
            subject: alarm_render::subject(view),
            body: alarm_render::text(view),
        },
    }
}

/// The identity of a state change, the same whichever way it arrived (SNS, Lambda action,
/// EventBridge): the alarm, its new state and when it changed. Without a time (old payloads), the
/// transport's message id; without either, `None`: such a message is sent without the delivery log,
/// since two different changes could not be told apart. A SHA-256, shortened to 128 bits.
pub fn message_key(alarm: &Alarm) -> Option<String> {
    let mut hash = Sha256::new();
    hash.update(b"trailwatch alarm v1\n");
    match (&alarm.time, &alarm.message_id) {
        (Some(time), _) => {
            hash.update(alarm.arn.as_deref().unwrap_or(&alarm.name).as_bytes());
            hash.update(b"\n");
            hash.update(alarm.new_state.as_str().as_bytes());
            hash.update(b"\n");
            hash.update(time.as_bytes());
        }
        (None, Some(id)) => {
            hash.update(b"message id\n");
            hash.update(id.as_bytes());
        }
        (None, None) => return None,
    }
    Some(hex(&hash.finalize()[..16]))
}

/// alarm-notifier: its destinations, what it renders with, and the parts it talks to.
pub struct Notifier<H, P, R, L> {
    pub targets: Vec<Target>,
    pub transitions: TransitionFilter,
    pub namespace: String,
    pub rules: Option<RuleSet>,
    pub evidence_log_group: Option<String>,
    pub http: H,
    pub topic: P,
    pub secrets: R,
    pub log: L,
    pub policy: RetryPolicy,
    pub now: fn() -> UnixSeconds,
}

/// How one destination fared.
enum Delivered {
    Sent { attempts: u32 },
    Duplicate,
}

impl<H: Post, P: Publish, R: Resolve, L: DeliveryLog> Notifier<H, P, R, L> {
    /// Handles one invocation, which must be done by `deadline`.
    pub async fn handle(&self, event: &Value, deadline: Instant) -> Handled {
        let mut health = Health::default();
        let decoded = match alarm::decode(event) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "unrecognised event");
                health.unreadable += 1;
                return Handled {
                    response: Err(NotifyError::Unrecognised(e)),
                    health,
                };
            }
        };
        let ctx = Context {
            namespace: self.namespace.clone(),
            rules: self.rules.as_ref(),
            evidence_log_group: self.evidence_log_group.clone(),
        };
        let mut summary = Vec::new();
        let mut failures = Vec::new();
        let mut unreadable = Vec::new();
        let mut deliveries = 0;
        for message in decoded {
            let alarm = match message {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!(error = %e, "alarm message could not be read");
                    health.unreadable += 1;
                    unreadable.push(e);
                    continue;
                }
            };
            health.alarms += 1;
            let transition = match &alarm.old_state {
                Some(old) => format!("{old} -> {}", alarm.new_state),
                None => format!("-> {}", alarm.new_state),
            };
            if !self
                .transitions
                .allows(alarm.old_state.as_ref(), &alarm.new_state)
            {
                tracing::info!(
                    alarm = alarm.name,
                    transition,
                    "transition not notified (NOTIFY_TRANSITIONS): dropped"
                );
                health.filtered += 1;
                summary
                    .push(json!({"alarm": alarm.name, "transition": transition, "filtered": true}));
                continue;
            }
            let key = message_key(&alarm);
            if key.is_none() {
                tracing::warn!(
                    alarm = alarm.name,
                    "no state-change time and no message id: sent without the delivery log"
                );
            }
            let view = View::new(&alarm, &ctx);
            let results = futures_util::future::join_all(
                self.targets
                    .iter()
                    .map(|t| self.deliver(t, &view, key.as_deref(), deadline)),
            )
            .await;
            let mut outcomes = serde_json::Map::new();
            for (target, result) in self.targets.iter().zip(results) {
                deliveries += 1;
                let label = target.destination.kind().label();
                let outcome = match result {
                    Ok(Delivered::Sent { attempts }) => {
                        health.delivered += 1;
                        health.retries += u64::from(attempts.saturating_sub(1));
                        tracing::info!(
                            alarm = alarm.name,
                            transition,
                            destination = label,
                            attempts,
                            "notified"
                        );
                        format!("sent ({attempts} attempt{})", plural(attempts))
                    }
                    Ok(Delivered::Duplicate) => {
                        health.duplicates += 1;
                        tracing::info!(
                            alarm = alarm.name,
                            destination = label,
                            "already delivered: not sent again"
                        );
                        "already delivered".to_owned()
                    }
                    Err(f) => {
                        health.failed += 1;
                        health.retries += u64::from(f.attempts.saturating_sub(1));
                        tracing::error!(
                            alarm = alarm.name,
                            destination = label,
                            retryable = f.retryable,
                            error = f.message,
                            "delivery failed"
                        );
                        let text = format!("failed: {}", f.message);
                        failures.push(f);
                        text
                    }
                };
                outcomes.insert(label.to_owned(), Value::String(outcome));
            }
            summary.push(json!({
                "alarm": alarm.name, "transition": transition, "key": key, "deliveries": outcomes,
            }));
        }
        let response = if failures.is_empty() && unreadable.is_empty() {
            Ok(json!({ "alarms": summary }))
        } else {
            Err(NotifyError::Failed {
                failures,
                unreadable,
                deliveries,
            })
        };
        Handled { response, health }
    }

    async fn deliver(
        &self,
        target: &Target,
        view: &View,
        key: Option<&str>,
        deadline: Instant,
    ) -> Result<Delivered, DeliveryFailure> {
        let kind = target.destination.kind();
        let label = kind.label();
        let fail = |f: Failure| DeliveryFailure {
            destination: label,
            alarm: view.alarm.name.clone(),
            retryable: f.retryable,
            message: f.message,
            attempts: f.attempts,
        };
        let mark_key = key.map(|k| format!("{k}/{}", target.log_name));
        if let Some(mark_key) = &mark_key {
            let now = (self.now)().0;
            let reserve = self.policy.reserve;
            match within(deadline, reserve, "delivery log", self.log.get(mark_key)).await {
                Ok(Some(Mark::Delivered { .. })) => return Ok(Delivered::Duplicate),
                Ok(Some(Mark::Refused { at, why })) if now - at < REFUSAL_MEMORY => {
                    return Err(fail(Failure::permanent(format!(
                        "refused this message {} s ago ({why}): not sent again",
                        now - at
                    ))))
                }
                Ok(_) => {}
                // Sending twice is better than not at all.
                Err(e) => tracing::warn!(
                    destination = label,
                    log = self.log.describe(),
                    error = %e,
                    "delivery log unreadable: sending without it"
                ),
            }
        }
        let result = match (&target.destination, render(kind, view)) {
            (Destination::Email { topic_arn }, Message::Email { subject, body }) => {
                let publish = self.topic.publish(topic_arn, &subject, &body);
                within(deadline, self.policy.reserve, "Publish", publish)
                    .await
                    .map(|()| 1)
                    .map_err(|e| Failure {
                        retryable: e.retryable,
                        message: format!("SNS Publish to {topic_arn}: {e}"),
                        attempts: 1,
                    })
            }
            (Destination::Webhook { secret, .. }, Message::Json(body)) => {
                match self.url(target, secret, deadline).await {
                    Ok(url) => {
                        let sent = self
                            .post(label, &url, body.to_string().into_bytes(), deadline)
                            .await;
                        if sent.as_ref().is_err_and(|f| !f.retryable) {
                            // A refused URL read from a reference is read again next time: it may
                            // have been rotated.
                            *target.url.lock().unwrap_or_else(|p| p.into_inner()) = None;
                        }
                        sent
                    }
                    Err(e) => Err(e),
                }
            }
            // render() gives e-mail to e-mail and JSON to webhooks.
            _ => Err(Failure::permanent(
                "no rendering for this destination".into(),
            )),
        };
        match result {
            Ok(attempts) => {
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

    /// The webhook URL, read once per container (a failure is tried again next time).
    async fn url(
        &self,
        target: &Target,
        secret: &Secret,
        deadline: Instant,
    ) -> Result<String, Failure> {
        if let Some(url) = target.url.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(url);
        }
        let variable = target.destination.kind().variable();
        let value = match secret {
            Secret::Value(v) => v.clone(),
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
        if !(value.starts_with("https://") || value.starts_with("http://")) {
            // Never the value: it is a secret, even when it is not a URL.
            return Err(Failure::permanent(format!(
                "{variable} ({secret}) does not hold an http(s) URL"
            )));
        }
        *target.url.lock().unwrap_or_else(|p| p.into_inner()) = Some(value.clone());
        Ok(value)
    }

    /// POSTs with retries; the number of attempts, or why it failed and whether a retry could help.
    async fn post(
        &self,
        label: &str,
        url: &str,
        body: Vec<u8>,
        deadline: Instant,
    ) -> Result<u32, Failure> {
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
            let (wait, what) = match self.http.post(url, body.clone(), timeout).await {
                Ok(Reply { status, .. }) if (200..300).contains(&status) => return Ok(attempt),
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
                    (wait, what)
                }
                Ok(Reply { status, body, .. }) => {
                    return Err(Failure {
                        retryable: false,
                        message: format!("HTTP {status}{}: refused, not retried", shown(&body)),
                        attempts: attempt,
                    })
                }
                Err(e @ (PostError::Timeout(_) | PostError::Failed(_))) => {
                    (backoff(policy.backoff, attempt), e.to_string())
                }
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

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
    use std::sync::Arc;

    const ROOT_USAGE: &str =
        include_str!("../../events/alarm-notifier/sns-trailwatch-root-account-usage.json");
    const SLACK: &str = "https://hooks.slack.example/services/T0/B0/SECRET";
    const TEAMS: &str = "https://teams.example/workflows/run?sig=SECRET";

    type Answers = HashMap<String, VecDeque<Result<Reply, PostError>>>;

    /// Scripted answers per URL (then 200), and every call.
    #[derive(Default, Clone)]
    struct Http {
        script: Arc<Mutex<Answers>>,
        calls: Arc<Mutex<Vec<(String, Value)>>>,
    }

    impl Http {
        fn answer(&self, url: &str, answers: Vec<Result<Reply, PostError>>) {
            self.script
                .lock()
                .unwrap()
                .insert(url.to_owned(), answers.into());
        }
        fn calls_to(&self, url: &str) -> Vec<Value> {
            let calls = self.calls.lock().unwrap();
            calls
                .iter()
                .filter(|(u, _)| u == url)
                .map(|(_, b)| b.clone())
                .collect()
        }
    }

    fn status(status: u16, retry_after: Option<u64>, body: &str) -> Result<Reply, PostError> {
        Ok(Reply {
            status,
            retry_after: retry_after.map(Duration::from_secs),
            body: body.into(),
        })
    }

    impl Post for Http {
        async fn post(
            &self,
            url: &str,
            body: Vec<u8>,
            timeout: Duration,
        ) -> Result<Reply, PostError> {
            self.calls
                .lock()
                .unwrap()
                .push((url.to_owned(), serde_json::from_slice(&body).unwrap()));
            let next = self
                .script
                .lock()
                .unwrap()
                .get_mut(url)
                .and_then(VecDeque::pop_front);
            match next {
                Some(Err(PostError::Timeout(_))) => {
                    tokio::time::sleep(timeout).await;
                    Err(PostError::Timeout(timeout))
                }
                Some(answer) => answer,
                None => status(200, None, "ok"),
            }
        }
    }

    #[derive(Default, Clone)]
    struct Topic {
        sent: Arc<Mutex<Vec<(String, String, String)>>>,
        fail: Arc<Mutex<Option<CallError>>>,
    }

    impl Publish for Topic {
        async fn publish(
            &self,
            topic: &str,
            subject: &str,
            message: &str,
        ) -> Result<(), CallError> {
            if let Some(e) = self.fail.lock().unwrap().take() {
                return Err(e);
            }
            self.sent
                .lock()
                .unwrap()
                .push((topic.into(), subject.into(), message.into()));
            Ok(())
        }
    }

    #[derive(Default, Clone)]
    struct Secrets {
        reads: Arc<AtomicUsize>,
        values: HashMap<String, String>,
    }

    impl Resolve for Secrets {
        async fn resolve(&self, secret: &Secret) -> Result<String, CallError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            let name = secret.to_string();
            self.values.get(&name).cloned().ok_or(CallError {
                operation: "ssm:GetParameter",
                code: "ParameterNotFound".into(),
                message: format!("{name} does not exist"),
                retryable: false,
            })
        }
    }

    static NOW: AtomicI64 = AtomicI64::new(1_764_062_000);
    fn now() -> UnixSeconds {
        UnixSeconds(NOW.load(Ordering::SeqCst))
    }

    type TestNotifier = Notifier<Http, Topic, Secrets, Arc<MemoryLog>>;

    impl DeliveryLog for Arc<MemoryLog> {
        fn describe(&self) -> String {
            "test".into()
        }
        async fn get(&self, key: &str) -> Result<Option<Mark>, CallError> {
            self.as_ref().get(key).await
        }
        async fn put(&self, key: &str, mark: &Mark) -> Result<(), CallError> {
            self.as_ref().put(key, mark).await
        }
    }

    fn notifier(destinations: Vec<Destination>) -> TestNotifier {
        Notifier {
            targets: destinations.into_iter().map(Target::new).collect(),
            transitions: TransitionFilter::Default,
            namespace: "CloudTrailMetrics".into(),
            rules: Some(RuleSet::builtin("CloudTrailMetrics").unwrap()),
            evidence_log_group: Some("/aws/lambda/trail-metrics".into()),
            http: Http::default(),
            topic: Topic::default(),
            secrets: Secrets {
                values: HashMap::from([("ssm:/trailwatch/teams".to_owned(), TEAMS.to_owned())]),
                ..Secrets::default()
            },
            log: Arc::new(MemoryLog::default()),
            policy: RetryPolicy::default(),
            now,
        }
    }

    fn all() -> Vec<Destination> {
        vec![
            Destination::Webhook {
                kind: Kind::Slack,
                secret: Secret::Value(SLACK.into()),
            },
            Destination::Webhook {
                kind: Kind::Teams,
                secret: Secret::Ssm("/trailwatch/teams".into()),
            },
            Destination::Email {
                topic_arn: "arn:aws:sns:us-east-1:123456789012:alarms".into(),
            },
        ]
    }

    fn event() -> Value {
        serde_json::from_str(ROOT_USAGE).unwrap()
    }

    fn in_30s() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    #[tokio::test(start_paused = true)]
    async fn every_destination_gets_its_rendering_once() {
        let n = notifier(all());
        let handled = n.handle(&event(), in_30s()).await;
        let response = handled.response.unwrap();
        assert_eq!(
            response["alarms"][0]["deliveries"],
            json!({"slack": "sent (1 attempt)", "teams": "sent (1 attempt)", "email": "sent (1 attempt)"})
        );
        let slack = n.http.calls_to(SLACK);
        assert_eq!(slack.len(), 1);
        assert!(slack[0]["text"]
            .as_str()
            .unwrap()
            .contains("trailwatch-RootAccountUsage"));
        assert_eq!(
            n.http.calls_to(TEAMS)[0]["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let email = n.topic.sent.lock().unwrap().clone();
        assert_eq!(email.len(), 1);
        assert!(email[0].1.starts_with("ALARM: trailwatch-RootAccountUsage"));
        assert!(
            email[0].2.contains("Why: Threshold Crossed"),
            "{}",
            email[0].2
        );
        assert_eq!(handled.health.delivered, 3);
        // Delivered again (Lambda retried, or SNS delivered twice): nothing is sent twice.
        let again = n.handle(&event(), in_30s()).await;
        assert_eq!(
            again.response.unwrap()["alarms"][0]["deliveries"]["slack"],
            "already delivered"
        );
        assert_eq!(n.http.calls_to(SLACK).len(), 1);
        assert_eq!(n.topic.sent.lock().unwrap().len(), 1);
        assert_eq!(again.health.duplicates, 3);
        // The SSM parameter was read once for the container.
        assert_eq!(n.secrets.reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn transitions_the_filter_drops_are_logged_not_sent() {
        let n = notifier(all());
        let mut e = event();
        let message = e["Records"][0]["Sns"]["Message"]
            .as_str()
            .unwrap()
            .to_owned();
        let message = message
            .replace(r#""NewStateValue": "ALARM""#, r#""NewStateValue": "OK""#)
            .replace(
                r#""OldStateValue": "OK""#,
                r#""OldStateValue": "INSUFFICIENT_DATA""#,
            );
        e["Records"][0]["Sns"]["Message"] = json!(message);
        let handled = n.handle(&e, in_30s()).await;
        assert_eq!(handled.response.unwrap()["alarms"][0]["filtered"], true);
        assert_eq!(handled.health.filtered, 1);
        assert!(n.http.calls.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_and_timeouts_are_retried_with_backoff() {
        let n = notifier(all());
        n.http.answer(
            SLACK,
            vec![
                status(503, None, "busy"),
                Err(PostError::Timeout(Duration::ZERO)),
            ],
        );
        let started = Instant::now();
        let handled = n.handle(&event(), in_30s()).await;
        let response = handled.response.unwrap();
        assert_eq!(
            response["alarms"][0]["deliveries"]["slack"],
            "sent (3 attempts)"
        );
        assert_eq!(handled.health.retries, 2);
        // The timeout (10 s) plus two backoffs of 0.25–0.5 s and 0.5–1 s.
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(10_750) && took <= Duration::from_millis(11_500),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn too_many_requests_waits_for_retry_after_when_it_fits() {
        let n = notifier(all());
        n.http
            .answer(SLACK, vec![status(429, Some(4), "rate_limited")]);
        let started = Instant::now();
        let response = n.handle(&event(), in_30s()).await.response.unwrap();
        assert_eq!(
            response["alarms"][0]["deliveries"]["slack"],
            "sent (2 attempts)"
        );
        assert!(started.elapsed() >= Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_beyond_the_deadline_fails_the_invocation_and_the_retry_sends_only_the_rest(
    ) {
        let n = notifier(all());
        n.http.answer(SLACK, vec![status(429, Some(3600), "")]);
        let started = Instant::now();
        let handled = n.handle(&event(), in_30s()).await;
        assert!(started.elapsed() < Duration::from_secs(1));
        let err = handled.response.unwrap_err();
        assert_eq!(err.error_type(), "Retryable.Delivery");
        let text = err.to_string();
        assert!(
            text.contains("slack (trailwatch-RootAccountUsage): HTTP 429")
                && text.contains("left to Lambda's retry"),
            "{text}"
        );
        assert!(!text.contains("SECRET"), "{text}");
        assert_eq!(n.http.calls_to(TEAMS).len(), 1);
        // Lambda's retry: only Slack is called again.
        let retry = n.handle(&event(), in_30s()).await;
        assert_eq!(
            retry.response.unwrap()["alarms"][0]["deliveries"],
            json!({"slack": "sent (1 attempt)", "teams": "already delivered", "email": "already delivered"})
        );
        assert_eq!(n.http.calls_to(SLACK).len(), 2);
        assert_eq!(n.http.calls_to(TEAMS).len(), 1);
        assert_eq!(n.topic.sent.lock().unwrap().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_is_not_retried_and_is_remembered_for_a_while() {
        let n = notifier(all());
        n.http.answer(SLACK, vec![status(404, None, "no_service")]);
        let handled = n.handle(&event(), in_30s()).await;
        let err = handled.response.unwrap_err();
        assert_eq!(err.error_type(), "Permanent.Delivery");
        let text = err.to_string();
        assert!(
            text.contains("1 of 3 deliveries failed: slack (trailwatch-RootAccountUsage): HTTP 404 (no_service): refused, not retried"),
            "{text}"
        );
        assert!(!text.contains("hooks.slack.example"), "{text}");
        assert_eq!(n.http.calls_to(SLACK).len(), 1);
        // Lambda's retries, a minute later: Slack is not called, the invocation still fails.
        NOW.fetch_add(60, Ordering::SeqCst);
        let retry = n.handle(&event(), in_30s()).await;
        assert!(retry
            .response
            .unwrap_err()
            .to_string()
            .contains("refused this message 60 s ago (HTTP 404 (no_service)"));
        assert_eq!(n.http.calls_to(SLACK).len(), 1);
        // A redrive after the webhook was fixed, later on: delivered.
        NOW.fetch_add(REFUSAL_MEMORY, Ordering::SeqCst);
        let redrive = n.handle(&event(), in_30s()).await;
        assert_eq!(
            redrive.response.unwrap()["alarms"][0]["deliveries"]["slack"],
            "sent (1 attempt)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_attempt_starts_without_the_time_to_finish() {
        let n = notifier(all());
        n.http
            .answer(SLACK, vec![Err(PostError::Timeout(Duration::ZERO))]);
        let started = Instant::now();
        let handled = n
            .handle(&event(), Instant::now() + Duration::from_secs(4))
            .await;
        // The first attempt got 3 s (4 s less the reserve), and no second one was started.
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        let text = handled.response.unwrap_err().to_string();
        assert!(text.contains("no answer within 3s"), "{text}");
        assert!(text.contains("left to Lambda's retry"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn secrets_that_cannot_be_read_or_are_not_urls_never_show_their_value() {
        let mut n = notifier(vec![
            Destination::Webhook {
                kind: Kind::Discord,
                secret: Secret::Ssm("/missing".into()),
            },
            Destination::Webhook {
                kind: Kind::Webhook,
                secret: Secret::SecretsManager("not-a-url".into()),
            },
        ]);
        n.secrets.values.insert(
            "secretsmanager:not-a-url".into(),
            "hunter2-the-password".into(),
        );
        let err = n.handle(&event(), in_30s()).await.response.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(
                "discord (trailwatch-RootAccountUsage): DISCORD_WEBHOOK_URL (ssm:/missing): "
            ) && text.contains("ParameterNotFound"),
            "{text}"
        );
        assert!(
            text.contains("WEBHOOK_URL (secretsmanager:not-a-url) does not hold an http(s) URL"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(err.error_type(), "Permanent.Delivery");
    }

    #[tokio::test(start_paused = true)]
    async fn sns_throttling_is_retryable_and_an_unknown_topic_is_not() {
        let n = notifier(all());
        *n.topic.fail.lock().unwrap() = Some(CallError {
            operation: "Publish",
            code: "Throttling".into(),
            message: "Rate exceeded".into(),
            retryable: true,
        });
        let err = n.handle(&event(), in_30s()).await.response.unwrap_err();
        assert_eq!(err.error_type(), "Retryable.Delivery");
        assert!(err
            .to_string()
            .contains("email (trailwatch-RootAccountUsage): SNS Publish to arn:aws:sns:us-east-1:123456789012:alarms"));
    }

    #[tokio::test(start_paused = true)]
    async fn unreadable_messages_are_errors_and_do_not_hide_the_others() {
        let n = notifier(all());
        let err = n
            .handle(&json!({"hello": "world"}), in_30s())
            .await
            .response
            .unwrap_err();
        assert_eq!(err.error_type(), "Permanent.UnrecognisedEvent");
        assert!(err.to_string().contains("hello"), "{err}");
        let mut e = event();
        let mut bad = e["Records"][0].clone();
        bad["Sns"]["Message"] = json!("not json at all");
        e["Records"].as_array_mut().unwrap().push(bad);
        let handled = n.handle(&e, in_30s()).await;
        let err = handled.response.unwrap_err();
        assert_eq!(err.error_type(), "Permanent.MalformedAlarm");
        assert!(
            err.to_string()
                .contains("SNS record 1: its Message is not JSON"),
            "{err}"
        );
        assert_eq!(handled.health.delivered, 3);
        assert_eq!(handled.health.unreadable, 1);
    }

    #[test]
    fn marks_round_trip_and_message_keys_identify_a_state_change() {
        for mark in [
            Mark::Delivered { at: 17 },
            Mark::Refused {
                at: 18,
                why: "HTTP 404 (no_service): refused\nnot retried".into(),
            },
        ] {
            let parsed = Mark::parse(&mark.encode()).unwrap();
            match (&mark, &parsed) {
                (Mark::Refused { why, .. }, Mark::Refused { why: got, .. }) => {
                    assert_eq!(got, &why.replace('\n', " "))
                }
                _ => assert_eq!(parsed, mark),
            }
        }
        assert_eq!(Mark::parse("v2 delivered at=1"), None);
        let decoded = alarm::decode(&event()).unwrap();
        let a = decoded[0].as_ref().unwrap();
        let key = message_key(a);
        assert_eq!(key.as_ref().map(String::len), Some(32));
        assert_eq!(key, message_key(&a.clone()));
        // Whichever way it came.
        let mut by_eventbridge = a.clone();
        by_eventbridge.source = "EventBridge";
        by_eventbridge.message_id = Some("another id".into());
        assert_eq!(message_key(&by_eventbridge), key);
        // Without a time: the message id; without either, no key (and no delivery log).
        let mut untimed = a.clone();
        untimed.time = None;
        assert!(message_key(&untimed).is_some_and(|k| Some(&k) != key.as_ref()));
        untimed.message_id = None;
        assert_eq!(message_key(&untimed), None);
        let mut later = a.clone();
        later.time = Some("2026-11-25T09:13:30.833+0000".into());
        assert_ne!(message_key(&later), key);
        let mut ok = a.clone();
        ok.new_state = alarm::State::Ok;
        assert_ne!(message_key(&ok), key);
    }

    #[test]
    fn deliveries_are_logged_per_destination_and_where_it_points() {
        let slack = |url: &str| {
            Target::new(Destination::Webhook {
                kind: Kind::Slack,
                secret: Secret::Value(url.into()),
            })
            .log_name
        };
        let a = slack("https://hooks.slack.example/services/T0/B0/ONE");
        assert!(
            a.starts_with("slack-") && a.len() == "slack-".len() + 8,
            "{a}"
        );
        assert!(!a.contains("ONE"));
        assert_ne!(a, slack("https://hooks.slack.example/services/T0/B0/TWO"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_url_from_a_reference_is_read_again() {
        let n = notifier(all());
        n.http.answer(TEAMS, vec![status(410, None, "gone")]);
        n.handle(&event(), in_30s()).await.response.unwrap_err();
        assert_eq!(n.secrets.reads.load(Ordering::SeqCst), 1);
        let mut e = event();
        let message = e["Records"][0]["Sns"]["Message"].as_str().unwrap().replace(
            "2026-11-25T09:12:30.833+0000",
            "2026-11-25T10:12:30.833+0000",
        );
        e["Records"][0]["Sns"]["Message"] = json!(message);
        n.handle(&e, in_30s()).await.response.unwrap();
        assert_eq!(n.secrets.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn records_share_the_invocations_time_and_slow_aws_calls_are_cut_at_the_deadline() {
        let n = notifier(all());
        // Two records; Slack answers neither for long.
        let mut e = event();
        let mut second = e["Records"][0].clone();
        second["Sns"]["Message"] = json!(second["Sns"]["Message"]
            .as_str()
            .unwrap()
            .replace("trailwatch-RootAccountUsage", "second-alarm"));
        e["Records"].as_array_mut().unwrap().push(second);
        n.http.answer(
            SLACK,
            vec![
                Err(PostError::Timeout(Duration::ZERO)),
                Err(PostError::Timeout(Duration::ZERO)),
                Err(PostError::Timeout(Duration::ZERO)),
                Err(PostError::Timeout(Duration::ZERO)),
            ],
        );
        let started = Instant::now();
        let handled = n.handle(&e, Instant::now() + Duration::from_secs(15)).await;
        // The whole invocation, both records, within its 15 s.
        assert!(
            started.elapsed() <= Duration::from_secs(15),
            "{:?}",
            started.elapsed()
        );
        let text = handled.response.unwrap_err().to_string();
        // The first record's Slack used the time up; the second record's webhooks got none.
        assert!(
            text.contains("slack (trailwatch-RootAccountUsage): no answer within")
                && text.contains("teams (second-alarm): no time left in this invocation"),
            "{text}"
        );
        assert_eq!(handled.health.failed, 3);
        assert!(handled.health.retries >= 1);
    }

    /// An SNS topic that never answers.
    #[derive(Default, Clone)]
    struct Stuck;

    impl Publish for Stuck {
        async fn publish(&self, _: &str, _: &str, _: &str) -> Result<(), CallError> {
            std::future::pending().await
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_aws_call_that_hangs_ends_at_the_deadline_as_retryable() {
        let n = notifier(all());
        let n = Notifier {
            topic: Stuck,
            targets: n.targets,
            transitions: n.transitions,
            namespace: n.namespace,
            rules: n.rules,
            evidence_log_group: n.evidence_log_group,
            http: n.http,
            secrets: n.secrets,
            log: n.log,
            policy: n.policy,
            now: n.now,
        };
        let started = Instant::now();
        let handled = n
            .handle(&event(), Instant::now() + Duration::from_secs(20))
            .await;
        assert_eq!(started.elapsed(), Duration::from_secs(19));
        let err = handled.response.unwrap_err();
        assert_eq!(err.error_type(), "Retryable.Delivery");
        assert!(err.to_string().contains("email"), "{err}");
        assert_eq!(handled.health.delivered, 2);
    }

    #[tokio::test]
    async fn the_memory_log_is_bounded() {
        let log = MemoryLog::default();
        for i in 0..MEMORY_LOG_KEYS + 5 {
            log.put(&format!("k{i}"), &Mark::Delivered { at: 0 })
                .await
                .unwrap();
        }
        assert_eq!(log.get("k0").await.unwrap(), None);
        assert!(log.get("k5").await.unwrap().is_some());
        assert_eq!(log.marks.lock().unwrap().0.len(), MEMORY_LOG_KEYS);
    }
}
