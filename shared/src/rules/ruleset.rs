//! Rule files (modelled on `AWS::Logs::MetricFilter`), their validation, and the built-in rule set.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::event::selector::Selector;
use crate::event::{Event, FieldId, FieldTable, FieldValue};
use crate::rules::pattern::{Pattern, PatternError};
use crate::time::UnixSeconds;

/// The namespace of metrics whose rule does not name one.
pub const DEFAULT_NAMESPACE: &str = "CloudTrailMetrics";

/// The built-in rules: `StartInstances` per principal, Security Hub CloudWatch.1–14 and CIS 4.15.
pub const DEFAULT_RULES_JSON: &str = include_str!("../../rules/default.json");

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

/// The derived field for the principal's name, usable as a dimension value.
pub const PRINCIPAL_NAME: &str = "@principalName";
/// The derived field for `userIdentity.type`, usable as a dimension value.
pub const PRINCIPAL_TYPE: &str = "@principalType";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RuleSpec>,
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
    security: bool,
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
    #[error("{file}: rule {rule:?}: {message}")]
    Invalid {
        file: String,
        rule: String,
        message: String,
    },
    #[error("no rule named {name:?}; the rules are: {available}")]
    UnknownRule { name: String, available: String },
}

/// What a transformation publishes as the datum's value.
#[derive(Debug, Clone)]
pub enum MetricValue {
    Constant(f64),
    Field(FieldId),
}

/// Where a dimension's value comes from.
#[derive(Debug, Clone, Copy)]
pub enum DimensionSource {
    Field(FieldId),
    PrincipalName,
    PrincipalType,
}

#[derive(Debug, Clone)]
pub struct Dimension {
    pub name: Arc<str>,
    /// As written in the rule file: `$.awsRegion` or `@principalName`.
    pub source_text: String,
    pub source: DimensionSource,
}

#[derive(Debug)]
pub struct Transformation {
    pub namespace: Arc<str>,
    pub metric_name: Arc<str>,
    pub value: MetricValue,
    pub value_text: String,
    pub default_value: Option<f64>,
    pub unit: &'static str,
    pub dimensions: Vec<Dimension>,
}

#[derive(Debug)]
pub struct Rule {
    pub name: String,
    pub description: Option<String>,
    pub control: Option<String>,
    /// A security rule: its matches are evidence worth logging (trail-metrics does).
    pub security: bool,
    pub pattern_text: String,
    pub pattern: Pattern,
    pub transformations: Vec<Transformation>,
    /// The pattern tests `eventCategory`, so it also sees Insights and network-activity records
    /// ([`RecordKind`]); other rules see API calls only.
    pub sees_every_kind: bool,
    /// The cardinality guard: distinct dimension value sets per hour of events in one file.
    pub max_dimension_values_per_hour: usize,
}

/// What a CloudTrail record is, by its `eventCategory` (or, where that is missing, its `eventType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// A management or data event (or a record that says neither): one API call, console action,
    /// sign-in or service event.
    ApiCall,
    /// A CloudTrail Insights event: the start or end of unusual API activity, a summary of many calls.
    Insight,
    /// An aggregated data-event summary: counts of calls over a 5-minute window.
    Aggregated,
    /// A network activity event: a call through a VPC endpoint, as the endpoint saw it. Calls that
    /// got through are also management or data events.
    NetworkActivity,
}

/// The fields behind the principal name: `userIdentity.type` and the field each type names.
#[derive(Debug, Clone, Copy)]
struct PrincipalFields {
    kind: FieldId,
    user_name: FieldId,
    issuer_user_name: FieldId,
    invoked_by: FieldId,
    on_behalf_of: FieldId,
}

/// Compiled rules plus the table of every field they read.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    fields: FieldTable,
    event_time: FieldId,
    event_name: FieldId,
    principal: PrincipalFields,
    /// Interned only when evidence is wanted: every field the table holds costs time per record.
    evidence: Option<EvidenceFields>,
    /// FNV-1a of the rule file's text, the default namespace and any selection.
    fingerprint: u64,
    /// Fields that tell a digest file or a LookupEvents record from an event.
    pub(crate) shape: ShapeFields,
}

