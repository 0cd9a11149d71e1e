//! Number ↔ name facts the audit format refers to: record types, `AUDIT_ARCH_*`
//! values, syscall numbers per architecture, errno and signal names.
//!
//! The record type and syscall lists are generated once from the reference
//! CSVs by `scripts/gen_tables.py` (see the header of each generated file);
//! the short errno, signal and arch lists are written out here. Nothing is
//! read from disk at run time.

mod record_types;
mod syscalls;

/// The name of a record type number (`1300` → `SYSCALL`).
pub fn record_type_name(number: u16) -> Option<&'static str> {
    let table = record_types::BY_NUMBER;
    table.binary_search_by_key(&number, |(n, _)| *n).ok().and_then(|i| table.get(i)).map(|(_, name)| *name)
}

/// The number of a record type name (`SYSCALL` → `1300`).
pub fn record_type_number(name: &str) -> Option<u16> {
    let table = record_types::BY_NAME;
    table.binary_search_by_key(&name, |(n, _)| n).ok().and_then(|i| table.get(i)).map(|(_, number)| *number)
}

/// `__AUDIT_ARCH_64BIT`.
const ARCH_64BIT: u32 = 0x8000_0000;
/// `__AUDIT_ARCH_LE`.
const ARCH_LE: u32 = 0x4000_0000;

/// `AUDIT_ARCH_*` value → name, from `<linux/audit.h>` (the reference table
/// `audit_arches.csv`).
const ARCHES: &[(u32, &str)] = &[
    (0xc000_00b7, "aarch64"),
    (0x4000_0028, "arm"),
    (0x28, "armeb"),
    (0x4000_008c, "c6x"),
    (0x8c, "c6xbe"),
    (0x4000_004c, "cris"),
    (0x5441, "frv"),
    (0x2e, "h8300"),
    (0x4000_0003, "i386"),
    (0xc000_0032, "ia64"),
    (0x4000_0102, "loongarch32"),
    (0xc000_0102, "loongarch64"),
    (0x58, "m32r"),
    (0x4, "m68k"),
    (0x8, "mips"),
    (0x8000_0008, "mips64"),
    (0xa000_0008, "mips64n32"),
    (0x4000_0008, "mipsel"),
    (0xc000_0008, "mipsel64"),
    (0xe000_0008, "mipsel64n32"),
    (0x4000_0071, "nios2"),
    (0xf, "parisc"),
    (0x8000_000f, "parisc64"),
    (0x14, "ppc"),
    (0x8000_0015, "ppc64"),
    (0xc000_0015, "ppc64le"),
    (0x16, "s390"),
    (0x8000_0016, "s390x"),
    (0x2a, "sh"),
    (0x8000_002a, "sh64"),
    (0x4000_002a, "shel"),
    (0xc000_002a, "shel64"),
    (0x2, "sparc"),
    (0x8000_002b, "sparc64"),
    (0xc000_003e, "x86_64"),
];

/// An `AUDIT_ARCH_*` value (the SYSCALL record's `arch=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Arch(pub u32);

impl Arch {
    pub const X86_64: Arch = Arch(0xc000_003e);
    pub const AARCH64: Arch = Arch(0xc000_00b7);
    pub const I386: Arch = Arch(0x4000_0003);

    /// Reads an `arch=` value: hex as the kernel writes it (`c000003e`,
    /// optionally `0x`-prefixed) or a name as `ausearch -i` writes it
    /// (`x86_64`).
    pub fn from_field(text: &str) -> Option<Arch> {
        if let Some((value, _)) = ARCHES.iter().find(|(_, name)| *name == text) {
            return Some(Arch(*value));
        }
        let hex = text.strip_prefix("0x").unwrap_or(text);
        u32::from_str_radix(hex, 16).ok().map(Arch)
    }

    /// `x86_64`, `aarch64`, ...; `None` for a value not in the table.
    pub fn name(self) -> Option<&'static str> {
        ARCHES.iter().find(|(value, _)| *value == self.0).map(|(_, name)| *name)
    }

    /// Whether the audited machine stores multi-byte integers little-endian
    /// (the `__AUDIT_ARCH_LE` bit); decides how SOCKADDR's family is read.
    pub fn is_little_endian(self) -> bool {
        self.0 & ARCH_LE != 0
    }

    pub fn is_64bit(self) -> bool {
        self.0 & ARCH_64BIT != 0
    }

    /// The name of syscall `number` on this arch; `None` for an unknown
    /// number or an arch without a table (only x86_64, aarch64 and i386 have
    /// one).
    pub fn syscall_name(self, number: u32) -> Option<&'static str> {
        let table = match self {
            Arch::X86_64 => syscalls::X86_64,
            Arch::AARCH64 => syscalls::AARCH64,
            Arch::I386 => syscalls::I386,
            _ => return None,
        };
        table.get(number as usize).copied().filter(|name| !name.is_empty())
    }
}

