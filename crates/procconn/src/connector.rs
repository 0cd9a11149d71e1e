//! [`ProcConnector`]: subscribes to the proc connector, reads its datagrams,
//! converts each message right away (so exec events read /proc as early as
//! possible) and keeps the counters.
//!
//! Loss is seen two ways: ENOBUFS from the socket (the kernel could not
//! queue a multicast copy for us; counted per occurrence) and gaps in the
//! per-CPU sequence numbers (counted per missing event, exact). The kernel
//! never blocks for a slow listener, so a full receive buffer loses events.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use event::Event;

use crate::clock::EventClock;
use crate::convert::{convert, Converted, Skip};
use crate::error::ProcConnError;
use crate::procfs::ProcReader;
use crate::socket::{CnSocket, Read};
use crate::wire::{self, what, Message, ProcEvent};

/// Largest connector datagram is ~80 bytes; a page holds any.
const RECV_BUF: usize = 4096;
/// Events converted while waiting for the listen ack, held for `recv`.
const PENDING_CAP: usize = 4096;
const ACK_TIMEOUT: Duration = Duration::from_secs(2);

/// Open options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Receive buffer asked for (SO_RCVBUFFORCE as root).
    pub rcvbuf_bytes: usize,
    /// Most datagrams one `recv` handles.
    pub batch_max: usize,
    /// argv bytes read from /proc/<pid>/cmdline (more sets
    /// `argv_truncated`); 4095 like the eBPF sensor.
    pub argv_max_bytes: usize,
    /// Where /proc is (tests point it elsewhere).
    pub proc_root: PathBuf,
}

impl Default for Options {
    fn default() -> Options {
        Options { rcvbuf_bytes: 16 << 20, batch_max: 8192, argv_max_bytes: 4095, proc_root: PathBuf::from("/proc") }
    }
}

/// Messages received, by `what`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WhatCounts {
    pub ack: u64,
    pub fork: u64,
    pub exec: u64,
    pub uid: u64,
    pub gid: u64,
    pub sid: u64,
    pub ptrace: u64,
    pub comm: u64,
    pub coredump: u64,
    pub exit: u64,
    pub unknown: u64,
}

impl WhatCounts {
    fn count(&mut self, what: u32) {
        let slot = match what {
            what::NONE => &mut self.ack,
            what::FORK => &mut self.fork,
            what::EXEC => &mut self.exec,
            what::UID => &mut self.uid,
            what::GID => &mut self.gid,
            what::SID => &mut self.sid,
            what::PTRACE => &mut self.ptrace,
            what::COMM => &mut self.comm,
            what::COREDUMP => &mut self.coredump,
            what::EXIT | what::NONZERO_EXIT => &mut self.exit,
            _ => &mut self.unknown,
        };
        *slot += 1;
    }
}

/// Counters since open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcConnStats {
    pub datagrams: u64,
    /// Connector messages decoded.
    pub received: u64,
    pub by_what: WhatCounts,
    /// Events handed out.
    pub emitted: u64,
    /// Messages with no event: acks, comm, sid, coredump, unknown whats.
    pub skipped: u64,
    /// Exits of threads other than the group leader (no `exit` event).
    pub thread_exits: u64,
    /// ENOBUFS occurrences: the socket overflowed.
    pub enobufs: u64,
    /// Events missing from the per-CPU sequence: lost for us.
    pub lost: u64,
    /// Datagrams that did not decode.
    pub malformed: u64,
    /// Exec events emitted with an incomplete /proc read (races), and of
    /// those, the ones whose process was already gone (reaped or pid
    /// reused).
    pub exec_incomplete: u64,
    pub exec_gone: u64,
    /// Events dropped because the queue kept during open was full.
    pub pending_dropped: u64,
}

/// A proc connector listener producing Panoptes events.
pub struct ProcConnector {
    sock: CnSocket,
    buf: Vec<u8>,
    clock: EventClock,
    reader: ProcReader,
    stats: ProcConnStats,
    last_seq: Vec<Option<u32>>,
    pending: VecDeque<Event>,
    batch_max: usize,
    listening: bool,
}

impl ProcConnector {
    /// Opens with default [`Options`].
    pub fn open() -> Result<ProcConnector, ProcConnError> {
        ProcConnector::open_with(Options::default())
    }

    /// Binds to the proc connector group, sends PROC_CN_MCAST_LISTEN and
    /// waits for the kernel's ack.
    pub fn open_with(opts: Options) -> Result<ProcConnector, ProcConnError> {
        let mut sock = CnSocket::open()?;
        let granted = sock.set_rcvbuf(opts.rcvbuf_bytes);
        sock.send_op(wire::MCAST_LISTEN).map_err(|source| ProcConnError::Io { op: "listen", source })?;
        let mut conn = ProcConnector {
            sock,
            buf: vec![0; RECV_BUF],
            clock: EventClock::now(),
            reader: ProcReader::new(opts.proc_root, opts.argv_max_bytes),
            stats: ProcConnStats::default(),
            last_seq: Vec::new(),
            pending: VecDeque::new(),
            batch_max: opts.batch_max.max(1),
            listening: true,
        };
        conn.wait_for_ack()?;
        tracing::info!(rcvbuf = granted, "proc connector listening");
        Ok(conn)
    }

