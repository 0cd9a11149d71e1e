//! `Event::from_json` throughput on one core, over a realistic mix: exec
//! events with five ancestors, write-intent opens and TCP connects, all from
//! a container (the JSON `panoptes run` writes and `replay` reads back).
//!
//! Run with `cargo bench -p panoptes-event --bench from_json`; set
//! `PANOPTES_BENCH_EVENTS` for another count (default 1,000,000 parses).
//! Also printed: the same lines only scanned by serde_json (the floor any
//! serde_json parse pays) and parsed into a `serde_json::Value`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use panoptes_event::{names, Ancestor, Body, Container, Event, Exec, FileOpen, NetAddr, OpenReason, Process, SockAddr};

fn process(pid: u32) -> Process {
    let ancestors = [
        (4200, "/usr/bin/bash"),
        (4100, "/usr/bin/sshd"),
        (900, "/usr/sbin/sshd"),
        (850, "/usr/bin/containerd-shim-runc-v2"),
        (1, "/usr/lib/systemd/systemd"),
    ]
    .iter()
    .map(|(p, exe)| Ancestor {
        pid: *p,
        exec_id: Some(format!("9f3c2a1b:{}:{p}", 5_000_000_000u64 + u64::from(*p))),
        exe: Some((*exe).to_string()),
        cmdline: Some(format!("{exe} -D --flag")),
    })
    .collect();
    Process {
        pid,
        tid: pid,
        ppid: 4200,
        uid: 1000,
        gid: 1000,
        euid: 1000,
        egid: 1000,
        comm: "curl".into(),
        exe: Some("/usr/bin/curl".into()),
        cmdline: Some("curl -fsSL https://example.com/install.sh -o /tmp/install.sh".into()),
        cwd: Some("/home/alice".into()),
        user: Some("alice".into()),
        exec_id: Some(format!("9f3c2a1b:5123456789:{pid}")),
        parent_exec_id: Some("9f3c2a1b:5000004200:4200".into()),
        start_boot_ns: 5_123_456_789,
        cgroup_id: 7361,
        cgroup: Some(
            "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope".into(),
        ),
        ancestors,
    }
}

fn container() -> Container {
    Container {
        id: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into(),
        name: Some("web".into()),
        image: Some("nginx:1.27".into()),
        image_id: Some("sha256:4f1d2c3b4a5968778695a4b3c2d1e0f0".into()),
        runtime: "docker".into(),
        labels: BTreeMap::from([("env".into(), "prod".into())]),
        ..Container::default()
    }
}

fn events() -> Vec<Event> {
    let exec = Body::Exec(Exec {
        filename: "/usr/bin/curl".into(),
        file: Some("/usr/bin/curl".into()),
        argv: ["curl", "-fsSL", "https://example.com/install.sh", "-o", "/tmp/install.sh"].map(String::from).to_vec(),
        cwd: Some("/home/alice".into()),
        inode: 1_234_567,
        nlink: 1,
        fs: Some("overlay".into()),
        cgroup: Some("/system.slice/docker-0123.scope".into()),
        ..Exec::default()
    });
    let open = Body::FileOpen(FileOpen {
        path: "/tmp/install.sh".into(),
        raw_path: "/tmp/install.sh".into(),
        syscall: "openat",
        flags: 0o1101,
        flags_names: names::open_flags(0o1101),
        mode: 0o644,
        reason: OpenReason::Write,
        result: 3,
    });
    let connect = Body::NetConnect(NetAddr {
        fd: 5,
        addr: Some(SockAddr::Inet { ip: [93, 184, 215, 14].into(), port: 443 }),
        socket_type: names::socket_type(1),
        protocol: Some(names::ip_protocol(6)),
        result: -115,
    });
    [exec, open, connect]
        .into_iter()
        .enumerate()
        .map(|(i, body)| Event {
            time_boot_ns: 9_876_543_210 + i as u64,
            time_unix_ns: 1_795_435_200_123_456_789 + i as u64,
            process: process(4242).into(),
            container: Some(container()),
            body,
        })
        .collect()
}

fn main() {
    let count: usize = std::env::var("PANOPTES_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let lines: Vec<String> = events().iter().map(Event::to_json).collect();
    for (line, ev) in lines.iter().zip(events()) {
        assert_eq!(Event::from_json(line).ok().as_ref(), Some(&ev), "the sample round-trips");
    }
    let bytes: usize = lines.iter().map(String::len).sum();
    println!("mix: exec ({} B), file_open ({} B), net_connect ({} B)", lines[0].len(), lines[1].len(), lines[2].len());
    for round in 1..=3 {
        let started = Instant::now();
        for i in 0..count {
            black_box(Event::from_json(black_box(&lines[i % lines.len()])).ok());
        }
        let secs = started.elapsed().as_secs_f64();
        let mib = (bytes * count / lines.len()) as f64 / secs / (1 << 20) as f64;
        println!("round {round}: {count} events in {secs:.3} s = {:.0} events/s ({mib:.0} MiB/s)", count as f64 / secs);
    }
    baseline(&lines, count);
    for (name, line) in ["exec", "file_open", "net_connect"].iter().zip(&lines) {
        let n = count / 3;
        let started = Instant::now();
        for _ in 0..n {
            black_box(Event::from_json(black_box(line)).ok());
        }
        println!("  {name:<12} {:.0} events/s", n as f64 / started.elapsed().as_secs_f64());
    }
}

/// Floors for comparison: serde_json only scanning the same lines
/// (`IgnoredAny`), and building a generic `Value` tree.
fn baseline(lines: &[String], count: usize) {
    let started = Instant::now();
    for i in 0..count {
        black_box(serde_json::from_str::<serde::de::IgnoredAny>(black_box(&lines[i % lines.len()])).ok());
    }
    println!("  IgnoredAny   {:.0} events/s", count as f64 / started.elapsed().as_secs_f64());
    let started = Instant::now();
    for i in 0..count {
        black_box(serde_json::from_str::<serde_json::Value>(black_box(&lines[i % lines.len()])).ok());
    }
    println!("  Value        {:.0} events/s", count as f64 / started.elapsed().as_secs_f64());
}