/// errno names of the generic Linux ABI (x86, arm and most others).
const ERRNO: &[&str] = &[
    "",
    "EPERM",
    "ENOENT",
    "ESRCH",
    "EINTR",
    "EIO",
    "ENXIO",
    "E2BIG",
    "ENOEXEC",
    "EBADF",
    "ECHILD",
    "EAGAIN",
    "ENOMEM",
    "EACCES",
    "EFAULT",
    "ENOTBLK",
    "EBUSY",
    "EEXIST",
    "EXDEV",
    "ENODEV",
    "ENOTDIR",
    "EISDIR",
    "EINVAL",
    "ENFILE",
    "EMFILE",
    "ENOTTY",
    "ETXTBSY",
    "EFBIG",
    "ENOSPC",
    "ESPIPE",
    "EROFS",
    "EMLINK",
    "EPIPE",
    "EDOM",
    "ERANGE",
    "EDEADLK",
    "ENAMETOOLONG",
    "ENOLCK",
    "ENOSYS",
    "ENOTEMPTY",
    "ELOOP",
    "",
    "ENOMSG",
    "EIDRM",
    "ECHRNG",
    "EL2NSYNC",
    "EL3HLT",
    "EL3RST",
    "ELNRNG",
    "EUNATCH",
    "ENOCSI",
    "EL2HLT",
    "EBADE",
    "EBADR",
    "EXFULL",
    "ENOANO",
    "EBADRQC",
    "EBADSLT",
    "",
    "EBFONT",
    "ENOSTR",
    "ENODATA",
    "ETIME",
    "ENOSR",
    "ENONET",
    "ENOPKG",
    "EREMOTE",
    "ENOLINK",
    "EADV",
    "ESRMNT",
    "ECOMM",
    "EPROTO",
    "EMULTIHOP",
    "EDOTDOT",
    "EBADMSG",
    "EOVERFLOW",
    "ENOTUNIQ",
    "EBADFD",
    "EREMCHG",
    "ELIBACC",
    "ELIBBAD",
    "ELIBSCN",
    "ELIBMAX",
    "ELIBEXEC",
    "EILSEQ",
    "ERESTART",
    "ESTRPIPE",
    "EUSERS",
    "ENOTSOCK",
    "EDESTADDRREQ",
    "EMSGSIZE",
    "EPROTOTYPE",
    "ENOPROTOOPT",
    "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT",
    "EOPNOTSUPP",
    "EPFNOSUPPORT",
    "EAFNOSUPPORT",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "ENETDOWN",
    "ENETUNREACH",
    "ENETRESET",
    "ECONNABORTED",
    "ECONNRESET",
    "ENOBUFS",
    "EISCONN",
    "ENOTCONN",
    "ESHUTDOWN",
    "ETOOMANYREFS",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "EHOSTDOWN",
    "EHOSTUNREACH",
    "EALREADY",
    "EINPROGRESS",
    "ESTALE",
    "EUCLEAN",
    "ENOTNAM",
    "ENAVAIL",
    "EISNAM",
    "EREMOTEIO",
    "EDQUOT",
    "ENOMEDIUM",
    "EMEDIUMTYPE",
    "ECANCELED",
    "ENOKEY",
    "EKEYEXPIRED",
    "EKEYREVOKED",
    "EKEYREJECTED",
    "EOWNERDEAD",
    "ENOTRECOVERABLE",
    "ERFKILL",
    "EHWPOISON",
];

/// The errno name of a syscall return value (`-115` → `EINPROGRESS`);
/// `None` for non-negative values and unknown numbers.
pub fn errno_name(ret: i64) -> Option<&'static str> {
    let n = usize::try_from(ret.checked_neg()?).ok()?;
    ERRNO.get(n).copied().filter(|name| !name.is_empty())
}

/// The negative return value an errno name stands for (`EACCES` → `-13`);
/// reads the names `ausearch -i` writes for `exit=`.
pub fn errno_value(name: &str) -> Option<i64> {
    let name = name.split('(').next().unwrap_or(name);
    ERRNO.iter().position(|n| !n.is_empty() && *n == name).map(|n| -(n as i64))
}

/// Signal names of the generic Linux ABI (x86, arm).
const SIGNALS: &[&str] = &[
    "",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// `31` → `SIGSYS`.
pub fn signal_name(signal: u32) -> Option<&'static str> {
    SIGNALS.get(signal as usize).copied().filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_types_both_ways() {
        assert_eq!(record_type_name(1300), Some("SYSCALL"));
        assert_eq!(record_type_name(1327), Some("PROCTITLE"));
        assert_eq!(record_type_number("EOE"), Some(1320));
        assert_eq!(record_type_number("USER_CMD"), Some(1123));
        assert_eq!(record_type_name(1), None);
        assert_eq!(record_type_number("NOPE"), None);
    }

    #[test]
    fn syscalls_per_arch() {
        assert_eq!(Arch::X86_64.syscall_name(59), Some("execve"));
        assert_eq!(Arch::X86_64.syscall_name(42), Some("connect"));
        assert_eq!(Arch::AARCH64.syscall_name(221), Some("execve"));
        assert_eq!(Arch::AARCH64.syscall_name(203), Some("connect"));
        assert_eq!(Arch::AARCH64.syscall_name(37), Some("linkat"));
        assert_eq!(Arch::I386.syscall_name(11), Some("execve"));
        assert_eq!(Arch::I386.syscall_name(132), Some("getpgid"));
        assert_eq!(Arch::X86_64.syscall_name(100_000), None);
        assert_eq!(Arch(0x8000_0015).syscall_name(11), None);
    }

    #[test]
    fn arches() {
        assert_eq!(Arch::from_field("c000003e"), Some(Arch::X86_64));
        assert_eq!(Arch::from_field("x86_64"), Some(Arch::X86_64));
        assert_eq!(Arch::from_field("0x40000003").and_then(Arch::name), Some("i386"));
        assert!(Arch::X86_64.is_little_endian());
        assert!(!Arch(0x8000_0015).is_little_endian());
        assert_eq!(Arch::from_field("zz"), None);
    }

    #[test]
    fn errno_and_signals() {
        assert_eq!(errno_name(-115), Some("EINPROGRESS"));
        assert_eq!(errno_name(-14), Some("EFAULT"));
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(i64::MIN), None);
        assert_eq!(errno_value("EACCES"), Some(-13));
        assert_eq!(errno_value("EACCES(Permission denied)"), Some(-13));
        assert_eq!(signal_name(31), Some("SIGSYS"));
        assert_eq!(signal_name(99), None);
    }
}
