//! The resolver's counters: bumped lock-free on the lookup path and by the
//! background thread, read as one [`Stats`] snapshot.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use serde::Serialize;

use crate::cgroup::Runtime;

/// A snapshot of the resolver's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Lookups answered with full metadata from the cache.
    pub hits: u64,
    /// Lookups answered with the id-only container.
    pub misses: u64,
    /// Requests sent to runtimes (first tries and retries).
    pub fetches: u64,
    /// Requests that failed (socket missing, timeout, garbage answer).
    pub fetch_errors: u64,
    /// Fetch requests dropped because a runtime's request queue was full.
    pub queue_drops: u64,
    /// Containers with full metadata in the cache now.
    pub cached: u64,
    /// Outages warned about (one warning per runtime per outage).
    pub warnings: u64,
    /// Waits before a retry after a failed request.
    pub retries: u64,
    /// Outages that ended (the runtime answered again).
    pub recoveries: u64,
    /// Lookups of containers the runtime did not know.
    pub not_found: u64,
    /// Cache entries dropped to stay within the cache capacity.
    pub evictions: u64,
    /// The same counters per runtime, in [`Runtime::ALL`] order.
    pub runtimes: Vec<RuntimeStats>,
}

impl Stats {
    /// The counters of one runtime.
    pub fn runtime(&self, runtime: Runtime) -> RuntimeStats {
        self.runtimes.get(runtime.index()).cloned().unwrap_or_else(|| RuntimeStats::empty(runtime))
    }
}

/// Counters of one runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeStats {
    pub runtime: Runtime,
    pub fetches: u64,
    pub fetch_errors: u64,
    pub warnings: u64,
    pub retries: u64,
    pub recoveries: u64,
    pub queue_drops: u64,
    /// In an outage now.
    pub down: bool,
}

impl RuntimeStats {
    fn empty(runtime: Runtime) -> Self {
        RuntimeStats {
            runtime,
            fetches: 0,
            fetch_errors: 0,
            warnings: 0,
            retries: 0,
            recoveries: 0,
            queue_drops: 0,
            down: false,
        }
    }
}

impl Serialize for Runtime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Per-runtime live counters.
#[derive(Debug, Default)]
pub(crate) struct RuntimeCounters {
    pub fetches: AtomicU64,
    pub fetch_errors: AtomicU64,
    pub warnings: AtomicU64,
    pub retries: AtomicU64,
    pub recoveries: AtomicU64,
    pub queue_drops: AtomicU64,
    pub down: AtomicBool,
}

/// Live counters shared by the lookup path and the background thread.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub not_found: AtomicU64,
    pub evictions: AtomicU64,
    runtimes: [RuntimeCounters; 4],
}

impl Counters {
    pub fn of(&self, runtime: Runtime) -> &RuntimeCounters {
        &self.runtimes[runtime.index()]
    }

    pub fn snapshot(&self, cached: u64) -> Stats {
        let runtimes: Vec<RuntimeStats> = Runtime::ALL
            .iter()
            .map(|&runtime| {
                let c = self.of(runtime);
                RuntimeStats {
                    runtime,
                    fetches: c.fetches.load(Relaxed),
                    fetch_errors: c.fetch_errors.load(Relaxed),
                    warnings: c.warnings.load(Relaxed),
                    retries: c.retries.load(Relaxed),
                    recoveries: c.recoveries.load(Relaxed),
                    queue_drops: c.queue_drops.load(Relaxed),
                    down: c.down.load(Relaxed),
                }
            })
            .collect();
        let sum = |f: fn(&RuntimeStats) -> u64| runtimes.iter().map(f).sum::<u64>();
        Stats {
            hits: self.hits.load(Relaxed),
            misses: self.misses.load(Relaxed),
            fetches: sum(|r| r.fetches),
            fetch_errors: sum(|r| r.fetch_errors),
            queue_drops: sum(|r| r.queue_drops),
            cached,
            warnings: sum(|r| r.warnings),
            retries: sum(|r| r.retries),
            recoveries: sum(|r| r.recoveries),
            not_found: self.not_found.load(Relaxed),
            evictions: self.evictions.load(Relaxed),
            runtimes,
        }
    }
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_sum_runtimes() {
        let c = Counters::default();
        bump(&c.of(Runtime::Docker).warnings);
        bump(&c.of(Runtime::CriO).warnings);
        bump(&c.of(Runtime::CriO).fetches);
        bump(&c.hits);
        let s = c.snapshot(0);
        assert_eq!((s.warnings, s.fetches, s.hits), (2, 1, 1));
        assert_eq!(s.runtime(Runtime::CriO).warnings, 1);
        assert_eq!(s.runtime(Runtime::Podman).warnings, 0);
        assert_eq!(s.runtimes.len(), 4);
    }

    #[test]
    fn serialises_runtime_by_name() {
        let s = Counters::default().snapshot(0);
        let json = serde_json::to_string(&s.runtime(Runtime::CriO)).unwrap_or_default();
        assert!(json.contains("\"runtime\":\"cri-o\""), "{json}");
    }
}
