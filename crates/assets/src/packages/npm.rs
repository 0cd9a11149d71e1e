//! Global npm packages: `package.json` of every package (scoped ones
//! included) in /usr/lib/node_modules and /usr/local/lib/node_modules.

use std::fs;

use crate::model::{row, Table};
use crate::util::{dir_names, under};
use crate::Ctx;

const DIRS: [&str; 2] = ["/usr/lib/node_modules", "/usr/local/lib/node_modules"];

/// Name and version of a package.json.
pub fn parse_package_json(text: &str) -> Result<(String, String), String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let name = v["name"].as_str().filter(|n| !n.is_empty()).ok_or("no name")?;
    Ok((name.to_string(), v["version"].as_str().unwrap_or("").to_string()))
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let root = ctx.opts.root.clone();
    for base in DIRS {
        let mut packages = Vec::new();
        for name in dir_names(&under(&root, base)).unwrap_or_default() {
            if name.starts_with('@') {
                for sub in dir_names(&under(&root, &format!("{base}/{name}"))).unwrap_or_default() {
                    packages.push(format!("{base}/{name}/{sub}"));
                }
            } else if !name.starts_with('.') {
                packages.push(format!("{base}/{name}"));
            }
        }
        for dir in packages {
            let manifest = format!("{dir}/package.json");
            let Ok(text) = fs::read_to_string(under(&root, &manifest)) else { continue };
            match parse_package_json(&text) {
                Ok((name, version)) => table.push(row([
                    ("type", "npm".to_string()),
                    ("name", name),
                    ("version", version),
                    ("status", "installed".to_string()),
                    ("location", dir),
                ])),
                Err(e) => table.warn(format!("{manifest}: {e}; package skipped")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json() {
        assert_eq!(parse_package_json(r#"{"name":"npm","version":"9.2.0"}"#).unwrap(), ("npm".into(), "9.2.0".into()));
        assert!(parse_package_json("{").is_err());
        assert!(parse_package_json("{}").is_err());
    }
}
