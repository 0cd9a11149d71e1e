//! Which rules cost the most: loads recorded events (JSON lines or a
//! binary recording) into memory, then times each rule of the default set (or `--rules DIR`)
//! alone over them and prints the slowest.
//!
//!   cargo run --release -p panoptes-rules --example rule_cost -- EVENTS.jsonl [RULES_DIR]
//!
//! Environment: `TOTAL_ONLY=1` the whole set only; `REPEAT=N` passes over
//! the events; `INDEX=1` the scanners and what each kind's index files;
//! `BY_KIND=1` cost, rule evaluations and alerts per event kind;
//! `EVALS=1` evaluations of each rule alone; `NO_SEQUENCES=1` the set
//! without its sequences as well.

use std::time::Instant;

use panoptes_rules::{load, read_sources, Engine, EngineOptions, Source};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: rule_cost EVENTS.jsonl [RULES_DIR]");
        std::process::exit(2);
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let events: Vec<event::Event> = if event::record::is_recording(&bytes) {
        event::record::Reader::new(&bytes[..]).filter_map(Result::ok).collect()
    } else {
        let text = String::from_utf8_lossy(&bytes);
        text.lines().filter_map(|l| event::Event::from_json(l).ok()).collect()
    };
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
        if std::env::var_os("EVALS").is_some() && engine.evaluations() > 0 {
            let ids: Vec<_> =
                engine.rules().rules.iter().filter(|r| r.meta.enabled).map(|r| r.meta.id.clone()).collect();
            if ids.len() == 1 {
                println!("{} evaluations: {}", engine.evaluations(), ids[0]);
            }
        }
        t.elapsed().as_secs_f64() / repeat as f64
    };
    if std::env::var_os("INDEX").is_some() {
        let engine = Engine::new(load(&sources), EngineOptions { actions: false, ..Default::default() });
        for sc in &engine.rules().preds.scanners {
            println!("scanner {} {:?}: {} needles, {:?}", sc.field.name, sc.arg, sc.needles, sc.per_process);
        }
        for (kind, filed, rest) in engine.index_summary() {
            println!("{kind:?}: {filed} filed, {rest} for every event: {:?}", engine.unfiled(kind));
            println!("    keys: {}", engine.index_keys(kind));
        }
    }
    if std::env::var_os("BY_KIND").is_some() {
        let mut engine = Engine::new(load(&sources), EngineOptions { actions: false, ..Default::default() });
        let mut out = Vec::new();
        let mut per: std::collections::BTreeMap<String, (u64, f64, usize, u64)> = Default::default();
        for ev in &events {
            let evals = engine.evaluations();
            let t = Instant::now();
            engine.process(ev, &mut out);
            let e = per.entry(format!("{:?}", ev.kind())).or_default();
            e.0 += 1;
            e.1 += t.elapsed().as_secs_f64();
            e.2 += out.len();
            e.3 += engine.evaluations() - evals;
            out.clear();
        }
        for (k, (n, t, a, evals)) in per {
            let ns = t * 1e9 / n as f64;
            println!(
                "{k:>12}: {n:>7} events, {ns:>6.0} ns/event, {:.1} rules/event, {a} alerts",
                evals as f64 / n as f64
            );
        }
    }
    if std::env::var_os("NO_SEQUENCES").is_some() {
        let mut set = load(&sources);
        set.sequences.iter_mut().for_each(|s| s.meta.enabled = false);
        println!("without sequences: {:.0} ns/event", time_all(set) * 1e9 / events.len() as f64);
    }
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
