//! The on-disk schema and how connections to it are opened.
//!
//! The schema is versioned with `PRAGMA user_version`: version N means the
//! first N entries of [`MIGRATIONS`] have been applied. The writer applies
//! missing ones; a database newer than this build is refused rather than
//! misread. Page-level settings (`auto_vacuum`, WAL) are fixed when the file
//! is created; `synchronous` is per connection.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::StoreError;

/// One entry per schema version, applied in order inside one transaction.
const MIGRATIONS: &[&str] = &[
    // 1: the events table and the indexes `panoptes tree` queries use.
    "CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        time_unix_ns INTEGER NOT NULL,
        time_boot_ns INTEGER NOT NULL,
        kind TEXT NOT NULL,
        pid INTEGER NOT NULL,
        ppid INTEGER NOT NULL,
        exec_id TEXT,
        parent_exec_id TEXT,
        container_id TEXT,
        container_name TEXT,
        json TEXT NOT NULL
    );
    CREATE INDEX events_time ON events(time_unix_ns);
    CREATE INDEX events_container_time ON events(container_id, time_unix_ns);
    CREATE INDEX events_pid_time ON events(pid, time_unix_ns);
    CREATE INDEX events_exec_id ON events(exec_id);
    CREATE INDEX events_container_name ON events(container_name);",
    // 2: alerts (rule matches), with the columns `Store::alerts` filters on.
    "CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        time_unix_ns INTEGER NOT NULL,
        rule_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        pid INTEGER NOT NULL,
        exec_id TEXT,
        container_id TEXT,
        json TEXT NOT NULL
    );
    CREATE INDEX alerts_time ON alerts(time_unix_ns);
    CREATE INDEX alerts_rule_time ON alerts(rule_id, time_unix_ns);",
    // 3: asset inventory snapshots (`panoptes assets`, crate::assets).
    "CREATE TABLE asset_snapshots (
        id INTEGER PRIMARY KEY,
        time_unix_ns INTEGER NOT NULL,
        host TEXT NOT NULL,
        tables TEXT NOT NULL
    );",
];

/// The schema version this build reads and writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a statement waits for a lock held by another connection before
/// it fails with "database is locked".
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Page size of new stores: rows are ~1.5 KB of JSON, and bigger pages
/// mean fewer splits and WAL frames per row.
const PAGE_SIZE: i64 = 16_384;

/// The WAL file is cut back to this size after a checkpoint.
const JOURNAL_SIZE_LIMIT: i64 = 16 << 20;
/// Page cache of the writer, in KiB (negative = KiB for SQLite): five
/// indexes make inserts touch many pages.
const WRITER_CACHE_KIB: i64 = 16 << 10;

/// Opens (creating if needed) the database for the writer thread and brings
/// its schema up to [`SCHEMA_VERSION`].
pub(crate) fn open_for_write(path: &Path) -> Result<Connection, StoreError> {
    check_header(path)?;
    let sql_err = |e| StoreError::sqlite(path, e);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(sql_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_err)?;

    let version = checked_version(&conn, path)?;
    if version == 0 {
        refuse_foreign_tables(&conn, path)?;
        // Both only take effect before the first table exists (and the page
        // size only before WAL mode is on).
        conn.pragma_update(None, "page_size", PAGE_SIZE).map_err(sql_err)?;
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL").map_err(sql_err)?;
    }
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(sql_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), journal_mode = %mode, "store: WAL mode unavailable; readers will block the writer");
    }
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql_err)?;
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT).map_err(sql_err)?;
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB).map_err(sql_err)?;
    if version < SCHEMA_VERSION {
        migrate(&mut conn, path)?;
    }
    Ok(conn)
}

/// Opens an existing database for queries only.
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    if !path.try_exists().unwrap_or(true) {
        return Err(StoreError::Missing { path: path.to_path_buf() });
    }
    if path.is_dir() {
        return Err(StoreError::NotAStore { path: path.to_path_buf(), reason: "it is a directory".into() });
    }
    check_header(path)?;
    let sql_err = |e| StoreError::sqlite(path, e);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sql_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_err)?;
    match checked_version(&conn, path)? {
        0 => Err(StoreError::NotAStore { path: path.to_path_buf(), reason: "it has no Panoptes tables".into() }),
        found if found < SCHEMA_VERSION => {
            Err(StoreError::TooOld { path: path.to_path_buf(), found, known: SCHEMA_VERSION })
        }
        _ => Ok(conn),
    }
}

/// Refuses a non-empty file that does not start like an SQLite database.
/// SQLite itself takes a file shorter than a page for an empty database and
/// would write over it.
fn check_header(path: &Path) -> Result<(), StoreError> {
    const MAGIC: &[u8] = b"SQLite format 3\0";
    // Unreadable files are left to SQLite, whose error names the cause.
    let Ok(file) = File::open(path) else { return Ok(()) };
    let mut head = Vec::with_capacity(MAGIC.len());
    if file.take(MAGIC.len() as u64).read_to_end(&mut head).is_err() || head.is_empty() || head == MAGIC {
        return Ok(());
    }
    Err(StoreError::NotAStore { path: path.to_path_buf(), reason: "not an SQLite database".into() })
}

