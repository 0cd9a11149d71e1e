//! systemd unit files as the inventory reads them: the unit directories
//! in precedence order, the INI-like syntax (sections, continuation lines,
//! repeated keys, `Key=` resetting a list), drop-ins (`<unit>.d/*.conf`)
//! and the enablement state (masked, enabled, static, disabled) worked
//! out from the symlinks in /etc/systemd/system, as `systemctl` does
//! without asking the manager.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::model::Table;
use crate::util::{dir_names, under};

/// Unit directories, highest precedence first.
pub const UNIT_DIRS: [&str; 5] = [
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// A parsed unit: section → key → values (in order; a key may repeat).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unit {
    pub sections: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Unit {
    /// Parses unit text into `self` (drop-ins parse into the same unit).
    /// An empty assignment resets the list, as systemd does.
    pub fn parse_into(&mut self, text: &str) -> Result<(), String> {
        let mut section: Option<String> = None;
        let mut logical = String::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if logical.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with(';')) {
                continue;
            }
            if let Some(cont) = line.strip_suffix('\\') {
                logical.push_str(cont.trim_end());
                logical.push(' ');
                continue;
            }
            logical.push_str(line);
            let full = std::mem::take(&mut logical);
            if full.starts_with('[') {
                let name = full.strip_prefix('[').and_then(|s| s.strip_suffix(']'));
                section = Some(name.ok_or_else(|| format!("line {}: bad section header {full:?}", n + 1))?.to_string());
                continue;
            }
            let (key, value) =
                full.split_once('=').ok_or_else(|| format!("line {}: {full:?} is not Key=value", n + 1))?;
            let Some(section) = &section else { return Err(format!("line {}: assignment before any section", n + 1)) };
            let values = self.sections.entry(section.clone()).or_default().entry(key.trim().to_string()).or_default();
            let value = value.trim();
            if value.is_empty() {
                values.clear();
            } else {
                values.push(value.to_string());
            }
        }
        Ok(())
    }

    pub fn values(&self, section: &str, key: &str) -> &[String] {
        self.sections.get(section).and_then(|s| s.get(key)).map_or(&[], Vec::as_slice)
    }

    pub fn first(&self, section: &str, key: &str) -> String {
        self.values(section, key).first().cloned().unwrap_or_default()
    }

    /// The unit can be enabled (it says where to be wanted).
    pub fn installable(&self) -> bool {
        ["WantedBy", "RequiredBy", "Alias", "Also", "UpheldBy"].iter().any(|k| !self.values("Install", k).is_empty())
    }
}

/// A unit file found on disk.
#[derive(Debug, Clone)]
pub struct UnitFile {
    pub name: String,
    /// Path as on the host (not under the collection root).
    pub path: String,
    pub unit: Unit,
    pub state: &'static str,
}

/// Resolves a symlink chain under `root` (absolute targets are taken as
/// relative to the root). Returns the final host path, or `None` for a
/// dangling or looping link.
pub fn resolve(root: &Path, host_path: &str) -> Option<String> {
    let mut current = host_path.to_string();
    for _ in 0..16 {
        match fs::read_link(under(root, &current)) {
            Ok(target) => {
                let t = target.to_string_lossy();
                current = if t.starts_with('/') {
                    t.into_owned()
                } else {
                    let dir = current.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                    format!("{dir}/{t}")
                };
            }
            Err(_) => {
                let real = current == "/dev/null" || under(root, &current).exists();
                return real.then_some(current);
            }
        }
    }
    None
}

