//! One pass over /proc shared by the tables that need processes
//! (processes, sockets, containers, applications, Java packages): each
//! process's stat, uid, exe, command line, container and namespaces.
//!
//! A process that exits while it is read is skipped silently (that is a
//! race, not a fault); one whose files are unreadable or malformed (a
//! truncated `stat`) is skipped with a warning naming the file.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use container::{from_proc_cgroup, ContainerRef};

use crate::model::Table;

/// What the inventory knows of one process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcInfo {
    pub pid: u32,
    pub ppid: u32,
    pub comm: String,
    pub uid: u32,
    /// Clock ticks after boot (field 22 of stat).
    pub start_ticks: u64,
    /// The executable as the process's mount namespace names it; `None`
    /// for kernel threads and when unreadable.
    pub exe: Option<String>,
    pub argv: Vec<String>,
    pub container: Option<ContainerRef>,
    /// Inodes of the network and mount namespaces.
    pub netns: Option<u64>,
    pub mntns: Option<u64>,
}

impl ProcInfo {
    /// The executable's file name (else comm).
    pub fn exe_name(&self) -> &str {
        self.exe.as_deref().and_then(|e| e.trim_end_matches(" (deleted)").rsplit('/').next()).unwrap_or(&self.comm)
    }

    pub fn cmdline(&self) -> String {
        self.argv.join(" ")
    }

    pub fn container_id(&self) -> String {
        self.container.as_ref().map(|c| c.id.clone()).unwrap_or_default()
    }
}

/// The fields of /proc/<pid>/stat the inventory uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub comm: String,
    pub ppid: u32,
    pub start_ticks: u64,
}

/// Parses /proc/<pid>/stat. The command name is in parentheses and may
/// hold spaces and parentheses itself, so fields are counted from the
/// last `)`.
pub fn parse_stat(text: &str) -> Result<Stat, String> {
    let open = text.find('(').ok_or("no `(` before the command name")?;
    let close = text.rfind(')').ok_or("no `)` after the command name (truncated?)")?;
    if close < open {
        return Err("`)` before `(`".into());
    }
    let comm = text[open + 1..close].to_string();
    // After ") ": state is field 3, ppid field 4, starttime field 22.
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    if rest.len() < 20 {
        return Err(format!("{} fields after the command name, expected at least 20 (truncated?)", rest.len()));
    }
    let ppid = rest[1].parse().map_err(|_| format!("ppid {:?} is not a number", rest[1]))?;
    let start_ticks = rest[19].parse().map_err(|_| format!("starttime {:?} is not a number", rest[19]))?;
    Ok(Stat { comm, ppid, start_ticks })
}

