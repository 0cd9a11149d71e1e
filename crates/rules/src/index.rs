//! Second-level rule index: within a kind, a rule is filed under keys one
//! of which its condition needs, and an event meets only the rules filed
//! under keys it has, plus the rules that could not be filed. Keys:
//!
//! - the executable's name (`process.exe endswith "/nc"`, `process.name in
//!   (...)`, `process.exe == /usr/bin/x`);
//! - a value of a string field (`exec.argv[0] ieq getcap`, `event.paths in
//!   (...)`, `event.syscall == memfd_create`), looked up lower-cased;
//! - a literal found by a field's Aho-Corasick scan (`process.cmdline
//!   contains "base64 -d"`, any of a Sigma keyword list): the scan, which
//!   the rule's predicates would run anyway, runs first.
//!
//! The analysis is per kind: a part of a condition that tests another kind
//! (`(kind == exec and ...) or (...)`) can never hold for this one and
//! needs no key here. A rule that can never match a kind is not filed
//! under it at all.

use std::collections::HashMap;

use event::fields::{Arg, FieldDef, Value};
use event::{Event, EventKind};

use crate::compile::{kind_bit, Expr, Predicates};
use crate::eval::{scan_bits, Cache};
use crate::matcher::{StrTest, Test};

type Map = HashMap<Box<str>, Vec<u32>, foldhash::fast::RandomState>;

/// Rules by value of one field (with its argument).
#[derive(Debug)]
struct ValueTable {
    field: &'static FieldDef,
    arg: Arg,
    /// Lower-cased value → rules.
    map: Map,
    /// Bit `n` set: some value is `n` bytes long (bit 127: 127 or more).
    /// Most of an event's values fail this before they are hashed.
    lens: u128,
}

impl ValueTable {
    fn len_bit(len: usize) -> u128 {
        1u128 << len.min(127)
    }

    fn lookup(&self, value: &str) -> Option<&Vec<u32>> {
        if self.lens & Self::len_bit(value.len()) == 0 {
            return None;
        }
        lookup(&self.map, value)
    }
}

/// Rules of one kind, filed by key.
#[derive(Debug, Default)]
pub struct NameIndex {
    /// Lower-cased executable name → rules.
    by_name: Map,
    by_value: Vec<ValueTable>,
    /// Per scanner: needle id → rules that need one of its needles.
    by_needle: Vec<(u32, Vec<Vec<u32>>)>,
    /// Every rule with a name key (run when the event has no executable:
    /// `process.name` falls back to comm).
    named: Vec<u32>,
    /// Rules that may match whatever the keys.
    rest: Vec<u32>,
    /// Every rule that can match this kind.
    all: Vec<u32>,
    /// Rules filed under some key.
    filed: usize,
}

/// A key a condition can need.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Name(String),
    Value(&'static str, Arg, String),
    Needle(u32, u32),
}

impl NameIndex {
    /// Files `rules` (all of one kind); with `keys` off, none is filed.
    pub fn build(kind: EventKind, rules: &[(u32, &Expr)], preds: &Predicates, keys: bool) -> NameIndex {
        let mut index = NameIndex::default();
        for (id, cond) in rules {
            let Some(keys) = necessary(cond, kind_bit(kind), preds).filter(|_| keys) else {
                index.all.push(*id);
                index.rest.push(*id);
                continue;
            };
            if keys.is_empty() {
                // Never true for this kind.
                continue;
            }
            index.all.push(*id);
            index.filed += 1;
            let mut named = false;
            for key in keys {
                let rules = match key {
                    Key::Name(n) => {
                        named = true;
                        index.by_name.entry(n.into()).or_default()
                    }
                    Key::Value(field, arg, v) => {
                        let at = match index.by_value.iter().position(|t| t.field.name == field && t.arg == arg) {
                            Some(at) => at,
                            None => {
                                let Some(def) = event::fields::field(field) else { continue };
                                index.by_value.push(ValueTable { field: def, arg, map: Map::default(), lens: 0 });
                                index.by_value.len() - 1
                            }
                        };
                        let table = &mut index.by_value[at];
                        table.lens |= ValueTable::len_bit(v.len());
                        table.map.entry(v.into()).or_default()
                    }
                    Key::Needle(scanner, needle) => {
                        let at = match index.by_needle.iter().position(|(s, _)| *s == scanner) {
                            Some(at) => at,
                            None => {
                                let count = preds.scanners[scanner as usize].needles;
                                index.by_needle.push((scanner, vec![Vec::new(); count]));
                                index.by_needle.len() - 1
                            }
                        };
                        &mut index.by_needle[at].1[needle as usize]
                    }
                };
                if rules.last() != Some(id) {
                    rules.push(*id);
                }
            }
            if named {
                index.named.push(*id);
            }
        }
        index
    }

