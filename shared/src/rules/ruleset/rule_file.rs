//! Rule files (modelled on `AWS::Logs::MetricFilter`): their JSON, and compiling and validating them into a
//! [`RuleSet`].

use super::builtin::{pack_json, DEFAULT_PACKS, PACKS};
use super::{
    fnv1a, Dimension, DimensionSource, MetricValue, PrincipalFields, Rule, RuleSet, ShapeFields,
    Transformation, ACCOUNT, ACTOR, FNV_OFFSET, PRINCIPAL_NAME, PRINCIPAL_TYPE, REGION,
};
use crate::event::selector::{Selector, SelectorError};
use crate::event::{FieldId, FieldTable};
use crate::rules::pattern::{Pattern, PatternError};
use serde::Deserialize;
use std::collections::BTreeMap;

/// CloudWatch's metric units.
pub const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct RuleFile {
    /// A built-in pack's name and title.
    #[serde(default)]
    pack: Option<String>,
    #[serde(default)]
    title: Option<String>,
    rules: Vec<RuleSpec>,
    /// Roles people sign in to, for `@actor` (`okta-*`): their sessions are named after the person.
    #[serde(default)]
    person_roles: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RuleSpec {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    control: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    precedence: Option<String>,
    /// The pack the rule came from (set when packs are combined, not read from the file).
    #[serde(skip)]
    pack: Option<String>,
    #[serde(default)]
    security: bool,
    /// Also watched on the real-time path (EventBridge): each match is notified at once.
    #[serde(default)]
    realtime: bool,
    filter_pattern: String,
    metric_transformations: Vec<TransformationSpec>,
    #[serde(default)]
    max_dimension_values_per_hour: Option<usize>,
}

/// Distinct dimension values a rule may publish per hour of events in one file before further
/// values fold into [`crate::metrics::OVERFLOW_DIMENSION_VALUE`]. Modelled on CloudWatch Logs, which
/// may disable a metric filter that makes 1,000 different name/value pairs in an hour.
pub const DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TransformationSpec {
    metric_name: String,
    #[serde(default)]
    metric_namespace: Option<String>,
    metric_value: NumberOrText,
    #[serde(default)]
    default_value: Option<f64>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(f64),
    Text(String),
}

/// Why a rule file cannot be used. Each variant names the file and, where it applies, the rule.
#[derive(Debug, thiserror::Error)]
pub enum RuleSetError {
    #[error("{file}: cannot read: {error}")]
    Read { file: String, error: std::io::Error },
    #[error("{file}: line {line}, column {column}: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: rule {rule:?}: filterPattern {error}\n    {pattern}\n    {caret:>width$}", caret = "^", width = error.column)]
    Pattern {
        file: String,
        rule: String,
        pattern: String,
        error: PatternError,
    },
    #[error("{file}: rule {rule:?}: {problem}")]
    Invalid {
        file: String,
        rule: String,
        #[source]
        problem: Box<RuleProblem>,
    },
    #[error("no rule named {name:?}; the rules are: {available}")]
    UnknownRule { name: String, available: String },
    #[error("no rule pack named {name:?}; the packs are: {available}")]
    UnknownPack { name: String, available: String },
    #[error("packs {first} and {second} both have a rule {rule:?}, with different patterns: choose one of them (each publishes metric {rule})")]
    PackConflict {
        rule: String,
        first: String,
        second: String,
    },
}

/// What is wrong with one rule of a rule file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleProblem {
    #[error("the rule name is empty")]
    EmptyName,
    #[error("another rule has the same name")]
    DuplicateName,
    #[error("metricTransformations is empty")]
    NoTransformations,
    #[error("maxDimensionValuesPerHour is 0: it must be at least 1")]
    NoDimensionValues,
    #[error("{what} must be 1 to 255 characters long")]
    NameLength { what: &'static str },
    #[error("{what} {name:?} contains `{c}`, which CloudWatch does not allow")]
    NameCharacter {
        what: &'static str,
        name: String,
        c: char,
    },
    #[error("metricNamespace {0:?}: namespaces starting with AWS/ are reserved for AWS")]
    ReservedNamespace(String),
    #[error("metricValue {text:?}: {}", error.message)]
    ValueSelector { text: String, error: SelectorError },
    #[error("metricValue {0:?} is neither a number nor a selector like \"$.bytes\"")]
    ValueNotNumber(String),
    #[error("metricValue is longer than CloudWatch's 100 characters")]
    ValueTooLong,
    #[error("metricValue must be a finite number")]
    ValueNotFinite,
    #[error("defaultValue must be a finite number")]
    DefaultNotFinite,
    #[error("unit {0:?} is not a CloudWatch unit ({units})", units = UNITS.join(", "))]
    UnknownUnit(String),
    #[error("{0} dimensions; a metric filter has at most 3")]
    TooManyDimensions(usize),
    #[error("dimensions and defaultValue cannot be used together (as in CloudWatch)")]
    DimensionsWithDefault,
    #[error("dimension name {0:?} must be 1 to 255 ASCII characters, not starting with `:`")]
    DimensionName(String),
    #[error("dimension {name:?}: {text:?}: {}", error.message)]
    DimensionSelector {
        name: String,
        text: String,
        error: SelectorError,
    },
    #[error("dimension {name:?}: {text:?} is neither a selector like \"$.awsRegion\" nor a derived field ({PRINCIPAL_NAME}, {PRINCIPAL_TYPE}, {ACTOR}, {ACCOUNT}, {REGION})")]
    DimensionSource { name: String, text: String },
}

fn parse_rule_file(file: &str, json: &str) -> Result<RuleFile, RuleSetError> {
    serde_json::from_str(json).map_err(|e| RuleSetError::Json {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: json_message(&e),
    })
}

fn json_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the error already says where.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// One rule of a rule file, checked against the rules before it.
fn compile_rule(
    r: RuleSpec,
    file: &str,
    namespace: &str,
    earlier: &[Rule],
    fields: &mut FieldTable,
    event_category: FieldId,
) -> Result<Rule, RuleSetError> {
    let invalid = |problem: RuleProblem| RuleSetError::Invalid {
        file: file.to_owned(),
        rule: r.name.clone(),
        problem: Box::new(problem),
    };
    if r.name.trim().is_empty() {
        return Err(invalid(RuleProblem::EmptyName));
    }
    if earlier.iter().any(|other| other.name == r.name) {
        return Err(invalid(RuleProblem::DuplicateName));
    }
    let pattern =
        Pattern::parse(&r.filter_pattern, fields).map_err(|error| RuleSetError::Pattern {
            file: file.to_owned(),
            rule: r.name.clone(),
            pattern: r.filter_pattern.clone(),
            error,
        })?;
    if r.metric_transformations.is_empty() {
        return Err(invalid(RuleProblem::NoTransformations));
    }
    let max_dimension_values_per_hour = match r.max_dimension_values_per_hour {
        None => DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR,
        Some(0) => return Err(invalid(RuleProblem::NoDimensionValues)),
        Some(n) => n,
    };
    let transformations = r
        .metric_transformations
        .iter()
        .map(|t| compile_transformation(t, namespace, fields).map_err(&invalid))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Rule {
        sees_every_kind: pattern.tests(event_category),
        max_dimension_values_per_hour,
        name: r.name,
        description: r.description,
        control: r.control,
        title: r.title,
        source: r.source,
        precedence: r.precedence,
        pack: r.pack,
        security: r.security,
        realtime: r.realtime,
        pattern_text: r.filter_pattern,
        pattern,
        transformations,
    })
}

