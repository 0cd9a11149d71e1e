//! `panoptes run`, wired: eBPF sensor → decode → bounded queue → process
//! tree → sinks. Read [`run`] top to bottom to follow an event.
//!
//! Two threads: the sensor thread drains the ring buffer, decodes and
//! `try_send`s into a bounded queue (a full queue is a counted drop, the
//! kernel side is never blocked); the processing thread enriches, writes,
//! evicts exited processes and turns drop-counter movements into `loss`
//! events once a second.

mod assets;
mod containers;
mod counters;
mod detect;
pub mod human;
mod replay;
mod sinks;
mod sources;
mod summary;
#[cfg(test)]
mod test_http;
mod webhook;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use config::Config;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use event::time::BootClock;
use event::{Event, EventKind, Process};
use proctree::{ProcessTree, TreeOptions};
use sensor::EbpfError;
use store::{StoreError, StoreOptions, StoreWriter};

use crate::containers::Containers;
use crate::sources::{Item, Source};

pub use counters::{Counters, KindCounters, LossTracker};
pub use detect::{load_rules, Detect};
pub use replay::{replay_audit_log, replay_events};
pub use sinks::{SinkOpenError, Sinks};
pub use summary::{AlertsSummary, Summary};
pub use webhook::{Webhook, WebhookOptions, WebhookStats};

/// Printed on stderr once the probes are attached and the /proc snapshot is
/// loaded; scripts and tests wait for it.
pub const READY_LINE: &str = "panoptes: ready";

