//! JSON property selectors: `$.userIdentity.type`, `$.resources[0].ARN`, and CloudWatch's wildcard
//! selectors `$.*` (any field of an object) and `$.resources[*]` (any element of an array).

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

/// A wildcard step: CloudWatch allows one per selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wildcard {
    /// `.*`: any field of an object.
    AnyField,
    /// `[*]`: any element of an array.
    AnyElement,
}

/// A selector with one wildcard step: `before`, then the wildcard, then `after`. It selects every
/// value the wildcard reaches; a condition on it holds when it holds for one of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WildcardSelector {
    pub before: Vec<Step>,
    pub wildcard: Wildcard,
    pub after: Vec<Step>,
}

/// What a condition's selector is: a path to one value, or a wildcard selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertySelector {
    One(Selector),
    Wildcard(WildcardSelector),
}

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

    /// Parses a selector without wildcards at the start of `text`; returns it and the number of bytes
    /// it used. Keys run until `.`, `[`, whitespace or an operator character. One loop over the text,
    /// one arm per step of the grammar: its position and the error columns are shared by every arm.
    pub fn parse_prefix(text: &str) -> Result<(Selector, usize), SelectorError> {
        match PropertySelector::parse_prefix(text)? {
            (PropertySelector::One(selector), used) => Ok((selector, used)),
            (PropertySelector::Wildcard(_), _) => Err(SelectorError {
                at: text.find('*').map_or(0, |i| text[..i].chars().count()),
                message: "a wildcard selects many values; this place takes one".into(),
            }),
        }
    }
}

impl PropertySelector {
    /// Parses a selector, with at most one wildcard step, at the start of `text`; returns it and the
    /// number of bytes it used.
    pub fn parse_prefix(text: &str) -> Result<(PropertySelector, usize), SelectorError> {
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
        // The wildcard, and how many steps came before it.
        let mut wildcard: Option<(Wildcard, usize)> = None;
        let mut add_wildcard = |kind: Wildcard, at: usize, steps: &Vec<Step>| {
            if wildcard.is_some() {
                return Err(err(
                    at,
                    "a selector may hold one wildcard (`.*` or `[*]`), as in CloudWatch".into(),
                ));
            }
            wildcard = Some((kind, steps.len()));
            Ok(())
        };
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
                    let key = &text[start..end];
                    if key == "*" {
                        add_wildcard(Wildcard::AnyField, start, &steps)?;
                    } else if key.contains('*') {
                        return Err(err(
                            start + key.find('*').unwrap_or(0),
                            "`*` in a property name: a wildcard is a whole step (`$.*`, `$.a.*`, `$.a[*]`); a key with `*` in it is written `$.['a*b']`".into(),
                        ));
                    } else {
                        steps.push(Step::Key(key.into()));
                    }
                    i = end;
                }
                Some(b'[')
                    if bytes.get(i + 1) == Some(&b'*') && bytes.get(i + 2) == Some(&b']') =>
                {
                    add_wildcard(Wildcard::AnyElement, i + 1, &steps)?;
                    i += 3;
                }
                Some(b'[') => {
                    let start = i + 1;
                    let mut end = start;
                    while end < bytes.len() && bytes[end].is_ascii_digit() {
                        end += 1;
                    }
                    if end == start || bytes.get(end) != Some(&b']') {
                        return Err(err(
                            start,
                            "expected an array index such as `[0]`, or `[*]` for any element"
                                .into(),
                        ));
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
        match wildcard {
            Some((wildcard, at)) => {
                let after = steps.split_off(at);
                Ok((
                    PropertySelector::Wildcard(WildcardSelector {
                        before: steps,
                        wildcard,
                        after,
                    }),
                    i,
                ))
            }
            None if steps.is_empty() => Err(err(
                i,
                "a selector needs at least one property, as in `$.eventName`".into(),
            )),
            None => Ok((PropertySelector::One(Selector(steps)), i)),
        }
    }
}

impl fmt::Display for WildcardSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        write_steps(f, &self.before)?;
        f.write_str(match self.wildcard {
            Wildcard::AnyField => ".*",
            Wildcard::AnyElement => "[*]",
        })?;
        write_steps(f, &self.after)
    }
}

impl fmt::Display for PropertySelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertySelector::One(s) => s.fmt(f),
            PropertySelector::Wildcard(w) => w.fmt(f),
        }
    }
}

/// Writes steps as CloudWatch reads them: bracket notation for keys that are not plain names.
fn write_steps(f: &mut fmt::Formatter<'_>, steps: &[Step]) -> fmt::Result {
    for step in steps {
        match step {
            Step::Key(k) if is_plain_key(k) => write!(f, ".{k}")?,
            Step::Key(k) => write!(f, ".['{k}']")?,
            Step::Index(i) => write!(f, "[{i}]")?,
        }
    }
    Ok(())
}

/// A key CloudWatch's documentation allows without brackets: letters, digits, `-` and `_`.
pub fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
        write_steps(f, &self.0)
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
        // Shown as CloudWatch reads it.
        assert_eq!(s.to_string(), "$.['cluster.name'].x");
    }

    #[test]
    fn wildcard_steps_split_the_selector() {
        let (w, used) = PropertySelector::parse_prefix("$.resources[*].type = x").unwrap();
        assert_eq!(used, "$.resources[*].type".len());
        let PropertySelector::Wildcard(w) = w else {
            panic!("{w}")
        };
        assert_eq!(w.before, vec![Step::Key("resources".into())]);
        assert_eq!(w.wildcard, Wildcard::AnyElement);
        assert_eq!(w.after, vec![Step::Key("type".into())]);
        assert_eq!(w.to_string(), "$.resources[*].type");
        let (w, _) = PropertySelector::parse_prefix("$.*").unwrap();
        assert_eq!(w.to_string(), "$.*");
        // Where one value is needed, a wildcard is refused at its star.
        assert_eq!(Selector::parse("$.a[*]").unwrap_err().at, 4);
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
