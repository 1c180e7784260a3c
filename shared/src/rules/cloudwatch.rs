//! Rules as CloudWatch Logs metric filters: whether CloudWatch would take each rule as it is written,
//! and the metric filters that mean the same (`trailwatch rules export`). What CloudWatch would refuse
//! is rewritten to a form with the same meaning where one exists, and said; what has no metric-filter
//! form is refused with the reason, never exported to mean something else.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};

use crate::rules::pattern::{Condition, Expr, Pattern, Target, Test, Value};
use crate::rules::ruleset::{
    DimensionSource, MetricValue, Rule, Transformation, DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR,
    REGION,
};
use crate::text::format_number;

/// One metric filter: what PutMetricFilter takes, less the log group.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFilter {
    pub name: String,
    pub pattern: String,
    pub metric_name: String,
    pub metric_namespace: String,
    pub metric_value: String,
    pub default_value: Option<f64>,
    /// Name and `$.selector`, in rule-file order.
    pub dimensions: Vec<(String, String)>,
    /// `None` when the unit is CloudWatch's default, `None`.
    pub unit: Option<&'static str>,
}

/// What CloudWatch Logs makes of a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Acceptance {
    /// Exported as written: CloudWatch takes the rule as it stands.
    AsWritten(Vec<MetricFilter>),
    /// CloudWatch would refuse the rule as written; the filters differ from it, each way said.
    /// `same_meaning` is false when a change can make CloudWatch count differently from trailwatch.
    Rewritten {
        filters: Vec<MetricFilter>,
        changes: Vec<String>,
        same_meaning: bool,
    },
    /// No metric filter means what the rule means.
    Refused(Vec<String>),
}

/// Longest filter pattern CloudWatch takes, in characters.
const MAX_PATTERN: usize = 1024;

/// The rule's pattern as CloudWatch Logs takes it: as written, or rewritten where CloudWatch refuses a
/// form (EXISTS, unquoted values), with each change said in `changes`.
fn pattern_for_cloudwatch(
    rule: &Rule,
    changes: &mut Vec<String>,
    same_meaning: &mut bool,
) -> String {
    let written = rule.pattern_text.trim();
    match &rule.pattern {
        Pattern::Json(expr) => {
            let mut notes = PatternNotes::default();
            let mut text = String::from("{ ");
            print_expr(expr, false, &mut text, &mut notes);
            text.push_str(" }");
            if notes.exists {
                changes.push(
                    "`EXISTS` is not supported by CloudWatch Logs: written as `= *`, which, unlike EXISTS, does not match a field whose value is an object or an array"
                        .into(),
                );
                *same_meaning = false;
            }
            for word in &notes.unquoted {
                changes.push(format!(
                    "the value `{word}` is not a plain word: CloudWatch wants it in double quotes, and it is written quoted"
                ));
            }
            if notes.exists || !notes.unquoted.is_empty() {
                text
            } else {
                written.to_owned()
            }
        }
        Pattern::All | Pattern::Terms(_) => written.to_owned(),
    }
}

/// What CloudWatch Logs would do with `rule`.
pub fn acceptance(rule: &Rule) -> Acceptance {
    let mut refusals = Vec::new();
    let mut changes = Vec::new();
    let mut same_meaning = true;

    let pattern = pattern_for_cloudwatch(rule, &mut changes, &mut same_meaning);
    if pattern.chars().count() > MAX_PATTERN {
        refusals.push(format!(
            "the pattern CloudWatch would need is {} characters, over its {MAX_PATTERN}",
            pattern.chars().count()
        ));
    }
    if let Some(bad) = rule.name.chars().find(|c| matches!(c, ':' | '*')) {
        refusals.push(format!(
            "the rule name holds `{bad}`, which a metric filter's name may not: rename the rule"
        ));
    }
    if rule.max_dimension_values_per_hour != DEFAULT_MAX_DIMENSION_VALUES_PER_HOUR {
        changes.push(format!(
            "maxDimensionValuesPerHour ({}) has no metric-filter form: CloudWatch Logs may instead disable a filter that makes 1,000 different dimension values in an hour",
            rule.max_dimension_values_per_hour
        ));
        same_meaning = false;
    }
    if rule.sees_every_kind {
        changes.push(
            "the pattern tests eventCategory: CloudWatch Logs counts the Insights records it receives as trailwatch does, but it never receives aggregated summaries or network activity events"
                .into(),
        );
    }

    let mut filters = Vec::new();
    for (i, t) in rule.transformations.iter().enumerate() {
        let name = if i == 0 {
            rule.name.clone()
        } else {
            format!("{}-{}", rule.name, t.metric_name)
        };
        match filter(name, &pattern, t) {
            Ok(f) => filters.push(f),
            Err(mut why) => refusals.append(&mut why),
        }
    }
    if rule.transformations.len() > 1 {
        changes.push(format!(
            "a metric filter has one metric transformation: the rule's {} become {} filters with the same pattern",
            rule.transformations.len(),
            rule.transformations.len()
        ));
    }
    if !refusals.is_empty() {
        Acceptance::Refused(refusals)
    } else if changes.is_empty() {
        Acceptance::AsWritten(filters)
    } else {
        Acceptance::Rewritten {
            filters,
            changes,
            same_meaning,
        }
    }
}

