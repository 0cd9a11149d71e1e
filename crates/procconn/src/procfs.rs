//! Race-aware reads of `/proc/<pid>` for exec events. The connector only
//! says "pid N exec'd"; the file, argv, cwd and credentials come from /proc,
//! read after the fact, when the process may have exited, been reaped, or its
//! pid reused.
//!
//! * All files are read relative to one directory fd of `/proc/<pid>`: once
//!   it is open, a reaped process makes every read fail (ESRCH) instead of
//!   silently reading a newer process with the same pid.
//! * `stat` is read first: a process that started after the exec event
//!   cannot be the one that exec'd (pid reuse before we opened the
//!   directory); it is treated as gone.
//! * Whatever could be read is kept; [`ProcInfo::complete`] says whether all
//!   of it was. A zombie keeps `status` and `stat` but loses `exe`, `cwd` and
//!   its argv.
//! * Not detectable: the same process exec'ing again before we read; then
//!   the newer image is reported.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

/// Credentials and names from `/proc/<pid>/status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub name: String,
    pub tgid: u32,
    pub ppid: u32,
    /// Real, effective, saved, filesystem.
    pub uid: [u32; 4],
    pub gid: [u32; 4],
}

/// What could be read about one process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcInfo {
    /// `/proc/<pid>` did not exist, or belonged to a newer process.
    pub gone: bool,
    pub status: Option<Status>,
    /// Process start, CLOCK_BOOTTIME ns (clock-tick resolution).
    pub start_boot_ns: Option<u64>,
    /// The executable's path without the ` (deleted)` suffix.
    pub exe: Option<String>,
    pub exe_deleted: bool,
    pub exe_inode: Option<u64>,
    pub exe_nlink: Option<u32>,
    pub argv: Option<Vec<String>>,
    pub argv_truncated: bool,
    pub cwd: Option<String>,
    pub cgroup: Option<String>,
}

impl ProcInfo {
    /// Everything an exec event wants was read.
    pub fn complete(&self) -> bool {
        !self.gone && self.status.is_some() && self.exe.is_some() && self.argv.is_some() && self.cwd.is_some()
    }
}

/// Reads `/proc/<pid>` (or another root, for tests).
#[derive(Debug, Clone)]
pub struct ProcReader {
    root: PathBuf,
    argv_max: usize,
    ns_per_tick: u64,
}

/// Slack for comparing a clock-tick start time with an event time.
const START_SLACK_NS: u64 = 50_000_000;

impl ProcReader {
    pub fn new(root: PathBuf, argv_max: usize) -> ProcReader {
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let hz = if hz > 0 { hz as u64 } else { 100 };
        ProcReader { root, argv_max, ns_per_tick: 1_000_000_000 / hz }
    }

    /// Reads what it can of process `pid`, which exec'd at `event_boot_ns`.
    pub fn read(&self, pid: u32, event_boot_ns: u64) -> ProcInfo {
        let mut info = ProcInfo::default();
        let Ok(dir) = File::open(self.root.join(pid.to_string())) else {
            info.gone = true;
            return info;
        };
        let dir = OwnedFd::from(dir);
        if let Some(stat) = read_at(&dir, "stat", 4096) {
            info.start_boot_ns = parse_start_ticks(&stat).map(|t| t.saturating_mul(self.ns_per_tick));
            if info.start_boot_ns.is_some_and(|s| s > event_boot_ns.saturating_add(START_SLACK_NS)) {
                return ProcInfo { gone: true, ..ProcInfo::default() };
            }
        }
        info.status = read_at(&dir, "status", 16 * 1024).and_then(|b| parse_status(&b));
        if let Some(link) = readlink_at(&dir, "exe") {
            let (path, deleted) = split_deleted(&link);
            info.exe = Some(path);
            info.exe_deleted = deleted;
            if let Some((inode, nlink)) = stat_at(&dir, "exe") {
                info.exe_inode = Some(inode);
                info.exe_nlink = Some(nlink);
            }
        }
        // An empty cmdline is a zombie or a kernel thread: nothing to report.
        if let Some(raw) = read_at(&dir, "cmdline", self.argv_max + 1).filter(|b| !b.is_empty()) {
            let (argv, truncated) = split_argv(&raw, self.argv_max);
            info.argv = Some(argv);
            info.argv_truncated = truncated;
        }
        info.cwd = readlink_at(&dir, "cwd");
        info.cgroup = read_at(&dir, "cgroup", 16 * 1024).and_then(|b| pick_cgroup(&String::from_utf8_lossy(&b)));
        info
    }
}

