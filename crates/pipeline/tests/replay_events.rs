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
    let setup = summary.setup_secs.expect("a replay times its setup");
    assert!(setup > 0.0 && setup < summary.duration_secs, "setup {setup} s of {} s", summary.duration_secs);
    assert_eq!(summary.drops.get("decode").map(|d| d.values().sum::<u64>()), Some(1), "{:?}", summary.drops);
    let rules = summary.rules.expect("rules ran");
    assert_eq!(rules.events, events);
    assert_eq!(rules.alerts, execs, "each exec (its own process) alerts once");
}

fn replay_config(rules: &std::path::Path, outputs: Vec<String>, events: &[&str]) -> config::Config {
    let mut raw = config::RawConfig::default();
    raw.rules.defaults = false;
    raw.rules.paths = vec![rules.display().to_string()];
    raw.run.outputs = outputs;
    raw.run.events = events.iter().map(|e| e.to_string()).collect();
    raw.store.enabled = false;
    raw.containers.enabled = false;
    raw.rules.actions = false;
    let mut cfg = raw.validate().unwrap();
    if events.is_empty() {
        cfg.kinds.clear();
    }
    cfg
}

/// A JSON-lines recording replayed into `record=` and that replayed again:
/// the same events come out (written as JSON lines, compared parsed) and
/// the rules raise the same alerts.
#[test]
fn a_binary_recording_replays_like_its_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.yml");
    std::fs::write(
        &rules,
        "- rule: needle\n  condition: kind == exec and process.cmdline contains \"needle\"\n  severity: low\n",
    )
    .unwrap();
    let all = ["process", "file", "network", "security", "inventory"];
    let jsonl = dir.path().join("events.jsonl");
    let mut lines = Vec::new();
    for (i, kind) in event::EventKind::ALL.iter().cycle().take(3000).enumerate() {
        let mut ev = event::samples::event(*kind);
        let p = std::sync::Arc::make_mut(&mut ev.process);
        // Processes repeat, as in a real recording, and some are new.
        p.pid = (i % 40) as u32;
        p.cmdline = Some(format!("needle {}", i % 40));
        p.exec_id = Some(format!("t:{}", i % 40));
        if i % 7 == 0 {
            ev.container = None;
        }
        lines.push(ev.to_json());
    }
    std::fs::write(&jsonl, lines.join("\n") + "\n").unwrap();
    let rec = dir.path().join("events.rec");
    let to_rec = replay_config(&rules, vec![format!("record={}", rec.display())], &all);
    let first = panoptes_pipeline::replay_events(&to_rec, &jsonl).unwrap();
    let size = std::fs::metadata(&rec).unwrap().len();
    assert!(size * 3 < std::fs::metadata(&jsonl).unwrap().len(), "{size} bytes");

    let back = dir.path().join("back.jsonl");
    let alerts = dir.path().join("alerts.jsonl");
    let outputs = vec![format!("jsonl={}", back.display()), format!("jsonl:alerts={}", alerts.display())];
    let second = panoptes_pipeline::replay_events(&replay_config(&rules, outputs, &all), &rec).unwrap();
    assert_eq!(second.received, first.received);
    let decoded =
        |s: &panoptes_pipeline::Summary| -> u64 { s.drops.get("decode").map(|d| d.values().sum()).unwrap_or(0) };
    assert_eq!(decoded(&second), 0, "{:?}", second.drops);
    let (r1, r2) = (first.rules.unwrap(), second.rules.unwrap());
    assert_eq!((r2.events, r2.alerts), (r1.events, r1.alerts));
    assert!(r2.alerts > 0);
    let text = std::fs::read_to_string(&back).unwrap();
    let got: Vec<event::Event> = text
        .lines()
        .filter(|l| !l.starts_with("{\"kind\":\"alert\""))
        .map(|l| event::Event::from_json(l).unwrap())
        .collect();
    let want: Vec<event::Event> = lines.iter().map(|l| event::Event::from_json(l).unwrap()).collect();
    assert_eq!(got, want);
    assert_eq!(std::fs::read_to_string(&alerts).unwrap().lines().count() as u64, r2.alerts);

    // A damaged frame is counted, not fatal: the rest still replays.
    let mut bytes = std::fs::read(&rec).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 4].copy_from_slice(&[0xff; 4]);
    std::fs::write(&rec, &bytes).unwrap();
    let outputs = vec![format!("jsonl:alerts={}", dir.path().join("a2.jsonl").display())];
    let damaged = panoptes_pipeline::replay_events(&replay_config(&rules, outputs, &[]), &rec).unwrap();
    assert!(decoded(&damaged) >= 1, "{:?}", damaged.drops);
    let received: u64 = damaged.received.values().sum();
    assert!(received > 0 && received < 3000, "{received}");
}