fn check_name(what: &'static str, name: &str) -> Result<(), RuleProblem> {
    if name.is_empty() || name.chars().count() > 255 {
        return Err(RuleProblem::NameLength { what });
    }
    if let Some(c) = name.chars().find(|c| matches!(c, ':' | '*' | '$')) {
        return Err(RuleProblem::NameCharacter {
            what,
            name: name.to_owned(),
            c,
        });
    }
    Ok(())
}

fn compile_transformation(
    t: &TransformationSpec,
    default_namespace: &str,
    fields: &mut FieldTable,
) -> Result<Transformation, RuleProblem> {
    check_name("metricName", &t.metric_name)?;
    let namespace = t.metric_namespace.as_deref().unwrap_or(default_namespace);
    check_name("metricNamespace", namespace)?;
    if namespace.starts_with("AWS/") {
        return Err(RuleProblem::ReservedNamespace(namespace.to_owned()));
    }
    let (value, value_text) = compile_metric_value(&t.metric_value, fields)?;
    if let MetricValue::Constant(n) = value {
        if !n.is_finite() {
            return Err(RuleProblem::ValueNotFinite);
        }
    }
    if t.default_value.is_some_and(|v| !v.is_finite()) {
        return Err(RuleProblem::DefaultNotFinite);
    }
    let unit = match &t.unit {
        None => "None",
        Some(u) => UNITS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(u))
            .copied()
            .ok_or_else(|| RuleProblem::UnknownUnit(u.clone()))?,
    };
    if t.dimensions.len() > 3 {
        return Err(RuleProblem::TooManyDimensions(t.dimensions.len()));
    }
    if !t.dimensions.is_empty() && t.default_value.is_some() {
        return Err(RuleProblem::DimensionsWithDefault);
    }
    let dimensions = t
        .dimensions
        .iter()
        .map(|(name, source_text)| compile_dimension(name, source_text, fields))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Transformation {
        namespace: namespace.into(),
        metric_name: t.metric_name.as_str().into(),
        value,
        value_text,
        default_value: t.default_value,
        unit,
        dimensions,
    })
}

