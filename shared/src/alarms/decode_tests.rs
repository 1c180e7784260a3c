use super::arn::arn_parts;
use super::*;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../events/alarm-notifier/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn one(name: &str) -> Alarm {
    let mut all = from_event(&fixture(name)).unwrap();
    assert_eq!(all.len(), 1, "{name}");
    all.remove(0).unwrap()
}

#[test]
fn every_aws_lambda_events_fixture_decodes() {
    let single = one("aws_lambda_events/example-cloudwatch-alarm-sns-payload-single-metric.json");
    assert_eq!((single.name.as_str(), single.source), ("EXAMPLE", "SNS"));
    assert_eq!(
        (single.old_state, single.new_state.clone()),
        (Some(State::InsufficientData), State::Alarm)
    );
    assert_eq!(
        single.region, None,
        "REGION is a placeholder, not a region code"
    );
    assert_eq!(single.account.as_deref(), Some("123456789012"));
    let Watches::Metric {
        metric, statistic, ..
    } = &single.watches
    else {
        panic!("{:?}", single.watches)
    };
    assert_eq!(
        (metric.namespace.as_str(), metric.name.as_str()),
        ("AWS/EC2", "NetworkOut")
    );
    assert_eq!(
        metric.dimensions,
        [("InstanceId".to_owned(), "TestInstance".to_owned())]
    );
    assert_eq!(statistic.as_deref(), Some("Average"));
    assert_eq!(single.evaluation.threshold, Some(0.0));
    assert_eq!(
        single.evaluation.treat_missing_data.as_deref(),
        Some("missing")
    );

    let multi = from_event(&fixture(
        "aws_lambda_events/example-cloudwatch-alarm-sns-payload-multiple-metrics.json",
    ))
    .unwrap();
    assert_eq!(multi.len(), 2, "every SNS record, not just the first");
    let Watches::Math { queries } = &multi[0].as_ref().unwrap().watches else {
        panic!()
    };
    assert_eq!(queries[0].expression.as_deref(), Some("m1*1"));
    assert_eq!(queries[1].metric.as_ref().unwrap().name, "NetworkOut");

    let metric = one("aws_lambda_events/example-cloudwatch-alarm-metric.json");
    assert_eq!(metric.source, "Lambda alarm action");
    assert_eq!(
        metric.description.as_deref(),
        Some("Metric Alarm to test Lambda actions")
    );
    assert!(
        matches!(&metric.watches, Watches::Metric { metric, .. } if metric.name == "CallCount")
    );
    assert_eq!(metric.region.as_deref(), Some("us-east-1"));

    let composite = one("aws_lambda_events/example-cloudwatch-alarm-composite.json");
    let Watches::Composite { rule, triggering } = &composite.watches else {
        panic!()
    };
    assert_eq!(
        rule,
        "ALARM(CompositeDemo.FirstChild) OR ALARM(CompositeDemo.SecondChild)"
    );
    assert_eq!(
        triggering,
        &[("CompositeDemo.FirstChild".to_owned(), Some(State::Alarm))]
    );
    assert_eq!(composite.account.as_deref(), Some("111122223333"));

    let suppressed =
        one("aws_lambda_events/example-cloudwatch-alarm-composite-with-suppressor-alarm.json");
    assert_eq!(suppressed.source, "EventBridge");
    assert!(
        matches!(&suppressed.watches, Watches::Composite { triggering, .. } if triggering[0].0 == "ServerCpuTooHigh")
    );
}

#[test]
fn every_sample_of_ours_decodes() {
    let root = one("sns-trailwatch-root-account-usage.json");
    assert_eq!(
        root.region.as_deref(),
        Some("us-east-1"),
        "from the ARN, not the SNS display name"
    );
    assert!(
        matches!(&root.watches, Watches::Metric { metric, statistic, .. }
        if metric.namespace == "CloudTrailMetrics" && metric.name == "RootAccountUsage" && statistic.as_deref() == Some("Sum"))
    );
    assert_eq!(
        root.evaluation.comparison.as_deref(),
        Some("GreaterThanOrEqualToThreshold")
    );

    let daily = one("sns-daily-metric-alarm-null-description.json");
    assert_eq!(daily.description, None);
    assert!(matches!(
        &daily.watches,
        Watches::Metric {
            period: Some(86_400),
            ..
        }
    ));
    assert_eq!(
        (daily.old_state, daily.new_state),
        (Some(State::Alarm), State::Ok)
    );

    let anomaly = one("sns-anomaly-detection-alarm.json");
    assert_eq!(anomaly.evaluation.threshold, None);
    assert_eq!(
        anomaly.evaluation.threshold_metric_id.as_deref(),
        Some("ad1")
    );
    assert!(matches!(&anomaly.watches, Watches::Math { queries } if queries.len() == 2));

    let composite = one("sns-composite-alarm.json");
    assert!(
        matches!(&composite.watches, Watches::Composite { triggering, .. }
        if triggering == &[("checkout-5xx".to_owned(), Some(State::Alarm))])
    );

    let eb = one("eventbridge-alarm-state-change.json");
    assert_eq!(eb.source, "EventBridge");
    assert_eq!(eb.evaluation.threshold, Some(20.0), "from the reason data");
    assert!(
        matches!(&eb.watches, Watches::Math { queries } if queries[0].expression.as_deref().unwrap().starts_with("SELECT SUM(StartInstances)"))
    );

    let math = one("lambda-action-metric-math-alarm.json");
    assert_eq!(math.region.as_deref(), Some("eu-central-1"));
    let Watches::Math { queries } = &math.watches else {
        panic!()
    };
    assert_eq!(queries.len(), 3);
    assert_eq!(
        queries[1].metric.as_ref().unwrap().dimensions,
        [("ApiName".to_owned(), "orders".to_owned())]
    );
}

