//! Groups records into events. Records of one event share (node, timestamp,
//! serial); the kernel ends a syscall event with an EOE record, user-space
//! and daemon records stand alone, and everything else is closed by a
//! timeout, by the in-flight limit, or by a final flush.
//!
//! Design points:
//! * **Bounded.** At most `max_in_flight` open events (the one with the
//!   oldest serial is pushed out, complete with what it has, and counted as
//!   evicted) and `max_records_per_event` records per event (extra records
//!   are counted and dropped).
//! * **Loss.** Serials are per node and consecutive, so a jump from 49 to
//!   59 means 9 events were lost. A window of recently seen serials
//!   ([`SEEN_WINDOW`]) lets an event that arrives after a later one refill
//!   the gap it was counted in, so `lost` stays exact under reordering.
//! * **Wrap and restarts.** The 32-bit serial is extended to 64 bits by
//!   signed distance to the highest serial seen (so 4294967295 → 0 is +1); a
//!   jump of more than 2^24 either way is a restart of the counter (reboot,
//!   another log), not loss.
//! * **Order.** Events are emitted when complete, so their order is the
//!   order they finish in; forced emissions (eviction, timeout, flush) go out
//!   in serial order. A record whose event was already emitted is emitted
//!   alone, marked [`Completion::Late`].
//!
//! Time is the caller's: `now_ms` is any monotonic millisecond clock (wall
//! time for the live netlink sensor, the records' own timestamps in a
//! replay). Nothing here reads a clock.

use std::collections::{BTreeMap, HashMap};

use crate::record::{AuditTime, Record, EOE};

/// How many recent serials per node are remembered for loss accounting.
pub const SEEN_WINDOW: u64 = 4096;
/// A serial jump larger than this is a counter restart, not loss or wrap.
const RESET_DISTANCE: i64 = 1 << 24;
/// Most distinct `node=` names tracked; further nodes share one state.
pub const MAX_NODES: usize = 1024;

/// Limits of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblerConfig {
    /// Open events kept at most; more evicts the oldest serial.
    pub max_in_flight: usize,
    /// An open event older than this (from its first record) is emitted by
    /// [`Reassembler::flush_expired`].
    pub timeout_ms: u64,
    /// Records kept per event; more are dropped and counted.
    pub max_records_per_event: usize,
}

impl Default for ReassemblerConfig {
    fn default() -> Self {
        ReassemblerConfig { max_in_flight: 512, timeout_ms: 2000, max_records_per_event: 1024 }
    }
}

/// Why an event was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Completion {
    /// The kernel's EOE record arrived.
    Eoe,
    /// A record type that is a whole event by itself (user-space and daemon
    /// records).
    Standalone,
    /// Open longer than the timeout.
    Timeout,
    /// Pushed out by the in-flight limit, or by a record with the same
    /// serial but another timestamp.
    Evicted,
    /// Emitted by [`Reassembler::flush`].
    Flushed,
    /// A record whose event had already been emitted.
    Late,
}

/// One reassembled audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub node: Option<String>,
    pub time: AuditTime,
    pub serial: u32,
    /// In arrival order, EOE excluded.
    pub records: Vec<Record>,
    pub completion: Completion,
}

/// Counters of a [`Reassembler`]; every record in is accounted for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub records_in: u64,
    pub events_out: u64,
    /// Serials never seen: events the kernel or auditd dropped.
    pub lost: u64,
    /// Events forced out by the in-flight limit (possibly incomplete).
    pub evicted: u64,
    /// Events emitted by timeout (possibly incomplete).
    pub timed_out: u64,
    /// Records that arrived after their event was emitted.
    pub late_records: u64,
    /// Records over `max_records_per_event`.
    pub dropped_records: u64,
    /// Events that arrived after a later serial (a gap refilled).
    pub reordered: u64,
    /// Serial counter restarts (reboot, or logs of several boots).
    pub resets: u64,
    /// EOE records whose event had no other record when it was emitted.
    pub orphan_eoe: u64,
    /// Lines or messages the parser rejected, reported with
    /// [`Reassembler::note_malformed`] so all counters live together.
    pub malformed: u64,
}

/// Record types that are a whole event: user-space (1100–1199), daemon
/// (1200–1299) and the user-space/virt/crypto ranges from 2000 up. Kernel
/// control records (1000–1099, e.g. LOGIN) are not in the list: modern
/// kernels emit LOGIN inside a syscall event, so it waits for EOE.
pub fn is_standalone(rtype: u16) -> bool {
    matches!(rtype, 1100..=1299 | 2000..=2999)
}

