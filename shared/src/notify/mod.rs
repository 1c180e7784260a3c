//! One alarm to every destination: Slack (webhook or bot), Teams, Discord, a generic webhook, PagerDuty,
//! e-mail through SNS.
//!
//! Delivery policy, per destination and invocation:
//! - 2xx: delivered.
//! - 5xx, 408, timeouts, connection errors: retried with backoff and jitter, up to `attempts`.
//! - 429: retried after `Retry-After` when that fits in the invocation's remaining time; otherwise left
//!   to Lambda's retry.
//! - Slack's Web API answers 200 to a call it refuses (`{"ok":false,"error":"channel_not_found"}`): its
//!   `error` decides, as a status would (`ratelimited`, `internal_error`… are retried).
//! - Other statuses: refused. Not retried: the refusal is remembered for [`REFUSAL_MEMORY`], so Lambda's
//!   retries of the invocation do not call that destination again; the invocation still fails, so the
//!   event ends in the function's on-failure destination with the reason (nothing lost).
//!
//! What "remembered" means depends on the delivery log: one per container (`memory`), or marker objects
//! in S3 (`s3://bucket/prefix/`) that every container sees.

mod deliver;
mod delivery_log;
mod destination;
mod ports;
mod redact;
mod retry_after;
mod route;
mod transitions;

pub use deliver::{Delivered, Deliverer, DeliveryFailure, RetryPolicy, REFUSAL_MEMORY};
pub(crate) use delivery_log::hex;
pub use delivery_log::{
    message_key, thread_key, DeliveryLogMode, Mark, MemoryLog, NoLog, MEMORY_LOG_KEYS,
};
pub use destination::{
    Channel, Destination, SecretRef, Target, PAGERDUTY_EVENTS_URL, SLACK_API_URL,
};
pub use ports::{DeliveryLog, PostError, Reply, SecretResolver, TopicPublisher, WebhookClient};
pub use redact::scrub;
pub use retry_after::retry_after;
pub use route::{Route, NOTIFY_TAG, SLACK_CHANNEL_TAG};
pub use transitions::{Transition, TransitionFilter};

#[cfg(test)]
mod tests;
