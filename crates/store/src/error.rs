//! The store's error type. Every variant names the database file and says
//! what to do about it, because these messages reach the user unchanged.

use std::path::PathBuf;

/// Why the store could not be opened, started or queried.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid store options: {0}")]
    InvalidOptions(&'static str),

    #[error("cannot create the store directory {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },

    #[error("cannot create the store file {path}: {source}")]
    CreateFile { path: PathBuf, source: std::io::Error },

    #[error("no event store at {path}: is `panoptes run` writing elsewhere? Pass the path of its database")]
    Missing { path: PathBuf },

    #[error("{path} is not a Panoptes event store ({reason}); move it away or choose another database path")]
    NotAStore { path: PathBuf, reason: String },

    #[error(
        "{path} has store schema version {found}, newer than this Panoptes understands ({known}); \
         upgrade Panoptes or choose another database path"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },

    #[error(
        "{path} has store schema version {found}, older than this Panoptes reads ({known}); \
         run `panoptes run` once with this database to upgrade it"
    )]
    TooOld { path: PathBuf, found: i64, known: i64 },

    #[error("event store {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },

    #[error(
        "container {query:?} matches more than one container ({}); give more characters of the id",
        short_ids(.matches)
    )]
    AmbiguousContainer { query: String, matches: Vec<String> },

    #[error("cannot start the store writer thread: {0}")]
    Thread(std::io::Error),

    #[error(
        "event store {path}: alert row {id} is not a readable alert ({source}); was it written by another version?"
    )]
    BadAlert { path: PathBuf, id: i64, source: serde_json::Error },
}

impl StoreError {
    /// Wraps a SQLite error, turning "not a database" and corruption into
    /// [`StoreError::NotAStore`] so the user learns what is wrong with the file.
    pub(crate) fn sqlite(path: &std::path::Path, source: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        match source.sqlite_error_code() {
            Some(NotADatabase) => {
                StoreError::NotAStore { path: path.to_path_buf(), reason: "not an SQLite database".into() }
            }
            Some(DatabaseCorrupt) => {
                StoreError::NotAStore { path: path.to_path_buf(), reason: format!("corrupt: {source}") }
            }
            _ => StoreError::Sqlite { path: path.to_path_buf(), source },
        }
    }
}

/// Docker-style 12-character ids, at most ten of them.
fn short_ids(ids: &[String]) -> String {
    let mut shown: Vec<&str> = ids.iter().take(10).map(|id| id.get(..12).unwrap_or(id)).collect();
    if ids.len() > 10 {
        shown.push("...");
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_message_lists_short_ids() {
        let err =
            StoreError::AmbiguousContainer { query: "abcd".into(), matches: vec!["abcd".repeat(16), "abcdef".into()] };
        let text = err.to_string();
        assert!(text.contains("abcdabcdabcd, abcdef"), "{text}");
        assert!(!text.contains(&"abcd".repeat(4)), "{text}");
    }
}
