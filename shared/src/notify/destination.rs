//! The destinations alarm-notifier is configured with, and where their URLs come from.

use std::sync::Mutex;

use sha2::{Digest, Sha256};

pub use crate::alarms::Channel;

/// Where a webhook URL comes from. Never printed: `Debug` and `Display` say only where it lives.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// The value itself, from the environment.
    Value(String),
    /// An SSM parameter (a SecureString), by name: `ssm:/trailwatch/slack`.
    Ssm(String),
    /// A Secrets Manager secret, by name or ARN: `secretsmanager:trailwatch/slack`.
    SecretsManager(String),
}

impl SecretRef {
    pub fn parse(value: &str) -> SecretRef {
        let v = value.trim();
        if let Some(name) = v.strip_prefix("ssm:") {
            SecretRef::Ssm(name.to_owned())
        } else if let Some(id) = v.strip_prefix("secretsmanager:") {
            SecretRef::SecretsManager(id.to_owned())
        } else {
            SecretRef::Value(v.to_owned())
        }
    }
}

impl std::fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretRef::Value(_) => f.write_str("(a URL in the environment)"),
            SecretRef::Ssm(name) => write!(f, "ssm:{name}"),
            SecretRef::SecretsManager(id) => write!(f, "secretsmanager:{id}"),
        }
    }
}

/// One configured destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A webhook (Slack, Teams, Discord or generic) whose URL is in `secret`.
    Webhook { channel: Channel, secret: SecretRef },
    /// An SNS topic for e-mail and SMS subscribers.
    Email { topic_arn: String },
    /// PagerDuty's Events API v2: `routing_key` is an integration key (a secret), `events_url` the
    /// endpoint (`https://events.pagerduty.com/v2/enqueue`, or the EU one).
    PagerDuty {
        routing_key: SecretRef,
        events_url: String,
    },
    /// Slack's Web API with a bot token (a secret, `xoxb-…`): chat.postMessage to `channel` (an id,
    /// `C0123ABCDEF`), at `api_url` (`https://slack.com/api/`).
    SlackBot {
        token: SecretRef,
        channel: String,
        api_url: String,
    },
}

/// Slack's Web API.
pub const SLACK_API_URL: &str = "https://slack.com/api/";

/// PagerDuty's Events API v2 endpoint.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

impl Destination {
    pub fn channel(&self) -> Channel {
        match self {
            Destination::Webhook { channel, .. } => *channel,
            Destination::Email { .. } => Channel::Email,
            Destination::PagerDuty { .. } => Channel::PagerDuty,
            Destination::SlackBot { .. } => Channel::SlackBot,
        }
    }
}

/// One configured destination, and its URL once read. `Debug` leaves the URL out: it is a secret once
/// read from SSM or Secrets Manager.
pub struct Target {
    pub destination: Destination,
    /// How its deliveries are recorded: the label and a hash of where it points (`slack-1a2b3c4d`), so
    /// two deployments sharing a delivery log, or a destination that changed, never see each other's.
    pub log_name: String,
    /// The URL (a PagerDuty routing key), once read from its reference. Cleared when the destination
    /// refuses a message, so a value rotated in SSM or Secrets Manager is read again.
    pub(crate) url: Mutex<Option<String>>,
}

impl Target {
    pub fn new(destination: Destination) -> Target {
        let kind = destination.channel();
        let points_to = match &destination {
            Destination::Email { topic_arn } => topic_arn.clone(),
            Destination::Webhook {
                secret: SecretRef::Value(url),
                ..
            } => url.clone(),
            Destination::Webhook { secret, .. } => secret.to_string(),
            Destination::PagerDuty {
                routing_key,
                events_url,
            } => format!("{routing_key} {events_url}"),
            Destination::SlackBot {
                token,
                channel,
                api_url,
            } => format!("{token} {channel} {api_url}"),
        };
        let hash = Sha256::digest(format!("{}\n{points_to}", kind.variable()).as_bytes());
        Target {
            log_name: format!("{}-{}", kind.label(), hex(&hash[..4])),
            destination,
            url: Mutex::new(None),
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("destination", &self.destination)
            .field("log_name", &self.log_name)
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
