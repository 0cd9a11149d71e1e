//! Sigma search identifiers (selections) → Panoptes expressions.
//!
//! A mapping is the AND of its entries, a list of mappings the OR of them,
//! a bare list of values a keyword search (`event.strings`, any string of
//! the event contains the value; `'|all'` makes every keyword required).
//! For auditd the record `type` of a selection decides what its fields
//! mean (EXECVE `aN` → `exec.argv[N]`, PATH `name` → `event.paths`,
//! SYSCALL `SYSCALL`/`exe`/`comm`/ids → `event.syscall`/`process.*`);
//! a selection without `type` is read by its fields.

use yaml_rust2::Yaml;

use crate::error::Unsupported;
use crate::expr::Expr;
use crate::logsource::{self, Mapping, Record, Source, Target, Ty};
use crate::matching::{field_match, Modifiers, SigmaValue};
use crate::Notes;

/// What converting a rule's selections needs and learns.
pub struct Context<'a> {
    pub source: Source,
    /// An auditd rule whose typed selections are all SYSCALL records: an
    /// untyped `aN` is then a raw syscall argument, not an argv item.
    pub syscall_only: bool,
    pub notes: &'a mut Notes,
    /// A selection reads auditd PATH records (the output shows paths).
    pub reads_paths: bool,
}

fn strings_target() -> Target {
    Target { field: "event.strings".to_string(), ty: Ty::Str }
}

fn key_text(key: &Yaml) -> Result<String, Unsupported> {
    match key {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Integer(i) => Ok(i.to_string()),
        _ => Err(Unsupported::invalid("a selection key is not a string")),
    }
}

/// The values of an entry: one scalar or a list of scalars.
pub fn values_of(field: &str, yaml: &Yaml) -> Result<Vec<SigmaValue>, Unsupported> {
    let bad = || Unsupported::invalid(format!("{field}: values must be scalars or a list of scalars"));
    match yaml {
        Yaml::Array(items) => items.iter().map(|v| SigmaValue::from_yaml(v).ok_or_else(bad)).collect(),
        Yaml::Alias(_) => Err(Unsupported::invalid("YAML aliases are not supported")),
        other => Ok(vec![SigmaValue::from_yaml(other).ok_or_else(bad)?]),
    }
}

