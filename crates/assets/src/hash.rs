//! File digests for the inventory: SHA-256 of executables and SUID files,
//! MD5 for dpkg integrity. Reads are rate-limited (a token bucket in bytes
//! per second, so a collection never saturates the disk) and results are
//! cached by (device, inode, mtime, size): a file is read again only when
//! it changed. Entries not seen for a whole collection are forgotten.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use md5::Md5;
use sha2::{Digest, Sha256};

/// Identity of a file's content, as far as a stat can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FileId {
    dev: u64,
    ino: u64,
    mtime_ns: i64,
    size: u64,
    md5: bool,
}

/// Counters of one collection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashStats {
    pub hashed_files: u64,
    pub hashed_bytes: u64,
    pub cache_hits: u64,
    pub throttled_ms: u64,
}

/// Reads happen in chunks of this size; the bucket is charged per chunk.
const CHUNK: usize = 256 << 10;

/// A digest cache with a read budget in bytes per second.
#[derive(Debug)]
pub struct Hasher {
    cache: HashMap<FileId, (String, u64)>,
    generation: u64,
    rate: u64,
    tokens: f64,
    refilled: Instant,
    stats: HashStats,
}

impl Hasher {
    /// `rate`: bytes per second read at most (0 = unlimited).
    pub fn new(rate: u64) -> Hasher {
        Hasher {
            cache: HashMap::new(),
            generation: 0,
            rate,
            tokens: rate as f64,
            refilled: Instant::now(),
            stats: HashStats::default(),
        }
    }

    /// Starts a collection: forgets files not seen in the previous one and
    /// resets the counters, returning the previous collection's.
    pub fn next_collection(&mut self) -> HashStats {
        let keep_from = self.generation;
        self.cache.retain(|_, (_, seen)| *seen >= keep_from);
        self.generation += 1;
        std::mem::take(&mut self.stats)
    }

    pub fn stats(&self) -> HashStats {
        self.stats
    }

    /// Hex SHA-256 of the file at `path`.
    pub fn sha256(&mut self, path: &Path) -> io::Result<String> {
        self.digest::<Sha256>(path, false)
    }

    /// Hex MD5 of the file at `path` (what dpkg's md5sums hold).
    pub fn md5(&mut self, path: &Path) -> io::Result<String> {
        self.digest::<Md5>(path, true)
    }

    fn digest<D: Digest>(&mut self, path: &Path, md5: bool) -> io::Result<String> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        let id = FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            mtime_ns: meta.mtime().saturating_mul(1_000_000_000).saturating_add(meta.mtime_nsec()),
            size: meta.size(),
            md5,
        };
        if let Some((hex, seen)) = self.cache.get_mut(&id) {
            *seen = self.generation;
            self.stats.cache_hits += 1;
            return Ok(hex.clone());
        }
        let mut digest = D::new();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            self.throttle(n as u64);
            digest.update(&buf[..n]);
            self.stats.hashed_bytes += n as u64;
        }
        let hex = to_hex(&digest.finalize());
        self.stats.hashed_files += 1;
        self.cache.insert(id, (hex.clone(), self.generation));
        Ok(hex)
    }

    /// Charges `bytes` to the bucket, sleeping when it is empty.
    fn throttle(&mut self, bytes: u64) {
        if self.rate == 0 {
            return;
        }
        let now = Instant::now();
        let rate = self.rate as f64;
        self.tokens = (self.tokens + now.duration_since(self.refilled).as_secs_f64() * rate).min(rate);
        self.refilled = now;
        self.tokens -= bytes as f64;
        if self.tokens < 0.0 {
            let wait = Duration::from_secs_f64(-self.tokens / rate);
            self.stats.throttled_ms += wait.as_millis() as u64;
            std::thread::sleep(wait);
        }
    }
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_right_and_cached_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "abc").unwrap();
        let mut h = Hasher::new(0);
        assert_eq!(h.sha256(&path).unwrap(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(h.md5(&path).unwrap(), "900150983cd24fb0d6963f7d28e17f72");
        h.sha256(&path).unwrap();
        assert_eq!((h.stats().hashed_files, h.stats().cache_hits), (2, 1));
        std::fs::write(&path, "abcd").unwrap();
        let t = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        File::options().write(true).open(&path).unwrap().set_modified(t).unwrap();
        assert_eq!(h.md5(&path).unwrap(), "e2fc714c4727ee9395f324cd2e7f331f");
        assert!(h.sha256(dir.path()).is_err(), "a directory is refused");
    }

    #[test]
    fn rate_limit_slows_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![7u8; 3 << 20]).unwrap();
        let mut h = Hasher::new(2 << 20);
        let start = Instant::now();
        h.sha256(&path).unwrap();
        // 3 MiB at 2 MiB/s with a 2 MiB burst: about half a second.
        assert!(start.elapsed() >= Duration::from_millis(400), "{:?}", start.elapsed());
        assert!(h.stats().throttled_ms > 0);
    }

    #[test]
    fn unseen_entries_are_forgotten_after_a_collection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "x").unwrap();
        let mut h = Hasher::new(0);
        h.sha256(&path).unwrap();
        h.next_collection();
        h.next_collection();
        assert!(h.cache.is_empty());
    }
}
