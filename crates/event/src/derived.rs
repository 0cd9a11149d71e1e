//! Views derived from an event that several fields share: base names,
//! socket address parts, the path and syscall of any kind, and the strings
//! `event.strings` searches. Used by the field registry ([`crate::fields`]).

use crate::fields::Value;
use crate::{Body, Event, SockAddr};

pub(crate) fn s(v: &str) -> Option<Value<'_>> {
    Some(Value::Str(v))
}

pub(crate) fn os(v: &Option<String>) -> Option<Value<'_>> {
    v.as_deref().map(Value::Str)
}

pub(crate) fn i<T: TryInto<i64>>(v: T) -> Option<Value<'static>> {
    Some(Value::Int(v.try_into().unwrap_or(i64::MAX)))
}

pub(crate) fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub(crate) fn dirname(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => "",
    }
}

pub(crate) fn addr_family(a: &SockAddr) -> &'static str {
    match a {
        SockAddr::Inet { .. } => "inet",
        SockAddr::Inet6 { .. } => "inet6",
        SockAddr::Unix { .. } => "unix",
        SockAddr::Other { .. } => "other",
    }
}

pub(crate) fn addr_ip(a: &SockAddr) -> Option<Value<'_>> {
    match a {
        SockAddr::Inet { ip, .. } | SockAddr::Inet6 { ip, .. } => Some(Value::Ip(*ip)),
        _ => None,
    }
}

pub(crate) fn addr_port(a: &SockAddr) -> Option<Value<'_>> {
    match a {
        SockAddr::Inet { port, .. } | SockAddr::Inet6 { port, .. } => i(*port),
        _ => None,
    }
}

pub(crate) fn addr_path(a: &SockAddr) -> Option<Value<'_>> {
    match a {
        SockAddr::Unix { path } => s(path),
        _ => None,
    }
}

/// The connect/bind address.
pub(crate) fn net_addr(ev: &Event) -> Option<&SockAddr> {
    match &ev.body {
        Body::NetConnect(n) | Body::NetBind(n) => n.addr.as_ref(),
        _ => None,
    }
}

pub(crate) fn net_peer(ev: &Event) -> Option<&SockAddr> {
    match &ev.body {
        Body::NetAccept(n) => n.peer.as_ref(),
        _ => None,
    }
}

pub(crate) fn net_local(ev: &Event) -> Option<&SockAddr> {
    match &ev.body {
        Body::NetAccept(n) => n.local.as_ref(),
        Body::NetListen(n) => n.local.as_ref(),
        _ => None,
    }
}

pub(crate) fn file_path(ev: &Event) -> Option<&str> {
    match &ev.body {
        Body::FileOpen(b) => Some(&b.path),
        Body::FileRename(b) => Some(&b.path),
        Body::FileUnlink(b) => Some(&b.path),
        Body::FileChmod(b) => Some(&b.path),
        Body::FileChown(b) => Some(&b.path),
        _ => None,
    }
}

/// The system call an event reports, when it reports one.
pub fn syscall_of(ev: &Event) -> Option<&'static str> {
    Some(match &ev.body {
        Body::Exec(_) => "execve",
        Body::FileOpen(b) => b.syscall,
        Body::FileRename(b) => b.syscall,
        Body::FileUnlink(b) => b.syscall,
        Body::FileChmod(b) => b.syscall,
        Body::FileChown(b) => b.syscall,
        Body::NetConnect(_) => "connect",
        Body::NetBind(_) => "bind",
        Body::NetListen(_) => "listen",
        Body::NetAccept(b) => b.syscall,
        Body::Ptrace(_) => "ptrace",
        Body::ModuleLoad(b) => b.syscall,
        Body::MemfdCreate(_) => "memfd_create",
        Body::Setid(b) => b.syscall,
        Body::Capset(_) => "capset",
        Body::Mount(_) => "mount",
        Body::Umount(_) => "umount2",
        Body::Unshare(_) => "unshare",
        Body::Setns(_) => "setns",
        Body::Bpf(_) => "bpf",
        Body::Kill(b) => b.syscall,
        _ => return None,
    })
}

