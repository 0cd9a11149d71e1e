//! Golden tests: records laid out as the kernel lays them out become the
//! expected events; and a proptest proving no byte string panics the
//! decoder.

use event::{Body, OpenReason, SockAddr};
use proptest::prelude::*;

use super::*;
use crate::decode::tests::build;
use crate::wire::{layout as l, Header};

fn hdr(kind: u64, op: u64, ret: i64) -> Header {
    let mut comm = [0u8; 16];
    comm[..4].copy_from_slice(b"bash");
    Header {
        kind: kind as u16,
        op: op as u16,
        time_boot_ns: 7_000,
        start_boot_ns: 5_000,
        cgroup_id: 42,
        ret,
        pid: 100,
        tid: 101,
        ppid: 1,
        uid: 1000,
        euid: 0,
        comm,
        ..Default::default()
    }
}

const REV: u16 = l::PN_BLOB_PATH_REVERSED as u16;

fn decode(bytes: &[u8]) -> Event {
    record_to_event(bytes, |b| b + 1_000_000_000).unwrap()
}

#[test]
fn exec_record() {
    let bytes = build(
        hdr(l::PN_KIND_EXEC, l::PN_OP_EXECVE, 0),
        [1, 1234, 0xEF53, 0, 0, 0],
        &[
            (0, b"/bin/ls", 0),
            (1, b"ls\0bin\0usr", REV),
            (2, b"ls\0-la\0/tmp", 0),
            (3, b"root", REV),
            (4, b"0123abcd\0docker", REV),
        ],
    );
    let ev = decode(&bytes);
    assert_eq!(ev.time_unix_ns, 1_000_007_000);
    assert_eq!(ev.process.pid, 100);
    assert_eq!(ev.process.tid, 101);
    assert_eq!(ev.process.comm, "bash");
    assert_eq!(ev.process.cgroup_id, 42);
    let Body::Exec(e) = ev.body else { panic!("{:?}", ev.body) };
    assert_eq!(e.filename, "/bin/ls");
    assert_eq!(e.file.as_deref(), Some("/usr/bin/ls"));
    assert_eq!(e.argv, vec!["ls", "-la", "/tmp"]);
    assert_eq!(e.cwd.as_deref(), Some("/root"));
    assert_eq!(e.cgroup.as_deref(), Some("/docker/0123abcd"));
    assert_eq!(e.fs.as_deref(), Some("ext4"));
    assert!(!e.memfd && !e.deleted && !e.argv_truncated);
    assert_eq!((e.inode, e.nlink), (1234, 1));
}

#[test]
fn exec_stdio_and_kept_environment() {
    // fd 0 an inet socket (type 12, family 2), fd 1 a pseudo-terminal
    // (type 2, major 136), fd 2 closed.
    let stdio = l::PN_EXEC_STDIO_KNOWN | (12 | 2 << 4) | (2 | 136 << 4) << 16;
    let env = b"HOME=/root\0LD_PRELOAD=/tmp/x.so\0AWS_SECRET_ACCESS_KEY=hunter2\0GLIBC_TUNABLES=glibc.malloc.mxfast=1\0LD_AUDIT\0";
    let bytes = build(
        hdr(l::PN_KIND_EXEC, l::PN_OP_EXECVE, 0),
        [1, 1234, 0xEF53, 0, 0, stdio],
        &[(0, b"/bin/sh", 0), (1, b"sh\0bin\0usr", REV), (2, b"sh", 0), (5, env, 0)],
    );
    let Body::Exec(e) = decode(&bytes).body else { panic!() };
    assert_eq!((e.stdin, e.stdout, e.stderr), (Some("inet"), Some("tty"), Some("closed")));
    let env: Vec<(&str, &str)> = e.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        env,
        [("GLIBC_TUNABLES", "glibc.malloc.mxfast=1"), ("LD_PRELOAD", "/tmp/x.so")],
        "only listed variables"
    );
    // Without the kernel's mark (failed execs, older records) nothing is
    // claimed about the descriptors.
    let bytes = build(hdr(l::PN_KIND_EXEC, l::PN_OP_EXECVE, 0), [1, 1234, 0xEF53, 0, 0, 0], &[(0, b"/bin/sh", 0)]);
    let Body::Exec(e) = decode(&bytes).body else { panic!() };
    assert_eq!((e.stdin, e.stdout, e.stderr), (None, None, None));
    assert!(e.env.is_empty());
}

