//! Turns a checked [`RawRecord`] into an [`Event`]: the header becomes
//! `process`, args and blobs become the kind's body, per the table in
//! wire.h. This is the only place that knows what each arg slot means.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use event::names;
use event::{
    Body, Bpf, Capset, Event, EventKind, Exec, Exit, FileChmod, FileChown, FileOpen, FilePath, FileRename, Fork, Kill,
    MemfdCreate, ModuleLoad, Mount, NetAccept, NetAddr, NetListen, OpenReason, Process, Ptrace, Setid, Setns, SockAddr,
    Umount, Unshare,
};

use crate::decode::{read_u16_ne, BlobView, DecodeError, RawRecord};
use crate::wire::layout::{self, op_name};

/// Maps a wire kind number to the event kind (the two numbering spaces are
/// kept apart on purpose: wire numbers are ABI, kinds are names).
pub fn event_kind(wire_kind: u16) -> Option<EventKind> {
    Some(match u64::from(wire_kind) {
        layout::PN_KIND_EXEC => EventKind::Exec,
        layout::PN_KIND_FORK => EventKind::Fork,
        layout::PN_KIND_EXIT => EventKind::Exit,
        layout::PN_KIND_OPEN => EventKind::FileOpen,
        layout::PN_KIND_RENAME => EventKind::FileRename,
        layout::PN_KIND_UNLINK => EventKind::FileUnlink,
        layout::PN_KIND_CHMOD => EventKind::FileChmod,
        layout::PN_KIND_CHOWN => EventKind::FileChown,
        layout::PN_KIND_CONNECT => EventKind::NetConnect,
        layout::PN_KIND_BIND => EventKind::NetBind,
        layout::PN_KIND_LISTEN => EventKind::NetListen,
        layout::PN_KIND_ACCEPT => EventKind::NetAccept,
        layout::PN_KIND_PTRACE => EventKind::Ptrace,
        layout::PN_KIND_MODULE => EventKind::ModuleLoad,
        layout::PN_KIND_MEMFD => EventKind::MemfdCreate,
        layout::PN_KIND_SETID => EventKind::Setid,
        layout::PN_KIND_CAPSET => EventKind::Capset,
        layout::PN_KIND_MOUNT => EventKind::Mount,
        layout::PN_KIND_UMOUNT => EventKind::Umount,
        layout::PN_KIND_UNSHARE => EventKind::Unshare,
        layout::PN_KIND_SETNS => EventKind::Setns,
        layout::PN_KIND_BPF => EventKind::Bpf,
        layout::PN_KIND_KILL => EventKind::Kill,
        _ => return None,
    })
}

/// The wire kind number of an event kind (for the kernel's kinds mask and
/// drop counters); `None` for kinds that never cross the wire.
pub fn wire_kind(kind: EventKind) -> Option<u16> {
    (1..layout::PN_MAX_KINDS as u16).find(|n| event_kind(*n) == Some(kind))
}

/// Decodes one ring-buffer record into an event. `to_unix_ns` maps the
/// kernel's boot-time stamp to wall-clock time.
pub fn record_to_event(bytes: &[u8], to_unix_ns: impl Fn(u64) -> u64) -> Result<Event, DecodeError> {
    let rec = RawRecord::parse(bytes)?;
    let hdr = rec.hdr();
    let kind = event_kind(hdr.kind).ok_or(DecodeError::UnknownKind(hdr.kind))?;
    Ok(Event {
        time_boot_ns: hdr.time_boot_ns,
        time_unix_ns: to_unix_ns(hdr.time_boot_ns),
        process: process(&rec).into(),
        container: None,
        body: body(kind, &rec),
    })
}

fn process(rec: &RawRecord<'_>) -> Process {
    let h = rec.hdr();
    let comm_end = h.comm.iter().position(|&b| b == 0).unwrap_or(h.comm.len());
    Process {
        pid: h.pid,
        tid: h.tid,
        ppid: h.ppid,
        uid: h.uid,
        gid: h.gid,
        euid: h.euid,
        egid: h.egid,
        comm: String::from_utf8_lossy(&h.comm[..comm_end]).into_owned(),
        start_boot_ns: h.start_boot_ns,
        cgroup_id: h.cgroup_id,
        ..Default::default()
    }
}

fn text(rec: &RawRecord<'_>, i: usize) -> String {
    rec.blob(i).map(|b| b.text()).unwrap_or_default()
}

fn path(rec: &RawRecord<'_>, i: usize) -> Option<String> {
    rec.blob(i).map(|b| b.path())
}

/// The best absolute path for a path argument: `resolved` when the kernel
/// resolved the file, else `raw` joined to its base directory, else `raw`.
fn best_path(raw: &str, base: Option<String>, resolved: Option<String>) -> String {
    if let Some(resolved) = resolved {
        return resolved;
    }
    match base {
        Some(base) if !raw.starts_with('/') => {
            let raw = raw.strip_prefix("./").unwrap_or(raw);
            if base.ends_with('/') {
                format!("{base}{raw}")
            } else {
                format!("{base}/{raw}")
            }
        }
        _ => raw.to_string(),
    }
}

