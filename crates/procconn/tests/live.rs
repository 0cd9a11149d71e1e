//! Live proc connector tests (root): real processes, real events. Skipped
//! with a message when not root; failed when PANOPTES_PRIVILEGED_TESTS=1.
//! Every test opens its own connector and looks only at its own children.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use event::{Body, Event};
use panoptes_procconn::{is_incomplete_exec, ProcConnector};

fn privileged() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        assert!(
            std::env::var("PANOPTES_PRIVILEGED_TESTS").as_deref() != Ok("1"),
            "PANOPTES_PRIVILEGED_TESTS=1 but not running as root"
        );
        eprintln!("skipping live proc connector test: needs root");
    }
    root
}

/// Receives until `done` holds or 10 s pass; returns the events seen.
fn collect(conn: &mut ProcConnector, mut done: impl FnMut(&[Event]) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut all = Vec::new();
    while Instant::now() < deadline && !done(&all) {
        all.extend(conn.recv(Duration::from_millis(100)).expect("recv"));
    }
    all
}

fn exec_of(events: &[Event], pid: u32) -> Option<&Event> {
    events.iter().find(|e| e.process.pid == pid && matches!(e.body, Body::Exec(_)))
}

fn exit_of(events: &[Event], pid: u32) -> Option<&Event> {
    events.iter().find(|e| e.process.pid == pid && matches!(e.body, Body::Exit(_)))
}

/// A copy of /bin/true under a name nobody else uses (also its comm).
fn unique_true() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("ptrue{}", std::process::id() % 100_000));
    std::fs::copy("/bin/true", &path).expect("copy /bin/true");
    (dir, path)
}

#[test]
fn fork_and_exec_with_pid_filename_and_argv() {
    if !privileged() {
        return;
    }
    let mut conn = ProcConnector::open().expect("open proc connector");
    let (_dir, path) = unique_true();
    // The child stops right after its exec (PTRACE_TRACEME: SIGTRAP on
    // exec), so /proc can be read while it lives, however loaded the host.
    let mut cmd = Command::new(&path);
    cmd.args(["alpha", "beta gamma"]);
    // SAFETY: ptrace(PTRACE_TRACEME) is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn the copy");
    let pid = child.id();
    let events = collect(&mut conn, |all| exec_of(all, pid).is_some());
    let mut status = 0;
    // SAFETY: waitpid on our own child.
    assert_eq!(unsafe { libc::waitpid(pid as i32, &mut status, 0) }, pid as i32);
    assert!(libc::WIFSTOPPED(status), "child not stopped at exec: {status:#x}");
    // SAFETY: detach from our stopped tracee; it runs on and exits.
    assert_eq!(unsafe { libc::ptrace(libc::PTRACE_DETACH, pid, 0, 0) }, 0);
    assert!(child.wait().expect("wait").success());
    let events = [events, collect(&mut conn, |all| exit_of(all, pid).is_some())].concat();

    let me = std::process::id();
    let fork = events
        .iter()
        .find(|e| matches!(&e.body, Body::Fork(f) if f.child_pid == pid))
        .unwrap_or_else(|| panic!("no fork event for {pid}"));
    assert_eq!(fork.process.pid, me);
    assert!(matches!(&fork.body, Body::Fork(f) if !f.thread && f.child_tid == pid));

    let exec = exec_of(&events, pid).unwrap_or_else(|| panic!("no exec event for {pid}"));
    let name = path.to_string_lossy().into_owned();
    let Body::Exec(body) = &exec.body else { unreachable!() };
    assert_eq!(body.filename, name);
    assert_eq!(body.file.as_deref(), Some(name.as_str()));
    assert_eq!(body.argv, vec![name.clone(), "alpha".into(), "beta gamma".into()]);
    assert_eq!(body.cwd, std::env::current_dir().ok().map(|d| d.to_string_lossy().into_owned()));
    assert!(body.inode != 0 && body.nlink == 1 && !body.deleted && !body.memfd);
    assert_eq!(exec.process.ppid, me);
    assert_eq!(exec.process.comm, path.file_name().unwrap().to_string_lossy());
    assert_eq!(exec.process.exe.as_deref(), Some(name.as_str()));
    assert!(exec.process.cgroup.is_some());
    assert!(!is_incomplete_exec(exec));
    assert!(exec.time_boot_ns >= fork.time_boot_ns);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    assert!(now.abs_diff(exec.time_unix_ns) < 30_000_000_000, "unix time off: {} vs {now}", exec.time_unix_ns);

    let exit = exit_of(&events, pid).expect("exit event");
    assert!(matches!(&exit.body, Body::Exit(x) if x.code == Some(0) && x.signal.is_none()));
    assert_eq!(exit.process.ppid, me);
    let stats = conn.stats();
    assert!(stats.by_what.fork >= 1 && stats.by_what.exec >= 1 && stats.by_what.exit >= 1, "{stats:?}");
    conn.close().expect("close");
}

