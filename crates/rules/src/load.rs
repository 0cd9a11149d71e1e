//! Rule files → a compiled [`RuleSet`]. Reads Panoptes YAML items (rule,
//! macro, list, exception, sequence) and Sigma files (converted by the
//! `sigma` crate), then compiles every condition. Problems become
//! [`Diagnostic`]s with `file:line:column` and a hint; a bad rule is left out
//! and the rest still load (the caller refuses to start on errors when
//! `--strict`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use event::Severity;

use crate::compile::{kinds_of, CompileError, Compiler, Macro, Names, Predicates};
use crate::cond;
use crate::ruleset::diag;
pub use crate::ruleset::*;
use crate::template::Template;
use crate::yaml::{self, Node, Pos};

/// A condition text and where it sits.
struct CondOrigin {
    file: Arc<str>,
    source: Arc<str>,
    node: Option<Node>,
}

/// Items gathered from every source before compiling.
#[derive(Default)]
struct Gathered {
    origins: Vec<CondOrigin>,
    names: Names,
    rules: Vec<RawRule>,
    sequences: Vec<RawSequence>,
    exceptions: Vec<(String, String, usize, String, Pos)>,
    diagnostics: Vec<Diagnostic>,
    sigma_unsupported: Vec<(String, String, String)>,
}

struct RawRule {
    meta: RawMeta,
    cond: usize,
    exceptions: Vec<(String, usize)>,
}

struct RawSequence {
    meta: RawMeta,
    steps: Vec<(String, usize)>,
    by: By,
    within: Duration,
    exceptions: Vec<(String, usize)>,
}

struct RawMeta {
    meta: Meta,
    output_text: String,
    output_origin: usize,
    tests: Tests,
}

/// Records a rule's or sequence's id; false (and an error at its
/// position) when another item has it already.
fn claim_id(seen: &mut HashSet<String>, meta: &Meta, errors: &mut Vec<Diagnostic>) -> bool {
    if seen.insert(meta.id.clone()) {
        return true;
    }
    errors.push(diag(&meta.file, meta.pos, Level::Error, format!("duplicate rule id `{}`", meta.id), None));
    false
}

/// Loads sources into a compiled rule set.
pub fn load(sources: &[Source]) -> RuleSet {
    let mut g = Gathered::default();
    for src in sources {
        g.source(src);
    }
    g.compile()
}

/// Keys every rule and sequence may have, besides its own.
const COMMON_KEYS: &[&str] = &[
    "description",
    "severity",
    "mitre",
    "tags",
    "output",
    "enabled",
    "action",
    "exceptions",
    "tests",
    "title",
    "author",
    "source",
    "references",
    "status",
];
const RULE_KEYS: &[&str] = &["rule", "condition"];
const SEQUENCE_KEYS: &[&str] = &["sequence", "steps", "by", "within"];

impl Gathered {
    fn err(&mut self, file: &str, pos: Pos, message: impl Into<String>, hint: Option<&str>) {
        self.diagnostics.push(diag(file, pos, Level::Error, message.into(), hint.map(str::to_string)));
    }

    fn origin(&mut self, file: &Arc<str>, source: &Arc<str>, node: Option<&Node>) -> usize {
        self.origins.push(CondOrigin { file: file.clone(), source: source.clone(), node: node.cloned() });
        self.origins.len() - 1
    }

    fn source(&mut self, src: &Source) {
        let file: Arc<str> = Arc::from(src.name.as_str());
        let text: Arc<str> = Arc::from(src.text.as_str());
        let docs = match yaml::parse(&src.text) {
            Ok(d) => d,
            Err(e) => return self.err(&file, e.pos, format!("YAML: {}", e.message), None),
        };
        for doc in docs {
            if doc.get("logsource").is_some() && doc.get("detection").is_some() {
                self.sigma(&file, &text, &doc);
                continue;
            }
            match doc.as_seq() {
                Some(items) => items.iter().for_each(|item| self.item(&file, &text, item)),
                None if matches!(doc.as_str(), Some("")) => {}
                None => self.err(
                    &file,
                    doc.pos,
                    format!("expected a list of items, found {}", doc.kind_name()),
                    Some("each item starts with `- rule:`, `- macro:`, `- list:`, `- exception:` or `- sequence:`"),
                ),
            }
        }
    }

