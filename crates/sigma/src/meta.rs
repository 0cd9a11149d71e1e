//! A Sigma rule's metadata → Panoptes rule metadata: the rule id
//! (`sigma-<uuid>`), severity from `level`, ATT&CK techniques and other
//! tags from `tags`, and the plain strings (author, description, status,
//! references) the alert carries for attribution.

use yaml_rust2::Yaml;

use crate::Notes;

/// A string key of the rule's top-level mapping.
pub fn string(doc: &Yaml, key: &str) -> Option<String> {
    match get(doc, key)? {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        _ => None,
    }
}

/// A key of a mapping; `None` when `doc` is not a mapping or lacks it.
pub fn get<'a>(doc: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    match doc {
        Yaml::Hash(map) => map.get(&Yaml::String(key.to_string())),
        _ => None,
    }
}

/// A key holding one string or a list of strings.
pub fn strings(doc: &Yaml, key: &str) -> Vec<String> {
    match get(doc, key) {
        Some(Yaml::String(s)) => vec![s.clone()],
        Some(Yaml::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// `author` as one string (a list of authors is joined with ", ").
pub fn author(doc: &Yaml) -> Option<String> {
    let authors = strings(doc, "author");
    (!authors.is_empty()).then(|| authors.join(", "))
}

/// The Panoptes rule id: `sigma-` + the Sigma id, lower case, with
/// characters outside `[a-z0-9_.-]` replaced by `_`; from the file name
/// when the rule has no id.
pub fn rule_id(sigma_id: Option<&str>, source: &str, notes: &mut Notes) -> String {
    let raw = match sigma_id {
        Some(id) if !id.trim().is_empty() => id.trim().to_string(),
        _ => {
            let stem = std::path::Path::new(source).file_stem().and_then(|s| s.to_str()).unwrap_or("rule");
            notes.push("the Sigma rule has no id: the Panoptes id comes from the file name");
            stem.to_string()
        }
    };
    let clean: String = raw
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') { c } else { '_' })
        .collect();
    if clean != raw.to_ascii_lowercase() {
        notes.push("characters of the Sigma id outside [a-z0-9_.-] were replaced by _ in the Panoptes id");
    }
    format!("sigma-{clean}")
}

/// Panoptes severity from Sigma `level`.
pub fn severity(level: Option<&str>, notes: &mut Notes) -> String {
    match level.map(|l| l.trim().to_ascii_lowercase()).as_deref() {
        Some("informational") | Some("info") => "info".to_string(),
        Some(l @ ("low" | "medium" | "high" | "critical")) => l.to_string(),
        Some(other) => {
            notes.push(&format!("unknown level {other:?}: severity medium"));
            "medium".to_string()
        }
        None => {
            notes.push("no level: severity medium");
            "medium".to_string()
        }
    }
}

/// `attack.t1059.004` → `T1059.004`.
fn technique(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix("attack.")?;
    let id = rest.strip_prefix('t').or_else(|| rest.strip_prefix('T'))?;
    let (main, sub) = match id.split_once('.') {
        Some((main, sub)) => (main, Some(sub)),
        None => (id, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(main) || !sub.is_none_or(digits) {
        return None;
    }
    Some(format!("T{id}"))
}

/// Splits Sigma tags into ATT&CK technique ids and other tags (`attack.`
/// dropped from tactic, group and software tags; other namespaces kept).
pub fn tags(all: &[String]) -> (Vec<String>, Vec<String>) {
    let mut mitre = Vec::new();
    let mut other = Vec::new();
    for tag in all {
        let tag = tag.trim();
        if let Some(t) = technique(&tag.to_ascii_lowercase()) {
            if !mitre.contains(&t) {
                mitre.push(t);
            }
            continue;
        }
        let kept = tag.strip_prefix("attack.").unwrap_or(tag).to_string();
        if !kept.is_empty() && !other.contains(&kept) {
            other.push(kept);
        }
    }
    (mitre, other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_split() {
        let all: Vec<String> = [
            "attack.execution",
            "attack.t1059.004",
            "attack.T1070",
            "cve.2021-38647",
            "attack.g0020",
            "detection.emerging-threats",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (mitre, other) = tags(&all);
        assert_eq!(mitre, vec!["T1059.004", "T1070"]);
        assert_eq!(other, vec!["execution", "cve.2021-38647", "g0020", "detection.emerging-threats"]);
        assert_eq!(technique("attack.t1059.x"), None);
        assert_eq!(technique("attack.tactic"), None);
    }

    #[test]
    fn severities_and_ids() {
        let mut notes = Notes::default();
        assert_eq!(severity(Some("informational"), &mut notes), "info");
        assert_eq!(severity(Some("High"), &mut notes), "high");
        assert!(notes.0.is_empty());
        assert_eq!(severity(None, &mut notes), "medium");
        assert_eq!(notes.0.len(), 1);
        assert_eq!(rule_id(Some("0C6A9F3A-1B2C"), "x.yml", &mut notes), "sigma-0c6a9f3a-1b2c");
        assert_eq!(rule_id(None, "dir/my rule.yml", &mut notes), "sigma-my_rule");
    }
}
