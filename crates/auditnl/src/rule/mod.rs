//! Audit rules: the [`Rule`] model, its kernel encoding (`struct
//! audit_rule_data` from `<linux/audit.h>`, the payload of AUDIT_ADD_RULE,
//! AUDIT_DEL_RULE and of each AUDIT_LIST_RULES reply), and the rules Panoptes
//! installs when it owns the audit pid ([`panoptes_rules`]).
//!
//! Rules can also be written as `auditctl` text ([`Rule::parse`], subset in
//! [`text`]); that parser is what the golden tests against go-libaudit's
//! auditctl corpus go through.

mod syscalls;
pub mod text;

pub use syscalls::{name as syscall_name, number as syscall_number};

use crate::error::RuleError;

/// `AUDIT_BITMASK_SIZE`: 64 words of syscall bits.
pub const BITMASK_WORDS: usize = 64;
/// `AUDIT_MAX_FIELDS`.
pub const MAX_FIELDS: usize = 64;
/// `AUDIT_MAX_KEY_LEN`.
pub const MAX_KEY_LEN: usize = 256;
/// `AUDIT_ARCH_X86_64` (EM_X86_64 | 64-bit | little endian).
pub const ARCH_X86_64: u32 = 0xc000_003e;
/// `AUDIT_ARCH_I386`.
pub const ARCH_I386: u32 = 0x4000_0003;
/// The key Panoptes puts on its rules; records of those rules carry
/// `key="panoptes"`.
pub const PANOPTES_KEY: &str = "panoptes";

/// Fixed part of `struct audit_rule_data`: flags, action, field_count,
/// mask[64], fields[64], values[64], fieldflags[64], buflen.
const FIXED_LEN: usize = 4 * (3 + BITMASK_WORDS + 3 * MAX_FIELDS + 1);
/// The top 16 mask bits name syscall classes, not syscalls; the kernel
/// clears them when it expands the classes, so "every syscall" leaves them 0.
const SYSCALL_BITS: usize = BITMASK_WORDS * 32 - 16;

/// Field ids (`AUDIT_*` in `<linux/audit.h>`) this crate names.
pub mod field {
    pub const PID: u32 = 0;
    pub const UID: u32 = 1;
    pub const EUID: u32 = 2;
    pub const SUID: u32 = 3;
    pub const FSUID: u32 = 4;
    pub const GID: u32 = 5;
    pub const EGID: u32 = 6;
    pub const SGID: u32 = 7;
    pub const FSGID: u32 = 8;
    pub const LOGINUID: u32 = 9;
    pub const PERS: u32 = 10;
    pub const ARCH: u32 = 11;
    pub const MSGTYPE: u32 = 12;
    pub const SUBJ_USER: u32 = 13;
    pub const SUBJ_ROLE: u32 = 14;
    pub const SUBJ_TYPE: u32 = 15;
    pub const SUBJ_SEN: u32 = 16;
    pub const SUBJ_CLR: u32 = 17;
    pub const PPID: u32 = 18;
    pub const OBJ_USER: u32 = 19;
    pub const OBJ_ROLE: u32 = 20;
    pub const OBJ_TYPE: u32 = 21;
    pub const OBJ_LEV_LOW: u32 = 22;
    pub const OBJ_LEV_HIGH: u32 = 23;
    pub const LOGINUID_SET: u32 = 24;
    pub const SESSIONID: u32 = 25;
    pub const DEVMAJOR: u32 = 100;
    pub const DEVMINOR: u32 = 101;
    pub const INODE: u32 = 102;
    pub const EXIT: u32 = 103;
    pub const SUCCESS: u32 = 104;
    pub const WATCH: u32 = 105;
    pub const PERM: u32 = 106;
    pub const DIR: u32 = 107;
    pub const FILETYPE: u32 = 108;
    pub const OBJ_UID: u32 = 109;
    pub const OBJ_GID: u32 = 110;
    pub const FIELD_COMPARE: u32 = 111;
    pub const EXE: u32 = 112;
    pub const SADDR_FAM: u32 = 113;
    pub const ARG0: u32 = 200;
    pub const ARG1: u32 = 201;
    pub const ARG2: u32 = 202;
    pub const ARG3: u32 = 203;
    pub const FILTERKEY: u32 = 210;

