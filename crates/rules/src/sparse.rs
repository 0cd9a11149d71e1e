//! Large `or`s of one scanner's predicates (Sigma keyword and wildcard
//! lists): after the rules are indexed, such an `or` becomes an
//! [`Expr::AnyOf`] that evaluates only the parts whose needles the event's
//! scan found. A prefiltered predicate is false without one of its
//! needles, so the result is the same for every event (the index test
//! compares against conditions as written).

use crate::compile::{Expr, Predicates};

/// See [`Expr::AnyOf`].
#[derive(Debug, Clone)]
pub struct AnyOf {
    pub scanner: u32,
    /// Predicates prefiltered by `scanner`.
    pub parts: Vec<Expr>,
    /// Per needle of the scanner: the `parts` that need it.
    pub by_needle: Vec<Vec<u32>>,
    /// The needles some part needs, as (word, bits) of the found-set.
    pub words: Vec<(u32, u64)>,
    /// The other parts of the `or`, evaluated as usual.
    pub rest: Vec<Expr>,
}

/// Parts of one scanner an `or` needs before it becomes an [`AnyOf`].
const ANY_OF_MIN: usize = 4;

/// Turns each `or` with at least [`ANY_OF_MIN`] predicates prefiltered by
/// one scanner into an [`Expr::AnyOf`] (the largest such group; the rest
/// stays an `or`). Same truth value for every event.
pub fn sparse_ors(e: Expr, preds: &Predicates) -> Expr {
    match e {
        Expr::And(parts) => Expr::And(parts.into_iter().map(|p| sparse_ors(p, preds)).collect()),
        Expr::Not(inner) => Expr::Not(Box::new(sparse_ors(*inner, preds))),
        Expr::Or(parts) => {
            let parts: Vec<Expr> = parts.into_iter().map(|p| sparse_ors(p, preds)).collect();
            let scanner_of = |p: &Expr| match p {
                Expr::Pred(id) => preds.preds[*id as usize].prefilter.as_ref().map(|pf| pf.scanner),
                _ => None,
            };
            let mut counts: Vec<(u32, usize)> = Vec::new();
            for s in parts.iter().filter_map(scanner_of) {
                match counts.iter_mut().find(|(x, _)| *x == s) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((s, 1)),
                }
            }
            let Some(&(scanner, n)) = counts.iter().max_by_key(|(_, n)| *n) else { return Expr::Or(parts) };
            if n < ANY_OF_MIN {
                return Expr::Or(parts);
            }
            let (group, rest): (Vec<Expr>, Vec<Expr>) = parts.into_iter().partition(|p| scanner_of(p) == Some(scanner));
            let mut any = AnyOf {
                scanner,
                parts: Vec::new(),
                by_needle: vec![Vec::new(); preds.scanners[scanner as usize].needles],
                words: Vec::new(),
                rest,
            };
            for part in group {
                let Expr::Pred(id) = &part else { continue };
                let Some(pf) = &preds.preds[*id as usize].prefilter else { continue };
                let at = any.parts.len() as u32;
                for &(w, bits) in &pf.words {
                    match any.words.iter_mut().find(|(x, _)| *x == w) {
                        Some((_, b)) => *b |= bits,
                        None => any.words.push((w, bits)),
                    }
                    let mut bits = bits;
                    while bits != 0 {
                        let needle = w as usize * 64 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        if let Some(list) = any.by_needle.get_mut(needle) {
                            list.push(at);
                        }
                    }
                }
                any.parts.push(part);
            }
            Expr::AnyOf(Box::new(any))
        }
        other => other,
    }
}
