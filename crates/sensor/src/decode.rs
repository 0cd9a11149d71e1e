//! Checked reading of one ring-buffer record: the fixed head, the six
//! arguments and the blobs. Every length and offset from the kernel is
//! checked; an inconsistent record is a [`DecodeError`], never a panic.

use std::mem::size_of;

use crate::wire::{layout, Blob, Header, RecordHead, HEAD_SIZE, MAX_RECORD, NUM_BLOBS};

/// Why a record was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("record of {0} bytes is shorter than the {HEAD_SIZE}-byte head")]
    Short(usize),
    #[error("record says {claimed} bytes but {actual} arrived")]
    SizeMismatch { claimed: u32, actual: usize },
    #[error("blob {index} ({off}+{len}) runs past the {data_len} data bytes")]
    BlobOutOfBounds { index: usize, off: u16, len: u16, data_len: usize },
    #[error("unknown record kind {0}")]
    UnknownKind(u16),
}

/// One blob's bytes and flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobView<'a> {
    pub bytes: &'a [u8],
    pub truncated: bool,
    pub reversed_path: bool,
    pub fault: bool,
}

/// A record whose head and blob bounds have been checked.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    pub head: RecordHead,
    blobs: [Option<BlobView<'a>>; NUM_BLOBS],
}

impl<'a> RawRecord<'a> {
    /// Checks and splits `bytes` (one ring-buffer record).
    pub fn parse(bytes: &'a [u8]) -> Result<RawRecord<'a>, DecodeError> {
        if bytes.len() < HEAD_SIZE {
            return Err(DecodeError::Short(bytes.len()));
        }
        // SAFETY: `bytes` holds at least HEAD_SIZE bytes; RecordHead is
        // repr(C) plain data valid for any bit pattern; read_unaligned does
        // not require alignment.
        let head: RecordHead = unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<RecordHead>()) };
        let claimed = head.hdr.size;
        if claimed as usize != bytes.len() || bytes.len() > MAX_RECORD {
            return Err(DecodeError::SizeMismatch { claimed, actual: bytes.len() });
        }
        let data = &bytes[HEAD_SIZE..claimed as usize];
        let mut blobs = [None; NUM_BLOBS];
        for (index, blob) in head.blobs.iter().enumerate() {
            blobs[index] = view(index, blob, data)?;
        }
        Ok(RawRecord { head, blobs })
    }

    pub fn hdr(&self) -> &Header {
        &self.head.hdr
    }

    pub fn arg(&self, index: usize) -> u64 {
        self.head.args.get(index).copied().unwrap_or(0)
    }

    pub fn blob(&self, index: usize) -> Option<BlobView<'a>> {
        self.blobs.get(index).copied().flatten()
    }
}

fn view<'a>(index: usize, blob: &Blob, data: &'a [u8]) -> Result<Option<BlobView<'a>>, DecodeError> {
    let flags = u64::from(blob.flags);
    if flags & layout::PN_BLOB_PRESENT == 0 {
        return Ok(None);
    }
    let start = usize::from(blob.off);
    let end = start + usize::from(blob.len);
    let bytes = data.get(start..end).ok_or(DecodeError::BlobOutOfBounds {
        index,
        off: blob.off,
        len: blob.len,
        data_len: data.len(),
    })?;
    Ok(Some(BlobView {
        bytes,
        truncated: flags & layout::PN_BLOB_TRUNCATED != 0,
        reversed_path: flags & layout::PN_BLOB_PATH_REVERSED != 0,
        fault: flags & layout::PN_BLOB_FAULT != 0,
    }))
}

