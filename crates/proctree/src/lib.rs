//! The process tree: who is running, what they run, and who started them.
//!
//! Built from a /proc snapshot at start ([`snapshot`]) and kept true by the
//! sensor's fork, exec and exit events ([`ProcessTree::enrich`]). Every
//! event passing through gets `process.exe`, `cmdline`, `exec_id`,
//! `parent_exec_id` and `ancestors`. Exited processes linger a few seconds
//! for late events, then are evicted; the number of entries is capped and
//! what the cap refuses is counted.

mod snapshot;
mod tree;
mod users;

pub use snapshot::{read_boot_id, read_proc, ProcEntry};
pub use tree::{ProcessTree, TreeOptions, TreeStats};
pub use users::Users;
