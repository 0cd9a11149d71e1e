//! Store insert throughput: 200,000 realistic events (~1 KB of JSON each,
//! a mix of exec, file and network events from containers and the host)
//! written through `StoreWriter` with default options.
//!
//! The producer only waits when the queue is nearly full, so the number
//! measures the writer thread, not drops. Run with
//! `cargo bench -p panoptes-store --bench insert`; set `PANOPTES_BENCH_EVENTS`
//! for another count.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use event::{Ancestor, Body, Container, Event, Exec, FileOpen, NetAddr, OpenReason, Process, SockAddr};
use panoptes_store::{Store, StoreOptions, StoreWriter};

fn main() {
    let count: u64 = std::env::var("PANOPTES_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("panoptes.db");
    let opts = StoreOptions::at(&path);
    let capacity = opts.queue_capacity;
    let writer = StoreWriter::start(opts).expect("start the store");

    let start_ns = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos() as u64;
    let mut json_bytes = 0u64;
    let mut waits = 0u64;
    let started = Instant::now();
    for i in 0..count {
        let ev = event(i, start_ns + i * 1_000);
        let json = ev.to_json();
        json_bytes += json.len() as u64;
        while writer.queue_len() >= capacity - 1 {
            waits += 1;
            std::thread::sleep(Duration::from_micros(200));
        }
        writer.submit(&ev, &json);
    }
    let submitted_in = started.elapsed();
    let stats = writer.close();
    let elapsed = started.elapsed();

    let on_disk = file_len(&path) + file_len(&path.with_extension("db-wal"));
    let secs = elapsed.as_secs_f64();
    println!("events:            {count} (avg JSON {} bytes)", json_bytes / count.max(1));
    println!(
        "submitted in:      {:.2} s ({:.0} events/s offered, {waits} waits on a full queue)",
        submitted_in.as_secs_f64(),
        count as f64 / submitted_in.as_secs_f64()
    );
    println!("written in:        {secs:.2} s incl. final flush + checkpoint");
    println!(
        "throughput:        {:.0} events/s, {:.1} MB/s of JSON",
        stats.written as f64 / secs,
        json_bytes as f64 / secs / 1e6
    );
    println!(
        "written/dropped:   {} / {} in {} batches, {} write errors",
        stats.written, stats.dropped, stats.batches, stats.write_errors
    );
    println!(
        "db size:           {:.1} MB on disk ({} bytes/event)",
        on_disk as f64 / 1e6,
        on_disk / stats.written.max(1)
    );

    let store = Store::open_read_only(&path).expect("open the store");
    let query = Instant::now();
    let rows =
        store.events(&panoptes_store::EventFilter { pids: Some(vec![1234]), ..Default::default() }).expect("query");
    println!("query pid=1234:    {} rows in {:.1} ms", rows.len(), query.elapsed().as_secs_f64() * 1e3);
    let query = Instant::now();
    let containers = store.containers().expect("containers");
    println!("containers():      {} containers in {:.1} ms", containers.len(), query.elapsed().as_secs_f64() * 1e3);
}

fn file_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Event `i`: one of eight containers (or the host), a 4-deep ancestry,
/// and a kind chosen exec : file_open : net_connect = 2 : 5 : 3.
fn event(i: u64, time_unix_ns: u64) -> Event {
    let pid = 1_000 + (i % 5_000) as u32;
    let container = (!i.is_multiple_of(9)).then(|| {
        let n = i % 9;
        Container {
            id: format!("{n:x}{}", "3f9a6c1e0b7d2485".repeat(4)).chars().take(64).collect(),
            name: Some(format!("shop-frontend-{n}")),
            image: Some("registry.example.com/shop/frontend:2.14.1".into()),
            image_id: Some(format!("sha256:{}", "9c3e1b7a5d".repeat(6))),
            runtime: "containerd".into(),
            pod: Some(format!("frontend-7d9f8b6c5-{n}x2kq")),
            namespace: Some("shop".into()),
            labels: BTreeMap::from([
                ("app".to_string(), "frontend".to_string()),
                ("tier".to_string(), "web".to_string()),
            ]),
            ..Container::default()
        }
    });
    let ancestors = (0..4)
        .map(|depth| Ancestor {
            pid: pid - 1 - depth,
            exec_id: Some(format!("{:x}-{}", pid - 1 - depth, 7_000_000_000u64 + u64::from(depth))),
            exe: Some(["/bin/bash", "/usr/bin/node", "/usr/local/bin/npm", "/sbin/tini"][depth as usize].into()),
            cmdline: Some(
                ["bash -c npm start", "node server.js --port 8080", "npm start", "/sbin/tini -- npm start"]
                    [depth as usize]
                    .into(),
            ),
        })
        .collect();
    let process = Process {
        pid,
        tid: pid,
        ppid: pid - 1,
        uid: 1000,
        gid: 1000,
        euid: 1000,
        egid: 1000,
        comm: "curl".into(),
        exe: Some("/usr/bin/curl".into()),
        cmdline: Some("curl -fsSL https://downloads.example.com/agent/install.sh -o /tmp/install.sh".into()),
        exec_id: Some(format!("{pid:x}-{}", 8_000_000_000 + i)),
        parent_exec_id: Some(format!("{:x}-7000000000", pid - 1)),
        cgroup_id: 4242 + i % 9,
        cgroup: Some(format!("/kubepods.slice/kubepods-burstable.slice/cri-containerd-{}.scope", i % 9)),
        ancestors,
        ..Process::default()
    };
    let body = match i % 10 {
        0 | 1 => Body::Exec(Exec {
            filename: "/usr/bin/curl".into(),
            file: Some("/usr/bin/curl".into()),
            argv: ["curl", "-fsSL", "https://downloads.example.com/agent/install.sh", "-o", "/tmp/install.sh"]
                .map(String::from)
                .to_vec(),
            cwd: Some("/app".into()),
            inode: 1_048_577 + i,
            nlink: 1,
            fs: Some("overlay".into()),
            ..Exec::default()
        }),
        2..=6 => Body::FileOpen(FileOpen {
            path: format!("/app/node_modules/.cache/babel-loader/{i:016x}.json"),
            raw_path: format!("node_modules/.cache/babel-loader/{i:016x}.json"),
            syscall: "openat",
            flags: 0o1101,
            flags_names: vec!["O_WRONLY", "O_CREAT", "O_TRUNC"],
            mode: 0o644,
            reason: OpenReason::Write,
            result: 23,
        }),
        _ => Body::NetConnect(NetAddr {
            fd: 21,
            addr: Some(SockAddr::Inet { ip: [10, 96, (i % 200) as u8, 17].into(), port: 5432 }),
            socket_type: Some("stream"),
            protocol: Some("tcp".into()),
            result: -115,
        }),
    };
    Event { time_boot_ns: 9_000_000_000 + i * 1_000, time_unix_ns, process: process.into(), container, body }
}