/// The fields an evidence line quotes besides name, time and principal.
#[derive(Debug, Clone, Copy)]
struct EvidenceFields {
    event_id: FieldId,
    source_ip: FieldId,
    account: FieldId,
    region: FieldId,
}

/// The few fields that say who did what, when and from where: what trail-metrics logs for each event a
/// security rule matches. Never the whole record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evidence {
    pub rule: String,
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    #[serde(rename = "eventTime")]
    pub event_time: Option<String>,
    #[serde(rename = "eventName")]
    pub event_name: Option<String>,
    pub principal: Option<String>,
    /// The principal as a dimension value, when that differs from `principal`: the form to search
    /// for in CloudWatch ([`crate::metrics::published_dimension_value`]).
    #[serde(rename = "principalPublished", skip_serializing_if = "Option::is_none")]
    pub principal_published: Option<String>,
    #[serde(rename = "principalType")]
    pub principal_type: Option<String>,
    #[serde(rename = "sourceIPAddress")]
    pub source_ip: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct ShapeFields {
    pub records: FieldId,
    pub digest_log_files: FieldId,
    pub digest_end_time: FieldId,
    pub lookup_event_id: FieldId,
    pub lookup_cloudtrail_event: FieldId,
    /// `{"Events":[…]}`: a page of LookupEvents output.
    pub lookup_events: FieldId,
    pub event_category: FieldId,
    pub event_type: FieldId,
}

impl RuleSet {
    /// The built-in rules, publishing to `namespace` where a rule names none.
    pub fn builtin(namespace: &str) -> Result<RuleSet, RuleSetError> {
        RuleSet::from_json("(built-in rules)", DEFAULT_RULES_JSON, namespace)
    }

