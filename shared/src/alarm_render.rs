//! What an [`Alarm`] looks like to people: plain text (e-mail, SMS), Slack Block Kit, a Teams Adaptive
//! Card, a Discord embed, and the normalised alarm as JSON. Every rendering says the same things: name
//! and description, old → new state, the reason, when, account and region, what the alarm watches, and a
//! console link. Alarms on trailwatch's own metrics also get the rule behind them and a Logs Insights
//! link that lists the CloudTrail events that made it fire.

use serde_json::{json, Value};

use crate::alarm::{Alarm, MetricQuery, MetricRef, State, Watches};
use crate::rules::ruleset::RuleSet;
use crate::text::percent_encode;

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
        View {
            alarm: alarm.clone(),
            title: format!(
                "{} {}: {}",
                emoji(&alarm.new_state),
                alarm.new_state,
                alarm.name
            ),
            transition,
            where_,
            watches: describe_watches(alarm),
            console_url: console_url(alarm),
            rule: rule_info(alarm, ctx),
        }
    }
}

fn emoji(state: &State) -> &'static str {
    match state {
        State::Alarm => "🚨",
        State::Ok => "✅",
        State::InsufficientData => "❔",
        State::Other(_) => "ℹ️",
    }
}

/// The console page of the alarm, in its partition.
pub fn console_url(alarm: &Alarm) -> Option<String> {
    let region = alarm.region.as_deref()?;
    let host = console_host(&alarm.partition, region);
    Some(format!(
        "https://{host}/cloudwatch/home?region={region}#alarmsV2:alarm/{}",
        uri_component(&alarm.name)
    ))
}

fn console_host(partition: &str, region: &str) -> String {
    match partition {
        "aws-cn" => format!("{region}.console.amazonaws.cn"),
        "aws-us-gov" => "console.amazonaws-us-gov.com".to_owned(),
        _ => format!("{region}.console.aws.amazon.com"),
    }
}
/// `encodeURIComponent`.
fn uri_component(s: &str) -> String {
    percent_encode(s, b"-_.!~*'()")
}

/// JavaScript's `escape()`, which the console applies to its query object.
fn js_escape(s: &str) -> String {
    percent_encode(s, b"@*_+-./")
}

