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
            "UnauthorizedAPICalls",
            "ConsoleSignInWithoutMFA",
            "RootAccountUsage",
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

#[test]
fn the_actor_is_the_person_behind_a_session_and_the_role_otherwise() {
    let set = rules(
        r#"{"personRoles":["okta-*","*-People"],"rules":[{"name":"r","filterPattern":"","metricTransformations":[{"metricName":"m","metricValue":"1","dimensions":{"Actor":"@actor","Account":"@account","Region":"@region"}}]}]}"#,
    )
    .unwrap();
    let sso = r#""sessionContext":{"sessionIssuer":{"type":"Role","userName":"AWSReservedSSO_PowerUser_0123abcd"}}"#;
    let cases = [
        (r#"{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::1:user/alice"}"#.to_owned(), Some("alice")),
        (r#"{"type":"Root","arn":"arn:aws:iam::1:root"}"#.to_owned(), Some("root")),
        // IAM Identity Center: the session is named after the person.
        (format!(r#"{{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_PowerUser_0123abcd/alice@example.com",{sso}}}"#), Some("alice@example.com")),
        // No ARN to take the session name from, or no session name in it: the role.
        (format!(r#"{{"type":"AssumedRole",{sso}}}"#), Some("AWSReservedSSO_PowerUser_0123abcd")),
        (format!(r#"{{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_PowerUser_0123abcd/",{sso}}}"#), Some("AWSReservedSSO_PowerUser_0123abcd")),
        (format!(r#"{{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role",{sso}}}"#), Some("AWSReservedSSO_PowerUser_0123abcd")),
        // A configured person role, by either pattern.
        (r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/okta-admins/bob","sessionContext":{"sessionIssuer":{"userName":"okta-admins"}}}"#.to_owned(), Some("bob")),
        (r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Ops-People/carol","sessionContext":{"sessionIssuer":{"userName":"Ops-People"}}}"#.to_owned(), Some("carol")),
        // A web-identity (OIDC) session: its caller named it, so it names no one.
        (r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/GitHubDeploy/dave","sessionContext":{"sessionIssuer":{"userName":"GitHubDeploy"},"webIdFederationData":{"federatedProvider":"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"}}}"#.to_owned(), Some("GitHubDeploy")),
        // A machine's role: the role, as @principalName.
        (r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/DeployRole/i-0abc","sessionContext":{"sessionIssuer":{"userName":"DeployRole"}}}"#.to_owned(), Some("DeployRole")),
        (r#"{"type":"Role","sessionContext":{"sessionIssuer":{"userName":"Scheduler"}}}"#.to_owned(), Some("Scheduler")),
        // okta-* is the whole name: "my-okta-admins" is not a person role.
        (r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/my-okta-admins/eve","sessionContext":{"sessionIssuer":{"userName":"my-okta-admins"}}}"#.to_owned(), Some("my-okta-admins")),
        (r#"{"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/frank","sessionContext":{"sessionIssuer":{"userName":"fed-issuer"}}}"#.to_owned(), Some("frank")),
        (r#"{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1"}}"#.to_owned(), Some("u-1")),
        (r#"{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}"#.to_owned(), Some("ec2.amazonaws.com")),
        (r#"{"type":"SAMLUser","userName":"grace"}"#.to_owned(), Some("grace")),
        (r#"{"type":"IAMUser"}"#.to_owned(), None),
    ];
    for (identity, expected) in &cases {
        let json = format!(
            r#"{{"userIdentity":{identity},"recipientAccountId":"111","awsRegion":"eu-west-1"}}"#
        );
        let e = set.fields().extract(&json).unwrap();
        assert_eq!(set.actor(&e).as_deref(), *expected, "{identity}");
    }
    let t = &set.rules()[0].transformations[0];
    let value = |json: &str, i: usize| {
        let e = set.fields().extract(json).unwrap();
        set.dimension_value(t.dimensions[i].source, &e)
            .map(|v| v.into_owned())
    };
    let both = r#"{"recipientAccountId":"111","awsRegion":"eu-west-1","userIdentity":{"accountId":"222"}}"#;
    let caller_only = r#"{"userIdentity":{"accountId":"222"}}"#;
    let account = t
        .dimensions
        .iter()
        .position(|d| &*d.name == "Account")
        .unwrap();
    let region = t
        .dimensions
        .iter()
        .position(|d| &*d.name == "Region")
        .unwrap();
    assert_eq!(value(both, account).as_deref(), Some("111"));
    assert_eq!(value(caller_only, account).as_deref(), Some("222"));
    assert_eq!(value(both, region).as_deref(), Some("eu-west-1"));
    assert_eq!(value(caller_only, region), None);
}

#[test]
fn the_actor_fields_are_read_only_where_actor_or_evidence_needs_them() {
    let rule = |dimension: &str| {
        rules(&format!(
            r#"{{"rules":[{{"name":"r","filterPattern":"","metricTransformations":[{{"metricName":"m","metricValue":"1","dimensions":{{"Who":"{dimension}"}}}}]}}]}}"#
        ))
        .unwrap()
    };
    let arn = Selector::keys(&["userIdentity", "arn"]);
    let event = r#"{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com","sessionContext":{"sessionIssuer":{"userName":"AWSReservedSSO_Admin_0123abcd"}}}}"#;
    let actor = |set: &RuleSet| {
        set.actor(&set.fields().extract(event).unwrap())
            .map(Cow::into_owned)
    };

    let mut principal = rule("@principalName");
    assert!(!principal.fields().holds(&arn));
    assert_eq!(actor(&principal), None);
    principal.intern_evidence_fields();
    assert!(principal.fields().holds(&arn));
    assert_eq!(actor(&principal).as_deref(), Some("alice@example.com"));

    let with_actor = rule("@actor");
    assert!(with_actor.fields().holds(&arn));
    assert_eq!(actor(&with_actor).as_deref(), Some("alice@example.com"));
}

#[test]
fn person_role_patterns_match_whole_names() {
    for (pattern, name, matches) in [
        ("okta-*", "okta-admins", true),
        ("okta-*", "my-okta-admins", false),
        ("*-People", "Ops-People", true),
        ("*-People", "Ops-People-2", false),
        ("a*b*c", "a-x-b-y-c", true),
        ("a*b*c", "a-x-c-b", false),
        ("ab*ba", "aba", false),
        ("exact", "exact", true),
        ("exact", "exactly", false),
        ("*", "", true),
        // The two ends overlap in the name: too short for both.
        ("ab*b", "ab", false),
        ("ab*b", "abb", true),
        // Each middle part is found after the one before it.
        ("a*b*b*c", "a-b-c", false),
        ("a*b*b*c", "a-b-b-c", true),
    ] {
        assert_eq!(glob_matches(pattern, name), matches, "{pattern} {name}");
    }
}
