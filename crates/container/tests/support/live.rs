//! Helpers for the live tests against the private test dockerd
//! (`scripts/dockerd-for-tests.sh`) and the containerd it manages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

/// The private dockerd's API socket.
pub const DOCKER_SOCKET: &str = "/run/panoptes-test/docker.sock";
/// The containerd that dockerd started (it lives under dockerd's exec root).
pub const CONTAINERD_SOCKET: &str = "/run/panoptes-test/exec/containerd/containerd.sock";
/// The image the script imports.
pub const IMAGE: &str = "panoptes-test/busybox:latest";

/// True when PANOPTES_PRIVILEGED_TESTS=1: a missing prerequisite is then a failure.
pub fn required() -> bool {
    std::env::var("PANOPTES_PRIVILEGED_TESTS").is_ok_and(|v| v == "1")
}

/// Skips (returns false with a message) or fails, depending on [`required`].
pub fn unavailable(why: &str) -> bool {
    if required() {
        panic!("PANOPTES_PRIVILEGED_TESTS=1 but {why}");
    }
    eprintln!("SKIPPED: {why}");
    false
}

/// Root, and the private dockerd started (idempotent; left running for
/// scripts/test.sh to stop).
pub fn docker_ready() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return unavailable("live container tests need root");
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dockerd-for-tests.sh");
    match Command::new("bash").arg(&script).arg("start").output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => unavailable(&format!(
            "{} start failed ({}): {}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => unavailable(&format!("cannot run {}: {e}", script.display())),
    }
}

/// Runs a command, returning its output; panics with its stderr if it fails.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = output(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs a command whatever its outcome.
pub fn output(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// `docker` against the private daemon.
pub fn docker(args: &[&str]) -> String {
    let host = format!("unix://{DOCKER_SOCKET}");
    let mut all = vec!["-H", host.as_str()];
    all.extend_from_slice(args);
    run("docker", &all)
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// A fresh 64-hex container id.
pub fn unique_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{nanos:032x}{:032x}", u128::from(std::process::id()) << 64 | 0xfeed)
}

/// Sockets nobody listens on, for the runtimes a test does not use.
pub fn nowhere(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
