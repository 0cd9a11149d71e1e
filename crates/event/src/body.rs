//! Kind-specific event bodies. Field names here are the JSON field names
//! (documented in docs/events.md); a field is renamed only with a note there.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::intern::StaticStr;
use crate::kind::EventKind;

/// The kind-specific part of an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Body {
    Exec(Exec),
    Fork(Fork),
    Exit(Exit),
    FileOpen(FileOpen),
    FileRename(FileRename),
    FileUnlink(FilePath),
    FileChmod(FileChmod),
    FileChown(FileChown),
    NetConnect(NetAddr),
    NetBind(NetAddr),
    NetListen(NetListen),
    NetAccept(NetAccept),
    Ptrace(Ptrace),
    ModuleLoad(ModuleLoad),
    MemfdCreate(MemfdCreate),
    Setid(Setid),
    Capset(Capset),
    Mount(Mount),
    Umount(Umount),
    Unshare(Unshare),
    Setns(Setns),
    Bpf(Bpf),
    Kill(Kill),
    AssetChange(AssetChange),
    Loss(Loss),
}

impl Body {
    pub fn kind(&self) -> EventKind {
        match self {
            Body::Exec(_) => EventKind::Exec,
            Body::Fork(_) => EventKind::Fork,
            Body::Exit(_) => EventKind::Exit,
            Body::FileOpen(_) => EventKind::FileOpen,
            Body::FileRename(_) => EventKind::FileRename,
            Body::FileUnlink(_) => EventKind::FileUnlink,
            Body::FileChmod(_) => EventKind::FileChmod,
            Body::FileChown(_) => EventKind::FileChown,
            Body::NetConnect(_) => EventKind::NetConnect,
            Body::NetBind(_) => EventKind::NetBind,
            Body::NetListen(_) => EventKind::NetListen,
            Body::NetAccept(_) => EventKind::NetAccept,
            Body::Ptrace(_) => EventKind::Ptrace,
            Body::ModuleLoad(_) => EventKind::ModuleLoad,
            Body::MemfdCreate(_) => EventKind::MemfdCreate,
            Body::Setid(_) => EventKind::Setid,
            Body::Capset(_) => EventKind::Capset,
            Body::Mount(_) => EventKind::Mount,
            Body::Umount(_) => EventKind::Umount,
            Body::Unshare(_) => EventKind::Unshare,
            Body::Setns(_) => EventKind::Setns,
            Body::Bpf(_) => EventKind::Bpf,
            Body::Kill(_) => EventKind::Kill,
            Body::AssetChange(_) => EventKind::AssetChange,
            Body::Loss(_) => EventKind::Loss,
        }
    }
}

/// A program execution (successful: `result` 0; failed: the negative errno).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Exec {
    /// The path as passed to execve.
    pub filename: String,
    /// The executed file as the kernel resolved it (mount-namespace
    /// relative; `memfd:NAME` for a memfd). `None` on failure.
    pub file: Option<String>,
    pub argv: Vec<String>,
    /// argv was longer than the byte cap and was cut.
    pub argv_truncated: bool,
    pub cwd: Option<String>,
    pub result: i64,
    /// The executed file is a memfd (fileless execution).
    pub memfd: bool,
    /// The executed file has no links left (deleted binary or memfd).
    pub deleted: bool,
    pub inode: u64,
    pub nlink: u32,
    /// Filesystem of the executed file (`ext4`, `overlay`, `tmpfs`, ...).
    pub fs: Option<String>,
    /// The process's cgroup as the kernel saw it at exec (v2 path, or the
    /// v1 memory controller's on v1/hybrid hosts).
    pub cgroup: Option<String>,
    /// The kernel killed the process before its new image ran (a rule
    /// with `action: kill` decided at the exec tracepoint).
    pub killed: bool,
    /// What descriptors 0, 1 and 2 were when the new image started:
    /// `tty`, `pipe`, `file`, `inet`/`inet6`/`unix` (sockets), `chr`,
    /// `closed`, ... (`names::STDIO_KINDS`). `None` for failed execs.
    #[serde(deserialize_with = "crate::intern::option_static_str")]
    pub stdin: Option<StaticStr>,
    #[serde(deserialize_with = "crate::intern::option_static_str")]
    pub stdout: Option<StaticStr>,
    #[serde(deserialize_with = "crate::intern::option_static_str")]
    pub stderr: Option<StaticStr>,
    /// The variables of `names::ENV_KEPT` the new image got (LD_PRELOAD,
    /// GLIBC_TUNABLES, ...); nothing else of the environment is kept.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

/// A new process or thread.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fork {
    pub child_pid: u32,
    pub child_tid: u32,
    /// A thread of the parent, not a new process.
    pub thread: bool,
    pub child_start_boot_ns: u64,
}

/// A whole process (thread group) ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Exit {
    /// Exit status when it exited normally.
    pub code: Option<i32>,
    /// Terminating signal when it was killed.
    pub signal: Option<i32>,
    pub core_dumped: bool,
}

