//! Python distributions (what pip sees): `*.dist-info/METADATA` and
//! `*.egg-info` in the system and local site/dist-packages directories.

use std::fs;
use std::path::Path;

use crate::model::{row, Table};
use crate::util::{dir_names, under};
use crate::Ctx;

/// Name and version from the headers of a METADATA / PKG-INFO file.
pub fn parse_metadata(text: &str) -> Option<(String, String)> {
    let mut name = None;
    let mut version = None;
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Name:") {
            name = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("Version:") {
            version = Some(v.trim().to_string());
        }
    }
    Some((name.filter(|n| !n.is_empty())?, version.unwrap_or_default()))
}

/// The site directories under the root.
fn site_dirs(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for base in ["/usr/lib", "/usr/local/lib"] {
        for name in dir_names(&under(root, base)).unwrap_or_default() {
            if name.starts_with("python") {
                for sub in ["dist-packages", "site-packages"] {
                    let dir = format!("{base}/{name}/{sub}");
                    if under(root, &dir).is_dir() {
                        out.push(dir);
                    }
                }
            }
        }
    }
    out
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let root = ctx.opts.root.clone();
    for dir in site_dirs(&root) {
        for entry in dir_names(&under(&root, &dir)).unwrap_or_default() {
            let meta = if entry.ends_with(".dist-info") {
                format!("{dir}/{entry}/METADATA")
            } else if entry.ends_with(".egg-info") {
                let p = format!("{dir}/{entry}");
                if under(&root, &p).is_dir() {
                    format!("{p}/PKG-INFO")
                } else {
                    p
                }
            } else {
                continue;
            };
            let text = match fs::read(under(&root, &meta)) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => {
                    table.warn(format!("{meta}: {e}; distribution skipped"));
                    continue;
                }
            };
            match parse_metadata(&text) {
                Some((name, version)) => table.push(row([
                    ("type", "pip".to_string()),
                    ("name", name),
                    ("version", version),
                    ("status", "installed".to_string()),
                    ("location", format!("{dir}/{entry}")),
                ])),
                None => table.warn(format!("{meta}: no Name header; distribution skipped")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_headers_stop_at_the_body() {
        let m = "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0\n\nName: not-this\n";
        assert_eq!(parse_metadata(m), Some(("PyYAML".into(), "6.0".into())));
        assert_eq!(parse_metadata("Version: 1\n"), None);
    }

    #[test]
    fn fixture_site_packages() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("usr/lib/python3/dist-packages");
        fs::create_dir_all(site.join("requests-2.28.1.dist-info")).unwrap();
        fs::write(site.join("requests-2.28.1.dist-info/METADATA"), "Name: requests\nVersion: 2.28.1\n").unwrap();
        fs::write(site.join("six-1.16.0.egg-info"), "Name: six\nVersion: 1.16.0\n").unwrap();
        fs::create_dir_all(site.join("broken.dist-info")).unwrap();
        let opts = crate::Options { root: dir.path().to_path_buf(), ..crate::Options::default() };
        let mut hasher = crate::Hasher::new(0);
        let mut ctx = Ctx::new(&opts, &mut hasher);
        let mut table = Table::new("packages");
        collect(&mut ctx, &mut table);
        let names: Vec<&str> = table.rows.iter().map(|r| r["name"].as_str()).collect();
        assert_eq!(names, vec!["requests", "six"]);
        assert_eq!(table.warnings.len(), 1);
    }
}
