//! The EventBridge patterns `rules export --format eventbridge` writes, against the moto emulator's own
//! event-pattern matching: for every built-in rule, on every record of the published CloudTrail logs in
//! `tests/data/real` and on variants of them, the bus must deliver every event the engine matches, and
//! deliver nothing else where the compiler says the pattern is exact.
#![cfg(feature = "emulator-tests")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use trailwatch::rules::eventbridge;
use trailwatch::rules::ruleset::{Rule, RuleSet, DEFAULT_NAMESPACE, PACKS};
use trailwatch_testkit::*;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_none_or(|e| e != "md") {
            out.push(path);
        }
    }
}

/// The CloudTrail records in a value: a log file's `Records`, an array, LookupEvents' `Events`, or one
/// record.
fn records(value: Value, out: &mut Vec<Value>) {
    match value {
        Value::Array(items) => items.into_iter().for_each(|v| records(v, out)),
        Value::Object(mut o) => {
            if let Some(inner) = o.remove("Records").or_else(|| o.remove("Events")) {
                records(inner, out);
            } else if let Some(Value::String(text)) = o.get("CloudTrailEvent") {
                if let Ok(v) = serde_json::from_str(text) {
                    records(v, out);
                }
            } else if o.contains_key("eventName") {
                out.push(Value::Object(o));
            }
        }
        _ => {}
    }
}

/// Every record of the published logs.
fn real_records() -> Vec<Value> {
    let mut paths = Vec::new();
    files(&root().join("tests/data/real"), &mut paths);
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            gunzip(&bytes)
        } else {
            bytes
        };
        let text = String::from_utf8_lossy(&bytes);
        match serde_json::from_str::<Value>(&text) {
            Ok(v) => records(v, &mut out),
            Err(_) => text
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .for_each(|v| records(v, &mut out)),
        }
    }
    out
}

/// Variants the published logs lack, on the fields the rules test: nulls, booleans, missing fields,
/// another user type, refused calls.
fn variants(record: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut edit = |f: &dyn Fn(&mut Value)| {
        let mut v = record.clone();
        f(&mut v);
        out.push(v);
    };
    edit(&|v| v["eventType"] = Value::Null);
    edit(&|v| v["additionalEventData"] = json!({"MFAUsed": false}));
    edit(&|v| v["additionalEventData"] = json!({"MFAUsed": "Yes"}));
    edit(&|v| {
        v.as_object_mut().unwrap().remove("additionalEventData");
    });
    edit(&|v| v["userIdentity"]["type"] = json!("IAMUser"));
    edit(&|v| v["userIdentity"]["type"] = json!("Root"));
    edit(&|v| v["userIdentity"]["invokedBy"] = json!("cloudtrail.amazonaws.com"));
    edit(&|v| v["errorCode"] = json!("Client.UnauthorizedOperation"));
    edit(&|v| v["errorCode"] = json!("AccessDeniedException"));
    edit(&|v| v["responseElements"] = json!({"ConsoleLogin": "Success"}));
    out
}

/// The values a pattern compares `field` with: `$.eventName = "X"`, `($.eventName=X)`.
fn values_of(pattern: &str, field: &str) -> Vec<String> {
    let needle = format!("$.{field}");
    pattern
        .match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = pattern[at + needle.len()..].trim_start();
            let rest = rest.strip_prefix('=')?.trim_start();
            let value: String = rest
                .trim_start_matches('"')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            (!value.is_empty()).then_some(value)
        })
        .collect()
}

/// For each rule, a record for every event name it lists (with the event source it asks for): the
/// published logs do not hold every one.
fn listed_events(rules: &RuleSet, base: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for rule in rules.rules() {
        let sources = values_of(&rule.pattern_text, "eventSource");
        for name in values_of(&rule.pattern_text, "eventName") {
            let mut v = base.clone();
            v["eventName"] = json!(name);
            if let Some(source) = sources.first() {
                v["eventSource"] = json!(source);
            }
            out.push(v);
        }
    }
    out
}

/// What EventBridge would carry for a record: API calls and console sign-ins.
fn envelope(record: &Value) -> Value {
    let source = record["eventSource"]
        .as_str()
        .and_then(|s| s.strip_suffix(".amazonaws.com"))
        .unwrap_or("unknown");
    let detail_type = if record["eventType"] == "AwsConsoleSignIn" {
        "AWS Console Sign In via CloudTrail"
    } else {
        "AWS API Call via CloudTrail"
    };
    json!({"source": format!("aws.{source}"), "detail-type": detail_type, "detail": record})
}

fn engine_matches(rules: &RuleSet, rule: &Rule, record: &Value) -> bool {
    let text = record.to_string();
    let event = rules.fields().extract(&text).unwrap();
    rule.pattern.matches(&event)
}

