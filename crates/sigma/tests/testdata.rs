//! The 210 Sigma Linux rules of shared/testdata/sigma: every file yields
//! one outcome, the converted ones are well-formed Panoptes rule items,
//! and the refused ones are refused for the documented reason.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use panoptes_sigma::{convert_dir, to_panoptes_yaml, Outcome, SigmaRule, Summary, Yaml};

fn yml_files(dir: &Path, root: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yml_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
}

fn outcomes() -> Vec<Outcome> {
    convert_dir(&common::linux_rules()).expect("the test rules are readable")
}

/// Every rule that is not converted, and why. 21 of 210: the mapping
/// converts 189 (90.0 %).
const REFUSED: &[(&str, &str)] = &[
    ("auditd/lnx_auditd_disable_aslr_protection.yml", "Panoptes does not trace syscall personality"),
    (
        "auditd/lnx_auditd_keylogging_with_pam_d.yml",
        "auditd record type TTY is not a syscall event: Panoptes has no counterpart for it",
    ),
    ("auditd/lnx_auditd_susp_c2_commands.yml", "audit rule keys are not in Panoptes events"),
    (
        "auditd/service_stop/lnx_auditd_disable_system_firewall.yml",
        "auditd record type SERVICE_STOP is not a syscall event: Panoptes has no counterpart for it",
    ),
    ("auditd/syscall/lnx_auditd_clean_disable_dmesg_logs_via_syslog.yml", "Panoptes does not trace syscall syslog"),
    (
        "auditd/syscall/lnx_auditd_create_account.yml",
        "auditd record type ADD_USER is not a syscall event: Panoptes has no counterpart for it",
    ),
    ("auditd/syscall/lnx_auditd_network_service_scanning.yml", "audit rule keys are not in Panoptes events"),
    ("auditd/syscall/lnx_auditd_susp_discovery_sysinfo_syscall.yml", "Panoptes does not trace syscall sysinfo"),
    (
        "auditd/syscall/lnx_auditd_susp_special_file_creation_via_mknod_syscall.yml",
        "Panoptes does not trace syscall mknod",
    ),
    ("builtin/clamav/lnx_clamav_relevant_message.yml", "needs the clamav log; Panoptes does not collect logs"),
    ("builtin/cron/lnx_cron_crontab_file_modification.yml", "needs the cron log; Panoptes does not collect logs"),
    ("builtin/guacamole/lnx_guacamole_susp_guacamole.yml", "needs the guacamole log; Panoptes does not collect logs"),
    ("builtin/sshd/lnx_sshd_susp_ssh.yml", "needs the sshd log; Panoptes does not collect logs"),
    (
        "builtin/syslog/lnx_syslog_security_tools_disabling_syslog.yml",
        "needs the syslog log; Panoptes does not collect logs",
    ),
    ("builtin/syslog/lnx_syslog_susp_named.yml", "needs the syslog log; Panoptes does not collect logs"),
    ("builtin/vsftpd/lnx_vsftpd_susp_error_messages.yml", "needs the vsftpd log; Panoptes does not collect logs"),
    (
        "network_connection/net_connection_lnx_crypto_mining_indicators.yml",
        "DestinationHostname: connect events carry addresses, not host names; Panoptes has no DNS data",
    ),
    (
        "network_connection/net_connection_lnx_domain_localtonet_tunnel.yml",
        "DestinationHostname: connect events carry addresses, not host names; Panoptes has no DNS data",
    ),
    (
        "network_connection/net_connection_lnx_ngrok_tunnel.yml",
        "DestinationHostname: connect events carry addresses, not host names; Panoptes has no DNS data",
    ),
    (
        "process_creation/proc_creation_lnx_omigod_scx_runasprovider_executescript.yml",
        "LogonId (login session) is not in Panoptes events",
    ),
    (
        "process_creation/proc_creation_lnx_omigod_scx_runasprovider_executeshellcommand.yml",
        "LogonId (login session) is not in Panoptes events",
    ),
];

#[test]
fn every_file_yields_exactly_one_outcome_in_path_order() {
    let root = common::linux_rules();
    let mut files = Vec::new();
    yml_files(&root, &root, &mut files);
    files.sort();
    assert_eq!(files.len(), 210, "shared/testdata/sigma holds 210 rules");
    let sources: Vec<String> = outcomes().iter().map(|o| o.source().to_string()).collect();
    assert_eq!(sources, files);
}

#[test]
fn converted_count_and_every_refusal_with_its_reason() {
    let outcomes = outcomes();
    let summary = Summary::of(&outcomes);
    println!("{summary}");
    let refused: BTreeMap<&str, &str> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Unsupported { source, reason, .. } => Some((source.as_str(), reason.as_str())),
            Outcome::Converted(_) => None,
        })
        .collect();
    assert_eq!(refused, REFUSED.iter().copied().collect::<BTreeMap<_, _>>());
    assert_eq!((summary.converted, summary.unsupported), (189, 21));
    assert_eq!(summary.by_reason["needs the syslog log; Panoptes does not collect logs"].len(), 2);
    let titled = outcomes.iter().all(|o| !matches!(o, Outcome::Unsupported { title: None, .. }));
    assert!(titled, "every refused test rule still reports its title");
}

