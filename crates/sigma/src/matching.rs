//! One Sigma `field|modifiers: value(s)` entry → Panoptes predicates.
//!
//! Strings compare case-insensitively, as in Sigma: plain → `ieq` (`iin`
//! for several), `contains`/`startswith`/`endswith` → `icontains`/
//! `istartswith`/`iendswith`, any value with a `*`/`?` wildcard → `iglob`
//! built after the modifier, `re` → `regex` (case-sensitive, pattern as
//! given). Int fields take `==`/`in`, IP fields `==`/`in` and `cidr`.
//! Several values are OR (same-operator values share one `op (…)` list;
//! `iglob`, `regex` and null tests stay separate predicates), `|all` makes
//! them AND. `null` means the field is absent: `not F exists`.

use crate::error::Unsupported;
use crate::expr::Expr;
use crate::logsource::{Target, Ty};
use crate::value::{self, Anchor};

/// A Sigma scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigmaValue {
    Text(String),
    Int(i64),
    Null,
}

impl SigmaValue {
    /// Reads one scalar; `None` for a mapping, list, alias or bad value.
    pub fn from_yaml(yaml: &yaml_rust2::Yaml) -> Option<SigmaValue> {
        use yaml_rust2::Yaml;
        Some(match yaml {
            Yaml::String(s) => SigmaValue::Text(s.clone()),
            Yaml::Real(r) => SigmaValue::Text(r.clone()),
            Yaml::Boolean(b) => SigmaValue::Text(b.to_string()),
            Yaml::Integer(i) => SigmaValue::Int(*i),
            Yaml::Null => SigmaValue::Null,
            Yaml::Array(_) | Yaml::Hash(_) | Yaml::Alias(_) | Yaml::BadValue => return None,
        })
    }

    /// The value as text (integers match their decimal text).
    pub fn text(&self) -> Option<String> {
        match self {
            SigmaValue::Text(s) => Some(s.clone()),
            SigmaValue::Int(i) => Some(i.to_string()),
            SigmaValue::Null => None,
        }
    }
}

/// The modifiers of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modifiers {
    pub anchor: Anchor,
    pub all: bool,
    pub re: bool,
    pub cidr: bool,
}

impl Modifiers {
    pub const NONE: Modifiers = Modifiers { anchor: Anchor::Exact, all: false, re: false, cidr: false };

    /// Parses `contains|all` style modifier lists.
    pub fn parse(names: &[&str]) -> Result<Modifiers, Unsupported> {
        let mut mods = Modifiers::NONE;
        let mut kinds = Vec::new();
        for name in names {
            match *name {
                "all" => mods.all = true,
                "contains" => mods.anchor = Anchor::Contains,
                "startswith" => mods.anchor = Anchor::StartsWith,
                "endswith" => mods.anchor = Anchor::EndsWith,
                "re" => mods.re = true,
                "cidr" => mods.cidr = true,
                "" => return Err(Unsupported::invalid("empty modifier (`||` or a trailing `|`)")),
                other => return Err(Unsupported::Modifier(other.to_string())),
            }
            if *name != "all" && !kinds.contains(name) {
                kinds.push(*name);
            }
        }
        if kinds.len() > 1 {
            return Err(Unsupported::ModifierCombination(kinds.join("|")));
        }
        Ok(mods)
    }

    fn name(&self) -> &'static str {
        match (self.re, self.cidr, self.anchor) {
            (true, _, _) => "re",
            (_, true, _) => "cidr",
            (_, _, Anchor::Contains) => "contains",
            (_, _, Anchor::StartsWith) => "startswith",
            (_, _, Anchor::EndsWith) => "endswith",
            (_, _, Anchor::Exact) => "none",
        }
    }
}

/// One value's test before grouping: operator and written value.
struct Test {
    op: &'static str,
    value: String,
}