    /// The kernel acks with a `what = NONE` message (since 6.x with a
    /// per-CPU sequence number, so it cannot be matched to our request;
    /// the first ack after the request is taken as ours).
    fn wait_for_ack(&mut self) -> Result<(), ProcConnError> {
        let deadline = Instant::now() + ACK_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ProcConnError::NoAck(ACK_TIMEOUT.as_millis() as u64));
            }
            self.sock.wait(left).map_err(|source| ProcConnError::Io { op: "poll", source })?;
            let mut ack = None;
            let mut events = Vec::new();
            self.read_batch(256, &mut events, &mut ack)?;
            for e in events {
                if self.pending.len() >= PENDING_CAP {
                    self.stats.pending_dropped += 1;
                } else {
                    self.pending.push_back(e);
                }
            }
            match ack {
                Some(0) => return Ok(()),
                Some(err) => {
                    self.listening = false;
                    return Err(ProcConnError::Refused(std::io::Error::from_raw_os_error(err as i32)));
                }
                None => {}
            }
        }
    }

    /// Waits up to `timeout` and returns the events of every datagram
    /// queued (at most `batch_max`). An empty batch means the timeout passed.
    pub fn recv(&mut self, timeout: Duration) -> Result<Vec<Event>, ProcConnError> {
        self.clock.refresh();
        let mut out: Vec<Event> = self.pending.drain(..).collect();
        let start = Instant::now();
        loop {
            let left = timeout.saturating_sub(start.elapsed());
            let ready = if out.is_empty() {
                self.sock.wait(left).map_err(|source| ProcConnError::Io { op: "poll", source })?
            } else {
                true
            };
            if ready {
                let mut ack = None;
                self.read_batch(self.batch_max, &mut out, &mut ack)?;
            }
            if !out.is_empty() || !ready || left.is_zero() {
                return Ok(out);
            }
        }
    }

    /// Reads up to `max` datagrams without blocking, converting as it goes.
    fn read_batch(&mut self, max: usize, out: &mut Vec<Event>, ack: &mut Option<u32>) -> Result<(), ProcConnError> {
        let mut msgs = Vec::new();
        for _ in 0..max {
            match self.sock.read(&mut self.buf).map_err(|source| ProcConnError::Io { op: "recv", source })? {
                Read::Nothing => break,
                Read::NoBufs => {
                    self.stats.enobufs += 1;
                    tracing::warn!(
                        total = self.stats.enobufs,
                        "proc connector socket overflowed (ENOBUFS): events lost"
                    );
                }
                Read::Datagram(n) => {
                    self.stats.datagrams += 1;
                    msgs.clear();
                    if let Err(error) = wire::decode(self.buf.get(..n).unwrap_or_default(), &mut msgs) {
                        self.stats.malformed += 1;
                        tracing::debug!(%error, "malformed proc connector datagram");
                    }
                    for m in &msgs {
                        if let ProcEvent::Ack { err } = m.event {
                            ack.get_or_insert(err);
                        }
                        self.on_message(m, out);
                    }
                }
            }
        }
        Ok(())
    }

    fn on_message(&mut self, m: &Message, out: &mut Vec<Event>) {
        self.stats.received += 1;
        self.stats.by_what.count(m.what);
        self.track_seq(m.cpu, m.seq);
        match convert(m, &self.clock, &self.reader) {
            Converted::Event(e) => {
                self.stats.emitted += 1;
                out.push(*e);
            }
            Converted::IncompleteExec { event, gone } => {
                self.stats.emitted += 1;
                self.stats.exec_incomplete += 1;
                self.stats.exec_gone += u64::from(gone);
                tracing::debug!(pid = event.process.pid, gone, "exec with incomplete /proc read");
                out.push(*event);
            }
            Converted::Skipped(skip) => {
                self.stats.skipped += 1;
                if skip == Skip::ThreadExit {
                    self.stats.thread_exits += 1;
                }
            }
        }
    }

    /// Counts events missing between consecutive sequence numbers of a CPU.
    fn track_seq(&mut self, cpu: u32, seq: u32) {
        // Old kernels send acks with cpu = -1 and our own seq: not counted.
        let Ok(cpu) = usize::try_from(cpu) else { return };
        if cpu >= 8192 {
            return;
        }
        if self.last_seq.len() <= cpu {
            self.last_seq.resize(cpu + 1, None);
        }
        if let Some(Some(last)) = self.last_seq.get(cpu) {
            let gap = seq.wrapping_sub(*last).wrapping_sub(1);
            // A huge "gap" is a reordering or a restart, not 2^31 losses.
            if gap > 0 && gap < 1 << 24 {
                self.stats.lost += u64::from(gap);
            }
        }
        if let Some(slot) = self.last_seq.get_mut(cpu) {
            *slot = Some(seq);
        }
    }

    pub fn stats(&self) -> ProcConnStats {
        self.stats
    }

    /// Sends PROC_CN_MCAST_IGNORE (the kernel keeps a listener count and
    /// builds events only while it is above zero).
    pub fn close(mut self) -> Result<(), ProcConnError> {
        self.listening = false;
        self.sock.send_op(wire::MCAST_IGNORE).map(|_| ()).map_err(|source| ProcConnError::Io { op: "ignore", source })
    }
}

impl Drop for ProcConnector {
    fn drop(&mut self) {
        if self.listening {
            if let Err(error) = self.sock.send_op(wire::MCAST_IGNORE) {
                tracing::warn!(%error, "proc connector: could not send IGNORE on drop");
            }
        }
    }
}
