//! The processes table: pid, parent, user, start time, container,
//! executable with its SHA-256 and command line, from the shared /proc
//! pass. The digest is read through `/proc/<pid>/exe`, so deleted and
//! containerised executables are hashed as the process runs them; it is
//! cached and rate-limited by [`crate::hash`].

use crate::model::{row, Table};
use crate::proc::{boot_time, clock_ticks};
use crate::util::rfc3339;
use crate::Ctx;

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let procs = ctx.procs(table).to_vec();
    let proc_root = ctx.opts.proc_root.clone();
    let btime = boot_time(&proc_root).unwrap_or(0);
    let ticks = clock_ticks();
    let names: Vec<(u32, String)> = {
        let accounts = ctx.accounts(table);
        procs.iter().map(|p| (p.uid, accounts.user_name(p.uid))).collect()
    };
    for (p, (_, user)) in procs.iter().zip(names) {
        let sha = match &p.exe {
            Some(_) => match ctx.hasher.sha256(&proc_root.join(p.pid.to_string()).join("exe")) {
                Ok(hex) => hex,
                Err(e) => {
                    // Exited meanwhile, or a file we may not read: the row stays.
                    tracing::debug!(pid = p.pid, error = %e, "exe not hashed");
                    String::new()
                }
            },
            None => String::new(),
        };
        let start = btime as i64 + (p.start_ticks / ticks) as i64;
        table.push(row([
            ("pid", p.pid.to_string()),
            ("ppid", p.ppid.to_string()),
            ("comm", p.comm.clone()),
            ("uid", p.uid.to_string()),
            ("user", user),
            ("start_time", rfc3339(start)),
            ("container", p.container_id()),
            ("exe", p.exe.clone().unwrap_or_default()),
            ("exe_sha256", sha),
            ("cmdline", p.cmdline()),
        ]));
    }
}
