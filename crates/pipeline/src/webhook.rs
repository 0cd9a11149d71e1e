//! The webhook output (`--output webhook=URL`): every alert is POSTed as its
//! JSON line (`Content-Type: application/json`) by a thread of its own, so
//! a slow or dead endpoint never holds up the event path.
//!
//! Bounded and counted: alerts wait in a queue of [`WebhookOptions::capacity`];
//! a full queue drops the alert (`dropped`). Each request has a timeout;
//! connection errors, timeouts, 429 and 5xx answers are retried with
//! exponential backoff up to [`WebhookOptions::attempts`] times, then the
//! alert counts as `failed` (other answers fail at once: retrying a 4xx does
//! not help). One warning per outage, one info line when delivery recovers.
//! On close the queue is drained for at most [`WebhookOptions::close_wait`];
//! what is still undelivered then counts as failed. Proxies come from the
//! usual environment variables (`HTTPS_PROXY`, `NO_PROXY`, ...).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TryRecvError, TrySendError};
use serde::Serialize;

/// How a webhook delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookOptions {
    /// http:// or https:// URL the alerts are POSTed to.
    pub url: String,
    /// Alerts waiting for the sender thread; beyond this they are dropped.
    pub capacity: usize,
    /// Whole-request timeout (connect, send, answer).
    pub timeout: Duration,
    /// Tries per alert, the first included.
    pub attempts: u32,
    /// Wait before the second try; doubled before each further one.
    pub backoff: Duration,
    /// Longest `close` waits for queued alerts to go out.
    pub close_wait: Duration,
}

impl WebhookOptions {
    /// The defaults for `url`: 1024 queued alerts, 5 s timeout, 3 tries
    /// (0.5 s, then 1 s apart), 5 s to drain at shutdown.
    pub fn new(url: &str) -> WebhookOptions {
        WebhookOptions {
            url: url.to_string(),
            capacity: 1024,
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(500),
            close_wait: Duration::from_secs(5),
        }
    }
}

/// What a webhook did, as the summary shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WebhookStats {
    /// Alerts the endpoint accepted (2xx).
    pub sent: u64,
    /// Alerts given up on: retries exhausted, a 4xx, or still queued when
    /// the close wait ran out.
    pub failed: u64,
    /// Alerts refused because the queue was full.
    pub dropped: u64,
}

impl std::ops::AddAssign for WebhookStats {
    fn add_assign(&mut self, other: WebhookStats) {
        self.sent += other.sent;
        self.failed += other.failed;
        self.dropped += other.dropped;
    }
}

/// Counters shared by the caller and the sender thread.
#[derive(Default)]
struct Shared {
    queued: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    /// A full queue was already reported in this outage.
    full_warned: AtomicBool,
}

impl Shared {
    fn snapshot(&self) -> WebhookStats {
        WebhookStats {
            sent: self.sent.load(Relaxed),
            failed: self.failed.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
        }
    }
}

/// One webhook output and its sender thread.
pub struct Webhook {
    target: String,
    queue: Option<Sender<String>>,
    /// Dropped to tell the thread that shutdown started.
    closing: Option<Sender<()>>,
    /// Disconnects when the thread is done.
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    close_wait: Duration,
    closed: Option<WebhookStats>,
}

impl Webhook {
    /// Starts the sender thread.
    pub fn start(opts: WebhookOptions) -> std::io::Result<Webhook> {
        let (queue, alerts) = bounded(opts.capacity.max(1));
        let (closing, closing_rx) = bounded::<()>(0);
        let (done_tx, done) = bounded::<()>(0);
        let shared = Arc::new(Shared::default());
        let target = redact(&opts.url);
        let sender = Delivery {
            agent: agent(opts.timeout),
            target: target.clone(),
            shared: shared.clone(),
            closing: closing_rx,
            close_deadline: None,
            failing_since: None,
            opts: opts.clone(),
        };
        let thread = thread::Builder::new().name("panoptes-webhook".into()).spawn(move || {
            sender.run(alerts);
            drop(done_tx);
        })?;
        tracing::info!(url = %target, "webhook: posting alerts");
        Ok(Webhook {
            target,
            queue: Some(queue),
            closing: Some(closing),
            done,
            thread: Some(thread),
            shared,
            close_wait: opts.close_wait,
            closed: None,
        })
    }

    /// Queues one alert's JSON. Never blocks; `false` when the queue is full
    /// (counted in `dropped`, warned about once per outage).
    pub fn send(&self, json: String) -> bool {
        let Some(queue) = &self.queue else { return false };
        match queue.try_send(json) {
            Ok(()) => {
                self.shared.queued.fetch_add(1, Relaxed);
                true
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.dropped.fetch_add(1, Relaxed);
                if !self.shared.full_warned.swap(true, Relaxed) {
                    tracing::warn!(url = %self.target, "webhook: queue full, dropping alerts (counted) until it drains");
                }
                false
            }
        }
    }

    /// The counters now (final ones once closed).
    pub fn stats(&self) -> WebhookStats {
        self.closed.unwrap_or_else(|| self.shared.snapshot())
    }

