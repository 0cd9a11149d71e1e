//! Which rules cost the most: loads recorded events (JSON lines) into
//! memory, then times each rule of the default set (or `--rules DIR`)
//! alone over them and prints the slowest.
//!
//!   cargo run --release -p panoptes-rules --example rule_cost -- EVENTS.jsonl [RULES_DIR]

use std::time::Instant;

use panoptes_rules::{load, read_sources, Engine, EngineOptions, Source};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: rule_cost EVENTS.jsonl [RULES_DIR]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let events: Vec<event::Event> = text.lines().filter_map(|l| event::Event::from_json(l).ok()).collect();
    let sources: Vec<Source> = match args.next() {
        Some(dir) => read_sources(&[dir.into()], &mut Vec::new()),
        None => panoptes_rules::defaults::sources(),
    };
    let full = load(&sources);
    let ids: Vec<String> =
        full.rules.iter().map(|r| r.meta.id.clone()).chain(full.sequences.iter().map(|s| s.meta.id.clone())).collect();
    let time_all = |set| {
        let mut engine = Engine::new(set, EngineOptions { actions: false, ..Default::default() });
        let mut out = Vec::new();
        let repeat: usize = std::env::var("REPEAT").ok().and_then(|r| r.parse().ok()).unwrap_or(1).max(1);
        let t = Instant::now();
        for _ in 0..repeat {
            for ev in &events {
                engine.process(ev, &mut out);
                out.clear();
            }
        }
        t.elapsed().as_secs_f64() / repeat as f64
    };
    let total = time_all(load(&sources));
    println!("{} events, {} rules: {:.0} ns/event", events.len(), ids.len(), total * 1e9 / events.len() as f64);
    if std::env::var_os("TOTAL_ONLY").is_some() {
        return;
    }
    let mut costs = Vec::new();
    for id in &ids {
        // The rule alone: disable every other one.
        let mut set = load(&sources);
        for r in &mut set.rules {
            r.meta.enabled = &r.meta.id == id;
        }
        for s in &mut set.sequences {
            s.meta.enabled = &s.meta.id == id;
        }
        costs.push((time_all(set), id.clone()));
    }
    costs.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (t, id) in costs.iter().take(15) {
        println!("{:>8.0} ns/event  {id}", t * 1e9 / events.len() as f64);
    }
}
