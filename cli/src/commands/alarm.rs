//! `trailwatch alarm render`: what alarm-notifier would send for an alarm event.

use std::path::Path;
use std::process::ExitCode;

use trailwatch::alarms::{self, Channel, Message};

use crate::args::{Destination, RuleArgs};
use crate::commands::rules::load_rules;
use crate::output::{out, pretty, Fatal};

/// `trailwatch alarm render`.
pub fn render(
    to: Destination,
    rule_args: &RuleArgs,
    evidence_log_group: String,
    path: &Path,
) -> Result<ExitCode, Fatal> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let event: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    let rules = load_rules(rule_args)?;
    let ctx = alarms::RenderContext {
        namespace: rule_args.namespace.clone(),
        rules: Some(&rules),
        evidence_log_group: Some(evidence_log_group),
    };
    let mut failed = false;
    for decoded in alarms::from_event(&event).map_err(|e| format!("{name}: {e}"))? {
        let alarm = match decoded {
            Ok(a) => a,
            Err(e) => {
                eprintln!("trailwatch: {name}: {e}");
                failed = true;
                continue;
            }
        };
        let view = alarms::View::new(&alarm, &ctx);
        // The function's own rendering: the preview is what alarm-notifier sends.
        let kind = match to {
            Destination::Text => Channel::Email,
            Destination::Slack => Channel::Slack,
            Destination::Teams => Channel::Teams,
            Destination::Discord => Channel::Discord,
            Destination::Json => Channel::Webhook,
            Destination::Pagerduty => Channel::PagerDuty,
        };
        let rendered = match alarms::render(kind, &view) {
            Message::Email { subject, body } => format!("Subject: {subject}\n\n{body}"),
            Message::Json(v) => pretty(&v)?,
            Message::Nothing(why) => format!("(nothing sent: {why})"),
        };
        out(&rendered)?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
