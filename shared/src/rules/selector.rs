//! JSON property selectors: `$.userIdentity.type`, `$.resources[0].ARN`.

use std::fmt;

/// One step of a selector: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Key(Box<str>),
    Index(usize),
}

/// A path from the event's root object to one value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Selector(pub Vec<Step>);

/// Why a selector's text is not a selector; `at` is the char index in that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    pub at: usize,
    pub message: String,
}

impl Selector {
    /// Builds a selector from dotted keys, for fields the engine itself needs (`eventTime`).
    pub fn keys(keys: &[&str]) -> Selector {
        Selector(keys.iter().map(|k| Step::Key((*k).into())).collect())
    }

    /// Parses a whole selector text such as `$.a.b[0]`.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let (selector, used) = Selector::parse_prefix(text)?;
        if used != text.len() {
            return Err(SelectorError {
                at: text[..used].chars().count(),
                message: format!("unexpected {:?} in selector", &text[used..]),
            });
        }
        Ok(selector)
    }

    /// Parses a selector at the start of `text`; returns it and the number of bytes it used.
    /// Keys run until `.`, `[`, whitespace or an operator character.
    pub fn parse_prefix(text: &str) -> Result<(Selector, usize), SelectorError> {
        let bytes = text.as_bytes();
        let err = |i: usize, message: String| SelectorError {
            at: text[..i].chars().count(),
            message,
        };
        if !text.starts_with('$') {
            return Err(err(0, "a selector starts with `$.`".into()));
        }
        let mut i = 1;
        let mut steps = Vec::new();
        loop {
            match bytes.get(i) {
                // `$.['cluster.name']`: CloudWatch's bracket notation for keys with dots.
                Some(b'.') if bytes.get(i + 1) == Some(&b'[') => i += 1,
                Some(b'[') if bytes.get(i + 1) == Some(&b'\'') => {
                    let start = i + 2;
                    let Some(len) = text[start..].find("']") else {
                        return Err(err(i, "bracket key not closed with `']`".into()));
                    };
                    steps.push(Step::Key(text[start..start + len].into()));
                    i = start + len + 2;
                }
                Some(b'.') => {
                    let start = i + 1;
                    let mut end = start;
                    while end < bytes.len() && is_key_byte(bytes[end]) {
                        end += 1;
                    }
                    if end == start {
                        return Err(err(start, "expected a property name after `.`".into()));
                    }
                    steps.push(Step::Key(text[start..end].into()));
                    i = end;
                }
                Some(b'[') => {
                    let start = i + 1;
                    let mut end = start;
                    while end < bytes.len() && bytes[end].is_ascii_digit() {
                        end += 1;
                    }
                    if end == start || bytes.get(end) != Some(&b']') {
                        return Err(err(start, "expected an array index such as `[0]`".into()));
                    }
                    let index = text[start..end]
                        .parse()
                        .map_err(|_| err(start, "array index is too large".into()))?;
                    steps.push(Step::Index(index));
                    i = end + 1;
                }
                _ => break,
            }
        }
        if steps.is_empty() {
            return Err(err(
                i,
                "a selector needs at least one property, as in `$.eventName`".into(),
            ));
        }
        Ok((Selector(steps), i))
    }
}

fn is_key_byte(b: u8) -> bool {
    !matches!(
        b,
        b'.' | b'['
            | b']'
            | b'='
            | b'!'
            | b'<'
            | b'>'
            | b'('
            | b')'
            | b'&'
            | b'|'
            | b'{'
            | b'}'
            | b'"'
    ) && !b.is_ascii_whitespace()
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for step in &self.0 {
            match step {
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_indexes() {
        let s = Selector::parse("$.resources[0].ARN").unwrap();
        assert_eq!(
            s.0,
            vec![
                Step::Key("resources".into()),
                Step::Index(0),
                Step::Key("ARN".into())
            ]
        );
        assert_eq!(s.to_string(), "$.resources[0].ARN");
    }

    #[test]
    fn bracket_notation_selects_keys_with_dots() {
        let s = Selector::parse("$.['cluster.name'].x").unwrap();
        assert_eq!(
            s.0,
            vec![Step::Key("cluster.name".into()), Step::Key("x".into())]
        );
        assert!(Selector::parse("$.['open").is_err());
    }

    #[test]
    fn prefix_stops_at_operators_and_spaces() {
        let (s, used) = Selector::parse_prefix("$.eventName=\"x\"").unwrap();
        assert_eq!(s, Selector::keys(&["eventName"]));
        assert_eq!(used, "$.eventName".len());
        let (_, used) = Selector::parse_prefix("$.a.b NOT EXISTS").unwrap();
        assert_eq!(used, 5);
    }

    #[test]
    fn reports_where_a_selector_goes_wrong() {
        assert_eq!(Selector::parse("eventName").unwrap_err().at, 0);
        assert_eq!(Selector::parse("$.").unwrap_err().at, 2);
        assert_eq!(Selector::parse("$.a[x]").unwrap_err().at, 4);
        assert_eq!(Selector::parse("$").unwrap_err().at, 1);
        assert_eq!(Selector::parse("$.a b").unwrap_err().at, 3);
    }
}
