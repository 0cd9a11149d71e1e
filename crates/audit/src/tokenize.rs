//! Splits a record payload into `key=value` fields the way auditd quotes
//! them, without copying: fields are byte spans into the record's text.
//!
//! Values are `"double quoted"`, bare tokens (numbers, `?`, `(null)`,
//! `(none)`) or bare uppercase hex for strings that needed encoding. The
//! nested `msg='...'` list of user-space records is flattened into the same
//! field list. Free text between fields is skipped, except for the two old
//! layouts parsers rely on: SELinux `avc:  denied  { read } for` (becomes
//! `seresult=denied seperms=read`) and `old auid=1 new auid=2` (becomes
//! `old_auid`, `new_auid`).

use crate::error::ParseError;

/// Most fields one record may have. The largest kernel record (an EXECVE of
/// about 8 KiB full of empty arguments) has fewer than 1,500.
pub const MAX_FIELDS: usize = 4096;

/// A field name: usually a span of the record text, owned when renamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyRepr {
    Span(u32, u32),
    Owned(Box<str>),
}

/// A field value as found in the text; decoding happens on access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ValueRepr {
    /// Text as written, quotes removed.
    Span(u32, u32),
    /// Bare uppercase hex of a string field (checked to be valid hex).
    Hex(u32, u32),
    /// `(null)`.
    Null,
    /// Text built by the parser (`seperms`).
    Owned(Box<str>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawField {
    pub key: KeyRepr,
    pub value: ValueRepr,
}

/// Tokenises `text[start..end]`, appending fields whose spans index `text`.
/// `execve` selects the EXECVE rule that `aN` / `aN[i]` are strings.
pub(crate) fn tokenize(
    text: &str,
    start: usize,
    end: usize,
    execve: bool,
    out: &mut Vec<RawField>,
) -> Result<(), ParseError> {
    let b = text.as_bytes();
    let end = end.min(b.len());
    let mut i = start;
    let mut in_msg = false;
    // A bare word directly before a field (`old` in `old auid=`).
    let mut prev_word: Option<(usize, usize)> = None;
    while i < end {
        while i < end && is_space(b[i]) {
            i += 1;
        }
        if i >= end {
            break;
        }
        let tok = i;
        while i < end && !is_space(b[i]) && b[i] != b'=' {
            i += 1;
        }
        let key_start = skip_open_punct(b, tok, i);
        if i < end && b[i] == b'=' && key_start < i && is_key(&b[key_start..i]) {
            let key = (key_start, i);
            i += 1;
            if &b[key.0..key.1] == b"msg" && i < end && b[i] == b'\'' {
                // The nested user-space list: flattened, closed by a `'`
                // at the end of a token.
                in_msg = true;
                i += 1;
                prev_word = None;
                continue;
            }
            let (value, next) = value_at(b, i, end, &mut in_msg, is_string_field(&b[key.0..key.1], execve));
            i = next;
            let key = match prev_word.take() {
                Some((ws, we)) if matches!(&b[ws..we], b"old" | b"new") => {
                    KeyRepr::Owned(format!("{}_{}", &text[ws..we], &text[key.0..key.1]).into_boxed_str())
                }
                _ => KeyRepr::Span(key.0 as u32, key.1 as u32),
            };
            push(out, RawField { key, value })?;
            continue;
        }
        // A bare word: skip it to the next space (an `=` inside it does not
        // start a field).
        while i < end && !is_space(b[i]) {
            i += 1;
        }
        let word = &b[tok..i];
        if in_msg && word.ends_with(b"'") {
            in_msg = false;
        }
        match word {
            b"avc:" => {
                let (ws, we) = next_word(b, i, end);
                if ws < we && b[ws..we].iter().all(u8::is_ascii_alphabetic) {
                    push(out, RawField { key: owned_key("seresult"), value: ValueRepr::Span(ws as u32, we as u32) })?;
                    i = we;
                }
                prev_word = None;
            }
            b"{" => {
                let mut perms: Vec<&str> = Vec::new();
                loop {
                    let (ws, we) = next_word(b, i, end);
                    i = we;
                    if ws >= we || &b[ws..we] == b"}" {
                        break;
                    }
                    perms.push(&text[ws..we]);
                }
                let value = ValueRepr::Owned(perms.join(",").into_boxed_str());
                push(out, RawField { key: owned_key("seperms"), value })?;
                prev_word = None;
            }
            _ => prev_word = Some((tok, i)),
        }
    }
    Ok(())
}

fn push(out: &mut Vec<RawField>, field: RawField) -> Result<(), ParseError> {
    if out.len() >= MAX_FIELDS {
        return Err(ParseError::TooManyFields(MAX_FIELDS));
    }
    out.push(field);
    Ok(())
}

fn owned_key(name: &str) -> KeyRepr {
    KeyRepr::Owned(name.into())
}

/// Reads one value starting at `i`; returns it and the index after it.
fn value_at(b: &[u8], i: usize, end: usize, in_msg: &mut bool, string_field: bool) -> (ValueRepr, usize) {
    if i < end && b[i] == b'"' {
        let close = b[i + 1..end].iter().position(|&c| c == b'"').map(|p| i + 1 + p);
        let (vend, mut next) = match close {
            Some(q) => (q, q + 1),
            None => (end, end),
        };
        if *in_msg && next < end && b[next] == b'\'' {
            *in_msg = false;
            next += 1;
        }
        return (ValueRepr::Span((i + 1) as u32, vend as u32), next);
    }
    let mut e = i;
    while e < end && !is_space(b[e]) {
        e += 1;
    }
    let next = e;
    let mut vend = e;
    if *in_msg && vend > i && b[vend - 1] == b'\'' {
        *in_msg = false;
        vend -= 1;
    }
    let value = trim_bare(&b[i..vend]);
    let vend = i + value.len();
    let repr = if value == b"(null)" {
        ValueRepr::Null
    } else if string_field && is_upper_hex(value) {
        ValueRepr::Hex(i as u32, vend as u32)
    } else {
        ValueRepr::Span(i as u32, vend as u32)
    };
    (repr, next)
}

/// Drops what old formats glue to a bare value: `?,` in `(hostname=?,`,
/// `success)` in `... res=success)`, and a stray closing `"`.
fn trim_bare(mut v: &[u8]) -> &[u8] {
    loop {
        match v.last() {
            Some(b',') | Some(b'"') => v = &v[..v.len() - 1],
            Some(b')') if !v.contains(&b'(') => v = &v[..v.len() - 1],
            _ => return v,
        }
    }
}

fn next_word(b: &[u8], mut i: usize, end: usize) -> (usize, usize) {
    while i < end && is_space(b[i]) {
        i += 1;
    }
    let start = i;
    while i < end && !is_space(b[i]) {
        i += 1;
    }
    (start, i)
}

fn skip_open_punct(b: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && b[i] == b'(' {
        i += 1;
    }
    i
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0)
}