fn string_test(field: &str, mods: Modifiers, text: &str) -> Result<Test, Unsupported> {
    if let Some(c) = value::control_char(text) {
        return Err(Unsupported::value(
            field,
            format!("control character {c:?} cannot be written in a Panoptes string"),
        ));
    }
    if mods.cidr {
        return Err(Unsupported::value(field, "cidr needs an IP field"));
    }
    if mods.re {
        regex::Regex::new(text).map_err(|e| Unsupported::value(field, format!("invalid regex {text:?}: {e}")))?;
        return Ok(Test { op: "regex", value: value::quote(text) });
    }
    let pieces = value::pieces(text);
    if value::has_wildcard(&pieces) {
        return Ok(Test { op: "iglob", value: value::quote(&value::glob(&pieces, mods.anchor)) });
    }
    let op = match mods.anchor {
        Anchor::Exact => "ieq",
        Anchor::Contains => "icontains",
        Anchor::StartsWith => "istartswith",
        Anchor::EndsWith => "iendswith",
    };
    Ok(Test { op, value: value::quote(&value::literal(&pieces)) })
}

fn int_test(field: &str, mods: Modifiers, value: &SigmaValue) -> Result<Test, Unsupported> {
    if mods.name() != "none" {
        return Err(Unsupported::value(field, format!("modifier {} on an integer field", mods.name())));
    }
    let n = match value {
        SigmaValue::Int(n) => *n,
        SigmaValue::Text(t) => {
            t.trim().parse::<i64>().map_err(|_| Unsupported::value(field, format!("{t:?} is not an integer")))?
        }
        SigmaValue::Null => return Err(Unsupported::value(field, "null")),
    };
    Ok(Test { op: "==", value: n.to_string() })
}

fn ip_test(field: &str, mods: Modifiers, value: &SigmaValue) -> Result<Test, Unsupported> {
    let text = value.text().unwrap_or_default();
    if mods.cidr {
        if !value::valid_cidr(&text) {
            return Err(Unsupported::value(field, format!("{text:?} is not a CIDR network")));
        }
        return Ok(Test { op: "cidr", value: value::quote(&text) });
    }
    if mods.name() != "none" {
        return Err(Unsupported::value(field, format!("modifier {} on an IP field", mods.name())));
    }
    if text.parse::<std::net::IpAddr>().is_err() {
        return Err(Unsupported::value(field, format!("{text:?} is not an IP address")));
    }
    Ok(Test { op: "==", value: value::quote(&text) })
}

/// The list form of an operator, when it takes one.
fn list_op(op: &str) -> Option<&'static str> {
    Some(match op {
        "ieq" => "iin",
        "==" => "in",
        "icontains" => "icontains",
        "istartswith" => "istartswith",
        "iendswith" => "iendswith",
        "cidr" => "cidr",
        _ => return None,
    })
}

