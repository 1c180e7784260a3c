//! trail-metrics' configuration: environment variables in, typed values out, with errors that name the
//! variable.

use trailwatch::cloudtrail::ReadLimits;
use trailwatch::publish::DedupMode;
use trailwatch::rules::ruleset::DEFAULT_NAMESPACE;
use trailwatch::rules::{Namespace, RulesSource};
use trailwatch::vars::{VarError, Vars};
use trailwatch::verify::DEFAULT_GRACE_SECONDS;

/// The function's configuration, from environment variables (documented in docs/trail-metrics.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `METRIC_NAMESPACE`: where rules without a namespace of their own publish.
    pub namespace: String,
    /// `RULES`.
    pub rules: RulesSource,
    /// `DEDUP`.
    pub dedup: DedupMode,
    /// `EVIDENCE_LOG`: one log line per event a security rule matches.
    pub evidence: bool,
    /// `HEALTH_NAMESPACE`: the namespace of the function's own EMF metrics.
    pub health_namespace: String,
    /// `S3_PATH_STYLE`; by default on when `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_S3` is set.
    pub path_style: bool,
    /// `AWS_MAX_ATTEMPTS`: attempts per AWS call, retries with backoff and jitter.
    pub max_attempts: u32,
    /// `MAX_DECOMPRESSED_BYTES`: the per-object cap on decompressed size.
    pub max_decompressed_bytes: u64,
    /// `VERIFY_DIGESTS` (on by default) and `DIGEST_GRACE_SECONDS`: check CloudTrail's digest files
    /// against the markers and publish what no notification brought. Needs markers (`DEDUP` not
    /// `off`).
    pub verify_digests: bool,
    pub digest_grace_seconds: u64,
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda): the health metrics' `FunctionName` dimension.
    pub function_name: String,
}

impl Config {
    /// Reads the configuration through `var` (the environment, in the binary).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, VarError> {
        let vars = Vars(var);
        let Namespace(namespace) = vars.parsed("METRIC_NAMESPACE", DEFAULT_NAMESPACE)?;
        Ok(Config {
            namespace,
            rules: RulesSource::from_vars(&vars)?,
            dedup: vars.parsed("DEDUP", "tags")?,
            evidence: vars.flag("EVIDENCE_LOG", true)?,
            health_namespace: vars.text("HEALTH_NAMESPACE", "Trailwatch"),
            path_style: vars.s3_path_style()?,
            max_attempts: vars.aws_max_attempts()?,
            max_decompressed_bytes: vars.number(
                "MAX_DECOMPRESSED_BYTES",
                ReadLimits::default().max_decompressed_bytes,
                1,
            )?,
            verify_digests: vars.flag("VERIFY_DIGESTS", true)?,
            digest_grace_seconds: vars.number(
                "DIGEST_GRACE_SECONDS",
                DEFAULT_GRACE_SECONDS as u64,
                0,
            )?,
            function_name: vars.text("AWS_LAMBDA_FUNCTION_NAME", "trail-metrics"),
        })
    }

    pub fn limits(&self) -> ReadLimits {
        ReadLimits {
            max_decompressed_bytes: self.max_decompressed_bytes,
            ..ReadLimits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, VarError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.namespace, "CloudTrailMetrics");
        assert_eq!(c.rules, RulesSource::Builtin);
        assert_eq!(c.dedup, DedupMode::Tags);
        assert!(c.evidence && !c.path_style);
        assert!(c.verify_digests);
        assert_eq!(c.digest_grace_seconds, 900);
        assert_eq!(
            (c.health_namespace.as_str(), c.max_attempts),
            ("Trailwatch", 5)
        );
        assert!(
            config(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")])
                .unwrap()
                .path_style
        );
    }

    #[test]
    fn every_bad_value_names_its_variable() {
        for (name, value, says) in [
            ("DEDUP", "dynamodb", "`tags`, `off`"),
            ("METRIC_NAMESPACE", "AWS/EC2", "AWS/"),
            ("EVIDENCE_LOG", "maybe", "on or off"),
            ("AWS_MAX_ATTEMPTS", "0", "≥ 1"),
            ("MAX_DECOMPRESSED_BYTES", "4GB", "whole number"),
            ("RULES", "s3://bucket-only", "s3://bucket/key"),
            ("VERIFY_DIGESTS", "yes please", "on or off"),
            ("DIGEST_GRACE_SECONDS", "-1", "whole number"),
        ] {
            let err = config(&[(name, value)]).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        }
    }
}
