//! One rendering per channel: plain text (e-mail, SMS), Slack Block Kit, a Teams Adaptive Card, a Discord
//! embed, and the normalised alarm as JSON.

use super::view::View;
use crate::alarms::{State, Watches};
use serde_json::{json, Value};

/// An e-mail subject: ASCII, one line, fewer than 100 characters (SNS's limits: "less than 100").
pub fn subject(view: &View) -> String {
    let a = &view.alarm;
    let silenced = if a.silence.silenced() {
        "(silenced) "
    } else {
        ""
    };
    let mut s = match &view.event_id {
        // An event notification: the rule, what happened and who did it.
        Some(_) => {
            let event = view.evidence.as_ref().and_then(|f| f.events.first());
            let what = event.and_then(|e| e.event_name.as_deref());
            let who = event.and_then(|e| e.actor.as_deref().or(e.principal.as_deref()));
            format!(
                "EVENT: {}: {} by {}",
                a.name,
                what.unwrap_or("an event"),
                who.unwrap_or("an unnamed principal")
            )
        }
        None => format!("{silenced}{}: {}", a.new_state, a.name),
    };
    // One series of a multi-time-series alarm: the subject says which (the principal, the table…).
    if let Some(c) = &a.contributor {
        s.push_str(&format!(" for {}", c.label()));
    }
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
    if let Some(note) = &view.silence_note {
        out.push_str(&format!("\n{note}\n"));
    }
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
        if let Some((heading, lines)) = evidence(view) {
            out.push_str(&format!("\n{heading}:\n"));
            for l in lines {
                out.push_str(&format!("  - {l}\n"));
            }
        }
        if let Some(u) = &rule.insights_url {
            out.push_str(&format!(
                "\n{} (Logs Insights):\n  {u}\n",
                events_link_text(view)
            ));
        }
    }
    if let Some(u) = &view.console_url {
        let what = if view.event_id.is_some() {
            "Open the event in CloudTrail"
        } else {
            "Open the alarm"
        };
        out.push_str(&format!("\n{what}:\n  {u}\n"));
    }
    // Plain text shows what it holds, but a direction override would turn what follows it around.
    plain(&out)
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
        // plain_text: Slack parses no mention or link in it.
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate(&plain(&view.title), 150), "emoji": true}}),
        json!({"type": "section", "fields": [
            {"type": "mrkdwn", "text": format!("*State*\n{}", view.transition)},
            {"type": "mrkdwn", "text": format!("*When*\n{}", slack_text(a.time.as_deref().unwrap_or("unknown")))},
            {"type": "mrkdwn", "text": format!("*Account*\n{}", slack_text(a.account.as_deref().unwrap_or("unknown")))},
            {"type": "mrkdwn", "text": format!("*Region*\n{}", slack_text(a.region.as_deref().unwrap_or("unknown")))},
        ]}),
    ];
    if let Some(note) = &view.silence_note {
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(&slack_text(note), 3000)}]}));
    }
    if let Some(d) = &a.description {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&slack_text(d), 3000)}}));
    }
    if let Some(r) = &a.reason {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&format!("*Why*\n{}", slack_text(r)), 3000)}}));
    }
    let watches = view
        .watches
        .iter()
        .map(|w| format!("• {}", slack_text(w)))
        .collect::<Vec<_>>()
        .join("\n");
    blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&format!("*Watches*\n{watches}"), 3000)}}));
    let mut buttons = Vec::new();
    if let Some(rule) = &view.rule {
        let mut t = format!(
            "*trailwatch rule {}*\n`{}`",
            slack_text(&rule.name),
            slack_text(&rule.pattern)
        );
        if let Some(d) = &rule.description {
            t.push_str(&format!("\n{}", slack_text(d)));
        }
        blocks.push(
            json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&t, 3000)}}),
        );
        if let Some((heading, lines)) = evidence(view) {
            let mut t = format!("*{}*", slack_text(&heading));
            for l in lines {
                t.push_str(&format!("\n• {}", slack_text(&l)));
            }
            blocks.push(
                json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&t, 3000)}}),
            );
        }
        if let Some(u) = &rule.insights_url {
            buttons.push(json!({"type": "button", "text": {"type": "plain_text", "text": events_button(view)}, "url": u}));
        }
    }
    if let Some(u) = &view.console_url {
        buttons.push(json!({"type": "button", "text": {"type": "plain_text", "text": open_link(view).0}, "url": u, "style": if a.new_state == State::Alarm { "danger" } else { "primary" }}));
    }
    if !buttons.is_empty() {
        blocks.push(json!({"type": "actions", "elements": buttons}));
    }
    json!({
        // The notification's text and the fallback: Slack parses mentions here too.
        "text": format!("{} ({}, {})", slack_text(&view.title), view.transition, slack_text(&view.where_)),
        "attachments": [{"color": colour(&a.new_state).0, "blocks": blocks}],
    })
}

