//! The rule index (rules filed by executable name, field value and scanned
//! literal) must never change what matches: the same events through an
//! engine with the index and one without raise the same rules.
//!
//! Rules: the built-in set and every convertible Sigma rule of the public
//! test set. Events: the built-in rules' own test events, and for every
//! rule, events of each kind it can match built from the literals of its
//! conditions (each literal placed in the field that tests it, as written
//! and in upper case), so most rules match something.

use std::collections::BTreeSet;
use std::path::PathBuf;

use event::fields::Arg;
use event::{Event, EventKind};
use panoptes_rules::compile::{Expr, Predicates};
use panoptes_rules::matcher::{StrTest, Test};
use panoptes_rules::{load, read_sources, testing, Engine, EngineOptions, RuleSet, Source};
use serde_json::{json, Value};

fn sigma_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/sigma/rules/linux")
}

fn sources() -> Vec<Source> {
    let mut diagnostics = Vec::new();
    let mut sources = panoptes_rules::defaults::sources();
    sources.extend(read_sources(&[sigma_dir()], &mut diagnostics));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    sources
}

fn engine(index: bool) -> Engine {
    let opts = EngineOptions { actions: false, burst: u32::MAX, index, ..EngineOptions::default() };
    Engine::new(load(&sources()), opts)
}