/// A Logs Insights console link with `query` over `log_group` between two RFC 3339 times. The console
/// reads a JSURL-like object: strings are `encodeURIComponent`ed with `*` for `%` and prefixed with
/// `'`, `{…}` is `~(…)`; the whole is `escape()`d, put after `?queryDetail=`, `encodeURIComponent`ed, and
/// `%` becomes `$`.
pub fn insights_url(
    partition: &str,
    region: &str,
    log_group: &str,
    query: &str,
    start: &str,
    end: &str,
) -> String {
    let s = |v: &str| format!("'{}", uri_component(v).replace('%', "*"));
    let object = format!(
        "~(end~{}~start~{}~timeType~'ABSOLUTE~tz~'UTC~editorString~{}~source~(~{}))",
        s(end),
        s(start),
        s(query),
        s(log_group)
    );
    let fragment = uri_component(&format!("?queryDetail={}", js_escape(&object))).replace('%', "$");
    format!(
        "https://{}/cloudwatch/home?region={region}#logsV2:logs-insights{fragment}",
        console_host(partition, region)
    )
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
                if e.contains(&format!("FROM {}", ctx.namespace))
                    || e.contains(&format!("FROM \"{}\"", ctx.namespace))
                {
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
    let insights_url = match (&ctx.evidence_log_group, &alarm.region) {
        (Some(group), Some(region)) => window(alarm).map(|(start, end)| {
            let query = format!(
                "fields eventTime, eventName, principal, sourceIPAddress, account, region, eventID\n\
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
        insights_url,
    })
}

/// The alarm's evaluation window, widened a little, as RFC 3339: from (change time − periods × period
/// − 15 min) to (change time + 5 min). Evidence is logged when the log file arrives, minutes after the
/// events, so the window reaches back further than the metric's.
fn window(alarm: &Alarm) -> Option<(String, String)> {
    let time = alarm.time.as_deref()?;
    // "2026-11-25T09:12:30.833+0000" → "2026-11-25T09:12:30Z"
    let compact: String = time.chars().filter(|c| *c != ' ').collect();
    let t = crate::time::UnixSeconds::parse_rfc3339(&format!("{}Z", compact.get(..19)?))?;
    let period = match &alarm.watches {
        Watches::Metric { period, .. } => period.unwrap_or(300),
        Watches::Math { queries } => queries.iter().filter_map(|q| q.period).max().unwrap_or(300),
        _ => 300,
    };
    let periods = alarm.evaluation.evaluation_periods.unwrap_or(1);
    let back = i64::try_from(period.saturating_mul(periods)).unwrap_or(86_400) + 900;
    let start = crate::time::UnixSeconds(t.0 - back).to_string();
    let end = crate::time::UnixSeconds(t.0 + 300).to_string();
    Some((start, end))
}

fn period_text(seconds: u64) -> String {
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

fn describe_watches(alarm: &Alarm) -> Vec<String> {
    let e = &alarm.evaluation;
    let condition = || {
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
    };
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

/// An e-mail subject: ASCII, one line, fewer than 100 characters (SNS's limits: "less than 100").
pub fn subject(view: &View) -> String {
    let a = &view.alarm;
    let mut s = format!("{}: {}", a.new_state, a.name);
    if let Some(r) = &a.region {
        s.push_str(&format!(" in {r}"));
    }
    if let Some(acct) = &a.account {
        s.push_str(&format!(" ({acct})"));
    }
    let ascii: String = s
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    if ascii.len() < 100 {
        ascii
    } else {
        format!("{}...", &ascii[..96])
    }
}

/// Plain text: the e-mail body, and the `text` renderer.
pub fn text(view: &View) -> String {
    let a = &view.alarm;
    let mut out = format!("{}\n{}", view.title, view.transition);
    if let Some(t) = &a.time {
        out.push_str(&format!(" at {t}"));
    }
    out.push_str(&format!("\n{}\n", capitalise(&view.where_)));
    if let Some(d) = &a.description {
        out.push_str(&format!("\n{d}\n"));
    }
    if let Some(r) = &a.reason {
        out.push_str(&format!("\nWhy: {r}\n"));
    }
    out.push_str("\nWatches:\n");
    for w in &view.watches {
        out.push_str(&format!("  {w}\n"));
    }
    if let Some(rule) = &view.rule {
        out.push_str(&format!(
            "\ntrailwatch rule {}:\n  {}\n",
            rule.name, rule.pattern
        ));
        if let Some(d) = &rule.description {
            out.push_str(&format!("  {d}\n"));
        }
        if let Some(u) = &rule.insights_url {
            out.push_str(&format!(
                "\nThe CloudTrail events behind it (Logs Insights):\n  {u}\n"
            ));
        }
    }
    if let Some(u) = &view.console_url {
        out.push_str(&format!("\nOpen the alarm:\n  {u}\n"));
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn colour(state: &State) -> (&'static str, u32, &'static str) {
    // (Slack hex, Discord integer, Teams colour name)
    match state {
        State::Alarm => ("#d13212", 0xd1_3212, "attention"),
        State::Ok => ("#1d8102", 0x1d_8102, "good"),
        State::InsufficientData => ("#879596", 0x87_9596, "warning"),
        State::Other(_) => ("#879596", 0x87_9596, "default"),
    }
}

/// Slack incoming webhook: Block Kit in a coloured attachment, with a plain `text` fallback.
pub fn slack(view: &View) -> Value {
    let a = &view.alarm;
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate(&view.title, 150), "emoji": true}}),
        json!({"type": "section", "fields": [
            {"type": "mrkdwn", "text": format!("*State*\n{}", view.transition)},
            {"type": "mrkdwn", "text": format!("*When*\n{}", a.time.as_deref().unwrap_or("unknown"))},
            {"type": "mrkdwn", "text": format!("*Account*\n{}", a.account.as_deref().unwrap_or("unknown"))},
            {"type": "mrkdwn", "text": format!("*Region*\n{}", a.region.as_deref().unwrap_or("unknown"))},
        ]}),
    ];
    if let Some(d) = &a.description {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&slack_escape(d), 3000)}}));
    }
    if let Some(r) = &a.reason {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&format!("*Why*\n{}", slack_escape(r)), 3000)}}));
    }
    let watches = view
        .watches
        .iter()
        .map(|w| format!("• {}", slack_escape(w)))
        .collect::<Vec<_>>()
        .join("\n");
    blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&format!("*Watches*\n{watches}"), 3000)}}));
    let mut buttons = Vec::new();
    if let Some(rule) = &view.rule {
        let mut t = format!(
            "*trailwatch rule {}*\n`{}`",
            rule.name,
            slack_escape(&rule.pattern)
        );
        if let Some(d) = &rule.description {
            t.push_str(&format!("\n{}", slack_escape(d)));
        }
        blocks.push(
            json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&t, 3000)}}),
        );
        if let Some(u) = &rule.insights_url {
            buttons.push(json!({"type": "button", "text": {"type": "plain_text", "text": "CloudTrail events"}, "url": u}));
        }
    }
    if let Some(u) = &view.console_url {
        buttons.push(json!({"type": "button", "text": {"type": "plain_text", "text": "Open alarm"}, "url": u, "style": if a.new_state == State::Alarm { "danger" } else { "primary" }}));
    }
    if !buttons.is_empty() {
        blocks.push(json!({"type": "actions", "elements": buttons}));
    }
    json!({
        "text": format!("{} ({}, {})", view.title, view.transition, view.where_),
        "attachments": [{"color": colour(&a.new_state).0, "blocks": blocks}],
    })
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Microsoft Teams, through a Workflows webhook: a message with an Adaptive Card.
pub fn teams(view: &View) -> Value {
    let a = &view.alarm;
    let mut body = vec![
        json!({"type": "TextBlock", "text": view.title, "weight": "Bolder", "size": "Large", "color": colour(&a.new_state).2, "wrap": true}),
        json!({"type": "FactSet", "facts": [
            {"title": "State", "value": view.transition},
            {"title": "When", "value": a.time.as_deref().unwrap_or("unknown")},
            {"title": "Account", "value": a.account.as_deref().unwrap_or("unknown")},
            {"title": "Region", "value": a.region.as_deref().unwrap_or("unknown")},
        ]}),
    ];
    if let Some(d) = &a.description {
        body.push(json!({"type": "TextBlock", "text": d, "wrap": true}));
    }
    if let Some(r) = &a.reason {
        body.push(json!({"type": "TextBlock", "text": format!("**Why:** {r}"), "wrap": true}));
    }
    body.push(json!({"type": "TextBlock", "text": "**Watches**", "wrap": true}));
    body.push(json!({"type": "TextBlock", "text": view.watches.iter().map(|w| format!("- {w}")).collect::<Vec<_>>().join("\n"), "wrap": true}));
    let mut actions = Vec::new();
    if let Some(rule) = &view.rule {
        body.push(json!({"type": "TextBlock", "text": format!("**trailwatch rule {}**", rule.name), "wrap": true}));
        body.push(json!({"type": "TextBlock", "text": rule.pattern, "fontType": "Monospace", "wrap": true}));
        if let Some(d) = &rule.description {
            body.push(json!({"type": "TextBlock", "text": d, "wrap": true}));
        }
        if let Some(u) = &rule.insights_url {
            actions.push(json!({"type": "Action.OpenUrl", "title": "CloudTrail events", "url": u}));
        }
    }
    if let Some(u) = &view.console_url {
        actions.push(json!({"type": "Action.OpenUrl", "title": "Open alarm", "url": u}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "msteams": {"width": "Full"},
                "body": body,
                "actions": actions,
            }
        }]
    })
}

