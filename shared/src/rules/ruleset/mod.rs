//! Rule files (modelled on `AWS::Logs::MetricFilter`), their validation, and the built-in rule set.

mod builtin;
mod evidence;
mod rule_file;

pub use builtin::{pack_json, DEFAULT_NAMESPACE, DEFAULT_PACKS, PACKS};
pub use evidence::Evidence;
pub use rule_file::{RuleProblem, RuleSetError, DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR, UNITS};

use crate::event::selector::Selector;
use crate::event::{Event, FieldId, FieldTable, FieldValue};
use crate::rules::pattern::Pattern;
use crate::time::UnixSeconds;
use evidence::EvidenceFields;
use std::borrow::Cow;
use std::sync::Arc;

/// The derived field for the principal's name, usable as a dimension value.
pub const PRINCIPAL_NAME: &str = "@principalName";

/// The derived field for `userIdentity.type`, usable as a dimension value.
pub const PRINCIPAL_TYPE: &str = "@principalType";

/// The derived field for who really acted: the person behind an IAM Identity Center or SAML session,
/// not the role they assumed ([`RuleSet::actor`]).
pub const ACTOR: &str = "@actor";

/// The derived field for the account: `recipientAccountId`, else `userIdentity.accountId`.
pub const ACCOUNT: &str = "@account";

/// The derived field for the region: `awsRegion`.
pub const REGION: &str = "@region";

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
    /// `@actor`.
    Actor,
    /// `@account`: the first of the two fields that has a value.
    Account(FieldId, FieldId),
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
    /// The benchmark item's own wording ("Ensure usage of the 'root' account is monitored").
    pub title: Option<String>,
    /// Where the pattern comes from: the benchmark version and item, and the copy it was taken from.
    pub source: Option<String>,
    /// How the pattern reads where it mixes `&&` and `||` without brackets, or differs from a sibling
    /// pattern of the same item.
    pub precedence: Option<String>,
    /// The built-in pack the rule came from.
    pub pack: Option<String>,
    /// A security rule: its matches are evidence worth logging (trail-metrics does).
    pub security: bool,
    /// Watched on the real-time path too: alarm-notifier evaluates the rule on the CloudTrail events
    /// EventBridge delivers and notifies each match at once (counts still come from the log files).
    pub realtime: bool,
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

/// For `@actor`: the session's ARN (its last segment is the session name).
#[derive(Debug, Clone, Copy)]
struct ActorFields {
    arn: FieldId,
}

/// Compiled rules plus the table of every field they read.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    fields: FieldTable,
    event_time: FieldId,
    event_name: FieldId,
    principal: PrincipalFields,
    /// Interned only when a rule's dimension or evidence needs `@actor` ([`RuleSet::intern_actor_fields`]):
    /// every field the table holds costs time per record, and the default rules use neither.
    actor: Option<ActorFields>,
    /// Roles people sign in to (`personRoles`, `*` a wildcard): their sessions are named after the
    /// person, and `@actor` is that name. IAM Identity Center's `AWSReservedSSO_*` always are.
    person_roles: Vec<String>,
    /// Interned only when evidence is wanted: every field the table holds costs time per record.
    evidence: Option<EvidenceFields>,
    /// FNV-1a of the rule file's text, the default namespace and any selection.
    fingerprint: u64,
    /// The packs the rules came from, with their titles, in order.
    packs: Vec<(String, String)>,
    /// Fields that tell a digest file or a LookupEvents record from an event.
    pub(crate) shape: ShapeFields,
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
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn fields(&self) -> &FieldTable {
        &self.fields
    }

    /// The packs the rules came from: name and title.
    pub fn packs(&self) -> &[(String, String)] {
        &self.packs
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

    /// Who really acted:
    /// - an IAM user's name; `root`; the calling service for `AWSService`; `onBehalfOf.userId` for an
    ///   `IdentityCenterUser`;
    /// - for a role session that is a person's (the role is an IAM Identity Center permission set,
    ///   `AWSReservedSSO_*`, or one of `personRoles`), the session name: the last segment of
    ///   `userIdentity.arn`, usually the person's e-mail or user name;
    /// - for any other role session, web-identity (OIDC) sessions included, whose names their caller
    ///   picks, the role's name, as `@principalName`;
    /// - a federated user's name, from the last segment of its ARN;
    /// - for any other type, `userName`.
    ///
    /// Only a rule set that uses `@actor` (or quotes evidence) reads the fields behind it: elsewhere this
    /// is `None`.
    pub fn actor<'e>(&self, event: &'e Event<'_>) -> Option<Cow<'e, str>> {
        let p = &self.principal;
        let a = self.actor?;
        let text = |id| event.get(id).as_str().filter(|s| !s.is_empty());
        let session_name = || {
            text(a.arn)
                .and_then(|arn| arn.rsplit('/').next())
                .filter(|s| !s.is_empty() && !s.contains(':'))
        };
        match text(p.kind)? {
            "AssumedRole" | "Role" => {
                let role = text(p.issuer_user_name);
                // Not a web-identity (OIDC) session's name: whoever calls AssumeRoleWithWebIdentity
                // picks it, so anyone who can run a CI job could name the session after someone else.
                let person = role.is_some_and(|r| self.is_person_role(r));
                match (person, session_name()) {
                    (true, Some(name)) => Some(Cow::Borrowed(name)),
                    _ => role.map(Cow::Borrowed),
                }
            }
            "FederatedUser" => session_name()
                .or_else(|| text(p.issuer_user_name))
                .map(Cow::Borrowed),
            _ => self.principal_name(event),
        }
    }

    /// Reads the fields `@actor` needs from every record from now on. Idempotent.
    pub(crate) fn intern_actor_fields(&mut self) {
        if self.actor.is_none() {
            let fields = &mut self.fields;
            self.actor = Some(ActorFields {
                arn: fields.intern(&Selector::keys(&["userIdentity", "arn"])),
            });
        }
    }

    /// Whether sessions of `role` are people's: IAM Identity Center's permission sets, and `personRoles`.
    fn is_person_role(&self, role: &str) -> bool {
        role.starts_with("AWSReservedSSO_")
            || self.person_roles.iter().any(|p| glob_matches(p, role))
    }

    /// Identifies the rules and namespace: two rule sets with the same fingerprint make the same datums
    /// from the same file. 16 hex digits.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", self.fingerprint)
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
            DimensionSource::Actor => self.actor(event),
            DimensionSource::Account(first, second) => event
                .get(first)
                .dimension_text()
                .or_else(|| event.get(second).dimension_text()),
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

/// `pattern` with `*` for any run of characters, against the whole of `text`.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
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

#[cfg(test)]
mod tests;
