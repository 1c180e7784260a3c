//! `trailwatch`: the engine on local files. Wiring only: arguments in, shared library calls, text out.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

mod args;
use args::{Date, S3Uri};
use indicatif::{ProgressBar, ProgressStyle};

use trailwatch::alarm_render::{Channel, Message};
use trailwatch::aws::{self, CloudWatchSink, ProgressStores, S3Source};
use trailwatch::cloudtrail::{ReadLimits, DEFAULT_MAX_DECOMPRESSED_BYTES};
use trailwatch::engine::Engine;
use trailwatch::local::{collect_files, process_files};
use trailwatch::metrics::{MetricDatum, MAX_AGE_SECONDS};
use trailwatch::object_ref::ObjectRef;
use trailwatch::publish::{
    publish_all, Attempt, CollectSink, DedupMode, Lease, Outcome, PublishError, Publisher, ReadOnly,
};
use trailwatch::report;
use trailwatch::rules::cloudwatch::{self, Acceptance};
use trailwatch::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE};
use trailwatch::time::UnixSeconds;
use trailwatch::{alarm, alarm_render};

#[derive(Parser)]
#[command(
    name = "trailwatch",
    version,
    about = "CloudTrail logs to CloudWatch metrics, on local files or an S3 prefix"
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
    /// Alarm notifications: preview what alarm-notifier sends.
    #[command(subcommand)]
    Alarm(AlarmCommand),
    /// Process the log files already in S3: a dry run unless --publish. Uses the same
    /// exactly-once markers as the trail-metrics function, so files it published are not counted again.
    Backfill(BackfillArgs),
}

