//! Tests of [`StoreWriter`]: round trip, batching, drops, failures, WAL reads.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::*;
use crate::testutil::{self, now_ns};
use crate::{AlertFilter, EventFilter, Store};

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn real_events_round_trip() {
    let (_dir, path) = testutil::temp_db();
    let t = now_ns();
    let events = vec![
        testutil::exec_event(10, t, Some(("a1b2c3d4e5f6", Some("web")))),
        testutil::connect_event(10, t + 1),
        testutil::exec_event(11, t + 2, Some(("a1b2c3d4e5f6", None))),
    ];
    let stats = testutil::write_all(&path, &events);
    assert_eq!((stats.dropped, stats.write_errors, stats.queued), (0, 0, 0));
    assert!(stats.db_bytes > 0);

    let stored = Store::open_read_only(&path).unwrap().events(&EventFilter::default()).unwrap();
    assert_eq!(stored.len(), 3);
    for (row, ev) in stored.iter().zip(&events) {
        assert_eq!(row.json, ev.to_json());
        assert_eq!(row.kind, ev.kind().name());
        assert_eq!(row.time_unix_ns, ev.time_unix_ns);
        assert_eq!(row.time_boot_ns, ev.time_boot_ns);
        assert_eq!((row.pid, row.ppid), (ev.process.pid, ev.process.ppid));
        assert_eq!(row.exec_id, ev.process.exec_id);
        assert_eq!(row.parent_exec_id, ev.process.parent_exec_id);
        assert_eq!(row.container_id, ev.container.as_ref().map(|c| c.id.clone()));
        assert_eq!(row.container_name, ev.container.as_ref().and_then(|c| c.name.clone()));
        let json: serde_json::Value = serde_json::from_str(&row.json).unwrap();
        assert_eq!(json["kind"], ev.kind().name());
    }
    assert!(stored.windows(2).all(|w| w[0].id < w[1].id));
}

#[test]
fn many_rows_go_in_few_transactions() {
    let (_dir, path) = testutil::temp_db();
    let opts = StoreOptions { batch_size: 1_000, flush_interval: Duration::from_secs(30), ..testutil::options(&path) };
    let writer = StoreWriter::start(opts).unwrap();
    let t = now_ns();
    for i in 0..10_000u32 {
        let ev = testutil::exec_event(i, t + u64::from(i), None);
        assert!(writer.submit(&ev, &ev.to_json()));
    }
    let stats = writer.close();
    assert_eq!(stats.written, 10_000);
    // Full batches, plus at most one partial batch at close.
    assert!((10..=11).contains(&stats.batches), "{stats:?}");
}

#[test]
fn a_lone_row_is_written_after_the_flush_interval() {
    let (_dir, path) = testutil::temp_db();
    let writer = StoreWriter::start(testutil::options(&path)).unwrap();
    let ev = testutil::exec_event(5, now_ns(), None);
    assert!(writer.submit(&ev, &ev.to_json()));
    let store = Store::open_read_only(&path).unwrap();
    wait_until("the row to be readable", || store.events(&EventFilter::default()).unwrap().len() == 1);
    assert_eq!(writer.stats().batches, 1);
    drop(writer);
}

#[test]
fn full_queue_drops_are_counted_while_the_writer_is_stalled() {
    let (_dir, path) = testutil::temp_db();
    drop(StoreWriter::start(testutil::options(&path)).unwrap());
    // Another connection holds the write lock: the writer thread blocks in
    // its first transaction and the tiny queue fills up.
    let blocker = Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();

    let opts = StoreOptions { queue_capacity: 4, batch_size: 1, ..testutil::options(&path) };
    let writer = StoreWriter::start(opts).unwrap();
    let t = now_ns();
    let events: Vec<_> = (0..200).map(|i| testutil::connect_event(i, t + u64::from(i))).collect();
    let accepted = events.iter().filter(|ev| writer.submit(ev, &ev.to_json())).count() as u64;
    let stats = writer.stats();
    assert!(stats.dropped >= 200 - 4 - 2, "{stats:?}");
    assert_eq!(stats.dropped, 200 - accepted);
    assert_eq!(stats.dropped_by_kind.get("net_connect"), Some(&stats.dropped));
    assert_eq!(stats.written, 0);

    blocker.execute_batch("ROLLBACK").unwrap();
    let stats = writer.close();
    assert_eq!(stats.written, accepted, "{stats:?}");
    assert_eq!(stats.written + stats.dropped, 200);
    assert_eq!(stats.write_errors, 0, "{stats:?}");
}

#[test]
fn failed_writes_are_counted_and_the_thread_keeps_going() {
    let (_dir, path) = testutil::temp_db();
    let writer = StoreWriter::start(testutil::options(&path)).unwrap();
    let ev = testutil::exec_event(1, now_ns(), None);
    assert!(writer.submit(&ev, &ev.to_json()));
    wait_until("the first row", || writer.stats().written == 1);

    Connection::open(&path).unwrap().execute_batch("DROP TABLE events").unwrap();
    for _ in 0..3 {
        assert!(writer.submit(&ev, &ev.to_json()));
        std::thread::sleep(Duration::from_millis(30));
    }
    wait_until("the failures to be counted", || writer.stats().write_lost == 3);
    let stats = writer.close();
    assert_eq!(stats.written, 1);
    assert!(stats.write_errors >= 3, "{stats:?}");
}