impl BlobView<'_> {
    /// The bytes as text, up to the first NUL (lossy UTF-8).
    pub fn text(&self) -> String {
        let end = self.bytes.iter().position(|&b| b == 0).unwrap_or(self.bytes.len());
        String::from_utf8_lossy(&self.bytes[..end]).into_owned()
    }

    /// A path: reversed components joined root first, or plain text.
    /// A path cut short at the top starts with `…/`.
    pub fn path(&self) -> String {
        if !self.reversed_path {
            return self.text();
        }
        let parts: Vec<&[u8]> = self.bytes.split(|&b| b == 0).filter(|p| !p.is_empty()).collect();
        let mut path = String::with_capacity(self.bytes.len() + 2);
        if self.truncated {
            path.push('…');
        }
        for part in parts.iter().rev() {
            path.push('/');
            path.push_str(&String::from_utf8_lossy(part));
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }

    /// The NUL-separated strings (the environment), unconverted.
    pub fn raw_strings(&self) -> impl Iterator<Item = &[u8]> {
        let bytes = self.bytes.strip_suffix(&[0]).unwrap_or(self.bytes);
        bytes.split(|&b| b == 0).filter(|s| !s.is_empty())
    }

    /// NUL-separated strings (argv).
    pub fn strings(&self) -> Vec<String> {
        let bytes = self.bytes.strip_suffix(&[0]).unwrap_or(self.bytes);
        if bytes.is_empty() {
            return Vec::new();
        }
        bytes.split(|&b| b == 0).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
    }
}

/// Reads a little helper value from a blob at `off` (for sockaddrs).
pub(crate) fn read_u16_ne(bytes: &[u8], off: usize) -> Option<u16> {
    let b = bytes.get(off..off + size_of::<u16>())?;
    Some(u16::from_ne_bytes([b[0], b[1]]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::Header;

    /// Builds record bytes the way the kernel side lays them out.
    pub fn build(hdr: Header, args: [u64; 6], blobs: &[(usize, &[u8], u16)]) -> Vec<u8> {
        let mut head = RecordHead { hdr, args, ..Default::default() };
        let mut data = Vec::new();
        for (index, bytes, flags) in blobs {
            head.blobs[*index] = Blob {
                off: data.len() as u16,
                len: bytes.len() as u16,
                flags: *flags | layout::PN_BLOB_PRESENT as u16,
                _pad: 0,
            };
            data.extend_from_slice(bytes);
            data.push(0);
        }
        head.hdr.size = (HEAD_SIZE + data.len()) as u32;
        let mut out = vec![0u8; HEAD_SIZE];
        // SAFETY: `out` has exactly HEAD_SIZE bytes; unaligned write.
        unsafe { std::ptr::write_unaligned(out.as_mut_ptr().cast::<RecordHead>(), head) };
        out.extend_from_slice(&data);
        out
    }

    #[test]
    fn short_and_mismatched_records_are_errors() {
        assert_eq!(RawRecord::parse(&[0u8; 10]).unwrap_err(), DecodeError::Short(10));
        let mut bytes = build(Header { kind: 1, ..Default::default() }, [0; 6], &[]);
        bytes[4] = 0xff; // size field
        assert!(matches!(RawRecord::parse(&bytes), Err(DecodeError::SizeMismatch { .. })));
    }

    #[test]
    fn blob_past_data_is_an_error() {
        let mut bytes = build(Header { kind: 1, ..Default::default() }, [0; 6], &[(0, b"abc", 0)]);
        let blob0 = crate::wire::layout::OFFSETOF_PN_RECORD_BLOBS + 2; // len field of blob 0
        bytes[blob0] = 200;
        assert!(matches!(RawRecord::parse(&bytes), Err(DecodeError::BlobOutOfBounds { index: 0, .. })));
    }

    #[test]
    fn reversed_paths_join_root_first() {
        let flags = layout::PN_BLOB_PATH_REVERSED as u16;
        let bytes = build(Header::default(), [0; 6], &[(1, b"true\0bin\0usr", flags), (3, b"", flags)]);
        let rec = RawRecord::parse(&bytes).unwrap();
        assert_eq!(rec.blob(1).unwrap().path(), "/usr/bin/true");
        assert_eq!(rec.blob(3).unwrap().path(), "/");
        assert!(rec.blob(0).is_none());
    }

    #[test]
    fn argv_splits_on_nul() {
        let bytes = build(Header::default(), [0; 6], &[(2, b"ls\0-l\0/tmp\0", 0)]);
        let rec = RawRecord::parse(&bytes).unwrap();
        assert_eq!(rec.blob(2).unwrap().strings(), vec!["ls", "-l", "/tmp"]);
    }
}
