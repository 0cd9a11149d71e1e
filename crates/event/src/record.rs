//! The binary recording (`panoptes run --output record=FILE`): the same
//! events as a JSON-lines recording in a form that is several times smaller
//! and faster to read back (`panoptes replay FILE` tells the two apart by
//! the first bytes).
//!
//! Most of a JSON event is its `process` object, and most events repeat
//! one seen shortly before. Here a process, an ancestor list or a container
//! is written once into a numbered slot of a bounded table and events name
//! the slot; a slot is redefined when the writer needs it for something
//! else, so both sides keep at most [`PROCESS_SLOTS`] processes,
//! [`ANCESTOR_SLOTS`] ancestor lists and [`CONTAINER_SLOTS`] containers.
//!
//! Layout (version 1; integers are LEB128 varints, signed ones zigzagged,
//! unless fixed):
//!
//! - header [`MAGIC`] (8 bytes). It may appear again at any frame boundary
//!   (a second writer appending to the file): every table is then empty.
//! - frames: `u32` little-endian length of what follows, a tag byte, the
//!   payload:
//!   - `1` event: kind (byte, its position in the v1 kind list), wall-clock
//!     and boot time ns (`u64` LE each), process slot (0: no process),
//!     container slot (0: none), the body's fields in declaration order.
//!   - `2` process: slot, the fields in declaration order with the ancestor
//!     list's slot (0: empty) in place of `ancestors`.
//!   - `3` ancestor list: slot, count, each ancestor's fields.
//!   - `4` container: slot, the fields in declaration order.
//!
//!   Strings are a length and UTF-8 bytes, options a byte 0/1 then the
//!   value, lists and maps a count then the items, a socket address a
//!   family byte (1 inet, 2 inet6, 3 unix, 4 other) then its fields.
//!
//! The input is untrusted: every length is checked against what is left,
//! a frame must be read to its last byte, a definition that fails to read
//! empties its slot (events naming it then fail rather than get another
//! process), and a broken length makes the reader skip to the next header.
//! A frame that fails is an error for that frame alone.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;

use crate::{Ancestor, Container, Event, EventKind, Process};

mod wire;

use wire::{
    get_body, get_process_fields_into, put_body, put_list, put_process_fields, put_varint, Bad, Cursor, Got, Wire,
};

/// The first bytes of a recording (and of each appended part).
pub const MAGIC: [u8; 8] = *b"PNPTREC\x01";
/// Frames longer than this are refused (the length is then broken).
pub const MAX_FRAME: usize = 16 << 20;
pub const PROCESS_SLOTS: usize = 4096;
pub const ANCESTOR_SLOTS: usize = 1024;
pub const CONTAINER_SLOTS: usize = 256;

const TAG_EVENT: u8 = 1;
const TAG_PROCESS: u8 = 2;
const TAG_ANCESTORS: u8 = 3;
const TAG_CONTAINER: u8 = 4;

/// The kinds in their v1 numbering (the byte in an event frame). New kinds
/// go at the end; this list is the format, not `EventKind::ALL`.
const KINDS_V1: [EventKind; 25] = [
    EventKind::Exec,
    EventKind::Fork,
    EventKind::Exit,
    EventKind::FileOpen,
    EventKind::FileRename,
    EventKind::FileUnlink,
    EventKind::FileChmod,
    EventKind::FileChown,
    EventKind::NetConnect,
    EventKind::NetBind,
    EventKind::NetListen,
    EventKind::NetAccept,
    EventKind::Ptrace,
    EventKind::ModuleLoad,
    EventKind::MemfdCreate,
    EventKind::Setid,
    EventKind::Capset,
    EventKind::Mount,
    EventKind::Umount,
    EventKind::Unshare,
    EventKind::Setns,
    EventKind::Bpf,
    EventKind::Kill,
    EventKind::AssetChange,
    EventKind::Loss,
];

fn kind_number(kind: EventKind) -> u8 {
    // KINDS_V1 holds every kind (checked by a test), so the fallback, an
    // invalid number, is never written.
    KINDS_V1.iter().position(|k| *k == kind).map_or(u8::MAX, |i| i as u8)
}

