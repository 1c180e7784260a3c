//! Evidence lines: one JSON object per event a security rule matched, on stdout, where Lambda sends them
//! to CloudWatch Logs (and where alarm-notifier reads them back).

use std::io::Write;
use std::sync::Arc;

use trailwatch::object_ref::ObjectRef;
use trailwatch::publish::EvidenceSink;
use trailwatch::rules::ruleset::Evidence;

/// Evidence as JSON lines on stdout ([`Evidence::log_line`]), where Lambda sends them to CloudWatch Logs.
pub fn evidence_to_stdout() -> Arc<EvidenceSink> {
    Arc::new(|object: &ObjectRef, evidence: &[Evidence]| {
        let object = object.to_string();
        let mut out = std::io::stdout().lock();
        for e in evidence {
            // A closed stdout is no reason to fail publishing.
            let _ = writeln!(out, "{}", e.log_line(&object));
        }
        let _ = out.flush();
    })
}
