//! `trailwatch rules`: check, list, test and export rules, and the rule loading every command shares.

use std::path::Path;
use std::process::ExitCode;

use trailwatch::rules::cloudwatch::{self, Acceptance};
use trailwatch::rules::eventbridge;
use trailwatch::rules::ruleset::{Rule, RuleSet, DEFAULT_NAMESPACE};

use crate::args::{ExportFormat, RuleArgs, RulesCommand};
use crate::output::{out, Fatal};
use crate::report;

/// `trailwatch rules …`.
pub fn run(command: RulesCommand) -> Result<ExitCode, Fatal> {
    match command {
        RulesCommand::Check { file } => {
            let rules = load_rules(&RuleArgs {
                rules: Some(file.clone()),
                pack: Vec::new(),
                only: Vec::new(),
                namespace: DEFAULT_NAMESPACE.into(),
            })?;
            out(&format!(
                "{}{}: {} rules OK\n",
                report::rule_check(&rules),
                file.display(),
                rules.rules().len()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Export {
            rules,
            format,
            log_group,
        } => {
            // Several packs for one EventBridge pattern: each pack on its own (two packs may give one
            // metric different patterns), the pattern passing what any of them could match.
            if matches!(format, ExportFormat::Eventbridge)
                && rules.rules.is_none()
                && rules.pack.len() > 1
                && log_group.is_none()
            {
                let sets = rules
                    .pack
                    .iter()
                    .map(|p| {
                        let set = RuleSet::from_packs(&[p], &rules.namespace)?;
                        if rules.only.is_empty() {
                            Ok(set)
                        } else {
                            set.select(&rules.only)
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                return export_eventbridge(&sets);
            }
            export(&load_rules(&rules)?, format, log_group.as_deref())
        }
        RulesCommand::List { rules } => {
            out(&report::rule_listing(&load_rules(&rules)?))?;
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Test {
            rules,
            event,
            verbose,
        } => test(&load_rules(&rules)?, &event, verbose),
    }
}

/// `trailwatch rules export`: the filters on stdout, what changed or was left out on stderr.
fn export(
    rules: &RuleSet,
    format: ExportFormat,
    log_group: Option<&str>,
) -> Result<ExitCode, Fatal> {
    let log_group = match (format, log_group) {
        (ExportFormat::Eventbridge, None) => return export_eventbridge(std::slice::from_ref(rules)),
        (ExportFormat::Eventbridge, Some(_)) => {
            return Err(
                "--log-group is for metric filters; an EventBridge pattern watches the default bus"
                    .into(),
            )
        }
        (_, Some(group)) => group,
        (_, None) => return Err(
            "--log-group NAME is needed: the log group CloudTrail delivers to, which the metric filters watch"
                .into(),
        ),
    };
    if !cloudwatch::is_valid_log_group(log_group) {
        return Err(format!(
            "--log-group {log_group:?}: a log group name is 1 to 512 letters, digits and `. - _ / #`"
        )
        .into());
    }
    let mut filters = Vec::new();
    let mut refused = 0;
    for rule in rules.rules() {
        match cloudwatch::acceptance(rule) {
            Acceptance::AsWritten(mut f) => filters.append(&mut f),
            Acceptance::Rewritten {
                filters: mut f,
                changes,
                same_meaning,
            } => {
                let how = if same_meaning {
                    "rewritten with the same meaning"
                } else {
                    "REWRITTEN, AND IT CAN COUNT DIFFERENTLY"
                };
                for change in changes {
                    eprintln!("trailwatch: rule {}: {how}: {change}", rule.name);
                }
                filters.append(&mut f);
            }
            Acceptance::Refused(why) => {
                refused += 1;
                for reason in why {
                    eprintln!("trailwatch: rule {}: LEFT OUT: {reason}", rule.name);
                }
            }
        }
    }
    let text = match format {
        ExportFormat::Json => {
            serde_json::to_string_pretty(&cloudwatch::put_metric_filter_json(&filters, log_group))?
                + "\n"
        }
        ExportFormat::Cloudformation => {
            serde_json::to_string_pretty(&cloudwatch::cloudformation(&filters, log_group))? + "\n"
        }
        ExportFormat::Terraform => cloudwatch::terraform(&filters, log_group),
        ExportFormat::Eventbridge => return export_eventbridge(std::slice::from_ref(rules)),
    };
    out(&text)?;
    eprintln!(
        "trailwatch: {} metric filters written; {refused} rules left out",
        filters.len()
    );
    Ok(if refused > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `trailwatch rules export --format eventbridge`: the real-time rules' event pattern on stdout, where
/// it is wider than they are on stderr.
fn export_eventbridge(sets: &[RuleSet]) -> Result<ExitCode, Fatal> {
    let realtime: Vec<&Rule> = sets
        .iter()
        .flat_map(|s| s.rules())
        .filter(|r| r.realtime)
        .collect();
    let compiled = eventbridge::compile(&realtime)?;
    out(&(serde_json::to_string_pretty(&compiled.pattern)? + "\n"))?;
    for note in &compiled.notes {
        eprintln!("trailwatch: {note}: the pattern is wider here, and the engine decides");
    }
    let mut names: Vec<&String> = Vec::new();
    for name in &compiled.rules {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    eprintln!(
        "trailwatch: event pattern for {} real-time rules ({}); {} wider than the rules",
        names.len(),
        names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        match compiled.notes.len() {
            0 => "nowhere".to_owned(),
            1 => "1 place".to_owned(),
            n => format!("{n} places"),
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The rules the arguments name: a file or the built-in ones, perhaps only some of them.
pub fn load_rules(args: &RuleArgs) -> Result<RuleSet, Fatal> {
    let rules = match &args.rules {
        None if args.pack.is_empty() => RuleSet::builtin(&args.namespace)?,
        None => RuleSet::from_packs(&args.pack, &args.namespace)?,
        Some(path) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|error| format!("{name}: cannot read: {error}"))?;
            RuleSet::from_json(&name, &text, &args.namespace)?
        }
    };
    Ok(if args.only.is_empty() {
        rules
    } else {
        rules.select(&args.only)?
    })
}

fn test(rules: &RuleSet, path: &Path, verbose: bool) -> Result<ExitCode, Fatal> {
    let name = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|error| format!("{name}: cannot open: {error}"))?;
    out(&report::rule_test_file(rules, &name, file, verbose)?)?;
    Ok(ExitCode::SUCCESS)
}