    /// Fields whose value is a string in the rule's buffer (the value slot
    /// holds its length).
    pub fn is_string(id: u32) -> bool {
        matches!(
            id,
            SUBJ_USER
                | SUBJ_ROLE
                | SUBJ_TYPE
                | SUBJ_SEN
                | SUBJ_CLR
                | OBJ_USER
                | OBJ_ROLE
                | OBJ_TYPE
                | OBJ_LEV_LOW
                | OBJ_LEV_HIGH
                | WATCH
                | DIR
                | FILTERKEY
                | EXE
        )
    }
}

/// Which kernel filter list a rule goes on (`AUDIT_FILTER_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterList {
    User = 0,
    Task = 1,
    Exit = 4,
    Exclude = 5,
    Filesystem = 6,
    IoUringExit = 7,
}

impl FilterList {
    fn from_u32(v: u32) -> Option<FilterList> {
        Some(match v {
            0 => FilterList::User,
            1 => FilterList::Task,
            4 => FilterList::Exit,
            5 => FilterList::Exclude,
            6 => FilterList::Filesystem,
            7 => FilterList::IoUringExit,
            _ => return None,
        })
    }
}

/// `AUDIT_FILTER_PREPEND`: the rule goes to the front of its list.
const FILTER_PREPEND: u32 = 0x10;

/// What a matching rule does (`AUDIT_NEVER` / `AUDIT_ALWAYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Never = 0,
    Always = 2,
}

/// Comparison of a field with its value (`AUDIT_EQUAL`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    /// `&`: any of the value's bits set.
    BitMask,
    /// `&=`: all of the value's bits set.
    BitTest,
}

impl Op {
    fn flag(self) -> u32 {
        match self {
            Op::BitMask => 0x0800_0000,
            Op::Lt => 0x1000_0000,
            Op::Gt => 0x2000_0000,
            Op::Ne => 0x3000_0000,
            Op::Eq => 0x4000_0000,
            Op::BitTest => 0x4800_0000,
            Op::Le => 0x5000_0000,
            Op::Ge => 0x6000_0000,
        }
    }

    fn from_flag(v: u32) -> Option<Op> {
        [Op::Eq, Op::Ne, Op::Lt, Op::Gt, Op::Le, Op::Ge, Op::BitMask, Op::BitTest].into_iter().find(|op| op.flag() == v)
    }
}

/// A field value: a number, or a string kept in the rule's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Num(u32),
    Str(String),
}

/// One `-F field op value` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub id: u32,
    pub op: Op,
    pub value: Value,
}

/// One audit rule, as the kernel stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub list: FilterList,
    pub action: Action,
    /// Put at the front of the list (`auditctl -A`).
    pub prepend: bool,
    /// Syscall bits, `mask[nr / 32] & (1 << nr % 32)`.
    pub mask: [u32; BITMASK_WORDS],
    pub fields: Vec<Field>,
}

impl Rule {
    /// An empty rule on `list` with `action`: no syscalls, no fields.
    pub fn new(list: FilterList, action: Action) -> Rule {
        Rule { list, action, prepend: false, mask: [0; BITMASK_WORDS], fields: Vec::new() }
    }

    /// Parses one line of `auditctl` rule text (see [`text`] for the subset).
    pub fn parse(line: &str) -> Result<Rule, RuleError> {
        text::parse(line)
    }

    /// Adds syscall `nr` to the mask.
    pub fn add_syscall_nr(&mut self, nr: u32) -> Result<(), RuleError> {
        let nr_usize = nr as usize;
        if nr_usize >= SYSCALL_BITS {
            return Err(RuleError::SyscallOutOfRange(nr));
        }
        self.mask[nr_usize / 32] |= 1 << (nr_usize % 32);
        Ok(())
    }

