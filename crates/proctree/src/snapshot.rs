//! Reading processes from /proc, for the start-up snapshot and for
//! processes the tree meets before it saw them start. Every read is
//! race-aware: a process that is gone mid-read yields `None` or partial
//! fields, never an error that stops the caller.

use std::fs;

/// One process as /proc shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcEntry {
    pub pid: u32,
    pub ppid: u32,
    /// Start time in CLOCK_BOOTTIME ns (tick resolution).
    pub start_boot_ns: u64,
    pub exe: Option<String>,
    pub cmdline: Option<String>,
    pub cgroup: Option<String>,
    pub cwd: Option<String>,
}

fn tick_ns() -> u64 {
    1_000_000_000 / procfs::ticks_per_second().max(1)
}

/// Reads one process; `None` when it is gone or unreadable.
pub fn read_proc(pid: u32) -> Option<ProcEntry> {
    let process = procfs::process::Process::new(pid as i32).ok()?;
    let stat = process.stat().ok()?;
    let exe = process.exe().ok().map(|p| p.to_string_lossy().into_owned());
    let cmdline = process.cmdline().ok().filter(|v| !v.is_empty()).map(|v| v.join(" "));
    let cgroup = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok().and_then(|t| pick_cgroup(&t));
    let cwd = process.cwd().ok().map(|p| p.to_string_lossy().into_owned());
    Some(ProcEntry {
        pid,
        ppid: u32::try_from(stat.ppid).unwrap_or(0),
        start_boot_ns: stat.starttime.saturating_mul(tick_ns()),
        exe,
        cmdline,
        cgroup,
        cwd,
    })
}

/// The cgroup path the kernel side reports (see `pn_blob_cgroup` in
/// ebpf/include/helpers.h): the v2 path unless it is the root, else the v1
/// memory controller's path, else `/`.
pub fn pick_cgroup(proc_cgroup: &str) -> Option<String> {
    let mut v2 = None;
    let mut memory = None;
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next()) else { continue };
        if controllers.is_empty() {
            v2 = Some(path);
        } else if controllers.split(',').any(|c| c == "memory") {
            memory = Some(path);
        }
    }
    match (v2, memory) {
        (Some(p), _) if p != "/" => Some(p.to_string()),
        (_, Some(m)) => Some(m.to_string()),
        (Some(p), None) => Some(p.to_string()),
        (None, None) => None,
    }
}

/// Every process in /proc now. Processes that vanish mid-walk are skipped.
pub fn all() -> Vec<ProcEntry> {
    let Ok(iter) = procfs::process::all_processes() else { return Vec::new() };
    iter.filter_map(|p| p.ok()).filter_map(|p| read_proc(p.pid as u32)).collect()
}

/// The first eight hex digits of this boot's id (part of every exec id).
pub fn read_boot_id() -> String {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().chars().filter(|c| *c != '-').take(8).collect())
        .unwrap_or_else(|_| "00000000".into())
}

/// Two start times name the same process when they fall in the same clock
/// tick (/proc has tick resolution, the kernel ns).
pub fn same_start(a: u64, b: u64) -> bool {
    let tick = tick_ns();
    a / tick == b / tick
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_self() {
        let me = read_proc(std::process::id()).expect("own /proc entry");
        assert_eq!(me.pid, std::process::id());
        assert!(me.exe.is_some());
        assert!(me.start_boot_ns > 0);
        assert!(all().iter().any(|p| p.pid == me.pid));
    }

    #[test]
    fn cgroup_choice_follows_the_kernel_rule() {
        let v1 = "9:name=systemd:/\n4:memory:/docker/abc\n1:cpu:/docker/abc\n0::/\n";
        assert_eq!(pick_cgroup(v1).as_deref(), Some("/docker/abc"));
        let v2 = "0::/system.slice/docker-abc.scope\n";
        assert_eq!(pick_cgroup(v2).as_deref(), Some("/system.slice/docker-abc.scope"));
        let hybrid = "4:memory:/\n0::/user.slice\n";
        assert_eq!(pick_cgroup(hybrid).as_deref(), Some("/user.slice"));
        assert_eq!(pick_cgroup("0::/\n").as_deref(), Some("/"));
        assert_eq!(pick_cgroup("garbage"), None);
    }

    #[test]
    fn gone_process_is_none() {
        assert_eq!(read_proc(u32::MAX - 1), None);
    }

    #[test]
    fn boot_id_is_eight_hex() {
        let id = read_boot_id();
        assert_eq!(id.len(), 8);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