/// `metricValue`: a number, or a selector whose value is the number.
fn compile_metric_value(
    value: &NumberOrText,
    fields: &mut FieldTable,
) -> Result<(MetricValue, String), RuleProblem> {
    Ok(match value {
        NumberOrText::Number(n) => (MetricValue::Constant(*n), crate::text::format_number(*n)),
        NumberOrText::Text(text) => {
            let trimmed = text.trim();
            let value = if trimmed.starts_with('$') {
                let selector =
                    Selector::parse(trimmed).map_err(|error| RuleProblem::ValueSelector {
                        text: text.clone(),
                        error,
                    })?;
                MetricValue::Field(fields.intern(&selector))
            } else {
                let n: f64 = trimmed
                    .parse()
                    .map_err(|_| RuleProblem::ValueNotNumber(text.clone()))?;
                MetricValue::Constant(n)
            };
            if text.chars().count() > 100 {
                return Err(RuleProblem::ValueTooLong);
            }
            (value, trimmed.to_owned())
        }
    })
}

/// One dimension: its name, and where its value comes from (a selector or a derived field).
fn compile_dimension(
    name: &str,
    source_text: &str,
    fields: &mut FieldTable,
) -> Result<Dimension, RuleProblem> {
    if name.is_empty()
        || name.len() > 255
        || !name.is_ascii()
        || name.starts_with(':')
        || name.trim().is_empty()
    {
        return Err(RuleProblem::DimensionName(name.to_owned()));
    }
    let source = match source_text.trim() {
        PRINCIPAL_NAME => DimensionSource::PrincipalName,
        PRINCIPAL_TYPE => DimensionSource::PrincipalType,
        ACTOR => DimensionSource::Actor,
        ACCOUNT => DimensionSource::Account(
            fields.intern(&Selector::keys(&["recipientAccountId"])),
            fields.intern(&Selector::keys(&["userIdentity", "accountId"])),
        ),
        REGION => DimensionSource::Field(fields.intern(&Selector::keys(&["awsRegion"]))),
        s if s.starts_with('$') => {
            DimensionSource::Field(fields.intern(&Selector::parse(s).map_err(|error| {
                RuleProblem::DimensionSelector {
                    name: name.to_owned(),
                    text: s.to_owned(),
                    error,
                }
            })?))
        }
        s => {
            return Err(RuleProblem::DimensionSource {
                name: name.to_owned(),
                text: s.to_owned(),
            })
        }
    };
    Ok(Dimension {
        name: name.into(),
        source_text: source_text.to_owned(),
        source,
    })
}

impl RuleSet {
    /// The built-in rules ([`DEFAULT_PACKS`]), publishing to `namespace` where a rule names none.
    pub fn builtin(namespace: &str) -> Result<RuleSet, RuleSetError> {
        RuleSet::from_packs(&DEFAULT_PACKS, namespace)
    }

