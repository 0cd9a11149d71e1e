//! `auditctl` rule text → [`Rule`]. A subset, enough for syscall and watch
//! rules on the native arch:
//!
//! * `-a list,action` / `-A list,action` (either order; lists `exit`, `task`,
//!   `user`, `exclude`, `filesystem`; actions `always`, `never`);
//! * `-S name[,name...]` (repeatable), `-S all`, `-S <number>`: x86_64 names;
//! * `-F field op value` for the numeric fields (ids, `arch`, `a0`..`a3`,
//!   `exit` incl. `-EACCES`-style errno names, `success`, `perm`,
//!   `saddr_fam`, ...) and the string fields (`path`, `dir`, `exe`, `key`,
//!   LSM labels); `unset` for an id means 4294967295;
//! * `-C f1 op f2` for the id comparisons;
//! * `-w path [-p perms] [-k key]` (`dir` when the path ends in `/`, else
//!   `path`: auditctl decides by stat(2), text cannot).
//!
//! Not supported (an [`RuleError::Unsupported`] names the piece): syscall
//! names of another arch (`-F arch=b32 -S open`), message type names
//! (`msgtype=CRYPTO_KEY_USER`), user or group names, `-d`, `-D`, `-e`, ...

use super::{field, Action, FilterList, Op, Rule, ARCH_I386, ARCH_X86_64};
use crate::error::RuleError;

/// Parses one rule line.
pub fn parse(line: &str) -> Result<Rule, RuleError> {
    let tokens = tokenize(line)?;
    let mut it = tokens.iter().map(String::as_str);
    let mut rule: Option<Rule> = None;
    let mut arch: Option<u32> = None;
    let mut syscalls: Vec<String> = Vec::new();
    let mut watch: Option<(String, Option<u32>, Option<String>)> = None;
    let mut fields: Vec<(u32, Op, RawValue)> = Vec::new();

    while let Some(opt) = it.next() {
        let mut arg = || it.next().ok_or_else(|| RuleError::Syntax(format!("{opt} needs a value")));
        match opt {
            "-a" | "-A" => {
                let mut r = list_action(arg()?)?;
                r.prepend = opt == "-A";
                rule = Some(r);
            }
            "-S" => syscalls.extend(arg()?.split(',').map(str::to_string)),
            "-F" => {
                let (id, op, value) = condition(arg()?)?;
                if id == field::ARCH {
                    arch = Some(arch_value(value)?);
                }
                fields.push((id, op, RawValue::Text(value.to_string())));
            }
            "-C" => {
                let (left, op, right) = split_op(arg()?)?;
                let which = compare_id(left, right)?;
                fields.push((field::FIELD_COMPARE, op, RawValue::Num(which)));
            }
            "-w" => watch = Some((arg()?.to_string(), None, None)),
            "-p" => {
                let perms = perm_bits(arg()?)?;
                watch.as_mut().ok_or_else(|| RuleError::Syntax("-p without -w".into()))?.1 = Some(perms);
            }
            "-k" => {
                let key = arg()?.to_string();
                match watch.as_mut() {
                    Some(w) => w.2 = Some(join_key(w.2.take(), &key)),
                    None => match fields.iter_mut().find(|(id, _, _)| *id == field::FILTERKEY) {
                        // A second -k joins the first with \x01 (AUDIT_KEY_SEPARATOR).
                        Some((_, _, RawValue::Text(k))) => *k = join_key(Some(std::mem::take(k)), &key),
                        _ => fields.push((field::FILTERKEY, Op::Eq, RawValue::Text(key))),
                    },
                }
            }
            other => return Err(RuleError::Unsupported(format!("option {other}"))),
        }
    }

    if let Some((path, perms, key)) = watch {
        if rule.is_some() {
            return Err(RuleError::Syntax("-w together with -a".into()));
        }
        let mut r = Rule::new(FilterList::Exit, Action::Always);
        r.all_syscalls();
        // auditctl stats the path; a trailing slash is the textual sign of a
        // directory (`dir` watches the subtree, `path` the one inode).
        match path.trim_end_matches('/') {
            dir if dir.len() < path.len() && !dir.is_empty() => r.string(field::DIR, Op::Eq, dir),
            _ => r.string(field::WATCH, Op::Eq, &path),
        };
        r.num(field::PERM, Op::Eq, perms.unwrap_or(0xf));
        if let Some(key) = key {
            r.string(field::FILTERKEY, Op::Eq, &key);
        }
        return Ok(r);
    }

    let mut rule = rule.ok_or_else(|| RuleError::Syntax("no -a, -A or -w".into()))?;
    if syscalls.is_empty() {
        rule.all_syscalls();
    }
    for name in &syscalls {
        add_syscall(&mut rule, name, arch)?;
    }
    for (id, op, value) in fields {
        match value {
            RawValue::Num(n) => {
                rule.num(id, op, n);
            }
            RawValue::Text(text) if field::is_string(id) => {
                rule.string(id, op, &text);
            }
            RawValue::Text(text) => {
                let n = numeric_value(id, &text)?;
                rule.num(id, op, n);
            }
        }
    }
    Ok(rule)
}