#[test]
fn region_partition_and_account_come_from_the_arn() {
    assert_eq!(
        arn_parts(Some(
            "arn:aws-us-gov:cloudwatch:us-gov-west-1:123456789012:alarm:x"
        )),
        (
            "aws-us-gov".to_owned(),
            Some("us-gov-west-1".to_owned()),
            Some("123456789012".to_owned())
        )
    );
    assert_eq!(
        arn_parts(Some(
            "arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:a:b"
        ))
        .0,
        "aws-cn"
    );
    assert_eq!(
        arn_parts(Some(
            "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE"
        )),
        ("aws".to_owned(), None, None)
    );
    assert_eq!(arn_parts(None).0, "aws");
    assert!(is_region_code("eu-central-2") && is_region_code("us-gov-east-1"));
    assert!(!is_region_code("EU (Ireland)") && !is_region_code("us-east"));
}

#[test]
fn unrecognised_messages_are_errors_that_say_what_they_saw() {
    let err = from_event(&serde_json::json!({"hello": 1}))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("keys hello") && err.contains("accepts"),
        "{err}"
    );
    let sns = serde_json::json!({"Records": [{"Sns": {"Message": "not json"}}, {"Sns": {"Message": "{\"foo\":1}"}}]});
    let decoded = from_event(&sns).unwrap();
    assert!(decoded[0]
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("SNS record 0"));
    assert!(decoded[1]
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("not a CloudWatch alarm notification"));
    let other = serde_json::json!({"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm Renamed", "detail": {}});
    assert!(from_event(&other)
        .unwrap_err()
        .to_string()
        .contains("\"CloudWatch Alarm Renamed\" from aws.cloudwatch"));
}

#[test]
fn sns_alarm_messages_are_decoded_here_because_the_ecosystem_type_refuses_real_ones() {
    use aws_lambda_events::sns::{CloudWatchAlarmPayload, SnsEvent};
    use serde::Deserialize;
    // A null description, an anomaly-detection band (no Threshold), a composite alarm (no Trigger):
    // all sent by CloudWatch, all refused by aws_lambda_events' payload type, all read here.
    for name in [
        "sns-daily-metric-alarm-null-description.json",
        "sns-anomaly-detection-alarm.json",
        "sns-composite-alarm.json",
    ] {
        let event = fixture(name);
        let sns = SnsEvent::deserialize(&event).unwrap();
        let message = &sns.records[0].sns.message;
        assert!(
            serde_json::from_str::<CloudWatchAlarmPayload>(message).is_err(),
            "{name}"
        );
        let alarms = from_event(&event).unwrap();
        assert!(alarms.iter().all(Result::is_ok), "{name}");
    }
}

#[test]
fn statistics_are_named_as_cloudwatch_names_them_and_no_unit_is_not_a_unit() {
    for (sns, shown) in [
        ("SAMPLE_COUNT", "SampleCount"),
        ("AVERAGE", "Average"),
        ("SUM", "Sum"),
        ("MINIMUM", "Minimum"),
        ("MAXIMUM", "Maximum"),
    ] {
        let message = serde_json::json!({
            "AlarmName": "errors", "NewStateValue": "ALARM", "OldStateValue": "OK",
            "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:errors",
            "Trigger": {"MetricName": "Errors", "Namespace": "AWS/Lambda", "Statistic": sns,
                "Unit": "None", "Period": 300, "Dimensions": []},
        });
        let alarm = from_event(&message).unwrap().remove(0).unwrap();
        let Watches::Metric {
            statistic, unit, ..
        } = &alarm.watches
        else {
            panic!("{:?}", alarm.watches)
        };
        assert_eq!(statistic.as_deref(), Some(shown));
        assert_eq!(*unit, None, "CloudWatch's None is no unit");
        let view = View::new(&alarm, &plain_context());
        let text = render::text(&view);
        assert!(
            text.contains(&format!(
                "AWS/Lambda/Errors (no dimensions), {shown} over 5 minutes"
            )),
            "{text}"
        );
        assert!(!text.contains("None") && !text.contains("null"), "{text}");
    }
}

