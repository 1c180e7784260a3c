use super::*;
use crate::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE};

/// A rule set with one rule per pattern, named R0, R1…
fn rules(patterns: &[&str]) -> RuleSet {
    let rules: Vec<Json> = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({"name": format!("R{i}"), "filterPattern": p,
                   "metricTransformations": [{"metricName": format!("R{i}"), "metricValue": "1"}]})
        })
        .collect();
    RuleSet::from_json(
        "test",
        &json!({ "rules": rules }).to_string(),
        DEFAULT_NAMESPACE,
    )
    .unwrap()
}

fn compile_one(pattern: &str) -> Compiled {
    let set = rules(&[pattern]);
    let all: Vec<&Rule> = set.rules().iter().collect();
    compile(&all).unwrap()
}

fn detail(pattern: &str) -> Json {
    compile_one(pattern).pattern["detail"].clone()
}

#[test]
fn the_envelope_takes_cloudtrail_events_from_aws_only() {
    let c = compile_one(r#"{ $.eventName = "StopLogging" }"#);
    assert_eq!(c.pattern["source"], json!([{"prefix": "aws."}]));
    assert_eq!(
        c.pattern["detail-type"],
        json!([
            "AWS API Call via CloudTrail",
            "AWS Console Sign In via CloudTrail"
        ])
    );
    assert_eq!(c.pattern["detail"], json!({"eventName": ["StopLogging"]}));
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn root_usage_is_exact_with_nulls_and_booleans_passed_by_its_not_equal() {
    let c = compile_one(
        r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#,
    );
    assert_eq!(
        c.pattern["detail"],
        json!({
            "userIdentity": {"type": ["Root"], "invokedBy": [{"exists": false}]},
            "eventType": [{"anything-but": "AwsServiceEvent"}, null, true, false],
        })
    );
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn alternatives_on_one_field_are_one_list_and_on_two_fields_an_or() {
    assert_eq!(
        detail(r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#),
        json!({"errorCode": [{"suffix": "UnauthorizedOperation"}, {"prefix": "AccessDenied"}]})
    );
    assert_eq!(
        detail(
            r#"{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}"#
        ),
        json!({"eventSource": ["kms.amazonaws.com"], "eventName": ["DisableKey", "ScheduleKeyDeletion"]})
    );
    // Three or more exact values on one field are a set in the engine (`OneOf`): sorted here.
    assert_eq!(
        detail(r#"{ $.eventName = "C" || $.eventName = "A" || $.eventName = "B" }"#),
        json!({"eventName": ["A", "B", "C"]})
    );
    assert_eq!(
        detail(r#"{ $.eventName = "StopLogging" || $.userIdentity.type = "Root" }"#),
        json!({"$or": [{"eventName": ["StopLogging"]}, {"userIdentity": {"type": ["Root"]}}]})
    );
}

#[test]
fn and_over_or_is_distributed_into_branches() {
    assert_eq!(
        detail(r#"{ ($.a = "1" || $.b = "2") && ($.c = "3" || $.d = "4") }"#),
        json!({"$or": [
            {"a": ["1"], "c": ["3"]}, {"a": ["1"], "d": ["4"]},
            {"b": ["2"], "c": ["3"]}, {"b": ["2"], "d": ["4"]},
        ]})
    );
}

#[test]
fn each_operator_has_its_eventbridge_form() {
    assert_eq!(
        detail(r#"{ $.a = "*Bucket*" }"#),
        json!({"a": [{"wildcard": "*Bucket*"}]})
    );
    assert_eq!(
        detail(r#"{ $.a = "*x\\y*" }"#),
        json!({"a": [{"wildcard": "*x\\\\y*"}]})
    );
    assert_eq!(
        detail(r#"{ $.a != "Get*" }"#),
        json!({"a": [{"anything-but": {"prefix": "Get"}}, null, true, false]})
    );
    assert_eq!(
        detail(r#"{ $.a != "*Get" }"#),
        json!({"a": [{"anything-but": {"suffix": "Get"}}, null, true, false]})
    );
    assert_eq!(
        detail(r#"{ $.n > 5 && $.m <= -2.5 }"#),
        json!({"n": [{"numeric": [">", 5.0]}], "m": [{"numeric": ["<=", -2.5]}]})
    );
    assert_eq!(detail(r#"{ $.a IS TRUE }"#), json!({"a": [true]}));
    assert_eq!(detail(r#"{ $.a IS FALSE }"#), json!({"a": [false]}));
    assert_eq!(detail(r#"{ $.a IS NULL }"#), json!({"a": [null]}));
    assert_eq!(
        detail(r#"{ $.readOnly = "true" }"#),
        json!({"readOnly": ["true", true]})
    );
    assert_eq!(
        detail(r#"{ $.readOnly != "true" }"#),
        json!({"readOnly": [{"anything-but": "true"}, null, false]})
    );
    assert_eq!(
        detail(r#"{ $.code = 400 }"#),
        json!({"code": [{"numeric": ["=", 400.0]}, {"prefix": ""}]})
    );
    assert_eq!(
        detail(r#"{ $.resources[*].type = "AWS::KMS::Key" }"#),
        json!({"resources": {"type": ["AWS::KMS::Key"]}})
    );
}

#[test]
fn what_has_no_exact_form_is_left_to_the_engine_and_said() {
    for (pattern, said) in [
        (r#"{ $.a = %^x$% }"#, "no regular expressions"),
        (r#"{ $.* = "x" }"#, "`.*` selects any field"),
        (r#"{ $.a = * }"#, "not objects or arrays"),
        (r#"{ $.a != 5 }"#, "reads strings as numbers"),
        (r#"{ $.a = "4*" }"#, "number's digits"),
        (r#"{ $.a > 6000000000 }"#, "between -5e9 and 5e9"),
        (r#"{ $.a[0] != "x" }"#, "array element by position"),
        (r#"{ $.a[*] NOT EXISTS }"#, "every element"),
        ("AccessDenied", "term pattern"),
    ] {
        let c = compile_one(pattern);
        assert_eq!(c.pattern.get("detail"), None, "{pattern}");
        assert_eq!(c.notes.len(), 1, "{pattern}: {:?}", c.notes);
        assert!(c.notes[0].text.contains(said), "{pattern}: {}", c.notes[0]);
        assert_eq!(c.notes[0].rule, "R0");
    }
    // Left out of an `&&`, the rest still filters.
    let c = compile_one(r#"{ $.eventName = "X" && $.a = %^x$% }"#);
    assert_eq!(c.pattern["detail"], json!({"eventName": ["X"]}));
    assert_eq!(c.notes.len(), 1);
    // A positional test passes any element, and says so.
    let c = compile_one(r#"{ $.resources[0].type = "T" }"#);
    assert_eq!(c.pattern["detail"], json!({"resources": {"type": ["T"]}}));
    assert!(c.notes[0].text.contains("any element"), "{}", c.notes[0]);
    // An alternative that passes everything makes the whole `||` pass everything.
    let c = compile_one(r#"{ $.eventName = "X" || $.a = %^x$% }"#);
    assert_eq!(c.pattern.get("detail"), None);
}

#[test]
fn two_tests_on_one_field_in_an_and_keep_the_first_and_say_so() {
    let c = compile_one(r#"{ $.a != "x" && $.a != "y" }"#);
    assert_eq!(
        c.pattern["detail"],
        json!({"a": [{"anything-but": "x"}, null, true, false]})
    );
    assert!(c.notes[0].text.contains("only the first"), "{}", c.notes[0]);
    let c = compile_one(r#"{ $.a = "x" && $.a.b = "y" }"#);
    assert_eq!(c.pattern["detail"], json!({"a": ["x"]}));
    assert_eq!(c.notes.len(), 1);
}

#[test]
fn many_rules_are_one_or_and_repeated_branches_appear_once() {
    let set = rules(&[
        r#"{ $.eventName = "StopLogging" }"#,
        r#"{ $.eventName = "StopLogging" }"#,
        r#"{ $.userIdentity.type = "Root" }"#,
    ]);
    let all: Vec<&Rule> = set.rules().iter().collect();
    let c = compile(&all).unwrap();
    assert_eq!(
        c.pattern["detail"],
        json!({"$or": [{"eventName": ["StopLogging"]}, {"userIdentity": {"type": ["Root"]}}]})
    );
    assert_eq!(c.rules, ["R0", "R1", "R2"]);
}

#[test]
fn no_rules_or_a_pattern_eventbridge_would_refuse_is_an_error() {
    assert_eq!(compile(&[]), Err(EventBridgeError::NoRules));
    let long: Vec<String> = (0..60)
        .map(|i| {
            let names: Vec<String> = (0..8)
                .map(|j| format!("$.eventName = \"SomeLongEventName{i}x{j}\""))
                .collect();
            format!("{{ {} }}", names.join(" || "))
        })
        .collect();
    let set = rules(&long.iter().map(String::as_str).collect::<Vec<_>>());
    let all: Vec<&Rule> = set.rules().iter().collect();
    match compile(&all) {
        Err(EventBridgeError::TooLong { chars, max, rules }) => {
            assert!(chars > max);
            assert!(rules.starts_with("R0, R1"), "{rules}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_builtin_realtime_rules_compile_exactly() {
    let set = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
    let realtime: Vec<&Rule> = set.rules().iter().filter(|r| r.realtime).collect();
    let names: Vec<&str> = realtime.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ConsoleSignInWithoutMFA",
            "RootAccountUsage",
            "CloudTrailConfigChanges",
            "KMSKeyDisabledOrScheduledForDeletion",
            "OrganizationsChanges"
        ]
    );
    let c = compile(&realtime).unwrap();
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    assert_eq!(c.pattern["detail"]["$or"].as_array().unwrap().len(), 5);
}

#[test]
fn notes_name_the_rule_and_each_kind_of_left_out_test_says_why() {
    let c = compile_one(r#"{ $.a != %^x$% }"#);
    assert_eq!(
        c.notes[0].to_string(),
        format!("rule R0: {}", c.notes[0].text)
    );
    assert!(
        c.notes[0].text.contains("no anything-but for this value"),
        "{}",
        c.notes[0]
    );
    let c = compile_one(r#"{ $.a != "*x*" }"#);
    assert!(c.notes[0].text.contains("a `*` value"), "{}", c.notes[0]);
    // `!= "4*"` could hold for a number whose digits do not start with 4: left to the engine.
    let c = compile_one(r#"{ $.a != "4*" }"#);
    assert_eq!(c.pattern.get("detail"), None);
    assert!(c.notes[0].text.contains("a `*` value"), "{}", c.notes[0]);
    // The same test twice is one test, and no note.
    let c = compile_one(r#"{ $.a = "x" && $.a = "x" }"#);
    assert_eq!(c.pattern["detail"], json!({"a": ["x"]}));
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

/// `(f1 = "x" || … || fA = "x") && (g1 = "x" || … || gB = "x")`: A × B alternatives.
fn product(a: usize, b: usize) -> String {
    let side = |prefix: &str, n: usize| {
        (0..n)
            .map(|i| format!("$.{prefix}{i} = \"x\""))
            .collect::<Vec<_>>()
            .join(" || ")
    };
    format!("{{ ({}) && ({}) }}", side("f", a), side("g", b))
}

#[test]
fn a_rule_keeps_up_to_64_alternatives_and_leaves_an_and_operand_to_the_engine_beyond() {
    // 8 × 8 = 64: all kept.
    let c = compile_one(&product(8, 8));
    assert_eq!(c.pattern["detail"]["$or"].as_array().unwrap().len(), 64);
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    // 8 × 9 = 72: the second operand is left out, 8 alternatives remain, with a note.
    let c = compile_one(&product(8, 9));
    assert_eq!(c.pattern["detail"]["$or"].as_array().unwrap().len(), 8);
    assert!(
        c.notes[0].text.contains("more than 64 alternatives"),
        "{}",
        c.notes[0]
    );
}

#[test]
fn eventbridge_limits_hold_at_their_edges() {
    // 1,000 alternatives pass the combination limit (and fail on length); 1,001 do not.
    let many = |n: usize| {
        let patterns: Vec<String> = (0..n).map(|i| format!("{{ $.f{i} = \"x\" }}")).collect();
        rules(&patterns.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let set = many(1000);
    let all: Vec<&Rule> = set.rules().iter().collect();
    assert!(matches!(
        compile(&all),
        Err(EventBridgeError::TooLong { .. })
    ));
    let set = many(1001);
    let all: Vec<&Rule> = set.rules().iter().collect();
    assert!(matches!(
        compile(&all),
        Err(EventBridgeError::TooManyBranches {
            branches: 1001,
            max: 1000,
            ..
        })
    ));
    // A pattern of exactly 2,048 characters is accepted; one more is not. Two rules: one pattern is at
    // most 1,024 characters.
    let two = |n: usize| {
        let long = format!("{{ $.a = \"{}\" }}", "x".repeat(900));
        let other = format!("{{ $.b = \"{}\" }}", "y".repeat(n));
        let set = rules(&[&long, &other]);
        let all: Vec<&Rule> = set.rules().iter().collect();
        compile(&all)
    };
    let base = two(1).unwrap().pattern.to_string().chars().count() - 1;
    let fits = two(MAX_PATTERN_CHARS - base).unwrap();
    assert_eq!(fits.pattern.to_string().chars().count(), MAX_PATTERN_CHARS);
    assert!(matches!(
        two(MAX_PATTERN_CHARS - base + 1),
        Err(EventBridgeError::TooLong { chars, .. }) if chars == MAX_PATTERN_CHARS + 1
    ));
}

#[test]
fn exists_stays_its_own_alternative_and_repeated_alternatives_count_once() {
    // `exists` is not mixed into a list of values on the same field.
    assert_eq!(
        detail(r#"{ $.a NOT EXISTS || $.a = "x" }"#),
        json!({"$or": [{"a": [{"exists": false}]}, {"a": ["x"]}]})
    );
    assert_eq!(
        detail(r#"{ $.a = "x" || $.a NOT EXISTS }"#),
        json!({"$or": [{"a": ["x"]}, {"a": [{"exists": false}]}]})
    );
    // Nine copies of one alternative are one: 1 × 8 alternatives, not 9 × 8 (over the 64 a rule keeps).
    let repeated = [r#"($.a = "1" && $.b = "2")"#; 9].join(" || ");
    let side: Vec<String> = (0..8).map(|i| format!("$.g{i} = \"x\"")).collect();
    let c = compile_one(&format!("{{ ({repeated}) && ({}) }}", side.join(" || ")));
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    assert_eq!(c.pattern["detail"]["$or"].as_array().unwrap().len(), 8);
}
