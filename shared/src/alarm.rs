//! CloudWatch alarm state changes, from every way they reach a Lambda function, normalised to one
//! [`Alarm`]. Tolerant by design: real payloads have null descriptions, no threshold (anomaly
//! detection), no metric (composite alarms), placeholder regions and odd timestamps, and each of those
//! must still make a useful notification. Pure: no AWS calls.
//!
//! Accepted, auto-detected:
//! - SNS events carrying alarm notifications (`Records[].Sns.Message`), every record;
//! - CloudWatch's direct Lambda alarm action (`"source":"aws.cloudwatch"`, `alarmData`);
//! - EventBridge "CloudWatch Alarm State Change" events (`detail`).

use serde_json::Value;

use crate::json_shape::{json_type, keys_of};

/// An alarm state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Ok,
    Alarm,
    InsufficientData,
    Other(String),
}

impl State {
    pub fn parse(text: &str) -> State {
        match text.trim() {
            "OK" => State::Ok,
            "ALARM" => State::Alarm,
            "INSUFFICIENT_DATA" => State::InsufficientData,
            other => State::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            State::Ok => "OK",
            State::Alarm => "ALARM",
            State::InsufficientData => "INSUFFICIENT_DATA",
            State::Other(s) => s,
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One metric an alarm reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricRef {
    pub namespace: String,
    pub name: String,
    pub dimensions: Vec<(String, String)>,
}

/// One query of a metric-math or anomaly-detection alarm.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricQuery {
    pub id: String,
    pub label: Option<String>,
    pub expression: Option<String>,
    pub metric: Option<MetricRef>,
    pub stat: Option<String>,
    pub period: Option<u64>,
    pub return_data: bool,
}

/// What an alarm watches.
#[derive(Debug, Clone, PartialEq)]
pub enum Watches {
    /// One metric and a threshold.
    Metric {
        metric: MetricRef,
        statistic: Option<String>,
        unit: Option<String>,
        period: Option<u64>,
    },
    /// Metric math, or anomaly detection (an `ANOMALY_DETECTION_BAND` expression and a
    /// threshold metric instead of a threshold).
    Math { queries: Vec<MetricQuery> },
    /// A composite alarm: a rule over other alarms, and the children that triggered this change.
    Composite {
        rule: String,
        triggering: Vec<(String, Option<State>)>,
    },
    /// Nothing in the payload says (old or partial payloads).
    Unknown,
}

/// The evaluation settings of a metric or math alarm, as far as the payload gives them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    pub comparison: Option<String>,
    pub threshold: Option<f64>,
    /// Anomaly detection: the id of the band the metric is compared with.
    pub threshold_metric_id: Option<String>,
    pub evaluation_periods: Option<u64>,
    pub datapoints_to_alarm: Option<u64>,
    pub treat_missing_data: Option<String>,
}

/// An alarm state change, whatever shape it arrived in.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub description: Option<String>,
    pub arn: Option<String>,
    pub account: Option<String>,
    /// The region code (`eu-west-1`), from the ARN when it has a usable one.
    pub region: Option<String>,
    /// `aws`, `aws-cn` or `aws-us-gov`, from the ARN.
    pub partition: String,
    pub old_state: Option<State>,
    pub new_state: State,
    pub reason: Option<String>,
    /// When the state changed, as the payload says it.
    pub time: Option<String>,
    pub watches: Watches,
    pub evaluation: Evaluation,
    /// `SNS`, `Lambda alarm action` or `EventBridge`.
    pub source: &'static str,
    /// The transport's id of the message (SNS `MessageId`, EventBridge `id`), when it has one.
    pub message_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlarmError {
    #[error("unrecognised event: {0}. alarm-notifier accepts SNS notifications of CloudWatch alarms, CloudWatch's Lambda alarm action and EventBridge \"CloudWatch Alarm State Change\" events")]
    Unrecognised(String),
    #[error("{what}: {message}")]
    Malformed { what: String, message: String },
}

fn malformed(what: impl Into<String>, message: impl Into<String>) -> AlarmError {
    AlarmError::Malformed {
        what: what.into(),
        message: message.into(),
    }
}

/// One decoded message, or why it could not be read (one bad SNS record does not hide the others).
pub type Decoded = Vec<Result<Alarm, AlarmError>>;

/// Decodes an invocation payload into its alarm state changes.
pub fn decode(event: &Value) -> Result<Decoded, AlarmError> {
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        let mut out = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            let what = format!("SNS record {i}");
            let Some(message) = r.pointer("/Sns/Message") else {
                return Err(AlarmError::Unrecognised(format!(
                    "Records[{i}] is not an SNS record (keys: {})",
                    keys_of(r)
                )));
            };
            out.push(
                message
                    .as_str()
                    .ok_or_else(|| malformed(&what, "Sns.Message is not a string"))
                    .and_then(|m| {
                        serde_json::from_str::<Value>(m).map_err(|e| {
                            malformed(
                                &what,
                                format!("its Message is not JSON ({e}): {}", preview(m)),
                            )
                        })
                    })
                    .and_then(|m| from_sns_message(&m, &what))
                    .map(|mut a| {
                        a.message_id = r
                            .pointer("/Sns/MessageId")
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                        a
                    }),
            );
        }
        return Ok(out);
    }
    if event.get("source").and_then(Value::as_str) == Some("aws.cloudwatch") {
        if let Some(data) = event.get("alarmData") {
            let arn = str_at(event, "alarmArn")
                .or_else(|| event.pointer("/resources/0").and_then(Value::as_str));
            let source = if event.get("detail-type").is_some() {
                "EventBridge"
            } else {
                "Lambda alarm action"
            };
            return Ok(vec![from_alarm_data(data, event, arn, source)]);
        }
        if let Some(detail) = event.get("detail") {
            let detail_type = str_at(event, "detail-type").unwrap_or("");
            if detail_type != "CloudWatch Alarm State Change" {
                return Err(AlarmError::Unrecognised(format!(
                    "an EventBridge event of type {detail_type:?} from aws.cloudwatch"
                )));
            }
            let arn = event.pointer("/resources/0").and_then(Value::as_str);
            return Ok(vec![from_alarm_data(detail, event, arn, "EventBridge")]);
        }
    }
    if event.get("AlarmName").is_some() && event.get("NewStateValue").is_some() {
        // The SNS message itself (an SNS → SQS → … pipeline, or a saved notification).
        return Ok(vec![from_sns_message(event, "alarm notification")]);
    }
    Err(AlarmError::Unrecognised(match event {
        Value::Object(_) => format!("an object with keys {}", keys_of(event)),
        other => format!("a JSON {}", json_type(other)),
    }))
}