fn filter(name: String, pattern: &str, t: &Transformation) -> Result<MetricFilter, Vec<String>> {
    let mut refusals = Vec::new();
    let mut dimensions = Vec::new();
    for d in &t.dimensions {
        match &d.source {
            // `@region` is `awsRegion` by another name.
            DimensionSource::Field(_) if d.source_text.trim() == REGION => {
                dimensions.push((d.name.to_string(), "$.awsRegion".to_owned()))
            }
            DimensionSource::Field(_) => dimensions.push((d.name.to_string(), d.source_text.clone())),
            DimensionSource::Actor => refusals.push(format!(
                "dimension {} is `@actor`, the person behind a session, which depends on userIdentity.type, the role's name and the session's ARN; a metric filter's dimension is one field, so no metric filter means the same",
                d.name
            )),
            DimensionSource::Account(..) => refusals.push(format!(
                "dimension {} is `@account`, recipientAccountId or else userIdentity.accountId; a metric filter's dimension is one field (`$.recipientAccountId` alone would drop events that lack it)",
                d.name
            )),
            DimensionSource::PrincipalType => {
                dimensions.push((d.name.to_string(), "$.userIdentity.type".to_owned()))
            }
            DimensionSource::PrincipalName => refusals.push(format!(
                "dimension {} is `@principalName`, which picks the principal's name by userIdentity.type; a metric filter's dimension is one field, so no metric filter means the same (a filter on `$.userIdentity.userName` would count every assumed role, root and service call under no name)",
                d.name
            )),
        }
    }
    let metric_value = match &t.value {
        MetricValue::Constant(n) => format_number(*n),
        MetricValue::Field(_) => t.value_text.clone(),
    };
    if !refusals.is_empty() {
        return Err(refusals);
    }
    Ok(MetricFilter {
        name,
        pattern: pattern.to_owned(),
        metric_name: t.metric_name.to_string(),
        metric_namespace: t.namespace.to_string(),
        metric_value,
        default_value: t.default_value,
        dimensions,
        unit: (t.unit != "None").then_some(t.unit),
    })
}

#[derive(Default)]
struct PatternNotes {
    exists: bool,
    unquoted: Vec<String>,
}

/// Writes `expr` in CloudWatch's syntax: `&&` binds tighter than `||`, so an `||` inside an `&&` is
/// parenthesised.
fn print_expr(expr: &Expr, inside_and: bool, out: &mut String, notes: &mut PatternNotes) {
    match expr {
        Expr::And(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(" && ");
                }
                print_expr(item, true, out, notes);
            }
        }
        Expr::Or(items) => {
            if inside_and {
                out.push('(');
            }
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(" || ");
                }
                print_expr(item, false, out, notes);
            }
            if inside_and {
                out.push(')');
            }
        }
        Expr::Condition(c) => print_condition(c, out, notes),
        Expr::OneOf {
            selector, values, ..
        } => {
            let mut sorted: Vec<&str> = values.iter().map(|v| &**v).collect();
            sorted.sort_unstable();
            if inside_and {
                out.push('(');
            }
            for (i, v) in sorted.iter().enumerate() {
                if i > 0 {
                    out.push_str(" || ");
                }
                let _ = write!(out, "{selector} = {}", quote(v));
            }
            if inside_and {
                out.push(')');
            }
        }
    }
}

