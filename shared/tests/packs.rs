//! The built-in rule packs: every pattern pinned (`packs_pinned.tsv`), each with its provenance, the
//! published patterns that mix `&&` and `||` read with CloudWatch's precedence, and packs combined.

use trailwatch::event::FieldTable;
use trailwatch::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE, DEFAULT_PACKS, PACKS};

const PINNED: &str = include_str!("packs_pinned.tsv");

/// The packs whose titles say "Ensure … is monitored", and whose route-table item has an audit pattern
/// of its own.
const MONITORED_WORDING: [&str; 5] = [
    "cis-v3.0.0",
    "cis-v4.0.1",
    "cis-v5.0.0",
    "cis-v6.0.0",
    "cis-v7.0.0",
];

fn pack(name: &str) -> RuleSet {
    RuleSet::from_packs(&[name], DEFAULT_NAMESPACE).unwrap()
}

#[test]
fn every_pattern_of_every_pack_is_pinned_with_its_control_and_source() {
    let mut seen = Vec::new();
    for (name, _) in PACKS {
        let set = pack(name);
        assert!(!set.packs()[0].1.is_empty(), "{name} has no title");
        for rule in set.rules() {
            let control = rule.control.as_deref().unwrap_or("-");
            seen.push(format!(
                "{name}\t{}\t{control}\t{}",
                rule.name, rule.pattern_text
            ));
            assert_eq!(rule.pack.as_deref(), Some(name));
            if name != "start-instances" {
                let source = rule.source.as_deref().unwrap_or("");
                let version = control.split_whitespace().nth(1).unwrap_or("");
                assert!(
                    source.contains(control) || source.contains(&format!("{version} ")),
                    "{name} {}: source {source:?} does not name {control}",
                    rule.name
                );
                assert!(rule.title.is_some(), "{name} {}: no title", rule.name);
                assert!(rule.security, "{name} {}", rule.name);
            }
        }
    }
    let pinned: Vec<&str> = PINNED.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(seen.len(), pinned.len());
    for (got, want) in seen.iter().zip(&pinned) {
        assert_eq!(got, want);
    }
}

#[test]
fn the_v4_and_later_titles_say_monitored_and_v5_watches_modify_security_group_rules() {
    for name in MONITORED_WORDING {
        for rule in pack(name).rules() {
            let title = rule.title.as_deref().unwrap();
            assert!(
                title.starts_with("Ensure ") && title.ends_with(" monitored"),
                "{name} {}: {title}",
                rule.name
            );
        }
    }
    let root = pack("cis-v5.0.0");
    let root = root
        .rules()
        .iter()
        .find(|r| r.name == "RootAccountUsage")
        .unwrap();
    assert_eq!(
        root.title.as_deref(),
        Some("Ensure usage of the 'root' account is monitored")
    );
    let has_modify = |name: &str| {
        pack(name)
            .rules()
            .iter()
            .find(|r| r.name == "SecurityGroupChanges")
            .unwrap()
            .pattern_text
            .contains("ModifySecurityGroupRules")
    };
    for name in ["cis-v5.0.0", "cis-v6.0.0", "cis-v7.0.0"] {
        assert!(has_modify(name), "{name}");
    }
    for name in [
        "cis-v1.2.0",
        "cis-v1.4.0",
        "cis-v3.0.0",
        "cis-v4.0.1",
        "securityhub-legacy",
    ] {
        assert!(!has_modify(name), "{name}");
    }
}

/// How the pack's rule reads, as its `precedence` says.
fn reading(set: &RuleSet, rule: &str) -> String {
    let rule = set.rules().iter().find(|r| r.name == rule).unwrap();
    rule.precedence.clone().unwrap_or_default()
}

/// Whether `rule` of `set` matches `event`.
fn matches(set: &RuleSet, rule: &str, event: &str) -> bool {
    let event = set.fields().extract(event).unwrap();
    set.rules()
        .iter()
        .find(|r| r.name == rule)
        .unwrap()
        .pattern
        .matches(&event)
}

#[test]
fn unbracketed_and_or_reads_and_first_as_cloudwatch_does_and_says_so() {
    // `A || B && C && D` is `A || (B && C && D)`.
    let set = pack("cis-v7.0.0");
    assert!(reading(&set, "UnauthorizedAPICalls").contains("`&&` before `||`"));
    let event = |code: &str, ip: &str, name: &str| {
        format!(r#"{{"errorCode":"{code}","sourceIPAddress":"{ip}","eventName":"{name}"}}"#)
    };
    let yes = |code, ip, name| {
        assert!(
            matches(&set, "UnauthorizedAPICalls", &event(code, ip, name)),
            "{code} {ip} {name}"
        )
    };
    let no = |code, ip, name| {
        assert!(
            !matches(&set, "UnauthorizedAPICalls", &event(code, ip, name)),
            "{code} {ip} {name}"
        )
    };
    yes(
        "Client.UnauthorizedOperation",
        "203.0.113.9",
        "RunInstances",
    );
    // The UnauthorizedOperation alternative stands alone: the `&&` terms are not its.
    yes(
        "Client.UnauthorizedOperation",
        "delivery.logs.amazonaws.com",
        "HeadBucket",
    );
    yes("AccessDenied", "203.0.113.9", "GetObject");
    no("AccessDenied", "203.0.113.9", "HeadBucket");
    no("AccessDenied", "delivery.logs.amazonaws.com", "GetObject");
    // v1.4.0 joins every term with `||`: nearly every call matches, as published, and it says so.
    let v14 = pack("cis-v1.4.0");
    assert!(reading(&v14, "UnauthorizedAPICalls").contains("almost every event"));
    assert!(matches(
        &v14,
        "UnauthorizedAPICalls",
        r#"{"eventName":"DescribeInstances","sourceIPAddress":"203.0.113.9"}"#
    ));
    // The route-table item's audit text differs from its remediation pattern: said per pattern.
    for name in MONITORED_WORDING {
        let set = pack(name);
        let rule = set
            .rules()
            .iter()
            .find(|r| r.name == "RouteTableChanges")
            .unwrap();
        assert!(
            rule.precedence.as_deref().unwrap().contains("audit text"),
            "{name}"
        );
    }
}

#[test]
fn packs_combine_shared_rules_once_and_refuse_two_patterns_for_one_metric() {
    let set = RuleSet::from_packs(&["cis-v6.0.0", "cis-v7.0.0"], DEFAULT_NAMESPACE).unwrap();
    assert_eq!(set.rules().len(), 15);
    let e = RuleSet::from_packs(&["cis-v7.0.0", "securityhub-legacy"], DEFAULT_NAMESPACE)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cis-v7.0.0 and securityhub-legacy"), "{e}");
    assert!(e.contains("\"RootAccountUsage\""), "{e}");
    let e = RuleSet::from_packs(&["cis-v9"], DEFAULT_NAMESPACE)
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"cis-v9\"") && e.contains("cis-v7.0.0"), "{e}");
    let default = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
    let names: Vec<&str> = default.packs().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, DEFAULT_PACKS);
}

#[test]
fn every_pack_file_is_a_rule_file_that_parses_alone() {
    for (name, json) in PACKS {
        let set = RuleSet::from_json(name, json, DEFAULT_NAMESPACE).unwrap();
        assert_eq!(set.packs()[0].0, name);
        let mut fields = FieldTable::default();
        for r in set.rules() {
            trailwatch::rules::pattern::Pattern::parse(&r.pattern_text, &mut fields).unwrap();
        }
    }
}