#[test]
fn memfd_exec_and_truncated_argv() {
    let bytes = build(
        hdr(l::PN_KIND_EXEC, l::PN_OP_EXECVE, 0),
        [0, 9, 0x0102_1994, 0, l::PN_EXEC_ARGV_TRUNCATED, 0],
        &[(0, b"/proc/self/fd/3", 0), (1, b"memfd:payload", REV), (2, b"x", l::PN_BLOB_TRUNCATED as u16)],
    );
    let Body::Exec(e) = decode(&bytes).body else { panic!() };
    assert_eq!(e.file.as_deref(), Some("/memfd:payload"));
    assert!(e.memfd && e.deleted && e.argv_truncated);
}

#[test]
fn failed_exec_record() {
    let bytes = build(hdr(l::PN_KIND_EXEC, l::PN_OP_EXECVEAT, -2), [0; 6], &[(0, b"/nope", 0)]);
    let Body::Exec(e) = decode(&bytes).body else { panic!() };
    assert_eq!((e.result, e.file.clone(), e.deleted), (-2, None, false));
}

#[test]
fn open_record_with_relative_path() {
    let bytes = build(
        hdr(l::PN_KIND_OPEN, l::PN_OP_OPENAT, -13),
        [0o1101, 0o644, (-100i64) as u64, 0, 0, l::PN_OPEN_WHY_WRITE],
        &[(0, b"./out.txt", 0), (2, b"tmp\0home", REV)],
    );
    let ev = decode(&bytes);
    assert_eq!(ev.kind(), EventKind::FileOpen);
    let Body::FileOpen(o) = ev.body else { panic!() };
    assert_eq!(o.path, "/home/tmp/out.txt");
    assert_eq!(o.raw_path, "./out.txt");
    assert_eq!(o.syscall, "openat");
    assert_eq!(o.flags_names, vec!["O_WRONLY", "O_CREAT", "O_TRUNC"]);
    assert_eq!((o.mode, o.result, o.reason), (0o644, -13, OpenReason::Write));
}

#[test]
fn open_prefers_resolved_path_and_reports_watch() {
    let bytes = build(
        hdr(l::PN_KIND_OPEN, l::PN_OP_OPEN, 3),
        [0, 0, 0, 0, 0, l::PN_OPEN_WHY_WATCHED],
        &[(0, b"/etc/../etc/shadow", 0), (1, b"shadow\0etc", REV)],
    );
    let Body::FileOpen(o) = decode(&bytes).body else { panic!() };
    assert_eq!((o.path.as_str(), o.reason), ("/etc/shadow", OpenReason::Watched));
}

#[test]
fn rename_unlink_chmod_chown_records() {
    let r = build(
        hdr(l::PN_KIND_RENAME, l::PN_OP_RENAMEAT2, 0),
        [0, 0, 1, 0, 0, 0],
        &[(0, b"/a", 0), (1, b"b", 0), (3, b"tmp", REV)],
    );
    let Body::FileRename(r) = decode(&r).body else { panic!() };
    assert_eq!((r.path.as_str(), r.new_path.as_str(), r.syscall, r.flags), ("/a", "/tmp/b", "renameat2", 1));

    let u = build(hdr(l::PN_KIND_UNLINK, l::PN_OP_RMDIR, -39), [0; 6], &[(0, b"/d", 0)]);
    let Body::FileUnlink(u) = decode(&u).body else { panic!() };
    assert_eq!((u.syscall, u.result), ("rmdir", -39));

    let c = build(hdr(l::PN_KIND_CHMOD, l::PN_OP_FCHMOD, 0), [3, 0o104755, 0, 0, 0, 0], &[(1, b"x\0bin", REV)]);
    let Body::FileChmod(c) = decode(&c).body else { panic!() };
    assert_eq!((c.path.as_str(), c.mode_octal.as_str()), ("/bin/x", "0o4755"));

    let o = build(hdr(l::PN_KIND_CHOWN, l::PN_OP_FCHOWNAT, 0), [0, 0, u32::MAX as u64, 0, 0, 0], &[(0, b"/f", 0)]);
    let Body::FileChown(o) = decode(&o).body else { panic!() };
    assert_eq!((o.uid, o.gid), (0, u32::MAX));
}

