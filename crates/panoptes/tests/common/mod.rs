//! Harness for end-to-end tests: starts the real `panoptes` binary, waits
//! for its ready line, lets the test act, stops it with SIGINT and hands
//! back every JSON line it wrote plus its final stats.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_panoptes");

/// Privileged tests need root. Without it they are skipped with a message,
/// unless PANOPTES_PRIVILEGED_TESTS=1 demands them (CI), then they fail.
pub fn privileged() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        assert!(
            std::env::var("PANOPTES_PRIVILEGED_TESTS").as_deref() != Ok("1"),
            "PANOPTES_PRIVILEGED_TESTS=1 but not running as root"
        );
        eprintln!("skipping: needs root (run the README test command as root)");
    }
    root
}

pub struct Running {
    child: Child,
    dir: tempfile::TempDir,
    stderr_lines: mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
}

pub struct Finished {
    pub events: Vec<Value>,
    pub stats: Value,
    pub stderr: String,
    pub status: std::process::ExitStatus,
}

impl Running {
    /// Starts `panoptes run --output jsonl=... --stats-json ... ARGS` and
    /// waits for the ready line.
    pub fn start(args: &[&str]) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("events.jsonl");
        let stats = dir.path().join("stats.json");
        // Tests never write to the host's default store.
        let store = if args.iter().any(|a| *a == "--store" || *a == "--no-store") { None } else { Some("--no-store") };
        let mut child = Command::new(BIN)
            .arg("run")
            .arg("--output")
            .arg(format!("jsonl={}", jsonl.display()))
            .arg("--stats-json")
            .arg(&stats)
            .args(args)
            .args(store)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start panoptes");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Running { child, dir, stderr_lines: rx, stderr_seen: Vec::new() };
        running.wait_ready();
        running
    }

    fn wait_ready(&mut self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            match self.stderr_lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    let ready = line.starts_with("panoptes: ready");
                    self.stderr_seen.push(line);
                    if ready {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        panic!("panoptes exited {status} before ready:\n{}", self.stderr_seen.join("\n"));
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = self.child.wait();
                    panic!("panoptes closed stderr before ready:\n{}", self.stderr_seen.join("\n"));
                }
            }
        }
        let _ = self.child.kill();
        panic!("panoptes not ready in 60 s:\n{}", self.stderr_seen.join("\n"));
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// SIGINT, wait, collect.
    pub fn stop(self) -> Finished {
        self.stop_with(libc::SIGINT)
    }

    /// `signal`, wait, collect.
    pub fn stop_with(mut self, signal: i32) -> Finished {
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(self.child.id() as i32, signal) };
        let status = self.child.wait().unwrap();
        let mut stderr = self.stderr_seen.join("\n");
        while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(2)) {
            stderr.push('\n');
            stderr.push_str(&line);
        }
        let text = std::fs::read_to_string(self.dir.path().join("events.jsonl")).unwrap_or_default();
        let events = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect();
        let stats = std::fs::read_to_string(self.dir.path().join("stats.json"))
            .map(|s| serde_json::from_str(&s).unwrap())
            .unwrap_or(Value::Null);
        assert!(status.success(), "panoptes exited {status}:\n{stderr}");
        Finished { events, stats, stderr, status }
    }
}

impl Finished {
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.events.iter().filter(move |e| e["kind"] == kind)
    }

    /// The first event of `kind` matching `pred`, or a panic listing what
    /// of that kind was seen.
    pub fn find<'a>(&'a self, kind: &'a str, pred: impl Fn(&Value) -> bool) -> &'a Value {
        self.of_kind(kind).find(|e| pred(e)).unwrap_or_else(|| {
            let seen: Vec<String> = self.of_kind(kind).take(40).map(|e| e.to_string()).collect();
            panic!(
                "no matching {kind} event among {} of that kind; first ones:\n{}",
                self.of_kind(kind).count(),
                seen.join("\n")
            )
        })
    }
}

/// Runs a command to completion, asserting success.
pub fn sh(script: &str) {
    let status = Command::new("sh").arg("-c").arg(script).status().unwrap();
    assert!(status.success(), "`{script}` failed: {status}");
}

/// A name no other process on the machine will use.
pub fn unique(tag: &str) -> String {
    format!(
        "pn{tag}{}x{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
    )
}

/// The test dockerd's socket and the busybox image it holds
/// (scripts/dockerd-for-tests.sh).
#[allow(dead_code)]
pub const DOCKER_SOCKET: &str = "/run/panoptes-test/docker.sock";
#[allow(dead_code)]
pub const DOCKER_IMAGE: &str = "panoptes-test/busybox:latest";

/// Starts the test dockerd (idempotently). Without it the test is skipped,
/// unless CI demands privileged tests (PANOPTES_PRIVILEGED_TESTS=1), then
/// it fails.
#[allow(dead_code)]
pub fn docker() -> bool {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dockerd-for-tests.sh");
    let ok = Command::new("bash").arg(&script).arg("start").status().map(|s| s.success()).unwrap_or(false);
    if !ok {
        assert!(
            std::env::var("PANOPTES_PRIVILEGED_TESTS").as_deref() != Ok("1"),
            "dockerd-for-tests.sh start failed and privileged tests are required"
        );
        eprintln!("skipping: no test dockerd");
    }
    ok
}