/// Discord webhook: an embed (title ≤ 256, description ≤ 4096, field values ≤ 1024 characters).
pub fn discord(view: &View) -> Value {
    let a = &view.alarm;
    let mut description = String::new();
    if let Some(d) = &a.description {
        description.push_str(d);
        description.push_str("\n\n");
    }
    if let Some(r) = &a.reason {
        description.push_str(&format!("**Why:** {r}"));
    }
    let mut fields = vec![
        json!({"name": "State", "value": view.transition, "inline": true}),
        json!({"name": "Account", "value": a.account.as_deref().unwrap_or("unknown"), "inline": true}),
        json!({"name": "Region", "value": a.region.as_deref().unwrap_or("unknown"), "inline": true}),
        json!({"name": "Watches", "value": truncate(&view.watches.join("\n"), 1024), "inline": false}),
    ];
    if let Some(rule) = &view.rule {
        let mut v = format!("`{}`", rule.pattern);
        if let Some(d) = &rule.description {
            v.push_str(&format!("\n{d}"));
        }
        if let Some(u) = &rule.insights_url {
            v.push_str(&format!("\n[CloudTrail events]({u})"));
        }
        fields.push(json!({"name": format!("trailwatch rule {}", rule.name), "value": truncate(&v, 1024), "inline": false}));
    }
    let mut embed = json!({
        "title": truncate(&view.title, 256),
        "description": truncate(&description, 4096),
        "color": colour(&a.new_state).1,
        "fields": fields,
    });
    if let Some(u) = &view.console_url {
        embed["url"] = json!(u);
    }
    json!({"content": truncate(&format!("{} ({})", view.title, view.transition), 2000), "embeds": [embed]})
}

