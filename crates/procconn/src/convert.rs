//! Proc connector messages → Panoptes [`Event`]s.
//!
//! | connector | event | header (`process`) |
//! |---|---|---|
//! | fork (new process) | `fork` | the parent: pid = parent tgid, tid = parent pid |
//! | fork (new thread) | `fork`, `thread: true` | the process: pid = tid = child tgid (the creating thread is not reported) |
//! | exec | `exec` from /proc | the process, credentials from /proc |
//! | exit of a group leader | `exit` | pid, tid, ppid = parent tgid |
//! | exit of another thread | — (counted) | |
//! | uid / gid change | `setid`, `syscall: "setuid"/"setgid"`, `ids: [real, effective]` | uid/euid (gid/egid) set from the event |
//! | ptrace attach | `ptrace`, `PTRACE_ATTACH` | the tracer; `target_pid` = tracee tid |
//! | ptrace detach | `ptrace`, `PTRACE_DETACH` | the tracee (the connector does not name who detached) |
//! | comm, sid, coredump, ack | — (counted) | |
//!
//! The connector reports every task's exit; `exit` is emitted for the
//! thread-group leader's. A leader that ends with `pthread_exit` while other
//! threads run on is reported then, not when the last thread ends.
//!
//! Header fields the connector does not carry stay empty (0 / `None`) for
//! everything but exec; the process tree fills them downstream.
//!
//! An exec whose process is gone before /proc could be read is still
//! emitted, with what could be read: then `exec.file` is `None` while
//! `exec.result` is 0 (a successful exec whose file is unknown; see
//! [`is_incomplete_exec`]), `filename` is empty, `argv` empty, and
//! `process.comm` is the name from `status` when a zombie was left.

use event::{Body, Event, Exec, Exit, Fork, Process, Ptrace, Setid};

use crate::clock::EventClock;
use crate::procfs::{ProcInfo, ProcReader};
use crate::wire::{Message, ProcEvent};

/// `PTRACE_ATTACH` / `PTRACE_DETACH` request numbers.
const PTRACE_ATTACH: i64 = 16;
const PTRACE_DETACH: i64 = 17;

/// Why a message produced no event (for the counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    Ack,
    Comm,
    Sid,
    Coredump,
    ThreadExit,
    Unknown,
}

/// What converting one message gave.
#[derive(Debug)]
pub enum Converted {
    Event(Box<Event>),
    /// An exec event built from an incomplete /proc read.
    IncompleteExec {
        event: Box<Event>,
        gone: bool,
    },
    Skipped(Skip),
}

/// True for an exec event whose process could not be read from /proc in
/// full (successful exec, executable unknown).
pub fn is_incomplete_exec(ev: &Event) -> bool {
    matches!(&ev.body, Body::Exec(e) if e.result == 0 && (e.file.is_none() || e.cwd.is_none() || e.argv.is_empty()))
}

fn event(clock: &EventClock, m: &Message, process: Process, body: Body) -> Event {
    let time_boot_ns = clock.boot_ns(m.timestamp_ns);
    Event { time_boot_ns, time_unix_ns: clock.unix_ns(time_boot_ns), process: process.into(), container: None, body }
}

fn header(pid: u32, tid: u32) -> Process {
    Process { pid, tid, ..Process::default() }
}

