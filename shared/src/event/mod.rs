//! One CloudTrail event as the rules see it: only the fields some rule needs, pulled out of the record's
//! JSON text in a single pass. Everything else is skipped by the parser without being built.

mod extract;
mod fast;
mod lenient;
pub mod selector;
mod table;

pub use extract::Extracted;
pub use table::{FieldTable, SetBit};

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

use self::lenient::Repair;
use self::selector::{Wildcard, WildcardSelector};
use crate::text::format_number;
use extract::{field_value, follow};
use table::SET_FIELDS;

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

#[cfg(test)]
mod tests;
