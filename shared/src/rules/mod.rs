//! Metric rules: CloudWatch Logs metric filter patterns plus what to publish when they match.

pub mod cloudwatch;
pub mod eventbridge;
pub mod pattern;
pub mod ruleset;
mod source;

pub use source::{Namespace, RulesError, RulesSource};
