//! What checking a digest found: per listed file, and for the chain.

use std::fmt;

use std::collections::BTreeMap;

use crate::cloudtrail::{digest_chain, ContentHash};
use crate::object_ref::ObjectRef;
use crate::time::UnixSeconds;

/// What one digest says about its log files and its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestReport {
    /// Where it was read.
    pub digest: ObjectRef,
    /// Where CloudTrail says it delivered it, when that is somewhere else: it was moved.
    pub moved_from: Option<ObjectRef>,
    pub start: UnixSeconds,
    pub end: UnixSeconds,
    pub files: Vec<(ObjectRef, FileCheck)>,
    pub chain: ChainCheck,
    pub signature: SignatureCheck,
}

/// CloudTrail's signature on the digest (checked only when asked: `verify --signatures`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    NotChecked,
    /// Made by CloudTrail's key of that region over this digest's bytes, place and predecessor.
    Valid,
    /// The object carries no `signature` metadata (CloudTrail puts it on every digest it writes; a
    /// copy made without its metadata loses it).
    Unsigned,
    /// None of CloudTrail's public keys for that region and time has this fingerprint.
    UnknownKey(String),
    /// The signature does not hold, or cannot be checked as written. Says why.
    Invalid(String),
}

/// One listed log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileCheck {
    /// Its marker says published, with the listed content.
    Published,
    /// Its marker says published but holds no content hash (written before markers kept one): its
    /// content is not checked.
    PublishedUnhashed,
    /// Another invocation is publishing it now.
    InProgress,
    /// Not published, and not repaired (a check without `--repair`).
    Unpublished,
    /// Not published before; published now. `late`: it was delivered within the grace period, so
    /// its notification may just not have arrived yet; otherwise a notification was lost.
    Recovered { late: bool, requests: usize },
    /// Its content is not what CloudTrail listed. `counted`: the other content was published (the
    /// file was overwritten before it was read); otherwise the bytes found now were refused.
    Tampered { found: ContentHash, counted: bool },
    /// Listed but cannot be published: deleted, unreadable, corrupt. Says why.
    Missing(String),
    /// Could not be checked. `retryable`: the cause was throttling or the network, and a later
    /// attempt may succeed; otherwise (access denied) it will not without a change.
    Unchecked { error: String, retryable: bool },
}

/// The link to the previous digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// The previous digest exists, has the hash this one lists, and ends where this one starts.
    Linked,
    /// A starting digest: log file validation or logging was (re)started, and no digest covers the
    /// time before it.
    Start,
    /// The previous digest is gone.
    PreviousMissing(ObjectRef),
    /// The previous digest's bytes are not those this one lists.
    PreviousAltered {
        previous: ObjectRef,
        found: ContentHash,
    },
    /// The previous digest ends well before this one starts: the digests between are missing.
    Gap {
        previous: ObjectRef,
        from: UnixSeconds,
        to: UnixSeconds,
    },
    /// The previous digest could not be read. `retryable` as in [`FileCheck::Unchecked`].
    Unchecked {
        previous: ObjectRef,
        error: String,
        retryable: bool,
    },
}

/// Counts over digests: the health metrics and the CLI's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub digests: u64,
    pub files_listed: u64,
    pub files_published: u64,
    pub files_unhashed: u64,
    pub files_in_progress: u64,
    pub files_unpublished: u64,
    pub files_late: u64,
    pub files_recovered: u64,
    pub files_tampered: u64,
    pub files_missing: u64,
    pub files_unchecked: u64,
    /// Digests found missing, altered or moved through the chain and locations.
    pub digests_missing: u64,
    pub digests_altered: u64,
    pub chain_starts: u64,
    pub chains_unchecked: u64,
    pub signatures_valid: u64,
    /// Digests whose signature was checked and does not hold: unsigned, an unknown key, invalid.
    pub signatures_failed: u64,
}

impl Tally {
    pub fn add(&mut self, report: &DigestReport) {
        self.digests += 1;
        self.files_listed += report.files.len() as u64;
        for (_, check) in &report.files {
            let n = match check {
                FileCheck::Published => &mut self.files_published,
                FileCheck::PublishedUnhashed => &mut self.files_unhashed,
                FileCheck::InProgress => &mut self.files_in_progress,
                FileCheck::Unpublished => &mut self.files_unpublished,
                FileCheck::Recovered { late: true, .. } => &mut self.files_late,
                FileCheck::Recovered { late: false, .. } => &mut self.files_recovered,
                FileCheck::Tampered { .. } => &mut self.files_tampered,
                FileCheck::Missing(_) => &mut self.files_missing,
                FileCheck::Unchecked { .. } => &mut self.files_unchecked,
            };
            *n += 1;
        }
        match &report.chain {
            ChainCheck::Linked => {}
            ChainCheck::Start => self.chain_starts += 1,
            ChainCheck::PreviousMissing(_) | ChainCheck::Gap { .. } => self.digests_missing += 1,
            ChainCheck::PreviousAltered { .. } => self.digests_altered += 1,
            ChainCheck::Unchecked { .. } => self.chains_unchecked += 1,
        }
        if report.moved_from.is_some() {
            self.digests_altered += 1;
        }
        match &report.signature {
            SignatureCheck::NotChecked => {}
            SignatureCheck::Valid => self.signatures_valid += 1,
            SignatureCheck::Unsigned
            | SignatureCheck::UnknownKey(_)
            | SignatureCheck::Invalid(_) => self.signatures_failed += 1,
        }
    }

    /// Something is wrong that no retry will change: a file lost or altered, a digest gone.
    pub fn alarming(&self) -> bool {
        self.files_tampered
            + self.files_missing
            + self.files_unpublished
            + self.digests_missing
            + self.digests_altered
            + self.signatures_failed
            > 0
    }
}

