//! CloudWatch Logs metric filter patterns: JSON patterns (`{ $.eventName = "StartInstances" }`) and term
//! patterns (`AccessDenied`, `"quoted phrase"`, `?A ?B`, `-term`), parsed once and evaluated per event.
//!
//! Choices where CloudWatch's documentation is silent are listed in docs/rules.md and
//! pinned by the tests below.

mod ast;
mod cloudwatch_regex;
mod eval;
mod parser;

pub use ast::{Condition, Expr, Glob, Target, Term, Terms, Test, Value, MAX_WILDCARD_SELECTORS};
pub use cloudwatch_regex::CloudWatchRegex;

use crate::event::{Event, FieldId, FieldTable};
use parser::Parser;

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

#[cfg(test)]
mod tests;
