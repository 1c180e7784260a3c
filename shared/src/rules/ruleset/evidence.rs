//! Evidence: the fields of an event a security rule matched, logged so people can see what happened.

use super::{Rule, RuleSet};
use crate::event::selector::Selector;
use crate::event::{Event, FieldId};
use std::borrow::Cow;

/// The fields an evidence line quotes besides name, time and principal.
#[derive(Debug, Clone, Copy)]
pub(super) struct EvidenceFields {
    event_id: FieldId,
    event_source: FieldId,
    source_ip: FieldId,
    user_agent: FieldId,
    error_code: FieldId,
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
    #[serde(rename = "eventSource")]
    pub event_source: Option<String>,
    /// Set on refused calls (`AccessDenied`…), the subject of the unauthorized-calls metric.
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    pub principal: Option<String>,
    /// Who really acted ([`RuleSet::actor`]): for a person's role session, the person, where
    /// `principal` is the role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The role a session is of (`sessionContext.sessionIssuer.userName`), for role sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The principal as a dimension value, when that differs from `principal`: the form to search
    /// for in CloudWatch ([`crate::metrics::published_dimension_value`]).
    #[serde(rename = "principalPublished", skip_serializing_if = "Option::is_none")]
    pub principal_published: Option<String>,
    #[serde(rename = "principalType")]
    pub principal_type: Option<String>,
    #[serde(rename = "sourceIPAddress")]
    pub source_ip: Option<String>,
    /// At most [`MAX_USER_AGENT`] UTF-16 units: the field is free text the caller chose.
    #[serde(rename = "userAgent")]
    pub user_agent: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
}

/// Characters of `userAgent` an evidence line keeps: enough for an SDK, a CLI or a console user agent;
/// CloudTrail's own limit is larger, and a caller can fill it.
pub const MAX_USER_AGENT: usize = 256;

impl Evidence {
    /// The evidence line trail-metrics logs, and alarm-notifier searches for:
    /// `{"trailwatch":"evidence","object":"s3://…","rule":…,"eventID":…,…}` on one line.
    pub fn log_line(&self, object: &str) -> String {
        let mut line = serde_json::json!({"trailwatch": "evidence", "object": object});
        if let (serde_json::Value::Object(line), Ok(serde_json::Value::Object(fields))) =
            (&mut line, serde_json::to_value(self))
        {
            line.extend(fields);
        }
        line.to_string()
    }
}

impl RuleSet {
    /// Makes the fields evidence lines quote readable: call before [`RuleSet::evidence`].
    pub fn intern_evidence_fields(&mut self) {
        self.intern_actor_fields();
        if self.evidence.is_none() {
            let fields = &mut self.fields;
            self.evidence = Some(EvidenceFields {
                event_id: fields.intern(&Selector::keys(&["eventID"])),
                event_source: fields.intern(&Selector::keys(&["eventSource"])),
                source_ip: fields.intern(&Selector::keys(&["sourceIPAddress"])),
                user_agent: fields.intern(&Selector::keys(&["userAgent"])),
                error_code: fields.intern(&Selector::keys(&["errorCode"])),
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
        let kind = text(self.principal.kind);
        let role = match kind.as_deref() {
            Some("AssumedRole" | "Role") => text(self.principal.issuer_user_name),
            _ => None,
        };
        Evidence {
            rule: rule.name.clone(),
            actor: self.actor(event).map(Cow::into_owned),
            role,
            event_id: field(|e| e.event_id),
            event_time: text(self.event_time),
            event_name: text(self.event_name),
            event_source: field(|e| e.event_source),
            error_code: field(|e| e.error_code),
            principal,
            principal_published,
            principal_type: kind,
            source_ip: field(|e| e.source_ip),
            user_agent: field(|e| e.user_agent).map(|a| crate::text::truncate(&a, MAX_USER_AGENT)),
            account: field(|e| e.account),
            region: field(|e| e.region),
        }
    }
}