/// Converts one message; exec events read /proc through `reader`.
pub fn convert(m: &Message, clock: &EventClock, reader: &ProcReader) -> Converted {
    let boot = clock.boot_ns(m.timestamp_ns);
    let ev = |process, body| Converted::Event(Box::new(event(clock, m, process, body)));
    match &m.event {
        ProcEvent::Fork { parent_pid, parent_tgid, child_pid, child_tgid } => {
            let thread = child_pid != child_tgid;
            let process = if thread { header(*child_tgid, *child_tgid) } else { header(*parent_tgid, *parent_pid) };
            let body = Fork { child_pid: *child_tgid, child_tid: *child_pid, thread, child_start_boot_ns: boot };
            ev(process, Body::Fork(body))
        }
        ProcEvent::Exec { pid, tgid } => {
            let info = reader.read(*tgid, boot);
            let complete = info.complete();
            let gone = info.gone;
            let event = Box::new(event(clock, m, exec_process(*tgid, *pid, &info), Body::Exec(exec_body(info))));
            if complete {
                Converted::Event(event)
            } else {
                Converted::IncompleteExec { event, gone }
            }
        }
        ProcEvent::Exit { pid, tgid, exit_code, parent_tgid, .. } => {
            if pid != tgid {
                return Converted::Skipped(Skip::ThreadExit);
            }
            let mut process = header(*tgid, *pid);
            process.ppid = *parent_tgid;
            ev(process, Body::Exit(exit_status(*exit_code)))
        }
        ProcEvent::Uid { pid, tgid, ruid, euid } => {
            let mut process = header(*tgid, *pid);
            process.uid = *ruid;
            process.euid = *euid;
            ev(process, Body::Setid(Setid { syscall: "setuid", ids: vec![*ruid, *euid], result: 0 }))
        }
        ProcEvent::Gid { pid, tgid, rgid, egid } => {
            let mut process = header(*tgid, *pid);
            process.gid = *rgid;
            process.egid = *egid;
            ev(process, Body::Setid(Setid { syscall: "setgid", ids: vec![*rgid, *egid], result: 0 }))
        }
        ProcEvent::Ptrace { pid, tgid, tracer_pid, tracer_tgid } => {
            let (process, request, name) = if *tracer_tgid != 0 {
                (header(*tracer_tgid, *tracer_pid), PTRACE_ATTACH, "PTRACE_ATTACH")
            } else {
                (header(*tgid, *pid), PTRACE_DETACH, "PTRACE_DETACH")
            };
            let body = Ptrace {
                request,
                request_name: name.to_string(),
                target_pid: i32::try_from(*pid).unwrap_or(-1),
                ..Ptrace::default()
            };
            ev(process, Body::Ptrace(body))
        }
        ProcEvent::Ack { .. } => Converted::Skipped(Skip::Ack),
        ProcEvent::Comm { .. } => Converted::Skipped(Skip::Comm),
        ProcEvent::Sid { .. } => Converted::Skipped(Skip::Sid),
        ProcEvent::Coredump { .. } => Converted::Skipped(Skip::Coredump),
        ProcEvent::Unknown { .. } => Converted::Skipped(Skip::Unknown),
    }
}

/// A wait(2) status: low 7 bits the killing signal, bit 7 core dumped,
/// bits 8..16 the exit code.
fn exit_status(status: u32) -> Exit {
    let signal = status & 0x7f;
    if signal == 0 {
        Exit { code: Some(((status >> 8) & 0xff) as i32), signal: None, core_dumped: false }
    } else {
        Exit { code: None, signal: Some(signal as i32), core_dumped: status & 0x80 != 0 }
    }
}

fn exec_process(tgid: u32, pid: u32, info: &ProcInfo) -> Process {
    let mut p = header(tgid, pid);
    if let Some(s) = &info.status {
        p.ppid = s.ppid;
        p.uid = s.uid[0];
        p.euid = s.uid[1];
        p.gid = s.gid[0];
        p.egid = s.gid[1];
        p.comm = s.name.clone();
    }
    p.exe = info.exe.clone();
    p.cmdline = info.argv.as_ref().map(|a| a.join(" "));
    p.start_boot_ns = info.start_boot_ns.unwrap_or(0);
    p.cgroup = info.cgroup.clone();
    p
}

