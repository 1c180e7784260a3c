//! One CloudTrail event as the rules see it: only the fields some rule needs, pulled out of the record's
//! JSON text in a single pass. Everything else is skipped by the parser without being built.

mod lenient;
pub mod selector;

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use self::lenient::Repair;
use self::selector::{Selector, Step, Wildcard, WildcardSelector};
use crate::fasthash::FastHash;
use crate::text::format_number;

/// Index of a field in a [`FieldTable`] and in an [`Event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldId(usize);

/// A value found at a selector. Objects and arrays are only noted as present: rules compare scalars.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    Missing,
    Null,
    Bool(bool),
    Number(f64),
    String(Cow<'a, str>),
    Object,
    Array,
}

impl FieldValue<'_> {
    /// The same value, owning its text.
    pub fn into_owned(self) -> FieldValue<'static> {
        match self {
            FieldValue::Missing => FieldValue::Missing,
            FieldValue::Null => FieldValue::Null,
            FieldValue::Bool(b) => FieldValue::Bool(b),
            FieldValue::Number(n) => FieldValue::Number(n),
            FieldValue::String(s) => FieldValue::String(Cow::Owned(s.into_owned())),
            FieldValue::Object => FieldValue::Object,
            FieldValue::Array => FieldValue::Array,
        }
    }

    pub fn is_present(&self) -> bool {
        !matches!(self, FieldValue::Missing)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The text an exact string test compares: strings, and booleans as `true` / `false`.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::String(s) => Some(s),
            FieldValue::Bool(true) => Some("true"),
            FieldValue::Bool(false) => Some("false"),
            _ => None,
        }
    }

    /// The text a dimension gets from this value: strings as they are, numbers and booleans as JSON writes
    /// them; `None` for null, objects and arrays, which CloudWatch does not turn into dimension values.
    pub fn dimension_text(&self) -> Option<Cow<'_, str>> {
        match self {
            FieldValue::Number(n) => Some(Cow::Owned(format_number(*n))),
            _ => self.as_text().map(Cow::Borrowed),
        }
    }
}

impl fmt::Display for FieldValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Missing => f.write_str("(missing)"),
            FieldValue::Null => f.write_str("null"),
            FieldValue::Bool(b) => write!(f, "{b}"),
            FieldValue::Number(n) => f.write_str(&format_number(*n)),
            FieldValue::String(s) => write!(f, "{s:?}"),
            FieldValue::Object => f.write_str("(an object)"),
            FieldValue::Array => f.write_str("(an array)"),
        }
    }
}

#[derive(Debug, Default)]
struct Node {
    /// Child keys, shortest first, and the range of them of each length: a record's key is compared
    /// only with the node's keys of its own length, if any.
    keys: Vec<(Key, usize)>,
    by_len: Vec<(usize, usize)>,
    indexes: Vec<(usize, usize)>,
    field: Option<FieldId>,
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
    fn child(&self, key: &[u8]) -> Option<usize> {
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
    slot: usize,
    bit: u64,
}

/// Fields whose string sets share one lookup per event; each holds up to 64 sets. Sets past that are
/// looked up on their own (see [`FieldTable::intern_set`]).
const SET_FIELDS: usize = 4;

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
    nodes: Vec<Node>,
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

    pub fn selector(&self, id: FieldId) -> &Selector {
        &self.selectors[id.0]
    }

    /// Parses the JSON value at the start of `text` (which may go on past it), keeping the registered
    /// fields. Returns them with the value's length in bytes.
    ///
    /// Lone surrogate escapes and numbers beyond f64, which serde_json refuses, are read as U+FFFD and
    /// null (see [`lenient`]), so one odd value does not fail a whole log file.
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
        let mut de = serde_json::Deserializer::from_str(text);
        let is_object = NodeSeed {
            table: self,
            node: 0,
            fields: &mut fields,
        }
        .deserialize(&mut de)?;
        let len = de.into_iter::<IgnoredAny>().byte_offset();
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

/// The fields of a record parsed by [`FieldTable::extract_prefix`], and the record's length.
#[derive(Debug)]
pub struct Extracted<'a> {
    fields: Vec<FieldValue<'a>>,
    sets: [u64; SET_FIELDS],
    is_object: bool,
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
fn follow<'v>(mut value: &'v serde_json::Value, steps: &[Step]) -> Option<&'v serde_json::Value> {
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
fn field_value(value: &serde_json::Value) -> FieldValue<'_> {
    match value {
        serde_json::Value::Null => FieldValue::Null,
        serde_json::Value::Bool(b) => FieldValue::Bool(*b),
        serde_json::Value::Number(n) => n.as_f64().map_or(FieldValue::Null, FieldValue::Number),
        serde_json::Value::String(s) => FieldValue::String(Cow::Borrowed(s)),
        serde_json::Value::Array(_) => FieldValue::Array,
        serde_json::Value::Object(_) => FieldValue::Object,
    }
}

