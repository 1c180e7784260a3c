//! `trailwatch rules export` and `rules check` on the built-in rules: what CloudWatch Logs would take,
//! checked by AWS's own template linter (cfn-lint, pinned in the test virtualenv).
#![cfg(feature = "emulator-tests")]

use std::process::{Command, Output};

use trailwatch_testkit::*;

fn trailwatch(args: &[&str]) -> Output {
    run_from_root(env!("CARGO_BIN_EXE_trailwatch"), args)
}

const LOG_GROUP: &str = "aws-cloudtrail-logs-123456789012";

/// `trailwatch rules export --format FORMAT --log-group LOG_GROUP` and more arguments.
fn export(format: &str, more: &[&str]) -> Output {
    let mut args = vec![
        "rules",
        "export",
        "--format",
        format,
        "--log-group",
        LOG_GROUP,
    ];
    args.extend_from_slice(more);
    trailwatch(&args)
}

#[test]
fn the_cis_rules_export_as_put_metric_filter_requests_and_start_instances_is_left_out_by_name() {
    let out = export("json", &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "a rule was left out: {stderr}");
    assert!(
        stderr.contains("rule StartInstances: LEFT OUT: dimension UserName is `@actor`"),
        "{stderr}"
    );
    let requests: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let requests = requests.as_array().unwrap();
    assert_eq!(requests.len(), 15, "{stderr}");
    let root_usage = requests
        .iter()
        .find(|r| r["filterName"] == "RootAccountUsage")
        .unwrap();
    assert_eq!(root_usage["logGroupName"], LOG_GROUP);
    // The default pack's pattern, as CIS v7.0.0 5.3 publishes it.
    assert_eq!(
        root_usage["filterPattern"],
        r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent"}"#
    );
    // Security Hub's CloudWatch.1 checks for its own spelling, byte for byte: its pack exports that.
    let out = export("json", &["--pack", "securityhub-legacy"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let requests: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let requests = requests.as_array().unwrap();
    assert_eq!(requests.len(), 14);
    assert_eq!(
        requests[0]["filterPattern"],
        r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#
    );
    assert_eq!(
        root_usage["metricTransformations"],
        serde_json::json!([{"metricName": "RootAccountUsage", "metricNamespace": "CloudTrailMetrics",
            "metricValue": "1", "defaultValue": 0.0, "unit": "Count"}])
    );
    // Only the rules that were named.
    let out = export("json", &["--only", "RootAccountUsage,UnauthorizedAPICalls"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let requests: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(requests.as_array().unwrap().len(), 2);
}

#[test]
fn the_cloudformation_export_passes_cfn_lint() {
    let out = export("cloudformation", &[]);
    let template: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let resources = template["Resources"].as_object().unwrap();
    assert_eq!(resources.len(), 15);
    assert!(resources
        .values()
        .all(|r| r["Type"] == "AWS::Logs::MetricFilter"
            && r["Properties"]["LogGroupName"] == LOG_GROUP));
    let dir = std::env::temp_dir().join(format!("trailwatch-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("filters.json");
    std::fs::write(&path, &out.stdout).unwrap();
    let lint = Command::new(venv_bin().join("cfn-lint"))
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        lint.status.success(),
        "{}{}",
        text(&lint.stdout),
        text(&lint.stderr)
    );
}

#[test]
fn the_terraform_export_has_one_resource_per_filter_with_escaped_patterns() {
    let out = export("terraform", &[]);
    let hcl = text(&out.stdout);
    assert_eq!(
        hcl.matches("resource \"aws_cloudwatch_log_metric_filter\"")
            .count(),
        15
    );
    assert!(
        hcl.contains(r#"resource "aws_cloudwatch_log_metric_filter" "rootaccountusage" {"#),
        "{hcl}"
    );
    assert!(
        hcl.contains(r#"  pattern        = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\"}""#),
        "{hcl}"
    );
    assert!(hcl.contains("    default_value = \"0\""), "{hcl}");
}

#[test]
fn a_bad_log_group_name_is_refused_before_anything_is_written() {
    let out = trailwatch(&[
        "rules",
        "export",
        "--format",
        "json",
        "--log-group",
        "no spaces please",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("no spaces please"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn rules_check_says_what_cloudwatch_would_make_of_each_rule() {
    let dir = std::env::temp_dir().join(format!("trailwatch-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rules.json");
    std::fs::write(
        &file,
        r#"{"rules":[
          {"name":"Plain","filterPattern":"{ $.eventName = StopLogging }","metricTransformations":[{"metricName":"A","metricValue":"1"}]},
          {"name":"Exists","filterPattern":"{ $.errorCode EXISTS }","metricTransformations":[{"metricName":"B","metricValue":"1"}]},
          {"name":"Email","filterPattern":"{ $.userIdentity.userName = bob@example.com }","metricTransformations":[{"metricName":"C","metricValue":"1"}]},
          {"name":"Who","filterPattern":"","metricTransformations":[{"metricName":"D","metricValue":"1","dimensions":{"User":"@principalName"}}]}
        ]}"#,
    )
    .unwrap();
    let out = trailwatch(&["rules", "check", file.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let verdict = |rule: &str| {
        let block = stdout.split(&format!("{rule}\n")).nth(1).unwrap_or("");
        block
            .lines()
            .find(|l| l.contains("CloudWatch Logs:"))
            .unwrap_or("")
            .to_owned()
    };
    assert!(verdict("Plain").contains("takes it as written"), "{stdout}");
    assert!(
        verdict("Exists").contains("CAN COUNT DIFFERENTLY"),
        "{stdout}"
    );
    assert!(
        verdict("Email").contains("with the same meaning"),
        "{stdout}"
    );
    assert!(
        verdict("Who").contains("no metric filter means this rule"),
        "{stdout}"
    );
}