#[derive(Subcommand)]
enum AlarmCommand {
    /// Print the message alarm-notifier would send for an alarm event (SNS, Lambda alarm action or
    /// EventBridge): a preview for people writing alarm descriptions.
    Render {
        /// Which rendering.
        #[arg(long, value_enum, default_value_t = Destination::Text)]
        to: Destination,
        #[command(flatten)]
        rules: RuleArgs,
        /// trail-metrics' log group, for the Logs Insights link on alarms of trailwatch's metrics.
        #[arg(long, value_name = "NAME", default_value = "/aws/lambda/trail-metrics")]
        evidence_log_group: String,
        /// The event, as the function receives it.
        event: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Destination {
    /// Plain text: the e-mail body (with its subject first).
    Text,
    /// Slack Block Kit.
    Slack,
    /// A Microsoft Teams Adaptive Card (Workflows webhook).
    Teams,
    /// A Discord embed.
    Discord,
    /// The normalised alarm, as the generic webhook sends it.
    Json,
}

#[derive(clap::Args)]
struct BackfillArgs {
    #[command(flatten)]
    rules: RuleArgs,
    /// Where the trail's logs are: s3://bucket/prefix (for example
    /// s3://my-trail-bucket/AWSLogs/123456789012/CloudTrail/).
    uri: S3Uri,
    /// Only log files delivered from this date (YYYY-MM-DD, UTC, or an RFC 3339 time).
    #[arg(long, value_name = "DATE")]
    since: Option<Date>,
    /// Only log files delivered before the end of this date (or before this RFC 3339 time).
    #[arg(long, value_name = "DATE")]
    until: Option<Date>,
    /// Publish with PutMetricData. Without it, print what would be published and change nothing.
    #[arg(long)]
    publish: bool,
    /// Files processed at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Where exactly-once markers live: tags, off, or s3://bucket/prefix/. Use the function's DEDUP
    /// setting, so the two share them.
    #[arg(long, default_value = "tags", value_name = "MODE")]
    dedup: DedupMode,
    /// Output of a dry run: an aligned table, or one MetricDatum per line (AWS API/CLI shape).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Stop reading a file once it has decompressed to this many bytes (gzip bomb guard).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DECOMPRESSED_BYTES)]
    max_decompressed_bytes: u64,
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
    /// Write the rules as CloudWatch Logs metric filters, for a log group CloudTrail delivers to.
    /// Rules CloudWatch would refuse as written are rewritten where a form with the same meaning
    /// exists, with a note on stderr; rules no metric filter can mean are left out, named on stderr,
    /// and the exit status is 1.
    Export {
        #[command(flatten)]
        rules: RuleArgs,
        /// cloudformation: a template of AWS::Logs::MetricFilter resources; terraform:
        /// aws_cloudwatch_log_metric_filter resources; json: PutMetricFilter requests.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// The CloudWatch Logs log group the filters watch.
        #[arg(long, value_name = "NAME")]
        log_group: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Cloudformation,
    Terraform,
    Json,
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
                report::rule_check(&rules),
                file.display(),
                rules.rules().len()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules(RulesCommand::Export {
            rules,
            format,
            log_group,
        }) => export(&load_rules(&rules)?, format, &log_group),
        Command::Rules(RulesCommand::List { rules }) => {
            out(&report::rule_listing(&load_rules(&rules)?))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules(RulesCommand::Test { rules, event }) => {
            rules_test(&load_rules(&rules)?, &event)
        }
        Command::Alarm(AlarmCommand::Render {
            to,
            rules,
            evidence_log_group,
            event,
        }) => alarm_render(to, &rules, evidence_log_group, &event),
        Command::Backfill(args) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(backfill(args))
        }
    }
}

async fn backfill(args: BackfillArgs) -> Result<ExitCode, Fatal> {
    let S3Uri { bucket, prefix } = &args.uri;
    let since = args.since.map(Date::start);
    let until = args.until.map(Date::end);
    let rules = load_rules(&args.rules)?;
    let limits = ReadLimits {
        max_decompressed_bytes: args.max_decompressed_bytes,
        ..ReadLimits::default()
    };
    let now = UnixSeconds::now();
    if since.is_none_or(|s| s.0 < now.0 - MAX_AGE_SECONDS) {
        eprintln!(
            "note: CloudWatch accepts data up to 14 days old: events before {} give no datums",
            UnixSeconds(now.0 - MAX_AGE_SECONDS)
        );
    }
    let endpoint = std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let (s3, cloudwatch) = aws::clients(endpoint, 5).await;
    let listing = aws::list_logs(&s3, bucket, prefix, since, until).await?;
    let total = listing.objects.len();
    eprintln!(
        "{}: {total} log files to process ({} list requests; {} other keys and {} files outside the dates left out)",
        args.uri, listing.list_requests, listing.not_logs, listing.outside_range
    );
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} files {per_sec} eta {eta} {msg}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let attempt = Attempt {
        owner: format!("trailwatch-backfill-{}", std::process::id()),
        // Renewed at each marker write: a backfill that is stopped frees its files two minutes later.
        lease: Lease::Seconds(120),
    };
    let store = ProgressStores::for_mode(&args.dedup, &s3);
    let engine = Arc::new(Engine::new(rules, limits));
    let source = S3Source { client: s3 };
    let mut tally = Tally::default();
    let concurrency = usize::from(args.concurrency);
    let mut on_done = |object: ObjectRef, result| {
        tally.add(&object, result, &bar);
        bar.inc(1);
    };
    let collected = if args.publish {
        let publisher = Publisher {
            engine,
            source,
            sink: CloudWatchSink { client: cloudwatch },
            store,
            now: UnixSeconds::now,
            evidence: None,
        };
        publish_all(
            Arc::new(publisher),
            listing.objects,
            concurrency,
            attempt,
            &mut on_done,
        )
        .await;
        None
    } else {
        let publisher = Arc::new(Publisher {
            engine,
            source,
            sink: CollectSink::default(),
            store: ReadOnly(store),
            now: UnixSeconds::now,
            evidence: None,
        });
        publish_all(
            Arc::clone(&publisher),
            listing.objects,
            concurrency,
            attempt,
            &mut on_done,
        )
        .await;
        let aggregation = std::mem::take(
            &mut *publisher
                .sink
                .aggregation
                .lock()
                .map_err(|_| "a backfill task panicked")?,
        );
        Some(aggregation.into_datums())
    };
    bar.finish_and_clear();
    if let Some(datums) = collected {
        print_datums(&datums, args.format, now)?;
    }
    eprint!("{}", tally.summary(args.publish));
    Ok(if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What a backfill did, file by file.
#[derive(Default)]
struct Tally {
    published: u64,
    already: u64,
    skipped: u64,
    failed: u64,
    events: u64,
    datums: u64,
    requests: u64,
    out_of_window: u64,
}

impl Tally {
    fn add(
        &mut self,
        object: &ObjectRef,
        result: Result<Outcome, PublishError>,
        bar: &ProgressBar,
    ) {
        match result {
            Ok(Outcome::Published(p)) => {
                self.published += 1;
                self.events += p.events;
                self.datums += p.datums as u64;
                self.requests += p.requests_sent as u64;
                self.out_of_window += p.out_of_window as u64;
            }
            Ok(Outcome::AlreadyPublished { .. }) => self.already += 1,
            Ok(Outcome::SkippedKey(kind)) => {
                self.skipped += 1;
                bar.println(format!(
                    "{object}: skipped, {}",
                    kind.skip_reason().unwrap_or("")
                ));
            }
            Ok(Outcome::SkippedContent(kind)) => {
                self.skipped += 1;
                bar.println(format!(
                    "{object}: skipped, {}",
                    kind.skip_reason().unwrap_or("")
                ));
            }
            Err(e) => {
                self.failed += 1;
                let hint = if e.retryable() {
                    " (temporary: run the backfill again)"
                } else {
                    ""
                };
                bar.println(format!("trailwatch: {e}{hint}"));
            }
        }
    }

    fn summary(&self, published: bool) -> String {
        let verb = if published {
            "published"
        } else {
            "would publish"
        };
        let mut text = format!(
            "{verb}: {} files, {} events, {} datums in {} PutMetricData requests\n\
             already published (skipped): {}; not log files: {}; failed: {}\n",
            self.published,
            self.events,
            self.datums - self.out_of_window,
            self.requests,
            self.already,
            self.skipped,
            self.failed
        );
        if self.out_of_window > 0 {
            text.push_str(&format!(
                "{} datums older than 14 days (or over 2 hours ahead) left out: CloudWatch refuses them\n",
                self.out_of_window
            ));
        }
        if !published {
            text.push_str(
                "dry run: nothing was published and no marker written; add --publish to publish\n",
            );
        }
        text
    }
}

/// Writes to stdout; an error (a closed pipe) is returned, not a panic as with `print!`.
/// `trailwatch rules export`: the filters on stdout, what changed or was left out on stderr.
fn export(rules: &RuleSet, format: ExportFormat, log_group: &str) -> Result<ExitCode, Fatal> {
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
    let now = UnixSeconds::now();
    print_datums(&datums, args.format, now)?;
    eprint!("{}", report::run_summary(&summary, &datums, now));
    Ok(if summary.files_failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn alarm_render(
    to: Destination,
    rule_args: &RuleArgs,
    evidence_log_group: String,
    path: &PathBuf,
) -> Result<ExitCode, Fatal> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let event: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    let rules = load_rules(rule_args)?;
    let ctx = alarm_render::RenderContext {
        namespace: rule_args.namespace.clone(),
        rules: Some(&rules),
        evidence_log_group: Some(evidence_log_group),
    };
    let mut failed = false;
    for decoded in alarm::decode(&event).map_err(|e| format!("{name}: {e}"))? {
        let alarm = match decoded {
            Ok(a) => a,
            Err(e) => {
                eprintln!("trailwatch: {name}: {e}");
                failed = true;
                continue;
            }
        };
        let view = alarm_render::View::new(&alarm, &ctx);
        // The function's own rendering: the preview is what alarm-notifier sends.
        let kind = match to {
            Destination::Text => Channel::Email,
            Destination::Slack => Channel::Slack,
            Destination::Teams => Channel::Teams,
            Destination::Discord => Channel::Discord,
            Destination::Json => Channel::Webhook,
        };
        let rendered = match alarm_render::render(kind, &view) {
            Message::Email { subject, body } => format!("Subject: {subject}\n\n{body}"),
            Message::Json(v) => pretty(&v)?,
        };
        out(&rendered)?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn pretty(v: &serde_json::Value) -> Result<String, Fatal> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}

/// The datums on stdout: a table for people, or one AWS-shaped JSON object per line.
fn print_datums(datums: &[MetricDatum], format: Format, now: UnixSeconds) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Table => out.write_all(report::datum_table(datums, now).as_bytes())?,
        Format::Json => {
            for d in datums {
                writeln!(out, "{}", d.to_json())?;
            }
        }
    }
    out.flush()
}

fn rules_test(rules: &RuleSet, path: &PathBuf) -> Result<ExitCode, Fatal> {
    let name = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|error| format!("{name}: cannot open: {error}"))?;
    out(&report::rule_test_file(rules, &name, file)?)?;
    Ok(ExitCode::SUCCESS)
}
