//! Whether a runtime answers, and how long to wait before asking again.
//!
//! An outage starts at the first failed request after a success (or at the
//! first request ever) and ends at the next success. Each start logs exactly
//! one `warn` and bumps `warnings`; each end logs one `info` and bumps
//! `recoveries`; the failures in between only log at `debug`, so a dead
//! socket costs one log line, not one per lookup. The wait before a retry
//! doubles from `retry_min` up to `retry_max`.

use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::cgroup::Runtime;
use crate::error::FetchError;
use crate::stats::{bump, RuntimeCounters};

/// Outage state of one runtime.
#[derive(Debug)]
pub(crate) struct Health {
    runtime: Runtime,
    down: bool,
    backoff: Duration,
    retry_min: Duration,
    retry_max: Duration,
}

impl Health {
    pub fn new(runtime: Runtime, retry_min: Duration, retry_max: Duration) -> Self {
        let retry_min = retry_min.max(Duration::from_millis(1));
        Health { runtime, down: false, backoff: Duration::ZERO, retry_min, retry_max: retry_max.max(retry_min) }
    }

    /// The runtime answered (found or not found).
    pub fn on_success(&mut self, counters: &RuntimeCounters) {
        if self.down {
            tracing::info!(runtime = %self.runtime, "container runtime answers again; container metadata restored");
            bump(&counters.recoveries);
            counters.down.store(false, Relaxed);
            self.down = false;
        }
        self.backoff = Duration::ZERO;
    }

    /// A request failed: warn if this starts an outage, and return how long
    /// to wait before the next try.
    pub fn on_failure(&mut self, error: &FetchError, socket: &Path, counters: &RuntimeCounters) -> Duration {
        bump(&counters.fetch_errors);
        if self.down {
            self.backoff = (self.backoff * 2).clamp(self.retry_min, self.retry_max);
            tracing::debug!(runtime = %self.runtime, %error, retry_in = ?self.backoff, "container runtime still unavailable");
        } else {
            self.down = true;
            self.backoff = self.retry_min;
            counters.down.store(true, Relaxed);
            bump(&counters.warnings);
            tracing::warn!(
                runtime = %self.runtime,
                socket = %socket.display(),
                %error,
                "container runtime unavailable: containers of this runtime carry only id and runtime \
                 until it answers; retrying with backoff (check that the runtime runs and the socket path is right)"
            );
        }
        bump(&counters.retries);
        self.backoff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(h: &mut Health, c: &RuntimeCounters) -> Duration {
        h.on_failure(&FetchError::Timeout(Duration::from_secs(1)), Path::new("/nowhere"), c)
    }

    #[test]
    fn one_warning_per_outage_and_doubling_backoff() {
        let c = RuntimeCounters::default();
        let mut h = Health::new(Runtime::Docker, Duration::from_secs(1), Duration::from_secs(5));
        let waits: Vec<u64> = (0..5).map(|_| fail(&mut h, &c).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        assert_eq!(c.warnings.load(Relaxed), 1);
        assert_eq!(c.fetch_errors.load(Relaxed), 5);
        assert!(c.down.load(Relaxed) && h.down);

        h.on_success(&c);
        h.on_success(&c);
        assert_eq!(c.recoveries.load(Relaxed), 1);
        assert!(!c.down.load(Relaxed));

        assert_eq!(fail(&mut h, &c).as_secs(), 1, "a new outage starts at retry_min");
        assert_eq!(c.warnings.load(Relaxed), 2);
    }

    #[test]
    fn degenerate_bounds_are_fixed() {
        let c = RuntimeCounters::default();
        let mut h = Health::new(Runtime::CriO, Duration::ZERO, Duration::ZERO);
        assert!(fail(&mut h, &c) >= Duration::from_millis(1));
        assert!(fail(&mut h, &c) >= Duration::from_millis(1));
    }
}
