//! The writer thread: drains the queue into batched transactions and runs
//! retention passes between batches.
//!
//! A batch starts with the first row that arrives and is written when it
//! holds `batch_size` rows or `flush_interval` after it started, whichever
//! comes first. Failures are counted and logged once per kind of failure;
//! the thread keeps going, because losing a batch is better than stopping
//! the store. When the queue's sender is dropped the thread writes what is
//! left, checkpoints the WAL and exits.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};
use rusqlite::Connection;

use crate::retention::{self, Policy};
use crate::row::{self, Record};
use crate::stats::Counters;
use crate::StoreOptions;

/// `db_bytes` is refreshed at most this often after batches.
const MEASURE_EVERY: Duration = Duration::from_secs(1);

pub(crate) struct Worker {
    conn: Connection,
    path: PathBuf,
    counters: Arc<Counters>,
    batch_size: usize,
    flush_interval: Duration,
    policy: Policy,
    retention_interval: Duration,
    next_retention: Instant,
    /// A retention pass asked for another one right away.
    retention_pending: bool,
    last_measure: Instant,
    /// Failure kinds already logged at `warn`.
    warned: HashSet<String>,
}

/// Whether the queue can still deliver rows.
#[derive(Debug, PartialEq, Eq)]
enum Queue {
    Open,
    Closed,
}

impl Worker {
    pub(crate) fn new(conn: Connection, opts: &StoreOptions, counters: Arc<Counters>) -> Worker {
        Worker {
            conn,
            path: opts.path.clone(),
            counters,
            batch_size: opts.batch_size,
            flush_interval: opts.flush_interval,
            policy: Policy { max_age: opts.max_age, max_bytes: opts.max_bytes },
            retention_interval: opts.retention_interval,
            next_retention: Instant::now(),
            // Retention runs first thing: the store may have grown old
            // while Panoptes was stopped.
            retention_pending: true,
            last_measure: Instant::now(),
            warned: HashSet::new(),
        }
    }

    /// The thread body; returns when the queue is closed and drained.
    pub(crate) fn run(mut self, queue: Receiver<Box<Record>>) {
        let mut batch = Vec::with_capacity(self.batch_size);
        loop {
            if self.retention_pending || Instant::now() >= self.next_retention {
                self.retention_pass();
            }
            let state = self.collect(&queue, &mut batch);
            if !batch.is_empty() {
                self.write(&mut batch);
            }
            if state == Queue::Closed {
                break;
            }
        }
        self.finish();
    }

    /// Waits for the first row until retention is due, then gathers a batch.
    fn collect(&self, queue: &Receiver<Box<Record>>, batch: &mut Vec<Record>) -> Queue {
        let idle_until = if self.retention_pending { Instant::now() } else { self.next_retention };
        match queue.recv_deadline(idle_until) {
            Ok(row) => batch.push(*row),
            Err(RecvTimeoutError::Timeout) => return Queue::Open,
            Err(RecvTimeoutError::Disconnected) => return Queue::Closed,
        }
        let flush_at = deadline_after(self.flush_interval);
        while batch.len() < self.batch_size {
            match queue.try_recv() {
                Ok(row) => {
                    batch.push(*row);
                    continue;
                }
                Err(TryRecvError::Disconnected) => return Queue::Closed,
                Err(TryRecvError::Empty) => {}
            }
            match queue.recv_deadline(flush_at) {
                Ok(row) => batch.push(*row),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return Queue::Closed,
            }
        }
        Queue::Open
    }

    fn write(&mut self, batch: &mut Vec<Record>) {
        let rows = batch.len() as u64;
        match row::insert_batch(&mut self.conn, batch) {
            Ok(()) => {
                let alerts = batch.iter().filter(|r| matches!(r, Record::Alert(_))).count() as u64;
                self.counters.written.fetch_add(rows, Relaxed);
                self.counters.alerts_written.fetch_add(alerts, Relaxed);
                self.counters.batches.fetch_add(1, Relaxed);
            }
            Err(e) => self.failed("insert", &e, rows),
        }
        batch.clear();
        if self.last_measure.elapsed() >= MEASURE_EVERY {
            self.measure();
        }
    }

    fn retention_pass(&mut self) {
        self.retention_pending = false;
        if self.policy.max_age.is_some() || self.policy.max_bytes.is_some() {
            match retention::pass(&self.conn, &self.path, &self.policy, now_unix_ns()) {
                Ok(pass) => {
                    self.counters.retention_deleted.fetch_add(pass.deleted, Relaxed);
                    if pass.deleted > 0 {
                        tracing::debug!(deleted = pass.deleted, more = pass.more, "store: retention deleted rows");
                    }
                    if pass.wal_pinned && self.warned.insert("retention: wal pinned".into()) {
                        tracing::warn!(path = %self.path.display(), "store: over max_bytes because long-running readers keep the WAL from being checkpointed");
                    }
                    if pass.limit_below_empty && self.warned.insert("retention: limit below empty".into()) {
                        tracing::warn!(path = %self.path.display(), max_bytes = ?self.policy.max_bytes, "store: max_bytes is smaller than an empty store");
                    }
                    self.retention_pending = pass.more;
                }
                Err(e) => self.failed("retention", &e, 0),
            }
        }
        if !self.retention_pending {
            self.next_retention = deadline_after(self.retention_interval);
        }
        self.measure();
    }

    fn measure(&mut self) {
        self.last_measure = Instant::now();
        match retention::db_bytes(&self.conn, &self.path) {
            Ok(bytes) => self.counters.db_bytes.store(bytes, Relaxed),
            Err(e) => self.failed("measure", &e, 0),
        }
    }

    /// Final checkpoint so the main file holds everything and the WAL is
    /// empty, then close.
    fn finish(mut self) {
        if let Err(e) = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
            self.failed("checkpoint", &e, 0);
        }
        self.measure();
        if let Err((_, e)) = self.conn.close() {
            tracing::warn!(path = %self.path.display(), error = %e, "store: closing the database failed");
        }
    }

    /// A failed database operation: counted (with the rows it lost) and
    /// logged at `warn` the first time this operation fails this way.
    fn failed(&mut self, op: &'static str, err: &rusqlite::Error, rows_lost: u64) {
        self.counters.write_errors.fetch_add(1, Relaxed);
        self.counters.write_lost.fetch_add(rows_lost, Relaxed);
        let key = format!("{op}: {}", failure_kind(err));
        if self.warned.insert(key) {
            tracing::warn!(op, error = %err, rows_lost, path = %self.path.display(),
                "store: database operation failed; further failures of this kind are only counted");
        } else {
            tracing::debug!(op, error = %err, rows_lost, "store: database operation failed");
        }
    }
}

/// The SQLite result code, or the error variant's name.
fn failure_kind(err: &rusqlite::Error) -> String {
    match err.sqlite_error_code() {
        Some(code) => format!("{code:?}"),
        None => format!("{err:?}").split(['(', ' ', '{']).next().unwrap_or_default().to_string(),
    }
}

/// `now + after`, clamped for absurd durations instead of overflowing.
fn deadline_after(after: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(after).or_else(|| now.checked_add(Duration::from_secs(365 * 86_400))).unwrap_or(now)
}

fn now_unix_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_kinds_are_short_and_stable() {
        let busy = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY), None);
        assert_eq!(failure_kind(&busy), "DatabaseBusy");
        assert_eq!(failure_kind(&rusqlite::Error::QueryReturnedNoRows), "QueryReturnedNoRows");
    }

    #[test]
    fn huge_intervals_do_not_overflow() {
        assert!(deadline_after(Duration::MAX) > Instant::now());
    }
}
