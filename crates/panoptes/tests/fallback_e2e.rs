//! The fallback sensors through the real binary: `--sensor audit` (Linux
//! audit over netlink), `--sensor proc` (proc connector), `auto`, and
//! `panoptes replay --audit-log`.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Command;

use common::{privileged, sh, unique, Running, BIN};
use serde_json::Value;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/audit");

fn argv(e: &Value) -> Vec<String> {
    e["exec"]["argv"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

/// Audit is one global kernel resource: every test that owns it takes the
/// same lock as crates/auditnl's tests.
fn audit_lock() -> File {
    std::fs::create_dir_all("/run/panoptes-test").unwrap();
    let f = File::create("/run/panoptes-test/audit.lock").unwrap();
    // SAFETY: flock on a file we own; blocks until the other holder is done.
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
    f
}

#[test]
fn audit_sensor_sees_exec_file_and_connect() {
    if !privileged() {
        return;
    }
    let _lock = audit_lock();
    let run = Running::start(&["--sensor", "audit", "--no-store", "--no-containers"]);
    let tag = unique("audit");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("written");
    sh(&format!("/bin/echo {tag} two > {}", file.display()));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // From a child: the test process may predate audit being switched on.
    sh(&format!("python3 -c 'import socket; s=socket.create_connection((\"127.0.0.1\", {port})); s.send(b\"x\")'"));
    let (mut conn, _) = listener.accept().unwrap();
    let mut b = [0u8; 1];
    conn.read_exact(&mut b).unwrap();
    let out = run.stop();
    assert!(out.stderr.contains("sensor audit"), "{}", out.stderr);

    let exec = out.find("exec", |e| argv(e).contains(&tag));
    assert_eq!(argv(exec), vec!["/bin/echo".to_string(), tag.clone(), "two".into()]);
    assert_eq!(exec["process"]["exe"], "/usr/bin/echo");
    assert_eq!(exec["exec"]["result"], 0);
    assert!(!exec["process"]["ancestors"].as_array().unwrap().is_empty());
    let open = out.find("file_open", |e| e["file"]["path"] == file.display().to_string());
    assert!(open["file"]["result"].as_i64().unwrap() >= 0);
    let connect = out.find("net_connect", |e| e["net"]["addr"]["port"] == port);
    assert_eq!(connect["net"]["addr"]["ip"], "127.0.0.1");
    assert_eq!(connect["process"]["comm"], "python3");
    // Audit cannot see forks or exits; that is said, not hidden.
    let off: Vec<&str> = out.stats["kinds_off"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(off.contains(&"fork") && off.contains(&"exit"), "{off:?}");
}

#[test]
fn proc_connector_sensor_sees_fork_exec_exit() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--sensor", "proc", "--no-store", "--no-containers"]);
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join(unique("proc"));
    std::fs::copy("/bin/sleep", &bin).unwrap();
    let status = Command::new(&bin).arg("0.2").status().unwrap();
    assert!(status.success());
    sh("sh -c 'exit 3'; true");
    let out = run.stop();
    assert!(out.stderr.contains("sensor proc"), "{}", out.stderr);
    let path = bin.display().to_string();
    let exec = out.find("exec", |e| e["exec"]["file"] == path.as_str());
    assert_eq!(argv(exec), vec![path.clone(), "0.2".into()]);
    assert_eq!(exec["process"]["exe"], path.as_str());
    let pid = exec["process"]["pid"].as_u64().unwrap();
    out.find("fork", |e| e["fork"]["child_pid"] == pid);
    let exit = out.find("exit", |e| e["process"]["pid"] == pid);
    assert_eq!(exit["exit"]["code"], 0);
    out.find("exit", |e| e["exit"]["code"] == 3);
}

#[test]
fn auto_picks_ebpf_here() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--sensor", "auto", "--events", "exec", "--no-store", "--no-containers"]);
    sh("/bin/true");
    let out = run.stop();
    assert!(out.stderr.contains("sensor ebpf"), "{}", out.stderr);
    assert_eq!(out.stats["sensor"], "ebpf");
}

fn replay(args: &[&str]) -> (std::process::Output, Vec<Value>) {
    let out = Command::new(BIN).arg("replay").args(args).args(["--output", "jsonl=-"]).output().unwrap();
    let events = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (out, events)
}

#[test]
fn replay_of_audit_logs() {
    let setuid = format!("{TESTDATA}/elastic-beats/auditbeat/setuid.log");
    if !Path::new(&setuid).exists() {
        panic!("shared test data missing at {setuid}");
    }
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let (out, events) = replay(&["--audit-log", &setuid, "--stats-json", &stats.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let setids: Vec<&Value> = events.iter().filter(|e| e["kind"] == "setid").collect();
    assert_eq!(setids.len(), 3, "{events:?}");
    assert!(setids.iter().all(|e| e["process"]["pid"] == 19930 && e["process"]["comm"] == "setuids"));
    assert!(setids[0]["time"].as_str().unwrap().starts_with("2021-01-20T17:17:18"));

    // A rotated set with a malformed line: read oldest first, the bad line
    // counted, the rest replayed.
    let base = dir.path().join("audit.log");
    let exec = std::fs::read_to_string(format!("{TESTDATA}/go-libaudit/testdata/normal.log")).unwrap();
    std::fs::write(dir.path().join("audit.log.1"), &exec).unwrap();
    let mut f = File::create(&base).unwrap();
    writeln!(f, "type=SYSCALL msg=audit(garbage").unwrap();
    f.write_all(std::fs::read(&setuid).unwrap().as_slice()).unwrap();
    drop(f);
    let (out, events) =
        replay(&["--audit-log", &base.display().to_string(), "--stats-json", &stats.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    let first_setid = kinds.iter().position(|k| *k == "setid").unwrap();
    assert_eq!(
        kinds[..first_setid].iter().filter(|k| **k == "exec").count(),
        2,
        "the rotated file comes first: {kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "net_connect").count(), 2, "{kinds:?}");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(s["drops"]["decode"]["unknown"], 1, "{s}");

    let (out, _) = replay(&["--audit-log", "/nonexistent/audit.log"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/audit.log"));
}

/// `auto` without the capabilities eBPF needs falls back to audit, and
/// without audit's to the proc connector, saying why each time.
#[test]
fn auto_falls_back_and_says_why() {
    if !privileged() {
        return;
    }
    let _lock = audit_lock();
    let run_with = |drop_caps: &str| -> (String, Value) {
        let dir = tempfile::tempdir().unwrap();
        let stats = dir.path().join("stats.json");
        let out = Command::new("setpriv")
            .arg(format!("--bounding-set={drop_caps}"))
            .arg(BIN)
            .args(["run", "--sensor", "auto", "--no-store", "--no-containers", "--duration", "2", "--output", "stdout"])
            .arg("--stats-json")
            .arg(&stats)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        (stderr, serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap())
    };
    let (stderr, stats) = run_with("-bpf,-perfmon,-sys_admin");
    assert_eq!(stats["sensor"], "audit", "{stderr}");
    assert!(stderr.contains("eBPF sensor unavailable"), "{stderr}");
    let (stderr, stats) = run_with("-bpf,-perfmon,-sys_admin,-audit_control,-audit_read");
    assert_eq!(stats["sensor"], "proc", "{stderr}");
    assert!(stderr.contains("audit sensor unavailable"), "{stderr}");
}
