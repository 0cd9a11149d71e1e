//! Output sinks: human lines on stdout and JSON lines to a file or stdout.
//! Writes are buffered and flushed when the pipeline is idle or once a
//! second, so a storm costs few syscalls. A failed write is counted (and
//! warned about once per sink), never fatal.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use config::Output;
use event::Event;

use crate::counters::Counters;
use crate::human;

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

/// Every configured output.
pub struct Sinks {
    sinks: Vec<Sink>,
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
            };
            sinks.push(sink);
        }
        Ok(Sinks { sinks })
    }

    /// Some sink writes JSON lines.
    pub fn wants_json(&self) -> bool {
        self.sinks.iter().any(|s| s.json)
    }

    /// Writes one event to every sink that takes it. `json` is the event's
    /// JSON when the caller rendered it already.
    pub fn write(&mut self, ev: &Event, json: Option<&str>, counters: &Counters) {
        let mut rendered: Option<String> = None;
        for sink in &mut self.sinks {
            // Alerts arrive with the rules engine; event kinds never match.
            if sink.alerts_only {
                continue;
            }
            let result = if sink.json {
                let line = match json {
                    Some(j) => j,
                    None => rendered.get_or_insert_with(|| ev.to_json()).as_str(),
                };
                sink.target.write_all(line.as_bytes()).and_then(|_| sink.target.write_all(b"\n"))
            } else {
                writeln!(sink.target, "{}", human::line(ev))
            };
            if let Err(e) = result {
                counters.sink_errors.fetch_add(1, Ordering::Relaxed);
                if !sink.failed {
                    tracing::warn!(sink = %sink.name, error = %e, "output write failed; counting further failures");
                    sink.failed = true;
                }
            }
        }
    }

    pub fn flush(&mut self, counters: &Counters) {
        for sink in &mut self.sinks {
            if let Err(e) = sink.target.flush() {
                counters.sink_errors.fetch_add(1, Ordering::Relaxed);
                if !sink.failed {
                    tracing::warn!(sink = %sink.name, error = %e, "output flush failed");
                    sink.failed = true;
                }
            }
        }
    }
}
