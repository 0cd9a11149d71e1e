//! rpm: installed packages from the SQLite rpm database
//! (`/var/lib/rpm/rpmdb.sqlite`, or `/usr/lib/sysimage/rpm/rpmdb.sqlite`),
//! each row a header blob decoded here. Older BerkeleyDB and ndb
//! databases are named in a warning, not read.

use std::path::Path;

use crate::model::{row, Table};
use crate::util::under;
use crate::Ctx;

const SQLITE_DBS: [&str; 2] = ["/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite"];
const OTHER_DBS: [&str; 3] = ["/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db", "/usr/lib/sysimage/rpm/Packages.db"];

const TAG_NAME: i32 = 1000;
const TAG_VERSION: i32 = 1001;
const TAG_RELEASE: i32 = 1002;
const TAG_EPOCH: i32 = 1003;
const TAG_ARCH: i32 = 1022;
const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_I18NSTRING: u32 = 9;

/// What the inventory takes from a header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmHeader {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: String,
}

fn be32(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| "header cut short".into())
}

/// Decodes an rpm header blob: index count and data length, the index
/// entries (tag, type, offset, count), then the data. Every offset is
/// checked against the data.
pub fn parse_header(blob: &[u8]) -> Result<RpmHeader, String> {
    let il = be32(blob, 0)? as usize;
    let dl = be32(blob, 4)? as usize;
    if il > 100_000 || dl > 256 << 20 {
        return Err(format!("implausible header sizes ({il} entries, {dl} bytes)"));
    }
    let data_start = 8 + il * 16;
    let data = blob.get(data_start..data_start + dl).ok_or("header data cut short")?;
    let mut h = RpmHeader::default();
    for i in 0..il {
        let at = 8 + i * 16;
        let tag = be32(blob, at)? as i32;
        let kind = be32(blob, at + 4)?;
        let offset = be32(blob, at + 8)? as usize;
        let string = || -> Result<String, String> {
            let rest = data.get(offset..).ok_or("string offset outside the data")?;
            let end = rest.iter().position(|b| *b == 0).ok_or("unterminated string")?;
            Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
        };
        match (tag, kind) {
            (TAG_NAME, TYPE_STRING | TYPE_I18NSTRING) => h.name = string()?,
            (TAG_VERSION, TYPE_STRING) => h.version = string()?,
            (TAG_RELEASE, TYPE_STRING) => h.release = string()?,
            (TAG_ARCH, TYPE_STRING) => h.arch = string()?,
            (TAG_EPOCH, TYPE_INT32) => h.epoch = Some(be32(data, offset)?),
            _ => {}
        }
    }
    if h.name.is_empty() {
        return Err("header without a name".into());
    }
    Ok(h)
}

impl RpmHeader {
    /// `[epoch:]version-release`, as rpm -q prints with %{EVR}.
    pub fn evr(&self) -> String {
        let vr =
            if self.release.is_empty() { self.version.clone() } else { format!("{}-{}", self.version, self.release) };
        match self.epoch {
            Some(e) if e > 0 => format!("{e}:{vr}"),
            _ => vr,
        }
    }
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let root = ctx.opts.root.clone();
    let Some(db) = SQLITE_DBS.iter().find(|p| under(&root, p).exists()) else {
        if let Some(other) = OTHER_DBS.iter().find(|p| under(&root, p).exists()) {
            table.warn(format!("{other}: BerkeleyDB/ndb rpm databases are not read; rpm packages left out"));
        }
        return;
    };
    if let Err(e) = read_sqlite(&under(&root, db), db, table) {
        table.warn(format!("{}: {e}; rpm packages left out", under(&root, db).display()));
    }
}

fn read_sqlite(path: &Path, location: &str, table: &mut Table) -> rusqlite::Result<()> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(path, flags)?;
    let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    for r in rows {
        let (hnum, blob) = r?;
        match parse_header(&blob) {
            Ok(h) => table.push(row([
                ("type", "rpm".to_string()),
                ("version", h.evr()),
                ("name", h.name),
                ("arch", h.arch),
                ("status", "installed".to_string()),
                ("location", location.to_string()),
            ])),
            Err(e) => table.warn(format!("{} package {hnum}: {e}; skipped", path.display())),
        }
    }
    Ok(())
}

/// Builds a header blob (for tests of this module and of the table).
#[cfg(test)]
pub(crate) fn build_header(entries: &[(i32, u32, &[u8])]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, kind, bytes) in entries {
        index.extend_from_slice(&tag.to_be_bytes());
        index.extend_from_slice(&kind.to_be_bytes());
        index.extend_from_slice(&(data.len() as u32).to_be_bytes());
        index.extend_from_slice(&1u32.to_be_bytes());
        data.extend_from_slice(bytes);
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
    blob.extend(index);
    blob.extend(data);
    blob
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_decode_and_bad_ones_are_refused() {
        let blob = build_header(&[
            (TAG_NAME, TYPE_STRING, b"bash\0"),
            (TAG_VERSION, TYPE_STRING, b"5.1.8\0"),
            (TAG_RELEASE, TYPE_STRING, b"9.el9\0"),
            (TAG_EPOCH, TYPE_INT32, &2u32.to_be_bytes()),
            (TAG_ARCH, TYPE_STRING, b"x86_64\0"),
        ]);
        let h = parse_header(&blob).unwrap();
        assert_eq!((h.name.as_str(), h.evr().as_str(), h.arch.as_str()), ("bash", "2:5.1.8-9.el9", "x86_64"));
        assert!(parse_header(&blob[..blob.len() - 3]).is_err(), "truncated");
        assert!(parse_header(&[0, 0]).is_err());
        assert!(parse_header(&build_header(&[(TAG_NAME, TYPE_STRING, b"no-nul")])).is_err());
        assert!(parse_header(&build_header(&[(TAG_VERSION, TYPE_STRING, b"1\0")])).is_err(), "no name");
    }

    #[test]
    fn sqlite_database_with_one_corrupt_row() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("var/lib/rpm/rpmdb.sqlite");
        std::fs::create_dir_all(db.parent().unwrap()).unwrap();
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
            .unwrap();
        let good = build_header(&[(TAG_NAME, TYPE_STRING, b"zlib\0"), (TAG_VERSION, TYPE_STRING, b"1.2.11\0")]);
        conn.execute("INSERT INTO Packages(blob) VALUES (?1)", [good]).unwrap();
        conn.execute("INSERT INTO Packages(blob) VALUES (?1)", [vec![1u8, 2, 3]]).unwrap();
        drop(conn);
        let opts = crate::Options { root: dir.path().to_path_buf(), ..crate::Options::default() };
        let mut hasher = crate::Hasher::new(0);
        let mut ctx = Ctx::new(&opts, &mut hasher);
        let mut table = Table::new("packages");
        collect(&mut ctx, &mut table);
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0]["name"], "zlib");
        assert_eq!(table.warnings.len(), 1, "{:?}", table.warnings);
    }
}
