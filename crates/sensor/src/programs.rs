//! Which kernel program serves which event kind, and where it attaches.
//! Program names follow one convention (see ebpf/probes.bpf.c): classic
//! syscall tracepoints are named after the tracepoint (`sys_enter_openat`),
//! BTF tracepoints carry a `btf_` prefix (`btf_sched_process_exec`).

use event::EventKind;

/// Where a program attaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachPoint {
    /// `tracepoint/<category>/<name>`.
    TracePoint { category: &'static str, name: String },
    /// `tp_btf/<name>`.
    BtfTracePoint { name: String },
}

/// One kernel program as the loader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramSpec {
    pub program: String,
    pub kind: EventKind,
    pub attach: AttachPoint,
    /// The `sys_exit_*` twin an enter handler depends on.
    pub needs_exit: Option<String>,
}

/// The event kind a traced syscall reports.
pub fn syscall_kind(syscall: &str) -> Option<EventKind> {
    Some(match syscall {
        "execve" | "execveat" => EventKind::Exec,
        "open" | "openat" | "openat2" | "creat" => EventKind::FileOpen,
        "rename" | "renameat" | "renameat2" => EventKind::FileRename,
        "unlink" | "unlinkat" | "rmdir" => EventKind::FileUnlink,
        "chmod" | "fchmod" | "fchmodat" | "fchmodat2" => EventKind::FileChmod,
        "chown" | "lchown" | "fchown" | "fchownat" => EventKind::FileChown,
        "connect" => EventKind::NetConnect,
        "bind" => EventKind::NetBind,
        "listen" => EventKind::NetListen,
        "accept" | "accept4" => EventKind::NetAccept,
        "ptrace" => EventKind::Ptrace,
        "init_module" | "finit_module" => EventKind::ModuleLoad,
        "memfd_create" => EventKind::MemfdCreate,
        "setuid" | "setgid" | "setreuid" | "setregid" | "setresuid" | "setresgid" => EventKind::Setid,
        "capset" => EventKind::Capset,
        "mount" => EventKind::Mount,
        "umount" => EventKind::Umount,
        "unshare" => EventKind::Unshare,
        "setns" => EventKind::Setns,
        "bpf" => EventKind::Bpf,
        "kill" | "tkill" | "tgkill" => EventKind::Kill,
        _ => return None,
    })
}

/// Classifies a program by its name; `None` for a name outside the
/// convention (a build mistake the loader reports).
pub fn spec(program: &str) -> Option<ProgramSpec> {
    if let Some(tp) = program.strip_prefix("btf_") {
        let kind = match tp {
            "sched_process_exec" => EventKind::Exec,
            "sched_process_fork" => EventKind::Fork,
            "sched_process_exit" => EventKind::Exit,
            _ => return None,
        };
        return Some(ProgramSpec {
            program: program.to_string(),
            kind,
            attach: AttachPoint::BtfTracePoint { name: tp.to_string() },
            needs_exit: None,
        });
    }
    let (syscall, needs_exit) = if let Some(sys) = program.strip_prefix("sys_enter_") {
        (sys, Some(format!("sys_exit_{sys}")))
    } else if let Some(sys) = program.strip_prefix("sys_exit_") {
        (sys, None)
    } else {
        return None;
    };
    Some(ProgramSpec {
        program: program.to_string(),
        kind: syscall_kind(syscall)?,
        attach: AttachPoint::TracePoint { category: "syscalls", name: program.to_string() },
        needs_exit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_attach_points() {
        let s = spec("sys_enter_openat2").unwrap();
        assert_eq!(s.kind, EventKind::FileOpen);
        assert_eq!(s.needs_exit.as_deref(), Some("sys_exit_openat2"));
        assert_eq!(s.attach, AttachPoint::TracePoint { category: "syscalls", name: "sys_enter_openat2".into() });
        let s = spec("btf_sched_process_exit").unwrap();
        assert_eq!(s.kind, EventKind::Exit);
        assert!(spec("sys_enter_frobnicate").is_none());
        assert!(spec("helper").is_none());
    }
}
