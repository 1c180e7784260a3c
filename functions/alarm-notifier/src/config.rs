//! alarm-notifier's configuration: which destinations get notified, where their secrets come from, and
//! which state transitions are worth a message. Reading secrets is the adapters' job, at delivery.

use std::time::Duration;

use trailwatch::alarms::evidence::MAX_SHOWN;
use trailwatch::notify::{
    Channel, DeliveryLogMode, Destination, RetryPolicy, SecretRef, TransitionFilter,
    PAGERDUTY_EVENTS_URL, SLACK_API_URL,
};
use trailwatch::rules::ruleset::DEFAULT_NAMESPACE;
use trailwatch::rules::{Namespace, RulesSource};
use trailwatch::vars::{VarError, Vars};

/// alarm-notifier's configuration, from environment variables (documented in docs/alarm-notifier.md).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub destinations: Vec<Destination>,
    /// `NOTIFY_TRANSITIONS`.
    pub transitions: TransitionFilter,
    /// `NOTIFY_SILENCED`: also notify changes CloudWatch mutes or suppresses (marked so). Off: they
    /// are logged, not sent, as CloudWatch runs none of the alarm's actions for them.
    pub notify_silenced: bool,
    /// `METRIC_NAMESPACE`: trailwatch's namespace, whose alarms get the rule and the evidence link.
    pub namespace: String,
    /// `RULES`: the rules whose descriptions and patterns alarms on trailwatch's metrics show.
    pub rules: RulesSource,
    /// `EVIDENCE_LOG_GROUP`: trail-metrics' log group.
    pub evidence_log_group: Option<String>,
    /// `EVIDENCE_SHOWN`: the CloudTrail events a message lists (0 lists none: the link only).
    pub evidence_shown: usize,
    /// `EVIDENCE_SECONDS`: the longest the search for them may take.
    pub evidence_budget: Duration,
    /// `DEDUP`.
    pub delivery_log: DeliveryLogMode,
    /// `WEBHOOK_TIMEOUT_SECONDS` and `WEBHOOK_ATTEMPTS`.
    pub policy: RetryPolicy,
    /// `HEALTH_NAMESPACE`.
    pub health_namespace: String,
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda): the health metrics' `FunctionName` dimension.
    pub function_name: String,
    /// `S3_PATH_STYLE`.
    pub path_style: bool,
    /// `AWS_MAX_ATTEMPTS`.
    pub max_attempts: u32,
}

/// A configuration the function cannot start with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Var(#[from] VarError),
    /// A destination's variable. The message never shows the value: it may be a secret URL.
    #[error("environment variable {name}: {problem}")]
    Destination {
        name: &'static str,
        problem: DestinationProblem,
    },
    #[error("no destination is configured: set at least one of {}", Channel::ALL.map(Channel::variable).join(", "))]
    NoDestination,
}

/// What is wrong with a destination's variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationProblem {
    #[error("{0:?} is not an SNS topic ARN")]
    NotATopicArn(String),
    #[error("is neither an http(s) URL nor a reference (ssm:/name or secretsmanager:id)")]
    NotAUrl,
    #[error("must be a reference (ssm:/name or secretsmanager:id): it holds a credential")]
    NotAReference,
    #[error("{0} names no parameter or secret")]
    EmptyReference(SecretRef),
    #[error("SLACK_BOT_TOKEN needs the channel to post in: a channel id such as C0123ABCDEF")]
    NoChannel,
}

/// A credential's variable: a reference to SSM or Secrets Manager, never the value itself in the
/// environment.
fn reference(value: &str) -> Result<SecretRef, DestinationProblem> {
    let secret = SecretRef::parse(value);
    match &secret {
        SecretRef::Value(_) => Err(DestinationProblem::NotAReference),
        SecretRef::Ssm(n) | SecretRef::SecretsManager(n) if n.trim().is_empty() => {
            Err(DestinationProblem::EmptyReference(secret.clone()))
        }
        _ => Ok(secret),
    }
}

