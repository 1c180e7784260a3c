//! alarm-notifier's configuration: which destinations get notified, where their secrets come from, and
//! which state transitions are worth a message. Pure: reading secrets is the AWS side's job.

use std::time::Duration;

use crate::alarm::State;
use crate::alarm_notifier::RetryPolicy;
use crate::publish::DedupMode;
use crate::rules::{Namespace, RulesSource};
use crate::vars::{ValueError, VarError, Vars};

/// Where a webhook URL comes from. Never printed: `Debug` and `Display` say only where it lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// The value itself, from the environment.
    Value(String),
    /// An SSM parameter (a SecureString), by name: `ssm:/trailwatch/slack`.
    Ssm(String),
    /// A Secrets Manager secret, by name or ARN: `secretsmanager:trailwatch/slack`.
    SecretsManager(String),
}

impl Secret {
    pub fn parse(value: &str) -> Secret {
        let v = value.trim();
        if let Some(name) = v.strip_prefix("ssm:") {
            Secret::Ssm(name.to_owned())
        } else if let Some(id) = v.strip_prefix("secretsmanager:") {
            Secret::SecretsManager(id.to_owned())
        } else {
            Secret::Value(v.to_owned())
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Value(_) => f.write_str("(a URL in the environment)"),
            Secret::Ssm(name) => write!(f, "ssm:{name}"),
            Secret::SecretsManager(id) => write!(f, "secretsmanager:{id}"),
        }
    }
}

/// A kind of destination, and the variable that configures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Slack,
    Teams,
    Discord,
    Webhook,
    Email,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Slack,
        Kind::Teams,
        Kind::Discord,
        Kind::Webhook,
        Kind::Email,
    ];

    pub fn variable(self) -> &'static str {
        match self {
            Kind::Slack => "SLACK_WEBHOOK_URL",
            Kind::Teams => "TEAMS_WEBHOOK_URL",
            Kind::Discord => "DISCORD_WEBHOOK_URL",
            Kind::Webhook => "WEBHOOK_URL",
            Kind::Email => "EMAIL_TOPIC_ARN",
        }
    }

    /// How logs and errors name the destination (never by its URL).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Slack => "slack",
            Kind::Teams => "teams",
            Kind::Discord => "discord",
            Kind::Webhook => "webhook",
            Kind::Email => "email",
        }
    }
}

/// One configured destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A webhook (Slack, Teams, Discord or generic) whose URL is in `secret`.
    Webhook { kind: Kind, secret: Secret },
    /// An SNS topic for e-mail and SMS subscribers.
    Email { topic_arn: String },
}

impl Destination {
    pub fn kind(&self) -> Kind {
        match self {
            Destination::Webhook { kind, .. } => *kind,
            Destination::Email { .. } => Kind::Email,
        }
    }
}

/// A state change: from (any, when `None`) to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: Option<State>,
    pub to: Option<State>,
}

/// Which transitions notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionFilter {
    /// Everything except INSUFFICIENT_DATA → OK and OK → INSUFFICIENT_DATA: the noise of metrics that
    /// come and go.
    Default,
    All,
    /// Only these (`*` for any state).
    Only(Vec<Transition>),
}

impl std::str::FromStr for TransitionFilter {
    type Err = ValueError;

    /// `default`, `all`, or a comma-separated list such as `*->ALARM,ALARM->OK`.
    fn from_str(text: &str) -> Result<TransitionFilter, ValueError> {
        match text.trim() {
            "" | "default" => return Ok(TransitionFilter::Default),
            "all" => return Ok(TransitionFilter::All),
            _ => {}
        }
        let state = |s: &str| -> Result<Option<State>, ValueError> {
            match State::parse(s) {
                _ if s.trim() == "*" => Ok(None),
                State::Other(o) => Err(ValueError::new(
                    &o,
                    "is not a state: use OK, ALARM, INSUFFICIENT_DATA or *",
                )),
                known => Ok(Some(known)),
            }
        };
        text.split(',')
            .map(|t| {
                let (from, to) = t
                    .split_once("->")
                    .ok_or_else(|| ValueError::new(t.trim(), "is not FROM->TO"))?;
                Ok(Transition {
                    from: state(from)?,
                    to: state(to)?,
                })
            })
            .collect::<Result<Vec<_>, ValueError>>()
            .map(TransitionFilter::Only)
    }
}

