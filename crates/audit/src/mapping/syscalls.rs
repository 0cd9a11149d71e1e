//! The one table of audited syscalls Panoptes understands: syscall name →
//! event kind and where each body field sits among the SYSCALL record's
//! `a0..a3`. Names are arch-independent (the record's number is turned into
//! a name per arch first), so one table covers x86_64, aarch64 and i386
//! (including its `*32` id calls; i386 `socketcall` is unpacked in
//! `mapping`).

use event::EventKind;

/// Where a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// Syscall argument `aN`.
    Arg(u8),
    /// A constant (creat's implied flags).
    Fixed(u32),
    /// The OPENAT2 record (`oflag=`, `mode=`): openat2 passes them in a struct.
    Openat2,
    /// Not recorded by audit.
    Unknown,
}

/// What an audited syscall becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handler {
    Exec,
    /// fork, vfork, clone, clone3: `flags` is clone's flags argument.
    Fork {
        flags: Source,
    },
    Exit,
    Open {
        dirfd: Option<u8>,
        flags: Source,
        mode: Source,
    },
    Rename,
    Unlink {
        flags: Source,
    },
    Chmod {
        mode: u8,
    },
    Chown {
        uid: u8,
        gid: u8,
    },
    Connect,
    Bind,
    Listen,
    Accept,
    Ptrace,
    Module {
        flags: Source,
    },
    Memfd,
    /// The first `count` args are the ids.
    Setid {
        count: u8,
    },
    Capset,
    Mount,
    Umount {
        flags: Source,
    },
    Unshare,
    Setns,
    Bpf,
    /// `pid` and `sig` args (tgkill: the thread id and the third arg).
    Kill {
        pid: u8,
        sig: u8,
    },
}

impl Handler {
    pub(crate) fn kind(self) -> EventKind {
        match self {
            Handler::Exec => EventKind::Exec,
            Handler::Fork { .. } => EventKind::Fork,
            Handler::Exit => EventKind::Exit,
            Handler::Open { .. } => EventKind::FileOpen,
            Handler::Rename => EventKind::FileRename,
            Handler::Unlink { .. } => EventKind::FileUnlink,
            Handler::Chmod { .. } => EventKind::FileChmod,
            Handler::Chown { .. } => EventKind::FileChown,
            Handler::Connect => EventKind::NetConnect,
            Handler::Bind => EventKind::NetBind,
            Handler::Listen => EventKind::NetListen,
            Handler::Accept => EventKind::NetAccept,
            Handler::Ptrace => EventKind::Ptrace,
            Handler::Module { .. } => EventKind::ModuleLoad,
            Handler::Memfd => EventKind::MemfdCreate,
            Handler::Setid { .. } => EventKind::Setid,
            Handler::Capset => EventKind::Capset,
            Handler::Mount => EventKind::Mount,
            Handler::Umount { .. } => EventKind::Umount,
            Handler::Unshare => EventKind::Unshare,
            Handler::Setns => EventKind::Setns,
            Handler::Bpf => EventKind::Bpf,
            Handler::Kill { .. } => EventKind::Kill,
        }
    }
}

