//! Turns an assembled audit event into the Panoptes [`Event`] the eBPF
//! sensor produces, so the process tree, rules and outputs need not know
//! where an event came from.
//!
//! Only syscall events map: the SYSCALL record gives the process header
//! and the syscall (looked up in the one table, `mapping/syscalls.rs`), and the
//! companion records fill the body: EXECVE (argv), CWD, PATH (file names,
//! inode), SOCKADDR (addresses), PROCTITLE (command line), OPENAT2, CAPSET,
//! SOCKETCALL. Everything else (user-space records, SELinux/AppArmor
//! events alone, syscalls Panoptes has no kind for) yields `None`, which the
//! caller counts.
//!
//! `process.cmdline` is the EXECVE argv for an exec (PROCTITLE is cut at
//! 128 bytes by the kernel), PROCTITLE otherwise.
//!
//! What audit cannot tell, and how it is filled:
//! * `time_boot_ns` is 0: audit stamps wall-clock time only
//!   (`time_unix_ns` is the audit timestamp, millisecond precision).
//! * `tid` is the pid: SYSCALL records name the thread group only.
//! * String arguments behind pointers that no record echoes (mount source
//!   and fstype, memfd name, module params) are empty; `socket_type`,
//!   `protocol` and a listening socket's local address are `None`.
//! * Ids written as names by `ausearch -i` (`uid=vagrant`) become
//!   4294967295.

use event::names;
mod syscalls;

use std::borrow::Cow;

use event::{
    Body, Bpf, Capset, Event, Exec, Exit, FileChmod, FileChown, FileOpen, FilePath, FileRename, Fork, Kill,
    MemfdCreate, ModuleLoad, Mount, NetAccept, NetAddr, NetListen, OpenReason, Process, Ptrace, Setid, Setns, Umount,
    Unshare,
};

pub use syscalls::syscall_kind;

use crate::decode::{self, PathItem};
use crate::reassemble::AuditEvent;
use crate::record::{Record, CAPSET, CWD, OPENAT2, PATH, PROCTITLE, SOCKADDR, SOCKETCALL, SYSCALL};
use crate::tables::Arch;
use syscalls::{Handler, Source};

/// `AT_FDCWD` as the low 32 bits of a dirfd argument.
const AT_FDCWD: i32 = -100;

/// Maps one audit event to a Panoptes event; `None` when it is not a
/// syscall event of a kind Panoptes reports (or a failed fork).
pub fn to_event(event: &AuditEvent) -> Option<Event> {
    let view = View::new(event)?;
    let (syscall, handler) = syscalls::handler(&view.syscall_name)?;
    let body = body(&view, syscall, handler)?;
    let cmdline = match &body {
        Body::Exec(exec) if !exec.argv.is_empty() => Some(exec.argv.join(" ")),
        _ => view.proctitle(),
    };
    let mut process = header(view.syscall);
    process.cmdline = cmdline;
    Some(Event { time_boot_ns: 0, time_unix_ns: event.time.unix_ns(), process: process.into(), container: None, body })
}

/// The acting process of an event with a SYSCALL record (header fields
/// only; `cmdline` from PROCTITLE).
pub fn process(event: &AuditEvent) -> Option<Process> {
    let view = View::new(event)?;
    let mut process = header(view.syscall);
    process.cmdline = view.proctitle();
    Some(process)
}

fn header(rec: &Record) -> Process {
    let pid = id(rec, "pid");
    Process {
        pid,
        tid: pid,
        ppid: id(rec, "ppid"),
        uid: id(rec, "uid"),
        gid: id(rec, "gid"),
        euid: id(rec, "euid"),
        egid: id(rec, "egid"),
        comm: rec.text("comm").map(Cow::into_owned).unwrap_or_default(),
        exe: rec.text("exe").filter(|e| e != "?").map(Cow::into_owned),
        ..Process::default()
    }
}

/// A decimal id; missing or non-numeric (interpreted logs) → u32::MAX.
fn id(rec: &Record, key: &str) -> u32 {
    rec.int(key).and_then(|v| u32::try_from(v).ok()).unwrap_or(u32::MAX)
}