/// A parsed record: its text (for term patterns) and the fields the rules read.
#[derive(Debug)]
pub struct Event<'a> {
    pub raw: &'a str,
    fields: Vec<FieldValue<'a>>,
    /// Per field with registered sets: which sets hold its value.
    sets: [u64; SET_FIELDS],
    is_object: bool,
    /// The whole record as a tree, for wildcard selectors: parsed on first use, once.
    tree: OnceCell<Option<serde_json::Value>>,
}

impl<'a> Event<'a> {
    pub fn get(&self, id: FieldId) -> &FieldValue<'a> {
        &self.fields[id.0]
    }

    /// Every value `selector` reaches in the record: `.*` goes into each field of an object, `[*]`
    /// into each element of an array; anything else reaches nothing there.
    pub fn wildcard_values(&self, selector: &WildcardSelector) -> Vec<FieldValue<'_>> {
        let Some(root) = self.tree() else {
            return Vec::new();
        };
        let Some(container) = follow(root, &selector.before) else {
            return Vec::new();
        };
        let members: Vec<&serde_json::Value> = match (selector.wildcard, container) {
            (Wildcard::AnyField, serde_json::Value::Object(map)) => map.values().collect(),
            (Wildcard::AnyElement, serde_json::Value::Array(items)) => items.iter().collect(),
            _ => Vec::new(),
        };
        members
            .into_iter()
            .filter_map(|m| follow(m, &selector.after))
            .map(field_value)
            .collect()
    }

    fn tree(&self) -> Option<&serde_json::Value> {
        self.tree
            .get_or_init(|| match serde_json::from_str(self.raw) {
                Ok(tree) => Some(tree),
                // The two things serde_json refuses to build, as the extraction reads them.
                Err(_) => match lenient::repair(self.raw) {
                    Repair::Repaired { text, .. } => serde_json::from_str(&text).ok(),
                    Repair::Unchanged | Repair::Incomplete => None,
                },
            })
            .as_ref()
    }

    /// Whether the value of the set's field is in the set (see [`FieldTable::intern_set`]).
    pub fn in_set(&self, set: SetBit) -> bool {
        self.sets[set.slot] & set.bit != 0
    }

    /// False when the record is a JSON array, string, number… rather than an event object.
    pub fn is_object(&self) -> bool {
        self.is_object
    }
}

/// Walks one JSON value at trie node `node`; returns whether the value was an object.
struct NodeSeed<'t, 'f, 'a> {
    table: &'t FieldTable,
    node: usize,
    fields: &'f mut Vec<FieldValue<'a>>,
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
struct Key {
    text: Box<str>,
    probe: Probe,
}

impl Key {
    fn new(text: Box<str>) -> Key {
        Key {
            probe: Probe::new(text.as_bytes()),
            text,
        }
    }

    #[inline]
    fn matches(&self, probe: &Probe, bytes: &[u8]) -> bool {
        self.probe == *probe && (bytes.len() <= 16 || self.text.as_bytes() == bytes)
    }
}

/// A key's length, first 8 bytes and last 8 bytes (shorter keys: all their bytes, then zeros). Two keys
/// of up to 16 bytes are equal when their probes are.
#[derive(Debug, PartialEq, Eq)]
struct Probe {
    len: usize,
    head: u64,
    tail: u64,
}

