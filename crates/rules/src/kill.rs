//! `action: kill` from user space: the process is pinned with a pidfd,
//! checked to be the same process the event named (start time), then sent
//! SIGKILL through the pidfd, so a recycled pid is never hit.

use std::fs;

/// Kills `pid` if it is still the process that started at `start_boot_ns`
/// (CLOCK_BOOTTIME ns; 0 = unknown, refused).
pub fn kill_process(pid: u32, start_boot_ns: u64) -> Result<(), String> {
    if pid <= 1 || pid == std::process::id() {
        return Err(format!("refusing to kill pid {pid}"));
    }
    if start_boot_ns == 0 {
        return Err("the process start time is unknown; not killing by pid alone".into());
    }
    // SAFETY: plain syscalls with integer arguments; the fd is closed below.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::c_int, 0) } as libc::c_int;
    if fd < 0 {
        return Err(format!("pidfd_open: {}", std::io::Error::last_os_error()));
    }
    let result = (|| {
        let started = start_ns(pid).ok_or_else(|| "the process is gone".to_string())?;
        if started.abs_diff(start_boot_ns) > tick_ns() {
            return Err("the pid now belongs to another process".to_string());
        }
        // SAFETY: fd is a valid pidfd we own.
        let rc = unsafe {
            libc::syscall(libc::SYS_pidfd_send_signal, fd, libc::SIGKILL, std::ptr::null::<libc::siginfo_t>(), 0)
        };
        if rc < 0 {
            return Err(format!("pidfd_send_signal: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    })();
    // SAFETY: closing the fd opened above.
    unsafe { libc::close(fd) };
    result
}

fn tick_ns() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    1_000_000_000 / (hz.max(1) as u64)
}

/// Start time of `pid` in CLOCK_BOOTTIME ns (tick resolution).
fn start_ns(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let ticks: u64 = after.split_whitespace().nth(19)?.parse().ok()?;
    Some(ticks * tick_ns())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kills_the_right_process_and_refuses_the_wrong_one() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id();
        let start = start_ns(pid).unwrap();
        assert!(kill_process(pid, start + 10_000_000_000).unwrap_err().contains("another process"));
        assert!(kill_process(pid, 0).is_err());
        kill_process(pid, start).unwrap();
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert!(kill_process(1, 1).is_err());
        assert!(kill_process(std::process::id(), 1).is_err());
    }
}
