//! Loader and engine end to end on hand-written rules and events.

use event::{Action, Event};
use panoptes_rules::{load, testing, Engine, EngineOptions, Level, Source};

use serde_json::json;

fn ev(v: serde_json::Value) -> Event {
    testing::test_event(&v).unwrap()
}

fn engine(text: &str) -> Engine {
    let set = load(&[Source::text("t.yml", text)]);
    let errors: Vec<String> =
        set.diagnostics.iter().filter(|d| d.level == Level::Error).map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    Engine::new(set, EngineOptions { actions: false, ..EngineOptions::default() })
}

const RULES: &str = r#"
- list: shells
  items: [sh, bash, dash]
- macro: shell_exec
  condition: kind == exec and exec.result == 0 and process.name in (shells)
- rule: shell_from_web
  description: A web server started a shell.
  condition: shell_exec and process.parent.name in (nginx, httpd)
  severity: critical
  mitre: [T1505.003]
  tags: [webshell]
  output: "shell {process.exe} under {process.parent.exe} in {container.name}"
- rule: setuid_chmod
  condition: kind == file_chmod and file.mode & 0o6000 != 0 and file.result == 0
  severity: high
  mitre: [T1548.001]
- rule: shadow_read
  condition: kind == file_open and file.path == /etc/shadow and not process.name in (sshd, passwd)
  severity: high
- exception: shadow_read
  name: login
  condition: process.name == login
- sequence: dropped_then_run
  by: lineage
  within: 10s
  steps:
    - name: drop
      condition: kind == file_open and file.reason == write and file.path startswith /tmp/
    - name: run
      condition: kind == exec and exec.file == $drop.file.path
  severity: high
  output: "{process.exe} ran the file {exec.file} written earlier"
"#;

