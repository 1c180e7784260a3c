//! The built-in rules and namespace.

/// The namespace of metrics whose rule does not name one.
pub const DEFAULT_NAMESPACE: &str = "CloudTrailMetrics";

/// The built-in rules: `StartInstances` per principal, Security Hub CloudWatch.1–14 and CIS 4.15.
pub const DEFAULT_RULES_JSON: &str = include_str!("../../../rules/default.json");
