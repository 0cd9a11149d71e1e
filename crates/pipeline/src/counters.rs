//! Counters shared by the sensor thread and the processing thread: per
//! event kind, per hop. Every drop anywhere on the event path lands here,
//! and [`LossTracker`] turns movements into `loss` events.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use event::{Body, EventKind, Loss};

/// Slots: one per kind, plus one for records whose kind is unknown.
const SLOTS: usize = EventKind::ALL.len() + 1;
const UNKNOWN: usize = SLOTS - 1;

/// One counter per event kind.
pub struct KindCounters([AtomicU64; SLOTS]);

impl Default for KindCounters {
    fn default() -> Self {
        KindCounters(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl KindCounters {
    fn slot(kind: Option<EventKind>) -> usize {
        kind.map_or(UNKNOWN, |k| k as usize)
    }

    pub fn add(&self, kind: Option<EventKind>, n: u64) {
        self.0[Self::slot(kind)].fetch_add(n, Ordering::Relaxed);
    }

    pub fn inc(&self, kind: Option<EventKind>) {
        self.add(kind, 1);
    }

    /// For counters mirrored from elsewhere (the kernel's drop map).
    pub fn set(&self, kind: Option<EventKind>, value: u64) {
        self.0[Self::slot(kind)].store(value, Ordering::Relaxed);
    }

    pub fn get(&self, kind: Option<EventKind>) -> u64 {
        self.0[Self::slot(kind)].load(Ordering::Relaxed)
    }

    pub fn total(&self) -> u64 {
        self.0.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Non-zero counts by kind name (`unknown` for the extra slot).
    pub fn by_name(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for kind in EventKind::ALL {
            let n = self.get(Some(*kind));
            if n > 0 {
                out.insert(kind.name().to_string(), n);
            }
        }
        let n = self.get(None);
        if n > 0 {
            out.insert("unknown".into(), n);
        }
        out
    }
}

/// Drop hops, in pipeline order.
pub const HOPS: [&str; 4] = ["kernel_ringbuf", "decode", "sensor_queue", "store_queue"];

#[derive(Default)]
pub struct Counters {
    /// Records decoded from the kernel.
    pub received: KindCounters,
    /// Events written to the sinks.
    pub emitted: KindCounters,
    /// Events the process tree and the rules saw but the output left out
    /// (`--events`): traced only because the tree or a rule needs them.
    pub filtered: KindCounters,
    /// Kernel could not reserve ring-buffer space (mirrored from the map).
    pub kernel_ringbuf: KindCounters,
    /// Records that failed to decode.
    pub decode: KindCounters,
    /// Sensor → processing queue was full.
    pub sensor_queue: KindCounters,
    /// Store writer queue was full (the event still reached the sinks).
    pub store_queue: KindCounters,
    /// Sink write failures (events not written to one sink).
    pub sink_errors: AtomicU64,
    /// Events sent on without container metadata because the wait for it
    /// ran out.
    pub container_wait_expired: AtomicU64,
    /// Alerts written to the outputs (each counted once, whatever the
    /// number of outputs).
    pub alerts_written: AtomicU64,
    /// Webhook deliveries, mirrored from the webhook threads (summed over
    /// webhooks): accepted by the endpoint, given up on, dropped because the
    /// queue was full.
    pub webhook_sent: AtomicU64,
    pub webhook_failed: AtomicU64,
    pub webhook_dropped: AtomicU64,
}

impl Counters {
    pub fn hop(&self, hop: &str) -> Option<&KindCounters> {
        match hop {
            "kernel_ringbuf" => Some(&self.kernel_ringbuf),
            "decode" => Some(&self.decode),
            "sensor_queue" => Some(&self.sensor_queue),
            "store_queue" => Some(&self.store_queue),
            _ => None,
        }
    }

    pub fn drops_total(&self) -> u64 {
        HOPS.iter().filter_map(|h| self.hop(h)).map(KindCounters::total).sum()
    }
}

/// Remembers what was last reported per hop and kind, so each `loss` event
/// carries only the drops since the previous one.
#[derive(Default)]
pub struct LossTracker {
    reported: BTreeMap<(&'static str, String), u64>,
}

impl LossTracker {
    /// Loss bodies for every hop whose counters moved.
    pub fn poll(&mut self, counters: &Counters) -> Vec<Body> {
        let mut out = Vec::new();
        for hop in HOPS {
            let Some(kc) = counters.hop(hop) else { continue };
            let mut by_kind = BTreeMap::new();
            for (name, now) in kc.by_name() {
                let before = self.reported.insert((hop, name.clone()), now).unwrap_or(0);
                if now > before {
                    by_kind.insert(name, now - before);
                }
            }
            if !by_kind.is_empty() {
                let count = by_kind.values().sum();
                out.push(Body::Loss(Loss { hop: hop.to_string(), by_kind, count, total: kc.total() }));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_reports_deltas_once() {
        let c = Counters::default();
        let mut t = LossTracker::default();
        assert!(t.poll(&c).is_empty());
        c.sensor_queue.add(Some(EventKind::Exec), 3);
        c.kernel_ringbuf.set(Some(EventKind::FileOpen), 7);
        c.decode.inc(None);
        let bodies = t.poll(&c);
        assert_eq!(bodies.len(), 3);
        let Body::Loss(l) = &bodies[0] else { panic!() };
        assert_eq!((l.hop.as_str(), l.count), ("kernel_ringbuf", 7));
        let Body::Loss(l) = &bodies[1] else { panic!() };
        assert_eq!(l.by_kind.get("unknown"), Some(&1));
        assert!(t.poll(&c).is_empty(), "nothing new, nothing reported");
        c.sensor_queue.inc(Some(EventKind::Exec));
        let bodies = t.poll(&c);
        let Body::Loss(l) = &bodies[0] else { panic!() };
        assert_eq!((l.count, l.total), (1, 4));
        assert_eq!(c.drops_total(), 12);
    }
}
