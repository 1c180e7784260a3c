use super::*;

fn check(pattern: &str, event: &str) -> bool {
    let mut fields = FieldTable::default();
    let p = Pattern::parse(pattern, &mut fields).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    p.matches(&fields.extract(event).unwrap())
}

fn error(pattern: &str) -> PatternError {
    Pattern::parse(pattern, &mut FieldTable::default()).unwrap_err()
}

const START: &str = r#"{"eventName":"StartInstances","eventSource":"ec2.amazonaws.com","userIdentity":{"type":"IAMUser","userName":"alice"},"readOnly":false,"latency":250,"resp":null,"tags":["a","b"],"code":"400"}"#;

#[test]
fn equality_on_strings_quoted_and_unquoted() {
    assert!(check(r#"{ $.eventName = "StartInstances" }"#, START));
    assert!(check("{$.eventName=StartInstances}", START));
    assert!(check("{($.eventSource=ec2.amazonaws.com)}", START));
    assert!(!check(r#"{ $.eventName = "StopInstances" }"#, START));
    assert!(check(r#"{ $.eventName != "StopInstances" }"#, START));
}

#[test]
fn wildcards_only_at_the_edges() {
    assert!(check(r#"{ $.eventName = "Start*" }"#, START));
    assert!(check(r#"{ $.eventName = "*Instances" }"#, START));
    assert!(check(r#"{ $.eventName = "*tartInst*" }"#, START));
    assert!(!check(r#"{ $.eventName = "Start*Instances" }"#, START));
    assert!(check(r#"{ $.x = "Ev*ent" }"#, r#"{"x":"Ev*ent"}"#));
    assert!(check(r#"{ $.eventName = * }"#, START));
    assert!(!check(r#"{ $.nothing = * }"#, START));
}

#[test]
fn not_equals_needs_a_scalar_field() {
    // Chosen and documented: a missing field, object or array never satisfies `=` or `!=`.
    assert!(!check(r#"{ $.errorCode != "AccessDenied" }"#, START));
    assert!(!check(r#"{ $.userIdentity != "x" }"#, START));
    assert!(!check(r#"{ $.tags != 1 }"#, START));
    assert!(!check(r#"{ $.tags = 1 }"#, START));
}

#[test]
fn numeric_comparisons() {
    assert!(check("{ $.latency > 200 }", START));
    assert!(check("{ $.latency >= 250 && $.latency <= 250.0 }", START));
    assert!(!check("{ $.latency < 250 }", START));
    assert!(check("{ $.latency = 2.5e2 }", START));
    assert!(check("{ $.latency > +100 }", START));
    assert!(check("{ $.latency != 251 }", START));
    // A string holding a number compares equal to that number (documented choice)…
    assert!(check("{ $.code = 400 }", START));
    // …but ordering needs a JSON number.
    assert!(!check("{ $.code > 300 }", START));
    assert!(!check("{ $.eventName > 3 }", START));
}

#[test]
fn each_ordering_operator_holds_exactly_on_its_side_of_the_bound() {
    // latency is 250: each operator against a bound below, at and above it.
    for (op, below, at, above) in [
        ("<", false, false, true),
        ("<=", false, true, true),
        (">", true, false, false),
        (">=", true, true, false),
        ("=", false, true, false),
        ("!=", true, false, true),
    ] {
        for (bound, expected) in [(249.5, below), (250.0, at), (250.5, above)] {
            let pattern = format!("{{ $.latency {op} {bound} }}");
            assert_eq!(check(&pattern, START), expected, "{pattern}");
        }
    }
}

#[test]
fn is_true_false_null_exists() {
    assert!(check("{ $.readOnly IS FALSE }", START));
    assert!(!check("{ $.readOnly IS TRUE }", START));
    assert!(check("{ $.resp IS NULL }", START));
    assert!(!check("{ $.missing IS NULL }", START));
    assert!(check("{ $.errorCode NOT EXISTS }", START));
    assert!(!check("{ $.eventName NOT EXISTS }", START));
    assert!(check("{ $.userIdentity EXISTS }", START));
    assert!(check("{ $.readOnly = false }", START));
}

#[test]
fn arrays_by_index() {
    assert!(check(r#"{ $.tags[1] = "b" }"#, START));
    assert!(!check(r#"{ $.tags[2] = * }"#, START));
}

#[test]
fn and_binds_tighter_than_or() {
    // CloudWatch's own example: A || B && C is A || (B && C).
    assert!(check(
        r#"{ $.eventName = "StartInstances" || $.x = 1 && $.y = 2 }"#,
        START
    ));
    assert!(!check(
        r#"{ ($.eventName = "StartInstances" || $.x = 1) && $.y = 2 }"#,
        START
    ));
}

#[test]
fn regex_values_search_unanchored() {
    assert!(check("{ $.eventName = %art[A-Z]% }", START));
    assert!(!check("{ $.eventName = %^Instances% }", START));
    assert!(check("{ $.eventName = %^Start|^Stop% }", START));
    assert_eq!(error("{ $.a = %a(b)% }").column, 11);
    assert_eq!(error("{ $.a = %a% || $.b = %b% || $.c = %c% }").column, 35);
    assert!(error("{ $.a = %abc }").message.contains("not closed"));
}

#[test]
fn regex_classes_are_ascii_and_regexes_work_as_terms() {
    assert!(check(r#"{ $.n = %^\d+$% }"#, r#"{"n":"123"}"#));
    assert!(
        !check(r#"{ $.n = %\d% }"#, r#"{"n":"٣"}"#),
        "Arabic-Indic digit"
    );
    assert!(!check(r#"{ $.n = %\w% }"#, r#"{"n":"é"}"#));
    assert!(check(r#"{ $.n = %[\d]x% }"#, r#"{"n":"5x"}"#));
    assert!(check("%Start[A-Z]n%", START));
    assert!(!check("%start[A-Z]n%", START));
    assert!(check("?%Nope% ?%ali%", START));
    assert!(check("StartInstances -%xyz%", START));
}

#[test]
fn unquoted_values_that_look_numeric_but_are_not_numbers_are_text() {
    let e = r#"{"ip":"10.0.0.1","d":"2023-01-01","n":10}"#;
    assert!(check("{ $.ip = 10.0.0.1 }", e));
    assert!(check("{ $.ip = 10.0.* }", e));
    assert!(check("{ $.d = 2023-01-01 }", e));
    assert!(check("{ $.n = 10 }", e));
}

#[test]
fn keywords_next_to_non_ascii_text_are_errors_not_panics() {
    assert!(Pattern::parse("{ $.a aé }", &mut FieldTable::default()).is_err());
    assert_eq!(error("{ $.b ≠ 1 }").column, 7);
    assert!(Pattern::parse("{ $.a Ié }", &mut FieldTable::default()).is_err());
}

#[test]
fn terms_match_substrings_case_sensitively() {
    assert!(check("StartInstances", START));
    assert!(check("Start", START));
    assert!(!check("startinstances", START));
    assert!(check(r#""ec2.amazonaws.com""#, START));
    assert!(check("?Nope ?alice", START));
    assert!(!check("?Nope ?Never", START));
    assert!(!check("StartInstances -alice", START));
    // `?` terms are ignored beside plain terms, as CloudWatch documents.
    assert!(check("?Never StartInstances", START));
    assert!(check(r#"" ""#, START));
    assert!(check("", START));
    assert!(check("   ", START));
}

#[test]
fn long_or_lists_of_one_field_become_a_set_lookup() {
    let mut fields = FieldTable::default();
    let p = Pattern::parse(
        r#"{ ($.eventName = CreateVpc) || ($.eventName = "DeleteVpc") || ($.eventName = ModifyVpcAttribute) }"#,
        &mut fields,
    )
    .unwrap();
    assert!(matches!(&p, Pattern::Json(Expr::OneOf { values, .. }) if values.len() == 3));
    let json = |name: &str| format!(r#"{{"eventName":"{name}"}}"#);
    let (yes, no, other) = (json("DeleteVpc"), json("DeleteVpcs"), json("RunInstances"));
    assert!(p.matches(&fields.extract(&yes).unwrap()));
    assert!(!p.matches(&fields.extract(&no).unwrap()));
    assert_eq!(
        p.explain_mismatch(&fields.extract(&other).unwrap()),
        vec![
            r#"none of the 3 `$.eventName = …` alternatives holds: $.eventName is "RunInstances""#
                .to_owned()
        ]
    );
    // Wildcards, mixed fields or other tests keep the general form.
    for mixed in [
        r#"{ $.a = x || $.a = y* || $.a = z }"#,
        r#"{ $.a = x || $.b = y || $.a = z }"#,
        r#"{ $.a = x || $.a != y || $.a = z }"#,
    ] {
        let p = Pattern::parse(mixed, &mut fields).unwrap();
        assert!(matches!(p, Pattern::Json(Expr::Or(_))), "{mixed}");
    }
}

#[test]
fn sets_share_one_lookup_per_field_and_overflow_to_their_own() {
    // 70 lists on each of 6 fields: past 64 lists on a field, or lists on more than 4 fields, a
    // list is looked up on its own. Every list must answer the same either way.
    let mut fields = FieldTable::default();
    let names = ["a", "b", "c", "d", "e", "f"];
    let mut patterns = Vec::new();
    for name in names {
        for i in 0..70 {
            let text = format!(
                "{{ $.{name} = v{i} || $.{name} = w{i} || $.{name} = v{} || $.{name} = true }}",
                i + 1
            );
            let p = Pattern::parse(&text, &mut fields).unwrap();
            let shared = matches!(&p, Pattern::Json(Expr::OneOf { set: Some(_), .. }));
            assert_eq!(shared, i < 64 && name < "e", "{text}");
            patterns.push((name, i, p));
        }
    }
    for value in ["v0", "v5", "v64", "v65", "v69", "w66", "x", "V5"] {
        let event = names
            .iter()
            .map(|n| format!(r#""{n}":"{value}""#))
            .collect::<Vec<_>>()
            .join(",");
        let json = format!("{{{event}}}");
        let event = fields.extract(&json).unwrap();
        for (name, i, p) in &patterns {
            let want = [format!("v{i}"), format!("w{i}"), format!("v{}", i + 1)]
                .iter()
                .any(|v| v == value);
            assert_eq!(p.matches(&event), want, "{name} list {i} on {value}");
        }
    }
    // Booleans match the text "true", in shared sets and in their own alike.
    let event = fields.extract(r#"{"a":true,"f":true,"b":false}"#).unwrap();
    for (name, _, p) in &patterns {
        assert_eq!(p.matches(&event), ["a", "f"].contains(name), "{name}");
    }
}

#[test]
fn security_hub_patterns_parse_verbatim() {
    for p in [
        r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#,
        r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#,
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
    ] {
        Pattern::parse(p, &mut FieldTable::default()).unwrap();
    }
}

#[test]
fn syntax_errors_point_at_the_column() {
    assert_eq!(error(r#"{ $.eventName = "x" "#).column, 21);
    assert_eq!(error(r#"{ $.eventName == "x" }"#).column, 16);
    assert_eq!(error(r#"{ eventName = "x" }"#).column, 3);
    assert_eq!(error(r#"{ $.a = "x }"#).column, 9);
    assert_eq!(error(r#"{ $.a IS MAYBE }"#).column, 10);
    assert_eq!(error(r#"{ $.a > "x" }"#).column, 9);
    assert_eq!(error(r#"{ $.a = 1 } trailing"#).column, 13);
    assert_eq!(error(r#"{ ($.a = 1 }"#).column, 12);
    assert_eq!(error("[ip, user]").column, 1);
    assert_eq!(error("a:b").column, 2);
    assert_eq!(error(r#"{ $.é = "x" && $. = 1 }"#).column, 18);
    assert!(error(&"x".repeat(1025)).message.contains("1024"));
    // The limit counts characters, and a pattern of exactly the limit is allowed.
    assert!(Pattern::parse(&"é".repeat(1024), &mut FieldTable::default()).is_ok());
}

#[test]
fn explains_which_terms_failed() {
    let mut fields = FieldTable::default();
    let p = Pattern::parse(r#""Access Denied" -retry"#, &mut fields).unwrap();
    let e = fields.extract(r#"{"m":"retry later"}"#).unwrap();
    assert_eq!(
        p.explain_mismatch(&e),
        [
            r#"term "Access Denied" does not occur in the event"#,
            r#"excluded term "retry" occurs in the event"#,
        ]
    );
    let p = Pattern::parse(r#"?%^Err\d+% ?warn"#, &mut fields).unwrap();
    assert_eq!(
        p.explain_mismatch(&e),
        [r#"none of the `?` terms %^Err\d+% "warn" occurs in the event"#]
    );
}

#[test]
fn explains_which_condition_failed() {
    let mut fields = FieldTable::default();
    let p = Pattern::parse(
        r#"{ ($.eventName = "StartInstances") && ($.errorCode NOT EXISTS) }"#,
        &mut fields,
    )
    .unwrap();
    let e = fields
        .extract(r#"{"eventName":"StartInstances","errorCode":"AccessDenied"}"#)
        .unwrap();
    let why = p.explain_mismatch(&e);
    assert_eq!(
        why,
        vec![r#"`$.errorCode NOT EXISTS` is false: $.errorCode is "AccessDenied""#.to_owned()]
    );
    let e = fields.extract(r#"{"eventName":"StartInstances"}"#).unwrap();
    assert!(p.explain_mismatch(&e).is_empty());
}

#[test]
fn wildcard_selectors_match_any_field_or_any_element() {
    // AWS's own examples: `{ $.* = %…% }` and `{ $.arrayKey[*] = %val.{2}% }`.
    let trail = r#"{"eventName":"UpdateTrail","sourceIPAddress":"111.111.111.105","arrayKey":["value","valXY"]}"#;
    assert!(check(r#"{ $.* = "UpdateTrail" }"#, trail));
    assert!(check(r#"{ $.* = %111\.111\.111\.1[0-9]{1,2}% }"#, trail));
    assert!(check("{ $.arrayKey[*] = %val.{2}% }", trail));
    assert!(!check(r#"{ $.* = "StopLogging" }"#, trail));
    assert!(!check(r#"{ $.arrayKey[*] = "val" }"#, trail));
    // Nested: any element's field, any field of a nested object.
    assert!(check(
        r#"{ $.resources[*].type = "AWS::S3::Bucket" }"#,
        r#"{"resources":[{"type":"AWS::S3::Object"},{"type":"AWS::S3::Bucket"}]}"#
    ));
    assert!(!check(
        r#"{ $.resources[*].type = "AWS::IAM::Role" }"#,
        r#"{"resources":[{"type":"AWS::S3::Object"}]}"#
    ));
    assert!(check(r#"{ $.userIdentity.* = "alice" }"#, START));
    assert!(check("{ $.tags[*] = b }", START));
    // Numbers, and the other tests, on each value reached.
    assert!(check("{ $.n[*] > 5 }", r#"{"n":[1,2,7]}"#));
    assert!(!check("{ $.n[*] > 7 }", r#"{"n":[1,2,7]}"#));
    assert!(check("{ $.n[*] IS NULL }", r#"{"n":[1,null]}"#));
    // `.*` reaches fields of objects, `[*]` elements of arrays, and nothing else.
    assert!(!check("{ $.tags.* = a }", START));
    assert!(!check("{ $.userIdentity[*] = alice }", START));
    // A wildcard that reaches objects or arrays only never matches `=` (as a selector on one).
    assert!(!check(r#"{ $.* = "IAMUser" }"#, START));
}

#[test]
fn not_exists_on_a_wildcard_holds_when_it_reaches_nothing() {
    assert!(check(
        "{ $.items[*].id NOT EXISTS }",
        r#"{"items":[{"x":1}]}"#
    ));
    assert!(check("{ $.items[*] NOT EXISTS }", r#"{"items":[]}"#));
    assert!(check("{ $.items[*] NOT EXISTS }", r#"{"other":1}"#));
    assert!(!check(
        "{ $.items[*].id NOT EXISTS }",
        r#"{"items":[{"x":1},{"id":2}]}"#
    ));
}

#[test]
fn wildcards_read_records_serde_json_refuses_to_build() {
    // A lone surrogate and a number beyond f64 elsewhere in the record.
    let odd = r#"{"a":"\ud800","b":1e400,"tags":["x","y"]}"#;
    assert!(check("{ $.tags[*] = y }", odd));
    assert!(check("{ $.* IS NULL }", odd));
}

#[test]
fn wildcard_quotas_and_misplaced_stars_are_refused_with_the_reason() {
    let e = error("{ $.a[*].b[*] = 1 }");
    assert!(e.message.contains("one wildcard"), "{e}");
    let e = error("{ $.*.* = 1 }");
    assert!(e.message.contains("one wildcard"), "{e}");
    let e = error("{ $.a[*] = 1 && $.b[*] = 1 && $.c.* = 1 && $.* = 1 }");
    assert!(e.message.contains("at most 3 wildcard selectors"), "{e}");
    assert!(Pattern::parse(
        "{ $.a[*] = 1 && $.b[*] = 1 && $.c.* = 1 }",
        &mut FieldTable::default()
    )
    .is_ok());
    let e = error("{ $.a*b = 1 }");
    assert!(e.message.contains("wildcard is a whole step"), "{e}");
    assert!(check("{ $.['a*b'] = 1 }", r#"{"a*b":1}"#));
}

#[test]
fn explanations_name_the_values_a_wildcard_reached() {
    let mut fields = FieldTable::default();
    let p = Pattern::parse("{ $.n[*] > 9 }", &mut fields).unwrap();
    let why = p.explain_mismatch(&fields.extract(r#"{"n":[1,2]}"#).unwrap());
    assert_eq!(why.len(), 1);
    assert!(
        why[0].contains("each of the 2 values $.n[*] selects"),
        "{why:?}"
    );
    let why = p.explain_mismatch(&fields.extract(r#"{"m":1}"#).unwrap());
    assert!(why[0].contains("$.n[*] selects nothing"), "{why:?}");
}

#[test]
fn a_star_matches_numbers_by_their_digits() {
    assert!(check("{ $.code = 4* }", r#"{"code":404}"#));
    assert!(check("{ $.code = *04 }", r#"{"code":404}"#));
    assert!(!check("{ $.code = 5* }", r#"{"code":404}"#));
    // Without a star a string value is text, not a number.
    assert!(!check(r#"{ $.code = "40" }"#, r#"{"code":40}"#));
    assert!(check("{ $.code = 40 }", r#"{"code":40}"#));
    assert!(!check(
        r#"{ $.coordinates[0][1] = "nonmatch" }"#,
        r#"{"coordinates":[[0,1,2]]}"#
    ));
}

#[test]
fn is_not_is_refused_with_the_reason() {
    let e = error("{ $.x IS NOT NULL }");
    assert!(e.message.contains("`IS NOT` is not supported"), "{e}");
}

#[test]
fn a_pattern_over_the_length_limit_is_refused_pointing_just_past_it() {
    let e = error(&format!("{{ $.a = \"{}\" }}", "x".repeat(1100)));
    assert_eq!(e.column, 1025, "{e}");
    assert!(e.message.contains("at most 1024"), "{e}");
}

#[test]
fn a_matching_event_has_nothing_to_explain() {
    let mut fields = FieldTable::default();
    for pattern in [
        "?AccessDenied ?Unauthorized",
        "{ $.a = 1 || $.b = 2 }",
        "Start -Stop",
    ] {
        let p = Pattern::parse(pattern, &mut fields).unwrap();
        let event = fields
            .extract(r#"{"a":1,"s":"Start AccessDenied"}"#)
            .unwrap();
        assert!(p.matches(&event), "{pattern}");
        assert!(p.explain_mismatch(&event).is_empty(), "{pattern}");
    }
}

#[test]
fn two_alternatives_on_a_field_are_explained_one_by_one_and_three_as_a_list() {
    let mut fields = FieldTable::default();
    let two = Pattern::parse("{ $.x = a || $.x = b }", &mut fields).unwrap();
    let three = Pattern::parse("{ $.x = a || $.x = b || $.x = d }", &mut fields).unwrap();
    let event = fields.extract(r#"{"x":"c"}"#).unwrap();
    assert_eq!(two.explain_mismatch(&event).len(), 2);
    let why = three.explain_mismatch(&event);
    assert_eq!(why.len(), 1);
    assert!(
        why[0].contains("none of the 3 `$.x = …` alternatives"),
        "{why:?}"
    );
}

#[test]
fn keywords_stand_alone_and_operators_are_not_keywords() {
    assert!(error("{ $.a ISNULL }")
        .message
        .contains("expected an operator"));
    assert!(error("{ $.a NOTEXISTS }")
        .message
        .contains("expected an operator"));
    // Two spaces after `=` leave nothing that looks like `IS` or `NOT`.
    assert!(check("{ $.a =  \"x\" }", r#"{"a":"x"}"#));
    assert!(check("{ $.a IS  NULL }", r#"{"a":null}"#));
}

#[test]
fn only_words_that_start_with_a_digit_are_numbers() {
    // Rust would read `inf` and `.5` as numbers; the pattern language reads them as text.
    assert!(error("{ $.x < inf }").message.contains("compares numbers"));
    assert!(!check("{ $.x = .5 }", r#"{"x":0.5}"#));
    assert!(check("{ $.x = .5 }", r#"{"x":".5"}"#));
    assert!(check("{ $.x = -0.5 }", r#"{"x":-0.5}"#));
    assert!(check("{ $.x = 5e-1 }", r#"{"x":0.5}"#));
}

#[test]
fn ignored_question_mark_terms_are_not_blamed_for_a_mismatch() {
    // With a plain term, `?` terms are ignored (as in CloudWatch): only the plain term is named.
    let mut fields = FieldTable::default();
    let p = Pattern::parse("Missing ?Foo", &mut fields).unwrap();
    let why = p.explain_mismatch(&fields.extract(r#"{"a":"Bar"}"#).unwrap());
    assert_eq!(why, [r#"term "Missing" does not occur in the event"#]);
}