fn print_condition(c: &Condition, out: &mut String, notes: &mut PatternNotes) {
    match &c.target {
        Target::Field { selector, .. } => {
            let _ = write!(out, "{selector}");
        }
        Target::Wildcard(w) => {
            let _ = write!(out, "{w}");
        }
    }
    if let Some(word) = &c.unquoted {
        if !is_plain_word(word) {
            notes.unquoted.push(word.clone());
        }
    }
    let value = |v: &Value| match v {
        Value::Any => "*".to_owned(),
        Value::Number(n) => format_number(*n),
        Value::Text(glob) => quote(&glob.to_string()),
        Value::Regex(re) => format!("%{}%", re.text),
    };
    let _ = match &c.test {
        Test::Equals(v) => write!(out, " = {}", value(v)),
        Test::NotEquals(v) => write!(out, " != {}", value(v)),
        Test::Less(n) => write!(out, " < {}", format_number(*n)),
        Test::LessOrEqual(n) => write!(out, " <= {}", format_number(*n)),
        Test::Greater(n) => write!(out, " > {}", format_number(*n)),
        Test::GreaterOrEqual(n) => write!(out, " >= {}", format_number(*n)),
        Test::IsTrue => write!(out, " IS TRUE"),
        Test::IsFalse => write!(out, " IS FALSE"),
        Test::IsNull => write!(out, " IS NULL"),
        Test::NotExists => write!(out, " NOT EXISTS"),
        Test::Exists => {
            notes.exists = true;
            write!(out, " = *")
        }
    };
}

/// What CloudWatch's documentation takes unquoted: letters, digits and `_`; AWS's own CIS patterns
/// also leave dotted and hyphenated words (`kms.amazonaws.com`) and `*` wildcards unquoted.
fn is_plain_word(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '*'))
}

/// A string value in double quotes, with `"` and `\` escaped as the pattern language reads them.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The filters as PutMetricFilter requests (`aws logs put-metric-filter --cli-input-json`).
pub fn put_metric_filter_json(filters: &[MetricFilter], log_group: &str) -> Json {
    let requests: Vec<Json> = filters
        .iter()
        .map(|f| {
            let mut t = json!({
                "metricName": f.metric_name,
                "metricNamespace": f.metric_namespace,
                "metricValue": f.metric_value,
            });
            if let Some(d) = f.default_value {
                t["defaultValue"] = json!(d);
            }
            if !f.dimensions.is_empty() {
                t["dimensions"] = f
                    .dimensions
                    .iter()
                    .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
            }
            if let Some(unit) = f.unit {
                t["unit"] = json!(unit);
            }
            json!({
                "logGroupName": log_group,
                "filterName": f.name,
                "filterPattern": f.pattern,
                "metricTransformations": [t],
            })
        })
        .collect();
    Json::Array(requests)
}

/// The filters as a CloudFormation template of `AWS::Logs::MetricFilter` resources.
pub fn cloudformation(filters: &[MetricFilter], log_group: &str) -> Json {
    let mut resources = serde_json::Map::new();
    for f in filters {
        let mut t = json!({
            "MetricName": f.metric_name,
            "MetricNamespace": f.metric_namespace,
            "MetricValue": f.metric_value,
        });
        if let Some(d) = f.default_value {
            t["DefaultValue"] = json!(d);
        }
        if !f.dimensions.is_empty() {
            t["Dimensions"] = f
                .dimensions
                .iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect();
        }
        if let Some(unit) = f.unit {
            t["Unit"] = json!(unit);
        }
        let id = unique_id(&logical_id(&f.name), |id| resources.contains_key(id));
        resources.insert(
            id,
            json!({
                "Type": "AWS::Logs::MetricFilter",
                "Properties": {
                    "FilterName": f.name,
                    "FilterPattern": f.pattern,
                    "LogGroupName": log_group,
                    "MetricTransformations": [t],
                },
            }),
        );
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "CloudWatch Logs metric filters exported by trailwatch rules export",
        "Resources": resources,
    })
}

/// The filters as Terraform `aws_cloudwatch_log_metric_filter` resources.
pub fn terraform(filters: &[MetricFilter], log_group: &str) -> String {
    let mut out = String::new();
    let mut used: Vec<String> = Vec::new();
    for f in filters {
        let id = unique_id(&terraform_name(&f.name), |id| used.iter().any(|u| u == id));
        used.push(id.clone());
        let _ = writeln!(
            out,
            "resource \"aws_cloudwatch_log_metric_filter\" \"{id}\" {{"
        );
        let _ = writeln!(out, "  name           = {}", hcl(&f.name));
        let _ = writeln!(out, "  pattern        = {}", hcl(&f.pattern));
        let _ = writeln!(out, "  log_group_name = {}", hcl(log_group));
        out.push('\n');
        out.push_str("  metric_transformation {\n");
        let _ = writeln!(out, "    name      = {}", hcl(&f.metric_name));
        let _ = writeln!(out, "    namespace = {}", hcl(&f.metric_namespace));
        let _ = writeln!(out, "    value     = {}", hcl(&f.metric_value));
        if let Some(d) = f.default_value {
            let _ = writeln!(out, "    default_value = {}", hcl(&format_number(d)));
        }
        if let Some(unit) = f.unit {
            let _ = writeln!(out, "    unit      = {}", hcl(unit));
        }
        if !f.dimensions.is_empty() {
            out.push_str("    dimensions = {\n");
            for (k, v) in &f.dimensions {
                let _ = writeln!(out, "      {} = {}", hcl(k), hcl(v));
            }
            out.push_str("    }\n");
        }
        out.push_str("  }\n}\n\n");
    }
    out
}

