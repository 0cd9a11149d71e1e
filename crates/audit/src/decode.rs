//! Typed views of the records that carry structured data: EXECVE argv
//! (including long arguments split into `aN[i]` chunks across several
//! records), PROCTITLE, SOCKADDR, PATH items and CWD.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::record::{hex_decode, Record, EXECVE};
use crate::tables::Arch;

/// Most argv entries built from EXECVE records; `argc` is untrusted and is
/// never used to size an allocation beyond this.
pub const MAX_ARGS: usize = 8192;

/// Command-line arguments from one event's EXECVE records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Argv {
    pub args: Vec<String>,
    /// Some argument or chunk was missing, or `argc` exceeded [`MAX_ARGS`].
    pub truncated: bool,
}

#[derive(Default)]
struct ArgParts {
    whole: Option<Vec<u8>>,
    declared_len: Option<usize>,
    chunks: BTreeMap<u32, Vec<u8>>,
}

/// Joins the `argc` / `aN` / `aN_len` / `aN[i]` fields of every EXECVE record
/// in `records` (others are ignored) into argv. Arguments absent from the
/// records (the kernel skips empty ones, audit-kernel issue #99) are empty
/// strings up to `argc`.
pub fn execve_argv<'a>(records: impl IntoIterator<Item = &'a Record>) -> Argv {
    let mut argc: Option<usize> = None;
    let mut parts: BTreeMap<u32, ArgParts> = BTreeMap::new();
    let mut truncated = false;
    for rec in records.into_iter().filter(|r| r.rtype.number == EXECVE) {
        for field in rec.fields() {
            if field.key == "argc" {
                argc = argc.or_else(|| field.value.as_written().parse().ok());
                continue;
            }
            let Some((index, part)) = arg_key(field.key) else { continue };
            if index as usize >= MAX_ARGS {
                truncated = true;
                continue;
            }
            let entry = parts.entry(index).or_default();
            match part {
                ArgKey::Whole => entry.whole = Some(field.value.decoded().into_owned()),
                ArgKey::Len => entry.declared_len = field.value.as_written().parse().ok(),
                ArgKey::Chunk(chunk) => {
                    entry.chunks.insert(chunk, field.value.decoded().into_owned());
                }
            }
        }
    }
    let seen = parts.keys().next_back().map_or(0, |last| *last as usize + 1);
    let wanted = argc.unwrap_or(seen);
    if wanted > MAX_ARGS {
        truncated = true;
    }
    let count = wanted.max(seen).min(MAX_ARGS);
    let mut args = Vec::with_capacity(count);
    for index in 0..count as u32 {
        let Some(part) = parts.remove(&index) else {
            args.push(String::new());
            continue;
        };
        let bytes = match part.whole {
            Some(whole) => whole,
            None => {
                let chunks_contiguous = part.chunks.keys().enumerate().all(|(i, k)| i as u32 == *k);
                let joined: Vec<u8> = part.chunks.into_values().flatten().collect();
                // The kernel's aN_len counts the hex digits when the argument was encoded.
                let complete = part.declared_len.is_none_or(|len| len == joined.len() || len == joined.len() * 2);
                truncated |= !chunks_contiguous || !complete;
                joined
            }
        };
        args.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    Argv { args, truncated }
}

enum ArgKey {
    Whole,
    Len,
    Chunk(u32),
}

/// `a3` → (3, Whole), `a3_len` → (3, Len), `a3[1]` → (3, Chunk(1)).
fn arg_key(key: &str) -> Option<(u32, ArgKey)> {
    let rest = key.strip_prefix('a')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let index: u32 = rest[..digits].parse().ok()?;
    match &rest[digits..] {
        "" => Some((index, ArgKey::Whole)),
        "_len" => Some((index, ArgKey::Len)),
        tail => {
            let chunk = tail.strip_prefix('[')?.strip_suffix(']')?.parse().ok()?;
            Some((index, ArgKey::Chunk(chunk)))
        }
    }
}

/// PROCTITLE as argv: the hex form is NUL-separated, the quoted form is one
/// string. The kernel cuts it at 128 bytes, so EXECVE is the better source
/// for an exec's full command line.
pub fn proctitle(rec: &Record) -> Vec<String> {
    let Some(value) = rec.get("proctitle") else { return Vec::new() };
    let bytes = value.decoded();
    bytes
        .split(|&b| b == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}

/// The CWD record's directory.
pub fn cwd(rec: &Record) -> Option<String> {
    rec.text("cwd").map(|c| c.into_owned())
}

/// One PATH record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathItem {
    pub item: Option<u32>,
    /// `None` for `name=(null)` (e.g. an fd-based call).
    pub name: Option<String>,
    pub inode: Option<u64>,
    pub dev: Option<String>,
    /// File type and permission bits (`mode=0100755`, octal).
    pub mode: Option<u32>,
    pub ouid: Option<u32>,
    pub ogid: Option<u32>,
    /// `NORMAL`, `PARENT`, `CREATE`, `DELETE`, `UNKNOWN` (`nametype=`, or
    /// `objtype=` on older kernels).
    pub nametype: Option<String>,
}

pub fn path_item(rec: &Record) -> PathItem {
    let small = |key| rec.int(key).and_then(|v| u32::try_from(v).ok());
    PathItem {
        item: small("item"),
        name: rec.text("name").map(|n| n.into_owned()),
        inode: rec.int("inode").and_then(|v| u64::try_from(v).ok()),
        dev: rec.text("dev").map(|d| d.into_owned()),
        mode: rec.get("mode").and_then(|m| u32::from_str_radix(m.as_written(), 8).ok()),
        ouid: small("ouid"),
        ogid: small("ogid"),
        nametype: rec.text("nametype").or_else(|| rec.text("objtype")).map(|t| t.into_owned()),
    }
}

/// A decoded `saddr=` (a `struct sockaddr` in hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SockAddrInfo {
    /// `AF_*` number.
    pub family: u16,
    pub ip: Option<IpAddr>,
    pub port: Option<u16>,
    /// AF_UNIX path; abstract names start with `@`.
    pub path: Option<String>,
}

