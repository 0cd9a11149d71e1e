//! [`StoreWriter`]: the handle `panoptes run` holds. It creates the
//! database, starts the one writer thread and feeds it through a bounded
//! queue; `submit` and `submit_alert` never block the event path.

use std::fs::{DirBuilder, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crossbeam_channel::{bounded, Sender};
use event::{Alert, Event};

use crate::retention;
use crate::row::{AlertRow, Record, Row};
use crate::stats::Counters;
use crate::worker::Worker;
use crate::{schema, StoreError, StoreOptions, StoreStats};

/// Writes events into the store from a background thread.
///
/// Dropping it is the same as [`StoreWriter::close`] without the stats.
#[derive(Debug)]
pub struct StoreWriter {
    queue: Option<Sender<Box<Record>>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
    path: PathBuf,
}

impl StoreWriter {
    /// Creates the directory (mode 0700) and database if needed, brings the
    /// schema up to date and starts the writer thread. Errors here (a bad
    /// path, a file that is not a store, a newer schema) are returned, not
    /// logged: the caller decides whether to run without a store.
    pub fn start(opts: StoreOptions) -> Result<StoreWriter, StoreError> {
        opts.validate()?;
        create_private_file(&opts.path)?;
        let conn = schema::open_for_write(&opts.path)?;
        let counters = Arc::new(Counters::default());
        // Measured now so `stats()` is meaningful before the first batch.
        counters.db_bytes.store(retention::db_bytes(&conn, &opts.path).unwrap_or(0), Relaxed);
        let (queue, rows) = bounded(opts.queue_capacity);
        let worker = Worker::new(conn, &opts, Arc::clone(&counters));
        let thread = thread::Builder::new()
            .name("panoptes-store".into())
            .spawn(move || worker.run(rows))
            .map_err(StoreError::Thread)?;
        tracing::info!(path = %opts.path.display(), queue = opts.queue_capacity, "store: writing events");
        Ok(StoreWriter { queue: Some(queue), thread: Some(thread), counters, path: opts.path })
    }

    /// Queues one event with its JSON text (already made for the other
    /// sinks). Never blocks: returns `false` when the queue is full, and the
    /// row is counted in [`StoreStats::dropped`].
    pub fn submit(&self, ev: &Event, json: &str) -> bool {
        let sent = match &self.queue {
            // Checked first so an overloaded store does not copy rows only
            // to throw them away.
            Some(queue) if !queue.is_full() => queue.try_send(Box::new(Record::Event(Row::new(ev, json)))).is_ok(),
            _ => false,
        };
        if !sent {
            self.counters.row_dropped(ev.kind());
        }
        sent
    }

    /// Queues one alert (into the `alerts` table). Never blocks: returns
    /// `false` when the queue is full; the caller counts that drop (the
    /// store's counters are by event kind).
    pub fn submit_alert(&self, alert: &Alert) -> bool {
        match &self.queue {
            Some(queue) if !queue.is_full() => queue.try_send(Box::new(Record::Alert(AlertRow::new(alert)))).is_ok(),
            _ => false,
        }
    }

    /// The counters now.
    pub fn stats(&self) -> StoreStats {
        self.counters.snapshot(self.queue_len())
    }

    /// Rows waiting for the writer thread right now.
    pub fn queue_len(&self) -> usize {
        self.queue.as_ref().map_or(0, |q| q.len())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes everything queued, checkpoints the WAL into the main file,
    /// stops the thread and returns the final counters.
    pub fn close(mut self) -> StoreStats {
        self.shutdown();
        self.stats()
    }

    fn shutdown(&mut self) {
        // Closing the queue is the stop signal: the thread drains it first.
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::warn!(path = %self.path.display(), "store: writer thread panicked; queued rows are lost");
            }
        }
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Events name processes, files and peers: the directory is made 0700 and
/// the database 0600 (SQLite gives its -wal and -shm files the same mode).
pub(crate) fn create_private_file(path: &Path) -> Result<(), StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| StoreError::CreateDir { path: dir.to_path_buf(), source })?;
    }
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::CreateFile { path: path.to_path_buf(), source }),
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
