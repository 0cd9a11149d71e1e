//! The kernel modules table, from /proc/modules (name, size, reference
//! count, users, state, address) and each module's taint flags in
//! /sys/module/<name>/taint (`O` out of tree, `E` unsigned, `P`
//! proprietary, ...).

use std::fs;

use crate::model::{row, Row, Table};
use crate::Ctx;

/// One line of /proc/modules: `name size refcount used_by state address`.
pub fn parse_line(line: &str) -> Result<Row, String> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 5 {
        return Err(format!("{} fields, expected 6 (truncated?)", f.len()));
    }
    f[1].parse::<u64>().map_err(|_| format!("size {:?} is not a number", f[1]))?;
    let used_by = f[3].trim_end_matches(',').replace(',', " ");
    Ok(row([
        ("name", f[0].to_string()),
        ("size", f[1].to_string()),
        ("refcount", f[2].to_string()),
        ("used_by", if used_by == "-" { String::new() } else { used_by }),
        ("state", f[4].to_string()),
        ("address", f.get(5).map(|s| s.to_string()).unwrap_or_default()),
    ]))
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let path = ctx.opts.proc_root.join("modules");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        // A kernel built without module support has no /proc/modules.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            table.warn(format!("{}: {e}", path.display()));
            return;
        }
    };
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match parse_line(line) {
            Ok(mut r) => {
                let name = r.get("name").cloned().unwrap_or_default();
                let taint = fs::read_to_string(ctx.opts.sys_root.join("module").join(&name).join("taint"))
                    .map(|t| t.trim().to_string())
                    .unwrap_or_default();
                if !taint.is_empty() {
                    r.insert("taint".into(), taint);
                }
                table.push(r);
            }
            Err(e) => table.warn(format!("{} line {}: {e}; module skipped", path.display(), n + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_and_broken_ones_are_refused() {
        let r = parse_line("nf_tables 315392 3 nft_chain_nat,nft_compat, Live 0xffffffffc0a00000").unwrap();
        assert_eq!(r["name"], "nf_tables");
        assert_eq!(r["used_by"], "nft_chain_nat nft_compat");
        assert_eq!(r["state"], "Live");
        let r = parse_line("loop 40960 0 - Live 0x0000000000000000 (E)").unwrap();
        assert!(!r.contains_key("used_by"));
        assert!(parse_line("loop 40960").is_err());
        assert!(parse_line("loop big 0 - Live 0x0").is_err());
    }
}
