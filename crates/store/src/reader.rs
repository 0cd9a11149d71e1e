//! [`Store`]: a read-only connection to the store with the queries
//! `panoptes tree` and the alert readers need. Each query is its own short read transaction, so a
//! reader never holds the WAL back for long and never blocks the writer.

use std::path::{Path, PathBuf};

use event::Alert;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde::Serialize;

use crate::filter::{glob_prefix, MIN_PREFIX_CHARS};
use crate::row::from_sql_int;
use crate::{schema, StoreError};

pub use crate::filter::{AlertFilter, EventFilter};

/// Most candidate ids an ambiguity error carries.
const MAX_CANDIDATES: usize = 11;

/// A read-only view of the event store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// One row of the `events` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Insertion order; breaks ties between equal times.
    pub id: i64,
    pub time_unix_ns: u64,
    pub time_boot_ns: u64,
    pub kind: String,
    pub pid: u32,
    pub ppid: u32,
    pub exec_id: Option<String>,
    pub parent_exec_id: Option<String>,
    pub container_id: Option<String>,
    pub container_name: Option<String>,
    /// The event exactly as the JSON sinks wrote it.
    pub json: String,
}

/// One row of the `alerts` table, read back into an [`Alert`].
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAlert {
    /// Insertion order; breaks ties between equal times.
    pub id: i64,
    pub alert: Alert,
}

/// A container that has events in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerSeen {
    pub id: String,
    /// The most recent name recorded for it.
    pub name: Option<String>,
    pub first_unix_ns: u64,
    pub last_unix_ns: u64,
    pub events: u64,
}

impl Store {
    /// Opens an existing store for reading; never creates or changes it.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        let conn = schema::open_read_only(path)?;
        Ok(Store { conn, path: path.to_path_buf() })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Events matching `filter`, ordered by time, then insertion.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        let (clauses, values) = filter.to_sql();
        let sql = format!(
            "SELECT id, time_unix_ns, time_boot_ns, kind, pid, ppid, exec_id, parent_exec_id,
                    container_id, container_name, json
             FROM events{clauses}"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map(params_from_iter(values.iter()), |row| {
                Ok(StoredEvent {
                    id: row.get(0)?,
                    time_unix_ns: from_sql_int(row.get(1)?),
                    time_boot_ns: from_sql_int(row.get(2)?),
                    kind: row.get(3)?,
                    pid: row.get(4)?,
                    ppid: row.get(5)?,
                    exec_id: row.get(6)?,
                    parent_exec_id: row.get(7)?,
                    container_id: row.get(8)?,
                    container_name: row.get(9)?,
                    json: row.get(10)?,
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.error(e))
    }

    /// Alerts matching `filter`, by time (oldest or newest first). A row
    /// that does not read back as an alert is an error naming its id.
    pub fn alerts(&self, filter: &AlertFilter) -> Result<Vec<StoredAlert>, StoreError> {
        let (clauses, values) = filter.to_sql();
        let sql = format!("SELECT id, json FROM alerts{clauses}");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map(params_from_iter(values.iter()), |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))
            .map_err(|e| self.error(e))?;
        let mut alerts = Vec::new();
        for row in rows {
            let (id, json) = row.map_err(|e| self.error(e))?;
            let alert = Alert::from_json(&json).map_err(|source| StoreError::BadAlert {
                path: self.path.clone(),
                id,
                source,
            })?;
            alerts.push(StoredAlert { id, alert });
        }
        Ok(alerts)
    }

    /// Every container with events, the first seen first.
    pub fn containers(&self) -> Result<Vec<ContainerSeen>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT container_id,
                    (SELECT container_name FROM events AS named
                     WHERE named.container_id = e.container_id AND named.container_name IS NOT NULL
                     ORDER BY named.time_unix_ns DESC LIMIT 1),
                    min(time_unix_ns), max(time_unix_ns), count(*)
                 FROM events AS e
                 WHERE container_id IS NOT NULL
                 GROUP BY container_id
                 ORDER BY min(time_unix_ns), container_id",
            )
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(ContainerSeen {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    first_unix_ns: from_sql_int(row.get(2)?),
                    last_unix_ns: from_sql_int(row.get(3)?),
                    events: from_sql_int(row.get(4)?),
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.error(e))
    }

    /// The full id of the container `query` names, looked up like Docker
    /// does: an exact id, else an exact name, else an id prefix of at least
    /// four characters. `Ok(None)` when nothing matches; an error when a
    /// name or prefix matches more than one container.
    pub fn resolve_container(&self, query: &str) -> Result<Option<String>, StoreError> {
        if query.is_empty() {
            return Ok(None);
        }
        let exact: Option<i64> = self
            .conn
            .query_row("SELECT 1 FROM events WHERE container_id = ?1 LIMIT 1", [query], |row| row.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        if exact.is_some() {
            return Ok(Some(query.to_string()));
        }
        let by_name = self.distinct_ids(
            "SELECT DISTINCT container_id FROM events WHERE container_name = ?1 AND container_id IS NOT NULL LIMIT ?2",
            query,
        )?;
        if !by_name.is_empty() {
            return one_or_ambiguous(query, by_name);
        }
        if query.chars().count() < MIN_PREFIX_CHARS {
            return Ok(None);
        }
        let by_prefix = self.distinct_ids(
            "SELECT DISTINCT container_id FROM events WHERE container_id GLOB ?1 LIMIT ?2",
            &glob_prefix(query),
        )?;
        one_or_ambiguous(query, by_prefix)
    }

    fn distinct_ids(&self, sql: &str, param: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map(rusqlite::params![param, MAX_CANDIDATES as i64], |row| row.get(0))
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<Vec<String>, _>>().map_err(|e| self.error(e))
    }

    fn error(&self, e: rusqlite::Error) -> StoreError {
        StoreError::sqlite(&self.path, e)
    }
}

fn one_or_ambiguous(query: &str, mut ids: Vec<String>) -> Result<Option<String>, StoreError> {
    match ids.len() {
        0 => Ok(None),
        1 => Ok(ids.pop()),
        _ => {
            ids.sort();
            Err(StoreError::AmbiguousContainer { query: query.to_string(), matches: ids })
        }
    }
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
