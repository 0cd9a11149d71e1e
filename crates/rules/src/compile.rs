//! Syntax tree → compiled expression: field names resolved against the
//! event crate's registry, values typed and checked, macros and lists
//! expanded, string tests built into matchers, identical predicates shared
//! between rules. Errors carry the span of the offending text.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::ops::Range;
use std::sync::Arc;

use event::fields::{self, Arg, ArgKind, FieldDef, FieldType};
use event::EventKind;

use crate::cond::{self, Ast, Op, Val};
use crate::literals::needles_of;
#[cfg(test)]
use crate::literals::regex_literals;
use crate::matcher::{IntTest, IpTest, StrTest, Test};

/// Bit per kind.
pub type KindMask = u64;
pub const ALL_KINDS: KindMask = (1u64 << EventKind::ALL.len()) - 1;

pub fn kind_bit(k: EventKind) -> KindMask {
    1u64 << (k as usize)
}

/// Where a condition's text lives, for error positions.
#[derive(Debug, Clone)]
pub struct Origin {
    pub id: usize,
}

/// A compile error: `origin` indexes the caller's table of condition texts.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    pub origin: usize,
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Expr {
    Const(bool),
    Kinds(KindMask),
    Pred(u32),
    /// `FIELD == $step.FIELD` in a sequence step, or `FIELD == $event.FIELD`
    /// (two fields of the same event) anywhere.
    Ref(Box<RefTest>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// An `or` whose parts are mostly predicates prefiltered by one
    /// scanner: only the parts whose needles the event has are evaluated
    /// (the others are false). Made by [`crate::sparse::sparse_ors`] once
    /// rules are indexed.
    AnyOf(Box<crate::sparse::AnyOf>),
}

#[derive(Debug, Clone)]
pub struct RefTest {
    /// `!=`: the field has values and none equals the earlier step's.
    pub negated: bool,
    pub field: &'static FieldDef,
    pub arg: Arg,
    /// The earlier step, or [`SAME_EVENT`].
    pub step: usize,
    pub ref_field: &'static FieldDef,
    pub ref_arg: Arg,
}

/// `RefTest::step` of `$event.FIELD`: the event under test itself.
pub const SAME_EVENT: usize = usize::MAX;

/// The reference name of the event under test: `$event.FIELD` (no
/// sequence step may take it).
pub const SAME_EVENT_NAME: &str = "event";

/// One field test.
#[derive(Debug)]
pub struct Pred {
    pub field: &'static FieldDef,
    pub arg: Arg,
    pub mask: Option<i64>,
    pub test: Test,
    /// `!=`: present and no value passes `test` (an equality).
    pub negated: bool,
    /// Literals one of which must occur for the test to pass.
    pub needles: Option<Needles>,
    /// Set by [`Predicates::finalize`]: where those literals are scanned.
    pub prefilter: Option<Prefilter>,
}

/// Literals a string test needs (from `contains` values, or the longest
/// literal run of each glob).
#[derive(Debug, Clone)]
pub struct Needles {
    pub texts: Vec<String>,
    pub insensitive: bool,
    /// Finding a needle is the whole test (`contains`), not a precondition.
    pub exact: bool,
}

/// A predicate's needles in one shared scanner.
#[derive(Debug, Clone)]
pub struct Prefilter {
    pub scanner: u32,
    /// The needles as (word index, bits) of the scanner's found-set.
    pub words: Vec<(u32, u64)>,
    pub exact: bool,
}

/// One Aho-Corasick pass over one field finds every needle of every
/// predicate on that field at once; the result is cached per event.
#[derive(Debug)]
pub struct Scanner {
    pub field: &'static FieldDef,
    pub arg: Arg,
    /// A DFA with every needle's matches in its states (standard match
    /// kind), walked byte by byte by [`crate::eval`].
    pub ac: aho_corasick::dfa::DFA,
    pub needles: usize,
    /// What of the field's values is fixed per process image, so its scan
    /// can be cached by `exec_id`.
    pub per_process: PerProcess,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerProcess {
    No,
    /// The whole field (`process.cmdline`, ...).
    Whole,
    /// `event.strings`: exe and cmdline cached, the rest scanned per event.
    Split,
}

/// A named condition.
#[derive(Debug, Clone)]
pub struct Macro {
    pub ast: Ast,
    pub origin: usize,
}

/// Everything conditions may refer to by name.
#[derive(Debug, Default)]
pub struct Names {
    pub macros: HashMap<String, Macro>,
    pub lists: HashMap<String, Vec<String>>,
}

/// Predicates shared by every compiled rule.
#[derive(Debug, Default)]
pub struct Predicates {
    pub preds: Vec<Pred>,
    pub scanners: Vec<Scanner>,
    keys: HashMap<String, u32>,
}

impl Predicates {
    /// Groups the needles of every predicate by (field, argument, case) and
    /// builds one scanner per group. Call once all rules are compiled.
    pub fn finalize(&mut self) {
        // (field, argument, case-insensitive) → its needles in order, each
        // needle's number, the predicates in the group
        type Group = (Vec<String>, HashMap<String, u32>, Vec<usize>);
        let mut groups: HashMap<(String, String, bool), Group> = HashMap::new();
        for (i, p) in self.preds.iter().enumerate() {
            let Some(n) = p.needles.as_ref().filter(|_| !p.negated && p.mask.is_none()) else { continue };
            let key = (p.field.name.to_string(), format!("{:?}", p.arg), n.insensitive);
            let g = groups.entry(key).or_default();
            g.2.push(i);
            for t in &n.texts {
                if !g.1.contains_key(t) {
                    g.1.insert(t.clone(), g.0.len() as u32);
                    g.0.push(t.clone());
                }
            }
        }
        let mut keys: Vec<_> = groups.into_iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        for ((_, _, insensitive), (texts, ids, members)) in keys {
            let Ok(ac) = aho_corasick::dfa::Builder::new()
                .ascii_case_insensitive(insensitive)
                .match_kind(aho_corasick::MatchKind::Standard)
                .build(&texts)
            else {
                continue;
            };
            let scanner = self.scanners.len() as u32;
            let first = &self.preds[members[0]];
            let per_process = if first.field.name == "event.strings" {
                PerProcess::Split
            } else if event::fields::PER_PROCESS_IMAGE.contains(&first.field.name) {
                PerProcess::Whole
            } else {
                PerProcess::No
            };
            self.scanners.push(Scanner {
                field: first.field,
                arg: first.arg.clone(),
                ac,
                needles: texts.len(),
                per_process,
            });
            for m in members {
                let p = &mut self.preds[m];
                if let Some(n) = &p.needles {
                    let mut words: Vec<(u32, u64)> = Vec::new();
                    for id in n.texts.iter().filter_map(|t| ids.get(t).copied()) {
                        let (w, bit) = (id / 64, 1u64 << (id % 64));
                        match words.iter_mut().find(|(x, _)| *x == w) {
                            Some((_, bits)) => *bits |= bit,
                            None => words.push((w, bit)),
                        }
                    }
                    p.prefilter = Some(Prefilter { scanner, words, exact: n.exact });
                }
            }
        }
    }
}

/// Compiles conditions against one [`Names`] table into one predicate table.
pub struct Compiler<'a> {
    pub names: &'a Names,
    pub preds: &'a mut Predicates,
    /// Names of earlier sequence steps (`$name.field` allowed) when compiling a step.
    pub steps: &'a [String],
}

impl Compiler<'_> {
    /// Parses and compiles `text` (from `origin`).
    pub fn compile_text(&mut self, text: &str, origin: usize) -> Result<Expr, CompileError> {
        let ast =
            cond::parse(text).map_err(|e| CompileError { origin, span: e.span, message: e.message, hint: e.hint })?;
        self.compile(&ast, origin, &mut Vec::new())
    }

    fn compile(&mut self, ast: &Ast, origin: usize, stack: &mut Vec<String>) -> Result<Expr, CompileError> {
        let err =
            |span: Range<usize>, message: String, hint: Option<String>| CompileError { origin, span, message, hint };
        Ok(match ast {
            Ast::And(parts) => {
                Expr::And(parts.iter().map(|p| self.compile(p, origin, stack)).collect::<Result<_, _>>()?)
            }
            Ast::Or(parts) => Expr::Or(parts.iter().map(|p| self.compile(p, origin, stack)).collect::<Result<_, _>>()?),
            Ast::Not(inner) => Expr::Not(Box::new(self.compile(inner, origin, stack)?)),
            Ast::Name { name, span } => {
                if name == "true" || name == "false" {
                    return Ok(Expr::Const(name == "true"));
                }
                let Some(m) = self.names.macros.get(name) else {
                    let hint = if fields::field(split_arg(name).0).is_some() {
                        Some(format!(
                            "`{name}` is a field: compare it, e.g. `{name} == value`, or test `{name} exists`"
                        ))
                    } else {
                        Some("define it with `- macro: NAME` or check the spelling".to_string())
                    };
                    return Err(err(span.clone(), format!("unknown macro `{name}`"), hint));
                };
                if stack.iter().any(|s| s == name) {
                    return Err(err(span.clone(), format!("macro `{name}` refers to itself"), Some(stack.join(" → "))));
                }
                stack.push(name.clone());
                let m = m.clone();
                let compiled = self.compile(&m.ast, m.origin, stack);
                stack.pop();
                compiled?
            }
            Ast::Exists { field, field_span } => {
                let (def, arg) = resolve_field(field, field_span, origin)?;
                self.intern(def, arg, None, Test::Exists, false, None)?
            }
            Ast::Pred { field, field_span, mask, op, values, list } => {
                let (def, arg) = resolve_field(field, field_span, origin)?;
                if let Some(r) = values.first().filter(|v| !v.quoted && v.text.starts_with('$')) {
                    return self.reference(def, arg, *op, r, values.len(), origin);
                }
                let mask = match mask {
                    None => None,
                    Some(m) if def.ty == FieldType::Int => Some(
                        parse_int(&m.text)
                            .ok_or_else(|| err(m.span.clone(), format!("mask `{}` is not an integer", m.text), None))?,
                    ),
                    Some(m) => {
                        return Err(err(
                            m.span.clone(),
                            format!("`&` needs an int field; {} is {}", def.name, def.ty.name()),
                            None,
                        ))
                    }
                };
                let values = self.expand(values, *op, *list, origin)?;
                if def.ty == FieldType::Kind {
                    return kind_expr(*op, &values, origin);
                }
                let (test, negated) = build_test(def, *op, &values, origin)?;
                let needles = needles_of(*op, &values);
                self.intern(def, arg, mask, test, negated, needles)?
            }
        })
    }

    fn reference(
        &mut self,
        def: &'static FieldDef,
        arg: Arg,
        op: Op,
        value: &Val,
        count: usize,
        origin: usize,
    ) -> Result<Expr, CompileError> {
        let err =
            |message: String, hint: Option<String>| CompileError { origin, span: value.span.clone(), message, hint };
        if !matches!(op, Op::Eq | Op::Ne) || count != 1 {
            return Err(err(
                "a `$step.field` or `$event.field` reference compares with `==` or `!=` only".into(),
                None,
            ));
        }
        let body = &value.text[1..];
        let Some((step, field)) = body.split_once('.') else {
            return Err(err(format!("`{}` is not `$event.field` or `$step.field`", value.text), None));
        };
        let step = match self.steps.iter().position(|s| s == step) {
            _ if step == SAME_EVENT_NAME => SAME_EVENT,
            Some(step) => step,
            None if self.steps.is_empty() => {
                return Err(err(
                    format!("`${step}` is not `$event`"),
                    Some(
                        "compare two fields of the event with `$event.FIELD`; `$step.FIELD` is for sequence steps"
                            .into(),
                    ),
                ))
            }
            None => {
                return Err(err(
                    format!("`${step}` is neither `$event` nor an earlier step of this sequence"),
                    Some(format!("earlier steps: {}", self.steps.join(", "))),
                ))
            }
        };
        let (ref_field, ref_arg) = resolve_field(field, &value.span, origin)?;
        Ok(Expr::Ref(Box::new(RefTest { negated: op == Op::Ne, field: def, arg, step, ref_field, ref_arg })))
    }

    /// Values with list names expanded (unquoted words naming a list).
    fn expand(&self, values: &[Val], op: Op, list: bool, origin: usize) -> Result<Vec<Val>, CompileError> {
        let mut out = Vec::new();
        for v in values {
            match self.names.lists.get(&v.text).filter(|_| !v.quoted) {
                Some(items) => {
                    if !list && matches!(op, Op::Eq | Op::Ne | Op::IEq) {
                        return Err(CompileError {
                            origin,
                            span: v.span.clone(),
                            message: format!("`{}` is a list; `{}` compares with one value", v.text, op.name()),
                            hint: Some(format!("use `in ({})`", v.text)),
                        });
                    }
                    out.extend(items.iter().map(|t| Val { text: t.clone(), quoted: true, span: v.span.clone() }));
                }
                None => out.push(v.clone()),
            }
        }
        if out.is_empty() {
            let span = values.first().map(|v| v.span.clone()).unwrap_or(0..0);
            return Err(CompileError { origin, span, message: "empty value list".into(), hint: None });
        }
        Ok(out)
    }

    fn intern(
        &mut self,
        field: &'static FieldDef,
        arg: Arg,
        mask: Option<i64>,
        test: Test,
        negated: bool,
        needles: Option<Needles>,
    ) -> Result<Expr, CompileError> {
        let key = format!("{}|{:?}|{:?}|{}|{}", field.name, arg, mask, negated, test.key());
        if let Some(id) = self.preds.keys.get(&key) {
            return Ok(Expr::Pred(*id));
        }
        let id = self.preds.preds.len() as u32;
        self.preds.preds.push(Pred { field, arg, mask, test, negated, needles, prefilter: None });
        self.preds.keys.insert(key, id);
        Ok(Expr::Pred(id))
    }
}

