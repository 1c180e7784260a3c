use super::*;
use crate::alarms;

const ROOT_USAGE: &str =
    include_str!("../../../events/alarm-notifier/sns-trailwatch-root-account-usage.json");

fn event() -> serde_json::Value {
    serde_json::from_str(ROOT_USAGE).unwrap()
}

#[test]
fn marks_round_trip_and_message_keys_identify_a_state_change() {
    for mark in [
        Mark::Delivered { at: 17 },
        Mark::Refused {
            at: 18,
            why: "HTTP 404 (no_service): refused\nnot retried".into(),
        },
        Mark::Thread {
            at: 19,
            ts: "1764062000.000100".into(),
        },
    ] {
        let parsed = Mark::parse(&mark.encode()).unwrap();
        match (&mark, &parsed) {
            (Mark::Refused { why, .. }, Mark::Refused { why: got, .. }) => {
                assert_eq!(got, &why.replace('\n', " "))
            }
            _ => assert_eq!(parsed, mark),
        }
    }
    assert_eq!(Mark::parse("v2 delivered at=1"), None);
    // A ts is Slack's seconds.microseconds, nothing else.
    assert_eq!(Mark::parse("v1 thread at=1 ts="), None);
    assert_eq!(Mark::parse("v1 thread at=1 ts=1.2 x"), None);
    assert_eq!(Mark::parse("v1 thread at=1"), None);
    let decoded = alarms::from_event(&event()).unwrap();
    let a = decoded[0].as_ref().unwrap();
    let key = message_key(a);
    assert_eq!(key.as_ref().map(String::len), Some(32));
    assert_eq!(key, message_key(&a.clone()));
    // Whichever way it came.
    let mut by_eventbridge = a.clone();
    by_eventbridge.source = "EventBridge";
    by_eventbridge.message_id = Some("another id".into());
    assert_eq!(message_key(&by_eventbridge), key);
    // Without a time: the message id; without either, no key (and no delivery log).
    let mut untimed = a.clone();
    untimed.time = None;
    assert!(message_key(&untimed).is_some_and(|k| Some(&k) != key.as_ref()));
    untimed.message_id = None;
    assert_eq!(message_key(&untimed), None);
    let mut later = a.clone();
    later.time = Some("2026-11-25T09:13:30.833+0000".into());
    assert_ne!(message_key(&later), key);
    let mut ok = a.clone();
    ok.new_state = alarms::State::Ok;
    assert_ne!(message_key(&ok), key);
}

#[test]
fn deliveries_are_logged_per_destination_and_where_it_points() {
    let slack = |url: &str| {
        Target::new(Destination::Webhook {
            channel: Channel::Slack,
            secret: SecretRef::Value(url.into()),
        })
        .log_name
    };
    let a = slack("https://hooks.slack.example/services/T0/B0/ONE");
    assert!(
        a.starts_with("slack-") && a.len() == "slack-".len() + 8,
        "{a}"
    );
    assert!(!a.contains("ONE"));
    assert_ne!(a, slack("https://hooks.slack.example/services/T0/B0/TWO"));
}

#[test]
fn a_target_never_prints_its_url_once_read() {
    let target = Target::new(Destination::Webhook {
        channel: Channel::Slack,
        secret: SecretRef::Ssm("/trailwatch/slack".into()),
    });
    *target.url.lock().unwrap() = Some("https://hooks.slack.example/services/T0/B0/SECRET".into());
    let shown = format!("{target:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(
        shown.contains("ssm:/trailwatch/slack") && shown.contains(&target.log_name),
        "{shown}"
    );
}

#[tokio::test]
async fn the_memory_log_is_bounded() {
    let log = MemoryLog::default();
    for i in 0..MEMORY_LOG_KEYS + 5 {
        log.put(&format!("k{i}"), &Mark::Delivered { at: 0 })
            .await
            .unwrap();
    }
    assert_eq!(log.get("k0").await.unwrap(), None);
    assert!(log.get("k5").await.unwrap().is_some());
    assert_eq!(log.marks.lock().unwrap().0.len(), MEMORY_LOG_KEYS);
}

#[test]
fn two_contributors_of_one_alarm_changing_at_once_are_two_messages() {
    let alarm = contributor_alarm();
    let mut other = alarm.clone();
    if let Some(c) = other.contributor.as_mut() {
        c.id = "0000000000000001".into();
    }
    let mut whole = alarm.clone();
    whole.contributor = None;
    let keys = [&alarm, &other, &whole].map(|a| super::message_key(a).unwrap());
    assert_ne!(keys[0], keys[1]);
    assert_ne!(keys[0], keys[2]);
    assert_eq!(super::message_key(&alarm.clone()), Some(keys[0].clone()));
}

#[test]
fn an_alarms_thread_is_the_same_for_every_state_and_its_own_per_contributor() {
    let alarm = contributor_alarm();
    let mut ok = alarm.clone();
    ok.new_state = alarms::State::Ok;
    ok.time = Some("2026-11-25T10:00:00.000+0000".into());
    assert_eq!(super::thread_key(&ok), super::thread_key(&alarm));
    let mut other = alarm.clone();
    if let Some(c) = other.contributor.as_mut() {
        c.id = "0000000000000001".into();
    }
    assert_ne!(super::thread_key(&other), super::thread_key(&alarm));
    assert!(super::thread_key(&alarm).starts_with("threads/"));
}

/// AWS's documented contributor event, decoded.
fn contributor_alarm() -> crate::alarms::Alarm {
    let event: serde_json::Value = serde_json::from_str(include_str!(
        "../../../events/alarm-notifier/documented/eventbridge-contributor.json"
    ))
    .unwrap();
    crate::alarms::from_event(&event)
        .unwrap()
        .remove(0)
        .unwrap()
}
