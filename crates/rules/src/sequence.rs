//! Sequence state: partial matches waiting for their next step, keyed by
//! the grouping (`process`: exec id, and pid + start time so an exec in
//! place stays the same process; `lineage`: the first step's process so
//! keyed and its parent; `container`: container id), bounded and expired
//! by event time so replays behave like live runs.

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
    /// (widest key, steps matched, captured values): partials equal in it
    /// can be completed by the same later events, so only the newest is
    /// kept. The widest key is the last: for `lineage` the parent's exec id
    /// when there is one (every later event under the first step's process
    /// is under its parent too).
    signature: Option<(Arc<str>, usize, String)>,
}

/// One sequence's waiting partial matches.
#[derive(Default)]
pub struct SeqState {
    slots: Vec<Option<(u32, Partial)>>,
    free: Vec<usize>,
    by_key: HashMap<Arc<str>, Vec<(usize, u32)>>,
    /// Creation order, for dropping the oldest when full.
    order: VecDeque<(usize, u32)>,
    by_signature: HashMap<(Arc<str>, usize, String), (usize, u32)>,
    live: usize,
    generation: u32,
}

/// The process across its execs: pid and start time (its `exec_id`
/// changes with each exec in place; these do not), written into `buf`.
/// `None` when the start is unknown.
fn process_key<'b>(ev: &Event, buf: &'b mut [u8; 48]) -> Option<&'b str> {
    use std::io::Write;
    let p = &ev.process;
    if p.start_boot_ns == 0 {
        return None;
    }
    let mut rest = &mut buf[..];
    write!(rest, "p:{}:{}", p.pid, p.start_boot_ns).ok()?;
    let len = 48 - rest.len();
    std::str::from_utf8(&buf[..len]).ok()
}

/// Keys under which a later step looks for partials (no allocation: this
/// runs for every event of a later step's kind while partials wait).
fn lookup_keys<'a>(by: By, ev: &'a Event, process: Option<&'a str>) -> impl Iterator<Item = &'a str> {
    let (own, ancestors, container) = match by {
        By::Process => (true, false, false),
        By::Lineage => (true, true, false),
        By::Container => (false, false, true),
    };
    let own = ev.process.exec_id.as_deref().into_iter().chain(process).filter(move |_| own);
    let ancestors = ev.process.ancestors.iter().filter_map(|a| a.exec_id.as_deref()).filter(move |_| ancestors);
    let container = ev.container.as_ref().map(|c| c.id.as_str()).into_iter().filter(move |_| container);
    own.chain(ancestors).chain(container)
}

/// Keys a new partial is filed under. The widest comes last (see
/// `Partial::signature`).
fn start_keys(by: By, ev: &Event) -> Vec<Arc<str>> {
    let mut buf = [0; 48];
    let process = process_key(ev, &mut buf);
    match by {
        By::Container => lookup_keys(by, ev, process).map(Arc::from).collect(),
        By::Process | By::Lineage => {
            // The process under its current image and across later execs
            // in place.
            let mut keys: Vec<Arc<str>> = ev.process.exec_id.as_deref().map(Arc::from).into_iter().collect();
            keys.extend(process.map(Arc::from));
            // The parent too (a shell running curl, then the download) —
            // unless it is init, which is everyone's parent.
            if by == By::Lineage {
                if let Some(parent) = ev.process.ancestors.first().filter(|a| a.pid > 1) {
                    keys.extend(parent.exec_id.as_deref().map(Arc::from));
                }
            }
            keys
        }
    }
}

/// The values later steps will compare with, from the events so far.
fn signature(seq: &Sequence, key: &Arc<str>, events: &[Arc<Event>]) -> (Arc<str>, usize, String) {
    let mut sig = String::new();
    for (step, ev) in events.iter().enumerate() {
        for (field, arg) in seq.captures.get(step).map(Vec::as_slice).unwrap_or_default() {
            (field.visit)(ev, arg, &mut |v| {
                use std::fmt::Write;
                let _ = write!(sig, "{v}\u{1f}");
                false
            });
            sig.push('\u{1e}');
        }
    }
    (key.clone(), events.len(), sig)
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
        let later_kinds = seq.steps[1..].iter().fold(0, |m, s| m | s.kinds);
        let mut buf = [0; 48];
        let waiting = self.live > 0 && later_kinds & kind != 0;
        let process = if waiting { process_key(ev, &mut buf) } else { None };
        'keys: for key in lookup_keys(seq.by, ev, process).filter(|_| waiting) {
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
                    // One completion per event: the other partials it could
                    // complete describe the same activity.
                    break 'keys;
                } else {
                    self.resign(seq, slot);
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
                let events = vec![Arc::new(ev.clone())];
                let signature = keys.last().map(|k| signature(seq, k, &events));
                self.insert(Partial { events, started_ns: ev.time_boot_ns, keys, signature });
            }
        }
        completed
    }

    /// Recomputes a partial's signature after it advanced, replacing an
    /// older equal one.
    fn resign(&mut self, seq: &Sequence, slot: usize) {
        let Some(Some((gen, partial))) = self.slots.get_mut(slot) else { return };
        let gen = *gen;
        if let Some(old) = partial.signature.take() {
            if self.by_signature.get(&old) == Some(&(slot, gen)) {
                self.by_signature.remove(&old);
            }
        }
        let Some(key) = partial.keys.last() else { return };
        let sig = signature(seq, key, &partial.events);
        partial.signature = Some(sig.clone());
        if let Some((other, other_gen)) = self.by_signature.insert(sig, (slot, gen)) {
            if (other, other_gen) != (slot, gen)
                && matches!(self.slots.get(other), Some(Some((g, _))) if *g == other_gen)
            {
                self.release(other);
            }
        }
    }

    fn insert(&mut self, partial: Partial) {
        if let Some(sig) = &partial.signature {
            if let Some(&(slot, gen)) = self.by_signature.get(sig) {
                if matches!(self.slots.get(slot), Some(Some((g, _))) if *g == gen) {
                    self.release(slot);
                }
            }
        }
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
        if let Some(sig) = &partial.signature {
            self.by_signature.insert(sig.clone(), (slot, gen));
        }
        self.slots[slot] = Some((gen, partial));
        self.order.push_back((slot, gen));
        self.live += 1;
    }

    fn release(&mut self, slot: usize) {
        if let Some((gen, partial)) = self.slots.get_mut(slot).and_then(Option::take) {
            if let Some(sig) = &partial.signature {
                if self.by_signature.get(sig) == Some(&(slot, gen)) {
                    self.by_signature.remove(sig);
                }
            }
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
