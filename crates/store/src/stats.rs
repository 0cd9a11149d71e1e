//! The store's counters: bumped by `submit` (drops) and the writer thread
//! (everything else), readable at any time as a [`StoreStats`] snapshot.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use event::EventKind;
use serde::Serialize;

/// A snapshot of the store's counters (all since the writer started,
/// except the gauges `db_bytes` and `queued`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// Rows committed to the database (events and alerts).
    pub written: u64,
    /// Of `written`, alerts.
    pub alerts_written: u64,
    /// Rows refused by `submit` because the queue was full.
    pub dropped: u64,
    /// `dropped` by event kind name (only kinds with drops).
    pub dropped_by_kind: BTreeMap<String, u64>,
    /// Committed transactions of rows.
    pub batches: u64,
    /// Failed database operations (a batch, a retention pass, a checkpoint).
    pub write_errors: u64,
    /// Rows lost because the batch holding them failed to commit.
    pub write_lost: u64,
    /// Rows deleted by retention (age or size).
    pub retention_deleted: u64,
    /// Database size: pages in use plus the WAL file, as last measured.
    pub db_bytes: u64,
    /// Rows waiting in the queue right now.
    pub queued: u64,
}

/// The live counters behind [`StoreStats`].
#[derive(Debug)]
pub(crate) struct Counters {
    pub written: AtomicU64,
    pub alerts_written: AtomicU64,
    pub dropped: AtomicU64,
    dropped_by_kind: Vec<AtomicU64>,
    pub batches: AtomicU64,
    pub write_errors: AtomicU64,
    pub write_lost: AtomicU64,
    pub retention_deleted: AtomicU64,
    pub db_bytes: AtomicU64,
    drop_warned: AtomicBool,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            written: AtomicU64::new(0),
            alerts_written: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            dropped_by_kind: EventKind::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            batches: AtomicU64::new(0),
            write_errors: AtomicU64::new(0),
            write_lost: AtomicU64::new(0),
            retention_deleted: AtomicU64::new(0),
            db_bytes: AtomicU64::new(0),
            drop_warned: AtomicBool::new(false),
        }
    }
}

impl Counters {
    /// One row refused at the queue: counted by kind, logged the first time
    /// only (the counter carries the rest).
    pub(crate) fn row_dropped(&self, kind: EventKind) {
        self.dropped.fetch_add(1, Relaxed);
        if let Some(slot) = EventKind::ALL.iter().position(|k| *k == kind).and_then(|i| self.dropped_by_kind.get(i)) {
            slot.fetch_add(1, Relaxed);
        }
        if !self.drop_warned.swap(true, Relaxed) {
            tracing::warn!(kind = kind.name(), "store: queue full, dropping rows (counted in the store's `dropped`)");
        }
    }

    pub(crate) fn snapshot(&self, queued: usize) -> StoreStats {
        let dropped_by_kind = EventKind::ALL
            .iter()
            .zip(&self.dropped_by_kind)
            .map(|(kind, n)| (kind.name().to_string(), n.load(Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect();
        StoreStats {
            written: self.written.load(Relaxed),
            alerts_written: self.alerts_written.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            dropped_by_kind,
            batches: self.batches.load(Relaxed),
            write_errors: self.write_errors.load(Relaxed),
            write_lost: self.write_lost.load(Relaxed),
            retention_deleted: self.retention_deleted.load(Relaxed),
            db_bytes: self.db_bytes.load(Relaxed),
            queued: u64::try_from(queued).unwrap_or(u64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_counted_by_kind() {
        let counters = Counters::default();
        counters.row_dropped(EventKind::Exec);
        counters.row_dropped(EventKind::Exec);
        counters.row_dropped(EventKind::NetConnect);
        let stats = counters.snapshot(3);
        assert_eq!(stats.dropped, 3);
        assert_eq!(stats.queued, 3);
        assert_eq!(stats.dropped_by_kind.get("exec"), Some(&2));
        assert_eq!(stats.dropped_by_kind.get("net_connect"), Some(&1));
        assert_eq!(stats.dropped_by_kind.len(), 2);
    }
}
