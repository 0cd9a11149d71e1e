//! Tests of [`Store`]'s queries against a store written by the real writer.

use super::*;
use crate::testutil::{self, now_ns};

const WEB: &str = "aaaa1111c0ffee00000000000000000000000000000000000000000000000001";
const DB: &str = "aaaa2222c0ffee00000000000000000000000000000000000000000000000002";
const CACHE: &str = "bbbb3333c0ffee00000000000000000000000000000000000000000000000003";

/// Host pid 1 at t; web pids 10, 11; db pid 20; cache pid 30 (named late).
fn fixture() -> (tempfile::TempDir, Store, u64) {
    let (dir, path) = testutil::temp_db();
    let t = now_ns();
    let events = vec![
        testutil::exec_event(1, t, None),
        testutil::exec_event(10, t + 10, Some((WEB, Some("web")))),
        testutil::connect_event(10, t + 11).with_container(WEB, Some("web")),
        testutil::exec_event(11, t + 20, Some((WEB, Some("web")))),
        testutil::exec_event(20, t + 30, Some((DB, Some("db")))),
        testutil::exec_event(30, t + 40, Some((CACHE, None))),
        testutil::exec_event(30, t + 50, Some((CACHE, Some("cache")))),
    ];
    testutil::write_all(&path, &events);
    let store = Store::open_read_only(&path).unwrap();
    (dir, store, t)
}

trait WithContainer {
    fn with_container(self, id: &str, name: Option<&str>) -> Self;
}

impl WithContainer for event::Event {
    fn with_container(mut self, id: &str, name: Option<&str>) -> Self {
        self.container = testutil::exec_event(0, 0, Some((id, name))).container;
        self
    }
}

fn pids(store: &Store, filter: EventFilter) -> Vec<u32> {
    store.events(&filter).unwrap().iter().map(|e| e.pid).collect()
}

fn by_container(text: &str) -> EventFilter {
    EventFilter { container: Some(text.into()), ..EventFilter::default() }
}

#[test]
fn container_filter_by_id_prefix_and_name() {
    let (_dir, store, _) = fixture();
    assert_eq!(pids(&store, by_container(WEB)), [10, 10, 11]);
    assert_eq!(pids(&store, by_container("aaaa1")), [10, 10, 11]);
    assert_eq!(pids(&store, by_container("web")), [10, 10, 11]);
    assert_eq!(pids(&store, by_container("cache")), [30], "only the named row carries the name");
    assert_eq!(pids(&store, by_container("aaaa")), [10, 10, 11, 20], "a shared prefix matches both");
    assert!(pids(&store, by_container("aaa")).is_empty(), "three characters are not a prefix");
    assert!(pids(&store, by_container("a*")).is_empty());
    assert!(pids(&store, by_container("nope")).is_empty());
}

#[test]
fn pid_exec_id_kind_and_limit_filters() {
    let (_dir, store, _) = fixture();
    assert_eq!(pids(&store, EventFilter { pids: Some(vec![1, 20]), ..EventFilter::default() }), [1, 20]);
    assert!(pids(&store, EventFilter { pids: Some(vec![]), ..EventFilter::default() }).is_empty());
    let exec = EventFilter { exec_ids: Some(vec!["exec-11".into(), "exec-30".into()]), ..EventFilter::default() };
    assert_eq!(pids(&store, exec), [11, 30, 30]);
    let kinds =
        store.events(&EventFilter { kinds: Some(vec!["net_connect".into()]), ..EventFilter::default() }).unwrap();
    assert_eq!(kinds.len(), 1);
    assert_eq!((kinds[0].kind.as_str(), kinds[0].pid), ("net_connect", 10));
    assert_eq!(pids(&store, EventFilter { limit: Some(2), ..EventFilter::default() }), [1, 10]);
    let both = EventFilter { pids: Some(vec![10]), kinds: Some(vec!["exec".into()]), ..by_container("web") };
    assert_eq!(pids(&store, both), [10]);
}

#[test]
fn time_window_is_half_open() {
    let (_dir, store, t) = fixture();
    let window = EventFilter { since_unix_ns: Some(t + 11), until_unix_ns: Some(t + 40), ..EventFilter::default() };
    let rows = store.events(&window).unwrap();
    assert_eq!(rows.iter().map(|e| e.time_unix_ns - t).collect::<Vec<_>>(), [11, 20, 30]);
    assert_eq!(pids(&store, EventFilter { since_unix_ns: Some(t + 45), ..EventFilter::default() }), [30]);
}

#[test]
fn containers_are_listed_with_their_latest_name() {
    let (_dir, store, t) = fixture();
    let seen = store.containers().unwrap();
    let summary: Vec<_> = seen
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_deref(), c.first_unix_ns - t, c.last_unix_ns - t, c.events))
        .collect();
    assert_eq!(
        summary,
        [(WEB, Some("web"), 10, 20, 3), (DB, Some("db"), 30, 30, 1), (CACHE, Some("cache"), 40, 50, 2)]
    );
}

#[test]
fn resolve_by_id_name_and_prefix() {
    let (_dir, store, _) = fixture();
    assert_eq!(store.resolve_container(WEB).unwrap().as_deref(), Some(WEB));
    assert_eq!(store.resolve_container("db").unwrap().as_deref(), Some(DB));
    assert_eq!(store.resolve_container("bbbb").unwrap().as_deref(), Some(CACHE));
    assert_eq!(store.resolve_container("aaaa2").unwrap().as_deref(), Some(DB));
    assert_eq!(store.resolve_container("bbb").unwrap(), None, "too short for a prefix");
    assert_eq!(store.resolve_container("cccc").unwrap(), None);
    assert_eq!(store.resolve_container("").unwrap(), None);
}

#[test]
fn ambiguous_prefix_is_an_error_listing_the_candidates() {
    let (_dir, store, _) = fixture();
    let err = store.resolve_container("aaaa").unwrap_err();
    match &err {
        StoreError::AmbiguousContainer { query, matches } => {
            assert_eq!(query, "aaaa");
            assert_eq!(matches, &[WEB.to_string(), DB.to_string()]);
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("aaaa1111c0ff") && text.contains("aaaa2222c0ff"), "{text}");
}

#[test]
fn a_name_reused_by_two_containers_is_ambiguous() {
    let (_dir, path) = testutil::temp_db();
    let t = now_ns();
    testutil::write_all(
        &path,
        &[
            testutil::exec_event(1, t, Some((WEB, Some("app")))),
            testutil::exec_event(2, t + 1, Some((DB, Some("app")))),
        ],
    );
    let store = Store::open_read_only(&path).unwrap();
    assert!(matches!(store.resolve_container("app"), Err(StoreError::AmbiguousContainer { .. })));
}

#[test]
fn filtered_queries_use_the_indexes() {
    let (_dir, store, _) = fixture();
    for filter in [by_container("aaaa1"), EventFilter { pids: Some(vec![1]), ..EventFilter::default() }] {
        let (clauses, values) = filter.to_sql();
        let mut stmt = store.conn.prepare(&format!("EXPLAIN QUERY PLAN SELECT id FROM events{clauses}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(values.iter()), |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("; ");
        assert!(plan.contains("INDEX"), "{filter:?}: {plan}");
        assert!(!plan.contains("SCAN events"), "{filter:?}: {plan}");
    }
}

#[test]
fn open_read_only_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let err = Store::open_read_only(&missing).unwrap_err();
    assert!(err.to_string().contains(&missing.display().to_string()), "{err}");
    let err = Store::open_read_only(dir.path()).unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");
}