    fn sigma(&mut self, file: &Arc<str>, text: &Arc<str>, doc: &Node) {
        match sigma::convert_str(text, file) {
            sigma::Outcome::Converted(r) => {
                let cond = self.origin(file, &Arc::from(r.condition.as_str()), None);
                let output_origin = self.origin(file, text, None);
                let severity = r.severity.parse().unwrap_or(Severity::Medium);
                let meta = Meta {
                    id: r.id.clone(),
                    title: Some(r.title.clone()),
                    description: r.description.clone().unwrap_or_default(),
                    severity,
                    mitre: r.mitre.clone(),
                    tags: r.tags.clone(),
                    source: format!("sigma:{}", r.source),
                    author: r.author.clone(),
                    action: ActionKind::Alert,
                    enabled: true,
                    output: Template::default(),
                    file: file.to_string(),
                    pos: doc.pos,
                };
                self.rules.push(RawRule {
                    meta: RawMeta { meta, output_text: r.output.clone(), output_origin, tests: Tests::default() },
                    cond,
                    exceptions: Vec::new(),
                });
            }
            sigma::Outcome::Unsupported { source, title, reason } => {
                let title = title.unwrap_or_default();
                self.diagnostics.push(diag(
                    file,
                    doc.pos,
                    Level::Warning,
                    format!("Sigma rule not converted: {reason}"),
                    Some(title.clone()),
                ));
                self.sigma_unsupported.push((source, title, reason));
            }
        }
    }

    fn item(&mut self, file: &Arc<str>, text: &Arc<str>, item: &Node) {
        let Some(map) = item.as_map() else {
            return self.err(file, item.pos, format!("expected an item (a map), found {}", item.kind_name()), None);
        };
        let kinds: Vec<&str> = map
            .iter()
            .filter_map(|(k, _)| k.as_str())
            .filter(|k| matches!(*k, "rule" | "macro" | "list" | "exception" | "sequence"))
            .collect();
        if kinds.len() != 1 {
            return self.err(
                file,
                item.pos,
                "an item needs exactly one of the keys rule, macro, list, exception, sequence",
                None,
            );
        }
        match kinds[0] {
            "list" => self.list(file, item),
            "macro" => self.macro_(file, text, item),
            "exception" => {
                let rule = self.name_of(file, item, "exception");
                let (name, cond) =
                    (item.get("name").and_then(Node::as_str).unwrap_or("unnamed"), item.get("condition"));
                let Some(cond) = cond.filter(|c| c.as_str().is_some()) else {
                    return self.err(file, item.pos, "an exception needs a `condition`", None);
                };
                let origin = self.origin(file, text, Some(cond));
                if let Some(rule) = rule {
                    let text = cond.as_str().unwrap_or_default().to_string();
                    self.exceptions.push((rule, name.to_string(), origin, text, item.pos));
                }
            }
            "rule" => self.rule(file, text, item),
            _ => self.sequence(file, text, item),
        }
    }

