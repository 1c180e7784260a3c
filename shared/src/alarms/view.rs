//! What every rendering says about an alarm, worked out once: the [`View`].

use super::evidence::EvidenceFound;
use super::links::{console_url, insights_url};
use crate::alarms::{Alarm, Evaluation, MetricQuery, MetricRef, Silence, State, Watches};
use crate::rules::ruleset::RuleSet;
use crate::time::UnixSeconds;

/// What rendering knows beyond the alarm: trailwatch's rules and where its evidence is logged.
pub struct RenderContext<'r> {
    /// trailwatch's metric namespace (`CloudTrailMetrics` unless configured).
    pub namespace: String,
    pub rules: Option<&'r RuleSet>,
    /// The trail-metrics log group, for the Logs Insights link (`/aws/lambda/trail-metrics`).
    pub evidence_log_group: Option<String>,
}

/// The trailwatch rule behind an alarm on one of its metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    pub name: String,
    pub description: Option<String>,
    pub pattern: String,
    /// A security rule: trail-metrics logs an evidence line for each event it matches.
    pub security: bool,
    /// Logs Insights, pre-filled with the evidence query over the alarm's window.
    pub insights_url: Option<String>,
}

/// The facts every rendering shows, worked out once.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub alarm: Alarm,
    pub title: String,
    pub transition: String,
    pub where_: String,
    /// One line per thing watched.
    pub watches: Vec<String>,
    pub console_url: Option<String>,
    pub rule: Option<RuleInfo>,
    /// What CloudWatch's silence over the change means for this message, when there is any: it is
    /// muted or suppressed (and sent only because the notifier is told to), or a suppression just
    /// ended.
    pub silence_note: Option<String>,
    /// The CloudTrail events behind an alarm on a security metric, when they were searched for and
    /// found in time ([`crate::alarms::evidence`]); otherwise the rule's Logs Insights link stands alone.
    pub evidence: Option<EvidenceFound>,
    /// Set on an event notification ([`crate::realtime`]): the CloudTrail `eventID` it is about. The
    /// message then links to the event, not to an alarm.
    pub event_id: Option<String>,
}

impl View {
    pub fn new(alarm: &Alarm, ctx: &RenderContext<'_>) -> View {
        let transition = match &alarm.old_state {
            Some(old) => format!("{old} → {}", alarm.new_state),
            None => alarm.new_state.to_string(),
        };
        let where_ = format!(
            "account {}, region {}",
            alarm.account.as_deref().unwrap_or("unknown"),
            alarm.region.as_deref().unwrap_or("unknown")
        );
        let silenced = alarm.silence.silenced();
        View {
            alarm: alarm.clone(),
            // A contributor is one time series changing state on its own: the title names it.
            title: format!(
                "{}{} {}: {}{}",
                if silenced { "🔕 " } else { "" },
                emoji(&alarm.new_state),
                alarm.new_state,
                alarm.name,
                alarm
                    .contributor
                    .as_ref()
                    .map(|c| format!(" for {}", c.label()))
                    .unwrap_or_default()
            ),
            transition,
            where_,
            watches: describe_watches(alarm),
            console_url: console_url(alarm),
            rule: rule_info(alarm, ctx),
            silence_note: silence_note(&alarm.silence),
            evidence: None,
            event_id: None,
        }
    }
}