/// Reads at most `max` bytes of `dir/name`.
fn read_at(dir: &OwnedFd, name: &str, max: usize) -> Option<Vec<u8>> {
    let cname = CString::new(name).ok()?;
    // SAFETY: openat with a valid dirfd and NUL-terminated name.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), cname.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    // SAFETY: `fd` is a fresh descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut buf = vec![0u8; max];
    let mut len = 0usize;
    while len < max {
        let rest = buf.get_mut(len..)?;
        // SAFETY: `rest` is valid for writes of its length.
        let n = unsafe { libc::read(fd.as_raw_fd(), rest.as_mut_ptr().cast(), rest.len()) };
        match n {
            0 => break,
            n if n > 0 => len += n as usize,
            _ if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => continue,
            _ => return None,
        }
    }
    buf.truncate(len);
    Some(buf)
}

fn readlink_at(dir: &OwnedFd, name: &str) -> Option<String> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0u8; libc::PATH_MAX as usize + 32];
    // SAFETY: readlinkat into a buffer valid for its length.
    let n = unsafe { libc::readlinkat(dir.as_raw_fd(), cname.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return None;
    }
    buf.truncate(n as usize);
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// Inode and link count of what `dir/name` points to.
fn stat_at(dir: &OwnedFd, name: &str) -> Option<(u64, u32)> {
    let cname = CString::new(name).ok()?;
    // SAFETY: all-zero is a valid `stat`; fstatat fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid dirfd, NUL-terminated name, writable stat.
    let rc = unsafe { libc::fstatat(dir.as_raw_fd(), cname.as_ptr(), &mut st, 0) };
    (rc == 0).then(|| (st.st_ino, u32::try_from(st.st_nlink).unwrap_or(u32::MAX)))
}

fn split_deleted(link: &str) -> (String, bool) {
    match link.strip_suffix(" (deleted)") {
        Some(p) => (p.to_string(), true),
        None => (link.to_string(), false),
    }
}

/// NUL-separated argv; `max` bytes at most (the reader asked for one more
/// to tell whether there was more).
fn split_argv(raw: &[u8], max: usize) -> (Vec<String>, bool) {
    let truncated = raw.len() > max;
    let raw = raw.get(..max.min(raw.len())).unwrap_or_default();
    let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
    (raw.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect(), truncated)
}

fn parse_status(raw: &[u8]) -> Option<Status> {
    let text = String::from_utf8_lossy(raw);
    let mut s = Status::default();
    let mut seen = 0;
    let ids = |v: &str| -> [u32; 4] {
        let mut out = [0u32; 4];
        for (slot, part) in out.iter_mut().zip(v.split_whitespace()) {
            *slot = part.parse().unwrap_or(0);
        }
        out
    };
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        match key {
            "Name" => s.name = value.to_string(),
            "Tgid" => s.tgid = value.parse().unwrap_or(0),
            "PPid" => s.ppid = value.parse().unwrap_or(0),
            "Uid" => s.uid = ids(value),
            "Gid" => s.gid = ids(value),
            _ => continue,
        }
        seen += 1;
    }
    (seen >= 5).then_some(s)
}

/// Field 22 of `/proc/<pid>/stat` (start time in clock ticks); the comm in
/// parentheses may hold spaces and parentheses, so split after the last `)`.
fn parse_start_ticks(raw: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(raw);
    let after = text.get(text.rfind(')')? + 1..)?;
    // After the comm: field 3 (state) is index 0, field 22 is index 19.
    after.split_whitespace().nth(19)?.parse().ok()
}

