//! What both functions need from the Lambda environment that is not the runtime's own: the deadline as
//! the runtime API sends it, and health metrics as Embedded Metric Format lines.

use serde_json::{json, Value};

/// An invocation's deadline in epoch milliseconds, from the runtime API's `Lambda-Runtime-Deadline-Ms`.
/// Lambda sends epoch milliseconds; `cargo lambda watch` sends the timeout itself (`600000`). A value
/// too small to be a date after 2001 is taken as milliseconds from `now_ms`.
pub fn invocation_deadline_ms(header: u64, now_ms: i64) -> i64 {
    let header = i64::try_from(header).unwrap_or(i64::MAX);
    if header < 1_000_000_000_000 {
        now_ms.saturating_add(header)
    } else {
        header
    }
}

/// One EMF line: `metrics` as (name, unit, value), in `namespace`, with the `FunctionName` dimension.
pub fn emf_line(
    namespace: &str,
    function: &str,
    now_ms: i64,
    metrics: &[(&str, &str, f64)],
) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_from_lambda_and_from_cargo_lambda() {
        let now = 1_795_605_417_311;
        assert_eq!(invocation_deadline_ms(now as u64 + 900, now), now + 900);
        assert_eq!(invocation_deadline_ms(600_000, now), now + 600_000);
    }
}