fn split_arg(name: &str) -> (&str, Option<&str>) {
    match name.split_once('[') {
        Some((base, rest)) => (base, Some(rest.strip_suffix(']').unwrap_or(rest))),
        None => (name, None),
    }
}

/// `name` or `name[arg]` → the field and its argument.
pub fn resolve_field(name: &str, span: &Range<usize>, origin: usize) -> Result<(&'static FieldDef, Arg), CompileError> {
    let err = |message: String, hint: Option<String>| CompileError { origin, span: span.clone(), message, hint };
    let (base, arg) = split_arg(name);
    let Some(def) = fields::field(base) else {
        let similar = fields::similar(base);
        let hint = if similar.is_empty() {
            "`panoptes rules fields` lists every field".to_string()
        } else {
            format!("did you mean one of: {}", similar.join(", "))
        };
        return Err(err(format!("unknown field `{base}`"), Some(hint)));
    };
    let arg = match (def.arg, arg) {
        (ArgKind::None, None) | (ArgKind::OptionalIndex, None) => Arg::None,
        (ArgKind::None, Some(_)) => return Err(err(format!("`{base}` takes no [argument]"), None)),
        (ArgKind::OptionalIndex, Some(a)) => match a.parse::<usize>() {
            Ok(n) => Arg::Index(n),
            Err(_) => return Err(err(format!("`{base}[{a}]`: the index must be a number"), None)),
        },
        (ArgKind::Key, Some(a)) if !a.is_empty() => Arg::Key(a.to_string()),
        (ArgKind::Key, _) => return Err(err(format!("`{base}` needs a key: {base}[KEY]"), None)),
    };
    Ok((def, arg))
}