/// The cgroup path: the v2 one (`0::/path`), or the v1 memory controller's
/// when the process sits at the v2 root (hybrid hosts), as the eBPF sensor
/// reports it.
fn pick_cgroup(text: &str) -> Option<String> {
    let mut v2 = None;
    let mut memory = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next()) else { continue };
        if id == "0" && controllers.is_empty() {
            v2 = Some(path.to_string());
        } else if controllers.split(',').any(|c| c == "memory") {
            memory = Some(path.to_string());
        }
    }
    match (v2, memory) {
        (Some(v2), Some(mem)) if v2 == "/" => Some(mem),
        (Some(v2), _) => Some(v2),
        (None, mem) => mem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_and_stat() {
        let status = b"Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nNgid:\t0\nPid:\t42\nPPid:\t1\nUid:\t1000\t1001\t1002\t1003\nGid:\t5\t6\t7\t8\n";
        let s = parse_status(status).unwrap();
        assert_eq!(
            (s.name.as_str(), s.tgid, s.ppid, s.uid, s.gid),
            ("bash", 42, 1, [1000, 1001, 1002, 1003], [5, 6, 7, 8])
        );
        assert_eq!(parse_status(b"Name:\tx\n"), None);
        let stat = b"42 (a) b) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 100";
        assert_eq!(parse_start_ticks(stat), Some(12345));
        assert_eq!(parse_start_ticks(b"42 (x"), None);
    }

    #[test]
    fn splits_argv_and_deleted() {
        assert_eq!(split_argv(b"ls\0-l\0", 100), (vec!["ls".into(), "-l".into()], false));
        assert_eq!(split_argv(b"ls\0-l\0xyz", 5), (vec!["ls".into(), "-l".into()], true));
        assert_eq!(split_deleted("/memfd:x (deleted)"), ("/memfd:x".into(), true));
        assert_eq!(split_deleted("/usr/bin/true"), ("/usr/bin/true".into(), false));
    }

    #[test]
    fn picks_cgroup_like_the_sensor() {
        assert_eq!(pick_cgroup("0::/system.slice/x.service\n").as_deref(), Some("/system.slice/x.service"));
        assert_eq!(pick_cgroup("12:memory:/docker/abc\n1:name=systemd:/\n0::/\n").as_deref(), Some("/docker/abc"));
        assert_eq!(pick_cgroup("4:cpu,memory:/k8s\n").as_deref(), Some("/k8s"));
        assert_eq!(pick_cgroup("garbage"), None);
    }

    #[test]
    fn reads_a_fake_proc_tree_and_reports_what_is_missing() {
        let root = tempfile::tempdir().unwrap();
        let p = root.path().join("77");
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("status"), "Name:\tdemo\nTgid:\t77\nPPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n")
            .unwrap();
        std::fs::write(p.join("cmdline"), b"demo\0--flag\0").unwrap();
        std::os::unix::fs::symlink("/bin/true", p.join("exe")).unwrap();
        let reader = ProcReader::new(root.path().to_path_buf(), 4096);
        let info = reader.read(77, u64::MAX / 2);
        assert!(!info.gone);
        assert_eq!(info.status.as_ref().map(|s| s.name.as_str()), Some("demo"));
        assert_eq!(info.argv, Some(vec!["demo".to_string(), "--flag".to_string()]));
        assert_eq!(info.exe.as_deref(), Some("/bin/true"));
        assert!(info.exe_inode.is_some());
        assert_eq!(info.cwd, None);
        assert!(!info.complete());
        assert!(reader.read(78, 0).gone);
    }

    #[test]
    fn a_process_younger_than_the_event_is_not_the_one() {
        let root = tempfile::tempdir().unwrap();
        let p = root.path().join("5");
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("stat"), "5 (x) S 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1000 0 0").unwrap();
        let reader = ProcReader::new(root.path().to_path_buf(), 4096);
        // Started at tick 1000 (10 s at 100 Hz); an event at 1 s cannot be its.
        assert!(reader.read(5, 1_000_000_000).gone);
        assert!(!reader.read(5, 20_000_000_000).gone);
    }
}
