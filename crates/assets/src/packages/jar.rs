//! Java jars in use: the jars running Java processes name on their
//! command line (`-jar`, `-cp`/`-classpath`/`--class-path`, `dir/*`
//! entries) or hold open, read through `/proc/<pid>/root` so jars inside
//! containers are found. Name and version come from
//! `META-INF/MANIFEST.MF` (Implementation-*, then Bundle-*), else from the
//! file name.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use crate::model::{row, Table};
use crate::proc::{in_root, ProcInfo};
use crate::Ctx;

/// Most jars one collection opens.
const MAX_JARS: usize = 2000;
/// Largest manifest read.
const MAX_MANIFEST: u64 = 1 << 20;

/// Main attributes of a manifest, continuation lines joined.
pub fn parse_manifest(text: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break; // main section ends; per-entry sections follow
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(v) = last.as_ref().and_then(|k| out.get_mut(k)) {
                v.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.insert(k.trim().to_string(), v.trim().to_string());
            last = Some(k.trim().to_string());
        }
    }
    out
}

/// Name and version of a jar from its manifest, else its file name
/// (`guava-31.1-jre.jar` → guava, 31.1-jre).
pub fn name_and_version(manifest: &BTreeMap<String, String>, file_name: &str) -> (String, String) {
    let get = |keys: &[&str]| keys.iter().find_map(|k| manifest.get(*k).filter(|v| !v.is_empty()).cloned());
    let stem = file_name.trim_end_matches(".jar");
    let (file_base, file_version) = match stem
        .char_indices()
        .find(|(i, c)| *c == '-' && stem[i + 1..].chars().next().is_some_and(|d| d.is_ascii_digit()))
    {
        Some((i, _)) => (stem[..i].to_string(), stem[i + 1..].to_string()),
        None => (stem.to_string(), String::new()),
    };
    let name = get(&["Implementation-Title", "Bundle-SymbolicName", "Bundle-Name"])
        .map(|n| n.split(';').next().unwrap_or("").trim().to_string())
        .unwrap_or(file_base);
    let version = get(&["Implementation-Version", "Bundle-Version", "Specification-Version"]).unwrap_or(file_version);
    (name, version)
}

/// Jar paths (as the process sees them) named on a Java command line.
pub fn jars_on_cmdline(argv: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "-jar" => out.extend(it.next().cloned()),
            "-cp" | "-classpath" | "--class-path" => {
                if let Some(cp) = it.next() {
                    out.extend(cp.split(':').filter(|e| e.ends_with(".jar") || e.ends_with("/*")).map(str::to_string));
                }
            }
            _ => {}
        }
    }
    out
}

fn read_manifest(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("not a readable jar: {e}"))?;
    let mut entry = match zip.by_name("META-INF/MANIFEST.MF") {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("manifest unreadable: {e}")),
    };
    let mut bytes = Vec::new();
    (&mut entry).take(MAX_MANIFEST).read_to_end(&mut bytes).map_err(|e| format!("manifest unreadable: {e}"))?;
    Ok(parse_manifest(&String::from_utf8_lossy(&bytes)))
}

fn is_java(p: &ProcInfo) -> bool {
    p.exe_name() == "java" || p.comm == "java"
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let procs: Vec<ProcInfo> = ctx.procs(table).iter().filter(|p| is_java(p)).cloned().collect();
    let proc_root = ctx.opts.proc_root.clone();
    let mut seen = std::collections::HashSet::new();
    for p in procs {
        let cwd = fs::read_link(proc_root.join(p.pid.to_string()).join("cwd"))
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "/".into());
        let mut paths = Vec::new();
        for j in jars_on_cmdline(&p.argv) {
            let abs = if j.starts_with('/') { j } else { format!("{}/{j}", cwd.trim_end_matches('/')) };
            match abs.strip_suffix("/*") {
                Some(dir) => {
                    let names = crate::util::dir_names(&in_root(&proc_root, p.pid, dir)).unwrap_or_default();
                    paths.extend(names.into_iter().filter(|n| n.ends_with(".jar")).map(|n| format!("{dir}/{n}")));
                }
                None => paths.push(abs),
            }
        }
        if let Ok(fds) = fs::read_dir(proc_root.join(p.pid.to_string()).join("fd")) {
            for fd in fds.flatten() {
                if let Ok(target) = fs::read_link(fd.path()) {
                    let t = target.to_string_lossy();
                    if t.ends_with(".jar") && t.starts_with('/') {
                        paths.push(t.into_owned());
                    }
                }
            }
        }
        for path in paths {
            if seen.len() >= MAX_JARS {
                table.warn(format!("more than {MAX_JARS} jars in use; the rest left out"));
                return;
            }
            if !seen.insert((p.container_id(), path.clone())) {
                continue;
            }
            let file_name = path.rsplit('/').next().unwrap_or(&path).to_string();
            let manifest = match read_manifest(&in_root(&proc_root, p.pid, &path)) {
                Ok(m) => m,
                Err(e) => {
                    table.warn(format!("{path} (pid {}): {e}; jar skipped", p.pid));
                    continue;
                }
            };
            let (name, version) = name_and_version(&manifest, &file_name);
            table.push(row([
                ("type", "jar".to_string()),
                ("name", name),
                ("version", version),
                ("status", "in use".to_string()),
                ("location", path),
                ("pid", p.pid.to_string()),
                ("container", p.container_id()),
            ]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn manifest_golden() {
        let m = parse_manifest(include_str!("../../testdata/jar/MANIFEST.MF"));
        assert_eq!(m["Implementation-Title"], "log4j-core");
        assert_eq!(m["Bundle-Description"], "The Apache Log4j Implementation, continued on a second line");
        assert!(!m.contains_key("Name"), "per-entry sections are not main attributes");
        assert_eq!(name_and_version(&m, "x.jar"), ("log4j-core".into(), "2.14.1".into()));
        assert_eq!(name_and_version(&BTreeMap::new(), "guava-31.1-jre.jar"), ("guava".into(), "31.1-jre".into()));
        assert_eq!(name_and_version(&BTreeMap::new(), "app.jar"), ("app".into(), String::new()));
    }

    #[test]
    fn command_lines() {
        let argv: Vec<String> = ["java", "-Xmx1g", "-cp", "lib/*:/opt/a.jar:classes", "-jar", "app.jar"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(jars_on_cmdline(&argv), vec!["lib/*", "/opt/a.jar", "app.jar"]);
    }

    #[test]
    fn real_jar_and_a_corrupt_one() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.jar");
        let mut w = zip::ZipWriter::new(File::create(&good).unwrap());
        w.start_file("META-INF/MANIFEST.MF", zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(
            b"Manifest-Version: 1.0\r\nBundle-SymbolicName: org.x.y;singleton:=true\r\nBundle-Version: 3.2.1\r\n\r\n",
        )
        .unwrap();
        w.finish().unwrap();
        let m = read_manifest(&good).unwrap();
        assert_eq!(name_and_version(&m, "good.jar"), ("org.x.y".into(), "3.2.1".into()));
        let bad = dir.path().join("bad.jar");
        fs::write(&bad, b"PK\x03\x04 this is not really a zip").unwrap();
        assert!(read_manifest(&bad).unwrap_err().contains("not a readable jar"));
    }
}