    /// Reads a rule file (`{"rules":[…]}`); `file` names it in errors.
    pub fn from_json(file: &str, json: &str, namespace: &str) -> Result<RuleSet, RuleSetError> {
        let spec: RuleFile = serde_json::from_str(json).map_err(|e| RuleSetError::Json {
            file: file.to_owned(),
            line: e.line(),
            column: e.column(),
            message: json_message(&e),
        })?;
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
        for r in spec.rules {
            let invalid = |message: String| RuleSetError::Invalid {
                file: file.to_owned(),
                rule: r.name.clone(),
                message,
            };
            if r.name.trim().is_empty() {
                return Err(invalid("the rule name is empty".into()));
            }
            if rules.iter().any(|other| other.name == r.name) {
                return Err(invalid("another rule has the same name".into()));
            }
            let pattern = Pattern::parse(&r.filter_pattern, &mut fields).map_err(|error| {
                RuleSetError::Pattern {
                    file: file.to_owned(),
                    rule: r.name.clone(),
                    pattern: r.filter_pattern.clone(),
                    error,
                }
            })?;
            if r.metric_transformations.is_empty() {
                return Err(invalid("metricTransformations is empty".into()));
            }
            let max_dimension_values_per_hour = match r.max_dimension_values_per_hour {
                None => DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR,
                Some(0) => {
                    return Err(invalid(
                        "maxDimensionValuesPerHour is 0: it must be at least 1".into(),
                    ))
                }
                Some(n) => n,
            };
            let transformations = r
                .metric_transformations
                .iter()
                .map(|t| compile_transformation(t, namespace, &mut fields).map_err(&invalid))
                .collect::<Result<Vec<_>, _>>()?;
            rules.push(Rule {
                sees_every_kind: pattern.tests(shape.event_category),
                max_dimension_values_per_hour,
                name: r.name,
                description: r.description,
                control: r.control,
                security: r.security,
                pattern_text: r.filter_pattern,
                pattern,
                transformations,
            });
        }
        Ok(RuleSet {
            rules,
            fields,
            event_time,
            event_name,
            principal,
            evidence: None,
            fingerprint: fnv1a(fnv1a(FNV_OFFSET, json.as_bytes()), namespace.as_bytes()),
            shape,
        })
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

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn fields(&self) -> &FieldTable {
        &self.fields
    }

    /// What kind of record `event` is. Records that say neither category nor type are API calls, as
    /// every event before categories was.
    pub fn record_kind(&self, event: &Event<'_>) -> RecordKind {
        let category = event.get(self.shape.event_category);
        match category.as_str() {
            Some("Insight") => return RecordKind::Insight,
            Some("Aggregated") => return RecordKind::Aggregated,
            Some("NetworkActivity") => return RecordKind::NetworkActivity,
            Some(_) => return RecordKind::ApiCall,
            None => {}
        }
        // The record-contents reference spells the network type `AwsVpceEvents`, its examples
        // `AwsVpceEvent`.
        match event.get(self.shape.event_type).as_str() {
            Some("AwsCloudTrailInsight") => RecordKind::Insight,
            Some("AwsAggregatedEvent") => RecordKind::Aggregated,
            Some("AwsVpceEvent" | "AwsVpceEvents") => RecordKind::NetworkActivity,
            _ => RecordKind::ApiCall,
        }
    }

    /// The event's `eventTime`, if it has a usable one.
    pub fn event_time(&self, event: &Event<'_>) -> Option<UnixSeconds> {
        event
            .get(self.event_time)
            .as_str()
            .and_then(UnixSeconds::parse_rfc3339)
    }

    /// `StartInstances at 2023-07-10T11:45:02Z by alice`: an event in a few words, for people.
    pub fn describe(&self, event: &Event<'_>) -> String {
        if !event.is_object() {
            return "not a JSON object".into();
        }
        let name = event
            .get(self.event_name)
            .as_str()
            .unwrap_or("(no eventName)");
        let time = event
            .get(self.event_time)
            .as_str()
            .unwrap_or("(no eventTime)");
        match self.principal_name(event) {
            Some(who) => format!("{name} at {time} by {who}"),
            None => format!("{name} at {time}"),
        }
    }

    /// Who acted: IAMUser → `userName`; AssumedRole, Role, FederatedUser → the session issuer's
    /// `userName`; Root → `root`; AWSService → `invokedBy`; IdentityCenterUser → `onBehalfOf.userId`;
    /// any other type → `userName` when it has one.
    pub fn principal_name<'e>(&self, event: &'e Event<'_>) -> Option<Cow<'e, str>> {
        let p = &self.principal;
        let field = match event.get(p.kind).as_str()? {
            "Root" => return Some(Cow::Borrowed("root")),
            "AssumedRole" | "Role" | "FederatedUser" => p.issuer_user_name,
            "AWSService" => p.invoked_by,
            "IdentityCenterUser" => p.on_behalf_of,
            _ => p.user_name,
        };
        event
            .get(field)
            .as_str()
            .filter(|s| !s.is_empty())
            .map(Cow::Borrowed)
    }

    /// Identifies the rules and namespace: two rule sets with the same fingerprint make the same datums
    /// from the same file. 16 hex digits.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", self.fingerprint)
    }

    /// Makes the fields evidence lines quote readable: call before [`RuleSet::evidence`].
    pub fn intern_evidence_fields(&mut self) {
        if self.evidence.is_none() {
            let fields = &mut self.fields;
            self.evidence = Some(EvidenceFields {
                event_id: fields.intern(&Selector::keys(&["eventID"])),
                source_ip: fields.intern(&Selector::keys(&["sourceIPAddress"])),
                account: fields.intern(&Selector::keys(&["recipientAccountId"])),
                region: fields.intern(&Selector::keys(&["awsRegion"])),
            });
        }
    }