#[test]
fn exit_code_three() {
    if !privileged() {
        return;
    }
    let mut conn = ProcConnector::open().expect("open proc connector");
    let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn().expect("spawn sh");
    let pid = child.id();
    assert_eq!(child.wait().expect("wait").code(), Some(3));
    let events = collect(&mut conn, |all| exit_of(all, pid).is_some());
    let exit = exit_of(&events, pid).unwrap_or_else(|| panic!("no exit event for {pid}"));
    assert!(matches!(&exit.body, Body::Exit(x) if x.code == Some(3) && x.signal.is_none() && !x.core_dumped));
}

#[test]
fn killed_process_reports_the_signal() {
    if !privileged() {
        return;
    }
    let mut conn = ProcConnector::open().expect("open proc connector");
    let mut child = Command::new("sleep").arg("30").spawn().expect("spawn sleep");
    let pid = child.id();
    child.kill().expect("kill");
    let _ = child.wait();
    let events = collect(&mut conn, |all| exit_of(all, pid).is_some());
    let exit = exit_of(&events, pid).unwrap_or_else(|| panic!("no exit event for {pid}"));
    assert!(matches!(&exit.body, Body::Exit(x) if x.signal == Some(libc::SIGKILL) && x.code.is_none()));
}

#[test]
fn exec_of_a_process_gone_before_proc_is_read_is_still_reported() {
    if !privileged() {
        return;
    }
    let mut conn = ProcConnector::open().expect("open proc connector");
    // Nothing reads the socket until the child has exited and been reaped:
    // by then /proc/<pid> is gone.
    let mut child = Command::new("/bin/true").spawn().expect("spawn true");
    let pid = child.id();
    child.wait().expect("wait");
    let events = collect(&mut conn, |all| exec_of(all, pid).is_some());
    let exec = exec_of(&events, pid).unwrap_or_else(|| panic!("no exec event for {pid}"));
    assert!(is_incomplete_exec(exec), "{exec:?}");
    assert!(matches!(&exec.body, Body::Exec(x) if x.result == 0 && x.file.is_none()));
    let stats = conn.stats();
    assert!(stats.exec_incomplete >= 1 && stats.exec_gone >= 1, "{stats:?}");
}

#[test]
fn uid_and_gid_changes_become_setid() {
    if !privileged() {
        return;
    }
    let mut conn = ProcConnector::open().expect("open proc connector");
    let mut child = Command::new("/bin/true").uid(65534).gid(65534).spawn().expect("spawn as nobody");
    let pid = child.id();
    child.wait().expect("wait");
    let setid = |all: &[Event], syscall: &str| {
        all.iter().find(|e| e.process.pid == pid && matches!(&e.body, Body::Setid(s) if s.syscall == syscall)).cloned()
    };
    let events = collect(&mut conn, |all| setid(all, "setuid").is_some() && setid(all, "setgid").is_some());
    let uid = setid(&events, "setuid").unwrap_or_else(|| panic!("no setuid event for {pid}"));
    assert!(matches!(&uid.body, Body::Setid(s) if s.ids == vec![65534, 65534]));
    assert_eq!((uid.process.uid, uid.process.euid), (65534, 65534));
    assert!(setid(&events, "setgid").is_some());
}