/// What is wrong with a recording, and where.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A frame that could not be read (skipped; reading goes on).
    #[error("byte {at}: {what}")]
    Corrupt { at: u64, what: String },
}

/// One bounded table of the writer: encoded value → slot.
struct Table {
    by_bytes: HashMap<Box<[u8]>, u32, foldhash::fast::RandomState>,
    /// The bytes each slot holds (slot `n` at `n - 1`).
    slots: Vec<Box<[u8]>>,
    /// The slot to reuse next once every slot is taken (oldest first).
    next: usize,
    cap: usize,
}

impl Table {
    fn new(cap: usize) -> Table {
        Table { by_bytes: HashMap::default(), slots: Vec::new(), next: 0, cap }
    }

    /// The slot holding `bytes` and whether it was just assigned (the
    /// caller then writes its definition).
    fn slot(&mut self, bytes: &[u8]) -> (u32, bool) {
        if let Some(&slot) = self.by_bytes.get(bytes) {
            return (slot, false);
        }
        let key: Box<[u8]> = bytes.into();
        let at = if self.slots.len() < self.cap {
            self.slots.push(key.clone());
            self.slots.len() - 1
        } else {
            let at = self.next;
            self.next = (self.next + 1) % self.cap;
            let old = std::mem::replace(&mut self.slots[at], key.clone());
            self.by_bytes.remove(&old);
            at
        };
        let slot = at as u32 + 1;
        self.by_bytes.insert(key, slot);
        (slot, true)
    }

    fn clear(&mut self) {
        self.by_bytes.clear();
        self.slots.clear();
        self.next = 0;
    }
}

/// Writes events as frames (one per output: it remembers what it defined).
pub struct Encoder {
    processes: Table,
    ancestors: Table,
    containers: Table,
    started: bool,
    /// Scratch: the process key (its fields, then its ancestors' bytes).
    key: Vec<u8>,
    list: Vec<u8>,
    container: Vec<u8>,
}

impl Default for Encoder {
    fn default() -> Encoder {
        Encoder {
            processes: Table::new(PROCESS_SLOTS),
            ancestors: Table::new(ANCESTOR_SLOTS),
            containers: Table::new(CONTAINER_SLOTS),
            started: false,
            key: Vec::new(),
            list: Vec::new(),
            container: Vec::new(),
        }
    }
}