/// Decimal, 0x, 0o or 0b integers, optionally negative.
pub fn parse_int(text: &str) -> Option<i64> {
    let (neg, t) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let t = t.replace('_', "");
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = t.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if let Some(b) = t.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else {
        t.parse::<i64>().ok().or_else(|| t.parse::<u64>().ok().map(|u| u as i64))?
    };
    Some(if neg { -v } else { v })
}

fn kind_expr(op: Op, values: &[Val], origin: usize) -> Result<Expr, CompileError> {
    let mut mask = 0;
    for v in values {
        match EventKind::from_name(&v.text) {
            Some(k) => mask |= kind_bit(k),
            None => {
                return Err(CompileError {
                    origin,
                    span: v.span.clone(),
                    message: format!("unknown kind `{}`", v.text),
                    hint: Some(format!(
                        "kinds: {}",
                        EventKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
                    )),
                })
            }
        }
    }
    match op {
        Op::Eq | Op::In => Ok(Expr::Kinds(mask)),
        Op::Ne => Ok(Expr::Not(Box::new(Expr::Kinds(mask)))),
        _ => Err(CompileError {
            origin,
            span: values[0].span.clone(),
            message: format!("`kind` compares with ==, != or in, not `{}`", op.name()),
            hint: None,
        }),
    }
}

