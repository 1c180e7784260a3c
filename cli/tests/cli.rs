//! The `trailwatch` binary as users run it.

use std::path::Path;
use std::process::{Command, Output};

use trailwatch_testkit::{root, run_from_root, text};

fn trailwatch(args: &[&str]) -> Output {
    run_from_root(env!("CARGO_BIN_EXE_trailwatch"), args)
}

/// `trailwatch metrics --format json --jobs JOBS PATH`.
fn metrics_json(jobs: &str, path: &Path) -> Output {
    trailwatch(&[
        "metrics",
        "--format",
        "json",
        "--jobs",
        jobs,
        path.to_str().unwrap(),
    ])
}

#[test]
fn metrics_on_the_sample_logs_prints_a_table_and_a_summary() {
    let out = trailwatch(&["metrics", "events/cloudtrail/"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("TIMESTAMP"), "{stdout}");
    let alice = stdout
        .lines()
        .find(|l| l.contains("StartInstances") && l.contains("UserName=alice"))
        .unwrap();
    assert!(alice.contains("2026-11-25T09:00:00Z"), "{alice}");
    assert!(
        stdout.lines().any(|l| l.contains("UserName=DeployRole")),
        "assumed role → issuer name"
    );
    assert!(
        stdout.lines().last().unwrap().starts_with("* older than") || stdout.contains("TOTAL (")
    );
    assert!(
        stderr.contains("files: 3 read, 0 skipped, 0 failed"),
        "{stderr}"
    );
    assert!(stderr.contains("records: 406"), "{stderr}");
}

#[test]
fn sha256_prints_what_a_digest_lists_for_each_file_in_sha256sums_format() {
    let files = [
        "events/cloudtrail/123456789012_CloudTrail_us-east-1_20261125T0905Z_TrailwatchSample.json.gz",
        "events/cloudtrail/218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json",
    ];
    let mut args = vec!["metrics", "--sha256"];
    args.extend(files);
    let out = trailwatch(&args);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for file in files {
        let bytes = std::fs::read(root().join(file)).unwrap();
        let content = if file.ends_with(".gz") {
            trailwatch_testkit::gunzip(&bytes)
        } else {
            bytes
        };
        let line = format!("{}  {file}", trailwatch_testkit::sha256_hex(&content));
        assert!(stderr.lines().any(|l| l == line), "{line}\n{stderr}");
    }
    let plain = trailwatch(&["metrics", files[1]]);
    assert!(!text(&plain.stderr).contains(files[1]), "only when asked");
}

#[test]
fn json_format_prints_one_aws_shaped_datum_per_line() {
    let out = trailwatch(&[
        "metrics",
        "--format",
        "json",
        "--only",
        "StartInstances",
        "events/cloudtrail/",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "alice, bob, DeployRole");
    let alice = lines
        .iter()
        .find(|d| d["Dimensions"][0]["Value"] == "alice")
        .unwrap();
    assert_eq!(alice["Namespace"], "CloudTrailMetrics");
    assert_eq!(alice["MetricName"], "StartInstances");
    assert_eq!(alice["Dimensions"][0]["Name"], "UserName");
    assert_eq!(alice["Timestamp"], "2026-11-25T09:00:00Z");
    assert_eq!(alice["StatisticValues"]["SampleCount"], 2.0);
    assert_eq!(alice["Unit"], "Count");
}

#[test]
fn a_failed_file_makes_the_exit_status_non_zero_after_the_others() {
    let out = trailwatch(&[
        "metrics",
        "--format",
        "json",
        "tests/data/real/cloudgrep-tests/",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("FAILED tests/data/real/cloudgrep-tests/tests__data__bad_cloudtrail.json: unexpected end of data at byte offset 965"), "{stderr}");
    assert!(
        stderr.contains("files: 3 read, 0 skipped, 1 failed"),
        "{stderr}"
    );
    assert!(!out.stdout.is_empty(), "the good files still yield datums");
}

#[test]
fn rules_check_reports_errors_with_a_caret() {
    let dir = std::env::temp_dir().join(format!("trailwatch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"rules":[{"name":"Typo","filterPattern":"{ $.eventName = \"x\" && }","metricTransformations":[{"metricName":"m","metricValue":"1"}]}]}"#,
    )
    .unwrap();
    let out = trailwatch(&["rules", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("rule \"Typo\": filterPattern column 24: expected a condition"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("\n{}^\n", " ".repeat(4 + 23))),
        "{stderr}"
    );

    let good = dir.join("good.json");
    std::fs::copy(root().join("shared/rules/packs/cis-v7.0.0.json"), &good).unwrap();
    let out = trailwatch(&["rules", "check", good.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("15 rules OK"));
    // Each rule with what it is about, as `rules list` shows it.
    assert!(text(&out.stdout).contains("  about:    Use of the root user"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn rules_test_explains_matches_and_misses() {
    let file = "tests/data/real/datadog-stratus-red-team-detonation-logs/docs__detonation-logs__aws.defense-evasion.cloudtrail-stop.json";
    // By default: the matches, and how many rules do not.
    let out = trailwatch(&["rules", "test", file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("MATCH     CloudTrailConfigChanges"),
        "{stdout}"
    );
    assert!(
        stdout.contains("15 of 16 rules do not match (--verbose says why)")
            && !stdout.contains("no match  "),
        "{stdout}"
    );
    let out = trailwatch(&["rules", "test", "--verbose", file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("StopLogging at "), "{stdout}");
    assert!(
        stdout.contains("MATCH     CloudTrailConfigChanges"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "no match  RootAccountUsage\n              `$.userIdentity.type = \"Root\"` is false"
        ),
        "{stdout}"
    );
}

#[test]
fn unknown_rule_names_are_refused_with_the_list() {
    let out = trailwatch(&["metrics", "--only", "Nope", "events/cloudtrail/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr)
        .contains("no rule named \"Nope\"; the rules are: StartInstances, UnauthorizedAPICalls"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .args([
            "metrics",
            "--format",
            "json",
            "tests/data/real/invictus-ir_aws_dataset/",
        ])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before the first line
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_missing_path_is_named() {
    let out = trailwatch(&["metrics", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/dir"));
}

#[test]
fn counts_agree_with_the_independent_python_reference_on_generated_logs() {
    agrees_with_the_reference(3_000, 5, 3_000_000, "1");
}

/// A log past 200 MB of JSON whose records carry, in many fields, every value kind real logs hold:
/// fractions, exponents both ways, negative numbers, escapes and non-ASCII text (the generator's
/// `value_kinds`). A value cut by the reader's window once failed such files whole; small inputs
/// cannot show that.
#[test]
fn a_200_mb_log_with_every_value_kind_is_counted_exactly() {
    agrees_with_the_reference(160_000, 13, 200_000_000, "2");
}

/// Generates a log of `records` records, checks it holds at least `min_json_bytes` of JSON, and
/// compares trailwatch's sums, with `--jobs` at `jobs`, with the Python reference counter's.
fn agrees_with_the_reference(records: u32, seed: u32, min_json_bytes: u64, jobs: &str) {
    let dir = std::env::temp_dir().join(format!("trailwatch-ref-{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("generated.json.gz");
    let status = Command::new("python3")
        .args([
            "scripts/gen_cloudtrail.py",
            log.to_str().unwrap(),
            "--records",
            &records.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", text(&status.stderr));
    // "…: N records, B bytes uncompressed (…"
    let generated = text(&status.stdout) + &text(&status.stderr);
    let json_bytes: u64 = generated
        .split(" records, ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the generator's summary: {generated}"));
    assert!(json_bytes >= min_json_bytes, "{generated}");
    let reference = Command::new("python3")
        .args(["scripts/reference_count.py", log.to_str().unwrap()])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(reference.status.success(), "{}", text(&reference.stderr));
    let reference = text(&reference.stdout);
    let expected: std::collections::HashMap<&str, f64> = reference
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k, v.parse().unwrap()))
        .collect();

    // One file and more than one job: read ahead on a second thread.
    let out = metrics_json(jobs, &log);
    std::fs::remove_dir_all(dir).unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("records: {records} ({records} events;")),
        "{stderr}"
    );
    assert_eq!(expected["records"], f64::from(records), "{reference}");
    let mut sums = std::collections::HashMap::<String, f64>::new();
    let mut principals = std::collections::BTreeSet::new();
    for line in text(&out.stdout).lines() {
        let d: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = d["MetricName"].as_str().unwrap().to_owned();
        if name == "StartInstances" {
            principals.insert(d["Dimensions"][0]["Value"].as_str().unwrap().to_owned());
        }
        *sums.entry(name).or_default() += d["StatisticValues"]["Sum"].as_f64().unwrap();
    }
    assert!(expected["start_instances"] > 0.0, "{reference}");
    assert_eq!(
        sums["StartInstances"], expected["start_instances"],
        "{reference}"
    );
    assert_eq!(
        principals.len() as f64,
        expected["principals"],
        "{reference}"
    );
    assert_eq!(
        sums["RootAccountUsage"], expected["root_usage"],
        "{reference}"
    );
    assert_eq!(
        sums["UnauthorizedAPICalls"], expected["unauthorized"],
        "{reference}"
    );
    assert_eq!(
        sums["ConsoleSignInWithoutMFA"], expected["console_login_no_mfa"],
        "{reference}"
    );
}

#[test]
fn metrics_over_many_files_say_the_same_on_one_thread_or_several() {
    let dir = std::env::temp_dir().join(format!("trailwatch-jobs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let samples: Vec<_> = std::fs::read_dir(root().join("events/cloudtrail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("CloudTrail_"))
        .collect();
    assert_eq!(samples.len(), 3, "{samples:?}");
    // Copies of the samples (their datums add up), and two broken files among them: the failures
    // must be listed in the files' order too.
    for i in 0..12 {
        let sample = &samples[i % samples.len()];
        let name = format!("{i:02}-{}", sample.file_name().unwrap().to_string_lossy());
        std::fs::copy(sample, dir.join(name)).unwrap();
    }
    std::fs::write(dir.join("03-broken.json"), r#"{"Records":[{"eventTime":"#).unwrap();
    std::fs::write(dir.join("09-broken.json"), "not json").unwrap();
    let run = |jobs: &str| {
        let out = metrics_json(jobs, &dir);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        (text(&out.stdout), text(&out.stderr))
    };
    let (one, one_summary) = run("1");
    assert!(one.lines().count() > 10, "{one}");
    let failed = |summary: &str| {
        summary
            .lines()
            .filter(|l| l.contains("broken.json"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(failed(&one_summary).len(), 2, "{one_summary}");
    assert!(
        failed(&one_summary)[0].contains("03-broken") && failed(&one_summary)[1].contains("09-"),
        "{one_summary}"
    );
    // 20 is more than the files: each is then also read ahead on a second thread.
    for jobs in ["2", "5", "20"] {
        let (many, many_summary) = run(jobs);
        assert_eq!(many, one, "--jobs {jobs}");
        assert_eq!(many_summary, one_summary, "--jobs {jobs}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn metrics_show_percent_encoded_values_beside_their_originals_and_folds_by_rule() {
    let dir = std::env::temp_dir().join(format!("trailwatch-encoded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let event = |user: &str| {
        format!(
            r#"{{"eventTime":"2026-11-24T09:03:22Z","eventName":"StartInstances","eventSource":"ec2.amazonaws.com","userIdentity":{{"type":"IAMUser","userName":"{user}"}}}}"#
        )
    };
    let log = dir.join("users.json");
    std::fs::write(
        &log,
        format!("[{},{},{}]", event("Zoë"), event("민수"), event("alice")),
    )
    .unwrap();
    let out = trailwatch(&["metrics", log.to_str().unwrap()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("UserName=Zo%C3%AB"), "{stdout}");
    assert!(stdout.contains("UserName=%EB%AF%BC%EC%88%98"), "{stdout}");
    assert!(
        stderr.contains("2 dimension values published percent-encoded"),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"%EB%AF%BC%EC%88%98 = "민수", Zo%C3%AB = "Zoë""#),
        "{stderr}"
    );

    let rules = dir.join("rules.json");
    std::fs::write(
        &rules,
        r#"{"rules":[{"name":"Starts","filterPattern":"{ $.eventName = StartInstances }","maxDimensionValuesPerHour":1,"metricTransformations":[{"metricName":"Starts","metricValue":"1","dimensions":{"UserName":"@principalName"}}]}]}"#,
    )
    .unwrap();
    let out = trailwatch(&[
        "metrics",
        "--rules",
        rules.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("UserName=%other"), "{stdout}");
    assert!(
        stderr.contains("2 matches published with the dimension value %other, past their rule's maxDimensionValuesPerHour (Starts 2; totals stay exact)"),
        "{stderr}"
    );
}