#[test]
fn rules_fire_with_messages_and_metadata() {
    let mut e = engine(RULES);
    let mut out = Vec::new();
    e.process(
        &ev(json!({"kind":"exec","time":"2026-11-23T10:00:00.000000001Z","process":{"pid":10,"exe":"/usr/bin/bash",
            "ancestors":[{"pid":9,"exe":"/usr/sbin/nginx"}]},
            "container":{"id":"abc","name":"web","runtime":"docker","labels":{}},"exec":{"file":"/usr/bin/bash"}})),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    let a = &out[0];
    assert_eq!(a.rule.id, "shell_from_web");
    assert_eq!(a.message, "shell /usr/bin/bash under /usr/sbin/nginx in web");
    assert_eq!(a.mitre, vec!["T1505.003"]);
    assert_eq!(a.container.as_ref().unwrap().name.as_deref(), Some("web"));
    assert_eq!(a.events.len(), 1);
    assert_eq!(a.action, Action::Alert);
    let j: serde_json::Value = serde_json::from_str(&a.to_json()).unwrap();
    assert_eq!(j["kind"], "alert");
    assert_eq!(j["severity"], "critical");
    assert_eq!(j["time"], "2026-11-23T10:00:00.000000001Z");
    assert_eq!(j["process"]["pid"], 10);

    out.clear();
    e.process(
        &ev(json!({"kind":"exec","process":{"exe":"/usr/bin/bash","ancestors":[{"pid":9,"exe":"/usr/bin/sshd"}]}})),
        &mut out,
    );
    e.process(&ev(json!({"kind":"file_chmod","file":{"path":"/tmp/x","mode":0o4755,"result":0}})), &mut out);
    e.process(&ev(json!({"kind":"file_chmod","file":{"path":"/tmp/y","mode":0o755,"result":0}})), &mut out);
    e.process(
        &ev(json!({"kind":"file_open","process":{"exe":"/usr/bin/cat"},"file":{"path":"/etc/shadow"}})),
        &mut out,
    );
    e.process(&ev(json!({"kind":"file_open","process":{"exe":"/bin/login"},"file":{"path":"/etc/shadow"}})), &mut out);
    let ids: Vec<&str> = out.iter().map(|a| a.rule.id.as_str()).collect();
    assert_eq!(ids, ["setuid_chmod", "shadow_read"]);
}

#[test]
fn sequences_follow_lineage_and_expire() {
    let mut e = engine(RULES);
    let mut out = Vec::new();
    let s = 1_000_000_000u64;
    // curl (child of the shell 100) writes /tmp/p; the shell's other child runs it.
    e.process(
        &ev(json!({"kind":"file_open","time_boot_ns":s,"process":{"pid":101,"exec_id":"c","exe":"/usr/bin/curl",
        "ancestors":[{"pid":100,"exec_id":"sh"}]},"file":{"path":"/tmp/p","reason":"write"}})),
        &mut out,
    );
    e.process(
        &ev(json!({"kind":"exec","time_boot_ns":2*s,"process":{"pid":102,"exec_id":"r","exe":"/tmp/p",
        "ancestors":[{"pid":100,"exec_id":"sh"}]},"exec":{"file":"/tmp/other"}})),
        &mut out,
    );
    assert!(out.is_empty(), "a different file must not complete it");
    e.process(
        &ev(json!({"kind":"exec","time_boot_ns":3*s,"process":{"pid":103,"exec_id":"r2","exe":"/tmp/p",
        "ancestors":[{"pid":100,"exec_id":"sh"}]},"exec":{"file":"/tmp/p"}})),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].rule.id, "dropped_then_run");
    assert_eq!(out[0].events.len(), 2);
    assert_eq!(out[0].message, "/tmp/p ran the file /tmp/p written earlier");
    // An unrelated lineage does not complete it, and the window expires.
    out.clear();
    e.process(
        &ev(json!({"kind":"file_open","time_boot_ns":4*s,"process":{"pid":201,"exec_id":"w",
        "ancestors":[{"pid":200,"exec_id":"sh2"}]},"file":{"path":"/tmp/q","reason":"write"}})),
        &mut out,
    );
    e.process(
        &ev(json!({"kind":"exec","time_boot_ns":5*s,"process":{"pid":301,"exec_id":"x",
        "ancestors":[{"pid":300,"exec_id":"other"}]},"exec":{"file":"/tmp/q"}})),
        &mut out,
    );
    e.process(
        &ev(json!({"kind":"exec","time_boot_ns":20*s,"process":{"pid":202,"exec_id":"late",
        "ancestors":[{"pid":200,"exec_id":"sh2"}]},"exec":{"file":"/tmp/q"}})),
        &mut out,
    );
    assert!(out.is_empty());
}

#[test]
fn rate_limit_suppresses_and_reports_counts() {
    let mut e = Engine::new(
        load(&[Source::text("t.yml", RULES)]),
        EngineOptions {
            burst: 2,
            window: std::time::Duration::from_secs(60),
            actions: false,
            max_partials: 16,
            index: true,
        },
    );
    let mut out = Vec::new();
    for i in 0..10u64 {
        let t = i * 1_000_000;
        e.process(&ev(json!({"kind":"file_chmod","time_boot_ns":t,"process":{"pid":5,"exec_id":"p5"},"file":{"path":"/x","mode":0o4755}})), &mut out);
    }
    assert_eq!(out.len(), 2);
    assert_eq!(e.stats().suppressed, 8);
    // Next window: the first alert carries the suppressed count.
    e.process(&ev(json!({"kind":"file_chmod","time_boot_ns":61_000_000_000u64,"process":{"pid":5,"exec_id":"p5"},"file":{"path":"/x","mode":0o4755}})), &mut out);
    assert_eq!(out.len(), 3);
    assert_eq!(out[2].suppressed, 8);
    // Another process is not limited by the first.
    e.process(&ev(json!({"kind":"file_chmod","time_boot_ns":5,"process":{"pid":6,"exec_id":"p6"},"file":{"path":"/x","mode":0o4755}})), &mut out);
    assert_eq!(out.len(), 4);
}

