//! Images and containers of the test dockerd for the assets tests: images
//! built by `docker import` from host files (no registry is reachable),
//! containers run without a network and removed whatever happens.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{unique, DOCKER_SOCKET};

/// `docker ARGS` against the test dockerd; its trimmed stdout.
fn docker_cmd(args: &[&str]) -> String {
    let out = Command::new("docker").arg("-H").arg(format!("unix://{DOCKER_SOCKET}")).args(args).output().unwrap();
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The tree of an image made by `docker import`: host files copied in,
/// executables with the shared libraries `ldd` names.
pub struct ImageRoot(tempfile::TempDir);

impl ImageRoot {
    pub fn path(&self, to: &str) -> PathBuf {
        self.0.path().join(to.trim_start_matches('/'))
    }

    pub fn copy(&self, from: &str, to: &str) {
        let dest = self.path(to);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        let from = std::fs::canonicalize(from).unwrap_or_else(|e| panic!("{from}: {e}"));
        std::fs::copy(&from, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }

    /// `from` as `to`, and the libraries it links at the host's paths.
    pub fn copy_linked(&self, from: &str, to: &str) {
        self.copy(from, to);
        let ldd = Command::new("ldd").arg(from).output().unwrap();
        for line in String::from_utf8_lossy(&ldd.stdout).lines() {
            let path = line.split("=>").last().unwrap_or("").split_whitespace().next().unwrap_or("");
            if path.starts_with('/') {
                self.copy(path, path);
            }
        }
    }

    pub fn write(&self, to: &str, text: &str) {
        let dest = self.path(to);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, text).unwrap();
    }
}

/// Imports the image `tag` into the test dockerd unless it holds it
/// already; `fill` puts the files in place (a world-writable /tmp and
/// empty /proc, /sys, /dev and /etc are always there).
pub fn image(tag: &str, fill: impl FnOnce(&ImageRoot)) {
    let present = Command::new("docker")
        .args(["-H", &format!("unix://{DOCKER_SOCKET}"), "image", "inspect", tag])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return;
    }
    let root = ImageRoot(tempfile::tempdir().unwrap());
    for d in ["tmp", "proc", "sys", "dev", "etc"] {
        std::fs::create_dir_all(root.path(d)).unwrap();
    }
    std::fs::set_permissions(root.path("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    fill(&root);
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "tar -C {} -cf - . | docker -H unix://{DOCKER_SOCKET} import - {tag} >/dev/null",
            root.0.path().display()
        ))
        .status()
        .unwrap();
    assert!(status.success(), "docker import of {tag} failed");
}

/// A container of the test dockerd, removed (by name) when dropped.
pub struct Container {
    pub name: String,
    pub id: String,
    pub pid: u32,
}

impl Container {
    /// `docker run -d --network none --name <unique> ARGS` (ARGS: more
    /// options, the image and its command).
    pub fn run(tag: &str, args: &[&str]) -> Container {
        let name = unique(tag);
        let mut c = Container { name, id: String::new(), pid: 0 };
        c.id = docker_cmd(&[&["run", "-d", "--network", "none", "--name", &c.name][..], args].concat());
        c.pid = docker_cmd(&["inspect", "--format", "{{.State.Pid}}", &c.id]).parse().unwrap();
        c
    }

    /// Waits until a TCP socket of the container's network namespace
    /// listens on `port`.
    pub fn wait_listening(&self, port: u16) {
        let needle = format!(":{port:04X} 00000000:0000 0A");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !std::fs::read_to_string(format!("/proc/{}/net/tcp", self.pid)).unwrap_or_default().contains(&needle) {
            if Instant::now() >= deadline {
                let logs = Command::new("docker")
                    .args(["-H", &format!("unix://{DOCKER_SOCKET}"), "logs", &self.name])
                    .output()
                    .map(|o| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
                    .unwrap_or_default();
                panic!("{} did not listen on {port} within 30 s:\n{logs}", self.name);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ =
            Command::new("docker").args(["-H", &format!("unix://{DOCKER_SOCKET}"), "rm", "-f", &self.name]).output();
    }
}
