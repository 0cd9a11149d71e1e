//! `replay_events` reads every line of a recording, whatever its length
//! and wherever it falls against the read buffer: lines straddling reads,
//! CRLF endings, a last line without a newline, blank, alert and malformed
//! lines.

use std::io::Write;

use serde_json::json;

#[test]
fn every_line_is_read_across_buffer_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.yml");
    std::fs::write(&rules, "- rule: needle\n  condition: kind == exec and process.name == needle\n  severity: low\n")
        .unwrap();
    let path = dir.path().join("events.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut execs = 0;
    let mut events = 0;
    let mut bytes = 0;
    let mut n = 0u32;
    // Over 3 MiB of lines of many lengths, so lines cross the 1 MiB reads
    // at many offsets.
    while bytes < 3 << 20 {
        n += 1;
        let exec = n.is_multiple_of(3);
        let pad = "x".repeat((n as usize * 37) % 2500);
        let mut ev = json!({
            "kind": if exec { "exec" } else { "fork" },
            "process": {"pid": n, "exe": "/usr/bin/needle", "cmdline": format!("needle {pad}"),
                        "exec_id": format!("t:{n}")},
        });
        if !exec {
            ev["fork"] = json!({"child_pid": n + 1});
        }
        let line = ev.to_string();
        bytes += line.len() + 1;
        events += 1;
        execs += exec as u64;
        let ending = if n.is_multiple_of(5) { "\r\n" } else { "\n" };
        write!(file, "{line}{ending}").unwrap();
        match n % 997 {
            1 => writeln!(file).unwrap(),
            2 => writeln!(file, "{{\"kind\":\"alert\",\"rule\":{{\"id\":\"x\"}}}}").unwrap(),
            _ => {}
        }
    }
    writeln!(file, "{{not json").unwrap();
    // The last event has no newline.
    let last = json!({"kind": "exec", "process": {"pid": 1, "exe": "/usr/bin/needle", "exec_id": "t:last"}});
    write!(file, "{last}").unwrap();
    events += 1;
    execs += 1;
    drop(file);

    let mut raw = config::RawConfig::default();
    raw.rules.defaults = false;
    raw.rules.paths = vec![rules.display().to_string()];
    raw.run.outputs = vec![format!("jsonl:alerts={}", dir.path().join("alerts.jsonl").display())];
    raw.store.enabled = false;
    raw.containers.enabled = false;
    raw.rules.actions = false;
    let cfg = raw.validate().unwrap();
    let summary = panoptes_pipeline::replay_events(&cfg, &path).unwrap();
    let received: u64 = summary.received.values().sum();
    assert_eq!(received, events, "every event line read once");
    assert_eq!(summary.drops.get("decode").map(|d| d.values().sum::<u64>()), Some(1), "{:?}", summary.drops);
    let rules = summary.rules.expect("rules ran");
    assert_eq!(rules.events, events);
    assert_eq!(rules.alerts, execs, "each exec (its own process) alerts once");
}
