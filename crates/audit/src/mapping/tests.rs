//! Unit tests of the mapping, one per kind the aucoalesce corpus does not
//! cover (that corpus is checked in `tests/golden_coalesce.rs`).

use super::*;
use crate::reassemble::Completion;
use event::{EventKind, SockAddr};

const HEAD: &str = "ppid=1 pid=4242 auid=1000 uid=1000 gid=1000 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"x\" exe=\"/usr/bin/x\" key=(null)";

/// An event from record lines written without the `type=... msg=audit(...)`
/// header: `("SYSCALL", "arch=... syscall=...")`.
fn event(records: &[(&str, &str)]) -> AuditEvent {
    let records = records
        .iter()
        .map(|(t, body)| Record::parse_line(&format!("type={t} msg=audit(1700000000.250:77): {body}")).unwrap())
        .collect();
    AuditEvent {
        node: None,
        time: crate::AuditTime { secs: 1_700_000_000, millis: 250 },
        serial: 77,
        records,
        completion: Completion::Eoe,
    }
}

fn syscall(arch: &str, nr: u32, exit: i64, args: [u64; 4]) -> String {
    format!(
        "arch={arch} syscall={nr} success={} exit={exit} a0={:x} a1={:x} a2={:x} a3={:x} items=0 {HEAD}",
        if exit >= 0 { "yes" } else { "no" },
        args[0],
        args[1],
        args[2],
        args[3]
    )
}

fn body_of(records: &[(&str, &str)]) -> Body {
    to_event(&event(records)).expect("maps").body
}

const X86: &str = "c000003e";
const AT_FDCWD: u64 = 0xffff_ffff_ffff_ff9c;

#[test]
fn header_and_times() {
    let ev = to_event(&event(&[("SYSCALL", &syscall(X86, 62, 0, [99, 9, 0, 0]))])).unwrap();
    assert_eq!(ev.time_unix_ns, 1_700_000_000_250_000_000);
    assert_eq!(ev.time_boot_ns, 0);
    let p = &ev.process;
    assert_eq!((p.pid, p.tid, p.ppid, p.uid, p.euid, p.gid, p.egid), (4242, 4242, 1, 1000, 0, 1000, 0));
    assert_eq!((p.comm.as_str(), p.exe.as_deref()), ("x", Some("/usr/bin/x")));
    assert_eq!(ev.body, Body::Kill(Kill { syscall: "kill", target_pid: 99, signal: 9, result: 0 }));
}

#[test]
fn opens() {
    let cwd = ("CWD", "cwd=\"/home/u\"");
    let created = ("PATH", "item=1 name=\"notes.txt\" inode=5 nametype=CREATE");
    let parent = ("PATH", "item=0 name=\"/home/u\" inode=4 nametype=PARENT");
    let s = syscall(X86, 257, 3, [AT_FDCWD, 0x1000, 0o1101, 0o644]);
    let Body::FileOpen(open) = body_of(&[("SYSCALL", &s), cwd, parent, created]) else { panic!() };
    assert_eq!(
        (open.path.as_str(), open.raw_path.as_str(), open.syscall),
        ("/home/u/notes.txt", "notes.txt", "openat")
    );
    assert_eq!((open.flags, open.mode, open.reason, open.result), (0o1101, 0o644, OpenReason::Write, 3));
    assert_eq!(open.flags_names, vec!["O_WRONLY", "O_CREAT", "O_TRUNC"]);

    let s = syscall(X86, 85, -13, [0x1000, 0o600, 0, 0]);
    let path = ("PATH", "item=0 name=\"/etc/x\" nametype=NORMAL");
    let Body::FileOpen(creat) = body_of(&[("SYSCALL", &s), path]) else { panic!() };
    assert_eq!((creat.syscall, creat.flags, creat.mode, creat.result), ("creat", 0o1101, 0o600, -13));

    let s = syscall(X86, 437, 4, [AT_FDCWD, 0x1000, 0x2000, 24]);
    let how = ("OPENAT2", "oflag=0100 mode=0600 resolve=0x0");
    let Body::FileOpen(o2) = body_of(&[("SYSCALL", &s), how, ("PATH", "item=0 name=\"/tmp/a\" nametype=CREATE")])
    else {
        panic!()
    };
    assert_eq!((o2.syscall, o2.flags, o2.mode, o2.path.as_str()), ("openat2", 0o100, 0o600, "/tmp/a"));

    // A read-only open reported by audit comes from a watch rule.
    let s = syscall(X86, 2, 3, [0x1000, 0, 0, 0]);
    let Body::FileOpen(read) = body_of(&[("SYSCALL", &s), ("PATH", "item=0 name=\"/etc/shadow\" nametype=NORMAL")])
    else {
        panic!()
    };
    assert_eq!((read.reason, read.flags_names.as_slice()), (OpenReason::Watched, &["O_RDONLY"][..]));
}