/// Appends one frame: length, tag, then what `payload` writes.
fn frame(out: &mut Vec<u8>, tag: u8, payload: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(tag);
    payload(out);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// The slot of `bytes` in `table`, with a `tag` frame defining it if new.
fn define(table: &mut Table, bytes: &[u8], tag: u8, out: &mut Vec<u8>) -> u32 {
    let (slot, new) = table.slot(bytes);
    if new {
        frame(out, tag, |o| {
            put_varint(o, u64::from(slot));
            o.extend_from_slice(bytes);
        });
    }
    slot
}

impl Encoder {
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// Appends `ev` to `out`: the header before the first event, then a
    /// definition of its process, ancestor list and container where the
    /// reader does not hold them yet, then the event frame.
    pub fn encode(&mut self, ev: &Event, out: &mut Vec<u8>) {
        if !self.started {
            out.extend_from_slice(&MAGIC);
            self.started = true;
        }
        let process = self.process_slot(&ev.process, out);
        let container = match &ev.container {
            None => 0,
            Some(c) => {
                self.container.clear();
                c.put(&mut self.container);
                define(&mut self.containers, &self.container, TAG_CONTAINER, out)
            }
        };
        frame(out, TAG_EVENT, |o| {
            o.push(kind_number(ev.kind()));
            o.extend_from_slice(&ev.time_unix_ns.to_le_bytes());
            o.extend_from_slice(&ev.time_boot_ns.to_le_bytes());
            put_varint(o, u64::from(process));
            put_varint(o, u64::from(container));
            put_body(&ev.body, o);
        });
    }

    /// The process's slot, defining it (and its ancestor list) if new. The
    /// key is the whole process, ancestors included, so a slot found is the
    /// same process even if its ancestor list's slot was reused since.
    fn process_slot(&mut self, p: &Process, out: &mut Vec<u8>) -> u32 {
        self.key.clear();
        put_process_fields(p, &mut self.key);
        let fields = self.key.len();
        self.list.clear();
        put_list(&p.ancestors, &mut self.list);
        self.key.extend_from_slice(&self.list);
        let (slot, new) = self.processes.slot(&self.key);
        if !new {
            return slot;
        }
        let list = match p.ancestors.is_empty() {
            true => 0,
            false => define(&mut self.ancestors, &self.list, TAG_ANCESTORS, out),
        };
        let fields = &self.key[..fields];
        frame(out, TAG_PROCESS, |o| {
            put_varint(o, u64::from(slot));
            o.extend_from_slice(fields);
            put_varint(o, u64::from(list));
        });
        slot
    }

    /// Forgets every definition: the next event starts a new part with its
    /// own header (for a writer that lost bytes, e.g. a failed write).
    pub fn restart(&mut self) {
        self.processes.clear();
        self.ancestors.clear();
        self.containers.clear();
        self.started = false;
    }
}

/// The reader's tables.
#[derive(Default)]
struct Tables {
    processes: Vec<Option<Arc<Process>>>,
    ancestors: Vec<Option<Arc<[Ancestor]>>>,
    containers: Vec<Option<Container>>,
}

impl Tables {
    fn new() -> Tables {
        Tables {
            processes: vec![None; PROCESS_SLOTS],
            ancestors: vec![None; ANCESTOR_SLOTS],
            containers: vec![None; CONTAINER_SLOTS],
        }
    }

    fn clear(&mut self) {
        self.processes.iter_mut().for_each(|s| *s = None);
        self.ancestors.iter_mut().for_each(|s| *s = None);
        self.containers.iter_mut().for_each(|s| *s = None);
    }

    /// One frame (tag and payload); `Some` for an event frame.
    fn frame(&mut self, frame: &[u8]) -> Got<Option<Event>> {
        let mut c = Cursor { rest: frame };
        match c.byte()? {
            TAG_EVENT => {
                let number = c.byte()?;
                let kind = *KINDS_V1.get(number as usize).ok_or_else(|| Bad(format!("kind number {number}")))?;
                let time_unix_ns = c.fixed_u64()?;
                let time_boot_ns = c.fixed_u64()?;
                let process = match c.varint()? {
                    0 => crate::de::no_process(),
                    n => defined(&self.processes, n, "process")?,
                };
                let container = match c.varint()? {
                    0 => None,
                    n => Some(defined(&self.containers, n, "container")?),
                };
                let body = get_body(kind, &mut c)?;
                c.end()?;
                Ok(Some(Event { time_boot_ns, time_unix_ns, process, container, body }))
            }
            TAG_PROCESS => {
                let slot = c.slot(PROCESS_SLOTS)?;
                // The slot's old process, if no event holds it any more, is
                // read over (its strings reused); the slot stays empty
                // unless the whole definition reads.
                let mut process = self.processes[slot].take().unwrap_or_default();
                let p = Arc::make_mut(&mut process);
                get_process_fields_into(p, &mut c)?;
                p.ancestors = match c.varint()? {
                    0 => Arc::default(),
                    n => defined(&self.ancestors, n, "ancestor list")?,
                };
                c.end()?;
                self.processes[slot] = Some(process);
                Ok(None)
            }
            TAG_ANCESTORS => define_slot(&mut self.ancestors, &mut c, |c| Ok(Vec::<Ancestor>::get(c)?.into())),
            TAG_CONTAINER => define_slot(&mut self.containers, &mut c, Container::get),
            tag => Err(Bad(format!("unknown frame tag {tag}"))),
        }
    }
}

/// A definition frame's slot and value: the slot is emptied first and
/// holds the value only if the whole frame reads.
fn define_slot<T>(
    table: &mut [Option<T>],
    c: &mut Cursor<'_>,
    read: impl FnOnce(&mut Cursor<'_>) -> Got<T>,
) -> Got<Option<Event>> {
    let slot = c.slot(table.len())?;
    table[slot] = None;
    let value = read(c)?;
    c.end()?;
    table[slot] = Some(value);
    Ok(None)
}

/// What slot `n` (1-based) of a table holds.
fn defined<T: Clone>(table: &[Option<T>], n: u64, what: &str) -> Got<T> {
    let slot = usize::try_from(n).unwrap_or(usize::MAX).wrapping_sub(1);
    match table.get(slot) {
        Some(Some(v)) => Ok(v.clone()),
        Some(None) => Err(Bad(format!("{what} slot {n} is empty"))),
        None => Err(Bad(format!("{what} slot {n} out of 1..={}", table.len()))),
    }
}

/// Reads a recording from a byte stream, event by event.
pub struct Reader<R> {
    input: R,
    buf: Vec<u8>,
    /// Unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    tables: Tables,
    /// The stream began with the header.
    checked: bool,
}

const READ_CHUNK: usize = 64 << 10;

impl<R: Read> Reader<R> {
    pub fn new(input: R) -> Reader<R> {
        Reader {
            input,
            buf: vec![0; READ_CHUNK],
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            tables: Tables::new(),
            checked: false,
        }
    }

    /// Makes at least `n` unread bytes available unless the input ends
    /// first; false at the end.
    fn want(&mut self, n: usize) -> io::Result<bool> {
        while self.end - self.pos < n {
            if self.eof {
                return Ok(false);
            }
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.base += self.pos as u64;
                self.end -= self.pos;
                self.pos = 0;
            }
            // Grown as bytes arrive, not to a length the input claims.
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(read) => self.end += read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    fn at(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Skips to the next header after a broken length; what was skipped is
    /// reported as one error.
    fn resync(&mut self, what: String) -> Result<(), RecordError> {
        let at = self.at();
        self.pos += 1;
        loop {
            let found = memchr::memmem::find(&self.buf[self.pos..self.end], &MAGIC);
            match found {
                Some(i) => {
                    self.pos += i;
                    break;
                }
                None => {
                    // Keep the last bytes: a header may straddle reads.
                    let keep = (self.end - self.pos).min(MAGIC.len() - 1);
                    self.pos = self.end - keep;
                    if !self.want(keep + 1)? {
                        self.pos = self.end;
                        break;
                    }
                }
            }
        }
        Err(RecordError::Corrupt { at, what: format!("{what}; skipped {} bytes", self.at() - at) })
    }

    /// The next event, an error for a frame that could not be read (the
    /// next call goes on after it), or `None` at the end.
    pub fn next_event(&mut self) -> Option<Result<Event, RecordError>> {
        match self.next_inner() {
            Ok(Some(ev)) => Some(Ok(ev)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    fn next_inner(&mut self) -> Result<Option<Event>, RecordError> {
        loop {
            if self.want(MAGIC.len())? && self.buf[self.pos..self.pos + MAGIC.len()] == MAGIC {
                self.pos += MAGIC.len();
                if self.checked {
                    self.tables.clear();
                }
                self.checked = true;
                continue;
            }
            if !self.checked {
                self.checked = true;
                if self.end > self.pos {
                    return self.resync("not a Panoptes recording (no header)".into()).map(|_| None);
                }
            }
            if self.end == self.pos {
                return Ok(None);
            }
            if !self.want(4)? {
                let at = self.at();
                self.pos = self.end;
                return Err(RecordError::Corrupt { at, what: "the recording ends inside a frame's length".into() });
            }
            let len = u32::from_le_bytes([
                self.buf[self.pos],
                self.buf[self.pos + 1],
                self.buf[self.pos + 2],
                self.buf[self.pos + 3],
            ]) as usize;
            if len == 0 || len > MAX_FRAME {
                return self.resync(format!("frame length {len}")).map(|_| None);
            }
            if !self.want(4 + len)? {
                let at = self.at();
                self.pos = self.end;
                return Err(RecordError::Corrupt { at, what: format!("the recording ends inside a {len}-byte frame") });
            }
            let at = self.at();
            let start = self.pos + 4;
            self.pos = start + len;
            match self.tables.frame(&self.buf[start..start + len]) {
                Ok(Some(ev)) => return Ok(Some(ev)),
                Ok(None) => continue,
                Err(Bad(what)) => return Err(RecordError::Corrupt { at, what }),
            }
        }
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Event, RecordError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
    }
}

/// Whether `head` (a file's first bytes) starts a binary recording.
pub fn is_recording(head: &[u8]) -> bool {
    head.starts_with(&MAGIC)
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
