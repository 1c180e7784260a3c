//! Describing a JSON value that was not what was expected, for error messages about events.

use serde_json::Value;

/// The first keys of an object (`Records, detail-type`), or what the value is instead.
pub(crate) fn keys_of(v: &Value) -> String {
    match v.as_object() {
        Some(o) if o.is_empty() => "none".into(),
        Some(o) => o
            .keys()
            .take(8)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        None => format!("none: it is a JSON {}", json_type(v)),
    }
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
