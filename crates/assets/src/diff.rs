//! Differences between two snapshots, row by row: a row is identified by
//! its table's key columns ([`TableKind::key`]); it is `added`, `removed`,
//! or `modified` when a column other than the volatile ones changed. These
//! become `asset_change` events in `panoptes run` and the output of
//! `panoptes assets diff`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Row, Snapshot};
use crate::tables::TableKind;

/// One change, in the shape of the `asset_change` event body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub table: String,
    /// `added`, `removed` or `modified`.
    pub change: String,
    /// The row's key (key column values joined by `|`).
    pub key: String,
    /// One line for people: "new listening port tcp 0.0.0.0:8080 (nginx)".
    pub summary: String,
    /// The row (the old one when removed); for `modified`, `changed` lists
    /// the columns and `old.<column>` holds each previous value.
    pub details: BTreeMap<String, String>,
}

/// Changes from `old` to `new`, for the tables both hold.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<Change> {
    let mut out = Vec::new();
    for table in &new.tables {
        let (Some(kind), Some(before)) = (TableKind::from_name(&table.name), old.table(&table.name)) else { continue };
        let index = |rows: &[Row]| -> BTreeMap<String, Row> {
            let mut map = BTreeMap::new();
            for r in rows.iter().filter(|r| kind.tracked(r)) {
                map.entry(kind.key_of(r)).or_insert_with(|| r.clone());
            }
            map
        };
        let (was, is) = (index(&before.rows), index(&table.rows));
        for (key, row) in &is {
            match was.get(key) {
                None => out.push(change(kind, "added", key, row.clone())),
                Some(prev) => {
                    let changed: Vec<&str> = row
                        .keys()
                        .chain(prev.keys())
                        .map(String::as_str)
                        .filter(|c| !kind.volatile().contains(c) && row.get(*c) != prev.get(*c))
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    if !changed.is_empty() {
                        let mut details = row.clone();
                        for c in &changed {
                            details.insert(format!("old.{c}"), prev.get(*c).cloned().unwrap_or_default());
                        }
                        details.insert("changed".into(), changed.join(","));
                        out.push(change(kind, "modified", key, details));
                    }
                }
            }
        }
        for (key, row) in &was {
            if !is.contains_key(key) {
                out.push(change(kind, "removed", key, row.clone()));
            }
        }
    }
    out
}

fn change(kind: TableKind, what: &str, key: &str, details: Row) -> Change {
    Change {
        table: kind.name().to_string(),
        change: what.to_string(),
        key: key.to_string(),
        summary: describe(kind, what, key, &details),
        details,
    }
}

/// The summary line of a change.
pub fn describe(kind: TableKind, what: &str, key: &str, r: &Row) -> String {
    let get = |c: &str| r.get(c).map(String::as_str).unwrap_or("");
    let owner = if get("comm").is_empty() { String::new() } else { format!(" ({} pid {})", get("comm"), get("pid")) };
    let noun = match (kind, what) {
        (TableKind::Sockets, _) if !get("path").is_empty() => format!("listening unix socket {}{owner}", get("path")),
        (TableKind::Sockets, _) => {
            let ip = get("local_ip");
            let ip = if ip.contains(':') { format!("[{ip}]") } else { ip.to_string() };
            format!("listening port {} {ip}:{}{owner}", get("proto"), get("local_port"))
        }
        (TableKind::Users, _) => format!("user {} (uid {})", get("name"), get("uid")),
        (TableKind::Groups, _) => format!("group {} (gid {})", get("name"), get("gid")),
        (TableKind::Suid, _) => format!("SUID/SGID file {} (mode {})", get("path"), get("mode")),
        (TableKind::Services, _) => format!("service {} ({}, {})", get("name"), get("kind"), get("state")),
        (TableKind::Modules, _) => format!("kernel module {}", get("name")),
        (TableKind::PackageFiles, _) => format!("modified package file {} ({})", get("path"), get("package")),
        (TableKind::Packages, _) => format!("{} package {} {}", get("type"), get("name"), get("version")),
        (TableKind::Cron, _) => format!("cron job in {}: {} {}", get("source"), get("schedule"), get("command")),
        (TableKind::Containers, _) => format!("container {} ({})", get("name"), get("image")),
        (TableKind::Apps, _) => format!("application {} {} (pid {})", get("name"), get("version"), get("pid")),
        _ => format!("{} row {key}", kind.name()),
    };
    match what {
        "added" if kind == TableKind::PackageFiles => noun,
        "added" => format!("new {noun}"),
        "removed" => format!("{noun} gone"),
        _ => format!("{noun} changed: {}", get("changed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{row, Table};

    fn snap(tables: Vec<Table>) -> Snapshot {
        Snapshot { time_unix_ns: 1, host: "h".into(), tables }
    }

    fn table(name: &str, rows: Vec<Row>) -> Table {
        Table { rows, ..Table::new(name) }
    }

    #[test]
    fn added_removed_modified_and_volatile_ignored() {
        let sock = |port: &str, pid: &str| {
            row([
                ("proto", "tcp".into()),
                ("state", "LISTEN".into()),
                ("local_ip", "0.0.0.0".into()),
                ("local_port", port.into()),
                ("pid", pid.into()),
                ("comm", "nginx".into()),
            ])
        };
        let conn = row([("proto", "tcp".into()), ("state", "ESTABLISHED".into()), ("local_port", "5555".into())]);
        let user = |shell: &str| row([("name", "bob".into()), ("uid", "1000".into()), ("shell", shell.into())]);
        let old = snap(vec![
            table("sockets", vec![sock("80", "10"), sock("22", "5")]),
            table("users", vec![user("/bin/bash")]),
            table("modules", vec![]),
        ]);
        let new = snap(vec![
            table("sockets", vec![sock("80", "99"), sock("8080", "11"), conn]),
            table("users", vec![user("/bin/sh")]),
            table("suid", vec![row([("path", "/tmp/x".into())])]),
        ]);
        let changes = diff(&old, &new);
        let got: Vec<(&str, &str, &str)> =
            changes.iter().map(|c| (c.table.as_str(), c.change.as_str(), c.summary.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("sockets", "added", "new listening port tcp 0.0.0.0:8080 (nginx pid 11)"),
                ("sockets", "removed", "listening port tcp 0.0.0.0:22 (nginx pid 5) gone"),
                ("users", "modified", "user bob (uid 1000) changed: shell"),
            ]
        );
        assert_eq!(changes[2].details["old.shell"], "/bin/bash");
        assert_eq!(changes[2].details["shell"], "/bin/sh");
        assert!(diff(&new, &new).is_empty());
    }
}
