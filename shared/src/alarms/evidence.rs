//! The CloudTrail events behind an alarm on a security metric, in the message itself: read back from
//! trail-metrics' evidence lines in CloudWatch Logs (FilterLogEvents), within a time budget, newest first.
//!
//! The lines are already there: trail-metrics logs one per event a security rule matches, before it
//! publishes the metric, so by the time an alarm on that metric changes state they have been written.
//! Only the fields of [`EvidenceEvent`] are read from a line, so nothing else a line might hold reaches a
//! message; a retried file logs its lines again, and events are counted once by `eventID`.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::view::window_seconds;
use super::{State, View};
use crate::error::CallError;
use crate::time::UnixSeconds;

/// Events a message lists at most, whatever is configured: each one is a few lines in a chat client.
pub const MAX_SHOWN: usize = 20;

/// FilterLogEvents pages read at most: the search stops there and says the count is a lower bound.
pub const MAX_PAGES: u32 = 50;

/// Where and what to search: one rule's evidence lines over the alarm's window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceSearch {
    pub log_group: String,
    pub rule: String,
    /// When the lines may have been logged, in epoch milliseconds: from the start of the alarm's
    /// evaluation window (widened, see [`window_seconds`]) to a little after the change.
    pub logged_from_ms: i64,
    pub logged_to_ms: i64,
    /// The events' own `eventTime`s that count: from the window's start to the state change. A line
    /// logged in the window for a later event did not make this alarm fire.
    pub events_from: UnixSeconds,
    pub events_to: UnixSeconds,
}

impl EvidenceSearch {
    /// The search for an alarm on one of trailwatch's security metrics; `None` for any other alarm,
    /// or one whose notification has no time.
    pub fn for_view(view: &View, log_group: &str) -> Option<EvidenceSearch> {
        let rule = view.rule.as_ref().filter(|r| r.security)?;
        let (from, to, changed) = window_seconds(&view.alarm)?;
        Some(EvidenceSearch {
            log_group: log_group.to_owned(),
            rule: rule.name.clone(),
            logged_from_ms: from.0.saturating_mul(1000),
            logged_to_ms: to.0.saturating_mul(1000),
            events_from: from,
            events_to: changed,
        })
    }

    /// The FilterLogEvents pattern: the rule's evidence lines. A rule name that the pattern language
    /// cannot quote safely searches all evidence lines; [`Collector`] picks the rule's either way.
    pub fn filter_pattern(&self) -> String {
        let plain = !self.rule.is_empty()
            && self
                .rule
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.:/".contains(&b));
        if plain {
            format!(
                "{{ ($.trailwatch = \"evidence\") && ($.rule = \"{}\") }}",
                self.rule
            )
        } else {
            "{ $.trailwatch = \"evidence\" }".to_owned()
        }
    }
}

/// What a message may say about one event: who, what, when, from where. Read from an evidence line
/// field by field; a line's other fields are never read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EvidenceEvent {
    #[serde(rename = "eventTime", default)]
    pub event_time: Option<String>,
    #[serde(rename = "eventName", default)]
    pub event_name: Option<String>,
    #[serde(rename = "eventSource", default)]
    pub event_source: Option<String>,
    #[serde(rename = "errorCode", default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default)]
    pub principal: Option<String>,
    /// The person behind a role session, where `principal` is the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(rename = "principalType", default)]
    pub principal_type: Option<String>,
    #[serde(rename = "sourceIPAddress", default)]
    pub source_ip: Option<String>,
    #[serde(rename = "userAgent", default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(rename = "eventID", default)]
    pub event_id: Option<String>,
}

impl From<crate::rules::ruleset::Evidence> for EvidenceEvent {
    /// What a message says about an event a rule matched, from the fields an evidence line holds.
    fn from(e: crate::rules::ruleset::Evidence) -> EvidenceEvent {
        EvidenceEvent {
            event_time: e.event_time,
            event_name: e.event_name,
            event_source: e.event_source,
            error_code: e.error_code,
            principal: e.principal,
            actor: e.actor,
            role: e.role,
            principal_type: e.principal_type,
            source_ip: e.source_ip,
            user_agent: e.user_agent,
            account: e.account,
            region: e.region,
            event_id: e.event_id,
        }
    }
}

