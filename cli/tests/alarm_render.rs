//! Snapshot tests of every rendering of every alarm sample, through `trailwatch alarm render`.
//! `UPDATE_SNAPSHOTS=1 cargo test -p trailwatch-cli --test alarm_render` rewrites them; review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn samples() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "events/alarm-notifier",
        "events/alarm-notifier/aws_lambda_events",
    ] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 11, "{files:?}");
    files
}

/// The root-account sample with its evidence lines: the message lists the events behind it.
const EVIDENCE: &str = "events/alarm-notifier/evidence/root-account-usage.ndjson";
const ROOT_SAMPLE: &str = "events/alarm-notifier/sns-trailwatch-root-account-usage.json";

fn render(to: &str, sample: &Path) -> String {
    render_with(to, sample, &[])
}

fn render_with(to: &str, sample: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .args(["alarm", "render", "--to", to])
        .args(args)
        .arg(sample)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{to} {}: {}",
        sample.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_rendering_of_every_sample_matches_its_snapshot() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut mismatches = Vec::new();
    let evidence = root().join(EVIDENCE).display().to_string();
    let mut variants: Vec<(PathBuf, String, Vec<&str>)> = samples()
        .into_iter()
        .map(|s| {
            let stem = s.file_stem().unwrap().to_string_lossy().into_owned();
            (s, stem, Vec::new())
        })
        .collect();
    variants.push((
        root().join(ROOT_SAMPLE),
        "sns-trailwatch-root-account-usage.with-evidence".into(),
        vec!["--evidence", &evidence],
    ));
    for (sample, stem, args) in variants {
        for (to, ext) in [
            ("text", "txt"),
            ("slack", "json"),
            ("teams", "json"),
            ("discord", "json"),
            ("json", "json"),
            ("pagerduty", "json"),
        ] {
            let got = render_with(to, &sample, &args);
            let snapshot = root()
                .join("cli/tests/snapshots")
                .join(format!("{stem}.{to}.{ext}"));
            if update {
                std::fs::write(&snapshot, &got).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&snapshot).unwrap_or_default();
            if got != want {
                mismatches.push(format!("{}\n--- got ---\n{got}", snapshot.display()));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} snapshots differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn renderings_respect_each_destinations_rules() {
    for sample in samples() {
        for doc in render("slack", &sample)
            .split("\n}\n")
            .filter(|d| !d.trim().is_empty())
        {
            let v: serde_json::Value = serde_json::from_str(&format!("{doc}\n}}")).unwrap();
            assert!(
                v["text"].as_str().is_some_and(|t| !t.is_empty()),
                "Slack needs a text fallback"
            );
            let blocks = v["attachments"][0]["blocks"].as_array().unwrap();
            assert!(blocks.len() <= 50);
            assert!(
                blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= 150,
                "header ≤ 150"
            );
        }
        for doc in render("discord", &sample)
            .split("\n}\n")
            .filter(|d| !d.trim().is_empty())
        {
            let v: serde_json::Value = serde_json::from_str(&format!("{doc}\n}}")).unwrap();
            let e = &v["embeds"][0];
            assert!(e["title"].as_str().unwrap().chars().count() <= 256);
            assert!(e["description"].as_str().unwrap().chars().count() <= 4096);
            for f in e["fields"].as_array().unwrap() {
                assert!(f["value"].as_str().unwrap().chars().count() <= 1024);
            }
        }
        for doc in render("teams", &sample)
            .split("\n}\n")
            .filter(|d| !d.trim().is_empty())
        {
            let v: serde_json::Value = serde_json::from_str(&format!("{doc}\n}}")).unwrap();
            assert_eq!(
                v["attachments"][0]["contentType"],
                "application/vnd.microsoft.card.adaptive"
            );
            assert_eq!(v["attachments"][0]["content"]["type"], "AdaptiveCard");
        }
        let text = render("text", &sample);
        let subject = text.lines().next().unwrap().trim_start_matches("Subject: ");
        assert!(subject.len() < 100 && subject.is_ascii(), "{subject}");
    }
}

#[test]
fn a_trailwatch_alarm_links_to_the_cloudtrail_events_behind_it() {
    let text = render(
        "text",
        &root().join("events/alarm-notifier/sns-trailwatch-root-account-usage.json"),
    );
    assert!(text.contains("trailwatch rule RootAccountUsage"), "{text}");
    assert!(
        text.contains("#logsV2:logs-insights$3FqueryDetail$3D"),
        "{text}"
    );
    assert!(
        text.contains("rule*20*3D*20*22RootAccountUsage*22"),
        "{text}"
    );
    // Other alarms get no such section.
    let other = render(
        "text",
        &root().join("events/alarm-notifier/sns-composite-alarm.json"),
    );
    assert!(
        !other.contains("trailwatch rule") && other.contains("composite rule: ALARM(checkout-5xx)"),
        "{other}"
    );
}

#[test]
fn an_unrecognised_event_is_an_error() {
    let dir = std::env::temp_dir().join(format!("trailwatch-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(&file, r#"{"hello": "world"}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .args(["alarm", "render"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unrecognised event") && err.contains("keys hello"),
        "{err}"
    );
}
