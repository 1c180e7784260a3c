//! The engine against every published CloudTrail file in `tests/data/real` (copied from the shared test
//! data, with each folder's SOURCE.md): whole logs, single events, arrays, NDJSON, gzip, digests,
//! LookupEvents output and a malformed file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use trailwatch::cloudtrail::{ReadError, ReadLimits};
use trailwatch::engine::{Engine, FileKind, FileReport};
use trailwatch::metrics::MetricDatum;
use trailwatch::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE};

fn data(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/real")
        .join(folder)
}

fn engine() -> Engine {
    Engine::new(
        RuleSet::builtin(DEFAULT_NAMESPACE).unwrap(),
        ReadLimits::default(),
    )
}

fn process(path: &Path) -> Result<FileReport, trailwatch::engine::FileError> {
    engine().process(
        &path.display().to_string(),
        std::fs::File::open(path).unwrap(),
    )
}

/// The files under a folder, but the SOURCE.md and README.md that describe them, sorted.
fn log_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(log_files(&path));
        } else if path.extension().is_none_or(|e| e != "md") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Every log-like file of a folder: its kind and record count, by file name.
fn folder(folder: &str) -> BTreeMap<String, (FileKind, u64, u64)> {
    log_files(&data(folder))
        .iter()
        .map(|p| {
            let r = process(p).unwrap_or_else(|e| panic!("{e}"));
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                (r.kind, r.counts.records, r.counts.events),
            )
        })
        .collect()
}

fn totals(files: &BTreeMap<String, (FileKind, u64, u64)>) -> (u64, u64) {
    files.values().fold((0, 0), |(r, e), (_, records, events)| {
        (r + records, e + events)
    })
}

/// Sum of one metric over the datums of one file.
fn metric_sum(path: &Path, metric: &str) -> f64 {
    process(path)
        .unwrap()
        .aggregation
        .into_datums()
        .iter()
        .filter(|d| &*d.metric_name == metric)
        .map(|d| d.statistics.sum)
        .sum()
}

#[test]
fn whole_log_files_give_every_record_as_the_source_counts_them() {
    let files = folder("invictus-ir_aws_dataset");
    assert_eq!(files.len(), 44);
    assert!(files.values().all(|(kind, _, _)| *kind == FileKind::Events));
    assert_eq!(totals(&files), (2274, 2274));
}

#[test]
fn json_arrays_of_events() {
    let files = folder("datadog-stratus-red-team-detonation-logs");
    assert_eq!(files.len(), 35);
    assert_eq!(totals(&files), (310, 310));
}

#[test]
fn ndjson_with_a_digest_line_file_and_no_final_newline() {
    let files = folder("elastic-integrations-cloudtrail-tests");
    let digest = &files["packages__aws__data_stream__cloudtrail___dev__test__pipeline__test-cloudtrail-digest-json.log"];
    assert_eq!(digest.0, FileKind::Digest);
    assert_eq!(
        files.values().filter(|f| f.0 == FileKind::Events).count(),
        10
    );
    assert_eq!(totals(&files), (14, 14));
}

#[test]
fn awsdocs_single_events_records_files_and_digests() {
    let files = folder("awsdocs-examples");
    let digests: Vec<_> = files
        .iter()
        .filter(|(_, f)| f.0 == FileKind::Digest)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(digests.len(), 2, "{digests:?}");
    assert!(digests.iter().all(|n| n.contains("digest-file-structure")));
    assert_eq!(totals(&files).0, 52);
}

#[test]
fn logstash_export_without_event_time_is_skipped_record_by_record() {
    let files = folder("otrf-security-datasets");
    assert_eq!(totals(&files), (103, 0));
    let report = process(&data(
        "otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.json",
    ))
    .unwrap();
    assert_eq!(report.counts.skipped_no_event_time, 103);
    assert!(report.aggregation.is_empty());
}

#[test]
fn lookup_events_output_is_recognised_and_skipped() {
    let report = process(&data(
        "plaso-test-data/test_data__jsonl__aws_cloudtrail.jsonl",
    ))
    .unwrap();
    assert_eq!(report.kind, FileKind::LookupEvents);
    assert!(report.kind.skip_reason().unwrap().contains("LookupEvents"));
}

