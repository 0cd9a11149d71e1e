//! Which Panoptes events serve a Sigma logsource, and which Panoptes field
//! each Sigma field becomes. This is the whole mapping table: logsource →
//! [`Source`] (with the predicate every match must also satisfy), Sigma
//! field → [`Mapping`], and for auditd the record types and the syscalls
//! the sensor traces.

use crate::error::Unsupported;
use crate::expr::Expr;

/// A Panoptes field's value type, as far as the converter must know it to
/// pick operators (string operators on an int or ip field are load errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Str,
    Int,
    Ip,
}

/// A Panoptes field a Sigma field maps onto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub field: String,
    pub ty: Ty,
}

impl Target {
    fn new(field: impl Into<String>, ty: Ty) -> Self {
        Target { field: field.into(), ty }
    }
}

/// What a Sigma field means for the converter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// A plain field match.
    Field(Target),
    /// network_connection `Initiated`: `'true'` always holds for connect.
    Initiated,
    /// auditd `type`: selects the record, handled per selection.
    RecordType,
    /// auditd `SYSCALL`: `event.syscall`, only for syscalls Panoptes traces.
    Syscall,
    /// auditd PATH `nametype`: CREATE and DELETE as the kinds of event that
    /// create or delete a name (the same reading of creation as file_event).
    NameType,
}

/// The Panoptes events a Sigma logsource is served by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    ProcessCreation,
    FileEvent,
    NetworkConnection,
    Auditd,
    /// `product: linux` with neither category nor service: keyword searches
    /// over any log, matched against event strings.
    AnyLog,
}

/// An auditd record type Panoptes has a counterpart for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    Execve,
    Path,
    Syscall,
}