#[test]
fn a_notification_without_an_alarm_arn_takes_its_region_from_its_name_or_its_topic() {
    let record = |region: &str, topic: &str| {
        let message = serde_json::json!({
            "AlarmName": "disk full", "NewStateValue": "ALARM", "OldStateValue": "OK",
            "AWSAccountId": "123456789012", "Region": region,
            "StateChangeTime": "2016-03-01T10:00:00.000+0000",
        });
        serde_json::json!({"Records": [{"EventSource": "aws:sns", "Sns": {
            "TopicArn": topic, "MessageId": "m-1", "Message": message.to_string()}}]})
    };
    let decode = |event: Value| from_event(&event).unwrap().remove(0).unwrap();
    let named = decode(record(
        "EU (Ireland)",
        "arn:aws:sns:us-west-2:123456789012:alarms",
    ));
    assert_eq!(named.region.as_deref(), Some("eu-west-1"), "the name first");
    assert_eq!(
        console_url(&named).as_deref(),
        Some("https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/disk%20full")
    );
    let by_topic = decode(record(
        "somewhere new",
        "arn:aws-cn:sns:cn-north-1:123456789012:alarms",
    ));
    assert_eq!(by_topic.region.as_deref(), Some("cn-north-1"));
    assert_eq!(by_topic.partition, "aws-cn");
    let neither = decode(record("somewhere new", "arn:aws:sns:EXAMPLE"));
    assert_eq!(neither.region, None);
}

#[test]
fn cloudwatchs_silence_is_read_where_aws_documents_it() {
    let muted = one("documented/eventbridge-single-metric-muted.json");
    assert_eq!(
        muted.silence.mute,
        Some(Mute {
            rule: Some("arn:aws:cloudwatch:us-east-1:1234567890:alarm-mute-rule:testMute".into()),
            start: Some("2026-01-01T10:00:00.000+0000".into()),
            end: Some("2026-01-01T12:00:00.000+0000".into()),
        })
    );
    assert!(muted.silence.silenced());
    assert_eq!(
        muted.silence.why().as_deref(),
        Some("muted by CloudWatch alarm mute rule testMute from 2026-01-01T10:00:00.000+0000 to 2026-01-01T12:00:00.000+0000")
    );

    let suppressed = one("documented/eventbridge-composite-suppressed.json");
    assert_eq!(
        suppressed.silence.suppressed,
        Some(Suppression {
            by: "WaitPeriod".into(),
            reason: Some("Actions suppressed by WaitPeriod".into()),
            suppressor: Some("ServiceMaintenanceAlarm".into()),
        })
    );
    assert_eq!(
        (
            suppressed.silence.mute.as_ref(),
            suppressed.silence.suppression_ended.as_ref()
        ),
        (None, None)
    );
    assert!(suppressed.silence.silenced());
    assert_eq!(
        suppressed.silence.why().as_deref(),
        Some("actions suppressed by WaitPeriod (suppressor alarm ServiceMaintenanceAlarm)")
    );

    // The Lambda action CloudWatch runs when the wait period ends: ALARM → ALARM, the previous
    // state suppressed.
    let ended = one("aws_lambda_events/example-cloudwatch-alarm-composite.json");
    assert_eq!(
        (ended.old_state.clone(), ended.new_state.clone()),
        (Some(State::Alarm), State::Alarm)
    );
    assert!(!ended.silence.silenced());
    assert_eq!(
        ended
            .silence
            .suppression_ended
            .as_ref()
            .map(|s| s.by.as_str()),
        Some("WaitPeriod")
    );

    let plain = one("eventbridge-alarm-state-change.json");
    assert_eq!(plain.silence, Silence::default());
}

#[test]
fn a_configuration_change_is_no_state_change_and_says_which() {
    let err = from_event(&fixture("documented/eventbridge-config-change-update.json")).unwrap_err();
    assert_eq!(
        err,
        AlarmError::NotAStateChange(
            "a configuration change (update) of alarm \"ServerCpuTooHigh\"".into()
        )
    );
}