fn is_key(key: &[u8]) -> bool {
    key.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']' | b':'))
}

pub(crate) fn is_upper_hex(v: &[u8]) -> bool {
    !v.is_empty() && v.len().is_multiple_of(2) && v.iter().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'))
}

/// Fields that carry strings, which auditd writes as bare hex when they
/// contain a space, a quote, a control or non-ASCII byte. Only these are
/// hex-decoded: a bare `8256` in `new=8256` is a number.
fn is_string_field(key: &[u8], execve: bool) -> bool {
    if execve && is_execve_arg(key) {
        return true;
    }
    matches!(
        key,
        b"acct"
            | b"cmd"
            | b"comm"
            | b"cwd"
            | b"data"
            | b"dir"
            | b"exe"
            | b"file"
            | b"grp"
            | b"key"
            | b"name"
            | b"new-chardev"
            | b"new-disk"
            | b"new-fs"
            | b"new-net"
            | b"ocomm"
            | b"old-chardev"
            | b"old-disk"
            | b"old-fs"
            | b"old-net"
            | b"path"
            | b"proctitle"
            | b"root_dir"
            | b"sw"
            | b"vm"
            | b"watch"
    )
}

/// `a0`, `a12`, `a3[0]` (not `argc`, not `a3_len`).
fn is_execve_arg(key: &[u8]) -> bool {
    let Some(rest) = key.strip_prefix(b"a") else { return false };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    match &rest[digits..] {
        [] => true,
        [b'[', inner @ .., b']'] => !inner.is_empty() && inner.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str, execve: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        tokenize(text, 0, text.len(), execve, &mut out).unwrap();
        out.into_iter()
            .map(|f| {
                let key = match f.key {
                    KeyRepr::Span(s, e) => text[s as usize..e as usize].to_string(),
                    KeyRepr::Owned(k) => k.into(),
                };
                let value = match f.value {
                    ValueRepr::Span(s, e) => text[s as usize..e as usize].to_string(),
                    ValueRepr::Hex(s, e) => format!("hex:{}", &text[s as usize..e as usize]),
                    ValueRepr::Null => "null".into(),
                    ValueRepr::Owned(v) => v.into(),
                };
                (key, value)
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn quoted_bare_hex_and_null() {
        let got = fields(r#"a0=9 comm="charon" exe=2F7573 key=(null) tty=(none) new=8256 name="3005""#, false);
        assert_eq!(
            got,
            pairs(&[
                ("a0", "9"),
                ("comm", "charon"),
                ("exe", "hex:2F7573"),
                ("key", "null"),
                ("tty", "(none)"),
                ("new", "8256"),
                ("name", "3005"),
            ])
        );
    }

    #[test]
    fn nested_msg_is_flattened() {
        let got = fields(r#"pid=1 uid=0 msg='op=login acct="o'brien" exe="/x" terminal=? res=success' after=1"#, false);
        assert_eq!(
            got,
            pairs(&[
                ("pid", "1"),
                ("uid", "0"),
                ("op", "login"),
                ("acct", "o'brien"),
                ("exe", "/x"),
                ("terminal", "?"),
                ("res", "success"),
                ("after", "1"),
            ])
        );
    }

    #[test]
    fn old_layouts() {
        let got = fields("avc:  denied  { read write } for  pid=13010 comm=\"pickup\"", false);
        assert_eq!(
            got,
            pairs(&[("seresult", "denied"), ("seperms", "read,write"), ("pid", "13010"), ("comm", "pickup")])
        );
        let got = fields("login pid=13015 uid=0 old auid=4294967295 new auid=0", false);
        assert_eq!(got, pairs(&[("pid", "13015"), ("uid", "0"), ("old_auid", "4294967295"), ("new_auid", "0")]));
        let got = fields(
            "msg='PAM: session open acct=root : exe=\"/c\" (hostname=?, addr=?, terminal=cron res=success)'",
            false,
        );
        assert_eq!(
            got,
            pairs(&[
                ("acct", "root"),
                ("exe", "/c"),
                ("hostname", "?"),
                ("addr", "?"),
                ("terminal", "cron"),
                ("res", "success")
            ])
        );
    }

    #[test]
    fn execve_args_and_stray_quote() {
        let got = fields("argc=2 a0=6C73 a1_len=4 a1[0]=4142 a2=\"x\"", true);
        assert_eq!(
            got,
            pairs(&[("argc", "2"), ("a0", "hex:6C73"), ("a1_len", "4"), ("a1[0]", "hex:4142"), ("a2", "x")])
        );
        assert_eq!(fields("key=65786563\"", false), pairs(&[("key", "hex:65786563")]));
        assert_eq!(fields("mac= pfs=x", false), pairs(&[("mac", ""), ("pfs", "x")]));
        assert_eq!(fields("comm=\"unterminated", false), pairs(&[("comm", "unterminated")]));
    }

    #[test]
    fn field_cap() {
        let text = "a=1 ".repeat(MAX_FIELDS + 1);
        let mut out = Vec::new();
        assert_eq!(tokenize(&text, 0, text.len(), false, &mut out), Err(ParseError::TooManyFields(MAX_FIELDS)));
    }
}
