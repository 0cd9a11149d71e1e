//! The sockets table: TCP and UDP over IPv4 and IPv6, listening and
//! established, and listening unix sockets, each with its owning process
//! and container.
//!
//! /proc/<pid>/net/* shows the network namespace of `<pid>`, so the files
//! are read once per namespace, through one process in it: sockets inside
//! containers are seen as well as the host's. Owners come from the
//! `socket:[inode]` links in every process's fd directory.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::model::{row, Row, Table};
use crate::proc::ProcInfo;
use crate::Ctx;

/// One parsed line of /proc/net/{tcp,udp}{,6}.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InetSocket {
    pub local_ip: String,
    pub local_port: u16,
    pub remote_ip: String,
    pub remote_port: u16,
    pub state: &'static str,
    pub uid: u32,
    pub inode: u64,
}

fn tcp_state(code: u8, udp: bool) -> &'static str {
    match (code, udp) {
        (0x01, _) => "ESTABLISHED",
        (0x07, true) => "UNCONN",
        (0x0A, false) => "LISTEN",
        (0x02, _) => "SYN_SENT",
        (0x03, _) => "SYN_RECV",
        (0x04, _) => "FIN_WAIT1",
        (0x05, _) => "FIN_WAIT2",
        (0x06, _) => "TIME_WAIT",
        (0x07, _) => "CLOSE",
        (0x08, _) => "CLOSE_WAIT",
        (0x09, _) => "LAST_ACK",
        (0x0B, _) => "CLOSING",
        _ => "UNKNOWN",
    }
}

/// `0100007F:1F90` → ("127.0.0.1", 8080). The kernel prints each 32-bit
/// word of the address in host byte order.
fn parse_endpoint(text: &str) -> Result<(String, u16), String> {
    let (addr, port) = text.split_once(':').ok_or_else(|| format!("address {text:?} has no port"))?;
    let port = u16::from_str_radix(port, 16).map_err(|_| format!("port {port:?} is not hex"))?;
    let word = |i: usize| -> Result<[u8; 4], String> {
        let hex = addr.get(i * 8..i * 8 + 8).ok_or_else(|| format!("address {addr:?} is cut short"))?;
        u32::from_str_radix(hex, 16).map(u32::to_ne_bytes).map_err(|_| format!("address {addr:?} is not hex"))
    };
    let ip = match addr.len() {
        8 => Ipv4Addr::from(word(0)?).to_string(),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            let v6 = Ipv6Addr::from(bytes);
            v6.to_ipv4_mapped().map_or_else(|| v6.to_string(), |v4| v4.to_string())
        }
        n => return Err(format!("address of {n} hex digits")),
    };
    Ok((ip, port))
}

/// One line of a tcp/udp table (header excluded).
pub fn parse_inet_line(line: &str, udp: bool) -> Result<InetSocket, String> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 10 {
        return Err(format!("{} fields, expected at least 10 (truncated?)", f.len()));
    }
    let (local_ip, local_port) = parse_endpoint(f[1])?;
    let (remote_ip, remote_port) = parse_endpoint(f[2])?;
    let code = u8::from_str_radix(f[3], 16).map_err(|_| format!("state {:?} is not hex", f[3]))?;
    Ok(InetSocket {
        local_ip,
        local_port,
        remote_ip,
        remote_port,
        state: tcp_state(code, udp),
        uid: f[7].parse().map_err(|_| format!("uid {:?} is not a number", f[7]))?,
        inode: f[9].parse().map_err(|_| format!("inode {:?} is not a number", f[9]))?,
    })
}

/// A listening unix socket: (inode, path); `Ok(None)` for the others.
pub fn parse_unix_line(line: &str) -> Result<Option<(u64, String, &'static str)>, String> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 7 {
        return Err(format!("{} fields, expected at least 7 (truncated?)", f.len()));
    }
    let flags = u32::from_str_radix(f[3], 16).map_err(|_| format!("flags {:?} are not hex", f[3]))?;
    // __SO_ACCEPTCON: the socket is listening.
    if flags & 0x0001_0000 == 0 {
        return Ok(None);
    }
    let kind = match f[4] {
        "0001" => "unix_stream",
        "0002" => "unix_dgram",
        "0005" => "unix_seqpacket",
        _ => "unix",
    };
    let inode = f[6].parse().map_err(|_| format!("inode {:?} is not a number", f[6]))?;
    Ok(Some((inode, f.get(7).map(|s| s.to_string()).unwrap_or_default(), kind)))
}