enum RawValue {
    Text(String),
    Num(u32),
}

fn join_key(first: Option<String>, next: &str) -> String {
    match first {
        Some(k) => format!("{k}\u{1}{next}"),
        None => next.to_string(),
    }
}

/// Whitespace-separated words; single or double quotes group a word.
fn tokenize(line: &str) -> Result<Vec<String>, RuleError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(RuleError::Syntax("unterminated quote".into()));
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

fn list_action(arg: &str) -> Result<Rule, RuleError> {
    let mut list = None;
    let mut action = None;
    for part in arg.split(',') {
        match part {
            "always" => action = Some(Action::Always),
            "never" => action = Some(Action::Never),
            "exit" => list = Some(FilterList::Exit),
            "task" => list = Some(FilterList::Task),
            "user" => list = Some(FilterList::User),
            "exclude" => list = Some(FilterList::Exclude),
            "filesystem" => list = Some(FilterList::Filesystem),
            "io_uring" => list = Some(FilterList::IoUringExit),
            other => return Err(RuleError::Syntax(format!("unknown list or action {other:?} in {arg:?}"))),
        }
    }
    match (list, action) {
        (Some(l), Some(a)) => Ok(Rule::new(l, a)),
        _ => Err(RuleError::Syntax(format!("-a wants list,action, got {arg:?}"))),
    }
}

