//! Tests of the compiler: kinds inferred, predicates shared, every kind
//! of load error with its span and hint, globs.
use super::*;

fn compile(text: &str) -> Result<(Expr, Predicates), CompileError> {
    let mut names = Names::default();
    names.lists.insert("shells".into(), vec!["sh".into(), "bash".into()]);
    names.macros.insert("is_exec".into(), Macro { ast: cond::parse("kind == exec").unwrap(), origin: 7 });
    names.macros.insert("loop_a".into(), Macro { ast: cond::parse("loop_b").unwrap(), origin: 8 });
    names.macros.insert("loop_b".into(), Macro { ast: cond::parse("loop_a").unwrap(), origin: 9 });
    let mut preds = Predicates::default();
    let e = Compiler { names: &names, preds: &mut preds, steps: &[] }.compile_text(text, 1)?;
    Ok((e, preds))
}

#[test]
fn kinds_are_inferred() {
    let (e, p) = compile("is_exec and process.name in (shells)").unwrap();
    assert_eq!(kinds_of(&e, &p), kind_bit(EventKind::Exec));
    let (e, p) = compile("file.path startswith /etc/ or net.addr.port == 22").unwrap();
    let m = kinds_of(&e, &p);
    assert!(m & kind_bit(EventKind::FileOpen) != 0 && m & kind_bit(EventKind::NetConnect) != 0);
    assert_eq!(m & kind_bit(EventKind::Exec), 0);
    let (e, p) = compile("not kind == exec").unwrap();
    assert_eq!(kinds_of(&e, &p) & kind_bit(EventKind::Exec), 0);
    let (e, p) = compile("process.name == x").unwrap();
    assert_eq!(kinds_of(&e, &p), ALL_KINDS);
}

#[test]
fn identical_predicates_are_shared() {
    let mut names = Names::default();
    names.lists.insert("x".into(), vec!["a".into()]);
    let mut preds = Predicates::default();
    let mut c = Compiler { names: &names, preds: &mut preds, steps: &[] };
    c.compile_text("process.name == a", 0).unwrap();
    c.compile_text("process.name == a and process.uid == 0", 1).unwrap();
    assert_eq!(preds.preds.len(), 2);
}

#[test]
fn type_and_name_errors() {
    let e = compile("process.nmae == bash").unwrap_err();
    assert_eq!((e.span.clone(), e.message.as_str()), (0..12, "unknown field `process.nmae`"));
    assert!(e.hint.unwrap().contains("process.name"));
    let e = compile("process.uid == root").unwrap_err();
    assert!(e.message.contains("is an int"), "{e:?}");
    assert_eq!(e.span, 15..19);
    let e = compile("process.uid contains 1").unwrap_err();
    assert!(e.message.contains("does not apply"), "{e:?}");
    let e = compile("kind == exek").unwrap_err();
    assert!(e.message.contains("unknown kind"));
    let e = compile("process.exe regex 'a('").unwrap_err();
    assert!(e.message.contains("bad regex"), "{e:?}");
    let e = compile("net.addr.ip cidr 10.0.0.0/33").unwrap_err();
    assert!(e.message.contains("not a network"));
    let e = compile("nosuchmacro").unwrap_err();
    assert!(e.message.contains("unknown macro"));
    let e = compile("loop_a").unwrap_err();
    assert!(e.message.contains("refers to itself"));
    assert_eq!(e.origin, 9);
    let e = compile("process.name == shells").unwrap_err();
    assert!(e.hint.unwrap().contains("in (shells)"));
    let e = compile("exec.argv[x] == a").unwrap_err();
    assert!(e.message.contains("index"));
    let e = compile("container.labels == a").unwrap_err();
    assert!(e.message.contains("needs a key"));
    let e = compile("process.exe & 4 == 0").unwrap_err();
    assert!(e.message.contains("needs an int field"));
    let e = compile("process.name == $a.process.name").unwrap_err();
    assert!(e.message.contains("is not `$event`"), "{}", e.message);
    assert!(e.hint.as_deref().is_some_and(|h| h.contains("sequence steps")));
    assert!(compile("process.name == $event.process.comm").is_ok());
    assert!(compile("file.mode & 0o6000 != 0 and exec.argv[0] == a and container.labels[team] == b").is_ok());
}

#[test]
fn globs_translate() {
    assert_eq!(glob_to_regex("/tmp/*.sh"), r"/tmp/.*\.sh");
    assert_eq!(glob_to_regex("a?[!x]"), "a.[^x]");
    assert_eq!(glob_to_regex(r"a\*"), r"a\*");
    assert_eq!(glob_to_regex("[abc"), r"\[abc");
}

#[test]
fn regexes_give_the_literals_their_matches_start_with() {
    let lit = |p: &str| {
        regex_literals(p).map(|mut v| {
            v.sort();
            v
        })
    };
    assert_eq!(lit("/dev/(tcp|udp)/[^/ ]+/[0-9]+"), Some(vec!["/dev/tcp/".to_string(), "/dev/udp/".to_string()]));
    assert_eq!(lit("^(kworker|kthreadd)/"), Some(vec!["kthreadd/".to_string(), "kworker/".to_string()]));
    assert_eq!(lit("(?i)curl").map(|v| v.len()), Some(16), "case variants");
    assert_eq!(lit("(?i)nc\\s"), None, "`nc` and a Unicode space class: too short");
    assert_eq!(lit("a.*b"), None, "a 1-byte start is no use");
    assert_eq!(lit("[0-9]+x"), None);
    assert_eq!(lit(".*secret"), None, "a match may start anywhere");
}
