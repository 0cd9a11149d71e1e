//! One audit record: the header (type, node, timestamp, serial) and the
//! ordered field list, parsed from an `audit.log` line or from one netlink
//! message.
//!
//! ```text
//! [node=NAME ]type=NAME msg=audit(SECS.MILLIS:SERIAL): key=value ...[\x1dENRICHED]
//! ```
//!
//! The record keeps its text; fields are spans into it and values are
//! decoded when read ([`Value::decoded`]), so parsing allocates little. Typed
//! views of particular record types (EXECVE argv, PROCTITLE, SOCKADDR, PATH)
//! are in [`crate::decode`].

use std::borrow::Cow;

use crate::error::ParseError;
use crate::tables::{self, Arch};
use crate::tokenize::{self, KeyRepr, RawField, ValueRepr};

/// Longest record accepted. The kernel caps a record at 8,970 bytes
/// (`MAX_AUDIT_MESSAGE_LENGTH`); auditd's ENRICHED suffix and `node=` add to
/// that, so this leaves ample room while bounding hostile input.
pub const MAX_RECORD_LEN: usize = 64 * 1024;

/// `EOE`, the kernel's end-of-event marker.
pub const EOE: u16 = 1320;
pub const SYSCALL: u16 = 1300;
pub const PATH: u16 = 1302;
pub const SOCKETCALL: u16 = 1304;
pub const SOCKADDR: u16 = 1306;
pub const CWD: u16 = 1307;
pub const EXECVE: u16 = 1309;
pub const OBJ_PID: u16 = 1318;
pub const CAPSET: u16 = 1322;
pub const PROCTITLE: u16 = 1327;
pub const KERN_MODULE: u16 = 1330;
pub const OPENAT2: u16 = 1337;

/// A record type: its number and name (`1300`, `SYSCALL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordType {
    /// The netlink message type; 0 when a log line names a type this crate
    /// has no number for.
    pub number: u16,
    name: TypeName,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TypeName {
    Known(&'static str),
    Other(Box<str>),
}

impl RecordType {
    /// The type for a netlink message type number.
    pub fn from_number(number: u16) -> RecordType {
        let name = match tables::record_type_name(number) {
            Some(name) => TypeName::Known(name),
            None => TypeName::Other(format!("UNKNOWN[{number}]").into_boxed_str()),
        };
        RecordType { number, name }
    }

    /// The type for the `type=` text of a log line: a name, `UNKNOWN[n]` or
    /// a bare number.
    pub fn from_text(text: &str) -> Result<RecordType, ParseError> {
        if let Some(number) = tables::record_type_number(text) {
            return Ok(RecordType::from_number(number));
        }
        let digits = text.strip_prefix("UNKNOWN[").and_then(|t| t.strip_suffix(']')).unwrap_or(text);
        if let Ok(number) = digits.parse::<u16>() {
            return Ok(RecordType::from_number(number));
        }
        let plausible = !text.is_empty()
            && text.len() <= 64
            && text.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
        if plausible {
            Ok(RecordType { number: 0, name: TypeName::Other(text.into()) })
        } else {
            Err(ParseError::BadType(text.chars().take(64).collect()))
        }
    }

    /// `SYSCALL`, `UNKNOWN[1334]`, ...
    pub fn name(&self) -> &str {
        match &self.name {
            TypeName::Known(name) => name,
            TypeName::Other(name) => name,
        }
    }
}

/// The audit timestamp: wall-clock seconds and milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AuditTime {
    pub secs: u64,
    pub millis: u32,
}

impl AuditTime {
    pub fn unix_ms(self) -> u64 {
        self.secs.saturating_mul(1000).saturating_add(u64::from(self.millis))
    }

    pub fn unix_ns(self) -> u64 {
        self.secs.saturating_mul(1_000_000_000).saturating_add(u64::from(self.millis) * 1_000_000)
    }
}

/// One parsed audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub rtype: RecordType,
    /// The `node=` prefix (auditd's `name_format`), if any.
    pub node: Option<String>,
    pub time: AuditTime,
    /// The event serial: records of one event share (node, time, serial).
    pub serial: u32,
    raw: String,
    fields: Vec<RawField>,
    enrichment: Vec<RawField>,
}

/// A field value, decoded on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// A quoted string (quotes removed) or a bare token, as written.
    Text(&'a str),
    /// Bare uppercase hex of a string field; [`Value::decoded`] gives the bytes.
    Hex(&'a str),
    /// `(null)`.
    Null,
}

impl<'a> Value<'a> {
    /// The value's bytes: hex decoded, text as is, nothing for `(null)`.
    /// The result may not be UTF-8.
    pub fn decoded(self) -> Cow<'a, [u8]> {
        match self {
            Value::Text(t) => Cow::Borrowed(t.as_bytes()),
            Value::Hex(h) => Cow::Owned(hex_decode(h)),
            Value::Null => Cow::Borrowed(&[]),
        }
    }

    /// The decoded value as text (invalid UTF-8 replaced); `None` for `(null)`.
    pub fn text(self) -> Option<Cow<'a, str>> {
        match self {
            Value::Text(t) => Some(Cow::Borrowed(t)),
            Value::Hex(h) => Some(Cow::Owned(String::from_utf8_lossy(&hex_decode(h)).into_owned())),
            Value::Null => None,
        }
    }

    /// The value as written (hex not decoded, `(null)` for null).
    pub fn as_written(self) -> &'a str {
        match self {
            Value::Text(t) | Value::Hex(t) => t,
            Value::Null => "(null)",
        }
    }

    pub fn is_null(self) -> bool {
        matches!(self, Value::Null)
    }
}

