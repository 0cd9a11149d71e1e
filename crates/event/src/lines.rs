//! Reading a recording of many events (`panoptes run --output jsonl=FILE`)
//! with one [`Process`] per distinct process object.
//!
//! In a recording most lines repeat a `process` object seen a few lines
//! before (every fork, exit and file event of one process image carries the
//! same ancestry), and that object is most of the line. [`LineReader`]
//! keeps the process objects it has parsed, keyed by their exact bytes, and
//! hands a repeat the same `Arc<Process>`; the rest of the line (kind, time,
//! container, body) is parsed as usual.
//!
//! The shortcut takes only lines in the writer's own shape and gives the
//! same event or the same error as [`Event::from_json_slice`] on every
//! input. A raw `"` is always a string's end or start in JSON, so in a
//! valid line `,"process":` and `,"container":` are keys. The part before
//! `,"process":{` must hold no nested value (the key is then the top-level
//! object's); the process object runs to the first `,"container":` after it
//! and must parse as one whole `Process` (so that key cannot lie inside it,
//! and the top level resumes right there); the line without the process
//! member must parse as an event and must not name `"process"` again (the
//! full parser refuses a duplicate). In an invalid line a split inside a
//! string leaves the rest unparseable, so both readers fail. Any other
//! line goes through the full parser.

use std::hash::BuildHasher;
use std::sync::Arc;

use memchr::memmem;

use crate::time::parse_rfc3339_nanos;
use crate::{Event, EventKind, Process};

/// Process objects kept, the most recently parsed ones: repeats come close
/// together in a recording, and a small set stays in the CPU's caches (a
/// large one made reading slower than parsing every object).
pub const MAX_PROCESSES: usize = 32;

const PROCESS_KEY: &[u8] = b",\"process\":";
const CONTAINER_KEY: &[u8] = b",\"container\":";

/// Parses event lines, sharing repeated process objects.
pub struct LineReader {
    /// (hash of the object's bytes, the bytes, the object); replaced in turn.
    processes: Vec<(u64, Box<[u8]>, Arc<Process>)>,
    next: usize,
    hasher: foldhash::fast::FixedState,
    scratch: Vec<u8>,
    process_key: memmem::Finder<'static>,
    container_key: memmem::Finder<'static>,
    process_name: memmem::Finder<'static>,
    stats: LineStats,
}

impl Default for LineReader {
    fn default() -> LineReader {
        LineReader {
            processes: Vec::with_capacity(MAX_PROCESSES),
            next: 0,
            hasher: foldhash::fast::FixedState::default(),
            scratch: Vec::new(),
            process_key: memmem::Finder::new(PROCESS_KEY),
            container_key: memmem::Finder::new(CONTAINER_KEY),
            process_name: memmem::Finder::new(b"\"process\""),
            stats: LineStats::default(),
        }
    }
}

/// How lines were read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Process object found among those already parsed.
    pub shared: u64,
    /// Process object parsed (and kept).
    pub parsed: u64,
    /// Line not in the writer's shape: read by the full parser.
    pub full: u64,
    /// Of the others, lines without a container whose kind, times and body
    /// were read straight from their places in the line.
    pub direct: u64,
}

impl LineReader {
    pub fn new() -> LineReader {
        LineReader::default()
    }

    /// One event from one line (without its newline).
    pub fn read(&mut self, line: &[u8]) -> Result<Event, serde_json::Error> {
        match self.read_shared(line) {
            Some(ev) => Ok(ev),
            None => {
                self.stats.full += 1;
                Event::from_json_slice(line)
            }
        }
    }

    pub fn stats(&self) -> LineStats {
        self.stats
    }

    fn read_shared(&mut self, line: &[u8]) -> Option<Event> {
        if !line.starts_with(b"{\"kind\":\"") {
            return None;
        }
        let at = self.process_key.find(line)?;
        let head = &line[..at];
        if memchr::memchr2(b'{', b'[', &head[1..]).is_some() {
            return None;
        }
        let start = at + PROCESS_KEY.len();
        if line.get(start) != Some(&b'{') {
            return None;
        }
        let end = start + self.container_key.find(&line[start..])?;
        let tail = &line[end..];
        if self.process_name.find(tail).is_some() {
            return None;
        }
        let raw = &line[start..end];
        let hash = self.hasher.hash_one(raw);
        let process = match self.processes.iter().find(|(h, bytes, _)| *h == hash && **bytes == *raw) {
            Some((_, _, p)) => {
                self.stats.shared += 1;
                p.clone()
            }
            None => {
                let text = std::str::from_utf8(raw).ok()?;
                let p: Arc<Process> = Arc::new(serde_json::from_str(text).ok()?);
                let entry = (hash, raw.into(), p.clone());
                if self.processes.len() < MAX_PROCESSES {
                    self.processes.push(entry);
                } else {
                    self.processes[self.next] = entry;
                    self.next = (self.next + 1) % MAX_PROCESSES;
                }
                self.stats.parsed += 1;
                p
            }
        };
        if let Some(ev) = host_event(head, tail, &process) {
            self.stats.direct += 1;
            return Some(ev);
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(head);
        self.scratch.extend_from_slice(tail);
        let mut ev = Event::from_json_slice(&self.scratch).ok()?;
        ev.process = process;
        Some(ev)
    }
}

/// An event with no container in the writer's exact shape, read without
/// the general parser: `{"kind":"K","time":"T","time_boot_ns":N` before
/// the process and `,"container":null,"BODY":{...}}` after it. `None`
/// (the caller then parses the line) for anything else: whitespace,
/// escapes, another order, a number JSON would not write; a time or body
/// the general parser would refuse is refused here too.
fn host_event(head: &[u8], tail: &[u8], process: &Arc<Process>) -> Option<Event> {
    let rest = head.strip_prefix(b"{\"kind\":\"")?;
    let q = memchr::memchr(b'"', rest)?;
    let kind = EventKind::from_name(std::str::from_utf8(&rest[..q]).ok()?)?;
    let rest = rest[q..].strip_prefix(b"\",\"time\":\"")?;
    let q = memchr::memchr(b'"', rest)?;
    let time = &rest[..q];
    if time.contains(&b'\\') {
        return None;
    }
    let time_unix_ns = parse_rfc3339_nanos(std::str::from_utf8(time).ok()?)?;
    let time_boot_ns = json_u64(rest[q..].strip_prefix(b"\",\"time_boot_ns\":")?)?;
    let body = tail.strip_prefix(b",\"container\":null,\"")?;
    let body = body.strip_prefix(kind.body_key().as_bytes())?.strip_prefix(b"\":")?;
    let body = crate::de::body_from_json(kind, body.strip_suffix(b"}")?)?;
    Some(Event { time_boot_ns, time_unix_ns, process: process.clone(), container: None, body })
}

/// A JSON unsigned integer as serde_json reads one into a `u64`: digits,
/// no leading zero, no overflow.
fn json_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || (digits[0] == b'0' && digits.len() > 1) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        if d.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
#[path = "lines_tests.rs"]
mod tests;
