//! Where a function's rules come from (`RULES`), and loading them from there.

use std::future::Future;
use std::path::PathBuf;

use crate::error::CallError;
use crate::object_ref::split_s3_uri;
use crate::rules::ruleset::{pack_json, RuleSet, RuleSetError};
use crate::vars::{ValueError, VarError, Vars};

/// Where the rules come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesSource {
    Builtin,
    /// Built-in packs by name (`RULE_PACKS`), checked to exist.
    Packs(Vec<String>),
    Inline(String),
    Path(PathBuf),
    S3 {
        bucket: String,
        key: String,
    },
}

impl std::str::FromStr for RulesSource {
    type Err = ValueError;

    /// `builtin` (or empty), a JSON document (`{…`), `s3://bucket/key`, or a file path.
    fn from_str(text: &str) -> Result<RulesSource, ValueError> {
        let t = text.trim();
        if t.is_empty() || t == "builtin" {
            return Ok(RulesSource::Builtin);
        }
        if t.starts_with('{') {
            return Ok(RulesSource::Inline(t.to_owned()));
        }
        if let Some((bucket, key)) = split_s3_uri(t) {
            return match (bucket, key) {
                (bucket, key) if !bucket.is_empty() && !key.is_empty() => Ok(RulesSource::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                }),
                _ => Err(ValueError::new(t, "is not s3://bucket/key")),
            };
        }
        Ok(RulesSource::Path(PathBuf::from(t)))
    }
}

impl RulesSource {
    /// How errors name this source: `builtin`, `(inline JSON)`, the path, or `s3://bucket/key`.
    pub fn describe(&self) -> String {
        match self {
            RulesSource::Builtin => "builtin".into(),
            RulesSource::Packs(names) => format!("packs {}", names.join(",")),
            RulesSource::Inline(_) => "(inline JSON)".into(),
            RulesSource::Path(p) => p.display().to_string(),
            RulesSource::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }

    /// Loads the rule set. `read_s3(bucket, key)` reads the rule file when it is in S3 (the AWS adapter).
    pub async fn load<F, Fut>(&self, namespace: &str, read_s3: F) -> Result<RuleSet, RulesError>
    where
        F: FnOnce(String, String) -> Fut,
        Fut: Future<Output = Result<String, CallError>>,
    {
        let unreadable = |error: Box<dyn std::error::Error + Send + Sync>| RulesError::Unreadable {
            source_text: self.describe(),
            error,
        };
        let set = match self {
            RulesSource::Builtin => RuleSet::builtin(namespace)?,
            RulesSource::Packs(names) => RuleSet::from_packs(names, namespace)?,
            RulesSource::Inline(json) => RuleSet::from_json("RULES (inline)", json, namespace)?,
            RulesSource::Path(path) => {
                let json = std::fs::read_to_string(path).map_err(|e| unreadable(e.into()))?;
                RuleSet::from_json(&path.display().to_string(), &json, namespace)?
            }
            RulesSource::S3 { bucket, key } => {
                let json = read_s3(bucket.clone(), key.clone())
                    .await
                    .map_err(|e| unreadable(e.into()))?;
                RuleSet::from_json(&format!("s3://{bucket}/{key}"), &json, namespace)?
            }
        };
        Ok(set)
    }
}

impl RulesSource {
    /// `RULES` (default `builtin`) and `RULE_PACKS` (comma-separated built-in packs). Packs choose among
    /// the built-in rules, so naming them with a rule file in `RULES` is an error, as is an unknown pack.
    pub fn from_vars<F: Fn(&str) -> Option<String>>(
        vars: &Vars<F>,
    ) -> Result<RulesSource, VarError> {
        let rules: RulesSource = vars.parsed("RULES", "builtin")?;
        let Some(packs) = vars.get("RULE_PACKS") else {
            return Ok(rules);
        };
        if rules != RulesSource::Builtin {
            return Err(vars.invalid(
                "RULE_PACKS",
                packs,
                ValueError::new(
                    "RULE_PACKS",
                    "chooses built-in packs, but RULES names a rule file: set one of them",
                ),
            ));
        }
        let names: Vec<String> = packs
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        if let Some(unknown) = names.iter().find(|n| pack_json(n).is_none()) {
            let unknown = unknown.clone();
            return Err(vars.invalid(
                "RULE_PACKS",
                packs,
                ValueError::new(
                    &unknown,
                    "is not a built-in pack (start-instances, cis-v7.0.0, cis-v6.0.0, cis-v5.0.0, cis-v4.0.1, cis-v3.0.0, cis-v1.4.0, cis-v1.2.0, securityhub-legacy)",
                ),
            ));
        }
        Ok(RulesSource::Packs(names))
    }
}

/// Rules that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("RULES: {0}")]
    Invalid(#[from] RuleSetError),
    #[error("RULES={source_text}: {error}")]
    Unreadable {
        source_text: String,
        #[source]
        error: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// A custom CloudWatch namespace (`METRIC_NAMESPACE`): not `AWS/…`, at most 255 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace(pub String);

impl std::str::FromStr for Namespace {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<Namespace, ValueError> {
        if text.starts_with("AWS/") || text.len() > 255 {
            return Err(ValueError::new(
                text,
                "is not a custom namespace: it must not start with AWS/ and is at most 255 characters",
            ));
        }
        Ok(Namespace(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn rules_sources() {
        assert_eq!(RulesSource::from_str(" builtin "), Ok(RulesSource::Builtin));
        assert!(matches!(
            RulesSource::from_str(r#"{"rules":[]}"#),
            Ok(RulesSource::Inline(_))
        ));
        assert_eq!(
            RulesSource::from_str("s3://b/rules/x.json"),
            Ok(RulesSource::S3 {
                bucket: "b".into(),
                key: "rules/x.json".into()
            })
        );
        assert_eq!(
            RulesSource::from_str("rules.json"),
            Ok(RulesSource::Path("rules.json".into()))
        );
    }

    #[test]
    fn rule_packs_are_built_in_packs_and_not_with_a_rule_file() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            Vars(move |n: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            })
        };
        assert_eq!(RulesSource::from_vars(&vars(&[])), Ok(RulesSource::Builtin));
        assert_eq!(
            RulesSource::from_vars(&vars(&[("RULE_PACKS", " cis-v5.0.0, start-instances ")])),
            Ok(RulesSource::Packs(vec![
                "cis-v5.0.0".into(),
                "start-instances".into()
            ]))
        );
        let e = RulesSource::from_vars(&vars(&[("RULE_PACKS", "cis-v5.0.0,cis-v2")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("RULE_PACKS") && e.contains("\"cis-v2\" is not a built-in pack"),
            "{e}"
        );
        let e = RulesSource::from_vars(&vars(&[
            ("RULES", "s3://b/rules.json"),
            ("RULE_PACKS", "cis-v5.0.0"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("RULES names a rule file"), "{e}");
    }

    #[test]
    fn a_namespace_is_custom_and_short() {
        assert_eq!(
            Namespace::from_str("Trailwatch"),
            Ok(Namespace("Trailwatch".into()))
        );
        assert!(Namespace::from_str("AWS/EC2").is_err());
        assert!(Namespace::from_str(&"n".repeat(255)).is_ok());
        assert!(Namespace::from_str(&"n".repeat(256)).is_err());
    }
}
