//! CloudWatch Logs metric filter patterns: JSON patterns (`{ $.eventName = "StartInstances" }`) and term
//! patterns (`AccessDenied`, `"quoted phrase"`, `?A ?B`, `-term`), parsed once and evaluated per event.
//!
//! Choices where CloudWatch's documentation is silent are listed in the README ("Rule language") and
//! pinned by the tests below.

use std::collections::HashSet;
use std::fmt;

use regex::Regex;

use crate::event::selector::{PropertySelector, Selector, WildcardSelector};
use crate::event::{Event, FieldId, FieldTable, FieldValue, SetBit};
use crate::fasthash::FastHash;

/// CloudWatch's limit on a filter pattern's length.
pub const MAX_PATTERN_CHARS: usize = 1024;
/// CloudWatch's limit on `%regex%` values in one pattern.
pub const MAX_REGEXES: usize = 2;

/// A syntax error, with the 1-based column (in characters) where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct PatternError {
    pub column: usize,
    pub message: String,
}

/// A parsed filter pattern.
#[derive(Debug)]
pub enum Pattern {
    /// The empty pattern matches every event, as in CloudWatch.
    All,
    Json(Expr),
    Terms(Terms),
}

#[derive(Debug)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Condition(Condition),
    /// `($.f = A) || ($.f = B) || …` on one field with exact values, as a set lookup: the CIS patterns
    /// are long lists of event names, tested on every event.
    OneOf {
        field: FieldId,
        selector: Selector,
        values: HashSet<Box<str>, FastHash>,
        /// The set in the field's shared table, looked up once per event; `None` when that table is
        /// full and `values` is looked up instead.
        set: Option<SetBit>,
    },
}

#[derive(Debug)]
pub struct Condition {
    /// The condition as written, for explanations.
    pub text: String,
    pub target: Target,
    pub test: Test,
    /// A string value written without quotes, as written: CloudWatch asks for quotes around strings
    /// that are not plain words.
    pub unquoted: Option<String>,
}

/// What a condition tests: one field the extraction fills, or the values a wildcard selector reaches,
/// found in the event's whole tree (parsed once per event, only when such a condition is reached).
#[derive(Debug)]
pub enum Target {
    Field { selector: Selector, field: FieldId },
    Wildcard(WildcardSelector),
}

/// Wildcard selectors a pattern may hold, as in CloudWatch ("up to three wildcard selectors in a
/// filter pattern").
pub const MAX_WILDCARD_SELECTORS: usize = 3;

#[derive(Debug)]
pub enum Test {
    Equals(Value),
    NotEquals(Value),
    Less(f64),
    LessOrEqual(f64),
    Greater(f64),
    GreaterOrEqual(f64),
    IsTrue,
    IsFalse,
    IsNull,
    Exists,
    NotExists,
}

#[derive(Debug)]
pub enum Value {
    /// `*` alone: any value.
    Any,
    Number(f64),
    Text(Glob),
    Regex(CwRegex),
}

/// A string value: `*` at its start and/or end is a wildcard (suffix, prefix, contains); a `*` anywhere
/// else is the character itself, as CloudWatch documents (`Ev*ent` matches only `Ev*ent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    core: String,
    leading_star: bool,
    trailing_star: bool,
}

impl Glob {
    pub fn new(text: &str) -> Glob {
        let leading_star = text.starts_with('*');
        let rest = if leading_star { &text[1..] } else { text };
        let trailing_star = rest.ends_with('*');
        let core = if trailing_star {
            &rest[..rest.len() - 1]
        } else {
            rest
        };
        Glob {
            core: core.to_owned(),
            leading_star,
            trailing_star,
        }
    }

    /// The value when it has no wildcard.
    pub fn exact(&self) -> Option<&str> {
        (!self.leading_star && !self.trailing_star).then_some(self.core.as_str())
    }

    pub fn matches(&self, text: &str) -> bool {
        match (self.leading_star, self.trailing_star) {
            (false, false) => text == self.core,
            (false, true) => text.starts_with(self.core.as_str()),
            (true, false) => text.ends_with(self.core.as_str()),
            (true, true) => text.contains(self.core.as_str()),
        }
    }
}

/// Term pattern: every plain term, at least one `?` term (if any), and no `-` term must occur in the
/// event's JSON text. Matching is case-sensitive substring search. As in CloudWatch, `?` terms are
/// ignored when the pattern also has plain or `-` terms.
#[derive(Debug, Default)]
pub struct Terms {
    pub required: Vec<Term>,
    pub any_of: Vec<Term>,
    pub excluded: Vec<Term>,
}

/// One term: text, a `"quoted phrase"`, or a `%regex%`.
#[derive(Debug)]
pub enum Term {
    Text(String),
    Regex(CwRegex),
}

impl Term {
    pub fn occurs_in(&self, text: &str) -> bool {
        match self {
            Term::Text(t) => text.contains(t.as_str()),
            Term::Regex(re) => re.is_match(text),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Text(t) => write!(f, "{t:?}"),
            Term::Regex(re) => write!(f, "%{}%", re.text),
        }
    }
}

/// A `%regex%` in CloudWatch's subset. `\d`, `\w` and `\s` mean ASCII digits, word characters and
/// spaces, as in CloudWatch (the regex crate's would also match other scripts' digits and letters).
#[derive(Debug)]
pub struct CwRegex {
    regex: Regex,
    /// As written in the pattern.
    pub text: String,
}

