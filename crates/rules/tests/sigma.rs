//! Every Sigma rule of the public test set (../shared/testdata/sigma, kept
//! out of the repository under the Detection Rule License) is either
//! compiled into a working rule or reported as unsupported with a reason.

use std::path::PathBuf;

use panoptes_rules::{load, read_sources, Level};

fn sigma_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/sigma/rules/linux")
}

#[test]
fn every_sigma_rule_compiles_or_is_reported() {
    let mut diagnostics = Vec::new();
    let sources = read_sources(&[sigma_dir()], &mut diagnostics);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(sources.len(), 210, "the test set has 210 rules");
    let set = load(&sources);
    let errors: Vec<String> =
        set.diagnostics.iter().filter(|d| d.level == Level::Error).map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "converted conditions must compile: {errors:#?}");
    let converted = set.rules.len();
    let unsupported = set.sigma_unsupported.len();
    assert_eq!(converted + unsupported, 210, "none dropped silently");
    for (source, title, reason) in &set.sigma_unsupported {
        assert!(!reason.is_empty(), "{source} ({title}) has no reason");
    }
    // Every converted rule carries the author credit and its Sigma source.
    for r in &set.rules {
        assert!(r.meta.source.starts_with("sigma:"), "{}", r.meta.id);
        assert!(r.meta.title.is_some(), "{}", r.meta.id);
    }
    let authored = set.rules.iter().filter(|r| r.meta.author.is_some()).count();
    assert!(authored as f64 >= converted as f64 * 0.95, "authors kept: {authored} of {converted}");
    eprintln!("sigma: {converted} converted, {unsupported} unsupported");
    assert!(converted * 100 >= 210 * 90, "converted {converted} of 210");
}

#[test]
fn most_sigma_process_rules_are_filed_by_executable_name() {
    let mut diagnostics = Vec::new();
    let sources = read_sources(&[sigma_dir()], &mut diagnostics);
    let engine = panoptes_rules::Engine::new(load(&sources), Default::default());
    let summary = engine.index_summary();
    eprintln!("{summary:?}");
    let (_, filed, rest) = summary.iter().find(|(k, _, _)| *k == event::EventKind::Exec).copied().unwrap();
    eprintln!("unfiled exec rules: {:?}", engine.unfiled(event::EventKind::Exec));
    assert!(filed > rest, "exec rules filed {filed}, run for every exec {rest}");
}

/// Sigma's network_connection is TCP/UDP over IP. A Unix-socket connect —
/// every bash started without HOME asks nscd for the user's name — is no
/// network connection: "Linux Reverse Shell Indicator" (bash connecting
/// anywhere but 127.0.0.1 / 0.0.0.0) must not fire on it.
#[test]
fn network_connection_rules_see_ip_connects_not_unix_sockets() {
    let mut diagnostics = Vec::new();
    let sources = read_sources(&[sigma_dir()], &mut diagnostics);
    let options = panoptes_rules::EngineOptions { actions: false, burst: 1000, ..Default::default() };
    let mut engine = panoptes_rules::Engine::new(load(&sources), options);
    let reverse_shell = "sigma-83dcd9f6-9ca8-4af7-a16e-a1c7a6b51871";
    let mut fired = |addr: serde_json::Value, pid: u32| -> Vec<String> {
        let event = panoptes_rules::testing::test_event(&serde_json::json!({
            "kind": "net_connect",
            "process": {"pid": pid, "exe": "/usr/bin/bash", "cmdline": "bash /root/.pyenv/shims/python3 -c print(1)"},
            "net": {"fd": 3, "addr": addr, "socket_type": "stream", "result": -2},
        }))
        .unwrap();
        let mut out = Vec::new();
        engine.process(&event, &mut out);
        out.iter().map(|a| a.rule.id.to_string()).collect()
    };
    let nscd = fired(serde_json::json!({"family": "unix", "path": "/var/run/nscd/socket"}), 10);
    assert!(nscd.is_empty(), "a Unix-socket connect raised {nscd:?}");
    let abstract_name = fired(serde_json::json!({"family": "unix", "path": "@/run/user/0/bus"}), 11);
    assert!(abstract_name.is_empty(), "{abstract_name:?}");
    assert_eq!(fired(serde_json::json!({"family": "inet", "ip": "127.0.0.1", "port": 4242}), 12), Vec::<String>::new());
    assert!(fired(serde_json::json!({"family": "inet", "ip": "10.0.0.1", "port": 4242}), 13)
        .contains(&reverse_shell.to_string()));
    assert!(fired(serde_json::json!({"family": "inet6", "ip": "2001:db8::1", "port": 4242}), 14)
        .contains(&reverse_shell.to_string()));
}
