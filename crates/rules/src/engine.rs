//! The engine: each event meets the rules indexed under its kind, then the
//! sequences that have a step of its kind; matches become [`Alert`]s after
//! exceptions, the per rule+process rate limit and the rule's action.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use event::{Action, Alert, AlertProcess, Body, Event, EventKind, KillBy, RuleRef};

use crate::compile::kind_bit;
use crate::eval::{eval, Cache};
use crate::index::NameIndex;
use crate::kill;
use crate::load::{ActionKind, Meta, RuleSet};
use crate::sequence::SeqState;

/// Tuning.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Alerts of one rule for one process allowed per window...
    pub burst: u32,
    /// ...after which further ones are counted, not sent, until it ends.
    pub window: Duration,
    /// Carry out `kill` actions (off for replays and tests).
    pub actions: bool,
    /// Partial sequence matches kept per sequence.
    pub max_partials: usize,
    /// File rules under the keys they need, and evaluate large `or`s of
    /// one scanner's predicates by the needles found (off: every rule of a
    /// kind meets every event of it, conditions as written; for comparisons
    /// in tests and benchmarks).
    pub index: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions { burst: 5, window: Duration::from_secs(60), actions: true, max_partials: 4096, index: true }
    }
}

/// Counters, for the run summary and `panoptes replay`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct EngineStats {
    /// Enabled rules and sequences.
    pub rules_enabled: usize,
    pub events: u64,
    pub rule_evaluations: u64,
    pub alerts: u64,
    pub suppressed: u64,
    pub kills: u64,
    pub kill_failures: u64,
    /// Partial sequence matches dropped to stay within `max_partials`.
    pub sequence_drops: u64,
    /// Later sequence steps evaluated against waiting partial matches.
    pub sequence_step_evaluations: u64,
    /// Matches per rule id (only rules that matched).
    pub by_rule: HashMap<String, u64>,
}

struct Bucket {
    window_start_ns: u64,
    sent: u32,
    suppressed: u64,
}

/// Rate-limit buckets by process (exec id), then by rule: looked up with
/// the event's own exec id, no key built per alert.
type Limiter = HashMap<Box<str>, Vec<(u32, Bucket)>, foldhash::fast::RandomState>;

pub struct Engine {
    set: RuleSet,
    by_kind: Vec<NameIndex>,
    seq_by_kind: Vec<Vec<u32>>,
    /// Per kind: sequences filed by their first step's keys.
    seq_first: Vec<NameIndex>,
    candidates: Vec<u32>,
    /// Per sequence: this event may match its first step.
    first_hit: Vec<bool>,
    cache: Cache,
    seqs: Vec<SeqState>,
    limiter: Limiter,
    opts: EngineOptions,
    /// Counters; `by_rule` is filled from `matched` by [`Engine::stats`].
    stats: EngineStats,
    /// Matches per rule, then per sequence (after the rules).
    matched: Vec<u64>,
    last_ns: u64,
}

impl Engine {
    pub fn new(mut set: RuleSet, opts: EngineOptions) -> Engine {
        set.preds.finalize();
        for rule in &mut set.rules {
            let cond = std::mem::replace(&mut rule.cond, crate::compile::Expr::Const(false));
            rule.cond = crate::compile::simplify(cond, rule.kinds);
        }
        for seq in &mut set.sequences {
            for step in &mut seq.steps {
                let cond = std::mem::replace(&mut step.cond, crate::compile::Expr::Const(false));
                step.cond = crate::compile::simplify(cond, step.kinds);
            }
        }
        let mut per_kind: Vec<Vec<(u32, &crate::compile::Expr)>> = vec![Vec::new(); EventKind::ALL.len()];
        let mut seq_by_kind = vec![Vec::new(); EventKind::ALL.len()];
        for (i, rule) in set.rules.iter().enumerate().filter(|(_, r)| r.meta.enabled) {
            for kind in EventKind::ALL {
                if rule.kinds & kind_bit(*kind) != 0 {
                    per_kind[*kind as usize].push((i as u32, &rule.cond));
                }
            }
        }
        let by_kind: Vec<NameIndex> = EventKind::ALL
            .iter()
            .zip(&per_kind)
            .map(|(kind, rules)| NameIndex::build(*kind, rules, &set.preds, opts.index))
            .collect();
        let mut first_by_kind: Vec<Vec<(u32, &crate::compile::Expr)>> = vec![Vec::new(); EventKind::ALL.len()];
        for (i, seq) in set.sequences.iter().enumerate().filter(|(_, s)| s.meta.enabled) {
            let kinds = seq.steps.iter().fold(0, |m, s| m | s.kinds);
            for kind in EventKind::ALL {
                if kinds & kind_bit(*kind) != 0 {
                    seq_by_kind[*kind as usize].push(i as u32);
                }
                if seq.steps[0].kinds & kind_bit(*kind) != 0 {
                    first_by_kind[*kind as usize].push((i as u32, &seq.steps[0].cond));
                }
            }
        }
        let seq_first: Vec<NameIndex> = EventKind::ALL
            .iter()
            .zip(&first_by_kind)
            .map(|(kind, firsts)| NameIndex::build(*kind, firsts, &set.preds, opts.index))
            .collect();
        // After indexing (which reads conditions as written): large `or`s
        // of one scanner's predicates evaluate only the parts it found.
        for rule in set.rules.iter_mut().filter(|_| opts.index) {
            let cond = std::mem::replace(&mut rule.cond, crate::compile::Expr::Const(false));
            rule.cond = crate::sparse::sparse_ors(cond, &set.preds);
        }
        let seqs = set.sequences.iter().map(|_| SeqState::default()).collect();
        let first_hit = vec![false; set.sequences.len()];
        let enabled = set.enabled();
        let matched = vec![0; set.rules.len() + set.sequences.len()];
        Engine {
            set,
            by_kind,
            seq_by_kind,
            seq_first,
            candidates: Vec::new(),
            first_hit,
            cache: Cache::default(),
            seqs,
            limiter: Limiter::default(),
            opts,
            stats: EngineStats { rules_enabled: enabled, ..EngineStats::default() },
            matched,
            last_ns: 0,
        }
    }