/// The records of one syscall event, indexed for the body builders.
struct View<'a> {
    records: &'a [Record],
    syscall: &'a Record,
    syscall_name: Cow<'a, str>,
    arch: Option<Arch>,
    args: [Option<u64>; 4],
    result: i64,
}

impl<'a> View<'a> {
    fn new(event: &'a AuditEvent) -> Option<View<'a>> {
        let records = event.records.as_slice();
        let syscall = records.iter().find(|r| r.rtype.number == SYSCALL)?;
        let mut args = ["a0", "a1", "a2", "a3"].map(|k| syscall.hex(k));
        let mut syscall_name = syscall.syscall_name()?;
        if syscall_name == "socketcall" {
            // i386: a0 is the call, the real args are in the SOCKETCALL record.
            syscall_name = Cow::Borrowed(syscalls::socketcall_name(args[0]?)?);
            let call = records.iter().find(|r| r.rtype.number == SOCKETCALL);
            args = ["a0", "a1", "a2", "a3"].map(|k| call.and_then(|r| r.hex(k)));
        }
        let result = syscall.exit().unwrap_or(0);
        Some(View { records, syscall, syscall_name, arch: syscall.arch(), args, result })
    }

    fn arg(&self, i: u8) -> u64 {
        self.args.get(i as usize).copied().flatten().unwrap_or(0)
    }

    fn source(&self, source: Source) -> u64 {
        match source {
            Source::Arg(i) => self.arg(i),
            Source::Fixed(v) => u64::from(v),
            Source::Openat2 | Source::Unknown => 0,
        }
    }

    fn record(&self, rtype: u16) -> Option<&'a Record> {
        self.records.iter().find(|r| r.rtype.number == rtype)
    }

    fn cwd(&self) -> Option<String> {
        self.record(CWD).and_then(decode::cwd)
    }

    fn paths(&self) -> Vec<PathItem> {
        self.records.iter().filter(|r| r.rtype.number == PATH).map(decode::path_item).collect()
    }

    fn proctitle(&self) -> Option<String> {
        let args = decode::proctitle(self.record(PROCTITLE)?);
        (!args.is_empty()).then(|| args.join(" "))
    }

    fn sockaddr(&self) -> Option<event::SockAddr> {
        decode::sockaddr(self.record(SOCKADDR)?, self.arch).map(|s| s.to_event())
    }

    /// `name` made absolute against the cwd when the call resolved it
    /// relative to the cwd (no dirfd, or dirfd AT_FDCWD).
    fn absolute(&self, name: &str, dirfd: Option<u8>) -> String {
        let from_cwd = dirfd.is_none_or(|i| self.arg(i) as i32 == AT_FDCWD);
        match self.cwd() {
            Some(cwd) if from_cwd && !name.is_empty() && !name.starts_with('/') => {
                let name = name.strip_prefix("./").unwrap_or(name);
                format!("{}/{}", cwd.trim_end_matches('/'), name)
            }
            _ => name.to_string(),
        }
    }
}

/// The first PATH item whose nametype is one of `wanted`.
fn item_of<'p>(paths: &'p [PathItem], wanted: &[&str]) -> Option<&'p PathItem> {
    paths.iter().find(|p| p.nametype.as_deref().is_some_and(|t| wanted.contains(&t)))
}

/// The item naming the object itself (not its parent directory).
fn object_item(paths: &[PathItem]) -> Option<&PathItem> {
    paths.iter().find(|p| p.nametype.as_deref() != Some("PARENT")).or_else(|| paths.first())
}

fn name_of(item: Option<&PathItem>) -> String {
    item.and_then(|p| p.name.clone()).unwrap_or_default()
}

/// Reads an OPENAT2 `oflag=`/`mode=` value (`0` + octal as the kernel
/// writes it, `0x` hex, or decimal).
fn c_number(text: &str) -> Option<u64> {
    if let Some(hex) = text.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()
    } else if text.len() > 1 && text.starts_with('0') {
        u64::from_str_radix(&text[1..], 8).ok()
    } else {
        text.parse().ok()
    }
}

