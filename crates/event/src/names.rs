//! Numbers from Linux UAPI turned into the names people search for:
//! open flags, ptrace requests, bpf commands, namespace flags, socket types,
//! IP protocols, filesystem magics, and the syscall names bodies carry. One
//! table for every sensor (eBPF, audit, proc connector), so a field means
//! the same whichever saw it.

const O_FLAGS: &[(u32, &str)] = &[
    (0o1, "O_WRONLY"),
    (0o2, "O_RDWR"),
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o40000, "O_DIRECT"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"),
    (0o20000000, "O_TMPFILE_BIT"),
];

pub const O_CREAT: u32 = 0o100;
pub const O_TRUNC: u32 = 0o1000;
const O_ACCMODE: u32 = 0o3;
/// `CLONE_THREAD`.
pub const CLONE_THREAD: u64 = 0x0001_0000;

/// Write, create or truncate intent (an open the sensors report with
/// `reason: write`).
pub fn open_writes(flags: u32) -> bool {
    flags & O_ACCMODE != 0 || flags & (O_CREAT | O_TRUNC) != 0
}

/// `O_RDONLY`, `O_WRONLY|O_CREAT|...` as a list.
pub fn open_flags(flags: u32) -> Vec<&'static str> {
    let mut names = Vec::new();
    if flags & 0o3 == 0 {
        names.push("O_RDONLY");
    }
    names.extend(O_FLAGS.iter().filter(|(bit, _)| flags & bit != 0).map(|(_, name)| *name));
    names
}

pub fn ptrace_request(request: i64) -> String {
    let name = match request {
        0 => "PTRACE_TRACEME",
        1 => "PTRACE_PEEKTEXT",
        2 => "PTRACE_PEEKDATA",
        3 => "PTRACE_PEEKUSER",
        4 => "PTRACE_POKETEXT",
        5 => "PTRACE_POKEDATA",
        6 => "PTRACE_POKEUSER",
        7 => "PTRACE_CONT",
        8 => "PTRACE_KILL",
        9 => "PTRACE_SINGLESTEP",
        12 => "PTRACE_GETREGS",
        13 => "PTRACE_SETREGS",
        16 => "PTRACE_ATTACH",
        17 => "PTRACE_DETACH",
        24 => "PTRACE_SYSCALL",
        0x4200 => "PTRACE_SETOPTIONS",
        0x4201 => "PTRACE_GETEVENTMSG",
        0x4202 => "PTRACE_GETSIGINFO",
        0x4204 => "PTRACE_GETREGSET",
        0x4205 => "PTRACE_SETREGSET",
        0x4206 => "PTRACE_SEIZE",
        0x4207 => "PTRACE_INTERRUPT",
        0x4208 => "PTRACE_LISTEN",
        _ => return request.to_string(),
    };
    name.to_string()
}

pub fn bpf_cmd(cmd: u32) -> String {
    const CMDS: &[&str] = &[
        "BPF_MAP_CREATE",
        "BPF_MAP_LOOKUP_ELEM",
        "BPF_MAP_UPDATE_ELEM",
        "BPF_MAP_DELETE_ELEM",
        "BPF_MAP_GET_NEXT_KEY",
        "BPF_PROG_LOAD",
        "BPF_OBJ_PIN",
        "BPF_OBJ_GET",
        "BPF_PROG_ATTACH",
        "BPF_PROG_DETACH",
        "BPF_PROG_TEST_RUN",
        "BPF_PROG_GET_NEXT_ID",
        "BPF_MAP_GET_NEXT_ID",
        "BPF_PROG_GET_FD_BY_ID",
        "BPF_MAP_GET_FD_BY_ID",
        "BPF_OBJ_GET_INFO_BY_FD",
        "BPF_PROG_QUERY",
        "BPF_RAW_TRACEPOINT_OPEN",
        "BPF_BTF_LOAD",
        "BPF_BTF_GET_FD_BY_ID",
        "BPF_TASK_FD_QUERY",
        "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
        "BPF_MAP_FREEZE",
        "BPF_BTF_GET_NEXT_ID",
        "BPF_MAP_LOOKUP_BATCH",
        "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
        "BPF_MAP_UPDATE_BATCH",
        "BPF_MAP_DELETE_BATCH",
        "BPF_LINK_CREATE",
        "BPF_LINK_UPDATE",
        "BPF_LINK_GET_FD_BY_ID",
        "BPF_LINK_GET_NEXT_ID",
        "BPF_ENABLE_STATS",
        "BPF_ITER_CREATE",
        "BPF_LINK_DETACH",
        "BPF_PROG_BIND_MAP",
        "BPF_TOKEN_CREATE",
    ];
    CMDS.get(cmd as usize).map(|s| s.to_string()).unwrap_or_else(|| cmd.to_string())
}

