//! What loading produces: the compiled [`RuleSet`] (rules, sequences, the
//! shared predicate table), each rule's metadata and test events, load
//! [`Diagnostic`]s, and the [`Source`]s rule text is read from.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use event::Severity;

use crate::compile::{Expr, KindMask, Predicates};
use crate::template::Template;
use crate::yaml::Pos;

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

/// One problem found while loading.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: String,
    pub pos: Pos,
    pub level: Level,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Warning => "warning",
            Level::Error => "error",
        };
        write!(f, "{}:{}:{}: {level}: {}", self.file, self.pos.line, self.pos.col, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// `alert` or `kill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Alert,
    Kill,
}

/// What a rule says about itself.
#[derive(Debug, Clone)]
pub struct Meta {
    pub id: String,
    pub title: Option<String>,
    pub description: String,
    pub severity: Severity,
    pub mitre: Vec<String>,
    pub tags: Vec<String>,
    pub source: String,
    pub author: Option<String>,
    pub action: ActionKind,
    pub enabled: bool,
    pub output: Template,
    /// Where the rule is defined, for messages.
    pub file: String,
    pub pos: Pos,
}

/// Test events written in a rule: each case is a list of events (one for
/// plain rules, the steps for sequences).
#[derive(Debug, Clone, Default)]
pub struct Tests {
    pub matching: Vec<(Pos, Vec<serde_json::Value>)>,
    pub nonmatching: Vec<(Pos, Vec<serde_json::Value>)>,
}

#[derive(Debug)]
pub struct Rule {
    pub meta: Meta,
    pub cond: Expr,
    pub exceptions: Vec<(String, Expr)>,
    pub kinds: KindMask,
    pub tests: Tests,
}

/// How sequence steps are tied together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Process,
    Lineage,
    Container,
}

#[derive(Debug)]
pub struct Step {
    pub name: String,
    pub cond: Expr,
    pub kinds: KindMask,
}

#[derive(Debug)]
pub struct Sequence {
    pub meta: Meta,
    pub steps: Vec<Step>,
    pub by: By,
    pub within: Duration,
    pub exceptions: Vec<(String, Expr)>,
    pub tests: Tests,
    /// Per step: the fields of its event that later steps compare with
    /// (`$step.field`). Partial matches equal in these are interchangeable.
    pub captures: Vec<Vec<(&'static event::fields::FieldDef, event::fields::Arg)>>,
    /// Per step: the `$step.field` equality it needs, if any; partials
    /// waiting for that step are filed by the referenced value.
    pub joins: Vec<Option<crate::sequence::Join>>,
}

/// Everything loaded.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub sequences: Vec<Sequence>,
    pub preds: Predicates,
    pub diagnostics: Vec<Diagnostic>,
    /// Sigma files that could not be converted: (file, title, reason).
    pub sigma_unsupported: Vec<(String, String, String)>,
}

impl RuleSet {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }

    /// Turns off imported Sigma rules below `min` (Sigma's low and
    /// informational levels are hunting rules, noisy on ordinary hosts).
    /// Returns how many were turned off; they stay listed.
    pub fn disable_sigma_below(&mut self, min: Severity) -> usize {
        let mut n = 0;
        for r in &mut self.rules {
            if r.meta.enabled && r.meta.source.starts_with("sigma:") && r.meta.severity < min {
                r.meta.enabled = false;
                n += 1;
            }
        }
        n
    }

    /// Enabled rules and sequences.
    pub fn enabled(&self) -> usize {
        self.rules.iter().filter(|r| r.meta.enabled).count() + self.sequences.iter().filter(|s| s.meta.enabled).count()
    }
}

/// One input: a file on disk or embedded text.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn text(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source { name: name.into(), text: text.into() }
    }
}

/// Reads `.yml`/`.yaml` files from files and directories (recursively,
/// sorted). Unreadable paths become error diagnostics.
pub fn read_sources(paths: &[PathBuf], diagnostics: &mut Vec<Diagnostic>) -> Vec<Source> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files, diagnostics, true);
    }
    files
        .into_iter()
        .filter_map(|f| match std::fs::read_to_string(&f) {
            Ok(text) => Some(Source { name: f.display().to_string(), text }),
            Err(e) => {
                diagnostics.push(diag(
                    &f.display().to_string(),
                    Pos::default(),
                    Level::Error,
                    format!("cannot read: {e}"),
                    None,
                ));
                None
            }
        })
        .collect()
}

fn collect(path: &Path, out: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>, top: bool) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            entries.sort();
            for e in entries {
                collect(&e, out, diagnostics, false);
            }
        }
        Err(_) if path.is_file() || (top && !path.is_dir()) => {
            let yaml = path.extension().is_some_and(|x| x == "yml" || x == "yaml");
            if yaml || top {
                out.push(path.to_path_buf());
            }
        }
        Err(e) => diagnostics.push(diag(
            &path.display().to_string(),
            Pos::default(),
            Level::Error,
            format!("cannot read directory: {e}"),
            None,
        )),
    }
}

pub(crate) fn diag(file: &str, pos: Pos, level: Level, message: String, hint: Option<String>) -> Diagnostic {
    Diagnostic { file: file.to_string(), pos, level, message, hint }
}
