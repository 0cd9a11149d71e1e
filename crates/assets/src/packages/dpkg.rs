//! dpkg: installed packages from /var/lib/dpkg/status, and integrity: the
//! files whose MD5 differs from the one in /var/lib/dpkg/info/<pkg>.md5sums.
//!
//! Integrity is cheap by default: only files whose inode changed (ctime)
//! after their package's md5sums file was written are hashed; writing to a
//! file always moves its ctime, so a file untouched since installation is
//! not read. `Options::full_integrity` hashes every file. Hashing is
//! rate-limited and stops at `Options::integrity_budget` bytes (the rest
//! is counted in a warning). Diverted files and conffiles (admins edit
//! those) are not checked.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::model::{row, Table};
use crate::util::{rfc3339, under};
use crate::Ctx;

const STATUS: &str = "/var/lib/dpkg/status";
const INFO: &str = "/var/lib/dpkg/info";

/// One stanza of the status file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DpkgPackage {
    pub name: String,
    pub version: String,
    pub arch: String,
    /// Third word of `Status:` (`installed`, `config-files`, ...).
    pub state: String,
    pub source: String,
}

/// Parses the status file: the packages, and the stanzas that could not
/// be read as (first line number, reason).
pub fn parse_status(text: &str) -> (Vec<DpkgPackage>, Vec<(usize, String)>) {
    let mut packages = Vec::new();
    let mut bad = Vec::new();
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut start = 1;
    let mut error: Option<String> = None;
    let mut last_key: Option<String> = None;
    let mut finish = |fields: &mut BTreeMap<String, String>, error: &mut Option<String>, start: usize| {
        if fields.is_empty() && error.is_none() {
            return;
        }
        let f = std::mem::take(fields);
        match error.take() {
            Some(e) => bad.push((start, e)),
            None => match stanza(&f) {
                Ok(p) => packages.push(p),
                Err(e) => bad.push((start, e)),
            },
        }
    };
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            finish(&mut fields, &mut error, start);
            start = n + 2;
            last_key = None;
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if last_key.is_none() && error.is_none() {
                error = Some(format!("line {}: continuation line before any field", n + 1));
            }
            continue;
        }
        match line.split_once(':') {
            Some((key, value)) if !key.is_empty() && !key.contains(' ') => {
                fields.insert(key.to_string(), value.trim().to_string());
                last_key = Some(key.to_string());
            }
            _ => {
                if error.is_none() {
                    error = Some(format!("line {}: {:?} is not a `Field: value` line", n + 1, cut(line)));
                }
            }
        }
    }
    finish(&mut fields, &mut error, start);
    (packages, bad)
}

fn cut(line: &str) -> String {
    line.chars().take(40).collect()
}

fn stanza(f: &BTreeMap<String, String>) -> Result<DpkgPackage, String> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let name = get("Package");
    if name.is_empty() {
        return Err("stanza without a Package field".into());
    }
    let status = get("Status");
    let state = status
        .split_whitespace()
        .nth(2)
        .ok_or_else(|| format!("package {name}: Status {status:?} has not three words"))?;
    Ok(DpkgPackage {
        name,
        version: get("Version"),
        arch: get("Architecture"),
        state: state.to_string(),
        source: get("Source").split_whitespace().next().unwrap_or("").to_string(),
    })
}

/// Reads and parses the status file under the collection root.
fn read_status(root: &Path, table: &mut Table) -> Option<Vec<DpkgPackage>> {
    let path = under(root, STATUS);
    let text = match fs::read(&path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            table.warn(format!("{}: {e}", path.display()));
            return None;
        }
    };
    let (packages, bad) = parse_status(&text);
    for (line, why) in bad {
        table.warn(format!("{} stanza at line {line}: {why}; package skipped", path.display()));
    }
    Some(packages)
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let Some(packages) = read_status(&ctx.opts.root, table) else { return };
    let location = STATUS.to_string();
    for p in packages {
        table.push(row([
            ("type", "dpkg".to_string()),
            ("name", p.name),
            ("version", p.version),
            ("arch", p.arch),
            ("status", p.state),
            ("source", p.source),
            ("location", location.clone()),
        ]));
    }
}

/// `<md5>  <path>` lines of an md5sums file; paths are made absolute.
pub fn parse_md5sums(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (md5, path) = l.split_once(char::is_whitespace)?;
            let path = path.trim_start();
            (md5.len() == 32 && !path.is_empty())
                .then(|| (md5.to_ascii_lowercase(), format!("/{}", path.trim_start_matches('/'))))
        })
        .collect()
}

