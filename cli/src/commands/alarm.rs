//! `trailwatch alarm render`: what alarm-notifier would send for an alarm event.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use trailwatch::alarms::evidence::{attach, wanted, Collector, EvidenceSearch};
use trailwatch::alarms::{self, Channel, Message};

use crate::args::{Destination, RuleArgs};
use crate::commands::rules::load_rules;
use crate::output::{out, pretty, Fatal};

/// Where the evidence of trailwatch's security metrics is, for the link and the list.
pub struct Evidence {
    /// trail-metrics' log group, for the Logs Insights link.
    pub log_group: String,
    /// A file of evidence lines, to list the events of the alarm's window from.
    pub lines: Option<PathBuf>,
    pub shown: usize,
}

/// `trailwatch alarm render`.
pub fn render(
    to: Destination,
    rule_args: &RuleArgs,
    evidence: Evidence,
    path: &Path,
) -> Result<ExitCode, Fatal> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let lines = match &evidence.lines {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .map_err(|e| format!("{}: cannot read: {e}", file.display()))?,
        ),
        None => None,
    };
    let event: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    let rules = load_rules(rule_args)?;
    let ctx = alarms::RenderContext {
        namespace: rule_args.namespace.clone(),
        rules: Some(&rules),
        evidence_log_group: Some(evidence.log_group.clone()),
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
        let mut view = alarms::View::new(&alarm, &ctx);
        // What alarm-notifier finds in its log group, found here in a file.
        let search = EvidenceSearch::for_view(&view, &evidence.log_group);
        if let (Some(lines), Some(search), true) =
            (&lines, search, wanted(&view) && evidence.shown > 0)
        {
            let mut found = Collector::new(&search, evidence.shown);
            for line in lines.lines() {
                found.offer(line);
            }
            attach(&mut view, found.finish(true));
        }
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
