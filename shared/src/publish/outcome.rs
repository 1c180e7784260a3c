//! What publishing one object did, and who is doing it for how long.

use crate::cloudtrail::KeyKind;
use crate::engine::FileKind;
use crate::time::UnixSeconds;

/// What happened to one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not a log file, by its key.
    SkippedKey(KeyKind),
    /// Not a log file, by its content (a digest, LookupEvents output, empty).
    SkippedContent(FileKind),
    /// Its marker says it was published in full before.
    AlreadyPublished {
        requests: usize,
    },
    Published(Published),
}

impl Outcome {
    /// Why the object was skipped, when it was (by its key or by its content).
    pub fn skip_reason(&self) -> Option<&'static str> {
        match self {
            Outcome::SkippedKey(kind) => kind.skip_reason(),
            Outcome::SkippedContent(kind) => kind.skip_reason(),
            Outcome::AlreadyPublished { .. } | Outcome::Published(_) => None,
        }
    }
}

/// What publishing one object did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Published {
    pub records: u64,
    pub events: u64,
    pub datums: usize,
    /// PutMetricData requests this file makes in all, and how many this attempt sent.
    pub requests: usize,
    pub requests_sent: usize,
    /// Requests found published by an earlier attempt.
    pub resumed_at: usize,
    /// Datums CloudWatch would refuse (older than 14 days, more than 2 hours ahead): not sent.
    pub out_of_window: usize,
    pub newest_event: Option<UnixSeconds>,
    /// When the object was written, where its source says ([`crate::publish::Opened::last_modified`]).
    pub delivered: Option<UnixSeconds>,
    /// Evidence lines handed to [`crate::publish::Publisher::evidence`] (on the first attempt at an object only), and
    /// matches beyond the engine's per-file limit.
    pub evidence: usize,
    pub evidence_dropped: u64,
    /// Dimension values published percent-encoded, and matches folded past a rule's cardinality
    /// guard ([`crate::engine::RecordCounts`]).
    pub dimension_values_encoded: u64,
    pub dimension_values_folded: u64,
    /// Rule matches that gave no datum: a `metricValue` that is not a number, or a dimension the
    /// event lacks (as CloudWatch Logs does).
    pub matches_dropped: u64,
    /// Records that are no usable event: not an object, or no valid `eventTime`.
    pub records_unusable: u64,
}

/// Who is processing objects, and how long a claim lasts.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub owner: String,
    pub lease: Lease,
}

/// How long a claim on an object holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Until a fixed time: a Lambda invocation's deadline, after which it cannot be running.
    Until(UnixSeconds),
    /// For this many seconds from each marker write (a backfill): renewed as publishing goes on.
    Seconds(i64),
}

impl Attempt {
    pub(crate) fn lease_at(&self, now: UnixSeconds) -> i64 {
        match self.lease {
            Lease::Until(t) => t.0,
            Lease::Seconds(s) => now.0 + s,
        }
    }
}