fn sockaddr_in(port: u16, ip: [u8; 4]) -> Vec<u8> {
    let mut b = 2u16.to_ne_bytes().to_vec();
    b.extend_from_slice(&port.to_be_bytes());
    b.extend_from_slice(&ip);
    b.extend_from_slice(&[0; 8]);
    b
}

#[test]
fn network_records() {
    let addr = sockaddr_in(8080, [127, 0, 0, 1]);
    let c = build(hdr(l::PN_KIND_CONNECT, 0, -111), [5, 16, 1, 6, 0, 0], &[(0, &addr, 0)]);
    let Body::NetConnect(n) = decode(&c).body else { panic!() };
    assert_eq!(n.addr, Some(SockAddr::Inet { ip: "127.0.0.1".parse().unwrap(), port: 8080 }));
    assert_eq!((n.socket_type, n.protocol.as_deref(), n.result), (Some("stream"), Some("tcp"), -111));

    let mut v6 = 10u16.to_ne_bytes().to_vec();
    v6.extend_from_slice(&443u16.to_be_bytes());
    v6.extend_from_slice(&[0; 4]);
    let mut ip = [0u8; 16];
    ip[15] = 1;
    v6.extend_from_slice(&ip);
    let a = build(hdr(l::PN_KIND_ACCEPT, l::PN_OP_ACCEPT4, 7), [3, 0, 1, 6, 0, 0], &[(0, &v6, 0), (1, &v6, 0)]);
    let Body::NetAccept(a) = decode(&a).body else { panic!() };
    assert_eq!(a.peer, Some(SockAddr::Inet6 { ip: "::1".parse().unwrap(), port: 443 }));
    assert_eq!((a.syscall, a.result), ("accept4", 7));

    let mut un = 1u16.to_ne_bytes().to_vec();
    un.extend_from_slice(b"/run/docker.sock\0");
    let b = build(hdr(l::PN_KIND_BIND, 0, 0), [3, 19, 1, 0, 0, 0], &[(0, &un, 0)]);
    let Body::NetBind(b) = decode(&b).body else { panic!() };
    assert_eq!(b.addr, Some(SockAddr::Unix { path: "/run/docker.sock".into() }));

    let mut abs = 1u16.to_ne_bytes().to_vec();
    abs.extend_from_slice(b"\0hidden");
    assert_eq!(
        sockaddr(BlobView { bytes: &abs, truncated: false, reversed_path: false, fault: false }),
        Some(SockAddr::Unix { path: "@hidden".into() })
    );
    assert_eq!(sockaddr(BlobView { bytes: &[2, 0, 1], truncated: false, reversed_path: false, fault: false }), None);
}

#[test]
fn security_records() {
    let p = build(hdr(l::PN_KIND_PTRACE, 0, 0), [16, 4242, 0, 0, 0, 0], &[]);
    let Body::Ptrace(p) = decode(&p).body else { panic!() };
    assert_eq!((p.request_name.as_str(), p.target_pid), ("PTRACE_ATTACH", 4242));

    let s = build(hdr(l::PN_KIND_SETID, l::PN_OP_SETRESUID, 0), [0, 0, 0, 9, 9, 9], &[]);
    let Body::Setid(s) = decode(&s).body else { panic!() };
    assert_eq!((s.syscall, s.ids.clone()), ("setresuid", vec![0, 0, 0]));

    let m = build(hdr(l::PN_KIND_MEMFD, 0, 4), [1, 0, 0, 0, 0, 0], &[(0, b"x", 0)]);
    let Body::MemfdCreate(m) = decode(&m).body else { panic!() };
    assert_eq!((m.name.as_str(), m.result), ("x", 4));

    let u = build(hdr(l::PN_KIND_UNSHARE, 0, 0), [0x4002_0000, 0, 0, 0, 0, 0], &[]);
    let Body::Unshare(u) = decode(&u).body else { panic!() };
    assert_eq!(u.namespaces, vec!["CLONE_NEWNS", "CLONE_NEWNET"]);

    let b = build(hdr(l::PN_KIND_BPF, 0, 5), [5, 128, 1, 0, 0, 0], &[]);
    let Body::Bpf(b) = decode(&b).body else { panic!() };
    assert_eq!((b.cmd_name.as_str(), b.prog_or_map_type), ("BPF_PROG_LOAD", Some(1)));

    let k = build(hdr(l::PN_KIND_KILL, l::PN_OP_TGKILL, 0), [77, 9, 70, 0, 0, 0], &[]);
    let Body::Kill(k) = decode(&k).body else { panic!() };
    assert_eq!((k.syscall, k.target_pid, k.signal), ("tgkill", 77, 9));

    let mo = build(
        hdr(l::PN_KIND_MOUNT, 0, 0),
        [0x1000, 0, 0, 0, 0, 0],
        &[(0, b"/dev/sda1", 0), (1, b"/mnt", 0), (2, b"ext4", 0)],
    );
    let Body::Mount(mo) = decode(&mo).body else { panic!() };
    assert_eq!(
        (mo.source.as_str(), mo.target.as_str(), mo.fstype.as_str(), mo.flags),
        ("/dev/sda1", "/mnt", "ext4", 0x1000)
    );

    let f = build(
        hdr(l::PN_KIND_MODULE, l::PN_OP_FINIT_MODULE, 0),
        [3, 0, 0, 0, 0, 0],
        &[(0, b"debug=1", 0), (1, b"x.ko\0tmp", REV)],
    );
    let Body::ModuleLoad(f) = decode(&f).body else { panic!() };
    assert_eq!((f.syscall, f.path.as_deref(), f.params.as_str()), ("finit_module", Some("/tmp/x.ko"), "debug=1"));
}