    /// Kinds some enabled rule or sequence step can match.
    pub fn kinds(&self) -> Vec<EventKind> {
        EventKind::ALL
            .iter()
            .copied()
            .filter(|k| !self.by_kind[*k as usize].is_empty() || !self.seq_by_kind[*k as usize].is_empty())
            .collect()
    }

    /// Per kind with rules: (kind, rules filed by executable name, rules
    /// run for every event of the kind).
    pub fn index_summary(&self) -> Vec<(EventKind, usize, usize)> {
        EventKind::ALL
            .iter()
            .filter(|k| !self.by_kind[**k as usize].is_empty())
            .map(|k| {
                let (filed, rest) = self.by_kind[*k as usize].split();
                (*k, filed, rest)
            })
            .collect()
    }

    /// What the index of `kind` looks up (for tuning and tests).
    pub fn index_keys(&self, kind: EventKind) -> String {
        self.by_kind[kind as usize].describe()
    }

    /// Ids of the rules of `kind` that run for every event of it.
    pub fn unfiled(&self, kind: EventKind) -> Vec<&str> {
        self.by_kind[kind as usize].unfiled().iter().map(|r| self.set.rules[*r as usize].meta.id.as_str()).collect()
    }

    pub fn rules(&self) -> &RuleSet {
        &self.set
    }

    /// The counters so far, with matches per rule id.
    pub fn stats(&self) -> EngineStats {
        let mut stats = self.stats.clone();
        stats.sequence_step_evaluations = self.seqs.iter().map(|s| s.step_evaluations).sum();
        let rules = self.set.rules.len();
        for (i, n) in self.matched.iter().enumerate().filter(|(_, n)| **n > 0) {
            let meta = if i < rules { &self.set.rules[i].meta } else { &self.set.sequences[i - rules].meta };
            stats.by_rule.insert(meta.id.clone(), *n);
        }
        stats
    }

    /// Rule and sequence evaluations so far (cheaper than [`Engine::stats`]).
    pub fn evaluations(&self) -> u64 {
        self.stats.rule_evaluations
    }

    /// Runs every applicable rule on `ev`, appending alerts to `out`.
    pub fn process(&mut self, ev: &Event, out: &mut Vec<Alert>) {
        self.stats.events += 1;
        self.last_ns = self.last_ns.max(ev.time_boot_ns);
        let kind = ev.kind() as usize;
        self.cache.reset(self.set.preds.preds.len());
        let preds = &self.set.preds;
        // (rule, is a sequence, the sequence's events; a rule's own event is
        // copied only for an alert the rate limit lets through)
        let mut hits: Vec<(u32, bool, Vec<Event>)> = Vec::new();
        for &r in self.by_kind[kind].candidates(ev, &mut self.candidates, preds, &mut self.cache) {
            let rule = &self.set.rules[r as usize];
            self.stats.rule_evaluations += 1;
            if eval(&rule.cond, ev, preds, &mut self.cache, &[])
                && !rule.exceptions.iter().any(|(_, e)| eval(e, ev, preds, &mut self.cache, &[]))
            {
                hits.push((r, false, Vec::new()));
            }
        }
        if !self.seq_by_kind[kind].is_empty() {
            for &s in self.seq_first[kind].candidates(ev, &mut self.candidates, preds, &mut self.cache) {
                self.first_hit[s as usize] = true;
            }
        }
        for &s in &self.seq_by_kind[kind] {
            let seq = &self.set.sequences[s as usize];
            self.stats.rule_evaluations += 1;
            let try_first = std::mem::take(&mut self.first_hit[s as usize]);
            let completed = self.seqs[s as usize].feed(
                seq,
                ev,
                preds,
                &mut self.cache,
                self.opts.max_partials,
                &mut self.stats.sequence_drops,
                try_first,
            );
            for events in completed {
                if !seq.exceptions.iter().any(|(_, e)| eval(e, ev, preds, &mut self.cache, &[])) {
                    hits.push((s, true, events));
                }
            }
        }
        for (idx, seq, events) in hits {
            if let Some(alert) = self.raise(idx, seq, ev, events) {
                out.push(alert);
            }
        }
    }