/// Reads `user_version`, refusing versions this build does not know. This is
/// also the first read of the file, so a non-SQLite file fails here.
fn checked_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let found = user_version(conn).map_err(|e| StoreError::sqlite(path, e))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, known: SCHEMA_VERSION });
    }
    if found < 0 {
        return Err(StoreError::NotAStore { path: path.to_path_buf(), reason: format!("schema version {found}") });
    }
    Ok(found)
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// A version-0 file with tables belongs to someone else; adding ours would
/// mix two applications' data.
fn refuse_foreign_tables(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .map_err(|e| StoreError::sqlite(path, e))?;
    if tables > 0 {
        return Err(StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: "it is an SQLite database of another application (tables but no schema version)".into(),
        });
    }
    Ok(())
}

/// Applies the missing migrations under the write lock, re-reading the
/// version there in case another writer got first.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let sql_err = |e| StoreError::sqlite(path, e);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
    let from = checked_version(&tx, path)?;
    for sql in MIGRATIONS.iter().skip(usize::try_from(from).unwrap_or(usize::MAX)) {
        tx.execute_batch(sql).map_err(sql_err)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(sql_err)?;
    tx.commit().map_err(sql_err)?;
    tracing::info!(path = %path.display(), from, to = SCHEMA_VERSION, "store: schema created or upgraded");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma_text(conn: &Connection, name: &str) -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get::<_, rusqlite::types::Value>(0))
            .map(|v| format!("{v:?}"))
            .unwrap()
    }

    #[test]
    fn creation_sets_version_wal_and_incremental_vacuum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let conn = open_for_write(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(pragma_text(&conn, "journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma_text(&conn, "auto_vacuum"), "Integer(2)");
        assert_eq!(pragma_text(&conn, "synchronous"), "Integer(1)");
        let indexes: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(indexes, 5);
        let alert_indexes: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(alert_indexes, 2);
        drop(conn);
        // Reopening an up-to-date store is a no-op.
        open_for_write(&path).unwrap();
        open_read_only(&path).unwrap();
    }

    #[test]
    fn a_version_1_store_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute(
                "INSERT INTO events(time_unix_ns, time_boot_ns, kind, pid, ppid, json) VALUES (1, 0, 'exec', 7, 1, '{}')",
                [],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let err = open_read_only(&path).unwrap_err();
        assert!(matches!(err, StoreError::TooOld { found: 1, .. }), "{err:?}");
        let conn = open_for_write(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        let alerts: i64 = conn.query_row("SELECT count(*) FROM alerts", [], |r| r.get(0)).unwrap();
        let events: i64 = conn.query_row("SELECT count(*) FROM events WHERE pid = 7", [], |r| r.get(0)).unwrap();
        assert_eq!((alerts, events), (0, 1), "the upgrade adds the table and keeps the events");
        drop(conn);
        open_read_only(&path).unwrap();
    }

    #[test]
    fn newer_schema_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        drop(open_for_write(&path).unwrap());
        Connection::open(&path).unwrap().pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        for err in [open_for_write(&path).unwrap_err(), open_read_only(&path).unwrap_err()] {
            assert!(matches!(err, StoreError::TooNew { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains("newer than this Panoptes understands"), "{text}");
        }
    }

    #[test]
    fn garbage_file_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.db");
        std::fs::write(&path, "this is a text file, certainly not SQLite\n".repeat(50)).unwrap();
        for err in [open_for_write(&path).unwrap_err(), open_read_only(&path).unwrap_err()] {
            assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains(&path.display().to_string()) && text.contains("not an SQLite database"), "{text}");
        }
        // A few bytes only.
        std::fs::write(&path, "x").unwrap();
        assert!(open_read_only(&path).is_err());
        assert!(open_for_write(&path).is_err());
    }

    #[test]
    fn corrupt_store_gives_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        {
            let conn = open_for_write(&path).unwrap();
            conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
            for i in 0..2000 {
                conn.execute(
                    "INSERT INTO events(time_unix_ns, time_boot_ns, kind, pid, ppid, json) VALUES (?1, 0, 'exec', 1, 0, ?2)",
                    rusqlite::params![i, "x".repeat(300)],
                )
                .unwrap();
            }
        }
        // Overwrite everything after the header page with noise.
        let mut bytes = std::fs::read(&path).unwrap();
        for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
            *b = (i * 7 % 251) as u8;
        }
        std::fs::write(&path, bytes).unwrap();
        let result = open_read_only(&path).and_then(|conn| {
            conn.query_row("SELECT count(*), max(json) FROM events", [], |r| r.get::<_, i64>(0))
                .map_err(|e| StoreError::sqlite(&path, e))
        });
        let err = result.unwrap_err();
        eprintln!("{err}");
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn foreign_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path).unwrap().execute_batch("CREATE TABLE t(x)").unwrap();
        let err = open_for_write(&path).unwrap_err();
        assert!(err.to_string().contains("another application"), "{err}");
        let err = open_read_only(&path).unwrap_err();
        assert!(err.to_string().contains("no Panoptes tables"), "{err}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.db");
        let err = open_read_only(&path).unwrap_err();
        assert!(matches!(err, StoreError::Missing { .. }));
        assert!(err.to_string().contains("nope.db"));
        assert!(!path.exists(), "a read must not create the file");
    }
}