/// What the console link opens, as a button and as a sentence: the alarm, or for an event
/// notification the CloudTrail event.
fn open_link(view: &View) -> (&'static str, &'static str) {
    if view.event_id.is_some() {
        ("Open event", "Open the event in CloudTrail")
    } else {
        ("Open alarm", "Open the alarm in CloudWatch")
    }
}

/// The evidence found for the message, as a heading and one line per event: not escaped for any
/// channel's markup, but with direction overrides made harmless (`plain`) for every channel, e-mail and
/// PagerDuty included, since the events' fields (a user agent, a session name) are the caller's.
fn evidence(view: &View) -> Option<(String, Vec<String>)> {
    let found = view.evidence.as_ref()?;
    Some((
        plain(&found.heading()),
        found.events.iter().map(|e| plain(&e.line())).collect(),
    ))
}

/// What the Logs Insights link holds, in a sentence: the rest of the events when some are listed.
fn events_link_text(view: &View) -> &'static str {
    match &view.evidence {
        Some(found) if found.total > 0 && found.has_more() => "All the CloudTrail events behind it",
        _ => "The CloudTrail events behind it",
    }
}

/// The Logs Insights link as a button.
fn events_button(view: &View) -> &'static str {
    match &view.evidence {
        Some(found) if found.total > 0 && found.has_more() => "All CloudTrail events",
        _ => "CloudTrail events",
    }
}

