//! `%regex%` values: the subset of regular expressions CloudWatch Logs accepts, and how it reads them.

use regex::Regex;

/// A `%regex%` in CloudWatch's subset. `\d`, `\w` and `\s` mean ASCII digits, word characters and
/// spaces, as in CloudWatch (the regex crate's would also match other scripts' digits and letters).
#[derive(Debug)]
pub struct CloudWatchRegex {
    pub(super) regex: Regex,
    /// As written in the pattern.
    pub text: String,
}

impl CloudWatchRegex {
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// Rewrites the Perl classes to their ASCII sets.
pub(super) fn ascii_classes(body: &str) -> String {
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

/// CloudWatch's documented regular-expression subset: ASCII letters and digits, the symbols
/// `: _ # = @ / ; , -` and the operators `^ $ ? [ ] { } | \ * + .`; no `(`, `)` or multi-byte
/// characters (`\xhh` reaches the others).
pub(super) fn is_cloudwatch_regex_char(c: char) -> bool {
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
