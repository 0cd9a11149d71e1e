//! Asset inventory snapshots (`panoptes assets`, and the periodic
//! collection of `panoptes run`): one row per collection in the
//! `asset_snapshots` table, its tables as the JSON the assets crate
//! writes. The newest [`SNAPSHOTS_KEPT`] are kept; saving a newer one
//! deletes the oldest beyond that.
//!
//! Snapshots are written through their own short-lived connection (one
//! transaction per snapshot, at most once a collection), next to the event
//! writer thread; WAL mode and the busy timeout let both write.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::row::{from_sql_int, to_sql_int};
use crate::writer::create_private_file;
use crate::{schema, StoreError};

/// How many snapshots the store keeps.
pub const SNAPSHOTS_KEPT: i64 = 100;

/// A stored snapshot without its tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotMeta {
    pub id: i64,
    pub time_unix_ns: u64,
    pub host: String,
    /// Size of the tables' JSON.
    pub bytes: u64,
}

/// The snapshots of one store.
#[derive(Debug)]
pub struct AssetSnapshots {
    conn: Connection,
    path: PathBuf,
}

impl AssetSnapshots {
    /// Opens the store for saving, creating it (directory 0700, file 0600)
    /// and bringing its schema up to date when needed.
    pub fn open(path: impl AsRef<Path>) -> Result<AssetSnapshots, StoreError> {
        let path = path.as_ref();
        create_private_file(path)?;
        let conn = schema::open_for_write(path)?;
        Ok(AssetSnapshots { conn, path: path.to_path_buf() })
    }

    /// Opens an existing store for reading only.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<AssetSnapshots, StoreError> {
        let path = path.as_ref();
        let conn = schema::open_read_only(path)?;
        Ok(AssetSnapshots { conn, path: path.to_path_buf() })
    }

    /// Saves one snapshot; returns its id.
    pub fn save(&mut self, time_unix_ns: u64, host: &str, tables_json: &str) -> Result<i64, StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::sqlite(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "INSERT INTO asset_snapshots(time_unix_ns, host, tables) VALUES (?1, ?2, ?3)",
            params![to_sql_int(time_unix_ns), host, tables_json],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "DELETE FROM asset_snapshots WHERE id NOT IN (SELECT id FROM asset_snapshots ORDER BY id DESC LIMIT ?1)",
            [SNAPSHOTS_KEPT],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Every snapshot, oldest first.
    pub fn list(&self) -> Result<Vec<SnapshotMeta>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, time_unix_ns, host, length(tables) FROM asset_snapshots ORDER BY id")
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SnapshotMeta {
                    id: r.get(0)?,
                    time_unix_ns: from_sql_int(r.get(1)?),
                    host: r.get(2)?,
                    bytes: from_sql_int(r.get(3)?),
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.error(e))
    }

    /// The tables JSON of snapshot `id`, with its metadata.
    pub fn load(&self, id: i64) -> Result<Option<(SnapshotMeta, String)>, StoreError> {
        self.conn
            .query_row("SELECT id, time_unix_ns, host, tables FROM asset_snapshots WHERE id = ?1", [id], |r| {
                let tables: String = r.get(3)?;
                let meta = SnapshotMeta {
                    id: r.get(0)?,
                    time_unix_ns: from_sql_int(r.get(1)?),
                    host: r.get(2)?,
                    bytes: tables.len() as u64,
                };
                Ok((meta, tables))
            })
            .optional()
            .map_err(|e| self.error(e))
    }

    fn error(&self, e: rusqlite::Error) -> StoreError {
        StoreError::sqlite(&self.path, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_list_load_and_keep_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/p.db");
        let mut s = AssetSnapshots::open(&path).unwrap();
        let first = s.save(10, "h", r#"[{"name":"users"}]"#).unwrap();
        let second = s.save(20, "h", "[]").unwrap();
        assert!(second > first);
        let r = AssetSnapshots::open_read_only(&path).unwrap();
        let list = r.list().unwrap();
        assert_eq!(
            list.iter().map(|m| (m.id, m.time_unix_ns, m.bytes)).collect::<Vec<_>>(),
            vec![(first, 10, 18), (second, 20, 2)]
        );
        let (meta, json) = r.load(first).unwrap().unwrap();
        assert_eq!((meta.host.as_str(), json.as_str()), ("h", r#"[{"name":"users"}]"#));
        assert!(r.load(999).unwrap().is_none());
        for i in 0..SNAPSHOTS_KEPT {
            s.save(100 + i as u64, "h", "[]").unwrap();
        }
        let list = r.list().unwrap();
        assert_eq!(list.len() as i64, SNAPSHOTS_KEPT);
        assert!(list.iter().all(|m| m.id > second), "the oldest went first");
    }

    #[test]
    fn a_store_written_by_run_takes_snapshots_and_events_stay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let writer = crate::StoreWriter::start(crate::StoreOptions::at(&path)).unwrap();
        let mut s = AssetSnapshots::open(&path).unwrap();
        s.save(1, "h", "[]").unwrap();
        drop(writer);
        assert_eq!(AssetSnapshots::open_read_only(&path).unwrap().list().unwrap().len(), 1);
        assert!(crate::Store::open_read_only(&path).is_ok());
    }
}
