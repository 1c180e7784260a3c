//! The fields the rules read, interned once per rule set: a trie of selectors, and the sets of values
//! some conditions test against.

use std::collections::HashMap;

use serde::de::{DeserializeSeed, IgnoredAny};

use super::fast;
use super::lenient::{self, Repair};
use super::selector::{Selector, Step};
use crate::fasthash::FastHash;

use super::extract::{Extracted, Key, NodeSeed, Probe};
use super::{Event, FieldId, FieldValue};

#[derive(Debug, Default)]
pub(super) struct Node {
    /// Child keys, shortest first, and the range of them of each length: a record's key is compared
    /// only with the node's keys of its own length, if any.
    pub(super) keys: Vec<(Key, usize)>,
    by_len: Vec<(usize, usize)>,
    pub(super) indexes: Vec<(usize, usize)>,
    pub(super) field: Option<FieldId>,
}

impl Node {
    fn add_key(&mut self, key: Box<str>, child: usize) {
        self.keys.push((Key::new(key), child));
        self.keys.sort_by_key(|(k, _)| k.text.len());
        let longest = self.keys.last().map_or(0, |(k, _)| k.text.len());
        self.by_len = vec![(0, 0); longest + 1];
        for (i, (k, _)) in self.keys.iter().enumerate() {
            let range = &mut self.by_len[k.text.len()];
            if range.0 == range.1 {
                *range = (i, i);
            }
            range.1 = i + 1;
        }
    }

    #[inline]
    pub(super) fn child(&self, key: &[u8]) -> Option<usize> {
        let &(start, end) = self.by_len.get(key.len())?;
        let candidates = self.keys.get(start..end)?;
        if candidates.is_empty() {
            return None;
        }
        let probe = Probe::new(key);
        candidates
            .iter()
            .find(|(k, _)| k.matches(&probe, key))
            .map(|e| e.1)
    }
}

/// Where an [`Event`] says whether its value of a field is in one registered string set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetBit {
    pub(super) slot: usize,
    pub(super) bit: u64,
}

/// Fields whose string sets share one lookup per event; each holds up to 64 sets. Sets past that are
/// looked up on their own (see [`FieldTable::intern_set`]).
pub(super) const SET_FIELDS: usize = 4;

/// Every string set the rules test one field against (`($.eventName = A) || ($.eventName = B) || …`,
/// one per rule), as one table from value to the sets that hold it: the default rules have seven such
/// lists on `eventName`, and every event is tested against all of them.
#[derive(Debug)]
struct FieldSets {
    field: FieldId,
    members: HashMap<Box<str>, u64, FastHash>,
    count: u32,
}

impl FieldSets {
    fn mask(&self, value: &FieldValue<'_>) -> u64 {
        value
            .as_text()
            .and_then(|text| self.members.get(text).copied())
            .unwrap_or(0)
    }
}

/// The set of selectors a rule set reads, as a trie walked while the record is parsed.
#[derive(Debug)]
pub struct FieldTable {
    pub(super) nodes: Vec<Node>,
    ids: HashMap<Selector, FieldId>,
    selectors: Vec<Selector>,
    sets: Vec<FieldSets>,
}

impl Default for FieldTable {
    fn default() -> Self {
        FieldTable {
            nodes: vec![Node::default()],
            ids: HashMap::new(),
            selectors: Vec::new(),
            sets: Vec::new(),
        }
    }
}

impl FieldTable {
    /// Registers a selector (once) and returns its id.
    pub fn intern(&mut self, selector: &Selector) -> FieldId {
        if let Some(id) = self.ids.get(selector) {
            return *id;
        }
        let mut node = 0;
        for step in &selector.0 {
            let existing = match step {
                Step::Key(k) => self.nodes[node]
                    .keys
                    .iter()
                    .find(|(n, _)| *n.text == **k)
                    .map(|e| e.1),
                Step::Index(i) => self.nodes[node]
                    .indexes
                    .iter()
                    .find(|(n, _)| n == i)
                    .map(|e| e.1),
            };
            node = match existing {
                Some(child) => child,
                None => {
                    let child = self.nodes.len();
                    self.nodes.push(Node::default());
                    match step {
                        Step::Key(k) => self.nodes[node].add_key(k.clone(), child),
                        Step::Index(i) => self.nodes[node].indexes.push((*i, child)),
                    }
                    child
                }
            };
        }
        let id = FieldId(self.selectors.len());
        self.nodes[node].field = Some(id);
        self.ids.insert(selector.clone(), id);
        self.selectors.push(selector.clone());
        id
    }

