//! The eBPF sensor as a [`Source`]: ring-buffer records decoded into
//! events, kernel per-kind drop counters mirrored once a second.

use event::time::BootClock;
use event::EventKind;
use sensor::{record_to_event, AttachReport, EbpfOptions, EbpfSensor, ExecKillTargets};

use super::{Item, Source};
use crate::counters::Counters;
use crate::PipelineError;

pub struct EbpfSource {
    sensor: EbpfSensor,
    clock: BootClock,
}

impl EbpfSource {
    pub fn start(
        cfg: &config::Config,
        kinds: Vec<EventKind>,
        kills: ExecKillTargets,
    ) -> Result<EbpfSource, PipelineError> {
        let sensor = EbpfSensor::start(&EbpfOptions {
            ringbuf_bytes: cfg.ringbuf_bytes,
            kinds,
            forensics: cfg.forensics,
            watch_paths: cfg.watch_paths.clone(),
            kills,
        })?;
        Ok(EbpfSource { sensor, clock: BootClock::now() })
    }

    pub fn report(&self) -> &AttachReport {
        &self.sensor.report
    }
}

impl Source for EbpfSource {
    fn poll(&mut self, timeout_ms: i32, out: &mut dyn FnMut(Item)) {
        let clock = self.clock;
        self.sensor.poll(timeout_ms, |bytes| match record_to_event(bytes, |b| clock.to_unix_ns(b)) {
            Ok(ev) => out(Item::Event(ev)),
            Err(error) => {
                let kind = bytes.get(0..2).and_then(|b| sensor::event_kind(u16::from_ne_bytes([b[0], b[1]])));
                out(Item::Malformed { kind, error: error.to_string() })
            }
        });
    }

    fn tick(&mut self, counters: &Counters) {
        self.clock = BootClock::now();
        match self.sensor.kernel_drops() {
            Ok(drops) => {
                for (wire, n) in drops.iter().enumerate() {
                    if *n > 0 {
                        counters.kernel_ringbuf.set(sensor::event_kind(wire as u16), *n);
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot read kernel drop counters"),
        }
    }

    fn close(self: Box<Self>) {
        self.sensor.detach();
    }
}
