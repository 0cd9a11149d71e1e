//! The embedded event store of `panoptes run`: every event (table `events`)
//! and every alert (table `alerts`) goes into one SQLite database, by
//! default [`DEFAULT_PATH`], which `panoptes tree` and friends read back.
//!
//! Two halves, one schema:
//! - [`StoreWriter`] owns the only writing connection. `submit` (events)
//!   and `submit_alert` are called on the event path and never block: rows
//!   go into a bounded queue (a full queue is a counted drop) drained by one
//!   writer thread that inserts them in batched transactions and enforces
//!   retention (age and size).
//! - [`Store`] is a read-only connection with the queries the CLI needs.
//!   The database runs in WAL mode, so readers never stop the writer.
//!
//! ```no_run
//! # fn demo(ev: &event::Event) -> Result<(), panoptes_store::StoreError> {
//! use panoptes_store::{EventFilter, Store, StoreOptions, StoreWriter};
//! let writer = StoreWriter::start(StoreOptions::at("/tmp/panoptes.db"))?;
//! writer.submit(ev, &ev.to_json());
//! let stats = writer.close();
//! let store = Store::open_read_only("/tmp/panoptes.db")?;
//! let rows = store.events(&EventFilter { pids: Some(vec![42]), ..EventFilter::default() })?;
//! # let _ = (stats, rows); Ok(()) }
//! ```

mod assets;
mod error;
mod filter;
mod options;
mod reader;
mod retention;
mod row;
mod schema;
mod stats;
mod worker;
mod writer;

#[cfg(test)]
mod testutil;

pub use assets::{AssetSnapshots, SnapshotMeta, SNAPSHOTS_KEPT};
pub use error::StoreError;
pub use options::{StoreOptions, DEFAULT_PATH};
pub use reader::{AlertFilter, ContainerSeen, EventFilter, Store, StoredAlert, StoredEvent};
pub use stats::StoreStats;
pub use writer::StoreWriter;