#[test]
fn kind_index_keeps_rules_off_other_kinds() {
    let mut e = engine(RULES);
    let mut out = Vec::new();
    e.process(&ev(json!({"kind":"net_connect","net":{"addr":{"family":"inet","ip":"127.0.0.1","port":1}}})), &mut out);
    assert_eq!(e.stats().rule_evaluations, 0);
    e.process(&ev(json!({"kind":"file_chmod","file":{"path":"/x"}})), &mut out);
    assert_eq!(e.stats().rule_evaluations, 1);
}

#[test]
fn errors_have_file_line_column_and_other_rules_still_load() {
    let text = "- rule: good\n  condition: kind == exec\n- rule: bad\n  condition: kind == exec and process.nmae == x\n- rule: bad2\n  condition: >\n    kind == exec and\n    exec.result == zero\n- rule: bad3\n  condition: kind == exec\n  severity: huge\n- rule: good\n  condition: kind == exit\n- rule: typo\n  conditon: kind == exec\n";
    let set = load(&[Source::text("my.yml", text)]);
    let msgs: Vec<String> = set.diagnostics.iter().map(|d| d.to_string()).collect();
    let find =
        |s: &str| msgs.iter().find(|m| m.contains(s)).cloned().unwrap_or_else(|| panic!("no `{s}` in {msgs:#?}"));
    assert!(find("unknown field `process.nmae`").starts_with("my.yml:4:31: error:"), "{msgs:#?}");
    assert!(find("did you mean").contains("process.name"));
    assert!(find("is not a number").starts_with("my.yml:8:20: error:"), "{msgs:#?}");
    assert!(find("severity").starts_with("my.yml:11:13"), "{msgs:#?}");
    assert!(find("duplicate rule id `good`").starts_with("my.yml:12:"));
    assert!(find("unknown key `conditon`").starts_with("my.yml:15:3"));
    assert!(set.has_errors());
    assert_eq!(set.rules.iter().map(|r| r.meta.id.as_str()).collect::<Vec<_>>(), ["good"]);
}

#[test]
fn bad_yaml_and_unknown_exception_targets_are_reported() {
    let set = load(&[Source::text("y.yml", "- rule: a\n  condition: [unclosed\n")]);
    assert!(set.diagnostics[0].to_string().starts_with("y.yml:"), "{:?}", set.diagnostics);
    let set = load(&[Source::text("z.yml", "- exception: nope\n  name: x\n  condition: kind == exec\n")]);
    assert!(set.diagnostics.iter().any(|d| d.message.contains("unknown rule `nope`")));
}

#[test]
fn default_rules_load_clean_and_pass_their_tests() {
    let set = load(&panoptes_rules::defaults::sources());
    let problems: Vec<String> = set.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let report = testing::run(&set);
    let failures: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(report.untested.is_empty(), "rules without match and nomatch tests: {:?}", report.untested);
    assert!(report.cases >= 2 * set.rules.len());
}

#[test]
fn rule_tests_catch_a_wrong_rule() {
    let text = "- rule: r\n  condition: kind == exec and process.name == bash\n  tests:\n    match:\n      - {kind: exec, process: {exe: /bin/sh}}\n    nomatch:\n      - {kind: exec, process: {exe: /bin/bash}}\n";
    let report = testing::run(&load(&[Source::text("r.yml", text)]));
    assert_eq!(report.cases, 2);
    assert_eq!(report.failures.len(), 2);
    assert!(report.failures[0].to_string().starts_with("r.yml:5:9: r: did not match"), "{}", report.failures[0]);
}

