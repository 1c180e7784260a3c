//! The real-time rules as one EventBridge event pattern: the default bus sends alarm-notifier only the
//! CloudTrail events a rule could match, and the engine decides on each.
//!
//! The pattern lets through every event the rules match. Where a condition has no exact EventBridge
//! form (a regular expression, `$.*`, a test on `[0]`, `EXISTS`, an unquoted number compared with a
//! string), it is left out: the pattern is wider there, and a [`Note`] says so. A condition is never
//! narrowed, so nothing the engine would match is filtered out by the bus.
//!
//! The pattern is built in disjunctive normal form: each rule is an `$or` of branches, each branch a
//! set of field tests that must all hold. `||` of tests on one field become one list of matchers, so
//! the CIS patterns (lists of event names) are one branch each.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value as Json};

use crate::event::selector::{Step, Wildcard};
use crate::rules::pattern::{Condition, Expr, Pattern, Target, Test, Value};
use crate::rules::ruleset::Rule;

/// The CloudTrail events the default bus carries that rules are evaluated on. Service events
/// (`AWS Service Event via CloudTrail`) are not: the built-in rules exclude them.
pub const DETAIL_TYPES: [&str; 2] = [
    "AWS API Call via CloudTrail",
    "AWS Console Sign In via CloudTrail",
];

/// EventBridge's largest event pattern, in characters (its default quota; it can be raised to 4,096).
pub const MAX_PATTERN_CHARS: usize = 2048;

/// The most branches (`$or` combinations) one pattern may have; a rule with more is widened.
pub const MAX_BRANCHES: usize = 1000;

/// Branches one rule may make before a condition that multiplies them is left to the engine.
const MAX_RULE_BRANCHES: usize = 64;

/// EventBridge compares numbers between these bounds only.
const NUMERIC_LIMIT: f64 = 5.0e9;

/// Where the pattern is wider than a rule: the rule and the condition left to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub rule: String,
    pub text: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule {}: {}", self.rule, self.text)
    }
}

/// The event pattern for some rules, and where it is wider than they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub pattern: Json,
    pub notes: Vec<Note>,
    /// The rules it was built from, in order.
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventBridgeError {
    #[error("no rule is marked `\"realtime\": true`: there is no real-time pattern to write")]
    NoRules,
    #[error("the event pattern for rules {rules} is {chars} characters long; EventBridge allows {max}: mark fewer rules realtime, or split them over two EventBridge rules")]
    TooLong {
        rules: String,
        chars: usize,
        max: usize,
    },
    #[error("the event pattern for rules {rules} has {branches} alternative branches; EventBridge allows {max}: mark fewer rules realtime")]
    TooManyBranches {
        rules: String,
        branches: usize,
        max: usize,
    },
}

/// One field's test: EventBridge matchers, any of which may hold.
#[derive(Debug, Clone, PartialEq)]
struct Leaf {
    path: Vec<String>,
    matchers: Vec<Json>,
}

/// Leaves that must all hold; empty holds for every event.
type Branch = Vec<Leaf>;

/// Branches, one of which must hold. `[[]]` holds for every event; `[]` for none.
type Dnf = Vec<Branch>;

fn anything() -> Dnf {
    vec![Vec::new()]
}

