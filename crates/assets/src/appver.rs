//! Application versions, from the cheapest and safest source that knows:
//!
//! 1. `package`: the dpkg package owning the executable in the process's
//!    own root (its `/var/lib/dpkg`), upstream part of its version;
//! 2. `binary`: a version string in the executable itself (nginx,
//!    apache, postgres and OpenSSH embed one);
//! 3. `exec`: `<exe> --version` (or the rule's flag), as Elkeid does, but
//!    confined: in the process's mount, network, IPC and UTS namespaces
//!    (so a containerised binary runs with its own libraries and reaches
//!    only its container's network), as nobody, with no new
//!    privileges, 2 s of CPU, a 2 s wall-clock limit and 64 KiB of output.
//!    Off with `Options::exec_versions = false`.
//!
//! Results are cached per executable (device, inode) for the collection.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::apps::AppRule;
use crate::model::Table;
use crate::packages::dpkg::parse_status;
use crate::proc::{in_root, ProcInfo};
use crate::Options;

/// A version and where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub version: String,
    /// `package`, `binary`, `exec`, or empty when unknown.
    pub source: &'static str,
    /// The owning package and its full version, when packaged.
    pub package: String,
}

/// Paths → owning package, and package → version, of one root.
#[derive(Debug, Default)]
struct DpkgIndex {
    owner: HashMap<String, String>,
    version: HashMap<String, String>,
}

impl DpkgIndex {
    fn load(root: &Path) -> Option<DpkgIndex> {
        let status = fs::read(root.join("var/lib/dpkg/status")).ok()?;
        let (packages, _) = parse_status(&String::from_utf8_lossy(&status));
        let info = root.join("var/lib/dpkg/info");
        let mut index = DpkgIndex::default();
        for p in packages.iter().filter(|p| p.state == "installed") {
            let list = [format!("{}:{}.list", p.name, p.arch), format!("{}.list", p.name)]
                .iter()
                .find_map(|n| fs::read_to_string(info.join(n)).ok());
            for path in list.iter().flat_map(|l| l.lines()) {
                index.owner.insert(path.to_string(), p.name.clone());
            }
            index.version.insert(p.name.clone(), p.version.clone());
        }
        Some(index)
    }

    /// Owner of `exe`, trying the merged-/usr twin of the path too.
    fn owner_of(&self, exe: &str) -> Option<(&str, &str)> {
        let twin = match exe.strip_prefix("/usr") {
            Some(rest) => rest.to_string(),
            None => format!("/usr{exe}"),
        };
        let pkg = self.owner.get(exe).or_else(|| self.owner.get(&twin))?;
        Some((pkg, self.version.get(pkg).map(String::as_str).unwrap_or("")))
    }
}

/// `1:2.3.4-1+deb12u1` → `2.3.4` (no epoch, no Debian revision, no
/// repack suffix).
pub fn upstream(debian_version: &str) -> String {
    let v = debian_version.split_once(':').map_or(debian_version, |(_, v)| v);
    let v = v.rsplit_once('-').map_or(v, |(v, _)| v);
    v.split(['+', '~']).next().unwrap_or(v).to_string()
}

/// The first capture of `pattern` in `haystack`.
pub fn find_version(pattern: &str, haystack: &[u8]) -> Option<String> {
    let re = regex::bytes::Regex::new(pattern).ok()?;
    let caps = re.captures(haystack)?;
    Some(String::from_utf8_lossy(caps.get(1)?.as_bytes()).into_owned())
}

/// Largest executable scanned for a version string.
const MAX_SCAN: u64 = 64 << 20;
const EXEC_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_OUTPUT: usize = 64 << 10;
const NOBODY: libc::uid_t = 65534;

/// The version finder of one collection.
pub struct Versions<'a> {
    opts: &'a Options,
    roots: HashMap<u64, Option<DpkgIndex>>,
    cache: HashMap<(u64, u64), Found>,
    failures: Vec<String>,
}

