//! Sigma rules (<https://sigmahq.io>, logsource product `linux`) converted
//! into Panoptes rules (docs/rules.md). The rules engine calls this crate
//! for `panoptes rules import-sigma DIR` and for Sigma files given to
//! `--rules`; this crate knows the Panoptes condition language only as text
//! and does not depend on the engine.
//!
//! Every input ends as an [`Outcome`]: a [`SigmaRule`] ready to render with
//! [`to_panoptes_yaml`], or `Unsupported` with a reason naming what has no
//! Panoptes counterpart (a field, modifier, record type, syscall or log).
//! Nothing is dropped silently, and nothing is approximated without a
//! [`SigmaRule::notes`] entry saying so.
//!
//! ```
//! let yaml = r#"
//! title: Shell from web server
//! id: 0a1b2c3d-0000-4000-8000-000000000001
//! level: high
//! tags: [attack.execution, attack.t1059.004]
//! logsource: {product: linux, category: process_creation}
//! detection:
//!     selection:
//!         ParentImage|endswith: '/nginx'
//!         Image|endswith: ['/sh', '/bash']
//!     condition: selection
//! "#;
//! let panoptes_sigma::Outcome::Converted(rule) = panoptes_sigma::convert_str(yaml, "web.yml") else { panic!() };
//! assert_eq!(rule.condition, r#"kind == exec and exec.result == 0 and (process.parent.exe iendswith "/nginx" and process.exe iendswith ("/sh", "/bash"))"#);
//! assert_eq!((rule.severity.as_str(), rule.mitre[0].as_str()), ("high", "T1059.004"));
//! ```
//!
//! Modules: `condition` (the Sigma condition parser), `value` (Sigma
//! values, wildcards, quoting), `logsource` (the mapping table),
//! `detection`/`matching` (selections and field entries → predicates),
//! `render` (output template and YAML), `summary` (counts by reason).

mod condition;
mod convert;
mod detection;
mod error;
mod expr;
mod logsource;
mod matching;
mod meta;
mod render;
mod summary;
mod value;

use std::path::{Path, PathBuf};

pub use condition::ConditionError;
pub use error::Unsupported;
pub use render::to_panoptes_yaml;
pub use summary::Summary;
pub use yaml_rust2::Yaml;

/// A converted Sigma rule: the fields of a Panoptes rule item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigmaRule {
    /// Panoptes rule id: `sigma-` + the Sigma id.
    pub id: String,
    /// The Sigma rule's `id` as written (empty when it has none).
    pub sigma_id: String,
    pub title: String,
    /// Credited in every alert, as the Detection Rule License asks.
    pub author: Option<String>,
    pub description: Option<String>,
    /// `info` | `low` | `medium` | `high` | `critical`, from `level`.
    pub severity: String,
    /// ATT&CK technique ids (`attack.t1059.004` → `T1059.004`).
    pub mitre: Vec<String>,
    /// The other tags (`attack.execution` → `execution`; `cve.…` kept).
    pub tags: Vec<String>,
    pub references: Vec<String>,
    /// Sigma `status` (`test`, `experimental`, `stable`, …).
    pub status: Option<String>,
    /// The Panoptes condition.
    pub condition: String,
    /// The alert message template.
    pub output: String,
    /// The file, relative to the imported directory.
    pub source: String,
    /// Where the Panoptes rule only approximates the Sigma rule.
    pub notes: Vec<String>,
}

/// What became of one Sigma file.
// One outcome a file, made once at load: the size of the converted variant
// does not matter, and an unboxed rule keeps matching on it plain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Converted(SigmaRule),
    Unsupported {
        source: String,
        /// The rule's title, when it could be read.
        title: Option<String>,
        reason: String,
    },
}

impl Outcome {
    /// The file this outcome is for.
    pub fn source(&self) -> &str {
        match self {
            Outcome::Converted(rule) => &rule.source,
            Outcome::Unsupported { source, .. } => source,
        }
    }
}

