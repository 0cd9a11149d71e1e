//! Event sources behind one trait: the eBPF sensor, and (where eBPF is not
//! available) fallbacks. The sensor thread only knows [`Source`]; which one
//! runs is chosen by [`start`].

mod audit;
mod ebpf;
mod proc;

use config::SensorKind;
use event::{Event, EventKind};
use sensor::ExecKillTargets;

use crate::counters::Counters;
use crate::PipelineError;

pub use audit::AuditSource;
pub use ebpf::EbpfSource;
pub use proc::ProcSource;

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
    /// Hands over what the source still holds (partly assembled events)
    /// before it closes.
    fn drain(&mut self, _out: &mut dyn FnMut(Item)) {}
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

fn ebpf(cfg: &config::Config, kinds: Vec<EventKind>, kills: &ExecKillTargets) -> Result<Started, PipelineError> {
    let source = EbpfSource::start(cfg, kinds, kills.clone())?;
    let report = source.report().clone();
    Ok(Started {
        detail: format!("{} programs attached", report.attached.len()),
        source: Box::new(source),
        name: "ebpf",
        report,
    })
}

/// A fallback's report: the requested kinds it cannot produce are off.
fn fallback_report(kinds: &[EventKind], supported: &[EventKind]) -> sensor::AttachReport {
    sensor::AttachReport {
        kinds_off: kinds.iter().copied().filter(|k| !supported.contains(k)).collect(),
        ..Default::default()
    }
}

fn audit(kinds: &[EventKind]) -> Result<Started, String> {
    let source = AuditSource::start().map_err(|e| e.to_string())?;
    Ok(Started {
        detail: format!("Linux audit, {}", source.mode()),
        source: Box::new(source),
        name: "audit",
        report: fallback_report(kinds, audit::KINDS),
    })
}

fn proc(kinds: &[EventKind]) -> Result<Started, String> {
    let source = ProcSource::start().map_err(|e| e.to_string())?;
    Ok(Started {
        detail: "proc connector".into(),
        source: Box::new(source),
        name: "proc",
        report: fallback_report(kinds, proc::KINDS),
    })
}

/// Starts the configured sensor. `auto` tries eBPF, then audit, then the
/// proc connector, and says why each one it passes over could not run.
/// `kills`: execs the eBPF sensor kills in the kernel (the fallbacks
/// cannot; their kill rules act from user space).
pub fn start(cfg: &config::Config, kinds: Vec<EventKind>, kills: &ExecKillTargets) -> Result<Started, PipelineError> {
    match cfg.sensor {
        SensorKind::Ebpf => ebpf(cfg, kinds, kills),
        SensorKind::Audit => audit(&kinds).map_err(|why| PipelineError::NoSensor(format!("audit: {why}"))),
        SensorKind::Proc => proc(&kinds).map_err(|why| PipelineError::NoSensor(format!("proc connector: {why}"))),
        SensorKind::Auto => {
            let ebpf_err = match ebpf(cfg, kinds.clone(), kills) {
                Ok(started) => return Ok(started),
                Err(e) => e.to_string(),
            };
            tracing::warn!(reason = %ebpf_err, "eBPF sensor unavailable; trying Linux audit");
            let audit_err = match audit(&kinds) {
                Ok(started) => return Ok(started),
                Err(e) => e,
            };
            tracing::warn!(reason = %audit_err, "audit sensor unavailable; trying the proc connector");
            proc(&kinds).map_err(|proc_err| {
                PipelineError::NoSensor(format!(
                    "no sensor could start. eBPF: {ebpf_err}. audit: {audit_err}. proc connector: {proc_err}"
                ))
            })
        }
    }
}