impl TransitionFilter {
    pub fn allows(&self, from: Option<&State>, to: &State) -> bool {
        match self {
            TransitionFilter::All => true,
            TransitionFilter::Default => !matches!(
                (from, to),
                (Some(State::InsufficientData), State::Ok)
                    | (Some(State::Ok), State::InsufficientData)
            ),
            TransitionFilter::Only(list) => list.iter().any(|t| {
                t.from.as_ref().is_none_or(|f| Some(f) == from)
                    && t.to.as_ref().is_none_or(|s| s == to)
            }),
        }
    }
}

/// Where alarm-notifier remembers which destinations already have a message (`DEDUP`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryLogMode {
    Off,
    /// Per container (the default): a retry on another container sends again.
    Memory,
    /// Marker objects under `s3://bucket/prefix/`, seen by every container.
    S3 {
        bucket: String,
        prefix: String,
    },
}

impl std::str::FromStr for DeliveryLogMode {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<DeliveryLogMode, ValueError> {
        match text.trim() {
            "memory" => Ok(DeliveryLogMode::Memory),
            other => match other.parse::<DedupMode>() {
                Ok(DedupMode::Off) => Ok(DeliveryLogMode::Off),
                Ok(DedupMode::Markers { bucket, prefix }) => Ok(DeliveryLogMode::S3 { bucket, prefix }),
                Ok(DedupMode::Tags) | Err(_) => Err(ValueError::new(
                    other,
                    "is not a delivery log for alarm-notifier: use `memory`, `off` or `s3://bucket/prefix/`",
                )),
            },
        }
    }
}

/// alarm-notifier's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifierConfig {
    pub destinations: Vec<Destination>,
    /// `NOTIFY_TRANSITIONS`.
    pub transitions: TransitionFilter,
    /// `METRIC_NAMESPACE`: trailwatch's namespace, whose alarms get the rule and the evidence link.
    pub namespace: String,
    /// `RULES`: the rules whose descriptions and patterns alarms on trailwatch's metrics show.
    pub rules: RulesSource,
    /// `EVIDENCE_LOG_GROUP`: trail-metrics' log group.
    pub evidence_log_group: Option<String>,
    /// `DEDUP`.
    pub delivery_log: DeliveryLogMode,
    /// `WEBHOOK_TIMEOUT_SECONDS` and `WEBHOOK_ATTEMPTS`.
    pub policy: RetryPolicy,
    /// `HEALTH_NAMESPACE`.
    pub health_namespace: String,
    /// `S3_PATH_STYLE`.
    pub path_style: bool,
    /// `AWS_MAX_ATTEMPTS`.
    pub max_attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name}: {message}")]
pub struct NotifierConfigError {
    pub name: &'static str,
    pub message: String,
}

impl From<VarError> for NotifierConfigError {
    fn from(e: VarError) -> Self {
        NotifierConfigError {
            name: e.name,
            message: format!("{:?}: {}", e.value, e.problem),
        }
    }
}

