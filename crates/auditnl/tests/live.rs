//! Live NETLINK_AUDIT tests (root). Audit is one global kernel resource, so
//! everything runs in one test function, under a file lock shared with any
//! other process running these tests. Skipped with a message when not root;
//! failed when PANOPTES_PRIVILEGED_TESTS=1 demands privileged tests.
//!
//! The test checks that the machine's audit state (rules, pid, enabled,
//! backlog limit) is exactly what it was before, after close and after drop.

use std::io::Read;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::{Duration, Instant};

use panoptes_auditnl::{record_type, ActiveMode, AuditClient, AuditControl, AuditMessage, AuditStatus, Mode};

fn privileged() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        assert!(
            std::env::var("PANOPTES_PRIVILEGED_TESTS").as_deref() != Ok("1"),
            "PANOPTES_PRIVILEGED_TESTS=1 but not running as root"
        );
        eprintln!("skipping live audit test: needs root");
    }
    root
}

/// Holds an exclusive flock on /run/panoptes-test/audit.lock while alive.
struct AuditLock {
    _file: std::fs::File,
}

fn audit_lock() -> AuditLock {
    std::fs::create_dir_all("/run/panoptes-test").expect("create /run/panoptes-test");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/run/panoptes-test/audit.lock")
        .expect("open audit lock");
    // SAFETY: flock on a descriptor we own.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(rc, 0, "flock audit.lock");
    AuditLock { _file: f }
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    rules: Vec<Vec<u8>>,
    pid: u32,
    enabled: u32,
    backlog_limit: u32,
}

fn snapshot() -> Snapshot {
    let mut ctl = AuditControl::open().expect("audit control");
    let s: AuditStatus = ctl.status().expect("AUDIT_GET");
    Snapshot {
        rules: ctl.list_rule_bytes().expect("list rules"),
        pid: s.pid,
        enabled: s.enabled,
        backlog_limit: s.backlog_limit,
    }
}

fn text(m: &AuditMessage) -> String {
    String::from_utf8_lossy(&m.payload).into_owned()
}

/// Receives until `done` says so or 10 s pass; returns everything seen.
fn collect(client: &mut AuditClient, mut done: impl FnMut(&[AuditMessage]) -> bool) -> Vec<AuditMessage> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut all = Vec::new();
    while Instant::now() < deadline && !done(&all) {
        all.extend(client.recv(Duration::from_millis(200)).expect("recv"));
    }
    all
}

fn is_exec_of_true(m: &AuditMessage) -> bool {
    let t = text(m);
    m.msg_type == record_type::SYSCALL
        && t.contains("syscall=59 ")
        && t.contains("key=\"panoptes\"")
        && t.contains("comm=\"true\"")
}

fn is_connect_to(m: &AuditMessage, pid: u32) -> bool {
    let t = text(m);
    m.msg_type == record_type::SYSCALL
        && t.contains("syscall=42 ")
        && t.contains("key=\"panoptes\"")
        && t.contains(&format!(" pid={pid} "))
}

#[test]
fn live_audit_own_multicast_and_restore() {
    if !privileged() {
        return;
    }
    let _lock = audit_lock();
    let before = snapshot();
    if before.pid != 0 && std::path::Path::new(&format!("/proc/{}", before.pid)).exists() {
        eprintln!("an audit daemon (pid {}) owns audit: testing multicast only", before.pid);
        multicast_next_to_daemon();
        assert_eq!(snapshot(), before);
        return;
    }

    let mut own = AuditClient::open(Mode::Own).expect("open Own");
    assert_eq!(own.mode(), ActiveMode::Own);
    // Rules left by a run that was killed count as preexisting (kept).
    let st = own.stats();
    assert_eq!(st.rules_added + st.rules_preexisting, 3, "{st:?}");
    // With us registered, Auto must not take over: it listens.
    let mut auto = AuditClient::open(Mode::Auto).expect("open Auto");
    assert_eq!(auto.mode(), ActiveMode::Multicast);
    assert!(matches!(AuditClient::open(Mode::Own), Err(panoptes_auditnl::AuditError::AlreadyOwned { .. })));

    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let status = Command::new("/bin/true").arg("panoptes-audit-test").status().expect("run /bin/true");
    assert!(status.success());
    // A child does the connect: this test process may predate the first
    // enable of audit and then has no audit context of its own.
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!("exec 3<>/dev/tcp/127.0.0.1/{port}; echo hi >&3"))
        .spawn()
        .expect("spawn bash connect");
    let (mut conn, _) = listener.accept().expect("accept");
    let mut buf = [0u8; 3];
    conn.read_exact(&mut buf).expect("read from bash");
    let connect_pid = child.id();
    assert!(child.wait().expect("wait bash").success());

    let seen = collect(&mut own, |all| {
        all.iter().any(is_exec_of_true)
            && all.iter().any(|m| is_connect_to(m, connect_pid))
            && all.iter().any(|m| m.msg_type == record_type::EXECVE && text(m).contains("panoptes-audit-test"))
    });
    let dump = || seen.iter().map(|m| format!("{} {}", m.msg_type, text(m))).collect::<Vec<_>>().join("\n");
    assert!(seen.iter().any(is_exec_of_true), "no execve SYSCALL record of /bin/true with key panoptes:\n{}", dump());
    assert!(
        seen.iter().any(|m| m.msg_type == record_type::EXECVE && text(m).contains("a1=\"panoptes-audit-test\"")),
        "no EXECVE record with the argument:\n{}",
        dump()
    );
    assert!(
        seen.iter().any(|m| is_connect_to(m, connect_pid)),
        "no connect SYSCALL record of pid {connect_pid}:\n{}",
        dump()
    );
    assert!(seen.iter().all(|m| text(m).starts_with("audit(")), "payload is not record text:\n{}", dump());

    let heard = collect(&mut auto, |all| all.iter().any(is_exec_of_true));
    assert!(heard.iter().any(is_exec_of_true), "multicast listener missed the execve record");

    let stats = own.stats();
    assert!(stats.messages >= 3 && stats.bytes > 0, "{stats:?}");
    own.refresh_status().expect("refresh status");
    auto.close().expect("close Auto");
    own.close().expect("close Own");
    assert_eq!(snapshot(), before, "audit state not restored by close");

    // Drop restores too.
    let dropped = AuditClient::open(Mode::Own).expect("open Own again");
    drop(dropped);
    assert_eq!(snapshot(), before, "audit state not restored by drop");
}

/// With a real audit daemon running: listen without changing anything.
fn multicast_next_to_daemon() {
    let mut auto = AuditClient::open(Mode::Auto).expect("open Auto");
    assert_eq!(auto.mode(), ActiveMode::Multicast);
    let _ = auto.recv(Duration::from_millis(500)).expect("recv");
    auto.close().expect("close");
}
