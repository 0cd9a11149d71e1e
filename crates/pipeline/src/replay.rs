//! `panoptes replay --audit-log FILE`: an existing audit log (plain or a
//! rotated set) through the same path as live events — reassembly, the
//! event model, the process tree (without /proc: it describes now, not
//! then), the outputs and the store — so old activity can be searched and
//! run against the rules offline.

use std::path::Path;
use std::time::Instant;

use audit::{mapping, read_audit_log, AuditEvent, Reassembler, ReassemblerConfig};
use config::Config;
use event::time::BootClock;
use event::EventKind;
use proctree::{ProcessTree, TreeOptions};
use store::{StoreOptions, StoreWriter};

use crate::counters::Counters;
use crate::summary::Summary;
use crate::{load_rules, Detect, Outputs, PipelineError, Sinks};

/// Replays `path`; malformed lines are counted under the `decode` hop and
/// skipped, serial gaps under `kernel_ringbuf` (the log itself lost them).
pub fn replay_audit_log(cfg: &Config, path: &Path) -> Result<Summary, PipelineError> {
    let started = Instant::now();
    let log = read_audit_log(path).map_err(|e| PipelineError::Replay(e.to_string()))?;
    let sinks = Sinks::open(&cfg.outputs)?;
    let store = match &cfg.store {
        Some(s) => Some(StoreWriter::start(StoreOptions {
            max_age: None,
            max_bytes: s.max_bytes,
            ..StoreOptions::at(&s.path)
        })?),
        None => None,
    };
    let json = sinks.wants_json() || store.is_some();
    let detect = Some(Detect::new(load_rules(&cfg.rules)?, &cfg.rules));
    let mut outputs = Outputs { sinks, store, containers: None, detect, json };
    let mut tree = ProcessTree::new(TreeOptions {
        max_processes: cfg.max_processes,
        read_proc: false,
        // Time in a replay is the log's: nothing expires while reading.
        exit_linger_ns: u64::MAX / 4,
        ..TreeOptions::default()
    });
    let mut wanted = [false; EventKind::ALL.len()];
    for kind in &cfg.kinds {
        wanted[*kind as usize] = true;
    }
    let counters = Counters::default();
    let clock = BootClock::now();
    // No in-flight limit worth the name: a file has no memory pressure
    // from a live kernel, and a tight limit would split slow events.
    let mut reassembler = Reassembler::new(ReassemblerConfig::default());
    let mut assembled: Vec<AuditEvent> = Vec::new();
    let mut unmapped = 0u64;
    let mut deliver =
        |batch: &mut Vec<AuditEvent>, tree: &mut ProcessTree, outputs: &mut Outputs, counters: &Counters| {
            for a in batch.drain(..) {
                match mapping::to_event(&a) {
                    Some(mut ev) => {
                        ev.time_boot_ns = clock.to_boot_ns(ev.time_unix_ns);
                        counters.received.inc(Some(ev.kind()));
                        tree.enrich(&mut ev);
                        let want = wanted[ev.kind() as usize];
                        outputs.deliver(ev, counters, want);
                    }
                    None => unmapped += 1,
                }
            }
        };
    for item in log {
        match item {
            Ok(record) => {
                let now = record.time.unix_ms();
                reassembler.push(record, now, &mut assembled);
                reassembler.flush_expired(now, &mut assembled);
            }
            Err(error) => {
                if counters.decode.total() == 0 {
                    tracing::warn!(%error, "malformed audit line; counting further ones");
                }
                reassembler.note_malformed();
                counters.decode.inc(None);
            }
        }
        deliver(&mut assembled, &mut tree, &mut outputs, &counters);
    }
    reassembler.flush(&mut assembled);
    deliver(&mut assembled, &mut tree, &mut outputs, &counters);
    counters.kernel_ringbuf.set(None, reassembler.stats().lost);
    outputs.sinks.close(&counters);
    let store_stats = outputs.store.take().map(StoreWriter::close);
    tracing::info!(unmapped, "audit events without a Panoptes kind (user-space records, other syscalls)");
    Ok(Summary::new("audit-replay", &counters, &tree.stats(), &Default::default(), started.elapsed())
        .with_store(store_stats)
        .with_rules(outputs.detect.as_ref().map(|d| d.stats()))
        .with_sensor_stats(Some(reassembler.stats())))
}