/// A Terraform string literal: `"`, `\` escaped, and `${` / `%{` kept literal.
fn hcl(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A CloudFormation logical ID (letters and digits) from a rule name.
fn logical_id(name: &str) -> String {
    let mut id = String::from("MetricFilter");
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    id
}

/// A Terraform resource name (letters, digits, `_`, `-`, not starting with a digit).
fn terraform_name(name: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        id.insert(0, '_');
    }
    id
}

fn unique_id(base: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut id = base.to_owned();
    let mut n = 2;
    while taken(&id) {
        id = format!("{base}{n}");
        n += 1;
    }
    id
}

/// Whether CloudWatch Logs takes `name` as a log group name.
pub fn is_valid_log_group(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'#'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ruleset::{RuleSet, DEFAULT_NAMESPACE};

    fn rules(json: serde_json::Value) -> RuleSet {
        RuleSet::from_json("t.json", &json.to_string(), DEFAULT_NAMESPACE).unwrap()
    }

    fn one(pattern: &str) -> RuleSet {
        rules(serde_json::json!({"rules": [{
            "name": "R",
            "filterPattern": pattern,
            "metricTransformations": [{"metricName": "M", "metricValue": "1"}],
        }]}))
    }

    fn acceptance_of(pattern: &str) -> Acceptance {
        acceptance(&one(pattern).rules()[0])
    }

    #[test]
    fn the_cis_rules_are_taken_as_written_and_exported_verbatim() {
        let builtin = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
        let mut verbatim = 0;
        for rule in builtin.rules().iter().filter(|r| r.security) {
            match acceptance(rule) {
                Acceptance::AsWritten(filters) => {
                    assert_eq!(filters.len(), 1, "{}", rule.name);
                    // Security Hub checks the exact CIS pattern text.
                    assert_eq!(
                        filters[0].pattern,
                        rule.pattern_text.trim(),
                        "{}",
                        rule.name
                    );
                    assert_eq!(filters[0].name, rule.name);
                    assert_eq!(filters[0].unit, Some("Count"));
                    verbatim += 1;
                }
                other => panic!("{}: {other:?}", rule.name),
            }
        }
        assert!(verbatim >= 14, "{verbatim}");
    }

    #[test]
    fn derived_fields_that_read_several_fields_have_no_metric_filter_form() {
        let builtin = RuleSet::builtin(DEFAULT_NAMESPACE).unwrap();
        let start = builtin
            .rules()
            .iter()
            .find(|r| r.name == "StartInstances")
            .unwrap();
        let Acceptance::Refused(why) = acceptance(start) else {
            panic!()
        };
        assert!(why[0].contains("`@actor`"), "{why:?}");
        for (field, refused) in [
            ("@principalName", Some("`@principalName`")),
            ("@account", Some("`@account`")),
            ("@actor", Some("`@actor`")),
            ("@region", None),
            ("@principalType", None),
        ] {
            let json = format!(
                r#"{{"rules":[{{"name":"r","filterPattern":"{{ $.eventName = x }}","metricTransformations":[{{"metricName":"m","metricValue":"1","dimensions":{{"D":"{field}"}}}}]}}]}}"#
            );
            let set = RuleSet::from_json("r.json", &json, DEFAULT_NAMESPACE).unwrap();
            match (acceptance(&set.rules()[0]), refused) {
                (Acceptance::Refused(why), Some(says)) => assert!(why[0].contains(says), "{why:?}"),
                (Acceptance::Refused(why), None) => panic!("{field}: {why:?}"),
                (accepted, Some(_)) => panic!("{field}: {accepted:?}"),
                (_, None) => {}
            }
        }
        // `@region` is `awsRegion` by another name.
        let json = r#"{"rules":[{"name":"r","filterPattern":"{ $.eventName = x }","metricTransformations":[{"metricName":"m","metricValue":"1","dimensions":{"Region":"@region"}}]}]}"#;
        let set = RuleSet::from_json("r.json", json, DEFAULT_NAMESPACE).unwrap();
        let exported = format!("{:?}", acceptance(&set.rules()[0]));
        assert!(exported.contains("$.awsRegion"), "{exported}");
    }

    #[test]
    fn exists_is_rewritten_loudly_as_it_can_count_differently() {
        let Acceptance::Rewritten {
            filters,
            changes,
            same_meaning,
        } = acceptance_of("{ $.errorCode EXISTS && $.eventName = x }")
        else {
            panic!()
        };
        assert!(!same_meaning);
        assert_eq!(
            filters[0].pattern,
            r#"{ $.errorCode = * && $.eventName = "x" }"#
        );
        assert!(changes[0].contains("EXISTS"), "{changes:?}");
    }

    #[test]
    fn unquoted_values_cloudwatch_wants_quoted_are_quoted_with_the_same_meaning() {
        let Acceptance::Rewritten {
            filters,
            changes,
            same_meaning,
        } = acceptance_of("{ ($.userIdentity.userName = alice@example.com) || $.n > 2.5 }")
        else {
            panic!()
        };
        assert!(same_meaning);
        assert_eq!(
            filters[0].pattern,
            r#"{ $.userIdentity.userName = "alice@example.com" || $.n > 2.5 }"#
        );
        assert!(changes[0].contains("alice@example.com"), "{changes:?}");
        // Dotted words, as AWS's CIS patterns write them, are fine unquoted.
        assert!(matches!(
            acceptance_of("{ $.eventSource = kms.amazonaws.com }"),
            Acceptance::AsWritten(_)
        ));
    }

    #[test]
    fn the_printer_keeps_precedence_wildcards_and_every_test() {
        let Acceptance::Rewritten { filters, .. } = acceptance_of(
            r#"{ $.a EXISTS && ($.b = "x*" || $.c[*] != %ab+%) && $.d IS NULL && $.e IS TRUE && $.f NOT EXISTS && $.g <= -3 && $.['h.i'] >= 1e3 }"#,
        ) else {
            panic!()
        };
        assert_eq!(
            filters[0].pattern,
            r#"{ $.a = * && ($.b = "x*" || $.c[*] != %ab+%) && $.d IS NULL && $.e IS TRUE && $.f NOT EXISTS && $.g <= -3 && $.['h.i'] >= 1000 }"#
        );
        // The printed pattern parses back to a pattern that matches the same events.
        let printed = one(&filters[0].pattern);
        let event = r#"{"a":1,"b":"xy","c":["zz"],"d":null,"e":true,"g":-4,"h.i":1000}"#;
        let rules = one("{ $.a EXISTS && ($.b = \"x*\" || $.c[*] != %ab+%) && $.d IS NULL && $.e IS TRUE && $.f NOT EXISTS && $.g <= -3 && $.['h.i'] >= 1e3 }");
        for set in [&printed, &rules] {
            let e = set.fields().extract(event).unwrap();
            assert!(set.rules()[0].pattern.matches(&e));
        }
    }

    #[test]
    fn several_transformations_become_several_filters() {
        let set = rules(serde_json::json!({"rules": [{
            "name": "Both",
            "filterPattern": "{ $.eventName = x }",
            "metricTransformations": [
                {"metricName": "Count", "metricValue": "1"},
                {"metricName": "Bytes", "metricValue": "$.bytes", "unit": "Bytes",
                 "dimensions": {"Region": "$.awsRegion", "Who": "@principalType"}},
            ],
        }]}));
        let Acceptance::Rewritten {
            filters,
            same_meaning,
            ..
        } = acceptance(&set.rules()[0])
        else {
            panic!()
        };
        assert!(same_meaning);
        assert_eq!(
            filters.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["Both", "Both-Bytes"]
        );
        assert_eq!(filters[1].metric_value, "$.bytes");
        assert_eq!(
            filters[1].dimensions,
            [
                ("Region".to_owned(), "$.awsRegion".to_owned()),
                ("Who".to_owned(), "$.userIdentity.type".to_owned())
            ]
        );
        assert_eq!(filters[0].unit, None);
    }

    #[test]
    fn terraform_strings_keep_template_sequences_literal() {
        assert_eq!(
            hcl(r#"{ $.a = "${x}" && $.b = %{1}% }"#),
            r#""{ $.a = \"$${x}\" && $.b = %%{1}% }""#
        );
        assert_eq!(terraform_name("9 Root-Use"), "_9_root-use");
        assert_eq!(
            logical_id("root account-usage"),
            "MetricFilterRootAccountUsage"
        );
        assert!(is_valid_log_group("aws-cloudtrail-logs-123/x#y"));
        assert!(!is_valid_log_group("has space"));
        assert!(!is_valid_log_group(""));
    }
}
