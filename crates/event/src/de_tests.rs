//! Reading events back: every kind round-trips, partial events take
//! defaults, malformed input is an error naming what is wrong, and no
//! input panics.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::samples;
use crate::*;

/// The event's JSON with its keys in another order: the body first, then
/// the rest, `kind` last.
fn body_first(ev: &Event) -> String {
    let Value::Object(map) = serde_json::from_str::<Value>(&ev.to_json()).unwrap() else { panic!() };
    let key = ev.kind().body_key();
    let mut parts = vec![format!("{:?}:{}", key, map[key])];
    for (k, v) in &map {
        if k != key && k != "kind" {
            parts.push(format!("{k:?}:{v}"));
        }
    }
    parts.push(format!("\"kind\":{}", map["kind"]));
    format!("{{{}}}", parts.join(","))
}

#[test]
fn every_kind_round_trips() {
    let events = samples::all_kinds();
    assert_eq!(events.len(), EventKind::ALL.len());
    for ev in events {
        let json = ev.to_json();
        assert_eq!(Event::from_json(&json).unwrap(), ev, "{json}");
        let reordered = body_first(&ev);
        assert!(!reordered.starts_with("{\"kind\""), "{reordered}");
        assert_eq!(Event::from_json(&reordered).unwrap(), ev, "{reordered}");
        // On the host, with nothing known about the process.
        let bare = Event { container: None, process: Process::default().into(), ..ev };
        assert_eq!(Event::from_json(&bare.to_json()).unwrap(), bare);
    }
}