/// Diverted paths (from → diverting package) of the diversions file:
/// triples of lines `from`, `to`, `package`.
pub fn parse_diversions(text: &str) -> BTreeMap<String, String> {
    let lines: Vec<&str> = text.lines().collect();
    lines.chunks(3).filter(|c| c.len() == 3).map(|c| (c[0].to_string(), c[2].to_string())).collect()
}

pub fn collect_integrity(ctx: &mut Ctx<'_>, table: &mut Table) {
    let root = ctx.opts.root.clone();
    let Some(packages) = read_status(&root, table) else { return };
    let diversions =
        fs::read_to_string(under(&root, "/var/lib/dpkg/diversions")).map(|t| parse_diversions(&t)).unwrap_or_default();
    let info = under(&root, INFO);
    let mut budget = ctx.opts.integrity_budget;
    let mut unchecked = 0u64;
    let mut checked_paths = HashSet::new();
    for p in packages.iter().filter(|p| p.state == "installed") {
        let candidates = [format!("{}:{}.md5sums", p.name, p.arch), format!("{}.md5sums", p.name)];
        let Some((sums_path, sums_meta)) =
            candidates.iter().map(|c| info.join(c)).find_map(|path| fs::metadata(&path).ok().map(|m| (path, m)))
        else {
            continue;
        };
        let installed_at = (sums_meta.ctime(), sums_meta.ctime_nsec());
        let text = match fs::read(&sums_path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                table.warn(format!("{}: {e}", sums_path.display()));
                continue;
            }
        };
        for (expected, path) in parse_md5sums(&text) {
            if diversions.get(&path).is_some_and(|by| *by != p.name) || !checked_paths.insert(path.clone()) {
                continue;
            }
            let file = under(&root, &path);
            let Ok(meta) = fs::symlink_metadata(&file) else { continue };
            if !meta.is_file() || (!ctx.opts.full_integrity && (meta.ctime(), meta.ctime_nsec()) <= installed_at) {
                continue;
            }
            if meta.size() > budget {
                unchecked += 1;
                continue;
            }
            budget -= meta.size();
            match ctx.hasher.md5(&file) {
                Ok(actual) if actual != expected => table.push(row([
                    ("package", p.name.clone()),
                    ("path", path),
                    ("status", "modified".to_string()),
                    ("expected_md5", expected),
                    ("actual_md5", actual),
                    ("mtime", rfc3339(meta.mtime())),
                ])),
                Ok(_) => {}
                Err(e) => table.warn(format!("{}: {e}; not checked", file.display())),
            }
        }
    }
    if unchecked > 0 {
        table.warn(format!(
            "{unchecked} changed package files not checked: the integrity budget of {} MiB is spent",
            ctx.opts.integrity_budget >> 20
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_with_a_broken_stanza_keeps_the_others() {
        let text = include_str!("../../testdata/dpkg/status");
        let (packages, bad) = parse_status(text);
        let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["base-files", "libc6", "nginx", "old-thing"]);
        assert_eq!(packages[1].arch, "amd64");
        assert_eq!(packages[2].version, "1.22.1-9+deb12u1");
        assert_eq!(packages[2].source, "nginx");
        assert_eq!(packages[3].state, "config-files");
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert!(bad[0].1.contains("not a `Field: value` line"), "{bad:?}");
        assert!(bad[1].1.contains("without a Package"), "{bad:?}");
    }

    #[test]
    fn md5sums_and_diversions() {
        let sums = parse_md5sums("d41d8cd98f00b204e9800998ecf8427e  usr/bin/x\nshort  usr/y\n0cc175b9c0f1b6a831c399e269772661  usr/share/a b\n");
        assert_eq!(
            sums,
            vec![
                ("d41d8cd98f00b204e9800998ecf8427e".into(), "/usr/bin/x".into()),
                ("0cc175b9c0f1b6a831c399e269772661".into(), "/usr/share/a b".into()),
            ]
        );
        let d = parse_diversions("/usr/bin/a\n/usr/bin/a.real\nfoo\n/x\n");
        assert_eq!(d.get("/usr/bin/a").map(String::as_str), Some("foo"));
        assert_eq!(d.len(), 1);
    }
}
