//! Pulling the fields out of a record's JSON text in one pass: serde seeds that walk the trie and skip
//! everything no rule reads.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::selector::Step;

use super::table::{FieldTable, SET_FIELDS};
use super::{Event, FieldValue};

/// The fields of a record parsed by [`FieldTable::extract_prefix`], and the record's length.
#[derive(Debug)]
pub struct Extracted<'a> {
    pub(super) fields: Vec<FieldValue<'a>>,
    pub(super) sets: [u64; SET_FIELDS],
    pub(super) is_object: bool,
    pub len: usize,
}

impl<'a> Extracted<'a> {
    pub fn is_object(&self) -> bool {
        self.is_object
    }

    /// The event, given the record's text (the first `len` bytes of the parsed text).
    pub fn into_event(self, raw: &'a str) -> Event<'a> {
        Event {
            raw,
            fields: self.fields,
            sets: self.sets,
            is_object: self.is_object,
            tree: OnceCell::new(),
        }
    }
}

/// The value `steps` lead to from `value`, if there is one.
pub(super) fn follow<'v>(
    mut value: &'v serde_json::Value,
    steps: &[Step],
) -> Option<&'v serde_json::Value> {
    for step in steps {
        value = match (step, value) {
            (Step::Key(k), serde_json::Value::Object(map)) => map.get(&**k)?,
            (Step::Index(i), serde_json::Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// A tree value as the value of a field, as the extraction would have read it.
pub(super) fn field_value(value: &serde_json::Value) -> FieldValue<'_> {
    match value {
        serde_json::Value::Null => FieldValue::Null,
        serde_json::Value::Bool(b) => FieldValue::Bool(*b),
        serde_json::Value::Number(n) => n.as_f64().map_or(FieldValue::Null, FieldValue::Number),
        serde_json::Value::String(s) => FieldValue::String(Cow::Borrowed(s)),
        serde_json::Value::Array(_) => FieldValue::Array,
        serde_json::Value::Object(_) => FieldValue::Object,
    }
}

/// Walks one JSON value at trie node `node`; returns whether the value was an object.
pub(super) struct NodeSeed<'t, 'f, 'a> {
    pub(super) table: &'t FieldTable,
    pub(super) node: usize,
    pub(super) fields: &'f mut Vec<FieldValue<'a>>,
}

impl<'t, 'f, 'a> NodeSeed<'t, 'f, 'a> {
    fn set(&mut self, value: FieldValue<'a>) {
        if let Some(id) = self.table.nodes[self.node].field {
            self.fields[id.0] = value;
        }
    }
}

impl<'de, 't, 'f> DeserializeSeed<'de> for NodeSeed<'t, 'f, 'de> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, 't, 'f> Visitor<'de> for NodeSeed<'t, 'f, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(mut self, v: bool) -> Result<bool, E> {
        self.set(FieldValue::Bool(v));
        Ok(false)
    }
    fn visit_i64<E>(mut self, v: i64) -> Result<bool, E> {
        self.set(FieldValue::Number(v as f64));
        Ok(false)
    }
    fn visit_u64<E>(mut self, v: u64) -> Result<bool, E> {
        self.set(FieldValue::Number(v as f64));
        Ok(false)
    }
    fn visit_f64<E>(mut self, v: f64) -> Result<bool, E> {
        self.set(FieldValue::Number(v));
        Ok(false)
    }
    fn visit_unit<E>(mut self) -> Result<bool, E> {
        self.set(FieldValue::Null);
        Ok(false)
    }
    fn visit_borrowed_str<E>(mut self, v: &'de str) -> Result<bool, E> {
        self.set(FieldValue::String(Cow::Borrowed(v)));
        Ok(false)
    }
    fn visit_str<E>(mut self, v: &str) -> Result<bool, E> {
        self.set(FieldValue::String(Cow::Owned(v.to_owned())));
        Ok(false)
    }
    fn visit_string<E>(mut self, v: String) -> Result<bool, E> {
        self.set(FieldValue::String(Cow::Owned(v)));
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<bool, A::Error> {
        self.set(FieldValue::Array);
        let node = &self.table.nodes[self.node];
        let mut index = 0;
        loop {
            let child = node.indexes.iter().find(|(i, _)| *i == index).map(|e| e.1);
            let more = match child {
                Some(child) => seq
                    .next_element_seed(NodeSeed {
                        table: self.table,
                        node: child,
                        fields: self.fields,
                    })?
                    .is_some(),
                None => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                return Ok(false);
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<bool, A::Error> {
        self.set(FieldValue::Object);
        let node = &self.table.nodes[self.node];
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match node.child(key.as_bytes()) {
                Some(child) => {
                    map.next_value_seed(NodeSeed {
                        table: self.table,
                        node: child,
                        fields: self.fields,
                    })?;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(true)
    }
}

/// A key of the trie, with its length and its first and last 8 bytes as words, so that telling it
/// from each key of a record (a dozen of which share its length at the top level of an event) takes two
/// integer compares instead of a call to `memcmp`.
#[derive(Debug)]
pub(super) struct Key {
    pub(super) text: Box<str>,
    probe: Probe,
}

impl Key {
    pub(super) fn new(text: Box<str>) -> Key {
        Key {
            probe: Probe::new(text.as_bytes()),
            text,
        }
    }

    #[inline]
    pub(super) fn matches(&self, probe: &Probe, bytes: &[u8]) -> bool {
        self.probe == *probe && (bytes.len() <= 16 || self.text.as_bytes() == bytes)
    }
}

/// A key's length, first 8 bytes and last 8 bytes (shorter keys: all their bytes, then zeros). Two keys
/// of up to 16 bytes are equal when their probes are.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Probe {
    len: usize,
    head: u64,
    tail: u64,
}

impl Probe {
    #[inline]
    pub(super) fn new(bytes: &[u8]) -> Probe {
        match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
            (Some(head), Some(tail)) => Probe {
                len: bytes.len(),
                head: u64::from_le_bytes(*head),
                tail: u64::from_le_bytes(*tail),
            },
            _ => {
                let mut head = [0u8; 8];
                head[..bytes.len()].copy_from_slice(bytes);
                Probe {
                    len: bytes.len(),
                    head: u64::from_le_bytes(head),
                    tail: 0,
                }
            }
        }
    }
}

/// An object key, borrowed from the record unless it had escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}
