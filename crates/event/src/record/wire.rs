//! The binary form of each value of an event (see the layout in
//! [`super`]): varints, strings, options, lists, maps, addresses, and
//! every body and process struct field by field in declaration order.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::body::*;
use crate::{Ancestor, Container, EventKind, Process};

/// Why a payload failed to decode (the reader adds where).
#[derive(Debug)]
pub(super) struct Bad(pub(super) String);

impl Bad {
    fn new(what: impl Into<String>) -> Bad {
        Bad(what.into())
    }
}

pub(super) type Got<T> = Result<T, Bad>;

/// Reads a payload front to back.
pub(super) struct Cursor<'a> {
    pub(super) rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(super) fn byte(&mut self) -> Got<u8> {
        let (&b, rest) = self.rest.split_first().ok_or_else(|| Bad::new("frame ends early"))?;
        self.rest = rest;
        Ok(b)
    }

    pub(super) fn take(&mut self, n: usize) -> Got<&'a [u8]> {
        if n > self.rest.len() {
            return Err(Bad(format!("{n} bytes wanted, {} left in the frame", self.rest.len())));
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    pub(super) fn varint(&mut self) -> Got<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if shift == 63 && b > 1 {
                    break;
                }
                return Ok(value);
            }
        }
        Err(Bad::new("integer longer than 64 bits"))
    }

    pub(super) fn fixed_u64(&mut self) -> Got<u64> {
        let bytes = self.take(8)?;
        Ok(u64::from_le_bytes(bytes.try_into().map_err(|_| Bad::new("short u64"))?))
    }

    /// A count of items each at least one byte long.
    pub(super) fn count(&mut self) -> Got<usize> {
        let n = self.varint()?;
        if n > self.rest.len() as u64 {
            return Err(Bad(format!("{n} items, {} bytes left in the frame", self.rest.len())));
        }
        Ok(n as usize)
    }

    pub(super) fn str(&mut self) -> Got<&'a str> {
        let n = self.varint()?;
        let bytes = self.take(usize::try_from(n).map_err(|_| Bad::new("string too long"))?)?;
        std::str::from_utf8(bytes).map_err(|_| Bad::new("string is not UTF-8"))
    }

    pub(super) fn slot(&mut self, slots: usize) -> Got<usize> {
        let n = self.varint()?;
        if n == 0 || n > slots as u64 {
            return Err(Bad(format!("slot {n} out of 1..={slots}")));
        }
        Ok(n as usize - 1)
    }

    pub(super) fn end(&self) -> Got<()> {
        match self.rest.len() {
            0 => Ok(()),
            n => Err(Bad(format!("{n} bytes left over at the end of the frame"))),
        }
    }
}

pub(super) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// A value's binary form.
pub(super) trait Wire: Sized {
    fn put(&self, out: &mut Vec<u8>);
    fn get(c: &mut Cursor<'_>) -> Got<Self>;
    /// [`Wire::get`] over an existing value, reusing its allocations.
    fn get_into(&mut self, c: &mut Cursor<'_>) -> Got<()> {
        *self = Self::get(c)?;
        Ok(())
    }
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn put(&self, out: &mut Vec<u8>) {
                put_varint(out, u64::from(*self));
            }
            fn get(c: &mut Cursor<'_>) -> Got<Self> {
                let v = c.varint()?;
                <$t>::try_from(v).map_err(|_| Bad(format!("{v} out of range for {}", stringify!($t))))
            }
        }
    )*};
}
unsigned!(u16, u32, u64);

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn put(&self, out: &mut Vec<u8>) {
                let v = i64::from(*self);
                put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
            }
            fn get(c: &mut Cursor<'_>) -> Got<Self> {
                let z = c.varint()?;
                let v = (z >> 1) as i64 ^ -((z & 1) as i64);
                <$t>::try_from(v).map_err(|_| Bad(format!("{v} out of range for {}", stringify!($t))))
            }
        }
    )*};
}
signed!(i32, i64);

impl Wire for bool {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn get(c: &mut Cursor<'_>) -> Got<Self> {
        match c.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Bad(format!("boolean byte {b}"))),
        }
    }
}

impl Wire for String {
    fn put(&self, out: &mut Vec<u8>) {
        put_str(out, self);
    }
    fn get(c: &mut Cursor<'_>) -> Got<Self> {
        c.str().map(String::from)
    }
    fn get_into(&mut self, c: &mut Cursor<'_>) -> Got<()> {
        let s = c.str()?;
        self.clear();
        self.push_str(s);
        Ok(())
    }
}

