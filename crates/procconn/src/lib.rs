//! `panoptes-procconn`: the proc connector sensor. The kernel's process
//! events connector (NETLINK_CONNECTOR, `CN_IDX_PROC`) reports fork, exec,
//! exit, credential changes, ptrace attach/detach, session, comm and
//! coredump events of every process; this crate turns them into Panoptes
//! [`event::Event`]s. It is the fallback process sensor where eBPF is not
//! available: it needs only root (CAP_NET_ADMIN) and CONFIG_PROC_EVENTS.
//!
//! What the connector does not say (argv, file, cwd, credentials at exec)
//! is read from /proc right after the event, which races with the process:
//! see [`procfs`] and [`convert`] for what is reported then, and
//! [`is_incomplete_exec`] to recognise such events. Event times are the
//! connector's CLOCK_MONOTONIC stamps moved to CLOCK_BOOTTIME ([`clock`]).
//!
//! ```no_run
//! use std::time::Duration;
//! use panoptes_procconn::ProcConnector;
//!
//! let mut conn = ProcConnector::open()?;
//! for ev in conn.recv(Duration::from_millis(500))? {
//!     println!("{:?} pid={} {:?}", ev.kind(), ev.process.pid, ev.body);
//! }
//! println!("{:?}", conn.stats());
//! conn.close()?;
//! # Ok::<(), panoptes_procconn::ProcConnError>(())
//! ```

pub mod clock;
mod connector;
pub mod convert;
mod error;
pub mod procfs;
mod socket;
pub mod wire;

pub use connector::{Options, ProcConnStats, ProcConnector, WhatCounts};
pub use convert::is_incomplete_exec;
pub use error::ProcConnError;
