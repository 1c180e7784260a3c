//! The command line: commands, their arguments, and the argument values with a syntax of their own
//! (parsed by clap through `FromStr`, so a bad one is refused before anything runs, with a message that
//! names the argument).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Parser, Subcommand, ValueEnum};
use trailwatch::cloudtrail::DEFAULT_MAX_DECOMPRESSED_BYTES;
use trailwatch::object_ref::split_s3_uri;
use trailwatch::publish::DedupMode;
use trailwatch::rules::ruleset::DEFAULT_NAMESPACE;
use trailwatch::time::UnixSeconds;
use trailwatch::vars::ValueError;

#[derive(Parser)]
#[command(
    name = "trailwatch",
    version,
    about = "CloudTrail logs to CloudWatch metrics, on local files or an S3 prefix"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Check, from CloudTrail's digest files, that every log file CloudTrail delivered in a range of
    /// hours was published, unaltered: one line per gap or mismatch, exit status 1 when a file is
    /// missing, not published or tampered with, or a digest is missing. --repair publishes what is
    /// not published, through the function's markers.
    Verify(VerifyArgs),
}

#[derive(Subcommand)]
pub enum AlarmCommand {
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
        /// trail-metrics' evidence lines (one JSON object per line, as it logs them): the message of an
        /// alarm on a security metric lists the events among them in the alarm's window, as
        /// alarm-notifier does with its log group.
        #[arg(long, value_name = "FILE")]
        evidence: Option<PathBuf>,
        /// Events listed at most.
        #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u16).range(0..=20))]
        evidence_shown: u16,
        /// The event, as the function receives it.
        event: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Destination {
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
    /// A PagerDuty Events API v2 event (without its routing key).
    Pagerduty,
}

#[derive(clap::Args)]
pub struct BackfillArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Where the trail's logs are: s3://bucket/prefix (for example
    /// s3://my-trail-bucket/AWSLogs/123456789012/CloudTrail/).
    pub uri: S3Uri,
    /// Only log files delivered from this date (YYYY-MM-DD, UTC, or an RFC 3339 time).
    #[arg(long, value_name = "DATE")]
    pub since: Option<Date>,
    /// Only log files delivered before the end of this date (or before this RFC 3339 time).
    #[arg(long, value_name = "DATE")]
    pub until: Option<Date>,
    /// Publish with PutMetricData. Without it, print what would be published and change nothing.
    #[arg(long)]
    pub publish: bool,
    /// Files processed at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Where exactly-once markers live: the deployed function's DEDUP setting (the stack's
    /// s3://<StateBucket>/progress/, or tags), so the two share them; or off, to count every file. No
    /// default: with another store than the function's, every file it published would count again.
    #[arg(long, value_name = "MODE")]
    pub dedup: DedupMode,
    #[command(flatten)]
    pub datums: DatumArgs,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Where the trail's files are: s3://bucket/prefix (for example
    /// s3://my-trail-bucket/AWSLogs/123456789012/CloudTrail-Digest/, or the trail's whole prefix).
    pub uri: S3Uri,
    /// Only digests that end from this date (YYYY-MM-DD, UTC, or an RFC 3339 time).
    #[arg(long, value_name = "DATE")]
    pub since: Option<Date>,
    /// Only digests that end before the end of this date (or before this RFC 3339 time).
    #[arg(long, value_name = "DATE")]
    pub until: Option<Date>,
    /// Publish the listed files that are not published (with the rules given), through the markers.
    /// Without it, nothing is written.
    #[arg(long)]
    pub repair: bool,
    /// Where the exactly-once markers are: the deployed function's DEDUP setting (the stack's
    /// s3://<StateBucket>/progress/, or tags). No default: checking another store than the function's
    /// would report every file as not published.
    #[arg(long, value_name = "MODE")]
    pub dedup: DedupMode,
    /// A file delivered less than this many seconds ago and not yet published is late, not lost.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub grace_seconds: u32,
    /// Digests checked at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Also check CloudTrail's RSA signature on each digest, with the public keys CloudTrail's
    /// ListPublicKeys gives for each digest's region (needs cloudtrail:ListPublicKeys).
    #[arg(long)]
    pub signatures: bool,
}

/// How datums are read and shown: by `metrics`, and by a `backfill` dry run.
#[derive(clap::Args)]
pub struct DatumArgs {
    /// Output: an aligned table, or one MetricDatum per line in the AWS API/CLI shape.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show the table's rows of zero too: rules' default value for minutes without matches.
    #[arg(long)]
    pub zeros: bool,
    /// Stop reading a file once it has decompressed to this many bytes (gzip bomb guard).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_DECOMPRESSED_BYTES)]
    pub max_decompressed_bytes: u64,
}

