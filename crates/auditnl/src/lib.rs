//! `panoptes-auditnl`: the NETLINK_AUDIT socket client of the Panoptes audit
//! sensor. It talks to the kernel's audit subsystem and hands over raw
//! records ([`AuditMessage`]: type + text); parsing the `key=value` text and
//! grouping records into events is another crate's job.
//!
//! * [`AuditClient`] receives records, as the audit daemon ([`Mode::Own`],
//!   installing [`rule::panoptes_rules`] and undoing everything on close) or
//!   as a read-only multicast listener next to auditd ([`Mode::Multicast`]);
//!   [`Mode::Auto`] picks.
//! * [`AuditControl`] reads the audit status and the rule list.
//! * [`rule`] models `struct audit_rule_data`, encodes and decodes it, and
//!   parses a subset of `auditctl` rule text.
//!
//! Everything here needs root (CAP_AUDIT_CONTROL; CAP_AUDIT_READ for
//! multicast) in the initial user and pid namespaces.
//!
//! ```no_run
//! use std::time::Duration;
//! use panoptes_auditnl::{AuditClient, Mode};
//!
//! let mut client = AuditClient::open(Mode::Auto)?;
//! for msg in client.recv(Duration::from_millis(500))? {
//!     println!("{} {}", msg.msg_type, String::from_utf8_lossy(&msg.payload));
//! }
//! client.close()?;
//! # Ok::<(), panoptes_auditnl::AuditError>(())
//! ```

mod client;
mod control;
mod error;
mod netlink;
pub mod rule;
mod status;

pub use client::{ActiveMode, AuditClient, AuditMessage, AuditStats, Mode, Options};
pub use control::AuditControl;
pub use error::{AuditError, RuleError};
pub use rule::Rule;
pub use status::AuditStatus;

/// Record types callers commonly match on (`AUDIT_*` in `<linux/audit.h>`).
pub mod record_type {
    pub const SYSCALL: u16 = 1300;
    pub const PATH: u16 = 1302;
    pub const SOCKADDR: u16 = 1306;
    pub const CWD: u16 = 1307;
    pub const EXECVE: u16 = 1309;
    pub const CONFIG_CHANGE: u16 = 1305;
    pub const EOE: u16 = 1320;
    pub const PROCTITLE: u16 = 1327;
}