impl CwRegex {
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// Rewrites the Perl classes to their ASCII sets.
fn ascii_classes(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 16);
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('s') => out.push_str("[\\t\\n\\x0B\\x0C\\r ]"),
            Some('S') => out.push_str("[^\\t\\n\\x0B\\x0C\\r ]"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

impl Terms {
    /// CloudWatch: "If you combine `?` with other filter patterns, all question mark terms will be ignored."
    pub fn any_of_ignored(&self) -> bool {
        !self.required.is_empty() || !self.excluded.is_empty()
    }

    fn matches(&self, text: &str) -> bool {
        self.required.iter().all(|t| t.occurs_in(text))
            && (self.any_of_ignored()
                || self.any_of.is_empty()
                || self.any_of.iter().any(|t| t.occurs_in(text)))
            && !self.excluded.iter().any(|t| t.occurs_in(text))
    }
}

impl Pattern {
    /// Parses `text`, registering the selectors it reads in `fields`.
    pub fn parse(text: &str, fields: &mut FieldTable) -> Result<Pattern, PatternError> {
        let chars = text.chars().count();
        if chars > MAX_PATTERN_CHARS {
            return Err(PatternError {
                column: MAX_PATTERN_CHARS + 1,
                message: format!("pattern is {chars} characters long; CloudWatch allows at most {MAX_PATTERN_CHARS}"),
            });
        }
        let mut p = Parser {
            text,
            pos: 0,
            fields,
            regexes: 0,
            wildcards: 0,
            unquoted: None,
        };
        p.skip_ws();
        match p.peek() {
            None => Ok(Pattern::All),
            Some('{') => {
                p.pos += 1;
                let expr = p.expr()?;
                p.skip_ws();
                p.expect('}', "`}` to close the pattern (or `&&`, `||`)")?;
                p.skip_ws();
                if p.peek().is_some() {
                    return Err(p.error("unexpected text after the closing `}`"));
                }
                Ok(Pattern::Json(expr))
            }
            Some('[') => Err(p.error(
                "space-delimited patterns (`[field1, field2]`) are for space-delimited logs; CloudTrail events are JSON: use `{ $.field = value }`",
            )),
            Some(_) => Ok(Pattern::Terms(p.terms()?)),
        }
    }

    /// Whether a condition of the pattern tests `field`.
    pub fn tests(&self, field: FieldId) -> bool {
        fn walk(expr: &Expr, field: FieldId) -> bool {
            match expr {
                Expr::And(all) | Expr::Or(all) => all.iter().any(|e| walk(e, field)),
                Expr::Condition(c) => {
                    matches!(c.target, Target::Field { field: f, .. } if f == field)
                }
                Expr::OneOf { field: f, .. } => *f == field,
            }
        }
        match self {
            Pattern::Json(expr) => walk(expr, field),
            Pattern::All | Pattern::Terms(_) => false,
        }
    }

    pub fn matches(&self, event: &Event<'_>) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Json(expr) => expr.matches(event),
            Pattern::Terms(terms) => terms.matches(event.raw),
        }
    }

    /// Why the pattern does not match `event`: the conditions that decided it. Empty when it matches.
    pub fn explain_mismatch(&self, event: &Event<'_>) -> Vec<String> {
        if self.matches(event) {
            return Vec::new();
        }
        match self {
            Pattern::All => Vec::new(),
            Pattern::Json(expr) => {
                let mut out = Vec::new();
                expr.explain(event, &mut out);
                out
            }
            Pattern::Terms(t) => {
                let mut out = Vec::new();
                for term in t.required.iter().filter(|s| !s.occurs_in(event.raw)) {
                    out.push(format!("term {term} does not occur in the event"));
                }
                if !t.any_of_ignored()
                    && !t.any_of.is_empty()
                    && !t.any_of.iter().any(|s| s.occurs_in(event.raw))
                {
                    let all: Vec<String> = t.any_of.iter().map(Term::to_string).collect();
                    out.push(format!(
                        "none of the `?` terms {} occurs in the event",
                        all.join(" ")
                    ));
                }
                for term in t.excluded.iter().filter(|s| s.occurs_in(event.raw)) {
                    out.push(format!("excluded term {term} occurs in the event"));
                }
                out
            }
        }
    }
}

impl Expr {
    fn matches(&self, event: &Event<'_>) -> bool {
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

    fn explain(&self, event: &Event<'_>, out: &mut Vec<String>) {
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
    fn or(items: Vec<Expr>, fields: &mut FieldTable) -> Expr {
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
            // as in CloudWatch (see README).
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

fn number(value: &FieldValue<'_>) -> Option<f64> {
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

struct Parser<'t, 'f> {
    text: &'t str,
    pos: usize,
    fields: &'f mut FieldTable,
    regexes: usize,
    wildcards: usize,
    /// The last string value read without quotes.
    unquoted: Option<String>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn column(&self, byte: usize) -> usize {
        self.text[..byte].chars().count() + 1
    }

    fn error(&self, message: impl Into<String>) -> PatternError {
        self.error_at(self.pos, message)
    }

    fn error_at(&self, byte: usize, message: impl Into<String>) -> PatternError {
        PatternError {
            column: self.column(byte),
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    fn expect(&mut self, c: char, what: &str) -> Result<(), PatternError> {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(self.error(format!("expected {what}{}", self.found())))
        }
    }

    fn found(&self) -> String {
        match self.peek() {
            None => ", found the end of the pattern".into(),
            Some(c) => format!(", found `{c}`"),
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    // expr := and ('||' and)* ; and := primary ('&&' primary)*  — `&&` binds tighter, as in C.
    fn expr(&mut self) -> Result<Expr, PatternError> {
        let mut items = vec![self.and()?];
        loop {
            self.skip_ws();
            if !self.eat("||") {
                break;
            }
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::or(items, self.fields)
        })
    }

    fn and(&mut self) -> Result<Expr, PatternError> {
        let mut items = vec![self.primary()?];
        loop {
            self.skip_ws();
            if !self.eat("&&") {
                break;
            }
            items.push(self.primary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn primary(&mut self) -> Result<Expr, PatternError> {
        self.skip_ws();
        match self.peek() {
            Some('(') => {
                self.pos += 1;
                let inner = self.expr()?;
                self.skip_ws();
                self.expect(')', "`)`")?;
                Ok(inner)
            }
            Some('$') => Ok(Expr::Condition(self.condition()?)),
            _ => Err(self.error(format!(
                "expected a condition such as `$.eventName = \"x\"` or `(`{}",
                self.found()
            ))),
        }
    }

    fn condition(&mut self) -> Result<Condition, PatternError> {
        let start = self.pos;
        let (selector, used) =
            PropertySelector::parse_prefix(self.rest()).map_err(|e| PatternError {
                column: self.column(self.pos) + e.at,
                message: e.message,
            })?;
        if matches!(selector, PropertySelector::Wildcard(_)) {
            self.wildcards += 1;
            if self.wildcards > MAX_WILDCARD_SELECTORS {
                return Err(self.error(format!(
                    "a pattern may hold at most {MAX_WILDCARD_SELECTORS} wildcard selectors, as in CloudWatch"
                )));
            }
        }
        self.pos += used;
        self.skip_ws();
        self.unquoted = None;
        let test = self.test()?;
        let target = match selector {
            PropertySelector::One(selector) => Target::Field {
                field: self.fields.intern(&selector),
                selector,
            },
            PropertySelector::Wildcard(w) => Target::Wildcard(w),
        };
        Ok(Condition {
            text: self.text[start..self.pos].trim_end().to_owned(),
            target,
            test,
            unquoted: self.unquoted.take(),
        })
    }

    fn test(&mut self) -> Result<Test, PatternError> {
        if self.keyword("IS") {
            self.skip_ws();
            if self.keyword("NOT") {
                return Err(self.error(
                    "`IS NOT` is not supported by CloudWatch Logs (its documentation says so): for a value that is not null, test what it is, for example `= *`",
                ));
            }
            return if self.keyword("TRUE") {
                Ok(Test::IsTrue)
            } else if self.keyword("FALSE") {
                Ok(Test::IsFalse)
            } else if self.keyword("NULL") {
                Ok(Test::IsNull)
            } else {
                Err(self.error(format!(
                    "expected TRUE, FALSE or NULL after IS{}",
                    self.found()
                )))
            };
        }
        if self.keyword("NOT") {
            self.skip_ws();
            return if self.keyword("EXISTS") {
                Ok(Test::NotExists)
            } else {
                Err(self.error(format!("expected EXISTS after NOT{}", self.found())))
            };
        }
        if self.keyword("EXISTS") {
            return Ok(Test::Exists);
        }
        let op_at = self.pos;
        let op = ["!=", "<=", ">=", "=", "<", ">"]
            .into_iter()
            .find(|op| self.eat(op))
            .ok_or_else(|| {
                self.error(format!(
                    "expected an operator (=, !=, <, <=, >, >=, IS, EXISTS, NOT EXISTS){}",
                    self.found()
                ))
            })?;
        self.skip_ws();
        let value_at = self.pos;
        let value = self.value()?;
        let numeric = |v: Value, name: &str| match v {
            Value::Number(n) => Ok(n),
            _ => Err(PatternError {
                column: self.column(value_at),
                message: format!("`{name}` compares numbers; the value here is not a number"),
            }),
        };
        Ok(match op {
            "=" => Test::Equals(value),
            "!=" => match value {
                Value::Any => {
                    return Err(
                        self.error_at(op_at, "`!= *` is not a CloudWatch test; use `NOT EXISTS`")
                    );
                }
                v => Test::NotEquals(v),
            },
            "<" => Test::Less(numeric(value, op)?),
            "<=" => Test::LessOrEqual(numeric(value, op)?),
            ">" => Test::Greater(numeric(value, op)?),
            _ => Test::GreaterOrEqual(numeric(value, op)?),
        })
    }

    /// Eats a keyword (any case) when it stands alone.
    fn keyword(&mut self, word: &str) -> bool {
        let rest = self.rest();
        let ok = rest
            .as_bytes()
            .get(..word.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(word.as_bytes()))
            && rest[word.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if ok {
            self.pos += word.len();
        }
        ok
    }

    fn value(&mut self) -> Result<Value, PatternError> {
        match self.peek() {
            Some('"') => Ok(Value::Text(Glob::new(&self.quoted()?))),
            Some('%') => self.regex().map(Value::Regex),
            Some(c @ ('=' | '!' | '<' | '>' | '(' | '{')) => {
                Err(self.error(format!("expected a value, found `{c}`")))
            }
            Some(_) => {
                let start = self.pos;
                let len = self
                    .rest()
                    .find(|c: char| c.is_whitespace() || matches!(c, ')' | '}' | '&' | '|'))
                    .unwrap_or(self.rest().len());
                if len == 0 {
                    return Err(self.error(format!("expected a value{}", self.found())));
                }
                self.pos += len;
                let word = &self.text[start..self.pos];
                if word == "*" {
                    Ok(Value::Any)
                } else if let Some(n) = is_number(word).then(|| word.parse().ok()).flatten() {
                    Ok(Value::Number(n))
                } else {
                    // Unquoted text, including dotted words like `10.0.0.1` or `2023-01-01`.
                    self.unquoted = Some(word.to_owned());
                    Ok(Value::Text(Glob::new(word)))
                }
            }
            None => Err(self.error("expected a value, found the end of the pattern")),
        }
    }

    /// A `"…"` string; `\"` and `\\` are the escapes.
    fn quoted(&mut self) -> Result<String, PatternError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err(self.error_at(open, "this quoted string is not closed"))
    }

    fn regex(&mut self) -> Result<CwRegex, PatternError> {
        let open = self.pos;
        let body_start = open + 1;
        let Some(len) = self.text[body_start..].find('%') else {
            return Err(self.error_at(open, "this regular expression is not closed with `%`"));
        };
        let body = &self.text[body_start..body_start + len];
        self.pos = body_start + len + 1;
        self.regexes += 1;
        if self.regexes > MAX_REGEXES {
            return Err(self.error_at(
                open,
                format!(
                    "CloudWatch allows at most {MAX_REGEXES} regular expressions in one pattern"
                ),
            ));
        }
        if body.is_empty() {
            return Err(self.error_at(open, "empty regular expression"));
        }
        if let Some(bad) = body.find(|c: char| !is_cloudwatch_regex_char(c)) {
            let c = body[bad..].chars().next().unwrap_or(' ');
            return Err(self.error_at(
                body_start + bad,
                format!("`{c}` is outside CloudWatch's regular-expression subset"),
            ));
        }
        Regex::new(&ascii_classes(body))
            .map(|regex| CwRegex {
                regex,
                text: body.to_owned(),
            })
            .map_err(|e| self.error_at(body_start, format!("invalid regular expression: {e}")))
    }

    fn terms(&mut self) -> Result<Terms, PatternError> {
        let mut terms = Terms::default();
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else { break };
            let list = match c {
                '?' => {
                    self.pos += 1;
                    &mut terms.any_of
                }
                '-' => {
                    self.pos += 1;
                    &mut terms.excluded
                }
                _ => &mut terms.required,
            };
            let term = if self.rest().starts_with('"') {
                Term::Text(self.quoted()?)
            } else if self.rest().starts_with('%') {
                Term::Regex(self.regex()?)
            } else {
                let start = self.pos;
                let len = self
                    .rest()
                    .find(char::is_whitespace)
                    .unwrap_or(self.rest().len());
                self.pos += len;
                let word = &self.text[start..self.pos];
                if word.is_empty() {
                    return Err(self.error_at(start, "expected a term after `?` or `-`"));
                }
                if let Some(bad) = word.find(|ch: char| !(ch.is_alphanumeric() || ch == '_')) {
                    return Err(self.error_at(
                        start + bad,
                        "a term with characters other than letters, digits and `_` must be quoted, as in `\"a:b\"`",
                    ));
                }
                Term::Text(word.to_owned())
            };
            // `" "` matches everything in CloudWatch: a blank phrase adds no condition.
            if !matches!(&term, Term::Text(t) if t.trim().is_empty()) {
                list.push(term);
            }
        }
        Ok(terms)
    }
}

fn is_number(word: &str) -> bool {
    let digits = word.strip_prefix(['-', '+']).unwrap_or(word);
    digits.starts_with(|c: char| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
}

/// CloudWatch's documented regular-expression subset: ASCII letters and digits, the symbols
/// `: _ # = @ / ; , -` and the operators `^ $ ? [ ] { } | \ * + .`; no `(`, `)` or multi-byte
/// characters (`\xhh` reaches the others).
fn is_cloudwatch_regex_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            ':' | '_'
                | '#'
                | '='
                | '@'
                | '/'
                | ';'
                | ','
                | '-'
                | '^'
                | '$'
                | '?'
                | '['
                | ']'
                | '{'
                | '}'
                | '|'
                | '\\'
                | '*'
                | '+'
                | '.'
        )
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let star = |b: bool| if b { "*" } else { "" };
        write!(
            f,
            "{}{}{}",
            star(self.leading_star),
            self.core,
            star(self.trailing_star)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, event: &str) -> bool {
        let mut fields = FieldTable::default();
        let p = Pattern::parse(pattern, &mut fields).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        p.matches(&fields.extract(event).unwrap())
    }

    fn error(pattern: &str) -> PatternError {
        Pattern::parse(pattern, &mut FieldTable::default()).unwrap_err()
    }

    const START: &str = r#"{"eventName":"StartInstances","eventSource":"ec2.amazonaws.com","userIdentity":{"type":"IAMUser","userName":"alice"},"readOnly":false,"latency":250,"resp":null,"tags":["a","b"],"code":"400"}"#;

    #[test]
    fn equality_on_strings_quoted_and_unquoted() {
        assert!(check(r#"{ $.eventName = "StartInstances" }"#, START));
        assert!(check("{$.eventName=StartInstances}", START));
        assert!(check("{($.eventSource=ec2.amazonaws.com)}", START));
        assert!(!check(r#"{ $.eventName = "StopInstances" }"#, START));
        assert!(check(r#"{ $.eventName != "StopInstances" }"#, START));
    }

    #[test]
    fn wildcards_only_at_the_edges() {
        assert!(check(r#"{ $.eventName = "Start*" }"#, START));
        assert!(check(r#"{ $.eventName = "*Instances" }"#, START));
        assert!(check(r#"{ $.eventName = "*tartInst*" }"#, START));
        assert!(!check(r#"{ $.eventName = "Start*Instances" }"#, START));
        assert!(check(r#"{ $.x = "Ev*ent" }"#, r#"{"x":"Ev*ent"}"#));
        assert!(check(r#"{ $.eventName = * }"#, START));
        assert!(!check(r#"{ $.nothing = * }"#, START));
    }

    #[test]
    fn not_equals_needs_a_scalar_field() {
        // Chosen and documented: a missing field, object or array never satisfies `=` or `!=`.
        assert!(!check(r#"{ $.errorCode != "AccessDenied" }"#, START));
        assert!(!check(r#"{ $.userIdentity != "x" }"#, START));
        assert!(!check(r#"{ $.tags != 1 }"#, START));
        assert!(!check(r#"{ $.tags = 1 }"#, START));
    }

    #[test]
    fn numeric_comparisons() {
        assert!(check("{ $.latency > 200 }", START));
        assert!(check("{ $.latency >= 250 && $.latency <= 250.0 }", START));
        assert!(!check("{ $.latency < 250 }", START));
        assert!(check("{ $.latency = 2.5e2 }", START));
        assert!(check("{ $.latency > +100 }", START));
        assert!(check("{ $.latency != 251 }", START));
        // A string holding a number compares equal to that number (documented choice)…
        assert!(check("{ $.code = 400 }", START));
        // …but ordering needs a JSON number.
        assert!(!check("{ $.code > 300 }", START));
        assert!(!check("{ $.eventName > 3 }", START));
    }

    #[test]
    fn each_ordering_operator_holds_exactly_on_its_side_of_the_bound() {
        // latency is 250: each operator against a bound below, at and above it.
        for (op, below, at, above) in [
            ("<", false, false, true),
            ("<=", false, true, true),
            (">", true, false, false),
            (">=", true, true, false),
            ("=", false, true, false),
            ("!=", true, false, true),
        ] {
            for (bound, expected) in [(249.5, below), (250.0, at), (250.5, above)] {
                let pattern = format!("{{ $.latency {op} {bound} }}");
                assert_eq!(check(&pattern, START), expected, "{pattern}");
            }
        }
    }

    #[test]
    fn is_true_false_null_exists() {
        assert!(check("{ $.readOnly IS FALSE }", START));
        assert!(!check("{ $.readOnly IS TRUE }", START));
        assert!(check("{ $.resp IS NULL }", START));
        assert!(!check("{ $.missing IS NULL }", START));
        assert!(check("{ $.errorCode NOT EXISTS }", START));
        assert!(!check("{ $.eventName NOT EXISTS }", START));
        assert!(check("{ $.userIdentity EXISTS }", START));
        assert!(check("{ $.readOnly = false }", START));
    }

    #[test]
    fn arrays_by_index() {
        assert!(check(r#"{ $.tags[1] = "b" }"#, START));
        assert!(!check(r#"{ $.tags[2] = * }"#, START));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        // CloudWatch's own example: A || B && C is A || (B && C).
        assert!(check(
            r#"{ $.eventName = "StartInstances" || $.x = 1 && $.y = 2 }"#,
            START
        ));
        assert!(!check(
            r#"{ ($.eventName = "StartInstances" || $.x = 1) && $.y = 2 }"#,
            START
        ));
    }

    #[test]
    fn regex_values_search_unanchored() {
        assert!(check("{ $.eventName = %art[A-Z]% }", START));
        assert!(!check("{ $.eventName = %^Instances% }", START));
        assert!(check("{ $.eventName = %^Start|^Stop% }", START));
        assert_eq!(error("{ $.a = %a(b)% }").column, 11);
        assert_eq!(error("{ $.a = %a% || $.b = %b% || $.c = %c% }").column, 35);
        assert!(error("{ $.a = %abc }").message.contains("not closed"));
    }

    #[test]
    fn regex_classes_are_ascii_and_regexes_work_as_terms() {
        assert!(check(r#"{ $.n = %^\d+$% }"#, r#"{"n":"123"}"#));
        assert!(
            !check(r#"{ $.n = %\d% }"#, r#"{"n":"٣"}"#),
            "Arabic-Indic digit"
        );
        assert!(!check(r#"{ $.n = %\w% }"#, r#"{"n":"é"}"#));
        assert!(check(r#"{ $.n = %[\d]x% }"#, r#"{"n":"5x"}"#));
        assert!(check("%Start[A-Z]n%", START));
        assert!(!check("%start[A-Z]n%", START));
        assert!(check("?%Nope% ?%ali%", START));
        assert!(check("StartInstances -%xyz%", START));
    }

    #[test]
    fn unquoted_values_that_look_numeric_but_are_not_numbers_are_text() {
        let e = r#"{"ip":"10.0.0.1","d":"2023-01-01","n":10}"#;
        assert!(check("{ $.ip = 10.0.0.1 }", e));
        assert!(check("{ $.ip = 10.0.* }", e));
        assert!(check("{ $.d = 2023-01-01 }", e));
        assert!(check("{ $.n = 10 }", e));
    }

    #[test]
    fn keywords_next_to_non_ascii_text_are_errors_not_panics() {
        assert!(Pattern::parse("{ $.a aé }", &mut FieldTable::default()).is_err());
        assert_eq!(error("{ $.b ≠ 1 }").column, 7);
        assert!(Pattern::parse("{ $.a Ié }", &mut FieldTable::default()).is_err());
    }

    #[test]
    fn terms_match_substrings_case_sensitively() {
        assert!(check("StartInstances", START));
        assert!(check("Start", START));
        assert!(!check("startinstances", START));
        assert!(check(r#""ec2.amazonaws.com""#, START));
        assert!(check("?Nope ?alice", START));
        assert!(!check("?Nope ?Never", START));
        assert!(!check("StartInstances -alice", START));
        // `?` terms are ignored beside plain terms, as CloudWatch documents.
        assert!(check("?Never StartInstances", START));
        assert!(check(r#"" ""#, START));
        assert!(check("", START));
        assert!(check("   ", START));
    }

    #[test]
    fn long_or_lists_of_one_field_become_a_set_lookup() {
        let mut fields = FieldTable::default();
        let p = Pattern::parse(
            r#"{ ($.eventName = CreateVpc) || ($.eventName = "DeleteVpc") || ($.eventName = ModifyVpcAttribute) }"#,
            &mut fields,
        )
        .unwrap();
        assert!(matches!(&p, Pattern::Json(Expr::OneOf { values, .. }) if values.len() == 3));
        let json = |name: &str| format!(r#"{{"eventName":"{name}"}}"#);
        let (yes, no, other) = (json("DeleteVpc"), json("DeleteVpcs"), json("RunInstances"));
        assert!(p.matches(&fields.extract(&yes).unwrap()));
        assert!(!p.matches(&fields.extract(&no).unwrap()));
        assert_eq!(
            p.explain_mismatch(&fields.extract(&other).unwrap()),
            vec![r#"none of the 3 `$.eventName = …` alternatives holds: $.eventName is "RunInstances""#.to_owned()]
        );
        // Wildcards, mixed fields or other tests keep the general form.
        for mixed in [
            r#"{ $.a = x || $.a = y* || $.a = z }"#,
            r#"{ $.a = x || $.b = y || $.a = z }"#,
            r#"{ $.a = x || $.a != y || $.a = z }"#,
        ] {
            let p = Pattern::parse(mixed, &mut fields).unwrap();
            assert!(matches!(p, Pattern::Json(Expr::Or(_))), "{mixed}");
        }
    }

    #[test]
    fn sets_share_one_lookup_per_field_and_overflow_to_their_own() {
        // 70 lists on each of 6 fields: past 64 lists on a field, or lists on more than 4 fields, a
        // list is looked up on its own. Every list must answer the same either way.
        let mut fields = FieldTable::default();
        let names = ["a", "b", "c", "d", "e", "f"];
        let mut patterns = Vec::new();
        for name in names {
            for i in 0..70 {
                let text = format!(
                    "{{ $.{name} = v{i} || $.{name} = w{i} || $.{name} = v{} || $.{name} = true }}",
                    i + 1
                );
                let p = Pattern::parse(&text, &mut fields).unwrap();
                let shared = matches!(&p, Pattern::Json(Expr::OneOf { set: Some(_), .. }));
                assert_eq!(shared, i < 64 && name < "e", "{text}");
                patterns.push((name, i, p));
            }
        }
        for value in ["v0", "v5", "v64", "v65", "v69", "w66", "x", "V5"] {
            let event = names
                .iter()
                .map(|n| format!(r#""{n}":"{value}""#))
                .collect::<Vec<_>>()
                .join(",");
            let json = format!("{{{event}}}");
            let event = fields.extract(&json).unwrap();
            for (name, i, p) in &patterns {
                let want = [format!("v{i}"), format!("w{i}"), format!("v{}", i + 1)]
                    .iter()
                    .any(|v| v == value);
                assert_eq!(p.matches(&event), want, "{name} list {i} on {value}");
            }
        }
        // Booleans match the text "true", in shared sets and in their own alike.
        let event = fields.extract(r#"{"a":true,"f":true,"b":false}"#).unwrap();
        for (name, _, p) in &patterns {
            assert_eq!(p.matches(&event), ["a", "f"].contains(name), "{name}");
        }
    }

    #[test]
    fn security_hub_patterns_parse_verbatim() {
        for p in [
            r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#,
            r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#,
            "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
        ] {
            Pattern::parse(p, &mut FieldTable::default()).unwrap();
        }
    }

    #[test]
    fn syntax_errors_point_at_the_column() {
        assert_eq!(error(r#"{ $.eventName = "x" "#).column, 21);
        assert_eq!(error(r#"{ $.eventName == "x" }"#).column, 16);
        assert_eq!(error(r#"{ eventName = "x" }"#).column, 3);
        assert_eq!(error(r#"{ $.a = "x }"#).column, 9);
        assert_eq!(error(r#"{ $.a IS MAYBE }"#).column, 10);
        assert_eq!(error(r#"{ $.a > "x" }"#).column, 9);
        assert_eq!(error(r#"{ $.a = 1 } trailing"#).column, 13);
        assert_eq!(error(r#"{ ($.a = 1 }"#).column, 12);
        assert_eq!(error("[ip, user]").column, 1);
        assert_eq!(error("a:b").column, 2);
        assert_eq!(error(r#"{ $.é = "x" && $. = 1 }"#).column, 18);
        assert!(error(&"x".repeat(1025)).message.contains("1024"));
        // The limit counts characters, and a pattern of exactly the limit is allowed.
        assert!(Pattern::parse(&"é".repeat(1024), &mut FieldTable::default()).is_ok());
    }

    #[test]
    fn explains_which_terms_failed() {
        let mut fields = FieldTable::default();
        let p = Pattern::parse(r#""Access Denied" -retry"#, &mut fields).unwrap();
        let e = fields.extract(r#"{"m":"retry later"}"#).unwrap();
        assert_eq!(
            p.explain_mismatch(&e),
            [
                r#"term "Access Denied" does not occur in the event"#,
                r#"excluded term "retry" occurs in the event"#,
            ]
        );
        let p = Pattern::parse(r#"?%^Err\d+% ?warn"#, &mut fields).unwrap();
        assert_eq!(
            p.explain_mismatch(&e),
            [r#"none of the `?` terms %^Err\d+% "warn" occurs in the event"#]
        );
    }

    #[test]
    fn explains_which_condition_failed() {
        let mut fields = FieldTable::default();
        let p = Pattern::parse(
            r#"{ ($.eventName = "StartInstances") && ($.errorCode NOT EXISTS) }"#,
            &mut fields,
        )
        .unwrap();
        let e = fields
            .extract(r#"{"eventName":"StartInstances","errorCode":"AccessDenied"}"#)
            .unwrap();
        let why = p.explain_mismatch(&e);
        assert_eq!(
            why,
            vec![r#"`$.errorCode NOT EXISTS` is false: $.errorCode is "AccessDenied""#.to_owned()]
        );
        let e = fields.extract(r#"{"eventName":"StartInstances"}"#).unwrap();
        assert!(p.explain_mismatch(&e).is_empty());
    }

    #[test]
    fn wildcard_selectors_match_any_field_or_any_element() {
        // AWS's own examples: `{ $.* = %…% }` and `{ $.arrayKey[*] = %val.{2}% }`.
        let trail = r#"{"eventName":"UpdateTrail","sourceIPAddress":"111.111.111.105","arrayKey":["value","valXY"]}"#;
        assert!(check(r#"{ $.* = "UpdateTrail" }"#, trail));
        assert!(check(r#"{ $.* = %111\.111\.111\.1[0-9]{1,2}% }"#, trail));
        assert!(check("{ $.arrayKey[*] = %val.{2}% }", trail));
        assert!(!check(r#"{ $.* = "StopLogging" }"#, trail));
        assert!(!check(r#"{ $.arrayKey[*] = "val" }"#, trail));
        // Nested: any element's field, any field of a nested object.
        assert!(check(
            r#"{ $.resources[*].type = "AWS::S3::Bucket" }"#,
            r#"{"resources":[{"type":"AWS::S3::Object"},{"type":"AWS::S3::Bucket"}]}"#
        ));
        assert!(!check(
            r#"{ $.resources[*].type = "AWS::IAM::Role" }"#,
            r#"{"resources":[{"type":"AWS::S3::Object"}]}"#
        ));
        assert!(check(r#"{ $.userIdentity.* = "alice" }"#, START));
        assert!(check("{ $.tags[*] = b }", START));
        // Numbers, and the other tests, on each value reached.
        assert!(check("{ $.n[*] > 5 }", r#"{"n":[1,2,7]}"#));
        assert!(!check("{ $.n[*] > 7 }", r#"{"n":[1,2,7]}"#));
        assert!(check("{ $.n[*] IS NULL }", r#"{"n":[1,null]}"#));
        // `.*` reaches fields of objects, `[*]` elements of arrays, and nothing else.
        assert!(!check("{ $.tags.* = a }", START));
        assert!(!check("{ $.userIdentity[*] = alice }", START));
        // A wildcard that reaches objects or arrays only never matches `=` (as a selector on one).
        assert!(!check(r#"{ $.* = "IAMUser" }"#, START));
    }

    #[test]
    fn not_exists_on_a_wildcard_holds_when_it_reaches_nothing() {
        assert!(check(
            "{ $.items[*].id NOT EXISTS }",
            r#"{"items":[{"x":1}]}"#
        ));
        assert!(check("{ $.items[*] NOT EXISTS }", r#"{"items":[]}"#));
        assert!(check("{ $.items[*] NOT EXISTS }", r#"{"other":1}"#));
        assert!(!check(
            "{ $.items[*].id NOT EXISTS }",
            r#"{"items":[{"x":1},{"id":2}]}"#
        ));
    }

    #[test]
    fn wildcards_read_records_serde_json_refuses_to_build() {
        // A lone surrogate and a number beyond f64 elsewhere in the record.
        let odd = r#"{"a":"\ud800","b":1e400,"tags":["x","y"]}"#;
        assert!(check("{ $.tags[*] = y }", odd));
        assert!(check("{ $.* IS NULL }", odd));
    }

    #[test]
    fn wildcard_quotas_and_misplaced_stars_are_refused_with_the_reason() {
        let e = error("{ $.a[*].b[*] = 1 }");
        assert!(e.message.contains("one wildcard"), "{e}");
        let e = error("{ $.*.* = 1 }");
        assert!(e.message.contains("one wildcard"), "{e}");
        let e = error("{ $.a[*] = 1 && $.b[*] = 1 && $.c.* = 1 && $.* = 1 }");
        assert!(e.message.contains("at most 3 wildcard selectors"), "{e}");
        assert!(Pattern::parse(
            "{ $.a[*] = 1 && $.b[*] = 1 && $.c.* = 1 }",
            &mut FieldTable::default()
        )
        .is_ok());
        let e = error("{ $.a*b = 1 }");
        assert!(e.message.contains("wildcard is a whole step"), "{e}");
        assert!(check("{ $.['a*b'] = 1 }", r#"{"a*b":1}"#));
    }

    #[test]
    fn explanations_name_the_values_a_wildcard_reached() {
        let mut fields = FieldTable::default();
        let p = Pattern::parse("{ $.n[*] > 9 }", &mut fields).unwrap();
        let why = p.explain_mismatch(&fields.extract(r#"{"n":[1,2]}"#).unwrap());
        assert_eq!(why.len(), 1);
        assert!(
            why[0].contains("each of the 2 values $.n[*] selects"),
            "{why:?}"
        );
        let why = p.explain_mismatch(&fields.extract(r#"{"m":1}"#).unwrap());
        assert!(why[0].contains("$.n[*] selects nothing"), "{why:?}");
    }

    #[test]
    fn a_star_matches_numbers_by_their_digits() {
        assert!(check("{ $.code = 4* }", r#"{"code":404}"#));
        assert!(check("{ $.code = *04 }", r#"{"code":404}"#));
        assert!(!check("{ $.code = 5* }", r#"{"code":404}"#));
        // Without a star a string value is text, not a number.
        assert!(!check(r#"{ $.code = "40" }"#, r#"{"code":40}"#));
        assert!(check("{ $.code = 40 }", r#"{"code":40}"#));
        assert!(!check(
            r#"{ $.coordinates[0][1] = "nonmatch" }"#,
            r#"{"coordinates":[[0,1,2]]}"#
        ));
    }

    #[test]
    fn is_not_is_refused_with_the_reason() {
        let e = error("{ $.x IS NOT NULL }");
        assert!(e.message.contains("`IS NOT` is not supported"), "{e}");
    }

    #[test]
    fn a_pattern_over_the_length_limit_is_refused_pointing_just_past_it() {
        let e = error(&format!("{{ $.a = \"{}\" }}", "x".repeat(1100)));
        assert_eq!(e.column, 1025, "{e}");
        assert!(e.message.contains("at most 1024"), "{e}");
    }

    #[test]
    fn a_matching_event_has_nothing_to_explain() {
        let mut fields = FieldTable::default();
        for pattern in [
            "?AccessDenied ?Unauthorized",
            "{ $.a = 1 || $.b = 2 }",
            "Start -Stop",
        ] {
            let p = Pattern::parse(pattern, &mut fields).unwrap();
            let event = fields
                .extract(r#"{"a":1,"s":"Start AccessDenied"}"#)
                .unwrap();
            assert!(p.matches(&event), "{pattern}");
            assert!(p.explain_mismatch(&event).is_empty(), "{pattern}");
        }
    }

    #[test]
    fn two_alternatives_on_a_field_are_explained_one_by_one_and_three_as_a_list() {
        let mut fields = FieldTable::default();
        let two = Pattern::parse("{ $.x = a || $.x = b }", &mut fields).unwrap();
        let three = Pattern::parse("{ $.x = a || $.x = b || $.x = d }", &mut fields).unwrap();
        let event = fields.extract(r#"{"x":"c"}"#).unwrap();
        assert_eq!(two.explain_mismatch(&event).len(), 2);
        let why = three.explain_mismatch(&event);
        assert_eq!(why.len(), 1);
        assert!(
            why[0].contains("none of the 3 `$.x = …` alternatives"),
            "{why:?}"
        );
    }

    #[test]
    fn keywords_stand_alone_and_operators_are_not_keywords() {
        assert!(error("{ $.a ISNULL }")
            .message
            .contains("expected an operator"));
        assert!(error("{ $.a NOTEXISTS }")
            .message
            .contains("expected an operator"));
        // Two spaces after `=` leave nothing that looks like `IS` or `NOT`.
        assert!(check("{ $.a =  \"x\" }", r#"{"a":"x"}"#));
        assert!(check("{ $.a IS  NULL }", r#"{"a":null}"#));
    }

    #[test]
    fn only_words_that_start_with_a_digit_are_numbers() {
        // Rust would read `inf` and `.5` as numbers; the pattern language reads them as text.
        assert!(error("{ $.x < inf }").message.contains("compares numbers"));
        assert!(!check("{ $.x = .5 }", r#"{"x":0.5}"#));
        assert!(check("{ $.x = .5 }", r#"{"x":".5"}"#));
        assert!(check("{ $.x = -0.5 }", r#"{"x":-0.5}"#));
        assert!(check("{ $.x = 5e-1 }", r#"{"x":0.5}"#));
    }

    #[test]
    fn ignored_question_mark_terms_are_not_blamed_for_a_mismatch() {
        // With a plain term, `?` terms are ignored (as in CloudWatch): only the plain term is named.
        let mut fields = FieldTable::default();
        let p = Pattern::parse("Missing ?Foo", &mut fields).unwrap();
        let why = p.explain_mismatch(&fields.extract(r#"{"a":"Bar"}"#).unwrap());
        assert_eq!(why, [r#"term "Missing" does not occur in the event"#]);
    }
}
