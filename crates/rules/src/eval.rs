//! Evaluating compiled expressions. Each predicate is computed at most once
//! per event (rules sharing a test share its result); a generation counter
//! resets the cache without touching it.

use event::fields::{Arg, FieldDef, Value};
use event::Event;

use std::collections::HashMap;

use event::fields;

use crate::compile::{kind_bit, Expr, PerProcess, Pred, Predicates, Prefilter, Scanner, SAME_EVENT};
use crate::sparse::AnyOf;

/// Per-event memo of predicate results.
#[derive(Debug, Default)]
pub struct Cache {
    generation: u32,
    slots: Vec<(u32, bool)>,
    /// Per scanner: the generation it ran in and the needles found.
    scans: Vec<(u32, Vec<u64>)>,
    /// Scans of per-process-image values: exec id → the image's block in
    /// `images` (its first word says which scanners are done).
    per_process: HashMap<Box<str>, usize, foldhash::fast::RandomState>,
    /// One block of `layout.stride` words per process image, no allocation
    /// per image or scan.
    images: Vec<u64>,
    /// Where each per-process scanner's words lie in a block.
    layout: Layout,
    /// This event's block in `images`, looked up once per event.
    image: (u32, usize),
}

/// Per scanner: (offset in a block, words, bit in the block's first word),
/// for the first 63 per-process scanners (later ones are not cached).
#[derive(Debug, Default)]
struct Layout {
    places: Vec<Option<(usize, usize, u32)>>,
    stride: usize,
}

impl Layout {
    fn new(preds: &Predicates) -> Layout {
        let mut stride = 1;
        let mut bit = 0;
        let places = preds
            .scanners
            .iter()
            .map(|sc| {
                if sc.per_process == PerProcess::No || bit == 63 {
                    return None;
                }
                let place = (stride, sc.needles.div_ceil(64), bit);
                stride += place.1;
                bit += 1;
                Some(place)
            })
            .collect();
        Layout { places, stride }
    }
}

/// Cached per-process scans kept at most (then the cache starts over).
const PER_PROCESS_MAX: usize = 16_384;

impl Cache {
    /// Starts a new event.
    pub fn reset(&mut self, preds: usize) {
        if self.slots.len() < preds {
            self.slots.resize(preds, (0, false));
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.iter_mut().for_each(|s| *s = (0, false));
            self.scans.iter_mut().for_each(|s| s.0 = 0);
            self.image.0 = 0;
            self.generation = 1;
        }
    }
}

impl Cache {
    /// The start of this event's process image block in `images` (made,
    /// zeroed, if new).
    fn image_block(&mut self, exec_id: &str) -> usize {
        if self.image.0 == self.generation {
            return self.image.1;
        }
        let stride = self.layout.stride;
        let block = match self.per_process.get(exec_id) {
            Some(&block) => block,
            None => {
                if self.per_process.len() >= PER_PROCESS_MAX {
                    self.per_process.clear();
                    self.images.clear();
                }
                let block = self.images.len();
                self.images.resize(block + stride, 0);
                self.per_process.insert(exec_id.into(), block);
                block
            }
        };
        self.image = (self.generation, block);
        block
    }
}

/// Events earlier steps of a sequence matched, for `$step.field`.
pub type Steps<'a> = &'a [std::sync::Arc<Event>];

