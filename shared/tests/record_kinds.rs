//! Records that are not one API call each: Insights events, aggregated data-event summaries and
//! network activity events, on AWS's documented examples (tests/data/record-kinds/SOURCE.md). Each is a
//! counted skip unless a rule asks for its kind by testing `eventCategory`; an aggregated summary is
//! never counted as a call.

use std::path::PathBuf;

use trailwatch::cloudtrail::ReadLimits;
use trailwatch::engine::{Engine, FileKind, FileReport};
use trailwatch::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE};

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/record-kinds")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run(rules: RuleSet, name: &str) -> FileReport {
    Engine::new(rules, ReadLimits::default())
        .process(name, &data(name)[..])
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Sum of a metric's datums.
fn sum(report: FileReport, metric: &str) -> f64 {
    report
        .aggregation
        .into_datums()
        .iter()
        .filter(|d| &*d.metric_name == metric)
        .map(|d| d.statistics.sum)
        .sum()
}

/// A rule that counts every record with an `eventTime`, and one per kind that names its category.
fn counting_rules() -> RuleSet {
    let rule = |name: &str, pattern: &str| {
        serde_json::json!({
            "name": name,
            "filterPattern": pattern,
            "metricTransformations": [{"metricName": name, "metricValue": "1"}],
        })
    };
    let file = serde_json::json!({"rules": [
        rule("Everything", "{ $.eventTime = * }"),
        rule("VpceDenied", r#"{ $.eventCategory = "NetworkActivity" && $.errorCode = "VpceAccessDenied" }"#),
        rule("DataInsights", r#"{ $.eventCategory = "Insight" && $.insightDetails.sourceEventCategory = "Data" }"#),
        rule("Aggregated", r#"{ $.eventCategory = "Aggregated" }"#),
    ]});
    RuleSet::from_json("counting.json", &file.to_string(), DEFAULT_NAMESPACE)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_built_in_rules_skip_every_record_that_is_not_one_api_call_and_say_so() {
    for (name, records) in [
        ("aggregated-data-events.json", 2),
        ("insights-management-and-data.json", 2),
        ("network-activity.json", 2),
    ] {
        let report = run(RuleSet::builtin(DEFAULT_NAMESPACE).unwrap(), name);
        assert_eq!(report.kind, FileKind::Events, "{name}");
        assert_eq!(report.counts.records, records, "{name}");
        assert_eq!(report.counts.skipped_not_api_call, records, "{name}");
        assert_eq!(report.counts.events, 0, "{name}");
        assert_eq!(report.counts.matches, 0, "{name}");
        assert!(report.aggregation.is_empty(), "{name}");
    }
}

#[test]
fn a_rule_that_names_the_category_counts_its_records_and_only_it_does() {
    let report = run(counting_rules(), "network-activity.json");
    assert_eq!(report.counts.events, 2);
    assert_eq!(report.counts.skipped_not_api_call, 0);
    // `Everything` does not test eventCategory: a call seen at the endpoint is not a second call.
    assert_eq!(report.rule_matches, vec![0, 1, 0, 0]);
    assert_eq!(sum(report, "VpceDenied"), 1.0);

    let report = run(counting_rules(), "insights-management-and-data.json");
    assert_eq!(report.rule_matches, vec![0, 0, 1, 0]);
    assert_eq!(sum(report, "DataInsights"), 1.0);
}

#[test]
fn an_aggregated_summary_is_never_counted_even_by_a_rule_that_asks_for_it() {
    // Each summary stands for up to thousands of calls (`summary.…statistics[].value`): counting it
    // as one would be wrong by that much.
    let report = run(counting_rules(), "aggregated-data-events.json");
    assert_eq!(report.counts.skipped_not_api_call, 2);
    assert_eq!(report.counts.matches, 0);
    assert!(report.aggregation.is_empty());
}

#[test]
fn api_calls_beside_other_kinds_are_counted_as_before() {
    // An ordinary management event in the same file as the VPC endpoint's records.
    let text = String::from_utf8(data("network-activity.json")).unwrap();
    let call = r#"{"eventVersion":"1.09","eventTime":"2024-07-15T23:57:12Z","eventSource":"kms.amazonaws.com","eventName":"ListKeys","eventType":"AwsApiCall","eventCategory":"Management","userIdentity":{"type":"IAMUser","userName":"alice"}},"#;
    let text = text.replacen("[\n", &format!("[\n{call}\n"), 1);
    let report = Engine::new(counting_rules(), ReadLimits::default())
        .process("mixed.json", text.as_bytes())
        .unwrap();
    assert_eq!(report.counts.records, 3);
    assert_eq!(report.rule_matches, vec![1, 1, 0, 0]);
    assert_eq!(sum(report, "Everything"), 1.0);
}