/// The longest text of one field a message shows: an evidence line's fields come from the logs.
const FIELD_CHARS: usize = 120;

impl EvidenceEvent {
    /// One line for people: `2026-11-25T09:10:03Z ConsoleLogin (signin.amazonaws.com), refused:
    /// AccessDenied, by root (Root) from 203.0.113.7 with "aws-cli/2.15", account 123456789012,
    /// us-east-1, event 3f1c…`. Unescaped: each destination escapes it.
    pub fn line(&self) -> String {
        let f = |v: &Option<String>| {
            v.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| crate::text::truncate(s, FIELD_CHARS))
        };
        let mut line = format!(
            "{} {}",
            f(&self.event_time).unwrap_or_else(|| "(no time)".into()),
            f(&self.event_name).unwrap_or_else(|| "(no event name)".into())
        );
        if let Some(s) = f(&self.event_source) {
            line.push_str(&format!(" ({s})"));
        }
        if let Some(e) = f(&self.error_code) {
            line.push_str(&format!(", refused: {e}"));
        }
        // The person first; the role they acted through beside the type.
        let who = f(&self.actor).or_else(|| f(&self.principal));
        line.push_str(&format!(
            ", by {}",
            who.as_deref().unwrap_or("an unnamed principal")
        ));
        match (f(&self.principal_type), f(&self.role)) {
            (Some(t), Some(r)) if who.as_deref() != Some(r.as_str()) => {
                line.push_str(&format!(" ({t}, role {r})"))
            }
            (Some(t), _) => line.push_str(&format!(" ({t})")),
            (None, Some(r)) if who.as_deref() != Some(r.as_str()) => {
                line.push_str(&format!(" (role {r})"))
            }
            _ => {}
        }
        if let Some(ip) = f(&self.source_ip) {
            line.push_str(&format!(" from {ip}"));
        }
        if let Some(agent) = f(&self.user_agent) {
            line.push_str(&format!(" with \"{agent}\""));
        }
        if let Some(a) = f(&self.account) {
            line.push_str(&format!(", account {a}"));
        }
        if let Some(r) = f(&self.region) {
            line.push_str(&format!(", {r}"));
        }
        if let Some(id) = f(&self.event_id) {
            line.push_str(&format!(", event {id}"));
        }
        line
    }
}

/// The events found: the newest few, and how many there are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceFound {
    pub rule: String,
    /// Newest first, at most the number asked for.
    pub events: Vec<EvidenceEvent>,
    /// Distinct events found (by `eventID`).
    pub total: u64,
    /// `false` when the search stopped early (time budget, page limit): `total` is then a lower bound.
    pub complete: bool,
}

impl EvidenceFound {
    /// The heading over the list: "3 matching CloudTrail events", "The 5 newest of 12 …", "at least …".
    pub fn heading(&self) -> String {
        let at_least = if self.complete { "" } else { "at least " };
        let noun = if self.total == 1 { "event" } else { "events" };
        if self.total == 0 {
            return format!(
                "No evidence line of rule {} found in the alarm's window{}",
                self.rule,
                if self.complete {
                    ""
                } else {
                    " (the search stopped early)"
                }
            );
        }
        if (self.events.len() as u64) < self.total || !self.complete {
            format!(
                "The {} newest of {at_least}{} CloudTrail {noun} rule {} matched",
                self.events.len(),
                self.total,
                self.rule
            )
        } else {
            format!(
                "The CloudTrail {noun} rule {} matched ({})",
                self.rule, self.total
            )
        }
    }

    /// Whether the message holds fewer events than were found, or may: the Logs Insights link has them.
    pub fn has_more(&self) -> bool {
        (self.events.len() as u64) < self.total || !self.complete
    }
}

/// Adds up the evidence lines of one search, page by page.
#[derive(Debug)]
pub struct Collector<'s> {
    search: &'s EvidenceSearch,
    shown: usize,
    seen: HashSet<String>,
    /// Newest first.
    events: Vec<(UnixSeconds, EvidenceEvent)>,
    total: u64,
}