    fn name_of(&mut self, file: &str, item: &Node, key: &str) -> Option<String> {
        match item.get(key).and_then(Node::as_str) {
            Some(n)
                if !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) =>
            {
                Some(n.to_string())
            }
            _ => {
                self.err(
                    file,
                    item.get(key).map_or(item.pos, |n| n.pos),
                    format!("`{key}` needs a name of letters, digits, _ - ."),
                    None,
                );
                None
            }
        }
    }

    fn list(&mut self, file: &str, item: &Node) {
        let Some(name) = self.name_of(file, item, "list") else { return };
        let Some(items) = item.get("items").and_then(Node::as_seq) else {
            return self.err(file, item.pos, format!("list `{name}` needs `items: [...]`"), None);
        };
        let values = items.iter().filter_map(|n| n.as_str().map(str::to_string)).collect();
        self.names.lists.entry(name).or_default().extend::<Vec<String>>(values);
    }

    fn macro_(&mut self, file: &Arc<str>, text: &Arc<str>, item: &Node) {
        let Some(name) = self.name_of(file, item, "macro") else { return };
        let Some(cond) = item.get("condition").filter(|c| c.as_str().is_some()) else {
            return self.err(file, item.pos, format!("macro `{name}` needs a `condition`"), None);
        };
        let origin = self.origin(file, text, Some(cond));
        match cond::parse(cond.as_str().unwrap_or_default()) {
            Ok(ast) => {
                if self.names.macros.insert(name.clone(), Macro { ast, origin }).is_some() {
                    self.diagnostics.push(diag(
                        file,
                        item.pos,
                        Level::Warning,
                        format!("macro `{name}` redefined; the last definition wins"),
                        None,
                    ));
                }
            }
            Err(e) => {
                let ce = CompileError { origin, span: e.span, message: e.message, hint: e.hint };
                let d = self.located(&ce);
                self.diagnostics.push(d);
            }
        }
    }

    fn check_keys(&mut self, file: &str, item: &Node, own: &[&str]) {
        for (k, _) in item.as_map().unwrap_or_default() {
            let key = k.as_str().unwrap_or_default();
            if !own.contains(&key) && !COMMON_KEYS.contains(&key) {
                let keys = own.iter().chain(COMMON_KEYS).copied().collect::<Vec<_>>().join(", ");
                self.err(file, k.pos, format!("unknown key `{key}`"), Some(&format!("keys: {keys}")));
            }
        }
    }

    fn meta(&mut self, file: &Arc<str>, text: &Arc<str>, item: &Node, id: String) -> Option<RawMeta> {
        let str_of = |k: &str| item.get(k).and_then(Node::as_str).map(str::to_string);
        let list_of = |k: &str| -> Vec<String> {
            match item.get(k) {
                Some(n) => match n.as_seq() {
                    Some(v) => v.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
                    None => n.as_str().map(|s| vec![s.to_string()]).unwrap_or_default(),
                },
                None => Vec::new(),
            }
        };
        let severity = match item.get("severity") {
            None => Severity::Medium,
            Some(n) => match n.as_str().unwrap_or_default().parse::<Severity>() {
                Ok(s) => s,
                Err(e) => {
                    self.err(file, n.pos, format!("severity: {e}"), None);
                    return None;
                }
            },
        };
        let action = match item.get("action").map(|n| (n.as_str().unwrap_or_default(), n.pos)) {
            None | Some(("alert", _)) => ActionKind::Alert,
            Some(("kill", _)) => ActionKind::Kill,
            Some((other, pos)) => {
                self.err(file, pos, format!("action `{other}` is neither alert nor kill"), None);
                return None;
            }
        };
        let enabled = match item.get("enabled").and_then(Node::as_str) {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => {
                self.err(file, item.pos, format!("enabled: `{other}` is not true or false"), None);
                return None;
            }
        };
        let mitre = list_of("mitre");
        for m in &mitre {
            let ok =
                m.starts_with('T') && m[1..].split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                let pos = item.get("mitre").map_or(item.pos, |n| n.pos);
                self.err(
                    file,
                    pos,
                    format!("mitre: `{m}` is not an ATT&CK technique id"),
                    Some("e.g. T1059 or T1059.004"),
                );
                return None;
            }
        }
        let output_node = item.get("output");
        let output_text = output_node.and_then(Node::as_str).map(str::to_string).unwrap_or_else(|| {
            str_of("title")
                .or_else(|| str_of("description"))
                .unwrap_or_else(|| id.clone())
                .replace('{', "{{")
                .replace('}', "}}")
                + " ({process.exe} pid {process.pid})"
        });
        let output_origin = self.origin(file, text, output_node);
        let tests = self.tests(file, item);
        Some(RawMeta {
            meta: Meta {
                id,
                title: str_of("title"),
                description: str_of("description").unwrap_or_default(),
                severity,
                mitre,
                tags: list_of("tags"),
                source: str_of("source").unwrap_or_else(|| file.to_string()),
                author: str_of("author"),
                action,
                enabled,
                output: Template::default(),
                file: file.to_string(),
                pos: item.pos,
            },
            output_text,
            output_origin,
            tests,
        })
    }

    fn tests(&mut self, file: &str, item: &Node) -> Tests {
        let mut tests = Tests::default();
        let Some(t) = item.get("tests") else { return tests };
        for (key, out) in [("match", &mut tests.matching), ("nomatch", &mut tests.nonmatching)] {
            for case in t.get(key).and_then(Node::as_seq).unwrap_or_default() {
                let events = match case.as_seq() {
                    Some(list) => list.iter().map(Node::to_json).collect(),
                    None => vec![case.to_json()],
                };
                out.push((case.pos, events));
            }
        }
        for (k, _) in t.as_map().unwrap_or_default() {
            if !matches!(k.as_str(), Some("match" | "nomatch")) {
                self.err(
                    file,
                    k.pos,
                    format!("unknown key `{}` in tests", k.as_str().unwrap_or("?")),
                    Some("tests take match and nomatch"),
                );
            }
        }
        tests
    }

    fn exceptions_of(&mut self, file: &Arc<str>, text: &Arc<str>, item: &Node) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for ex in item.get("exceptions").and_then(Node::as_seq).unwrap_or_default() {
            let name = ex.get("name").and_then(Node::as_str).unwrap_or("unnamed").to_string();
            match ex.get("condition").filter(|c| c.as_str().is_some()) {
                Some(c) => out.push((name, self.origin(file, text, Some(c)))),
                None => self.err(file, ex.pos, "an exception needs `name` and `condition`", None),
            }
        }
        out
    }

    fn rule(&mut self, file: &Arc<str>, text: &Arc<str>, item: &Node) {
        self.check_keys(file, item, RULE_KEYS);
        let Some(id) = self.name_of(file, item, "rule") else { return };
        let Some(cond) = item.get("condition").filter(|c| c.as_str().is_some()) else {
            return self.err(file, item.pos, format!("rule `{id}` needs a `condition`"), None);
        };
        let cond = self.origin(file, text, Some(cond));
        let exceptions = self.exceptions_of(file, text, item);
        if let Some(meta) = self.meta(file, text, item, id) {
            self.rules.push(RawRule { meta, cond, exceptions });
        }
    }

    fn sequence(&mut self, file: &Arc<str>, text: &Arc<str>, item: &Node) {
        self.check_keys(file, item, SEQUENCE_KEYS);
        let Some(id) = self.name_of(file, item, "sequence") else { return };
        let by = match item.get("by").and_then(Node::as_str) {
            Some("process") => By::Process,
            Some("lineage") | None => By::Lineage,
            Some("container") => By::Container,
            Some(other) => {
                return self.err(file, item.pos, format!("by: `{other}` is not process, lineage or container"), None)
            }
        };
        let within = match item.get("within").and_then(Node::as_str).map(parse_duration) {
            Some(Some(d)) => d,
            None => Duration::from_secs(60),
            Some(None) => {
                return self.err(
                    file,
                    item.get("within").map_or(item.pos, |n| n.pos),
                    "within: not a duration",
                    Some("e.g. 500ms, 30s, 5m, 1h"),
                )
            }
        };
        let mut steps = Vec::new();
        for step in item.get("steps").and_then(Node::as_seq).unwrap_or_default() {
            let name = step
                .get("name")
                .and_then(Node::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("step{}", steps.len()));
            if name == crate::compile::SAME_EVENT_NAME {
                let hint = Some("`$event.FIELD` names the event under test; call the step something else");
                return self.err(file, step.pos, format!("a step cannot be named `{name}`"), hint);
            }
            match step.get("condition").filter(|c| c.as_str().is_some()) {
                Some(c) => steps.push((name, self.origin(file, text, Some(c)))),
                None => return self.err(file, step.pos, "a step needs a `condition`", None),
            }
        }
        if steps.len() < 2 {
            return self.err(file, item.pos, format!("sequence `{id}` needs at least two `steps`"), None);
        }
        let exceptions = self.exceptions_of(file, text, item);
        if let Some(meta) = self.meta(file, text, item, id) {
            self.sequences.push(RawSequence { meta, steps, by, within, exceptions });
        }
    }

    fn located(&self, e: &CompileError) -> Diagnostic {
        let o = &self.origins[e.origin];
        let pos = match &o.node {
            Some(node) => yaml::locate(&o.source, node, e.span.start),
            None => Pos { line: 1, col: 1 },
        };
        let mut message = e.message.clone();
        if o.node.is_none() {
            // A generated condition (Sigma): show the text around the span.
            let start = e.span.start.min(o.source.len());
            message = format!(
                "{message} (in the converted condition at `{}`)",
                o.source.get(start..).unwrap_or("").chars().take(40).collect::<String>()
            );
        }
        diag(&o.file, pos, Level::Error, message, e.hint.clone())
    }

    fn cond_text(&self, origin: usize) -> String {
        let o = &self.origins[origin];
        match &o.node {
            Some(n) => n.as_str().unwrap_or_default().to_string(),
            None => o.source.to_string(),
        }
    }

    fn compile(mut self) -> RuleSet {
        let mut preds = Predicates::default();
        let mut set = RuleSet::default();
        let names = std::mem::take(&mut self.names);
        let mut seen_ids = HashSet::new();
        // Exceptions added by `- exception:` items, by rule id.
        let mut added: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for (rule, name, origin, _, _) in &self.exceptions {
            added.entry(rule.clone()).or_default().push((name.clone(), *origin));
        }
        let all_ids: HashSet<String> = self
            .rules
            .iter()
            .map(|r| r.meta.meta.id.clone())
            .chain(self.sequences.iter().map(|s| s.meta.meta.id.clone()))
            .collect();
        let mut errors = Vec::new();
        for (rule, _, _, _, pos) in &self.exceptions {
            if !all_ids.contains(rule) {
                let file = self
                    .origins
                    .get(self.exceptions.iter().find(|e| &e.0 == rule).map_or(0, |e| e.2))
                    .map(|o| o.file.to_string())
                    .unwrap_or_default();
                errors.push(diag(&file, *pos, Level::Error, format!("exception for unknown rule `{rule}`"), None));
            }
        }
        let raw_rules = std::mem::take(&mut self.rules);
        for raw in raw_rules {
            let RawRule { meta, cond, mut exceptions } = raw;
            if !claim_id(&mut seen_ids, &meta.meta, &mut errors) {
                continue;
            }
            exceptions.extend(added.remove(&meta.meta.id).unwrap_or_default());
            let mut c = Compiler { names: &names, preds: &mut preds, steps: &[] };
            let compiled = c.compile_text(&self.cond_text(cond), cond).and_then(|e| {
                let ex = exceptions
                    .iter()
                    .map(|(n, o)| c.compile_text(&self.cond_text(*o), *o).map(|e| (n.clone(), e)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((e, ex))
            });
            let output = Template::parse(&meta.output_text);
            match (compiled, output) {
                (Ok((cond, exceptions)), Ok(output)) => {
                    let kinds = kinds_of(&cond, &preds);
                    let mut m = meta.meta;
                    m.output = output;
                    if kinds == crate::compile::ALL_KINDS && m.enabled {
                        errors.push(diag(
                            &m.file,
                            m.pos,
                            Level::Warning,
                            format!("rule `{}` can match every kind of event", m.id),
                            Some("add `kind == ...` or test a kind's field so it runs only where it can match".into()),
                        ));
                    }
                    set.rules.push(Rule { meta: m, cond, exceptions, kinds, tests: meta.tests });
                }
                (Err(e), _) => errors.push(self.located(&e)),
                (_, Err((offset, msg))) => {
                    let e = CompileError {
                        origin: meta.output_origin,
                        span: offset..offset,
                        message: format!("output: {msg}"),
                        hint: Some("placeholders are {field}; write {{ and }} for braces".into()),
                    };
                    errors.push(self.located(&e));
                }
            }
        }
        let raw_sequences = std::mem::take(&mut self.sequences);
        for raw in raw_sequences {
            let RawSequence { meta, steps, by, within, mut exceptions } = raw;
            if !claim_id(&mut seen_ids, &meta.meta, &mut errors) {
                continue;
            }
            exceptions.extend(added.remove(&meta.meta.id).unwrap_or_default());
            let mut compiled_steps = Vec::new();
            let mut failed = None;
            let names_so_far: Vec<String> = steps.iter().map(|s| s.0.clone()).collect();
            for (i, (name, origin)) in steps.iter().enumerate() {
                let mut c = Compiler { names: &names, preds: &mut preds, steps: &names_so_far[..i] };
                match c.compile_text(&self.cond_text(*origin), *origin) {
                    Ok(e) => {
                        let kinds = kinds_of(&e, &preds);
                        compiled_steps.push(Step { name: name.clone(), cond: e, kinds });
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            let mut ex = Vec::new();
            if failed.is_none() {
                for (n, o) in &exceptions {
                    let mut c = Compiler { names: &names, preds: &mut preds, steps: &[] };
                    match c.compile_text(&self.cond_text(*o), *o) {
                        Ok(e) => ex.push((n.clone(), e)),
                        Err(e) => failed = Some(e),
                    }
                }
            }
            if let Some(e) = failed {
                errors.push(self.located(&e));
                continue;
            }
            match Template::parse(&meta.output_text) {
                Ok(output) => {
                    let mut m = meta.meta;
                    m.output = output;
                    let captures =
                        crate::compile::captures(compiled_steps.iter().map(|s| &s.cond), compiled_steps.len());
                    let joins = compiled_steps.iter().map(|s| crate::sequence::join_of(&s.cond)).collect();
                    set.sequences.push(Sequence {
                        meta: m,
                        steps: compiled_steps,
                        by,
                        within,
                        exceptions: ex,
                        tests: meta.tests,
                        captures,
                        joins,
                    });
                }
                Err((offset, msg)) => {
                    let e = CompileError {
                        origin: meta.output_origin,
                        span: offset..offset,
                        message: format!("output: {msg}"),
                        hint: None,
                    };
                    errors.push(self.located(&e));
                }
            }
        }
        self.diagnostics.extend(errors);
        set.preds = preds;
        set.diagnostics = self.diagnostics;
        set.sigma_unsupported = self.sigma_unsupported;
        set
    }
}

/// `500ms`, `30s`, `5m`, `1h` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().ok()?;
    Some(match unit.trim() {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return None,
    })
}
