use super::*;
use crate::alarms::{render, Channel, Message};
use crate::rules::ruleset::DEFAULT_NAMESPACE;

const ROOT_SIGN_IN: &str =
    include_str!("../../../events/alarm-notifier/eventbridge-cloudtrail-root-console-login.json");
const STOP_LOGGING: &str =
    include_str!("../../../events/alarm-notifier/eventbridge-cloudtrail-stop-logging.json");

fn rules() -> RuleSet {
    let mut rules = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
    rules.intern_evidence_fields();
    rules
}

fn trail_event(text: &str) -> TrailEvent {
    TrailEvent::from_eventbridge(&serde_json::from_str(text).unwrap())
        .unwrap()
        .unwrap()
}

#[test]
fn a_root_sign_in_matches_root_usage_on_the_real_time_path() {
    let event = trail_event(ROOT_SIGN_IN);
    assert_eq!(event.detail_type, "AWS Console Sign In via CloudTrail");
    assert_eq!(event.source, "aws.signin");
    let matched = matches(&rules(), &event).unwrap();
    let names: Vec<&str> = matched.iter().map(|m| m.rule.as_str()).collect();
    assert_eq!(names, ["RootAccountUsage"]);
    let e = &matched[0].event;
    assert_eq!(e.event_name.as_deref(), Some("ConsoleLogin"));
    assert_eq!(e.actor.as_deref(), Some("root"));
    assert_eq!(e.source_ip.as_deref(), Some("0.0.0.0"));
    assert_eq!(
        e.event_id.as_deref(),
        Some("324731c0-64b3-4421-b552-dfc3c27df4f6")
    );
}

#[test]
fn a_stopped_trail_names_the_person_behind_the_sso_role() {
    let rules = rules();
    let event = trail_event(STOP_LOGGING);
    let matched = matches(&rules, &event).unwrap();
    assert_eq!(matched.len(), 1);
    assert_eq!(matched[0].rule, "CloudTrailConfigChanges");
    let view = view(&matched[0], &event, &rules);
    assert_eq!(
        view.title,
        "⚡ CloudTrailConfigChanges: StopLogging by maria.garcia@example.com from 198.51.100.23"
    );
    assert_eq!(view.where_, "account 123456789012, region eu-west-1");
    assert_eq!(
        view.console_url.as_deref(),
        Some("https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/b7c5e1d2-4a3f-4e6b-9c8d-1a2b3c4d5e6f")
    );
    let Message::Email { subject, body } = render(Channel::Email, &view) else {
        panic!("e-mail")
    };
    assert_eq!(
        subject,
        "EVENT: CloudTrailConfigChanges: StopLogging by maria.garcia@example.com in eu-west-1 (123456789012)"
    );
    for said in [
        "real-time CloudTrail event at 2026-11-30T14:02:09Z",
        "by maria.garcia@example.com (AssumedRole, role AWSReservedSSO_AdministratorAccess_0123456789abcdef) from 198.51.100.23",
        "Open the event in CloudTrail:",
        "matched trailwatch rule CloudTrailConfigChanges, on the real-time path (EventBridge)",
    ] {
        assert!(body.contains(said), "{said:?} not in:\n{body}");
    }
    // Never the request or the response.
    assert!(!body.contains("organization-trail"), "{body}");
    assert!(!body.contains("ASIAEXAMPLEKEY"), "{body}");
    let Message::Json(slack) = render(Channel::Slack, &view) else {
        panic!("slack")
    };
    assert!(slack.to_string().contains("\"Open event\""), "{slack}");
    let Message::Json(hook) = render(Channel::Webhook, &view) else {
        panic!("webhook")
    };
    assert_eq!(hook["notification"], "event");
    assert_eq!(hook["eventID"], "b7c5e1d2-4a3f-4e6b-9c8d-1a2b3c4d5e6f");
    let Message::Json(pd) = render(Channel::PagerDuty, &view) else {
        panic!("pagerduty")
    };
    assert_eq!(
        pd["dedup_key"],
        "trailwatch-event/CloudTrailConfigChanges/b7c5e1d2-4a3f-4e6b-9c8d-1a2b3c4d5e6f"
    );
    assert_eq!(pd["payload"]["class"], "CloudTrail event");
}

#[test]
fn a_repeated_event_has_one_key_and_another_rule_or_event_another() {
    let rules = rules();
    let event = trail_event(STOP_LOGGING);
    let m = &matches(&rules, &event).unwrap()[0];
    let again = &matches(&rules, &trail_event(STOP_LOGGING)).unwrap()[0];
    assert_eq!(notice_key(m), notice_key(again));
    assert!(notice_key(m).unwrap().starts_with("events/"));
    let mut other_rule = m.clone();
    other_rule.rule = "RootAccountUsage".into();
    assert_ne!(notice_key(m), notice_key(&other_rule));
    let mut other_event = m.clone();
    other_event.event.event_id = Some("another".into());
    assert_ne!(notice_key(m), notice_key(&other_event));
    other_event.event.event_id = None;
    assert_eq!(notice_key(&other_event), None);
}

#[test]
fn rules_not_marked_realtime_are_not_evaluated() {
    let mut event = trail_event(STOP_LOGGING);
    // IAMPolicyChanges is a security rule, not a real-time one.
    event.detail = event.detail.replace("StopLogging", "PutRolePolicy");
    assert_eq!(matches(&rules(), &event).unwrap(), []);
}

#[test]
fn other_events_are_left_to_the_alarm_decoder_and_bad_ones_are_named() {
    let alarm: Json = serde_json::from_str(include_str!(
        "../../../events/alarm-notifier/eventbridge-alarm-state-change.json"
    ))
    .unwrap();
    assert!(TrailEvent::from_eventbridge(&alarm).is_none());
    let mut forged: Json = serde_json::from_str(ROOT_SIGN_IN).unwrap();
    forged["source"] = "my.app".into();
    let e = TrailEvent::from_eventbridge(&forged).unwrap().unwrap_err();
    assert!(
        e.to_string()
            .contains("6f87d04b-9f74-4f04-a780-7acf4b0a9b38"),
        "{e}"
    );
    assert!(e.to_string().contains("\"my.app\""), "{e}");
    let mut empty: Json = serde_json::from_str(ROOT_SIGN_IN).unwrap();
    empty["detail"] = Json::Null;
    let e = TrailEvent::from_eventbridge(&empty).unwrap().unwrap_err();
    assert!(matches!(e, TrailEventError::NoDetail { .. }), "{e}");
}

#[test]
fn console_links_follow_the_partition() {
    assert_eq!(
        cloudtrail_url("aws-cn", "cn-north-1", "a b"),
        "https://cn-north-1.console.amazonaws.cn/cloudtrailv2/home?region=cn-north-1#/events/a%20b"
    );
    assert_eq!(partition_of(Some("us-gov-west-1")), "aws-us-gov");
    assert_eq!(partition_of(Some("cn-northwest-1")), "aws-cn");
    assert_eq!(partition_of(Some("eu-west-1")), "aws");
}