struct Pending {
    node: Option<String>,
    time: AuditTime,
    serial: u32,
    records: Vec<Record>,
    first_seen_ms: u64,
}

/// Per-node serial bookkeeping.
struct NodeState {
    first: u64,
    max: u64,
    seen: [u64; (SEEN_WINDOW / 64) as usize],
}

enum Position {
    /// A serial not seen before.
    New,
    /// Seen before: its event is open, or was emitted.
    Seen,
}

impl NodeState {
    fn new(ext: u64) -> NodeState {
        let mut state = NodeState { first: ext, max: ext, seen: [0; (SEEN_WINDOW / 64) as usize] };
        state.mark(ext);
        state
    }

    fn bit(ext: u64) -> (usize, u64) {
        let slot = ext % SEEN_WINDOW;
        ((slot / 64) as usize, 1 << (slot % 64))
    }

    fn mark(&mut self, ext: u64) {
        let (word, mask) = Self::bit(ext);
        if let Some(w) = self.seen.get_mut(word) {
            *w |= mask;
        }
    }

    fn is_marked(&self, ext: u64) -> bool {
        let (word, mask) = Self::bit(ext);
        self.seen.get(word).is_some_and(|w| w & mask != 0)
    }

    /// Extends `serial` to 64 bits and updates the loss counters.
    fn place(&mut self, serial: u32, stats: &mut Stats) -> (u64, Position) {
        let distance = i64::from(serial.wrapping_sub(self.max as u32) as i32);
        if distance.abs() > RESET_DISTANCE {
            stats.resets += 1;
            let ext = (((self.max >> 32) + 2) << 32) | u64::from(serial);
            *self = NodeState::new(ext);
            return (ext, Position::New);
        }
        // `max` is at least 2^32 and |distance| at most 2^24: no wrap.
        let ext = self.max.wrapping_add_signed(distance);
        if distance > 0 {
            stats.lost += distance as u64 - 1;
            if distance as u64 >= SEEN_WINDOW {
                self.seen = [0; (SEEN_WINDOW / 64) as usize];
            } else {
                for skipped in self.max + 1..=ext {
                    let (word, mask) = Self::bit(skipped);
                    if let Some(w) = self.seen.get_mut(word) {
                        *w &= !mask;
                    }
                }
            }
            self.max = ext;
            self.mark(ext);
            return (ext, Position::New);
        }
        if self.max - ext >= SEEN_WINDOW {
            // Too old to tell; treat it as a new event that came late.
            stats.reordered += 1;
            return (ext, Position::New);
        }
        if self.is_marked(ext) {
            return (ext, Position::Seen);
        }
        self.mark(ext);
        stats.reordered += 1;
        if ext >= self.first {
            // It was counted in a gap when a later serial arrived first.
            stats.lost = stats.lost.saturating_sub(1);
        } else {
            self.first = ext;
        }
        (ext, Position::New)
    }
}

/// Groups records into [`AuditEvent`]s. See the module docs.
pub struct Reassembler {
    config: ReassemblerConfig,
    /// Open events by (node index, extended serial).
    open: BTreeMap<(u32, u64), Pending>,
    node_index: HashMap<Option<String>, u32>,
    nodes: Vec<Option<NodeState>>,
    stats: Stats,
}

