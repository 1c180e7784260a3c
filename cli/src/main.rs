//! `trailwatch`: the engine on local files. Wiring only: arguments in, shared library calls, text out.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use trailwatch::cloudtrail::{ReadLimits, DEFAULT_MAX_DECOMPRESSED_BYTES};
use trailwatch::engine::Engine;
use trailwatch::local::{collect_files, process_files};
use trailwatch::report;
use trailwatch::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE};
use trailwatch::timestamp::UnixSeconds;

#[derive(Parser)]
#[command(
    name = "trailwatch",
    version,
    about = "CloudTrail logs to CloudWatch metrics, on local files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the metric datums that CloudTrail log files yield (nothing is published).
    Metrics(MetricsArgs),
    /// Check, list and test metric rules.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(clap::Args)]
struct RuleArgs {
    /// Rule file (JSON, `{"rules":[…]}`); default: the built-in rules.
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Use only these rules (comma-separated names).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    only: Vec<String>,
    /// Namespace for rules that name none.
    #[arg(long, default_value = DEFAULT_NAMESPACE)]
    namespace: String,
}

#[derive(clap::Args)]
struct MetricsArgs {
    #[command(flatten)]
    rules: RuleArgs,
    /// Output: an aligned table, or one MetricDatum per line in the AWS API/CLI shape.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Stop reading a file once it has decompressed to this many bytes (gzip bomb guard).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DECOMPRESSED_BYTES)]
    max_decompressed_bytes: u64,
    /// CloudTrail log files or directories (read recursively); gzip or plain.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Validate a rule file and list its rules.
    Check {
        /// The rule file.
        file: PathBuf,
    },
    /// List the rules in use (the built-in ones unless --rules).
    List {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Show which rules match each event in a file, and why the others do not.
    Test {
        #[command(flatten)]
        rules: RuleArgs,
        /// A file with one or more events (a single event, a log file, an array, NDJSON).
        event: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        // `trailwatch … | head`: the reader has gone, which is not an error of ours.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("trailwatch: {message}");
            ExitCode::from(2)
        }
    }
}

/// Errors that stop a command before it starts: bad rule files, unreadable paths.
type Fatal = Box<dyn std::error::Error>;

fn run(cli: Cli) -> Result<ExitCode, Fatal> {
    match cli.command {
        Command::Metrics(args) => metrics(args),
        Command::Rules(RulesCommand::Check { file }) => {
            let rules = load_rules(&RuleArgs {
                rules: Some(file.clone()),
                only: Vec::new(),
                namespace: DEFAULT_NAMESPACE.into(),
            })?;
            out(&format!(
                "{}{}: {} rules OK\n",
                report::rule_listing(&rules),
                file.display(),
                rules.rules().len()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules(RulesCommand::List { rules }) => {
            out(&report::rule_listing(&load_rules(&rules)?))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules(RulesCommand::Test { rules, event }) => {
            rules_test(&load_rules(&rules)?, &event)
        }
    }
}

/// Writes to stdout; an error (a closed pipe) is returned, not a panic as with `print!`.
fn out(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

fn load_rules(args: &RuleArgs) -> Result<RuleSet, Fatal> {
    let rules = match &args.rules {
        None => RuleSet::builtin(&args.namespace)?,
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

fn now() -> UnixSeconds {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    UnixSeconds(i64::try_from(secs).unwrap_or(i64::MAX))
}

fn metrics(args: MetricsArgs) -> Result<ExitCode, Fatal> {
    let engine = Engine::new(
        load_rules(&args.rules)?,
        ReadLimits {
            max_decompressed_bytes: args.max_decompressed_bytes,
            ..ReadLimits::default()
        },
    );
    let list = collect_files(&args.paths)?;
    let files = list.files;
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    let bar = if std::io::stderr().is_terminal() && total_bytes > 64 << 20 {
        let bar = ProgressBar::new(total_bytes);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let (aggregation, mut summary) = process_files(&engine, &files, &mut |n| bar.inc(n));
    summary.files_ignored = list.ignored;
    bar.finish_and_clear();
    let datums = aggregation.into_datums();
    let now = now();
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Table => out.write_all(report::datum_table(&datums, now).as_bytes())?,
        Format::Json => {
            for d in &datums {
                writeln!(out, "{}", d.to_json())?;
            }
        }
    }
    out.flush()?;
    eprint!("{}", report::run_summary(&summary, &datums, now));
    Ok(if summary.files_failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn rules_test(rules: &RuleSet, path: &PathBuf) -> Result<ExitCode, Fatal> {
    let name = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|error| format!("{name}: cannot open: {error}"))?;
    out(&report::rule_test_file(rules, &name, file)?)?;
    Ok(ExitCode::SUCCESS)
}