/// The event pattern for `rules` (the real-time ones, usually): CloudTrail API calls and console
/// sign-ins from AWS (`source` prefix `aws.`, so an event someone puts on the bus with PutEvents
/// cannot pose as one), whose `detail` one of the rules could match.
pub fn compile(rules: &[&Rule]) -> Result<Compiled, EventBridgeError> {
    if rules.is_empty() {
        return Err(EventBridgeError::NoRules);
    }
    let mut notes = Vec::new();
    let mut branches: Vec<Branch> = Vec::new();
    for rule in rules {
        let mut c = Compiler {
            rule: &rule.name,
            notes: Vec::new(),
        };
        branches.extend(c.pattern(&rule.pattern));
        notes.extend(c.notes);
    }
    let names = rules
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut pattern = json!({
        "source": [{"prefix": "aws."}],
        "detail-type": DETAIL_TYPES,
    });
    if !branches.iter().any(Vec::is_empty) {
        let mut seen = BTreeSet::new();
        let objects: Vec<Json> = branches
            .iter()
            .map(|b| Json::Object(branch_object(b)))
            .filter(|o| seen.insert(o.to_string()))
            .collect();
        if objects.len() > MAX_BRANCHES {
            return Err(EventBridgeError::TooManyBranches {
                rules: names,
                branches: objects.len(),
                max: MAX_BRANCHES,
            });
        }
        pattern["detail"] = match <[Json; 1]>::try_from(objects) {
            Ok([one]) => one,
            Err(many) => json!({ "$or": many }),
        };
    }
    let chars = pattern.to_string().chars().count();
    if chars > MAX_PATTERN_CHARS {
        return Err(EventBridgeError::TooLong {
            rules: names,
            chars,
            max: MAX_PATTERN_CHARS,
        });
    }
    Ok(Compiled {
        pattern,
        notes,
        rules: rules.iter().map(|r| r.name.clone()).collect(),
    })
}

/// A branch as the nested objects of `detail`.
fn branch_object(branch: &Branch) -> Map<String, Json> {
    fn insert(map: &mut Map<String, Json>, path: &[String], value: Json) {
        match path {
            [] => {}
            [last] => {
                map.insert(last.clone(), value);
            }
            [first, rest @ ..] => {
                // `conjoin` keeps a field and a field under it out of one branch.
                if let Json::Object(inner) = map
                    .entry(first.clone())
                    .or_insert_with(|| Json::Object(Map::new()))
                {
                    insert(inner, rest, value);
                }
            }
        }
    }
    let mut root = Map::new();
    for leaf in branch {
        insert(&mut root, &leaf.path, Json::Array(leaf.matchers.clone()));
    }
    root
}

struct Compiler<'r> {
    rule: &'r str,
    notes: Vec<Note>,
}

