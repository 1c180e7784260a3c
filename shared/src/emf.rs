//! CloudWatch Embedded Metric Format: one JSON log line that Lambda's log pipeline turns into metrics,
//! with no PutMetricData call and no latency added to the invocation.

use serde_json::{json, Value};

/// One EMF line: `metrics` as (name, unit, value), in `namespace`, with the `FunctionName` dimension.
pub fn line(namespace: &str, function: &str, now_ms: i64, metrics: &[(&str, &str, f64)]) -> Value {
    let mut line = json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["FunctionName"]],
                "Metrics": metrics.iter().map(|(n, u, _)| json!({"Name": n, "Unit": u})).collect::<Vec<_>>(),
            }],
        },
        "FunctionName": function,
    });
    for (name, _, value) in metrics {
        line[*name] = json!(value);
    }
    line
}
