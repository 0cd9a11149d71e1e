//! Event sources behind one trait: the eBPF sensor, and (where eBPF is not
//! available) fallbacks. The sensor thread only knows [`Source`]; which one
//! runs is chosen by [`start`].

mod ebpf;

use event::{Event, EventKind};

use crate::counters::Counters;
use crate::PipelineError;

pub use ebpf::EbpfSource;

/// What a source hands over (by value to a callback, never stored, so the
/// size difference between the variants does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Item {
    Event(Event),
    /// A record that could not be decoded (counted under the `decode` hop).
    Malformed {
        kind: Option<EventKind>,
        error: String,
    },
}

/// A running source, polled by the sensor thread.
pub trait Source: Send {
    /// Waits up to `timeout_ms` (0: do not wait), then hands every
    /// available item to `out`.
    fn poll(&mut self, timeout_ms: i32, out: &mut dyn FnMut(Item));
    /// About once a second: refresh clocks, mirror source-side drop
    /// counters into `counters`.
    fn tick(&mut self, counters: &Counters);
    /// Detaches and restores what the source changed; called once, after
    /// the last poll.
    fn close(self: Box<Self>);
}

/// The chosen source and what it says about itself.
pub struct Started {
    pub source: Box<dyn Source>,
    /// `ebpf`, `audit`, `proc`.
    pub name: &'static str,
    /// What is watched, for the ready line.
    pub detail: String,
    pub report: sensor::AttachReport,
}

/// Starts the eBPF sensor for `kinds`.
pub fn start(cfg: &config::Config, kinds: Vec<EventKind>) -> Result<Started, PipelineError> {
    let source = EbpfSource::start(cfg, kinds)?;
    let report = source.report().clone();
    Ok(Started {
        detail: format!("{} programs attached", report.attached.len()),
        source: Box::new(source),
        name: "ebpf",
        report,
    })
}
