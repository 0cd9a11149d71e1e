//! The services table: systemd service units (state, type, user,
//! ExecStart, drop-ins applied; see [`crate::systemd`]) and SysV init
//! scripts in /etc/init.d (enabled when an `S` link in /etc/rc[2-5].d
//! starts them).

use crate::model::{row, Table};
use crate::systemd::load_units;
use crate::util::{dir_names, under};
use crate::Ctx;

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let root = ctx.opts.root.clone();
    for u in load_units(&root, ".service", table) {
        let unit = &u.unit;
        table.push(row([
            ("kind", "systemd".to_string()),
            ("name", u.name.clone()),
            ("state", u.state.to_string()),
            ("type", unit.first("Service", "Type")),
            ("user", unit.first("Service", "User")),
            ("exec_start", unit.values("Service", "ExecStart").join("; ")),
            ("description", unit.first("Unit", "Description")),
            ("path", u.path.clone()),
        ]));
    }
    let mut started = Vec::new();
    for level in 2..=5 {
        for link in dir_names(&under(&root, &format!("/etc/rc{level}.d"))).unwrap_or_default() {
            if let Some(rest) = link.strip_prefix('S') {
                started.push(rest.trim_start_matches(|c: char| c.is_ascii_digit()).to_string());
            }
        }
    }
    for name in dir_names(&under(&root, "/etc/init.d")).unwrap_or_default() {
        let path = format!("/etc/init.d/{name}");
        if name == "README" || name == "skeleton" || name.starts_with('.') || !under(&root, &path).is_file() {
            continue;
        }
        let state = if started.contains(&name) { "enabled" } else { "disabled" };
        table.push(row([
            ("kind", "sysv".to_string()),
            ("name", name.clone()),
            ("state", state.to_string()),
            ("exec_start", format!("{path} start")),
            ("path", path),
        ]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    #[test]
    fn fixture_root_units_states_dropins_and_sysv() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        let lib = r.join("usr/lib/systemd/system");
        let etc = r.join("etc/systemd/system");
        fs::create_dir_all(&lib).unwrap();
        fs::create_dir_all(etc.join("multi-user.target.wants")).unwrap();
        fs::write(lib.join("nginx.service"), include_str!("../testdata/systemd/nginx.service")).unwrap();
        fs::write(lib.join("static.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
        fs::write(lib.join("off.service"), "[Service]\nExecStart=/bin/off\n[Install]\nWantedBy=multi-user.target\n")
            .unwrap();
        fs::write(lib.join("broken.service"), "ExecStart=/bin/x\n").unwrap();
        symlink("/usr/lib/systemd/system/nginx.service", etc.join("multi-user.target.wants/nginx.service")).unwrap();
        symlink("/dev/null", etc.join("masked.service")).unwrap();
        fs::create_dir_all(etc.join("nginx.service.d")).unwrap();
        fs::write(etc.join("nginx.service.d/override.conf"), "[Service]\nUser=www-data\n").unwrap();
        fs::create_dir_all(r.join("etc/init.d")).unwrap();
        fs::create_dir_all(r.join("etc/rc2.d")).unwrap();
        fs::write(r.join("etc/init.d/legacy"), "#!/bin/sh\n").unwrap();
        fs::write(r.join("etc/init.d/README"), "").unwrap();
        symlink("../init.d/legacy", r.join("etc/rc2.d/S01legacy")).unwrap();

        let opts = crate::Options { root: r.to_path_buf(), ..crate::Options::default() };
        let mut hasher = crate::Hasher::new(0);
        let mut ctx = Ctx::new(&opts, &mut hasher);
        let mut table = Table::new("services");
        collect(&mut ctx, &mut table);
        let find = |name: &str| {
            table.rows.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("{name}: {:?}", table.rows))
        };
        assert_eq!(find("nginx.service")["state"], "enabled");
        assert_eq!(find("nginx.service")["user"], "www-data");
        assert!(find("nginx.service")["exec_start"].starts_with("/usr/sbin/nginx -g"));
        assert_eq!(find("static.service")["state"], "static");
        assert_eq!(find("off.service")["state"], "disabled");
        assert_eq!(find("masked.service")["state"], "masked");
        assert_eq!(find("legacy")["state"], "enabled");
        assert!(table.rows.iter().all(|r| r["name"] != "README" && r["name"] != "broken.service"));
        assert_eq!(table.warnings.len(), 1, "{:?}", table.warnings);
        assert!(table.warnings[0].contains("broken.service"));
    }
}
