//! Why a file could not be read, with the byte offset where it went wrong.

use std::io::{self};

/// Why a file cannot be read. Offsets count bytes of the decompressed JSON; the caller names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("read failed: {0}")]
    Io(#[source] io::Error),
    #[error("invalid gzip data (after {compressed_offset} compressed bytes): {detail}")]
    Gzip {
        compressed_offset: u64,
        detail: String,
    },
    #[error("decompressed data exceeds the cap of {limit} bytes (a gzip bomb, or raise the cap)")]
    TooLarge { limit: u64 },
    #[error("unexpected end of data at byte offset {offset}: the file is truncated")]
    Truncated { offset: u64 },
    #[error("invalid JSON at byte offset {offset}: {message}")]
    Syntax { offset: u64, message: String },
    #[error("invalid UTF-8 at byte offset {offset}")]
    Utf8 { offset: u64 },
    #[error("record at byte offset {offset} is larger than the cap of {limit} bytes")]
    RecordTooLarge { offset: u64, limit: usize },
    #[error("the object at byte offset {offset} holds `Records` after other keys; trailwatch streams log files as CloudTrail writes them, `{{\"Records\":[…]}}` with `Records` first")]
    RecordsNotFirst { offset: u64 },
    #[error("the object at byte offset {offset} holds a second `Records` list: which one counts is ambiguous (JSON parsers disagree), so none is used")]
    DuplicateRecords { offset: u64 },
}
