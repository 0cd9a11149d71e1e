//! The list of tables: names, the columns shown by default, which columns
//! identify a row across snapshots (the diff key) and which change on
//! their own (left out of "modified"). Defined here once; collectors fill
//! rows, [`crate::diff`] and the CLI read this.

use crate::model::Row;

macro_rules! tables {
    ($( $variant:ident => $name:literal, events: $events:literal,
        key: [$($key:literal),*], volatile: [$($vol:literal),*], columns: [$($col:literal),*]; )*) => {
        /// Every table `panoptes assets` knows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum TableKind { $( $variant, )* }

        impl TableKind {
            /// All tables, in collection order.
            pub const ALL: &'static [TableKind] = &[ $( TableKind::$variant, )* ];

            pub const fn name(self) -> &'static str {
                match self { $( TableKind::$variant => $name, )* }
            }

            /// Changes in this table become `asset_change` events in `panoptes run`.
            pub const fn emits_events(self) -> bool {
                match self { $( TableKind::$variant => $events, )* }
            }

            /// Columns whose values identify a row across snapshots.
            pub const fn key(self) -> &'static [&'static str] {
                match self { $( TableKind::$variant => &[$($key),*], )* }
            }

            /// Columns that change without the asset changing.
            pub const fn volatile(self) -> &'static [&'static str] {
                match self { $( TableKind::$variant => &[$($vol),*], )* }
            }

            /// Columns the table format shows, in order.
            pub const fn columns(self) -> &'static [&'static str] {
                match self { $( TableKind::$variant => &[$($col),*], )* }
            }
        }
    };
}

tables! {
    Host => "host", events: true, key: ["hostname"],
        volatile: ["uptime_secs", "mem_available_kib", "load_avg"],
        columns: ["hostname", "os", "kernel", "arch", "cpu_model", "cpus", "mem_total_kib", "uptime_secs",
                  "boot_id", "machine_id", "ips", "dns_servers", "default_gateway"];
    Processes => "processes", events: false, key: ["pid", "start_time"],
        volatile: ["cmdline"],
        columns: ["pid", "ppid", "user", "start_time", "container", "exe", "exe_sha256", "cmdline"];
    Sockets => "sockets", events: true, key: ["container", "proto", "local_ip", "local_port", "path"],
        volatile: ["pid", "inode", "uid", "comm", "exe", "netns", "remote_ip", "remote_port", "container_name"],
        columns: ["proto", "state", "local_ip", "local_port", "remote_ip", "remote_port", "path", "pid", "comm",
                  "container"];
    Users => "users", events: true, key: ["name"],
        volatile: ["last_login", "last_login_from"],
        columns: ["name", "uid", "gid", "group", "home", "shell", "password", "last_login", "sudo"];
    Groups => "groups", events: true, key: ["name"], volatile: [],
        columns: ["name", "gid", "members", "password"];
    Packages => "packages", events: true, key: ["type", "name", "arch", "location"], volatile: [],
        columns: ["type", "name", "version", "arch", "status", "location"];
    PackageFiles => "package_files", events: true, key: ["path"], volatile: ["actual_md5", "mtime"],
        columns: ["package", "path", "status", "expected_md5", "actual_md5", "mtime"];
    Services => "services", events: true, key: ["kind", "name"], volatile: [],
        columns: ["kind", "name", "state", "user", "exec_start", "path"];
    Cron => "cron", events: true, key: ["source", "schedule", "command", "user"], volatile: [],
        columns: ["source", "user", "schedule", "command"];
    Modules => "modules", events: true, key: ["name"], volatile: ["refcount", "used_by", "address"],
        columns: ["name", "size", "refcount", "used_by", "state", "taint"];
    Containers => "containers", events: true, key: ["id"], volatile: ["pid", "processes"],
        columns: ["id", "name", "image", "runtime", "pid", "processes"];
    Apps => "apps", events: true, key: ["container", "name", "exe", "conf"],
        volatile: ["pid", "start_time", "ports", "version_source"],
        columns: ["name", "type", "version", "pid", "ports", "conf", "container", "exe"];
    Suid => "suid", events: true, key: ["path"], volatile: [],
        columns: ["path", "mode", "owner", "group", "size", "sha256"];
}

impl TableKind {
    pub fn from_name(name: &str) -> Option<TableKind> {
        Self::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// The names, comma-separated, for error messages.
    pub fn vocabulary() -> String {
        Self::ALL.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
    }

    /// The diff key of `row`: the key columns' values joined by `|`.
    pub fn key_of(self, row: &Row) -> String {
        self.key().iter().map(|k| row.get(*k).map(String::as_str).unwrap_or("")).collect::<Vec<_>>().join("|")
    }

    /// Rows whose changes are worth reporting: sockets only while
    /// listening (connections come and go all the time).
    pub fn tracked(self, row: &Row) -> bool {
        match self {
            TableKind::Sockets => row.get("state").is_some_and(|s| s == "LISTEN" || s == "UNCONN"),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_keys_are_shown_or_known() {
        for t in TableKind::ALL {
            assert_eq!(TableKind::from_name(t.name()), Some(*t));
            assert!(!t.key().is_empty() && !t.columns().is_empty(), "{}", t.name());
            for v in t.volatile() {
                assert!(!t.key().contains(v), "{}: {v} is both key and volatile", t.name());
            }
        }
        assert_eq!(TableKind::from_name("nope"), None);
    }
}
