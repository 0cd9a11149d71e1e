//! Small helpers every collector uses: paths under the collection root,
//! tolerant file reads, times as text.

use std::path::{Path, PathBuf};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `abs` (an absolute path on the host) under `root`.
pub fn under(root: &Path, abs: &str) -> PathBuf {
    root.join(abs.trim_start_matches('/'))
}

pub fn now_unix_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// Unix seconds as RFC 3339 UTC text; empty when out of range.
pub fn rfc3339(unix_secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_secs).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// Sorted entries of a directory (names), empty when it does not exist.
pub fn dir_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_times() {
        assert_eq!(under(Path::new("/fx"), "/etc/passwd"), PathBuf::from("/fx/etc/passwd"));
        assert_eq!(under(Path::new("/"), "/etc/passwd"), PathBuf::from("/etc/passwd"));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert!(dir_names(Path::new("/nonexistent-dir")).unwrap().is_empty());
    }
}