    /// Adds a native (x86_64) syscall by name.
    pub fn add_syscall(&mut self, name: &str) -> Result<(), RuleError> {
        let nr = syscall_number(name).ok_or_else(|| RuleError::UnknownSyscall(name.to_string()))?;
        self.add_syscall_nr(nr)
    }

    /// Every syscall (`-S all`).
    pub fn all_syscalls(&mut self) {
        for bit in 0..SYSCALL_BITS {
            self.mask[bit / 32] |= 1 << (bit % 32);
        }
    }

    /// Whether syscall `nr` is in the mask.
    pub fn has_syscall(&self, nr: u32) -> bool {
        let nr = nr as usize;
        nr < SYSCALL_BITS && self.mask[nr / 32] & (1 << (nr % 32)) != 0
    }

    /// Appends a numeric condition.
    pub fn num(&mut self, id: u32, op: Op, value: u32) -> &mut Rule {
        self.fields.push(Field { id, op, value: Value::Num(value) });
        self
    }

    /// Appends a string condition (path, dir, exe, key, LSM labels).
    pub fn string(&mut self, id: u32, op: Op, value: &str) -> &mut Rule {
        self.fields.push(Field { id, op, value: Value::Str(value.to_string()) });
        self
    }

    /// The rule's key (`-k` / `-F key=`), when it has one.
    pub fn key(&self) -> Option<&str> {
        self.fields.iter().find_map(|f| match (&f.value, f.id) {
            (Value::Str(s), field::FILTERKEY) => Some(s.as_str()),
            _ => None,
        })
    }

    /// The `struct audit_rule_data` bytes (native endian, padded to 4).
    pub fn to_bytes(&self) -> Result<Vec<u8>, RuleError> {
        if self.fields.len() > MAX_FIELDS {
            return Err(RuleError::TooManyFields(self.fields.len()));
        }
        let mut fields = [0u32; MAX_FIELDS];
        let mut values = [0u32; MAX_FIELDS];
        let mut flags = [0u32; MAX_FIELDS];
        let mut buf = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            if field::is_string(f.id) != matches!(f.value, Value::Str(_)) {
                return Err(RuleError::FieldType(f.id));
            }
            fields[i] = f.id;
            flags[i] = f.op.flag();
            values[i] = match &f.value {
                Value::Num(n) => *n,
                Value::Str(s) => {
                    let max = if f.id == field::FILTERKEY { MAX_KEY_LEN } else { libc::PATH_MAX as usize };
                    if s.is_empty() || s.len() > max {
                        return Err(RuleError::StringLength { field: f.id, len: s.len() });
                    }
                    buf.extend_from_slice(s.as_bytes());
                    s.len() as u32
                }
            };
        }
        let mut out = Vec::with_capacity(FIXED_LEN + buf.len() + 3);
        let list = self.list as u32 | if self.prepend { FILTER_PREPEND } else { 0 };
        for word in [list, self.action as u32, self.fields.len() as u32]
            .iter()
            .chain(&self.mask)
            .chain(&fields)
            .chain(&values)
            .chain(&flags)
            .chain(&[buf.len() as u32])
        {
            out.extend_from_slice(&word.to_ne_bytes());
        }
        out.extend_from_slice(&buf);
        out.resize(out.len().next_multiple_of(4), 0);
        Ok(out)
    }

    /// Decodes `struct audit_rule_data` as the kernel lists it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Rule, RuleError> {
        let word = |i: usize| -> Result<u32, RuleError> {
            let b = bytes.get(i * 4..i * 4 + 4).ok_or(RuleError::Truncated(bytes.len()))?;
            Ok(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        };
        let raw_list = word(0)?;
        let list = FilterList::from_u32(raw_list & !FILTER_PREPEND).ok_or(RuleError::BadList(raw_list))?;
        let action = match word(1)? {
            0 => Action::Never,
            2 => Action::Always,
            other => return Err(RuleError::BadAction(other)),
        };
        let count = word(2)? as usize;
        if count > MAX_FIELDS {
            return Err(RuleError::TooManyFields(count));
        }
        let mut mask = [0u32; BITMASK_WORDS];
        for (i, m) in mask.iter_mut().enumerate() {
            *m = word(3 + i)?;
        }
        let (f0, v0, o0) = (3 + BITMASK_WORDS, 3 + BITMASK_WORDS + MAX_FIELDS, 3 + BITMASK_WORDS + 2 * MAX_FIELDS);
        let buflen = word(3 + BITMASK_WORDS + 3 * MAX_FIELDS)? as usize;
        let buf = bytes.get(FIXED_LEN..FIXED_LEN + buflen).ok_or(RuleError::Truncated(bytes.len()))?;
        let mut at = 0usize;
        let mut fields = Vec::with_capacity(count);
        for i in 0..count {
            let id = word(f0 + i)?;
            let raw_op = word(o0 + i)?;
            let op = Op::from_flag(raw_op).ok_or(RuleError::BadOperator(raw_op))?;
            let v = word(v0 + i)?;
            let value = if field::is_string(id) {
                let s = buf.get(at..at + v as usize).ok_or(RuleError::Truncated(bytes.len()))?;
                at += v as usize;
                Value::Str(String::from_utf8_lossy(s).into_owned())
            } else {
                Value::Num(v)
            };
            fields.push(Field { id, op, value });
        }
        Ok(Rule { list, action, prepend: raw_list & FILTER_PREPEND != 0, mask, fields })
    }
}

