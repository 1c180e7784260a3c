//! The cardinality guard at the scale it exists for: a million distinct user names in one file.

use trailwatch::cloudtrail::ReadLimits;
use trailwatch::engine::Engine;
use trailwatch::metrics::OVERFLOW_DIMENSION_VALUE;
use trailwatch::rules::ruleset::{
    RuleSet, DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR, DEFAULT_NAMESPACE,
};

#[test]
fn a_million_distinct_users_in_one_file_publish_a_thousand_series_and_an_exact_total() {
    const USERS: usize = 1_000_000;
    let mut log = String::with_capacity(USERS * 200);
    log.push_str(r#"{"Records":["#);
    for i in 0..USERS {
        if i > 0 {
            log.push(',');
        }
        // One hour of events; every user distinct, non-ASCII every seventh so encoding and the
        // guard meet.
        let name = if i % 7 == 0 {
            format!("zoë-{i}")
        } else {
            format!("user-{i}")
        };
        log.push_str(&format!(
            r#"{{"eventTime":"2026-11-24T09:{:02}:{:02}Z","eventName":"StartInstances","eventSource":"ec2.amazonaws.com","userIdentity":{{"type":"IAMUser","userName":"{name}"}}}}"#,
            i * 60 / USERS,
            i % 60
        ));
    }
    log.push_str("]}");
    let engine = Engine::new(
        RuleSet::builtin(DEFAULT_NAMESPACE).unwrap(),
        ReadLimits::default(),
    );
    let report = engine.process("million.json", log.as_bytes()).unwrap();
    assert_eq!(report.counts.events, USERS as u64);
    let folded = (USERS - DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR) as u64;
    assert_eq!(report.counts.folded_dimension_value, folded);
    let mut users = std::collections::HashSet::new();
    let (mut total, mut overflow) = (0.0, 0.0);
    for d in report.aggregation.into_datums() {
        if &*d.metric_name != "StartInstances" {
            continue;
        }
        let user = &d.dimensions[0].1;
        total += d.statistics.sum;
        if user == OVERFLOW_DIMENSION_VALUE {
            overflow += d.statistics.sum;
        } else {
            users.insert(user.clone());
        }
    }
    assert_eq!(total, USERS as f64, "no count lost");
    assert_eq!(overflow, folded as f64);
    assert_eq!(users.len(), DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR);
    // The first thousand users keep their names, the non-ASCII ones percent-encoded.
    assert!(users.contains("user-999"));
    assert!(users.contains("zo%C3%AB-0"));
    assert!(!users.contains("user-1001"));
}