/// Replays recorded events (`panoptes run --output jsonl=FILE` or
/// `record=FILE`, told apart by the first bytes) through the rules and the
/// outputs. The events carry their enrichment (ancestry, container)
/// already, so they skip the process tree. Lines that are not events
/// (alerts, loss lines still count, blank lines) are skipped; malformed
/// lines and unreadable frames are counted under `decode`.
pub fn replay_events(cfg: &Config, path: &Path) -> Result<Summary, PipelineError> {
    use std::io::BufRead;
    let started = Instant::now();
    let file = std::fs::File::open(path).map_err(|e| PipelineError::Replay(format!("{}: {e}", path.display())))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let read_error = |e: std::io::Error| PipelineError::Replay(format!("{}: {e}", path.display()));
    let binary = event::record::is_recording(reader.fill_buf().map_err(read_error)?);
    let mut sinks = Sinks::open(&cfg.outputs)?;
    sinks.batch_alerts();
    let json = sinks.wants_json();
    let detect = Some(Detect::new(load_rules(&cfg.rules)?, &cfg.rules));
    let mut outputs = Outputs { sinks, store: None, containers: None, detect, json };
    let mut wanted = [false; EventKind::ALL.len()];
    for kind in &cfg.kinds {
        wanted[*kind as usize] = true;
    }
    // Recorded losses go wherever events go, as live ones do.
    wanted[EventKind::Loss as usize] = !cfg.kinds.is_empty();
    let counters = Counters::default();
    let setup = started.elapsed();
    if binary {
        // The record reader buffers itself: hand it the file (after what
        // the sniffing read buffered), not a second buffer to copy through.
        let head = std::io::Cursor::new(reader.buffer().to_vec());
        let input = std::io::Read::chain(head, reader.into_inner());
        read_recording(input, &mut outputs, &counters, &wanted).map_err(read_error)?;
    } else {
        read_lines(reader, &mut outputs, &counters, &wanted).map_err(read_error)?;
    }
    outputs.sinks.close(&counters);
    Ok(Summary::new("events-replay", &counters, &Default::default(), &Default::default(), started.elapsed())
        .with_setup(setup)
        .with_rules(outputs.detect.as_ref().map(|d| d.stats())))
}

/// Events of a binary recording (`event::record`) to the outputs.
fn read_recording(
    input: impl std::io::Read,
    outputs: &mut Outputs,
    counters: &Counters,
    wanted: &[bool],
) -> std::io::Result<()> {
    for item in event::record::Reader::new(input) {
        match item {
            Ok(ev) => {
                counters.received.inc(Some(ev.kind()));
                let want = wanted[ev.kind() as usize];
                outputs.emit(ev, counters, want);
            }
            Err(event::record::RecordError::Io(e)) => return Err(e),
            Err(error) => {
                if counters.decode.total() == 0 {
                    tracing::warn!(%error, "unreadable frame in the recording; counting further ones");
                }
                counters.decode.inc(None);
            }
        }
    }
    Ok(())
}

/// Event lines (`jsonl=`) to the outputs.
fn read_lines(
    mut reader: impl std::io::BufRead,
    outputs: &mut Outputs,
    counters: &Counters,
    wanted: &[bool],
) -> std::io::Result<()> {
    let mut number = 0u64;
    // Repeated process objects are parsed once (event::lines).
    let mut lines = event::lines::LineReader::new();
    let mut handle = |line: &[u8], number: u64| {
        let text = line.trim_ascii_end();
        if text.is_empty() || text.starts_with(b"{\"kind\":\"alert\"") {
            return;
        }
        match lines.read(text) {
            Ok(ev) => {
                counters.received.inc(Some(ev.kind()));
                let want = wanted[ev.kind() as usize];
                outputs.emit(ev, counters, want);
            }
            Err(error) => {
                if counters.decode.total() == 0 {
                    tracing::warn!(line = number, %error, "not an event; counting further ones");
                }
                counters.decode.inc(None);
            }
        }
    };
    // Lines are parsed where they lie in the read buffer; only a line
    // that straddles two reads is copied.
    let mut straddling = Vec::new();
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        let mut used = 0;
        while let Some(end) = memchr::memchr(b'\n', &available[used..]) {
            number += 1;
            if straddling.is_empty() {
                handle(&available[used..used + end], number);
            } else {
                straddling.extend_from_slice(&available[used..used + end]);
                handle(&straddling, number);
                straddling.clear();
            }
            used += end + 1;
        }
        straddling.extend_from_slice(&available[used..]);
        let consumed = available.len();
        reader.consume(consumed);
    }
    if !straddling.is_empty() {
        number += 1;
        handle(&straddling, number);
    }
    let read = lines.stats();
    tracing::info!(
        shared = read.shared,
        parsed = read.parsed,
        full = read.full,
        direct = read.direct,
        "process objects in the recording"
    );
    Ok(())
}
