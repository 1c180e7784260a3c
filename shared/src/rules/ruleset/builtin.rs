//! The built-in rule packs and namespace.

/// The namespace of metrics whose rule does not name one.
pub const DEFAULT_NAMESPACE: &str = "CloudTrailMetrics";

/// The built-in packs, by name: each a rule file (`shared/rules/packs/`). The CIS packs hold the
/// monitoring section of each CIS AWS Foundations Benchmark version, with each pattern's provenance;
/// `securityhub-legacy` holds Security Hub's CloudWatch.1–14; `start-instances` the StartInstances count.
pub const PACKS: [(&str, &str); 9] = [
    (
        "start-instances",
        include_str!("../../../rules/packs/start-instances.json"),
    ),
    (
        "cis-v7.0.0",
        include_str!("../../../rules/packs/cis-v7.0.0.json"),
    ),
    (
        "cis-v6.0.0",
        include_str!("../../../rules/packs/cis-v6.0.0.json"),
    ),
    (
        "cis-v5.0.0",
        include_str!("../../../rules/packs/cis-v5.0.0.json"),
    ),
    (
        "cis-v4.0.1",
        include_str!("../../../rules/packs/cis-v4.0.1.json"),
    ),
    (
        "cis-v3.0.0",
        include_str!("../../../rules/packs/cis-v3.0.0.json"),
    ),
    (
        "cis-v1.4.0",
        include_str!("../../../rules/packs/cis-v1.4.0.json"),
    ),
    (
        "cis-v1.2.0",
        include_str!("../../../rules/packs/cis-v1.2.0.json"),
    ),
    (
        "securityhub-legacy",
        include_str!("../../../rules/packs/securityhub-legacy.json"),
    ),
];

/// The packs used when none are named: StartInstances per person and the newest CIS benchmark.
pub const DEFAULT_PACKS: [&str; 2] = ["start-instances", "cis-v7.0.0"];

/// The text of a built-in pack.
pub fn pack_json(name: &str) -> Option<&'static str> {
    PACKS.iter().find(|(n, _)| *n == name).map(|(_, j)| *j)
}
