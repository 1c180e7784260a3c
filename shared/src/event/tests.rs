use super::selector::Selector;
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
