//! Output sinks: human lines on stdout, JSON lines to a file or stdout, and
//! webhooks (alerts only, see [`crate::webhook`]). Events and alerts go to
//! every sink that takes them: `stdout` and `jsonl=` take both,
//! `jsonl:alerts=` and `webhook=` only alerts. Writes are buffered and
//! flushed when the pipeline is idle or once a second, so a storm costs few
//! syscalls; an alert is flushed at once. A failed write is counted (and
//! warned about once per sink), never fatal.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use config::Output;
use event::{Alert, Event};

use crate::counters::Counters;
use crate::human;
use crate::webhook::{Webhook, WebhookOptions, WebhookStats};

const BUFFER: usize = 256 << 10;

enum Target {
    Stdout(BufWriter<io::Stdout>),
    File(BufWriter<File>),
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Target::Stdout(w) => w.write(buf),
            Target::File(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Target::Stdout(w) => w.flush(),
            Target::File(w) => w.flush(),
        }
    }
}

struct Sink {
    name: String,
    json: bool,
    alerts_only: bool,
    target: Target,
    failed: bool,
}

impl Sink {
    /// Counts a failed write or flush, warning the first time.
    fn check(&mut self, result: io::Result<()>, what: &str, counters: &Counters) {
        if let Err(e) = result {
            counters.sink_errors.fetch_add(1, Ordering::Relaxed);
            if !self.failed {
                tracing::warn!(sink = %self.name, error = %e, "output {what} failed; counting further failures");
                self.failed = true;
            }
        }
    }
}

/// Every configured output.
pub struct Sinks {
    sinks: Vec<Sink>,
    webhooks: Vec<Webhook>,
}

/// An output that could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("output {path}: {source}")]
pub struct SinkOpenError {
    pub path: PathBuf,
    pub source: io::Error,
}

impl Sinks {
    pub fn open(outputs: &[Output]) -> Result<Sinks, SinkOpenError> {
        let mut sinks = Vec::new();
        let mut webhooks = Vec::new();
        for output in outputs {
            let sink = match output {
                Output::Stdout => Sink {
                    name: "stdout".into(),
                    json: false,
                    alerts_only: false,
                    target: Target::Stdout(BufWriter::with_capacity(BUFFER, io::stdout())),
                    failed: false,
                },
                Output::Jsonl { path, alerts_only } => {
                    let (name, target) = match path {
                        None => ("jsonl:-".to_string(), Target::Stdout(BufWriter::with_capacity(BUFFER, io::stdout()))),
                        Some(path) => {
                            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                                std::fs::create_dir_all(dir)
                                    .map_err(|source| SinkOpenError { path: path.clone(), source })?;
                            }
                            let file = OpenOptions::new()
                                .create(true)
                                .append(true)
                                .open(path)
                                .map_err(|source| SinkOpenError { path: path.clone(), source })?;
                            (format!("jsonl:{}", path.display()), Target::File(BufWriter::with_capacity(BUFFER, file)))
                        }
                    };
                    Sink { name, json: true, alerts_only: *alerts_only, target, failed: false }
                }
                Output::Webhook { url } => {
                    let hook = Webhook::start(WebhookOptions::new(url))
                        .map_err(|source| SinkOpenError { path: PathBuf::from(url), source })?;
                    webhooks.push(hook);
                    continue;
                }
            };
            sinks.push(sink);
        }
        Ok(Sinks { sinks, webhooks })
    }

    /// Some sink writes events as JSON lines.
    pub fn wants_json(&self) -> bool {
        self.sinks.iter().any(|s| s.json && !s.alerts_only)
    }

    /// Writes one event to every sink that takes it (not the alert-only
    /// ones). `json` is the event's JSON when the caller rendered it already.
    pub fn write(&mut self, ev: &Event, json: Option<&str>, counters: &Counters) {
        let mut rendered: Option<String> = None;
        for sink in self.sinks.iter_mut().filter(|s| !s.alerts_only) {
            let result = if sink.json {
                let line = match json {
                    Some(j) => j,
                    None => rendered.get_or_insert_with(|| ev.to_json()).as_str(),
                };
                sink.target.write_all(line.as_bytes()).and_then(|_| sink.target.write_all(b"\n"))
            } else {
                writeln!(sink.target, "{}", human::line(ev))
            };
            sink.check(result, "write", counters);
        }
    }

    /// Writes one alert to every sink (JSON sinks its JSON line, `stdout`
    /// its human line) and queues it for every webhook, then flushes: an
    /// alert should not wait for the next tick.
    pub fn write_alert(&mut self, alert: &Alert, counters: &Counters) {
        let json = alert.to_json();
        for sink in &mut self.sinks {
            let result = if sink.json {
                sink.target.write_all(json.as_bytes()).and_then(|_| sink.target.write_all(b"\n"))
            } else {
                writeln!(sink.target, "{}", human::alert_line(alert))
            };
            sink.check(result, "write", counters);
        }
        for hook in &self.webhooks {
            hook.send(json.clone());
        }
        counters.alerts_written.fetch_add(1, Ordering::Relaxed);
        self.flush(counters);
    }

    /// Flushes every sink, then copies the webhooks' counters.
    pub fn flush(&mut self, counters: &Counters) {
        for sink in &mut self.sinks {
            let result = sink.target.flush();
            sink.check(result, "flush", counters);
        }
        self.mirror_webhooks(counters);
    }

    /// Flushes, sends what the webhooks still have queued (each waits a
    /// bounded time) and copies their final counters. Call once, before the
    /// summary; dropping `Sinks` without it closes the webhooks too.
    pub fn close(&mut self, counters: &Counters) {
        for sink in &mut self.sinks {
            let result = sink.target.flush();
            sink.check(result, "flush", counters);
        }
        for hook in &mut self.webhooks {
            hook.close();
        }
        self.mirror_webhooks(counters);
    }

    fn mirror_webhooks(&self, counters: &Counters) {
        if self.webhooks.is_empty() {
            return;
        }
        let mut total = WebhookStats::default();
        for hook in &self.webhooks {
            total += hook.stats();
        }
        counters.webhook_sent.store(total.sent, Ordering::Relaxed);
        counters.webhook_failed.store(total.failed, Ordering::Relaxed);
        counters.webhook_dropped.store(total.dropped, Ordering::Relaxed);
    }
}

#[cfg(test)]
#[path = "sinks_tests.rs"]
mod tests;
