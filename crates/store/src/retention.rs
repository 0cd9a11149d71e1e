//! Retention: keeps the database within `max_age` and `max_bytes`.
//!
//! Work is done in bounded passes so the writer thread can keep inserting
//! between them: one pass deletes at most [`CHUNK_ROWS`] rows per table and
//! says whether more is needed. Alerts age out like events; for size,
//! events go first (alerts are few and worth more), alerts only once no
//! event is left. Freed pages go back to the file system with
//! `PRAGMA incremental_vacuum` (the store is created with
//! `auto_vacuum=INCREMENTAL`), so the size limit is a limit on disk use.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection};

use crate::row::to_sql_int;
use crate::schema::BUSY_TIMEOUT;

/// Most rows one pass deletes.
const CHUNK_ROWS: i64 = 50_000;

/// What to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    pub max_age: Option<Duration>,
    pub max_bytes: Option<u64>,
}

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Pass {
    pub deleted: u64,
    /// Another pass should follow right away.
    pub more: bool,
    /// Over `max_bytes` only because readers keep the WAL from being
    /// checkpointed; deleting rows would not help.
    pub wal_pinned: bool,
    /// Over `max_bytes` with no rows left: the limit is below an empty store.
    pub limit_below_empty: bool,
}

/// One retention pass: age first, then size.
pub(crate) fn pass(conn: &Connection, path: &Path, policy: &Policy, now_unix_ns: u64) -> rusqlite::Result<Pass> {
    let mut pass = Pass::default();
    if let Some(max_age) = policy.max_age {
        let age_ns = u64::try_from(max_age.as_nanos()).unwrap_or(u64::MAX);
        let cutoff = to_sql_int(now_unix_ns.saturating_sub(age_ns));
        let deleted = conn.execute(
            "DELETE FROM events WHERE id IN
                (SELECT id FROM events WHERE time_unix_ns < ?1 ORDER BY time_unix_ns LIMIT ?2)",
            params![cutoff, CHUNK_ROWS],
        )?;
        let alerts = conn.execute(
            "DELETE FROM alerts WHERE id IN
                (SELECT id FROM alerts WHERE time_unix_ns < ?1 ORDER BY time_unix_ns LIMIT ?2)",
            params![cutoff, CHUNK_ROWS],
        )?;
        if deleted + alerts > 0 {
            pass.deleted += (deleted + alerts) as u64;
            incremental_vacuum(conn)?;
        }
        if deleted as i64 >= CHUNK_ROWS || alerts as i64 >= CHUNK_ROWS {
            pass.more = true;
            return Ok(pass);
        }
    }
    if let Some(max_bytes) = policy.max_bytes {
        size_pass(conn, path, max_bytes, &mut pass)?;
    }
    Ok(pass)
}

/// Deletes the oldest tenth of the rows (at most [`CHUNK_ROWS`]) when the
/// store is over `max_bytes`.
fn size_pass(conn: &Connection, path: &Path, max_bytes: u64, pass: &mut Pass) -> rusqlite::Result<()> {
    try_truncate_wal(conn)?;
    let main = main_bytes(conn)?;
    if main.saturating_add(wal_bytes(path)) <= max_bytes {
        return Ok(());
    }
    if main <= max_bytes {
        pass.wal_pinned = true;
        return Ok(());
    }
    let mut table = "events";
    let mut rows: i64 = conn.query_row("SELECT count(*) FROM events", [], |row| row.get(0))?;
    if rows == 0 {
        table = "alerts";
        rows = conn.query_row("SELECT count(*) FROM alerts", [], |row| row.get(0))?;
    }
    if rows == 0 {
        pass.limit_below_empty = true;
        return Ok(());
    }
    let doomed = (rows / 10).clamp(1, CHUNK_ROWS);
    let deleted = conn.execute(
        &format!("DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY time_unix_ns, id LIMIT ?1)"),
        [doomed],
    )?;
    pass.deleted += deleted as u64;
    incremental_vacuum(conn)?;
    // Stop if deleting freed nothing (a file created without auto_vacuum):
    // going on would empty the table without shrinking it.
    pass.more = main_bytes(conn)? < main;
    Ok(())
}

/// Pages in use times page size, as this connection sees the database
/// (including changes still in the WAL).
pub(crate) fn main_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |row| row.get(0))?;
    let page_size: i64 = conn.query_row("PRAGMA page_size", [], |row| row.get(0))?;
    Ok(u64::try_from(pages.saturating_mul(page_size)).unwrap_or(0))
}

/// Size of the `-wal` file beside the database (0 when there is none).
pub(crate) fn wal_bytes(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// The store's disk use as [`crate::StoreStats::db_bytes`] reports it.
pub(crate) fn db_bytes(conn: &Connection, path: &Path) -> rusqlite::Result<u64> {
    Ok(main_bytes(conn)?.saturating_add(wal_bytes(path)))
}

/// Returns free pages to the file system. The pragma yields one row per
/// step, so it must be stepped to the end to free everything.
fn incremental_vacuum(conn: &Connection) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("PRAGMA incremental_vacuum")?;
    let mut rows = stmt.query([])?;
    while rows.next()?.is_some() {}
    Ok(())
}

