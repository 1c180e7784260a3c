//! Text for people: the datum table, the run summary, rule listings and rule tests.

use std::fmt::Write as _;

use crate::files::RunSummary;
use trailwatch::cloudtrail::{self, Parsed, ReadLimits};
use trailwatch::engine::{parse_window, FileError};
use trailwatch::metrics::{request_batches, MetricDatum, OVERFLOW_DIMENSION_VALUE};
use trailwatch::rules::cloudwatch::{self, Acceptance};
use trailwatch::rules::ruleset::{MetricValue, RuleSet};
use trailwatch::text::format_number;
use trailwatch::time::UnixSeconds;

/// Whether a datum only says "nothing happened": a rule's default value of 0 for a minute without
/// matches. Most rows of a run are these; the table leaves them out unless asked.
fn is_zero(d: &MetricDatum) -> bool {
    let s = &d.statistics;
    s.sum == 0.0 && s.minimum == 0.0 && s.maximum == 0.0
}

/// The datums as an aligned table, in datum order, with a totals line. Rows CloudWatch would refuse at
/// `now` (too old, too far ahead) are marked `*`. Rows of zero are left out unless `zeros`; the totals
/// count every datum.
pub fn datum_table(datums: &[MetricDatum], now: UnixSeconds, zeros: bool) -> String {
    let header = [
        "TIMESTAMP",
        "NAMESPACE",
        "METRIC",
        "DIMENSIONS",
        "SAMPLES",
        "SUM",
        "MIN",
        "MAX",
        "UNIT",
    ];
    let mut rows: Vec<[String; 9]> = Vec::with_capacity(datums.len() + 1);
    let hidden = if zeros {
        0
    } else {
        datums.iter().filter(|d| is_zero(d)).count()
    };
    for d in datums.iter().filter(|d| zeros || !is_zero(d)) {
        let s = &d.statistics;
        let dims = d
            .dimensions
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let mark = if d.is_publishable_at(now) { "" } else { " *" };
        rows.push([
            format!("{}{mark}", d.timestamp),
            d.namespace.to_string(),
            d.metric_name.to_string(),
            if dims.is_empty() { "-".into() } else { dims },
            format_number(s.sample_count),
            format_number(s.sum),
            format_number(s.minimum),
            format_number(s.maximum),
            d.unit.to_owned(),
        ]);
    }
    let samples: f64 = datums.iter().map(|d| d.statistics.sample_count).sum();
    let sum: f64 = datums.iter().map(|d| d.statistics.sum).sum();
    let total = [
        format!("TOTAL ({} datums)", datums.len()),
        String::new(),
        String::new(),
        String::new(),
        format_number(samples),
        format_number(sum),
        String::new(),
        String::new(),
        String::new(),
    ];
    let mut widths = header.map(str::len);
    for row in rows.iter().chain(std::iter::once(&total)) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = aligned(
        std::iter::once(&header.map(str::to_owned))
            .chain(&rows)
            .chain(std::iter::once(&total)),
        &widths,
    );
    if datums
        .iter()
        .any(|d| !d.is_publishable_at(now) && (zeros || !is_zero(d)))
    {
        out.push_str(
            "* older than 14 days or more than 2 hours ahead: CloudWatch would refuse this datum\n",
        );
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "({hidden} of the {} datums are rules' default value 0 for a minute without matches: --zeros shows them)",
            datums.len()
        );
    }
    out
}

