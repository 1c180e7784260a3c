//! One invocation end to end: decode the alarm state changes (every SNS record), drop the transitions
//! nobody wants, render each for each destination, deliver them all at once, and answer: success when
//! every destination has the message, an error Lambda retries when one could not be reached.

use std::time::Duration;

use lambda_runtime::{tracing, Diagnostic, LambdaEvent};
use serde_json::{json, Value};
use tokio::time::Instant;
use trailwatch::alarms::evidence::{attach, EvidenceReader, LogSearch};
use trailwatch::alarms::{self, Alarm, AlarmError};
use trailwatch::alarms::{RenderContext, View};
use trailwatch::lambda::invocation_deadline_ms;
use trailwatch::notify::{
    message_key, Delivered, Deliverer, DeliveryFailure, DeliveryLog, Route, SecretResolver,
    TopicPublisher, TransitionFilter, WebhookClient,
};
use trailwatch::realtime::{self, TrailEvent, TrailEventError};
use trailwatch::rules::ruleset::RuleSet;
use trailwatch::time::UnixSeconds;

use crate::health::Health;

/// alarm-notifier: what it renders with, which transitions it notifies, and where it delivers.
pub struct Handler<W, T, S, L, E> {
    pub deliverer: Deliverer<W, T, S, L>,
    pub transitions: TransitionFilter,
    /// Notify changes CloudWatch mutes or suppresses too (`NOTIFY_SILENCED`).
    pub notify_silenced: bool,
    pub namespace: String,
    pub rules: Option<RuleSet>,
    pub evidence_log_group: Option<String>,
    /// Lists the CloudTrail events behind an alarm on a security metric in its message; `None` leaves
    /// the Logs Insights link alone.
    pub evidence: Option<EvidenceReader<E>>,
}

/// An invocation that failed, in whole or in part.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Unrecognised(AlarmError),
    #[error(transparent)]
    UnreadableTrailEvent(TrailEventError),
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
            NotifyError::UnreadableTrailEvent(_) => "Permanent.UnreadableCloudTrailEvent",
            NotifyError::Failed { failures, .. } if failures.iter().any(|f| f.retryable) => {
                "Retryable.Delivery"
            }
            NotifyError::Failed { failures, .. } if !failures.is_empty() => "Permanent.Delivery",
            NotifyError::Failed { .. } => "Permanent.MalformedAlarm",
        }
    }
}

/// The result of one invocation.
#[derive(Debug)]
pub struct Handled {
    pub response: Result<Value, NotifyError>,
    pub health: Health,
}

impl From<NotifyError> for Diagnostic {
    fn from(e: NotifyError) -> Diagnostic {
        Diagnostic {
            error_type: e.error_type().into(),
            error_message: e.to_string(),
        }
    }
}

