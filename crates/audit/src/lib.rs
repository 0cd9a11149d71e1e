//! Linux audit as a Panoptes event source: the record parser, the event
//! reassembler and the mapping to the Panoptes event model. Used by the
//! audit-netlink sensor (one netlink message at a time) and by
//! `panoptes replay --audit-log` (audit.log files).
//!
//! The pipeline, each stage a plain call:
//!
//! ```
//! use panoptes_audit::{mapping, Reassembler, ReassemblerConfig, Record};
//!
//! let mut reassembler = Reassembler::new(ReassemblerConfig::default());
//! let mut events = Vec::new();
//! for line in [
//!     r#"type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=99 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm="ls" exe="/usr/bin/ls" key=(null)"#,
//!     r#"type=EXECVE msg=audit(1700000000.123:42): argc=2 a0="ls" a1="-l""#,
//!     r#"type=EOE msg=audit(1700000000.123:42): "#,
//! ] {
//!     match Record::parse_line(line) {
//!         Ok(record) => reassembler.push(record, 0, &mut events),
//!         Err(_) => reassembler.note_malformed(),
//!     }
//! }
//! let event = mapping::to_event(&events[0]).expect("an exec");
//! assert_eq!(event.kind().name(), "exec");
//! assert_eq!(event.process.cmdline.as_deref(), Some("ls -l"));
//! ```
//!
//! Modules: [`record`] (one record), [`decode`] (typed views of EXECVE,
//! PROCTITLE, SOCKADDR, PATH), [`reassemble`] (records → events, loss
//! accounting), [`mapping`] (events → `event::Event`), [`replay`] (reading
//! rotated audit.log sets), [`tables`] (record types, arches, syscalls,
//! errno and signal names).

pub mod decode;
pub mod error;
pub mod mapping;
pub mod reassemble;
pub mod record;
pub mod replay;
pub mod tables;
mod tokenize;

pub use error::ParseError;
pub use reassemble::{AuditEvent, Completion, Reassembler, ReassemblerConfig, Stats};
pub use record::{AuditTime, Field, Record, RecordType, Value};
pub use replay::{read_audit_log, AuditLog, ReplayError};
pub use tables::Arch;
