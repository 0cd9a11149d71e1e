//! Which `action: kill` rules the kernel can decide at the exec tracepoint,
//! so the process dies before its new image runs (docs/rules.md, "kill").
//! A rule qualifies when it is an exec rule whose condition is a plain
//! conjunction of `kind == exec`, `exec.result == 0` and exactly one target:
//! `exec.file`/`process.exe` `==`/`in` literal paths, `exec.memfd == true`
//! or `exec.deleted == true`, with no exceptions. Every other kill rule is
//! carried out from user space when it matches.

use event::EventKind;

use crate::compile::{kind_bit, Expr, Predicates};
use crate::load::{ActionKind, RuleSet};
use crate::matcher::{IntTest, StrTest, Test};

/// Kill targets for the kernel, with the rule that asked for each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecKills {
    pub memfd: Option<String>,
    pub deleted: Option<String>,
    /// (executable path, rule id).
    pub files: Vec<(String, String)>,
}

impl ExecKills {
    pub fn is_empty(&self) -> bool {
        self.memfd.is_none() && self.deleted.is_none() && self.files.is_empty()
    }
}

enum Target {
    Memfd,
    Deleted,
    Files(Vec<String>),
}

/// The kernel-decidable kill rules of `set`.
pub fn exec_kills(set: &RuleSet) -> ExecKills {
    let mut out = ExecKills::default();
    for rule in set.rules.iter().filter(|r| r.meta.enabled && r.meta.action == ActionKind::Kill) {
        if rule.kinds != kind_bit(EventKind::Exec) || !rule.exceptions.is_empty() {
            continue;
        }
        let Some(target) = target(&rule.cond, &set.preds) else { continue };
        let id = rule.meta.id.clone();
        match target {
            Target::Memfd => out.memfd = out.memfd.or(Some(id)),
            Target::Deleted => out.deleted = out.deleted.or(Some(id)),
            Target::Files(files) => out.files.extend(files.into_iter().map(|f| (f, id.clone()))),
        }
    }
    out
}

fn target(e: &Expr, preds: &Predicates) -> Option<Target> {
    let terms: Vec<&Expr> = match e {
        Expr::And(parts) => parts.iter().collect(),
        other => vec![other],
    };
    let mut found = None;
    for t in terms {
        match t {
            Expr::Kinds(m) if *m == kind_bit(EventKind::Exec) => {}
            Expr::Pred(id) => {
                let p = &preds.preds[*id as usize];
                if p.mask.is_some() || p.negated {
                    return None;
                }
                let this = match (p.field.name, &p.test) {
                    ("exec.result", Test::Int(IntTest::In(v))) if v.as_slice() == [0] => continue,
                    ("exec.memfd", Test::Bool(true)) => Target::Memfd,
                    ("exec.deleted", Test::Bool(true)) => Target::Deleted,
                    ("exec.file" | "process.exe", Test::Str(StrTest::Eq(v))) => {
                        Target::Files(v.iter().map(|s| s.to_string()).collect())
                    }
                    ("exec.file" | "process.exe", Test::Str(StrTest::EqSet(v))) => {
                        Target::Files(v.iter().map(|s| s.to_string()).collect())
                    }
                    _ => return None,
                };
                if found.is_some() {
                    return None;
                }
                found = Some(this);
            }
            _ => return None,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load, Source};

    #[test]
    fn only_plain_exec_kill_rules_qualify() {
        let text = r#"
- rule: k_memfd
  condition: kind == exec and exec.result == 0 and exec.memfd == true
  action: kill
- rule: k_files
  condition: kind == exec and exec.file in (/usr/bin/nc.traditional, /tmp/evil)
  action: kill
- rule: k_exe
  condition: kind == exec and process.exe == /opt/x
  action: kill
- rule: not_plain
  condition: kind == exec and exec.file == /a and process.uid == 0
  action: kill
- rule: with_exception
  condition: kind == exec and exec.deleted == true
  action: kill
  exceptions: [{name: e, condition: process.uid == 0}]
- rule: alert_only
  condition: kind == exec and exec.deleted == true
- rule: not_exec
  condition: kind == file_open and file.path == /x
  action: kill
"#;
        let set = load(&[Source::text("k.yml", text)]);
        assert!(set.diagnostics.is_empty(), "{:?}", set.diagnostics);
        let k = exec_kills(&set);
        assert_eq!(k.memfd.as_deref(), Some("k_memfd"));
        assert_eq!(k.deleted, None);
        let mut files = k.files.clone();
        files.sort();
        assert_eq!(
            files,
            vec![
                ("/opt/x".to_string(), "k_exe".to_string()),
                ("/tmp/evil".to_string(), "k_files".to_string()),
                ("/usr/bin/nc.traditional".to_string(), "k_files".to_string()),
            ]
        );
    }
}