/// Literals of the predicates under `e`, by (field, argument).
fn literals(e: &Expr, preds: &Predicates, out: &mut Vec<(&'static str, Arg, String)>) {
    match e {
        Expr::Pred(id) => {
            let p = &preds.preds[*id as usize];
            let Test::Str(test) = &p.test else { return };
            let mut push = |v: &str| out.push((p.field.name, p.arg.clone(), v.to_string()));
            match test {
                StrTest::Eq(v) | StrTest::IEq(v) => v.iter().for_each(|s| push(s)),
                StrTest::EqSet(v) | StrTest::IEqSet(v) => v.iter().for_each(|s| push(s)),
                StrTest::StartsWith(v) | StrTest::EndsWith(v) | StrTest::IStartsWith(v) | StrTest::IEndsWith(v) => {
                    v.iter().for_each(|s| push(s))
                }
                _ => {
                    if let Some(n) = &p.needles {
                        n.texts.iter().for_each(|s| push(s));
                    }
                }
            }
        }
        Expr::And(parts) | Expr::Or(parts) => parts.iter().for_each(|p| literals(p, preds, out)),
        Expr::AnyOf(any) => any.parts.iter().chain(&any.rest).for_each(|p| literals(p, preds, out)),
        Expr::Not(inner) => literals(inner, preds, out),
        _ => {}
    }
}

/// An event of `kind` with the literals placed in their fields.
fn build(kind: EventKind, lits: &[(&'static str, Arg, String)], upper: bool, n: usize) -> Option<Event> {
    let mut exe = "/usr/bin/tool".to_string();
    let mut comm = "tool".to_string();
    let mut cmdline = vec!["tool".to_string()];
    let mut argv: Vec<String> = vec!["tool".into()];
    let mut parent_exe = "/usr/bin/bash".to_string();
    let mut parent_cmdline = "bash".to_string();
    let mut path = "/var/tmp/x".to_string();
    let mut user = "root".to_string();
    for (field, arg, lit) in lits {
        let lit = if upper { lit.to_ascii_uppercase() } else { lit.clone() };
        let abs = |l: &str| if l.starts_with('/') { l.to_string() } else { format!("/usr/bin/{l}") };
        match *field {
            "process.exe" => exe = abs(&lit),
            "process.name" => {
                exe = format!("/usr/bin/{lit}");
                comm = lit.clone();
            }
            "process.comm" => comm = lit.clone(),
            "process.cmdline" | "event.strings" => cmdline.push(lit.clone()),
            "process.parent.exe" | "process.ancestors.exe" => parent_exe = abs(&lit),
            "process.parent.name" | "process.ancestors.name" => parent_exe = format!("/usr/bin/{lit}"),
            "process.parent.cmdline" | "process.ancestors.cmdline" => parent_cmdline = lit.clone(),
            "exec.argv" => match arg {
                Arg::Index(i) => {
                    while argv.len() <= *i {
                        argv.push(String::new());
                    }
                    argv[*i] = lit.clone();
                }
                _ => argv.push(lit.clone()),
            },
            "file.path" | "file.target" | "event.paths" | "exec.file" | "exec.filename" => path = abs(&lit),
            "process.user" => user = lit.clone(),
            _ => {}
        }
    }
    if argv.len() == 1 && cmdline.len() > 1 {
        argv.extend(cmdline[1..].iter().cloned());
    }
    let process = json!({
        "pid": 1000 + n, "ppid": 1, "uid": 0, "comm": comm, "exe": exe, "cmdline": cmdline.join(" "),
        "user": user, "exec_id": format!("x:{n}"),
        "ancestors": [{"pid": 1, "exec_id": "x:parent", "exe": parent_exe, "cmdline": parent_cmdline}],
    });
    let body: Value = match kind {
        EventKind::Exec => json!({"filename": path, "file": exe, "argv": argv, "result": 0}),
        EventKind::FileOpen => json!({"path": path, "flags": 577, "flags_names": ["O_WRONLY", "O_CREAT", "O_TRUNC"],
                                      "reason": "write", "result": 3, "syscall": "openat"}),
        EventKind::FileRename => json!({"path": "/var/tmp/y", "new_path": path, "result": 0, "syscall": "rename"}),
        EventKind::FileUnlink => json!({"path": path, "result": 0, "syscall": "unlink"}),
        EventKind::FileChmod => json!({"path": path, "mode": 0o4755, "result": 0, "syscall": "chmod"}),
        EventKind::Fork | EventKind::Exit => json!({}),
        _ => return None,
    };
    let mut ev = json!({"kind": kind.name(), "process": process});
    ev[kind.body_key()] = body;
    Some(testing::test_event(&ev).unwrap_or_else(|e| panic!("{ev}: {e}")))
}

fn corpus(set: &RuleSet) -> Vec<Event> {
    let mut events = Vec::new();
    for rule in &set.rules {
        for (_, case) in rule.tests.matching.iter().chain(&rule.tests.nonmatching) {
            events.extend(case.iter().filter_map(|v| testing::test_event(v).ok()));
        }
        let mut lits = Vec::new();
        literals(&rule.cond, &set.preds, &mut lits);
        for kind in EventKind::ALL.iter().filter(|k| rule.kinds & (1u64 << (**k as usize)) != 0) {
            for upper in [false, true] {
                let n = events.len();
                events.extend(build(*kind, &lits, upper, n));
            }
        }
    }
    events
}

fn matches(engine: &mut Engine, ev: &Event) -> BTreeSet<String> {
    let mut out = Vec::new();
    engine.process(ev, &mut out);
    out.into_iter().map(|a| a.rule.id).collect()
}

#[test]
fn the_index_never_changes_what_matches() {
    let mut indexed = engine(true);
    let mut plain = engine(false);
    let events = corpus(&load(&sources()));
    assert!(events.len() > 1_000, "{} events", events.len());
    let mut matched = BTreeSet::new();
    for ev in &events {
        let a = matches(&mut indexed, ev);
        let b = matches(&mut plain, ev);
        assert_eq!(a, b, "indexed vs every rule differ on {}", ev.to_json());
        matched.extend(a);
    }
    // Not vacuous: the corpus meets most rules, the index spared work, and
    // some conditions were large `or`s evaluated by the needles found.
    assert!(matched.len() >= 150, "only {} rules matched", matched.len());
    fn any_ofs(e: &Expr) -> usize {
        match e {
            Expr::AnyOf(a) => 1 + a.parts.iter().chain(&a.rest).map(any_ofs).sum::<usize>(),
            Expr::And(p) | Expr::Or(p) => p.iter().map(any_ofs).sum(),
            Expr::Not(inner) => any_ofs(inner),
            _ => 0,
        }
    }
    let sparse = indexed.rules().rules.iter().filter(|r| any_ofs(&r.cond) > 0).count();
    assert!(sparse >= 5, "{sparse} rules with a sparse or");
    assert_eq!(plain.rules().rules.iter().map(|r| any_ofs(&r.cond)).sum::<usize>(), 0);
    let (i, p) = (indexed.stats().rule_evaluations, plain.stats().rule_evaluations);
    assert!(i * 3 < p, "indexed {i} rule evaluations, unindexed {p}");
    eprintln!("{} events, {} rules matched; evaluations: {i} indexed, {p} unindexed", events.len(), matched.len());
}

#[test]
fn filed_rules_cover_file_and_keyword_rules() {
    let e = engine(true);
    for kind in [EventKind::Exec, EventKind::FileOpen, EventKind::Fork] {
        let (filed, rest) = e.index_summary().iter().find(|(k, ..)| *k == kind).map(|(_, f, r)| (*f, *r)).unwrap();
        assert!(filed > 4 * rest, "{kind:?}: {filed} filed, {rest} unfiled: {:?}", e.unfiled(kind));
    }
}
