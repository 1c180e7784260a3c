//! trailwatch: CloudTrail logs in, CloudWatch metric data out.
//!
//! Data flows one way: bytes ([`cloudtrail`]) → events ([`event`]) → rule matches ([`rules`]) → datums
//! and batches ([`metrics`]). Nothing here reads environment variables: the binaries do, once.
#![forbid(unsafe_code)]

pub mod alarms;
#[cfg(feature = "adapters")]
pub mod aws;
pub mod cloudtrail;
pub mod engine;
pub mod error;
pub mod event;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod fasthash;
mod json_shape;
pub mod lambda;
pub mod metrics;
pub mod notify;
pub mod object_ref;
pub mod publish;
pub mod realtime;
pub mod rules;
pub mod text;
pub mod time;
pub mod triggers;
pub mod vars;
pub mod verify;
#[cfg(feature = "adapters")]
pub mod webhook_client;
