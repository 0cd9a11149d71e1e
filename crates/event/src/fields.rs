//! The field registry: every name a rule condition or output template can
//! use, its type, the kinds that carry it, and how to read it from an
//! [`Event`]. This is the one list of rule field names (docs/rules.md shows
//! it; `panoptes rules fields` prints it); the rules compiler resolves names
//! here once, at load, and keeps the index.
//!
//! Readers are visitors: they call `f` with each value the event has for the
//! field (none when absent, several for multi-valued fields) and stop as
//! soon as `f` returns true, returning whether it did.

use std::net::IpAddr;
use std::sync::LazyLock;

use crate::derived::{
    addr_family, addr_ip, addr_path, addr_port, basename, dirname, file_path, i, net_addr, net_local, net_peer, os, s,
    visit_paths, visit_strings,
};
pub use crate::derived::{result_of, syscall_of, visit_event_strings, visit_process_strings};
use crate::{Body, Event, EventKind};

/// One value of a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Ip(IpAddr),
}

impl std::fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// A field's type, for the compiler's checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Str,
    Int,
    Bool,
    Ip,
    /// The event kind: a string that must name a kind.
    Kind,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Str => "string",
            FieldType::Int => "int",
            FieldType::Bool => "bool",
            FieldType::Ip => "ip",
            FieldType::Kind => "kind",
        }
    }
}

/// What may follow a field name in brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    None,
    /// `exec.argv[3]`; without it, every element.
    OptionalIndex,
    /// `container.labels[team]`: required.
    Key,
}

/// The bracketed argument of one use of a field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Arg {
    #[default]
    None,
    Index(usize),
    Key(String),
}

/// Calls `f` with each value; true as soon as `f` is.
pub type Visit = for<'a> fn(&'a Event, &Arg, &mut dyn FnMut(Value<'a>) -> bool) -> bool;

/// One field.
pub struct FieldDef {
    pub name: &'static str,
    pub ty: FieldType,
    pub multi: bool,
    /// The kinds whose events can carry it; `None`: every kind.
    pub kinds: Option<&'static [EventKind]>,
    pub arg: ArgKind,
    pub doc: &'static str,
    pub visit: Visit,
}

impl std::fmt::Debug for FieldDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldDef").field("name", &self.name).field("ty", &self.ty).finish_non_exhaustive()
    }
}

impl FieldDef {
    /// Whether events of `kind` can carry this field.
    pub fn applies_to(&self, kind: EventKind) -> bool {
        self.kinds.is_none_or(|k| k.contains(&kind))
    }
}

/// Looks a field up by name (without any `[arg]`).
pub fn field(name: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|f| f.name == name)
}

/// Index of a field in [`FIELDS`].
pub fn field_index(name: &str) -> Option<usize> {
    FIELDS.iter().position(|f| f.name == name)
}

/// Field names close to `name` (edit distance ≤ 3, closest first), for
/// "did you mean" hints.
pub fn similar(name: &str) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &'static str)> =
        FIELDS.iter().map(|f| (distance(name, f.name), f.name)).filter(|(d, _)| *d <= 3).collect();
    scored.sort();
    scored.into_iter().take(5).map(|(_, n)| n).collect()
}

/// Levenshtein distance over bytes.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn emit<'a>(v: Option<Value<'a>>, f: &mut dyn FnMut(Value<'a>) -> bool) -> bool {
    v.is_some_and(f)
}

/// Fields whose values are fixed for one process image (`exec_id`): the
/// executable and command line of the process and its ancestors.
pub const PER_PROCESS_IMAGE: &[&str] = &[
    "process.exe",
    "process.name",
    "process.cmdline",
    "process.parent.exe",
    "process.parent.name",
    "process.parent.cmdline",
    "process.ancestors.exe",
    "process.ancestors.name",
    "process.ancestors.cmdline",
];

/// String fields with a handful of values (`file.reason` is mostly
/// `write`): poor keys for filing rules by value.
pub const FEW_VALUES: &[&str] = &[
    "file.reason",
    "file.flags_names",
    "file.syscall",
    "event.syscall",
    "net.socket_type",
    "net.protocol",
    "container.runtime",
    "process.user",
    "exec.stdin",
    "exec.stdout",
    "exec.stderr",
];

