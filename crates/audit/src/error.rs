//! Why a line or netlink message could not be read as an audit record.
//! Every variant is a value the caller counts (`Stats::malformed`); none is
//! ever a panic.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("empty record")]
    Empty,
    #[error("record is {0} bytes, more than the {1}-byte limit")]
    TooLong(usize, usize),
    #[error("no `type=` field at the start of the record")]
    MissingType,
    #[error("record type `{0}` is neither a known name, `UNKNOWN[n]` nor a number")]
    BadType(String),
    #[error("no `audit(<secs>.<millis>:<serial>)` header (found `msg=?` or nothing)")]
    MissingHeader,
    #[error("bad timestamp in the audit header: expected `<secs>.<millis>`")]
    BadTimestamp,
    #[error("bad serial in the audit header: expected a number below 2^32")]
    BadSerial,
    #[error("more than {0} fields in one record")]
    TooManyFields(usize),
    #[error("reading the audit log failed: {0}")]
    Io(String),
}
