//! CloudWatch alarm state changes, from every way they reach a Lambda function, normalised to one
//! [`Alarm`], and what that alarm looks like to people.
//!
//! Decoding ([`from_event`]) is tolerant by design. Real payloads have null descriptions, no threshold (anomaly
//! detection), no metric (composite alarms), placeholder regions and odd timestamps, and each of those
//! must still make a useful notification. Pure: no AWS calls.
//!
//! Accepted, auto-detected:
//! - SNS events carrying alarm notifications (`Records[].Sns.Message`), every record;
//! - CloudWatch's direct Lambda alarm action (`"source":"aws.cloudwatch"`, `alarmData`);
//! - EventBridge "CloudWatch Alarm State Change" and "CloudWatch Alarm Contributor State Change"
//!   events (`detail`); configuration changes are recognised and refused as no state change.
//!
//! Rendering ([`render`]) gives plain text (e-mail, SMS), Slack Block Kit, a Teams Adaptive Card, a Discord
//! embed, and the normalised alarm as JSON. Every rendering says the same things: name and description,
//! old → new state, the reason, when, account and region, what the alarm watches, and a console link.
//! Alarms on trailwatch's own metrics also get the rule behind them; those on its security metrics, the
//! CloudTrail events that made them fire ([`evidence`], read by alarm-notifier) and a Logs Insights link
//! that lists them all.

mod arn;
mod decode;
pub mod evidence;
mod links;
mod regions;
mod render;
mod view;

pub use arn::is_region_code;
pub use decode::{from_event, AlarmError, AlarmMessages};
pub(crate) use links::console_host;
pub use links::{console_url, insights_url};
pub use regions::region_code;
pub use render::{
    discord, json_alarm, pagerduty, render, slack, subject, teams, text, Channel, Message,
};
pub use view::{RenderContext, RuleInfo, View};

/// An alarm state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Ok,
    Alarm,
    InsufficientData,
    Other(String),
}

impl State {
    pub fn parse(text: &str) -> State {
        match text.trim() {
            "OK" => State::Ok,
            "ALARM" => State::Alarm,
            "INSUFFICIENT_DATA" => State::InsufficientData,
            other => State::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            State::Ok => "OK",
            State::Alarm => "ALARM",
            State::InsufficientData => "INSUFFICIENT_DATA",
            State::Other(s) => s,
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One metric an alarm reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricRef {
    pub namespace: String,
    pub name: String,
    pub dimensions: Vec<(String, String)>,
}

/// One query of a metric-math or anomaly-detection alarm.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricQuery {
    pub id: String,
    pub label: Option<String>,
    pub expression: Option<String>,
    pub metric: Option<MetricRef>,
    pub stat: Option<String>,
    pub period: Option<u64>,
    pub return_data: bool,
}

/// What an alarm watches.
#[derive(Debug, Clone, PartialEq)]
pub enum Watches {
    /// One metric and a threshold.
    Metric {
        metric: MetricRef,
        statistic: Option<String>,
        unit: Option<String>,
        period: Option<u64>,
    },
    /// Metric math, or anomaly detection (an `ANOMALY_DETECTION_BAND` expression and a
    /// threshold metric instead of a threshold).
    Math { queries: Vec<MetricQuery> },
    /// A composite alarm: a rule over other alarms, and the children that triggered this change.
    Composite {
        rule: String,
        triggering: Vec<(String, Option<State>)>,
    },
    /// Nothing in the payload says (old or partial payloads).
    Unknown,
}

/// The evaluation settings of a metric or math alarm, as far as the payload gives them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    pub comparison: Option<String>,
    pub threshold: Option<f64>,
    /// Anomaly detection: the id of the band the metric is compared with.
    pub threshold_metric_id: Option<String>,
    pub evaluation_periods: Option<u64>,
    pub datapoints_to_alarm: Option<u64>,
    pub treat_missing_data: Option<String>,
}

/// An alarm state change, whatever shape it arrived in.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub description: Option<String>,
    pub arn: Option<String>,
    pub account: Option<String>,
    /// The region code (`eu-west-1`), from the ARN when it has a usable one.
    pub region: Option<String>,
    /// `aws`, `aws-cn` or `aws-us-gov`, from the ARN.
    pub partition: String,
    pub old_state: Option<State>,
    pub new_state: State,
    pub reason: Option<String>,
    /// When the state changed, as the payload says it.
    pub time: Option<String>,
    pub watches: Watches,
    pub evaluation: Evaluation,
    /// `SNS`, `Lambda alarm action` or `EventBridge`.
    pub source: &'static str,
    /// The transport's id of the message (SNS `MessageId`, EventBridge `id`), when it has one.
    pub message_id: Option<String>,
    /// What the payload says of CloudWatch's own silence over this change.
    pub silence: Silence,
    /// The one time series of a multi-time-series alarm this change is about.
    pub contributor: Option<Contributor>,
    /// The alarm's tags, when CloudWatch propagates them (`AlarmTags` / `alarmTags`).
    pub tags: AlarmTags,
}