pub fn eval(e: &Expr, ev: &Event, preds: &Predicates, cache: &mut Cache, steps: Steps<'_>) -> bool {
    match e {
        Expr::Const(b) => *b,
        Expr::Kinds(mask) => mask & kind_bit(ev.kind()) != 0,
        Expr::Pred(id) => {
            let i = *id as usize;
            if let Some(slot) = cache.slots.get(i) {
                if slot.0 == cache.generation {
                    return slot.1;
                }
            }
            let p = &preds.preds[i];
            let r = match &p.prefilter {
                Some(pf) => match needle_found(pf, ev, preds, cache) {
                    false => false,
                    true if pf.exact => true,
                    true => test(p, ev),
                },
                None => test(p, ev),
            };
            if let Some(slot) = cache.slots.get_mut(i) {
                *slot = (cache.generation, r);
            }
            r
        }
        Expr::Ref(r) => {
            let earlier: &Event = match steps.get(r.step) {
                _ if r.step == SAME_EVENT => ev,
                Some(e) => e,
                None => return false,
            };
            let mut wanted: Vec<Value<'_>> = Vec::new();
            (r.ref_field.visit)(earlier, &r.ref_arg, &mut |v| {
                wanted.push(v);
                false
            });
            if wanted.is_empty() {
                return false;
            }
            if r.negated {
                let mut seen = false;
                let equal = (r.field.visit)(ev, &r.arg, &mut |v| {
                    seen = true;
                    wanted.contains(&v)
                });
                seen && !equal
            } else {
                (r.field.visit)(ev, &r.arg, &mut |v| wanted.contains(&v))
            }
        }
        Expr::And(parts) => parts.iter().all(|p| eval(p, ev, preds, cache, steps)),
        Expr::Or(parts) => parts.iter().any(|p| eval(p, ev, preds, cache, steps)),
        Expr::AnyOf(any) => any_of(any, ev, preds, cache, steps),
        Expr::Not(inner) => !eval(inner, ev, preds, cache, steps),
    }
}

/// An [`AnyOf`]: the parts whose needles were found, then the rest.
fn any_of(any: &AnyOf, ev: &Event, preds: &Predicates, cache: &mut Cache, steps: Steps<'_>) -> bool {
    for &(w, mask) in &any.words {
        let mut found = scan_bits(any.scanner, ev, preds, cache).get(w as usize).copied().unwrap_or(0) & mask;
        while found != 0 {
            let needle = w as usize * 64 + found.trailing_zeros() as usize;
            found &= found - 1;
            for &p in any.by_needle.get(needle).map(Vec::as_slice).unwrap_or_default() {
                if eval(&any.parts[p as usize], ev, preds, cache, steps) {
                    return true;
                }
            }
        }
    }
    any.rest.iter().any(|p| eval(p, ev, preds, cache, steps))
}

/// Whether one of the predicate's needles occurs in its field.
fn needle_found(pf: &Prefilter, ev: &Event, preds: &Predicates, cache: &mut Cache) -> bool {
    let bits = scan_bits(pf.scanner, ev, preds, cache);
    pf.words.iter().any(|&(w, mask)| bits.get(w as usize).is_some_and(|found| found & mask != 0))
}

/// The needles of scanner `s` found in `ev` (bit `i` = needle `i`),
/// scanning the field once per event for every predicate and index that
/// shares the scanner, and once per process image for what is fixed per
/// image.
pub fn scan_bits<'c>(s: u32, ev: &Event, preds: &Predicates, cache: &'c mut Cache) -> &'c [u64] {
    let s = s as usize;
    if cache.scans.len() <= s {
        cache.scans.resize_with(preds.scanners.len().max(s + 1), || (0, Vec::new()));
    }
    if cache.layout.places.len() != preds.scanners.len() {
        cache.layout = Layout::new(preds);
        cache.per_process.clear();
        cache.images.clear();
        cache.image.0 = 0;
    }
    if cache.scans[s].0 != cache.generation {
        let scanner = &preds.scanners[s];
        let mut bits = std::mem::take(&mut cache.scans[s].1);
        bits.clear();
        bits.resize(scanner.needles.div_ceil(64), 0);
        let place = cache.layout.places.get(s).copied().flatten();
        let exec_id = ev.process.exec_id.as_deref().filter(|_| ev.process.exe.is_some());
        match (exec_id, place) {
            (Some(id), Some((offset, words, bit))) => {
                let block = cache.image_block(id);
                let done = &mut cache.images[block];
                if *done & (1 << bit) == 0 {
                    *done |= 1 << bit;
                    match scanner.per_process {
                        PerProcess::Split => scan(scanner, &mut bits, &mut |f| fields::visit_process_strings(ev, f)),
                        _ => scan(scanner, &mut bits, &mut |f| (scanner.field.visit)(ev, &scanner.arg, f)),
                    }
                    cache.images[block + offset..][..words].copy_from_slice(&bits);
                } else {
                    bits.copy_from_slice(&cache.images[block + offset..][..words]);
                }
                if scanner.per_process == PerProcess::Split {
                    scan(scanner, &mut bits, &mut |f| fields::visit_event_strings(ev, f));
                }
            }
            _ => scan(scanner, &mut bits, &mut |f| (scanner.field.visit)(ev, &scanner.arg, f)),
        }
        cache.scans[s] = (cache.generation, bits);
    }
    &cache.scans[s].1
}