/// The record types a selection names with `type` (none when untyped).
pub fn declared_records(selection: &Yaml) -> Vec<Result<Record, Unsupported>> {
    let maps: Vec<&Yaml> = match selection {
        Yaml::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for map in maps {
        let Yaml::Hash(map) = map else { continue };
        for (key, value) in map {
            if key.as_str().is_some_and(|k| k.split('|').next() == Some("type")) {
                for v in values_of("type", value).unwrap_or_default() {
                    out.push(record_of_value(&v));
                }
            }
        }
    }
    out
}

fn record_of_value(value: &SigmaValue) -> Result<Record, Unsupported> {
    let text = value.text().ok_or_else(|| Unsupported::value("type", "null record type"))?;
    if crate::value::has_wildcard(&crate::value::pieces(&text)) {
        return Err(Unsupported::value("type", format!("wildcards in the record type {text:?}")));
    }
    logsource::record_type(&text)
}

/// The Panoptes expression of the selection `name`.
pub fn selection(name: &str, yaml: &Yaml, ctx: &mut Context) -> Result<Expr, Unsupported> {
    let empty = || Unsupported::invalid(format!("selection {name} is empty"));
    match yaml {
        Yaml::Hash(map) => map_selection(name, map, ctx),
        Yaml::Array(items) if items.is_empty() => Err(empty()),
        Yaml::Array(items) if items.iter().all(|i| matches!(i, Yaml::Hash(_))) => {
            let mut alternatives = Vec::with_capacity(items.len());
            for item in items {
                let Yaml::Hash(map) = item else { continue };
                alternatives.push(match map_selection(name, map, ctx)? {
                    and @ Expr::And(_) => Expr::Group(Box::new(and)),
                    other => other,
                });
            }
            Ok(Expr::or(alternatives))
        }
        Yaml::Array(items) if items.iter().all(|i| SigmaValue::from_yaml(i).is_some()) => keywords(
            name,
            &values_of(name, yaml)?,
            Modifiers { anchor: crate::value::Anchor::Contains, ..Modifiers::NONE },
            ctx,
        ),
        Yaml::Array(_) => Err(Unsupported::invalid(format!("selection {name} mixes mappings and plain values"))),
        Yaml::Null => Err(empty()),
        other => match SigmaValue::from_yaml(other) {
            Some(v) => {
                keywords(name, &[v], Modifiers { anchor: crate::value::Anchor::Contains, ..Modifiers::NONE }, ctx)
            }
            None => Err(Unsupported::invalid(format!("selection {name} is not a mapping, list or value"))),
        },
    }
}

fn keywords(name: &str, values: &[SigmaValue], mods: Modifiers, ctx: &mut Context) -> Result<Expr, Unsupported> {
    if values.contains(&SigmaValue::Null) {
        return Err(Unsupported::invalid(format!("selection {name}: null is not a keyword")));
    }
    if ctx.source != Source::AnyLog {
        ctx.notes.push(
            "keywords match the strings of the event (process exe, cmdline, comm, argv, paths) rather than log lines",
        );
    }
    field_match(&strings_target(), name, mods, values)
}

/// The record a mapping reads: its `type` (then `declared` is true), else
/// what its fields imply.
fn record_for(map: &yaml_rust2::yaml::Hash, ctx: &mut Context) -> Result<(Option<Record>, bool), Unsupported> {
    let mut declared = None;
    let mut implied: Vec<Record> = Vec::new();
    for (key, value) in map {
        let key = key_text(key)?;
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default();
        if field == "type" {
            if let Some(modifier) = parts.next() {
                return Err(Unsupported::Modifier(format!("{modifier} (on the auditd record type)")));
            }
            let mut records = Vec::new();
            for v in values_of("type", value)? {
                let record = record_of_value(&v)?;
                if !records.contains(&record) {
                    records.push(record);
                }
            }
            if records.len() > 1 {
                return Err(Unsupported::value("type", "several record types in one selection"));
            }
            declared = records.first().copied();
        } else if let Some(record) = logsource::record_of_field(field, ctx.syscall_only) {
            if !implied.contains(&record) {
                implied.push(record);
            }
        }
    }
    if declared.is_some() {
        return Ok((declared, true));
    }
    match implied.as_slice() {
        [] => Ok((None, false)),
        [record] => {
            ctx.notes.push("a selection without an auditd record type is read by its fields (aN: EXECVE argument, name: PATH name, SYSCALL/exe/comm/ids: SYSCALL record), with no test on the kind of event");
            Ok((Some(*record), false))
        }
        _ => Err(Unsupported::invalid(format!(
            "a selection mixes fields of {} records",
            implied.iter().map(|r| r.name()).collect::<Vec<_>>().join(" and ")
        ))),
    }
}

fn record_predicate(record: Record, map: &yaml_rust2::yaml::Hash) -> Option<Expr> {
    match record {
        Record::Execve => {
            Some(Expr::and(vec![Expr::Pred("kind == exec".into()), Expr::Pred("exec.result == 0".into())]))
        }
        Record::Path => None,
        Record::Syscall => {
            let names_syscall = map.keys().any(|k| k.as_str().is_some_and(|k| k.split('|').next() == Some("SYSCALL")));
            (!names_syscall).then(|| Expr::Pred("event.syscall exists".into()))
        }
    }
}

fn map_selection(name: &str, map: &yaml_rust2::yaml::Hash, ctx: &mut Context) -> Result<Expr, Unsupported> {
    if map.is_empty() {
        return Err(Unsupported::invalid(format!("selection {name} is empty")));
    }
    let (record, declared) = if ctx.source == Source::Auditd { record_for(map, ctx)? } else { (None, false) };
    if record == Some(Record::Path) {
        ctx.reads_paths = true;
        ctx.notes.push("PATH record names match any path of the event (event.paths); read-only opens are reported only for sensor.watch_paths or with sensor.forensics");
    }
    if declared && record == Some(Record::Syscall) && record_predicate(Record::Syscall, map).is_some() {
        ctx.notes.push("a SYSCALL record without a syscall name matches any syscall event Panoptes reports, not only those an audit rule would log");
    }
    let mut terms = Vec::new();
    for (key, value) in map {
        let key = key_text(key)?;
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default();
        let modifiers: Vec<&str> = parts.collect();
        let mods = Modifiers::parse(&modifiers)?;
        let values = values_of(if field.is_empty() { name } else { field }, value)?;
        if field.is_empty() {
            if mods.anchor != crate::value::Anchor::Exact || mods.re || mods.cidr {
                return Err(Unsupported::Modifier(format!("{} (on keywords)", modifiers.join("|"))));
            }
            terms.push(keywords(name, &values, Modifiers { anchor: crate::value::Anchor::Contains, ..mods }, ctx)?);
            continue;
        }
        match ctx.source.map_field(field, record)? {
            Mapping::Field(target) => terms.push(field_match(&target, field, mods, &values)?),
            Mapping::RecordType => terms.extend(record.and_then(|r| record_predicate(r, map))),
            Mapping::Syscall => terms.push(syscall_match(field, mods, &values, ctx)?),
            Mapping::Initiated => initiated(field, mods, &values, ctx)?,
            Mapping::NameType => terms.push(name_type(field, mods, &values, ctx)?),
        }
    }
    if terms.is_empty() {
        return match ctx.source.anchor() {
            Some(anchor) => Ok(anchor),
            None => Err(Unsupported::invalid(format!("selection {name} has nothing Panoptes can test"))),
        };
    }
    Ok(Expr::and(terms))
}

/// PATH `nametype`: CREATE → an open with O_CREAT or a rename (its target
/// is created); DELETE → an unlink or a rename (its source goes). Other
/// types (NORMAL, PARENT, ...) say nothing Panoptes events carry.
fn name_type(field: &str, mods: Modifiers, values: &[SigmaValue], ctx: &mut Context) -> Result<Expr, Unsupported> {
    if mods != Modifiers::NONE {
        return Err(Unsupported::value(field, "modifiers on nametype"));
    }
    let mut alternatives = Vec::new();
    for value in values {
        match value.text().map(|t| t.to_ascii_uppercase()).as_deref() {
            Some("CREATE") => {
                ctx.notes.push("nametype CREATE read as an open with O_CREAT or a rename, as file_event reads creation: an open of an existing file with O_CREAT counts too");
                alternatives.push(Expr::Pred(
                    "(kind == file_rename or (kind == file_open and file.flags_names == \"O_CREAT\"))".into(),
                ));
            }
            Some("DELETE") => alternatives.push(Expr::Pred("kind in (file_unlink, file_rename)".into())),
            Some(other) => {
                return Err(Unsupported::NoCounterpart(if other == "NORMAL" {
                    "nametype NORMAL (a PATH record of an existing name) has no Panoptes counterpart"
                } else {
                    "nametype other than CREATE or DELETE has no Panoptes counterpart"
                }))
            }
            None => return Err(Unsupported::value(field, "null nametype")),
        }
    }
    Ok(Expr::or(alternatives))
}

fn syscall_match(field: &str, mods: Modifiers, values: &[SigmaValue], ctx: &mut Context) -> Result<Expr, Unsupported> {
    if mods != Modifiers::NONE {
        return Err(Unsupported::value(field, "only plain syscall names are supported"));
    }
    let mut names = Vec::with_capacity(values.len());
    for value in values {
        let text = value.text().ok_or_else(|| Unsupported::value(field, "null syscall name"))?;
        let lower = text.to_ascii_lowercase();
        if !event::names::is_reported_syscall(&lower) {
            return Err(Unsupported::Syscall(text));
        }
        if lower == "execveat" {
            ctx.notes.push("event.syscall is execve for every exec event (execveat included), so an execveat value alone never matches");
        }
        names.push(SigmaValue::Text(lower));
    }
    field_match(&Target { field: "event.syscall".into(), ty: Ty::Str }, field, mods, &names)
}

fn initiated(field: &str, mods: Modifiers, values: &[SigmaValue], ctx: &mut Context) -> Result<(), Unsupported> {
    if mods != Modifiers::NONE {
        return Err(Unsupported::value(field, "modifiers on Initiated"));
    }
    for value in values {
        match value.text().map(|t| t.to_ascii_lowercase()).as_deref() {
            Some("true") => {}
            Some("false") => {
                return Err(Unsupported::NoCounterpart(
                    "Initiated: 'false' (inbound connections) is not supported: net_connect events are outbound connections",
                ))
            }
            _ => return Err(Unsupported::value(field, "Initiated takes 'true' or 'false'")),
        }
    }
    ctx.notes.push("Initiated: 'true' always holds: net_connect events are connections this host initiated");
    Ok(())
}