fn body(v: &View<'_>, syscall: &'static str, handler: Handler) -> Option<Body> {
    let result = v.result;
    let a = |i: u8| v.arg(i);
    Some(match handler {
        Handler::Exec => Body::Exec(exec(v)),
        Handler::Fork { flags } => {
            let child = u32::try_from(result).ok().filter(|c| *c > 0)?;
            let thread = v.source(flags) & names::CLONE_THREAD != 0;
            Body::Fork(Fork { child_pid: child, child_tid: child, thread, child_start_boot_ns: 0 })
        }
        Handler::Exit => Body::Exit(Exit { code: Some(a(0) as i32), signal: None, core_dumped: false }),
        Handler::Open { dirfd, flags, mode } => {
            let openat2 = v.record(OPENAT2);
            let from_openat2 = |key| openat2.and_then(|r| r.get(key)).and_then(|x| c_number(x.as_written()));
            let (flags, mode) = match flags {
                Source::Openat2 => (from_openat2("oflag").unwrap_or(0), from_openat2("mode").unwrap_or(0)),
                _ => (v.source(flags), v.source(mode)),
            };
            let flags = flags as u32;
            let paths = v.paths();
            let created = item_of(&paths, &["CREATE"]).is_some();
            let raw_path = name_of(item_of(&paths, &["CREATE"]).or_else(|| object_item(&paths)));
            // Audit only reports what its rules asked for: a read-only open
            // it reports is a watched one.
            let reason = if names::open_writes(flags) || created { OpenReason::Write } else { OpenReason::Watched };
            Body::FileOpen(FileOpen {
                path: v.absolute(&raw_path, dirfd),
                raw_path,
                syscall,
                flags,
                flags_names: names::open_flags(flags),
                mode: mode as u32,
                reason,
                result,
            })
        }
        Handler::Rename => {
            let paths = v.paths();
            let objects: Vec<&PathItem> = paths.iter().filter(|p| p.nametype.as_deref() != Some("PARENT")).collect();
            let old = item_of(&paths, &["DELETE"]).or_else(|| objects.first().copied());
            let new = item_of(&paths, &["CREATE"]).or_else(|| objects.get(1).copied());
            Body::FileRename(FileRename {
                path: v.absolute(&name_of(old), Some(0)),
                new_path: v.absolute(&name_of(new), Some(2)),
                syscall,
                flags: 0,
                result,
            })
        }
        Handler::Unlink { flags } => {
            let paths = v.paths();
            let target = item_of(&paths, &["DELETE"]).or_else(|| object_item(&paths));
            let dirfd = (syscall == "unlinkat").then_some(0);
            Body::FileUnlink(FilePath {
                path: v.absolute(&name_of(target), dirfd),
                syscall,
                flags: v.source(flags) as u32,
                result,
            })
        }
        Handler::Chmod { mode } => {
            let mode = a(mode) as u32;
            let dirfd = syscall.starts_with("fchmodat").then_some(0);
            Body::FileChmod(FileChmod {
                path: v.absolute(&name_of(object_item(&v.paths())), dirfd),
                syscall,
                mode,
                mode_octal: format!("0o{:o}", mode & 0o7777),
                result,
            })
        }
        Handler::Chown { uid, gid } => {
            let dirfd = (syscall == "fchownat").then_some(0);
            Body::FileChown(FileChown {
                path: v.absolute(&name_of(object_item(&v.paths())), dirfd),
                syscall,
                uid: a(uid) as u32,
                gid: a(gid) as u32,
                result,
            })
        }
        Handler::Connect | Handler::Bind => {
            let body = NetAddr { fd: a(0) as i32, addr: v.sockaddr(), socket_type: None, protocol: None, result };
            if handler == Handler::Connect {
                Body::NetConnect(body)
            } else {
                Body::NetBind(body)
            }
        }
        Handler::Listen => Body::NetListen(NetListen {
            fd: a(0) as i32,
            local: None,
            backlog: a(1) as i32,
            socket_type: None,
            protocol: None,
            result,
        }),
        Handler::Accept => Body::NetAccept(NetAccept {
            fd: a(0) as i32,
            peer: v.sockaddr(),
            local: None,
            socket_type: None,
            protocol: None,
            syscall,
            result,
        }),
        Handler::Ptrace => Body::Ptrace(Ptrace {
            request: a(0) as i64,
            request_name: names::ptrace_request(a(0) as i64),
            target_pid: a(1) as i32,
            addr: a(2),
            data: a(3),
            result,
        }),
        Handler::Module { flags } => Body::ModuleLoad(ModuleLoad {
            syscall,
            path: object_item(&v.paths()).and_then(|p| p.name.clone()),
            params: String::new(),
            flags: v.source(flags) as u32,
            result,
        }),
        Handler::Memfd => Body::MemfdCreate(MemfdCreate { name: String::new(), flags: a(1) as u32, result }),
        Handler::Setid { count } => {
            Body::Setid(Setid { syscall, ids: (0..count).map(|i| a(i) as u32).collect(), result })
        }
        Handler::Capset => {
            let caps = v.record(CAPSET);
            let cap = |key| caps.and_then(|r| r.hex(key)).unwrap_or(0);
            Body::Capset(Capset {
                target_pid: caps.and_then(|r| r.int("pid")).unwrap_or(0) as i32,
                effective: cap("cap_pe"),
                permitted: cap("cap_pp"),
                inheritable: cap("cap_pi"),
                result,
            })
        }
        Handler::Mount => Body::Mount(Mount {
            source: String::new(),
            target: name_of(v.paths().iter().find(|p| p.name.is_some())),
            fstype: String::new(),
            flags: a(3),
            result,
        }),
        Handler::Umount { flags } => Body::Umount(Umount {
            target: name_of(v.paths().iter().find(|p| p.name.is_some())),
            flags: v.source(flags) as u32,
            result,
        }),
        Handler::Unshare => Body::Unshare(Unshare { flags: a(0), namespaces: names::namespace_flags(a(0)), result }),
        Handler::Setns => Body::Setns(Setns {
            fd: a(0) as i32,
            nstype: a(1),
            namespaces: names::namespace_flags(a(1)),
            ns_file: None,
            result,
        }),
        Handler::Bpf => {
            Body::Bpf(Bpf { cmd: a(0) as u32, cmd_name: names::bpf_cmd(a(0) as u32), prog_or_map_type: None, result })
        }
        Handler::Kill { pid, sig } => {
            Body::Kill(Kill { syscall, target_pid: a(pid) as i32, signal: a(sig) as i32, result })
        }
    })
}