    /// What an evidence line says about `event`, matched by `rule`. Without
    /// [`RuleSet::intern_evidence_fields`] it holds only name, time and principal.
    pub fn evidence(&self, rule: &Rule, event: &Event<'_>) -> Evidence {
        let text = |id| event.get(id).as_str().map(str::to_owned);
        let field = |pick: fn(&EvidenceFields) -> FieldId| {
            self.evidence.as_ref().and_then(|e| text(pick(e)))
        };
        let principal = self.principal_name(event).map(Cow::into_owned);
        let principal_published = principal.as_deref().and_then(|p| {
            let published = crate::metrics::published_dimension_value(p);
            (published != p).then(|| published.into_owned())
        });
        Evidence {
            rule: rule.name.clone(),
            event_id: field(|e| e.event_id),
            event_time: text(self.event_time),
            event_name: text(self.event_name),
            principal,
            principal_published,
            principal_type: text(self.principal.kind),
            source_ip: field(|e| e.source_ip),
            account: field(|e| e.account),
            region: field(|e| e.region),
        }
    }

    /// A dimension's value for this event, if it has one.
    pub fn dimension_value<'e>(
        &self,
        source: DimensionSource,
        event: &'e Event<'_>,
    ) -> Option<Cow<'e, str>> {
        match source {
            DimensionSource::Field(id) => event.get(id).dimension_text(),
            DimensionSource::PrincipalName => self.principal_name(event),
            DimensionSource::PrincipalType => {
                event.get(self.principal.kind).as_str().map(Cow::Borrowed)
            }
        }
    }

    /// A transformation's value for this event: the constant, or the field when it holds a number
    /// (a JSON number, or a string that is one).
    pub fn metric_value(&self, value: &MetricValue, event: &Event<'_>) -> Option<f64> {
        match value {
            MetricValue::Constant(v) => Some(*v),
            MetricValue::Field(id) => match event.get(*id) {
                FieldValue::Number(n) => Some(*n),
                FieldValue::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|v| v.is_finite()),
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // A separator, so ("ab", "c") and ("a", "bc") differ.
    (hash ^ 0xff).wrapping_mul(0x0100_0000_01b3)
}

fn json_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the error already says where.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > 255 {
        return Err(format!("{what} must be 1 to 255 characters long"));
    }
    if let Some(c) = name.chars().find(|c| matches!(c, ':' | '*' | '$')) {
        return Err(format!(
            "{what} {name:?} contains `{c}`, which CloudWatch does not allow"
        ));
    }
    Ok(())
}