/// Checkpoints and empties the WAL unless a reader is still using it; never
/// waits for readers (the writer thread must not stall behind a query).
pub(crate) fn try_truncate_wal(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::ZERO)?;
    let result = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    conn.busy_timeout(BUSY_TIMEOUT)?;
    match result {
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, DAY_NS};
    use crate::{Store, StoreOptions, StoreWriter};

    fn policy(max_age: Option<Duration>, max_bytes: Option<u64>) -> Policy {
        Policy { max_age, max_bytes }
    }

    #[test]
    fn age_pass_deletes_only_old_rows() {
        let (_dir, path) = testutil::temp_db();
        let now = testutil::now_ns();
        let mut events: Vec<_> = (0..30).map(|i| testutil::exec_event(i, now - 10 * DAY_NS + i as u64, None)).collect();
        events.extend((100..120).map(|i| testutil::exec_event(i, now - DAY_NS, None)));
        testutil::write_all(&path, &events);

        let conn = crate::schema::open_for_write(&path).unwrap();
        let pass = pass(&conn, &path, &policy(Some(Duration::from_secs(7 * 86_400)), None), now).unwrap();
        assert_eq!(pass, Pass { deleted: 30, ..Pass::default() });
        let left: i64 = conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap();
        assert_eq!(left, 20);
    }

    #[test]
    fn writer_enforces_max_age_at_start() {
        let (_dir, path) = testutil::temp_db();
        let now = testutil::now_ns();
        let old: Vec<_> = (0..25).map(|i| testutil::exec_event(i, now - 8 * DAY_NS, None)).collect();
        let new: Vec<_> = (50..60).map(|i| testutil::exec_event(i, now, None)).collect();
        testutil::write_all(&path, &old);
        testutil::write_all(&path, &new);

        let writer = StoreWriter::start(StoreOptions {
            max_age: Some(Duration::from_secs(7 * 86_400)),
            ..testutil::options(&path)
        })
        .unwrap();
        let stats = writer.close();
        assert_eq!(stats.retention_deleted, 25);
        let store = Store::open_read_only(&path).unwrap();
        let pids: Vec<u32> = store.events(&Default::default()).unwrap().iter().map(|e| e.pid).collect();
        assert_eq!(pids, (50..60).collect::<Vec<u32>>());
    }

    #[test]
    fn size_limit_really_shrinks_the_file() {
        let (_dir, path) = testutil::temp_db();
        let now = testutil::now_ns();
        let events: Vec<_> = (0..6_000).map(|i| testutil::exec_event(i, now + u64::from(i), None)).collect();
        testutil::write_all(&path, &events);
        let file_size = |p: &Path| std::fs::metadata(p).unwrap().len() + wal_bytes(p);
        let before = file_size(&path);
        let limit: u64 = 1 << 20;
        assert!(before > 3 * limit, "test data too small: {before}");

        let writer = StoreWriter::start(StoreOptions { max_bytes: Some(limit), ..testutil::options(&path) }).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while writer.stats().db_bytes > limit && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let stats = writer.close();
        assert!(stats.db_bytes <= limit, "{stats:?}");
        assert!(stats.retention_deleted > 0 && stats.retention_deleted < 6_000, "{stats:?}");
        assert_eq!(stats.write_errors, 0, "{stats:?}");
        let after = file_size(&path);
        eprintln!("store shrank from {before} to {after} bytes: {stats:?}");
        assert!(after <= limit, "file is {after} bytes, limit {limit}");

        // The newest rows are the ones kept.
        let store = Store::open_read_only(&path).unwrap();
        let rows = store.events(&Default::default()).unwrap();
        assert_eq!(rows.len() as u64, 6_000 - stats.retention_deleted);
        assert_eq!(rows.last().map(|r| r.pid), Some(5_999));
    }

    #[test]
    fn alerts_age_out_and_go_last_for_size() {
        let (_dir, path) = testutil::temp_db();
        let now = testutil::now_ns();
        let writer = StoreWriter::start(testutil::options(&path)).unwrap();
        let mut alert = event::samples::alert();
        for (i, age) in [10 * DAY_NS, 9 * DAY_NS, DAY_NS].into_iter().enumerate() {
            alert.time_unix_ns = now - age;
            alert.process.pid = i as u32;
            assert!(writer.submit_alert(&alert));
        }
        let ev = testutil::exec_event(99, now, None);
        assert!(writer.submit(&ev, &ev.to_json()));
        assert_eq!(writer.close().alerts_written, 3);

        let conn = crate::schema::open_for_write(&path).unwrap();
        let pass = pass(&conn, &path, &policy(Some(Duration::from_secs(7 * 86_400)), None), now).unwrap();
        assert_eq!(pass.deleted, 2, "{pass:?}");
        let left: Vec<u32> = Store::open_read_only(&path)
            .unwrap()
            .alerts(&Default::default())
            .unwrap()
            .iter()
            .map(|a| a.alert.process.pid)
            .collect();
        assert_eq!(left, vec![2]);

        // Over a tiny size limit: the event goes before the alert.
        let pass = super::pass(&conn, &path, &policy(None, Some(1)), now).unwrap();
        assert_eq!(pass.deleted, 1, "{pass:?}");
        let count = |t: &str| conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!((count("events"), count("alerts")), (0, 1));
    }

    #[test]
    fn limit_below_an_empty_store_is_reported_not_looped() {
        let (_dir, path) = testutil::temp_db();
        testutil::write_all(&path, &[]);
        let conn = crate::schema::open_for_write(&path).unwrap();
        let pass = pass(&conn, &path, &policy(None, Some(1)), testutil::now_ns()).unwrap();
        assert!(pass.limit_below_empty && !pass.more, "{pass:?}");
    }
}
