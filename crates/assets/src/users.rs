//! The users and groups tables, from the account files under the root:
//! /etc/passwd, /etc/group, /etc/shadow (only whether a password is set,
//! empty or locked: the hash itself never leaves this module), last login
//! (lastlog, or lastlog2's database) and sudo rights (see [`sudo`]).
//!
//! A malformed line is skipped with a warning naming file and line.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::model::{row, Table};
use crate::util::{rfc3339, under};
use crate::Ctx;

mod sudo;

pub use sudo::{parse_sudoers, SudoRules};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
    /// The passwd password field (`x` when the shadow file holds it).
    passwd_field: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// Parses passwd text; bad lines become `(line number, reason)`.
pub fn parse_passwd(text: &str) -> (Vec<User>, Vec<(usize, String)>) {
    let mut users = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split(':').collect();
        if f.len() != 7 {
            bad.push((n + 1, format!("{} fields, expected 7", f.len())));
            continue;
        }
        let (Ok(uid), Ok(gid)) = (f[2].parse(), f[3].parse()) else {
            bad.push((n + 1, format!("uid {:?} or gid {:?} is not a number", f[2], f[3])));
            continue;
        };
        users.push(User {
            name: f[0].to_string(),
            uid,
            gid,
            gecos: f[4].to_string(),
            home: f[5].to_string(),
            shell: f[6].to_string(),
            passwd_field: f[1].to_string(),
        });
    }
    (users, bad)
}

/// Parses group text; bad lines become `(line number, reason)`.
pub fn parse_group(text: &str) -> (Vec<Group>, Vec<(usize, String)>) {
    let mut groups = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split(':').collect();
        if f.len() != 4 {
            bad.push((n + 1, format!("{} fields, expected 4", f.len())));
            continue;
        }
        let Ok(gid) = f[2].parse() else {
            bad.push((n + 1, format!("gid {:?} is not a number", f[2])));
            continue;
        };
        let members = f[3].split(',').filter(|m| !m.is_empty()).map(str::to_string).collect();
        groups.push(Group { name: f[0].to_string(), gid, members });
    }
    (groups, bad)
}

/// What a password hash field says, without the hash: `empty` (anyone
/// may log in without one), `locked` (`!`/`*` prefix), `set`.
pub fn password_state(field: &str) -> &'static str {
    match field {
        "" => "empty",
        f if f.starts_with('!') || f.starts_with('*') => "locked",
        _ => "set",
    }
}

/// name → password state, from shadow-format text (shadow or gshadow).
pub fn parse_shadow_states(text: &str) -> BTreeMap<String, &'static str> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next().filter(|n| !n.is_empty())?;
            Some((name.to_string(), password_state(f.next()?)))
        })
        .collect()
}

/// The host's accounts, read once per collection.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
}

impl Accounts {
    pub fn read(root: &Path, table: &mut Table) -> Accounts {
        let mut read = |abs: &str| -> String {
            let path = under(root, abs);
            fs::read_to_string(&path).unwrap_or_else(|e| {
                table.warn(format!("{}: {e}", path.display()));
                String::new()
            })
        };
        let passwd = read("/etc/passwd");
        let group = read("/etc/group");
        let (users, bad_users) = parse_passwd(&passwd);
        let (groups, bad_groups) = parse_group(&group);
        for (n, why) in bad_users {
            table.warn(format!("{} line {n}: {why}; skipped", under(root, "/etc/passwd").display()));
        }
        for (n, why) in bad_groups {
            table.warn(format!("{} line {n}: {why}; skipped", under(root, "/etc/group").display()));
        }
        Accounts { users, groups }
    }

    /// The user name of `uid`, else the number.
    pub fn user_name(&self, uid: u32) -> String {
        self.users.iter().find(|u| u.uid == uid).map_or_else(|| uid.to_string(), |u| u.name.clone())
    }

    pub fn group_name(&self, gid: u32) -> String {
        self.groups.iter().find(|g| g.gid == gid).map_or_else(|| gid.to_string(), |g| g.name.clone())
    }

    /// Every user in group `name`: listed members and those whose primary
    /// group it is.
    pub fn members_of(&self, name: &str) -> Vec<String> {
        let Some(g) = self.groups.iter().find(|g| g.name == name) else { return Vec::new() };
        let mut out = g.members.clone();
        out.extend(self.users.iter().filter(|u| u.gid == g.gid).map(|u| u.name.clone()));
        out.sort();
        out.dedup();
        out
    }
}

