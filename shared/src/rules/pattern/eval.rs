//! Evaluating a parsed pattern against an event, and explaining why it did not match.

use super::ast::{Condition, Expr, Target, Test, Value};
use crate::event::{Event, FieldTable, FieldValue};
use crate::fasthash::FastHash;
use std::collections::HashSet;

impl Expr {
    pub(super) fn matches(&self, event: &Event<'_>) -> bool {
        match self {
            Expr::And(items) => items.iter().all(|e| e.matches(event)),
            Expr::Or(items) => items.iter().any(|e| e.matches(event)),
            Expr::Condition(c) => c.holds(event),
            Expr::OneOf { set: Some(set), .. } => event.in_set(*set),
            Expr::OneOf {
                field,
                values,
                set: None,
                ..
            } => event
                .get(*field)
                .as_text()
                .is_some_and(|text| values.contains(text)),
        }
    }

    pub(super) fn explain(&self, event: &Event<'_>, out: &mut Vec<String>) {
        match self {
            Expr::And(items) => {
                if let Some(failed) = items.iter().find(|e| !e.matches(event)) {
                    failed.explain(event, out);
                }
            }
            Expr::Or(items) => items.iter().for_each(|e| e.explain(event, out)),
            Expr::Condition(c) => out.push(match &c.target {
                Target::Field { selector, field } => {
                    format!("`{}` is false: {selector} is {}", c.text, event.get(*field))
                }
                Target::Wildcard(w) => {
                    let values = event.wildcard_values(w);
                    if values.is_empty() {
                        format!("`{}` is false: {w} selects nothing", c.text)
                    } else {
                        let shown: Vec<String> =
                            values.iter().take(5).map(ToString::to_string).collect();
                        format!(
                            "`{}` is false for each of the {} values {w} selects ({}{})",
                            c.text,
                            values.len(),
                            shown.join(", "),
                            if values.len() > 5 { ", …" } else { "" }
                        )
                    }
                }
            }),
            Expr::OneOf {
                field,
                selector,
                values,
                ..
            } => out.push(format!(
                "none of the {} `{selector} = …` alternatives holds: {selector} is {}",
                values.len(),
                event.get(*field)
            )),
        }
    }

    /// Folds an `||` of exact string equalities on one field into [`Expr::OneOf`].
    pub(super) fn or(items: Vec<Expr>, fields: &mut FieldTable) -> Expr {
        let exact = |e: &Expr| match e {
            Expr::Condition(Condition {
                target: Target::Field { field, .. },
                test: Test::Equals(Value::Text(glob)),
                ..
            }) => glob.exact().map(|v| (*field, v.to_owned())),
            _ => None,
        };
        let pairs: Option<Vec<_>> = items.iter().map(exact).collect();
        match pairs {
            Some(pairs) if pairs.len() > 2 && pairs.iter().all(|(f, _)| *f == pairs[0].0) => {
                let selector = match &items[0] {
                    Expr::Condition(Condition {
                        target: Target::Field { selector, .. },
                        ..
                    }) => selector.clone(),
                    _ => return Expr::Or(items),
                };
                let field = pairs[0].0;
                let values: HashSet<Box<str>, FastHash> =
                    pairs.into_iter().map(|(_, v)| v.into_boxed_str()).collect();
                let set = fields.intern_set(field, values.iter().map(|v| &**v));
                Expr::OneOf {
                    field,
                    selector,
                    values,
                    set,
                }
            }
            _ => Expr::Or(items),
        }
    }
}

impl Condition {
    /// Whether the condition holds for `event`. On a wildcard selector it holds when it holds for
    /// one of the values the wildcard reaches; `NOT EXISTS` holds when the wildcard reaches none.
    pub fn holds(&self, event: &Event<'_>) -> bool {
        match &self.target {
            Target::Field { field, .. } => self.matches(event.get(*field)),
            Target::Wildcard(w) => {
                let values = event.wildcard_values(w);
                match self.test {
                    Test::NotExists => values.is_empty(),
                    _ => values.iter().any(|v| self.matches(v)),
                }
            }
        }
    }

    pub fn matches(&self, value: &FieldValue<'_>) -> bool {
        match &self.test {
            Test::Exists => value.is_present(),
            Test::NotExists => !value.is_present(),
            Test::IsTrue => *value == FieldValue::Bool(true),
            Test::IsFalse => *value == FieldValue::Bool(false),
            Test::IsNull => *value == FieldValue::Null,
            Test::Equals(v) => equals(v, value),
            // A comparison needs a value: `!=` on a missing field, an object or an array does not match,
            // as in CloudWatch (see docs/rules.md).
            Test::NotEquals(v) => is_scalar(value) && !equals(v, value),
            Test::Less(n) => number(value).is_some_and(|x| x < *n),
            Test::LessOrEqual(n) => number(value).is_some_and(|x| x <= *n),
            Test::Greater(n) => number(value).is_some_and(|x| x > *n),
            Test::GreaterOrEqual(n) => number(value).is_some_and(|x| x >= *n),
        }
    }
}

fn is_scalar(value: &FieldValue<'_>) -> bool {
    !matches!(
        value,
        FieldValue::Missing | FieldValue::Object | FieldValue::Array
    )
}

pub(super) fn number(value: &FieldValue<'_>) -> Option<f64> {
    match value {
        FieldValue::Number(n) => Some(*n),
        _ => None,
    }
}

fn equals(expected: &Value, value: &FieldValue<'_>) -> bool {
    match (expected, value) {
        (_, FieldValue::Missing | FieldValue::Object | FieldValue::Array) => false,
        (Value::Any, _) => true,
        (Value::Number(n), FieldValue::Number(x)) => x == n,
        (Value::Number(n), FieldValue::String(s)) => s.trim().parse::<f64>().is_ok_and(|x| x == *n),
        (Value::Text(glob), FieldValue::String(s)) => glob.matches(s),
        (Value::Text(glob), FieldValue::Bool(b)) => glob.matches(if *b { "true" } else { "false" }),
        // "Use the asterisk as a wild card to match numbers": `$.code = 4*` on `"code":404`.
        (Value::Text(glob), FieldValue::Number(x)) if glob.exact().is_none() => {
            glob.matches(&crate::text::format_number(*x))
        }
        (Value::Regex(re), FieldValue::String(s)) => re.is_match(s),
        _ => false,
    }
}
