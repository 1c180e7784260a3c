//! trailwatch: CloudTrail logs in, CloudWatch metric data out.
//!
//! Data flows one way: bytes ([`cloudtrail`]) → events ([`event`]) → rule matches ([`rules`]) → datums
//! and batches ([`metrics`]). Nothing here reads environment variables: the binaries do, once.
#![forbid(unsafe_code)]

pub mod alarm;
#[cfg(feature = "aws")]
pub mod alarm_notifier;
pub mod alarm_render;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod backfill;
pub mod cloudtrail;
pub mod engine;
pub mod error;
pub mod event;
pub mod fasthash;
#[cfg(feature = "aws")]
pub mod http;
mod json_shape;
pub mod lambda;
mod lenient;
pub mod local;
pub mod metrics;
#[cfg(feature = "aws")]
pub mod notifier;
pub mod object_ref;
#[cfg(feature = "aws")]
pub mod publish;
pub mod report;
pub mod rules;
pub mod text;
pub mod time;
#[cfg(feature = "aws")]
pub mod trail_metrics;
pub mod trigger;
pub mod vars;
