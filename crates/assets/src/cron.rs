//! The cron table: jobs of /etc/crontab and /etc/cron.d (with a user
//! field), user spools (/var/spool/cron/crontabs/<user> on Debian,
//! /var/spool/cron/<user> elsewhere), the run-parts directories
//! /etc/cron.{hourly,daily,weekly,monthly}, and systemd timers with the
//! command of the unit they start.

use std::fs;

use crate::model::{row, Row, Table};
use crate::systemd::load_units;
use crate::util::{dir_names, under};
use crate::Ctx;

/// One job line. `with_user`: system crontabs name the user after the
/// schedule. Environment assignments and comments are `Ok(None)`.
pub fn parse_line(line: &str, with_user: bool) -> Result<Option<(String, String, String)>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let first = line.split_whitespace().next().unwrap_or("");
    if !first.starts_with('@') && first.contains('=') || is_env(line) {
        return Ok(None);
    }
    let fields_needed = if first.starts_with('@') { 1 } else { 5 };
    let mut rest = line;
    let mut schedule = Vec::new();
    for _ in 0..fields_needed {
        let t = rest.trim_start();
        let end = t.find(char::is_whitespace).ok_or_else(|| format!("{line:?}: schedule without a command"))?;
        schedule.push(&t[..end]);
        rest = &t[end..];
    }
    for field in &schedule {
        if !field.starts_with('@') && !schedule_field(field) {
            return Err(format!("{line:?}: {field:?} is not a schedule field"));
        }
    }
    let mut user = String::new();
    if with_user {
        let t = rest.trim_start();
        let end = t.find(char::is_whitespace).ok_or_else(|| format!("{line:?}: no command after the user"))?;
        user = t[..end].to_string();
        rest = &t[end..];
    }
    let command = rest.trim().to_string();
    if command.is_empty() {
        return Err(format!("{line:?}: no command"));
    }
    Ok(Some((schedule.join(" "), user, command)))
}

/// A minute/hour/day/month/weekday field: numbers, `*`, ranges, steps,
/// lists, and month or day names.
fn schedule_field(field: &str) -> bool {
    const NAMES: [&str; 19] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "sun", "mon", "tue", "wed",
        "thu", "fri", "sat",
    ];
    field.split([',', '-', '/']).all(|part| {
        part == "*"
            || (!part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
            || NAMES.contains(&part.to_ascii_lowercase().as_str())
    })
}