fn text(value: &yaml_rust2::Yaml) -> Option<String> {
    match value {
        yaml_rust2::Yaml::String(s) => Some(s.clone()),
        yaml_rust2::Yaml::Integer(i) => Some(i.to_string()),
        yaml_rust2::Yaml::Real(r) => Some(r.clone()),
        yaml_rust2::Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Source {
    /// Classifies a rule's `logsource` mapping.
    pub fn from_logsource(logsource: &yaml_rust2::Yaml) -> Result<Source, Unsupported> {
        let yaml_rust2::Yaml::Hash(map) = logsource else {
            return Err(Unsupported::invalid("`logsource` is not a mapping"));
        };
        let get = |key: &str| map.get(&yaml_rust2::Yaml::String(key.to_string())).and_then(text);
        let product = get("product");
        match product.as_deref() {
            Some(p) if p.eq_ignore_ascii_case("linux") => {}
            Some(p) => return Err(Unsupported::Product(p.to_string())),
            None => return Err(Unsupported::Product("(none)".to_string())),
        }
        match (get("category"), get("service")) {
            (Some(category), Some(service)) => Err(Unsupported::CategoryAndService { category, service }),
            (Some(category), None) => match category.as_str() {
                "process_creation" => Ok(Source::ProcessCreation),
                "file_event" => Ok(Source::FileEvent),
                "network_connection" => Ok(Source::NetworkConnection),
                _ => Err(Unsupported::Category(category)),
            },
            (None, Some(service)) if service == "auditd" => Ok(Source::Auditd),
            (None, Some(service)) => Err(Unsupported::ServiceLog(service)),
            (None, None) => Ok(Source::AnyLog),
        }
    }

    /// The logsource's name in messages.
    pub fn label(self) -> &'static str {
        match self {
            Source::ProcessCreation => "logsource process_creation",
            Source::FileEvent => "logsource file_event",
            Source::NetworkConnection => "logsource network_connection",
            Source::Auditd => "logsource auditd",
            Source::AnyLog => "product-only logsource (keyword searches only)",
        }
    }

    /// What every match must also satisfy: the events this logsource is.
    pub fn anchor(self) -> Option<Expr> {
        let p = |text: &str| Expr::Pred(text.to_string());
        match self {
            Source::ProcessCreation => Some(Expr::and(vec![p("kind == exec"), p("exec.result == 0")])),
            Source::FileEvent => Some(Expr::and(vec![
                p("kind in (file_open, file_rename)"),
                p("file.result >= 0"),
                Expr::or(vec![p("kind == file_rename"), p("file.reason == write")]),
            ])),
            // Sigma's network_connection is TCP/UDP over IP (Sysmon event 3);
            // a connect on a Unix socket (glibc asking nscd for a user name,
            // a client of a local daemon) is not one.
            Source::NetworkConnection => {
                Some(Expr::and(vec![p("kind == net_connect"), p("net.addr.family in (inet, inet6)")]))
            }
            Source::Auditd | Source::AnyLog => None,
        }
    }

    /// A field's mapping in this logsource; `record` is the auditd record
    /// the selection reads.
    pub fn map_field(self, field: &str, record: Option<Record>) -> Result<Mapping, Unsupported> {
        let found =
            match self {
                Source::ProcessCreation => match field {
                    "Image" => Some(Target::new("process.exe", Ty::Str)),
                    "CommandLine" => Some(Target::new("process.cmdline", Ty::Str)),
                    "ParentImage" => Some(Target::new("process.parent.exe", Ty::Str)),
                    "ParentCommandLine" => Some(Target::new("process.parent.cmdline", Ty::Str)),
                    "CurrentDirectory" => Some(Target::new("exec.cwd", Ty::Str)),
                    "User" => Some(Target::new("process.user", Ty::Str)),
                    "LogonId" => {
                        return Err(Unsupported::NoCounterpart("LogonId (login session) is not in Panoptes events"))
                    }
                    _ => None,
                },
                Source::FileEvent => match field {
                    "TargetFilename" => Some(Target::new("file.target", Ty::Str)),
                    "Image" => Some(Target::new("process.exe", Ty::Str)),
                    _ => None,
                },
                Source::NetworkConnection => match field {
                    "DestinationIp" => Some(Target::new("net.addr.ip", Ty::Ip)),
                    "DestinationPort" => Some(Target::new("net.addr.port", Ty::Int)),
                    "Image" => Some(Target::new("process.exe", Ty::Str)),
                    "Initiated" => return Ok(Mapping::Initiated),
                    "DestinationHostname" => return Err(Unsupported::NoCounterpart(
                        "DestinationHostname: connect events carry addresses, not host names; Panoptes has no DNS data",
                    )),
                    _ => None,
                },
                Source::Auditd => return auditd_field(field, record),
                Source::AnyLog => None,
            };
        found
            .map(Mapping::Field)
            .ok_or_else(|| Unsupported::UnknownField { field: field.to_string(), logsource: self.label().to_string() })
    }
}

/// `a<N>` → N.
pub fn argument_index(field: &str) -> Option<usize> {
    let digits = field.strip_prefix('a')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 4 {
        return None;
    }
    digits.parse().ok()
}

fn auditd_field(field: &str, record: Option<Record>) -> Result<Mapping, Unsupported> {
    if field == "type" {
        return Ok(Mapping::RecordType);
    }
    if field == "key" {
        return Err(Unsupported::NoCounterpart("audit rule keys are not in Panoptes events"));
    }
    let target = match (record, field) {
        (Some(Record::Execve), f) if argument_index(f).is_some() => {
            argument_index(f).map(|n| Target::new(format!("exec.argv[{n}]"), Ty::Str))
        }
        (Some(Record::Execve), "argc") => Some(Target::new("exec.argc", Ty::Int)),
        (Some(Record::Path), "name") => Some(Target::new("event.paths", Ty::Str)),
        (Some(Record::Path), "nametype") => return Ok(Mapping::NameType),
        (Some(Record::Syscall), "SYSCALL") => return Ok(Mapping::Syscall),
        (Some(Record::Syscall), f) if argument_index(f).is_some_and(|n| n <= 3) => {
            return Err(Unsupported::NoCounterpart(
                "raw syscall arguments (a0..a3 of a SYSCALL record) are not in Panoptes events",
            ))
        }
        (Some(Record::Syscall), "exe") => Some(Target::new("process.exe", Ty::Str)),
        (Some(Record::Syscall), "comm") => Some(Target::new("process.comm", Ty::Str)),
        (Some(Record::Syscall), "pid") => Some(Target::new("process.pid", Ty::Int)),
        (Some(Record::Syscall), "ppid") => Some(Target::new("process.ppid", Ty::Int)),
        (Some(Record::Syscall), "uid") => Some(Target::new("process.uid", Ty::Int)),
        (Some(Record::Syscall), "gid") => Some(Target::new("process.gid", Ty::Int)),
        (Some(Record::Syscall), "euid") => Some(Target::new("process.euid", Ty::Int)),
        (Some(Record::Syscall), "egid") => Some(Target::new("process.egid", Ty::Int)),
        (Some(Record::Syscall), "exit") => Some(Target::new("event.result", Ty::Int)),
        _ => None,
    };
    let label = match record {
        Some(Record::Execve) => "auditd EXECVE records",
        Some(Record::Path) => "auditd PATH records",
        Some(Record::Syscall) => "auditd SYSCALL records",
        None => "auditd records",
    };
    target
        .map(Mapping::Field)
        .ok_or_else(|| Unsupported::UnknownField { field: field.to_string(), logsource: label.into() })
}

/// The record a field belongs to when a selection names no `type`;
/// `None` for fields that fit no record Panoptes has.
pub fn record_of_field(field: &str, rule_is_syscall_only: bool) -> Option<Record> {
    match field {
        "name" | "nametype" => Some(Record::Path),
        "SYSCALL" | "exe" | "comm" | "pid" | "ppid" | "uid" | "gid" | "euid" | "egid" | "exit" => Some(Record::Syscall),
        "argc" => Some(Record::Execve),
        f if argument_index(f).is_some() => Some(if rule_is_syscall_only { Record::Syscall } else { Record::Execve }),
        _ => None,
    }
}

/// An auditd `type` value as a record Panoptes serves.
pub fn record_type(value: &str) -> Result<Record, Unsupported> {
    match value.to_ascii_uppercase().as_str() {
        "EXECVE" => Ok(Record::Execve),
        "PATH" => Ok(Record::Path),
        "SYSCALL" => Ok(Record::Syscall),
        _ => Err(Unsupported::RecordType(value.to_string())),
    }
}

impl Record {
    /// The record's name in messages and notes.
    pub fn name(self) -> &'static str {
        match self {
            Record::Execve => "EXECVE",
            Record::Path => "PATH",
            Record::Syscall => "SYSCALL",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaml_rust2::YamlLoader;

    fn source(text: &str) -> Result<Source, Unsupported> {
        let docs = YamlLoader::load_from_str(text).unwrap();
        Source::from_logsource(&docs[0])
    }

    #[test]
    fn logsources() {
        assert_eq!(source("{product: linux, category: process_creation}"), Ok(Source::ProcessCreation));
        assert_eq!(source("{product: linux, service: auditd}"), Ok(Source::Auditd));
        assert_eq!(source("{product: linux}"), Ok(Source::AnyLog));
        assert_eq!(source("{product: linux, service: sshd}"), Err(Unsupported::ServiceLog("sshd".into())));
        assert_eq!(
            source("{product: windows, category: process_creation}"),
            Err(Unsupported::Product("windows".into()))
        );
        assert_eq!(source("{product: linux, category: dns}"), Err(Unsupported::Category("dns".into())));
        assert!(source("[linux]").is_err());
    }

    #[test]
    fn auditd_fields_by_record() {
        let field = |f: &str, r| Source::Auditd.map_field(f, Some(r));
        assert_eq!(field("a12", Record::Execve), Ok(Mapping::Field(Target::new("exec.argv[12]", Ty::Str))));
        assert_eq!(field("name", Record::Path), Ok(Mapping::Field(Target::new("event.paths", Ty::Str))));
        assert_eq!(field("SYSCALL", Record::Syscall), Ok(Mapping::Syscall));
        assert!(matches!(field("a0", Record::Syscall), Err(Unsupported::NoCounterpart(_))));
        assert!(matches!(field("key", Record::Execve), Err(Unsupported::NoCounterpart(_))));
        assert!(matches!(field("exe", Record::Execve), Err(Unsupported::UnknownField { .. })));
        assert_eq!(record_of_field("a3", false), Some(Record::Execve));
        assert_eq!(record_of_field("a3", true), Some(Record::Syscall));
        assert_eq!(record_of_field("unit", false), None);
        assert_eq!(record_type("execve"), Ok(Record::Execve));
        assert_eq!(record_type("USER_TTY"), Err(Unsupported::RecordType("USER_TTY".into())));
        assert_eq!(argument_index("a"), None);
        assert_eq!(argument_index("a0x"), None);
    }
}
