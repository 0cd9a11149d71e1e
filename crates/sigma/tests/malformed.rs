//! Untrusted input never panics: random text, test rules with random
//! damage, and random documents shaped like Sigma rules all end in an
//! `Outcome`.

mod common;

use panoptes_sigma::{convert_str, to_panoptes_yaml, Outcome};
use proptest::prelude::*;

fn check(text: &str) {
    match convert_str(text, "fuzz.yml") {
        Outcome::Converted(rule) => {
            assert!(!rule.condition.is_empty());
            assert!(to_panoptes_yaml(&rule).starts_with("# Sigma rule "));
        }
        Outcome::Unsupported { reason, .. } => assert!(!reason.is_empty()),
    }
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_string()),
        Just("''".to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        "[a-zA-Z0-9/ .*?\\\\\\[\\]{}\"-]{0,12}".prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("*alias".to_string()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    let fields = prop::sample::select(vec![
        "Image",
        "CommandLine",
        "ParentImage",
        "TargetFilename",
        "DestinationIp",
        "DestinationPort",
        "Initiated",
        "type",
        "a0",
        "a1",
        "name",
        "SYSCALL",
        "exe",
        "key",
        "",
        "User",
        "LogonId",
    ]);
    let mods = prop::collection::vec(
        prop::sample::select(vec!["contains", "startswith", "endswith", "all", "re", "cidr", "base64", ""]),
        0..3,
    );
    (fields, mods).prop_map(|(f, m)| if m.is_empty() { f.to_string() } else { format!("{f}|{}", m.join("|")) })
}

fn entry() -> impl Strategy<Value = String> {
    (key(), prop::collection::vec(scalar(), 1..4)).prop_map(|(k, v)| format!("'{k}': [{}]", v.join(", ")))
}

fn selection() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(entry(), 0..4).prop_map(|e| format!("{{{}}}", e.join(", "))),
        prop::collection::vec(scalar(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
        prop::collection::vec(prop::collection::vec(entry(), 1..3), 1..3).prop_map(|maps| format!(
            "[{}]",
            maps.iter().map(|m| format!("{{{}}}", m.join(", "))).collect::<Vec<_>>().join(", ")
        )),
        scalar(),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "sel_a",
        "sel_b",
        "filter",
        "and",
        "or",
        "not",
        "(",
        ")",
        "1 of sel_*",
        "all of them",
        "|",
        "2 of x",
        "of",
    ]);
    prop::collection::vec(words, 0..8).prop_map(|w| w.join(" "))
}

fn sigma_like() -> impl Strategy<Value = String> {
    let logsource = prop::sample::select(vec![
        "{product: linux, category: process_creation}",
        "{product: linux, category: file_event}",
        "{product: linux, category: network_connection}",
        "{product: linux, service: auditd}",
        "{product: linux}",
        "{product: linux, service: sshd}",
        "linux",
    ]);
    (logsource, selection(), selection(), selection(), condition()).prop_map(|(ls, a, b, f, c)| {
        format!(
            "title: fuzz\nid: 0\nlevel: high\ntags: [attack.t1]\nlogsource: {ls}\ndetection:\n  sel_a: {a}\n  sel_b: {b}\n  filter: {f}\n  condition: '{}'\n",
            c.replace('\'', "''")
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn sigma_shaped_documents_never_panic(text in sigma_like()) {
        check(&text);
    }

    #[test]
    fn damaged_test_rules_never_panic(index in 0usize..1000, cut in 0usize..4000, insert in "[\\[\\]{}:|*'\"\\-\n ]{0,3}") {
        let mut files = Vec::new();
        for dir in ["process_creation", "auditd/execve", "builtin", "file_event", "network_connection"] {
            let mut names: Vec<_> = std::fs::read_dir(common::linux_rules().join(dir)).unwrap()
                .map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
            names.sort();
            files.extend(names);
        }
        let text = std::fs::read_to_string(&files[index % files.len()]).unwrap();
        let mut at = cut.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        check(&format!("{}{insert}{}", &text[..at], &text[at..]));
        check(&text[..at]);
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    check(&format!(
        "title: x\nlogsource: {{product: linux}}\ndetection:\n  s: [a]\n  condition: {}s{}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    ));
    check(&format!(
        "title: x\nlogsource: {{product: linux}}\ndetection:\n  s: {}a{}\n  condition: s\n",
        "[".repeat(2000),
        "]".repeat(2000)
    ));
}
