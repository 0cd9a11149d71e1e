//! Helpers shared by the golden tests: where the corpora are, and small
//! readers for their formats (JSON goldens via serde_json, the aucoalesce
//! YAML files by hand: they only use `name: |` / `name: >` block scalars).

#![allow(dead_code)]

use std::path::PathBuf;

use panoptes_audit::{AuditEvent, Reassembler, ReassemblerConfig, Record};

/// `shared/testdata/audit`, next to the repository.
pub fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/audit").join(rel)
}

pub fn read(rel: &str) -> String {
    let path = corpus(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The lines of a log file; a missing final newline is fine, a final empty
/// line is not a record.
pub fn lines(rel: &str) -> Vec<String> {
    read(rel).lines().map(str::to_string).collect()
}

/// `tests:` of an aucoalesce YAML file: (name, record lines), in file order.
pub fn yaml_tests(rel: &str) -> Vec<(String, Vec<String>)> {
    let text = read(rel);
    let mut tests: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if line.starts_with("    ") {
            if let Some((_, records)) = tests.last_mut() {
                records.push(line.trim_start().to_string());
            }
            continue;
        }
        let trimmed = line.trim();
        if line.starts_with("  ") && !trimmed.starts_with('#') {
            if let Some(name) = trimmed.strip_suffix(": |").or_else(|| trimmed.strip_suffix(": >")) {
                tests.push((name.to_string(), Vec::new()));
            }
        }
    }
    tests.retain(|(_, r)| !r.is_empty());
    tests
}

/// Parses every line (all must parse) and reassembles them with the
/// upstream test's limits (5 in flight, 2 s), without time passing, then
/// flushes.
pub fn reassemble(lines: &[String]) -> (Vec<AuditEvent>, Reassembler) {
    let mut r = Reassembler::new(ReassemblerConfig { max_in_flight: 5, timeout_ms: 2000, max_records_per_event: 1024 });
    let mut out = Vec::new();
    for line in lines {
        let record = Record::parse_line(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        r.push(record, 0, &mut out);
    }
    r.flush_expired(0, &mut out);
    r.flush(&mut out);
    (out, r)
}

/// Go's RFC 3339 with trailing fractional zeros dropped, as in the goldens.
pub fn go_timestamp(secs: u64, millis: u32) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs as i64).expect("timestamp in range");
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let frac = format!("{millis:03}");
    let frac = frac.trim_end_matches('0');
    if !frac.is_empty() {
        s.push('.');
        s.push_str(frac);
    }
    s.push('Z');
    s
}
