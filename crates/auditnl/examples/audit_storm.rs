//! Exec-storm completeness check for the audit client in Own mode: runs N
//! fork+exec of /bin/true while a thread receives, and reports how many of
//! those execs produced an execve SYSCALL record, with the loss counters.
//!
//! `cargo run --release -p panoptes-auditnl --example audit_storm -- 5000`
//! (root; changes audit state while it runs and restores it at the end).
//! A second argument `kernel-backlog` keeps the kernel's backlog limit.

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use panoptes_auditnl::{record_type, AuditClient, Mode, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(5000);
    // Second argument `kernel-backlog`: keep the kernel's backlog limit.
    let mut opts = Options::new(Mode::Own)?;
    if std::env::args().nth(2).as_deref() == Some("kernel-backlog") {
        opts.backlog_limit = None;
    }
    let mut client = AuditClient::open_with(opts)?;
    let lost_before = client.refresh_status()?.lost;
    let stop = Arc::new(AtomicBool::new(false));
    let stop_rx = Arc::clone(&stop);
    let receiver =
        std::thread::spawn(move || -> Result<(AuditClient, HashSet<u32>, u64), panoptes_auditnl::AuditError> {
            let mut pids = HashSet::new();
            let mut records = 0u64;
            let mut quiet_since = None;
            loop {
                let batch = client.recv(Duration::from_millis(100))?;
                records += batch.len() as u64;
                for m in &batch {
                    let t = String::from_utf8_lossy(&m.payload);
                    if m.msg_type == record_type::SYSCALL && t.contains("syscall=59 ") && t.contains("comm=\"true\"") {
                        if let Some(pid) =
                            t.split(" pid=").nth(1).and_then(|r| r.split(' ').next()).and_then(|p| p.parse().ok())
                        {
                            pids.insert(pid);
                        }
                    }
                }
                if stop_rx.load(Ordering::Relaxed) {
                    if batch.is_empty() {
                        let since = *quiet_since.get_or_insert_with(Instant::now);
                        if since.elapsed() > Duration::from_millis(500) {
                            return Ok((client, pids, records));
                        }
                    } else {
                        quiet_since = None;
                    }
                }
            }
        });
    let start = Instant::now();
    let mut spawned = Vec::with_capacity(n);
    for _ in 0..n {
        let mut child = Command::new("/bin/true").spawn()?;
        spawned.push(child.id());
        child.wait()?;
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (mut client, seen, records) = receiver.join().map_err(|_| "receiver thread panicked")??;
    let status = client.refresh_status()?;
    let stats = client.stats();
    let hit = spawned.iter().filter(|p| seen.contains(p)).count();
    println!(
        "audit Own: {n} execs in {:.2}s; execve records seen for {hit}/{n} ({:.2}%); records {records}; enobufs {}; kernel lost +{}; backlog_limit {}",
        elapsed.as_secs_f64(),
        100.0 * hit as f64 / n as f64,
        stats.enobufs,
        status.lost.wrapping_sub(lost_before),
        status.backlog_limit,
    );
    client.close()?;
    Ok(())
}
