//! Event kinds: the single list of kind names (the `kind` JSON field, the
//! `--events` vocabulary) and the JSON key each kind's body is written under.

use std::fmt;

macro_rules! kinds {
    ($( $variant:ident => $name:literal, $key:literal, $family:literal; )*) => {
        /// Every kind of event Panoptes emits.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind { $( $variant, )* }

        impl EventKind {
            /// All kinds, in documentation order.
            pub const ALL: &'static [EventKind] = &[ $( EventKind::$variant, )* ];

            /// The `kind` field value.
            pub const fn name(self) -> &'static str {
                match self { $( EventKind::$variant => $name, )* }
            }

            /// The JSON key the body is written under.
            pub const fn body_key(self) -> &'static str {
                match self { $( EventKind::$variant => $key, )* }
            }

            /// The family (`process`, `file`, `network`, `security`, `internal`).
            pub const fn family(self) -> &'static str {
                match self { $( EventKind::$variant => $family, )* }
            }
        }
    };
}

kinds! {
    Exec => "exec", "exec", "process";
    Fork => "fork", "fork", "process";
    Exit => "exit", "exit", "process";
    FileOpen => "file_open", "file", "file";
    FileRename => "file_rename", "file", "file";
    FileUnlink => "file_unlink", "file", "file";
    FileChmod => "file_chmod", "file", "file";
    FileChown => "file_chown", "file", "file";
    NetConnect => "net_connect", "net", "network";
    NetBind => "net_bind", "net", "network";
    NetListen => "net_listen", "net", "network";
    NetAccept => "net_accept", "net", "network";
    Ptrace => "ptrace", "ptrace", "security";
    ModuleLoad => "module_load", "module", "security";
    MemfdCreate => "memfd_create", "memfd", "security";
    Setid => "setid", "setid", "security";
    Capset => "capset", "capset", "security";
    Mount => "mount", "mount", "security";
    Umount => "umount", "mount", "security";
    Unshare => "unshare", "namespace", "security";
    Setns => "setns", "namespace", "security";
    Bpf => "bpf", "bpf", "security";
    Kill => "kill", "kill", "security";
    AssetChange => "asset_change", "asset", "inventory";
    Loss => "loss", "loss", "internal";
}

impl EventKind {
    /// Made by Panoptes itself (drop reports, inventory changes), never by
    /// a sensor.
    pub const fn is_synthetic(self) -> bool {
        matches!(self, EventKind::Loss | EventKind::AssetChange)
    }

    /// Looks a kind up by name.
    pub fn from_name(name: &str) -> Option<EventKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Expands one `--events` word: a kind name or a family name.
    /// Returns `None` for a word that is neither.
    pub fn expand(word: &str) -> Option<Vec<EventKind>> {
        if let Some(kind) = Self::from_name(word) {
            return Some(vec![kind]);
        }
        let family: Vec<EventKind> =
            Self::ALL.iter().copied().filter(|k| k.family() == word && *k != EventKind::Loss).collect();
        (!family.is_empty()).then_some(family)
    }

    /// Words `expand` accepts, for error messages.
    pub fn vocabulary() -> String {
        let mut words: Vec<&str> = vec!["process", "file", "network", "security", "inventory"];
        words.extend(Self::ALL.iter().filter(|k| **k != EventKind::Loss).map(|k| k.name()));
        words.join(", ")
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for kind in EventKind::ALL {
            assert!(seen.insert(kind.name()), "duplicate name {}", kind.name());
            assert_eq!(EventKind::from_name(kind.name()), Some(*kind));
        }
    }

    #[test]
    fn families_expand() {
        let file = EventKind::expand("file").unwrap();
        assert_eq!(file.len(), 5);
        assert!(file.contains(&EventKind::FileRename));
        assert_eq!(EventKind::expand("exec"), Some(vec![EventKind::Exec]));
        assert_eq!(EventKind::expand("exek"), None);
        assert_eq!(EventKind::expand("internal"), None);
    }
}