impl NotifierConfig {
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<NotifierConfig, NotifierConfigError> {
        let vars = Vars(var);
        let set = |name: &str| vars.get(name);
        let mut destinations = Vec::new();
        for kind in Kind::ALL {
            let Some(value) = set(kind.variable()) else {
                continue;
            };
            let bad = |message: String| NotifierConfigError {
                name: kind.variable(),
                message,
            };
            if kind == Kind::Email {
                let arn = value.trim();
                if !arn.starts_with("arn:") || arn.split(':').count() != 6 || !arn.contains(":sns:")
                {
                    return Err(bad(format!("{arn:?} is not an SNS topic ARN")));
                }
                destinations.push(Destination::Email {
                    topic_arn: arn.to_owned(),
                });
                continue;
            }
            let secret = Secret::parse(&value);
            match &secret {
                // The message names the variable, never the value: it may be a secret URL.
                Secret::Value(v) if !(v.starts_with("https://") || v.starts_with("http://")) => {
                    return Err(bad(
                        "is neither an http(s) URL nor a reference (ssm:/name or secretsmanager:id)".into(),
                    ));
                }
                Secret::Ssm(n) | Secret::SecretsManager(n) if n.trim().is_empty() => {
                    return Err(bad(format!("{secret} names no parameter or secret")));
                }
                _ => {}
            }
            destinations.push(Destination::Webhook { kind, secret });
        }
        if destinations.is_empty() {
            return Err(NotifierConfigError {
                name: "SLACK_WEBHOOK_URL",
                message: format!(
                    "no destination is configured: set at least one of {}",
                    Kind::ALL.map(Kind::variable).join(", ")
                ),
            });
        }
        let transitions_text = set("NOTIFY_TRANSITIONS").unwrap_or_else(|| "default".into());
        let transitions =
            transitions_text
                .parse::<TransitionFilter>()
                .map_err(|e| NotifierConfigError {
                    name: "NOTIFY_TRANSITIONS",
                    message: e.to_string(),
                })?;
        let rules = vars.parsed("RULES", "builtin")?;
        let delivery_log = vars.parsed("DEDUP", "memory")?;
        let policy = RetryPolicy {
            attempts: u32::try_from(vars.number("WEBHOOK_ATTEMPTS", 3, 1)?).unwrap_or(u32::MAX),
            timeout: Duration::from_secs(vars.number("WEBHOOK_TIMEOUT_SECONDS", 10, 1)?),
            ..RetryPolicy::default()
        };
        Ok(NotifierConfig {
            destinations,
            transitions,
            namespace: vars
                .parsed::<Namespace>("METRIC_NAMESPACE", crate::rules::ruleset::DEFAULT_NAMESPACE)?
                .0,
            rules,
            evidence_log_group: set("EVIDENCE_LOG_GROUP"),
            delivery_log,
            policy,
            health_namespace: vars.text("HEALTH_NAMESPACE", "Trailwatch"),
            path_style: vars.s3_path_style()?,
            max_attempts: vars.aws_max_attempts()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::str::FromStr;

    fn config(vars: &[(&str, &str)]) -> Result<NotifierConfig, NotifierConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        NotifierConfig::from_vars(|n| vars.get(n).cloned())
    }

    #[test]
    fn destinations_and_secret_references() {
        let c = config(&[
            (
                "SLACK_WEBHOOK_URL",
                "https://hooks.slack.com/services/T0/B0/secret",
            ),
            ("TEAMS_WEBHOOK_URL", "ssm:/trailwatch/teams"),
            ("DISCORD_WEBHOOK_URL", "secretsmanager:trailwatch/discord"),
            (
                "EMAIL_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:alarms",
            ),
        ])
        .unwrap();
        assert_eq!(c.destinations.len(), 4);
        assert_eq!(
            c.destinations[1],
            Destination::Webhook {
                kind: Kind::Teams,
                secret: Secret::Ssm("/trailwatch/teams".into())
            }
        );
        assert_eq!(c.transitions, TransitionFilter::Default);
        assert_eq!(c.namespace, "CloudTrailMetrics");
        // Never the URL in logs.
        let shown = format!("{:?}", c.destinations[0]);
        assert!(
            !shown.contains("hooks.slack.com") && !shown.contains("secret/"),
            "{shown}"
        );
    }

    #[test]
    fn bad_values_name_the_variable_and_never_echo_a_url() {
        let err =
            config(&[("SLACK_WEBHOOK_URL", "hooks.slack.com/services/T0/B0/secret")]).unwrap_err();
        assert_eq!(err.name, "SLACK_WEBHOOK_URL");
        assert!(
            !err.to_string().contains("hooks.slack.com") && !err.to_string().contains("B0/secret"),
            "{err}"
        );
        assert!(config(&[("EMAIL_TOPIC_ARN", "alarms")])
            .unwrap_err()
            .to_string()
            .contains("not an SNS topic ARN"));
        assert!(config(&[])
            .unwrap_err()
            .to_string()
            .contains("no destination"));
        assert!(config(&[("WEBHOOK_URL", "ssm:")])
            .unwrap_err()
            .to_string()
            .contains("names no parameter"));
        let err = config(&[
            ("WEBHOOK_URL", "https://x"),
            ("NOTIFY_TRANSITIONS", "OK->BROKEN"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("NOTIFY_TRANSITIONS") && err.to_string().contains("BROKEN"),
            "{err}"
        );
    }

    #[test]
    fn delivery_log_retries_and_the_rest() {
        let c = config(&[("WEBHOOK_URL", "https://x")]).unwrap();
        assert_eq!(c.delivery_log, DeliveryLogMode::Memory);
        assert_eq!(c.policy, RetryPolicy::default());
        assert_eq!(c.rules, RulesSource::Builtin);
        assert_eq!(c.health_namespace, "Trailwatch");
        assert!(!c.path_style);
        let c = config(&[
            ("WEBHOOK_URL", "https://x"),
            ("DEDUP", "s3://state/deliveries"),
            ("WEBHOOK_TIMEOUT_SECONDS", "3"),
            ("WEBHOOK_ATTEMPTS", "5"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ])
        .unwrap();
        assert_eq!(
            c.delivery_log,
            DeliveryLogMode::S3 {
                bucket: "state".into(),
                prefix: "deliveries/".into()
            }
        );
        assert_eq!(c.policy.timeout, Duration::from_secs(3));
        assert_eq!(c.policy.attempts, 5);
        assert!(c.path_style);
        assert_eq!(
            config(&[("WEBHOOK_URL", "https://x"), ("DEDUP", "off")])
                .unwrap()
                .delivery_log,
            DeliveryLogMode::Off
        );
        for (name, value, says) in [
            ("DEDUP", "tags", "not a delivery log"),
            ("WEBHOOK_TIMEOUT_SECONDS", "0", "≥ 1"),
            ("WEBHOOK_ATTEMPTS", "many", "whole number"),
        ] {
            let err = config(&[("WEBHOOK_URL", "https://x"), (name, value)]).unwrap_err();
            assert_eq!(err.name, name);
            assert!(err.message.contains(says), "{err}");
        }
    }

    #[test]
    fn transitions() {
        let d = TransitionFilter::Default;
        assert!(d.allows(Some(&State::Ok), &State::Alarm));
        assert!(d.allows(Some(&State::Alarm), &State::Ok));
        assert!(d.allows(Some(&State::InsufficientData), &State::Alarm));
        assert!(!d.allows(Some(&State::InsufficientData), &State::Ok));
        assert!(!d.allows(Some(&State::Ok), &State::InsufficientData));
        assert!(d.allows(None, &State::Ok));
        assert!(TransitionFilter::All.allows(Some(&State::Ok), &State::InsufficientData));
        let only = TransitionFilter::from_str("*->ALARM, ALARM->OK").unwrap();
        assert!(only.allows(Some(&State::Ok), &State::Alarm));
        assert!(only.allows(Some(&State::Alarm), &State::Ok));
        assert!(!only.allows(Some(&State::InsufficientData), &State::Ok));
        assert!(TransitionFilter::from_str("ALARM")
            .unwrap_err()
            .to_string()
            .contains("FROM->TO"));
    }
}
