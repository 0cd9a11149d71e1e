//! The detection stage: loads the rules (built-in defaults, then
//! `rules.paths`), reports every load problem with its file:line:column,
//! and runs each enriched event through the engine. Alerts go to the same
//! sinks and store as events.

use config::RulesConfig;
use event::{Alert, Event, EventKind};
use rules::{Engine, EngineOptions, EngineStats, Level, RuleSet};

use crate::PipelineError;

/// Loads the configured rules. With `strict`, any error stops the start;
/// otherwise bad rules are left out and reported.
pub fn load_rules(cfg: &RulesConfig) -> Result<RuleSet, PipelineError> {
    let mut diagnostics = Vec::new();
    let mut sources = if cfg.defaults { rules::defaults::sources() } else { Vec::new() };
    sources.extend(rules::read_sources(&cfg.paths, &mut diagnostics));
    let mut set = rules::load(&sources);
    diagnostics.append(&mut set.diagnostics);
    set.diagnostics = diagnostics;
    let quiet = set.disable_sigma_below(cfg.sigma_min_severity);
    if quiet > 0 {
        tracing::info!(
            rules = quiet,
            below = %cfg.sigma_min_severity,
            "Sigma rules below the minimum level loaded turned off (rules.sigma_min_severity)"
        );
    }
    let errors = set.diagnostics.iter().filter(|d| d.level == Level::Error).count();
    for d in &set.diagnostics {
        match d.level {
            Level::Error => tracing::error!("rule: {d}"),
            Level::Warning => tracing::warn!("rule: {d}"),
        }
    }
    if cfg.strict && errors > 0 {
        return Err(PipelineError::Rules(format!("{errors} rule error(s) and --strict is set (see above)")));
    }
    tracing::info!(
        rules = set.rules.iter().filter(|r| r.meta.enabled).count(),
        sequences = set.sequences.iter().filter(|s| s.meta.enabled).count(),
        errors,
        sigma_unsupported = set.sigma_unsupported.len(),
        "rules loaded"
    );
    Ok(set)
}

/// The engine plus a reusable alert buffer.
pub struct Detect {
    engine: Engine,
    alerts: Vec<Alert>,
}

impl Detect {
    pub fn new(set: RuleSet, cfg: &RulesConfig) -> Detect {
        let opts = EngineOptions {
            burst: cfg.alert_burst,
            window: cfg.alert_window,
            actions: cfg.actions,
            ..EngineOptions::default()
        };
        Detect { engine: Engine::new(set, opts), alerts: Vec::new() }
    }

    /// Kinds some enabled rule can match: the sensor must produce them even
    /// when the output is narrowed with `--events`.
    pub fn kinds(&self) -> Vec<EventKind> {
        self.engine.kinds()
    }

    /// Runs the rules on `ev`; returns the alerts raised (drained by the caller).
    pub fn run(&mut self, ev: &Event) -> std::vec::Drain<'_, Alert> {
        self.engine.process(ev, &mut self.alerts);
        self.alerts.drain(..)
    }

    /// The kill rules the eBPF sensor can carry out at the exec tracepoint
    /// (none when actions are off).
    pub fn kernel_kills(&self, actions: bool) -> sensor::ExecKillTargets {
        if !actions {
            return sensor::ExecKillTargets::default();
        }
        let k = rules::kernel::exec_kills(self.engine.rules());
        for (file, rule) in &k.files {
            tracing::info!(rule = %rule, file = %file, "kill rule decided in the kernel at exec");
        }
        for rule in k.memfd.iter().chain(k.deleted.iter()) {
            tracing::info!(rule = %rule, "kill rule decided in the kernel at exec");
        }
        sensor::ExecKillTargets {
            memfd: k.memfd.is_some(),
            deleted: k.deleted.is_some(),
            files: k.files.iter().map(|(f, _)| f.into()).collect(),
        }
    }

    pub fn tick(&mut self) {
        self.engine.tick();
    }

    pub fn stats(&self) -> EngineStats {
        self.engine.stats()
    }
}
