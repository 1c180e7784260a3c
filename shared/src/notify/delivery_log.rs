//! Where deliveries are remembered, so that a retried invocation does not send a message twice: the
//! marks, the in-memory and no-op logs, the configured mode, and the key of a state change.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::alarms::Alarm;
use crate::error::CallError;
use crate::notify::DeliveryLog;
use crate::publish::DedupMode;
use crate::vars::ValueError;

/// What a destination did with a message before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    Delivered {
        at: i64,
    },
    Refused {
        at: i64,
        why: String,
    },
    /// The Slack message (its `ts`) that opened an alarm's thread: its OK goes there.
    Thread {
        at: i64,
        ts: String,
    },
}

impl Mark {
    pub fn encode(&self) -> String {
        match self {
            Mark::Delivered { at } => format!("v1 delivered at={at}"),
            // One line: the reason goes last and keeps its spaces.
            Mark::Refused { at, why } => {
                format!("v1 refused at={at} why={}", why.replace('\n', " "))
            }
            Mark::Thread { at, ts } => format!("v1 thread at={at} ts={ts}"),
        }
    }

    pub fn parse(text: &str) -> Option<Mark> {
        let rest = text.trim().strip_prefix("v1 ")?;
        let (state, rest) = rest.split_once(" at=").unwrap_or((rest, ""));
        if state == "thread" {
            let (at, ts) = rest.split_once(" ts=")?;
            let ts = ts.trim();
            // Slack's ts: seconds.microseconds.
            if ts.is_empty() || !ts.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return None;
            }
            return Some(Mark::Thread {
                at: at.trim().parse().ok()?,
                ts: ts.to_owned(),
            });
        }
        let (at, why) = rest.split_once(" why=").unwrap_or((rest, ""));
        let at = at.trim().parse().ok()?;
        match state {
            "delivered" => Some(Mark::Delivered { at }),
            "refused" => Some(Mark::Refused {
                at,
                why: why.to_owned(),
            }),
            _ => None,
        }
    }
}

/// Deliveries remembered by this container only: a retry that lands on another container sends again.
#[derive(Debug, Default)]
pub struct MemoryLog {
    pub(super) marks: Mutex<(HashMap<String, Mark>, VecDeque<String>)>,
}

/// The most keys [`MemoryLog`] keeps; the oldest go first.
pub const MEMORY_LOG_KEYS: usize = 10_000;

impl DeliveryLog for MemoryLog {
    fn describe(&self) -> String {
        "memory (this container)".into()
    }

    async fn get(&self, key: &str) -> Result<Option<Mark>, CallError> {
        let marks = self.marks.lock().unwrap_or_else(|p| p.into_inner());
        Ok(marks.0.get(key).cloned())
    }

    async fn put(&self, key: &str, mark: &Mark) -> Result<(), CallError> {
        let mut marks = self.marks.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *marks;
        if map.insert(key.to_owned(), mark.clone()).is_none() {
            order.push_back(key.to_owned());
            while order.len() > MEMORY_LOG_KEYS {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
        Ok(())
    }
}

/// No memory at all (`DEDUP=off`): every retry sends to every destination.
#[derive(Debug, Default)]
pub struct NoLog;

impl DeliveryLog for NoLog {
    fn describe(&self) -> String {
        "off".into()
    }

    async fn get(&self, _key: &str) -> Result<Option<Mark>, CallError> {
        Ok(None)
    }

    async fn put(&self, _key: &str, _mark: &Mark) -> Result<(), CallError> {
        Ok(())
    }
}

/// Where alarm-notifier remembers which destinations already have a message (`DEDUP`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryLogMode {
    Off,
    /// Per container (the default): a retry on another container sends again.
    Memory,
    /// Marker objects under `s3://bucket/prefix/`, seen by every container.
    S3 {
        bucket: String,
        prefix: String,
    },
}

impl std::str::FromStr for DeliveryLogMode {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<DeliveryLogMode, ValueError> {
        match text.trim() {
            "memory" => Ok(DeliveryLogMode::Memory),
            other => match other.parse::<DedupMode>() {
                Ok(DedupMode::Off) => Ok(DeliveryLogMode::Off),
                Ok(DedupMode::Markers { bucket, prefix }) => Ok(DeliveryLogMode::S3 { bucket, prefix }),
                Ok(DedupMode::Tags) | Err(_) => Err(ValueError::new(
                    other,
                    "is not a delivery log for alarm-notifier: use `memory`, `off` or `s3://bucket/prefix/`",
                )),
            },
        }
    }
}

/// The identity of a state change, the same whichever way it arrived (SNS, Lambda action,
/// EventBridge): the alarm, its new state and when it changed. Without a time (old payloads), the
/// transport's message id; without either, `None`: such a message is sent without the delivery log,
/// since two different changes could not be told apart. A SHA-256, shortened to 128 bits.
pub fn message_key(alarm: &Alarm) -> Option<String> {
    let mut hash = Sha256::new();
    hash.update(b"trailwatch alarm v1\n");
    match (&alarm.time, &alarm.message_id) {
        (Some(time), _) => {
            hash.update(alarm.arn.as_deref().unwrap_or(&alarm.name).as_bytes());
            hash.update(b"\n");
            // Two series of one alarm changing at once are two messages.
            if let Some(c) = &alarm.contributor {
                hash.update(b"contributor ");
                hash.update(c.id.as_bytes());
                hash.update(b"\n");
            }
            hash.update(alarm.new_state.as_str().as_bytes());
            hash.update(b"\n");
            hash.update(time.as_bytes());
        }
        (None, Some(id)) => {
            hash.update(b"message id\n");
            hash.update(id.as_bytes());
        }
        (None, None) => return None,
    }
    Some(hex(&hash.finalize()[..16]))
}

/// Where an alarm's Slack thread is remembered: one per alarm (and contributor), whatever its state
/// changes, so an OK finds the thread of the ALARM before it.
pub fn thread_key(alarm: &Alarm) -> String {
    let mut hash = Sha256::new();
    hash.update(b"trailwatch thread v1\n");
    hash.update(alarm.arn.as_deref().unwrap_or(&alarm.name).as_bytes());
    if let Some(c) = &alarm.contributor {
        hash.update(b"\ncontributor ");
        hash.update(c.id.as_bytes());
    }
    format!("threads/{}", hex(&hash.finalize()[..16]))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