/// Every unit whose name ends with `suffix` (`.service`, `.timer`), the
/// highest-precedence file of each name, with its drop-ins applied.
pub fn load_units(root: &Path, suffix: &str, table: &mut Table) -> Vec<UnitFile> {
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    for dir in UNIT_DIRS {
        for name in dir_names(&under(root, dir)).unwrap_or_default() {
            if name.ends_with(suffix) {
                by_name.entry(name.clone()).or_insert_with(|| format!("{dir}/{name}"));
            }
        }
    }
    let enabled = enabled_links(root);
    let mut out = Vec::new();
    for (name, path) in by_name {
        let Some(real) = resolve(root, &path) else { continue };
        if real == "/dev/null" {
            out.push(UnitFile { name, path, unit: Unit::default(), state: "masked" });
            continue;
        }
        // An alias (a link to a unit of another name) is listed under its target.
        let real_name = real.rsplit('/').next().unwrap_or("");
        if real_name != name && !name.contains('@') {
            continue;
        }
        let mut unit = Unit::default();
        let text = match fs::read(under(root, &real)) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                table.warn(format!("{real}: {e}; unit skipped"));
                continue;
            }
        };
        if let Err(e) = unit.parse_into(&text) {
            table.warn(format!("{real}: {e}; unit skipped"));
            continue;
        }
        for dropin in dropins(root, &name) {
            let parsed =
                fs::read_to_string(under(root, &dropin)).map_err(|e| e.to_string()).and_then(|t| unit.parse_into(&t));
            if let Err(e) = parsed {
                table.warn(format!("{dropin}: {e}; drop-in ignored"));
            }
        }
        let template = name.split_once('@').map(|(base, _)| format!("{base}@"));
        let state =
            if enabled.iter().any(|l| *l == name || template.as_ref().is_some_and(|t| l.starts_with(t.as_str()))) {
                "enabled"
            } else if unit.installable() {
                "disabled"
            } else {
                "static"
            };
        out.push(UnitFile { name, path: real, unit, state });
    }
    out
}

/// Drop-in files of `name`, in the order systemd applies them (by file
/// name; a higher-precedence directory's file of the same name wins).
fn dropins(root: &Path, name: &str) -> Vec<String> {
    let mut by_file: BTreeMap<String, String> = BTreeMap::new();
    for dir in UNIT_DIRS {
        let d = format!("{dir}/{name}.d");
        for f in dir_names(&under(root, &d)).unwrap_or_default() {
            if f.ends_with(".conf") {
                by_file.entry(f.clone()).or_insert_with(|| format!("{d}/{f}"));
            }
        }
    }
    by_file.into_values().collect()
}

/// Unit names linked from the `.wants`/`.requires` directories of
/// /etc/systemd/system (what `systemctl enable` creates).
fn enabled_links(root: &Path) -> Vec<String> {
    let base: PathBuf = under(root, "/etc/systemd/system");
    let mut out = Vec::new();
    for dir in dir_names(&base).unwrap_or_default() {
        if dir.ends_with(".wants") || dir.ends_with(".requires") {
            out.extend(dir_names(&base.join(&dir)).unwrap_or_default());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_syntax() {
        let mut u = Unit::default();
        u.parse_into(include_str!("../testdata/systemd/nginx.service")).unwrap();
        assert_eq!(u.first("Service", "Type"), "forking");
        assert_eq!(u.values("Service", "ExecStart"), ["/usr/sbin/nginx -g 'daemon on; master_process on;'"]);
        assert_eq!(u.values("Service", "ExecStartPre").len(), 1);
        assert_eq!(
            u.first("Service", "ExecStop"),
            "-/sbin/start-stop-daemon --quiet --stop --retry QUIT/5 --pidfile /run/nginx.pid"
        );
        assert!(u.installable());
        // A drop-in resets ExecStart and sets a user.
        u.parse_into("[Service]\nExecStart=\nExecStart=/usr/local/bin/evil\nUser=www-data\n").unwrap();
        assert_eq!(u.values("Service", "ExecStart"), ["/usr/local/bin/evil"]);
        assert_eq!(u.first("Service", "User"), "www-data");
        let mut bad = Unit::default();
        assert!(bad.parse_into("ExecStart=/bin/x\n").unwrap_err().contains("before any section"));
        assert!(bad.parse_into("[Service\n").unwrap_err().contains("bad section"));
        assert!(bad.parse_into("[Service]\nno equals sign\n").unwrap_err().contains("Key=value"));
    }
}
