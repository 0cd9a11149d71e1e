//! The SUID/SGID table: regular files with the set-user-id or
//! set-group-id bit in the system directories, walked without following
//! symlinks or leaving the file system each starts on, with owner, mode
//! and SHA-256 (cached, rate-limited).

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::model::{row, Table};
use crate::util::{rfc3339, under};
use crate::Ctx;

/// Where SUID files are looked for.
pub const DIRS: [&str; 11] = [
    "/bin",
    "/sbin",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/usr/local/lib",
    "/opt",
];

/// Deepest directory level walked below each start.
const MAX_DEPTH: usize = 12;

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let root = ctx.opts.root.clone();
    let mut found = Vec::new();
    let mut visited = HashSet::new();
    for dir in DIRS {
        let start = under(&root, dir);
        // /bin → usr/bin on merged-/usr systems: walk each real directory once.
        let Ok(meta) = fs::symlink_metadata(&start) else { continue };
        if !meta.is_dir() || !visited.insert((meta.dev(), meta.ino())) {
            continue;
        }
        walk(&start, meta.dev(), 0, &mut found, table);
    }
    let accounts = ctx.accounts(table).clone();
    found.sort();
    for path in found {
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        let host_path = format!("/{}", path.strip_prefix(&root).unwrap_or(&path).display()).replace("//", "/");
        let sha = ctx.hasher.sha256(&path).unwrap_or_else(|e| {
            table.warn(format!("{host_path}: {e}; not hashed"));
            String::new()
        });
        let mode = meta.permissions().mode();
        table.push(row([
            ("path", host_path),
            ("mode", format!("{:04o}", mode & 0o7777)),
            ("suid", (mode & 0o4000 != 0).to_string()),
            ("sgid", (mode & 0o2000 != 0).to_string()),
            ("owner", accounts.user_name(meta.uid())),
            ("group", accounts.group_name(meta.gid())),
            ("size", meta.size().to_string()),
            ("mtime", rfc3339(meta.mtime())),
            ("sha256", sha),
        ]));
    }
}

fn walk(dir: &Path, dev: u64, depth: usize, found: &mut Vec<std::path::PathBuf>, table: &mut Table) {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound {
                table.warn(format!("{}: {e}", dir.display()));
            }
            return;
        }
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let ft = meta.file_type();
        if ft.is_dir() && meta.dev() == dev && depth < MAX_DEPTH {
            walk(&entry.path(), dev, depth + 1, found, table);
        } else if ft.is_file() && meta.permissions().mode() & 0o6000 != 0 {
            found.push(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_root_finds_suid_and_sgid_only() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("usr/bin");
        fs::create_dir_all(bin.join("sub")).unwrap();
        for (name, mode) in [("su", 0o4755), ("wall", 0o2755), ("ls", 0o755), ("sub/deep", 0o4700)] {
            fs::write(bin.join(name), name).unwrap();
            fs::set_permissions(bin.join(name), fs::Permissions::from_mode(mode)).unwrap();
        }
        std::os::unix::fs::symlink("usr/bin", dir.path().join("bin")).unwrap();
        let opts = crate::Options { root: dir.path().to_path_buf(), ..crate::Options::default() };
        let mut hasher = crate::Hasher::new(0);
        let mut ctx = Ctx::new(&opts, &mut hasher);
        let mut table = Table::new("suid");
        collect(&mut ctx, &mut table);
        let paths: Vec<&str> = table.rows.iter().map(|r| r["path"].as_str()).collect();
        assert_eq!(paths, vec!["/usr/bin/su", "/usr/bin/sub/deep", "/usr/bin/wall"]);
        assert_eq!(table.rows[0]["mode"], "4755");
        assert_eq!(table.rows[2]["sgid"], "true");
        assert_eq!(table.rows[0]["sha256"].len(), 64);
    }
}
