//! Sequence state: partial matches waiting for their next step, keyed by
//! the grouping (`process`: exec id, and pid + start time so an exec in
//! place stays the same process; `lineage`: the first step's process so
//! keyed and its parent; `container`: container id), bounded and expired
//! by event time so replays behave like live runs.
//!
//! A partial waiting for a step that needs `FIELD == $earlier.FIELD` is
//! filed by a hash of that earlier value instead, so an event meets only
//! the partials whose value it carries (then the grouping is checked),
//! not every partial of its lineage.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use std::hash::{BuildHasher, Hash, Hasher};

use event::fields::{Arg, FieldDef, Value};
use event::Event;

use crate::compile::{kind_bit, Expr, Predicates};
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
    /// Hashes it is filed under in `by_join` (empty: filed under `keys`).
    joined: Vec<u64>,
}

/// A step's necessary equality with an earlier step: one of `fields` of
/// the event equals the earlier step's `ref_field`.
#[derive(Debug, Clone)]
pub struct Join {
    pub ref_step: usize,
    pub ref_field: &'static FieldDef,
    pub ref_arg: Arg,
    pub fields: Vec<(&'static FieldDef, Arg)>,
}

/// The equality `cond` needs, if any: a `$step.field ==` reference, a
/// conjunction with one, or a disjunction of references to the same value.
pub fn join_of(cond: &Expr) -> Option<Join> {
    match cond {
        Expr::Ref(r) if !r.negated && r.step != crate::compile::SAME_EVENT => Some(Join {
            ref_step: r.step,
            ref_field: r.ref_field,
            ref_arg: r.ref_arg.clone(),
            fields: vec![(r.field, r.arg.clone())],
        }),
        Expr::And(parts) => parts.iter().find_map(join_of),
        Expr::Or(parts) => {
            let mut joins = parts.iter().map(join_of);
            let mut all = joins.next()??;
            for j in joins {
                let j = j?;
                if j.ref_step != all.ref_step || j.ref_field.name != all.ref_field.name || j.ref_arg != all.ref_arg {
                    return None;
                }
                all.fields.extend(j.fields);
            }
            Some(all)
        }
        _ => None,
    }
}

/// Where a value waited for by `step` is filed (equal values hash alike;
/// a collision only adds a candidate, whose condition is still evaluated).
fn join_hash(step: usize, v: Value<'_>) -> u64 {
    let mut h = foldhash::fast::FixedState::with_seed(0x5eed).build_hasher();
    step.hash(&mut h);
    match v {
        Value::Str(s) => (0u8, s).hash(&mut h),
        Value::Int(i) => (1u8, i).hash(&mut h),
        Value::Bool(b) => (2u8, b).hash(&mut h),
        Value::Ip(ip) => (3u8, ip).hash(&mut h),
    }
    h.finish()
}

/// What one event did to one partial.
enum Advance {
    No,
    Advanced,
    Completed(Vec<Event>),
}

/// Maps looked up for every event: foldhash, randomly seeded per map like
/// the engine's other per-event maps (weaker against chosen collisions
/// than SipHash; the partials behind them are bounded).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One sequence's waiting partial matches.
#[derive(Default)]
pub struct SeqState {
    slots: Vec<Option<(u32, Partial)>>,
    free: Vec<usize>,
    by_key: Map<Arc<str>, Vec<(usize, u32)>>,
    /// Partials waiting for a step with a [`Join`], by [`join_hash`].
    by_join: Map<u64, Vec<(usize, u32)>>,
    /// Creation order, for dropping the oldest when full.
    order: VecDeque<(usize, u32)>,
    by_signature: Map<(Arc<str>, usize, String), (usize, u32)>,
    live: usize,
    generation: u32,
    /// Later-step conditions evaluated against waiting partials.
    pub step_evaluations: u64,
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
    /// `try_first`: the event may match the first step (false when the
    /// engine's index rules it out).
    #[allow(clippy::too_many_arguments)]
    pub fn feed(
        &mut self,
        seq: &Sequence,
        ev: &Event,
        preds: &Predicates,
        cache: &mut Cache,
        max: usize,
        drops: &mut u64,
        try_first: bool,
    ) -> Vec<Vec<Event>> {
        let kind = kind_bit(ev.kind());
        let mut completed = Vec::new();
        let later_kinds = seq.steps[1..].iter().fold(0, |m, s| m | s.kinds);
        if self.live > 0 && later_kinds & kind != 0 {
            let mut buf = [0; 48];
            let process = process_key(ev, &mut buf);
            let mut advanced: Vec<usize> = Vec::new();
            for (slot, gen) in self.candidates(seq, ev, kind, process) {
                if advanced.contains(&slot) {
                    continue;
                }
                match self.try_advance(seq, slot, gen, ev, kind, preds, cache) {
                    Advance::No => {}
                    Advance::Advanced => advanced.push(slot),
                    Advance::Completed(events) => {
                        completed.push(events);
                        // One completion per event: the other partials it
                        // could complete describe the same activity.
                        break;
                    }
                }
            }
        }
        let first = &seq.steps[0];
        if try_first && first.kinds & kind != 0 && eval(&first.cond, ev, preds, cache, &[]) {
            let keys = start_keys(seq.by, ev);
            if !keys.is_empty() {
                if self.live >= max {
                    self.drop_oldest();
                    *drops += 1;
                }
                let events = vec![Arc::new(ev.clone())];
                let signature = keys.last().map(|k| signature(seq, k, &events));
                let partial = Partial { events, started_ns: ev.time_boot_ns, keys, signature, joined: Vec::new() };
                self.insert(seq, partial);
            }
        }
        completed
    }