fn compile_transformation(
    t: &TransformationSpec,
    default_namespace: &str,
    fields: &mut FieldTable,
) -> Result<Transformation, String> {
    check_name("metricName", &t.metric_name)?;
    let namespace = t.metric_namespace.as_deref().unwrap_or(default_namespace);
    check_name("metricNamespace", namespace)?;
    if namespace.starts_with("AWS/") {
        return Err(format!(
            "metricNamespace {namespace:?}: namespaces starting with AWS/ are reserved for AWS"
        ));
    }
    let (value, value_text) = match &t.metric_value {
        NumberOrText::Number(n) => (MetricValue::Constant(*n), crate::text::format_number(*n)),
        NumberOrText::Text(text) => {
            let trimmed = text.trim();
            let value = if trimmed.starts_with('$') {
                let selector = Selector::parse(trimmed)
                    .map_err(|e| format!("metricValue {text:?}: {}", e.message))?;
                MetricValue::Field(fields.intern(&selector))
            } else {
                let n: f64 = trimmed.parse().map_err(|_| {
                    format!(
                        "metricValue {text:?} is neither a number nor a selector like \"$.bytes\""
                    )
                })?;
                MetricValue::Constant(n)
            };
            if text.chars().count() > 100 {
                return Err("metricValue is longer than CloudWatch's 100 characters".into());
            }
            (value, trimmed.to_owned())
        }
    };
    if let MetricValue::Constant(n) = value {
        if !n.is_finite() {
            return Err("metricValue must be a finite number".into());
        }
    }
    if t.default_value.is_some_and(|v| !v.is_finite()) {
        return Err("defaultValue must be a finite number".into());
    }
    let unit = match &t.unit {
        None => "None",
        Some(u) => UNITS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(u))
            .copied()
            .ok_or_else(|| format!("unit {u:?} is not a CloudWatch unit ({})", UNITS.join(", ")))?,
    };
    if t.dimensions.len() > 3 {
        return Err(format!(
            "{} dimensions; a metric filter has at most 3",
            t.dimensions.len()
        ));
    }
    if !t.dimensions.is_empty() && t.default_value.is_some() {
        return Err(
            "dimensions and defaultValue cannot be used together (as in CloudWatch)".into(),
        );
    }
    let dimensions = t
        .dimensions
        .iter()
        .map(|(name, source_text)| {
            if name.is_empty() || name.len() > 255 || !name.is_ascii() || name.starts_with(':') || name.trim().is_empty() {
                return Err(format!(
                    "dimension name {name:?} must be 1 to 255 ASCII characters, not starting with `:`"
                ));
            }
            let source = match source_text.trim() {
                PRINCIPAL_NAME => DimensionSource::PrincipalName,
                PRINCIPAL_TYPE => DimensionSource::PrincipalType,
                s if s.starts_with('$') => DimensionSource::Field(
                    fields.intern(
                        &Selector::parse(s).map_err(|e| format!("dimension {name:?}: {s:?}: {}", e.message))?,
                    ),
                ),
                s => {
                    return Err(format!(
                        "dimension {name:?}: {s:?} is neither a selector like \"$.awsRegion\" nor a derived field ({PRINCIPAL_NAME}, {PRINCIPAL_TYPE})"
                    ))
                }
            };
            Ok(Dimension {
                name: name.as_str().into(),
                source_text: source_text.clone(),
                source,
            })
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(json: &str) -> Result<RuleSet, RuleSetError> {
        RuleSet::from_json("rules.json", json, DEFAULT_NAMESPACE)
    }

    fn one(transformation: &str) -> String {
        format!(
            r#"{{"rules":[{{"name":"r","filterPattern":"","metricTransformations":[{transformation}]}}]}}"#
        )
    }

    #[test]
    fn builtin_rules_compile_with_the_documented_names() {
        let set = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
        let names: Vec<_> = set.rules().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "StartInstances",
                "RootAccountUsage",
                "UnauthorizedAPICalls",
                "ConsoleSignInWithoutMFA",
                "IAMPolicyChanges",
                "CloudTrailConfigChanges",
                "ConsoleSignInFailures",
                "KMSKeyDisabledOrScheduledForDeletion",
                "S3BucketPolicyChanges",
                "AWSConfigChanges",
                "SecurityGroupChanges",
                "NACLChanges",
                "NetworkGatewayChanges",
                "RouteTableChanges",
                "VPCChanges",
                "OrganizationsChanges"
            ]
        );
        for r in &set.rules()[1..] {
            assert!(r.security, "{}", r.name);
            let t = &r.transformations[0];
            assert_eq!(
                (t.default_value, t.dimensions.len(), &*t.namespace),
                (Some(0.0), 0, DEFAULT_NAMESPACE)
            );
        }
    }

    #[test]
    fn principal_name_follows_the_identity_type() {
        let set = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
        let cases = [
            (
                r#"{"userIdentity":{"type":"IAMUser","userName":"alice"}}"#,
                Some("alice"),
            ),
            (
                r#"{"userIdentity":{"type":"AssumedRole","userName":"x","sessionContext":{"sessionIssuer":{"userName":"Admin"}}}}"#,
                Some("Admin"),
            ),
            (
                r#"{"userIdentity":{"type":"FederatedUser","sessionContext":{"sessionIssuer":{"userName":"bob"}}}}"#,
                Some("bob"),
            ),
            (
                r#"{"userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"}}"#,
                Some("root"),
            ),
            (
                r#"{"userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}}"#,
                Some("ec2.amazonaws.com"),
            ),
            (
                r#"{"userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1"}}}"#,
                Some("u-1"),
            ),
            (
                r#"{"userIdentity":{"type":"SAMLUser","userName":"carol"}}"#,
                Some("carol"),
            ),
            (r#"{"userIdentity":{"type":"IAMUser"}}"#, None),
            (r#"{"eventName":"x"}"#, None),
        ];
        for (json, expected) in cases {
            let e = set.fields().extract(json).unwrap();
            assert_eq!(set.principal_name(&e).as_deref(), expected, "{json}");
        }
    }

    #[test]
    fn rejects_what_cloudwatch_rejects() {
        let cases = [
            (
                one(
                    r#"{"metricName":"m","metricValue":"1","defaultValue":0,"dimensions":{"U":"$.u"}}"#,
                ),
                "cannot be used together",
            ),
            (
                one(
                    r#"{"metricName":"m","metricValue":"1","dimensions":{"a":"$.a","b":"$.b","c":"$.c","d":"$.d"}}"#,
                ),
                "at most 3",
            ),
            (
                one(r#"{"metricName":"m:x","metricValue":"1"}"#),
                "contains `:`",
            ),
            (
                one(r#"{"metricName":"m","metricValue":"one"}"#),
                "neither a number nor a selector",
            ),
            (
                one(r#"{"metricName":"m","metricValue":"1","unit":"Parsecs"}"#),
                "not a CloudWatch unit",
            ),
            (
                one(r#"{"metricName":"m","metricNamespace":"AWS/EC2","metricValue":"1"}"#),
                "reserved",
            ),
            (
                one(r#"{"metricName":"m","metricValue":"1","dimensions":{"U":"userName"}}"#),
                "neither a selector",
            ),
            (
                one(r#"{"metricName":"m","metricValue":"1","dimension":{}}"#),
                "unknown field `dimension`",
            ),
        ];
        for (json, needle) in cases {
            let err = rules(&json).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
            assert!(err.starts_with("rules.json"), "{err}");
        }
    }

    #[test]
    fn pattern_errors_name_the_rule_and_point_at_the_column() {
        let err = rules(r#"{"rules":[{"name":"Broken","filterPattern":"{ $.a = }","metricTransformations":[{"metricName":"m","metricValue":"1"}]}]}"#)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "rules.json: rule \"Broken\": filterPattern column 9: expected a value, found `}`\n    { $.a = }\n            ^");
    }

    #[test]
    fn json_errors_give_line_and_column() {
        let err = rules("{\"rules\": [\n  {\"name\": }\n]}")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("rules.json: line 2, column "), "{err}");
    }

    #[test]
    fn select_keeps_named_rules_and_rejects_unknown_names() {
        let set = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
        let set = set
            .select(&["VPCChanges".into(), "RootAccountUsage".into()])
            .unwrap();
        assert_eq!(set.rules().len(), 2);
        assert_eq!(set.rules()[0].name, "VPCChanges");
        let err = RuleSet::builtin(DEFAULT_NAMESPACE)
            .unwrap()
            .select(&["Nope".into()])
            .unwrap_err();
        assert!(err.to_string().contains("StartInstances"));
    }

    #[test]
    fn metric_value_from_a_field_needs_a_number() {
        let set = rules(&one(r#"{"metricName":"m","metricValue":"$.bytes"}"#)).unwrap();
        let t = &set.rules()[0].transformations[0];
        let value = |json: &str| set.metric_value(&t.value, &set.fields().extract(json).unwrap());
        assert_eq!(value(r#"{"bytes":12.5}"#), Some(12.5));
        assert_eq!(value(r#"{"bytes":"7"}"#), Some(7.0));
        assert_eq!(value(r#"{"bytes":"seven"}"#), None);
        assert_eq!(value(r#"{}"#), None);
    }
}
