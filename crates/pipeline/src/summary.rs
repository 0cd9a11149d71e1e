//! What a run did: events per kind, drops per hop and kind, the process
//! tree's size, and which programs were off. Printed on stderr at shutdown
//! and, with `--stats-json`, written as JSON.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use proctree::TreeStats;
use sensor::AttachReport;
use serde::Serialize;

use crate::counters::{Counters, HOPS};

#[derive(Debug, Clone, Serialize)]
pub struct ProgramOff {
    pub program: String,
    pub kind: Option<String>,
    pub reason: String,
}

/// Alerts written to the outputs and what the webhooks made of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AlertsSummary {
    pub written: u64,
    pub webhook_sent: u64,
    pub webhook_failed: u64,
    pub webhook_dropped: u64,
}

impl AlertsSummary {
    fn from_counters(c: &Counters) -> AlertsSummary {
        AlertsSummary {
            written: c.alerts_written.load(Relaxed),
            webhook_sent: c.webhook_sent.load(Relaxed),
            webhook_failed: c.webhook_failed.load(Relaxed),
            webhook_dropped: c.webhook_dropped.load(Relaxed),
        }
    }

    /// `written N, webhook sent N failed N dropped N` (the webhook part
    /// only when a webhook did something).
    fn render(&self) -> String {
        let mut out = format!("written {}", self.written);
        if self.webhook_sent + self.webhook_failed + self.webhook_dropped > 0 {
            out += &format!(
                ", webhook sent {} failed {} dropped {}",
                self.webhook_sent, self.webhook_failed, self.webhook_dropped
            );
        }
        out
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Which sensor ran (`ebpf`, `audit`, `proc`).
    pub sensor: String,
    pub duration_secs: f64,
    /// Of `duration_secs`, the time before the first event was read
    /// (loading and compiling rules, opening outputs); replays only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_secs: Option<f64>,
    /// Events written to the outputs, by kind.
    pub events: BTreeMap<String, u64>,
    /// Records received from the kernel, by kind.
    pub received: BTreeMap<String, u64>,
    /// Events seen by the tree and the rules but left out of the output
    /// (`--events`), by kind.
    pub filtered: BTreeMap<String, u64>,
    /// Drops by hop, then kind.
    pub drops: BTreeMap<String, BTreeMap<String, u64>>,
    pub drops_total: u64,
    pub sink_errors: u64,
    pub programs_attached: usize,
    pub programs_off: Vec<ProgramOff>,
    pub kinds_off: Vec<String>,
    pub process_tree: TreeStats,
    /// Store writer counters, when the store is on.
    pub store: Option<serde_json::Value>,
    /// Container resolver counters, when enrichment is on.
    pub containers: Option<serde_json::Value>,
    /// Sensor-specific counters (audit reassembler, ...).
    pub sensor_stats: Option<serde_json::Value>,
    pub alerts: AlertsSummary,
    /// Rule engine counters (alerts, suppressed, kills, matches by rule).
    pub rules: Option<rules::EngineStats>,
}

impl Summary {
    pub fn new(
        sensor: &str,
        counters: &Counters,
        tree: &TreeStats,
        report: &AttachReport,
        elapsed: Duration,
    ) -> Summary {
        let drops = HOPS.iter().filter_map(|hop| counters.hop(hop).map(|kc| (hop.to_string(), kc.by_name()))).collect();
        Summary {
            sensor: sensor.to_string(),
            duration_secs: elapsed.as_secs_f64(),
            setup_secs: None,
            events: counters.emitted.by_name(),
            received: counters.received.by_name(),
            filtered: counters.filtered.by_name(),
            drops,
            drops_total: counters.drops_total(),
            sink_errors: counters.sink_errors.load(std::sync::atomic::Ordering::Relaxed),
            programs_attached: report.attached.len(),
            programs_off: report
                .failed
                .iter()
                .map(|f| ProgramOff {
                    program: f.program.clone(),
                    kind: f.kind.map(|k| k.name().to_string()),
                    reason: f.reason.clone(),
                })
                .collect(),
            kinds_off: report.kinds_off.iter().map(|k| k.name().to_string()).collect(),
            process_tree: tree.clone(),
            store: None,
            containers: None,
            sensor_stats: None,
            alerts: AlertsSummary::from_counters(counters),
            rules: None,
        }
    }

    pub fn with_rules(mut self, stats: Option<rules::EngineStats>) -> Summary {
        self.rules = stats;
        self
    }

    pub fn with_setup(mut self, setup: Duration) -> Summary {
        self.setup_secs = Some(setup.as_secs_f64());
        self
    }