const NS_FLAGS: &[(u64, &str)] = &[
    (0x0000_0080, "CLONE_NEWTIME"),
    (0x0002_0000, "CLONE_NEWNS"),
    (0x0200_0000, "CLONE_NEWCGROUP"),
    (0x0400_0000, "CLONE_NEWUTS"),
    (0x0800_0000, "CLONE_NEWIPC"),
    (0x1000_0000, "CLONE_NEWUSER"),
    (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"),
];

pub fn namespace_flags(flags: u64) -> Vec<&'static str> {
    NS_FLAGS.iter().filter(|(bit, _)| flags & bit != 0).map(|(_, n)| *n).collect()
}

pub fn socket_type(ty: u64) -> Option<&'static str> {
    Some(match ty & 0xf {
        1 => "stream",
        2 => "dgram",
        3 => "raw",
        4 => "rdm",
        5 => "seqpacket",
        6 => "dccp",
        10 => "packet",
        _ => return None,
    })
}

pub fn ip_protocol(proto: u64) -> String {
    match proto {
        0 => "ip",
        1 => "icmp",
        6 => "tcp",
        17 => "udp",
        58 => "icmpv6",
        132 => "sctp",
        136 => "udplite",
        255 => "raw",
        _ => return proto.to_string(),
    }
    .to_string()
}

/// Environment variables an exec event keeps (`exec.env`): the ones that
/// change what the dynamic loader, the shell or an interpreter loads, and
/// where a session comes from. Nothing else is kept: environments carry
/// secrets.
pub const ENV_KEPT: &[&str] = &[
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "LD_AUDIT",
    "GLIBC_TUNABLES",
    "BASH_ENV",
    "ENV",
    "PROMPT_COMMAND",
    "HISTFILE",
    "PERL5OPT",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "NODE_OPTIONS",
    "RUBYOPT",
    "SSH_CONNECTION",
];

/// The kept variables of an environment (`KEY=value` strings); longer
/// values are cut at 256 bytes.
pub fn kept_env<'a>(vars: impl Iterator<Item = &'a [u8]>) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for var in vars {
        let Some(eq) = var.iter().position(|&b| b == b'=') else { continue };
        let Some(key) = ENV_KEPT.iter().find(|k| k.as_bytes() == &var[..eq]) else { continue };
        let value = &var[eq + 1..];
        let value = &value[..value.len().min(256)];
        out.insert((*key).to_string(), String::from_utf8_lossy(value).into_owned());
    }
    out
}

/// What an exec's standard descriptor is, from its 16-bit code in the exec
/// record (low 4 bits: the inode type `S_IFMT >> 12`, 0 = closed; high 12
/// bits: a character device's major or a socket's address family).
pub fn stdio_kind(code: u16) -> &'static str {
    let extra = code >> 4;
    match code & 0xf {
        0 => "closed",
        1 => "pipe",
        // tty (4), /dev/tty and ptmx (5), pseudo-terminals (136-143)
        2 if matches!(extra, 4 | 5 | 136..=143) => "tty",
        2 => "chr",
        4 => "dir",
        6 => "blk",
        8 => "file",
        10 => "link",
        12 => match extra {
            1 => "unix",
            2 => "inet",
            10 => "inet6",
            16 => "netlink",
            _ => "socket",
        },
        _ => "other",
    }
}

/// Every value [`stdio_kind`] gives.
pub const STDIO_KINDS: &[&str] = &[
    "closed", "pipe", "tty", "chr", "dir", "blk", "file", "link", "unix", "inet", "inet6", "netlink", "socket", "other",
];

pub fn fs_name(magic: u64) -> Option<&'static str> {
    Some(match magic {
        0xEF53 => "ext4",
        0x794c_7630 => "overlay",
        0x0102_1994 => "tmpfs",
        0x9123_683E => "btrfs",
        0x5846_5342 => "xfs",
        0x9fa0 => "proc",
        0x7371_7368 => "squashfs",
        0x9584_58f6 => "hugetlbfs",
        0x8584_58f6 => "ramfs",
        0x6969 => "nfs",
        0x6573_5546 => "fuse",
        0x2fc1_2fc1 => "zfs",
        0x6264_6576 => "devtmpfs_or_bdev",
        0x6265_6572 => "sysfs",
        _ => return None,
    })
}

/// Process-life syscalls: Panoptes reports them as `fork` and `exit`
/// events, never as an event's `syscall`.
const LIFECYCLE: &[&str] = &["fork", "vfork", "clone", "clone3", "exit", "exit_group"];