impl Config {
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let vars = Vars(var);
        let set = |name: &str| vars.get(name);
        let mut destinations = Vec::new();
        for kind in Channel::ALL {
            let Some(value) = set(kind.variable()) else {
                continue;
            };
            let bad = |problem| ConfigError::Destination {
                name: kind.variable(),
                problem,
            };
            if kind == Channel::SlackBot {
                let token = reference(&value).map_err(bad)?;
                let channel = set("SLACK_CHANNEL").map(|c| c.trim().to_owned());
                // Slack's ids are letters and digits (`C0123ABCDEF`); a `#name` is not one.
                let Some(channel) =
                    channel.filter(|c| c.bytes().all(|b| b.is_ascii_alphanumeric()))
                else {
                    return Err(ConfigError::Destination {
                        name: "SLACK_CHANNEL",
                        problem: DestinationProblem::NoChannel,
                    });
                };
                let api_url = vars.text("SLACK_API_URL", SLACK_API_URL);
                if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
                    return Err(ConfigError::Destination {
                        name: "SLACK_API_URL",
                        problem: DestinationProblem::NotAUrl,
                    });
                }
                destinations.push(Destination::SlackBot {
                    token,
                    channel,
                    api_url,
                });
                continue;
            }
            if kind == Channel::PagerDuty {
                let routing_key = reference(&value).map_err(bad)?;
                let events_url = vars.text("PAGERDUTY_EVENTS_URL", PAGERDUTY_EVENTS_URL);
                if !(events_url.starts_with("https://") || events_url.starts_with("http://")) {
                    return Err(ConfigError::Destination {
                        name: "PAGERDUTY_EVENTS_URL",
                        problem: DestinationProblem::NotAUrl,
                    });
                }
                destinations.push(Destination::PagerDuty {
                    routing_key,
                    events_url,
                });
                continue;
            }
            if kind == Channel::Email {
                let arn = value.trim();
                if !arn.starts_with("arn:") || arn.split(':').count() != 6 || !arn.contains(":sns:")
                {
                    return Err(bad(DestinationProblem::NotATopicArn(arn.to_owned())));
                }
                destinations.push(Destination::Email {
                    topic_arn: arn.to_owned(),
                });
                continue;
            }
            let secret = SecretRef::parse(&value);
            match &secret {
                // The message names the variable, never the value: it may be a secret URL.
                SecretRef::Value(v) if !(v.starts_with("https://") || v.starts_with("http://")) => {
                    return Err(bad(DestinationProblem::NotAUrl));
                }
                SecretRef::Ssm(n) | SecretRef::SecretsManager(n) if n.trim().is_empty() => {
                    return Err(bad(DestinationProblem::EmptyReference(secret.clone())));
                }
                _ => {}
            }
            destinations.push(Destination::Webhook {
                channel: kind,
                secret,
            });
        }
        if destinations.is_empty() {
            return Err(ConfigError::NoDestination);
        }
        let transitions = vars.parsed("NOTIFY_TRANSITIONS", "default")?;
        let rules = RulesSource::from_vars(&vars)?;
        let delivery_log = vars.parsed("DEDUP", "memory")?;
        let policy = RetryPolicy {
            attempts: u32::try_from(vars.number("WEBHOOK_ATTEMPTS", 3, 1)?).unwrap_or(u32::MAX),
            timeout: Duration::from_secs(vars.number("WEBHOOK_TIMEOUT_SECONDS", 10, 1)?),
            ..RetryPolicy::default()
        };
        Ok(Config {
            destinations,
            transitions,
            notify_silenced: vars.flag("NOTIFY_SILENCED", false)?,
            namespace: vars
                .parsed::<Namespace>("METRIC_NAMESPACE", DEFAULT_NAMESPACE)?
                .0,
            rules,
            evidence_log_group: set("EVIDENCE_LOG_GROUP"),
            evidence_shown: usize::try_from(vars.number_in(
                "EVIDENCE_SHOWN",
                5,
                0,
                MAX_SHOWN as u64,
            )?)
            .unwrap_or(MAX_SHOWN),
            evidence_budget: Duration::from_secs(vars.number_in("EVIDENCE_SECONDS", 5, 1, 20)?),
            delivery_log,
            policy,
            health_namespace: vars.text("HEALTH_NAMESPACE", "Trailwatch"),
            function_name: vars.text("AWS_LAMBDA_FUNCTION_NAME", "alarm-notifier"),
            path_style: vars.s3_path_style()?,
            max_attempts: vars.aws_max_attempts()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(|n| vars.get(n).cloned())
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
                channel: Channel::Teams,
                secret: SecretRef::Ssm("/trailwatch/teams".into())
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
    fn pagerduty_takes_its_routing_key_from_a_reference_only() {
        let c = config(&[("PAGERDUTY_ROUTING_KEY", "ssm:/trailwatch/pagerduty")]).unwrap();
        assert_eq!(
            c.destinations,
            [Destination::PagerDuty {
                routing_key: SecretRef::Ssm("/trailwatch/pagerduty".into()),
                events_url: "https://events.pagerduty.com/v2/enqueue".into(),
            }]
        );
        let eu = config(&[
            ("PAGERDUTY_ROUTING_KEY", "secretsmanager:pd"),
            (
                "PAGERDUTY_EVENTS_URL",
                "https://events.eu.pagerduty.com/v2/enqueue",
            ),
        ])
        .unwrap();
        assert!(
            matches!(&eu.destinations[0], Destination::PagerDuty { events_url, .. } if events_url.contains(".eu."))
        );
        let err = config(&[("PAGERDUTY_ROUTING_KEY", "R0123456789abcdef0123456789abcde")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("PAGERDUTY_ROUTING_KEY") && err.contains("must be a reference"),
            "{err}"
        );
        assert!(!err.contains("R0123456789"), "never the key: {err}");
        let err = config(&[
            ("PAGERDUTY_ROUTING_KEY", "ssm:/pd"),
            ("PAGERDUTY_EVENTS_URL", "events.pagerduty.com"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("PAGERDUTY_EVENTS_URL"), "{err}");
    }

    #[test]
    fn a_slack_bot_token_is_a_reference_and_needs_its_channel() {
        let c = config(&[
            ("SLACK_BOT_TOKEN", "ssm:/trailwatch/slack-bot"),
            ("SLACK_CHANNEL", " C0123ABCDEF "),
        ])
        .unwrap();
        assert_eq!(
            c.destinations,
            [Destination::SlackBot {
                token: SecretRef::Ssm("/trailwatch/slack-bot".into()),
                channel: "C0123ABCDEF".into(),
                api_url: "https://slack.com/api/".into(),
            }]
        );
        let err = config(&[
            ("SLACK_BOT_TOKEN", "xoxb-1-2-SECRET"),
            ("SLACK_CHANNEL", "C1"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("SLACK_BOT_TOKEN") && err.contains("must be a reference"),
            "{err}"
        );
        assert!(!err.contains("SECRET"), "never the token: {err}");
        for channel in [None, Some("#alerts"), Some("C1 C2"), Some("C1-2")] {
            let mut vars = vec![("SLACK_BOT_TOKEN", "ssm:/t")];
            if let Some(c) = channel {
                vars.push(("SLACK_CHANNEL", c));
            }
            let err = config(&vars).unwrap_err().to_string();
            assert!(
                err.contains("SLACK_CHANNEL") && err.contains("channel id"),
                "{channel:?}: {err}"
            );
        }
        let err = config(&[
            ("SLACK_BOT_TOKEN", "ssm:/t"),
            ("SLACK_CHANNEL", "C1"),
            ("SLACK_API_URL", "slack.com/api"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("SLACK_API_URL"), "{err}");
    }

    #[test]
    fn bad_values_name_the_variable_and_never_echo_a_url() {
        let err =
            config(&[("SLACK_WEBHOOK_URL", "hooks.slack.com/services/T0/B0/secret")]).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Destination {
                    name: "SLACK_WEBHOOK_URL",
                    ..
                }
            ),
            "{err:?}"
        );
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
        assert!(
            !c.notify_silenced,
            "CloudWatch's silence is kept by default"
        );
        assert_eq!(
            (c.evidence_shown, c.evidence_budget),
            (5, Duration::from_secs(5))
        );
        let c = config(&[
            ("WEBHOOK_URL", "https://x"),
            ("EVIDENCE_SHOWN", "0"),
            ("EVIDENCE_SECONDS", "20"),
        ])
        .unwrap();
        assert_eq!(
            (c.evidence_shown, c.evidence_budget),
            (0, Duration::from_secs(20))
        );
        let c = config(&[
            ("WEBHOOK_URL", "https://x"),
            ("DEDUP", "s3://state/deliveries"),
            ("WEBHOOK_TIMEOUT_SECONDS", "3"),
            ("WEBHOOK_ATTEMPTS", "5"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("NOTIFY_SILENCED", "on"),
        ])
        .unwrap();
        assert!(c.notify_silenced);
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
            ("NOTIFY_SILENCED", "muted", "on or off"),
            ("EVIDENCE_SHOWN", "21", "from 0 to 20"),
            ("EVIDENCE_SECONDS", "0", "from 1 to 20"),
        ] {
            let err = config(&[("WEBHOOK_URL", "https://x"), (name, value)]).unwrap_err();
            let ConfigError::Var(var) = &err else {
                panic!("{err:?}")
            };
            assert_eq!(var.name, name);
            assert!(var.problem.to_string().contains(says), "{err}");
        }
    }
}
