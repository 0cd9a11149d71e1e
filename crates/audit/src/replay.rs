//! Reading `audit.log` files for `panoptes replay --audit-log`: one file, or
//! auditd's rotated set (`audit.log.4` … `audit.log.1`, `audit.log`) oldest
//! first. Lines are read with a length cap, so a file without newlines
//! cannot make the reader buffer without bound.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::error::ParseError;
use crate::record::{Record, MAX_RECORD_LEN};

/// The file auditd writes; its rotations are `audit.log.1`, `.2`, ...
pub const DEFAULT_LOG_NAME: &str = "audit.log";

#[derive(Debug, Error)]
pub enum ReplayError {
    #[error(
        "audit log {0} does not exist; pass an audit.log file or the directory holding it (usually /var/log/audit)"
    )]
    NotFound(PathBuf),
    #[error("cannot read audit log {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// Records of an audit log, oldest file first. Items are parse results:
/// a malformed line is an `Err` the caller counts, and reading goes on.
pub struct AuditLog {
    files: VecDeque<PathBuf>,
    current: Option<(PathBuf, BufReader<File>)>,
    line: u64,
    buf: Vec<u8>,
}

/// Opens `path`: a directory (its `audit.log` and rotations), or a file
/// plus its numbered rotations (`path.1`, `path.2`, ... next to it).
pub fn read_audit_log(path: impl AsRef<Path>) -> Result<AuditLog, ReplayError> {
    let files = rotated_set(path.as_ref())?;
    Ok(AuditLog { files: files.into(), current: None, line: 0, buf: Vec::new() })
}

/// The files of a rotated set, oldest first (highest suffix first, the base
/// file last).
pub fn rotated_set(path: &Path) -> Result<Vec<PathBuf>, ReplayError> {
    let base = if path.is_dir() { path.join(DEFAULT_LOG_NAME) } else { path.to_path_buf() };
    let io_err = |source| ReplayError::Io { path: path.to_path_buf(), source };
    let dir = match base.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(stem) = base.file_name().and_then(|n| n.to_str()).map(|n| format!("{n}.")) else {
        return Err(ReplayError::NotFound(base));
    };
    let mut rotated: Vec<(u32, PathBuf)> = Vec::new();
    if dir.is_dir() {
        for entry in std::fs::read_dir(&dir).map_err(io_err)? {
            let entry = entry.map_err(io_err)?;
            let name = entry.file_name();
            let Some(suffix) = name.to_str().and_then(|n| n.strip_prefix(&stem)) else { continue };
            if let Ok(n) = suffix.parse::<u32>() {
                rotated.push((n, entry.path()));
            }
        }
    }
    rotated.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let mut files: Vec<PathBuf> = rotated.into_iter().map(|(_, p)| p).collect();
    if base.is_file() {
        files.push(base.clone());
    }
    if files.is_empty() {
        return Err(ReplayError::NotFound(base));
    }
    Ok(files)
}

impl AuditLog {
    /// The file and 1-based line number of the last item returned.
    pub fn position(&self) -> Option<(&Path, u64)> {
        self.current.as_ref().map(|(p, _)| (p.as_path(), self.line))
    }

    /// Files not yet opened.
    pub fn remaining_files(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(PathBuf::as_path)
    }

    /// The next line of the current file: `Ok(None)` at its end.
    fn next_line(&mut self) -> Option<Result<Vec<u8>, ParseError>> {
        let (_, reader) = self.current.as_mut()?;
        self.buf.clear();
        match read_bounded_line(reader, &mut self.buf, MAX_RECORD_LEN) {
            Ok(LineRead::Eof) => None,
            Ok(LineRead::Line) => {
                self.line += 1;
                Some(Ok(std::mem::take(&mut self.buf)))
            }
            Ok(LineRead::TooLong(len)) => {
                self.line += 1;
                Some(Err(ParseError::TooLong(len, MAX_RECORD_LEN)))
            }
            Err(e) => {
                // A read error ends this file; go on with the next.
                self.current = None;
                Some(Err(ParseError::Io(e.to_string())))
            }
        }
    }
}