    /// Sends what is queued, waiting at most `close_wait`, and returns the
    /// final counters; alerts still undelivered then count as failed.
    pub fn close(&mut self) -> WebhookStats {
        if let Some(stats) = self.closed {
            return stats;
        }
        drop(self.queue.take());
        drop(self.closing.take());
        let stats = match self.done.recv_timeout(self.close_wait) {
            Err(RecvTimeoutError::Timeout) => {
                let mut stats = self.shared.snapshot();
                let queued = self.shared.queued.load(Relaxed);
                let undelivered = queued.saturating_sub(stats.sent + stats.failed);
                tracing::warn!(url = %self.target, undelivered, wait = ?self.close_wait,
                    "webhook: alerts still undelivered at shutdown are counted as failed");
                stats.failed += undelivered;
                // The thread ends on its own within one request timeout.
                drop(self.thread.take());
                stats
            }
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                if let Some(thread) = self.thread.take() {
                    if thread.join().is_err() {
                        tracing::warn!(url = %self.target, "webhook: sender thread panicked");
                    }
                }
                self.shared.snapshot()
            }
        };
        self.closed = Some(stats);
        stats
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.close();
    }
}

/// The HTTP client: whole-request timeout, statuses as values.
fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(format!("panoptes/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// `scheme://host[:port]` of a URL: paths and queries of webhook URLs often
/// hold tokens, which do not belong in logs.
fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// How one POST ended.
enum Outcome {
    Delivered,
    /// Worth another try (connection error, timeout, 429, 5xx).
    Retry(String),
    /// Not worth another try (other statuses).
    Refused(String),
}

/// The sender thread's state.
struct Delivery {
    agent: ureq::Agent,
    target: String,
    shared: Arc<Shared>,
    closing: Receiver<()>,
    close_deadline: Option<Instant>,
    /// Failures since delivery last worked (`None`: not failing).
    failing_since: Option<u64>,
    opts: WebhookOptions,
}

impl Delivery {
    /// Delivers until the queue is closed and drained.
    fn run(mut self, alerts: Receiver<String>) {
        for json in alerts.iter() {
            self.deliver(&json);
        }
    }

    fn deliver(&mut self, json: &str) {
        let mut reason = String::new();
        for attempt in 0..self.opts.attempts.max(1) {
            if attempt > 0 && !self.wait(self.opts.backoff.saturating_mul(1 << (attempt - 1).min(16))) {
                break;
            }
            if self.out_of_time() {
                reason = "shutting down".into();
                break;
            }
            match self.post(json) {
                Outcome::Delivered => {
                    self.shared.sent.fetch_add(1, Relaxed);
                    self.recovered();
                    return;
                }
                Outcome::Retry(why) => reason = why,
                Outcome::Refused(why) => {
                    reason = why;
                    break;
                }
            }
        }
        self.shared.failed.fetch_add(1, Relaxed);
        let failures = self.failing_since.map_or(1, |n| n + 1);
        if self.failing_since.is_none() {
            tracing::warn!(url = %self.target, error = %reason,
                "webhook: alert delivery failing; further failures are counted until it recovers");
        } else {
            tracing::debug!(url = %self.target, error = %reason, "webhook: alert not delivered");
        }
        self.failing_since = Some(failures);
    }

    fn post(&self, json: &str) -> Outcome {
        let sent = self.agent.post(&self.opts.url).header("Content-Type", "application/json").send(json.as_bytes());
        match sent {
            Ok(mut response) => {
                let status = response.status().as_u16();
                // Read (a bounded amount of) the answer so the connection
                // can be reused.
                let _ = response.body_mut().with_config().limit(64 << 10).read_to_vec();
                match status {
                    200..=299 => Outcome::Delivered,
                    429 | 500..=599 => Outcome::Retry(format!("HTTP {status}")),
                    _ => Outcome::Refused(format!("HTTP {status}")),
                }
            }
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }

    fn recovered(&mut self) {
        if let Some(failures) = self.failing_since.take() {
            tracing::info!(url = %self.target, failures, "webhook: delivering alerts again");
        }
        self.shared.full_warned.store(false, Relaxed);
    }

    /// Notes when shutdown started; true once its wait is used up.
    fn out_of_time(&mut self) -> bool {
        if self.close_deadline.is_none() && self.closing.try_recv() == Err(TryRecvError::Disconnected) {
            self.close_deadline = Some(Instant::now() + self.opts.close_wait);
        }
        self.close_deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Sleeps `pause`, never past the shutdown deadline; false when out
    /// of time.
    fn wait(&mut self, pause: Duration) -> bool {
        let mut until = Instant::now() + pause;
        if self.close_deadline.is_none() {
            if let Err(RecvTimeoutError::Disconnected) = self.closing.recv_deadline(until) {
                self.close_deadline = Some(Instant::now() + self.opts.close_wait);
            }
        }
        if let Some(deadline) = self.close_deadline {
            until = until.min(deadline);
        }
        thread::sleep(until.saturating_duration_since(Instant::now()));
        !self.out_of_time()
    }
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
