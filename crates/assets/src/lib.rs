//! Asset inventory: what is on this host, as tables.
//!
//! Each table has its own module that reads the system (procfs, the package
//! databases, unit files, ...) into [`Row`]s: [`host`], [`processes`],
//! [`sockets`], [`users`] (users and groups), [`packages`] (dpkg with
//! integrity, rpm, pip, npm, Java jars), [`services`], [`cron`],
//! [`modules`], [`containers`], [`apps`] and [`suid`]. [`Collector::collect`]
//! runs the chosen tables in order and times each; a row that cannot be
//! read is skipped with a warning and the rest of its table stands.
//! [`diff`] compares two snapshots row by row, by each table's key.
//!
//! Collection is meant to be cheap on the host: the caller runs it in its
//! own thread lowered with [`lower_priority`]; digests are cached and
//! rate-limited ([`hash`]).

pub mod apps;
mod appver;
pub mod containers;
pub mod cron;
pub mod diff;
pub mod hash;
pub mod host;
pub mod model;
pub mod modules;
pub mod packages;
pub mod proc;
pub mod processes;
pub mod services;
pub mod sockets;
pub mod suid;
mod systemd;
pub mod tables;
pub mod users;
mod util;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use diff::{diff, Change};
pub use hash::{HashStats, Hasher};
pub use model::{Row, Snapshot, Table};
pub use tables::TableKind;
pub use util::rfc3339;

/// Where and how to collect.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Files (`/etc`, `/var/lib/dpkg`, `/usr`, ...) are read under this
    /// directory; `/` on a live host, a fixture tree in tests.
    pub root: PathBuf,
    /// The proc file system (processes, sockets, modules).
    pub proc_root: PathBuf,
    /// sysfs (module taint).
    pub sys_root: PathBuf,
    /// Most bytes per second read for digests (0 = unlimited).
    pub hash_rate: u64,
    /// Hash every dpkg file, not only the ones changed since their package
    /// was installed.
    pub full_integrity: bool,
    /// Most bytes one collection hashes for dpkg integrity; files beyond
    /// it are counted as unchecked in a warning.
    pub integrity_budget: u64,
    /// When neither the package database nor the binary tell an
    /// application's version, run `<exe> --version` confined (the
    /// process's mount namespace, nobody, no new privileges, 2 s).
    pub exec_versions: bool,
    /// Container runtime sockets; a missing socket skips that runtime.
    pub docker_socket: PathBuf,
    pub containerd_socket: PathBuf,
    pub podman_socket: PathBuf,
    pub crio_socket: PathBuf,
    /// Longest wait for container metadata.
    pub container_wait: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            root: PathBuf::from("/"),
            proc_root: PathBuf::from("/proc"),
            sys_root: PathBuf::from("/sys"),
            hash_rate: 64 << 20,
            full_integrity: false,
            integrity_budget: 256 << 20,
            exec_versions: true,
            docker_socket: "/var/run/docker.sock".into(),
            containerd_socket: "/run/containerd/containerd.sock".into(),
            podman_socket: "/run/podman/podman.sock".into(),
            crio_socket: "/var/run/crio/crio.sock".into(),
            container_wait: Duration::from_secs(3),
        }
    }
}

/// What one collection shares between tables: computed on first use.
pub struct Ctx<'a> {
    pub opts: &'a Options,
    pub hasher: &'a mut Hasher,
    procs: Option<Vec<proc::ProcInfo>>,
    accounts: Option<users::Accounts>,
    sockets: Option<Vec<Row>>,
}

impl<'a> Ctx<'a> {
    pub fn new(opts: &'a Options, hasher: &'a mut Hasher) -> Ctx<'a> {
        Ctx { opts, hasher, procs: None, accounts: None, sockets: None }
    }

    /// Every process (one /proc pass per collection); problems of that
    /// pass are reported in `table`.
    pub fn procs(&mut self, table: &mut Table) -> &[proc::ProcInfo] {
        let root = &self.opts.proc_root;
        self.procs.get_or_insert_with(|| proc::scan(root, table))
    }

    /// Users and groups of the host (for uid → name).
    pub fn accounts(&mut self, table: &mut Table) -> &users::Accounts {
        let root = &self.opts.root;
        self.accounts.get_or_insert_with(|| users::Accounts::read(root, table))
    }

    /// The socket rows (applications want their ports).
    pub fn socket_rows(&mut self, table: &mut Table) -> Vec<Row> {
        if let Some(rows) = &self.sockets {
            return rows.clone();
        }
        let mut scratch = Table::new("sockets");
        sockets::collect(self, &mut scratch);
        for w in scratch.warnings {
            table.warn(w);
        }
        self.sockets = Some(scratch.rows.clone());
        scratch.rows
    }
}