impl DigestReport {
    /// Whether something could not be checked for a reason a later attempt may not have.
    pub fn retry_may_help(&self) -> bool {
        let file = self.files.iter().any(|(_, c)| {
            matches!(
                c,
                FileCheck::Unchecked {
                    retryable: true,
                    ..
                }
            )
        });
        file || matches!(
            self.chain,
            ChainCheck::Unchecked {
                retryable: true,
                ..
            }
        )
    }

    /// One line per finding worth a person's attention, each naming its object; nothing when the
    /// digest, its chain and every file it lists are in order.
    pub fn findings(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(at) = &self.moved_from {
            lines.push(format!(
                "{}: MOVED: CloudTrail delivered this digest as {at}",
                self.digest
            ));
        }
        for (object, check) in &self.files {
            if let Some(text) = check.finding() {
                lines.push(format!("{object}: {text}"));
            }
        }
        if let Some(text) = self.chain.finding() {
            lines.push(format!("{}: {text}", self.digest));
        }
        if let Some(text) = self.signature.finding() {
            lines.push(format!("{}: {text}", self.digest));
        }
        lines
    }
}

impl FileCheck {
    fn finding(&self) -> Option<String> {
        Some(match self {
            FileCheck::Published | FileCheck::PublishedUnhashed | FileCheck::InProgress => {
                return None
            }
            FileCheck::Recovered { late: true, .. } => return None,
            FileCheck::Unpublished => "NOT PUBLISHED: listed in a digest, no marker says it was published (run with --repair to publish it)".into(),
            FileCheck::Recovered { late: false, requests } => format!(
                "RECOVERED: listed in a digest but never published (its notification was lost); published now, {requests} requests"
            ),
            FileCheck::Tampered { found, counted: true } => format!(
                "TAMPERED: the content published hashes to {found}, not to what the digest lists: it was overwritten before it was read, and its metrics count other events"
            ),
            FileCheck::Tampered { found, counted: false } => format!(
                "TAMPERED: it now hashes to {found}, not to what the digest lists; not published"
            ),
            FileCheck::Missing(why) => format!("MISSING: listed in a digest but cannot be published: {why}"),
            FileCheck::Unchecked { error, .. } => format!("UNCHECKED: {error}"),
        })
    }
}

impl ChainCheck {
    fn finding(&self) -> Option<String> {
        Some(match self {
            ChainCheck::Linked => return None,
            ChainCheck::Start => "CHAIN START: no digest before this one (log file validation or logging was started or restarted here)".into(),
            ChainCheck::PreviousMissing(previous) => {
                format!("DIGEST MISSING: the previous digest {previous} is gone")
            }
            ChainCheck::PreviousAltered { previous, found } => format!(
                "DIGEST ALTERED: the previous digest {previous} hashes to {found}, not to what this one lists"
            ),
            ChainCheck::Gap { previous, from, to } => format!(
                "DIGESTS MISSING: no digest covers {from} to {to} (the previous one, {previous}, ends there)"
            ),
            ChainCheck::Unchecked {
                previous, error, ..
            } => {
                format!("UNCHECKED: the previous digest {previous}: {error}")
            }
        })
    }
}

impl SignatureCheck {
    fn finding(&self) -> Option<String> {
        Some(match self {
            SignatureCheck::NotChecked | SignatureCheck::Valid => return None,
            SignatureCheck::Unsigned => "SIGNATURE MISSING: the object has no signature metadata, as every digest CloudTrail writes has".into(),
            SignatureCheck::UnknownKey(fingerprint) => format!(
                "SIGNATURE UNVERIFIED: none of CloudTrail's public keys for its region and time has the fingerprint {fingerprint}"
            ),
            SignatureCheck::Invalid(why) => format!("SIGNATURE INVALID: {why}"),
        })
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} digests, {} log files listed: {} published, {} recovered, {} late, {} tampered, {} missing, {} not published, {} in progress, {} unchecked; {} digests missing, {} altered",
            self.digests,
            self.files_listed,
            self.files_published + self.files_unhashed,
            self.files_recovered,
            self.files_late,
            self.files_tampered,
            self.files_missing,
            self.files_unpublished,
            self.files_in_progress,
            self.files_unchecked,
            self.digests_missing,
            self.digests_altered,
        )?;
        if self.signatures_valid + self.signatures_failed > 0 {
            write!(
                f,
                "; {} signatures valid, {} not",
                self.signatures_valid, self.signatures_failed
            )?;
        }
        Ok(())
    }
}

/// How long after the newest digest of a chain the next one must have ended: digests are hourly,
/// and arrive some minutes after the hour they cover.
pub const SILENCE_SECONDS: i64 = 2 * 3600;

/// For each chain among `reports` whose newest digest ends more than [`SILENCE_SECONDS`] before
/// `until`: a finding naming it. Digests stopped there (logging or validation stopped, the trail
/// deleted, or digests deleted since), or they no longer reach trailwatch.
pub fn silent_chains<'r>(
    reports: impl IntoIterator<Item = &'r DigestReport>,
    until: UnixSeconds,
) -> Vec<String> {
    let mut newest: BTreeMap<String, &DigestReport> = BTreeMap::new();
    for r in reports {
        let Some(chain) = digest_chain(&r.digest.key) else {
            continue;
        };
        let entry = newest.entry(chain).or_insert(r);
        if r.end.0 > entry.end.0 {
            *entry = r;
        }
    }
    newest
        .values()
        .filter(|r| until.0 - r.end.0 > SILENCE_SECONDS)
        .map(|r| {
            format!(
                "{}: DIGESTS MISSING: the newest digest of its chain ends {}; none follows up to {until}",
                r.digest, r.end
            )
        })
        .collect()
}
