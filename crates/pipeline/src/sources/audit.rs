//! The Linux audit fallback as a [`Source`]: audit netlink messages
//! (multicast when auditd owns audit, else our own rules) are parsed,
//! reassembled into events and mapped onto the same event model.
//! Loss = serial gaps seen by the reassembler + socket overflows, mirrored
//! into the `kernel_ringbuf` hop (kind unknown).

use std::time::Duration;

use audit::{mapping, AuditEvent, Reassembler, ReassemblerConfig, Record};
use auditnl::{AuditClient, Mode};
use event::time::BootClock;
use event::EventKind;

use super::{Item, Source};
use crate::counters::Counters;

/// Kinds our audit rules (crates/auditnl `panoptes_rules`) produce.
pub const KINDS: &[EventKind] = &[
    EventKind::Exec,
    EventKind::FileOpen,
    EventKind::FileRename,
    EventKind::FileUnlink,
    EventKind::FileChmod,
    EventKind::FileChown,
    EventKind::NetConnect,
    EventKind::NetBind,
    EventKind::NetAccept,
    EventKind::Ptrace,
    EventKind::ModuleLoad,
    EventKind::MemfdCreate,
    EventKind::Setid,
    EventKind::Mount,
    EventKind::Unshare,
    EventKind::Setns,
    EventKind::Kill,
];

pub struct AuditSource {
    client: AuditClient,
    reassembler: Reassembler,
    events: Vec<AuditEvent>,
    clock: BootClock,
    /// Assembled events with no Panoptes kind (user-space records, ...).
    pub unmapped: u64,
    me: u32,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl AuditSource {
    pub fn start() -> Result<AuditSource, auditnl::AuditError> {
        let client = AuditClient::open(Mode::Auto)?;
        Ok(AuditSource {
            client,
            reassembler: Reassembler::new(ReassemblerConfig::default()),
            events: Vec::new(),
            clock: BootClock::now(),
            unmapped: 0,
            me: std::process::id(),
        })
    }

    pub fn mode(&self) -> &'static str {
        match self.client.mode() {
            auditnl::ActiveMode::Multicast => "multicast (auditd owns audit)",
            auditnl::ActiveMode::Own => "own rules",
        }
    }

    fn emit(&mut self, out: &mut dyn FnMut(Item)) {
        for assembled in self.events.drain(..) {
            match mapping::to_event(&assembled) {
                Some(mut ev) if ev.process.pid != self.me => {
                    // Audit stamps wall-clock time; give the tree a
                    // boot-clock time on the same scale as its own.
                    ev.time_boot_ns = self.clock.to_boot_ns(ev.time_unix_ns);
                    out(Item::Event(ev))
                }
                Some(_) => {}
                None => self.unmapped += 1,
            }
        }
    }
}

impl Source for AuditSource {
    fn poll(&mut self, timeout_ms: i32, out: &mut dyn FnMut(Item)) {
        let messages = match self.client.recv(Duration::from_millis(timeout_ms.max(0) as u64)) {
            Ok(m) => m,
            Err(error) => {
                out(Item::Malformed { kind: None, error: error.to_string() });
                return;
            }
        };
        let now = now_ms();
        for m in messages {
            match Record::parse_netlink(m.msg_type, &m.payload) {
                Ok(record) => self.reassembler.push(record, now, &mut self.events),
                Err(error) => {
                    self.reassembler.note_malformed();
                    out(Item::Malformed { kind: None, error: error.to_string() });
                }
            }
        }
        self.reassembler.flush_expired(now, &mut self.events);
        self.emit(out);
    }

    fn tick(&mut self, counters: &Counters) {
        self.clock = BootClock::now();
        let lost = self.reassembler.stats().lost + self.client.stats().enobufs;
        counters.kernel_ringbuf.set(None, lost);
    }

    fn drain(&mut self, out: &mut dyn FnMut(Item)) {
        self.reassembler.flush(&mut self.events);
        self.emit(out);
    }

    fn close(self: Box<Self>) {
        if let Err(error) = self.client.close() {
            tracing::warn!(%error, "restoring the audit state failed");
        }
    }
}
