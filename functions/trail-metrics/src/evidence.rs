//! Evidence lines: one JSON object per event a security rule matched, on stdout, where Lambda sends them
//! to CloudWatch Logs.

use std::io::Write;
use std::sync::Arc;

use serde_json::{json, Value};
use trailwatch::object_ref::ObjectRef;
use trailwatch::publish::EvidenceSink;
use trailwatch::rules::ruleset::Evidence;

/// Evidence as JSON lines on stdout, where Lambda sends them to CloudWatch Logs: one object per line,
/// `{"trailwatch":"evidence","rule":…,"eventID":…,…,"object":"s3://…"}`.
pub fn evidence_to_stdout() -> Arc<EvidenceSink> {
    Arc::new(|object: &ObjectRef, evidence: &[Evidence]| {
        let object = object.to_string();
        let mut out = std::io::stdout().lock();
        for e in evidence {
            let mut line = json!({"trailwatch": "evidence", "object": object});
            if let (Value::Object(line), Ok(Value::Object(fields))) =
                (&mut line, serde_json::to_value(e))
            {
                line.extend(fields);
            }
            // A closed stdout is no reason to fail publishing.
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    })
}