/// The syscall result an event reports, when it reports one.
pub fn result_of(ev: &Event) -> Option<i64> {
    Some(match &ev.body {
        Body::Exec(b) => b.result,
        Body::FileOpen(b) => b.result,
        Body::FileRename(b) => b.result,
        Body::FileUnlink(b) => b.result,
        Body::FileChmod(b) => b.result,
        Body::FileChown(b) => b.result,
        Body::NetConnect(b) | Body::NetBind(b) => b.result,
        Body::NetListen(b) => b.result,
        Body::NetAccept(b) => b.result,
        Body::Ptrace(b) => b.result,
        Body::ModuleLoad(b) => b.result,
        Body::MemfdCreate(b) => b.result,
        Body::Setid(b) => b.result,
        Body::Capset(b) => b.result,
        Body::Mount(b) => b.result,
        Body::Umount(b) => b.result,
        Body::Unshare(b) => b.result,
        Body::Setns(b) => b.result,
        Body::Bpf(b) => b.result,
        Body::Kill(b) => b.result,
        _ => return None,
    })
}

/// Every path the event names.
pub(crate) fn visit_paths<'a>(ev: &'a Event, f: &mut dyn FnMut(Value<'a>) -> bool) -> bool {
    let one = |p: &'a str, f: &mut dyn FnMut(Value<'a>) -> bool| !p.is_empty() && f(Value::Str(p));
    match &ev.body {
        Body::Exec(b) => one(&b.filename, f) || b.file.as_deref().is_some_and(|p| p != b.filename && one(p, f)),
        Body::FileRename(b) => one(&b.path, f) || one(&b.new_path, f),
        Body::ModuleLoad(b) => b.path.as_deref().is_some_and(|p| one(p, f)),
        Body::Mount(b) => one(&b.source, f) || one(&b.target, f),
        Body::Umount(b) => one(&b.target, f),
        Body::NetConnect(_) | Body::NetBind(_) | Body::NetListen(_) | Body::NetAccept(_) => {
            [net_addr(ev), net_peer(ev), net_local(ev)]
                .into_iter()
                .flatten()
                .any(|a| matches!(a, SockAddr::Unix { path } if one(path, f)))
        }
        _ => file_path(ev).is_some_and(|p| one(p, f)),
    }
}

pub(crate) fn visit_strings<'a>(ev: &'a Event, f: &mut dyn FnMut(Value<'a>) -> bool) -> bool {
    visit_process_strings(ev, f) || visit_event_strings(ev, f)
}

/// The part of `event.strings` fixed for a process image (exe, cmdline):
/// the same for every event of one `exec_id`, so callers may cache what
/// they compute from it.
pub fn visit_process_strings<'a>(ev: &'a Event, f: &mut dyn FnMut(Value<'a>) -> bool) -> bool {
    let p = &ev.process;
    p.exe.as_deref().is_some_and(|v| f(Value::Str(v))) || p.cmdline.as_deref().is_some_and(|v| f(Value::Str(v)))
}

/// The rest of `event.strings`: comm (per thread), body strings and paths.
pub fn visit_event_strings<'a>(ev: &'a Event, f: &mut dyn FnMut(Value<'a>) -> bool) -> bool {
    if f(Value::Str(&ev.process.comm)) {
        return true;
    }
    let body = match &ev.body {
        Body::Exec(b) => b.argv.iter().any(|a| f(Value::Str(a))),
        Body::MemfdCreate(b) => f(Value::Str(&b.name)),
        Body::ModuleLoad(b) => !b.params.is_empty() && f(Value::Str(&b.params)),
        _ => false,
    };
    body || visit_paths(ev, f)
}