#[test]
fn partial_event_from_a_rule_test() {
    let ev = Event::from_json(r#"{"kind":"exec","process":{"exe":"/tmp/x"},"exec":{"file":"/tmp/x","argv":["x"]}}"#)
        .unwrap();
    let expected = Event {
        time_boot_ns: 0,
        time_unix_ns: 0,
        process: Process { exe: Some("/tmp/x".into()), ..Process::default() }.into(),
        container: None,
        body: Body::Exec(Exec { file: Some("/tmp/x".into()), argv: vec!["x".into()], ..Exec::default() }),
    };
    assert_eq!(ev, expected);
}

#[test]
fn missing_body_and_header_take_defaults() {
    for kind in EventKind::ALL {
        let ev = Event::from_json(&format!("{{\"kind\":\"{kind}\"}}")).unwrap();
        assert_eq!(ev.kind(), *kind);
        assert_eq!(ev.body, Body::default_for(*kind));
        assert_eq!((ev.time_unix_ns, ev.time_boot_ns, &*ev.process, &ev.container), (0, 0, &Process::default(), &None));
    }
}

#[test]
fn partial_bodies_and_times() {
    let ev = Event::from_json(
        r#"{"kind":"file_open","time":"2026-11-23T12:00:00.5Z","container":{"image":"alpine"},
            "file":{"path":"/etc/shadow","reason":"watched","flags_names":["O_RDONLY"],"syscall":"openat"}}"#,
    )
    .unwrap();
    assert_eq!(ev.time_unix_ns, 1_795_435_200_500_000_000);
    assert_eq!(ev.container.as_ref().and_then(|c| c.image.as_deref()), Some("alpine"));
    let Body::FileOpen(o) = ev.body else { panic!() };
    assert_eq!((o.path.as_str(), o.reason, o.syscall, o.result), ("/etc/shadow", OpenReason::Watched, "openat", 0));
    assert_eq!(o.flags_names, vec!["O_RDONLY"]);

    let ev = Event::from_json(r#"{"kind":"net_connect","net":{"addr":{"family":"inet","ip":"10.1.2.3","port":53}}}"#)
        .unwrap();
    let Body::NetConnect(n) = ev.body else { panic!() };
    assert_eq!(n.addr, Some(SockAddr::Inet { ip: "10.1.2.3".parse().unwrap(), port: 53 }));

    // A name no table has is kept (interned), not refused.
    let ev = Event::from_json(r#"{"kind":"kill","kill":{"syscall":"pidfd_send_signal","signal":9}}"#).unwrap();
    let Body::Kill(k) = ev.body else { panic!() };
    assert_eq!((k.syscall, k.signal), ("pidfd_send_signal", 9));
}

fn error_of(json: &str) -> String {
    match Event::from_json(json) {
        Ok(ev) => panic!("{json} parsed: {ev:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn errors_name_what_is_wrong() {
    let cases: &[(&str, &[&str])] = &[
        (r#"{"kind":"exek"}"#, &["unknown event kind `exek`", "exec, fork"]),
        (r#"{"process":{"pid":1}}"#, &["missing field `kind`"]),
        (r#"{}"#, &["missing field `kind`"]),
        (r#"{"kind":"exec","file":{"path":"/x"}}"#, &["unknown key `file`", "`exec` event", "exec)"]),
        (r#"{"file":{"path":"/x"},"kind":"exec"}"#, &["unknown key `file`", "`exec` event"]),
        (r#"{"kind":"exec","proces":{}}"#, &["unknown key `proces`"]),
        (r#"{"kind":"exec","kind":"exec"}"#, &["duplicate field `kind`"]),
        (r#"{"kind":"exec","exec":{},"exec":{}}"#, &["duplicate field `exec`"]),
        (r#"{"exec":{},"kind":"exec","exec":{}}"#, &["duplicate field `exec`"]),
        (r#"{"kind":"exec","exec":{"fiel":"/x"}}"#, &["unknown field `fiel`", "filename"]),
        (r#"{"kind":"exec","process":{"pid":"1"}}"#, &["invalid type: string \"1\", expected u32"]),
        (r#"{"kind":"exec","process":{"pid":-1}}"#, &["invalid value: integer `-1`"]),
        (r#"{"kind":"exec","exec":{"argv":"ls -la"}}"#, &["invalid type: string \"ls -la\", expected a sequence"]),
        (r#"{"exec":{"argv":"ls"},"kind":"exec"}"#, &["invalid type: string \"ls\", expected a sequence"]),
        (r#"{"kind":"exec","exec":null}"#, &["invalid type: null"]),
        (r#"{"kind":"file_open","file":{"syscall":7}}"#, &["invalid type: integer `7`, expected a string"]),
        (r#"{"kind":"file_open","file":{"reason":"curious"}}"#, &["unknown variant `curious`"]),
        (r#"{"kind":"exec","time":"yesterday"}"#, &["`time` \"yesterday\" is not an RFC 3339 time"]),
        (r#"{"kind":7}"#, &["invalid type: integer `7`, expected an event kind name"]),
        (r#"[1,2]"#, &["invalid type: sequence, expected an event object"]),
        (r#"{"kind":"exec"} trailing"#, &["trailing characters"]),
    ];
    for (json, wanted) in cases {
        let err = error_of(json);
        for w in *wanted {
            assert!(err.contains(w), "{json}: {err:?} lacks {w:?}");
        }
    }
    let long = format!(r#"{{"kind":"kill","kill":{{"syscall":"{}"}}}}"#, "s".repeat(intern::MAX_INTERNED_LEN + 1));
    assert!(error_of(&long).contains("cannot keep the name"), "{}", error_of(&long));
}

#[test]
fn alert_lines_are_not_events() {
    let err = error_of(&samples::alert().to_json());
    assert!(err.contains("unknown event kind `alert`"), "{err}");
}

/// The sample events' JSON, for mutation.
fn sample_lines() -> Vec<String> {
    samples::all_kinds().iter().map(Event::to_json).collect()
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,300}") {
        let _ = Event::from_json(&s);
    }

    #[test]
    fn json_like_strings_never_panic(s in r#"[{}\[\]":,a-z0-9_ .-]{0,200}"#) {
        let _ = Event::from_json(&s);
    }

    #[test]
    fn mutated_events_never_panic(which in 0usize..64, at in 0usize..4096, byte in any::<u8>(), cut in any::<bool>()) {
        let lines = sample_lines();
        let mut bytes = lines[which % lines.len()].clone().into_bytes();
        let at = at % bytes.len();
        if cut {
            bytes.truncate(at);
        } else {
            bytes[at] = byte;
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = Event::from_json(&text);
    }

    #[test]
    fn arbitrary_json_values_never_panic(v in arb_json()) {
        let _ = Event::from_json(&v.to_string());
        let mut with_kind = json!({"kind": "exec"});
        with_kind["exec"] = v.clone();
        let _ = Event::from_json(&with_kind.to_string());
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z_]{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("kind|exec|process|pid|argv|file|[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