#[derive(clap::Args)]
pub struct RuleArgs {
    /// Rule file (JSON, `{"rules":[…]}`); default: the built-in packs.
    #[arg(long, value_name = "FILE", conflicts_with = "pack")]
    pub rules: Option<PathBuf>,
    /// Built-in rule packs (comma-separated): start-instances, cis-v7.0.0, cis-v6.0.0, cis-v5.0.0,
    /// cis-v4.0.1, cis-v3.0.0, cis-v1.4.0, cis-v1.2.0, securityhub-legacy. Default:
    /// start-instances,cis-v7.0.0.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub pack: Vec<String>,
    /// Use only these rules (comma-separated names).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Namespace for rules that name none.
    #[arg(long, default_value = DEFAULT_NAMESPACE)]
    pub namespace: String,
}

#[derive(clap::Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub datums: DatumArgs,
    /// Also print each file's SHA-256 on stderr, over its decompressed bytes as a CloudTrail digest
    /// lists it, in `sha256sum`'s format.
    #[arg(long)]
    pub sha256: bool,
    /// Files read at once, each on its own thread [default: the number of cores]. With fewer files
    /// than that, each file is also read and inflated ahead on a second thread. The output is the
    /// same whatever the number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// CloudTrail log files or directories (read recursively); gzip or plain.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Subcommand)]
pub enum RulesCommand {
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
        /// Also say, for each rule that does not match, which condition failed.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Write the rules as CloudWatch Logs metric filters, for a log group CloudTrail delivers to.
    /// Rules CloudWatch would refuse as written are rewritten where a form with the same meaning
    /// exists, with a note on stderr; rules no metric filter can mean are left out, named on stderr,
    /// and the exit status is 1. With `--format eventbridge`, write the real-time rules as one
    /// EventBridge event pattern instead, with a note on stderr wherever it is wider than a rule.
    Export {
        #[command(flatten)]
        rules: RuleArgs,
        /// cloudformation: a template of AWS::Logs::MetricFilter resources; terraform:
        /// aws_cloudwatch_log_metric_filter resources; json: PutMetricFilter requests; eventbridge:
        /// the event pattern of the rules marked `"realtime": true`.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// The CloudWatch Logs log group the filters watch (not for eventbridge).
        #[arg(long, value_name = "NAME")]
        log_group: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Cloudformation,
    Terraform,
    Json,
    Eventbridge,
}

/// `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub prefix: String,
}

impl FromStr for S3Uri {
    type Err = ValueError;

    fn from_str(uri: &str) -> Result<S3Uri, ValueError> {
        let (bucket, prefix) = split_s3_uri(uri)
            .ok_or_else(|| ValueError::new(uri, "is not an s3://bucket/prefix URI"))?;
        if bucket.is_empty() {
            return Err(ValueError::new(uri, "names no bucket"));
        }
        Ok(S3Uri {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// `YYYY-MM-DD` (a whole day, UTC) or an RFC 3339 time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    at: UnixSeconds,
    whole_day: bool,
}

impl Date {
    /// When it starts: midnight for a bare date.
    pub fn start(self) -> UnixSeconds {
        self.at
    }

    /// When it ends: the next midnight for a bare date, so that `--until 2026-11-20` includes the 20th.
    pub fn end(self) -> UnixSeconds {
        if self.whole_day {
            UnixSeconds(self.at.0 + 86_400)
        } else {
            self.at
        }
    }
}

impl FromStr for Date {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<Date, ValueError> {
        if let Some(at) = UnixSeconds::parse_rfc3339(text) {
            return Ok(Date {
                at,
                whole_day: false,
            });
        }
        UnixSeconds::parse_rfc3339(&format!("{text}T00:00:00Z"))
            .map(|at| Date {
                at,
                whole_day: true,
            })
            .ok_or_else(|| ValueError::new(text, "is not a date (YYYY-MM-DD) or an RFC 3339 time"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Result<(String, String), ValueError> {
        text.parse::<S3Uri>().map(|u| (u.bucket, u.prefix))
    }

    #[test]
    fn s3_uris_name_a_bucket_and_a_prefix() {
        assert_eq!(
            uri("s3://b/AWSLogs/1/"),
            Ok(("b".into(), "AWSLogs/1/".into()))
        );
        assert_eq!(uri("s3://b"), Ok(("b".into(), String::new())));
        assert_eq!(
            uri("b/x").unwrap_err().to_string(),
            r#""b/x" is not an s3://bucket/prefix URI"#
        );
        assert_eq!(
            uri("s3:///x").unwrap_err().to_string(),
            r#""s3:///x" names no bucket"#
        );
    }

    #[test]
    fn a_bare_date_is_a_whole_day_and_a_time_is_an_instant() {
        let day: Date = "2026-11-20".parse().unwrap();
        assert_eq!(day.start().to_string(), "2026-11-20T00:00:00Z");
        assert_eq!(day.end().to_string(), "2026-11-21T00:00:00Z");
        let time: Date = "2026-11-20T10:30:00Z".parse().unwrap();
        assert_eq!(time.start().to_string(), "2026-11-20T10:30:00Z");
        assert_eq!(time.end().to_string(), "2026-11-20T10:30:00Z");
        assert!("20-11-2026"
            .parse::<Date>()
            .unwrap_err()
            .to_string()
            .contains("YYYY-MM-DD"));
    }
}
