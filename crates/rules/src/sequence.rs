//! Sequence state: partial matches waiting for their next step, keyed by
//! the grouping (`process`: exec id; `lineage`: the first step's process and
//! its parent; `container`: container id), bounded and expired by event
//! time so replays behave like live runs.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use event::Event;

use crate::compile::{kind_bit, Predicates};
use crate::eval::{eval, Cache};
use crate::load::{By, Sequence};

struct Partial {
    events: Vec<Arc<Event>>,
    started_ns: u64,
    keys: Vec<Arc<str>>,
}

/// One sequence's waiting partial matches.
#[derive(Default)]
pub struct SeqState {
    slots: Vec<Option<(u32, Partial)>>,
    free: Vec<usize>,
    by_key: HashMap<Arc<str>, Vec<(usize, u32)>>,
    /// Creation order, for dropping the oldest when full.
    order: VecDeque<(usize, u32)>,
    live: usize,
    generation: u32,
}

/// Keys under which a later step looks for partials.
fn lookup_keys(by: By, ev: &Event) -> Vec<&str> {
    match by {
        By::Process => ev.process.exec_id.as_deref().into_iter().collect(),
        By::Container => ev.container.as_ref().map(|c| c.id.as_str()).into_iter().collect(),
        By::Lineage => ev
            .process
            .exec_id
            .as_deref()
            .into_iter()
            .chain(ev.process.ancestors.iter().filter_map(|a| a.exec_id.as_deref()))
            .collect(),
    }
}

/// Keys a new partial is filed under.
fn start_keys(by: By, ev: &Event) -> Vec<Arc<str>> {
    match by {
        By::Process | By::Container => lookup_keys(by, ev).into_iter().map(Arc::from).collect(),
        By::Lineage => {
            let mut keys: Vec<Arc<str>> = ev.process.exec_id.as_deref().map(Arc::from).into_iter().collect();
            // The parent too (a shell running curl, then the download) —
            // unless it is init, which is everyone's parent.
            if let Some(parent) = ev.process.ancestors.first().filter(|a| a.pid > 1) {
                keys.extend(parent.exec_id.as_deref().map(Arc::from));
            }
            keys
        }
    }
}

impl SeqState {
    /// Feeds one event; returns the event lists of completed matches.
    pub fn feed(
        &mut self,
        seq: &Sequence,
        ev: &Event,
        preds: &Predicates,
        cache: &mut Cache,
        max: usize,
        drops: &mut u64,
    ) -> Vec<Vec<Event>> {
        let within = seq.within.as_nanos() as u64;
        let kind = kind_bit(ev.kind());
        let mut completed = Vec::new();
        let mut advanced: Vec<usize> = Vec::new();
        for key in lookup_keys(seq.by, ev) {
            let Some(entries) = self.by_key.get(key) else { continue };
            for &(slot, gen) in entries.clone().iter() {
                if advanced.contains(&slot) {
                    continue;
                }
                let Some(Some((g, partial))) = self.slots.get_mut(slot) else { continue };
                if *g != gen || ev.time_boot_ns.saturating_sub(partial.started_ns) > within {
                    continue;
                }
                let step = &seq.steps[partial.events.len()];
                if step.kinds & kind == 0 || !eval(&step.cond, ev, preds, cache, &partial.events) {
                    continue;
                }
                advanced.push(slot);
                partial.events.push(Arc::new(ev.clone()));
                if partial.events.len() == seq.steps.len() {
                    let events = partial.events.iter().map(|e| (**e).clone()).collect();
                    completed.push(events);
                    self.release(slot);
                }
            }
        }
        let first = &seq.steps[0];
        if first.kinds & kind != 0 && eval(&first.cond, ev, preds, cache, &[]) {
            let keys = start_keys(seq.by, ev);
            if !keys.is_empty() {
                if self.live >= max {
                    self.drop_oldest();
                    *drops += 1;
                }
                self.insert(Partial { events: vec![Arc::new(ev.clone())], started_ns: ev.time_boot_ns, keys });
            }
        }
        completed
    }

    fn insert(&mut self, partial: Partial) {
        self.generation = self.generation.wrapping_add(1);
        let gen = self.generation;
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        for key in &partial.keys {
            self.by_key.entry(key.clone()).or_default().push((slot, gen));
        }
        self.slots[slot] = Some((gen, partial));
        self.order.push_back((slot, gen));
        self.live += 1;
    }

    fn release(&mut self, slot: usize) {
        if let Some((gen, partial)) = self.slots.get_mut(slot).and_then(Option::take) {
            for key in &partial.keys {
                if let Some(v) = self.by_key.get_mut(key) {
                    v.retain(|e| *e != (slot, gen));
                    if v.is_empty() {
                        self.by_key.remove(key);
                    }
                }
            }
            self.free.push(slot);
            self.live -= 1;
        }
    }

    fn drop_oldest(&mut self) {
        while let Some((slot, gen)) = self.order.pop_front() {
            if matches!(self.slots.get(slot), Some(Some((g, _))) if *g == gen) {
                self.release(slot);
                return;
            }
        }
    }

    /// Releases partials older than `within` at event time `now`.
    pub fn expire(&mut self, now: u64, within: u64) {
        while let Some(&(slot, gen)) = self.order.front() {
            match self.slots.get(slot) {
                Some(Some((g, p))) if *g == gen => {
                    if now.saturating_sub(p.started_ns) <= within {
                        break;
                    }
                    self.order.pop_front();
                    self.release(slot);
                }
                _ => {
                    self.order.pop_front();
                }
            }
        }
    }
}