macro_rules! field {
    ($name:expr, $ty:ident, multi, $arg:ident, $kinds:expr, $doc:expr, $visit:expr) => {
        FieldDef {
            name: $name,
            ty: FieldType::$ty,
            multi: true,
            kinds: $kinds,
            arg: ArgKind::$arg,
            doc: $doc,
            visit: $visit,
        }
    };
    ($name:expr, $ty:ident, $kinds:expr, $doc:expr, $visit:expr) => {
        FieldDef {
            name: $name,
            ty: FieldType::$ty,
            multi: false,
            kinds: $kinds,
            arg: ArgKind::None,
            doc: $doc,
            visit: $visit,
        }
    };
}

/// A body field: `$pat` binds the body, `$val` is an `Option<Value>`.
macro_rules! body {
    ($name:literal, $ty:ident, [$($kind:ident),+], $doc:literal, |$b:ident| $val:expr, $($pat:path),+) => {
        field!($name, $ty, Some(&[$(EventKind::$kind),+]), $doc, |ev, _, f| match &ev.body {
            $( $pat($b) => emit($val, f), )+
            _ => false,
        })
    };
}

/// The four fields of one socket address: family, ip, port, unix path.
macro_rules! addr_fields {
    ($prefix:literal, $kinds:expr, $get:ident, $what:literal) => {
        [
            field!(
                concat!($prefix, ".family"),
                Str,
                Some($kinds),
                concat!($what, ": inet, inet6, unix, other"),
                |ev, _, f| { emit($get(ev).map(|a| Value::Str(addr_family(a))), f) }
            ),
            field!(concat!($prefix, ".ip"), Ip, Some($kinds), concat!($what, ": address"), |ev, _, f| emit(
                $get(ev).and_then(addr_ip),
                f
            )),
            field!(concat!($prefix, ".port"), Int, Some($kinds), concat!($what, ": port"), |ev, _, f| emit(
                $get(ev).and_then(addr_port),
                f
            )),
            field!(
                concat!($prefix, ".path"),
                Str,
                Some($kinds),
                concat!($what, ": unix socket path"),
                |ev, _, f| emit($get(ev).and_then(addr_path), f)
            ),
        ]
    };
}

macro_rules! ancestor_fields {
    ($($name:literal, $ty:ident, $doc:literal, |$a:ident| $val:expr;)+) => {
        [$(
            field!($name, $ty, multi, None, None, $doc, |ev, _, f| ev.process.ancestors.iter().any(|$a| emit($val, f))),
        )+]
    };
}

const FILE_KINDS: &[EventKind] =
    &[EventKind::FileOpen, EventKind::FileRename, EventKind::FileUnlink, EventKind::FileChmod, EventKind::FileChown];
const NET_KINDS: &[EventKind] =
    &[EventKind::NetConnect, EventKind::NetBind, EventKind::NetListen, EventKind::NetAccept];
const ADDR_KINDS: &[EventKind] = &[EventKind::NetConnect, EventKind::NetBind];
const LOCAL_KINDS: &[EventKind] = &[EventKind::NetListen, EventKind::NetAccept];
/// Kinds whose events can name a path (`event.paths`).
const PATH_KINDS: &[EventKind] = &[
    EventKind::Exec,
    EventKind::FileOpen,
    EventKind::FileRename,
    EventKind::FileUnlink,
    EventKind::FileChmod,
    EventKind::FileChown,
    EventKind::NetConnect,
    EventKind::NetBind,
    EventKind::NetListen,
    EventKind::NetAccept,
    EventKind::ModuleLoad,
    EventKind::Mount,
    EventKind::Umount,
];
const SYSCALL_KINDS: &[EventKind] = &[
    EventKind::Exec,
    EventKind::FileOpen,
    EventKind::FileRename,
    EventKind::FileUnlink,
    EventKind::FileChmod,
    EventKind::FileChown,
    EventKind::NetConnect,
    EventKind::NetBind,
    EventKind::NetListen,
    EventKind::NetAccept,
    EventKind::Ptrace,
    EventKind::ModuleLoad,
    EventKind::MemfdCreate,
    EventKind::Setid,
    EventKind::Capset,
    EventKind::Mount,
    EventKind::Umount,
    EventKind::Unshare,
    EventKind::Setns,
    EventKind::Bpf,
    EventKind::Kill,
];