impl Reassembler {
    pub fn new(config: ReassemblerConfig) -> Reassembler {
        let config = ReassemblerConfig {
            max_in_flight: config.max_in_flight.max(1),
            max_records_per_event: config.max_records_per_event.max(1),
            ..config
        };
        Reassembler {
            config,
            open: BTreeMap::new(),
            node_index: HashMap::new(),
            nodes: Vec::new(),
            stats: Stats::default(),
        }
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Open events right now.
    pub fn in_flight(&self) -> usize {
        self.open.len()
    }

    /// Counts a line or message the parser rejected.
    pub fn note_malformed(&mut self) {
        self.stats.malformed += 1;
    }

    /// Adds one record; events it completes (or evicts) are appended to `out`.
    pub fn push(&mut self, record: Record, now_ms: u64, out: &mut Vec<AuditEvent>) {
        self.stats.records_in += 1;
        let node = self.node_slot(&record.node);
        let (ext, position) = match self.nodes.get_mut(node as usize) {
            Some(Some(state)) => state.place(record.serial, &mut self.stats),
            Some(slot) => {
                let ext = (1u64 << 32) | u64::from(record.serial);
                *slot = Some(NodeState::new(ext));
                (ext, Position::New)
            }
            None => ((1u64 << 32) | u64::from(record.serial), Position::New),
        };
        let key = (node, ext);
        let rtype = record.rtype.number;
        let open = self.open.get(&key).map(|p| p.time);
        match (open, position) {
            (Some(time), _) if time != record.time => {
                self.emit_key(key, Completion::Evicted, out);
                self.stats.evicted += 1;
                self.open_event(key, record, now_ms, out);
            }
            (Some(_), _) => self.append(key, record, out),
            (None, Position::Seen) => {
                self.stats.late_records += 1;
                if rtype != EOE {
                    self.emit(Pending::single(record, now_ms), Completion::Late, out);
                }
            }
            (None, Position::New) => self.open_event(key, record, now_ms, out),
        }
    }

    /// Emits every open event whose first record arrived at least
    /// `timeout_ms` before `now_ms`, in serial order.
    pub fn flush_expired(&mut self, now_ms: u64, out: &mut Vec<AuditEvent>) {
        let timeout = self.config.timeout_ms;
        let expired: Vec<(u32, u64)> = self
            .open
            .iter()
            .filter(|(_, p)| now_ms.saturating_sub(p.first_seen_ms) >= timeout)
            .map(|(k, _)| *k)
            .collect();
        for key in expired {
            if self.emit_key(key, Completion::Timeout, out) {
                self.stats.timed_out += 1;
            }
        }
    }

    /// Emits every open event, in serial order (end of input, shutdown).
    pub fn flush(&mut self, out: &mut Vec<AuditEvent>) {
        while let Some((_, pending)) = self.open.pop_first() {
            self.emit(pending, Completion::Flushed, out);
        }
    }

    fn open_event(&mut self, key: (u32, u64), record: Record, now_ms: u64, out: &mut Vec<AuditEvent>) {
        let rtype = record.rtype.number;
        if is_standalone(rtype) {
            self.emit(Pending::single(record, now_ms), Completion::Standalone, out);
            return;
        }
        let mut pending = Pending::single(record, now_ms);
        if rtype == EOE {
            // EOE before the rest: keep the slot open for them.
            pending.records.clear();
        }
        self.open.insert(key, pending);
        while self.open.len() > self.config.max_in_flight {
            if let Some((_, oldest)) = self.open.pop_first() {
                self.stats.evicted += 1;
                self.emit(oldest, Completion::Evicted, out);
            }
        }
    }

    fn append(&mut self, key: (u32, u64), record: Record, out: &mut Vec<AuditEvent>) {
        let rtype = record.rtype.number;
        if rtype == EOE {
            self.emit_key(key, Completion::Eoe, out);
            return;
        }
        let standalone = is_standalone(rtype);
        if let Some(pending) = self.open.get_mut(&key) {
            if pending.records.len() >= self.config.max_records_per_event {
                self.stats.dropped_records += 1;
            } else {
                pending.records.push(record);
            }
        }
        if standalone {
            self.emit_key(key, Completion::Standalone, out);
        }
    }

    /// Emits the open event `key`; false if there was none.
    fn emit_key(&mut self, key: (u32, u64), completion: Completion, out: &mut Vec<AuditEvent>) -> bool {
        match self.open.remove(&key) {
            Some(pending) => {
                self.emit(pending, completion, out);
                true
            }
            None => false,
        }
    }

    fn emit(&mut self, pending: Pending, completion: Completion, out: &mut Vec<AuditEvent>) {
        if pending.records.is_empty() {
            self.stats.orphan_eoe += 1;
            return;
        }
        self.stats.events_out += 1;
        out.push(AuditEvent {
            node: pending.node,
            time: pending.time,
            serial: pending.serial,
            records: pending.records,
            completion,
        });
    }

    /// The index of `node`'s state; nodes past [`MAX_NODES`] share the last.
    fn node_slot(&mut self, node: &Option<String>) -> u32 {
        if let Some(index) = self.node_index.get(node) {
            return *index;
        }
        if self.nodes.len() >= MAX_NODES {
            return (MAX_NODES - 1) as u32;
        }
        let index = self.nodes.len() as u32;
        self.nodes.push(None);
        self.node_index.insert(node.clone(), index);
        index
    }
}

impl Pending {
    fn single(record: Record, now_ms: u64) -> Pending {
        Pending {
            node: record.node.clone(),
            time: record.time,
            serial: record.serial,
            records: vec![record],
            first_seen_ms: now_ms,
        }
    }
}

#[cfg(test)]
#[path = "reassemble_tests.rs"]
mod tests;