fn build_test(def: &'static FieldDef, op: Op, values: &[Val], origin: usize) -> Result<(Test, bool), CompileError> {
    let bad = |v: &Val, message: String, hint: Option<&str>| CompileError {
        origin,
        span: v.span.clone(),
        message,
        hint: hint.map(str::to_string),
    };
    let first = &values[0];
    let wrong_op = |hint: &str| {
        Err(bad(first, format!("`{}` does not apply to {} ({})", op.name(), def.name, def.ty.name()), Some(hint)))
    };
    let single = |what: &str| -> Result<(), CompileError> {
        if values.len() > 1 && matches!(op, Op::Eq | Op::Ne | Op::IEq | Op::Lt | Op::Le | Op::Gt | Op::Ge) {
            return Err(bad(&values[1], format!("`{}` takes one {what}", op.name()), Some("use `in (a, b)`")));
        }
        Ok(())
    };
    match def.ty {
        FieldType::Int => {
            let mut ints = Vec::new();
            for v in values {
                ints.push(parse_int(&v.text).ok_or_else(|| {
                    bad(
                        v,
                        format!("{} is an int; `{}` is not a number", def.name, v.text),
                        Some("write 42, -1, 0x1f or 0o4755"),
                    )
                })?);
            }
            single("number")?;
            let test = match op {
                Op::Eq | Op::Ne | Op::In => IntTest::In(ints),
                Op::Lt | Op::Le | Op::Gt | Op::Ge => IntTest::Cmp(op, ints[0]),
                _ => return wrong_op("ints take ==, !=, <, <=, >, >=, in (and `& MASK` first)"),
            };
            Ok((Test::Int(test), op == Op::Ne))
        }
        FieldType::Bool => {
            single("value")?;
            let b = match first.text.as_str() {
                "true" => true,
                "false" => false,
                other => {
                    return Err(bad(first, format!("{} is a bool; `{other}` is not true or false", def.name), None))
                }
            };
            match op {
                Op::Eq => Ok((Test::Bool(b), false)),
                Op::Ne => Ok((Test::Bool(!b), false)),
                _ => wrong_op("bools take == and !="),
            }
        }
        FieldType::Ip => match op {
            Op::Eq | Op::Ne | Op::In => {
                let mut ips = Vec::new();
                for v in values {
                    ips.push(v.text.parse::<IpAddr>().map_err(|_| {
                        bad(
                            v,
                            format!("{} is an address; `{}` is not an IP", def.name, v.text),
                            Some("e.g. 127.0.0.1 or ::1; networks take `cidr`"),
                        )
                    })?);
                }
                single("address")?;
                Ok((Test::Ip(IpTest::In(ips)), op == Op::Ne))
            }
            Op::Cidr => {
                let mut nets = Vec::new();
                for v in values {
                    let net = v
                        .text
                        .parse::<ipnet::IpNet>()
                        .or_else(|_| v.text.parse::<IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| {
                            bad(v, format!("`{}` is not a network", v.text), Some("e.g. 10.0.0.0/8 or fc00::/7"))
                        })?;
                    nets.push(net);
                }
                Ok((Test::Ip(IpTest::Cidr(nets)), false))
            }
            _ => wrong_op("addresses take ==, !=, in and cidr"),
        },
        FieldType::Str | FieldType::Kind => {
            let texts: Vec<&str> = values.iter().map(|v| v.text.as_str()).collect();
            single("value")?;
            let test = match op {
                Op::Eq | Op::Ne | Op::In => StrTest::eq(&texts, false),
                Op::IEq | Op::IIn => StrTest::eq(&texts, true),
                Op::Contains => StrTest::contains(&texts, false),
                Op::IContains => StrTest::contains(&texts, true),
                Op::StartsWith => StrTest::StartsWith(to_boxed(&texts, false)),
                Op::IStartsWith => StrTest::IStartsWith(to_boxed(&texts, true)),
                Op::EndsWith => StrTest::EndsWith(to_boxed(&texts, false)),
                Op::IEndsWith => StrTest::IEndsWith(to_boxed(&texts, true)),
                Op::Glob | Op::IGlob => {
                    let parts: Vec<String> = texts.iter().map(|t| glob_to_regex(t)).collect();
                    let src = format!("{}^(?:{})$", if op == Op::IGlob { "(?is)" } else { "(?s)" }, parts.join("|"));
                    StrTest::globs(&texts, op == Op::IGlob, &src)
                        .map_err(|e| bad(first, format!("bad glob: {e}"), None))?
                }
                Op::Regex => {
                    for v in values {
                        regex::Regex::new(&v.text).map_err(|e| {
                            bad(v, format!("bad regex: {}", e.to_string().lines().last().unwrap_or("")), None)
                        })?;
                    }
                    let src = texts.iter().map(|t| format!("(?:{t})")).collect::<Vec<_>>().join("|");
                    StrTest::regex(&src).map_err(|e| bad(first, format!("bad regex: {e}"), None))?
                }
                Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                    return wrong_op(
                        "strings take ==, !=, in, contains, startswith, endswith, glob, regex and the i- forms",
                    )
                }
                Op::Cidr => return wrong_op("`cidr` is for address fields such as net.addr.ip"),
            };
            Ok((Test::Str(test), op == Op::Ne))
        }
    }
}