/// The normalised alarm, for a generic webhook.
pub fn json_alarm(view: &View) -> Value {
    let a = &view.alarm;
    let watches = match &a.watches {
        Watches::Metric {
            metric,
            statistic,
            unit,
            period,
        } => json!({
            "kind": "metric", "namespace": metric.namespace, "metricName": metric.name,
            "dimensions": metric.dimensions.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "statistic": statistic, "unit": unit, "period": period,
        }),
        Watches::Math { queries } => json!({
            "kind": "math",
            "queries": queries.iter().map(|q| json!({
                "id": q.id, "label": q.label, "expression": q.expression, "stat": q.stat, "period": q.period,
                "returnData": q.return_data,
                "metric": q.metric.as_ref().map(|m| json!({"namespace": m.namespace, "metricName": m.name,
                    "dimensions": m.dimensions.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>()})),
            })).collect::<Vec<_>>(),
        }),
        Watches::Composite { rule, triggering } => json!({
            "kind": "composite", "alarmRule": rule,
            "triggeringChildren": triggering.iter().map(|(n, s)| json!({"name": n, "state": s.as_ref().map(State::as_str)})).collect::<Vec<_>>(),
        }),
        Watches::Unknown => json!({"kind": "unknown"}),
    };
    let e = &a.evaluation;
    json!({
        "alarmName": a.name,
        "description": a.description,
        "alarmArn": a.arn,
        "account": a.account,
        "region": a.region,
        "partition": a.partition,
        "oldState": a.old_state.as_ref().map(State::as_str),
        "newState": a.new_state.as_str(),
        "reason": a.reason,
        "time": a.time,
        "source": a.source,
        "watches": watches,
        "evaluation": {
            "comparisonOperator": e.comparison, "threshold": e.threshold, "thresholdMetricId": e.threshold_metric_id,
            "evaluationPeriods": e.evaluation_periods, "datapointsToAlarm": e.datapoints_to_alarm,
            "treatMissingData": e.treat_missing_data,
        },
        "summary": view.watches,
        "consoleUrl": view.console_url,
        "trailwatchRule": view.rule.as_ref().map(|r| json!({
            "name": r.name, "description": r.description, "pattern": r.pattern, "evidenceUrl": r.insights_url,
        })),
    })
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max_chars.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// A kind of destination, and the variable that configures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Slack,
    Teams,
    Discord,
    Webhook,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Slack,
        Channel::Teams,
        Channel::Discord,
        Channel::Webhook,
        Channel::Email,
    ];

    pub fn variable(self) -> &'static str {
        match self {
            Channel::Slack => "SLACK_WEBHOOK_URL",
            Channel::Teams => "TEAMS_WEBHOOK_URL",
            Channel::Discord => "DISCORD_WEBHOOK_URL",
            Channel::Webhook => "WEBHOOK_URL",
            Channel::Email => "EMAIL_TOPIC_ARN",
        }
    }

    /// How logs and errors name the destination (never by its URL).
    pub fn label(self) -> &'static str {
        match self {
            Channel::Slack => "slack",
            Channel::Teams => "teams",
            Channel::Discord => "discord",
            Channel::Webhook => "webhook",
            Channel::Email => "email",
        }
    }
}