/// The handler of syscall `name` (returns `&'static str` of the name too,
/// for the bodies' `syscall` fields).
pub(crate) fn handler(name: &str) -> Option<(&'static str, Handler)> {
    use Source::{Arg, Fixed, Openat2, Unknown};
    let found = match name {
        "execve" => ("execve", Handler::Exec),
        "execveat" => ("execveat", Handler::Exec),
        "fork" => ("fork", Handler::Fork { flags: Unknown }),
        "vfork" => ("vfork", Handler::Fork { flags: Unknown }),
        "clone" => ("clone", Handler::Fork { flags: Arg(0) }),
        "clone3" => ("clone3", Handler::Fork { flags: Unknown }),
        "exit" => ("exit", Handler::Exit),
        "exit_group" => ("exit_group", Handler::Exit),
        "open" => ("open", Handler::Open { dirfd: None, flags: Arg(1), mode: Arg(2) }),
        "openat" => ("openat", Handler::Open { dirfd: Some(0), flags: Arg(2), mode: Arg(3) }),
        "openat2" => ("openat2", Handler::Open { dirfd: Some(0), flags: Openat2, mode: Openat2 }),
        // creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode).
        "creat" => ("creat", Handler::Open { dirfd: None, flags: Fixed(0o1101), mode: Arg(1) }),
        "rename" => ("rename", Handler::Rename),
        "renameat" => ("renameat", Handler::Rename),
        "renameat2" => ("renameat2", Handler::Rename),
        "unlink" => ("unlink", Handler::Unlink { flags: Unknown }),
        "unlinkat" => ("unlinkat", Handler::Unlink { flags: Arg(2) }),
        "rmdir" => ("rmdir", Handler::Unlink { flags: Unknown }),
        "chmod" => ("chmod", Handler::Chmod { mode: 1 }),
        "fchmod" => ("fchmod", Handler::Chmod { mode: 1 }),
        "fchmodat" => ("fchmodat", Handler::Chmod { mode: 2 }),
        "fchmodat2" => ("fchmodat2", Handler::Chmod { mode: 2 }),
        "chown" => ("chown", Handler::Chown { uid: 1, gid: 2 }),
        "lchown" => ("lchown", Handler::Chown { uid: 1, gid: 2 }),
        "fchown" => ("fchown", Handler::Chown { uid: 1, gid: 2 }),
        "chown32" => ("chown32", Handler::Chown { uid: 1, gid: 2 }),
        "lchown32" => ("lchown32", Handler::Chown { uid: 1, gid: 2 }),
        "fchown32" => ("fchown32", Handler::Chown { uid: 1, gid: 2 }),
        "fchownat" => ("fchownat", Handler::Chown { uid: 2, gid: 3 }),
        "connect" => ("connect", Handler::Connect),
        "bind" => ("bind", Handler::Bind),
        "listen" => ("listen", Handler::Listen),
        "accept" => ("accept", Handler::Accept),
        "accept4" => ("accept4", Handler::Accept),
        "ptrace" => ("ptrace", Handler::Ptrace),
        "init_module" => ("init_module", Handler::Module { flags: Unknown }),
        "finit_module" => ("finit_module", Handler::Module { flags: Arg(2) }),
        "memfd_create" => ("memfd_create", Handler::Memfd),
        "setuid" => ("setuid", Handler::Setid { count: 1 }),
        "setgid" => ("setgid", Handler::Setid { count: 1 }),
        "setreuid" => ("setreuid", Handler::Setid { count: 2 }),
        "setregid" => ("setregid", Handler::Setid { count: 2 }),
        "setresuid" => ("setresuid", Handler::Setid { count: 3 }),
        "setresgid" => ("setresgid", Handler::Setid { count: 3 }),
        "setuid32" => ("setuid32", Handler::Setid { count: 1 }),
        "setgid32" => ("setgid32", Handler::Setid { count: 1 }),
        "setreuid32" => ("setreuid32", Handler::Setid { count: 2 }),
        "setregid32" => ("setregid32", Handler::Setid { count: 2 }),
        "setresuid32" => ("setresuid32", Handler::Setid { count: 3 }),
        "setresgid32" => ("setresgid32", Handler::Setid { count: 3 }),
        "capset" => ("capset", Handler::Capset),
        "mount" => ("mount", Handler::Mount),
        "umount2" => ("umount2", Handler::Umount { flags: Arg(1) }),
        "umount" => ("umount", Handler::Umount { flags: Unknown }),
        "unshare" => ("unshare", Handler::Unshare),
        "setns" => ("setns", Handler::Setns),
        "bpf" => ("bpf", Handler::Bpf),
        "kill" => ("kill", Handler::Kill { pid: 0, sig: 1 }),
        "tkill" => ("tkill", Handler::Kill { pid: 0, sig: 1 }),
        "tgkill" => ("tgkill", Handler::Kill { pid: 1, sig: 2 }),
        _ => return None,
    };
    Some(found)
}

/// i386 `socketcall(call, args)`: the `SYS_*` call number → the syscall it
/// stands for (`<linux/net.h>`).
pub(crate) fn socketcall_name(call: u64) -> Option<&'static str> {
    Some(match call {
        2 => "bind",
        3 => "connect",
        4 => "listen",
        5 => "accept",
        18 => "accept4",
        _ => return None,
    })
}

/// The event kind an audited syscall maps to, `None` when Panoptes has no
/// kind for it (e.g. `linkat`, `adjtimex`).
pub fn syscall_kind(name: &str) -> Option<EventKind> {
    handler(name).map(|(_, h)| h.kind())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sensor_kind_is_reachable() {
        let names = [
            "execve",
            "clone",
            "exit_group",
            "openat",
            "rename",
            "unlink",
            "chmod",
            "chown",
            "connect",
            "bind",
            "listen",
            "accept4",
            "ptrace",
            "finit_module",
            "memfd_create",
            "setuid",
            "capset",
            "mount",
            "umount2",
            "unshare",
            "setns",
            "bpf",
            "kill",
        ];
        let mut kinds: Vec<EventKind> = names.iter().filter_map(|n| syscall_kind(n)).collect();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), EventKind::ALL.iter().filter(|k| !k.is_synthetic()).count());
        assert_eq!(syscall_kind("linkat"), None);
        assert_eq!(handler("chown32").map(|(n, _)| n), Some("chown32"));
        assert_eq!(socketcall_name(3), Some("connect"));
    }
}