#[cfg(test)]
impl Alarm {
    /// An ALARM with a name and nothing else: each test sets what it looks at.
    pub(crate) fn named(name: &str) -> Alarm {
        Alarm {
            name: name.into(),
            description: None,
            arn: None,
            account: None,
            region: None,
            partition: "aws".into(),
            old_state: None,
            new_state: State::Alarm,
            reason: None,
            time: None,
            watches: Watches::Unknown,
            evaluation: Evaluation::default(),
            source: "SNS",
            message_id: None,
            silence: Silence::default(),
            contributor: None,
            tags: AlarmTags::default(),
        }
    }
}

/// An alarm's tags as its notification carries them, when CloudWatch propagates them
/// (`ActionConfiguration.AlarmTagsPropagation`). Empty, with no status, when it does not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlarmTags {
    /// Key and value, in the payload's order.
    pub tags: Vec<(String, String)>,
    /// `AlarmTagsStatus` / `alarmTagsStatus`: `SUCCESS`, or what else CloudWatch says (kept as it is).
    pub status: Option<String>,
}

impl AlarmTags {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One time series of a multi-time-series (Metrics Insights) alarm: each changes state on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    /// CloudWatch's id of the series (16 hexadecimal characters).
    pub id: String,
    /// What tells it apart: its `GROUP BY` dimensions (`TableName`, `UserName`…).
    pub attributes: Vec<(String, String)>,
}

impl Contributor {
    /// `UserName=alice, Account=111`, or the id when there are no attributes.
    pub fn label(&self) -> String {
        if self.attributes.is_empty() {
            return format!("time series {}", self.id);
        }
        self.attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// CloudWatch keeps an alarm's actions quiet in two ways, and says so in the events it sends to
/// EventBridge: a composite alarm's actions suppressed by its suppressor alarm, and an alarm mute
/// rule. Alarm actions (SNS, Lambda) are not run while either holds; EventBridge still gets the change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Silence {
    /// `state.actionsSuppressedBy` / `actionsSuppressedReason`: this change's actions are suppressed.
    pub suppressed: Option<Suppression>,
    /// `muteDetail`: a mute rule mutes the alarm's actions. CloudWatch adds it to the events of muted
    /// alarms; its window is the rule's, shown as given.
    pub mute: Option<Mute>,
    /// The previous state's actions were suppressed and this one's are not: the change comes now
    /// because the suppression ended (a composite alarm acts on its current state then).
    pub suppression_ended: Option<Suppression>,
}

/// Why a composite alarm's actions are suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// `WaitPeriod`, `ExtensionPeriod` or `Alarm` (the suppressor alarm is in ALARM).
    pub by: String,
    pub reason: Option<String>,
    /// The suppressor alarm (`configuration.actionsSuppressor`), when the payload names it.
    pub suppressor: Option<String>,
}

/// An alarm mute rule over the alarm (`muteDetail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mute {
    /// `mutedByArn`: the mute rule.
    pub rule: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

impl Silence {
    /// Whether CloudWatch runs no action for this change.
    pub fn silenced(&self) -> bool {
        self.suppressed.is_some() || self.mute.is_some()
    }

    /// Why, in words, when silenced.
    pub fn why(&self) -> Option<String> {
        if let Some(m) = &self.mute {
            let rule = m.rule.as_deref().map(|r| r.rsplit(':').next().unwrap_or(r));
            return Some(format!(
                "muted by CloudWatch alarm mute rule {}{}",
                rule.unwrap_or("(unnamed)"),
                match (&m.start, &m.end) {
                    (Some(s), Some(e)) => format!(" from {s} to {e}"),
                    (None, Some(e)) => format!(" until {e}"),
                    _ => String::new(),
                }
            ));
        }
        self.suppressed.as_ref().map(|s| {
            format!(
                "actions suppressed by {}{}",
                s.by,
                s.suppressor
                    .as_deref()
                    .map(|a| format!(" (suppressor alarm {a})"))
                    .unwrap_or_default()
            )
        })
    }
}

#[cfg(test)]
mod decode_tests;
#[cfg(test)]
mod render_tests;