/// What one destination sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Json(Value),
    Email { subject: String, body: String },
}

/// The rendering for a channel.
pub fn render(kind: Channel, view: &View) -> Message {
    match kind {
        Channel::Slack => Message::Json(slack(view)),
        Channel::Teams => Message::Json(teams(view)),
        Channel::Discord => Message::Json(discord(view)),
        Channel::Webhook => Message::Json(json_alarm(view)),
        Channel::Email => Message::Email {
            subject: subject(view),
            body: text(view),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::{Evaluation, State};

    fn alarm(partition: &str, region: &str) -> Alarm {
        Alarm {
            name: "disk / full (prod)".into(),
            description: None,
            arn: None,
            account: Some("123456789012".into()),
            region: Some(region.into()),
            partition: partition.into(),
            old_state: Some(State::Ok),
            new_state: State::Alarm,
            reason: None,
            time: Some("2026-11-25T09:12:30.833+0000".into()),
            watches: Watches::Unknown,
            evaluation: Evaluation::default(),
            source: "SNS",
            message_id: None,
        }
    }

    #[test]
    fn console_links_are_partition_aware() {
        assert_eq!(
            console_url(&alarm("aws", "eu-west-1")).unwrap(),
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/disk%20%2F%20full%20(prod)"
        );
        assert!(console_url(&alarm("aws-cn", "cn-north-1"))
            .unwrap()
            .starts_with("https://cn-north-1.console.amazonaws.cn/"));
        assert!(console_url(&alarm("aws-us-gov", "us-gov-west-1"))
            .unwrap()
            .starts_with(
                "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1"
            ));
        let mut no_region = alarm("aws", "x");
        no_region.region = None;
        assert_eq!(console_url(&no_region), None);
    }

    #[test]
    fn insights_links_encode_as_the_console_does() {
        let url = insights_url(
            "aws",
            "us-east-1",
            "/aws/lambda/trail-metrics",
            "fields @timestamp",
            "2026-11-25T09:00:00Z",
            "2026-11-25T09:30:00Z",
        );
        assert_eq!(
            url,
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:logs-insights\
             $3FqueryDetail$3D$257E$2528end$257E$25272026-11-25T09*3a30*3a00Z$257Estart$257E$25272026-11-25T09*3a00*3a00Z\
             $257EtimeType$257E$2527ABSOLUTE$257Etz$257E$2527UTC$257EeditorString$257E$2527fields*20*40timestamp\
             $257Esource$257E$2528$257E$2527*2faws*2flambda*2ftrail-metrics$2529$2529"
                .replace("*3a", "*3A")
                .replace("*2f", "*2F")
        );
    }

    #[test]
    fn subjects_fit_sns() {
        let mut a = alarm("aws", "eu-west-1");
        a.name = "é".repeat(200);
        let view = View::new(
            &a,
            &RenderContext {
                namespace: "CloudTrailMetrics".into(),
                rules: None,
                evidence_log_group: None,
            },
        );
        let s = subject(&view);
        assert!(s.len() == 99 && s.is_ascii() && s.ends_with("..."), "{s}");
    }

    #[test]
    fn periods_read_naturally() {
        assert_eq!(period_text(60), "1 minute");
        assert_eq!(period_text(300), "5 minutes");
        assert_eq!(period_text(86_400), "1 day");
        assert_eq!(period_text(10), "10 seconds");
    }
}
