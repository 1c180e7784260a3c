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

/// The fast walk (`event/fast.rs`) against serde_json: wherever it answers, it must agree; where it
/// cannot be sure, it must leave the value to serde_json.
mod fast_walk {
    use super::*;

    fn walk_table() -> FieldTable {
        table(&[
            "$.eventName",
            "$.n",
            "$.flag",
            "$.nothing",
            "$.userIdentity.type",
            "$.userIdentity.sessionContext.sessionIssuer.userName",
            "$.resources[1].ARN",
            "$.resources[0]",
            "$.additionalEventData",
            "$.list",
        ])
        .0
    }

    /// Values the walk takes in full: every kind, in read and in skipped places.
    const AGREED: &[&str] = &[
        r#"{"eventName":"StartInstances","n":42,"flag":true,"nothing":null}"#,
        r#"  {"eventName":"Zoë 東京 😀","n":-0.5e-3,"flag":false}"#,
        r#"{"n":-0,"eventName":"a","userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"userName":"ops"},"attributes":{"creationDate":"x"}}}}"#,
        r#"{"resources":[{"ARN":"a"},{"ARN":"b","x":[1,2,{"y":null}]},3],"list":[],"additionalEventData":{}}"#,
        r#"{"resources":["first",{"ARN":"b"}]}"#,
        r#"{"eventName":"esc\"aped\\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00"}"#,
        r#"{"skipped":"lone \ud800 surrogate and \uDFFF and \u0000","eventName":"x"}"#,
        r#"{"skipped":[0,1.5,-2,3e10,4E-2,5e+3,-0.0,1e400,123456789012345678901234567890],"n":1e308}"#,
        r#"{"skipped":{"a":{"b":{"c":[[[[{"d":[true,false,null]}]]]]}}},"eventName":"deep"}"#,
        r#"{"skipped":{"a":1,"b":[2,{"c":3,"d":"4"}],"e":{"f":{},"g":[]}},"eventName":"members"}"#,
        r#"{"skipped":{ "a" : 1 , "b" : [ 2 , 3 ] , "c" : { } },"n":2}"#,
        r#"{ "eventName" : "spaced" , "n" : 7 ,
            "skipped" : [ 1 , { "a" : "b" } ] }"#,
        r#"{"eventName":"first","eventName":"last","n":1,"n":{"o":1}}"#,
        r#"{"userIdentity":"not an object","resources":{"ARN":"not an array"}}"#,
        r#"{"n":18446744073709551615,"flag":-9223372036854775808}"#,
        r#"{"n":0.1,"flag":2.2250738585072014e-308,"nothing":9007199254740993}"#,
        r#"[1,2,3]"#,
        r#""a string""#,
        r#""esc\naped""#,
        r#"true"#,
        r#"{}"#,
        r#"{"a":1} trailing text is the framer's business"#,
    ];

    /// Values the walk must leave to serde_json: syntax errors, cut values, and what serde_json refuses
    /// to build where a rule reads it.
    const LEFT: &[&str] = &[
        r#"{"eventName":"cut"#,
        r#"{"eventName":"x","n":12"#,
        r#"{"skipped":[1,2"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":.5}"#,
        r#"{"a":-}"#,
        r#"{"a":1e}"#,
        r#"{"a":1e+}"#,
        r#"{"a":+1}"#,
        r#"{"a":[1,]}"#,
        r#"{"a":[,1]}"#,
        r#"{"a":{"b":1,}}"#,
        r#"{"a":{"b"}}"#,
        r#"{"a":{"b":1 "c":2}}"#,
        r#"{"a":{1:2}}"#,
        r#"{"a":[1}"#,
        r#"{"a":{"b":1]}"#,
        r#"{"a":tru}"#,
        r#"{"a":nul,"b":1}"#,
        r#"{"a":"bad \x escape"}"#,
        r#"{"a":"bad \u12G4 escape"}"#,
        "{\"a\":\"control \u{1} char\"}",
        "{\"a\":\"tab\tin a string\"}",
        r#"{"eventName":"lone \ud800 surrogate"}"#,
        r#"{"n":1e400}"#,
        r#"{"event\u004eame":"escaped key"}"#,
        r#"{"eventName":"x",}"#,
        r#"{"eventName" "x"}"#,
        r#"{"eventName":"x" "n":1}"#,
        r#"{"eventName":}"#,
        r#"x"#,
        r#"-"#,
        r#"123"#,
        r#""#,
        r#"   "#,
    ];

    #[test]
    fn agrees_with_serde_json_on_every_value_kind() {
        let t = walk_table();
        for json in AGREED {
            assert_eq!(t.fast_walk_agrees(json), Ok(true), "{json}");
        }
    }

    #[test]
    fn leaves_errors_cut_values_and_what_serde_json_refuses_to_serde_json() {
        let t = walk_table();
        for json in LEFT {
            assert_eq!(t.fast_walk_agrees(json), Ok(false), "{json}");
        }
    }

    #[test]
    fn agrees_on_every_cut_of_every_value() {
        // Every prefix is what a window may hold: the walk answers only where serde_json does the same.
        let t = walk_table();
        for json in AGREED.iter().chain(LEFT) {
            for end in (0..=json.len()).filter(|&i| json.is_char_boundary(i)) {
                let cut = &json[..end];
                assert!(
                    t.fast_walk_agrees(cut).is_ok(),
                    "{cut}: {:?}",
                    t.fast_walk_agrees(cut)
                );
            }
        }
    }

    #[test]
    fn follows_the_trie_64_levels_deep_and_leaves_deeper_walks_to_serde_json() {
        for (levels, walked) in [(63, true), (64, true), (65, false), (66, false)] {
            let keys: Vec<String> = (0..levels).map(|i| format!("k{i}")).collect();
            let mut t = FieldTable::default();
            let keys_ref: Vec<&str> = keys.iter().map(String::as_str).collect();
            t.intern(&Selector::keys(&keys_ref));
            let mut json = String::new();
            for key in &keys {
                json.push_str(&format!("{{\"{key}\":"));
            }
            json.push_str("\"deep\"");
            json.push_str(&"}".repeat(levels));
            assert_eq!(t.fast_walk_agrees(&json), Ok(walked), "{levels} levels");
            assert_eq!(
                t.extract(&json).unwrap().get(FieldId(0)).as_str(),
                Some("deep"),
                "{levels} levels"
            );
        }
    }

    #[test]
    fn finds_the_end_of_plain_string_bytes_in_every_lane() {
        for len in 0..70 {
            for at in 0..len {
                for stop in [b'"', b'\\', 0x00, 0x1f] {
                    let mut bytes = vec![b'a'; len];
                    // Bytes that are near the stop bytes but not stops: 0x20, 0x7f, non-ASCII.
                    for (i, b) in bytes.iter_mut().enumerate() {
                        *b = [b'a', 0x20, 0x7f, 0xc3, 0x21, 0x5d][i % 6];
                    }
                    bytes[at] = stop;
                    assert_eq!(fast::string_stop(&bytes, 0), at, "{bytes:?}");
                    if at > 0 {
                        assert_eq!(fast::string_stop(&bytes, 1), at, "{bytes:?}");
                    }
                }
            }
            let plain = vec![b'q'; len];
            assert_eq!(fast::string_stop(&plain, 0), len);
        }
    }
}
