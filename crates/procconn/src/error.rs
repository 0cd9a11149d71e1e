//! Errors of the proc connector sensor. Messages say what failed and what to
//! do about it.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum ProcConnError {
    #[error("cannot open a NETLINK_CONNECTOR socket: {0} (is the kernel built with CONFIG_CONNECTOR and CONFIG_PROC_EVENTS?)")]
    Socket(#[source] io::Error),
    #[error("cannot join the proc connector group: {0} (needs root / CAP_NET_ADMIN in the initial network namespace)")]
    Bind(#[source] io::Error),
    #[error("the kernel refused the proc connector listen request: {0} (needs CAP_NET_ADMIN)")]
    Refused(#[source] io::Error),
    #[error("no answer to the proc connector listen request within {0} ms (is CONFIG_PROC_EVENTS on?)")]
    NoAck(u64),
    #[error("netlink I/O failed during {op}: {source}")]
    Io {
        op: &'static str,
        #[source]
        source: io::Error,
    },
}
