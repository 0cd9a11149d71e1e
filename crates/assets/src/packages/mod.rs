//! The packages table: dpkg (and its integrity, the package_files table),
//! the rpm database when present, Python distributions (pip), global npm
//! packages and the Java jars running processes use. Each source is its
//! own module; a source that is absent adds nothing, one that is broken
//! adds a warning and the rest of the table stands.

pub mod dpkg;
pub mod jar;
pub mod npm;
pub mod pip;
pub mod rpm;

use crate::model::Table;
use crate::Ctx;

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    dpkg::collect(ctx, table);
    rpm::collect(ctx, table);
    pip::collect(ctx, table);
    npm::collect(ctx, table);
    jar::collect(ctx, table);
}
