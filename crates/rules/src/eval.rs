//! Evaluating compiled expressions. Each predicate is computed at most once
//! per event (rules sharing a test share its result); a generation counter
//! resets the cache without touching it.

use event::fields::{Arg, FieldDef, Value};
use event::Event;

use crate::compile::{kind_bit, Expr, Pred, Predicates};

/// Per-event memo of predicate results.
#[derive(Debug, Default)]
pub struct Cache {
    generation: u32,
    slots: Vec<(u32, bool)>,
}

impl Cache {
    /// Starts a new event.
    pub fn reset(&mut self, preds: usize) {
        if self.slots.len() < preds {
            self.slots.resize(preds, (0, false));
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.iter_mut().for_each(|s| *s = (0, false));
            self.generation = 1;
        }
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
            let r = test(&preds.preds[i], ev);
            if let Some(slot) = cache.slots.get_mut(i) {
                *slot = (cache.generation, r);
            }
            r
        }
        Expr::Ref(r) => {
            let Some(earlier) = steps.get(r.step) else { return false };
            let mut wanted: Vec<Value<'_>> = Vec::new();
            (r.ref_field.visit)(earlier, &r.ref_arg, &mut |v| {
                wanted.push(v);
                false
            });
            !wanted.is_empty() && (r.field.visit)(ev, &r.arg, &mut |v| wanted.contains(&v))
        }
        Expr::And(parts) => parts.iter().all(|p| eval(p, ev, preds, cache, steps)),
        Expr::Or(parts) => parts.iter().any(|p| eval(p, ev, preds, cache, steps)),
        Expr::Not(inner) => !eval(inner, ev, preds, cache, steps),
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
