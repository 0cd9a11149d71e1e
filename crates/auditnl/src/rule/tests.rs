//! Rule encoder tests: golden bytes from go-libaudit's auditctl corpus
//! (read in place from `shared/testdata`, not copied), round trips, and the
//! Panoptes rule set.

use std::path::PathBuf;

use base64::Engine;

use super::*;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/audit/go-libaudit/rule/testdata")
}

/// `(rule text, expected bytes)` from one `*.golden.yml` / `rule_data.yml`.
/// The files are plain: `- flags: <text>` (folded onto indented lines when
/// long), `  bytes: !!binary |`, then indented base64 lines.
fn golden_rules(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut flags: Option<String> = None;
    let mut b64: Option<String> = None;
    let mut flush = |flags: &mut Option<String>, b64: &mut Option<String>| {
        if let (Some(f), Some(b)) = (flags.take(), b64.take()) {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b.as_bytes()).expect("golden base64");
            out.push((f, bytes));
        }
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("- flags: ") {
            flush(&mut flags, &mut b64);
            flags = Some(rest.trim().to_string());
        } else if line.trim_start().starts_with("bytes: !!binary") {
            b64 = Some(String::new());
        } else if line.starts_with("    ") {
            match (&mut b64, &mut flags) {
                (Some(b), _) => b.push_str(line.trim()),
                (None, Some(f)) => {
                    f.push(' ');
                    f.push_str(line.trim());
                }
                _ => {}
            }
        }
    }
    flush(&mut flags, &mut b64);
    out
}

/// The rule bytes without the zero padding after the string buffer (the
/// auditctl goldens are padded to 4 bytes, `rule_data.yml` is not).
fn unpadded(b: &[u8]) -> &[u8] {
    let buflen = b.get(FIXED_LEN - 4..FIXED_LEN).map(|w| u32::from_ne_bytes([w[0], w[1], w[2], w[3]]) as usize);
    let end = FIXED_LEN + buflen.unwrap_or(0);
    assert!(b.get(end..).unwrap_or_default().iter().all(|x| *x == 0), "non-zero bytes after the buffer");
    b.get(..end).unwrap_or(b)
}

#[test]
fn golden_auditctl_corpus() {
    let dir = corpus_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("golden corpus {} missing: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.to_string_lossy().ends_with(".yml"));
    files.sort();
    let (mut matched, mut unsupported, mut failures) = (0, Vec::new(), Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (flags, expected) in golden_rules(&text) {
            match Rule::parse(&flags) {
                Err(RuleError::Unsupported(why)) => unsupported.push(format!("{flags}  ({why})")),
                Err(e) => failures.push(format!("{flags}: parse error {e}")),
                Ok(rule) => {
                    let got = rule.to_bytes().unwrap();
                    if unpadded(&got) != unpadded(&expected) {
                        failures.push(format!(
                            "{flags}: bytes differ\n got {:?}\nwant {:?}",
                            rule,
                            Rule::from_bytes(&expected)
                        ));
                        continue;
                    }
                    // And the kernel form decodes back to the same rule.
                    assert_eq!(Rule::from_bytes(&expected).unwrap(), rule, "{flags}");
                    matched += 1;
                }
            }
        }
    }
    println!("golden rules: {matched} matched, {} unsupported:", unsupported.len());
    for u in &unsupported {
        println!("  unsupported: {u}");
    }
    assert!(failures.is_empty(), "{} golden mismatches:\n{}", failures.len(), failures.join("\n"));
    // Everything but i386 syscall names and message type names is supported.
    assert!(matched >= 90, "only {matched} golden rules matched");
    assert!(
        unsupported.iter().all(|u| u.contains("arch 0x40000003") || u.contains("message type")),
        "{unsupported:#?}"
    );
}

#[test]
fn panoptes_rules_match_their_auditctl_text() {
    let rules = panoptes_rules().unwrap();
    let main = format!("-a always,exit -F arch=b64 -S {} -F key=panoptes", PANOPTES_SYSCALLS.join(","));
    assert_eq!(rules[0], Rule::parse(&main).unwrap());
    assert_eq!(rules[1], Rule::parse("-a always,exit -F arch=b64 -S open -F a1&0x243 -F key=panoptes").unwrap());
    assert_eq!(rules[2], Rule::parse("-a exit,always -F arch=b64 -S openat -F a2&0x243 -k panoptes").unwrap());
    assert!(rules.iter().all(|r| r.key() == Some(PANOPTES_KEY)));
    assert!(rules[0].has_syscall(59) && rules[0].has_syscall(42) && !rules[0].has_syscall(2));
    for r in &rules {
        assert_eq!(&Rule::from_bytes(&r.to_bytes().unwrap()).unwrap(), r);
    }
}

#[test]
fn text_errors_are_specific() {
    assert!(matches!(Rule::parse("-a always,exit -S nosuchcall"), Err(RuleError::UnknownSyscall(_))));
    assert!(matches!(Rule::parse("-a always,exit -F arch=b32 -S open"), Err(RuleError::Unsupported(_))));
    assert!(matches!(Rule::parse("-a always"), Err(RuleError::Syntax(_))));
    assert!(matches!(Rule::parse("-a always,exit -F nofield=1"), Err(RuleError::Unsupported(_))));
    assert!(matches!(Rule::parse("-a always,exit -F uid"), Err(RuleError::Syntax(_))));
    assert!(matches!(Rule::parse("-w '/tmp/x"), Err(RuleError::Syntax(_))));
    assert!(matches!(Rule::parse("-a always,exit -S"), Err(RuleError::Syntax(_))));
}

#[test]
fn string_limits_are_checked() {
    let mut r = Rule::new(FilterList::Exit, Action::Always);
    r.string(field::FILTERKEY, Op::Eq, &"k".repeat(MAX_KEY_LEN + 1));
    assert!(matches!(r.to_bytes(), Err(RuleError::StringLength { .. })));
    let mut r = Rule::new(FilterList::Exit, Action::Always);
    r.num(field::FILTERKEY, Op::Eq, 3);
    assert!(matches!(r.to_bytes(), Err(RuleError::FieldType(field::FILTERKEY))));
}

proptest::proptest! {
    #[test]
    fn from_bytes_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1200)) {
        let _ = Rule::from_bytes(&bytes);
    }

    #[test]
    fn numeric_rules_round_trip(nrs in proptest::collection::vec(0u32..2000, 0..20), a0 in proptest::prelude::any::<u32>()) {
        let mut r = Rule::new(FilterList::Exit, Action::Always);
        for nr in nrs {
            r.add_syscall_nr(nr).unwrap();
        }
        r.num(field::ARG0, Op::Ge, a0).string(field::FILTERKEY, Op::Eq, "k");
        proptest::prop_assert_eq!(Rule::from_bytes(&r.to_bytes().unwrap()).unwrap(), r);
    }
}