    /// Partials `ev` may advance: those filed under its grouping keys, and
    /// those whose awaited value it carries (in its grouping).
    fn candidates(&self, seq: &Sequence, ev: &Event, kind: u64, process: Option<&str>) -> Vec<(usize, u32)> {
        let mut out = Vec::new();
        for key in lookup_keys(seq.by, ev, process) {
            if let Some(entries) = self.by_key.get(key) {
                out.extend_from_slice(entries);
            }
        }
        if self.by_join.is_empty() {
            return out;
        }
        for (step, join) in seq.joins.iter().enumerate() {
            let Some(join) = join.as_ref().filter(|_| seq.steps[step].kinds & kind != 0) else { continue };
            for (field, arg) in &join.fields {
                (field.visit)(ev, arg, &mut |v| {
                    for &(slot, gen) in self.by_join.get(&join_hash(step, v)).map(Vec::as_slice).unwrap_or_default() {
                        let in_group = matches!(self.slots.get(slot), Some(Some((g, p)))
                            if *g == gen && lookup_keys(seq.by, ev, process).any(|k| p.keys.iter().any(|pk| **pk == *k)));
                        if in_group {
                            out.push((slot, gen));
                        }
                    }
                    false
                });
            }
        }
        out
    }

    /// Tries the partial's next step on `ev`.
    #[allow(clippy::too_many_arguments)]
    fn try_advance(
        &mut self,
        seq: &Sequence,
        slot: usize,
        gen: u32,
        ev: &Event,
        kind: u64,
        preds: &Predicates,
        cache: &mut Cache,
    ) -> Advance {
        let within = seq.within.as_nanos() as u64;
        let Some(Some((g, partial))) = self.slots.get_mut(slot) else { return Advance::No };
        if *g != gen || ev.time_boot_ns.saturating_sub(partial.started_ns) > within {
            return Advance::No;
        }
        let step = &seq.steps[partial.events.len()];
        if step.kinds & kind == 0 {
            return Advance::No;
        }
        self.step_evaluations += 1;
        if !eval(&step.cond, ev, preds, cache, &partial.events) {
            return Advance::No;
        }
        partial.events.push(Arc::new(ev.clone()));
        if partial.events.len() == seq.steps.len() {
            let events = partial.events.iter().map(|e| (**e).clone()).collect();
            self.release(slot);
            return Advance::Completed(events);
        }
        self.unfile(slot);
        self.resign(seq, slot);
        self.file(seq, slot);
        Advance::Advanced
    }

    /// Files the partial in `slot` for its next step: by the awaited value
    /// when that step has a [`Join`], else under its grouping keys.
    fn file(&mut self, seq: &Sequence, slot: usize) {
        let Some(Some((gen, partial))) = self.slots.get_mut(slot) else { return };
        let gen = *gen;
        let next = partial.events.len();
        match seq.joins.get(next).and_then(Option::as_ref) {
            Some(join) => {
                let mut hashes = Vec::new();
                if let Some(earlier) = partial.events.get(join.ref_step) {
                    (join.ref_field.visit)(earlier, &join.ref_arg, &mut |v| {
                        hashes.push(join_hash(next, v));
                        false
                    });
                }
                hashes.sort_unstable();
                hashes.dedup();
                for h in &hashes {
                    self.by_join.entry(*h).or_default().push((slot, gen));
                }
                // No value: the step can never hold; the partial only waits
                // to expire.
                if let Some(Some((_, partial))) = self.slots.get_mut(slot) {
                    partial.joined = hashes;
                }
            }
            None => {
                for key in partial.keys.clone() {
                    self.by_key.entry(key).or_default().push((slot, gen));
                }
            }
        }
    }

    /// Takes the partial in `slot` out of `by_key` / `by_join`.
    fn unfile(&mut self, slot: usize) {
        let Some((gen, mut partial)) = self.slots.get_mut(slot).and_then(Option::take) else { return };
        self.remove_filing(slot, gen, &partial);
        partial.joined.clear();
        self.slots[slot] = Some((gen, partial));
    }

    fn remove_filing(&mut self, slot: usize, gen: u32, partial: &Partial) {
        fn remove<K: std::hash::Hash + Eq>(map: &mut Map<K, Vec<(usize, u32)>>, key: &K, entry: (usize, u32)) {
            if let Some(v) = map.get_mut(key) {
                v.retain(|e| *e != entry);
                if v.is_empty() {
                    map.remove(key);
                }
            }
        }
        if partial.joined.is_empty() {
            for key in &partial.keys {
                remove(&mut self.by_key, key, (slot, gen));
            }
        } else {
            for h in &partial.joined {
                remove(&mut self.by_join, h, (slot, gen));
            }
        }
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

    fn insert(&mut self, seq: &Sequence, partial: Partial) {
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
        if let Some(sig) = &partial.signature {
            self.by_signature.insert(sig.clone(), (slot, gen));
        }
        self.slots[slot] = Some((gen, partial));
        self.file(seq, slot);
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
            self.remove_filing(slot, gen, &partial);
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