/// Size of glibc's `struct lastlog` on Linux: i32 time, 32-byte line,
/// 256-byte host.
const LASTLOG_RECORD: u64 = 4 + 32 + 256;

/// The lastlog record of `uid`: (Unix time, remote host); `None` when the
/// user never logged in.
pub fn lastlog_entry(file: &mut File, uid: u32) -> Option<(i64, String)> {
    let mut rec = [0u8; LASTLOG_RECORD as usize];
    file.seek(SeekFrom::Start(u64::from(uid) * LASTLOG_RECORD)).ok()?;
    file.read_exact(&mut rec).ok()?;
    let time = i32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]);
    if time == 0 {
        return None;
    }
    let host = &rec[36..];
    let end = host.iter().position(|b| *b == 0).unwrap_or(host.len());
    Some((i64::from(time), String::from_utf8_lossy(&host[..end]).into_owned()))
}

/// Last logins by user name from lastlog2's SQLite database.
fn lastlog2(path: &Path) -> BTreeMap<String, (i64, String)> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let Ok(conn) = rusqlite::Connection::open_with_flags(path, flags) else { return BTreeMap::new() };
    let Ok(mut stmt) = conn.prepare("SELECT Name, Time, RemoteHost FROM Lastlog2") else { return BTreeMap::new() };
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<String>>(2)?.unwrap_or_default()))
    });
    rows.map(|rows| rows.filter_map(Result::ok).map(|(n, t, h)| (n, (t, h))).collect()).unwrap_or_default()
}

pub fn collect_users(ctx: &mut Ctx<'_>, table: &mut Table) {
    let root = ctx.opts.root.clone();
    let accounts = ctx.accounts(table).clone();
    let shadow = fs::read_to_string(under(&root, "/etc/shadow")).map(|t| parse_shadow_states(&t));
    if let Err(e) = &shadow {
        table.warn(format!("{}: {e}; password states unknown", under(&root, "/etc/shadow").display()));
    }
    let shadow = shadow.unwrap_or_default();
    let sudo = SudoRules::read(&root, table);
    let mut lastlog = File::open(under(&root, "/var/log/lastlog")).ok();
    let lastlog2 = lastlog2(&under(&root, "/var/lib/lastlog/lastlog2.db"));
    for u in &accounts.users {
        let password = match u.passwd_field.as_str() {
            "x" => shadow.get(&u.name).copied().unwrap_or("unknown").to_string(),
            field => format!("{} (in passwd)", password_state(field)),
        };
        let last = lastlog2.get(&u.name).cloned().or_else(|| lastlog.as_mut().and_then(|f| lastlog_entry(f, u.uid)));
        let (last_login, from) = last.map(|(t, h)| (rfc3339(t), h)).unwrap_or_default();
        let groups: Vec<String> = accounts
            .groups
            .iter()
            .filter(|g| g.gid == u.gid || g.members.contains(&u.name))
            .map(|g| g.name.clone())
            .collect();
        table.push(row([
            ("name", u.name.clone()),
            ("uid", u.uid.to_string()),
            ("gid", u.gid.to_string()),
            ("group", accounts.group_name(u.gid)),
            ("groups", groups.join(" ")),
            ("gecos", u.gecos.clone()),
            ("home", u.home.clone()),
            ("shell", u.shell.clone()),
            ("password", password),
            ("last_login", last_login),
            ("last_login_from", from),
            ("sudo", sudo.for_user(&u.name, &groups).join("; ")),
        ]));
    }
}