    /// The rules of built-in packs, in the order named. A rule two packs share with the same pattern is
    /// kept once; with different patterns it is an error, since both would publish one metric.
    pub fn from_packs<S: AsRef<str>>(
        names: &[S],
        namespace: &str,
    ) -> Result<RuleSet, RuleSetError> {
        let mut combined = RuleFile {
            pack: None,
            title: None,
            rules: Vec::new(),
            person_roles: Vec::new(),
        };
        let mut hashed = FNV_OFFSET;
        let mut packs = Vec::new();
        for name in names {
            let name = name.as_ref().trim();
            let json = pack_json(name).ok_or_else(|| RuleSetError::UnknownPack {
                name: name.to_owned(),
                available: PACKS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
            })?;
            hashed = fnv1a(hashed, json.as_bytes());
            let spec = parse_rule_file(&format!("(pack {name})"), json)?;
            packs.push((name.to_owned(), spec.title.clone().unwrap_or_default()));
            for mut rule in spec.rules {
                if let Some(earlier) = combined.rules.iter().find(|r| r.name == rule.name) {
                    if earlier.filter_pattern == rule.filter_pattern {
                        continue;
                    }
                    return Err(RuleSetError::PackConflict {
                        rule: rule.name,
                        first: earlier.pack.clone().unwrap_or_default(),
                        second: name.to_owned(),
                    });
                }
                rule.pack = Some(name.to_owned());
                combined.rules.push(rule);
            }
            combined.person_roles.extend(spec.person_roles);
        }
        let file = format!(
            "(packs {})",
            names
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut set = RuleSet::from_spec(
            &file,
            combined,
            fnv1a(hashed, namespace.as_bytes()),
            namespace,
        )?;
        set.packs = packs;
        Ok(set)
    }

    /// Reads a rule file (`{"rules":[…]}`); `file` names it in errors.
    pub fn from_json(file: &str, json: &str, namespace: &str) -> Result<RuleSet, RuleSetError> {
        let spec = parse_rule_file(file, json)?;
        let fingerprint = fnv1a(fnv1a(FNV_OFFSET, json.as_bytes()), namespace.as_bytes());
        RuleSet::from_spec(file, spec, fingerprint, namespace)
    }

    fn from_spec(
        file: &str,
        spec: RuleFile,
        fingerprint: u64,
        namespace: &str,
    ) -> Result<RuleSet, RuleSetError> {
        let mut fields = FieldTable::default();
        let event_time = fields.intern(&Selector::keys(&["eventTime"]));
        let event_name = fields.intern(&Selector::keys(&["eventName"]));
        let principal = PrincipalFields {
            kind: fields.intern(&Selector::keys(&["userIdentity", "type"])),
            user_name: fields.intern(&Selector::keys(&["userIdentity", "userName"])),
            issuer_user_name: fields.intern(&Selector::keys(&[
                "userIdentity",
                "sessionContext",
                "sessionIssuer",
                "userName",
            ])),
            invoked_by: fields.intern(&Selector::keys(&["userIdentity", "invokedBy"])),
            on_behalf_of: fields.intern(&Selector::keys(&["userIdentity", "onBehalfOf", "userId"])),
        };
        let shape = ShapeFields {
            records: fields.intern(&Selector::keys(&["Records"])),
            digest_log_files: fields.intern(&Selector::keys(&["logFiles"])),
            digest_end_time: fields.intern(&Selector::keys(&["digestEndTime"])),
            lookup_event_id: fields.intern(&Selector::keys(&["EventId"])),
            lookup_cloudtrail_event: fields.intern(&Selector::keys(&["CloudTrailEvent"])),
            lookup_events: fields.intern(&Selector::keys(&["Events"])),
            event_category: fields.intern(&Selector::keys(&["eventCategory"])),
            event_type: fields.intern(&Selector::keys(&["eventType"])),
        };
        let mut rules: Vec<Rule> = Vec::with_capacity(spec.rules.len());
        let packs = match (&spec.pack, &spec.title) {
            (Some(name), title) => vec![(name.clone(), title.clone().unwrap_or_default())],
            _ => Vec::new(),
        };
        for mut r in spec.rules {
            if r.pack.is_none() {
                r.pack.clone_from(&spec.pack);
            }
            let rule = compile_rule(
                r,
                file,
                namespace,
                &rules,
                &mut fields,
                shape.event_category,
            )?;
            rules.push(rule);
        }
        let uses_actor = rules.iter().any(|r| {
            r.transformations.iter().any(|t| {
                t.dimensions
                    .iter()
                    .any(|d| matches!(d.source, DimensionSource::Actor))
            })
        });
        let mut set = RuleSet {
            rules,
            fields,
            event_time,
            event_name,
            principal,
            actor: None,
            person_roles: spec.person_roles,
            evidence: None,
            fingerprint,
            packs,
            shape,
        };
        if uses_actor {
            set.intern_actor_fields();
        }
        Ok(set)
    }

    /// Keeps only the named rules, in the order given.
    pub fn select(mut self, names: &[String]) -> Result<RuleSet, RuleSetError> {
        let mut kept = Vec::with_capacity(names.len());
        for name in names {
            let Some(i) = self.rules.iter().position(|r| &r.name == name) else {
                return Err(RuleSetError::UnknownRule {
                    name: name.clone(),
                    available: self
                        .rules
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            kept.push(self.rules.remove(i));
            self.fingerprint = fnv1a(self.fingerprint, name.as_bytes());
        }
        self.rules = kept;
        Ok(self)
    }
}
