use super::render::{markdown_text, pagerduty, plain, truncate};
use super::view::period_text;
use super::*;
use crate::alarms::evidence::{EvidenceEvent, EvidenceFound};
use crate::alarms::State;

fn alarm(partition: &str, region: &str) -> Alarm {
    Alarm {
        account: Some("123456789012".into()),
        region: Some(region.into()),
        partition: partition.into(),
        old_state: Some(State::Ok),
        time: Some("2026-11-25T09:12:30.833+0000".into()),
        ..Alarm::named("disk / full (prod)")
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

/// Every string in `v` but the URLs trailwatch builds, with its JSON path.
fn texts(v: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::String(s) if !path.ends_with(".url") => {
            out.push((path.into(), s.clone()))
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                texts(item, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                texts(item, &format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

fn units(s: &str) -> usize {
    s.encode_utf16().count()
}

/// An alarm an author filled to CloudWatch's limits (a name of 255 characters, a description of
/// 1024) with markup, mentions, links whose label hides their target, emoji outside the BMP,
/// right-to-left text and a right-to-left override.
fn hostile_view() -> View {
    let piece = "<!channel> <@U024BE7LH> <https://evil.example|AWS console> [Open the console](https://evil.example/x) @everyone <@&123> **bold** _it_ 🚨🔥👩‍💻 שלום عالم \u{202E}exe.txt & ";
    let fill = |n: usize| piece.chars().cycle().take(n).collect::<String>();
    let mut a = alarm("aws", "eu-west-1");
    a.name = fill(255);
    a.description = Some(fill(1024));
    a.reason = Some(fill(1024));
    let mut view = View::new(
        &a,
        &RenderContext {
            namespace: "CloudTrailMetrics".into(),
            rules: None,
            evidence_log_group: None,
        },
    );
    view.watches = vec![fill(300), fill(300)];
    view.rule = Some(RuleInfo {
        name: fill(200),
        description: Some(fill(500)),
        pattern: "{ $.eventName = \"StartInstances\" }".into(),
        security: true,
        insights_url: Some("https://eu-west-1.console.aws.amazon.com/cloudwatch/home".into()),
    });
    // The events come from the logs: a caller picks its user agent, and more.
    let event = EvidenceEvent {
        event_time: Some("2026-11-25T09:10:03Z".into()),
        event_name: Some(fill(128)),
        event_source: Some(fill(300)),
        error_code: Some(fill(300)),
        principal: Some(fill(300)),
        actor: Some(fill(300)),
        role: Some(fill(300)),
        principal_type: Some("AssumedRole".into()),
        source_ip: Some(fill(300)),
        user_agent: Some(fill(256)),
        account: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
        event_id: Some(fill(300)),
    };
    view.evidence = Some(EvidenceFound {
        rule: fill(200),
        events: vec![event; 20],
        total: 40,
        complete: false,
    });
    view
}

#[test]
fn no_direction_override_reaches_e_mail_or_pagerduty() {
    let view = hostile_view();
    let mail = text(&view);
    assert!(mail.contains("exe.txt"), "the evidence is there");
    assert!(!mail.contains('\u{202E}'), "{mail}");
    let incident = pagerduty(&view).unwrap().to_string();
    assert!(incident.contains("exe.txt"), "the evidence is there");
    assert!(!incident.contains('\u{202E}'), "{incident}");
}

#[test]
fn nothing_an_alarms_author_writes_pings_or_links_in_slack() {
    let view = hostile_view();
    let message = slack(&view);
    let mut all = Vec::new();
    texts(&message, "", &mut all);
    for (path, text) in &all {
        // The header is plain_text, in which Slack parses nothing.
        if path != ".attachments[0].blocks[0].text.text" {
            assert!(!text.contains('<') && !text.contains('>'), "{path}: {text}");
        }
        assert!(!text.contains('\u{202E}'), "{path}");
    }
    let text = message["text"].as_str().unwrap();
    assert!(
        text.contains(
            ": &lt;!channel&gt; &lt;@U024BE7LH&gt; &lt;https://evil.example|AWS console&gt;"
        ),
        "{text}"
    );
    let blocks = &message["attachments"][0]["blocks"];
    let header = blocks[0]["text"]["text"].as_str().unwrap();
    assert_eq!(
        blocks[0]["text"]["type"], "plain_text",
        "Slack parses nothing in plain_text"
    );
    assert!(
        units(header) <= 150 && header.ends_with('…'),
        "{} units",
        units(header)
    );
    for (path, text) in &all {
        if path.contains(".blocks") && path.ends_with(".text") {
            assert!(units(text) <= 3000, "{path}: {} units", units(text));
        }
    }
}

#[test]
fn nothing_an_alarms_author_writes_pings_or_hides_a_link_in_discord_or_teams() {
    let view = hostile_view();
    let message = discord(&view);
    assert_eq!(
        message["allowed_mentions"],
        serde_json::json!({"parse": []})
    );
    let embed = &message["embeds"][0];
    assert!(units(message["content"].as_str().unwrap()) <= 2000);
    assert!(units(embed["title"].as_str().unwrap()) <= 256);
    assert!(units(embed["description"].as_str().unwrap()) <= 4096);
    let mut total =
        units(embed["title"].as_str().unwrap()) + units(embed["description"].as_str().unwrap());
    for field in embed["fields"].as_array().unwrap() {
        assert!(units(field["name"].as_str().unwrap()) <= 256, "{field}");
        assert!(units(field["value"].as_str().unwrap()) <= 1024, "{field}");
        total += units(field["name"].as_str().unwrap()) + units(field["value"].as_str().unwrap());
    }
    assert!(total <= 6000, "an embed of {total} characters");
    for (name, message) in [("discord", message.clone()), ("teams", teams(&view))] {
        let mut all = Vec::new();
        texts(&message, "", &mut all);
        // trailwatch's own link to the evidence is the one link.
        let own =
            "[All CloudTrail events](https://eu-west-1.console.aws.amazon.com/cloudwatch/home)";
        for (path, text) in &all {
            // No whole link left to write out (a cut one, `[a](htt…`, is text).
            let other = text.replace(own, "");
            assert_eq!(markdown_text(&other), other, "{name} {path}");
            assert!(!text.contains('\u{202E}'), "{name} {path}");
        }
        let shown = all.iter().map(|(_, t)| t.as_str()).collect::<String>();
        assert!(
            shown.contains("Open the console (https://evil.example/x)"),
            "{name}: the link is written out"
        );
        assert!(
            shown.contains("שלום عالم"),
            "{name}: right-to-left text stays"
        );
        assert!(shown.contains("🚨🔥"), "{name}: emoji stay");
    }
}

#[test]
fn markdown_links_are_written_out_even_when_one_closes_another() {
    assert_eq!(
        markdown_text("see [docs](https://a.example)"),
        "see docs (https://a.example)"
    );
    assert_eq!(markdown_text("[[a](b)](c)"), "a (b) (c)");
    assert_eq!(
        markdown_text("[x]( <https://a.example> )"),
        "x (https://a.example)"
    );
    assert_eq!(
        markdown_text("[not a link] (x) and [open"),
        "[not a link] (x) and [open"
    );
    assert_eq!(plain("a\u{202E}b\u{2067}c"), "a\u{FFFD}b\u{FFFD}c");
    assert_eq!(truncate("🚨🚨🚨", 5), "🚨🚨…", "two units an emoji");
    assert_eq!(truncate("🚨🚨", 4), "🚨🚨");
}

#[test]
fn discord_shows_when_the_state_changed() {
    let view = View::new(
        &alarm("aws", "eu-west-1"),
        &RenderContext {
            namespace: "CloudTrailMetrics".into(),
            rules: None,
            evidence_log_group: None,
        },
    );
    let embed = &discord(&view)["embeds"][0];
    assert_eq!(
        embed["timestamp"], "2026-11-25T09:12:30Z",
        "ISO 8601 from +0000"
    );
    assert!(embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "When" && f["value"] == "2026-11-25T09:12:30.833+0000"));
    let mut untimed = alarm("aws", "eu-west-1");
    untimed.time = None;
    let view = View::new(
        &untimed,
        &RenderContext {
            namespace: "CloudTrailMetrics".into(),
            rules: None,
            evidence_log_group: None,
        },
    );
    assert!(discord(&view)["embeds"][0].get("timestamp").is_none());
}

#[test]
fn pagerduty_triggers_on_alarm_resolves_on_ok_and_keys_both_alike() {
    let ctx = RenderContext {
        namespace: "CloudTrailMetrics".into(),
        rules: None,
        evidence_log_group: None,
    };
    let mut a = alarm("aws", "eu-west-1");
    a.arn = Some("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:disk".into());
    a.reason = Some("Threshold Crossed".into());
    let trigger = pagerduty(&View::new(&a, &ctx)).unwrap();
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(
        trigger["dedup_key"],
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:disk"
    );
    assert_eq!(trigger["payload"]["severity"], "critical");
    assert_eq!(
        trigger["payload"]["source"],
        "aws:cloudwatch:eu-west-1:123456789012"
    );
    assert_eq!(trigger["payload"]["timestamp"], "2026-11-25T09:12:30Z");
    assert_eq!(
        trigger["payload"]["custom_details"]["reason"],
        "Threshold Crossed"
    );
    assert!(trigger["payload"]["summary"]
        .as_str()
        .unwrap()
        .starts_with("🚨 ALARM: disk / full (prod)"));
    assert_eq!(trigger["links"][0]["text"], "Open the alarm in CloudWatch");
    assert!(
        trigger.get("routing_key").is_none(),
        "added when sent, never rendered"
    );

    a.old_state = Some(State::Alarm);
    a.new_state = State::Ok;
    let resolve = pagerduty(&View::new(&a, &ctx)).unwrap();
    assert_eq!(
        resolve,
        serde_json::json!({"event_action": "resolve", "dedup_key": trigger["dedup_key"]})
    );
    a.new_state = State::InsufficientData;
    assert_eq!(pagerduty(&View::new(&a, &ctx)), None);
    assert!(matches!(
        render(Channel::PagerDuty, &View::new(&a, &ctx)),
        Message::Nothing(_)
    ));

    // One incident per time series of a multi-time-series alarm; a key within PagerDuty's 255.
    a.new_state = State::Alarm;
    a.contributor = Some(Contributor {
        id: "6d442278dba546f6".into(),
        attributes: Vec::new(),
    });
    let one = pagerduty(&View::new(&a, &ctx)).unwrap();
    assert_eq!(
        one["dedup_key"],
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:disk/6d442278dba546f6"
    );
    a.arn = Some(format!(
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{}",
        "x".repeat(255)
    ));
    let long = pagerduty(&View::new(&a, &ctx)).unwrap();
    let key = long["dedup_key"].as_str().unwrap();
    assert!(key.starts_with("trailwatch-") && key.len() == 75, "{key}");
    // Summaries within PagerDuty's 1024 characters.
    a.name = "n".repeat(255);
    a.description = Some("d".repeat(1024));
    let big = pagerduty(&View::new(&a, &ctx)).unwrap();
    assert!(
        big["payload"]["summary"]
            .as_str()
            .unwrap()
            .encode_utf16()
            .count()
            <= 1024
    );
}

#[test]
fn a_principal_over_the_start_instances_threshold_is_named_in_title_and_subject() {
    let path = format!(
        "{}/../events/alarm-notifier/sns-trailwatch-start-instances-contributor.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let alarm = from_event(&event).unwrap().remove(0).unwrap();
    let rules = crate::rules::ruleset::RuleSet::builtin("CloudTrailMetrics").unwrap();
    let view = View::new(
        &alarm,
        &RenderContext {
            namespace: "CloudTrailMetrics".into(),
            rules: Some(&rules),
            evidence_log_group: Some("/aws/lambda/trail-metrics".into()),
        },
    );
    assert_eq!(
        view.title,
        "🚨 ALARM: trailwatch-StartInstances-per-user for UserName=alice"
    );
    assert_eq!(
        subject(&view),
        "ALARM: trailwatch-StartInstances-per-user for UserName=alice in us-east-1 (123456789012)"
    );
    // `FROM SCHEMA("CloudTrailMetrics", UserName)` is trailwatch's namespace: the rule is shown.
    let rule = view.rule.as_ref().expect("the rule behind it");
    assert_eq!(rule.name, "StartInstances");
    assert!(
        !rule.security && rule.insights_url.is_none(),
        "no evidence lines to link to"
    );
}

#[test]
fn a_query_reads_trailwatchs_namespace_in_every_form_and_only_then() {
    use super::view::queries_namespace;
    for q in [
        "SELECT SUM(X) FROM CloudTrailMetrics",
        "SELECT SUM(X) FROM \"CloudTrailMetrics\" GROUP BY UserName",
        "SELECT SUM(X) FROM SCHEMA(\"CloudTrailMetrics\", UserName)",
        "SELECT SUM(X) FROM SCHEMA( CloudTrailMetrics,UserName)",
    ] {
        assert!(queries_namespace(q, "CloudTrailMetrics"), "{q}");
    }
    for q in [
        "SELECT SUM(X) FROM CloudTrailMetricsOld",
        "SELECT SUM(X) FROM SCHEMA(\"AWS/EC2\", InstanceId)",
        "SELECT SUM(CloudTrailMetrics)",
    ] {
        assert!(!queries_namespace(q, "CloudTrailMetrics"), "{q}");
    }
}
