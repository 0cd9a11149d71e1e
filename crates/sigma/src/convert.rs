//! One Sigma rule document → [`SigmaRule`]: logsource, condition,
//! the selections the condition uses, then metadata and output. The steps
//! run in that order so the reason given for an unsupported rule is the
//! most basic one (a log Panoptes does not read before a field it lacks).

use yaml_rust2::Yaml;

use crate::condition::{self, Cond};
use crate::detection::{self, Context};
use crate::error::Unsupported;
use crate::expr::Expr;
use crate::logsource::{Record, Source};
use crate::{meta, render, Notes, SigmaRule};

/// The condition text(s): one string, or a list meaning any of them.
fn parse_condition(detection: &yaml_rust2::yaml::Hash) -> Result<Cond, Unsupported> {
    let texts: Vec<String> = match detection.get(&Yaml::String("condition".into())) {
        None => return Err(Unsupported::invalid("detection has no condition")),
        Some(Yaml::String(text)) => vec![text.clone()],
        Some(Yaml::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(|| Unsupported::invalid("a condition is not a string")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(Unsupported::invalid("condition is not a string")),
    };
    let mut conds = texts.iter().map(|t| condition::parse(t)).collect::<Result<Vec<_>, _>>()?;
    match conds.pop() {
        Some(only) if conds.is_empty() => Ok(only),
        Some(last) => {
            conds.push(last);
            Ok(Cond::Or(conds))
        }
        None => Err(Unsupported::invalid("condition is empty")),
    }
}

/// The search identifiers of `detection`, in rule order.
fn identifiers(detection: &yaml_rust2::yaml::Hash) -> Result<Vec<(String, &Yaml)>, Unsupported> {
    let mut out = Vec::new();
    for (key, value) in detection {
        let name = match key {
            Yaml::String(s) => s.clone(),
            Yaml::Integer(i) => i.to_string(),
            _ => return Err(Unsupported::invalid("a detection key is not a string")),
        };
        match name.as_str() {
            "condition" => {}
            "timeframe" => return Err(Unsupported::Timeframe),
            _ => out.push((name, value)),
        }
    }
    if out.is_empty() {
        return Err(Unsupported::invalid("detection has no search identifiers"));
    }
    Ok(out)
}

/// The Panoptes form of a resolved condition; `None` if it names a
/// selection not converted (resolve() and the caller rule that out).
fn to_expr(cond: &Cond, selections: &[(String, Expr)]) -> Option<Expr> {
    let all = |terms: &[Cond]| terms.iter().map(|t| to_expr(t, selections)).collect::<Option<Vec<_>>>();
    Some(match cond {
        Cond::Ident(name) => Expr::Group(Box::new(selections.iter().find(|(n, _)| n == name).map(|(_, e)| e.clone())?)),
        Cond::Not(inner) => Expr::Not(Box::new(to_expr(inner, selections)?)),
        Cond::And(terms) => Expr::and(all(terms)?),
        Cond::Or(terms) => Expr::or(all(terms)?),
        Cond::Of(..) => return None,
    })
}

/// Converts a document [`crate::is_sigma`] accepted.
pub fn rule(doc: &Yaml, source: &str) -> Result<SigmaRule, Unsupported> {
    let title = meta::string(doc, "title")
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| Unsupported::invalid("the rule has no title"))?;
    let logsource = meta::get(doc, "logsource").ok_or(Unsupported::NotSigma)?;
    let source_kind = Source::from_logsource(logsource)?;
    let Some(Yaml::Hash(detection)) = meta::get(doc, "detection") else {
        return Err(Unsupported::invalid("detection is not a mapping"));
    };
    let named = identifiers(detection)?;
    let names: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
    let cond = parse_condition(detection)?.resolve(&names)?;
    let used = cond.identifiers();

    let mut notes = Notes::default();
    if source_kind == Source::FileEvent {
        notes.push("file_event: a write is a file_open with write, create or truncate intent or a rename onto the path; creating a file is not told apart from writing one");
    }
    if source_kind == Source::AnyLog {
        notes.push("product-only rule (a keyword search over any Linux log): matched against the strings of every event (process exe, cmdline, comm, argv, paths) rather than log lines");
    }
    let declared: Vec<Record> = named
        .iter()
        .filter(|(n, _)| used.contains(n))
        .flat_map(|(_, y)| detection::declared_records(y))
        .filter_map(Result::ok)
        .collect();
    let mut ctx = Context {
        source: source_kind,
        syscall_only: !declared.is_empty() && declared.iter().all(|r| *r == Record::Syscall),
        notes: &mut notes,
        reads_paths: false,
    };
    let mut selections = Vec::with_capacity(used.len());
    for (name, yaml) in named.iter().filter(|(n, _)| used.contains(n)) {
        selections.push((name.clone(), detection::selection(name, yaml, &mut ctx)?));
    }
    let reads_paths = ctx.reads_paths;
    let body = to_expr(&cond, &selections)
        .ok_or_else(|| Unsupported::invalid("the condition names a selection that was not converted"))?;
    let condition = match source_kind.anchor() {
        Some(anchor) => {
            let body = if matches!(body, Expr::Group(_)) { body } else { Expr::Group(Box::new(body)) };
            Expr::and(vec![anchor, body]).render()
        }
        None => match body {
            Expr::Group(inner) => inner.render(),
            other => other.render(),
        },
    };

    let sigma_id = meta::string(doc, "id").unwrap_or_default();
    let id = meta::rule_id(Some(&sigma_id), source, &mut notes);
    let severity = meta::severity(meta::string(doc, "level").as_deref(), &mut notes);
    let (mitre, tags) = meta::tags(&meta::strings(doc, "tags"));
    Ok(SigmaRule {
        id,
        sigma_id,
        output: render::output(&title, source_kind, reads_paths),
        title,
        author: meta::author(doc),
        description: meta::string(doc, "description"),
        severity,
        mitre,
        tags,
        references: meta::strings(doc, "references"),
        status: meta::string(doc, "status"),
        condition,
        source: source.to_string(),
        notes: notes.0,
    })
}
