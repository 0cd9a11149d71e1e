//! User names for `process.user`: the host's /etc/passwd, read once and
//! again when its modification time changes (checked at most every two
//! seconds, so the event path costs a map lookup).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const RECHECK: Duration = Duration::from_secs(2);

/// uid → name from a passwd file.
#[derive(Debug)]
pub struct Users {
    path: PathBuf,
    names: HashMap<u32, Arc<str>>,
    mtime: Option<SystemTime>,
    checked: Option<Instant>,
}

impl Default for Users {
    fn default() -> Self {
        Users::from_file("/etc/passwd")
    }
}

impl Users {
    pub fn from_file(path: impl Into<PathBuf>) -> Users {
        Users { path: path.into(), names: HashMap::new(), mtime: None, checked: None }
    }

    /// The name of `uid`, or `None` when the file does not list it.
    pub fn name(&mut self, uid: u32) -> Option<&str> {
        if self.checked.is_none_or(|t| t.elapsed() >= RECHECK) {
            self.reload_if_changed();
        }
        self.names.get(&uid).map(|n| &**n)
    }

    fn reload_if_changed(&mut self) {
        self.checked = Some(Instant::now());
        let mtime = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        if mtime.is_some() && mtime == self.mtime {
            return;
        }
        self.mtime = mtime;
        self.names = std::fs::read_to_string(&self.path).map(|t| parse_passwd(&t)).unwrap_or_default();
    }
}

/// `name:x:uid:...` lines; malformed lines are skipped; the first name of a
/// uid wins (as getpwuid does).
pub fn parse_passwd(text: &str) -> HashMap<u32, Arc<str>> {
    let mut names = HashMap::new();
    for line in text.lines() {
        let mut parts = line.split(':');
        let (Some(name), Some(_), Some(uid)) = (parts.next(), parts.next(), parts.next()) else { continue };
        if name.is_empty() || name.starts_with('#') {
            continue;
        }
        if let Ok(uid) = uid.parse::<u32>() {
            names.entry(uid).or_insert_with(|| Arc::from(name));
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_skips_malformed_lines() {
        let names = parse_passwd("root:x:0:0:root:/root:/bin/bash\nbad line\nbob:x:1000:1000::/home/bob:/bin/sh\ntoor:x:0:0::/:/bin/sh\n#c:x:5:\n");
        assert_eq!(names.get(&0).map(|n| &**n), Some("root"));
        assert_eq!(names.get(&1000).map(|n| &**n), Some("bob"));
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn reloads_when_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("passwd");
        std::fs::write(&path, "a:x:1:1::/:/bin/sh\n").unwrap();
        let mut users = Users::from_file(&path);
        assert_eq!(users.name(1), Some("a"));
        assert_eq!(users.name(2), None);
        std::fs::write(&path, "a:x:1:1::/:/bin/sh\nb:x:2:2::/:/bin/sh\n").unwrap();
        // Force the recheck and make sure the mtime differs.
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(later).unwrap();
        users.checked = None;
        assert_eq!(users.name(2), Some("b"));
    }
}