/// The real uid from /proc/<pid>/status.
pub fn parse_status_uid(text: &str) -> Option<u32> {
    text.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// `net:[4026531840]` → 4026531840.
fn ns_inode(link: &Path) -> Option<u64> {
    let target = fs::read_link(link).ok()?;
    let text = target.to_str()?;
    text.rsplit_once('[')?.1.strip_suffix(']')?.parse().ok()
}

/// Reads every process under `proc_root`; problems go to `table`.
pub fn scan(proc_root: &Path, table: &mut Table) -> Vec<ProcInfo> {
    let entries = match fs::read_dir(proc_root) {
        Ok(e) => e,
        Err(e) => {
            table.warn(format!("{}: {e}", proc_root.display()));
            return Vec::new();
        }
    };
    let mut pids: Vec<u32> = entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    pids.sort_unstable();
    let mut out = Vec::with_capacity(pids.len());
    for pid in pids {
        let dir = proc_root.join(pid.to_string());
        match read_one(&dir, pid) {
            Ok(Some(p)) => out.push(p),
            Ok(None) => {}
            Err(message) => table.warn(message),
        }
    }
    out
}

/// One process; `Ok(None)` when it is gone.
fn read_one(dir: &Path, pid: u32) -> Result<Option<ProcInfo>, String> {
    let stat_path = dir.join("stat");
    let stat_text = match fs::read_to_string(&stat_path) {
        Ok(t) => t,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", stat_path.display())),
    };
    let stat = parse_stat(&stat_text).map_err(|e| format!("{}: {e}; process skipped", stat_path.display()))?;
    let status = match fs::read_to_string(dir.join("status")) {
        Ok(t) => t,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", dir.join("status").display())),
    };
    let uid = parse_status_uid(&status)
        .ok_or_else(|| format!("{}: no Uid line (truncated?); process skipped", dir.join("status").display()))?;
    let exe = fs::read_link(dir.join("exe")).ok().map(|p| p.to_string_lossy().into_owned());
    let argv = fs::read(dir.join("cmdline"))
        .map(|b| {
            b.split(|c| *c == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect()
        })
        .unwrap_or_default();
    let container = fs::read_to_string(dir.join("cgroup")).ok().and_then(|t| from_proc_cgroup(&t));
    Ok(Some(ProcInfo {
        pid,
        ppid: stat.ppid,
        comm: stat.comm,
        uid,
        start_ticks: stat.start_ticks,
        exe,
        argv,
        container,
        netns: ns_inode(&dir.join("ns/net")),
        mntns: ns_inode(&dir.join("ns/mnt")),
    }))
}

fn gone(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound) || e.raw_os_error() == Some(libc::ESRCH)
}

/// Boot time (Unix seconds) from /proc/stat's `btime` line.
pub fn boot_time(proc_root: &Path) -> Option<u64> {
    let text = fs::read_to_string(proc_root.join("stat")).ok()?;
    text.lines().find_map(|l| l.strip_prefix("btime "))?.trim().parse().ok()
}

/// Clock ticks per second (`getconf CLK_TCK`).
pub fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if n > 0 {
        n as u64
    } else {
        100
    }
}

/// A path inside process `pid`'s root (its mount namespace's view), so
/// files of containerised processes are read where they live.
pub fn in_root(proc_root: &Path, pid: u32, path: &str) -> PathBuf {
    proc_root.join(pid.to_string()).join("root").join(path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_odd_command_names() {
        let line = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 100 ...";
        let s = parse_stat(line).unwrap();
        assert_eq!((s.comm.as_str(), s.ppid, s.start_ticks), ("my (odd) name", 1, 98765));
    }

    #[test]
    fn truncated_stat_is_an_error_naming_the_problem() {
        let err = parse_stat("1234 (bash) S 1 1234 1234 0").unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        assert!(parse_stat("1234 (bash").unwrap_err().contains("truncated"));
        assert!(parse_stat("garbage").is_err());
    }

    #[test]
    fn uid_from_status() {
        assert_eq!(parse_status_uid("Name:\tx\nUid:\t1000\t1000\t1000\t1000\nGid:\t1\n"), Some(1000));
        assert_eq!(parse_status_uid("Name:\tx\n"), None);
    }

    #[test]
    fn fixture_proc_with_a_truncated_process_keeps_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let write = |pid: u32, stat: &str| {
            let d = dir.path().join(pid.to_string());
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join("stat"), stat).unwrap();
            fs::write(d.join("status"), "Name:\tx\nUid:\t0\t0\t0\t0\n").unwrap();
            fs::write(d.join("cmdline"), "/bin/x\0-a\0").unwrap();
            fs::write(d.join("cgroup"), format!("0::/docker/{}\n", "ab".repeat(32))).unwrap();
        };
        write(10, "10 (x) S 1 10 10 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0");
        write(11, "11 (x) S 1 1");
        write(12, "12 (y) S 10 12 12 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 600 0 0");
        let mut table = Table::new("processes");
        let procs = scan(dir.path(), &mut table);
        assert_eq!(procs.iter().map(|p| p.pid).collect::<Vec<_>>(), vec![10, 12]);
        assert_eq!(procs[0].argv, vec!["/bin/x", "-a"]);
        assert_eq!(procs[1].container_id(), "ab".repeat(32));
        assert_eq!(table.warnings.len(), 1);
        assert!(
            table.warnings[0].contains("11/stat") && table.warnings[0].contains("truncated"),
            "{:?}",
            table.warnings
        );
    }
}
