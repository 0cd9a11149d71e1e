//! [`Resolver`]: container metadata for the event path, which never waits
//! on a runtime socket.
//!
//! `lookup` answers from the cache at once: full metadata when a runtime
//! has answered for the container, else the id-only container (id, runtime,
//! pod uid from the cgroup) while a fetch is queued for the background
//! thread. That thread runs a tokio current-thread runtime with one worker
//! per runtime (see [`crate::worker`]); each runtime has its own bounded,
//! de-duplicated request queue, so a dead Docker socket never delays
//! containerd answers, and a full queue drops requests with a count.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use event::Container;
use tokio::sync::{mpsc, oneshot};

use crate::cache::{Cache, Cached};
use crate::cgroup::{parse_cgroup_path, parse_namespaced_path, ContainerRef, Runtime};
use crate::metadata::id_only;
use crate::stats::{bump, Counters, Stats};
use crate::worker::{self, Backend, Ctx};

/// Where the runtimes listen and how patiently to ask them.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolverOptions {
    /// Docker Engine API socket.
    pub docker_socket: PathBuf,
    /// containerd gRPC socket.
    pub containerd_socket: PathBuf,
    /// podman's Docker-compatible API socket.
    pub podman_socket: PathBuf,
    /// CRI-O's CRI gRPC socket.
    pub crio_socket: PathBuf,
    /// Capacity of each runtime's fetch request queue.
    pub request_queue: usize,
    /// First wait before retrying a runtime that failed.
    pub retry_min: Duration,
    /// Longest wait between retries (the wait doubles up to it).
    pub retry_max: Duration,
    /// Longest wait for one answer from a runtime.
    pub request_timeout: Duration,
    /// How long a destroyed container stays resolvable, for late events.
    pub gone_grace: Duration,
    /// How long "the runtime does not know this id" is believed.
    pub not_found_ttl: Duration,
    /// Most containers (and not-found ids) kept; the oldest go first.
    pub cache_capacity: usize,
}

impl Default for ResolverOptions {
    fn default() -> Self {
        ResolverOptions {
            docker_socket: "/var/run/docker.sock".into(),
            containerd_socket: "/run/containerd/containerd.sock".into(),
            podman_socket: "/run/podman/podman.sock".into(),
            crio_socket: "/var/run/crio/crio.sock".into(),
            request_queue: 1024,
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            request_timeout: Duration::from_secs(2),
            gone_grace: Duration::from_secs(60),
            not_found_ttl: Duration::from_secs(30),
            cache_capacity: 4096,
        }
    }
}

impl ResolverOptions {
    /// The socket `runtime` is asked on.
    pub fn socket(&self, runtime: Runtime) -> &Path {
        match runtime {
            Runtime::Docker => &self.docker_socket,
            Runtime::Containerd => &self.containerd_socket,
            Runtime::CriO => &self.crio_socket,
            Runtime::Podman => &self.podman_socket,
        }
    }
}

/// State shared by the lookup path and the background thread.
#[derive(Debug)]
pub(crate) struct Shared {
    cache: Mutex<Cache>,
    pub counters: Counters,
    /// containerd's namespaces, as its watch learns them.
    namespaces: Mutex<BTreeSet<String>>,
    /// Bumped whenever `namespaces` grows.
    namespaces_version: AtomicU64,
}

impl Shared {
    fn new(cache: Cache) -> Shared {
        Shared {
            cache: Mutex::new(cache),
            counters: Counters::default(),
            namespaces: Mutex::default(),
            namespaces_version: AtomicU64::new(0),
        }
    }

    /// The cache; a poisoned lock is still a usable cache (every update to
    /// it is a single map operation).
    pub fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn namespace_set(&self) -> MutexGuard<'_, BTreeSet<String>> {
        self.namespaces.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// containerd has these namespaces (a new one bumps the version).
    pub fn learn_namespaces<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        let mut set = self.namespace_set();
        let mut grew = false;
        for name in names {
            if !name.is_empty() && !set.contains(name) {
                grew |= set.insert(name.to_owned());
            }
        }
        if grew {
            self.namespaces_version.fetch_add(1, Ordering::Release);
        }
    }

    /// containerd's namespaces learned so far.
    pub fn namespaces(&self) -> Vec<String> {
        self.namespace_set().iter().cloned().collect()
    }
}