#[test]
fn references_compare_with_not_equal_and_partials_are_deduplicated() {
    let text = r#"
- sequence: two_different_commands
  by: process
  within: 60s
  steps:
    - name: a
      condition: kind == exec
    - name: b
      condition: kind == exec and process.name != $a.process.name
"#;
    let mut e = engine(text);
    let mut out = Vec::new();
    let s = 1_000_000u64;
    for (i, exe) in ["/bin/id", "/bin/id", "/bin/id", "/bin/uname"].iter().enumerate() {
        e.process(
            &ev(json!({"kind":"exec","time_boot_ns": s * i as u64,"process":{"pid":7,"exec_id":"p7","exe":exe}})),
            &mut out,
        );
    }
    // id, id (same name: no), id (no), uname (differs from id): one alert,
    // although three partials started with `id` (kept once).
    assert_eq!(out.len(), 1, "{:?}", out.iter().map(|a| &a.message).collect::<Vec<_>>());
    assert_eq!(out[0].events.len(), 2);
}

#[test]
fn asset_change_events_meet_rules() {
    let text = "- rule: new_listener\n  condition: kind == asset_change and asset.table == sockets and asset.change == added and asset.details[port] == \"4444\"\n  output: \"new listener {asset.key}\"\n";
    let mut e = engine(text);
    let mut out = Vec::new();
    e.process(&ev(json!({"kind":"asset_change","asset":{"table":"sockets","change":"added","key":"tcp|0.0.0.0|4444","details":{"port":"4444"}}})), &mut out);
    e.process(&ev(json!({"kind":"asset_change","asset":{"table":"sockets","change":"added","key":"tcp|0.0.0.0|22","details":{"port":"22"}}})), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].message, "new listener tcp|0.0.0.0|4444");
}

proptest::proptest! {
    /// Untrusted rule files never panic the loader or the engine.
    #[test]
    fn arbitrary_rule_files_never_panic(text in "\\PC{0,200}") {
        let set = load(&[Source::text("fuzz.yml", text.clone())]);
        let mut e = Engine::new(set, EngineOptions { actions: false, ..EngineOptions::default() });
        let mut out = Vec::new();
        e.process(&ev(json!({"kind":"exec","process":{"exe":"/bin/sh"}})), &mut out);
    }

    #[test]
    fn rule_shaped_files_never_panic(cond in "[a-z._\\[\\]0-9 =!<>&()\"',$*]{0,60}", out in "[a-z.{} ]{0,20}") {
        let text = format!("- rule: r\n  condition: '{}'\n  output: '{}'\n", cond.replace('\'', "''"), out);
        let set = load(&[Source::text("fuzz.yml", text)]);
        let mut e = Engine::new(set, EngineOptions { actions: false, ..EngineOptions::default() });
        let mut alerts = Vec::new();
        e.process(&ev(json!({"kind":"file_open","file":{"path":"/etc/x"}})), &mut alerts);
    }
}

