//! Second-level rule index: within a kind, rules that can only match when
//! the process's executable has one of a few names (`process.exe endswith
//! "/nc"`, `process.name in (...)`, `process.exe == /usr/bin/x`, as a
//! necessary part of the condition), or when an exec's `argv[0]` is one of
//! a few words (`exec.argv[0] ieq getcap`), are filed under those names, so
//! an event meets only the rules filed under its names plus the rules that
//! could not be filed.

use std::collections::{HashMap, HashSet};

use event::fields::Arg;
use event::{Body, Event};

use crate::compile::{Expr, Predicates};
use crate::matcher::{StrTest, Test};

/// Rules of one kind, split by executable name.
#[derive(Debug, Default)]
pub struct NameIndex {
    /// Lower-cased executable name → rules.
    by_name: HashMap<Box<str>, Vec<u32>, foldhash::fast::RandomState>,
    /// Lower-cased exec argv[0] → rules.
    by_argv0: HashMap<Box<str>, Vec<u32>, foldhash::fast::RandomState>,
    /// Rules that may match whatever the name.
    rest: Vec<u32>,
    all: Vec<u32>,
}

impl NameIndex {
    pub fn build(rules: &[(u32, &Expr)], preds: &Predicates) -> NameIndex {
        let mut index = NameIndex::default();
        for (id, cond) in rules {
            index.all.push(*id);
            match necessary_names(cond, preds) {
                Some((Key::Name, names)) => {
                    for n in names {
                        index.by_name.entry(n.into()).or_default().push(*id);
                    }
                }
                Some((Key::Argv0, names)) => {
                    for n in names {
                        index.by_argv0.entry(n.into()).or_default().push(*id);
                    }
                }
                None => index.rest.push(*id),
            }
        }
        index
    }

    /// (rules filed under names, rules run for every event of the kind).
    pub fn split(&self) -> (usize, usize) {
        (self.all.len() - self.rest.len(), self.rest.len())
    }

    /// Rules run for every event, whatever the executable.
    pub fn unfiled(&self) -> &[u32] {
        &self.rest
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Rules `ev` can match, in rule order. `buf` is reused between calls.
    pub fn candidates<'a>(&'a self, ev: &Event, buf: &'a mut Vec<u32>) -> &'a [u32] {
        if self.by_name.is_empty() && self.by_argv0.is_empty() {
            return &self.all;
        }
        // Without an executable, `process.name` falls back to comm: every rule.
        let Some(exe) = ev.process.exe.as_deref() else { return &self.all };
        let name = exe.rsplit('/').next().unwrap_or(exe);
        let by_name = lookup(&self.by_name, name);
        let by_argv0 = match &ev.body {
            Body::Exec(e) => e.argv.first().and_then(|a| lookup(&self.by_argv0, a)),
            _ => None,
        };
        if by_name.is_none() && by_argv0.is_none() {
            return &self.rest;
        }
        buf.clear();
        buf.extend_from_slice(&self.rest);
        buf.extend(by_name.into_iter().chain(by_argv0).flatten());
        buf.sort_unstable();
        buf.dedup();
        buf
    }
}

fn lookup<'a>(map: &'a HashMap<Box<str>, Vec<u32>, foldhash::fast::RandomState>, key: &str) -> Option<&'a Vec<u32>> {
    if map.is_empty() {
        return None;
    }
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        map.get(key.to_ascii_lowercase().as_str())
    } else {
        map.get(key)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Name,
    Argv0,
}

/// Lower-cased names (of the executable, or argv[0]) one of which the
/// condition requires, if it requires any.
fn necessary_names(e: &Expr, preds: &Predicates) -> Option<(Key, HashSet<String>)> {
    match e {
        Expr::Pred(id) => {
            let p = &preds.preds[*id as usize];
            if p.negated || p.mask.is_some() {
                return None;
            }
            let Test::Str(test) = &p.test else { return None };
            let last = |v: &str| v.rsplit('/').next().unwrap_or(v).to_ascii_lowercase();
            let lower = |v: &str| v.to_ascii_lowercase();
            let set = |v: &mut dyn Iterator<Item = &Box<str>>, f: &dyn Fn(&str) -> String| v.map(|s| f(s)).collect();
            match (p.field.name, &p.arg, test) {
                ("process.exe", _, StrTest::EndsWith(v) | StrTest::IEndsWith(v)) => {
                    v.iter().all(|s| s.starts_with('/') && s.len() > 1).then(|| (Key::Name, set(&mut v.iter(), &last)))
                }
                ("process.exe", _, StrTest::Eq(v) | StrTest::IEq(v)) => Some((Key::Name, set(&mut v.iter(), &last))),
                ("process.exe", _, StrTest::EqSet(v) | StrTest::IEqSet(v)) => {
                    Some((Key::Name, set(&mut v.iter(), &last)))
                }
                ("process.name", _, StrTest::Eq(v) | StrTest::IEq(v)) => Some((Key::Name, set(&mut v.iter(), &lower))),
                ("process.name", _, StrTest::EqSet(v) | StrTest::IEqSet(v)) => {
                    Some((Key::Name, set(&mut v.iter(), &lower)))
                }
                ("exec.argv", Arg::Index(0), StrTest::Eq(v) | StrTest::IEq(v)) => {
                    Some((Key::Argv0, set(&mut v.iter(), &lower)))
                }
                ("exec.argv", Arg::Index(0), StrTest::EqSet(v) | StrTest::IEqSet(v)) => {
                    Some((Key::Argv0, set(&mut v.iter(), &lower)))
                }
                _ => None,
            }
        }
        Expr::And(parts) => parts.iter().filter_map(|p| necessary_names(p, preds)).min_by_key(|(_, s)| s.len()),
        Expr::Or(parts) => {
            let mut key = None;
            let mut all = HashSet::new();
            for p in parts {
                let (k, names) = necessary_names(p, preds)?;
                if key.is_some_and(|prev| prev != k) {
                    return None;
                }
                key = Some(k);
                all.extend(names);
            }
            key.map(|k| (k, all))
        }
        _ => None,
    }
}