#[test]
fn gzip_and_plain_twins_give_identical_datums() {
    let base = "trailscraper-tests/tests__cloudtrail__data__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json";
    let plain = process(&data(base)).unwrap();
    let gzip = process(&data(&format!("{base}.gz"))).unwrap();
    assert_eq!(plain.counts, gzip.counts);
    let (a, b): (Vec<MetricDatum>, Vec<MetricDatum>) = (
        plain.aggregation.into_datums(),
        gzip.aggregation.into_datums(),
    );
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn the_malformed_file_fails_naming_it_and_the_offset() {
    let path = data("cloudgrep-tests/tests__data__bad_cloudtrail.json");
    let err = process(&path).unwrap_err();
    assert!(
        matches!(err.error, ReadError::Truncated { offset: 965 }),
        "{err}"
    );
    assert!(err.to_string().contains("bad_cloudtrail.json"));
    let files = log_files(&data("cloudgrep-tests"));
    let ok: Vec<_> = files.iter().filter_map(|p| process(p).ok()).collect();
    assert_eq!(ok.len(), 2, "the two valid files");
    assert_eq!(ok.iter().map(|r| r.counts.events).sum::<u64>(), 2);
}

#[test]
fn attack_simulations_raise_the_security_metrics() {
    let stratus = |name: &str| {
        data(&format!(
            "datadog-stratus-red-team-detonation-logs/docs__detonation-logs__aws.{name}.json"
        ))
    };
    assert_eq!(
        metric_sum(
            &stratus("defense-evasion.cloudtrail-stop"),
            "CloudTrailConfigChanges"
        ),
        1.0
    );
    assert!(
        metric_sum(
            &stratus("defense-evasion.cloudtrail-delete"),
            "CloudTrailConfigChanges"
        ) >= 1.0
    );
    assert!(
        metric_sum(
            &stratus("defense-evasion.organizations-leave"),
            "OrganizationsChanges"
        ) >= 1.0
    );
    assert!(
        metric_sum(
            &stratus("initial-access.console-login-without-mfa"),
            "ConsoleSignInWithoutMFA"
        ) >= 1.0
    );
    assert!(
        metric_sum(
            &stratus("exfiltration.ec2-security-group-open-port-22-ingress"),
            "SecurityGroupChanges"
        ) >= 1.0
    );
    assert!(
        metric_sum(
            &stratus("persistence.iam-create-admin-user"),
            "IAMPolicyChanges"
        ) >= 1.0
    );
    // And quiet files stay quiet: only default zeros.
    assert_eq!(
        metric_sum(
            &stratus("credential-access.secretsmanager-retrieve-secrets"),
            "RootAccountUsage"
        ),
        0.0
    );
}

#[test]
fn root_console_logins_from_the_docs_count_as_root_usage() {
    let root: f64 = log_files(&data("awsdocs-examples"))
        .iter()
        .filter(|p| p.to_string_lossy().contains("console-sign-in-events"))
        .map(|p| metric_sum(p, "RootAccountUsage"))
        .sum();
    assert!(root >= 1.0, "{root}");
}

#[test]
fn every_shared_file_is_read_or_reported() {
    // One pass over everything: no panic, and only the one malformed file fails.
    let files = log_files(&data(""));
    assert!(files.len() >= 150, "{} files", files.len());
    let failed: Vec<_> = files.iter().filter(|p| process(p).is_err()).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
}

/// What `@actor` should be for a record's `userIdentity`, read here straight from the JSON, after the
/// table in docs/rules.md: an independent reading to check the engine's against.
fn expected_actor(identity: &serde_json::Value) -> Option<String> {
    let text = |path: &[&str]| {
        let mut v = identity;
        for key in path {
            v = v.get(key)?;
        }
        v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
    };
    let session = || {
        text(&["arn"])
            .and_then(|a| a.rsplit('/').next().map(str::to_owned))
            .filter(|s| !s.is_empty() && !s.contains(':'))
    };
    match text(&["type"])?.as_str() {
        "Root" => Some("root".into()),
        "AssumedRole" | "Role" => {
            let role = text(&["sessionContext", "sessionIssuer", "userName"]);
            let person = role
                .as_deref()
                .is_some_and(|r| r.starts_with("AWSReservedSSO_"))
                || text(&["sessionContext", "webIdFederationData", "federatedProvider"]).is_some();
            if person {
                session().or(role)
            } else {
                role
            }
        }
        "FederatedUser" => {
            session().or_else(|| text(&["sessionContext", "sessionIssuer", "userName"]))
        }
        "AWSService" => text(&["invokedBy"]),
        "IdentityCenterUser" => text(&["onBehalfOf", "userId"]),
        _ => text(&["userName"]),
    }
}

/// The records of a file, however it holds them: `{"Records":[…]}`, an array, one event, or NDJSON.
fn records_of(path: &Path) -> Vec<serde_json::Value> {
    let bytes = std::fs::read(path).unwrap();
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
            .unwrap();
        out
    } else {
        bytes
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut o)) => match o.remove("Records") {
            Some(serde_json::Value::Array(records)) => records,
            _ => vec![serde_json::Value::Object(o)],
        },
        Ok(serde_json::Value::Array(records)) => records,
        Ok(_) => Vec::new(),
        Err(_) => String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
    }
}

