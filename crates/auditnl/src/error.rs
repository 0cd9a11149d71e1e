//! Errors of the audit client ([`AuditError`]) and of rule encoding and
//! parsing ([`RuleError`]). Messages say what failed and what to do.

use std::io;

/// A rule that cannot be encoded, decoded or parsed.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("unknown syscall {0:?} (x86_64 names, as in `ausyscall --dump`)")]
    UnknownSyscall(String),
    #[error("syscall number {0} is beyond the audit bitmask")]
    SyscallOutOfRange(u32),
    #[error("{0} fields; the kernel takes at most 64 per rule")]
    TooManyFields(usize),
    #[error("field {0} got the wrong kind of value (string fields: path, dir, exe, key, LSM labels)")]
    FieldType(u32),
    #[error("field {field}: string of {len} bytes is empty or too long")]
    StringLength { field: u32, len: usize },
    #[error("rule data truncated ({0} bytes)")]
    Truncated(usize),
    #[error("unknown filter list {0:#x}")]
    BadList(u32),
    #[error("unknown rule action {0}")]
    BadAction(u32),
    #[error("unknown field operator {0:#x}")]
    BadOperator(u32),
    #[error("rule syntax: {0}")]
    Syntax(String),
    #[error("not supported by this rule parser: {0}")]
    Unsupported(String),
}

/// What went wrong talking to the kernel's audit subsystem.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot open a NETLINK_AUDIT socket: {0} (is the kernel built with CONFIG_AUDIT?)")]
    Socket(#[source] io::Error),
    #[error("cannot join the audit read-log multicast group: {0} (needs CAP_AUDIT_READ)")]
    Multicast(#[source] io::Error),
    #[error("netlink I/O failed during {op}: {source}")]
    Io {
        op: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("the kernel refused {op}: {source} (needs root / CAP_AUDIT_CONTROL in the initial namespaces)")]
    Kernel {
        op: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("no answer from the kernel to {op} within {timeout_ms} ms")]
    Timeout { op: &'static str, timeout_ms: u64 },
    #[error("malformed netlink reply to {op}: {what}")]
    Malformed { op: &'static str, what: String },
    #[error("audit pid is owned by pid {pid}; stop that audit daemon or use Mode::Multicast / Mode::Auto")]
    AlreadyOwned { pid: u32 },
    #[error("audit configuration is locked (enabled=2, `auditctl -e 2`); rules cannot change until reboot")]
    Locked,
    #[error("rule #{index}: {source}")]
    Rule {
        index: usize,
        #[source]
        source: RuleError,
    },
}