/// Approximation notes, each once, in the order they arose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Notes(pub(crate) Vec<String>);

impl Notes {
    pub(crate) fn push(&mut self, note: &str) {
        if !self.0.iter().any(|n| n == note) {
            self.0.push(note.to_string());
        }
    }
}

/// True for a YAML document that is a Sigma rule: a mapping with
/// `logsource` and `detection` keys.
pub fn is_sigma(doc: &Yaml) -> bool {
    meta::get(doc, "logsource").is_some() && meta::get(doc, "detection").is_some()
}

/// Converts one Sigma file's text; `source` names it in the outcome.
pub fn convert_str(yaml: &str, source: &str) -> Outcome {
    let refuse = |title: Option<String>, reason: Unsupported| Outcome::Unsupported {
        source: source.to_string(),
        title,
        reason: reason.to_string(),
    };
    let docs = match yaml_rust2::YamlLoader::load_from_str(yaml) {
        Ok(docs) => docs,
        Err(e) => return refuse(None, Unsupported::Yaml(e.to_string())),
    };
    let doc = match docs.as_slice() {
        [] => return refuse(None, Unsupported::Empty),
        [doc] => doc,
        more => return refuse(meta::string(&more[0], "title"), Unsupported::MultiDocument(more.len())),
    };
    let title = meta::string(doc, "title");
    if !is_sigma(doc) {
        return refuse(title, Unsupported::NotSigma);
    }
    match convert::rule(doc, source) {
        Ok(rule) => Outcome::Converted(rule),
        Err(reason) => refuse(title, reason),
    }
}

/// Converts every `.yml`/`.yaml` file under `dir` (recursively, sorted by
/// path); sources are relative to `dir`. A file or subdirectory that cannot
/// be read is an `Unsupported` outcome; only an unreadable `dir` is an
/// error.
pub fn convert_dir(dir: &Path) -> std::io::Result<Vec<Outcome>> {
    let mut files = Vec::new();
    let mut outcomes = Vec::new();
    let root = dir.canonicalize()?;
    std::fs::read_dir(&root)?;
    let mut visited = vec![root.clone()];
    collect(&root, &root, &mut visited, &mut files, &mut outcomes);
    files.sort();
    for file in files {
        let source = relative(&root, &file);
        outcomes.push(match std::fs::read_to_string(&file) {
            Ok(text) => convert_str(&text, &source),
            Err(e) => {
                Outcome::Unsupported { source, title: None, reason: Unsupported::Read(e.to_string()).to_string() }
            }
        });
    }
    outcomes.sort_by(|a, b| a.source().cmp(b.source()));
    Ok(outcomes)
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn is_rule_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// Walks `dir`, following symlinks once each (a link cycle is not walked
/// twice).
fn collect(root: &Path, dir: &Path, visited: &mut Vec<PathBuf>, files: &mut Vec<PathBuf>, outcomes: &mut Vec<Outcome>) {
    let refuse = |path: &Path, e: std::io::Error| Outcome::Unsupported {
        source: relative(root, path),
        title: None,
        reason: Unsupported::ReadDir(e.to_string()).to_string(),
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return outcomes.push(refuse(dir, e)),
    };
    for entry in entries {
        let path = match entry {
            Ok(entry) => entry.path(),
            Err(e) => {
                outcomes.push(refuse(dir, e));
                continue;
            }
        };
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => {
                let real = path.canonicalize().unwrap_or_else(|_| path.clone());
                if !visited.contains(&real) {
                    visited.push(real);
                    collect(root, &path, visited, files, outcomes);
                }
            }
            Ok(_) if is_rule_file(&path) => files.push(path),
            Ok(_) => {}
            Err(e) if is_rule_file(&path) => {
                outcomes.push(Outcome::Unsupported {
                    source: relative(root, &path),
                    title: None,
                    reason: Unsupported::Read(e.to_string()).to_string(),
                });
            }
            Err(_) => {}
        }
    }
}