fn to_boxed(texts: &[&str], lower: bool) -> Vec<Box<str>> {
    texts.iter().map(|t| if lower { t.to_ascii_lowercase().into() } else { (*t).into() }).collect()
}

/// A shell glob as a regex body: `*` any run, `?` one char, `[...]` a class
/// (`[!...]` negated); everything else literal.
pub fn glob_to_regex(glob: &str) -> String {
    let mut out = String::new();
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => {
                let mut class = String::new();
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == ']' && !class.is_empty() {
                        closed = true;
                        break;
                    }
                    class.push(d);
                }
                if closed {
                    out.push('[');
                    if let Some(rest) = class.strip_prefix('!') {
                        out.push('^');
                        out.push_str(&rest.replace('\\', "\\\\").replace('[', "\\["));
                    } else {
                        out.push_str(&class.replace('\\', "\\\\").replace('[', "\\["));
                    }
                    out.push(']');
                } else {
                    out.push_str(&regex::escape(&format!("[{class}")));
                }
            }
            '\\' => match chars.next() {
                Some(n) => out.push_str(&regex::escape(&n.to_string())),
                None => out.push_str("\\\\"),
            },
            _ => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out
}

/// The kinds whose events could satisfy `e`.
pub fn kinds_of(e: &Expr, preds: &Predicates) -> KindMask {
    match e {
        Expr::Const(true) => ALL_KINDS,
        Expr::Const(false) => 0,
        Expr::Kinds(m) => *m,
        Expr::Pred(id) => field_kinds(preds.preds[*id as usize].field, &preds.preds[*id as usize].test),
        Expr::Ref(r) if r.step == SAME_EVENT => {
            field_kinds(r.field, &Test::Exists) & field_kinds(r.ref_field, &Test::Exists)
        }
        Expr::Ref(r) => field_kinds(r.field, &Test::Exists),
        Expr::And(parts) => parts.iter().fold(ALL_KINDS, |m, p| m & kinds_of(p, preds)),
        Expr::Or(parts) => parts.iter().fold(0, |m, p| m | kinds_of(p, preds)),
        Expr::AnyOf(any) => any.parts.iter().chain(&any.rest).fold(0, |m, p| m | kinds_of(p, preds)),
        Expr::Not(inner) => match inner.as_ref() {
            Expr::Kinds(m) => ALL_KINDS & !m,
            _ => ALL_KINDS,
        },
    }
}