/// Text for Slack's `text` and mrkdwn: `&`, `<` and `>` escaped as Slack asks, so that nothing an
/// alarm's author wrote becomes a mention (`<!channel>`, `<@U…>`) or a link whose label hides where it
/// goes (`<https://…|label>`).
fn slack_text(s: &str) -> String {
    plain(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text for Teams' and Discord's markdown: a link `[label](url)` is written out as `label (url)`, so a
/// message shows where each link goes. Again until none is left: writing one out can close another
/// around it (`[[a](b)](c)`).
pub(super) fn markdown_text(s: &str) -> String {
    let mut text = plain(s);
    loop {
        let next = unlink_once(&text);
        if next == text {
            return text;
        }
        text = next;
    }
}

fn unlink_once(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let link = after.find(']').and_then(|close| {
            let tail = after[close + 1..].strip_prefix('(')?;
            let end = tail.find(')')?;
            Some((&after[..close], &tail[..end], &tail[end + 1..]))
        });
        match link {
            Some((label, url, next)) => {
                let url = url.trim().trim_start_matches('<').trim_end_matches('>');
                out.push_str(&rest[..open]);
                out.push_str(&format!("{label} ({url})"));
                rest = next;
            }
            None => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `s` with the Unicode controls that reorder text (bidirectional embeddings, overrides and
/// isolates) shown as U+FFFD: right-to-left letters stay, but a name cannot make the text after it
/// read backwards.
pub(super) fn plain(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Every string in `value` through [`plain`].
fn plain_strings(value: &mut Value) {
    match value {
        Value::String(s) => *s = plain(s),
        Value::Array(items) => items.iter_mut().for_each(plain_strings),
        Value::Object(map) => map.values_mut().for_each(plain_strings),
        _ => {}
    }
}

/// Microsoft Teams, through a Workflows webhook: a message with an Adaptive Card.
pub fn teams(view: &View) -> Value {
    let a = &view.alarm;
    let mut body = vec![
        json!({"type": "TextBlock", "text": markdown_text(&view.title), "weight": "Bolder", "size": "Large", "color": colour(&a.new_state).2, "wrap": true}),
        json!({"type": "FactSet", "facts": [
            {"title": "State", "value": view.transition},
            {"title": "When", "value": markdown_text(a.time.as_deref().unwrap_or("unknown"))},
            {"title": "Account", "value": markdown_text(a.account.as_deref().unwrap_or("unknown"))},
            {"title": "Region", "value": markdown_text(a.region.as_deref().unwrap_or("unknown"))},
        ]}),
    ];
    if let Some(note) = &view.silence_note {
        body.push(json!({"type": "TextBlock", "text": markdown_text(note), "isSubtle": true, "wrap": true}));
    }
    if let Some(d) = &a.description {
        body.push(json!({"type": "TextBlock", "text": markdown_text(d), "wrap": true}));
    }
    if let Some(r) = &a.reason {
        body.push(json!({"type": "TextBlock", "text": markdown_text(&format!("**Why:** {r}")), "wrap": true}));
    }
    body.push(json!({"type": "TextBlock", "text": "**Watches**", "wrap": true}));
    body.push(json!({"type": "TextBlock", "text": markdown_text(&view.watches.iter().map(|w| format!("- {w}")).collect::<Vec<_>>().join("\n")), "wrap": true}));
    let mut actions = Vec::new();
    if let Some(rule) = &view.rule {
        body.push(json!({"type": "TextBlock", "text": markdown_text(&format!("**trailwatch rule {}**", rule.name)), "wrap": true}));
        body.push(json!({"type": "TextBlock", "text": markdown_text(&rule.pattern), "fontType": "Monospace", "wrap": true}));
        if let Some(d) = &rule.description {
            body.push(json!({"type": "TextBlock", "text": markdown_text(d), "wrap": true}));
        }
        if let Some((heading, lines)) = evidence(view) {
            body.push(json!({"type": "TextBlock", "text": markdown_text(&format!("**{heading}**")), "wrap": true}));
            let list = lines
                .iter()
                .map(|l| format!("- {l}"))
                .collect::<Vec<_>>()
                .join("\n");
            body.push(json!({"type": "TextBlock", "text": markdown_text(&list), "wrap": true}));
        }
        if let Some(u) = &rule.insights_url {
            actions.push(json!({"type": "Action.OpenUrl", "title": events_button(view), "url": u}));
        }
    }
    if let Some(u) = &view.console_url {
        actions.push(json!({"type": "Action.OpenUrl", "title": open_link(view).0, "url": u}));
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

/// The most characters Discord takes in one embed, all its texts together.
const DISCORD_EMBED_MAX: usize = 6000;

fn units(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Discord webhook: an embed (title ≤ 256, description ≤ 4096, field values ≤ 1024 characters).
pub fn discord(view: &View) -> Value {
    let a = &view.alarm;
    let mut description = String::new();
    if let Some(note) = &view.silence_note {
        description.push_str(&format!("*{note}*\n\n"));
    }
    if let Some(d) = &a.description {
        description.push_str(d);
        description.push_str("\n\n");
    }
    if let Some(r) = &a.reason {
        description.push_str(&format!("**Why:** {r}"));
    }
    if let Some((heading, lines)) = evidence(view) {
        description.push_str(&format!("\n\n**{heading}**"));
        for l in lines {
            description.push_str(&format!("\n- {l}"));
        }
    }
    // Written out after composing: pieces joined can make a link neither holds alone.
    let description = markdown_text(&description);
    let mut fields = vec![
        json!({"name": "State", "value": view.transition, "inline": true}),
        json!({"name": "When", "value": markdown_text(a.time.as_deref().unwrap_or("unknown")), "inline": true}),
        json!({"name": "Account", "value": markdown_text(a.account.as_deref().unwrap_or("unknown")), "inline": true}),
        json!({"name": "Region", "value": markdown_text(a.region.as_deref().unwrap_or("unknown")), "inline": true}),
        json!({"name": "Watches", "value": truncate(&markdown_text(&view.watches.join("\n")), 1024), "inline": false}),
    ];
    if let Some(rule) = &view.rule {
        let mut v = format!("`{}`", rule.pattern);
        if let Some(d) = &rule.description {
            v.push_str(&format!("\n{d}"));
        }
        let mut v = markdown_text(&v);
        if let Some(u) = &rule.insights_url {
            v.push_str(&format!("\n[{}]({u})", events_button(view)));
        }
        fields.push(json!({"name": truncate(&markdown_text(&format!("trailwatch rule {}", rule.name)), 256), "value": truncate(&v, 1024), "inline": false}));
    }
    let title = truncate(&markdown_text(&view.title), 256);
    // Discord refuses an embed over 6000 characters in all: the description, last written, gives way.
    let others: usize = units(&title)
        + fields
            .iter()
            .map(|f| {
                units(f["name"].as_str().unwrap_or("")) + units(f["value"].as_str().unwrap_or(""))
            })
            .sum::<usize>();
    let room = 4096.min(DISCORD_EMBED_MAX.saturating_sub(others));
    let mut embed = json!({
        "title": title,
        "description": truncate(&description, room),
        "color": colour(&a.new_state).1,
        "fields": fields,
    });
    if let Some(u) = &view.console_url {
        embed["url"] = json!(u);
    }
    // Discord shows it in each reader's time zone; it takes ISO 8601, and payloads write `+0000`.
    if let Some(at) = a
        .time
        .as_deref()
        .and_then(crate::time::UnixSeconds::parse_rfc3339)
    {
        embed["timestamp"] = json!(at.to_string());
    }
    json!({
        "content": truncate(&markdown_text(&format!("{} ({})", view.title, view.transition)), 2000),
        "embeds": [embed],
        // No mention in an alarm's name or description pings anyone (@everyone, <@id>, <@&role>).
        "allowed_mentions": {"parse": []},
    })
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
    let mut out = json!({
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
        "contributor": a.contributor.as_ref().map(|c| json!({
            "id": c.id,
            "attributes": c.attributes.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        })),
        // CloudWatch's silence, in every message: null when there is none.
        "silenced": a.silence.silenced(),
        "actionsSuppressedBy": a.silence.suppressed.as_ref().map(|s| &s.by),
        "actionsSuppressedReason": a.silence.suppressed.as_ref().and_then(|s| s.reason.as_ref()),
        "actionsSuppressor": a.silence.suppressed.as_ref().or(a.silence.suppression_ended.as_ref()).and_then(|s| s.suppressor.as_ref()),
        "muteDetail": a.silence.mute.as_ref().map(|m| json!({
            "mutedByArn": m.rule, "muteWindowStart": m.start, "muteWindowEnd": m.end,
        })),
        "suppressionEnded": a.silence.suppression_ended.as_ref().map(|s| json!({
            "actionsSuppressedBy": s.by, "actionsSuppressedReason": s.reason,
        })),
        "silenceNote": view.silence_note,
        // As propagated: {} and null when CloudWatch does not.
        "alarmTags": a.tags.tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "alarmTagsStatus": a.tags.status,
        "consoleUrl": view.console_url,
        "evidence": view.evidence,
        "trailwatchRule": view.rule.as_ref().map(|r| json!({
            "name": r.name, "description": r.description, "pattern": r.pattern, "evidenceUrl": r.insights_url,
        })),
    });
    // An event notification says so, and which event: `alarmName` is then the rule's name.
    if let Some(id) = &view.event_id {
        out["notification"] = json!("event");
        out["eventID"] = json!(id);
    }
    out
}

pub(super) use crate::text::truncate;

/// A kind of destination, and the variable that configures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Slack,
    /// Slack through a bot token (chat.postMessage): the same message, and an OK in its ALARM's thread.
    SlackBot,
    Teams,
    Discord,
    Webhook,
    Email,
    PagerDuty,
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Slack,
        Channel::SlackBot,
        Channel::Teams,
        Channel::Discord,
        Channel::Webhook,
        Channel::Email,
        Channel::PagerDuty,
    ];

    pub fn variable(self) -> &'static str {
        match self {
            Channel::Slack => "SLACK_WEBHOOK_URL",
            Channel::SlackBot => "SLACK_BOT_TOKEN",
            Channel::Teams => "TEAMS_WEBHOOK_URL",
            Channel::Discord => "DISCORD_WEBHOOK_URL",
            Channel::Webhook => "WEBHOOK_URL",
            Channel::Email => "EMAIL_TOPIC_ARN",
            Channel::PagerDuty => "PAGERDUTY_ROUTING_KEY",
        }
    }

    /// How logs and errors name the destination (never by its URL).
    pub fn label(self) -> &'static str {
        match self {
            Channel::Slack => "slack",
            Channel::SlackBot => "slack-bot",
            Channel::Teams => "teams",
            Channel::Discord => "discord",
            Channel::Webhook => "webhook",
            Channel::Email => "email",
            Channel::PagerDuty => "pagerduty",
        }
    }
}

/// What one destination sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Json(Value),
    Email {
        subject: String,
        body: String,
    },
    /// Nothing for this destination, and why (PagerDuty opens incidents on ALARM and resolves them on
    /// OK; other states are neither).
    Nothing(&'static str),
}

/// The rendering for a channel.
pub fn render(kind: Channel, view: &View) -> Message {
    match kind {
        Channel::Slack | Channel::SlackBot => Message::Json(slack(view)),
        Channel::Teams => Message::Json(teams(view)),
        Channel::Discord => Message::Json(discord(view)),
        Channel::Webhook => Message::Json(json_alarm(view)),
        Channel::Email => Message::Email {
            subject: subject(view),
            body: text(view),
        },
        Channel::PagerDuty => match pagerduty(view) {
            Some(event) => Message::Json(event),
            None => Message::Nothing("PagerDuty gets ALARM (trigger) and OK (resolve) only"),
        },
    }
}

/// PagerDuty's longest `dedup_key`.
const PAGERDUTY_MAX_DEDUP_KEY: usize = 255;

/// A PagerDuty Events API v2 alert event, without its `routing_key` (a secret, added when sent):
/// `trigger` on ALARM, `resolve` on OK, keyed by the alarm (and contributor) so the OK closes the
/// incident the ALARM opened. `None` for other states.
pub fn pagerduty(view: &View) -> Option<Value> {
    let a = &view.alarm;
    let mut key = a.arn.clone().unwrap_or_else(|| a.name.clone());
    if let Some(c) = &a.contributor {
        key.push_str(&format!("/{}", c.id));
    }
    // One incident per event notified: a second root sign-in is not folded into the first's.
    if let Some(id) = &view.event_id {
        key = format!("trailwatch-event/{}/{id}", a.name);
    }
    if key.len() > PAGERDUTY_MAX_DEDUP_KEY {
        use sha2::Digest as _;
        let hash = sha2::Sha256::digest(key.as_bytes());
        key = format!(
            "trailwatch-{}",
            hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
    }
    match a.new_state {
        State::Ok => Some(json!({"event_action": "resolve", "dedup_key": key})),
        State::Alarm => {
            let mut details = serde_json::Map::new();
            details.insert("transition".into(), json!(view.transition));
            for (name, value) in [
                ("description", &a.description),
                ("reason", &a.reason),
                ("silence", &view.silence_note),
            ] {
                if let Some(v) = value {
                    details.insert(name.into(), json!(v));
                }
            }
            details.insert("watches".into(), json!(view.watches));
            if let Some(c) = &a.contributor {
                details.insert("contributor".into(), json!(c.label()));
            }
            if let Some(rule) = &view.rule {
                details.insert(
                    "trailwatch rule".into(),
                    json!(format!("{}: {}", rule.name, rule.pattern)),
                );
            }
            if let Some((heading, lines)) = evidence(view) {
                details.insert(
                    "evidence".into(),
                    json!({"heading": heading, "events": lines}),
                );
            }
            let mut links = Vec::new();
            if let Some(u) = &view.console_url {
                links.push(json!({"href": u, "text": open_link(view).1}));
            }
            if let Some(u) = view.rule.as_ref().and_then(|r| r.insights_url.as_ref()) {
                links.push(json!({"href": u, "text": format!("{} (Logs Insights)", events_link_text(view))}));
            }
            let mut payload = json!({
                "summary": truncate(&plain(&format!("{} ({})", view.title, view.where_)), 1024),
                "source": format!(
                    "aws:cloudwatch:{}:{}",
                    a.region.as_deref().unwrap_or("unknown-region"),
                    a.account.as_deref().unwrap_or("unknown-account")
                ),
                "severity": "critical",
                "component": a.name,
                "class": if view.event_id.is_some() { "CloudTrail event" } else { "CloudWatch alarm" },
                "custom_details": details,
            });
            if let Some(at) = a
                .time
                .as_deref()
                .and_then(crate::time::UnixSeconds::parse_rfc3339)
            {
                payload["timestamp"] = json!(at.to_string());
            }
            // The alarm's author wrote some of it and the events' callers the rest: no direction
            // override survives into the incident.
            plain_strings(&mut payload);
            let mut links = Value::from(links);
            plain_strings(&mut links);
            Some(json!({
                "event_action": "trigger",
                "dedup_key": key,
                "payload": payload,
                "links": links,
                "client": "trailwatch alarm-notifier",
            }))
        }
        _ => None,
    }
}