fn syscall(rec: &RawRecord<'_>) -> &'static str {
    op_name(u64::from(rec.hdr().op)).unwrap_or("unknown")
}

fn body(kind: EventKind, rec: &RawRecord<'_>) -> Body {
    let ret = rec.hdr().ret;
    let a = |i| rec.arg(i);
    match kind {
        EventKind::Exec => Body::Exec(exec(rec)),
        EventKind::Fork => Body::Fork(Fork {
            child_pid: a(0) as u32,
            child_tid: a(1) as u32,
            thread: a(2) != 0,
            child_start_boot_ns: a(3),
        }),
        EventKind::Exit => Body::Exit(exit_status(a(0) as u32)),
        EventKind::FileOpen => {
            let raw = text(rec, 0);
            let why = a(5);
            let reason = if why & layout::PN_OPEN_WHY_WRITE != 0 {
                OpenReason::Write
            } else if why & layout::PN_OPEN_WHY_WATCHED != 0 {
                OpenReason::Watched
            } else {
                OpenReason::Forensics
            };
            Body::FileOpen(FileOpen {
                path: best_path(&raw, path(rec, 2), path(rec, 1)),
                raw_path: raw,
                syscall: syscall(rec),
                flags: a(0) as u32,
                flags_names: names::open_flags(a(0) as u32),
                mode: a(1) as u32,
                reason,
                result: ret,
            })
        }
        EventKind::FileRename => Body::FileRename(FileRename {
            path: best_path(&text(rec, 0), path(rec, 2), None),
            new_path: best_path(&text(rec, 1), path(rec, 3), None),
            syscall: syscall(rec),
            flags: a(2) as u32,
            result: ret,
        }),
        EventKind::FileUnlink => Body::FileUnlink(FilePath {
            path: best_path(&text(rec, 0), path(rec, 2), None),
            syscall: syscall(rec),
            flags: a(1) as u32,
            result: ret,
        }),
        EventKind::FileChmod => Body::FileChmod(FileChmod {
            path: best_path(&text(rec, 0), path(rec, 2), path(rec, 1)),
            syscall: syscall(rec),
            mode: a(1) as u32,
            mode_octal: format!("0o{:o}", a(1) as u32 & 0o7777),
            result: ret,
        }),
        EventKind::FileChown => Body::FileChown(FileChown {
            path: best_path(&text(rec, 0), path(rec, 2), path(rec, 1)),
            syscall: syscall(rec),
            uid: a(1) as u32,
            gid: a(2) as u32,
            result: ret,
        }),
        EventKind::NetConnect | EventKind::NetBind => {
            let body = NetAddr {
                fd: a(0) as i32,
                addr: rec.blob(0).and_then(sockaddr),
                socket_type: names::socket_type(a(2)),
                protocol: (a(2) != 0).then(|| names::ip_protocol(a(3))),
                result: ret,
            };
            if kind == EventKind::NetConnect {
                Body::NetConnect(body)
            } else {
                Body::NetBind(body)
            }
        }
        EventKind::NetListen => Body::NetListen(NetListen {
            fd: a(0) as i32,
            local: rec.blob(1).and_then(sockaddr),
            backlog: a(1) as i32,
            socket_type: names::socket_type(a(2)),
            protocol: (a(2) != 0).then(|| names::ip_protocol(a(3))),
            result: ret,
        }),
        EventKind::NetAccept => Body::NetAccept(NetAccept {
            fd: a(0) as i32,
            peer: rec.blob(0).and_then(sockaddr),
            local: rec.blob(1).and_then(sockaddr),
            socket_type: names::socket_type(a(2)),
            protocol: (a(2) != 0).then(|| names::ip_protocol(a(3))),
            syscall: syscall(rec),
            result: ret,
        }),
        EventKind::Ptrace => Body::Ptrace(Ptrace {
            request: a(0) as i64,
            request_name: names::ptrace_request(a(0) as i64),
            target_pid: a(1) as i32,
            addr: a(2),
            data: a(3),
            result: ret,
        }),
        EventKind::ModuleLoad => Body::ModuleLoad(ModuleLoad {
            syscall: syscall(rec),
            path: path(rec, 1),
            params: text(rec, 0),
            flags: a(1) as u32,
            result: ret,
        }),
        EventKind::MemfdCreate => {
            Body::MemfdCreate(MemfdCreate { name: text(rec, 0), flags: a(0) as u32, result: ret })
        }
        EventKind::Setid => {
            let count = match rec.hdr().op as u64 {
                layout::PN_OP_SETRESUID | layout::PN_OP_SETRESGID => 3,
                layout::PN_OP_SETREUID | layout::PN_OP_SETREGID => 2,
                _ => 1,
            };
            Body::Setid(Setid { syscall: syscall(rec), ids: (0..count).map(|i| a(i) as u32).collect(), result: ret })
        }
        EventKind::Capset => Body::Capset(Capset {
            effective: a(0),
            permitted: a(1),
            inheritable: a(2),
            target_pid: a(3) as i32,
            result: ret,
        }),
        EventKind::Mount => Body::Mount(Mount {
            source: text(rec, 0),
            target: text(rec, 1),
            fstype: text(rec, 2),
            flags: a(0),
            result: ret,
        }),
        EventKind::Umount => Body::Umount(Umount { target: text(rec, 1), flags: a(0) as u32, result: ret }),
        EventKind::Unshare => {
            Body::Unshare(Unshare { flags: a(0), namespaces: names::namespace_flags(a(0)), result: ret })
        }
        EventKind::Setns => Body::Setns(Setns {
            fd: a(0) as i32,
            nstype: a(1),
            namespaces: names::namespace_flags(a(1)),
            ns_file: path(rec, 1),
            result: ret,
        }),
        EventKind::Bpf => Body::Bpf(Bpf {
            cmd: a(0) as u32,
            cmd_name: names::bpf_cmd(a(0) as u32),
            prog_or_map_type: matches!(a(0), 0 | 5).then_some(a(2) as u32),
            result: ret,
        }),
        EventKind::Kill => {
            Body::Kill(Kill { syscall: syscall(rec), target_pid: a(0) as i32, signal: a(1) as i32, result: ret })
        }
        // Made in user space; `event_kind` never yields these.
        EventKind::AssetChange => Body::AssetChange(Default::default()),
        EventKind::Loss => Body::Loss(Default::default()),
    }
}

fn exec(rec: &RawRecord<'_>) -> Exec {
    let file = path(rec, 1);
    let fs = names::fs_name(rec.arg(2)).map(str::to_string);
    let leaf_is_memfd = file.as_deref().is_some_and(|f| f.rsplit('/').next().unwrap_or("").starts_with("memfd:"));
    let argv_blob = rec.blob(2);
    Exec {
        filename: text(rec, 0),
        memfd: leaf_is_memfd && matches!(fs.as_deref(), Some("tmpfs" | "hugetlbfs")),
        deleted: file.is_some() && rec.arg(0) == 0,
        file,
        argv: argv_blob.map(|b| b.strings()).unwrap_or_default(),
        argv_truncated: rec.arg(4) & layout::PN_EXEC_ARGV_TRUNCATED != 0 || argv_blob.is_some_and(|b| b.truncated),
        cwd: path(rec, 3),
        result: rec.hdr().ret,
        inode: rec.arg(1),
        nlink: rec.arg(0) as u32,
        fs,
        cgroup: path(rec, 4),
        killed: rec.arg(4) & layout::PN_EXEC_KILLED != 0,
        stdin: stdio(rec, 0),
        stdout: stdio(rec, 1),
        stderr: stdio(rec, 2),
        env: rec.blob(5).map(|b| names::kept_env(b.raw_strings())).unwrap_or_default(),
    }
}

/// Descriptor `fd`'s kind from the exec record (absent unless the kernel
/// recorded the descriptors: successful execs).
fn stdio(rec: &RawRecord<'_>, fd: u32) -> Option<&'static str> {
    let codes = rec.arg(5);
    (codes & layout::PN_EXEC_STDIO_KNOWN != 0).then(|| names::stdio_kind((codes >> (16 * fd)) as u16))
}

/// Splits a wait status: low 7 bits the signal, bit 7 core dump, next 8 the
/// exit code.
pub fn exit_status(status: u32) -> Exit {
    let signal = (status & 0x7f) as i32;
    if signal == 0 {
        Exit { code: Some(((status >> 8) & 0xff) as i32), signal: None, core_dumped: false }
    } else {
        Exit { code: None, signal: Some(signal), core_dumped: status & 0x80 != 0 }
    }
}

/// Decodes a `struct sockaddr*` as laid out by the kernel (host byte order
/// family, network byte order port).
pub fn sockaddr(blob: BlobView<'_>) -> Option<SockAddr> {
    let b = blob.bytes;
    let family = read_u16_ne(b, 0)?;
    let port = || b.get(2..4).map(|p| u16::from_be_bytes([p[0], p[1]]));
    Some(match family {
        1 => {
            let raw = b.get(2..).unwrap_or(&[]);
            let path = if raw.first() == Some(&0) {
                // Abstract socket: the name is every byte after the NUL.
                format!("@{}", String::from_utf8_lossy(&raw[1..]).trim_end_matches('\0'))
            } else {
                let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
                String::from_utf8_lossy(&raw[..end]).into_owned()
            };
            SockAddr::Unix { path }
        }
        2 => {
            let ip: [u8; 4] = b.get(4..8)?.try_into().ok()?;
            SockAddr::Inet { ip: IpAddr::V4(Ipv4Addr::from(ip)), port: port()? }
        }
        10 => {
            let ip: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            SockAddr::Inet6 { ip: IpAddr::V6(Ipv6Addr::from(ip)), port: port()? }
        }
        other => SockAddr::Other { number: other },
    })
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
