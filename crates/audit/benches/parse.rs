//! Audit throughput on one core: the golden corpora (go-libaudit auparse,
//! reassembler and aucoalesce inputs, elastic-beats logs; ~310 lines)
//! repeated with fresh serials until ~1,000,000 records, then timed in
//! three passes over the same records:
//!
//! 1. parse only,
//! 2. parse + reassemble,
//! 3. parse + reassemble + map to `event::Event`.
//!
//! Lines are generated in chunks outside the timed sections. Run with
//! `cargo bench -p panoptes-audit --bench parse`; set
//! `PANOPTES_BENCH_RECORDS` for another count.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use panoptes_audit::{mapping, Reassembler, ReassemblerConfig, Record};

const CHUNK: usize = 50_000;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/audit")
}

/// (line template split around the serial, event id) for every corpus line.
struct Template {
    head: String,
    tail: String,
    event: usize,
}

fn templates() -> (Vec<Template>, usize) {
    let dir = corpus_dir();
    let mut texts: Vec<String> = Vec::new();
    for rel in [
        "go-libaudit/auparse/testdata/audit-rhel6.log",
        "go-libaudit/auparse/testdata/audit-rhel7.log",
        "go-libaudit/auparse/testdata/audit-ubuntu14.log",
        "go-libaudit/auparse/testdata/audit-ubuntu16.log",
        "go-libaudit/auparse/testdata/audit-ubuntu17.log",
        "go-libaudit/auparse/testdata/test2.log",
        "go-libaudit/auparse/testdata/test3.log",
        "go-libaudit/testdata/normal.log",
        "go-libaudit/testdata/out_of_order.log",
        "go-libaudit/testdata/lost_messages.log",
        "go-libaudit/testdata/rollover.log",
        "elastic-beats/auditbeat/sudo.log",
        "elastic-beats/auditbeat/setuid.log",
        "elastic-beats/auditbeat/chown.log",
        "elastic-beats/auditbeat/userlogin.log",
        "elastic-beats/filebeat/test.log",
        "elastic-beats/filebeat/execve-hex-arg.log",
    ] {
        texts.push(std::fs::read_to_string(dir.join(rel)).expect("corpus file (shared/testdata/audit)"));
    }
    for name in [
        "random-internet",
        "rhel-7-linux-3.10.0",
        "ubuntu-16.04-linux-4.13.0",
        "ubuntu-16.10-linux-4.8.0",
        "ubuntu-17.04-linux-4.10.0",
        "ubuntu-20.04.6-linux-5.15.0-1034-gcp",
        "ubuntu-21.10-linux-5.13",
        "ubuntu-24.04-linux-6.8.0",
    ] {
        let yaml = std::fs::read_to_string(dir.join(format!("go-libaudit/aucoalesce/testdata/{name}.yaml")))
            .expect("corpus file (shared/testdata/audit)");
        let records: Vec<&str> = yaml.lines().filter(|l| l.starts_with("    type=")).map(str::trim_start).collect();
        texts.push(records.join("\n"));
    }
    let mut out = Vec::new();
    let mut ids: HashMap<(usize, String), usize> = HashMap::new();
    for (file, text) in texts.iter().enumerate() {
        for line in text.lines() {
            // Split at the serial: `...audit(SECS.MS:` SERIAL `)...`.
            let Some(open) = line.find("audit(") else { continue };
            let Some(colon) = line[open..].find(':').map(|c| open + c + 1) else { continue };
            let Some(close) = line[colon..].find(')').map(|c| colon + c) else { continue };
            let next = ids.len();
            let event = *ids.entry((file, line[open..close].to_string())).or_insert(next);
            out.push(Template { head: line[..colon].to_string(), tail: line[close..].to_string(), event });
        }
    }
    let events = ids.len();
    (out, events)
}

/// Lines `start..start+n` of the endless corpus, serials made unique.
fn chunk(templates: &[Template], events: usize, start: usize, n: usize) -> Vec<String> {
    (start..start + n)
        .map(|i| {
            let t = &templates[i % templates.len()];
            let round = i / templates.len();
            let serial = ((round * events + t.event) % (u32::MAX as usize)) as u32;
            format!("{}{serial}{}", t.head, t.tail)
        })
        .collect()
}

#[derive(Default)]
struct Pass {
    elapsed: Duration,
    records: u64,
    malformed: u64,
    events: u64,
    mapped: u64,
    bytes: u64,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Parse,
    Reassemble,
    Map,
}

fn run(mode: Mode, templates: &[Template], events: usize, total: usize) -> Pass {
    let mut pass = Pass::default();
    let mut reassembler = Reassembler::new(ReassemblerConfig::default());
    let mut out = Vec::new();
    let mut start = 0;
    while start < total {
        let n = CHUNK.min(total - start);
        let lines = chunk(templates, events, start, n);
        pass.bytes += lines.iter().map(|l| l.len() as u64 + 1).sum::<u64>();
        let began = Instant::now();
        for (i, line) in lines.iter().enumerate() {
            pass.records += 1;
            let record = match Record::parse_line(line) {
                Ok(r) => r,
                Err(_) => {
                    pass.malformed += 1;
                    continue;
                }
            };
            if mode == Mode::Parse {
                std::hint::black_box(&record);
                continue;
            }
            // A synthetic clock: 100 records per millisecond.
            let now = ((start + i) / 100) as u64;
            reassembler.push(record, now, &mut out);
            if i % 4096 == 0 {
                reassembler.flush_expired(now, &mut out);
            }
            drain(mode, &mut out, &mut pass);
        }
        if start + n >= total && mode != Mode::Parse {
            reassembler.flush(&mut out);
            drain(mode, &mut out, &mut pass);
        }
        pass.elapsed += began.elapsed();
        start += n;
    }
    pass
}

fn drain(mode: Mode, out: &mut Vec<panoptes_audit::AuditEvent>, pass: &mut Pass) {
    for event in out.drain(..) {
        pass.events += 1;
        if mode == Mode::Map && mapping::to_event(&event).is_some() {
            pass.mapped += 1;
        }
        std::hint::black_box(&event);
    }
}

fn main() {
    let total: usize = std::env::var("PANOPTES_BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let (templates, events) = templates();
    println!("corpus: {} lines, {} events per round; {total} records", templates.len(), events);
    for (name, mode) in
        [("parse", Mode::Parse), ("parse+reassemble", Mode::Reassemble), ("parse+reassemble+map", Mode::Map)]
    {
        let p = run(mode, &templates, events, total);
        let secs = p.elapsed.as_secs_f64();
        print!(
            "{name:<22} {secs:6.2} s  {:>9.0} records/s  {:6.1} MB/s  malformed {}",
            p.records as f64 / secs,
            p.bytes as f64 / secs / 1e6,
            p.malformed
        );
        if mode != Mode::Parse {
            print!("  events {} ({:.0}/s)", p.events, p.events as f64 / secs);
        }
        if mode == Mode::Map {
            print!("  mapped {} ({:.0}/s)", p.mapped, p.mapped as f64 / secs);
        }
        println!();
    }
}
