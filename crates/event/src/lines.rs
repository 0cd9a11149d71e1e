//! Reading a recording of many events (`panoptes run --output jsonl=FILE`)
//! with one [`Process`] per distinct process object.
//!
//! In a recording most lines repeat a `process` object seen a few lines
//! before (every fork, exit and file event of one process image carries the
//! same ancestry), and that object is most of the line. [`LineReader`]
//! keeps the process objects it has parsed, keyed by their exact bytes, and
//! hands a repeat the same `Arc<Process>`; a new process object whose
//! `ancestors` array was seen lately gets a copy of that list instead of
//! parsing it again. The rest of the line (kind, time, container, body) is
//! parsed as usual, or read in place for host events in the writer's shape.
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

use std::sync::Arc;

use memchr::memmem;

use crate::time::parse_rfc3339_nanos;
use crate::{Ancestor, Event, EventKind, Process};

/// Process objects (and ancestor lists) kept, the most recently parsed
/// ones: repeats come close together in a recording, and a small set stays
/// in the CPU's caches (a large one made reading slower than parsing every
/// object).
pub const MAX_PROCESSES: usize = 32;

const PROCESS_KEY: &[u8] = b",\"process\":";
const CONTAINER_KEY: &[u8] = b",\"container\":";
const ANCESTORS_KEY: &[u8] = b",\"ancestors\":";

/// Parses event lines, sharing repeated process objects.
pub struct LineReader {
    processes: Recent<Arc<Process>>,
    /// Ancestor lists of the process objects parsed: a new process often
    /// has the ancestry of one seen just before.
    ancestors: Recent<Arc<[Ancestor]>>,
    scratch: Vec<u8>,
    process_key: memmem::Finder<'static>,
    container_key: memmem::Finder<'static>,
    process_name: memmem::Finder<'static>,
    ancestors_key: memmem::Finder<'static>,
    stats: LineStats,
}

impl Default for LineReader {
    fn default() -> LineReader {
        LineReader {
            processes: Recent::default(),
            ancestors: Recent::default(),
            scratch: Vec::new(),
            process_key: memmem::Finder::new(PROCESS_KEY),
            container_key: memmem::Finder::new(CONTAINER_KEY),
            process_name: memmem::Finder::new(b"\"process\""),
            ancestors_key: memmem::Finder::new(ANCESTORS_KEY),
            stats: LineStats::default(),
        }
    }
}

/// The last [`MAX_PROCESSES`] values parsed, keyed by their exact bytes
/// (a slice comparison stops at a different length or the first
/// different byte, usually the pid's); the oldest is replaced.
struct Recent<T> {
    items: Vec<(Box<[u8]>, T)>,
    next: usize,
}

impl<T> Default for Recent<T> {
    fn default() -> Recent<T> {
        Recent { items: Vec::with_capacity(MAX_PROCESSES), next: 0 }
    }
}

impl<T> Recent<T> {
    fn get(&self, raw: &[u8]) -> Option<&T> {
        self.items.iter().find(|(bytes, _)| **bytes == *raw).map(|(_, v)| v)
    }

    fn put(&mut self, raw: &[u8], value: T) {
        let entry = (raw.into(), value);
        if self.items.len() < MAX_PROCESSES {
            self.items.push(entry);
        } else {
            self.items[self.next] = entry;
            self.next = (self.next + 1) % MAX_PROCESSES;
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.items.len()
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
        let (process, fresh) = match self.processes.get(raw) {
            Some(p) => (p.clone(), false),
            None => {
                let p = Arc::new(self.parse_process(raw)?);
                self.processes.put(raw, p.clone());
                (p, true)
            }
        };
        if let Some(ev) = host_event(head, tail, &process) {
            self.stats.direct += 1;
            self.count_process(fresh);
            return Some(ev);
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(head);
        self.scratch.extend_from_slice(tail);
        let mut ev = Event::from_json_slice(&self.scratch).ok()?;
        ev.process = process;
        self.count_process(fresh);
        Some(ev)
    }

    /// Counts how the process of a line read by the shortcut was had (a
    /// line the shortcut gives up on is counted once, as `full`).
    fn count_process(&mut self, fresh: bool) {
        if fresh {
            self.stats.parsed += 1;
        } else {
            self.stats.shared += 1;
        }
    }
}

impl LineReader {
    /// A process object. When its `ancestors` array comes last (as the
    /// writer puts it) after keys holding no nested value, the array is
    /// looked up among those parsed lately and the rest parsed alone; the
    /// array must be one whole value, so the object ends right after it.
    fn parse_process(&mut self, raw: &[u8]) -> Option<Process> {
        let split = self.ancestors_key.find(raw).and_then(|at| {
            let (fields, list) = (&raw[..at], raw.strip_suffix(b"}")?.get(at + ANCESTORS_KEY.len()..)?);
            let plain = list.starts_with(b"[") && memchr::memchr2(b'{', b'[', &fields[1..]).is_none();
            plain.then_some((fields, list))
        });
        let Some((fields, list)) = split else {
            return serde_json::from_str(std::str::from_utf8(raw).ok()?).ok();
        };
        let ancestors = match self.ancestors.get(list) {
            Some(a) => a.clone(),
            None => {
                let a: Arc<[Ancestor]> = serde_json::from_str(std::str::from_utf8(list).ok()?).ok()?;
                self.ancestors.put(list, a.clone());
                a
            }
        };
        self.scratch.clear();
        self.scratch.extend_from_slice(fields);
        self.scratch.push(b'}');
        let mut process: Process = serde_json::from_str(std::str::from_utf8(&self.scratch).ok()?).ok()?;
        process.ancestors = ancestors;
        Some(process)
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