fn exec(v: &View<'_>) -> Exec {
    let argv = decode::execve_argv(v.records);
    let args =
        if argv.args.is_empty() { v.record(PROCTITLE).map(decode::proctitle).unwrap_or_default() } else { argv.args };
    let paths = v.paths();
    let program = paths.iter().find(|p| p.item == Some(0)).or_else(|| paths.first());
    let filename = program.and_then(|p| p.name.clone()).or_else(|| args.first().cloned()).unwrap_or_default();
    let exe = v.syscall.text("exe").filter(|e| e != "?").map(Cow::into_owned);
    let file = exe.filter(|_| v.result == 0);
    let deleted = file.as_deref().is_some_and(|f| f.ends_with(" (deleted)"));
    let memfd = file.as_deref().is_some_and(|f| f.rsplit('/').next().is_some_and(|leaf| leaf.starts_with("memfd:")));
    Exec {
        filename,
        file,
        argv: args,
        argv_truncated: argv.truncated,
        cwd: v.cwd(),
        result: v.result,
        memfd,
        deleted,
        inode: program.and_then(|p| p.inode).unwrap_or(0),
        nlink: 0,
        fs: None,
        cgroup: None,
        killed: false,
        // Audit records do not say what the descriptors were.
        ..Exec::default()
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
