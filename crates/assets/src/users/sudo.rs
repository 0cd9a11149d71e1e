//! Sudo rights: the user specifications of /etc/sudoers and the files of
//! its include directories, by user and by `%group`, with `User_Alias`
//! expanded. Only what a rule grants is kept, as written
//! (`ALL=(ALL:ALL) ALL`); `Defaults` and the other aliases are left out.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::model::Table;
use crate::util::{dir_names, under};

/// Rules by subject: a user name or `%group`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SudoRules {
    pub by_subject: BTreeMap<String, Vec<String>>,
}

impl SudoRules {
    /// Reads /etc/sudoers and what it includes (one level of
    /// `@includedir`/`#includedir`, as Debian ships).
    pub fn read(root: &Path, table: &mut Table) -> SudoRules {
        let mut rules = SudoRules::default();
        let main = under(root, "/etc/sudoers");
        let text = match fs::read_to_string(&main) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return rules,
            Err(e) => {
                table.warn(format!("{}: {e}; sudo rights unknown", main.display()));
                return rules;
            }
        };
        let mut texts = vec![text.clone()];
        for dir in includedirs(&text) {
            let dir_path = under(root, &dir);
            for name in dir_names(&dir_path).unwrap_or_default() {
                // sudo skips names with a dot or ending in `~`.
                if name.contains('.') || name.ends_with('~') {
                    continue;
                }
                match fs::read_to_string(dir_path.join(&name)) {
                    Ok(t) => texts.push(t),
                    Err(e) => table.warn(format!("{}: {e}", dir_path.join(&name).display())),
                }
            }
        }
        for t in texts {
            for (subject, rule) in parse_sudoers(&t) {
                rules.by_subject.entry(subject).or_default().push(rule);
            }
        }
        rules
    }

    /// Rules that apply to `user`, a member of `groups`.
    pub fn for_user(&self, user: &str, groups: &[String]) -> Vec<String> {
        let mut out: Vec<String> = self.by_subject.get(user).cloned().unwrap_or_default();
        for g in groups {
            if let Some(rules) = self.by_subject.get(&format!("%{g}")) {
                out.extend(rules.iter().map(|r| format!("{r} (via %{g})")));
            }
        }
        out
    }
}

/// Directories named by `@includedir` / `#includedir`.
fn includedirs(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("@includedir").or_else(|| l.trim().strip_prefix("#includedir")))
        .map(|d| d.trim().to_string())
        .filter(|d| d.starts_with('/'))
        .collect()
}

/// (subject, rule) pairs of one sudoers text, `User_Alias`es expanded.
pub fn parse_sudoers(text: &str) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if let Some(cont) = line.strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        // `#include`/`#includedir` are directives, other `#` start comments.
        let body = if full.starts_with("#include") { "" } else { full.split('#').next().unwrap_or("") };
        if !body.trim().is_empty() {
            lines.push(body.trim().to_string());
        }
    }
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for line in lines {
        if let Some(def) = line.strip_prefix("User_Alias") {
            for part in def.split(':') {
                if let Some((name, members)) = part.split_once('=') {
                    aliases.insert(
                        name.trim().to_string(),
                        members.split(',').map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).collect(),
                    );
                }
            }
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if first.starts_with("Defaults") || first.ends_with("_Alias") || first.starts_with('@') || !line.contains('=') {
            continue;
        }
        // "who[,who...] host = (runas) commands": subjects end at the first
        // whitespace that is not inside the subject list.
        let Some((subjects, rule)) = split_subjects(&line) else { continue };
        for subject in subjects {
            match aliases.get(&subject) {
                Some(members) => out.extend(members.iter().map(|m| (m.clone(), rule.clone()))),
                None => out.push((subject, rule.clone())),
            }
        }
    }
    out
}

fn split_subjects(line: &str) -> Option<(Vec<String>, String)> {
    let mut end = 0;
    let bytes = line.as_bytes();
    while end < bytes.len() {
        if bytes[end].is_ascii_whitespace() {
            // "a, b host=..." : a comma before or after the space continues the list.
            let before = line[..end].trim_end().ends_with(',');
            let after = line[end..].trim_start().starts_with(',');
            if !before && !after {
                break;
            }
        }
        end += 1;
    }
    let subjects: Vec<String> =
        line[..end].split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let rule = line[end..].trim().to_string();
    (!subjects.is_empty() && !rule.is_empty()).then_some((subjects, rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_sudoers_and_aliases() {
        let text = "# comment\nDefaults\tenv_reset\nDefaults\tsecure_path=\"/usr/sbin\"\n\
                    User_Alias ADMINS = alice, bob\nCmnd_Alias NET = /sbin/ip\n\
                    root\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\nADMINS ALL = NET\n\
                    carol, dave ALL=(root) NOPASSWD: /usr/bin/apt \\\n  , /usr/bin/systemctl\n\
                    @includedir /etc/sudoers.d\n";
        let rules = parse_sudoers(text);
        let subjects: Vec<&str> = rules.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(subjects, vec!["root", "%sudo", "alice", "bob", "carol", "dave"]);
        assert_eq!(rules[0].1, "ALL=(ALL:ALL) ALL");
        assert!(rules[5].1.contains("/usr/bin/systemctl"), "{:?}", rules[5]);
        assert_eq!(includedirs(text), vec!["/etc/sudoers.d"]);
        let mut r = SudoRules::default();
        for (s, rule) in rules {
            r.by_subject.entry(s).or_default().push(rule);
        }
        assert_eq!(r.for_user("eve", &["sudo".into()]), vec!["ALL=(ALL:ALL) ALL (via %sudo)"]);
        assert!(r.for_user("eve", &[]).is_empty());
    }
}