    /// Drops expired sequence state and rate-limit buckets.
    pub fn tick(&mut self) {
        let now = self.last_ns;
        for (seq, state) in self.set.sequences.iter().zip(self.seqs.iter_mut()) {
            state.expire(now, seq.within.as_nanos() as u64);
        }
        let window = self.opts.window.as_nanos() as u64;
        self.limiter.retain(|_, buckets| {
            buckets.retain(|(_, b)| now.saturating_sub(b.window_start_ns) < window || b.suppressed > 0);
            !buckets.is_empty()
        });
    }

    fn meta(&self, idx: u32, seq: bool) -> &Meta {
        if seq {
            &self.set.sequences[idx as usize].meta
        } else {
            &self.set.rules[idx as usize].meta
        }
    }

    fn raise(&mut self, idx: u32, seq: bool, ev: &Event, events: Vec<Event>) -> Option<Alert> {
        let key_idx = if seq { idx | 0x8000_0000 } else { idx };
        let action_kind = self.meta(idx, seq).action;
        let slot = if seq { self.set.rules.len() + idx as usize } else { idx as usize };
        if let Some(n) = self.matched.get_mut(slot) {
            *n += 1;
        }
        let pid_key;
        let proc_key = match ev.process.exec_id.as_deref() {
            Some(id) => id,
            None => {
                pid_key = format!("pid:{}", ev.process.pid);
                &pid_key
            }
        };
        let buckets = match self.limiter.get_mut(proc_key) {
            Some(b) => b,
            None => self.limiter.entry(proc_key.into()).or_default(),
        };
        let at = match buckets.iter().position(|(k, _)| *k == key_idx) {
            Some(at) => at,
            None => {
                buckets.push((key_idx, Bucket { window_start_ns: ev.time_boot_ns, sent: 0, suppressed: 0 }));
                buckets.len() - 1
            }
        };
        let bucket = &mut buckets[at].1;
        let window = self.opts.window.as_nanos() as u64;
        if ev.time_boot_ns.saturating_sub(bucket.window_start_ns) >= window {
            bucket.window_start_ns = ev.time_boot_ns;
            bucket.sent = 0;
        }
        if bucket.sent >= self.opts.burst {
            bucket.suppressed += 1;
            self.stats.suppressed += 1;
            // A kill rule still kills: only the alert is held back.
            if action_kind == ActionKind::Kill {
                self.act(ev);
            }
            return None;
        }
        bucket.sent += 1;
        let suppressed = std::mem::take(&mut bucket.suppressed);
        let events = if events.is_empty() { vec![ev.clone()] } else { events };
        let action = match action_kind {
            ActionKind::Alert => Action::Alert,
            ActionKind::Kill => self.act(ev),
        };
        self.stats.alerts += 1;
        let m = self.meta(idx, seq);
        Some(Alert {
            time_unix_ns: ev.time_unix_ns,
            rule: RuleRef {
                id: m.id.clone(),
                title: m.title.clone(),
                source: m.source.clone(),
                author: m.author.clone(),
            },
            severity: m.severity,
            mitre: m.mitre.clone(),
            tags: m.tags.clone(),
            message: m.output.render(ev),
            process: alert_process(ev),
            container: ev.container.clone(),
            events,
            action,
            suppressed,
        })
    }

    fn act(&mut self, ev: &Event) -> Action {
        if let Body::Exec(exec) = &ev.body {
            if exec.killed {
                self.stats.kills += 1;
                return Action::Kill { by: KillBy::Kernel, ok: true, error: None };
            }
        }
        if !self.opts.actions {
            return Action::Kill {
                by: KillBy::UserSpace,
                ok: false,
                error: Some("actions are off (replay or test)".into()),
            };
        }
        match kill::kill_process(ev.process.pid, ev.process.start_boot_ns) {
            Ok(()) => {
                self.stats.kills += 1;
                Action::Kill { by: KillBy::UserSpace, ok: true, error: None }
            }
            Err(e) => {
                self.stats.kill_failures += 1;
                Action::Kill { by: KillBy::UserSpace, ok: false, error: Some(e) }
            }
        }
    }
}

fn alert_process(ev: &Event) -> AlertProcess {
    let p = &ev.process;
    let cwd = match &ev.body {
        Body::Exec(e) if e.cwd.is_some() => e.cwd.clone(),
        _ => p.cwd.clone(),
    };
    AlertProcess {
        pid: p.pid,
        exec_id: p.exec_id.clone(),
        exe: p.exe.clone(),
        cmdline: p.cmdline.clone(),
        uid: p.uid,
        user: p.user.clone(),
        cwd,
        ancestors: p.ancestors.clone(),
    }
}

/// Shared, for callers that hand an engine between threads.
pub type SharedEngine = Arc<std::sync::Mutex<Engine>>;
