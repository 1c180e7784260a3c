//! A parsed pattern: the expression tree of a JSON pattern, and the terms of a term pattern.

use super::cloudwatch_regex::CloudWatchRegex;
use crate::event::selector::{Selector, WildcardSelector};
use crate::event::{FieldId, SetBit};
use crate::fasthash::FastHash;
use std::collections::HashSet;
use std::fmt;

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
    Regex(CloudWatchRegex),
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

    /// The text between the wildcards, and whether it has a leading and a trailing `*`.
    pub fn parts(&self) -> (&str, bool, bool) {
        (&self.core, self.leading_star, self.trailing_star)
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
    Regex(CloudWatchRegex),
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

impl Terms {
    /// CloudWatch: "If you combine `?` with other filter patterns, all question mark terms will be ignored."
    pub fn any_of_ignored(&self) -> bool {
        !self.required.is_empty() || !self.excluded.is_empty()
    }

    pub(super) fn matches(&self, text: &str) -> bool {
        self.required.iter().all(|t| t.occurs_in(text))
            && (self.any_of_ignored()
                || self.any_of.is_empty()
                || self.any_of.iter().any(|t| t.occurs_in(text)))
            && !self.excluded.iter().any(|t| t.occurs_in(text))
    }
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