impl<'s> Collector<'s> {
    pub fn new(search: &'s EvidenceSearch, shown: usize) -> Collector<'s> {
        Collector {
            search,
            shown: shown.min(MAX_SHOWN),
            seen: HashSet::new(),
            events: Vec::new(),
            total: 0,
        }
    }

    /// One log message: counted if it is an evidence line of the rule, for an event in the window, not
    /// seen before. Anything else (the function's other log lines, lines of other rules) is passed over.
    pub fn offer(&mut self, message: &str) {
        let Some(event) = evidence_line(message, &self.search.rule) else {
            return;
        };
        let Some(time) = event
            .event_time
            .as_deref()
            .and_then(UnixSeconds::parse_rfc3339)
        else {
            return;
        };
        if time < self.search.events_from || time > self.search.events_to {
            return;
        }
        // Without an eventID there is nothing to tell a repeated line by: it counts.
        if let Some(id) = &event.event_id {
            if !self.seen.insert(id.clone()) {
                return;
            }
        }
        self.total += 1;
        let at = self.events.partition_point(|(t, _)| *t >= time);
        if at < self.shown {
            self.events.insert(at, (time, event));
            self.events.truncate(self.shown);
        }
    }

    pub fn finish(self, complete: bool) -> EvidenceFound {
        EvidenceFound {
            rule: self.search.rule.clone(),
            events: self.events.into_iter().map(|(_, e)| e).collect(),
            total: self.total,
            complete,
        }
    }
}

/// The event in an evidence line of `rule`. Lambda may wrap a function's output in its own JSON
/// (`{"message": "…"}`), so a line is looked for there too.
fn evidence_line(message: &str, rule: &str) -> Option<EvidenceEvent> {
    let value: serde_json::Value = serde_json::from_str(message.trim()).ok()?;
    let object = match value.get("message").and_then(|m| m.as_str()) {
        Some(inner) if value.get("trailwatch").is_none() => serde_json::from_str(inner).ok()?,
        _ => value,
    };
    if object.get("trailwatch")?.as_str()? != "evidence" || object.get("rule")?.as_str()? != rule {
        return None;
    }
    serde_json::from_value(object).ok()
}

/// Whether a message lists events at all: the events explain why an alarm fires; an OK or
/// INSUFFICIENT_DATA message needs only the link.
pub fn wanted(view: &View) -> bool {
    view.alarm.new_state == State::Alarm
}

/// Puts what was found in the message, unless it is nothing: with no line in the alarm's window (a
/// metric published by something else, lines not shipped yet) the link, over a wider window, says
/// more than "none". Whether it was put in.
pub fn attach(view: &mut View, found: EvidenceFound) -> bool {
    if found.total == 0 {
        return false;
    }
    view.evidence = Some(found);
    true
}

/// How alarm-notifier reads evidence: where, how many events a message lists, and for how long it may
/// search.
#[derive(Debug, Clone)]
pub struct EvidenceReader<L> {
    pub logs: L,
    pub log_group: String,
    pub shown: usize,
    pub budget: Duration,
}

impl<L: LogSearch> EvidenceReader<L> {
    /// The events behind `view`'s alarm, searched for until `budget` has passed or a quarter of the
    /// time left before `deadline` (the deliveries need the rest). `None` when there is nothing to
    /// search for: not a security metric, no time in the notification, or no event to list.
    pub async fn read(
        &self,
        view: &View,
        deadline: Instant,
    ) -> Option<Result<EvidenceFound, CallError>> {
        if self.shown == 0 || !wanted(view) {
            return None;
        }
        let search = EvidenceSearch::for_view(view, &self.log_group)?;
        let now = Instant::now();
        let until = (now + self.budget).min(now + deadline.saturating_duration_since(now) / 4);
        Some(find_evidence(&self.logs, &search, self.shown, until).await)
    }
}

/// One page of log messages, and the token for the next, if any.
#[derive(Debug, Clone, Default)]
pub struct LogPage {
    pub messages: Vec<String>,
    pub next: Option<String>,
}

/// Where evidence lines are searched (CloudWatch Logs FilterLogEvents).
pub trait LogSearch: Send + Sync {
    fn filter(
        &self,
        search: &EvidenceSearch,
        next: Option<String>,
    ) -> impl Future<Output = Result<LogPage, CallError>> + Send;
}

/// Searches until the lines run out, [`MAX_PAGES`], or `until`. What was found by then is the answer,
/// marked incomplete; an error, or a budget spent before the first page, is an error (the message then
/// has the link only).
pub async fn find_evidence(
    logs: &impl LogSearch,
    search: &EvidenceSearch,
    shown: usize,
    until: Instant,
) -> Result<EvidenceFound, CallError> {
    let mut collector = Collector::new(search, shown);
    let mut next = None;
    for page in 0..MAX_PAGES {
        let answer = match tokio::time::timeout_at(until, logs.filter(search, next.take())).await {
            Ok(answer) => answer,
            Err(_) if page > 0 => return Ok(collector.finish(false)),
            Err(_) => {
                return Err(CallError {
                    operation: "FilterLogEvents",
                    code: "Timeout".into(),
                    message: format!(
                        "no answer from log group {} within the evidence budget",
                        search.log_group
                    ),
                    retryable: true,
                })
            }
        };
        let LogPage {
            messages,
            next: token,
        } = match answer {
            Ok(page) => page,
            // What earlier pages found is still true: shown, as "at least".
            Err(e) if page > 0 => {
                tracing::warn!(log_group = search.log_group, error = %e, "evidence search cut short");
                return Ok(collector.finish(false));
            }
            Err(e) => return Err(e),
        };
        for m in &messages {
            collector.offer(m);
        }
        match token {
            Some(t) => next = Some(t),
            None => return Ok(collector.finish(true)),
        }
    }
    Ok(collector.finish(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::ScriptedLogs;

    fn search() -> EvidenceSearch {
        EvidenceSearch {
            log_group: "/aws/lambda/trail-metrics".into(),
            rule: "RootAccountUsage".into(),
            logged_from_ms: 0,
            logged_to_ms: 0,
            events_from: UnixSeconds::parse_rfc3339("2026-11-25T09:00:00Z").unwrap(),
            events_to: UnixSeconds::parse_rfc3339("2026-11-25T09:15:00Z").unwrap(),
        }
    }

    fn line(rule: &str, id: &str, time: &str) -> String {
        serde_json::json!({
            "trailwatch": "evidence", "rule": rule, "eventID": id, "eventTime": time,
            "eventName": "ConsoleLogin", "principal": "root", "principalType": "Root",
            "sourceIPAddress": "203.0.113.7", "account": "111122223333", "region": "us-east-1",
            "object": "s3://trail/AWSLogs/x.json.gz", "requestParameters": {"password": "hunter2"},
        })
        .to_string()
    }

    #[test]
    fn keeps_the_newest_counts_each_event_once_and_only_the_rules_lines_in_the_window() {
        let s = search();
        let mut c = Collector::new(&s, 2);
        c.offer(&line("RootAccountUsage", "a", "2026-11-25T09:01:00Z"));
        c.offer(&line("RootAccountUsage", "b", "2026-11-25T09:05:00Z"));
        c.offer(&line("RootAccountUsage", "b", "2026-11-25T09:05:00Z"));
        c.offer(&line("RootAccountUsage", "c", "2026-11-25T09:03:00Z"));
        c.offer(&line("IAMPolicyChanges", "d", "2026-11-25T09:04:00Z"));
        c.offer(&line("RootAccountUsage", "e", "2026-11-25T08:59:59Z"));
        c.offer(&line("RootAccountUsage", "f", "2026-11-25T09:15:01Z"));
        c.offer("START RequestId: 1 Version: $LATEST");
        c.offer(r#"{"level":"INFO","message":"published"}"#);
        let wrapped =
            serde_json::json!({"message": line("RootAccountUsage", "g", "2026-11-25T09:15:00Z")});
        c.offer(&wrapped.to_string());
        let found = c.finish(true);
        let ids: Vec<_> = found
            .events
            .iter()
            .map(|e| e.event_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids, ["g", "b"]);
        assert_eq!(found.total, 4);
        assert!(found.has_more());
        assert_eq!(
            found.heading(),
            "The 2 newest of 4 CloudTrail events rule RootAccountUsage matched"
        );
    }

    #[test]
    fn the_windows_ends_count_and_a_field_named_message_is_not_a_wrapper() {
        let s = search();
        let mut c = Collector::new(&s, 5);
        c.offer(&line("RootAccountUsage", "first", "2026-11-25T09:00:00Z"));
        c.offer(&line("RootAccountUsage", "last", "2026-11-25T09:15:00Z"));
        let mut with_message: serde_json::Value =
            serde_json::from_str(&line("RootAccountUsage", "m", "2026-11-25T09:05:00Z")).unwrap();
        with_message["message"] = serde_json::json!("a field of the line, not Lambda's wrapper");
        c.offer(&with_message.to_string());
        assert_eq!(c.finish(true).total, 3);
    }

    #[test]
    fn a_line_never_carries_more_than_its_named_fields() {
        let s = search();
        let mut c = Collector::new(&s, 5);
        c.offer(&line("RootAccountUsage", "a", "2026-11-25T09:01:00Z"));
        let found = c.finish(true);
        let json = serde_json::to_string(&found).unwrap();
        assert!(
            !json.contains("hunter2") && !json.contains("s3://trail"),
            "{json}"
        );
        assert_eq!(
            found.events[0].line(),
            "2026-11-25T09:01:00Z ConsoleLogin, by root (Root) from 203.0.113.7, account 111122223333, us-east-1, event a"
        );
        assert_eq!(
            found.heading(),
            "The CloudTrail event rule RootAccountUsage matched (1)"
        );
        assert!(!found.has_more());
    }

    #[test]
    fn a_person_behind_a_role_is_named_with_the_role() {
        let person = EvidenceEvent {
            event_time: Some("2026-11-25T09:01:00Z".into()),
            event_name: Some("StopLogging".into()),
            principal: Some("AWSReservedSSO_Admin_0123".into()),
            actor: Some("alice@example.com".into()),
            role: Some("AWSReservedSSO_Admin_0123".into()),
            principal_type: Some("AssumedRole".into()),
            ..EvidenceEvent::default()
        };
        assert_eq!(
            person.line(),
            "2026-11-25T09:01:00Z StopLogging, by alice@example.com (AssumedRole, role AWSReservedSSO_Admin_0123)"
        );
        // A machine's role session: the role is who acted, named once.
        let machine = EvidenceEvent {
            actor: Some("DeployRole".into()),
            role: Some("DeployRole".into()),
            principal: Some("DeployRole".into()),
            ..person.clone()
        };
        assert!(
            machine.line().ends_with("by DeployRole (AssumedRole)"),
            "{}",
            machine.line()
        );
        // Lines from before `actor` was logged: the principal.
        let old = EvidenceEvent {
            actor: None,
            role: None,
            ..person.clone()
        };
        assert!(
            old.line()
                .ends_with("by AWSReservedSSO_Admin_0123 (AssumedRole)"),
            "{}",
            old.line()
        );
        let untyped = EvidenceEvent {
            principal_type: None,
            ..person
        };
        assert!(
            untyped
                .line()
                .ends_with("by alice@example.com (role AWSReservedSSO_Admin_0123)"),
            "{}",
            untyped.line()
        );
    }

    #[test]
    fn long_fields_are_cut_and_an_event_without_fields_still_reads() {
        let e = EvidenceEvent {
            user_agent: Some("x".repeat(500)),
            ..EvidenceEvent::default()
        };
        let text = e.line();
        assert!(text.starts_with("(no time) (no event name), by an unnamed principal with \""));
        assert!(text.chars().count() < 200, "{text}");
    }

    fn view_of(sample: &str, rules: &crate::rules::ruleset::RuleSet) -> View {
        let path = format!(
            "{}/../events/alarm-notifier/{sample}",
            env!("CARGO_MANIFEST_DIR")
        );
        let event: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let alarm = crate::alarms::from_event(&event)
            .unwrap()
            .remove(0)
            .unwrap();
        View::new(
            &alarm,
            &crate::alarms::RenderContext {
                namespace: "CloudTrailMetrics".into(),
                rules: Some(rules),
                evidence_log_group: Some("/aws/lambda/trail-metrics".into()),
            },
        )
    }

    #[test]
    fn a_security_alarm_is_searched_over_its_window_and_no_other_alarm_is() {
        let rules = crate::rules::ruleset::RuleSet::builtin("CloudTrailMetrics").unwrap();
        let root = view_of("sns-trailwatch-root-account-usage.json", &rules);
        let s = EvidenceSearch::for_view(&root, "g").unwrap();
        // One 5-minute period, 15 minutes for CloudTrail's delay, 5 after the change at 09:12:30.
        assert_eq!(s.rule, "RootAccountUsage");
        assert_eq!(s.log_group, "g");
        assert_eq!(s.events_from.to_string(), "2026-11-25T08:52:30Z");
        assert_eq!(s.events_to.to_string(), "2026-11-25T09:12:30Z");
        assert_eq!(s.logged_from_ms, s.events_from.0 * 1000);
        assert_eq!(s.logged_to_ms, (s.events_to.0 + 300) * 1000);
        assert!(wanted(&root));

        // StartInstances logs no evidence line: nothing to search.
        let start = view_of("sns-trailwatch-start-instances-contributor.json", &rules);
        assert!(start.rule.is_some());
        assert_eq!(EvidenceSearch::for_view(&start, "g"), None);
        // Not trailwatch's metric at all.
        let other = view_of("sns-anomaly-detection-alarm.json", &rules);
        assert_eq!(EvidenceSearch::for_view(&other, "g"), None);
        // No time in the notification: no window.
        let mut untimed = root.clone();
        untimed.alarm.time = None;
        assert_eq!(EvidenceSearch::for_view(&untimed, "g"), None);
        let mut ok = root.clone();
        ok.alarm.new_state = State::Ok;
        assert!(!wanted(&ok));
    }

    #[test]
    fn nothing_found_leaves_the_message_as_it_was() {
        let rules = crate::rules::ruleset::RuleSet::builtin("CloudTrailMetrics").unwrap();
        let mut view = view_of("sns-trailwatch-root-account-usage.json", &rules);
        let s = EvidenceSearch::for_view(&view, "g").unwrap();
        assert!(!attach(&mut view, Collector::new(&s, 5).finish(true)));
        assert_eq!(view.evidence, None);
        let mut c = Collector::new(&s, 5);
        c.offer(&line("RootAccountUsage", "a", "2026-11-25T09:01:00Z"));
        assert!(attach(&mut view, c.finish(true)));
        assert_eq!(view.evidence.as_ref().map(|f| f.total), Some(1));
    }

    #[tokio::test(start_paused = true)]
    async fn the_reader_searches_alarms_only_within_a_quarter_of_the_time_left() {
        let rules = crate::rules::ruleset::RuleSet::builtin("CloudTrailMetrics").unwrap();
        let view = view_of("sns-trailwatch-root-account-usage.json", &rules);
        let slow = |shown| EvidenceReader {
            logs: ScriptedLogs::pages(
                vec![ScriptedLogs::page(
                    &[line("RootAccountUsage", "a", "2026-11-25T09:01:00Z")],
                    false,
                )],
                Duration::from_secs(3),
            ),
            log_group: "g".into(),
            shown,
            budget: Duration::from_secs(5),
        };
        // 20 s left: a quarter is 5 s, the page comes in 3.
        let found = slow(5)
            .read(&view, Instant::now() + Duration::from_secs(20))
            .await;
        assert_eq!(found.unwrap().unwrap().total, 1);
        // 8 s left: 2 s, too short for the page.
        let cut = slow(5)
            .read(&view, Instant::now() + Duration::from_secs(8))
            .await;
        assert!(cut.unwrap().is_err());
        // A budget of its own shorter than a quarter.
        let mut tight = slow(5);
        tight.budget = Duration::from_secs(2);
        let cut = tight
            .read(&view, Instant::now() + Duration::from_secs(60))
            .await;
        assert!(cut.unwrap().is_err());
        // None shown: nothing searched.
        let none = slow(0);
        assert!(none
            .read(&view, Instant::now() + Duration::from_secs(60))
            .await
            .is_none());
        assert!(none.logs.searches().is_empty());
        let mut ok = view.clone();
        ok.alarm.new_state = State::Ok;
        assert!(slow(5)
            .read(&ok, Instant::now() + Duration::from_secs(60))
            .await
            .is_none());
    }

    #[test]
    fn the_pattern_quotes_only_names_it_can() {
        let mut s = search();
        assert_eq!(
            s.filter_pattern(),
            r#"{ ($.trailwatch = "evidence") && ($.rule = "RootAccountUsage") }"#
        );
        s.rule = "a\" || $.x = \"y".into();
        assert_eq!(s.filter_pattern(), r#"{ $.trailwatch = "evidence" }"#);
    }

    fn page(lines: &[String], more: bool) -> Result<LogPage, CallError> {
        ScriptedLogs::page(lines, more)
    }

    #[tokio::test(start_paused = true)]
    async fn pages_are_read_until_the_last_and_the_budget_cuts_a_search_short() {
        let s = search();
        let a = line("RootAccountUsage", "a", "2026-11-25T09:01:00Z");
        let b = line("RootAccountUsage", "b", "2026-11-25T09:02:00Z");
        let logs = ScriptedLogs::pages(
            vec![
                page(std::slice::from_ref(&a), true),
                page(&[], true),
                page(std::slice::from_ref(&b), false),
            ],
            Duration::from_secs(1),
        );
        let found = find_evidence(&logs, &s, 5, Instant::now() + Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!((found.total, found.complete), (2, true));

        let logs = ScriptedLogs::pages(
            vec![
                page(std::slice::from_ref(&a), true),
                page(std::slice::from_ref(&b), false),
            ],
            Duration::from_secs(3),
        );
        let found = find_evidence(&logs, &s, 5, Instant::now() + Duration::from_secs(4))
            .await
            .unwrap();
        assert_eq!((found.total, found.complete), (1, false));
        assert_eq!(
            found.heading(),
            "The 1 newest of at least 1 CloudTrail event rule RootAccountUsage matched"
        );

        let logs = ScriptedLogs::pages(vec![page(&[a], true)], Duration::from_secs(3));
        let err = find_evidence(&logs, &s, 5, Instant::now() + Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(
            err.retryable && err.message.contains("/aws/lambda/trail-metrics"),
            "{err}"
        );

        // A page that fails after others: what they found, as "at least".
        let throttled = CallError {
            operation: "FilterLogEvents",
            code: "ThrottlingException".into(),
            message: "Rate exceeded".into(),
            retryable: true,
        };
        let logs = ScriptedLogs::pages(
            vec![page(std::slice::from_ref(&b), true), Err(throttled)],
            Duration::ZERO,
        );
        let found = find_evidence(&logs, &s, 5, Instant::now() + Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!((found.total, found.complete), (1, false));

        let denied = CallError {
            operation: "FilterLogEvents",
            code: "AccessDeniedException".into(),
            message: "no".into(),
            retryable: false,
        };
        let logs = ScriptedLogs::pages(vec![Err(denied.clone())], Duration::ZERO);
        let err = find_evidence(&logs, &s, 5, Instant::now() + Duration::from_secs(2))
            .await
            .unwrap_err();
        assert_eq!(err, denied);
    }

    #[tokio::test(start_paused = true)]
    async fn an_endless_search_stops_at_the_page_limit() {
        let s = search();
        let a = line("RootAccountUsage", "a", "2026-11-25T09:01:00Z");
        let pages = (0..MAX_PAGES + 5)
            .map(|_| page(std::slice::from_ref(&a), true))
            .collect();
        let logs = ScriptedLogs::pages(pages, Duration::ZERO);
        let found = find_evidence(&logs, &s, 5, Instant::now() + Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!((found.total, found.complete), (1, false));
        assert_eq!(logs.left(), 5);
        assert_eq!(logs.searches().len(), MAX_PAGES as usize);
        assert_eq!(logs.searches()[1].1.as_deref(), Some("next"));
    }
}