impl Compiler<'_> {
    fn note(&mut self, text: String) {
        self.notes.push(Note {
            rule: self.rule.to_owned(),
            text,
        });
    }

    fn pattern(&mut self, pattern: &Pattern) -> Dnf {
        match pattern {
            Pattern::All => anything(),
            Pattern::Json(expr) => self.expr(expr),
            Pattern::Terms(_) => {
                self.note(
                    "a term pattern searches the event's whole text, which an event pattern cannot: every CloudTrail event is sent to the function"
                        .into(),
                );
                anything()
            }
        }
    }

    fn expr(&mut self, expr: &Expr) -> Dnf {
        match expr {
            Expr::Condition(c) => self.condition(c),
            Expr::OneOf {
                selector, values, ..
            } => {
                let path = keys(&selector.0);
                let mut sorted: Vec<&str> = values.iter().map(|v| &**v).collect();
                sorted.sort_unstable();
                let mut matchers: Vec<Json> = sorted.iter().map(|v| json!(v)).collect();
                matchers.extend(booleans(|b| values.contains(b)));
                match path {
                    Some(path) => vec![vec![Leaf { path, matchers }]],
                    None => {
                        self.note(format!(
                            "`{selector} = …` tests an array element by position, which EventBridge cannot: any element passes"
                        ));
                        let path = keys_lenient(&selector.0);
                        vec![vec![Leaf { path, matchers }]]
                    }
                }
            }
            Expr::And(items) => {
                let mut acc = anything();
                for item in items {
                    let next = self.expr(item);
                    let product = self.conjoin(&acc, &next);
                    if product.len() > MAX_RULE_BRANCHES {
                        self.note(format!(
                            "one `&&` operand would make more than {MAX_RULE_BRANCHES} alternatives: it is left to the engine"
                        ));
                    } else {
                        acc = product;
                    }
                }
                acc
            }
            Expr::Or(items) => {
                let mut all: Dnf = Vec::new();
                for item in items {
                    all.extend(self.expr(item));
                }
                if all.iter().any(Vec::is_empty) {
                    return anything();
                }
                merge_alternatives(all)
            }
        }
    }

    /// `a && b` for two sets of branches: every pair, each pair's leaves together.
    fn conjoin(&mut self, a: &Dnf, b: &Dnf) -> Dnf {
        let mut out = Vec::new();
        for x in a {
            for y in b {
                let mut branch = x.clone();
                for leaf in y {
                    let clash = branch
                        .iter()
                        .find(|l| l.path.starts_with(&leaf.path) || leaf.path.starts_with(&l.path));
                    match clash {
                        None => branch.push(leaf.clone()),
                        Some(l) if *l == *leaf => {}
                        Some(l) => {
                            let text = format!(
                                "two tests on $.{} and $.{} in one `&&`: only the first is in the pattern",
                                l.path.join("."),
                                leaf.path.join(".")
                            );
                            self.note(text);
                        }
                    }
                }
                out.push(branch);
            }
        }
        out
    }

    fn condition(&mut self, c: &Condition) -> Dnf {
        let negative = matches!(c.test, Test::NotEquals(_) | Test::NotExists);
        let path = match &c.target {
            Target::Field { selector, .. } => match keys(&selector.0) {
                Some(path) => path,
                None if negative => return self.wider(c, "it tests an array element by position"),
                None => {
                    self.note(format!(
                        "`{}`: EventBridge tests any element of an array, not one by position",
                        c.text
                    ));
                    keys_lenient(&selector.0)
                }
            },
            Target::Wildcard(w) => match w.wildcard {
                Wildcard::AnyField => {
                    return self.wider(c, "`.*` selects any field, which EventBridge cannot")
                }
                Wildcard::AnyElement if negative => {
                    return self.wider(c, "a negative test on `[*]` is about every element")
                }
                Wildcard::AnyElement => {
                    let mut steps = w.before.clone();
                    steps.extend(w.after.iter().cloned());
                    keys_lenient(&steps)
                }
            },
        };
        match self.matchers(c) {
            Some(matchers) => vec![vec![Leaf { path, matchers }]],
            None => anything(),
        }
    }

    fn wider(&mut self, c: &Condition, why: &str) -> Dnf {
        self.note(format!("`{}` is left to the engine: {why}", c.text));
        anything()
    }

    /// The matchers for a condition's test; `None` (with a note) when it is left to the engine.
    fn matchers(&mut self, c: &Condition) -> Option<Vec<Json>> {
        let out = test_matchers(&c.test);
        if out.is_none() {
            let why = match &c.test {
                Test::Equals(Value::Regex(_)) => "EventBridge has no regular expressions",
                Test::Exists | Test::Equals(Value::Any) => {
                    "EventBridge's `exists` holds for values, not objects or arrays"
                }
                Test::NotEquals(Value::Number(_)) => {
                    "the engine reads strings as numbers, which anything-but does not"
                }
                Test::NotEquals(Value::Text(_)) => {
                    "a `*` value may match a number's digits, or EventBridge has no anything-but for it"
                }
                Test::NotEquals(_) => "EventBridge has no anything-but for this value",
                Test::Less(_)
                | Test::LessOrEqual(_)
                | Test::Greater(_)
                | Test::GreaterOrEqual(_)
                | Test::Equals(Value::Number(_)) => {
                    "EventBridge compares numbers between -5e9 and 5e9 only"
                }
                _ => "its value may match a number's digits, which EventBridge's prefix and suffix do not test",
            };
            self.note(format!("`{}` is left to the engine: {why}", c.text));
        }
        out
    }
}