fn silence_note(silence: &Silence) -> Option<String> {
    if let Some(why) = silence.why() {
        return Some(format!(
            "Silenced by CloudWatch: {why}. CloudWatch runs none of the alarm's actions for this change."
        ));
    }
    if let Some(s) = &silence.suppression_ended {
        return Some(format!(
            "Sent now because its actions were suppressed by {}{} and that has ended: CloudWatch acts on the state the alarm is in.",
            s.by,
            s.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    None
}

fn emoji(state: &State) -> &'static str {
    match state {
        State::Alarm => "🚨",
        State::Ok => "✅",
        State::InsufficientData => "❔",
        State::Other(_) => "ℹ️",
    }
}

/// The rule behind an alarm on one of trailwatch's metrics, if it is one.
fn rule_info(alarm: &Alarm, ctx: &RenderContext<'_>) -> Option<RuleInfo> {
    let metrics: Vec<&MetricRef> = match &alarm.watches {
        Watches::Metric { metric, .. } => vec![metric],
        Watches::Math { queries } => queries.iter().filter_map(|q| q.metric.as_ref()).collect(),
        _ => Vec::new(),
    };
    let mut names: Vec<String> = metrics
        .iter()
        .filter(|m| m.namespace == ctx.namespace)
        .map(|m| m.name.clone())
        .collect();
    if let Watches::Math { queries } = &alarm.watches {
        // A Metrics Insights query names its metric in the text: `SELECT SUM(StartInstances) FROM CloudTrailMetrics`.
        for q in queries {
            if let Some(e) = &q.expression {
                if queries_namespace(e, &ctx.namespace) {
                    if let Some(name) = e.split('(').nth(1).and_then(|r| r.split(')').next()) {
                        names.push(name.trim().to_owned());
                    }
                }
            }
        }
    }
    let rules = ctx.rules?;
    let rule = names.iter().find_map(|n| {
        rules.rules().iter().find(|r| {
            r.transformations
                .iter()
                .any(|t| *t.metric_name == **n && *t.namespace == *ctx.namespace)
        })
    })?;
    // trail-metrics logs evidence lines for security rules only: for others there is nothing to list.
    let insights_url = match (&ctx.evidence_log_group, &alarm.region) {
        (Some(group), Some(region)) if rule.security => window(alarm).map(|(start, end)| {
            let query = format!(
                "fields eventTime, eventName, eventSource, errorCode, actor, role, principal, sourceIPAddress, userAgent, account, region, eventID\n\
                 | filter trailwatch = \"evidence\" and rule = \"{}\"\n\
                 | sort eventTime desc",
                rule.name
            );
            insights_url(&alarm.partition, region, group, &query, &start, &end)
        }),
        _ => None,
    };
    Some(RuleInfo {
        name: rule.name.clone(),
        description: rule.description.clone(),
        pattern: rule.pattern_text.clone(),
        security: rule.security,
        insights_url,
    })
}

/// Whether a Metrics Insights query reads `namespace`: `FROM ns`, `FROM "ns"`, or `FROM SCHEMA("ns", …)`
/// (`SCHEMA(ns, …)` unquoted).
pub(super) fn queries_namespace(expression: &str, namespace: &str) -> bool {
    let Some(from) = expression.find("FROM ").map(|i| &expression[i + 5..]) else {
        return false;
    };
    let from = from.trim_start();
    let from = from
        .strip_prefix("SCHEMA(")
        .map(str::trim_start)
        .unwrap_or(from);
    let from = from.strip_prefix('"').unwrap_or(from);
    from.strip_prefix(namespace)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['"', ',', ' ', ')']))
}

/// The alarm's evaluation window, widened a little, as RFC 3339: see [`window_seconds`].
pub(super) fn window(alarm: &Alarm) -> Option<(String, String)> {
    let (start, end, _) = window_seconds(alarm)?;
    Some((start.to_string(), end.to_string()))
}

/// The alarm's evaluation window, widened a little: from (change time − periods × period − 15 min) to
/// (change time + 5 min), and the change time. Evidence is logged when the log file arrives, minutes
/// after the events, so the window reaches back further than the metric's.
pub(super) fn window_seconds(alarm: &Alarm) -> Option<(UnixSeconds, UnixSeconds, UnixSeconds)> {
    let time = alarm.time.as_deref()?;
    // "2026-11-25T09:12:30.833+0000" → "2026-11-25T09:12:30Z"
    let compact: String = time.chars().filter(|c| *c != ' ').collect();
    let t = UnixSeconds::parse_rfc3339(&format!("{}Z", compact.get(..19)?))?;
    let period = match &alarm.watches {
        Watches::Metric { period, .. } => period.unwrap_or(300),
        Watches::Math { queries } => queries.iter().filter_map(|q| q.period).max().unwrap_or(300),
        _ => 300,
    };
    let periods = alarm.evaluation.evaluation_periods.unwrap_or(1);
    let back = i64::try_from(period.saturating_mul(periods)).unwrap_or(86_400) + 900;
    Some((UnixSeconds(t.0 - back), UnixSeconds(t.0 + 300), t))
}