#[test]
fn rules_compare_two_fields_of_one_event() {
    let mut e = engine(
        r#"
- rule: self_delete
  condition: kind == file_unlink and file.path == $event.process.exe
  severity: high
- rule: exec_elsewhere
  condition: kind == exec and exec.file != $event.process.parent.exe and exec.argv[0] == $event.process.comm
  severity: low
"#,
    );
    let mut out = Vec::new();
    let unlink = |exe: &str, path: &str| {
        ev(json!({"kind": "file_unlink", "process": {"pid": 9, "exe": exe}, "file": {"path": path}}))
    };
    e.process(&unlink("/var/tmp/a", "/var/tmp/a"), &mut out);
    e.process(&unlink("/usr/bin/rm", "/var/tmp/a"), &mut out);
    // No executable: nothing to compare with, no match.
    e.process(&ev(json!({"kind": "file_unlink", "process": {"pid": 9}, "file": {"path": "/x"}})), &mut out);
    let ids: Vec<&str> = out.iter().map(|a| a.rule.id.as_str()).collect();
    assert_eq!(ids, ["self_delete"]);
    out.clear();
    let exec = |file: &str, parent: &str, argv0: &str| {
        ev(json!({"kind": "exec", "process": {"pid": 10, "comm": "sh", "exe": file,
                  "ancestors": [{"pid": 1, "exe": parent}]},
                  "exec": {"file": file, "argv": [argv0]}}))
    };
    e.process(&exec("/bin/sh", "/usr/bin/bash", "sh"), &mut out);
    e.process(&exec("/bin/sh", "/bin/sh", "sh"), &mut out);
    e.process(&exec("/bin/sh", "/usr/bin/bash", "dash"), &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    // `$name` outside a sequence must be `$event`; no step may take the name.
    let bad = load(&[Source::text("b.yml", "- rule: r\n  condition: file.path == $drop.file.path\n  severity: low\n")]);
    let d = bad.diagnostics.iter().find(|d| d.level == Level::Error).expect("an error");
    assert!(d.to_string().contains("`$drop` is not `$event`"), "{d}");
    let bad = load(&[Source::text(
        "s.yml",
        "- sequence: s\n  by: process\n  within: 1s\n  steps:\n    - name: event\n      condition: kind == exec\n    - condition: kind == exit\n  severity: low\n",
    )]);
    let d = bad.diagnostics.iter().find(|d| d.level == Level::Error).expect("an error");
    assert!(d.to_string().contains("cannot be named `event`"), "{d}");
}

#[test]
fn sequences_by_process_follow_an_exec_in_place() {
    let mut e = engine(
        r#"
- sequence: connect_then_exec_shell
  by: process
  within: 10s
  steps:
    - condition: kind == net_connect
    - condition: kind == exec and process.name == sh
  severity: high
"#,
    );
    let s = 1_000_000_000u64;
    let mut out = Vec::new();
    let connect = |pid: u32, start: u64, exec_id: &str| {
        ev(json!({"kind": "net_connect", "time_boot_ns": s, "process": {"pid": pid, "start_boot_ns": start,
                  "exec_id": exec_id, "exe": "/usr/bin/python3"}, "net": {"addr": {"family": "inet", "ip": "127.0.0.1", "port": 9}}}))
    };
    let exec = |pid: u32, start: u64, exec_id: &str| {
        ev(json!({"kind": "exec", "time_boot_ns": 2 * s, "process": {"pid": pid, "start_boot_ns": start,
                  "exec_id": exec_id, "exe": "/bin/sh"}, "exec": {"file": "/bin/sh", "argv": ["sh"]}}))
    };
    // The same pid and start, a new image: the same process.
    e.process(&connect(50, 777, "img1"), &mut out);
    e.process(&exec(50, 777, "img2"), &mut out);
    assert_eq!(out.len(), 1, "exec in place continues the process");
    // A reused pid (another start) is another process.
    out.clear();
    e.process(&connect(60, 888, "a1"), &mut out);
    e.process(&exec(60, 999, "a2"), &mut out);
    assert!(out.is_empty(), "{out:?}");
}

/// Thousands of partial matches waiting under one lineage (a busy build
/// or CI shell writing files): an exec in that lineage meets only the
/// partials whose awaited value (`$drop.file.path`) it carries.
#[test]
fn waiting_partials_are_found_by_the_value_their_next_step_needs() {
    let mut e = engine(
        r#"
- sequence: dropped_then_run
  by: lineage
  within: 10m
  steps:
    - name: drop
      condition: kind == file_open and file.reason == write
    - condition: kind == exec and (exec.file == $drop.file.path or exec.argv == $drop.file.path)
  severity: high
"#,
    );
    let mut out = Vec::new();
    let shell = json!([{"pid": 100, "exec_id": "sh"}]);
    for i in 0..2_000u64 {
        e.process(
            &ev(
                json!({"kind": "file_open", "time_boot_ns": i, "process": {"pid": 1000 + i, "exec_id": format!("w{i}"),
                       "ancestors": shell}, "file": {"path": format!("/work/f{i}"), "reason": "write"}}),
            ),
            &mut out,
        );
    }
    let exec = |n: u64, file: &str, argv: serde_json::Value| {
        ev(json!({"kind": "exec", "time_boot_ns": 5_000 + n, "process": {"pid": 5000 + n, "exec_id": format!("x{n}"),
                  "ancestors": shell}, "exec": {"file": file, "argv": argv}}))
    };
    for n in 0..100 {
        e.process(&exec(n, "/usr/bin/gcc", json!(["gcc", "-c", "x.c"])), &mut out);
    }
    assert!(out.is_empty());
    assert_eq!(e.stats().sequence_step_evaluations, 0, "no waiting partial carries /usr/bin/gcc");
    e.process(&exec(200, "/usr/bin/sh", json!(["sh", "/work/f1234"])), &mut out);
    assert_eq!(out.len(), 1, "found by argv");
    assert_eq!(out[0].events[0].process.pid, 2234);
    assert_eq!(e.stats().sequence_step_evaluations, 1);
    // Another lineage with the same value does not complete it.
    e.process(
        &ev(json!({"kind": "exec", "time_boot_ns": 6_000, "process": {"pid": 7000, "exec_id": "y",
                   "ancestors": [{"pid": 300, "exec_id": "other"}]}, "exec": {"file": "/work/f7"}})),
        &mut out,
    );
    assert_eq!(out.len(), 1);
}

/// Scans of what is fixed per process image (exe, cmdline) are kept by
/// exec id and reused by the image's later events: an engine fed many
/// interleaved images matches each event as an engine that never sees an
/// exec id twice (so never reuses a scan) does, also past the cache's
/// size limit (when it starts over) and with more per-process scanners
/// than it keeps.
#[test]
fn per_image_scans_agree_with_fresh_scans() {
    let mut rules = String::new();
    // Many distinct needle sets over cached fields: more scanners than the
    // 63 the cache lays out.
    for i in 0..70 {
        rules += &format!(
            "- rule: r{i}\n  condition: process.cmdline contains \"tok{i} \" or event.strings icontains \"key{i}\" \
             or process.exe endswith \"/bin{i}\"\n  severity: low\n"
        );
    }
    let unlimited = || {
        let set = load(&[Source::text("t.yml", &rules)]);
        Engine::new(set, EngineOptions { actions: false, burst: u32::MAX, ..EngineOptions::default() })
    };
    let ids = |alerts: &[event::Alert]| {
        let mut v: Vec<String> = alerts.iter().map(|a| a.rule.id.clone()).collect();
        v.sort();
        v
    };
    let (mut cached, mut fresh) = (unlimited(), unlimited());
    let (mut out, mut fresh_out) = (Vec::new(), Vec::new());
    let kinds = ["exec", "file_open", "exit", "fork"];
    for n in 0..40_000u32 {
        // Half the events from 37 recurring images, half each a new one
        // (20,000 images: more than the cache keeps).
        let image = if n % 2 == 0 { n % 37 } else { 1_000 + n };
        let kind = kinds[(n % 4) as usize];
        let mut v = json!({"kind": kind, "process": {
            "pid": image, "exec_id": format!("b:{image}"), "exe": format!("/usr/bin{}", image % 70),
            "cmdline": format!("prog tok{} x", (image * 3) % 70), "comm": format!("key{}", n % 70)}});
        if kind == "file_open" {
            v["file"] = json!({"path": format!("/tmp/key{}", (n / 7) % 70)});
        }
        let e = ev(v.clone());
        v["process"]["exec_id"] = json!(format!("once:{n}"));
        let once = ev(v);
        out.clear();
        fresh_out.clear();
        cached.process(&e, &mut out);
        fresh.process(&once, &mut fresh_out);
        assert!(!fresh_out.is_empty(), "event {n} matches something");
        assert_eq!(ids(&out), ids(&fresh_out), "event {n}");
    }
}
