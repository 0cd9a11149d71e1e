//! Test helpers: real `event::Event` values and throw-away databases.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use event::{Body, Container, Event, Exec, NetAddr, Process, SockAddr};

use crate::{StoreOptions, StoreStats, StoreWriter};

pub(crate) const DAY_NS: u64 = 86_400 * 1_000_000_000;

pub(crate) fn now_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

/// A database path inside a not-yet-existing subdirectory of a temp dir.
pub(crate) fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("var/panoptes.db");
    (dir, path)
}

/// Options for tests: no retention unless asked, quick flushes.
pub(crate) fn options(path: &Path) -> StoreOptions {
    StoreOptions {
        path: path.to_path_buf(),
        flush_interval: Duration::from_millis(10),
        max_age: None,
        max_bytes: None,
        ..StoreOptions::default()
    }
}

fn process(pid: u32) -> Process {
    Process {
        pid,
        tid: pid,
        ppid: 1,
        comm: "curl".into(),
        exe: Some("/usr/bin/curl".into()),
        cmdline: Some("curl -s https://example.com/install.sh".into()),
        exec_id: Some(format!("exec-{pid}")),
        parent_exec_id: Some("exec-1".into()),
        ..Process::default()
    }
}

fn container(spec: Option<(&str, Option<&str>)>) -> Option<Container> {
    spec.map(|(id, name)| Container {
        id: id.into(),
        name: name.map(str::to_string),
        runtime: "docker".into(),
        ..Container::default()
    })
}

pub(crate) fn exec_event(pid: u32, time_unix_ns: u64, container_spec: Option<(&str, Option<&str>)>) -> Event {
    Event {
        time_boot_ns: time_unix_ns % 1_000_000_000_000,
        time_unix_ns,
        process: process(pid).into(),
        container: container(container_spec),
        body: Body::Exec(Exec {
            filename: "/usr/bin/curl".into(),
            file: Some("/usr/bin/curl".into()),
            argv: vec!["curl".into(), "-s".into(), "https://example.com/install.sh".into()],
            cwd: Some("/root".into()),
            fs: Some("ext4".into()),
            nlink: 1,
            ..Exec::default()
        }),
    }
}

pub(crate) fn connect_event(pid: u32, time_unix_ns: u64) -> Event {
    Event {
        body: Body::NetConnect(NetAddr {
            fd: 3,
            addr: Some(SockAddr::Inet { ip: [93, 184, 216, 34].into(), port: 443 }),
            socket_type: Some("stream"),
            protocol: Some("tcp".into()),
            result: 0,
        }),
        ..exec_event(pid, time_unix_ns, None)
    }
}

/// Writes events through a [`StoreWriter`] and closes it.
pub(crate) fn write_all(path: &Path, events: &[Event]) -> StoreStats {
    let writer = StoreWriter::start(options(path)).unwrap();
    for ev in events {
        assert!(writer.submit(ev, &ev.to_json()));
    }
    let stats = writer.close();
    assert_eq!(stats.written, events.len() as u64, "{stats:?}");
    stats
}