impl<'a> Versions<'a> {
    pub fn new(opts: &'a Options) -> Versions<'a> {
        Versions { opts, roots: HashMap::new(), cache: HashMap::new(), failures: Vec::new() }
    }

    pub fn of(&mut self, rule: &AppRule, p: &ProcInfo) -> Found {
        let exe_link = self.opts.proc_root.join(p.pid.to_string()).join("exe");
        let Ok(meta) = fs::metadata(&exe_link) else { return Found::default() };
        let key = (meta.dev(), meta.ino());
        if let Some(found) = self.cache.get(&key) {
            return found.clone();
        }
        let found = self.find(rule, p, &exe_link);
        self.cache.insert(key, found.clone());
        found
    }

    fn find(&mut self, rule: &AppRule, p: &ProcInfo, exe_link: &Path) -> Found {
        let Some(exe) = p.exe.as_deref().filter(|e| !e.ends_with(" (deleted)")) else { return Found::default() };
        if rule.name == "java" {
            return java_version(&self.opts.proc_root, p.pid, exe);
        }
        let root = self.opts.proc_root.join(p.pid.to_string()).join("root");
        let index = self.roots.entry(p.mntns.unwrap_or(0)).or_insert_with(|| DpkgIndex::load(&root));
        if let Some((pkg, version)) = index.as_ref().and_then(|i| i.owner_of(exe)) {
            if !version.is_empty() {
                return Found { version: upstream(version), source: "package", package: format!("{pkg} {version}") };
            }
        }
        if let Some(pattern) = rule.binary_pattern {
            let mut bytes = Vec::new();
            if File::open(exe_link).and_then(|f| f.take(MAX_SCAN).read_to_end(&mut bytes)).is_ok() {
                if let Some(v) = find_version(pattern, &bytes) {
                    return Found { version: v, source: "binary", package: String::new() };
                }
            }
        }
        if self.opts.exec_versions && !rule.version_args.is_empty() {
            match run_confined(&self.opts.proc_root, p.pid, exe, rule.version_args) {
                Ok(output) => {
                    if let Some(v) = find_version(rule.output_pattern, &output) {
                        return Found { version: v, source: "exec", package: String::new() };
                    }
                    self.failures
                        .push(format!("{exe} (pid {}): no version in the output of {:?}", p.pid, rule.version_args));
                }
                Err(e) => self.failures.push(format!("{exe} (pid {}): {e}", p.pid)),
            }
        }
        Found::default()
    }

    /// Reports the versions that could not be found.
    pub fn finish(self, table: &mut Table) {
        for f in self.failures {
            table.warn(format!("version unknown: {f}"));
        }
    }
}

/// A JVM's version from the `release` file of its home (`bin/java` → `../release`).
fn java_version(proc_root: &Path, pid: u32, exe: &str) -> Found {
    let home = exe.trim_end_matches("/bin/java");
    let text = fs::read_to_string(in_root(proc_root, pid, &format!("{home}/release"))).unwrap_or_default();
    let version = text.lines().find_map(|l| l.strip_prefix("JAVA_VERSION=")).map(|v| v.trim_matches('"').to_string());
    match version {
        Some(v) => Found { version: v, source: "release", package: String::new() },
        None => Found::default(),
    }
}

/// Runs `exe args` as described in the module doc; returns stdout and
/// stderr together.
pub fn run_confined(proc_root: &Path, pid: u32, exe: &str, args: &[&str]) -> Result<Vec<u8>, String> {
    let ns = File::open(proc_root.join(pid.to_string()).join("ns/mnt")).map_err(|e| format!("mount namespace: {e}"))?;
    let ns_fd = ns.as_raw_fd();
    // Its network, IPC and UTS namespaces too, so what the binary might do
    // stays inside the container (absent ones are skipped).
    let others: Vec<File> = ["net", "ipc", "uts"]
        .iter()
        .filter_map(|n| File::open(proc_root.join(pid.to_string()).join("ns").join(n)).ok())
        .collect();
    let other_fds: Vec<i32> = others.iter().map(AsRawFd::as_raw_fd).collect();
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: the closure runs in the forked child before exec and only
    // makes async-signal-safe system calls on plain integers and static
    // strings (`other_fds` was allocated before the fork and is only
    // read); the namespace files stay open in the parent until spawn
    // returns.
    unsafe {
        cmd.pre_exec(move || {
            let check = |rc: libc::c_int| if rc == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) };
            for fd in &other_fds {
                check(libc::setns(*fd, 0))?;
            }
            check(libc::setns(ns_fd, libc::CLONE_NEWNS))?;
            check(libc::chdir(c"/".as_ptr()))?;
            check(libc::setgroups(0, std::ptr::null()))?;
            check(libc::setgid(NOBODY))?;
            check(libc::setuid(NOBODY))?;
            check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
            let cpu = libc::rlimit { rlim_cur: 2, rlim_max: 2 };
            check(libc::setrlimit(libc::RLIMIT_CPU, &cpu))?;
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot run: {e}"))?;
    drop((ns, others));
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < EXEC_TIMEOUT => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer within {EXEC_TIMEOUT:?}"));
            }
        }
    }
    let mut out = Vec::new();
    let pipes = [child.stdout.take().map(OwnedFd::from), child.stderr.take().map(OwnedFd::from)];
    for pipe in pipes.into_iter().flatten().map(File::from) {
        // A process it left behind may hold the pipe: never block on it.
        // SAFETY: fcntl on a pipe we own.
        unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        let mut buf = Vec::new();
        let _ = pipe.take(MAX_OUTPUT as u64).read_to_end(&mut buf);
        out.extend(buf);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_versions_to_upstream() {
        assert_eq!(upstream("1.22.1-9+deb12u1"), "1.22.1");
        assert_eq!(upstream("5:7.0.15-1~deb12u6"), "7.0.15");
        assert_eq!(upstream("15.18-0+deb12u1"), "15.18");
        assert_eq!(upstream("20.10.24+dfsg1-1+b3"), "20.10.24");
        assert_eq!(upstream("1.0"), "1.0");
    }

    #[test]
    fn version_patterns() {
        assert_eq!(find_version(r"nginx/(\d+\.\d+\.\d+)", b"\0Server: nginx/1.22.1\r\n"), Some("1.22.1".into()));
        assert_eq!(find_version(r"v=(\d+(?:\.\d+)+)", b"Redis server v=7.0.15 sha=0"), Some("7.0.15".into()));
        assert_eq!(
            find_version(r"\(PostgreSQL\) (\d+(?:\.\d+)+)", b"postgres (PostgreSQL) 15.18 (Debian)"),
            Some("15.18".into())
        );
        assert_eq!(find_version(r"nginx/(\d+)", b"apache"), None);
    }
}