/// `name op value` with the longest operator first.
fn split_op(s: &str) -> Result<(&str, Op, &str), RuleError> {
    const OPS: [(&str, Op); 8] = [
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("&=", Op::BitTest),
        ("=", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("&", Op::BitMask),
    ];
    let (at, text, op) = s
        .char_indices()
        .find_map(|(i, _)| OPS.iter().find(|(t, _)| s[i..].starts_with(t)).map(|(t, op)| (i, *t, *op)))
        .ok_or_else(|| RuleError::Syntax(format!("no operator in {s:?}")))?;
    Ok((&s[..at], op, &s[at + text.len()..]))
}

fn condition(s: &str) -> Result<(u32, Op, &str), RuleError> {
    let (name, op, value) = split_op(s)?;
    Ok((field_id(name)?, op, value))
}

fn field_id(name: &str) -> Result<u32, RuleError> {
    use field::*;
    Ok(match name {
        "pid" => PID,
        "uid" => UID,
        "euid" => EUID,
        "suid" => SUID,
        "fsuid" => FSUID,
        "gid" => GID,
        "egid" => EGID,
        "sgid" => SGID,
        "fsgid" => FSGID,
        "auid" | "loginuid" => LOGINUID,
        "pers" => PERS,
        "arch" => ARCH,
        "msgtype" => MSGTYPE,
        "subj_user" => SUBJ_USER,
        "subj_role" => SUBJ_ROLE,
        "subj_type" => SUBJ_TYPE,
        "subj_sen" => SUBJ_SEN,
        "subj_clr" => SUBJ_CLR,
        "ppid" => PPID,
        "obj_user" => OBJ_USER,
        "obj_role" => OBJ_ROLE,
        "obj_type" => OBJ_TYPE,
        "obj_lev_low" => OBJ_LEV_LOW,
        "obj_lev_high" => OBJ_LEV_HIGH,
        "loginuid_set" => LOGINUID_SET,
        "sessionid" => SESSIONID,
        "devmajor" => DEVMAJOR,
        "devminor" => DEVMINOR,
        "inode" => INODE,
        "exit" => EXIT,
        "success" => SUCCESS,
        "path" => WATCH,
        "perm" => PERM,
        "dir" => DIR,
        "obj_uid" => OBJ_UID,
        "obj_gid" => OBJ_GID,
        "exe" => EXE,
        "saddr_fam" => SADDR_FAM,
        "a0" => ARG0,
        "a1" => ARG1,
        "a2" => ARG2,
        "a3" => ARG3,
        "key" => FILTERKEY,
        other => return Err(RuleError::Unsupported(format!("field {other}"))),
    })
}

fn arch_value(v: &str) -> Result<u32, RuleError> {
    match v {
        "b64" | "x86_64" => Ok(ARCH_X86_64),
        "b32" | "i386" | "i686" => Ok(ARCH_I386),
        other => parse_number(other).ok_or_else(|| RuleError::Unsupported(format!("arch {other}"))),
    }
}

fn add_syscall(rule: &mut Rule, name: &str, arch: Option<u32>) -> Result<(), RuleError> {
    if name == "all" {
        rule.all_syscalls();
        return Ok(());
    }
    if let Some(nr) = parse_number(name) {
        return rule.add_syscall_nr(nr);
    }
    match arch {
        None | Some(ARCH_X86_64) => rule.add_syscall(name),
        Some(other) => Err(RuleError::Unsupported(format!("syscall names for arch {other:#x} ({name})"))),
    }
}

fn numeric_value(id: u32, text: &str) -> Result<u32, RuleError> {
    use field::*;
    let bad = || RuleError::Syntax(format!("bad value {text:?} for field {id}"));
    match id {
        ARCH => arch_value(text),
        PERM => perm_bits(text),
        EXIT => {
            if let Some(n) = parse_number(text) {
                return Ok(n);
            }
            let name = text.strip_prefix('-').ok_or_else(bad)?;
            errno(name).map(|e| (-e) as u32).ok_or_else(|| RuleError::Unsupported(format!("errno name {name}")))
        }
        UID | EUID | SUID | FSUID | GID | EGID | SGID | FSGID | LOGINUID | OBJ_UID | OBJ_GID if text == "unset" => {
            Ok(u32::MAX)
        }
        MSGTYPE => parse_number(text).ok_or_else(|| RuleError::Unsupported(format!("message type name {text}"))),
        _ => parse_number(text).ok_or_else(bad),
    }
}

/// Decimal, `0x` hex, or a negative decimal (two's complement, for `exit`).
fn parse_number(s: &str) -> Option<u32> {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    if let Some(neg) = s.strip_prefix('-') {
        return neg.parse::<i64>().ok().and_then(|n| i32::try_from(-n).ok()).map(|n| n as u32);
    }
    s.parse::<u32>().ok()
}

fn perm_bits(s: &str) -> Result<u32, RuleError> {
    s.chars().try_fold(0u32, |acc, c| {
        Ok(acc
            | match c {
                'x' => 1,
                'w' => 2,
                'r' => 4,
                'a' => 8,
                other => return Err(RuleError::Syntax(format!("bad permission {other:?} in {s:?}"))),
            })
    })
}

fn errno(name: &str) -> Option<i32> {
    Some(match name {
        "EPERM" => libc::EPERM,
        "ENOENT" => libc::ENOENT,
        "ESRCH" => libc::ESRCH,
        "EINTR" => libc::EINTR,
        "EIO" => libc::EIO,
        "EBADF" => libc::EBADF,
        "EAGAIN" => libc::EAGAIN,
        "ENOMEM" => libc::ENOMEM,
        "EACCES" => libc::EACCES,
        "EFAULT" => libc::EFAULT,
        "EBUSY" => libc::EBUSY,
        "EEXIST" => libc::EEXIST,
        "EXDEV" => libc::EXDEV,
        "ENOTDIR" => libc::ENOTDIR,
        "EISDIR" => libc::EISDIR,
        "EINVAL" => libc::EINVAL,
        "ENOSPC" => libc::ENOSPC,
        "EROFS" => libc::EROFS,
        "ENAMETOOLONG" => libc::ENAMETOOLONG,
        "ECONNREFUSED" => libc::ECONNREFUSED,
        "EADDRINUSE" => libc::EADDRINUSE,
        "EINPROGRESS" => libc::EINPROGRESS,
        _ => return None,
    })
}

/// `AUDIT_COMPARE_*` for `-C left op right` (either order).
fn compare_id(left: &str, right: &str) -> Result<u32, RuleError> {
    const PAIRS: [(&str, &str, u32); 25] = [
        ("uid", "obj_uid", 1),
        ("gid", "obj_gid", 2),
        ("euid", "obj_uid", 3),
        ("egid", "obj_gid", 4),
        ("auid", "obj_uid", 5),
        ("suid", "obj_uid", 6),
        ("sgid", "obj_gid", 7),
        ("fsuid", "obj_uid", 8),
        ("fsgid", "obj_gid", 9),
        ("uid", "auid", 10),
        ("uid", "euid", 11),
        ("uid", "fsuid", 12),
        ("uid", "suid", 13),
        ("auid", "fsuid", 14),
        ("auid", "suid", 15),
        ("auid", "euid", 16),
        ("euid", "suid", 17),
        ("euid", "fsuid", 18),
        ("suid", "fsuid", 19),
        ("gid", "egid", 20),
        ("gid", "fsgid", 21),
        ("gid", "sgid", 22),
        ("egid", "fsgid", 23),
        ("egid", "sgid", 24),
        ("sgid", "fsgid", 25),
    ];
    PAIRS
        .iter()
        .find(|(a, b, _)| (*a == left && *b == right) || (*a == right && *b == left))
        .map(|(_, _, id)| *id)
        .ok_or_else(|| RuleError::Unsupported(format!("comparison {left} with {right}")))
}
