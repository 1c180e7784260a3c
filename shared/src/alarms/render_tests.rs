use super::view::period_text;
use super::*;
use crate::alarms::{Evaluation, State};

fn alarm(partition: &str, region: &str) -> Alarm {
    Alarm {
        name: "disk / full (prod)".into(),
        description: None,
        arn: None,
        account: Some("123456789012".into()),
        region: Some(region.into()),
        partition: partition.into(),
        old_state: Some(State::Ok),
        new_state: State::Alarm,
        reason: None,
        time: Some("2026-11-25T09:12:30.833+0000".into()),
        watches: Watches::Unknown,
        evaluation: Evaluation::default(),
        source: "SNS",
        message_id: None,
    }
}

#[test]
fn console_links_are_partition_aware() {
    assert_eq!(
        console_url(&alarm("aws", "eu-west-1")).unwrap(),
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/disk%20%2F%20full%20(prod)"
    );
    assert!(console_url(&alarm("aws-cn", "cn-north-1"))
        .unwrap()
        .starts_with("https://cn-north-1.console.amazonaws.cn/"));
    assert!(console_url(&alarm("aws-us-gov", "us-gov-west-1"))
        .unwrap()
        .starts_with("https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1"));
    let mut no_region = alarm("aws", "x");
    no_region.region = None;
    assert_eq!(console_url(&no_region), None);
}

#[test]
fn insights_links_encode_as_the_console_does() {
    let url = insights_url(
        "aws",
        "us-east-1",
        "/aws/lambda/trail-metrics",
        "fields @timestamp",
        "2026-11-25T09:00:00Z",
        "2026-11-25T09:30:00Z",
    );
    assert_eq!(
        url,
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:logs-insights\
         $3FqueryDetail$3D$257E$2528end$257E$25272026-11-25T09*3a30*3a00Z$257Estart$257E$25272026-11-25T09*3a00*3a00Z\
         $257EtimeType$257E$2527ABSOLUTE$257Etz$257E$2527UTC$257EeditorString$257E$2527fields*20*40timestamp\
         $257Esource$257E$2528$257E$2527*2faws*2flambda*2ftrail-metrics$2529$2529"
            .replace("*3a", "*3A")
            .replace("*2f", "*2F")
    );
}

#[test]
fn subjects_fit_sns() {
    let mut a = alarm("aws", "eu-west-1");
    a.name = "é".repeat(200);
    let view = View::new(
        &a,
        &RenderContext {
            namespace: "CloudTrailMetrics".into(),
            rules: None,
            evidence_log_group: None,
        },
    );
    let s = subject(&view);
    assert!(s.len() == 99 && s.is_ascii() && s.ends_with("..."), "{s}");
}

#[test]
fn periods_read_naturally() {
    assert_eq!(period_text(60), "1 minute");
    assert_eq!(period_text(300), "5 minutes");
    assert_eq!(period_text(86_400), "1 day");
    assert_eq!(period_text(10), "10 seconds");
}
