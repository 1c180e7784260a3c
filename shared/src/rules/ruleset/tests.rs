use super::*;

fn rules(json: &str) -> Result<RuleSet, RuleSetError> {
    RuleSet::from_json("rules.json", json, DEFAULT_NAMESPACE)
}

fn one(transformation: &str) -> String {
    format!(
        r#"{{"rules":[{{"name":"r","filterPattern":"","metricTransformations":[{transformation}]}}]}}"#
    )
}

#[test]
fn builtin_rules_compile_with_the_documented_names() {
    let set = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
    let names: Vec<_> = set.rules().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "StartInstances",
            "RootAccountUsage",
            "UnauthorizedAPICalls",
            "ConsoleSignInWithoutMFA",
            "IAMPolicyChanges",
            "CloudTrailConfigChanges",
            "ConsoleSignInFailures",
            "KMSKeyDisabledOrScheduledForDeletion",
            "S3BucketPolicyChanges",
            "AWSConfigChanges",
            "SecurityGroupChanges",
            "NACLChanges",
            "NetworkGatewayChanges",
            "RouteTableChanges",
            "VPCChanges",
            "OrganizationsChanges"
        ]
    );
    for r in &set.rules()[1..] {
        assert!(r.security, "{}", r.name);
        let t = &r.transformations[0];
        assert_eq!(
            (t.default_value, t.dimensions.len(), &*t.namespace),
            (Some(0.0), 0, DEFAULT_NAMESPACE)
        );
    }
}

#[test]
fn principal_name_follows_the_identity_type() {
    let set = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
    let cases = [
        (
            r#"{"userIdentity":{"type":"IAMUser","userName":"alice"}}"#,
            Some("alice"),
        ),
        (
            r#"{"userIdentity":{"type":"AssumedRole","userName":"x","sessionContext":{"sessionIssuer":{"userName":"Admin"}}}}"#,
            Some("Admin"),
        ),
        (
            r#"{"userIdentity":{"type":"FederatedUser","sessionContext":{"sessionIssuer":{"userName":"bob"}}}}"#,
            Some("bob"),
        ),
        (
            r#"{"userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"}}"#,
            Some("root"),
        ),
        (
            r#"{"userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}}"#,
            Some("ec2.amazonaws.com"),
        ),
        (
            r#"{"userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1"}}}"#,
            Some("u-1"),
        ),
        (
            r#"{"userIdentity":{"type":"SAMLUser","userName":"carol"}}"#,
            Some("carol"),
        ),
        (r#"{"userIdentity":{"type":"IAMUser"}}"#, None),
        (r#"{"eventName":"x"}"#, None),
    ];
    for (json, expected) in cases {
        let e = set.fields().extract(json).unwrap();
        assert_eq!(set.principal_name(&e).as_deref(), expected, "{json}");
    }
}

#[test]
fn rejects_what_cloudwatch_rejects() {
    let cases = [
        (
            one(
                r#"{"metricName":"m","metricValue":"1","defaultValue":0,"dimensions":{"U":"$.u"}}"#,
            ),
            "cannot be used together",
        ),
        (
            one(
                r#"{"metricName":"m","metricValue":"1","dimensions":{"a":"$.a","b":"$.b","c":"$.c","d":"$.d"}}"#,
            ),
            "at most 3",
        ),
        (
            one(r#"{"metricName":"m:x","metricValue":"1"}"#),
            "contains `:`",
        ),
        (
            one(r#"{"metricName":"m","metricValue":"one"}"#),
            "neither a number nor a selector",
        ),
        (
            one(r#"{"metricName":"m","metricValue":"1","unit":"Parsecs"}"#),
            "not a CloudWatch unit",
        ),
        (
            one(r#"{"metricName":"m","metricNamespace":"AWS/EC2","metricValue":"1"}"#),
            "reserved",
        ),
        (
            one(r#"{"metricName":"m","metricValue":"1","dimensions":{"U":"userName"}}"#),
            "neither a selector",
        ),
        (
            one(r#"{"metricName":"m","metricValue":"1","dimension":{}}"#),
            "unknown field `dimension`",
        ),
    ];
    for (json, needle) in cases {
        let err = rules(&json).unwrap_err().to_string();
        assert!(err.contains(needle), "{err}");
        assert!(err.starts_with("rules.json"), "{err}");
    }
}

#[test]
fn pattern_errors_name_the_rule_and_point_at_the_column() {
    let err = rules(r#"{"rules":[{"name":"Broken","filterPattern":"{ $.a = }","metricTransformations":[{"metricName":"m","metricValue":"1"}]}]}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "rules.json: rule \"Broken\": filterPattern column 9: expected a value, found `}`\n    { $.a = }\n            ^");
}

#[test]
fn json_errors_give_line_and_column() {
    let err = rules("{\"rules\": [\n  {\"name\": }\n]}")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("rules.json: line 2, column "), "{err}");
}

#[test]
fn select_keeps_named_rules_and_rejects_unknown_names() {
    let set = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
    let set = set
        .select(&["VPCChanges".into(), "RootAccountUsage".into()])
        .unwrap();
    assert_eq!(set.rules().len(), 2);
    assert_eq!(set.rules()[0].name, "VPCChanges");
    let err = RuleSet::builtin(DEFAULT_NAMESPACE)
        .unwrap()
        .select(&["Nope".into()])
        .unwrap_err();
    assert!(err.to_string().contains("StartInstances"));
}

#[test]
fn metric_value_from_a_field_needs_a_number() {
    let set = rules(&one(r#"{"metricName":"m","metricValue":"$.bytes"}"#)).unwrap();
    let t = &set.rules()[0].transformations[0];
    let value = |json: &str| set.metric_value(&t.value, &set.fields().extract(json).unwrap());
    assert_eq!(value(r#"{"bytes":12.5}"#), Some(12.5));
    assert_eq!(value(r#"{"bytes":"7"}"#), Some(7.0));
    assert_eq!(value(r#"{"bytes":"seven"}"#), None);
    assert_eq!(value(r#"{}"#), None);
}