/// EventBridge matchers that pass every value `test` holds for; `None` when there are none short of
/// passing everything.
fn test_matchers(test: &Test) -> Option<Vec<Json>> {
    let numeric = |op: &str, n: f64| {
        (n.is_finite() && n.abs() <= NUMERIC_LIMIT).then(|| vec![json!({"numeric": [op, n]})])
    };
    match test {
        Test::IsTrue => Some(vec![json!(true)]),
        Test::IsFalse => Some(vec![json!(false)]),
        Test::IsNull => Some(vec![Json::Null]),
        Test::NotExists => Some(vec![json!({"exists": false})]),
        Test::Less(n) => numeric("<", *n),
        Test::LessOrEqual(n) => numeric("<=", *n),
        Test::Greater(n) => numeric(">", *n),
        Test::GreaterOrEqual(n) => numeric(">=", *n),
        Test::Equals(Value::Text(glob)) => {
            let (core, lead, trail) = glob.parts();
            let mut m = match (lead, trail) {
                (false, false) => vec![json!(core)],
                _ if may_match_number(core) => None?,
                (false, true) => vec![json!({"prefix": core})],
                (true, false) => vec![json!({"suffix": core})],
                (true, true) => vec![json!({"wildcard": format!("*{}*", escape_wildcard(core))})],
            };
            m.extend(booleans(|b| glob.matches(b)));
            Some(m)
        }
        Test::NotEquals(Value::Text(glob)) => {
            let (core, lead, trail) = glob.parts();
            let but = match (lead, trail) {
                (false, false) => json!(core),
                _ if may_match_number(core) => None?,
                (false, true) => json!({"prefix": core}),
                (true, false) => json!({"suffix": core}),
                (true, true) => None?,
            };
            // A null or a boolean other than the value is `!=` it too.
            let mut m = vec![json!({ "anything-but": but }), Json::Null];
            m.extend(booleans(|b| !glob.matches(b)));
            Some(m)
        }
        Test::Equals(Value::Number(n)) => numeric("=", *n).map(|mut m| {
            // "400" and "4e2" are 400 to the engine: every string passes.
            m.push(json!({"prefix": ""}));
            m
        }),
        Test::Equals(Value::Any)
        | Test::NotEquals(_)
        | Test::Equals(Value::Regex(_))
        | Test::Exists => None,
    }
}

/// `true` and `false` as JSON booleans, for each that `holds`: the engine's `= "true"` matches the
/// boolean too.
fn booleans(holds: impl Fn(&str) -> bool) -> Vec<Json> {
    [("true", true), ("false", false)]
        .into_iter()
        .filter(|(text, _)| holds(text))
        .map(|(_, b)| json!(b))
        .collect()
}

/// Whether a wildcard value could match a number's digits (`4*` matches 404): EventBridge's prefix
/// and suffix test strings only.
fn may_match_number(core: &str) -> bool {
    core.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
}

/// EventBridge's wildcard treats `*` as any text and `\` as its escape.
fn escape_wildcard(text: &str) -> String {
    text.replace('\\', "\\\\").replace('*', "\\*")
}

/// The keys of a selector without indexes; `None` if it has one.
fn keys(steps: &[Step]) -> Option<Vec<String>> {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => Some(k.to_string()),
            Step::Index(_) => None,
        })
        .collect()
}

/// The keys of a selector, indexes dropped: EventBridge tests every element of an array.
fn keys_lenient(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Key(k) => Some(k.to_string()),
            Step::Index(_) => None,
        })
        .collect()
}

/// `a || b || …`: alternatives that are each one test of the same field become one test with all
/// their matchers (`{"eventName": ["A", "B"]}`); others stay alternatives. A test with `exists` stays
/// on its own.
fn merge_alternatives(all: Dnf) -> Dnf {
    let mut out: Dnf = Vec::new();
    for branch in all {
        let single = match branch.as_slice() {
            [leaf] if !has_exists(leaf) => Some(leaf.clone()),
            _ => None,
        };
        let target = single.as_ref().and_then(|leaf| {
            out.iter().position(|b| match b.as_slice() {
                [other] => other.path == leaf.path && !has_exists(other),
                _ => false,
            })
        });
        match (target, single) {
            (Some(at), Some(leaf)) => {
                let other = &mut out[at][0];
                for m in leaf.matchers {
                    if !other.matchers.contains(&m) {
                        other.matchers.push(m);
                    }
                }
            }
            _ if out.contains(&branch) => {}
            _ => out.push(branch),
        }
    }
    out
}

fn has_exists(leaf: &Leaf) -> bool {
    leaf.matchers.iter().any(|m| m.get("exists").is_some())
}

#[cfg(test)]
mod tests;
