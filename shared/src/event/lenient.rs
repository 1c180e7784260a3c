//! The two things valid JSON may hold that serde_json refuses to build into values: lone UTF-16
//! surrogate escapes (`"\ud800"`) and numbers beyond f64 (`1e400`). JavaScript, Python and Java read
//! both; refusing them would let one odd string in one event fail a whole log file, and with it every
//! security metric the file carries.
//!
//! [`repair`] copies one JSON value with each lone surrogate escape written as `\ufffd` (U+FFFD, the
//! replacement character) and each out-of-range number written as `null` padded with spaces. Every
//! replacement has the length of what it replaces, so offsets and lengths measured in the copy hold
//! in the original. It runs only after a parse has failed: well-formed records never pay for it.

/// What [`repair`] made of the value at the start of a text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Repair {
    /// Nothing in the value needs repair: a parse error in it is a real one.
    Unchanged,
    /// The value, repaired; `len` is its length in the original text.
    Repaired { text: String, len: usize },
    /// The text ends inside the value and something in it needs repair: read more first.
    Incomplete,
}

const REPLACEMENT: &[u8; 6] = b"\\ufffd";

/// Scans the JSON value at the start of `text` (leading whitespace allowed) for lone surrogate escapes
/// and numbers beyond f64, and returns a repaired copy of it. The scan follows strings and brackets
/// only; it does not validate, so the caller parses the copy again. One scanner loop, one arm per byte
/// class, as a tokenizer is.
pub(crate) fn repair(text: &str) -> Repair {
    let b = text.as_bytes();
    let mut edits: Vec<(usize, Edit)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let end = loop {
        let Some(&c) = b.get(i) else {
            break None;
        };
        match c {
            b'"' => {
                let Some(after) = scan_string(b, i + 1, &mut edits) else {
                    break None;
                };
                i = after;
                if depth == 0 {
                    break Some(i);
                }
            }
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
                if depth == 0 {
                    break Some(i);
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let token = &text[start..i];
                if token.parse::<f64>().is_ok_and(f64::is_infinite) {
                    edits.push((start, Edit::Null(i - start)));
                }
                if depth == 0 {
                    // A top-level number that runs to the end of the text may go on, or the stream
                    // may end there: only the reader knows which (`cloudtrail::value_len`).
                    break Some(i);
                }
            }
            c if depth == 0 && c.is_ascii_alphabetic() => {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                break Some(i);
            }
            _ => i += 1,
        }
    };
    match (edits.is_empty(), end) {
        (true, _) => Repair::Unchanged,
        (false, None) => Repair::Incomplete,
        (false, Some(len)) => {
            let mut copy = b[..len].to_vec();
            for (at, edit) in edits {
                match edit {
                    Edit::Surrogate => copy[at..at + 6].copy_from_slice(REPLACEMENT),
                    Edit::Null(n) => {
                        copy[at..at + 4].copy_from_slice(b"null");
                        copy[at + 4..at + n].fill(b' ');
                    }
                }
            }
            // Only ASCII was written over ASCII escapes and number characters.
            match String::from_utf8(copy) {
                Ok(text) => Repair::Repaired { text, len },
                Err(_) => Repair::Unchanged,
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Edit {
    /// A 6-byte `\uXXXX` lone surrogate escape.
    Surrogate,
    /// A number of this many bytes (at least 4: `1e309` is the shortest beyond f64) that becomes null.
    Null(usize),
}

/// Scans a string from just after its opening quote; returns the index after its closing quote, or
/// `None` when the text ends first.
fn scan_string(b: &[u8], mut i: usize, edits: &mut Vec<(usize, Edit)>) -> Option<usize> {
    while i < b.len() {
        match b[i] {
            b'"' => return Some(i + 1),
            b'\\' => match b.get(i + 1)? {
                b'u' => {
                    let Some(unit) = hex4(b.get(i + 2..i + 6)?) else {
                        i += 2; // invalid: the parser reports it
                        continue;
                    };
                    match unit {
                        0xD800..=0xDBFF => {
                            if followed_by_low_surrogate(b, i + 6)? {
                                i += 12;
                                continue;
                            }
                            edits.push((i, Edit::Surrogate));
                        }
                        0xDC00..=0xDFFF => edits.push((i, Edit::Surrogate)),
                        _ => {}
                    }
                    i += 6;
                }
                _ => i += 2,
            },
            _ => i += 1,
        }
    }
    None
}

/// Whether `b[at..]` starts with a `\uDC00`–`\uDFFF` escape; `None` when the text ends before that is
/// known.
fn followed_by_low_surrogate(b: &[u8], at: usize) -> Option<bool> {
    if *b.get(at)? != b'\\' {
        return Some(false);
    }
    if *b.get(at + 1)? != b'u' {
        return Some(false);
    }
    Some(hex4(b.get(at + 2..at + 6)?).is_some_and(|u| (0xDC00..=0xDFFF).contains(&u)))
}

fn hex4(digits: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(digits).ok()?;
    if text.len() != 4 || !text.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(text: &str) -> String {
        match repair(text) {
            Repair::Repaired { text, len } => {
                assert_eq!(text.len(), len);
                text
            }
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn lone_surrogates_become_replacement_characters_of_the_same_length() {
        assert_eq!(repaired(r#"{"a":"x\ud800y"}"#), r#"{"a":"x\ufffdy"}"#);
        assert_eq!(repaired(r#"{"a":"\uDC00"}"#), r#"{"a":"\ufffd"}"#);
        assert_eq!(repaired(r#"["\ud800\ud800"]"#), r#"["\ufffd\ufffd"]"#);
        // A high surrogate before a non-surrogate escape, or at the string's end.
        assert_eq!(
            repaired(r#"["\ud800\n","\ud800"]"#),
            r#"["\ufffd\n","\ufffd"]"#
        );
        // Keys too.
        assert_eq!(repaired(r#"{"k\ud800":1}"#), r#"{"k\ufffd":1}"#);
    }

    #[test]
    fn pairs_and_escaped_backslashes_are_left_alone() {
        assert_eq!(repair(r#"{"a":"\ud83d\ude00"}"#), Repair::Unchanged);
        assert_eq!(repair(r#"{"a":"\\ud800"}"#), Repair::Unchanged);
        assert_eq!(repaired(r#"{"a":"\"\ud800"}"#), r#"{"a":"\"\ufffd"}"#);
    }

    #[test]
    fn numbers_beyond_f64_become_null() {
        assert_eq!(
            repaired(r#"{"a":1e400,"b":-1E+999}"#),
            r#"{"a":null ,"b":null   }"#
        );
        assert_eq!(repaired("[123456789e999]"), "[null         ]");
        // Huge integers and tiny numbers are read by serde_json as they are.
        assert_eq!(
            repair("[123456789012345678901234567890, 1e-400]"),
            Repair::Unchanged
        );
    }

    #[test]
    fn only_the_first_value_is_copied_and_its_length_is_the_original_one() {
        match repair("1e400\n{\"b\":2}") {
            Repair::Repaired { text, len } => {
                assert_eq!(text, "null ");
                assert_eq!(len, 5);
            }
            other => panic!("{other:?}"),
        }
        match repair(r#"{"a":"\ud800"} ,{"b":"\ud800"}"#) {
            Repair::Repaired { text, len } => {
                assert_eq!((text.as_str(), len), (r#"{"a":"\ufffd"}"#, 14))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_value_cut_by_the_end_of_the_text_is_incomplete() {
        assert_eq!(repair(r#"{"a":"\ud800","b":"#), Repair::Incomplete);
        assert_eq!(repair(r#"{"a":"\ud8"#), Repair::Unchanged);
        // Cut inside an escape: serde_json says the text ended, and nothing is known to need repair.
        assert_eq!(repair(r#"["\ud800\u"#), Repair::Unchanged);
        assert_eq!(repair("[1e400"), Repair::Incomplete);
    }

    #[test]
    fn a_top_level_number_at_the_end_of_the_text_is_measured_to_there() {
        // Whether it goes on is the reader's call (the stream may end here); the repair measures.
        match repair("1e400") {
            Repair::Repaired { text, len } => assert_eq!((text.as_str(), len), ("null ", 5)),
            other => panic!("{other:?}"),
        }
    }
}
