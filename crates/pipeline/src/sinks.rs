//! Output sinks: human lines on stdout, JSON lines to a file or stdout, the
//! binary recording (events only, see [`event::record`]) and webhooks
//! (alerts only, see [`crate::webhook`]). Events and alerts go to every sink
//! that takes them: `stdout` and `jsonl=` take both, `record=` only events,
//! `jsonl:alerts=` and `webhook=` only alerts. Writes are buffered and
//! flushed when the pipeline is idle or once a second, so a storm costs few
//! syscalls; an alert is flushed at once (in a replay, batched like events). A
//! failed write is counted (and warned about once per sink), never fatal.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use config::Output;
use event::record::Encoder;
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

/// How a sink writes.
enum Format {
    Human,
    Json,
    /// The encoder remembers what the file defines; `buf` is reused.
    Record {
        encoder: Box<Encoder>,
        buf: Vec<u8>,
    },
}

struct Sink {
    name: String,
    format: Format,
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
    /// Flush after each alert (live runs); a replay writes alerts in
    /// batches like events.
    flush_alerts: bool,
    /// The alert being written, as JSON (reused).
    alert_json: Vec<u8>,
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
                    format: Format::Human,
                    alerts_only: false,
                    target: Target::Stdout(BufWriter::with_capacity(BUFFER, io::stdout())),
                    failed: false,
                },
                Output::Jsonl { path, alerts_only } => {
                    let (name, target) = open_target("jsonl", path)?;
                    Sink { name, format: Format::Json, alerts_only: *alerts_only, target, failed: false }
                }
                Output::Record { path } => {
                    let (name, target) = open_target("record", path)?;
                    let format = Format::Record { encoder: Box::default(), buf: Vec::new() };
                    Sink { name, format, alerts_only: false, target, failed: false }
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
        Ok(Sinks { sinks, webhooks, flush_alerts: true, alert_json: Vec::new() })
    }

    /// Alerts wait in the buffers like events (a replay: nobody watches
    /// the file while it runs, and a flush per alert is a write each).
    pub fn batch_alerts(&mut self) {
        self.flush_alerts = false;
    }

    /// Some sink writes events as JSON lines.
    pub fn wants_json(&self) -> bool {
        self.sinks.iter().any(|s| matches!(s.format, Format::Json) && !s.alerts_only)
    }

    /// Writes one event to every sink that takes it (not the alert-only
    /// ones). `json` is the event's JSON when the caller rendered it already.
    pub fn write(&mut self, ev: &Event, json: Option<&str>, counters: &Counters) {
        let mut rendered: Option<String> = None;
        for sink in self.sinks.iter_mut().filter(|s| !s.alerts_only) {
            let result = match &mut sink.format {
                Format::Json => {
                    let line = match json {
                        Some(j) => j,
                        None => rendered.get_or_insert_with(|| ev.to_json()).as_str(),
                    };
                    sink.target.write_all(line.as_bytes()).and_then(|_| sink.target.write_all(b"\n"))
                }
                Format::Human => writeln!(sink.target, "{}", human::line(ev)),
                Format::Record { encoder, buf } => {
                    buf.clear();
                    encoder.encode(ev, buf);
                    let result = sink.target.write_all(buf);
                    if result.is_err() {
                        // Part of a definition may be lost: the next event
                        // starts a new part (header, definitions again).
                        encoder.restart();
                    }
                    result
                }
            };
            sink.check(result, "write", counters);
        }
    }

    /// Writes one alert to every sink (JSON sinks its JSON line, `stdout`
    /// its human line) and queues it for every webhook, then flushes (unless
    /// [`Sinks::batch_alerts`]): an alert should not wait for the next tick.
    pub fn write_alert(&mut self, alert: &Alert, counters: &Counters) {
        let json = &mut self.alert_json;
        json.clear();
        alert.write_json(json);
        for sink in &mut self.sinks {
            let result = match sink.format {
                Format::Json => sink.target.write_all(json).and_then(|_| sink.target.write_all(b"\n")),
                Format::Human => writeln!(sink.target, "{}", human::alert_line(alert)),
                // A recording holds events; a replay finds the alerts again.
                Format::Record { .. } => continue,
            };
            sink.check(result, "write", counters);
        }
        if !self.webhooks.is_empty() {
            let text = String::from_utf8_lossy(json);
            for hook in &self.webhooks {
                hook.send(text.to_string());
            }
        }
        counters.alerts_written.fetch_add(1, Ordering::Relaxed);
        if self.flush_alerts {
            self.flush(counters);
        }
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

/// Opens `path` for appending (creating its directory), or stdout for
/// `None`; the sink's name is `kind:path`.
fn open_target(kind: &str, path: &Option<PathBuf>) -> Result<(String, Target), SinkOpenError> {
    let Some(path) = path else {
        return Ok((format!("{kind}:-"), Target::Stdout(BufWriter::with_capacity(BUFFER, io::stdout()))));
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| SinkOpenError { path: path.clone(), source })?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| SinkOpenError { path: path.clone(), source })?;
    Ok((format!("{kind}:{}", path.display()), Target::File(BufWriter::with_capacity(BUFFER, file))))
}

#[cfg(test)]
#[path = "sinks_tests.rs"]
mod tests;
