//! Framing: where each record starts and ends, found by scanning structure only (strings, brackets);
//! the caller's JSON parser validates each record.

use super::error::ReadError;
use super::text::Text;
use super::window::Window;
use super::{Container, Parsed, RecordWindow};

pub(super) fn frame<S: Text>(
    w: &mut Window<S>,
    on_record: &mut dyn FnMut(RecordWindow<'_>) -> Result<Parsed, ReadError>,
) -> Result<Container, ReadError> {
    let mut container = Container::Empty;
    // A UTF-8 byte order mark is allowed before the JSON.
    while w.len() < 3 && w.fill()? {}
    if w.buf.starts_with('\u{FEFF}') {
        w.pos = '\u{FEFF}'.len_utf8();
    }
    while let Some(b) = w.peek()? {
        container = Container::Records;
        w.values += 1;
        match b {
            b'[' => {
                w.pos += 1;
                stream_array(w, on_record)?
            }
            b'{' => match w.peek_first_key()?.as_deref() {
                Some(b"Records") => stream_records_object(w, on_record)?,
                // Anything else, LookupEvents output (`{"Events":[…]}`) and digests included, is a
                // record: the caller tells what it is. The file is read to its end whatever its first
                // value, so a damaged end is found however the data arrives.
                _ => emit(w, false, on_record)?,
            },
            _ => emit(w, false, on_record)?,
        }
    }
    match w.invalid_at {
        Some(offset) => Err(ReadError::Utf8 { offset }),
        None => Ok(container),
    }
}

fn emit<S: Text>(
    w: &mut Window<S>,
    in_array: bool,
    on_record: &mut dyn FnMut(RecordWindow<'_>) -> Result<Parsed, ReadError>,
) -> Result<(), ReadError> {
    w.with_value(in_array, |window| {
        Ok(match on_record(window)? {
            Parsed::Record { len } => Some((len, ())),
            Parsed::Incomplete => None,
        })
    })
}

/// How a parse of the value at the start of `window` ended, as the reader sees it: the value's
/// length, `None` when the window may end inside it (read more), or the syntax error with its offset.
///
/// Whether a value is complete depends on the stream, not on the parser: until the stream ends, any
/// value may go on past the window. serde_json says "end of data" for most cut values, but it calls a
/// number cut after `-`, `.`, `e` or `e-` invalid, and points at the last byte. So an error at the
/// window's last byte is not trusted until the window has grown past it or the stream has ended; an
/// error before the last byte stands, since no later byte can change the bytes before it.
pub fn value_len(
    window: &RecordWindow<'_>,
    parsed: Result<usize, &serde_json::Error>,
) -> Result<Option<usize>, ReadError> {
    let data = window.text.as_bytes();
    let len = match parsed {
        Ok(len) => len,
        // The reader knows whether more data can come, and why not if it cannot.
        Err(e) if e.is_eof() => return Ok(None),
        Err(e) => {
            let at = error_index(data, e);
            if !window.at_end && at + 1 >= data.len() {
                return Ok(None);
            }
            return Err(json_error(window.offset + at as u64, e));
        }
    };
    // A number or literal that runs to the end of the window may go on in the next read.
    let open_ended = !matches!(data.first(), Some(b'{' | b'[' | b'"'));
    if len == data.len() && !window.at_end && open_ended {
        return Ok(None);
    }
    Ok(Some(len))
}

/// The index in `data` of the byte a serde_json error points at (its line and column, made an index).
fn error_index(data: &[u8], e: &serde_json::Error) -> usize {
    let line_start: usize = data
        .split_inclusive(|&b| b == b'\n')
        .take(e.line().saturating_sub(1))
        .map(<[u8]>::len)
        .sum();
    (line_start + e.column().saturating_sub(1)).min(data.len())
}

/// A JSON error at `offset` in the stream, without serde_json's line and column (which count from the
/// record, not the file).
fn json_error(offset: u64, e: &serde_json::Error) -> ReadError {
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    ReadError::Syntax { offset, message }
}

/// Streams the elements of an array whose `[` was consumed.
fn stream_array<S: Text>(
    w: &mut Window<S>,
    on_record: &mut dyn FnMut(RecordWindow<'_>) -> Result<Parsed, ReadError>,
) -> Result<(), ReadError> {
    if w.expect_more()? == b']' {
        w.pos += 1;
        return Ok(());
    }
    loop {
        emit(w, true, on_record)?;
        match w.expect_more()? {
            b',' => w.pos += 1,
            b']' => {
                w.pos += 1;
                return Ok(());
            }
            b => {
                return Err(w.syntax(format!(
                    "expected `,` or `]` after a record, found `{}`",
                    char::from(b)
                )))
            }
        }
    }
}

/// Streams `{"Records":[…], …}`: the records one by one, then skips any other keys.
fn stream_records_object<S: Text>(
    w: &mut Window<S>,
    on_record: &mut dyn FnMut(RecordWindow<'_>) -> Result<Parsed, ReadError>,
) -> Result<(), ReadError> {
    w.consume(b'{', "`{`")?;
    w.skip_value()?; // "Records"
    w.consume(b':', "`:`")?;
    w.consume(b'[', "`[` (Records is a list of events)")?;
    stream_array(w, on_record)?;
    loop {
        match w.expect_more()? {
            b'}' => {
                w.pos += 1;
                return Ok(());
            }
            b',' => {
                w.pos += 1;
                if w.expect_more()? != b'"' {
                    return Err(w.syntax("expected a key"));
                }
                let key_at = w.offset(w.pos);
                if w.read_key()? == "Records" {
                    return Err(ReadError::DuplicateRecords { offset: key_at });
                }
                w.consume(b':', "`:`")?;
                w.skip_value()?;
            }
            b => return Err(w.syntax(format!("expected `,` or `}}`, found `{}`", char::from(b)))),
        }
    }
}