fn converted() -> Vec<SigmaRule> {
    outcomes()
        .into_iter()
        .filter_map(|o| match o {
            Outcome::Converted(rule) => Some(rule),
            Outcome::Unsupported { .. } => None,
        })
        .collect()
}

/// The condition with the contents of its double-quoted strings removed
/// (`"…"` → `""`); `None` when a string is not closed.
fn without_strings(condition: &str) -> Option<String> {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in condition.chars() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => {
                in_string = false;
                out.push('"');
            }
            (true, false, _) => {}
            (false, _, c) => {
                in_string = c == '"';
                out.push(c);
            }
        }
    }
    (!in_string).then_some(out)
}

/// Parentheses balance and no group is empty.
fn balanced(skeleton: &str) -> bool {
    let mut depth = 0i32;
    for c in skeleton.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return false;
        }
    }
    depth == 0 && !skeleton.contains("()")
}

#[test]
fn converted_rules_are_well_formed() {
    let rules = converted();
    let mut ids = std::collections::BTreeSet::new();
    for rule in &rules {
        let at = &rule.source;
        assert_eq!(rule.id, format!("sigma-{}", rule.sigma_id.to_ascii_lowercase()), "{at}");
        assert!(rule.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c)), "{at}");
        assert!(ids.insert(rule.id.clone()), "{at}: duplicate id {}", rule.id);
        assert!(["info", "low", "medium", "high", "critical"].contains(&rule.severity.as_str()), "{at}");
        assert!(rule.author.is_some(), "{at}: the Detection Rule License asks for the author credit");
        assert!(rule.mitre.iter().all(|t| t.starts_with('T') && !t.contains("attack")), "{at}: {:?}", rule.mitre);
        assert!(rule.tags.iter().all(|t| !t.starts_with("attack.")), "{at}: {:?}", rule.tags);
        let skeleton = without_strings(&rule.condition).unwrap_or_else(|| panic!("{at}: open string"));
        assert!(balanced(&skeleton) && !skeleton.contains("  "), "{at}: {}", rule.condition);
        let anchor = match at.split('/').next() {
            Some("process_creation") => "kind == exec and exec.result == 0 and (",
            Some("file_event") => "kind in (file_open, file_rename) and file.result >= 0 and (kind == file_rename or file.reason == write) and (",
            Some("network_connection") => "kind == net_connect and net.addr.family in (inet, inet6) and (",
            _ => "",
        };
        assert!(rule.condition.starts_with(anchor), "{at}: {}", rule.condition);
        assert!(rule.output.starts_with(&rule.title.replace('{', "{{").replace('}', "}}")), "{at}");
        assert!(rule.output.ends_with("user {process.user})"), "{at}");
    }
    let levels: Vec<&str> = rules.iter().map(|r| r.severity.as_str()).collect();
    assert!(levels.contains(&"info") && levels.contains(&"critical"));
}

fn key<'a>(item: &'a Yaml, name: &str) -> &'a Yaml {
    &item[name]
}

fn list(item: &Yaml, name: &str) -> Vec<String> {
    key(item, name)
        .as_vec()
        .unwrap_or_else(|| panic!("{name} is a list"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn rendered_items_read_back_as_the_rule() {
    for rule in converted() {
        let text = to_panoptes_yaml(&rule);
        let docs =
            yaml_rust2::YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", rule.source));
        let items = docs[0].as_vec().expect("a rule file is a sequence");
        assert_eq!(items.len(), 1);
        let item = &items[0];
        assert_eq!(key(item, "rule").as_str(), Some(rule.id.as_str()));
        assert_eq!(key(item, "title").as_str(), Some(rule.title.as_str()));
        assert_eq!(key(item, "author").as_str(), rule.author.as_deref());
        assert_eq!(key(item, "description").as_str(), rule.description.as_deref());
        assert_eq!(key(item, "condition").as_str(), Some(rule.condition.as_str()));
        assert_eq!(key(item, "severity").as_str(), Some(rule.severity.as_str()));
        assert_eq!(key(item, "output").as_str(), Some(rule.output.as_str()));
        assert_eq!(key(item, "source").as_str(), Some(format!("sigma:{}", rule.source).as_str()));
        assert_eq!(list(item, "mitre"), rule.mitre);
        assert_eq!(list(item, "tags"), rule.tags);
        if !rule.references.is_empty() {
            assert_eq!(list(item, "references"), rule.references);
        }
        assert!(text.starts_with(&format!("# Sigma rule {} (", rule.sigma_id)));
        assert_eq!(text.lines().filter(|l| l.starts_with("# approximation: ")).count(), rule.notes.len());
    }
}

#[test]
fn approximations_are_noted() {
    for rule in converted() {
        let at = &rule.source;
        let noted = |part: &str| rule.notes.iter().any(|n| n.contains(part));
        if at.starts_with("file_event/") {
            assert!(noted("creating a file is not told apart"), "{at}");
        }
        if rule.condition.contains("event.strings") {
            assert!(noted("rather than log lines"), "{at}");
        }
        if rule.condition.contains("event.paths") {
            assert!(noted("PATH record names match any path"), "{at}");
        }
        if at.starts_with("builtin/") {
            assert!(noted("product-only rule"), "{at}");
        }
        if common::rule_text(at).contains("Initiated:") {
            assert!(noted("Initiated: 'true' always holds"), "{at}");
        }
    }
}