/// Rows as lines, each cell padded to its column's width: numbers (columns 4 to 7) to the right, text
/// to the left, two spaces between columns, no trailing spaces.
fn aligned<'r>(rows: impl Iterator<Item = &'r [String; 9]>, widths: &[usize; 9]) -> String {
    let numeric = |i: usize| (4..8).contains(&i);
    let mut out = String::new();
    for cells in rows {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if numeric(i) {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                if i + 1 < cells.len() {
                    text.push_str(&" ".repeat(pad));
                }
            }
            if i + 1 < cells.len() {
                text.push_str("  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// The run summary for stderr.
pub fn run_summary(summary: &RunSummary, datums: &[MetricDatum], now: UnixSeconds) -> String {
    let mut out = String::new();
    files_lines(summary, &mut out);
    let c = &summary.counts;
    let _ = writeln!(
        out,
        "records: {} ({} events; {} skipped: {} not objects, {} without a usable eventTime, {} digest/LookupEvents records, {} Insights/aggregated/network-activity records)",
        c.records,
        c.events,
        c.skipped(),
        c.skipped_not_object,
        c.skipped_no_event_time,
        c.skipped_not_event,
        c.skipped_not_api_call
    );
    matches_lines(summary, &mut out);
    datums_line(datums, now, &mut out);
    out
}

/// Each skipped and failed file, then the file counts.
fn files_lines(summary: &RunSummary, out: &mut String) {
    for (file, reason) in &summary.files_skipped {
        let _ = writeln!(out, "skipped {file}: {reason}");
    }
    for e in &summary.files_failed {
        let _ = writeln!(out, "FAILED {e}");
    }
    let _ = write!(
        out,
        "files: {} read, {} skipped, {} failed",
        summary.files_read,
        summary.files_skipped.len(),
        summary.files_failed.len()
    );
    if summary.files_ignored > 0 {
        let _ = write!(
            out,
            " ({} other files in directories ignored: not named *.json, *.gz, *.jsonl, *.ndjson or *.log)",
            summary.files_ignored
        );
    }
    out.push('\n');
}

/// The rule matches, and what became of the dimension values: folded past a rule's guard, encoded.
fn matches_lines(summary: &RunSummary, out: &mut String) {
    let c = &summary.counts;
    let dropped = c.no_metric_value + c.no_dimension_value;
    let _ = write!(out, "rule matches: {}", c.matches);
    if dropped > 0 {
        let _ = write!(
            out,
            " ({} without a datum: {} metricValue not a number, {} dimension missing)",
            dropped, c.no_metric_value, c.no_dimension_value
        );
    }
    if c.folded_dimension_value > 0 {
        let rules: Vec<String> = summary
            .rule_names
            .iter()
            .zip(&summary.rule_folds)
            .filter(|(_, n)| **n > 0)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        let _ = write!(
            out,
            "; {} matches published with the dimension value {OVERFLOW_DIMENSION_VALUE}, past their rule's maxDimensionValuesPerHour ({}; totals stay exact)",
            c.folded_dimension_value,
            rules.join(", ")
        );
    }
    if c.encoded_dimension_value > 0 {
        let _ = write!(
            out,
            "; {} dimension values published percent-encoded (non-ASCII, control characters, empty or over 1024 characters: see docs/rules.md)",
            c.encoded_dimension_value
        );
    }
    out.push('\n');
    if !summary.encoded_values.is_empty() {
        let shown: Vec<String> = summary
            .encoded_values
            .iter()
            .take(20)
            .map(|(published, original)| format!("{published} = {original:?}"))
            .collect();
        let more = summary.encoded_values.len().saturating_sub(shown.len());
        let _ = writeln!(
            out,
            "percent-encoded values (published = original): {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
}

/// The datums, and how many CloudWatch would take now in how many requests.
fn datums_line(datums: &[MetricDatum], now: UnixSeconds, out: &mut String) {
    let publishable: Vec<MetricDatum> = datums
        .iter()
        .filter(|d| d.is_publishable_at(now))
        .cloned()
        .collect();
    let requests = request_batches(&publishable).len();
    let _ = writeln!(
        out,
        "datums: {} ({} publishable now in {} PutMetricData request{}; {} not publishable: older than 14 days or more than 2 h ahead)",
        datums.len(),
        publishable.len(),
        requests,
        if requests == 1 { "" } else { "s" },
        datums.len() - publishable.len()
    );
}

/// The rules, one block each: name, pattern, what it publishes.
pub fn rule_listing(rules: &RuleSet) -> String {
    let mut out = String::new();
    for rule in rules.rules() {
        rule_block(rule, &mut out);
    }
    out
}

/// [`rule_listing`], with what CloudWatch Logs would make of each rule as a metric filter.
pub fn rule_check(rules: &RuleSet) -> String {
    let mut out = String::new();
    for rule in rules.rules() {
        rule_block(rule, &mut out);
        let _ = match cloudwatch::acceptance(rule) {
            Acceptance::AsWritten(_) => {
                writeln!(out, "  CloudWatch Logs: takes it as written")
            }
            Acceptance::Rewritten {
                changes,
                same_meaning,
                ..
            } => writeln!(
                out,
                "  CloudWatch Logs: would refuse it as written; `rules export` writes it {}:\n{}",
                if same_meaning {
                    "with the same meaning"
                } else {
                    "so that it CAN COUNT DIFFERENTLY"
                },
                changes
                    .iter()
                    .map(|c| format!("    - {c}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            Acceptance::Refused(why) => writeln!(
                out,
                "  CloudWatch Logs: no metric filter means this rule (trailwatch counts it; `rules export` leaves it out):\n{}",
                why.iter()
                    .map(|c| format!("    - {c}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
    }
    out
}

fn rule_block(rule: &trailwatch::rules::ruleset::Rule, out: &mut String) {
    {
        let _ = writeln!(out, "{}", rule.name);
        if let Some(description) = &rule.description {
            let _ = writeln!(out, "  about:    {description}");
        }
        if let Some(control) = &rule.control {
            let _ = writeln!(out, "  control:  {control}");
        }
        if let Some(title) = &rule.title {
            let _ = writeln!(out, "  title:    {title}");
        }
        if let Some(source) = &rule.source {
            let _ = writeln!(out, "  source:   {source}");
        }
        if let Some(precedence) = &rule.precedence {
            let _ = writeln!(out, "  reading:  {precedence}");
        }
        let _ = writeln!(out, "  pattern:  {}", rule.pattern_text);
        if rule.realtime {
            let _ = writeln!(
                out,
                "  realtime: each match notified at once (EventBridge), besides the count"
            );
        }
        for t in &rule.transformations {
            let value = match t.value {
                MetricValue::Constant(_) => t.value_text.clone(),
                MetricValue::Field(_) => format!("{} (from the event)", t.value_text),
            };
            let dims = t
                .dimensions
                .iter()
                .map(|d| format!("{}={}", d.name, d.source_text))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = write!(
                out,
                "  metric:   {}/{} value {value} unit {}",
                t.namespace, t.metric_name, t.unit
            );
            if !dims.is_empty() {
                let _ = write!(out, " dimensions {dims}");
            }
            if let Some(d) = t.default_value {
                let _ = write!(out, " default {}", format_number(d));
            }
            out.push('\n');
        }
    }
}

/// For one event: which rules match and what each would publish; with `verbose`, also which
/// condition failed for each of the others, else only how many they are.
pub fn rule_test(rules: &RuleSet, event: &trailwatch::event::Event<'_>, verbose: bool) -> String {
    let mut out = String::new();
    let mut unmatched = 0;
    for rule in rules.rules() {
        if !rule.pattern.matches(event) {
            unmatched += 1;
            if verbose {
                let _ = writeln!(out, "  no match  {}", rule.name);
                for why in rule.pattern.explain_mismatch(event) {
                    let _ = writeln!(out, "              {why}");
                }
            }
            continue;
        }
        let _ = writeln!(out, "  MATCH     {}", rule.name);
        for t in &rule.transformations {
            publishes(rules, t, event, &mut out);
        }
    }
    if !verbose && unmatched > 0 {
        let _ = writeln!(
            out,
            "  {unmatched} of {} rules do not match (--verbose says why)",
            rules.rules().len()
        );
    }
    out
}

/// What one transformation of a matching rule publishes for the event, or why it publishes nothing.
fn publishes(
    rules: &RuleSet,
    t: &trailwatch::rules::ruleset::Transformation,
    event: &trailwatch::event::Event<'_>,
    out: &mut String,
) {
    let value = rules.metric_value(&t.value, event);
    let mut dims = Vec::new();
    let mut missing = None;
    for d in &t.dimensions {
        match rules.dimension_value(d.source, event) {
            Some(v) => {
                let published = trailwatch::metrics::published_dimension_value(&v);
                if published == v {
                    dims.push(format!("{}={v}", d.name));
                } else {
                    dims.push(format!(
                        "{}={published} (percent-encoded from {v:?})",
                        d.name
                    ));
                }
            }
            None => {
                missing = Some(format!(
                    "dimension {} ({}) has no value",
                    d.name, d.source_text
                ))
            }
        }
    }
    let _ = match (value, missing) {
        (Some(v), None) => writeln!(
            out,
            "              publishes {}/{} {} value {}",
            t.namespace,
            t.metric_name,
            if dims.is_empty() {
                "(no dimensions)".into()
            } else {
                dims.join(",")
            },
            format_number(v)
        ),
        (None, _) => writeln!(
            out,
            "              no datum for {}: metricValue {} is not a number here",
            t.metric_name, t.value_text
        ),
        (_, Some(why)) => {
            writeln!(out, "              no datum for {}: {why}", t.metric_name)
        }
    };
}

/// Runs [`rule_test`] on every record of a file (a single event, a log file, an array, NDJSON).
pub fn rule_test_file(
    rules: &RuleSet,
    file: &str,
    source: impl std::io::Read,
    verbose: bool,
) -> Result<String, FileError> {
    let fail = |error| FileError {
        file: file.to_owned(),
        gzip: false,
        error,
    };
    let (_, decoded) = cloudtrail::open(source).map_err(fail)?;
    let mut out = String::new();
    let mut n = 0;
    let mut on_record = |window: cloudtrail::RecordWindow<'_>| {
        let Some((event, len)) = parse_window(rules, window)? else {
            return Ok(Parsed::Incomplete);
        };
        n += 1;
        let _ = writeln!(
            out,
            "record {n} (byte {}): {}",
            window.offset,
            rules.describe(&event)
        );
        out.push_str(&rule_test(rules, &event, verbose));
        Ok(Parsed::Record { len })
    };
    cloudtrail::read_records(decoded, ReadLimits::default(), &mut on_record).map_err(fail)?;
    if n == 0 {
        let _ = writeln!(out, "{file}: no records");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailwatch::metrics::StatisticSet;
    use trailwatch::rules::ruleset::DEFAULT_NAMESPACE;

    #[test]
    fn table_is_aligned_with_totals_and_marks_unpublishable_rows() {
        let d = |user: &str, t: i64, n: f64| MetricDatum {
            namespace: "CloudTrailMetrics".into(),
            metric_name: "StartInstances".into(),
            dimensions: vec![("UserName".into(), user.into())],
            timestamp: UnixSeconds(t),
            statistics: StatisticSet {
                sample_count: n,
                sum: n,
                minimum: 1.0,
                maximum: 1.0,
            },
            unit: "Count",
        };
        let now = UnixSeconds(1_700_000_000);
        let table = datum_table(
            &[d("alice", 1_699_999_980, 12.0), d("bob", 0, 3.0)],
            now,
            false,
        );
        let lines: Vec<_> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        assert!(lines[0].starts_with("TIMESTAMP"));
        assert!(lines[1].contains("UserName=alice") && lines[1].contains("12"));
        assert!(lines[2].starts_with("1970-01-01T00:00:00Z *"));
        assert!(lines[3].starts_with("TOTAL (2 datums)") && lines[3].contains("15"));
        // Columns line up: the METRIC column starts at the same place on every row.
        let col = lines[0].find("METRIC").unwrap();
        assert!(lines[1..3]
            .iter()
            .all(|l| &l[col..col + 14] == "StartInstances"));
    }

    #[test]
    fn rows_of_zero_are_left_out_unless_asked_and_still_counted() {
        let d = |user: &str, value: f64| MetricDatum {
            namespace: "CloudTrailMetrics".into(),
            metric_name: "StartInstances".into(),
            dimensions: vec![("UserName".into(), user.into())],
            timestamp: UnixSeconds(1_699_999_980),
            statistics: StatisticSet {
                sample_count: 1.0,
                sum: value,
                minimum: value,
                maximum: value,
            },
            unit: "Count",
        };
        let now = UnixSeconds(1_700_000_000);
        let datums = [d("alice", 1.0), d("nobody", 0.0), d("bob", 2.0)];
        let table = datum_table(&datums, now, false);
        assert!(!table.contains("nobody"), "{table}");
        assert!(table.contains("TOTAL (3 datums)"), "{table}");
        assert!(
            table.contains("(1 of the 3 datums are rules' default value 0"),
            "{table}"
        );
        let all = datum_table(&datums, now, true);
        assert!(all.contains("nobody") && !all.contains("--zeros"), "{all}");
    }

    #[test]
    fn rule_test_shows_a_percent_encoded_dimension_value_beside_the_original() {
        let rules = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
        let event = rules
            .fields()
            .extract(r#"{"eventTime":"2023-07-10T11:45:02Z","eventName":"StartInstances","userIdentity":{"type":"IAMUser","userName":"josé"}}"#)
            .unwrap();
        let text = rule_test(&rules, &event, true);
        assert!(
            text.contains("publishes CloudTrailMetrics/StartInstances UserName=jos%C3%A9 (percent-encoded from \"josé\") value 1"),
            "{text}"
        );
    }

    #[test]
    fn rule_test_says_what_matched_and_why_others_did_not() {
        let rules = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
        let event = rules
            .fields()
            .extract(r#"{"eventTime":"2023-07-10T11:45:02Z","eventName":"StartInstances","errorCode":"Client.UnauthorizedOperation","userIdentity":{"type":"IAMUser","userName":"mallory"}}"#)
            .unwrap();
        let text = rule_test(&rules, &event, true);
        assert!(text.contains("MATCH     UnauthorizedAPICalls"), "{text}");
        assert!(
            text.contains(
                "publishes CloudTrailMetrics/UnauthorizedAPICalls (no dimensions) value 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "no match  StartInstances\n              `$.errorCode NOT EXISTS` is false"
            ),
            "{text}"
        );
    }
}