#[test]
fn readers_see_rows_while_the_writer_runs() {
    let (_dir, path) = testutil::temp_db();
    let writer = StoreWriter::start(testutil::options(&path)).unwrap();
    let store = Store::open_read_only(&path).unwrap();
    let t = now_ns();
    for chunk in 0..10u32 {
        for i in 0..500 {
            let pid = chunk * 500 + i;
            let ev = testutil::exec_event(pid, t + u64::from(pid), None);
            assert!(writer.submit(&ev, &ev.to_json()));
        }
        let expected = u64::from(chunk + 1) * 500;
        wait_until("the chunk to be written", || writer.stats().written == expected);
        let seen = store.events(&EventFilter::default()).unwrap().len() as u64;
        assert_eq!(seen, expected);
    }
    // A reader holding a snapshot open does not stop the writer either.
    let stats = writer.close();
    assert_eq!(stats.written, 5_000);
    assert_eq!(store.events(&EventFilter::default()).unwrap().len(), 5_000);
}

#[test]
fn directory_and_file_are_private() {
    let (dir, path) = testutil::temp_db();
    drop(StoreWriter::start(testutil::options(&path)).unwrap());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("var")), 0o700);
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn unusable_paths_are_errors_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let err = StoreWriter::start(StoreOptions::at(file.join("sub/panoptes.db"))).unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("plain-file"), "{err}");

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database at all, just some text ".repeat(20)).unwrap();
    let err = StoreWriter::start(StoreOptions::at(&junk)).unwrap_err();
    assert!(err.to_string().contains("junk.db") && err.to_string().contains("not a Panoptes event store"), "{err}");
}

fn alert_at(rule: &str, pid: u32, time_unix_ns: u64) -> event::Alert {
    let mut alert = event::samples::alert();
    alert.rule.id = rule.into();
    alert.process.pid = pid;
    alert.time_unix_ns = time_unix_ns;
    alert
}

#[test]
fn alerts_round_trip_and_filter() {
    let (_dir, path) = testutil::temp_db();
    let t = now_ns();
    let alerts = [
        alert_at("exec_from_temp_dir", 1, t),
        alert_at("shell_in_container", 2, t + 10),
        alert_at("exec_from_temp_dir", 3, t + 20),
        alert_at("ssh_key_read", 4, t + 30),
    ];
    let writer = StoreWriter::start(testutil::options(&path)).unwrap();
    for (i, alert) in alerts.iter().enumerate() {
        let ev = testutil::exec_event(100 + i as u32, alert.time_unix_ns, None);
        assert!(writer.submit(&ev, &ev.to_json()));
        assert!(writer.submit_alert(alert));
    }
    let stats = writer.close();
    assert_eq!((stats.written, stats.alerts_written, stats.dropped), (8, 4, 0), "{stats:?}");

    let store = Store::open_read_only(&path).unwrap();
    let read = |filter: AlertFilter| -> Vec<u32> {
        store.alerts(&filter).unwrap().iter().map(|a| a.alert.process.pid).collect()
    };
    let all = store.alerts(&AlertFilter::default()).unwrap();
    assert_eq!(all.iter().map(|a| &a.alert).collect::<Vec<_>>(), alerts.iter().collect::<Vec<_>>());
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    let rule = |ids: &[&str]| Some(ids.iter().map(|s| s.to_string()).collect());
    assert_eq!(read(AlertFilter { rule_ids: rule(&["exec_from_temp_dir"]), ..AlertFilter::default() }), [1, 3]);
    assert_eq!(
        read(AlertFilter { rule_ids: rule(&["ssh_key_read", "shell_in_container"]), ..Default::default() }),
        [2, 4]
    );
    assert_eq!(read(AlertFilter { rule_ids: rule(&[]), ..AlertFilter::default() }), Vec::<u32>::new());
    let window = AlertFilter { since_unix_ns: Some(t + 10), until_unix_ns: Some(t + 30), ..AlertFilter::default() };
    assert_eq!(read(window), [2, 3]);
    assert_eq!(read(AlertFilter { limit: Some(2), ..AlertFilter::default() }), [1, 2]);
    assert_eq!(read(AlertFilter { limit: Some(2), newest_first: true, ..AlertFilter::default() }), [4, 3]);
    // Events and alerts live apart.
    assert_eq!(store.events(&EventFilter::default()).unwrap().len(), 4);
}

#[test]
fn a_full_queue_refuses_alerts_without_counting_them_as_event_drops() {
    let (_dir, path) = testutil::temp_db();
    drop(StoreWriter::start(testutil::options(&path)).unwrap());
    let blocker = Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let opts = StoreOptions { queue_capacity: 2, batch_size: 1, ..testutil::options(&path) };
    let writer = StoreWriter::start(opts).unwrap();
    let alert = alert_at("r", 1, now_ns());
    let accepted = (0..50).filter(|_| writer.submit_alert(&alert)).count() as u64;
    assert!(accepted < 50, "the queue never filled");
    assert_eq!(writer.stats().dropped, 0, "alert drops are the caller's to count");
    blocker.execute_batch("ROLLBACK").unwrap();
    let stats = writer.close();
    assert_eq!((stats.written, stats.alerts_written), (accepted, accepted), "{stats:?}");
}

#[test]
fn an_unreadable_alert_row_is_an_error_naming_it() {
    let (_dir, path) = testutil::temp_db();
    testutil::write_all(&path, &[]);
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO alerts(time_unix_ns, rule_id, severity, pid, json) VALUES (1, 'r', 'high', 1, '{\"kind\":\"alert\"}')",
            [],
        )
        .unwrap();
    let err = Store::open_read_only(&path).unwrap().alerts(&AlertFilter::default()).unwrap_err();
    assert!(matches!(err, StoreError::BadAlert { id: 1, .. }), "{err:?}");
    assert!(err.to_string().contains("alert row 1"), "{err}");
}