    /// Registers a set of exact strings that `field` is tested against, so that an event's value of the
    /// field is looked up once for all of its sets. `None` when the table has no room left (more than
    /// 64 sets on one field, or sets on more than 4 fields): the caller looks such a set up itself.
    pub fn intern_set<'v>(
        &mut self,
        field: FieldId,
        values: impl IntoIterator<Item = &'v str>,
    ) -> Option<SetBit> {
        let slot = match self.sets.iter().position(|s| s.field == field) {
            Some(slot) => slot,
            None if self.sets.len() < SET_FIELDS => {
                self.sets.push(FieldSets {
                    field,
                    members: HashMap::default(),
                    count: 0,
                });
                self.sets.len() - 1
            }
            None => return None,
        };
        let sets = &mut self.sets[slot];
        if sets.count == u64::BITS {
            return None;
        }
        let bit = 1u64 << sets.count;
        sets.count += 1;
        for value in values {
            *sets.members.entry(value.into()).or_insert(0) |= bit;
        }
        Some(SetBit { slot, bit })
    }

    /// Whether records are read for `selector`.
    pub fn holds(&self, selector: &Selector) -> bool {
        self.ids.contains_key(selector)
    }

    pub fn selector(&self, id: FieldId) -> &Selector {
        &self.selectors[id.0]
    }

    /// Parses the JSON value at the start of `text` (which may go on past it), keeping the registered
    /// fields. Returns them with the value's length in bytes.
    ///
    /// Lone surrogate escapes and numbers beyond f64, which serde_json refuses, are read as U+FFFD and
    /// null (see `event/lenient.rs`), so one odd value does not fail a whole log file.
    pub fn extract_prefix<'a>(&self, text: &'a str) -> Result<Extracted<'a>, serde_json::Error> {
        let error = match self.extract_strict(text) {
            Err(e) if !e.is_eof() => e,
            parsed => return parsed,
        };
        match lenient::repair(text) {
            Repair::Unchanged => Err(error),
            // An error that says "read more": the record goes on past the text.
            Repair::Incomplete => Err(serde_json::from_str::<IgnoredAny>("[")
                .err()
                .unwrap_or(error)),
            Repair::Repaired { text: copy, len } => {
                let extracted = self.extract_strict(&copy)?;
                Ok(Extracted {
                    fields: extracted
                        .fields
                        .into_iter()
                        .map(FieldValue::into_owned)
                        .collect(),
                    sets: extracted.sets,
                    is_object: extracted.is_object,
                    len,
                })
            }
        }
    }

    fn extract_strict<'a>(&self, text: &'a str) -> Result<Extracted<'a>, serde_json::Error> {
        let mut fields = vec![FieldValue::Missing; self.selectors.len()];
        let (is_object, len) = match fast::extract(self, text, &mut fields) {
            Some(walked) => walked,
            None => {
                fields.fill(FieldValue::Missing);
                self.walk_with_serde(text, &mut fields)?
            }
        };
        let mut sets = [0; SET_FIELDS];
        for (mask, field_sets) in sets.iter_mut().zip(&self.sets) {
            *mask = field_sets.mask(&fields[field_sets.field.0]);
        }
        Ok(Extracted {
            fields,
            sets,
            is_object,
            len,
        })
    }

    /// The value at the start of `text` through serde_json, the fields written into `fields`: whether
    /// it is an object, and its length.
    fn walk_with_serde<'a>(
        &self,
        text: &'a str,
        fields: &mut Vec<FieldValue<'a>>,
    ) -> Result<(bool, usize), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let is_object = NodeSeed {
            table: self,
            node: 0,
            fields,
        }
        .deserialize(&mut de)?;
        Ok((is_object, de.into_iter::<IgnoredAny>().byte_offset()))
    }

    /// For tests and fuzzing: whether the fast walk (`event/fast.rs`) answers for the value at the start
    /// of `text`, and, when it does, that serde_json gives the same fields, kind and length. `Err`
    /// describes a disagreement.
    #[doc(hidden)]
    pub fn fast_walk_agrees(&self, text: &str) -> Result<bool, String> {
        let mut walked = vec![FieldValue::Missing; self.selectors.len()];
        let Some((is_object, len)) = fast::extract(self, text, &mut walked) else {
            return Ok(false);
        };
        let mut fields = vec![FieldValue::Missing; self.selectors.len()];
        match self.walk_with_serde(text, &mut fields) {
            Ok(serde) if serde == (is_object, len) && fields == walked => Ok(true),
            other => Err(format!(
                "fast walk: object {is_object}, length {len}, {walked:?}; serde_json: {other:?}, {fields:?}"
            )),
        }
    }

    /// Parses one record's whole JSON text, keeping the registered fields.
    pub fn extract<'a>(&self, json: &'a str) -> Result<Event<'a>, serde_json::Error> {
        let extracted = self.extract_prefix(json)?;
        if !json[extracted.len..].trim().is_empty() {
            return Err(serde::de::Error::custom(format!(
                "trailing characters after the value, at byte {}",
                extracted.len
            )));
        }
        Ok(extracted.into_event(json))
    }
}