    /// (rules filed under keys, rules run for every event of the kind).
    pub fn split(&self) -> (usize, usize) {
        (self.filed, self.rest.len())
    }

    /// The keys looked up: names, value tables, scanners (with counts).
    pub fn describe(&self) -> String {
        let mut out = format!("{} names", self.by_name.len());
        for t in &self.by_value {
            out += &format!(", {}{} ({} values)", t.field.name, arg_suffix(&t.arg), t.map.len());
        }
        for (s, table) in &self.by_needle {
            out += &format!(", scanner {s} ({} needles with rules)", table.iter().filter(|r| !r.is_empty()).count());
        }
        out
    }

    /// Rules run for every event, whatever its keys.
    pub fn unfiled(&self) -> &[u32] {
        &self.rest
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Rules `ev` can match, in rule order. `buf` is reused between calls;
    /// the scans run here are kept in `cache` for the rules' predicates.
    pub fn candidates<'a>(
        &'a self,
        ev: &Event,
        buf: &'a mut Vec<u32>,
        preds: &Predicates,
        cache: &mut Cache,
    ) -> &'a [u32] {
        if self.filed == 0 {
            return &self.all;
        }
        buf.clear();
        if !self.by_name.is_empty() {
            match ev.process.exe.as_deref() {
                None => buf.extend_from_slice(&self.named),
                Some(exe) => {
                    let name = match memchr::memrchr(b'/', exe.as_bytes()) {
                        Some(i) => &exe[i + 1..],
                        None => exe,
                    };
                    if let Some(rules) = lookup(&self.by_name, name) {
                        buf.extend_from_slice(rules);
                    }
                }
            }
        }
        for t in &self.by_value {
            (t.field.visit)(ev, &t.arg, &mut |v| {
                if let Value::Str(s) = v {
                    if let Some(rules) = t.lookup(s) {
                        buf.extend_from_slice(rules);
                    }
                }
                false
            });
        }
        for (scanner, table) in &self.by_needle {
            for (w, &word) in scan_bits(*scanner, ev, preds, cache).iter().enumerate() {
                let mut word = word;
                while word != 0 {
                    let bit = word.trailing_zeros() as usize;
                    word &= word - 1;
                    if let Some(rules) = table.get(w * 64 + bit) {
                        buf.extend_from_slice(rules);
                    }
                }
            }
        }
        if buf.is_empty() {
            return &self.rest;
        }
        buf.extend_from_slice(&self.rest);
        buf.sort_unstable();
        buf.dedup();
        buf
    }
}

fn arg_suffix(arg: &Arg) -> String {
    match arg {
        Arg::None => String::new(),
        Arg::Index(i) => format!("[{i}]"),
        Arg::Key(k) => format!("[{k}]"),
    }
}

fn lookup<'a>(map: &'a Map, key: &str) -> Option<&'a Vec<u32>> {
    if map.is_empty() {
        return None;
    }
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        map.get(key.to_ascii_lowercase().as_str())
    } else {
        map.get(key)
    }
}

