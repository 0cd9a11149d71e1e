//! go-libaudit's auparse corpus: every line parses as the matching element
//! of its `.golden` array says (`null`: the line must be an error).
//!
//! Compared per record: type name, sequence, timestamp, rule keys, and the
//! whole `data` map (both ways: no key missing, none extra). go-libaudit
//! writes interpreted values into `data`; [`go_view`] applies the same
//! interpretations on top of our decoded fields, using this crate's tables
//! (arch, syscall, errno, signal names, SOCKADDR decoding), so the facts
//! are checked, not copied.
//!
//! Deliberate differences (the only ones):
//! * go-libaudit writes `"unset"` for 4294967295 in `auid`, `ses` and
//!   `old-auid` but not in `old-ses` or `old_auid`; we keep the number (the
//!   mapping needs it) and the comparison accepts `unset` ↔ `4294967295`.
//! * SELinux `subj=`/`obj=` contexts: go-libaudit splits them into
//!   `subj_user/role/domain/level/category`; we keep the context string,
//!   split here by [`split_context`].
//! * `key=`: go-libaudit moves it to `keys`; compared there.

mod common;

use std::collections::BTreeMap;

use panoptes_audit::decode::{self, AF_INET, AF_INET6, AF_UNIX};
use panoptes_audit::tables::{errno_name, signal_name};
use panoptes_audit::Record;
use serde_json::Value as Json;

const FILES: &[&str] = &[
    "audit-rhel6.log",
    "audit-rhel7.log",
    "audit-ubuntu14.log",
    "audit-ubuntu16.log",
    "audit-ubuntu17.log",
    "test2.log",
    "test3.log",
];

/// `user:role:type:level[:category]` → the go-libaudit keys.
fn split_context(prefix: &str, context: &str, out: &mut BTreeMap<String, String>) {
    let parts: Vec<&str> = context.splitn(5, ':').collect();
    if parts.len() < 4 {
        out.insert(prefix.to_string(), context.to_string());
        return;
    }
    for (name, value) in ["user", "role", "domain", "level", "category"].iter().zip(parts) {
        out.insert(format!("{prefix}_{name}"), value.to_string());
    }
}

/// Our record, interpreted the way go-libaudit's `data` is.
fn go_view(rec: &Record) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for field in rec.fields() {
        let Some(text) = field.value.text() else { continue };
        let text = text.into_owned();
        if text == "?" || text.is_empty() {
            continue;
        }
        match field.key {
            "arch" => {
                let arch = rec.arch().and_then(|a| a.name()).map(str::to_string);
                out.insert("arch".into(), arch.unwrap_or(text));
            }
            "syscall" => {
                out.insert("syscall".into(), rec.syscall_name().map(|s| s.into_owned()).unwrap_or(text));
            }
            "exit" => {
                let errno = rec.exit().and_then(errno_name).map(str::to_string);
                out.insert("exit".into(), errno.unwrap_or(text));
            }
            "success" | "res" => {
                let result = match rec.success() {
                    Some(true) => "success",
                    Some(false) => "fail",
                    None => "unknown",
                };
                out.insert("result".into(), result.into());
            }
            "key" => {}
            "subj" => split_context("subj", &text, &mut out),
            "obj" => split_context("obj", &text, &mut out),
            "sig" if rec.rtype.name() == "SECCOMP" => {
                let sig = text.parse().ok().and_then(signal_name).map(str::to_string);
                out.insert("sig".into(), sig.unwrap_or(text));
            }
            "saddr" => {
                let Some(info) = decode::sockaddr(rec, None) else { continue };
                out.insert("family".into(), info.family_name());
                match (info.family, info.ip, info.port, info.path) {
                    (AF_INET | AF_INET6, Some(ip), Some(port), _) => {
                        out.insert("addr".into(), ip.to_string());
                        out.insert("port".into(), port.to_string());
                    }
                    (AF_UNIX, _, _, Some(path)) => {
                        out.insert("path".into(), path);
                    }
                    _ => {
                        out.insert("saddr".into(), text);
                    }
                }
            }
            key => {
                out.entry(key.to_string()).or_insert(text);
            }
        }
    }
    out
}

fn check_record(file: &str, index: usize, line: &str, golden: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let mut fail = |what: String| problems.push(format!("{file}:{}: {what}", index + 1));
    let rec = match Record::parse_line(line) {
        Ok(rec) if golden.is_null() => {
            fail(format!("parsed, but the golden says it is an error: {rec:?}"));
            return problems;
        }
        Err(_) if golden.is_null() => return problems,
        Err(e) => {
            fail(format!("parse error {e}"));
            return problems;
        }
        Ok(rec) => rec,
    };
    let want_type = golden["record_type"].as_str().unwrap_or_default();
    if rec.rtype.name().to_lowercase() != want_type {
        fail(format!("type {} != {want_type}", rec.rtype.name()));
    }
    if Some(u64::from(rec.serial)) != golden["sequence"].as_u64() {
        fail(format!("sequence {} != {}", rec.serial, golden["sequence"]));
    }
    let ts = common::go_timestamp(rec.time.secs, rec.time.millis);
    if golden["@timestamp"].as_str() != Some(ts.as_str()) {
        fail(format!("timestamp {ts} != {}", golden["@timestamp"]));
    }
    let want_keys: Vec<String> = golden["keys"]
        .as_array()
        .map(|a| a.iter().filter_map(|k| k.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if rec.keys() != want_keys {
        fail(format!("keys {:?} != {want_keys:?}", rec.keys()));
    }
    let ours = go_view(&rec);
    let want: BTreeMap<String, String> = golden["data"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
        .unwrap_or_default();
    for (key, value) in &want {
        match ours.get(key) {
            Some(got) if got == value => {}
            Some(got) if value == "unset" && got == "4294967295" => {}
            Some(got) => fail(format!("{key}: {got:?} != {value:?}")),
            None => fail(format!("{key} missing (want {value:?})")),
        }
    }
    for (key, value) in &ours {
        if !want.contains_key(key) {
            fail(format!("extra {key}={value:?}"));
        }
    }
    problems
}

#[test]
fn auparse_corpus_matches_goldens() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in FILES {
        let lines = common::lines(&format!("go-libaudit/auparse/testdata/{file}"));
        let golden: Json = serde_json::from_str(&common::read(&format!("go-libaudit/auparse/testdata/{file}.golden")))
            .expect("golden is JSON");
        let golden = golden.as_array().expect("golden is an array");
        assert_eq!(lines.len(), golden.len(), "{file}: lines vs golden elements");
        for (i, (line, want)) in lines.iter().zip(golden).enumerate() {
            problems.extend(check_record(file, i, line, want));
            checked += 1;
        }
    }
    assert_eq!(checked, 84);
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