/// Every field, in documentation order.
pub static FIELDS: LazyLock<Vec<FieldDef>> = LazyLock::new(build);

fn build() -> Vec<FieldDef> {
    let mut v = Vec::with_capacity(128);
    v.extend([
        field!("kind", Kind, None, "event kind name", |ev, _, f| f(Value::Str(ev.kind().name()))),
        field!("process.pid", Int, None, "thread group id", |ev, _, f| emit(i(ev.process.pid), f)),
        field!("process.tid", Int, None, "thread id", |ev, _, f| emit(i(ev.process.tid), f)),
        field!("process.ppid", Int, None, "parent pid", |ev, _, f| emit(i(ev.process.ppid), f)),
        field!("process.uid", Int, None, "real uid", |ev, _, f| emit(i(ev.process.uid), f)),
        field!("process.gid", Int, None, "real gid", |ev, _, f| emit(i(ev.process.gid), f)),
        field!("process.euid", Int, None, "effective uid", |ev, _, f| emit(i(ev.process.euid), f)),
        field!("process.egid", Int, None, "effective gid", |ev, _, f| emit(i(ev.process.egid), f)),
        field!("process.comm", Str, None, "kernel task name", |ev, _, f| f(Value::Str(&ev.process.comm))),
        field!("process.exe", Str, None, "executable path", |ev, _, f| emit(os(&ev.process.exe), f)),
        field!("process.name", Str, None, "last component of process.exe, else comm", |ev, _, f| {
            let p = &ev.process;
            f(Value::Str(p.exe.as_deref().map_or(p.comm.as_str(), basename)))
        }),
        field!("process.cmdline", Str, None, "arguments joined by spaces", |ev, _, f| emit(os(&ev.process.cmdline), f)),
        field!("process.cwd", Str, None, "working directory", |ev, _, f| emit(os(&ev.process.cwd), f)),
        field!("process.user", Str, None, "user name of process.uid", |ev, _, f| emit(os(&ev.process.user), f)),
        field!("process.exec_id", Str, None, "unique process image id", |ev, _, f| emit(os(&ev.process.exec_id), f)),
        field!("process.parent_exec_id", Str, None, "parent's exec id", |ev, _, f| emit(
            os(&ev.process.parent_exec_id),
            f
        )),
        field!("process.cgroup", Str, None, "cgroup path", |ev, _, f| emit(os(&ev.process.cgroup), f)),
        field!("process.start_boot_ns", Int, None, "process start, CLOCK_BOOTTIME ns", |ev, _, f| emit(
            i(ev.process.start_boot_ns),
            f
        )),
    ]);
    v.extend([
        field!("process.parent.pid", Int, None, "parent's pid", |ev, _, f| emit(
            ev.process.ancestors.first().and_then(|a| i(a.pid)),
            f
        )),
        field!("process.parent.exe", Str, None, "parent's executable", |ev, _, f| emit(
            ev.process.ancestors.first().and_then(|a| os(&a.exe)),
            f
        )),
        field!("process.parent.name", Str, None, "last component of the parent's exe", |ev, _, f| emit(
            ev.process.ancestors.first().and_then(|a| a.exe.as_deref()).map(|e| Value::Str(basename(e))),
            f
        )),
        field!("process.parent.cmdline", Str, None, "parent's command line", |ev, _, f| emit(
            ev.process.ancestors.first().and_then(|a| os(&a.cmdline)),
            f
        )),
        field!("process.parent.exec_id", Str, None, "parent's exec id", |ev, _, f| emit(
            ev.process.ancestors.first().and_then(|a| os(&a.exec_id)),
            f
        )),
    ]);
    v.extend(ancestor_fields! {
        "process.ancestors.pid", Int, "any ancestor's pid", |a| i(a.pid);
        "process.ancestors.exe", Str, "any ancestor's executable", |a| os(&a.exe);
        "process.ancestors.name", Str, "last component of any ancestor's exe", |a| a.exe.as_deref().map(|e| Value::Str(basename(e)));
        "process.ancestors.cmdline", Str, "any ancestor's command line", |a| os(&a.cmdline);
        "process.ancestors.exec_id", Str, "any ancestor's exec id", |a| os(&a.exec_id);
    });
    v.extend([
        field!("container.id", Str, None, "full container id", |ev, _, f| emit(
            ev.container.as_ref().map(|c| Value::Str(&c.id)),
            f
        )),
        field!("container.name", Str, None, "container name", |ev, _, f| emit(
            ev.container.as_ref().and_then(|c| os(&c.name)),
            f
        )),
        field!("container.image", Str, None, "image name", |ev, _, f| emit(
            ev.container.as_ref().and_then(|c| os(&c.image)),
            f
        )),
        field!("container.image_id", Str, None, "image id", |ev, _, f| emit(
            ev.container.as_ref().and_then(|c| os(&c.image_id)),
            f
        )),
        field!("container.runtime", Str, None, "docker, containerd, cri-o, podman", |ev, _, f| emit(
            ev.container.as_ref().map(|c| Value::Str(&c.runtime)),
            f
        )),
        field!("container.pod", Str, None, "Kubernetes pod name", |ev, _, f| emit(
            ev.container.as_ref().and_then(|c| os(&c.pod)),
            f
        )),
        field!("container.namespace", Str, None, "Kubernetes namespace", |ev, _, f| emit(
            ev.container.as_ref().and_then(|c| os(&c.namespace)),
            f
        )),
        FieldDef {
            name: "container.labels",
            ty: FieldType::Str,
            multi: false,
            kinds: None,
            arg: ArgKind::Key,
            doc: "a container label: container.labels[KEY]",
            visit: |ev, arg, f| match (ev.container.as_ref(), arg) {
                (Some(c), Arg::Key(k)) => emit(c.labels.get(k).map(|v| Value::Str(v)), f),
                _ => false,
            },
        },
    ]);
    v.extend([
        body!("exec.filename", Str, [Exec], "path as passed to execve", |b| s(&b.filename), Body::Exec),
        body!("exec.file", Str, [Exec], "the executed file as the kernel resolved it", |b| os(&b.file), Body::Exec),
        FieldDef {
            name: "exec.argv",
            ty: FieldType::Str,
            multi: true,
            kinds: Some(&[EventKind::Exec]),
            arg: ArgKind::OptionalIndex,
            doc: "arguments; exec.argv[N] is the Nth (0 = argv[0])",
            visit: |ev, arg, f| match (&ev.body, arg) {
                (Body::Exec(b), Arg::Index(n)) => emit(b.argv.get(*n).map(|a| Value::Str(a)), f),
                (Body::Exec(b), _) => b.argv.iter().any(|a| f(Value::Str(a))),
                _ => false,
            },
        },
        body!("exec.argc", Int, [Exec], "number of arguments", |b| i(b.argv.len()), Body::Exec),
        body!("exec.argv_truncated", Bool, [Exec], "argv was cut", |b| Some(Value::Bool(b.argv_truncated)), Body::Exec),
        body!("exec.cwd", Str, [Exec], "working directory at exec", |b| os(&b.cwd), Body::Exec),
        body!("exec.result", Int, [Exec], "0 or the negative errno", |b| i(b.result), Body::Exec),
        body!("exec.memfd", Bool, [Exec], "the executed file is a memfd", |b| Some(Value::Bool(b.memfd)), Body::Exec),
        body!(
            "exec.deleted",
            Bool,
            [Exec],
            "the executed file has no links",
            |b| Some(Value::Bool(b.deleted)),
            Body::Exec
        ),
        body!("exec.inode", Int, [Exec], "inode of the executed file", |b| i(b.inode), Body::Exec),
        body!("exec.nlink", Int, [Exec], "link count of the executed file", |b| i(b.nlink), Body::Exec),
        body!("exec.fs", Str, [Exec], "filesystem of the executed file", |b| os(&b.fs), Body::Exec),
        body!("exec.cgroup", Str, [Exec], "cgroup at exec", |b| os(&b.cgroup), Body::Exec),
        body!(
            "exec.stdin",
            Str,
            [Exec],
            "stdin at exec: tty, pipe, file, inet, inet6, unix (sockets), chr, closed, ... (eBPF sensor)",
            |b| b.stdin.map(Value::Str),
            Body::Exec
        ),
        body!(
            "exec.stdout",
            Str,
            [Exec],
            "stdout at exec: tty, pipe, file, inet, inet6, unix (sockets), chr, closed, ... (eBPF sensor)",
            |b| b.stdout.map(Value::Str),
            Body::Exec
        ),
        body!(
            "exec.stderr",
            Str,
            [Exec],
            "stderr at exec: tty, pipe, file, inet, inet6, unix (sockets), chr, closed, ... (eBPF sensor)",
            |b| b.stderr.map(Value::Str),
            Body::Exec
        ),
        FieldDef {
            name: "exec.env",
            ty: FieldType::Str,
            multi: false,
            kinds: Some(&[EventKind::Exec]),
            arg: ArgKind::Key,
            doc: "an environment variable of the new image, from a short list: exec.env[LD_PRELOAD] (eBPF sensor)",
            visit: |ev, arg, f| match (&ev.body, arg) {
                (Body::Exec(b), Arg::Key(k)) => emit(b.env.get(k).map(|v| Value::Str(v)), f),
                _ => false,
            },
        },
        body!(
            "exec.name",
            Str,
            [Exec],
            "last component of exec.file (else filename)",
            |b| s(basename(b.file.as_deref().unwrap_or(&b.filename))),
            Body::Exec
        ),
    ]);
    v.extend([
        body!("fork.child_pid", Int, [Fork], "the new process or thread", |b| i(b.child_pid), Body::Fork),
        body!("fork.thread", Bool, [Fork], "a thread, not a process", |b| Some(Value::Bool(b.thread)), Body::Fork),
        body!("exit.code", Int, [Exit], "exit status", |b| b.code.and_then(i), Body::Exit),
        body!("exit.signal", Int, [Exit], "terminating signal", |b| b.signal.and_then(i), Body::Exit),
        body!("exit.core_dumped", Bool, [Exit], "dumped core", |b| Some(Value::Bool(b.core_dumped)), Body::Exit),
    ]);
    v.extend([
        field!("file.path", Str, Some(FILE_KINDS), "absolute path", |ev, _, f| emit(file_path(ev).map(Value::Str), f)),
        field!("file.name", Str, Some(FILE_KINDS), "last component of file.path", |ev, _, f| emit(
            file_path(ev).map(|p| Value::Str(basename(p))),
            f
        )),
        field!("file.dir", Str, Some(FILE_KINDS), "directory of file.path", |ev, _, f| emit(
            file_path(ev).map(|p| Value::Str(dirname(p))),
            f
        )),
        field!(
            "file.target",
            Str,
            Some(&[EventKind::FileOpen, EventKind::FileRename]),
            "the file written or created: an open's path, a rename's new_path",
            |ev, _, f| match &ev.body {
                Body::FileOpen(b) => f(Value::Str(&b.path)),
                Body::FileRename(b) => f(Value::Str(&b.new_path)),
                _ => false,
            }
        ),
        field!("file.syscall", Str, Some(FILE_KINDS), "system call", |ev, _, f| emit(
            syscall_of(ev).map(Value::Str),
            f
        )),
        field!("file.result", Int, Some(FILE_KINDS), "fd or 0, or the negative errno", |ev, _, f| emit(
            result_of(ev).map(Value::Int),
            f
        )),
        body!("file.raw_path", Str, [FileOpen], "path as passed", |b| s(&b.raw_path), Body::FileOpen),
        body!(
            "file.reason",
            Str,
            [FileOpen],
            "write, watched or forensics",
            |b| s(match b.reason {
                crate::OpenReason::Write => "write",
                crate::OpenReason::Watched => "watched",
                crate::OpenReason::Forensics => "forensics",
            }),
            Body::FileOpen
        ),
        body!(
            "file.flags",
            Int,
            [FileOpen, FileRename, FileUnlink],
            "open/rename/unlink flags",
            |b| i(b.flags),
            Body::FileOpen,
            Body::FileRename,
            Body::FileUnlink
        ),
        FieldDef {
            name: "file.flags_names",
            ty: FieldType::Str,
            multi: true,
            kinds: Some(&[EventKind::FileOpen]),
            arg: ArgKind::None,
            doc: "open flags as O_* names",
            visit: |ev, _, f| match &ev.body {
                Body::FileOpen(b) => b.flags_names.iter().any(|n| f(Value::Str(n))),
                _ => false,
            },
        },
        body!(
            "file.mode",
            Int,
            [FileOpen, FileChmod],
            "creation mode or new mode",
            |b| i(b.mode),
            Body::FileOpen,
            Body::FileChmod
        ),
        body!("file.mode_octal", Str, [FileChmod], "new mode as octal text", |b| s(&b.mode_octal), Body::FileChmod),
        body!("file.new_path", Str, [FileRename], "rename destination", |b| s(&b.new_path), Body::FileRename),
        body!(
            "file.new_name",
            Str,
            [FileRename],
            "last component of file.new_path",
            |b| s(basename(&b.new_path)),
            Body::FileRename
        ),
        body!("file.uid", Int, [FileChown], "new owner (4294967295 = unchanged)", |b| i(b.uid), Body::FileChown),
        body!("file.gid", Int, [FileChown], "new group (4294967295 = unchanged)", |b| i(b.gid), Body::FileChown),
    ]);
    // `net.{addr,peer,local}.{family,ip,port,path}`: one shape each.
    v.extend(addr_fields!("net.addr", ADDR_KINDS, net_addr, "connect destination / bound address"));
    v.extend(addr_fields!("net.peer", &[EventKind::NetAccept], net_peer, "accepted peer"));
    v.extend(addr_fields!("net.local", LOCAL_KINDS, net_local, "local end (listen, accept)"));
    v.extend([
        field!("net.socket_type", Str, Some(NET_KINDS), "stream, dgram, raw, ...", |ev, _, f| emit(
            match &ev.body {
                Body::NetConnect(b) | Body::NetBind(b) => b.socket_type.map(Value::Str),
                Body::NetListen(b) => b.socket_type.map(Value::Str),
                Body::NetAccept(b) => b.socket_type.map(Value::Str),
                _ => None,
            },
            f
        )),
        field!("net.protocol", Str, Some(NET_KINDS), "tcp, udp, ...", |ev, _, f| emit(
            match &ev.body {
                Body::NetConnect(b) | Body::NetBind(b) => os(&b.protocol),
                Body::NetListen(b) => os(&b.protocol),
                Body::NetAccept(b) => os(&b.protocol),
                _ => None,
            },
            f
        )),
        field!("net.fd", Int, Some(NET_KINDS), "socket fd", |ev, _, f| emit(
            match &ev.body {
                Body::NetConnect(b) | Body::NetBind(b) => i(b.fd),
                Body::NetListen(b) => i(b.fd),
                Body::NetAccept(b) => i(b.fd),
                _ => None,
            },
            f
        )),
        field!("net.result", Int, Some(NET_KINDS), "0/fd or the negative errno", |ev, _, f| emit(
            result_of(ev).map(Value::Int),
            f
        )),
        body!("net.backlog", Int, [NetListen], "listen backlog", |b| i(b.backlog), Body::NetListen),
    ]);
    v.extend([
        body!("ptrace.request", Int, [Ptrace], "request number", |b| i(b.request), Body::Ptrace),
        body!("ptrace.request_name", Str, [Ptrace], "PTRACE_ATTACH, ...", |b| s(&b.request_name), Body::Ptrace),
        body!("ptrace.target_pid", Int, [Ptrace], "traced pid", |b| i(b.target_pid), Body::Ptrace),
        body!("ptrace.result", Int, [Ptrace], "result", |b| i(b.result), Body::Ptrace),
        body!("module.syscall", Str, [ModuleLoad], "init_module or finit_module", |b| s(b.syscall), Body::ModuleLoad),
        body!("module.path", Str, [ModuleLoad], "module file", |b| os(&b.path), Body::ModuleLoad),
        body!("module.params", Str, [ModuleLoad], "parameters", |b| s(&b.params), Body::ModuleLoad),
        body!("module.result", Int, [ModuleLoad], "result", |b| i(b.result), Body::ModuleLoad),
        body!("memfd.name", Str, [MemfdCreate], "memfd name", |b| s(&b.name), Body::MemfdCreate),
        body!("memfd.flags", Int, [MemfdCreate], "MFD_* flags", |b| i(b.flags), Body::MemfdCreate),
        body!("memfd.result", Int, [MemfdCreate], "fd or negative errno", |b| i(b.result), Body::MemfdCreate),
        body!("setid.syscall", Str, [Setid], "setuid, setresgid, ...", |b| s(b.syscall), Body::Setid),
        FieldDef {
            name: "setid.ids",
            ty: FieldType::Int,
            multi: true,
            kinds: Some(&[EventKind::Setid]),
            arg: ArgKind::OptionalIndex,
            doc: "ids as passed (4294967295 = unchanged)",
            visit: |ev, arg, f| match (&ev.body, arg) {
                (Body::Setid(b), Arg::Index(n)) => emit(b.ids.get(*n).and_then(|v| i(*v)), f),
                (Body::Setid(b), _) => b.ids.iter().any(|v| f(Value::Int(*v as i64))),
                _ => false,
            },
        },
        body!("setid.result", Int, [Setid], "result", |b| i(b.result), Body::Setid),
        body!("capset.target_pid", Int, [Capset], "target pid (0 = self)", |b| i(b.target_pid), Body::Capset),
        body!("capset.effective", Int, [Capset], "effective set", |b| i(b.effective), Body::Capset),
        body!("capset.permitted", Int, [Capset], "permitted set", |b| i(b.permitted), Body::Capset),
        body!("capset.inheritable", Int, [Capset], "inheritable set", |b| i(b.inheritable), Body::Capset),
        body!("capset.result", Int, [Capset], "result", |b| i(b.result), Body::Capset),
        body!("mount.source", Str, [Mount], "mount source", |b| s(&b.source), Body::Mount),
        body!("mount.fstype", Str, [Mount], "filesystem type", |b| s(&b.fstype), Body::Mount),
        body!("mount.flags", Int, [Mount, Umount], "MS_* / MNT_* flags", |b| i(b.flags), Body::Mount, Body::Umount),
        body!("mount.target", Str, [Mount, Umount], "mount point", |b| s(&b.target), Body::Mount, Body::Umount),
        body!("mount.result", Int, [Mount, Umount], "result", |b| i(b.result), Body::Mount, Body::Umount),
        field!(
            "namespace.flags",
            Int,
            Some(&[EventKind::Unshare, EventKind::Setns]),
            "unshare flags or setns nstype",
            |ev, _, f| emit(
                match &ev.body {
                    Body::Unshare(b) => i(b.flags),
                    Body::Setns(b) => i(b.nstype),
                    _ => None,
                },
                f
            )
        ),
        FieldDef {
            name: "namespace.namespaces",
            ty: FieldType::Str,
            multi: true,
            kinds: Some(&[EventKind::Unshare, EventKind::Setns]),
            arg: ArgKind::None,
            doc: "CLONE_NEW* names",
            visit: |ev, _, f| match &ev.body {
                Body::Unshare(b) => b.namespaces.iter().any(|n| f(Value::Str(n))),
                Body::Setns(b) => b.namespaces.iter().any(|n| f(Value::Str(n))),
                _ => false,
            },
        },
        body!("namespace.ns_file", Str, [Setns], "what the setns fd refers to", |b| os(&b.ns_file), Body::Setns),
        field!("namespace.result", Int, Some(&[EventKind::Unshare, EventKind::Setns]), "result", |ev, _, f| emit(
            result_of(ev).map(Value::Int),
            f
        )),
        body!("bpf.cmd", Int, [Bpf], "bpf command number", |b| i(b.cmd), Body::Bpf),
        body!("bpf.cmd_name", Str, [Bpf], "BPF_PROG_LOAD, ...", |b| s(&b.cmd_name), Body::Bpf),
        body!("bpf.prog_or_map_type", Int, [Bpf], "program or map type", |b| b.prog_or_map_type.and_then(i), Body::Bpf),
        body!("bpf.result", Int, [Bpf], "result", |b| i(b.result), Body::Bpf),
        body!("kill.syscall", Str, [Kill], "kill, tkill, tgkill", |b| s(b.syscall), Body::Kill),
        body!("kill.target_pid", Int, [Kill], "target pid", |b| i(b.target_pid), Body::Kill),
        body!("kill.signal", Int, [Kill], "signal number", |b| i(b.signal), Body::Kill),
        body!("kill.result", Int, [Kill], "result", |b| i(b.result), Body::Kill),
    ]);
    v.extend([
        body!(
            "asset.table",
            Str,
            [AssetChange],
            "inventory table: sockets, users, suid, ...",
            |b| s(&b.table),
            Body::AssetChange
        ),
        body!("asset.change", Str, [AssetChange], "added, removed or modified", |b| s(&b.change), Body::AssetChange),
        body!("asset.key", Str, [AssetChange], "the row's key in its table", |b| s(&b.key), Body::AssetChange),
        body!("asset.summary", Str, [AssetChange], "one line for people", |b| s(&b.summary), Body::AssetChange),
        FieldDef {
            name: "asset.details",
            ty: FieldType::Str,
            multi: false,
            kinds: Some(&[EventKind::AssetChange]),
            arg: ArgKind::Key,
            doc: "a column of the row: asset.details[port]",
            visit: |ev, arg, f| match (&ev.body, arg) {
                (Body::AssetChange(b), Arg::Key(k)) => emit(b.details.get(k).map(|v| Value::Str(v)), f),
                _ => false,
            },
        },
    ]);
    v.extend([
        body!("loss.hop", Str, [Loss], "where events were dropped", |b| s(&b.hop), Body::Loss),
        body!("loss.count", Int, [Loss], "dropped since the previous loss event", |b| i(b.count), Body::Loss),
        field!("event.syscall", Str, Some(SYSCALL_KINDS), "the system call", |ev, _, f| emit(
            syscall_of(ev).map(Value::Str),
            f
        )),
        field!("event.result", Int, Some(SYSCALL_KINDS), "the system call's result", |ev, _, f| emit(
            result_of(ev).map(Value::Int),
            f
        )),
        field!("event.paths", Str, multi, None, Some(PATH_KINDS), "every path in the event", |ev, _, f| visit_paths(
            ev, f
        )),
        field!(
            "event.strings",
            Str,
            multi,
            None,
            None,
            "every string: process exe, cmdline, comm, argv, paths",
            |ev, _, f| { visit_strings(ev, f) }
        ),
    ]);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SockAddr;

    #[test]
    fn names_are_unique_and_resolve() {
        let mut seen = std::collections::HashSet::new();
        for f in FIELDS.iter() {
            assert!(seen.insert(f.name), "duplicate field {}", f.name);
            assert_eq!(field(f.name).map(|d| d.name), Some(f.name));
        }
        for name in ["net.addr.ip", "net.peer.port", "net.local.path", "process.ancestors.exe", "asset.details"] {
            assert!(field(name).is_some(), "{name}");
        }
        assert_eq!(similar("process.nmae").first(), Some(&"process.name"));
        for name in PER_PROCESS_IMAGE.iter().chain(FEW_VALUES) {
            assert!(field(name).is_some(), "{name} is listed but not a field");
        }
        for name in FEW_VALUES {
            assert_eq!(field(name).map(|f| f.ty), Some(FieldType::Str), "{name}");
        }
    }

    #[test]
    fn address_fields_read_their_socket() {
        let ev = crate::Event {
            time_boot_ns: 0,
            time_unix_ns: 0,
            process: Default::default(),
            container: None,
            body: Body::NetAccept(crate::NetAccept {
                peer: Some(SockAddr::Inet { ip: "10.0.0.1".parse().unwrap(), port: 4444 }),
                local: Some(SockAddr::Unix { path: "/run/x.sock".into() }),
                ..Default::default()
            }),
        };
        let get = |name: &str| {
            let mut out = Vec::new();
            (field(name).unwrap().visit)(&ev, &Arg::None, &mut |v| {
                out.push(v.to_string());
                false
            });
            out
        };
        assert_eq!(get("net.peer.ip"), ["10.0.0.1"]);
        assert_eq!(get("net.peer.port"), ["4444"]);
        assert_eq!(get("net.peer.family"), ["inet"]);
        assert_eq!(get("net.local.path"), ["/run/x.sock"]);
        assert!(get("net.addr.ip").is_empty());
        assert_eq!(get("event.paths"), ["/run/x.sock"]);
    }
}