    pub fn with_store(mut self, stats: Option<impl Serialize>) -> Summary {
        self.store = stats.and_then(|s| serde_json::to_value(s).ok());
        self
    }

    pub fn with_sensor_stats(mut self, stats: Option<impl Serialize>) -> Summary {
        self.sensor_stats = stats.and_then(|s| serde_json::to_value(s).ok());
        self
    }

    pub fn with_containers(mut self, stats: Option<impl Serialize>) -> Summary {
        self.containers = stats.and_then(|s| serde_json::to_value(s).ok());
        self
    }

    /// The human report for stderr.
    pub fn render(&self) -> String {
        let mut out = format!("panoptes: stopped after {:.1} s (sensor {})\n", self.duration_secs, self.sensor);
        if let Some(setup) = self.setup_secs {
            out += &format!("  setup:           {setup:.3} s before the first event (rules, outputs)\n");
        }
        let fmt = |m: &BTreeMap<String, u64>| {
            if m.is_empty() {
                "none".to_string()
            } else {
                m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
            }
        };
        out += &format!("  events written:  {}\n", fmt(&self.events));
        out += &format!("  kernel records:  {}\n", fmt(&self.received));
        if !self.filtered.is_empty() {
            out += &format!("  not in --events: {}\n", fmt(&self.filtered));
        }
        for (hop, by_kind) in &self.drops {
            out += &format!("  drops {hop:<15} {}\n", fmt(by_kind));
        }
        out += &format!("  drops total:     {}\n", self.drops_total);
        out += &format!("  alerts:          {}\n", self.alerts.render());
        if self.sink_errors > 0 {
            out += &format!("  output errors:   {}\n", self.sink_errors);
        }
        let t = &self.process_tree;
        out += &format!(
            "  process tree:    live={} lingering={} evicted={} refused={} proc_reads={} ~{} KiB\n",
            t.live,
            t.lingering,
            t.evicted,
            t.refused,
            t.proc_reads,
            t.approx_bytes / 1024
        );
        if let Some(store) = &self.store {
            out += &format!("  store:           {}\n", compact(store));
        }
        if let Some(containers) = &self.containers {
            out += &format!("  containers:      {}\n", compact(containers));
        }
        if let Some(r) = &self.rules {
            out += &format!(
                "  rules:           events={} evaluations={} alerts={} suppressed={} kills={} kill_failures={} sequence_drops={}\n",
                r.events, r.rule_evaluations, r.alerts, r.suppressed, r.kills, r.kill_failures, r.sequence_drops
            );
        }
        if !self.kinds_off.is_empty() {
            out += &format!("  kinds off:       {}\n", self.kinds_off.join(" "));
        }
        out
    }
}

/// `{"a":1,"b":2}` as `a=1 b=2`.
fn compact(v: &serde_json::Value) -> String {
    match v.as_object() {
        Some(map) => map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "),
        None => v.to_string(),
    }
}

/// Warns once per program that is off, then once per kind that is fully
/// or partly off, so the user knows exactly what is not watched.
pub fn log_degradation(report: &AttachReport) {
    for f in &report.failed {
        tracing::warn!(program = %f.program, kind = ?f.kind.map(|k| k.name()), reason = %f.reason, "program off");
    }
    for kind in &report.kinds_off {
        tracing::warn!(kind = kind.name(), "event kind OFF: the running sensor cannot watch it");
    }
    for kind in &report.kinds_partial {
        tracing::warn!(kind = kind.name(), "event kind PARTIAL: some of its syscalls are not watched");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_line_shows_webhook_counts_when_there_are_any() {
        let counters = Counters::default();
        counters.alerts_written.store(7, Relaxed);
        let summary = Summary::new("ebpf", &counters, &TreeStats::default(), &AttachReport::default(), Duration::ZERO);
        assert!(summary.render().contains("  alerts:          written 7\n"), "{}", summary.render());
        counters.webhook_sent.store(5, Relaxed);
        counters.webhook_failed.store(1, Relaxed);
        counters.webhook_dropped.store(1, Relaxed);
        let summary = Summary::new("ebpf", &counters, &TreeStats::default(), &AttachReport::default(), Duration::ZERO);
        let text = summary.render();
        assert!(text.contains("  alerts:          written 7, webhook sent 5 failed 1 dropped 1\n"), "{text}");
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(
            json["alerts"],
            serde_json::json!({"written": 7, "webhook_sent": 5, "webhook_failed": 1, "webhook_dropped": 1})
        );
    }
}