fn exec_body(info: ProcInfo) -> Exec {
    let memfd = info.exe.as_deref().is_some_and(|e| e.starts_with("/memfd:"));
    Exec {
        // execve's own argument is not in /proc; the resolved file stands in.
        filename: info.exe.clone().unwrap_or_default(),
        file: info.exe,
        argv: info.argv.unwrap_or_default(),
        argv_truncated: info.argv_truncated,
        cwd: info.cwd,
        result: 0,
        memfd,
        deleted: info.exe_deleted || info.exe_nlink == Some(0),
        inode: info.exe_inode.unwrap_or(0),
        nlink: info.exe_nlink.unwrap_or(0),
        fs: None,
        cgroup: info.cgroup,
        killed: false,
        // The descriptors at exec are the eBPF sensor's: /proc is read
        // after the fact.
        ..Exec::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{decode, tests::datagram, what};

    fn msg(what: u32, words: &[u32]) -> Message {
        let mut out = Vec::new();
        decode(&datagram(1, 0, what, 1_000, words), &mut out).unwrap();
        out.remove(0)
    }

    fn conv(m: &Message) -> Converted {
        let reader = ProcReader::new("/nonexistent-proc".into(), 4096);
        convert(m, &EventClock::with_offset(500), &reader)
    }

    fn body(c: Converted) -> (Process, Body, u64) {
        match c {
            Converted::Event(e) | Converted::IncompleteExec { event: e, .. } => {
                (std::sync::Arc::unwrap_or_clone(e.process), e.body, e.time_boot_ns)
            }
            Converted::Skipped(s) => panic!("skipped {s:?}"),
        }
    }

    #[test]
    fn fork_of_process_and_thread() {
        let (p, b, t) = body(conv(&msg(what::FORK, &[10, 10, 20, 20])));
        assert_eq!((p.pid, p.tid, t), (10, 10, 1_500));
        assert_eq!(b, Body::Fork(Fork { child_pid: 20, child_tid: 20, thread: false, child_start_boot_ns: 1_500 }));
        let (p, b, _) = body(conv(&msg(what::FORK, &[1, 1, 21, 20])));
        assert_eq!((p.pid, p.tid), (20, 20));
        assert!(matches!(b, Body::Fork(Fork { child_pid: 20, child_tid: 21, thread: true, .. })));
    }

    #[test]
    fn exit_codes_signals_and_threads() {
        let (p, b, _) = body(conv(&msg(what::EXIT, &[30, 30, 3 << 8, 17, 1, 1])));
        assert_eq!(p.ppid, 1);
        assert_eq!(b, Body::Exit(Exit { code: Some(3), signal: None, core_dumped: false }));
        let (_, b, _) = body(conv(&msg(what::EXIT, &[30, 30, 0x80 | 11, 17, 1, 1])));
        assert_eq!(b, Body::Exit(Exit { code: None, signal: Some(11), core_dumped: true }));
        assert!(matches!(conv(&msg(what::EXIT, &[31, 30, 0, 0, 1, 1])), Converted::Skipped(Skip::ThreadExit)));
    }

    #[test]
    fn setid_ptrace_and_skips() {
        let (p, b, _) = body(conv(&msg(what::UID, &[5, 5, 0, 1000])));
        assert_eq!((p.uid, p.euid), (0, 1000));
        assert_eq!(b, Body::Setid(Setid { syscall: "setuid", ids: vec![0, 1000], result: 0 }));
        let (p, b, _) = body(conv(&msg(what::GID, &[5, 5, 4, 4])));
        assert_eq!((p.gid, p.egid), (4, 4));
        assert!(matches!(b, Body::Setid(Setid { syscall: "setgid", .. })));
        let (p, b, _) = body(conv(&msg(what::PTRACE, &[6, 6, 9, 8])));
        assert_eq!((p.pid, p.tid), (8, 9));
        assert!(matches!(b, Body::Ptrace(Ptrace { request: 16, target_pid: 6, .. })));
        let (p, b, _) = body(conv(&msg(what::PTRACE, &[6, 6, 0, 0])));
        assert_eq!(p.pid, 6);
        assert!(matches!(b, Body::Ptrace(Ptrace { request: 17, .. })));
        for (w, skip) in [
            (what::COMM, Skip::Comm),
            (what::SID, Skip::Sid),
            (what::COREDUMP, Skip::Coredump),
            (what::NONE, Skip::Ack),
            (0x800, Skip::Unknown),
        ] {
            assert!(matches!(conv(&msg(w, &[1, 1, 0, 0])), Converted::Skipped(s) if s == skip));
        }
    }

    #[test]
    fn exec_of_a_vanished_process_is_emitted_incomplete() {
        let c = conv(&msg(what::EXEC, &[40, 40]));
        assert!(matches!(c, Converted::IncompleteExec { gone: true, .. }));
        let Converted::IncompleteExec { event, .. } = c else { unreachable!() };
        assert!(is_incomplete_exec(&event));
        assert_eq!((event.process.pid, event.process.tid), (40, 40));
        assert!(matches!(&event.body, Body::Exec(e) if e.file.is_none() && e.filename.is_empty() && e.result == 0));
    }

    #[test]
    fn exec_of_this_process_reads_proc() {
        let me = std::process::id();
        let reader = ProcReader::new("/proc".into(), 4096);
        let clock = EventClock::now();
        let now_mono = {
            let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: clock_gettime into a valid timespec.
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
            ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
        };
        let mut out = Vec::new();
        decode(&datagram(1, 0, what::EXEC, now_mono, &[me, me]), &mut out).unwrap();
        let Converted::Event(e) = convert(&out[0], &clock, &reader) else { panic!("incomplete read of own process") };
        let exe = std::env::current_exe().unwrap().to_string_lossy().into_owned();
        assert_eq!(e.process.exe.as_deref(), Some(exe.as_str()));
        assert!(
            matches!(&e.body, Body::Exec(x) if x.file.as_deref() == Some(exe.as_str()) && !x.argv.is_empty() && x.inode != 0)
        );
        assert!(!is_incomplete_exec(&e));
        assert!(e.process.start_boot_ns > 0 && e.process.start_boot_ns <= e.time_boot_ns + 50_000_000);
    }
}
