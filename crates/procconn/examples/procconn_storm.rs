//! Exec-storm completeness check for the proc connector: runs N fork+exec
//! of /bin/true while a thread receives, and reports how many of those
//! execs (and forks, exits) were seen, how many exec events had to be
//! reported incomplete because /proc was already gone, and the loss
//! counters.
//!
//! `cargo run --release -p panoptes-procconn --example procconn_storm -- 5000 [rcvbuf_bytes]` (root)

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use event::Body;
use panoptes_procconn::{is_incomplete_exec, Options, ProcConnector};

#[derive(Default)]
struct Seen {
    forks: HashSet<u32>,
    execs: HashSet<u32>,
    incomplete: HashSet<u32>,
    exits: HashSet<u32>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(5000);
    // Second argument: receive buffer bytes (small values show the loss
    // accounting at work).
    let mut opts = Options::default();
    if let Some(bytes) = std::env::args().nth(2) {
        opts.rcvbuf_bytes = bytes.parse()?;
    }
    let mut conn = ProcConnector::open_with(opts)?;
    let stop = Arc::new(AtomicBool::new(false));
    let stop_rx = Arc::clone(&stop);
    let receiver = std::thread::spawn(move || -> Result<(ProcConnector, Seen), panoptes_procconn::ProcConnError> {
        let mut seen = Seen::default();
        let mut quiet_since = None;
        loop {
            let batch = conn.recv(Duration::from_millis(100))?;
            for e in &batch {
                match &e.body {
                    Body::Fork(f) if !f.thread => {
                        seen.forks.insert(f.child_pid);
                    }
                    Body::Exec(_) => {
                        seen.execs.insert(e.process.pid);
                        if is_incomplete_exec(e) {
                            seen.incomplete.insert(e.process.pid);
                        }
                    }
                    Body::Exit(_) => {
                        seen.exits.insert(e.process.pid);
                    }
                    _ => {}
                }
            }
            if stop_rx.load(Ordering::Relaxed) {
                if batch.is_empty() {
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_millis(500) {
                        return Ok((conn, seen));
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
    let (conn, seen) = receiver.join().map_err(|_| "receiver thread panicked")??;
    let count = |set: &HashSet<u32>| spawned.iter().filter(|p| set.contains(p)).count();
    let stats = conn.stats();
    println!(
        "proc connector: {n} execs in {:.2}s; seen fork {}/{n}, exec {}/{n} (incomplete /proc read: {}), exit {}/{n}; enobufs {}; seq-gap lost {}; exec_gone {}",
        elapsed.as_secs_f64(),
        count(&seen.forks),
        count(&seen.execs),
        count(&seen.incomplete),
        count(&seen.exits),
        stats.enobufs,
        stats.lost,
        stats.exec_gone,
    );
    println!("{stats:?}");
    conn.close()?;
    Ok(())
}
