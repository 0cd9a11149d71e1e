//! The host table: one row with OS, kernel, CPU, memory, uptime, boot and
//! machine ids, hostname, addresses, DNS servers and default gateways.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use crate::model::{row, Table};
use crate::util::under;
use crate::{Ctx, Options};

fn read_trim(path: &Path) -> String {
    fs::read_to_string(path).map(|s| s.trim().to_string()).unwrap_or_default()
}

/// The host name (kernel's), for snapshots.
pub fn hostname(opts: &Options) -> String {
    read_trim(&opts.proc_root.join("sys/kernel/hostname"))
}

/// `PRETTY_NAME` of an os-release file.
pub fn os_name(os_release: &str) -> String {
    let value = |key: &str| {
        os_release.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=')).map(|v| v.trim_matches('"').to_string())
    };
    value("PRETTY_NAME").or_else(|| value("NAME")).unwrap_or_default()
}

/// nameserver lines of resolv.conf.
pub fn dns_servers(resolv: &str) -> Vec<String> {
    resolv
        .lines()
        .filter_map(|l| l.split('#').next()?.trim().strip_prefix("nameserver"))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Default gateways from /proc/net/route (IPv4: little-endian hex) and
/// /proc/net/ipv6_route (zero-length destination prefix).
pub fn default_gateways(route: &str, ipv6_route: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in route.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() > 7 && f[1] == "00000000" && f[7] == "00000000" {
            if let Ok(gw) = u32::from_str_radix(f[2], 16) {
                out.push(format!("{} dev {}", Ipv4Addr::from(gw.swap_bytes()), f[0]));
            }
        }
    }
    for line in ipv6_route.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 10 && f[1] == "00" && f[4] != "00000000000000000000000000000000" && f[9] != "lo" {
            if let Ok(gw) = u128::from_str_radix(f[4], 16) {
                out.push(format!("{} dev {}", Ipv6Addr::from(gw), f[9]));
            }
        }
    }
    out
}

/// Addresses of every interface but loopback, as `ip/dev`.
fn interface_addresses() -> Vec<String> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below; every
    // pointer is checked for null and only read while the list lives.
    unsafe {
        if libc::getifaddrs(&mut head) != 0 {
            return out;
        }
        let mut cur = head;
        while !cur.is_null() {
            let ifa = &*cur;
            cur = ifa.ifa_next;
            if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
                continue;
            }
            let name = std::ffi::CStr::from_ptr(ifa.ifa_name).to_string_lossy().into_owned();
            let ip = match i32::from((*ifa.ifa_addr).sa_family) {
                libc::AF_INET => {
                    let sin = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                    IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)))
                }
                libc::AF_INET6 => {
                    let sin6 = &*(ifa.ifa_addr as *const libc::sockaddr_in6);
                    IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr))
                }
                _ => continue,
            };
            if !ip.is_loopback() {
                out.push(format!("{ip}/{name}"));
            }
        }
        libc::freeifaddrs(head);
    }
    out
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let opts = ctx.opts;
    let proc = &opts.proc_root;
    let cpuinfo = fs::read_to_string(proc.join("cpuinfo")).unwrap_or_default();
    let cpus = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|v| v.split_once(':')).map(|(_, v)| v.trim().to_string()))
        .unwrap_or_default();
    let meminfo = fs::read_to_string(proc.join("meminfo")).unwrap_or_default();
    let mem = |key: &str| {
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("")
            .to_string()
    };
    let uptime = read_trim(&proc.join("uptime"));
    let uptime_secs = uptime.split(['.', ' ']).next().unwrap_or("").to_string();
    let os_release = fs::read_to_string(under(&opts.root, "/etc/os-release"))
        .or_else(|_| fs::read_to_string(under(&opts.root, "/usr/lib/os-release")))
        .unwrap_or_default();
    let resolv = fs::read_to_string(under(&opts.root, "/etc/resolv.conf")).unwrap_or_default();
    let gateways = default_gateways(
        &fs::read_to_string(proc.join("net/route")).unwrap_or_default(),
        &fs::read_to_string(proc.join("net/ipv6_route")).unwrap_or_default(),
    );
    let hostname = hostname(opts);
    if hostname.is_empty() {
        table.warn(format!("{}: unreadable", proc.join("sys/kernel/hostname").display()));
    }
    table.push(row([
        ("hostname", hostname),
        ("os", os_name(&os_release)),
        ("kernel", read_trim(&proc.join("sys/kernel/osrelease"))),
        ("kernel_version", read_trim(&proc.join("sys/kernel/version"))),
        ("arch", std::env::consts::ARCH.to_string()),
        ("cpu_model", cpu_model),
        ("cpus", if cpus > 0 { cpus.to_string() } else { String::new() }),
        ("mem_total_kib", mem("MemTotal")),
        ("mem_available_kib", mem("MemAvailable")),
        ("uptime_secs", uptime_secs),
        ("boot_id", read_trim(&proc.join("sys/kernel/random/boot_id"))),
        ("machine_id", read_trim(&under(&opts.root, "/etc/machine-id"))),
        ("ips", interface_addresses().join(" ")),
        ("dns_servers", dns_servers(&resolv).join(" ")),
        ("default_gateway", gateways.join(", ")),
    ]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        assert_eq!(
            os_name("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
            "Debian GNU/Linux 12 (bookworm)"
        );
        assert_eq!(
            dns_servers("# c\nnameserver 10.0.0.2\nsearch x\nnameserver  ::1 # local\n"),
            vec!["10.0.0.2", "::1"]
        );
        let route = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                     eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
                     eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        let v6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n";
        assert_eq!(default_gateways(route, v6), vec!["192.168.0.1 dev eth0", "fe80::1 dev eth0"]);
    }
}
