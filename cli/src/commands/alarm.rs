//! `trailwatch alarm render`: what alarm-notifier would send for an alarm event.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use trailwatch::alarms::evidence::{attach, wanted, Collector, EvidenceSearch};
use trailwatch::alarms::{self, Channel, Message, View};
use trailwatch::realtime::{self, TrailEvent};

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
    let mut rules = load_rules(rule_args)?;
    let kind = match to {
        Destination::Text => Channel::Email,
        Destination::Slack => Channel::Slack,
        Destination::Teams => Channel::Teams,
        Destination::Discord => Channel::Discord,
        Destination::Json => Channel::Webhook,
        Destination::Pagerduty => Channel::PagerDuty,
    };
    // A CloudTrail event from EventBridge: the event notifications of the real-time rules it matches.
    if let Some(trail_event) = TrailEvent::from_eventbridge(&event) {
        let trail_event = trail_event.map_err(|e| format!("{name}: {e}"))?;
        rules.intern_evidence_fields();
        let matched =
            realtime::matches(&rules, &trail_event).map_err(|e| format!("{name}: {e}"))?;
        if matched.is_empty() {
            eprintln!("trailwatch: {name}: no real-time rule matches the CloudTrail event: alarm-notifier sends nothing");
        }
        for m in &matched {
            out(&rendered(kind, &realtime::view(m, &trail_event, &rules))?)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
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
        out(&rendered(kind, &view)?)?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The function's own rendering: the preview is what alarm-notifier sends.
fn rendered(kind: Channel, view: &View) -> Result<String, Fatal> {
    Ok(match alarms::render(kind, view) {
        Message::Email { subject, body } => format!("Subject: {subject}\n\n{body}"),
        Message::Json(v) => pretty(&v)?,
        Message::Nothing(why) => format!("(nothing sent: {why})"),
    })
}