/// Calls its argument with each value of a field, stopping when it says so.
type Visit<'v, 'a> = &'v mut dyn FnMut(&mut dyn FnMut(Value<'a>) -> bool) -> bool;

/// Sets the bit of every needle found in the values `visit` yields.
fn scan<'a>(scanner: &Scanner, bits: &mut [u64], visit: Visit<'_, 'a>) {
    visit(&mut |v| {
        if let Value::Str(text) = v {
            found_in(&scanner.ac, text.as_bytes(), bits);
        }
        false
    });
}

/// Every needle occurring in `text`, overlapping ones included: one walk
/// of the DFA, whose match states list every needle ending there (what
/// `find_overlapping_iter` reports, without a call per match).
fn found_in(dfa: &aho_corasick::dfa::DFA, text: &[u8], bits: &mut [u64]) {
    use aho_corasick::automaton::Automaton;
    use aho_corasick::Anchored;
    let Ok(mut sid) = dfa.start_state(Anchored::No) else { return };
    for &b in text {
        sid = dfa.next_state(Anchored::No, sid, b);
        if dfa.is_special(sid) {
            if dfa.is_dead(sid) {
                return;
            }
            if dfa.is_match(sid) {
                for i in 0..dfa.match_len(sid) {
                    let id = dfa.match_pattern(sid, i).as_usize();
                    if let Some(word) = bits.get_mut(id / 64) {
                        *word |= 1 << (id % 64);
                    }
                }
            }
        }
    }
}

fn test(p: &Pred, ev: &Event) -> bool {
    let mask = p.mask;
    let check = |v: Value<'_>| {
        let v = match (mask, v) {
            (Some(m), Value::Int(i)) => Value::Int(i & m),
            (_, v) => v,
        };
        p.test.matches(v)
    };
    if p.negated {
        let mut seen = false;
        let any = visit(p.field, &p.arg, ev, &mut |v| {
            seen = true;
            check(v)
        });
        seen && !any
    } else {
        visit(p.field, &p.arg, ev, &mut |v| check(v))
    }
}

fn visit<'a>(f: &FieldDef, arg: &Arg, ev: &'a Event, cb: &mut dyn FnMut(Value<'a>) -> bool) -> bool {
    (f.visit)(ev, arg, cb)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::found_in;

    proptest! {
        /// The DFA walk finds exactly the needles `find_overlapping_iter`
        /// finds, needles inside needles and case-insensitive ones included.
        #[test]
        fn walk_finds_what_overlapping_search_finds(
            needles in prop::collection::vec("[abAB/.]{1,4}", 1..80),
            text in "[abAB/.x]{0,60}",
            insensitive in any::<bool>(),
        ) {
            let reference = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(insensitive)
                .match_kind(aho_corasick::MatchKind::Standard)
                .build(&needles)
                .unwrap();
            let dfa = aho_corasick::dfa::Builder::new()
                .ascii_case_insensitive(insensitive)
                .match_kind(aho_corasick::MatchKind::Standard)
                .build(&needles)
                .unwrap();
            let mut want = vec![0u64; needles.len().div_ceil(64)];
            for m in reference.find_overlapping_iter(&text) {
                let id = m.pattern().as_usize();
                want[id / 64] |= 1 << (id % 64);
            }
            let mut got = vec![0u64; needles.len().div_ceil(64)];
            found_in(&dfa, text.as_bytes(), &mut got);
            prop_assert_eq!(got, want);
        }
    }
}