/// Write intent in open(2) flags: O_WRONLY | O_RDWR | O_CREAT | O_TRUNC.
pub const OPEN_WRITE_FLAGS: u32 = (libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC) as u32;

/// Syscalls the main Panoptes rule covers (x86_64, exit filter, always).
/// `open` and `openat` have their own rules (write-intent flag tests);
/// `openat2` passes its flags in a struct that rules cannot read, and `creat`
/// always writes, so both are in the main rule.
pub const PANOPTES_SYSCALLS: &[&str] = &[
    "execve",
    "execveat",
    "connect",
    "accept",
    "accept4",
    "bind",
    "creat",
    "openat2",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "chmod",
    "fchmodat",
    "chown",
    "fchownat",
    "ptrace",
    "init_module",
    "finit_module",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "kill",
    "memfd_create",
    "mount",
    "unshare",
    "setns",
];

/// The rules Panoptes installs in [`crate::Mode::Own`], all with key
/// [`PANOPTES_KEY`] and `arch=b64`:
///
/// 1. `-a always,exit -F arch=b64 -S <PANOPTES_SYSCALLS> -F key=panoptes`
/// 2. `-a always,exit -F arch=b64 -S open -F a1&0x243 -F key=panoptes`
/// 3. `-a always,exit -F arch=b64 -S openat -F a2&0x243 -F key=panoptes`
///
/// (`0x243` = [`OPEN_WRITE_FLAGS`]: only opens with write, create or
/// truncate intent are reported, like the eBPF sensor's default.)
pub fn panoptes_rules() -> Result<Vec<Rule>, RuleError> {
    let base = || {
        let mut r = Rule::new(FilterList::Exit, Action::Always);
        r.num(field::ARCH, Op::Eq, ARCH_X86_64);
        r
    };
    let mut main = base();
    for name in PANOPTES_SYSCALLS {
        main.add_syscall(name)?;
    }
    main.string(field::FILTERKEY, Op::Eq, PANOPTES_KEY);
    let mut open = base();
    open.add_syscall("open")?;
    open.num(field::ARG1, Op::BitMask, OPEN_WRITE_FLAGS).string(field::FILTERKEY, Op::Eq, PANOPTES_KEY);
    let mut openat = base();
    openat.add_syscall("openat")?;
    openat.num(field::ARG2, Op::BitMask, OPEN_WRITE_FLAGS).string(field::FILTERKEY, Op::Eq, PANOPTES_KEY);
    Ok(vec![main, open, openat])
}

#[cfg(test)]
mod tests;