/// moto's deliveries, per pattern name.
fn deliveries(
    patterns: &BTreeMap<String, Value>,
    events: &[Value],
) -> BTreeMap<String, Vec<usize>> {
    let input = json!({"patterns": patterns, "events": events});
    let mut child = Command::new(venv_bin().join("python"))
        .arg(root().join("scripts/testing/eventbridge_deliveries.py"))
        .arg(&emulator().moto)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every rule of every built-in pack, each pack on its own: (pack, rule set).
fn every_pack() -> Vec<(&'static str, RuleSet)> {
    PACKS
        .iter()
        .map(|(name, _)| {
            (
                *name,
                RuleSet::from_packs(&[name], DEFAULT_NAMESPACE).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_event_a_rule_matches_passes_its_eventbridge_pattern_and_exact_patterns_pass_no_other() {
    let packs = every_pack();
    let rules = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
    let real = real_records();
    assert!(real.len() > 300, "{} records", real.len());
    let mut all: Vec<Value> = real.clone();
    // The edges are in the variants of records some rule matches, and of a sample of the rest.
    for (i, r) in real.iter().enumerate() {
        if i % 40 == 0
            || rules
                .rules()
                .iter()
                .any(|rule| engine_matches(&rules, rule, r))
        {
            all.extend(variants(r));
        }
    }
    let base = &serde_json::from_str::<Value>(
        &std::fs::read_to_string(
            root().join("events/alarm-notifier/eventbridge-cloudtrail-stop-logging.json"),
        )
        .unwrap(),
    )
    .unwrap()["detail"];
    let mut listed_once = BTreeSet::new();
    for (_, set) in &packs {
        for listed in listed_events(set, base) {
            if listed_once.insert(listed.to_string()) {
                all.extend(variants(&listed));
                all.push(listed);
            }
        }
    }
    // Only what the bus would carry: API calls and console sign-ins.
    all.retain(|r| {
        matches!(
            r["eventType"].as_str(),
            Some("AwsApiCall" | "AwsConsoleSignIn") | None
        ) && r["eventSource"].is_string()
    });
    let events: Vec<Value> = all.iter().map(envelope).collect();
    // One emulator rule per distinct pattern: the packs share most of theirs.
    let mut patterns = BTreeMap::new();
    let mut pattern_of = BTreeMap::new();
    let mut exact = BTreeSet::new();
    for (pack, set) in &packs {
        for rule in set.rules() {
            let compiled = eventbridge::compile(&[rule]).unwrap();
            let key = format!("{pack}/{}", rule.name);
            if compiled.notes.is_empty() {
                exact.insert(key.clone());
            }
            let text = compiled.pattern.to_string();
            patterns.insert(text.clone(), compiled.pattern);
            pattern_of.insert(key, text);
        }
    }
    let realtime: Vec<&Rule> = packs
        .iter()
        .flat_map(|(_, s)| s.rules())
        .filter(|r| r.realtime)
        .collect();
    let union = eventbridge::compile(&realtime).unwrap().pattern;
    patterns.insert("(realtime)".into(), union);
    eprintln!(
        "{} events ({} published records), {} rules, {} distinct patterns",
        events.len(),
        real.len(),
        pattern_of.len(),
        patterns.len()
    );
    let delivered = deliveries(&patterns, &events);
    for (pack, set) in &packs {
        let mut matched_somewhere = 0;
        for rule in set.rules() {
            let key = format!("{pack}/{}", rule.name);
            let got: BTreeSet<usize> = delivered[&pattern_of[&key]].iter().copied().collect();
            let want: BTreeSet<usize> = all
                .iter()
                .enumerate()
                .filter(|(_, r)| engine_matches(set, rule, r))
                .map(|(i, _)| i)
                .collect();
            let missed: Vec<&usize> = want.difference(&got).collect();
            assert!(
                missed.is_empty(),
                "{key}: the bus would drop {} events the engine matches, e.g. {}",
                missed.len(),
                all[*missed[0]]
            );
            if exact.contains(&key) {
                let extra: Vec<&usize> = got.difference(&want).collect();
                assert!(
                    extra.is_empty(),
                    "{key} (exact pattern): {} events delivered the engine does not match, e.g. {}",
                    extra.len(),
                    all[*extra[0]]
                );
            }
            if !want.is_empty() {
                matched_somewhere += 1;
            }
        }
        // Every rule is exercised: a rule matching nothing would prove nothing.
        assert_eq!(matched_somewhere, set.rules().len(), "{pack}");
    }
    // The real-time pattern passes exactly what some pack's real-time rule matches.
    let got: BTreeSet<usize> = delivered["(realtime)"].iter().copied().collect();
    let want: BTreeSet<usize> = (0..all.len())
        .filter(|i| {
            packs.iter().any(|(_, set)| {
                set.rules()
                    .iter()
                    .any(|r| r.realtime && engine_matches(set, r, &all[*i]))
            })
        })
        .collect();
    assert_eq!(got, want);
    assert!(!want.is_empty());
}

#[test]
fn the_exported_pattern_is_the_real_time_rules_and_the_template_uses_it() {
    let out = run_from_root(
        env!("CARGO_BIN_EXE_trailwatch"),
        &["rules", "export", "--format", "eventbridge"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
    let realtime: Vec<&Rule> = rules.rules().iter().filter(|r| r.realtime).collect();
    assert_eq!(exported, eventbridge::compile(&realtime).unwrap().pattern);
    assert!(
        text(&out.stderr).contains("5 real-time rules"),
        "{}",
        text(&out.stderr)
    );
    // template.yaml's real-time rule holds every pack's real-time rules, whichever RulePack is chosen.
    let all: Vec<&str> = PACKS.iter().map(|(n, _)| *n).collect();
    let out = run_from_root(
        env!("CARGO_BIN_EXE_trailwatch"),
        &[
            "rules",
            "export",
            "--format",
            "eventbridge",
            "--pack",
            &all.join(","),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let every_pack: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(every_pack["detail"]["$or"].as_array().unwrap().len(), 6);
    let template = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let rule = &template[template.find("  RealtimeEventsRule:").unwrap()..];
    let line = rule
        .lines()
        .find_map(|l| l.trim().strip_prefix("EventPattern: "))
        .unwrap();
    let in_template: Value = serde_json::from_str(line).unwrap();
    assert_eq!(in_template, every_pack);
    let wrong = run_from_root(
        env!("CARGO_BIN_EXE_trailwatch"),
        &[
            "rules",
            "export",
            "--format",
            "eventbridge",
            "--log-group",
            "x",
        ],
    );
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong.stderr));
}