pub(super) fn period_text(seconds: u64) -> String {
    let (n, unit) = match seconds {
        s if s % 86_400 == 0 => (s / 86_400, "day"),
        s if s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn comparison_text(op: &str) -> &str {
    match op {
        "GreaterThanOrEqualToThreshold" => "≥",
        "GreaterThanThreshold" => ">",
        "LessThanThreshold" => "<",
        "LessThanOrEqualToThreshold" => "≤",
        "LessThanLowerOrGreaterThanUpperThreshold" => "outside the band",
        "GreaterThanUpperThreshold" => "above the band",
        "LessThanLowerThreshold" => "below the band",
        other => other,
    }
}

fn metric_text(m: &MetricRef) -> String {
    let dims = if m.dimensions.is_empty() {
        "no dimensions".to_owned()
    } else {
        m.dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("{}/{} ({dims})", m.namespace, m.name)
}

fn number(v: f64) -> String {
    crate::text::format_number(v)
}

/// The alarm's condition: comparison and threshold (or band), datapoints, missing-data treatment.
fn condition_text(e: &Evaluation) -> String {
    let mut c = match (&e.comparison, e.threshold, &e.threshold_metric_id) {
        (Some(op), _, Some(band)) => format!("alarm when {} {band}", comparison_text(op)),
        (Some(op), Some(t), None) => {
            format!("alarm when {} {}", comparison_text(op), number(t))
        }
        (None, Some(t), _) => format!("threshold {}", number(t)),
        _ => String::new(),
    };
    if let Some(n) = e.evaluation_periods {
        let m = e.datapoints_to_alarm.unwrap_or(n);
        c.push_str(&format!(" for {m} of {n} periods"));
    }
    if let Some(t) = &e.treat_missing_data {
        c.push_str(&format!("; missing data: {t}"));
    }
    c
}

fn describe_watches(alarm: &Alarm) -> Vec<String> {
    let condition = || condition_text(&alarm.evaluation);
    match &alarm.watches {
        Watches::Metric {
            metric,
            statistic,
            unit,
            period,
        } => {
            let mut line = metric_text(metric);
            if let Some(s) = statistic {
                line.push_str(&format!(", {s}"));
            }
            if let Some(p) = period {
                line.push_str(&format!(" over {}", period_text(*p)));
            }
            if let Some(u) = unit {
                line.push_str(&format!(" in {u}"));
            }
            let c = condition();
            if !c.trim().is_empty() {
                line.push_str(&format!("; {}", c.trim()));
            }
            vec![line]
        }
        Watches::Math { queries } => {
            let mut lines: Vec<String> = queries.iter().map(query_text).collect();
            let c = condition();
            if !c.trim().is_empty() {
                lines.push(c.trim().to_owned());
            }
            lines
        }
        Watches::Composite { rule, triggering } => {
            let mut lines = vec![format!("composite rule: {rule}")];
            if !triggering.is_empty() {
                let children: Vec<String> = triggering
                    .iter()
                    .map(|(name, state)| match state {
                        Some(s) => format!("{name} ({s})"),
                        None => name.clone(),
                    })
                    .collect();
                lines.push(format!("triggered by {}", children.join(", ")));
            }
            lines
        }
        Watches::Unknown => vec!["not given in the notification".to_owned()],
    }
}

fn query_text(q: &MetricQuery) -> String {
    let mut line = match (&q.expression, &q.metric) {
        (Some(e), _) => format!("{} = {e}", q.id),
        (None, Some(m)) => format!("{} = {}", q.id, metric_text(m)),
        (None, None) => q.id.clone(),
    };
    if let Some(s) = &q.stat {
        line.push_str(&format!(", {s}"));
    }
    if let Some(p) = q.period {
        line.push_str(&format!(" over {}", period_text(p)));
    }
    if let Some(l) = &q.label {
        line.push_str(&format!(" \"{l}\""));
    }
    if q.return_data {
        line.push_str(" (evaluated)");
    }
    line
}