impl Probe {
    #[inline]
    fn new(bytes: &[u8]) -> Probe {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn table(selectors: &[&str]) -> (FieldTable, Vec<FieldId>) {
        let mut t = FieldTable::default();
        let ids = selectors
            .iter()
            .map(|s| t.intern(&Selector::parse(s).unwrap()))
            .collect();
        (t, ids)
    }

    #[test]
    fn extracts_only_registered_fields_at_any_depth() {
        let (t, ids) = table(&[
            "$.eventName",
            "$.userIdentity.sessionContext.sessionIssuer.userName",
            "$.resources[1].ARN",
            "$.n",
            "$.absent",
        ]);
        let json = r#"{"eventName":"StartInstances","userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"userName":"ops"}}},"resources":[{"ARN":"a"},{"ARN":"b"}],"n":42,"big":{"x":[1,2,{"y":null}]}}"#;
        let e = t.extract(json).unwrap();
        assert!(e.is_object());
        assert_eq!(e.get(ids[0]).as_str(), Some("StartInstances"));
        assert_eq!(e.get(ids[1]).as_str(), Some("ops"));
        assert_eq!(e.get(ids[2]).as_str(), Some("b"));
        assert_eq!(e.get(ids[3]), &FieldValue::Number(42.0));
        assert_eq!(e.get(ids[4]), &FieldValue::Missing);
    }

    #[test]
    fn keys_match_exactly_at_every_length() {
        // Keys of 0 to 40 bytes, each next to near misses: one byte changed at the start, in the middle
        // (past the first and last 8 bytes for long keys) and at the end, one byte longer, one shorter,
        // and a trailing NUL.
        let names: Vec<String> = (0..=40)
            .map(|n| (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect())
            .collect();
        let mut t = FieldTable::default();
        let ids: Vec<FieldId> = names
            .iter()
            .map(|n| t.intern(&Selector::keys(&[n.as_str()])))
            .collect();
        for (n, name) in names.iter().enumerate() {
            let mut misses = vec![format!("{name}\\u0000"), format!("{name}Z")];
            if n > 0 {
                misses.push(name[..n - 1].to_owned());
                for at in [0, n / 2, n - 1] {
                    let mut b = name.clone().into_bytes();
                    b[at] = b'_';
                    misses.push(String::from_utf8(b).unwrap());
                }
            }
            // The hit first: a near miss taken for it would overwrite it.
            let mut json = format!("{{\"{name}\":\"hit\"");
            for miss in misses.iter().filter(|m| !names.contains(m)) {
                json.push_str(&format!(",\"{miss}\":\"miss\""));
            }
            json.push('}');
            let e = t.extract(&json).unwrap();
            for (m, id) in ids.iter().enumerate() {
                let want = if m == n { Some("hit") } else { None };
                assert_eq!(e.get(*id).as_str(), want, "key {name:?} in {json}");
            }
        }
    }

    #[test]
    fn interning_the_same_selector_twice_gives_one_field() {
        let mut t = FieldTable::default();
        let a = t.intern(&Selector::keys(&["a", "b"]));
        let b = t.intern(&Selector::keys(&["a", "b"]));
        let c = t.intern(&Selector::keys(&["a"]));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let e = t.extract(r#"{"a":{"b":true}}"#).unwrap();
        assert_eq!(e.get(a), &FieldValue::Bool(true));
        assert_eq!(e.get(c), &FieldValue::Object);
    }

    #[test]
    fn escaped_strings_are_unescaped() {
        let (t, ids) = table(&["$.k\\u0065y", "$.key"]);
        let e = t.extract(r#"{"key":"caf\u00e9 \"q\""}"#).unwrap();
        assert_eq!(e.get(ids[1]).as_str(), Some("café \"q\""));
    }

    #[test]
    fn prefix_parsing_reports_the_value_length() {
        let (t, ids) = table(&["$.a"]);
        let data = r#"{"a":"x"} ,{"a":"y"}"#;
        let first = t.extract_prefix(data).unwrap();
        assert_eq!(first.len, 9);
        assert!(first.is_object());
        let e = first.into_event("{\"a\":\"x\"}");
        assert_eq!(e.get(ids[0]).as_str(), Some("x"));
        assert_eq!(t.extract_prefix("12 ").unwrap().len, 2);
        assert!(t.extract_prefix(r#"{"a":"#).unwrap_err().is_eof());
    }

    #[test]
    fn lone_surrogates_and_numbers_beyond_f64_are_read_not_refused() {
        let (t, ids) = table(&["$.user", "$.n", "$.k\u{fffd}", "$.ok"]);
        let json =
            r#"{"user":"al\ud800ice","n":1e400,"k\udc00":"key","ok":"\ud83d\ude00"} ,{"next":1}"#;
        let e = t.extract_prefix(json).unwrap();
        assert_eq!(e.len, json.find(" ,").unwrap());
        let len = e.len;
        let e = e.into_event(&json[..len]);
        assert_eq!(e.get(ids[0]).as_str(), Some("al\u{fffd}ice"));
        assert_eq!(e.get(ids[1]), &FieldValue::Null);
        assert_eq!(e.get(ids[2]).as_str(), Some("key"));
        assert_eq!(e.get(ids[3]).as_str(), Some("\u{1f600}"));
        // Cut before its end, the record asks for more data instead of failing.
        assert!(t.extract_prefix(&json[..20]).unwrap_err().is_eof());
        // A real error after a repaired value is still an error.
        assert!(!t
            .extract_prefix(r#"{"user":"\ud800","n":}"#)
            .unwrap_err()
            .is_eof());
    }

    #[test]
    fn non_objects_are_reported_and_invalid_json_is_an_error() {
        let (t, _) = table(&["$.a"]);
        assert!(!t.extract("[1,2]").unwrap().is_object());
        assert!(!t.extract("\"text\"").unwrap().is_object());
        assert!(t.extract(r#"{"a":}"#).is_err());
        assert!(t.extract(r#"{"a":1} x"#).is_err());
    }
}