/// Collects tables; keeps the digest cache between collections.
pub struct Collector {
    opts: Options,
    hasher: Hasher,
}

impl Collector {
    pub fn new(opts: Options) -> Collector {
        let hasher = Hasher::new(opts.hash_rate);
        Collector { opts, hasher }
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Digest counters of the last collection.
    pub fn hash_stats(&self) -> HashStats {
        self.hasher.stats()
    }

    /// Collects `tables` (all when empty) in [`TableKind::ALL`] order.
    pub fn collect(&mut self, tables: &[TableKind]) -> Snapshot {
        self.hasher.next_collection();
        let time_unix_ns = util::now_unix_ns();
        let mut ctx = Ctx::new(&self.opts, &mut self.hasher);
        let mut out = Vec::new();
        for kind in TableKind::ALL.iter().copied().filter(|k| tables.is_empty() || tables.contains(k)) {
            let started = Instant::now();
            let mut table = Table::new(kind.name());
            collect_table(kind, &mut ctx, &mut table);
            table.elapsed_ms = started.elapsed().as_millis() as u64;
            if !table.warnings.is_empty() {
                tracing::warn!(
                    table = kind.name(),
                    skipped = table.warnings.len() as u64 + table.warnings_dropped,
                    first = %table.warnings[0],
                    "asset inputs skipped"
                );
            }
            out.push(table);
        }
        Snapshot { time_unix_ns, host: host::hostname(&self.opts), tables: out }
    }
}

fn collect_table(kind: TableKind, ctx: &mut Ctx<'_>, table: &mut Table) {
    match kind {
        TableKind::Host => host::collect(ctx, table),
        TableKind::Processes => processes::collect(ctx, table),
        TableKind::Sockets => {
            let rows = ctx.socket_rows(table);
            table.rows = rows;
        }
        TableKind::Users => users::collect_users(ctx, table),
        TableKind::Groups => users::collect_groups(ctx, table),
        TableKind::Packages => packages::collect(ctx, table),
        TableKind::PackageFiles => packages::dpkg::collect_integrity(ctx, table),
        TableKind::Services => services::collect(ctx, table),
        TableKind::Cron => cron::collect(ctx, table),
        TableKind::Modules => modules::collect(ctx, table),
        TableKind::Containers => containers::collect(ctx, table),
        TableKind::Apps => apps::collect(ctx, table),
        TableKind::Suid => suid::collect(ctx, table),
    }
}

/// Puts the calling thread in the SCHED_IDLE class: it runs on CPU time
/// nothing else wants (a background inventory must not slow the host's
/// work; on a saturated host it still advances, slowly). Failures are
/// logged, not fatal.
pub fn idle_scheduling() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 is the calling thread; `param` is a valid sched_param.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "cannot move the collector to SCHED_IDLE");
    }
}

/// Collects once with fresh caches.
pub fn collect(tables: &[TableKind], opts: &Options) -> Snapshot {
    Collector::new(opts.clone()).collect(tables)
}

/// Lowers the calling thread's CPU priority to `nice` and its I/O class to
/// idle, so a collection yields to the host's real work. Failures are
/// logged, not fatal: the collection is still correct, only less polite.
pub fn lower_priority(nice: i32) {
    // SAFETY: gettid, setpriority and ioprio_set act on the calling thread
    // only and take plain integers.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        if libc::setpriority(libc::PRIO_PROCESS, tid, nice) != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "cannot lower collector CPU priority");
        }
        // IOPRIO_WHO_PROCESS = 1, IOPRIO_CLASS_IDLE = 3 << 13.
        if libc::syscall(libc::SYS_ioprio_set, 1, tid, 3 << 13) != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "cannot lower collector I/O priority");
        }
    }
}

#[cfg(test)]
mod tests {
    /// The scheduling policy of the calling thread (field 41 of its stat).
    fn policy() -> u32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
        after_comm.split(' ').nth(38).unwrap().parse().unwrap()
    }

    #[test]
    fn collector_threads_yield_to_the_host() {
        let (nice, thread_policy) = std::thread::spawn(|| {
            super::lower_priority(10);
            super::idle_scheduling();
            // SAFETY: getpriority of the calling thread.
            let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::syscall(libc::SYS_gettid) as libc::id_t) };
            (nice, policy())
        })
        .join()
        .unwrap();
        assert_eq!(thread_policy as i32, libc::SCHED_IDLE, "SCHED_IDLE");
        assert!(nice >= 10, "nice {nice}");
        assert_eq!(policy(), 0, "only the collector thread changes, not this one");
    }
}
