//! The real-time path: CloudTrail events from the default EventBridge bus, evaluated with the same
//! rules as the log files, each match notified at once as an *event notification*.
//!
//! EventBridge carries a CloudTrail record as an event's `detail` within seconds of the call; the log
//! file with it lands in S3 minutes later. The bus filters with the pattern
//! [`crate::rules::eventbridge::compile`] writes, which may be wider than the rules: here the engine
//! decides, on the record as trail-metrics would see it. Nothing is counted here: the metrics come from
//! the log files only, so no event is counted twice.

use serde_json::Value as Json;

use crate::alarms::evidence::{EvidenceEvent, EvidenceFound};
use crate::alarms::{Alarm, AlarmTags, Evaluation, RuleInfo, Silence, State, View, Watches};
use crate::rules::eventbridge::DETAIL_TYPES;
use crate::rules::ruleset::{RecordKind, Rule, RuleSet};

/// A CloudTrail event as EventBridge delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailEvent {
    /// EventBridge's id of the delivery (not the CloudTrail `eventID`).
    pub id: Option<String>,
    pub detail_type: String,
    /// `aws.ec2`, `aws.signin`…
    pub source: String,
    pub account: Option<String>,
    pub region: Option<String>,
    /// The CloudTrail record, as JSON text.
    pub detail: String,
}

/// Why an EventBridge CloudTrail event cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrailEventError {
    #[error(
        "EventBridge event {id}: {detail_type} has no `detail` object (the CloudTrail record)"
    )]
    NoDetail { id: String, detail_type: String },
    #[error("EventBridge event {id}: {detail_type} from {from:?} is not from an AWS service (`aws.*`): not evaluated, since anyone allowed PutEvents could send it")]
    NotFromAws {
        id: String,
        detail_type: String,
        from: String,
    },
    #[error("EventBridge event {id}: its CloudTrail record cannot be read: {error}")]
    Unreadable { id: String, error: String },
}

impl TrailEvent {
    /// The CloudTrail event in an EventBridge event, if it is one (`detail-type` of an API call or a
    /// console sign-in); `None` for anything else, which is left to the alarm decoder.
    pub fn from_eventbridge(event: &Json) -> Option<Result<TrailEvent, TrailEventError>> {
        let detail_type = event.get("detail-type")?.as_str()?;
        if !DETAIL_TYPES.contains(&detail_type) {
            return None;
        }
        let text = |key: &str| event.get(key).and_then(Json::as_str).map(str::to_owned);
        let id = text("id").unwrap_or_else(|| "(no id)".into());
        let source = text("source").unwrap_or_default();
        if !source.starts_with("aws.") {
            return Some(Err(TrailEventError::NotFromAws {
                id,
                detail_type: detail_type.to_owned(),
                from: source,
            }));
        }
        let Some(detail) = event.get("detail").filter(|d| d.is_object()) else {
            return Some(Err(TrailEventError::NoDetail {
                id,
                detail_type: detail_type.to_owned(),
            }));
        };
        Some(Ok(TrailEvent {
            id: Some(id),
            detail_type: detail_type.to_owned(),
            source,
            account: text("account"),
            region: text("region"),
            detail: detail.to_string(),
        }))
    }
}

/// One real-time rule that matched the event, and what the notification says about the event.
#[derive(Debug, Clone, PartialEq)]
pub struct Matched {
    pub rule: String,
    pub event: EvidenceEvent,
}

/// The real-time rules that match `event`, in rule order. Rules not marked `realtime` are not
/// evaluated: they count, and their alarms notify.
pub fn matches(rules: &RuleSet, event: &TrailEvent) -> Result<Vec<Matched>, TrailEventError> {
    let record =
        rules
            .fields()
            .extract(&event.detail)
            .map_err(|e| TrailEventError::Unreadable {
                id: event.id.clone().unwrap_or_default(),
                error: e.to_string(),
            })?;
    let api_call = rules.record_kind(&record) == RecordKind::ApiCall;
    Ok(rules
        .rules()
        .iter()
        .filter(|r| r.realtime && (api_call || r.sees_every_kind) && r.pattern.matches(&record))
        .map(|r| Matched {
            rule: r.name.clone(),
            event: evidence_event(rules, r, &record),
        })
        .collect())
}