pub fn collect_groups(ctx: &mut Ctx<'_>, table: &mut Table) {
    let root = ctx.opts.root.clone();
    let accounts = ctx.accounts(table).clone();
    let gshadow = fs::read_to_string(under(&root, "/etc/gshadow")).map(|t| parse_shadow_states(&t)).unwrap_or_default();
    for g in &accounts.groups {
        table.push(row([
            ("name", g.name.clone()),
            ("gid", g.gid.to_string()),
            ("members", g.members.join(" ")),
            ("password", gshadow.get(&g.name).copied().unwrap_or("").to_string()),
        ]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_and_group_with_broken_lines() {
        let (users, bad) = parse_passwd("root:x:0:0:root:/root:/bin/bash\nbroken:x:1\nbad:x:a:0::/:/bin/sh\n\nbob:x:1000:1000:Bob,,,:/home/bob:/bin/zsh\n");
        assert_eq!(users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), vec!["root", "bob"]);
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(users[1].shell, "/bin/zsh");
        let (groups, bad) = parse_group("sudo:x:27:bob,alice\nx:y\nbob:x:1000:\n");
        assert_eq!(groups[0].members, vec!["bob", "alice"]);
        assert_eq!((groups.len(), bad.len()), (2, 1));
    }

    #[test]
    fn password_states_never_carry_the_hash() {
        let s = parse_shadow_states(
            "root:$y$j9T$abc$def:19000:0:99999:7:::\nnobody:*:19000::::::\nlocked:!$6$x:1::::::\nopen::1::::::\n",
        );
        assert_eq!(s["root"], "set");
        assert_eq!(s["nobody"], "locked");
        assert_eq!(s["locked"], "locked");
        assert_eq!(s["open"], "empty");
    }

    #[test]
    fn fixture_root_users_groups_passwords_and_sudo() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        fs::create_dir_all(etc.join("sudoers.d")).unwrap();
        let fixture = |name: &str| format!("{}/testdata/accounts/{name}", env!("CARGO_MANIFEST_DIR"));
        for f in ["passwd", "shadow", "group", "sudoers"] {
            fs::copy(fixture(f), etc.join(f)).unwrap();
        }
        fs::copy(fixture("sudoers.d-admins"), etc.join("sudoers.d/admins")).unwrap();
        let opts = crate::Options { root: dir.path().to_path_buf(), ..crate::Options::default() };
        let mut hasher = crate::Hasher::new(0);
        let mut ctx = Ctx::new(&opts, &mut hasher);
        let mut users = Table::new("users");
        collect_users(&mut ctx, &mut users);
        let u = |name: &str| users.rows.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(users.rows.len(), 7, "the broken line is skipped");
        assert_eq!(users.warnings.len(), 1);
        assert!(users.warnings[0].contains("passwd line 6"), "{:?}", users.warnings);
        assert_eq!(u("root")["password"], "set");
        assert_eq!(u("daemon")["password"], "locked");
        assert_eq!(u("bob")["password"], "locked");
        assert_eq!(u("eve")["password"], "empty");
        assert_eq!(u("legacy")["password"], "set (in passwd)");
        assert!(users.rows.iter().all(|r| !r.values().any(|v| v.contains("hash") || v.contains("$6$"))));
        assert_eq!(u("root")["sudo"], "ALL=(ALL:ALL) ALL");
        assert_eq!(u("alice")["sudo"], "ALL=(ALL:ALL) ALL (via %sudo)");
        assert_eq!(u("bob")["sudo"], "ALL=(root) NOPASSWD: /usr/bin/systemctl restart nginx (via %admins)");
        assert!(!u("www-data").contains_key("sudo"));
        assert_eq!(u("alice")["group"], "alice");
        assert_eq!(u("bob")["groups"], "bob admins");
        let mut groups = Table::new("groups");
        collect_groups(&mut ctx, &mut groups);
        let admins = groups.rows.iter().find(|r| r["name"] == "admins").unwrap();
        assert_eq!((admins["gid"].as_str(), admins["members"].as_str()), ("1500", "bob eve"));
    }

    #[test]
    fn lastlog_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lastlog");
        let mut bytes = vec![0u8; (LASTLOG_RECORD * 3) as usize];
        let off = (LASTLOG_RECORD * 2) as usize;
        bytes[off..off + 4].copy_from_slice(&1_700_000_000i32.to_le_bytes());
        bytes[off + 36..off + 45].copy_from_slice(b"10.0.0.9\0");
        fs::write(&path, bytes).unwrap();
        let mut f = File::open(&path).unwrap();
        assert_eq!(lastlog_entry(&mut f, 2), Some((1_700_000_000, "10.0.0.9".into())));
        assert_eq!(lastlog_entry(&mut f, 1), None);
        assert_eq!(lastlog_entry(&mut f, 7), None, "past the end: never logged in");
    }
}