/// The predicates for `target` against `values` under `mods`; `field` is
/// the Sigma name, for messages.
pub fn field_match(target: &Target, field: &str, mods: Modifiers, values: &[SigmaValue]) -> Result<Expr, Unsupported> {
    if values.is_empty() {
        return Err(Unsupported::invalid(format!("{field} has an empty value list")));
    }
    let mut tests = Vec::with_capacity(values.len());
    let mut nulls = 0;
    for v in values {
        if *v == SigmaValue::Null {
            if mods.name() != "none" {
                return Err(Unsupported::value(field, format!("null with modifier {}", mods.name())));
            }
            nulls += 1;
            continue;
        }
        tests.push(match target.ty {
            Ty::Str => string_test(field, mods, &v.text().unwrap_or_default())?,
            Ty::Int => int_test(field, mods, v)?,
            Ty::Ip => ip_test(field, mods, v)?,
        });
    }
    let absent = || Expr::Not(Box::new(Expr::Pred(format!("{} exists", target.field))));
    let single = |t: &Test| Expr::Pred(format!("{} {} {}", target.field, t.op, t.value));
    if mods.all {
        let mut terms: Vec<Expr> = tests.iter().map(single).collect();
        terms.extend((0..nulls.min(1)).map(|_| absent()));
        return Ok(Expr::and(terms));
    }
    let mut ops: Vec<&'static str> = Vec::new();
    for t in &tests {
        if !ops.contains(&t.op) {
            ops.push(t.op);
        }
    }
    let mut terms = Vec::new();
    for op in ops {
        let group: Vec<&Test> = tests.iter().filter(|t| t.op == op).collect();
        match list_op(op) {
            Some(list) if group.len() > 1 => {
                let items: Vec<&str> = group.iter().map(|t| t.value.as_str()).collect();
                terms.push(Expr::Pred(format!("{} {} ({})", target.field, list, items.join(", "))));
            }
            _ => terms.extend(group.into_iter().map(single)),
        }
    }
    if nulls > 0 {
        terms.push(absent());
    }
    Ok(Expr::or(terms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(field: &str, ty: Ty) -> Target {
        Target { field: field.to_string(), ty }
    }

    fn texts(values: &[&str]) -> Vec<SigmaValue> {
        values.iter().map(|v| SigmaValue::Text(v.to_string())).collect()
    }

    fn render(target: &Target, mods: &[&str], values: &[SigmaValue]) -> Result<String, Unsupported> {
        field_match(target, "F", Modifiers::parse(mods)?, values).map(|e| e.render())
    }

    #[test]
    fn strings_group_by_operator() {
        let exe = t("process.exe", Ty::Str);
        assert_eq!(render(&exe, &[], &texts(&["/bin/sh"])).unwrap(), r#"process.exe ieq "/bin/sh""#);
        assert_eq!(render(&exe, &[], &texts(&["a", "b"])).unwrap(), r#"process.exe iin ("a", "b")"#);
        assert_eq!(
            render(&exe, &["endswith"], &texts(&["/a", "/h*/x", "/b"])).unwrap(),
            r#"process.exe iendswith ("/a", "/b") or process.exe iglob "*/h*/x""#
        );
        assert_eq!(
            render(&exe, &["contains", "all"], &texts(&["x", "y"])).unwrap(),
            r#"process.exe icontains "x" and process.exe icontains "y""#
        );
        assert_eq!(render(&exe, &["re"], &texts(&[r"\s-O\s"])).unwrap(), r#"process.exe regex "\\s-O\\s""#);
        assert_eq!(
            render(&exe, &[], &[SigmaValue::Text("a".into()), SigmaValue::Null]).unwrap(),
            r#"process.exe ieq "a" or not process.exe exists"#
        );
        assert_eq!(render(&exe, &[], &[SigmaValue::Int(777)]).unwrap(), r#"process.exe ieq "777""#);
    }

    #[test]
    fn ints_and_ips() {
        let port = t("net.addr.port", Ty::Int);
        assert_eq!(render(&port, &[], &[SigmaValue::Int(22)]).unwrap(), "net.addr.port == 22");
        assert_eq!(
            render(&port, &[], &[SigmaValue::Int(22), SigmaValue::Text("80".into())]).unwrap(),
            "net.addr.port in (22, 80)"
        );
        assert!(render(&port, &["contains"], &[SigmaValue::Int(22)]).is_err());
        assert!(render(&port, &[], &texts(&["2*"])).is_err());
        let ip = t("net.addr.ip", Ty::Ip);
        assert_eq!(
            render(&ip, &["cidr"], &texts(&["10.0.0.0/8", "fc00::/7"])).unwrap(),
            r#"net.addr.ip cidr ("10.0.0.0/8", "fc00::/7")"#
        );
        assert_eq!(render(&ip, &[], &texts(&["127.0.0.1"])).unwrap(), r#"net.addr.ip == "127.0.0.1""#);
        assert!(render(&ip, &[], &texts(&["10.*"])).is_err());
        assert!(render(&ip, &["cidr"], &texts(&["10.0.0.0/40"])).is_err());
        assert!(render(&t("process.exe", Ty::Str), &["cidr"], &texts(&["10.0.0.0/8"])).is_err());
    }

    #[test]
    fn modifier_errors() {
        assert_eq!(Modifiers::parse(&["base64"]), Err(Unsupported::Modifier("base64".into())));
        assert_eq!(Modifiers::parse(&["contains", "windash"]), Err(Unsupported::Modifier("windash".into())));
        assert_eq!(
            Modifiers::parse(&["contains", "endswith"]),
            Err(Unsupported::ModifierCombination("contains|endswith".into()))
        );
        assert!(Modifiers::parse(&[""]).is_err());
        let exe = t("process.exe", Ty::Str);
        assert!(render(&exe, &["re"], &texts(&["(unclosed"])).is_err());
        assert!(render(&exe, &[], &texts(&["a\u{7}"])).is_err());
        assert!(render(&exe, &[], &[]).is_err());
    }
}