/// Whether `event.syscall` (rules) can be `name`: a syscall some sensor
/// reports as the syscall of an event.
pub fn is_reported_syscall(name: &str) -> bool {
    SYSCALLS.contains(&name) && !LIFECYCLE.contains(&name)
}

/// Every syscall name an event body's `syscall` field holds: the eBPF
/// sensor's (`PN_OP_*` in wire.h, checked by a sensor test), the audit
/// mapping's (i386 `*32` forms and the process calls included) and the
/// proc connector's.
pub const SYSCALLS: &[&str] = &[
    "execve",
    "execveat",
    "fork",
    "vfork",
    "clone",
    "clone3",
    "exit",
    "exit_group",
    "open",
    "openat",
    "openat2",
    "creat",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "rmdir",
    "chmod",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "lchown",
    "fchown",
    "fchownat",
    "chown32",
    "lchown32",
    "fchown32",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "ptrace",
    "init_module",
    "finit_module",
    "memfd_create",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setuid32",
    "setgid32",
    "setreuid32",
    "setregid32",
    "setresuid32",
    "setresgid32",
    "capset",
    "mount",
    "umount",
    "umount2",
    "unshare",
    "setns",
    "bpf",
    "kill",
    "tkill",
    "tgkill",
];

/// Every `&'static str` the tables of this module produce, for reading
/// events back from JSON (`crate::intern`).
pub(crate) fn static_names() -> impl Iterator<Item = &'static str> {
    let socket_types = (0..16).filter_map(socket_type);
    SYSCALLS
        .iter()
        .copied()
        .chain(std::iter::once("O_RDONLY"))
        .chain(O_FLAGS.iter().map(|(_, name)| *name))
        .chain(NS_FLAGS.iter().map(|(_, name)| *name))
        .chain(socket_types)
        .chain(STDIO_KINDS.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_environment_variables_are_kept() {
        let long = format!("LD_LIBRARY_PATH={}", "a".repeat(300));
        let vars: [&[u8]; 6] = [
            b"PATH=/usr/bin",
            b"LD_PRELOAD=/x.so",
            b"NODE_OPTIONS=--require /tmp/h.js",
            b"NOEQUALS",
            long.as_bytes(),
            b"HISTFILE=\xff",
        ];
        let kept = kept_env(vars.into_iter());
        assert_eq!(kept.keys().collect::<Vec<_>>(), ["HISTFILE", "LD_LIBRARY_PATH", "LD_PRELOAD", "NODE_OPTIONS"]);
        assert_eq!(kept["LD_LIBRARY_PATH"].len(), 256, "values are cut");
        assert_eq!(kept["HISTFILE"], "\u{fffd}", "invalid UTF-8 is replaced, not fatal");
    }

    #[test]
    fn stdio_codes_name_the_descriptor() {
        assert_eq!(stdio_kind(0), "closed");
        assert_eq!(stdio_kind(1), "pipe");
        assert_eq!(stdio_kind(8), "file");
        assert_eq!(stdio_kind(2 | 136 << 4), "tty", "a pseudo-terminal");
        assert_eq!(stdio_kind(2 | 4 << 4), "tty", "a virtual console");
        assert_eq!(stdio_kind(2 | 1 << 4), "chr", "/dev/null");
        assert_eq!(stdio_kind(12 | 2 << 4), "inet");
        assert_eq!(stdio_kind(12 | 10 << 4), "inet6");
        assert_eq!(stdio_kind(12 | 1 << 4), "unix");
        assert_eq!(stdio_kind(12 | 40 << 4), "socket", "vsock");
        for code in 0..=u16::MAX {
            assert!(STDIO_KINDS.contains(&stdio_kind(code)), "{code:#x}");
        }
    }

    #[test]
    fn open_flag_names() {
        assert_eq!(open_flags(0), vec!["O_RDONLY"]);
        assert_eq!(open_flags(0o1101), vec!["O_WRONLY", "O_CREAT", "O_TRUNC"]);
        assert_eq!(open_flags(0o2000002), vec!["O_RDWR", "O_CLOEXEC"]);
    }

    #[test]
    fn write_intent() {
        assert!(open_writes(0o1101) && open_writes(0o2) && open_writes(0o100) && !open_writes(0o2000000));
    }

    #[test]
    fn other_names() {
        assert_eq!(ptrace_request(16), "PTRACE_ATTACH");
        assert_eq!(ptrace_request(999), "999");
        assert_eq!(bpf_cmd(5), "BPF_PROG_LOAD");
        assert_eq!(namespace_flags(0x2002_0000), vec!["CLONE_NEWNS", "CLONE_NEWPID"]);
        assert_eq!(socket_type(0x80001), Some("stream"));
        assert_eq!(ip_protocol(6), "tcp");
        assert_eq!(fs_name(0x794c7630), Some("overlay"));
    }
}