/// Resolves container references to full container metadata without ever
/// blocking the caller. Dropping it stops its background thread.
pub struct Resolver {
    shared: Arc<Shared>,
    /// One request queue per runtime, in [`Runtime::ALL`] order.
    queues: Vec<mpsc::Sender<ContainerRef>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Resolver {
    /// Starts the background thread that talks to the runtimes. Nothing is
    /// asked of a runtime until a lookup names one of its containers.
    pub fn start(opts: ResolverOptions) -> Resolver {
        let shared = Arc::new(Shared::new(Cache::new(opts.cache_capacity)));
        let capacity = opts.request_queue.max(1);
        let (queues, receivers): (Vec<_>, Vec<_>) = Runtime::ALL.iter().map(|_| mpsc::channel(capacity)).unzip();
        let (stop, stopped) = oneshot::channel();
        let opts = Arc::new(opts);
        let background = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("panoptes-containers".into())
            .spawn(move || run_background(opts, background, receivers, stopped));
        let thread = match thread {
            Ok(handle) => Some(handle),
            Err(e) => {
                // Lookups still answer id-only; every fetch request is a counted drop.
                tracing::error!(error = %e, "cannot start the container resolver thread: containers carry only id and runtime");
                None
            }
        };
        Resolver { shared, queues, stop: Some(stop), thread }
    }

    /// The container `r` names: full metadata when known, else the id-only
    /// container while a fetch is queued. Never waits on a runtime.
    pub fn lookup(&self, r: &ContainerRef) -> Container {
        let counters = &self.shared.counters;
        let needs_fetch = {
            let mut cache = self.shared.cache();
            match cache.get(&r.id, Instant::now()) {
                Cached::Known(mut container) => {
                    bump(&counters.hits);
                    if container.pod_uid.is_none() {
                        container.pod_uid.clone_from(&r.pod_uid);
                    }
                    return *container;
                }
                Cached::Unknown => false,
                Cached::Absent => cache.begin_fetch(&r.id),
            }
        };
        bump(&counters.misses);
        if needs_fetch {
            let queued = self.queues.get(r.runtime.index()).is_some_and(|q| q.try_send(r.clone()).is_ok());
            if !queued {
                self.shared.cache().abandon_fetch(&r.id);
                bump(&counters.of(r.runtime).queue_drops);
            }
        }
        id_only(r)
    }

    /// The container a cgroup path names: one of the shapes
    /// [`parse_cgroup_path`] knows, or `/<namespace>/<id>` for a namespace
    /// this host's containerd has (learned by its watch). A `None` may
    /// become a container when [`Resolver::namespaces_version`] changes.
    pub fn container_ref(&self, cgroup: &str) -> Option<ContainerRef> {
        parse_cgroup_path(cgroup).or_else(|| {
            let set = self.shared.namespace_set();
            if set.is_empty() {
                return None;
            }
            parse_namespaced_path(cgroup, |ns| set.contains(ns))
        })
    }

    /// Changes whenever a containerd namespace is learned.
    pub fn namespaces_version(&self) -> u64 {
        self.shared.namespaces_version.load(Ordering::Acquire)
    }

    /// Metadata for `id` is being fetched right now (a caller may wait a
    /// little for it).
    pub fn is_pending(&self, id: &str) -> bool {
        self.shared.cache().is_pending(id)
    }

    /// The runtime's last request failed and it has not answered since
    /// (waiting for its metadata is pointless until it recovers).
    pub fn is_down(&self, runtime: Runtime) -> bool {
        self.shared.counters.of(runtime).down.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The resolver's counters now.
    pub fn stats(&self) -> Stats {
        let cached = self.shared.cache().known();
        self.shared.counters.snapshot(cached)
    }
}

impl Drop for Resolver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // Err only when the thread is already gone.
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("container resolver thread panicked");
            }
        }
    }
}

/// The background thread: one worker per runtime and the cache sweep, until
/// `stopped` fires.
fn run_background(
    opts: Arc<ResolverOptions>,
    shared: Arc<Shared>,
    receivers: Vec<mpsc::Receiver<ContainerRef>>,
    stopped: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the container resolver runtime: containers carry only id and runtime");
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        for (runtime, requests) in Runtime::ALL.into_iter().zip(receivers) {
            let backend = Backend::for_runtime(runtime, &opts);
            let ctx = Ctx::new(runtime, Arc::clone(&opts), Arc::clone(&shared));
            tokio::task::spawn_local(worker::run(backend, ctx, requests));
        }
        tokio::task::spawn_local(worker::sweep(Arc::clone(&shared), opts.gone_grace));
        // Err means the Resolver was dropped without a word: stop too.
        let _ = stopped.await;
    });
}
