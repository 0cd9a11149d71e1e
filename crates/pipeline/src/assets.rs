//! Periodic asset inventory in `panoptes run`: a thread at low CPU and I/O
//! priority collects every table each `assets.interval`, diffs the
//! snapshot against the previous one and sends one `asset_change` event
//! per change (new listening port, user, SUID file, service, kernel
//! module, modified package file, ...) to the processing thread, which
//! delivers them like any event: rules, sinks, store. The first snapshot
//! is the baseline and yields no events. Snapshots are saved in the store
//! for `panoptes assets diff`.
//!
//! The hand-over is a bounded queue; a full queue drops the event and
//! counts it on the `sensor_queue` hop (the processing thread's inbound
//! queue) under kind `asset_change`. Shutdown never waits for a running
//! collection: the thread is told to stop and left to end on its own.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use assets::{Change, Collector, Options, Snapshot};
use config::Config;
use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use event::time::BootClock;
use event::{AssetChange, Body, Event, EventKind, Process};
use store::AssetSnapshots;

use crate::Counters;

/// Changes waiting for the processing thread.
const QUEUE: usize = 4096;
/// How often the sleeping thread looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(200);
/// CPU niceness of the collector thread.
const NICE: i32 = 10;

/// The running collector; dropping it tells the thread to stop.
pub(crate) struct AssetWatch {
    rx: Receiver<Event>,
    stop: Arc<AtomicBool>,
}

impl AssetWatch {
    /// Starts the collector thread when `assets.interval` is set.
    pub fn start(cfg: &Config, counters: Arc<Counters>) -> std::io::Result<Option<AssetWatch>> {
        let Some(interval) = cfg.assets_interval else { return Ok(None) };
        let mut opts = Options::default();
        if let Some(c) = &cfg.containers {
            opts.docker_socket = c.docker_socket.clone();
            opts.containerd_socket = c.containerd_socket.clone();
            opts.podman_socket = c.podman_socket.clone();
            opts.crio_socket = c.crio_socket.clone();
        }
        let store = cfg.store.as_ref().map(|s| s.path.clone());
        let (tx, rx) = bounded(QUEUE);
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        thread::Builder::new().name("panoptes-assets".into()).spawn(move || {
            assets::lower_priority(NICE);
            assets::idle_scheduling();
            watch(Collector::new(opts), interval, store, &tx, &counters, &thread_stop);
        })?;
        tracing::info!(interval_secs = interval.as_secs(), "asset inventory: collecting periodically");
        Ok(Some(AssetWatch { rx, stop }))
    }

    /// Hands every waiting change event to `deliver`.
    pub fn drain(&self, mut deliver: impl FnMut(Event)) {
        while let Ok(ev) = self.rx.try_recv() {
            deliver(ev);
        }
    }
}

impl Drop for AssetWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn watch(
    mut collector: Collector,
    interval: Duration,
    store: Option<PathBuf>,
    tx: &Sender<Event>,
    counters: &Counters,
    stop: &AtomicBool,
) {
    let mut previous: Option<Snapshot> = None;
    let mut store_failed = false;
    loop {
        let started = Instant::now();
        let snapshot = collector.collect(&[]);
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let changes = previous.as_ref().map(|old| assets::diff(old, &snapshot)).unwrap_or_default();
        let sent = changes.iter().filter(|c| emits(c)).filter(|c| send(tx, counters, c)).count();
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            changes = sent,
            baseline = previous.is_none(),
            "asset inventory collected"
        );
        if let Some(path) = &store {
            let saved = serde_json::to_string(&snapshot).map_err(|e| e.to_string()).and_then(|json| {
                AssetSnapshots::open(path)
                    .and_then(|mut s| s.save(snapshot.time_unix_ns, &snapshot.host, &json))
                    .map_err(|e| e.to_string())
            });
            match saved {
                Ok(_) => store_failed = false,
                Err(e) if !store_failed => {
                    store_failed = true;
                    tracing::warn!(error = %e, "asset snapshot not saved in the store");
                }
                Err(_) => {}
            }
        }
        previous = Some(snapshot);
        // Counted from the end of the collection: a slow collection never
        // runs back to back with the next.
        let next = Instant::now() + interval;
        while Instant::now() < next {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            thread::sleep(STOP_POLL.min(next.saturating_duration_since(Instant::now())));
        }
    }
}

/// Tables whose changes are events (process churn, for one, is not).
fn emits(c: &Change) -> bool {
    assets::TableKind::from_name(&c.table).is_some_and(|t| t.emits_events())
}

/// The event of one change.
pub(crate) fn change_event(c: &Change) -> Event {
    let now = BootClock::boot_now_ns();
    Event {
        time_boot_ns: now,
        time_unix_ns: BootClock::now().to_unix_ns(now),
        process: Process { pid: std::process::id(), comm: "panoptes".into(), ..Default::default() }.into(),
        container: None,
        body: Body::AssetChange(AssetChange {
            table: c.table.clone(),
            change: c.change.clone(),
            key: c.key.clone(),
            summary: c.summary.clone(),
            details: c.details.clone(),
        }),
    }
}

fn send(tx: &Sender<Event>, counters: &Counters, c: &Change) -> bool {
    let kind = Some(EventKind::AssetChange);
    counters.received.inc(kind);
    match tx.try_send(change_event(c)) {
        Ok(()) => true,
        Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
            counters.sensor_queue.inc(kind);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn change(table: &str) -> Change {
        Change {
            table: table.into(),
            change: "added".into(),
            key: "k".into(),
            summary: "new user bob (uid 1000)".into(),
            details: BTreeMap::from([("name".into(), "bob".into())]),
        }
    }

    #[test]
    fn changes_become_events_and_a_full_queue_is_counted() {
        let counters = Counters::default();
        let (tx, rx) = bounded(1);
        assert!(send(&tx, &counters, &change("users")));
        assert!(!send(&tx, &counters, &change("users")));
        assert_eq!(counters.sensor_queue.get(Some(EventKind::AssetChange)), 1);
        assert_eq!(counters.received.get(Some(EventKind::AssetChange)), 2);
        let ev = rx.try_recv().unwrap();
        assert_eq!(ev.kind(), EventKind::AssetChange);
        let json: serde_json::Value = serde_json::from_str(&ev.to_json()).unwrap();
        assert_eq!(json["kind"], "asset_change");
        assert_eq!(json["asset"]["table"], "users");
        assert_eq!(json["asset"]["details"]["name"], "bob");
        assert!(emits(&change("suid")) && !emits(&change("processes")));
    }
}
