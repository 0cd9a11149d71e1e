//! The proc connector fallback as a [`Source`]: fork, exec, exit, set*id
//! and ptrace from NETLINK_CONNECTOR, exec details read from /proc
//! (race-aware). Loss = gaps in the kernel's per-CPU sequence numbers,
//! mirrored into the `kernel_ringbuf` hop (kind unknown).

use std::time::Duration;

use event::EventKind;
use procconn::ProcConnector;

use super::{Item, Source};
use crate::counters::Counters;

/// Kinds the proc connector reports.
pub const KINDS: &[EventKind] =
    &[EventKind::Exec, EventKind::Fork, EventKind::Exit, EventKind::Setid, EventKind::Ptrace];

pub struct ProcSource {
    connector: ProcConnector,
    me: u32,
}

impl ProcSource {
    pub fn start() -> Result<ProcSource, procconn::ProcConnError> {
        Ok(ProcSource { connector: ProcConnector::open()?, me: std::process::id() })
    }
}

impl Source for ProcSource {
    fn poll(&mut self, timeout_ms: i32, out: &mut dyn FnMut(Item)) {
        match self.connector.recv(Duration::from_millis(timeout_ms.max(0) as u64)) {
            Ok(events) => {
                for ev in events.into_iter().filter(|e| e.process.pid != self.me) {
                    out(Item::Event(ev));
                }
            }
            Err(error) => out(Item::Malformed { kind: None, error: error.to_string() }),
        }
    }

    fn tick(&mut self, counters: &Counters) {
        counters.kernel_ringbuf.set(None, self.connector.stats().lost);
    }

    fn close(self: Box<Self>) {
        if let Err(error) = self.connector.close() {
            tracing::warn!(%error, "closing the proc connector failed");
        }
    }
}