/// `NAME = value` lines (spaces allowed around `=`).
fn is_env(line: &str) -> bool {
    match line.split_once('=') {
        Some((name, _)) => {
            let name = name.trim();
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

fn crontab(table: &mut Table, root: &std::path::Path, path: &str, user: Option<&str>) {
    let text = match fs::read(under(root, path)) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            table.warn(format!("{path}: {e}"));
            return;
        }
    };
    for (n, line) in text.lines().enumerate() {
        match parse_line(line, user.is_none()) {
            Ok(Some((schedule, u, command))) => {
                table.push(job(path, user.map_or(u, str::to_string), schedule, command))
            }
            Ok(None) => {}
            Err(e) => table.warn(format!("{path} line {}: {e}; job skipped", n + 1)),
        }
    }
}

fn job(source: &str, user: String, schedule: String, command: String) -> Row {
    row([("source", source.to_string()), ("user", user), ("schedule", schedule), ("command", command)])
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let root = ctx.opts.root.clone();
    crontab(table, &root, "/etc/crontab", None);
    for name in dir_names(&under(&root, "/etc/cron.d")).unwrap_or_default() {
        // cron ignores names with dots and editor backups.
        if !name.contains('.') && !name.ends_with('~') {
            crontab(table, &root, &format!("/etc/cron.d/{name}"), None);
        }
    }
    for spool in ["/var/spool/cron/crontabs", "/var/spool/cron"] {
        for user in dir_names(&under(&root, spool)).unwrap_or_default() {
            let path = format!("{spool}/{user}");
            if under(&root, &path).is_file() {
                crontab(table, &root, &path, Some(&user));
            }
        }
    }
    for period in ["hourly", "daily", "weekly", "monthly"] {
        let dir = format!("/etc/cron.{period}");
        for name in dir_names(&under(&root, &dir)).unwrap_or_default() {
            if name.starts_with('.') || name == "placeholder" {
                continue;
            }
            let path = format!("{dir}/{name}");
            table.push(job(&dir, "root".into(), format!("@{period}"), path));
        }
    }
    let services = load_units(&root, ".service", &mut Table::new("scratch"));
    for t in load_units(&root, ".timer", table) {
        let mut schedule: Vec<String> = Vec::new();
        for key in ["OnCalendar", "OnBootSec", "OnStartupSec", "OnUnitActiveSec", "OnUnitInactiveSec", "OnActiveSec"] {
            schedule.extend(t.unit.values("Timer", key).iter().map(|v| format!("{key}={v}")));
        }
        let target = match t.unit.first("Timer", "Unit") {
            u if u.is_empty() => t.name.trim_end_matches(".timer").to_string() + ".service",
            u => u,
        };
        let service = services.iter().find(|s| s.name == target);
        let command = service.map(|s| s.unit.values("Service", "ExecStart").join("; ")).unwrap_or_default();
        let user =
            service.map(|s| s.unit.first("Service", "User")).filter(|u| !u.is_empty()).unwrap_or_else(|| "root".into());
        let mut r = job(&t.path, user, schedule.join(" "), if command.is_empty() { target.clone() } else { command });
        r.insert("timer".into(), t.name.clone());
        r.insert("state".into(), t.state.to_string());
        r.insert("unit".into(), target);
        table.push(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crontab_golden() {
        let text = include_str!("../testdata/cron/crontab");
        let mut jobs = Vec::new();
        let mut bad = Vec::new();
        for (n, l) in text.lines().enumerate() {
            match parse_line(l, true) {
                Ok(Some(j)) => jobs.push(j),
                Ok(None) => {}
                Err(e) => bad.push((n + 1, e)),
            }
        }
        assert_eq!(jobs.len(), 4, "{jobs:?}");
        assert_eq!(
            jobs[0],
            ("17 *  * * *".replace("  ", " "), "root".into(), "cd / && run-parts --report /etc/cron.hourly".into())
        );
        assert_eq!(jobs[3], ("@reboot".into(), "www-data".into(), "/opt/evil/start.sh >/dev/null 2>&1".into()));
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!(parse_line("*/5 * * * * /usr/bin/backup --all", false).unwrap().unwrap().2, "/usr/bin/backup --all");
        assert_eq!(parse_line("MAILTO = root", false).unwrap(), None);
    }

    #[test]
    fn fixture_root_spools_dirs_and_timers() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        let mk = |p: &str, text: &str| {
            let path = r.join(p.trim_start_matches('/'));
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        mk("/etc/crontab", include_str!("../testdata/cron/crontab"));
        mk("/etc/cron.d/job", "0 3 * * * root /usr/local/bin/nightly\n");
        mk("/etc/cron.d/ignored.dpkg-old", "0 3 * * * root /bin/old\n");
        mk("/var/spool/cron/crontabs/alice", "# user crontab\n@hourly curl -s http://127.0.0.1/x | sh\n");
        mk("/etc/cron.daily/logrotate", "#!/bin/sh\n");
        mk(
            "/usr/lib/systemd/system/apt-daily.timer",
            "[Timer]\nOnCalendar=*-*-* 6,18:00\n[Install]\nWantedBy=timers.target\n",
        );
        mk("/usr/lib/systemd/system/apt-daily.service", "[Service]\nExecStart=/usr/lib/apt/apt.systemd.daily update\n");
        let opts = crate::Options { root: r.to_path_buf(), ..crate::Options::default() };
        let mut hasher = crate::Hasher::new(0);
        let mut ctx = Ctx::new(&opts, &mut hasher);
        let mut table = Table::new("cron");
        collect(&mut ctx, &mut table);
        let by_source = |s: &str| table.rows.iter().filter(|r| r["source"] == s).count();
        assert_eq!(by_source("/etc/crontab"), 4);
        assert_eq!(by_source("/etc/cron.d/job"), 1);
        assert_eq!(by_source("/etc/cron.d/ignored.dpkg-old"), 0);
        let alice = table.rows.iter().find(|r| r["source"] == "/var/spool/cron/crontabs/alice").unwrap();
        assert_eq!((alice["user"].as_str(), alice["schedule"].as_str()), ("alice", "@hourly"));
        let daily = table.rows.iter().find(|r| r["source"] == "/etc/cron.daily").unwrap();
        assert_eq!(daily["command"], "/etc/cron.daily/logrotate");
        let timer = table.rows.iter().find(|r| r.get("timer").is_some_and(|t| t == "apt-daily.timer")).unwrap();
        assert_eq!(timer["command"], "/usr/lib/apt/apt.systemd.daily update");
        assert_eq!(timer["schedule"], "OnCalendar=*-*-* 6,18:00");
        assert_eq!(timer["state"], "disabled");
        assert_eq!(table.warnings.len(), 2, "{:?}", table.warnings);
    }
}
