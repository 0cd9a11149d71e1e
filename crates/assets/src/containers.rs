//! The containers table: every running container of every runtime the
//! container crate knows (Docker, containerd, CRI-O, podman), found from
//! the cgroups of running processes, with name, image and labels asked of
//! the runtime through [`container::Resolver`] when its socket exists.
//! No container, no row; a runtime without a socket leaves its containers
//! with id and runtime only (and says so once).

use std::collections::BTreeMap;
use std::time::Instant;

use container::{ContainerRef, Resolver, ResolverOptions, Runtime};

use crate::model::{row, Table};
use crate::Ctx;

/// A container as the process table shows it.
#[derive(Debug, Clone)]
struct Seen {
    reference: ContainerRef,
    /// Its first process: the one whose parent is outside it (0 if none is).
    init_pid: u32,
    processes: usize,
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let procs = ctx.procs(table).to_vec();
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let container_of: BTreeMap<u32, String> =
        procs.iter().filter_map(|p| Some((p.pid, p.container.as_ref()?.id.clone()))).collect();
    // Processes come sorted by pid: the first whose parent is outside the
    // container is its init.
    for p in &procs {
        let Some(c) = &p.container else { continue };
        let entry = seen.entry(c.id.clone()).or_insert(Seen { reference: c.clone(), init_pid: 0, processes: 0 });
        entry.processes += 1;
        if entry.init_pid == 0 && container_of.get(&p.ppid) != Some(&c.id) {
            entry.init_pid = p.pid;
        }
    }
    if seen.is_empty() {
        return;
    }
    let opts = ctx.opts;
    let resolver_opts = ResolverOptions {
        docker_socket: opts.docker_socket.clone(),
        containerd_socket: opts.containerd_socket.clone(),
        podman_socket: opts.podman_socket.clone(),
        crio_socket: opts.crio_socket.clone(),
        request_timeout: opts.container_wait,
        ..ResolverOptions::default()
    };
    let reachable = |r: Runtime| resolver_opts.socket(r).exists();
    let resolver =
        seen.values().any(|s| reachable(s.reference.runtime)).then(|| Resolver::start(resolver_opts.clone()));
    if let Some(resolver) = &resolver {
        for s in seen.values().filter(|s| reachable(s.reference.runtime)) {
            resolver.lookup(&s.reference);
        }
        let deadline = Instant::now() + opts.container_wait;
        while Instant::now() < deadline && seen.values().any(|s| resolver.is_pending(&s.reference.id)) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    let mut unreachable = Vec::new();
    for s in seen.values() {
        let runtime = s.reference.runtime;
        let meta = match &resolver {
            Some(r) if reachable(runtime) => r.lookup(&s.reference),
            _ => {
                if !unreachable.contains(&runtime) {
                    unreachable.push(runtime);
                }
                container::metadata::id_only(&s.reference)
            }
        };
        let labels = if meta.labels.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&meta.labels).unwrap_or_default()
        };
        table.push(row([
            ("id", meta.id),
            ("name", meta.name.unwrap_or_default()),
            ("image", meta.image.unwrap_or_default()),
            ("image_id", meta.image_id.unwrap_or_default()),
            ("runtime", meta.runtime),
            ("state", "running".to_string()),
            ("pid", s.init_pid.to_string()),
            ("processes", s.processes.to_string()),
            ("pod", meta.pod.unwrap_or_default()),
            ("namespace", meta.namespace.unwrap_or_default()),
            ("labels", labels),
        ]));
    }
    for runtime in unreachable {
        table.warn(format!(
            "{runtime} containers are running but {} does not exist: their names and images are unknown",
            resolver_opts.socket(runtime).display()
        ));
    }
}
