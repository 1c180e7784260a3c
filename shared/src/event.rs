//! One CloudTrail event as the rules see it: only the fields some rule needs, pulled out of the record's
//! JSON text in a single pass. Everything else is skipped by the parser without being built.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::lenient::{self, Repair};
use crate::rules::selector::{Selector, Step};

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

    /// The text a dimension gets from this value: strings as they are, numbers and booleans as JSON writes
    /// them; `None` for null, objects and arrays, which CloudWatch does not turn into dimension values.
    pub fn dimension_text(&self) -> Option<Cow<'_, str>> {
        match self {
            FieldValue::String(s) => Some(Cow::Borrowed(s.as_ref())),
            FieldValue::Number(n) => Some(Cow::Owned(format_number(*n))),
            FieldValue::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            _ => None,
        }
    }
}

/// Formats a number as JSON does: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
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
    keys: Vec<(Box<str>, usize)>,
    indexes: Vec<(usize, usize)>,
    field: Option<FieldId>,
}

/// The set of selectors a rule set reads, as a trie walked while the record is parsed.
#[derive(Debug)]
pub struct FieldTable {
    nodes: Vec<Node>,
    ids: HashMap<Selector, FieldId>,
    selectors: Vec<Selector>,
}

impl Default for FieldTable {
    fn default() -> Self {
        FieldTable {
            nodes: vec![Node::default()],
            ids: HashMap::new(),
            selectors: Vec::new(),
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
                    .find(|(n, _)| n == k)
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
                        Step::Key(k) => self.nodes[node].keys.push((k.clone(), child)),
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

    pub fn selector(&self, id: FieldId) -> &Selector {
        &self.selectors[id.0]
    }

    /// Parses the JSON value at the start of `text` (which may go on past it), keeping the registered
    /// fields. Returns them with the value's length in bytes.
    ///
    /// Lone surrogate escapes and numbers beyond f64, which serde_json refuses, are read as U+FFFD and
    /// null (see [`crate::lenient`]), so one odd value does not fail a whole log file.
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
        Ok(Extracted {
            fields,
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
            is_object: self.is_object,
        }
    }
}

/// A parsed record: its text (for term patterns) and the fields the rules read.
#[derive(Debug)]
pub struct Event<'a> {
    pub raw: &'a str,
    fields: Vec<FieldValue<'a>>,
    is_object: bool,
}

impl<'a> Event<'a> {
    pub fn get(&self, id: FieldId) -> &FieldValue<'a> {
        &self.fields[id.0]
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
            match node.keys.iter().find(|(k, _)| **k == *key) {
                Some(&(_, child)) => {
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