/// socket inode → owning process (the lowest pid holding it).
fn owners(ctx: &Ctx<'_>, procs: &[ProcInfo]) -> HashMap<u64, usize> {
    let mut out = HashMap::new();
    for (i, p) in procs.iter().enumerate() {
        let dir = ctx.opts.proc_root.join(p.pid.to_string()).join("fd");
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let Ok(target) = fs::read_link(e.path()) else { continue };
            let Some(inode) = target.to_str().and_then(|t| t.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok())
            else {
                continue;
            };
            out.entry(inode).or_insert(i);
        }
    }
    out
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let procs = ctx.procs(table).to_vec();
    let owner = owners(ctx, &procs);
    // One reader process per network namespace.
    let mut namespaces: BTreeMap<u64, u32> = BTreeMap::new();
    for p in &procs {
        namespaces.entry(p.netns.unwrap_or(0)).or_insert(p.pid);
    }
    let mut seen = std::collections::HashSet::new();
    for (netns, pid) in namespaces {
        let net = ctx.opts.proc_root.join(pid.to_string()).join("net");
        for (file, proto, udp) in
            [("tcp", "tcp", false), ("tcp6", "tcp6", false), ("udp", "udp", true), ("udp6", "udp6", true)]
        {
            let path = net.join(file);
            let Ok(text) = fs::read_to_string(&path) else { continue };
            for (n, line) in text.lines().enumerate().skip(1).filter(|(_, l)| !l.trim().is_empty()) {
                let s = match parse_inet_line(line, udp) {
                    Ok(s) => s,
                    Err(e) => {
                        table.warn(format!("{} line {}: {e}; socket skipped", path.display(), n + 1));
                        continue;
                    }
                };
                let wanted = matches!(s.state, "LISTEN" | "ESTABLISHED" | "UNCONN");
                if !wanted || (s.inode != 0 && !seen.insert((proto, s.inode))) {
                    continue;
                }
                let mut r = row([
                    ("proto", proto.to_string()),
                    ("state", s.state.to_string()),
                    ("local_ip", s.local_ip),
                    ("local_port", s.local_port.to_string()),
                    ("remote_ip", if s.state == "ESTABLISHED" { s.remote_ip } else { String::new() }),
                    ("remote_port", if s.state == "ESTABLISHED" { s.remote_port.to_string() } else { String::new() }),
                    ("uid", s.uid.to_string()),
                    ("inode", s.inode.to_string()),
                    ("netns", netns.to_string()),
                ]);
                add_owner(&mut r, owner.get(&s.inode).map(|i| &procs[*i]));
                table.push(r);
            }
        }
        let path = net.join("unix");
        let Ok(text) = fs::read_to_string(&path) else { continue };
        for (n, line) in text.lines().enumerate().skip(1).filter(|(_, l)| !l.trim().is_empty()) {
            match parse_unix_line(line) {
                Ok(Some((inode, sock_path, kind))) => {
                    if !seen.insert(("unix", inode)) {
                        continue;
                    }
                    let mut r = row([
                        ("proto", kind.to_string()),
                        ("state", "LISTEN".to_string()),
                        ("path", sock_path),
                        ("inode", inode.to_string()),
                        ("netns", netns.to_string()),
                    ]);
                    add_owner(&mut r, owner.get(&inode).map(|i| &procs[*i]));
                    table.push(r);
                }
                Ok(None) => {}
                Err(e) => table.warn(format!("{} line {}: {e}; socket skipped", path.display(), n + 1)),
            }
        }
    }
}

fn add_owner(r: &mut Row, p: Option<&ProcInfo>) {
    let Some(p) = p else { return };
    r.insert("pid".into(), p.pid.to_string());
    r.insert("comm".into(), p.comm.clone());
    if let Some(exe) = &p.exe {
        r.insert("exe".into(), exe.clone());
    }
    if let Some(c) = &p.container {
        r.insert("container".into(), c.id.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_lines_v4_and_v6() {
        let s = parse_inet_line(
            "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   104        0 45678 1 0000 100 0 0 10 0",
            false,
        )
        .unwrap();
        assert_eq!(
            (s.local_ip.as_str(), s.local_port, s.state, s.uid, s.inode),
            ("127.0.0.1", 8080, "LISTEN", 104, 45678)
        );
        let s = parse_inet_line(
            "   1: 00000000000000000000000001000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1",
            false,
        )
        .unwrap();
        assert_eq!((s.local_ip.as_str(), s.local_port), ("::1", 5432));
        let s = parse_inet_line(
            "   2: 0000000000000000FFFF00000100007F:E0F2 0000000000000000FFFF00000100007F:1538 01 00000000:00000000 00:00000000 00000000  0 0 1000 1",
            false,
        )
        .unwrap();
        assert_eq!((s.local_ip.as_str(), s.remote_port, s.state), ("127.0.0.1", 5432, "ESTABLISHED"));
        let s = parse_inet_line(
            "  3: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 321 2 0 0",
            true,
        )
        .unwrap();
        assert_eq!((s.local_port, s.state), (68, "UNCONN"));
    }

    #[test]
    fn truncated_and_garbled_lines_are_errors() {
        assert!(parse_inet_line("   0: 0100007F:1F90 00000000:0000 0A", false).unwrap_err().contains("truncated"));
        assert!(parse_inet_line("   0: 0100007G:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1", false).is_err());
        assert!(parse_inet_line("   0: 0100:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1", false).is_err());
    }

    #[test]
    fn unix_listeners_only() {
        let l = "0000000000000000: 00000002 00000000 00010000 0001 01 23456 /run/redis/redis.sock";
        assert_eq!(parse_unix_line(l).unwrap(), Some((23456, "/run/redis/redis.sock".into(), "unix_stream")));
        let c = "0000000000000000: 00000003 00000000 00000000 0001 03 23457";
        assert_eq!(parse_unix_line(c).unwrap(), None);
        assert!(parse_unix_line("0000000000000000: 00000002").is_err());
    }
}