impl<W, T, S, L, E> Handler<W, T, S, L, E>
where
    W: WebhookClient,
    T: TopicPublisher,
    S: SecretResolver,
    L: DeliveryLog,
    E: LogSearch,
{
    /// Handles one invocation, which must be done by `deadline`.
    pub async fn handle(&self, event: &Value, deadline: Instant) -> Handled {
        let mut health = Health::default();
        if let Some(trail_event) = TrailEvent::from_eventbridge(event) {
            let response = self.realtime(trail_event, deadline, &mut health).await;
            return Handled { response, health };
        }
        let decoded = match alarms::from_event(event) {
            Ok(d) => d,
            Err(AlarmError::NotAStateChange(what)) => {
                // CloudWatch sends configuration changes to the same rules; they notify no one.
                tracing::info!(
                    event = what,
                    "not an alarm state change: acknowledged, nothing sent"
                );
                return Handled {
                    response: Ok(json!({ "ignored": what })),
                    health,
                };
            }
            Err(e) => {
                tracing::error!(error = %e, "unrecognised event");
                health.unreadable += 1;
                return Handled {
                    response: Err(NotifyError::Unrecognised(e)),
                    health,
                };
            }
        };
        let mut summary = Vec::new();
        let mut failures = Vec::new();
        let mut unreadable = Vec::new();
        let mut deliveries = 0;
        for message in decoded {
            match message {
                Ok(alarm) => {
                    health.alarms += 1;
                    let notified = self.notify(&alarm, deadline, &mut health).await;
                    deliveries += notified.deliveries;
                    failures.extend(notified.failures);
                    summary.push(notified.summary);
                }
                Err(e) => {
                    tracing::error!(error = %e, "alarm message could not be read");
                    health.unreadable += 1;
                    unreadable.push(e);
                }
            }
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

    /// A CloudTrail event from EventBridge: each real-time rule it matches is notified at once, once
    /// per `eventID` (EventBridge delivers at least once). Nothing is counted: the metrics come from the
    /// log files.
    async fn realtime(
        &self,
        trail_event: Result<TrailEvent, TrailEventError>,
        deadline: Instant,
        health: &mut Health,
    ) -> Result<Value, NotifyError> {
        health.realtime_events += 1;
        let unreadable = |e: TrailEventError, health: &mut Health| {
            tracing::error!(error = %e, "CloudTrail event from EventBridge not evaluated");
            health.unreadable += 1;
            NotifyError::UnreadableTrailEvent(e)
        };
        let trail_event = trail_event.map_err(|e| unreadable(e, health))?;
        let Some(rules) = &self.rules else {
            tracing::warn!(
                event = trail_event.id,
                "no rules loaded: CloudTrail event not evaluated"
            );
            return Ok(json!({"event": trail_event.id, "matched": []}));
        };
        let matched = realtime::matches(rules, &trail_event).map_err(|e| unreadable(e, health))?;
        if matched.is_empty() {
            // The bus's pattern may be wider than the rules: the engine decided.
            tracing::info!(
                event = trail_event.id,
                detail_type = trail_event.detail_type,
                "no real-time rule matches the CloudTrail event: nothing sent"
            );
            return Ok(json!({"event": trail_event.id, "matched": []}));
        }
        let mut summary = Vec::new();
        let mut failures = Vec::new();
        let mut deliveries = 0;
        for m in &matched {
            health.realtime_matches += 1;
            let view = realtime::view(m, &trail_event, rules);
            let key = realtime::notice_key(m);
            if key.is_none() {
                tracing::warn!(
                    rule = m.rule,
                    "CloudTrail event without an eventID: sent without the delivery log"
                );
            }
            let route = Route::for_alarm(&view.alarm, &self.deliverer.targets).for_security_alarm();
            let results = self
                .deliverer
                .deliver_all(&view, key.as_deref(), deadline, &route)
                .await;
            let (outcomes, mut failed) =
                self.outcomes(&view.alarm, "real-time event", results, health);
            deliveries += self.deliverer.targets.len();
            failures.append(&mut failed);
            summary.push(json!({
                "rule": m.rule, "eventID": m.event.event_id, "key": key, "deliveries": outcomes,
            }));
        }
        if failures.is_empty() {
            Ok(json!({"event": trail_event.id, "matched": summary}))
        } else {
            Err(NotifyError::Failed {
                failures,
                unreadable: Vec::new(),
                deliveries,
            })
        }
    }

    /// Each destination's outcome for the summary, counted and logged; the failures apart.
    fn outcomes(
        &self,
        alarm: &Alarm,
        transition: &str,
        results: Vec<Result<Delivered, DeliveryFailure>>,
        health: &mut Health,
    ) -> (serde_json::Map<String, Value>, Vec<DeliveryFailure>) {
        let mut failures = Vec::new();
        let mut outcomes = serde_json::Map::new();
        for (target, result) in self.deliverer.targets.iter().zip(results) {
            let label = target.destination.channel().label();
            let outcome = match result {
                Ok(delivered) => self::delivered(alarm, transition, label, delivered, health),
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
        (outcomes, failures)
    }

    /// One alarm state change: dropped if its transition is not notified, else delivered to every
    /// destination.
    async fn notify(&self, alarm: &Alarm, deadline: Instant, health: &mut Health) -> Notified {
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
            return Notified {
                summary: json!({"alarm": alarm.name, "transition": transition, "filtered": true}),
                deliveries: 0,
                failures: Vec::new(),
            };
        }
        if let Some(why) = alarm.silence.why().filter(|_| !self.notify_silenced) {
            tracing::info!(
                alarm = alarm.name,
                transition,
                silenced = why,
                "silenced by CloudWatch, as its own actions are: not sent (NOTIFY_SILENCED=on sends it, marked)"
            );
            health.silenced += 1;
            return Notified {
                summary: json!({"alarm": alarm.name, "transition": transition, "silenced": why}),
                deliveries: 0,
                failures: Vec::new(),
            };
        }
        let key = message_key(alarm);
        if key.is_none() {
            tracing::warn!(
                alarm = alarm.name,
                "no state-change time and no message id: sent without the delivery log"
            );
        }
        let ctx = RenderContext {
            namespace: self.namespace.clone(),
            rules: self.rules.as_ref(),
            evidence_log_group: self.evidence_log_group.clone(),
        };
        let mut view = View::new(alarm, &ctx);
        if let Some(reader) = &self.evidence {
            match reader.read(&view, deadline).await {
                Some(Ok(found)) => {
                    let complete = found.complete;
                    if !attach(&mut view, found) {
                        tracing::info!(
                            alarm = alarm.name,
                            log_group = reader.log_group,
                            complete,
                            "no evidence line in the alarm's window: the message has the link only"
                        );
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(
                        alarm = alarm.name,
                        log_group = reader.log_group,
                        error = %e,
                        "the CloudTrail events behind the alarm could not be read: the message has the Logs Insights link only"
                    );
                    health.evidence_unavailable += 1;
                }
                None => {}
            }
        }
        let mut route = Route::for_alarm(alarm, &self.deliverer.targets);
        if view.rule.as_ref().is_some_and(|r| r.security) {
            route = route.for_security_alarm();
        }
        for problem in &route.problems {
            tracing::warn!(alarm = alarm.name, problem, "alarm tags ignored");
        }
        let results = self
            .deliverer
            .deliver_all(&view, key.as_deref(), deadline, &route)
            .await;
        let (outcomes, failures) = self.outcomes(alarm, &transition, results, health);
        Notified {
            summary: json!({
                "alarm": alarm.name, "transition": transition, "key": key, "deliveries": outcomes,
            }),
            deliveries: self.deliverer.targets.len(),
            failures,
        }
    }
}

/// Lambda's view of one invocation: its deadline from the context, the handler's answer, and the
/// health metrics as one EMF line on stdout.
pub async fn invocation<W, T, S, L, E>(
    handler: &Handler<W, T, S, L, E>,
    event: LambdaEvent<Value>,
    function: &str,
    health_namespace: &str,
) -> Result<Value, Diagnostic>
where
    W: WebhookClient,
    T: TopicPublisher,
    S: SecretResolver,
    L: DeliveryLog,
    E: LogSearch,
{
    // The context's deadline is in epoch milliseconds; delivery works in monotonic time.
    let now_ms = UnixSeconds::now_ms();
    let deadline_ms = invocation_deadline_ms(event.context.deadline, now_ms);
    // No invocation lasts more than Lambda's 15 minutes, whatever the header says.
    let left = Duration::from_millis(u64::try_from(deadline_ms - now_ms).unwrap_or(0))
        .min(Duration::from_secs(900));
    let deadline = Instant::now() + left;
    let Handled { response, health } = handler.handle(&event.payload, deadline).await;
    println!(
        "{}",
        health.emf(health_namespace, function, UnixSeconds::now_ms())
    );
    response.map_err(Diagnostic::from)
}

/// What notifying one alarm came to.
struct Notified {
    summary: Value,
    deliveries: usize,
    failures: Vec<DeliveryFailure>,
}

/// Counts and logs a delivery that went through (or had gone through before).
fn delivered(
    alarm: &Alarm,
    transition: &str,
    label: &str,
    delivered: Delivered,
    health: &mut Health,
) -> String {
    match delivered {
        Delivered::Sent { attempts } => {
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
        Delivered::NotApplicable(why) => {
            tracing::info!(
                alarm = alarm.name,
                transition,
                destination = label,
                why,
                "nothing to send to this destination"
            );
            format!("not sent: {why}")
        }
        Delivered::Duplicate => {
            health.duplicates += 1;
            tracing::info!(
                alarm = alarm.name,
                destination = label,
                "already delivered: not sent again"
            );
            "already delivered".to_owned()
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;
    use std::time::Duration;
    use trailwatch::error::CallError;
    use trailwatch::fakes::{
        MapSecrets, RecordingTopic, ScriptedLogs, ScriptedWebhook, StuckTopic,
    };
    use trailwatch::notify::{
        Channel, Destination, MemoryLog, PostError, Reply, RetryPolicy, SecretRef, Target,
        REFUSAL_MEMORY,
    };

    const ROOT_USAGE: &str =
        include_str!("../../../events/alarm-notifier/sns-trailwatch-root-account-usage.json");
    const SLACK: &str = "https://hooks.slack.example/services/T0/B0/SECRET";
    const TEAMS: &str = "https://teams.example/workflows/run?sig=SECRET";

    fn status(status: u16, retry_after: Option<u64>, body: &str) -> Result<Reply, PostError> {
        ScriptedWebhook::status(status, retry_after, body)
    }

    static NOW: AtomicI64 = AtomicI64::new(1_764_062_000);
    fn now() -> UnixSeconds {
        UnixSeconds(NOW.load(Ordering::SeqCst))
    }

    type TestHandler<T = RecordingTopic> =
        Handler<ScriptedWebhook, T, MapSecrets, Arc<MemoryLog>, ScriptedLogs>;

    fn deliverer<T>(
        destinations: Vec<Destination>,
        topic: T,
    ) -> Deliverer<ScriptedWebhook, T, MapSecrets, Arc<MemoryLog>> {
        Deliverer {
            targets: destinations.into_iter().map(Target::new).collect(),
            webhooks: ScriptedWebhook::default(),
            topic,
            secrets: MapSecrets::of(&[("ssm:/trailwatch/teams", TEAMS)]),
            log: Arc::new(MemoryLog::default()),
            policy: RetryPolicy::default(),
            now,
        }
    }

    fn handler_with<T>(destinations: Vec<Destination>, topic: T) -> TestHandler<T> {
        Handler {
            deliverer: deliverer(destinations, topic),
            transitions: TransitionFilter::Default,
            notify_silenced: false,
            namespace: "CloudTrailMetrics".into(),
            rules: Some(RuleSet::builtin("CloudTrailMetrics").unwrap()),
            evidence_log_group: Some("/aws/lambda/trail-metrics".into()),
            evidence: None,
        }
    }

    fn notifier(destinations: Vec<Destination>) -> TestHandler {
        handler_with(destinations, RecordingTopic::default())
    }

    fn all() -> Vec<Destination> {
        vec![
            Destination::Webhook {
                channel: Channel::Slack,
                secret: SecretRef::Value(SLACK.into()),
            },
            Destination::Webhook {
                channel: Channel::Teams,
                secret: SecretRef::Ssm("/trailwatch/teams".into()),
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

    fn evidence_line(id: &str, time: &str, principal: &str) -> String {
        json!({
            "trailwatch": "evidence", "rule": "RootAccountUsage", "eventID": id, "eventTime": time,
            "eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "principal": principal,
            "principalType": "Root", "sourceIPAddress": "203.0.113.7", "userAgent": "Mozilla/5.0",
            "account": "123456789012", "region": "us-east-1",
        })
        .to_string()
    }

    fn with_evidence(logs: ScriptedLogs) -> TestHandler {
        let mut n = notifier(vec![Destination::Email {
            topic_arn: "arn:aws:sns:us-east-1:123456789012:alarms".into(),
        }]);
        n.evidence = Some(EvidenceReader {
            logs,
            log_group: "/aws/lambda/trail-metrics".into(),
            shown: 2,
            budget: Duration::from_secs(5),
        });
        n
    }

    #[tokio::test(start_paused = true)]
    async fn the_events_behind_a_security_alarm_are_listed_and_a_failed_search_leaves_the_link() {
        // The alarm changed state at 09:12:30 after one 5-minute period.
        let lines = vec![
            evidence_line("e1", "2026-11-25T09:05:10Z", "root"),
            evidence_line("e2", "2026-11-25T09:07:10Z", "root"),
            evidence_line("e3", "2026-11-25T09:06:10Z", "root"),
            evidence_line("e2", "2026-11-25T09:07:10Z", "root"),
        ];
        let n = with_evidence(ScriptedLogs::pages(
            vec![ScriptedLogs::page(&lines, false)],
            Duration::from_millis(200),
        ));
        let handled = n.handle(&event(), in_30s()).await;
        assert!(handled.response.is_ok());
        let searches = n.evidence.as_ref().unwrap().logs.searches();
        assert_eq!(searches.len(), 1);
        let search = &searches[0].0;
        assert_eq!(search.rule, "RootAccountUsage");
        assert_eq!(search.log_group, "/aws/lambda/trail-metrics");
        assert_eq!(search.events_to.to_string(), "2026-11-25T09:12:30Z");
        assert_eq!(search.events_from.to_string(), "2026-11-25T08:52:30Z");
        let sent = n.deliverer.topic.sent();
        let text = &sent[0].2;
        assert!(
            text.contains("The 2 newest of 3 CloudTrail events rule RootAccountUsage matched:\n  - 2026-11-25T09:07:10Z ConsoleLogin (signin.amazonaws.com), by root (Root) from 203.0.113.7 with \"Mozilla/5.0\", account 123456789012, us-east-1, event e2\n  - 2026-11-25T09:06:10Z"),
            "{text}"
        );
        assert!(
            text.contains("All the CloudTrail events behind it (Logs Insights):"),
            "{text}"
        );
        assert_eq!(handled.health.evidence_unavailable, 0);

        let denied = CallError {
            operation: "FilterLogEvents",
            code: "AccessDeniedException".into(),
            message: "not authorized to perform logs:FilterLogEvents".into(),
            retryable: false,
        };
        let n = with_evidence(ScriptedLogs::pages(vec![Err(denied)], Duration::ZERO));
        let handled = n.handle(&event(), in_30s()).await;
        assert!(
            handled.response.is_ok(),
            "the message goes out without its events"
        );
        let text = &n.deliverer.topic.sent()[0].2;
        assert!(!text.contains("newest"), "{text}");
        assert!(
            text.contains("The CloudTrail events behind it (Logs Insights):"),
            "{text}"
        );
        assert_eq!(handled.health.evidence_unavailable, 1);

        // An OK needs no list: nothing is searched.
        let n = with_evidence(ScriptedLogs::default());
        let ok = with_states(&event(), "ALARM", "OK");
        assert!(n.handle(&ok, in_30s()).await.response.is_ok());
        assert!(n.evidence.as_ref().unwrap().logs.searches().is_empty());
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
        let slack = n.deliverer.webhooks.calls_to(SLACK);
        assert_eq!(slack.len(), 1);
        assert!(slack[0]["text"]
            .as_str()
            .unwrap()
            .contains("trailwatch-RootAccountUsage"));
        assert_eq!(
            n.deliverer.webhooks.calls_to(TEAMS)[0]["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let email = n.deliverer.topic.sent.lock().unwrap().clone();
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
        assert_eq!(n.deliverer.webhooks.calls_to(SLACK).len(), 1);
        assert_eq!(n.deliverer.topic.sent.lock().unwrap().len(), 1);
        assert_eq!(again.health.duplicates, 3);
        // The SSM parameter was read once for the container.
        assert_eq!(n.deliverer.secrets.reads.load(Ordering::SeqCst), 1);
    }

    const MUTED: &str = include_str!(
        "../../../events/alarm-notifier/documented/eventbridge-single-metric-muted.json"
    );
    const SUPPRESSED: &str = include_str!(
        "../../../events/alarm-notifier/documented/eventbridge-composite-suppressed.json"
    );
    const CONFIGURATION_CHANGE: &str = include_str!(
        "../../../events/alarm-notifier/documented/eventbridge-config-change-update.json"
    );

    #[tokio::test(start_paused = true)]
    async fn what_cloudwatch_mutes_or_suppresses_is_not_sent_unless_asked_and_then_marked() {
        for (name, payload, why) in [
            (
                "muted",
                MUTED,
                "muted by CloudWatch alarm mute rule testMute",
            ),
            ("suppressed", SUPPRESSED, "actions suppressed by WaitPeriod"),
        ] {
            let event: Value = serde_json::from_str(payload).unwrap();
            let quiet = notifier(all());
            let handled = quiet.handle(&event, in_30s()).await;
            let response = handled.response.unwrap();
            assert!(
                response["alarms"][0]["silenced"]
                    .as_str()
                    .unwrap()
                    .starts_with(why),
                "{name}: {response}"
            );
            assert_eq!(quiet.deliverer.webhooks.calls_to(SLACK).len(), 0, "{name}");
            assert_eq!(
                quiet.deliverer.topic.sent.lock().unwrap().len(),
                0,
                "{name}"
            );
            assert_eq!((handled.health.silenced, handled.health.delivered), (1, 0));

            let mut asked = notifier(all());
            asked.notify_silenced = true;
            let handled = asked.handle(&event, in_30s()).await;
            assert!(handled.response.is_ok(), "{name}");
            assert_eq!(handled.health.delivered, 3, "{name}");
            let slack = asked.deliverer.webhooks.calls_to(SLACK);
            assert!(
                slack[0]["text"].as_str().unwrap().starts_with("🔕 "),
                "{name}"
            );
            let email = asked.deliverer.topic.sent.lock().unwrap().clone();
            assert!(
                email[0]
                    .2
                    .contains(&format!("Silenced by CloudWatch: {why}")),
                "{name}: {}",
                email[0].2
            );
        }
    }

    const CONTRIBUTOR: &str =
        include_str!("../../../events/alarm-notifier/documented/eventbridge-contributor.json");

    #[tokio::test(start_paused = true)]
    async fn each_contributor_of_a_multi_time_series_alarm_is_its_own_message() {
        let n = notifier(all());
        let mut event: Value = serde_json::from_str(CONTRIBUTOR).unwrap();
        // Not muted (the documented example is).
        event["detail"]
            .as_object_mut()
            .unwrap()
            .remove("muteDetail");
        let mut other = event.clone();
        other["detail"]["alarmContributor"] =
            json!({"id": "0f0f0f0f0f0f0f0f", "attributes": {"TableName": "orders"}});
        for e in [&event, &other, &event] {
            assert!(n.handle(e, in_30s()).await.response.is_ok());
        }
        let slack = n.deliverer.webhooks.calls_to(SLACK);
        let titles: Vec<&str> = slack.iter().map(|m| m["text"].as_str().unwrap()).collect();
        assert_eq!(
            titles.len(),
            2,
            "one each, the repeat not sent again: {titles:?}"
        );
        assert!(titles[0].starts_with(
            "🚨 ALARM: DynamoDBInsightsAlarm for TableName=example-dynamodb-table-name"
        ));
        assert!(titles[1].starts_with("🚨 ALARM: DynamoDBInsightsAlarm for TableName=orders"));
    }

    const SLACK_API: &str = "https://slack.example/api/chat.postMessage";
    const BOT_TOKEN: &str = "xoxb-1234-5678-SECRET";

    fn handler_with_secrets(mut n: TestHandler, secrets: MapSecrets) -> TestHandler {
        n.deliverer.secrets = secrets;
        n
    }

    fn bot_destination(api_url: &str) -> Destination {
        Destination::SlackBot {
            token: SecretRef::Ssm("/trailwatch/slack-bot".into()),
            channel: "C0123ABCDEF".into(),
            api_url: api_url.into(),
        }
    }

    /// A notifier with the Slack bot only, its token in SSM holding `token`.
    fn slack_bot_only(api_url: &str, token: &str) -> TestHandler {
        handler_with_secrets(
            notifier(vec![bot_destination(api_url)]),
            MapSecrets::of(&[("ssm:/trailwatch/slack-bot", token)]),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn slack_through_a_bot_token_threads_the_ok_under_its_alarm() {
        let n = slack_bot_only("https://slack.example/api/", BOT_TOKEN);
        let alarm = with_states(&event(), "OK", "ALARM");
        let handled = n.handle(&alarm, in_30s()).await;
        assert_eq!(
            handled.response.unwrap()["alarms"][0]["deliveries"]["slack-bot"],
            "sent (1 attempt)"
        );
        let ok = with_states(&event(), "ALARM", "OK");
        assert!(n.handle(&ok, in_30s()).await.response.is_ok());
        let calls = n.deliverer.webhooks.calls_to(SLACK_API);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0]["channel"], "C0123ABCDEF");
        assert!(
            calls[0].get("thread_ts").is_none(),
            "an ALARM opens a thread"
        );
        assert!(
            calls[0]["attachments"][0]["blocks"].is_array(),
            "Block Kit, as the webhook gets"
        );
        // The fake answers the first call with ts 1764062000.000000.
        assert_eq!(calls[1]["thread_ts"], "1764062000.000000", "{}", calls[1]);
        assert_eq!(n.deliverer.webhooks.tokens(), [BOT_TOKEN, BOT_TOKEN]);
        // The next ALARM opens a thread of its own.
        let again = with_states(&with_states(&event(), "OK", "ALARM"), "OK", "ALARM");
        let mut again = again;
        let mut m: Value =
            serde_json::from_str(again["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
        m["StateChangeTime"] = json!("2026-11-25T10:00:00.000+0000");
        again["Records"][0]["Sns"]["Message"] = json!(m.to_string());
        assert!(n.handle(&again, in_30s()).await.response.is_ok());
        let calls = n.deliverer.webhooks.calls_to(SLACK_API);
        assert!(calls[2].get("thread_ts").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn an_ok_joins_its_alarms_thread_only_in_the_channel_the_alarm_went_to() {
        let n = slack_bot_only("https://slack.example/api/", BOT_TOKEN);
        let tagged = |event: &Value, channel: &str, time: &str| {
            let mut event = event.clone();
            let mut m: Value =
                serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap())
                    .unwrap();
            m["AlarmTags"] = json!({"trailwatch-slack-channel": channel});
            m["AlarmTagsStatus"] = json!("SUCCESS");
            m["StateChangeTime"] = json!(time);
            event["Records"][0]["Sns"]["Message"] = json!(m.to_string());
            event
        };
        let alarm = with_states(&event(), "OK", "ALARM");
        let ok = with_states(&event(), "ALARM", "OK");
        // The ALARM goes to the tag's channel; an OK after the tag moved to another is not threaded.
        let first = tagged(&alarm, "C0456PAYMENTS", "2026-11-25T09:00:00.000+0000");
        assert!(n.handle(&first, in_30s()).await.response.is_ok());
        let moved = tagged(&ok, "C0789OTHER", "2026-11-25T09:10:00.000+0000");
        assert!(n.handle(&moved, in_30s()).await.response.is_ok());
        // An OK in the ALARM's own channel is.
        let same = tagged(&ok, "C0456PAYMENTS", "2026-11-25T09:20:00.000+0000");
        assert!(n.handle(&same, in_30s()).await.response.is_ok());
        let calls = n.deliverer.webhooks.calls_to(SLACK_API);
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[1]["channel"], "C0789OTHER");
        assert!(calls[1].get("thread_ts").is_none(), "{}", calls[1]);
        assert_eq!(calls[2]["channel"], "C0456PAYMENTS");
        assert_eq!(calls[2]["thread_ts"], "1764062000.000000", "{}", calls[2]);
    }

    #[tokio::test(start_paused = true)]
    async fn slack_refusing_a_post_in_its_body_is_permanent_and_ratelimited_is_retried() {
        let n = slack_bot_only("https://slack.example/api", BOT_TOKEN);
        n.deliverer.webhooks.answer(
            SLACK_API,
            vec![status(
                200,
                None,
                r#"{"ok":false,"error":"channel_not_found"}"#,
            )],
        );
        let handled = n.handle(&event(), in_30s()).await;
        let err = handled.response.unwrap_err().to_string();
        assert!(
            err.contains("Slack: channel_not_found") && err.contains("refused"),
            "{err}"
        );
        assert!(!err.contains("SECRET"), "{err}");
        assert_eq!(
            n.deliverer.webhooks.calls_to(SLACK_API).len(),
            1,
            "not retried"
        );

        let n = slack_bot_only("https://slack.example/api", BOT_TOKEN);
        n.deliverer.webhooks.answer(
            SLACK_API,
            vec![
                status(429, Some(1), r#"{"ok":false,"error":"ratelimited"}"#),
                status(200, None, r#"{"ok":false,"error":"internal_error"}"#),
            ],
        );
        let handled = n.handle(&event(), in_30s()).await;
        assert_eq!(
            handled.response.unwrap()["alarms"][0]["deliveries"]["slack-bot"],
            "sent (3 attempts)"
        );

        // A rotating token (`xoxe.xoxb-…`) is one.
        let n = slack_bot_only("https://slack.example/api", "xoxe.xoxb-1-ROTATED");
        assert!(n.handle(&event(), in_30s()).await.response.is_ok());
        assert_eq!(n.deliverer.webhooks.tokens(), ["xoxe.xoxb-1-ROTATED"]);

        // A token that is not one is never sent, nor shown.
        let n = slack_bot_only(
            "https://slack.example/api",
            "https://hooks.slack.com/SECRET",
        );
        let err = n
            .handle(&event(), in_30s())
            .await
            .response
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("does not hold a Slack token") && !err.contains("SECRET"),
            "{err}"
        );
        assert!(n.deliverer.webhooks.calls_to(SLACK_API).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn an_expired_slack_token_is_read_again_and_a_tagged_channel_that_refuses_falls_back() {
        let n = slack_bot_only("https://slack.example/api", BOT_TOKEN);
        n.deliverer.webhooks.answer(
            SLACK_API,
            vec![status(200, None, r#"{"ok":false,"error":"token_expired"}"#)],
        );
        let handled = n.handle(&event(), in_30s()).await;
        assert_eq!(
            handled.response.unwrap()["alarms"][0]["deliveries"]["slack-bot"],
            "sent (1 attempt)"
        );
        assert_eq!(
            n.deliverer
                .secrets
                .reads
                .load(std::sync::atomic::Ordering::SeqCst),
            2,
            "the token is read again"
        );
        assert_eq!(n.deliverer.webhooks.calls_to(SLACK_API).len(), 2);

        let n = slack_bot_only("https://slack.example/api", BOT_TOKEN);
        let mut tagged = event();
        let mut m: Value =
            serde_json::from_str(tagged["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
        m["AlarmTags"] = json!({"trailwatch-slack-channel": "C0GONE"});
        tagged["Records"][0]["Sns"]["Message"] = json!(m.to_string());
        n.deliverer.webhooks.answer(
            SLACK_API,
            vec![status(
                200,
                None,
                r#"{"ok":false,"error":"channel_not_found"}"#,
            )],
        );
        let handled = n.handle(&tagged, in_30s()).await;
        assert!(handled.response.is_ok(), "{:?}", handled.response);
        let calls = n.deliverer.webhooks.calls_to(SLACK_API);
        assert_eq!(calls[0]["channel"], "C0GONE");
        assert_eq!(
            calls[1]["channel"], "C0123ABCDEF",
            "the configured channel, rather than none"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_alarms_tags_pick_its_destinations_and_its_slack_channel() {
        let mut destinations = all();
        destinations.push(bot_destination("https://slack.example/api/"));
        let n = handler_with_secrets(
            notifier(destinations),
            MapSecrets::of(&[
                ("ssm:/trailwatch/teams", TEAMS),
                ("ssm:/trailwatch/slack-bot", BOT_TOKEN),
            ]),
        );
        let mut tagged = event();
        let mut m: Value =
            serde_json::from_str(tagged["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
        m["AlarmTags"] = json!({"team": "payments", "trailwatch-notify": "slack-bot email",
                                "trailwatch-slack-channel": "C0456PAYMENTS"});
        m["AlarmTagsStatus"] = json!("SUCCESS");
        let sent_everywhere = |response: &Value| {
            let deliveries = &response["alarms"][0]["deliveries"];
            for label in ["slack", "teams", "email", "slack-bot"] {
                assert_eq!(
                    deliveries[label], "sent (1 attempt)",
                    "{label}: {deliveries}"
                );
            }
        };
        // The sample is an alarm on a security rule (root use): its tags do not narrow where it goes.
        tagged["Records"][0]["Sns"]["Message"] = json!(m.to_string());
        sent_everywhere(&n.handle(&tagged, in_30s()).await.response.unwrap());
        assert_eq!(
            n.deliverer.webhooks.calls_to(SLACK_API)[0]["channel"],
            "C0456PAYMENTS",
            "the channel tag still holds"
        );
        // The same alarm on a metric no security rule publishes: its tags pick its destinations.
        m["Trigger"]["MetricName"] = json!("PaymentsLatency");
        m["Trigger"]["Namespace"] = json!("Payments");
        m["StateChangeTime"] = json!("2026-11-25T09:30:00.000+0000");
        tagged["Records"][0]["Sns"]["Message"] = json!(m.to_string());
        let handled = n.handle(&tagged, in_30s()).await;
        let response = handled.response.unwrap();
        let deliveries = &response["alarms"][0]["deliveries"];
        assert_eq!(deliveries["slack-bot"], "sent (1 attempt)");
        assert_eq!(deliveries["email"], "sent (1 attempt)");
        for skipped in ["slack", "teams"] {
            assert_eq!(
                deliveries[skipped],
                "not sent: not among the destinations its trailwatch-notify tag names"
            );
        }
        assert_eq!(
            n.deliverer.webhooks.calls_to(SLACK).len(),
            1,
            "the first alarm only"
        );
        assert_eq!(
            n.deliverer.webhooks.calls_to(TEAMS).len(),
            1,
            "the first alarm only"
        );
        assert_eq!(
            n.deliverer.webhooks.calls_to(SLACK_API)[1]["channel"],
            "C0456PAYMENTS"
        );
        // A tag that names nothing configured sends everywhere: a typo loses no alarm.
        let mut m2 = m.clone();
        m2["AlarmTags"] = json!({"trailwatch-notify": "pagerdutty"});
        m2["StateChangeTime"] = json!("2026-11-25T10:00:00.000+0000");
        let mut typo = tagged.clone();
        typo["Records"][0]["Sns"]["Message"] = json!(m2.to_string());
        sent_everywhere(&n.handle(&typo, in_30s()).await.response.unwrap());
        assert_eq!(
            n.deliverer.webhooks.calls_to(SLACK_API)[2]["channel"],
            "C0123ABCDEF"
        );
    }

    /// The root-usage sample with other states and a later state-change time (another message).
    fn with_states(event: &Value, old: &str, new: &str) -> Value {
        let mut e = event.clone();
        let mut m: Value =
            serde_json::from_str(e["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
        m["OldStateValue"] = json!(old);
        m["NewStateValue"] = json!(new);
        let second = match new {
            "ALARM" => 1,
            "OK" => 2,
            _ => 3,
        };
        m["StateChangeTime"] = json!(format!("2026-11-25T10:00:0{second}.000+0000"));
        e["Records"][0]["Sns"]["Message"] = json!(m.to_string());
        e
    }

    const PAGERDUTY: &str = "https://events.pagerduty.example/v2/enqueue";
    const ROUTING_KEY: &str = "R0123456789abcdef0123456789abcde";

    /// A notifier for PagerDuty alone, its routing key `key` in SSM.
    fn pagerduty(key: &str) -> TestHandler {
        let mut n = notifier(vec![Destination::PagerDuty {
            routing_key: SecretRef::Ssm("/trailwatch/pagerduty".into()),
            events_url: PAGERDUTY.into(),
        }]);
        n.deliverer.secrets = MapSecrets::of(&[("ssm:/trailwatch/pagerduty", key)]);
        n
    }

    #[tokio::test(start_paused = true)]
    async fn pagerduty_opens_on_alarm_closes_on_ok_and_gets_its_key_from_ssm() {
        let mut n = pagerduty(ROUTING_KEY);
        let handled = n.handle(&event(), in_30s()).await;
        assert_eq!(
            handled.response.unwrap()["alarms"][0]["deliveries"]["pagerduty"],
            "sent (1 attempt)"
        );
        let sent = n.deliverer.webhooks.calls_to(PAGERDUTY);
        assert_eq!(sent[0]["routing_key"], ROUTING_KEY);
        assert_eq!(sent[0]["event_action"], "trigger");
        let key = sent[0]["dedup_key"].clone();
        assert!(
            key.as_str()
                .unwrap()
                .ends_with(":alarm:trailwatch-RootAccountUsage"),
            "{key}"
        );

        let ok = with_states(&event(), "ALARM", "OK");
        assert!(n.handle(&ok, in_30s()).await.response.is_ok());
        let sent = n.deliverer.webhooks.calls_to(PAGERDUTY);
        assert_eq!(
            sent[1],
            json!({"event_action": "resolve", "dedup_key": key, "routing_key": ROUTING_KEY})
        );

        let unknown = with_states(&event(), "OK", "INSUFFICIENT_DATA");
        n.transitions = TransitionFilter::All;
        let handled = n.handle(&unknown, in_30s()).await;
        assert_eq!(
            handled.response.unwrap()["alarms"][0]["deliveries"]["pagerduty"],
            "not sent: PagerDuty gets ALARM (trigger) and OK (resolve) only"
        );
        assert_eq!(n.deliverer.webhooks.calls_to(PAGERDUTY).len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn pagerduty_refusing_an_event_is_permanent_and_names_neither_key_nor_body() {
        let n = pagerduty(ROUTING_KEY);
        n.deliverer.webhooks.answer(
            PAGERDUTY,
            vec![status(
                400,
                None,
                r#"{"status":"invalid event","errors":["'payload' is missing"]}"#,
            )],
        );
        let err = n.handle(&event(), in_30s()).await.response.unwrap_err();
        assert_eq!(err.error_type(), "Permanent.Delivery", "{err}");
        let text = err.to_string();
        assert!(text.contains("pagerduty") && text.contains("400"), "{text}");
        assert!(!text.contains(ROUTING_KEY), "{text}");
        assert_eq!(
            n.deliverer.webhooks.calls_to(PAGERDUTY).len(),
            1,
            "not retried"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_routing_key_that_is_not_one_is_refused_without_showing_it() {
        let n = pagerduty("not a key!");
        let text = n
            .handle(&event(), in_30s())
            .await
            .response
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("does not hold a PagerDuty routing key"),
            "{text}"
        );
        assert!(!text.contains("not a key!"), "{text}");
        assert!(n.deliverer.webhooks.calls_to(PAGERDUTY).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_configuration_change_is_acknowledged_and_sends_nothing() {
        let n = notifier(all());
        let event: Value = serde_json::from_str(CONFIGURATION_CHANGE).unwrap();
        let handled = n.handle(&event, in_30s()).await;
        assert_eq!(
            handled.response.unwrap(),
            json!({"ignored": "a configuration change (update) of alarm \"ServerCpuTooHigh\""})
        );
        assert_eq!(n.deliverer.webhooks.calls_to(SLACK).len(), 0);
        assert_eq!(handled.health, Health::default(), "no alarm, no failure");
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
        assert!(n.deliverer.webhooks.calls_to(SLACK).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_and_timeouts_are_retried_with_backoff() {
        let n = notifier(all());
        n.deliverer.webhooks.answer(
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
        n.deliverer
            .webhooks
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
        n.deliverer
            .webhooks
            .answer(SLACK, vec![status(429, Some(3600), "")]);
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
        assert_eq!(n.deliverer.webhooks.calls_to(TEAMS).len(), 1);
        // Lambda's retry: only Slack is called again.
        let retry = n.handle(&event(), in_30s()).await;
        assert_eq!(
            retry.response.unwrap()["alarms"][0]["deliveries"],
            json!({"slack": "sent (1 attempt)", "teams": "already delivered", "email": "already delivered"})
        );
        assert_eq!(n.deliverer.webhooks.calls_to(SLACK).len(), 2);
        assert_eq!(n.deliverer.webhooks.calls_to(TEAMS).len(), 1);
        assert_eq!(n.deliverer.topic.sent.lock().unwrap().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_is_not_retried_and_is_remembered_for_a_while() {
        let n = notifier(all());
        n.deliverer
            .webhooks
            .answer(SLACK, vec![status(404, None, "no_service")]);
        let handled = n.handle(&event(), in_30s()).await;
        let err = handled.response.unwrap_err();
        assert_eq!(err.error_type(), "Permanent.Delivery");
        let text = err.to_string();
        assert!(
            text.contains("1 of 3 deliveries failed: slack (trailwatch-RootAccountUsage): HTTP 404 (no_service): refused, not retried"),
            "{text}"
        );
        assert!(!text.contains("hooks.slack.example"), "{text}");
        assert_eq!(n.deliverer.webhooks.calls_to(SLACK).len(), 1);
        // Lambda's retries, a minute later: Slack is not called, the invocation still fails.
        NOW.fetch_add(60, Ordering::SeqCst);
        let retry = n.handle(&event(), in_30s()).await;
        assert!(retry
            .response
            .unwrap_err()
            .to_string()
            .contains("refused this message 60 s ago (HTTP 404 (no_service)"));
        assert_eq!(n.deliverer.webhooks.calls_to(SLACK).len(), 1);
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
        n.deliverer
            .webhooks
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
                channel: Channel::Discord,
                secret: SecretRef::Ssm("/missing".into()),
            },
            Destination::Webhook {
                channel: Channel::Webhook,
                secret: SecretRef::SecretsManager("not-a-url".into()),
            },
        ]);
        n.deliverer.secrets.values.insert(
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
        *n.deliverer.topic.fail.lock().unwrap() = Some(CallError {
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

    #[tokio::test(start_paused = true)]
    async fn a_refused_url_from_a_reference_is_read_again() {
        let n = notifier(all());
        n.deliverer
            .webhooks
            .answer(TEAMS, vec![status(410, None, "gone")]);
        n.handle(&event(), in_30s()).await.response.unwrap_err();
        assert_eq!(n.deliverer.secrets.reads.load(Ordering::SeqCst), 1);
        let mut e = event();
        let message = e["Records"][0]["Sns"]["Message"].as_str().unwrap().replace(
            "2026-11-25T09:12:30.833+0000",
            "2026-11-25T10:12:30.833+0000",
        );
        e["Records"][0]["Sns"]["Message"] = json!(message);
        n.handle(&e, in_30s()).await.response.unwrap();
        assert_eq!(n.deliverer.secrets.reads.load(Ordering::SeqCst), 2);
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
        n.deliverer.webhooks.answer(
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

    #[tokio::test(start_paused = true)]
    async fn an_aws_call_that_hangs_ends_at_the_deadline_as_retryable() {
        let n = handler_with(all(), StuckTopic);
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

    fn realtime_notifier() -> TestHandler {
        let mut n = notifier(all());
        if let Some(rules) = &mut n.rules {
            rules.intern_evidence_fields();
        }
        n
    }

    fn stop_logging() -> Value {
        serde_json::from_str(include_str!(
            "../../../events/alarm-notifier/eventbridge-cloudtrail-stop-logging.json"
        ))
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_realtime_match_is_notified_at_once_and_a_repeated_event_once() {
        let n = realtime_notifier();
        let handled = n.handle(&stop_logging(), in_30s()).await;
        let answer = handled.response.unwrap();
        assert_eq!(answer["matched"][0]["rule"], "CloudTrailConfigChanges");
        assert_eq!(
            answer["matched"][0]["deliveries"]["slack"],
            "sent (1 attempt)"
        );
        let slack = n.deliverer.webhooks.calls_to(SLACK);
        assert_eq!(slack.len(), 1);
        assert!(
            slack[0]
                .to_string()
                .contains("StopLogging by maria.garcia@example.com"),
            "{}",
            slack[0]
        );
        let mails = n.deliverer.topic.sent();
        assert_eq!(mails.len(), 1);
        assert!(
            mails[0].1.starts_with("EVENT: CloudTrailConfigChanges"),
            "{mails:?}"
        );
        assert_eq!(handled.health.realtime_events, 1);
        assert_eq!(handled.health.realtime_matches, 1);
        assert_eq!(handled.health.delivered, 3);
        // EventBridge delivers at least once: the same event again sends nothing.
        let again = n.handle(&stop_logging(), in_30s()).await;
        assert_eq!(
            again.response.unwrap()["matched"][0]["deliveries"]["slack"],
            "already delivered"
        );
        assert_eq!(again.health.duplicates, 3);
        assert_eq!(n.deliverer.webhooks.calls_to(SLACK).len(), 1);
        assert_eq!(n.deliverer.topic.sent().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_no_realtime_rule_matches_sends_nothing_and_a_forged_one_is_refused() {
        let n = realtime_notifier();
        let mut event = stop_logging();
        event["detail"]["eventName"] = json!("DescribeTrails");
        let handled = n.handle(&event, in_30s()).await;
        assert_eq!(handled.response.unwrap()["matched"], json!([]));
        assert!(n.deliverer.webhooks.calls_to(SLACK).is_empty());
        assert_eq!(handled.health.realtime_events, 1);
        assert_eq!(handled.health.realtime_matches, 0);
        event["source"] = json!("custom.app");
        let handled = n.handle(&event, in_30s()).await;
        let err = handled.response.unwrap_err();
        assert_eq!(err.error_type(), "Permanent.UnreadableCloudTrailEvent");
        assert!(err.to_string().contains("custom.app"), "{err}");
        assert_eq!(handled.health.unreadable, 1);
    }
}