#[test]
fn a_contributor_is_one_alarm_for_one_time_series_over_its_querys_own_period() {
    let mut event = fixture("documented/eventbridge-contributor.json");
    let alarm = from_event(&event).unwrap().remove(0).unwrap();
    assert_eq!(
        alarm.contributor,
        Some(Contributor {
            id: "6d442278dba546f6".into(),
            attributes: vec![("TableName".into(), "example-dynamodb-table-name".into())],
        })
    );
    let Watches::Math { queries } = &alarm.watches else {
        panic!("{:?}", alarm.watches)
    };
    assert_eq!(queries[0].period, Some(60), "the query's own period");
    let view = View::new(&alarm, &plain_context());
    assert_eq!(
        view.title, "🔕 🚨 ALARM: DynamoDBInsightsAlarm for TableName=example-dynamodb-table-name",
        "muted by the page's muteDetail too"
    );
    // The evidence window covers the query's period (60 s), not a default 5 minutes.
    assert_eq!(
        super::view::window(&alarm),
        Some(("2025-12-01T13:26:04Z".into(), "2025-12-01T13:47:04Z".into()))
    );
    // No attributes: the series is named by its id.
    event["detail"]["alarmContributor"]["attributes"] = serde_json::json!({});
    let bare = from_event(&event).unwrap().remove(0).unwrap();
    assert_eq!(
        bare.contributor.map(|c| c.label()).as_deref(),
        Some("time series 6d442278dba546f6")
    );
}

/// Rendering without rules or an evidence log group.
fn plain_context() -> RenderContext<'static> {
    RenderContext {
        namespace: "CloudTrailMetrics".into(),
        rules: None,
        evidence_log_group: None,
    }
}

#[test]
fn an_sns_notification_for_one_contributor_names_it() {
    // The fields AWS's example of a multi-contributor alarm's SNS message shows.
    let message = serde_json::json!({
        "AlarmName": "orders-latency", "NewStateValue": "ALARM", "OldStateValue": "OK",
        "AlarmArn": "arn:aws:cloudwatch:us-west-2:123456789012:alarm:orders-latency",
        "StateChangeTime": "2026-06-10T12:20:15.000+0000",
        "AlarmContributorId": "a1b2c3d4e5f6a7b8",
        "AlarmContributorAttributes": {"endpoint": "/api/orders"},
    });
    let alarm = from_event(&message).unwrap().remove(0).unwrap();
    assert_eq!(
        alarm.contributor,
        Some(Contributor {
            id: "a1b2c3d4e5f6a7b8".into(),
            attributes: vec![("endpoint".into(), "/api/orders".into())],
        })
    );
    assert_eq!(
        View::new(&alarm, &plain_context()).title,
        "🚨 ALARM: orders-latency for endpoint=/api/orders"
    );
    let plain = serde_json::json!({"AlarmName": "a", "NewStateValue": "OK"});
    assert_eq!(
        from_event(&plain).unwrap().remove(0).unwrap().contributor,
        None
    );
}

#[test]
fn propagated_tags_are_read_from_every_shape_as_a_map_or_a_list() {
    let mut sns = fixture("sns-trailwatch-root-account-usage.json");
    let mut m: Value =
        serde_json::from_str(sns["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    m["AlarmTags"] = serde_json::json!({"team": "payments", "trailwatch-notify": "email"});
    m["AlarmTagsStatus"] = serde_json::json!("SUCCESS");
    sns["Records"][0]["Sns"]["Message"] = serde_json::json!(m.to_string());
    let a = one_of(&sns);
    assert_eq!(a.tags.get("team"), Some("payments"));
    assert_eq!(a.tags.get("trailwatch-notify"), Some("email"));
    assert_eq!(a.tags.status.as_deref(), Some("SUCCESS"));

    let mut eb = fixture("eventbridge-alarm-state-change.json");
    eb["detail"]["alarmTags"] =
        serde_json::json!([{"Key": "team", "Value": "search"}, {"key": "env", "value": "prod"}]);
    eb["detail"]["alarmTagsStatus"] = serde_json::json!("SOMETHING_NEW");
    let a = one_of(&eb);
    assert_eq!(
        a.tags.tags,
        [
            ("team".to_owned(), "search".to_owned()),
            ("env".to_owned(), "prod".to_owned())
        ]
    );
    assert_eq!(
        a.tags.status.as_deref(),
        Some("SOMETHING_NEW"),
        "kept as it is"
    );

    let mut lambda = fixture("lambda-action-metric-math-alarm.json");
    lambda["alarmData"]["alarmTags"] = serde_json::json!({"team": "infra"});
    assert_eq!(one_of(&lambda).tags.get("team"), Some("infra"));
    let mut lambda = fixture("lambda-action-metric-math-alarm.json");
    lambda["alarmTags"] = serde_json::json!({"team": "edge"});
    lambda["alarmTagsStatus"] = serde_json::json!("SUCCESS");
    let a = one_of(&lambda);
    assert_eq!(
        (a.tags.get("team"), a.tags.status.as_deref()),
        (Some("edge"), Some("SUCCESS"))
    );

    // Without propagation: nothing, and no status.
    assert_eq!(
        one_of(&fixture("sns-composite-alarm.json")).tags,
        AlarmTags::default()
    );
}

fn one_of(event: &Value) -> Alarm {
    from_event(event).unwrap().remove(0).unwrap()
}
