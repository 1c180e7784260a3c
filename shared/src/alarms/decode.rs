//! Alarm payloads to [`Alarm`]s: SNS records, CloudWatch's Lambda alarm action and EventBridge events,
//! detected by shape.

use super::arn::{alarm_name_from_arn, arn_parts, is_region_code};
use super::regions::region_code;
use super::{
    Alarm, AlarmTags, Contributor, Evaluation, MetricQuery, MetricRef, Mute, Silence, State,
    Suppression, Watches,
};
use crate::json_shape::{json_type, keys_of};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlarmError {
    #[error("unrecognised event: {0}. alarm-notifier accepts SNS notifications of CloudWatch alarms, CloudWatch's Lambda alarm action and EventBridge \"CloudWatch Alarm State Change\" and \"CloudWatch Alarm Contributor State Change\" events")]
    Unrecognised(String),
    #[error("{what}: {message}")]
    Malformed { what: String, message: String },
    /// An event about an alarm that is no state change (a configuration change): nothing to notify.
    #[error("not an alarm state change: {0}")]
    NotAStateChange(String),
}

fn malformed(what: impl Into<String>, message: impl Into<String>) -> AlarmError {
    AlarmError::Malformed {
        what: what.into(),
        message: message.into(),
    }
}

/// One decoded message, or why it could not be read (one bad SNS record does not hide the others).
pub type AlarmMessages = Vec<Result<Alarm, AlarmError>>;

/// Decodes an invocation payload into its alarm state changes.
pub fn from_event(event: &Value) -> Result<AlarmMessages, AlarmError> {
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
                        if a.region.is_none() {
                            // CloudWatch notifies topics in the alarm's own region.
                            let topic = r.pointer("/Sns/TopicArn").and_then(Value::as_str);
                            let (partition, region, _) = arn_parts(topic);
                            if region.is_some() {
                                (a.region, a.partition) = (region, partition);
                            }
                        }
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
            if detail_type == "CloudWatch Alarm Configuration Change" {
                return Err(AlarmError::NotAStateChange(format!(
                    "a configuration change ({}) of alarm {:?}",
                    str_at(detail, "operation").unwrap_or("unknown operation"),
                    str_at(detail, "alarmName").unwrap_or("")
                )));
            }
            if detail_type != "CloudWatch Alarm State Change"
                && detail_type != "CloudWatch Alarm Contributor State Change"
            {
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
        // Old notifications have no AlarmArn: their region is named for people.
        region: arn_region.or_else(|| str_at(m, "Region").and_then(region_code).map(str::to_owned)),
        partition,
        old_state: str_at(m, "OldStateValue").map(State::parse),
        new_state,
        reason: non_empty(str_at(m, "NewStateReason")),
        time: non_empty(str_at(m, "StateChangeTime")),
        watches,
        evaluation,
        source: "SNS",
        message_id: None,
        silence: Silence::default(),
        // A multi-time-series alarm notifies once per contributor.
        contributor: sns_contributor(m),
        tags: tags(m.get("AlarmTags"), m.get("AlarmTagsStatus")),
    })
}

/// Propagated alarm tags: AWS documents the key names (`AlarmTags`/`alarmTags`, with
/// `AlarmTagsStatus`/`alarmTagsStatus`) and, for EventBridge, "an object of key-value pairs". Read as
/// an object (`{"team":"payments"}`) or as a list of `{"Key","Value"}` (either case), whichever comes.
fn tags(values: Option<&Value>, status: Option<&Value>) -> AlarmTags {
    let pair = |item: &Value| {
        let field = |a: &str, b: &str| item.get(a).or_else(|| item.get(b)).and_then(Value::as_str);
        Some((
            field("Key", "key")?.to_owned(),
            field("Value", "value")?.to_owned(),
        ))
    };
    let tags = match values {
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        Some(Value::Array(items)) => items.iter().filter_map(pair).collect(),
        _ => Vec::new(),
    };
    AlarmTags {
        tags,
        status: status.and_then(Value::as_str).map(str::to_owned),
    }
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
                .or_else(|| non_empty(str_at(t, "Statistic")).map(|s| statistic_name(&s))),
            unit: shown_unit(str_at(t, "Unit")),
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
    let watches = alarm_data_watches(data, config);
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
        silence: silence(data, config),
        contributor: contributor(data),
        // EventBridge puts them in `detail`; for the Lambda action, beside `alarmData` or in it.
        tags: tags(
            data.get("alarmTags").or_else(|| envelope.get("alarmTags")),
            data.get("alarmTagsStatus")
                .or_else(|| envelope.get("alarmTagsStatus")),
        ),
    })
}