#[test]
fn process_records() {
    let f = build(hdr(l::PN_KIND_FORK, 0, 0), [200, 201, 1, 9_000, 0, 0], &[]);
    let Body::Fork(f) = decode(&f).body else { panic!() };
    assert_eq!((f.child_pid, f.child_tid, f.thread, f.child_start_boot_ns), (200, 201, true, 9_000));

    let x = build(hdr(l::PN_KIND_EXIT, 0, 0), [3 << 8, 0, 0, 0, 0, 0], &[]);
    let Body::Exit(x) = decode(&x).body else { panic!() };
    assert_eq!((x.code, x.signal), (Some(3), None));
    assert_eq!(exit_status(0x89), Exit { code: None, signal: Some(9), core_dumped: true });
}

#[test]
fn every_wire_kind_maps_both_ways() {
    for kind in EventKind::ALL.iter().filter(|k| !k.is_synthetic()) {
        let n = wire_kind(*kind).unwrap_or_else(|| panic!("{kind} has no wire number"));
        assert_eq!(event_kind(n), Some(*kind));
    }
    assert_eq!(wire_kind(EventKind::Loss), None);
    assert_eq!(wire_kind(EventKind::AssetChange), None);
    let bytes = build(hdr(63, 0, 0), [0; 6], &[]);
    assert_eq!(record_to_event(&bytes, |b| b).unwrap_err(), DecodeError::UnknownKind(63));
}

#[test]
fn every_op_name_is_in_the_event_syscall_table() {
    // Events read back from JSON map syscall names onto that table.
    let ops: Vec<&str> = (0..1024).filter_map(crate::wire::layout::op_name).collect();
    assert!(ops.len() > 30, "{ops:?}");
    for name in ops {
        assert!(event::names::SYSCALLS.contains(&name), "{name} is missing from event::names::SYSCALLS");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// Arbitrary bytes never panic the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = record_to_event(&bytes, |b| b);
    }

    /// Valid records with corrupted head fields never panic, and every
    /// record that decodes has a known kind.
    #[test]
    fn corrupted_records_never_panic(
        kind in 0u16..70,
        op in any::<u16>(),
        args in proptest::array::uniform6(any::<u64>()),
        flips in proptest::collection::vec((0usize..400, any::<u8>()), 0..12),
        blob in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut h = hdr(0, 0, 0);
        h.kind = kind;
        h.op = op;
        let mut bytes = build(h, args, &[(0, &blob, 0), (1, &blob, REV), (2, &blob, 0), (3, &blob, REV)]);
        for (at, value) in flips {
            if at < bytes.len() {
                bytes[at] = value;
            }
        }
        if let Ok(ev) = record_to_event(&bytes, |b| b) {
            prop_assert!(ev.kind() != EventKind::Loss);
            let _ = ev.to_json();
        }
    }
}