/// Names from fixed tables, interned as when read from JSON.
impl Wire for &'static str {
    fn put(&self, out: &mut Vec<u8>) {
        put_str(out, self);
    }
    fn get(c: &mut Cursor<'_>) -> Got<Self> {
        let s = c.str()?;
        crate::intern::intern(s).map_err(|e| Bad(format!("name {s:?}: {e}")))
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.put(out);
            }
        }
    }
    fn get(c: &mut Cursor<'_>) -> Got<Self> {
        match c.byte()? {
            0 => Ok(None),
            1 => T::get(c).map(Some),
            b => Err(Bad(format!("option byte {b}"))),
        }
    }
    fn get_into(&mut self, c: &mut Cursor<'_>) -> Got<()> {
        match (c.byte()?, self.as_mut()) {
            (0, _) => *self = None,
            (1, Some(v)) => v.get_into(c)?,
            (1, None) => *self = Some(T::get(c)?),
            (b, _) => return Err(Bad(format!("option byte {b}"))),
        }
        Ok(())
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, out: &mut Vec<u8>) {
        put_list(self, out);
    }
    fn get(c: &mut Cursor<'_>) -> Got<Self> {
        let n = c.count()?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(T::get(c)?);
        }
        Ok(items)
    }
}

pub(super) fn put_list<T: Wire>(items: &[T], out: &mut Vec<u8>) {
    put_varint(out, items.len() as u64);
    items.iter().for_each(|v| v.put(out));
}

impl<V: Wire> Wire for BTreeMap<String, V> {
    fn put(&self, out: &mut Vec<u8>) {
        put_varint(out, self.len() as u64);
        for (k, v) in self {
            put_str(out, k);
            v.put(out);
        }
    }
    fn get(c: &mut Cursor<'_>) -> Got<Self> {
        let n = c.count()?;
        let mut map = BTreeMap::new();
        for _ in 0..n {
            let k = String::get(c)?;
            map.insert(k, V::get(c)?);
        }
        Ok(map)
    }
}

impl Wire for IpAddr {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            IpAddr::V4(a) => {
                out.push(4);
                out.extend_from_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                out.push(6);
                out.extend_from_slice(&a.octets());
            }
        }
    }
    fn get(c: &mut Cursor<'_>) -> Got<Self> {
        match c.byte()? {
            4 => Ok(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(c.take(4)?).map_err(|_| Bad::new("ipv4"))?))),
            6 => Ok(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(c.take(16)?).map_err(|_| Bad::new("ipv6"))?))),
            b => Err(Bad(format!("address family byte {b}"))),
        }
    }
}

impl Wire for SockAddr {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            SockAddr::Inet { ip, port } => {
                out.push(1);
                ip.put(out);
                port.put(out);
            }
            SockAddr::Inet6 { ip, port } => {
                out.push(2);
                ip.put(out);
                port.put(out);
            }
            SockAddr::Unix { path } => {
                out.push(3);
                path.put(out);
            }
            SockAddr::Other { number } => {
                out.push(4);
                number.put(out);
            }
        }
    }
    fn get(c: &mut Cursor<'_>) -> Got<Self> {
        Ok(match c.byte()? {
            1 => SockAddr::Inet { ip: Wire::get(c)?, port: Wire::get(c)? },
            2 => SockAddr::Inet6 { ip: Wire::get(c)?, port: Wire::get(c)? },
            3 => SockAddr::Unix { path: Wire::get(c)? },
            4 => SockAddr::Other { number: Wire::get(c)? },
            b => Err(Bad(format!("socket family byte {b}")))?,
        })
    }
}

impl Wire for OpenReason {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(match self {
            OpenReason::Write => 0,
            OpenReason::Watched => 1,
            OpenReason::Forensics => 2,
        });
    }
    fn get(c: &mut Cursor<'_>) -> Got<Self> {
        match c.byte()? {
            0 => Ok(OpenReason::Write),
            1 => Ok(OpenReason::Watched),
            2 => Ok(OpenReason::Forensics),
            b => Err(Bad(format!("open reason byte {b}"))),
        }
    }
}