#[test]
fn file_metadata_calls() {
    let cwd = ("CWD", "cwd=\"/srv\"");
    let path = ("PATH", "item=0 name=\"app\" inode=9 nametype=NORMAL");
    let Body::FileChmod(c) = body_of(&[("SYSCALL", &syscall(X86, 268, 0, [AT_FDCWD, 1, 0o4755, 0])), cwd, path]) else {
        panic!()
    };
    assert_eq!((c.path.as_str(), c.syscall, c.mode, c.mode_octal.as_str()), ("/srv/app", "fchmodat", 0o4755, "0o4755"));
    let Body::FileChown(c) = body_of(&[("SYSCALL", &syscall(X86, 92, 0, [1, 0, 0xffff_ffff, 0])), cwd, path]) else {
        panic!()
    };
    assert_eq!((c.path.as_str(), c.syscall, c.uid, c.gid), ("/srv/app", "chown", 0, u32::MAX));
    // unlinkat relative to a dirfd: the path cannot be joined to the cwd.
    let Body::FileUnlink(u) = body_of(&[
        ("SYSCALL", &syscall(X86, 263, 0, [5, 1, 0x200, 0])),
        cwd,
        ("PATH", "item=1 name=\"old\" nametype=DELETE"),
    ]) else {
        panic!()
    };
    assert_eq!((u.path.as_str(), u.flags), ("old", 0x200));
}

#[test]
fn security_calls() {
    let b = body_of(&[("SYSCALL", &syscall(X86, 101, 0, [16, 1234, 0, 0]))]);
    assert_eq!(
        b,
        Body::Ptrace(Ptrace {
            request: 16,
            request_name: "PTRACE_ATTACH".into(),
            target_pid: 1234,
            addr: 0,
            data: 0,
            result: 0
        })
    );
    let b = body_of(&[("SYSCALL", &syscall(X86, 313, 0, [3, 0x41a15c, 0, 0])), ("PATH", "item=0 name=\"/lib/m.ko\"")]);
    let Body::ModuleLoad(m) = b else { panic!() };
    assert_eq!((m.syscall, m.path.as_deref()), ("finit_module", Some("/lib/m.ko")));
    let Body::MemfdCreate(m) = body_of(&[("SYSCALL", &syscall(X86, 319, 5, [0x1000, 1, 0, 0]))]) else { panic!() };
    assert_eq!((m.flags, m.result), (1, 5));
    let Body::Setid(s) = body_of(&[("SYSCALL", &syscall(X86, 117, 0, [u64::MAX, 0x3e8, u64::MAX, 0]))]) else {
        panic!()
    };
    assert_eq!((s.syscall, s.ids), ("setresuid", vec![u32::MAX, 1000, u32::MAX]));
    let caps = ("CAPSET", "pid=4242 cap_pi=0 cap_pp=3fffffffff cap_pe=3fffffffff cap_pa=0");
    let Body::Capset(c) = body_of(&[("SYSCALL", &syscall(X86, 126, 0, [1, 2, 0, 0])), caps]) else { panic!() };
    assert_eq!((c.target_pid, c.effective, c.permitted, c.inheritable), (4242, 0x3f_ffff_ffff, 0x3f_ffff_ffff, 0));
    let Body::Unshare(u) = body_of(&[("SYSCALL", &syscall(X86, 272, 0, [0x4002_0000, 0, 0, 0]))]) else { panic!() };
    assert_eq!(u.namespaces, vec!["CLONE_NEWNS", "CLONE_NEWNET"]);
    let Body::Setns(s) = body_of(&[("SYSCALL", &syscall(X86, 308, 0, [7, 0x4000_0000, 0, 0]))]) else { panic!() };
    assert_eq!((s.fd, s.namespaces), (7, vec!["CLONE_NEWNET"]));
    let Body::Bpf(b) = body_of(&[("SYSCALL", &syscall(X86, 321, 9, [5, 0x1000, 0x90, 0]))]) else { panic!() };
    assert_eq!((b.cmd_name.as_str(), b.result), ("BPF_PROG_LOAD", 9));
    let Body::Umount(u) =
        body_of(&[("SYSCALL", &syscall(X86, 166, 0, [0x1000, 2, 0, 0])), ("PATH", "item=0 name=\"/mnt\"")])
    else {
        panic!()
    };
    assert_eq!((u.target.as_str(), u.flags), ("/mnt", 2));
    let Body::Kill(k) = body_of(&[("SYSCALL", &syscall(X86, 234, 0, [10, 11, 15, 0]))]) else { panic!() };
    assert_eq!((k.syscall, k.target_pid, k.signal), ("tgkill", 11, 15));
}