/// The classic notification CloudWatch publishes to SNS.
fn from_sns_message(m: &Value, what: &str) -> Result<Alarm, AlarmError> {
    let name = str_at(m, "AlarmName").ok_or_else(|| {
        AlarmError::Unrecognised(format!(
            "{what}'s Message is not a CloudWatch alarm notification (keys: {})",
            keys_of(m)
        ))
    })?;
    let new_state = str_at(m, "NewStateValue")
        .map(State::parse)
        .ok_or_else(|| malformed(what, format!("alarm {name:?} has no NewStateValue")))?;
    let arn = str_at(m, "AlarmArn");
    let (partition, arn_region, arn_account) = arn_parts(arn);
    let trigger = m.get("Trigger").filter(|t| t.is_object());
    let (watches, evaluation) = match trigger {
        Some(t) => sns_trigger(t),
        None => (Watches::Unknown, Evaluation::default()),
    };
    let watches = match (str_at(m, "AlarmRule"), &watches) {
        (Some(rule), _) => Watches::Composite {
            rule: rule.to_owned(),
            triggering: m
                .get("TriggeringChildren")
                .and_then(Value::as_array)
                .map(|children| {
                    children
                        .iter()
                        .filter_map(|c| {
                            let arn = str_at(c, "Arn")?;
                            let state = c
                                .pointer("/State/Value")
                                .and_then(Value::as_str)
                                .map(State::parse);
                            Some((alarm_name_from_arn(arn).to_owned(), state))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        },
        _ => watches,
    };
    Ok(Alarm {
        name: name.to_owned(),
        description: non_empty(str_at(m, "AlarmDescription")),
        arn: arn.map(str::to_owned),
        account: non_empty(str_at(m, "AWSAccountId")).or(arn_account),
        region: arn_region,
        partition,
        old_state: str_at(m, "OldStateValue").map(State::parse),
        new_state,
        reason: non_empty(str_at(m, "NewStateReason")),
        time: non_empty(str_at(m, "StateChangeTime")),
        watches,
        evaluation,
        source: "SNS",
        message_id: None,
    })
}

fn sns_trigger(t: &Value) -> (Watches, Evaluation) {
    let evaluation = Evaluation {
        comparison: non_empty(str_at(t, "ComparisonOperator")),
        threshold: t.get("Threshold").and_then(Value::as_f64),
        threshold_metric_id: non_empty(str_at(t, "ThresholdMetricId")),
        evaluation_periods: t.get("EvaluationPeriods").and_then(Value::as_u64),
        datapoints_to_alarm: t.get("DatapointsToAlarm").and_then(Value::as_u64),
        treat_missing_data: non_empty(str_at(t, "TreatMissingData")).map(|s| {
            // Old payloads say "- TreatMissingData:                    missing".
            s.rsplit(':').next().unwrap_or(&s).trim().to_owned()
        }),
    };
    let watches = if let Some(metrics) = t.get("Metrics").and_then(Value::as_array) {
        Watches::Math {
            queries: metrics.iter().map(|q| query(q, &SNS_KEYS)).collect(),
        }
    } else if let Some(name) = str_at(t, "MetricName") {
        Watches::Metric {
            metric: MetricRef {
                namespace: str_at(t, "Namespace").unwrap_or("").to_owned(),
                name: name.to_owned(),
                dimensions: dimensions(t.get("Dimensions")),
            },
            statistic: non_empty(str_at(t, "ExtendedStatistic"))
                .or_else(|| non_empty(str_at(t, "Statistic")).map(|s| title_case(&s))),
            unit: non_empty(str_at(t, "Unit")),
            period: t.get("Period").and_then(Value::as_u64),
        }
    } else {
        Watches::Unknown
    };
    (watches, evaluation)
}

/// The `alarmData` of a Lambda alarm action, or the `detail` of an EventBridge event.
fn from_alarm_data(
    data: &Value,
    envelope: &Value,
    arn: Option<&str>,
    source: &'static str,
) -> Result<Alarm, AlarmError> {
    let what = format!("{source} alarm event");
    let name = str_at(data, "alarmName").ok_or_else(|| malformed(&what, "it has no alarmName"))?;
    let new_state = data
        .pointer("/state/value")
        .and_then(Value::as_str)
        .map(State::parse)
        .ok_or_else(|| malformed(&what, format!("alarm {name:?} has no state.value")))?;
    let (partition, arn_region, arn_account) = arn_parts(arn);
    let config = data.get("configuration").unwrap_or(&Value::Null);
    let watches = if let Some(rule) = str_at(config, "alarmRule") {
        let triggering = data
            .pointer("/state/reasonData")
            .and_then(Value::as_str)
            .and_then(|r| serde_json::from_str::<Value>(r).ok())
            .and_then(|r| r.get("triggeringAlarms").cloned())
            .and_then(|t| t.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|c| {
                let arn = str_at(c, "arn")?;
                let state = c
                    .pointer("/state/value")
                    .and_then(Value::as_str)
                    .map(State::parse);
                Some((alarm_name_from_arn(arn).to_owned(), state))
            })
            .collect();
        Watches::Composite {
            rule: rule.to_owned(),
            triggering,
        }
    } else if let Some(metrics) = config.get("metrics").and_then(Value::as_array) {
        let queries: Vec<MetricQuery> = metrics.iter().map(|q| query(q, &EVENT_KEYS)).collect();
        match queries.as_slice() {
            [only] if only.expression.is_none() && only.metric.is_some() => Watches::Metric {
                metric: only.metric.clone().unwrap_or_default(),
                statistic: only.stat.clone(),
                unit: metrics[0]
                    .pointer("/metricStat/unit")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                period: only.period,
            },
            _ => Watches::Math { queries },
        }
    } else {
        Watches::Unknown
    };
    // These events carry no threshold: the reason data of a metric alarm does.
    let reason_data = data
        .pointer("/state/reasonData")
        .and_then(Value::as_str)
        .and_then(|r| serde_json::from_str::<Value>(r).ok());
    let evaluation = Evaluation {
        threshold: reason_data
            .as_ref()
            .and_then(|r| r.get("threshold"))
            .and_then(Value::as_f64),
        ..Evaluation::default()
    };
    Ok(Alarm {
        name: name.to_owned(),
        description: non_empty(str_at(config, "description")),
        arn: arn.map(str::to_owned),
        account: non_empty(str_at(envelope, "accountId"))
            .or_else(|| non_empty(str_at(envelope, "account")))
            .or(arn_account),
        region: arn_region
            .or_else(|| non_empty(str_at(envelope, "region")).filter(|r| is_region_code(r))),
        partition,
        old_state: data
            .pointer("/previousState/value")
            .and_then(Value::as_str)
            .map(State::parse),
        new_state,
        reason: data
            .pointer("/state/reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        time: data
            .pointer("/state/timestamp")
            .and_then(Value::as_str)
            .or_else(|| str_at(envelope, "time"))
            .map(str::to_owned),
        watches,
        evaluation,
        source,
        message_id: non_empty(str_at(envelope, "id")),
    })
}

/// (partition, region, account) from `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`.
/// A region that is not a region code (`REGION`, blank) is `None`; the partition defaults to `aws`.
fn arn_parts(arn: Option<&str>) -> (String, Option<String>, Option<String>) {
    let Some(arn) = arn else {
        return ("aws".into(), None, None);
    };
    let parts: Vec<&str> = arn.splitn(7, ':').map(str::trim).collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return ("aws".into(), None, None);
    }
    let partition = if parts[1].starts_with("aws") {
        parts[1]
    } else {
        "aws"
    };
    let region = Some(parts[3])
        .filter(|r| is_region_code(r))
        .map(str::to_owned);
    let account = Some(parts[4])
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned);
    (partition.to_owned(), region, account)
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`…
pub fn is_region_code(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn alarm_name_from_arn(arn: &str) -> &str {
    arn.split_once(":alarm:").map_or(arn, |(_, name)| name)
}

/// Dimensions as `[{"name":…,"value":…}]` (any case) or `{"Name": "value"}`.
fn dimensions(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|d| {
                let name = str_at(d, "name").or_else(|| str_at(d, "Name"))?;
                let value = str_at(d, "value")
                    .or_else(|| str_at(d, "Value"))
                    .unwrap_or("");
                Some((name.to_owned(), value.to_owned()))
            })
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The names of a metric query's fields: SNS notifications capitalise them, the Lambda action and
/// EventBridge do not, and call the metric's name `name` rather than `MetricName`.
struct QueryKeys {
    id: &'static str,
    label: &'static str,
    expression: &'static str,
    metric: &'static str,
    namespace: &'static str,
    name: &'static str,
    dimensions: &'static str,
    stat: &'static str,
    period: &'static str,
    return_data: &'static str,
}

const SNS_KEYS: QueryKeys = QueryKeys {
    id: "Id",
    label: "Label",
    expression: "Expression",
    metric: "/MetricStat/Metric",
    namespace: "Namespace",
    name: "MetricName",
    dimensions: "Dimensions",
    stat: "/MetricStat/Stat",
    period: "/MetricStat/Period",
    return_data: "ReturnData",
};

const EVENT_KEYS: QueryKeys = QueryKeys {
    id: "id",
    label: "label",
    expression: "expression",
    metric: "/metricStat/metric",
    namespace: "namespace",
    name: "name",
    dimensions: "dimensions",
    stat: "/metricStat/stat",
    period: "/metricStat/period",
    return_data: "returnData",
};

fn query(q: &Value, k: &QueryKeys) -> MetricQuery {
    MetricQuery {
        id: str_at(q, k.id).unwrap_or("").to_owned(),
        label: non_empty(str_at(q, k.label)),
        expression: non_empty(str_at(q, k.expression)),
        metric: q.pointer(k.metric).map(|m| MetricRef {
            namespace: str_at(m, k.namespace).unwrap_or("").to_owned(),
            name: str_at(m, k.name).unwrap_or("").to_owned(),
            dimensions: dimensions(m.get(k.dimensions)),
        }),
        stat: q.pointer(k.stat).and_then(Value::as_str).map(str::to_owned),
        period: q.pointer(k.period).and_then(Value::as_u64),
        return_data: q
            .get(k.return_data)
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

/// `AVERAGE` → `Average` (old SNS payloads shout).
fn title_case(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_uppercase()) {
        let lower = s.to_ascii_lowercase();
        let mut chars = lower.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    } else {
        s.to_owned()
    }
}

fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key)?.as_str()
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn preview(s: &str) -> String {
    let mut p: String = s.chars().take(60).collect();
    if p.len() < s.len() {
        p.push('…');
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../events/alarm-notifier/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn one(name: &str) -> Alarm {
        let mut all = decode(&fixture(name)).unwrap();
        assert_eq!(all.len(), 1, "{name}");
        all.remove(0).unwrap()
    }

    #[test]
    fn every_aws_lambda_events_fixture_decodes() {
        let single =
            one("aws_lambda_events/example-cloudwatch-alarm-sns-payload-single-metric.json");
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

        let multi = decode(&fixture(
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
        let err = decode(&serde_json::json!({"hello": 1}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("keys hello") && err.contains("accepts"),
            "{err}"
        );
        let sns = serde_json::json!({"Records": [{"Sns": {"Message": "not json"}}, {"Sns": {"Message": "{\"foo\":1}"}}]});
        let decoded = decode(&sns).unwrap();
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
        let other = serde_json::json!({"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm Configuration Change", "detail": {}});
        assert!(decode(&other)
            .unwrap_err()
            .to_string()
            .contains("Configuration Change"));
    }
}