/// The fields an evidence line would hold, and nothing else: never the request or the response.
fn evidence_event(rules: &RuleSet, rule: &Rule, record: &crate::event::Event<'_>) -> EvidenceEvent {
    rules.evidence(rule, record).into()
}

/// The key of an event notification in the delivery log: one per rule and CloudTrail event, so a
/// repeated delivery of the event is sent once. `None` without an `eventID`.
pub fn notice_key(m: &Matched) -> Option<String> {
    use sha2::{Digest as _, Sha256};
    let id = m.event.event_id.as_deref()?;
    let mut hash = Sha256::new();
    hash.update(b"trailwatch event v1\n");
    hash.update(m.rule.as_bytes());
    hash.update(b"\n");
    hash.update(id.as_bytes());
    Some(format!(
        "events/{}",
        crate::notify::hex(&hash.finalize()[..16])
    ))
}

/// The CloudTrail console's page of one event.
pub fn cloudtrail_url(partition: &str, region: &str, event_id: &str) -> String {
    format!(
        "https://{}/cloudtrailv2/home?region={region}#/events/{}",
        crate::alarms::console_host(partition, region),
        crate::text::percent_encode(event_id, b"-_.!~*'()")
    )
}

/// What every destination is sent for a match: a [`View`] like an alarm's, which says what happened,
/// who did it, from where, in which account and region, with the event as evidence and a link to it.
pub fn view(m: &Matched, event: &TrailEvent, rules: &RuleSet) -> View {
    let rule = rules.rules().iter().find(|r| r.name == m.rule);
    let e = &m.event;
    let account = e.account.clone().or_else(|| event.account.clone());
    let region = e.region.clone().or_else(|| event.region.clone());
    let partition = partition_of(region.as_deref());
    let who = e
        .actor
        .as_deref()
        .or(e.principal.as_deref())
        .unwrap_or("an unnamed principal");
    let what = e.event_name.as_deref().unwrap_or("(no event name)");
    let mut title = format!("⚡ {}: {what} by {who}", m.rule);
    if let Some(ip) = &e.source_ip {
        title.push_str(&format!(" from {ip}"));
    }
    let alarm = Alarm {
        name: m.rule.clone(),
        description: rule.and_then(|r| r.description.clone()),
        arn: None,
        account: account.clone(),
        region: region.clone(),
        partition: partition.to_owned(),
        old_state: None,
        new_state: State::Alarm,
        reason: Some(format!(
            "CloudTrail event {what}{} matched trailwatch rule {}, on the real-time path (EventBridge){}.",
            e.event_source
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            m.rule,
            e.error_code
                .as_deref()
                .map(|c| format!("; the call was refused: {c}"))
                .unwrap_or_default()
        )),
        time: e.event_time.clone(),
        watches: Watches::Unknown,
        evaluation: Evaluation::default(),
        source: "EventBridge",
        message_id: event.id.clone(),
        silence: Silence::default(),
        contributor: None,
        tags: AlarmTags::default(),
    };
    let console_url = match (&region, &e.event_id) {
        (Some(r), Some(id)) => Some(cloudtrail_url(partition, r, id)),
        _ => None,
    };
    View {
        title,
        transition: "real-time CloudTrail event".into(),
        where_: format!(
            "account {}, region {}",
            account.as_deref().unwrap_or("unknown"),
            region.as_deref().unwrap_or("unknown")
        ),
        watches: vec![format!(
            "CloudTrail events on the default EventBridge bus, as they happen: rule {}. Its metric still counts from the log files.",
            m.rule
        )],
        console_url,
        rule: rule.map(|r| RuleInfo {
            name: r.name.clone(),
            description: r.description.clone(),
            pattern: r.pattern_text.clone(),
            security: r.security,
            insights_url: None,
        }),
        silence_note: None,
        evidence: Some(EvidenceFound {
            rule: m.rule.clone(),
            events: vec![e.clone()],
            total: 1,
            complete: true,
        }),
        event_id: Some(e.event_id.clone().unwrap_or_default()),
        alarm,
    }
}

/// The partition a region is in, for console links.
fn partition_of(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    }
}

#[cfg(test)]
mod tests;