#[test]
fn process_lifecycle() {
    let Body::Fork(f) = body_of(&[("SYSCALL", &syscall(X86, 56, 5000, [0x1_0000 | 0x100, 0, 0, 0]))]) else { panic!() };
    assert_eq!((f.child_pid, f.thread), (5000, true));
    let Body::Fork(f) = body_of(&[("SYSCALL", &syscall(X86, 57, 5001, [0; 4]))]) else { panic!() };
    assert_eq!((f.child_pid, f.thread), (5001, false));
    assert_eq!(to_event(&event(&[("SYSCALL", &syscall(X86, 56, -11, [0; 4]))])), None);
    let b = body_of(&[("SYSCALL", &syscall(X86, 231, 0, [3, 0, 0, 0]))]);
    assert_eq!(b, Body::Exit(Exit { code: Some(3), signal: None, core_dumped: false }));
}

#[test]
fn exec_variants() {
    // aarch64 execve (221), failed: no `file`.
    let s = syscall("c00000b7", 221, -2, [0; 4]);
    let ev = to_event(&event(&[
        ("SYSCALL", &s),
        ("EXECVE", "argc=2 a0=\"nope\" a1=\"-x\""),
        ("PATH", "item=0 name=\"./nope\""),
    ]))
    .unwrap();
    let Body::Exec(exec) = ev.body else { panic!() };
    assert_eq!((exec.filename.as_str(), exec.file, exec.result), ("./nope", None, -2));
    assert_eq!(ev.process.cmdline.as_deref(), Some("nope -x"));
    // A deleted memfd binary.
    let s = syscall(X86, 322, 0, [3, 0, 0, 0x1000]).replace("exe=\"/usr/bin/x\"", "exe=\"/memfd:payload (deleted)\"");
    let Body::Exec(exec) = body_of(&[("SYSCALL", &s), ("PROCTITLE", "proctitle=7061796C6F6164002D71")]) else {
        panic!()
    };
    assert!(exec.memfd && exec.deleted);
    assert_eq!(exec.argv, vec!["payload", "-q"]);
    // An `ausearch -i` line.
    let line = format!("arch=x86_64 syscall=execve success=yes exit=0 a0=0x1 items=1 {HEAD}")
        .replace("uid=1000", "uid=vagrant");
    let ev = to_event(&event(&[("SYSCALL", &line)])).unwrap();
    assert_eq!((ev.kind(), ev.process.uid), (EventKind::Exec, u32::MAX));
}

#[test]
fn sockets() {
    // i386 socketcall(SYS_CONNECT) with the args in a SOCKETCALL record.
    let s = syscall("40000003", 102, 0, [3, 0xbf00_0000, 0, 0]);
    let call = ("SOCKETCALL", "nargs=3 a0=6 a1=bfc0ffee a2=10");
    let addr = ("SOCKADDR", "saddr=0200005011223344");
    let Body::NetConnect(c) = body_of(&[("SYSCALL", &s), call, addr]) else { panic!() };
    assert_eq!(c.fd, 6);
    assert_eq!(c.addr, Some(SockAddr::Inet { ip: "17.34.51.68".parse().unwrap(), port: 80 }));
    // ppc64 has no syscall table here: the number cannot be named, nothing maps.
    assert_eq!(to_event(&event(&[("SYSCALL", &syscall("80000015", 328, 0, [0; 4])), addr])), None);
    // bind of a unix socket.
    let Body::NetBind(b) =
        body_of(&[("SYSCALL", &syscall(X86, 49, 0, [4, 0, 0, 0])), ("SOCKADDR", "saddr=01002F72756E2F782E736F636B00")])
    else {
        panic!()
    };
    assert_eq!(b.addr, Some(SockAddr::Unix { path: "/run/x.sock".into() }));
    // An unknown syscall, and an event with no SYSCALL record.
    assert_eq!(to_event(&event(&[("SYSCALL", &syscall(X86, 0, 0, [0; 4]))])), None);
    assert_eq!(to_event(&event(&[("USER_LOGIN", "pid=1 uid=0 msg='op=login res=success'")])), None);
    assert_eq!(process(&event(&[("USER_LOGIN", "pid=1 uid=0 msg='op=login res=success'")])), None);
}