/// Fields in declaration order. The destructuring names every field, so a
/// field added to a struct and not here does not compile.
macro_rules! wire_struct {
    ($($t:ident { $($f:ident),* $(,)? })*) => {$(
        impl Wire for $t {
            fn put(&self, out: &mut Vec<u8>) {
                let $t { $($f),* } = self;
                $( $f.put(out); )*
            }
            fn get(c: &mut Cursor<'_>) -> Got<Self> {
                Ok($t { $( $f: Wire::get(c)? ),* })
            }
        }
    )*};
}

wire_struct! {
    Exec { filename, file, argv, argv_truncated, cwd, result, memfd, deleted, inode, nlink, fs, cgroup, killed,
           stdin, stdout, stderr, env }
    Fork { child_pid, child_tid, thread, child_start_boot_ns }
    Exit { code, signal, core_dumped }
    FileOpen { path, raw_path, syscall, flags, flags_names, mode, reason, result }
    FileRename { path, new_path, syscall, flags, result }
    FilePath { path, syscall, flags, result }
    FileChmod { path, syscall, mode, mode_octal, result }
    FileChown { path, syscall, uid, gid, result }
    NetAddr { fd, addr, socket_type, protocol, result }
    NetListen { fd, local, backlog, socket_type, protocol, result }
    NetAccept { fd, peer, local, socket_type, protocol, syscall, result }
    Ptrace { request, request_name, target_pid, addr, data, result }
    ModuleLoad { syscall, path, params, flags, result }
    MemfdCreate { name, flags, result }
    Setid { syscall, ids, result }
    Capset { target_pid, effective, permitted, inheritable, result }
    Mount { source, target, fstype, flags, result }
    Umount { target, flags, result }
    Unshare { flags, namespaces, result }
    Setns { fd, nstype, namespaces, ns_file, result }
    Bpf { cmd, cmd_name, prog_or_map_type, result }
    Kill { syscall, target_pid, signal, result }
    AssetChange { table, change, key, summary, details }
    Loss { hop, by_kind, count, total }
    Ancestor { pid, exec_id, exe, cmdline }
    Container { id, name, image, image_id, runtime, pod, namespace, pod_uid, labels }
}

/// Each body variant once: writing by variant, reading by kind.
macro_rules! bodies {
    ($($variant:ident),* $(,)?) => {
        pub(super) fn put_body(body: &Body, out: &mut Vec<u8>) {
            match body { $( Body::$variant(b) => b.put(out), )* }
        }
        pub(super) fn get_body(kind: EventKind, c: &mut Cursor<'_>) -> Got<Body> {
            Ok(match kind { $( EventKind::$variant => Body::$variant(Wire::get(c)?), )* })
        }
    };
}

bodies!(
    Exec,
    Fork,
    Exit,
    FileOpen,
    FileRename,
    FileUnlink,
    FileChmod,
    FileChown,
    NetConnect,
    NetBind,
    NetListen,
    NetAccept,
    Ptrace,
    ModuleLoad,
    MemfdCreate,
    Setid,
    Capset,
    Mount,
    Umount,
    Unshare,
    Setns,
    Bpf,
    Kill,
    AssetChange,
    Loss,
);

/// Hands `$m!` the process's fields but `ancestors` (which the frame names
/// by slot), in their order on the wire. The destructurings it feeds name
/// every field, so a field added to `Process` and not here does not compile.
macro_rules! process_fields {
    ($m:ident) => {
        $m!(
            pid,
            tid,
            ppid,
            uid,
            gid,
            euid,
            egid,
            comm,
            exe,
            cmdline,
            cwd,
            user,
            exec_id,
            parent_exec_id,
            start_boot_ns,
            cgroup_id,
            cgroup
        )
    };
}

/// A process's fields but `ancestors`.
pub(super) fn put_process_fields(p: &Process, out: &mut Vec<u8>) {
    macro_rules! put {
        ($($f:ident),*) => {{
            let Process { $($f,)* ancestors: _ } = p;
            $( $f.put(out); )*
        }};
    }
    process_fields!(put)
}

/// A process's fields but `ancestors`, read over `p` (a process the slot
/// held before: its strings' allocations are reused).
pub(super) fn get_process_fields_into(p: &mut Process, c: &mut Cursor<'_>) -> Got<()> {
    macro_rules! get {
        ($($f:ident),*) => {{
            let Process { $($f,)* ancestors: _ } = p;
            $( $f.get_into(c)?; )*
        }};
    }
    process_fields!(get);
    Ok(())
}
