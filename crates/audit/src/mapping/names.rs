//! Linux UAPI numbers the event bodies spell out as names (open flags,
//! ptrace requests, bpf commands, namespace flags), so audit-sourced events
//! read like the eBPF sensor's. The values are the generic Linux ABI used by
//! x86, arm and aarch64.

/// `O_*` bits (octal, as in `<asm-generic/fcntl.h>`).
const OPEN_FLAGS: &[(u32, &str)] = &[
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

pub(crate) const O_CREAT: u32 = 0o100;
pub(crate) const O_TRUNC: u32 = 0o1000;
const O_ACCMODE: u32 = 0o3;

/// The flags as names, `O_RDONLY` first when no access bit is set.
pub(crate) fn open_flags(flags: u32) -> Vec<&'static str> {
    let mut names = Vec::new();
    if flags & O_ACCMODE == 0 {
        names.push("O_RDONLY");
    }
    names.extend(OPEN_FLAGS.iter().filter(|(bit, _)| flags & bit != 0).map(|(_, name)| *name));
    names
}

/// Write, create or truncate intent (what the eBPF sensor reports as
/// `reason: write`).
pub(crate) fn open_writes(flags: u32) -> bool {
    flags & O_ACCMODE != 0 || flags & (O_CREAT | O_TRUNC) != 0
}

pub(crate) fn ptrace_request(request: i64) -> String {
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

/// `enum bpf_cmd` in order.
const BPF_CMDS: &[&str] = &[
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

pub(crate) fn bpf_cmd(cmd: u32) -> String {
    BPF_CMDS.get(cmd as usize).map_or_else(|| cmd.to_string(), |name| (*name).to_string())
}

/// `CLONE_NEW*` bits.
const NAMESPACE_FLAGS: &[(u64, &str)] = &[
    (0x0000_0080, "CLONE_NEWTIME"),
    (0x0002_0000, "CLONE_NEWNS"),
    (0x0200_0000, "CLONE_NEWCGROUP"),
    (0x0400_0000, "CLONE_NEWUTS"),
    (0x0800_0000, "CLONE_NEWIPC"),
    (0x1000_0000, "CLONE_NEWUSER"),
    (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"),
];

pub(crate) fn namespace_flags(flags: u64) -> Vec<&'static str> {
    NAMESPACE_FLAGS.iter().filter(|(bit, _)| flags & bit != 0).map(|(_, name)| *name).collect()
}

/// `CLONE_THREAD`.
pub(crate) const CLONE_THREAD: u64 = 0x0001_0000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(open_flags(0), vec!["O_RDONLY"]);
        assert_eq!(open_flags(0o1101), vec!["O_WRONLY", "O_CREAT", "O_TRUNC"]);
        assert!(open_writes(0o1101) && open_writes(0o2) && !open_writes(0o2000000));
        assert_eq!(ptrace_request(16), "PTRACE_ATTACH");
        assert_eq!(ptrace_request(-1), "-1");
        assert_eq!(bpf_cmd(5), "BPF_PROG_LOAD");
        assert_eq!(bpf_cmd(500), "500");
        assert_eq!(namespace_flags(0x4002_0000), vec!["CLONE_NEWNS", "CLONE_NEWNET"]);
    }
}
