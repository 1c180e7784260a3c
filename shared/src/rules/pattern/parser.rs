//! The pattern language's parser: text to [`Pattern`], with errors that give the column.

use super::ast::{Condition, Expr, Glob, Target, Term, Terms, Test, Value, MAX_WILDCARD_SELECTORS};
use super::cloudwatch_regex::{ascii_classes, is_cloudwatch_regex_char, CloudWatchRegex};
use super::{PatternError, MAX_REGEXES};
use crate::event::selector::PropertySelector;
use crate::event::FieldTable;
use regex::Regex;

pub(super) struct Parser<'t, 'f> {
    pub(super) text: &'t str,
    pub(super) pos: usize,
    pub(super) fields: &'f mut FieldTable,
    pub(super) regexes: usize,
    pub(super) wildcards: usize,
    /// The last string value read without quotes.
    pub(super) unquoted: Option<String>,
}

impl Parser<'_, '_> {
    pub(super) fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn column(&self, byte: usize) -> usize {
        self.text[..byte].chars().count() + 1
    }

    pub(super) fn error(&self, message: impl Into<String>) -> PatternError {
        self.error_at(self.pos, message)
    }

    fn error_at(&self, byte: usize, message: impl Into<String>) -> PatternError {
        PatternError {
            column: self.column(byte),
            message: message.into(),
        }
    }

    pub(super) fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    pub(super) fn expect(&mut self, c: char, what: &str) -> Result<(), PatternError> {
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
    pub(super) fn expr(&mut self) -> Result<Expr, PatternError> {
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

    /// The test of a JSON condition: an operator and its value. One arm per operator of the grammar.
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

    fn regex(&mut self) -> Result<CloudWatchRegex, PatternError> {
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
            .map(|regex| CloudWatchRegex {
                regex,
                text: body.to_owned(),
            })
            .map_err(|e| self.error_at(body_start, format!("invalid regular expression: {e}")))
    }

    pub(super) fn terms(&mut self) -> Result<Terms, PatternError> {
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