impl Iterator for AuditLog {
    type Item = Result<Record, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.current.is_none() {
                let path = self.files.pop_front()?;
                match File::open(&path) {
                    Ok(f) => {
                        self.current = Some((path, BufReader::with_capacity(256 * 1024, f)));
                        self.line = 0;
                    }
                    Err(e) => return Some(Err(ParseError::Io(format!("{}: {e}", path.display())))),
                }
            }
            match self.next_line() {
                None => self.current = None,
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(line)) => {
                    let blank = line.iter().all(|c| c.is_ascii_whitespace());
                    if !blank {
                        let parsed = Record::parse_line_bytes(&line);
                        self.buf = line;
                        return Some(parsed);
                    }
                    self.buf = line;
                }
            }
        }
    }
}

enum LineRead {
    Eof,
    Line,
    /// The line was longer than the cap; it was skipped (this many bytes).
    TooLong(usize),
}

/// Reads up to and including the next `\n` into `buf` (without it), at
/// most `cap` bytes; a longer line is consumed and reported.
fn read_bounded_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, cap: usize) -> io::Result<LineRead> {
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match chunk.iter().position(|&c| c == b'\n') {
            Some(p) => (p, true),
            None => (chunk.len(), false),
        };
        if total + take <= cap {
            buf.extend_from_slice(&chunk[..take]);
        }
        total += take;
        reader.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    if !any {
        return Ok(LineRead::Eof);
    }
    if total > cap {
        buf.clear();
        return Ok(LineRead::TooLong(total));
    }
    Ok(LineRead::Line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const LINE: &str = "type=USER_CMD msg=audit(1.000:{}): pid=1 msg='cmd=6C73 res=success'";

    fn write(dir: &Path, name: &str, serials: &[u32]) {
        let mut f = File::create(dir.join(name)).unwrap();
        for s in serials {
            writeln!(f, "{}", LINE.replace("{}", &s.to_string())).unwrap();
        }
    }

    fn serials(log: AuditLog) -> Vec<u32> {
        log.map(|r| r.unwrap().serial).collect()
    }

    #[test]
    fn rotated_set_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "audit.log", &[7, 8]);
        write(dir.path(), "audit.log.1", &[5, 6]);
        write(dir.path(), "audit.log.2", &[3, 4]);
        write(dir.path(), "audit.log.10", &[1, 2]);
        write(dir.path(), "audit.log.old", &[99]);
        assert_eq!(serials(read_audit_log(dir.path()).unwrap()), vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(serials(read_audit_log(dir.path().join("audit.log")).unwrap()), vec![1, 2, 3, 4, 5, 6, 7, 8]);
        // Only rotations left (the base was moved away): still readable.
        std::fs::remove_file(dir.path().join("audit.log")).unwrap();
        assert_eq!(serials(read_audit_log(dir.path()).unwrap()), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn missing_path_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_audit_log(dir.path().join("nope.log")).err().unwrap();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn bad_and_long_lines_are_errors_and_reading_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let mut f = File::create(&path).unwrap();
        writeln!(f, "{}", LINE.replace("{}", "1")).unwrap();
        writeln!(f, "garbage").unwrap();
        writeln!(f).unwrap();
        writeln!(f, "{}", "y".repeat(MAX_RECORD_LEN + 10)).unwrap();
        write!(f, "{}", LINE.replace("{}", "2")).unwrap();
        drop(f);
        let mut log = read_audit_log(&path).unwrap();
        assert_eq!(log.next().unwrap().unwrap().serial, 1);
        assert_eq!(log.next().unwrap(), Err(ParseError::MissingType));
        assert_eq!(log.position().map(|(_, l)| l), Some(2));
        assert!(matches!(log.next().unwrap(), Err(ParseError::TooLong(..))));
        assert_eq!(log.next().unwrap().unwrap().serial, 2);
        assert!(log.next().is_none());
    }
}