/// One `key=value` of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    pub key: &'a str,
    pub value: Value<'a>,
}

impl Record {
    /// Parses one `audit.log` line (a trailing newline is ignored).
    pub fn parse_line(line: &str) -> Result<Record, ParseError> {
        let line = line.trim_end_matches(['\n', '\r']);
        check_len(line)?;
        let (mut rest, mut at) = (line, 0usize);
        let mut node = None;
        if let Some(after) = rest.strip_prefix("node=") {
            let end = after.find(' ').unwrap_or(after.len());
            node = Some(after[..end].to_string());
            (rest, at) = advance(line, at, 5 + end);
        }
        let Some(after) = rest.strip_prefix("type=") else { return Err(ParseError::MissingType) };
        let end = after.find(' ').unwrap_or(after.len());
        let rtype = RecordType::from_text(&after[..end])?;
        (rest, at) = advance(line, at, 5 + end);
        if !rest.starts_with("msg=audit(") {
            return Err(ParseError::MissingHeader);
        }
        at += "msg=".len();
        Self::build(line.to_string(), at, rtype, node)
    }

    /// Parses a line read as bytes (invalid UTF-8 is replaced first).
    pub fn parse_line_bytes(line: &[u8]) -> Result<Record, ParseError> {
        check_len_bytes(line)?;
        Self::parse_line(&String::from_utf8_lossy(line))
    }

    /// Parses one netlink message: its type and the text after it
    /// (`audit(1700000000.123:456): pid=...`, trailing NULs allowed).
    pub fn parse_netlink(msg_type: u16, payload: &[u8]) -> Result<Record, ParseError> {
        check_len_bytes(payload)?;
        let text = String::from_utf8_lossy(payload);
        let text = text.trim_end_matches(['\0', '\n', '\r']).trim_start();
        if !text.starts_with("audit(") {
            return Err(if text.is_empty() { ParseError::Empty } else { ParseError::MissingHeader });
        }
        Self::build(text.to_string(), 0, RecordType::from_number(msg_type), None)
    }

    /// Reads `audit(SECS.MILLIS:SERIAL):` at `at` and tokenises the rest.
    fn build(raw: String, at: usize, rtype: RecordType, node: Option<String>) -> Result<Record, ParseError> {
        let header = raw.get(at..).unwrap_or("");
        let inner = header.strip_prefix("audit(").ok_or(ParseError::MissingHeader)?;
        let close = inner.find(')').ok_or(ParseError::MissingHeader)?;
        let (stamp, serial) = inner[..close].split_once(':').ok_or(ParseError::MissingHeader)?;
        let time = parse_time(stamp)?;
        let serial = parse_decimal(serial).and_then(|s| u32::try_from(s).ok()).ok_or(ParseError::BadSerial)?;
        let mut start = at + "audit(".len() + close + 1;
        if raw.as_bytes().get(start) == Some(&b':') {
            start += 1;
        }
        // The ENRICHED suffix starts at the first GS (0x1d) byte.
        let gs = raw[start..].find('\x1d').map(|p| start + p);
        let main_end = gs.unwrap_or(raw.len());
        let execve = rtype.number == EXECVE;
        let mut fields = Vec::new();
        tokenize::tokenize(&raw, start, main_end, execve, &mut fields)?;
        let mut enrichment = Vec::new();
        if let Some(gs) = gs {
            tokenize::tokenize(&raw, gs + 1, raw.len(), false, &mut enrichment)?;
        }
        Ok(Record { rtype, node, time, serial, raw, fields, enrichment })
    }

    /// The original text (line without newline, or netlink payload).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The fields in order, the nested `msg='...'` list flattened in place.
    pub fn fields(&self) -> impl Iterator<Item = Field<'_>> + '_ {
        self.fields.iter().map(|f| self.view(f))
    }

    /// The ENRICHED suffix's fields (`ARCH=x86_64 SYSCALL=execve AUID="user"`).
    pub fn enrichment(&self) -> impl Iterator<Item = Field<'_>> + '_ {
        self.enrichment.iter().map(|f| self.view(f))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The first field named `key`.
    pub fn get(&self, key: &str) -> Option<Value<'_>> {
        self.fields().find(|f| f.key == key).map(|f| f.value)
    }