fn field_kinds(def: &FieldDef, _test: &Test) -> KindMask {
    match def.kinds {
        None => ALL_KINDS,
        Some(kinds) => kinds.iter().fold(0, |m, k| m | kind_bit(*k)),
    }
}

/// Flattens nested `and`/`or` and drops `kind` tests the kind index already
/// guarantees (`kinds`: the kinds the expression is evaluated for).
pub fn simplify(e: Expr, kinds: KindMask) -> Expr {
    match e {
        Expr::And(parts) => {
            let mut flat = Vec::with_capacity(parts.len());
            for p in parts {
                match simplify(p, kinds) {
                    Expr::And(inner) => flat.extend(inner),
                    Expr::Const(true) => {}
                    other => flat.push(other),
                }
            }
            match flat.len() {
                0 => Expr::Const(true),
                1 => flat.pop().unwrap_or(Expr::Const(true)),
                _ => Expr::And(flat),
            }
        }
        Expr::Or(parts) => {
            let mut flat = Vec::with_capacity(parts.len());
            for p in parts {
                match simplify(p, kinds) {
                    Expr::Or(inner) => flat.extend(inner),
                    other => flat.push(other),
                }
            }
            if flat.len() == 1 {
                flat.pop().unwrap_or(Expr::Const(false))
            } else {
                Expr::Or(flat)
            }
        }
        Expr::Kinds(m) if kinds & !m == 0 => Expr::Const(true),
        Expr::Not(inner) => Expr::Not(Box::new(simplify(*inner, kinds))),
        other => other,
    }
}