#[test]
fn the_actor_of_every_identity_in_the_published_logs_follows_the_table() {
    let rules = RuleSet::from_json(
        "actor.json",
        r#"{"rules":[{"name":"Every","security":true,"filterPattern":"","metricTransformations":[{"metricName":"Every","metricValue":"1"}]}]}"#,
        DEFAULT_NAMESPACE,
    )
    .unwrap();
    let engine = Engine::new(rules, ReadLimits::default()).with_evidence(true);
    let mut compared = 0;
    let mut types = std::collections::BTreeSet::new();
    let mut people = 0;
    for path in log_files(&data("")) {
        let Ok(report) = engine.process(
            &path.display().to_string(),
            std::fs::File::open(&path).unwrap(),
        ) else {
            continue;
        };
        // Some published samples reuse an eventID (`…EXAMPLE`): records are told apart by id, time and
        // name, and a key still shared by two identities is left out.
        type Key = (String, String, String);
        type Want = (Option<String>, Option<String>, String);
        let mut expected: BTreeMap<Key, Option<Want>> = BTreeMap::new();
        for r in records_of(&path) {
            let field = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            let Some(identity) = r.get("userIdentity") else {
                continue;
            };
            let kind = identity
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or("")
                .to_owned();
            // A session's role is named beside the actor.
            let role = match kind.as_str() {
                "AssumedRole" | "Role" => identity
                    .pointer("/sessionContext/sessionIssuer/userName")
                    .and_then(|v| v.as_str())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                _ => None,
            };
            let want = Some((expected_actor(identity), role, kind));
            expected
                .entry((field("eventID"), field("eventTime"), field("eventName")))
                .and_modify(|w| {
                    if *w != want {
                        *w = None
                    }
                })
                .or_insert(want);
        }
        for e in &report.evidence {
            let key = (
                e.event_id.clone().unwrap_or_default(),
                e.event_time.clone().unwrap_or_default(),
                e.event_name.clone().unwrap_or_default(),
            );
            let Some(Some((want, role, kind))) = expected.get(&key) else {
                continue;
            };
            assert_eq!(&e.actor, want, "{}: event {key:?}", path.display());
            assert_eq!(&e.role, role, "{}: event {key:?}", path.display());
            if e.actor.is_some() && e.actor != e.principal {
                people += 1;
            }
            types.insert(kind.clone());
            compared += 1;
        }
    }
    assert!(compared > 2500, "{compared} events compared");
    for kind in [
        "IAMUser",
        "AssumedRole",
        "Root",
        "AWSService",
        "FederatedUser",
    ] {
        assert!(types.contains(kind), "no {kind} among {types:?}");
    }
    assert!(
        people > 0,
        "a person behind a role (IAM Identity Center) among the real logs"
    );
}

/// The engine's fast walk over records (`event/fast.rs`) against serde_json on every published file:
/// each file whole (everything skipped but its records' fields), with the fields the rules read in
/// every record of a `{"Records":[…]}` log. Where the walk answers it must agree, and on these files it
/// must answer: otherwise the engine would be parsing them twice.
#[test]
fn the_fast_walk_agrees_with_serde_json_on_every_published_file() {
    use std::io::Read;
    use trailwatch::event::selector::Selector;
    use trailwatch::event::FieldTable;

    const FIELDS: &[&str] = &[
        "eventName",
        "eventSource",
        "eventTime",
        "eventCategory",
        "eventType",
        "eventID",
        "errorCode",
        "errorMessage",
        "awsRegion",
        "recipientAccountId",
        "sourceIPAddress",
        "userAgent",
        "userIdentity.type",
        "userIdentity.userName",
        "userIdentity.arn",
        "userIdentity.invokedBy",
        "userIdentity.onBehalfOf.userId",
        "userIdentity.sessionContext.sessionIssuer.userName",
        "userIdentity.sessionContext.webIdFederationData.federatedProvider",
        "additionalEventData.MFAUsed",
        "responseElements.ConsoleLogin",
        "requestParameters.bucketName",
        "resources[0].ARN",
    ];
    let mut walked = 0;
    for path in log_files(&data("")) {
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_end(&mut plain)
                .unwrap();
            bytes = plain;
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let records = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("Records").and_then(|r| r.as_array()).map(Vec::len))
            .unwrap_or(0);
        let mut table = FieldTable::default();
        for i in 0..records {
            for field in FIELDS {
                let (head, tail) = field.split_once('[').map_or((*field, ""), |(h, t)| (h, t));
                let selector = if tail.is_empty() {
                    format!("$.Records[{i}].{head}")
                } else {
                    format!("$.Records[{i}].{head}[{tail}")
                };
                table.intern(&Selector::parse(&selector).unwrap());
            }
        }
        let valid = serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok();
        let agrees = table.fast_walk_agrees(&text);
        let name = path.display();
        assert!(agrees.is_ok(), "{name}: {agrees:?}");
        if valid {
            assert_eq!(agrees, Ok(true), "{name}: valid JSON left to serde_json");
            walked += records;
        }
    }
    assert!(walked > 2000, "{walked} records walked");
}