    /// The first field named `key`, decoded to text; `None` if absent or `(null)`.
    pub fn text(&self, key: &str) -> Option<Cow<'_, str>> {
        self.get(key).and_then(Value::text)
    }

    /// A decimal number field (`pid=`, `uid=`, `exit=`); also accepts `0x` hex.
    pub fn int(&self, key: &str) -> Option<i64> {
        let text = self.get(key)?.as_written();
        match text.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok().map(|v| v as i64),
            None => text.parse().ok(),
        }
    }

    /// A hex number field as the kernel writes syscall args (`a1=7ffd4c0`,
    /// no prefix; `0x` accepted).
    pub fn hex(&self, key: &str) -> Option<u64> {
        let text = self.get(key)?.as_written();
        u64::from_str_radix(text.strip_prefix("0x").unwrap_or(text), 16).ok()
    }

    /// `arch=` of a SYSCALL or SECCOMP record.
    pub fn arch(&self) -> Option<Arch> {
        Arch::from_field(self.get("arch")?.as_written())
    }

    /// `syscall=` as a name: looked up for `arch`, or taken as written when
    /// the log is already interpreted (`syscall=execve`).
    pub fn syscall_name(&self) -> Option<Cow<'_, str>> {
        let written = self.get("syscall")?.as_written();
        match written.parse::<u32>() {
            Ok(number) => self.arch()?.syscall_name(number).map(Cow::Borrowed),
            Err(_) => Some(Cow::Borrowed(written)),
        }
    }

    /// `exit=` as a number; an errno name (interpreted logs) becomes its
    /// negative value.
    pub fn exit(&self) -> Option<i64> {
        self.int("exit").or_else(|| tables::errno_value(self.get("exit")?.as_written()))
    }

    /// `success=yes|no`, else user-space `res=success|failed` (or `1|0`).
    pub fn success(&self) -> Option<bool> {
        let value = self.get("success").or_else(|| self.get("res"))?;
        match value.as_written() {
            "yes" | "success" | "1" => Some(true),
            "no" | "failed" | "fail" | "0" => Some(false),
            _ => None,
        }
    }

    /// The audit rule keys: `key=` split on the 0x01 separator auditctl uses
    /// for several `-k`; empty for `key=(null)`.
    pub fn keys(&self) -> Vec<String> {
        let Some(value) = self.get("key") else { return Vec::new() };
        let bytes = value.decoded();
        bytes.split(|&b| b == 0x01).filter(|k| !k.is_empty()).map(|k| String::from_utf8_lossy(k).into_owned()).collect()
    }

    fn view<'a>(&'a self, f: &'a RawField) -> Field<'a> {
        let key = match &f.key {
            KeyRepr::Span(s, e) => self.slice(*s, *e),
            KeyRepr::Owned(k) => k,
        };
        let value = match &f.value {
            ValueRepr::Span(s, e) => Value::Text(self.slice(*s, *e)),
            ValueRepr::Hex(s, e) => Value::Hex(self.slice(*s, *e)),
            ValueRepr::Null => Value::Null,
            ValueRepr::Owned(v) => Value::Text(v),
        };
        Field { key, value }
    }

    fn slice(&self, start: u32, end: u32) -> &str {
        self.raw.get(start as usize..end as usize).unwrap_or("")
    }
}

fn check_len(line: &str) -> Result<(), ParseError> {
    check_len_bytes(line.as_bytes())?;
    if line.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(())
}

fn check_len_bytes(bytes: &[u8]) -> Result<(), ParseError> {
    if bytes.len() > MAX_RECORD_LEN {
        return Err(ParseError::TooLong(bytes.len(), MAX_RECORD_LEN));
    }
    Ok(())
}

/// Moves `n` bytes past `rest` and skips the spaces after them.
fn advance(line: &str, at: usize, n: usize) -> (&str, usize) {
    let mut at = (at + n).min(line.len());
    while line.as_bytes().get(at) == Some(&b' ') {
        at += 1;
    }
    (line.get(at..).unwrap_or(""), at)
}

fn parse_time(stamp: &str) -> Result<AuditTime, ParseError> {
    let (secs, frac) = stamp.split_once('.').unwrap_or((stamp, "0"));
    let secs = parse_decimal(secs).ok_or(ParseError::BadTimestamp)?;
    if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return Err(ParseError::BadTimestamp);
    }
    // Pad or cut the fraction to three digits.
    let mut millis = 0u32;
    for i in 0..3 {
        let digit = frac.as_bytes().get(i).map_or(0, |c| u32::from(c - b'0'));
        millis = millis * 10 + digit;
    }
    Ok(AuditTime { secs, millis })
}

fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Decodes uppercase (or lowercase) hex; an odd trailing digit or a
/// non-hex byte ends the output early (callers check validity first).
pub(crate) fn hex_decode(hex: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(hex.len() / 2);
    for pair in hex.as_bytes().chunks_exact(2) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
            _ => break,
        }
    }
    out
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