/// Per step, the (field, argument) pairs later steps read with `$step.field`.
pub fn captures<'a>(conds: impl Iterator<Item = &'a Expr>, steps: usize) -> Vec<Vec<(&'static FieldDef, Arg)>> {
    fn walk(e: &Expr, out: &mut Vec<Vec<(&'static FieldDef, Arg)>>) {
        match e {
            Expr::Ref(r) => {
                if let Some(v) = out.get_mut(r.step) {
                    if !v.iter().any(|(f, a)| f.name == r.ref_field.name && *a == r.ref_arg) {
                        v.push((r.ref_field, r.ref_arg.clone()));
                    }
                }
            }
            Expr::And(parts) | Expr::Or(parts) => parts.iter().for_each(|p| walk(p, out)),
            Expr::AnyOf(any) => any.parts.iter().chain(&any.rest).for_each(|p| walk(p, out)),
            Expr::Not(inner) => walk(inner, out),
            _ => {}
        }
    }
    let mut out = vec![Vec::new(); steps];
    for c in conds {
        walk(c, &mut out);
    }
    out
}

/// Names in `e` that are macros or lists, for "unused" lints.
pub fn used_names(ast: &Ast, out: &mut HashSet<String>) {
    match ast {
        Ast::And(v) | Ast::Or(v) => v.iter().for_each(|a| used_names(a, out)),
        Ast::Not(a) => used_names(a, out),
        Ast::Name { name, .. } => {
            out.insert(name.clone());
        }
        Ast::Pred { values, .. } => values.iter().filter(|v| !v.quoted).for_each(|v| {
            out.insert(v.text.clone());
        }),
        Ast::Exists { .. } => {}
    }
}

/// Shared handle to compiled predicates (the engine and every rule).
pub type SharedPredicates = Arc<Predicates>;

#[cfg(test)]
#[path = "compile_tests.rs"]
mod tests;