/// The contributor an SNS notification is about: `AlarmContributorId` and
/// `AlarmContributorAttributes` beside the alarm's fields.
fn sns_contributor(m: &Value) -> Option<Contributor> {
    contributor_from(
        m.get("AlarmContributorId"),
        m.get("AlarmContributorAttributes"),
    )
}

fn contributor_from(id: Option<&Value>, attributes: Option<&Value>) -> Option<Contributor> {
    Some(Contributor {
        id: non_empty(id?.as_str())?,
        attributes: attributes
            .and_then(Value::as_object)
            .map(|a| {
                a.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// The time series of a multi-time-series (Metrics Insights) alarm this change is about
/// (`alarmContributor`), its attributes in the payload's order.
fn contributor(data: &Value) -> Option<Contributor> {
    let c = data.get("alarmContributor")?;
    contributor_from(c.get("id"), c.get("attributes"))
}

/// CloudWatch's silence over an alarm-data change: suppression in `state` and `previousState`, and
/// `muteDetail` beside them.
fn silence(data: &Value, config: &Value) -> Silence {
    let suppression = |state: &str| {
        let s = data.get(state)?;
        Some(Suppression {
            by: non_empty(str_at(s, "actionsSuppressedBy"))?,
            reason: non_empty(str_at(s, "actionsSuppressedReason")),
            suppressor: non_empty(str_at(config, "actionsSuppressor")),
        })
    };
    let suppressed = suppression("state");
    let suppression_ended = match (&suppressed, suppression("previousState")) {
        (None, Some(before)) => Some(before),
        _ => None,
    };
    let mute = data
        .get("muteDetail")
        .filter(|m| m.is_object())
        .map(|m| Mute {
            rule: non_empty(str_at(m, "mutedByArn")),
            start: non_empty(str_at(m, "muteWindowStart")),
            end: non_empty(str_at(m, "muteWindowEnd")),
        });
    Silence {
        suppressed,
        mute,
        suppression_ended,
    }
}

/// What an alarm-data alarm watches: a composite's rule and the children that triggered it, one
/// metric, or metric math.
fn alarm_data_watches(data: &Value, config: &Value) -> Watches {
    if let Some(rule) = str_at(config, "alarmRule") {
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
                unit: shown_unit(
                    metrics[0]
                        .pointer("/metricStat/unit")
                        .and_then(Value::as_str),
                ),
                period: only.period,
            },
            _ => Watches::Math { queries },
        }
    } else {
        Watches::Unknown
    }
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
    query_period: &'static str,
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
    query_period: "Period",
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
    query_period: "period",
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
        // A metric's period, or an expression's own (a Metrics Insights query has one).
        period: q
            .pointer(k.period)
            .or_else(|| q.get(k.query_period))
            .and_then(Value::as_u64),
        return_data: q
            .get(k.return_data)
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

/// A statistic as CloudWatch's console and API name it: SNS notifications write `SAMPLE_COUNT`,
/// `AVERAGE`…, the API `SampleCount`, `Average`. Percentiles and other extended statistics pass as
/// written.
fn statistic_name(s: &str) -> String {
    match s.trim() {
        "SAMPLE_COUNT" => "SampleCount",
        "AVERAGE" => "Average",
        "SUM" => "Sum",
        "MINIMUM" => "Minimum",
        "MAXIMUM" => "Maximum",
        other => other,
    }
    .to_owned()
}

/// A unit worth showing a person: not CloudWatch's `None` (no unit), and not a `null` written as text.
fn shown_unit(unit: Option<&str>) -> Option<String> {
    non_empty(unit).filter(|u| !matches!(u.as_str(), "None" | "null"))
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
