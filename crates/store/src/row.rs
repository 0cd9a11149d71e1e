//! One `events` or `alerts` row: the indexed columns taken from an
//! [`Event`] or [`Alert`] plus its JSON text, and the batched INSERT that
//! writes rows of both tables in one transaction.

use event::{Alert, Event};
use rusqlite::{params, Connection, TransactionBehavior};

/// What the writer thread receives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    Event(Row),
    Alert(AlertRow),
}

/// What the writer thread receives: owned, so the event can be reused by
/// the caller as soon as `submit` returns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub time_unix_ns: i64,
    pub time_boot_ns: i64,
    pub kind: &'static str,
    pub pid: u32,
    pub ppid: u32,
    pub exec_id: Option<String>,
    pub parent_exec_id: Option<String>,
    pub container_id: Option<String>,
    pub container_name: Option<String>,
    pub json: String,
}

impl Row {
    pub(crate) fn new(ev: &Event, json: &str) -> Row {
        let container = ev.container.as_ref();
        Row {
            time_unix_ns: to_sql_int(ev.time_unix_ns),
            time_boot_ns: to_sql_int(ev.time_boot_ns),
            kind: ev.kind().name(),
            pid: ev.process.pid,
            ppid: ev.process.ppid,
            exec_id: ev.process.exec_id.clone(),
            parent_exec_id: ev.process.parent_exec_id.clone(),
            container_id: container.map(|c| c.id.clone()),
            container_name: container.and_then(|c| c.name.clone()),
            json: json.to_owned(),
        }
    }
}

/// One `alerts` row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlertRow {
    pub time_unix_ns: i64,
    pub rule_id: String,
    pub severity: &'static str,
    pub pid: u32,
    pub exec_id: Option<String>,
    pub container_id: Option<String>,
    pub json: String,
}

impl AlertRow {
    pub(crate) fn new(alert: &Alert) -> AlertRow {
        AlertRow {
            time_unix_ns: to_sql_int(alert.time_unix_ns),
            rule_id: alert.rule.id.clone(),
            severity: alert.severity.name(),
            pid: alert.process.pid,
            exec_id: alert.process.exec_id.clone(),
            container_id: alert.container.as_ref().map(|c| c.id.clone()),
            json: alert.to_json(),
        }
    }
}

/// SQLite integers are signed; nanosecond stamps fit until the year 2262.
pub(crate) fn to_sql_int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Back from a column; negative values (never written by us) read as 0.
pub(crate) fn from_sql_int(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

const INSERT: &str = "INSERT INTO events
    (time_unix_ns, time_boot_ns, kind, pid, ppid, exec_id, parent_exec_id, container_id, container_name, json)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

const INSERT_ALERT: &str = "INSERT INTO alerts
    (time_unix_ns, rule_id, severity, pid, exec_id, container_id, json)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Writes all records in one transaction with the cached INSERTs; on error
/// nothing of the batch is kept.
pub(crate) fn insert_batch(conn: &mut Connection, records: &[Record]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut insert = tx.prepare_cached(INSERT)?;
        for record in records {
            let row = match record {
                Record::Event(row) => row,
                Record::Alert(a) => {
                    tx.prepare_cached(INSERT_ALERT)?.execute(params![
                        a.time_unix_ns,
                        a.rule_id,
                        a.severity,
                        a.pid,
                        a.exec_id,
                        a.container_id,
                        a.json,
                    ])?;
                    continue;
                }
            };
            insert.execute(params![
                row.time_unix_ns,
                row.time_boot_ns,
                row.kind,
                row.pid,
                row.ppid,
                row.exec_id,
                row.parent_exec_id,
                row.container_id,
                row.container_name,
                row.json,
            ])?;
        }
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil;

    #[test]
    fn row_takes_header_fields() {
        let ev = testutil::exec_event(42, 1_000, Some(("c0ffee00", Some("web"))));
        let row = Row::new(&ev, "{}");
        assert_eq!((row.kind, row.pid, row.ppid), ("exec", 42, 1));
        assert_eq!(row.exec_id.as_deref(), Some("exec-42"));
        assert_eq!(row.parent_exec_id.as_deref(), Some("exec-1"));
        assert_eq!(row.container_id.as_deref(), Some("c0ffee00"));
        assert_eq!(row.container_name.as_deref(), Some("web"));
        assert_eq!(row.time_unix_ns, 1_000);
    }

    #[test]
    fn alert_row_takes_its_columns() {
        let alert = event::samples::alert();
        let row = AlertRow::new(&alert);
        assert_eq!((row.rule_id.as_str(), row.severity, row.pid), ("exec_from_temp_dir", "high", 4242));
        assert_eq!(row.exec_id, alert.process.exec_id);
        assert_eq!(row.container_id, alert.container.as_ref().map(|c| c.id.clone()));
        assert_eq!(row.json, alert.to_json());
    }

    #[test]
    fn huge_times_saturate_instead_of_wrapping() {
        assert_eq!(to_sql_int(u64::MAX), i64::MAX);
        assert_eq!(from_sql_int(-5), 0);
    }
}
