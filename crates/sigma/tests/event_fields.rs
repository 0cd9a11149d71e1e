//! The converter writes Panoptes field names and syscall names as text; the
//! one definition of both is the event crate. Every field a converted test
//! rule uses must exist there with a type its operator accepts, and every
//! syscall the converter accepts must be one Panoptes events name.

mod common;

use event::fields::{self, ArgKind, FieldType};
use panoptes_sigma::{convert_dir, convert_str, Outcome};

/// The condition with string contents blanked, so values are not read as
/// field names.
fn skeleton(condition: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in condition.chars() {
        if !in_string {
            in_string = c == '"';
            out.push(c);
        } else if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_string = false;
            out.push(c);
        }
    }
    out
}

#[test]
fn every_field_used_exists_with_a_fitting_type() {
    let predicate = regex::Regex::new(
        r"(?:^|[\s(])([a-z_]+(?:\.[a-z_]+)*)(\[\d+\])? (ieq|iin|icontains|istartswith|iendswith|iglob|regex|==|in|cidr|exists|>=) ",
    )
    .unwrap();
    let outcomes = convert_dir(&common::linux_rules()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for outcome in &outcomes {
        let Outcome::Converted(rule) = outcome else { continue };
        let text = format!("{} ", skeleton(&rule.condition));
        for m in predicate.captures_iter(&text) {
            let (name, index, op) = (&m[1], m.get(2).is_some(), &m[3]);
            let def = fields::field(name).unwrap_or_else(|| panic!("{}: no field {name}", rule.source));
            if index {
                assert_eq!(def.arg, ArgKind::OptionalIndex, "{}: {name} takes no index", rule.source);
            }
            let fits = match op {
                "ieq" | "iin" | "icontains" | "istartswith" | "iendswith" | "iglob" | "regex" => {
                    def.ty == FieldType::Str
                }
                "cidr" => def.ty == FieldType::Ip,
                ">=" => def.ty == FieldType::Int,
                _ => true,
            };
            assert!(fits, "{}: {op} on {name} ({})", rule.source, def.ty.name());
            seen.insert(name.to_string());
        }
    }
    for expected in
        ["process.exe", "exec.argv", "file.target", "net.addr.ip", "net.addr.port", "event.paths", "event.strings"]
    {
        assert!(seen.contains(expected), "no converted rule uses {expected}");
    }
}

#[test]
fn syscalls_are_accepted_only_when_events_report_them() {
    let rule = |name: &str| {
        format!("title: t\nid: 00000000-0000-4000-8000-000000000001\nlogsource: {{product: linux, service: auditd}}\ndetection:\n  s:\n    type: SYSCALL\n    SYSCALL: {name}\n  condition: s\n")
    };
    for reported in ["connect", "memfd_create", "ptrace", "openat2", "chown32"] {
        assert!(matches!(convert_str(&rule(reported), "r.yml"), Outcome::Converted(_)), "{reported}");
    }
    for not_reported in ["fork", "clone3", "exit_group", "personality", "mknod"] {
        assert!(matches!(convert_str(&rule(not_reported), "r.yml"), Outcome::Unsupported { .. }), "{not_reported}");
    }
}