/// Why an open was reported (decided in the kernel).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenReason {
    /// Write, create or truncate intent.
    #[default]
    Write,
    /// A read of a path on the watch list.
    Watched,
    /// Every open is reported (forensics mode).
    Forensics,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileOpen {
    /// Absolute path: the opened file as the kernel resolved it, else the
    /// passed path joined to its base directory, else the passed path.
    pub path: String,
    /// The path as passed to the syscall.
    pub raw_path: String,
    #[serde(deserialize_with = "crate::intern::static_str")]
    pub syscall: StaticStr,
    pub flags: u32,
    /// `flags` as O_* names.
    #[serde(deserialize_with = "crate::intern::vec_static_str")]
    pub flags_names: Vec<&'static str>,
    pub mode: u32,
    pub reason: OpenReason,
    /// File descriptor, or the negative errno.
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileRename {
    pub path: String,
    pub new_path: String,
    #[serde(deserialize_with = "crate::intern::static_str")]
    pub syscall: StaticStr,
    pub flags: u32,
    pub result: i64,
}

/// unlink / unlinkat / rmdir.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilePath {
    pub path: String,
    #[serde(deserialize_with = "crate::intern::static_str")]
    pub syscall: StaticStr,
    pub flags: u32,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileChmod {
    pub path: String,
    #[serde(deserialize_with = "crate::intern::static_str")]
    pub syscall: StaticStr,
    pub mode: u32,
    /// The mode as `0o4755`-style octal text.
    pub mode_octal: String,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileChown {
    pub path: String,
    #[serde(deserialize_with = "crate::intern::static_str")]
    pub syscall: StaticStr,
    /// `-1` (as u32::MAX) leaves the owner unchanged.
    pub uid: u32,
    pub gid: u32,
    pub result: i64,
}

/// A socket address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum SockAddr {
    Inet { ip: IpAddr, port: u16 },
    Inet6 { ip: IpAddr, port: u16 },
    Unix { path: String },
    Other { number: u16 },
}

/// connect / bind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetAddr {
    pub fd: i32,
    pub addr: Option<SockAddr>,
    /// `stream`, `dgram`, `raw`, ...
    #[serde(deserialize_with = "crate::intern::option_static_str")]
    pub socket_type: Option<StaticStr>,
    /// `tcp`, `udp`, `icmp`, ... or the number.
    pub protocol: Option<String>,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetListen {
    pub fd: i32,
    pub local: Option<SockAddr>,
    pub backlog: i32,
    #[serde(deserialize_with = "crate::intern::option_static_str")]
    pub socket_type: Option<StaticStr>,
    pub protocol: Option<String>,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetAccept {
    pub fd: i32,
    pub peer: Option<SockAddr>,
    pub local: Option<SockAddr>,
    #[serde(deserialize_with = "crate::intern::option_static_str")]
    pub socket_type: Option<StaticStr>,
    pub protocol: Option<String>,
    #[serde(deserialize_with = "crate::intern::static_str")]
    pub syscall: StaticStr,
    /// The new file descriptor, or the negative errno.
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ptrace {
    pub request: i64,
    /// `PTRACE_ATTACH`, ... or the number as text.
    pub request_name: String,
    pub target_pid: i32,
    pub addr: u64,
    pub data: u64,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModuleLoad {
    #[serde(deserialize_with = "crate::intern::static_str")]
    pub syscall: StaticStr,
    /// The module file (finit_module).
    pub path: Option<String>,
    pub params: String,
    pub flags: u32,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemfdCreate {
    pub name: String,
    pub flags: u32,
    /// The new fd, or the negative errno.
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Setid {
    #[serde(deserialize_with = "crate::intern::static_str")]
    pub syscall: StaticStr,
    /// The ids as passed: `[uid]`, `[ruid, euid]` or `[ruid, euid, suid]`
    /// (gids for the set*gid calls); `-1` (u32::MAX) means unchanged.
    pub ids: Vec<u32>,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Capset {
    pub target_pid: i32,
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mount {
    pub source: String,
    pub target: String,
    pub fstype: String,
    pub flags: u64,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Umount {
    pub target: String,
    pub flags: u32,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Unshare {
    pub flags: u64,
    /// `CLONE_NEWNS`, ... for the namespace flags set.
    #[serde(deserialize_with = "crate::intern::vec_static_str")]
    pub namespaces: Vec<&'static str>,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Setns {
    pub fd: i32,
    pub nstype: u64,
    #[serde(deserialize_with = "crate::intern::vec_static_str")]
    pub namespaces: Vec<&'static str>,
    /// What the fd refers to (`mnt:[4026531841]`, a /proc path, ...).
    pub ns_file: Option<String>,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bpf {
    pub cmd: u32,
    pub cmd_name: String,
    /// Program type for BPF_PROG_LOAD, map type for BPF_MAP_CREATE.
    pub prog_or_map_type: Option<u32>,
    pub result: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Kill {
    #[serde(deserialize_with = "crate::intern::static_str")]
    pub syscall: StaticStr,
    pub target_pid: i32,
    pub signal: i32,
    pub result: i64,
}

/// Something in the asset inventory changed between two periodic
/// collections of `panoptes run` (a new listening port, user, SUID file,
/// service, kernel module, a modified package file, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssetChange {
    /// The inventory table: `sockets`, `users`, `suid`, `package_files`, ...
    pub table: String,
    /// `added`, `removed` or `modified`.
    pub change: String,
    /// The row's key in its table (key columns joined by `|`).
    pub key: String,
    /// One line for people.
    pub summary: String,
    /// The row's columns; for `modified`, `changed` names the columns and
    /// `old.<column>` holds the previous values.
    pub details: BTreeMap<String, String>,
}

/// Events were dropped somewhere; emitted whenever a drop counter moves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Loss {
    /// Where: `kernel_ringbuf`, `sensor_queue`, `decode`, ...
    pub hop: String,
    /// Dropped since the previous loss event of this hop, by kind name.
    pub by_kind: BTreeMap<String, u64>,
    /// Sum of `by_kind`.
    pub count: u64,
    /// Dropped at this hop since start.
    pub total: u64,
}