const TICK: Duration = Duration::from_secs(1);
/// Ring-buffer poll period: records below the kernel's wake-up threshold
/// wait at most this long (wire.h PN_POLL_MS).
const POLL_MS: i32 = sensor::wire::layout::PN_POLL_MS as i32;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Output(#[from] SinkOpenError),
    #[error("eBPF sensor: {0}")]
    Sensor(#[from] EbpfError),
    #[error("cannot start the sensor thread: {0}")]
    Thread(std::io::Error),
    #[error("{0}")]
    NoSensor(String),
    #[error("replay: {0}")]
    Replay(String),
    #[error("rules: {0}")]
    Rules(String),
    #[error("store: {0} (use --store PATH to put it elsewhere, or --no-store)")]
    Store(#[from] StoreError),
}

/// Where enriched events go after the process tree.
struct Outputs {
    sinks: Sinks,
    store: Option<StoreWriter>,
    containers: Option<Containers>,
    /// The rules; every event meets them, whatever the output keeps.
    detect: Option<Detect>,
    /// Some consumer wants the JSON form (rendered once per event).
    json: bool,
}

impl Outputs {
    /// Container enrichment; events of a container whose metadata is being
    /// fetched wait (in order, bounded) until it arrives or the wait ends.
    fn deliver(&mut self, mut ev: Event, counters: &Counters, wanted: bool) {
        match self.containers.as_mut() {
            Some(c) => {
                ev.container = c.lookup(&ev.process);
                // Names come from the host's passwd; a container has its own.
                if ev.container.is_some() && ev.process.uid != 0 {
                    std::sync::Arc::make_mut(&mut ev.process).user = None;
                }
                if let Some(ready) = c.hold(ev, wanted, counters) {
                    for (ev, wanted) in ready {
                        self.emit(ev, counters, wanted);
                    }
                }
            }
            None => self.emit(ev, counters, wanted),
        }
    }

    /// Releases held events whose metadata arrived or whose wait is over
    /// (all of them when `all`).
    fn release(&mut self, counters: &Counters, all: bool) {
        let ready = match self.containers.as_mut() {
            Some(c) => c.release(counters, all),
            None => return,
        };
        for (ev, wanted) in ready {
            self.emit(ev, counters, wanted);
        }
    }

    fn emit(&mut self, ev: Event, counters: &Counters, wanted: bool) {
        if let Some(detect) = self.detect.as_mut() {
            for alert in detect.run(&ev) {
                self.sinks.write_alert(&alert, counters);
                if let Some(store) = &self.store {
                    if !store.submit_alert(&alert) {
                        counters.store_queue.inc(None);
                    }
                }
            }
        }
        if !wanted {
            counters.filtered.inc(Some(ev.kind()));
            return;
        }
        let kind = ev.kind();
        let json = self.json.then(|| ev.to_json());
        self.sinks.write(&ev, json.as_deref(), counters);
        if let (Some(store), Some(json)) = (&self.store, json.as_deref()) {
            if !store.submit(&ev, json) {
                counters.store_queue.inc(Some(kind));
            }
        }
        counters.emitted.inc(Some(kind));
    }
}

/// Runs until `stop` is set or the configured duration passes.
pub fn run(cfg: &Config, stop: &AtomicBool) -> Result<Summary, PipelineError> {
    let started = Instant::now();
    let sinks = Sinks::open(&cfg.outputs)?;
    let detect = Detect::new(load_rules(&cfg.rules)?, &cfg.rules);

    // The tree needs process lifecycle events, and the rules the kinds
    // they match, whatever the user narrows the output to.
    let mut traced = cfg.kinds.clone();
    for kind in [EventKind::Exec, EventKind::Fork, EventKind::Exit].into_iter().chain(detect.kinds()) {
        if !traced.contains(&kind) {
            traced.push(kind);
        }
    }
    let kills = detect.kernel_kills(cfg.rules.actions);
    let started_source = sources::start(cfg, traced, &kills)?;
    let report = started_source.report.clone();
    // The store and the resolver start after the sensor: without the
    // privileges to watch, the user hears about that first.
    let store = match &cfg.store {
        Some(s) => Some(StoreWriter::start(StoreOptions {
            max_age: s.max_age,
            max_bytes: s.max_bytes,
            ..StoreOptions::at(&s.path)
        })?),
        None => None,
    };
    let json = sinks.wants_json() || store.is_some();
    let containers = cfg.containers.as_ref().map(Containers::start);
    let mut outputs = Outputs { sinks, store, containers, detect: Some(detect), json };
    summary::log_degradation(&report);

    let mut tree = ProcessTree::new(TreeOptions {
        exit_linger_ns: cfg.exit_linger.as_nanos() as u64,
        max_processes: cfg.max_processes,
        ..TreeOptions::default()
    });
    let snapshot = tree.snapshot_proc();
    tracing::info!(processes = snapshot, sensor = started_source.name, "process tree loaded from /proc");

    let counters = Arc::new(Counters::default());
    let (tx, rx) = bounded::<Event>(cfg.queue_capacity);
    let sensor_stop = Arc::new(AtomicBool::new(false));
    let sensor_name = started_source.name;
    let source = started_source.source;
    let sensor_thread = {
        let (counters, sensor_stop) = (counters.clone(), sensor_stop.clone());
        thread::Builder::new()
            .name("sensor".into())
            .spawn(move || sensor_loop(source, tx, &counters, &sensor_stop))
            .map_err(PipelineError::Thread)?
    };
    let asset_watch = assets::AssetWatch::start(cfg, counters.clone()).map_err(PipelineError::Thread)?;
    eprintln!("{READY_LINE} (sensor {}: {})", started_source.name, started_source.detail);

    let mut wanted = [false; EventKind::ALL.len()];
    for kind in &cfg.kinds {
        wanted[*kind as usize] = true;
    }
    let mut loss = LossTracker::default();
    let mut last_tick = Instant::now();
    process_loop(&rx, &mut tree, &mut outputs, &counters, &wanted, |tree, outputs| {
        if stop.load(Ordering::Relaxed) || cfg.duration.is_some_and(|d| started.elapsed() >= d) {
            sensor_stop.store(true, Ordering::Relaxed);
        }
        outputs.release(&counters, false);
        if let Some(watch) = &asset_watch {
            watch.drain(|ev| outputs.deliver(ev, &counters, wanted[EventKind::AssetChange as usize]));
        }
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            tree.evict(BootClock::boot_now_ns());
            if let Some(d) = outputs.detect.as_mut() {
                d.tick();
            }
            emit_loss(&mut loss, &counters, outputs);
            outputs.sinks.flush(&counters);
        }
    });
    if sensor_thread.join().is_err() {
        tracing::error!("sensor thread panicked");
    }
    outputs.release(&counters, true);
    emit_loss(&mut loss, &counters, &mut outputs);
    outputs.sinks.close(&counters);
    let store_stats = outputs.store.take().map(StoreWriter::close);
    let container_stats = outputs.containers.as_ref().map(|c| c.resolver().stats());
    Ok(Summary::new(sensor_name, &counters, &tree.stats(), &report, started.elapsed())
        .with_store(store_stats)
        .with_containers(container_stats)
        .with_rules(outputs.detect.as_ref().map(|d| d.stats())))
}

/// Receives until the sensor thread hangs up, calling `tick` between
/// batches and on idle.
fn process_loop(
    rx: &Receiver<Event>,
    tree: &mut ProcessTree,
    outputs: &mut Outputs,
    counters: &Counters,
    wanted: &[bool],
    mut tick: impl FnMut(&mut ProcessTree, &mut Outputs),
) {
    loop {
        match rx.recv_timeout(Duration::from_millis(POLL_MS as u64)) {
            Ok(mut ev) => {
                tree.enrich(&mut ev);
                let wanted = wanted[ev.kind() as usize];
                outputs.deliver(ev, counters, wanted);
            }
            Err(RecvTimeoutError::Timeout) => outputs.sinks.flush(counters),
            Err(RecvTimeoutError::Disconnected) => return,
        }
        tick(tree, outputs);
    }
}

fn emit_loss(loss: &mut LossTracker, counters: &Counters, outputs: &mut Outputs) {
    for body in loss.poll(counters) {
        let now = BootClock::boot_now_ns();
        let ev = Event {
            time_boot_ns: now,
            time_unix_ns: BootClock::now().to_unix_ns(now),
            process: Process { pid: std::process::id(), comm: "panoptes".into(), ..Default::default() }.into(),
            container: None,
            body,
        };
        tracing::warn!(event = %human::detail(&ev.body), "events dropped");
        outputs.deliver(ev, counters, true);
    }
}

/// Drains the source into the queue until told to stop, then drains once
/// more so nothing already read by the kernel side is left behind.
fn sensor_loop(mut source: Box<dyn Source>, tx: Sender<Event>, counters: &Counters, stop: &AtomicBool) {
    let mut last_tick = Instant::now();
    let mut handle = |item: Item| match item {
        Item::Event(ev) => {
            let kind = ev.kind();
            counters.received.inc(Some(kind));
            if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = tx.try_send(ev) {
                counters.sensor_queue.inc(Some(kind));
            }
        }
        Item::Malformed { kind, error } => {
            if counters.decode.total() == 0 {
                tracing::warn!(%error, "malformed sensor record; counting further ones");
            }
            counters.decode.inc(kind);
        }
    };
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        source.poll(if stopping { 0 } else { POLL_MS }, &mut handle);
        if stopping || last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            source.tick(counters);
        }
        if stopping {
            source.drain(&mut handle);
            source.close();
            return;
        }
    }
}
