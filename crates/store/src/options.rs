//! [`StoreOptions`]: where the database lives, how the writer batches and
//! how much history it keeps. Validated once in [`StoreOptions::validate`]
//! before the writer starts.

use std::path::PathBuf;
use std::time::Duration;

use crate::StoreError;

/// Where `panoptes run` keeps its database unless told otherwise.
pub const DEFAULT_PATH: &str = "/var/lib/panoptes/panoptes.db";

/// How the [`StoreWriter`](crate::StoreWriter) runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// The database file; parent directories are created (mode 0700).
    pub path: PathBuf,
    /// Rows waiting for the writer thread; beyond this `submit` drops.
    pub queue_capacity: usize,
    /// Most rows in one transaction.
    pub batch_size: usize,
    /// Longest a row waits in a partial batch before it is written.
    pub flush_interval: Duration,
    /// Rows older than this (by `time_unix_ns`) are deleted.
    pub max_age: Option<Duration>,
    /// Database size (main file plus WAL) above which the oldest rows go.
    pub max_bytes: Option<u64>,
    /// How often retention runs (it also runs when the writer starts).
    pub retention_interval: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            path: PathBuf::from(DEFAULT_PATH),
            queue_capacity: 65_536,
            batch_size: 2_000,
            flush_interval: Duration::from_millis(200),
            max_age: Some(Duration::from_secs(7 * 24 * 3600)),
            max_bytes: Some(1 << 30),
            retention_interval: Duration::from_secs(60),
        }
    }
}

impl StoreOptions {
    /// The defaults, with the database at `path`.
    pub fn at(path: impl Into<PathBuf>) -> StoreOptions {
        StoreOptions { path: path.into(), ..StoreOptions::default() }
    }

    /// Rejects settings the writer cannot run with.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.path.as_os_str().is_empty() {
            return Err(StoreError::InvalidOptions("the database path is empty"));
        }
        if self.queue_capacity == 0 {
            return Err(StoreError::InvalidOptions("queue_capacity must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(StoreError::InvalidOptions("batch_size must be at least 1"));
        }
        if self.retention_interval.is_zero() {
            return Err(StoreError::InvalidOptions("retention_interval must be longer than zero"));
        }
        if self.max_age.is_some_and(|age| age.is_zero()) {
            return Err(StoreError::InvalidOptions("max_age must be longer than zero (or unset)"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let opts = StoreOptions::default();
        assert!(opts.validate().is_ok());
        assert_eq!(opts.queue_capacity, 65_536);
        assert_eq!(opts.batch_size, 2_000);
        assert_eq!(opts.max_bytes, Some(1 << 30));
        assert_eq!(opts.path, PathBuf::from("/var/lib/panoptes/panoptes.db"));
    }

    #[test]
    fn zero_sizes_are_rejected() {
        let bad = StoreOptions { batch_size: 0, ..StoreOptions::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("batch_size"));
        let bad = StoreOptions { queue_capacity: 0, ..StoreOptions::default() };
        assert!(bad.validate().is_err());
        let bad = StoreOptions { retention_interval: Duration::ZERO, ..StoreOptions::default() };
        assert!(bad.validate().is_err());
    }
}