/// Keys one of which the condition needs for an event of the kind `bit`,
/// if it needs any (an empty list: it can never hold for that kind).
fn necessary(e: &Expr, bit: u64, preds: &Predicates) -> Option<Vec<Key>> {
    match e {
        Expr::Const(false) => Some(Vec::new()),
        Expr::Kinds(mask) if mask & bit == 0 => Some(Vec::new()),
        Expr::Pred(id) => pred_keys(&preds.preds[*id as usize]),
        Expr::And(parts) => parts.iter().filter_map(|p| necessary(p, bit, preds)).min_by_key(|k| cost(k)),
        Expr::Or(_) | Expr::AnyOf(_) => {
            let parts: Vec<&Expr> = match e {
                Expr::AnyOf(any) => any.parts.iter().chain(&any.rest).collect(),
                Expr::Or(parts) => parts.iter().collect(),
                _ => Vec::new(),
            };
            let mut all = Vec::new();
            for p in parts {
                for k in necessary(p, bit, preds)? {
                    if !all.contains(&k) {
                        all.push(k);
                    }
                }
            }
            Some(all)
        }
        _ => None,
    }
}

/// Which of a condition's necessary parts to file a rule under: lookups
/// by name or value before literals found by a scan, and a value of a
/// field with few values (`file.reason == write`) last, since nearly every
/// event has it; then the fewest keys.
fn cost(keys: &[Key]) -> (u8, usize) {
    let class = |k: &Key| match k {
        Key::Name(_) => 0,
        Key::Value(field, ..) if event::fields::FEW_VALUES.contains(field) => 2,
        Key::Value(..) => 0,
        Key::Needle(..) => 1,
    };
    (keys.iter().map(class).max().unwrap_or(0), keys.len())
}

fn pred_keys(p: &crate::compile::Pred) -> Option<Vec<Key>> {
    if p.negated || p.mask.is_some() {
        return None;
    }
    if let Test::Str(test) = &p.test {
        let last = |v: &str| v.rsplit('/').next().unwrap_or(v).to_ascii_lowercase();
        let name = |v: &mut dyn Iterator<Item = &Box<str>>, f: &dyn Fn(&str) -> String| {
            Some(v.map(|s| Key::Name(f(s))).collect())
        };
        let keys: Option<Vec<Key>> = match (p.field.name, test) {
            ("process.exe", StrTest::EndsWith(v) | StrTest::IEndsWith(v)) => {
                if v.iter().all(|s| s.starts_with('/') && s.len() > 1) {
                    name(&mut v.iter(), &last)
                } else {
                    None
                }
            }
            ("process.exe", StrTest::Eq(v) | StrTest::IEq(v)) => name(&mut v.iter(), &last),
            ("process.exe", StrTest::EqSet(v) | StrTest::IEqSet(v)) => name(&mut v.iter(), &last),
            ("process.name", StrTest::Eq(v) | StrTest::IEq(v)) => name(&mut v.iter(), &|s| s.to_ascii_lowercase()),
            ("process.name", StrTest::EqSet(v) | StrTest::IEqSet(v)) => {
                name(&mut v.iter(), &|s| s.to_ascii_lowercase())
            }
            (field, StrTest::Eq(v) | StrTest::IEq(v)) => {
                Some(v.iter().map(|s| Key::Value(field, p.arg.clone(), s.to_ascii_lowercase())).collect())
            }
            (field, StrTest::EqSet(v) | StrTest::IEqSet(v)) => {
                Some(v.iter().map(|s| Key::Value(field, p.arg.clone(), s.to_ascii_lowercase())).collect())
            }
            _ => None,
        };
        if keys.is_some() {
            return keys;
        }
    }
    let pf = p.prefilter.as_ref()?;
    let mut out = Vec::new();
    for &(w, bits) in &pf.words {
        let mut bits = bits;
        while bits != 0 {
            out.push(Key::Needle(pf.scanner, w * 64 + bits.trailing_zeros()));
            bits &= bits - 1;
        }
    }
    (!out.is_empty()).then_some(out)
}