pub const AF_UNIX: u16 = 1;
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;
pub const AF_NETLINK: u16 = 16;

impl SockAddrInfo {
    /// `ipv4`, `ipv6`, `unix`, `netlink`, or the number as text.
    pub fn family_name(&self) -> String {
        match self.family {
            AF_UNIX => "unix".into(),
            AF_INET => "ipv4".into(),
            AF_INET6 => "ipv6".into(),
            AF_NETLINK => "netlink".into(),
            other => other.to_string(),
        }
    }

    /// The Panoptes form of the address.
    pub fn to_event(&self) -> event::SockAddr {
        match (self.family, self.ip, self.port, &self.path) {
            (AF_INET, Some(ip), Some(port), _) => event::SockAddr::Inet { ip, port },
            (AF_INET6, Some(ip), Some(port), _) => event::SockAddr::Inet6 { ip, port },
            (AF_UNIX, _, _, Some(path)) => event::SockAddr::Unix { path: path.clone() },
            (number, ..) => event::SockAddr::Other { number },
        }
    }
}

/// Decodes a SOCKADDR record. The family is in the audited machine's byte
/// order, taken from the event's `arch` (little-endian when unknown); the
/// port is big-endian.
pub fn sockaddr(rec: &Record, arch: Option<Arch>) -> Option<SockAddrInfo> {
    // `saddr` is always hex; it is not in the tokenizer's string-field list
    // because its bytes are a struct, not text.
    let bytes = hex_decode(rec.get("saddr")?.as_written());
    let fam = bytes.get(0..2)?;
    let little = arch.is_none_or(Arch::is_little_endian);
    let family = if little { u16::from_le_bytes([fam[0], fam[1]]) } else { u16::from_be_bytes([fam[0], fam[1]]) };
    let port = bytes.get(2..4).map(|p| u16::from_be_bytes([p[0], p[1]]));
    let mut info = SockAddrInfo { family, ip: None, port: None, path: None };
    match family {
        AF_INET => {
            let ip: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
            info.ip = Some(IpAddr::V4(Ipv4Addr::from(ip)));
            info.port = port;
        }
        AF_INET6 => {
            let ip: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
            info.ip = Some(IpAddr::V6(Ipv6Addr::from(ip)));
            info.port = port;
        }
        AF_UNIX => {
            let raw = bytes.get(2..).unwrap_or(&[]);
            info.path = Some(match raw.split_first() {
                Some((0, abstract_name)) => {
                    let end = abstract_name.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
                    format!("@{}", String::from_utf8_lossy(&abstract_name[..end]))
                }
                _ => {
                    let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
                    String::from_utf8_lossy(&raw[..end]).into_owned()
                }
            });
        }
        _ => {}
    }
    Some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: &str) -> Record {
        Record::parse_line(line).unwrap()
    }

    #[test]
    fn argv_simple_and_padded() {
        let r = rec(r#"type=EXECVE msg=audit(1.1:2): argc=4 a0="useradd" a1="-u" a2="3005""#);
        let argv = execve_argv([&r]);
        assert_eq!(argv.args, vec!["useradd", "-u", "3005", ""]);
        assert!(!argv.truncated);
    }

    #[test]
    fn argv_hex_arg() {
        let r = rec("type=EXECVE msg=audit(1.1:2): argc=3 a0=\"sh\" a1=\"-c\" a2=6563686F205C226172672068657820656E636F6465645C22");
        assert_eq!(execve_argv([&r]).args, vec!["sh", "-c", r#"echo \"arg hex encoded\""#]);
    }

    #[test]
    fn argv_chunks_across_records() {
        let a = rec(r#"type=EXECVE msg=audit(1.1:2): argc=3 a0="perl" a1_len=10 a1[0]="hello""#);
        let b = rec(r#"type=EXECVE msg=audit(1.1:2): a1[1]="world" a2=414243"#);
        let argv = execve_argv([&a, &b]);
        assert_eq!(argv.args, vec!["perl", "helloworld", "ABC"]);
        assert!(!argv.truncated);
        // Hex chunks: aN_len counts hex digits.
        let c = rec("type=EXECVE msg=audit(1.1:2): argc=1 a0_len=8 a0[0]=4142 a0[1]=4344");
        assert_eq!(execve_argv([&c]), Argv { args: vec!["ABCD".into()], truncated: false });
        // A missing chunk is flagged.
        let d = rec(r#"type=EXECVE msg=audit(1.1:2): argc=1 a0_len=10 a0[1]="world""#);
        assert!(execve_argv([&d]).truncated);
    }

    #[test]
    fn argv_hostile_argc() {
        let r = rec(r#"type=EXECVE msg=audit(1.1:2): argc=4294967295 a0="x" a99999999="y""#);
        let argv = execve_argv([&r]);
        assert!(argv.truncated);
        assert_eq!(argv.args.len(), MAX_ARGS);
        assert_eq!(argv.args[0], "x");
    }

    #[test]
    fn proctitle_forms() {
        let r = rec("type=PROCTITLE msg=audit(1.1:2): proctitle=63686F776E002D5200616C6963650074657374");
        assert_eq!(proctitle(&r), vec!["chown", "-R", "alice", "test"]);
        let r = rec(r#"type=PROCTITLE msg=audit(1.1:2): proctitle="(sshd)""#);
        assert_eq!(proctitle(&r), vec!["(sshd)"]);
    }

    #[test]
    fn sockaddr_families() {
        let inet = rec("type=SOCKADDR msg=audit(1.1:2): saddr=02000050A9FEA9FE0000000000000000");
        let info = sockaddr(&inet, Some(Arch::X86_64)).unwrap();
        assert_eq!(
            (info.family_name(), info.ip, info.port),
            ("ipv4".into(), Some("169.254.169.254".parse().unwrap()), Some(80))
        );
        assert_eq!(info.to_event(), event::SockAddr::Inet { ip: "169.254.169.254".parse().unwrap(), port: 80 });
        let inet6 =
            rec("type=SOCKADDR msg=audit(1.1:2): saddr=0A000016000000000000000000000000000000000000000000000000");
        let info = sockaddr(&inet6, None).unwrap();
        assert_eq!((info.ip.map(|i| i.to_string()), info.port), (Some("::".into()), Some(22)));
        let unix =
            rec("type=SOCKADDR msg=audit(1.1:2): saddr=01002F7661722F72756E2F6E7363642F736F636B65740000603B7B47");
        assert_eq!(sockaddr(&unix, None).unwrap().path.as_deref(), Some("/var/run/nscd/socket"));
        let abstract_unix = rec("type=SOCKADDR msg=audit(1.1:2): saddr=0100006162630000");
        assert_eq!(sockaddr(&abstract_unix, None).unwrap().path.as_deref(), Some("@abc"));
        let netlink = rec("type=SOCKADDR msg=audit(1.1:2): saddr=100000000000000000000000");
        assert_eq!(sockaddr(&netlink, None).unwrap().to_event(), event::SockAddr::Other { number: 16 });
        // Big-endian machine: the family is written 0002.
        let be = rec("type=SOCKADDR msg=audit(1.1:2): saddr=00020050A9FEA9FE");
        assert_eq!(sockaddr(&be, Some(Arch(0x8000_0015))).unwrap().port, Some(80));
        let short = rec("type=SOCKADDR msg=audit(1.1:2): saddr=0200");
        assert_eq!(sockaddr(&short, None), None);
    }

    #[test]
    fn path_items() {
        let r = rec(
            r#"type=PATH msg=audit(1.1:2): item=1 name="/usr/bin/x" inode=155 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL"#,
        );
        let p = path_item(&r);
        assert_eq!(p.item, Some(1));
        assert_eq!(p.name.as_deref(), Some("/usr/bin/x"));
        assert_eq!((p.inode, p.mode), (Some(155), Some(0o100755)));
        assert_eq!(p.nametype.as_deref(), Some("NORMAL"));
        let r = rec("type=PATH msg=audit(1.1:2): item=2 name=(null) inode=5 objtype=PARENT");
        let p = path_item(&r);
        assert_eq!((p.name, p.nametype.as_deref()), (None, Some("PARENT")));
    }
}
