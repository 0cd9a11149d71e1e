//! The background side of the resolver: one task per runtime that takes
//! fetch requests from its bounded queue and answers them into the cache,
//! plus the runtime's event watch and a periodic cache sweep.
//!
//! A request that fails stays at the head of its queue and is retried after
//! the backoff [`Health`] gives, so a dead runtime costs one request per
//! backoff period however many lookups name it; the queue behind it fills
//! and further requests are dropped (and counted) by the lookup path.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use event::Container;
use tokio::sync::mpsc;

use crate::cgroup::{ContainerRef, Runtime};
use crate::containerd::ContainerdApi;
use crate::cri::CriApi;
use crate::docker::DockerApi;
use crate::error::FetchError;
use crate::health::Health;
use crate::resolver::{ResolverOptions, Shared};
use crate::stats::bump;

/// How often destroyed containers past their grace period are dropped.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// One runtime's client.
pub(crate) enum Backend {
    Docker(DockerApi),
    Containerd(ContainerdApi),
    Cri(CriApi),
}

impl Backend {
    pub fn for_runtime(runtime: Runtime, opts: &ResolverOptions) -> Backend {
        let timeout = opts.request_timeout;
        match runtime {
            Runtime::Docker => Backend::Docker(DockerApi::new(runtime, opts.docker_socket.clone(), timeout)),
            Runtime::Podman => Backend::Docker(DockerApi::new(runtime, opts.podman_socket.clone(), timeout)),
            Runtime::Containerd => Backend::Containerd(ContainerdApi::new(opts.containerd_socket.clone(), timeout)),
            Runtime::CriO => Backend::Cri(CriApi::new(opts.crio_socket.clone())),
        }
    }

    async fn fetch(&mut self, r: &ContainerRef, ctx: &Ctx) -> Result<Option<Container>, FetchError> {
        match self {
            Backend::Docker(api) => api.fetch(r).await,
            Backend::Containerd(api) => api.fetch(r, &ctx.shared.namespaces()).await,
            Backend::Cri(api) => api.fetch(r).await,
        }
    }

    /// Starts the runtime's event watch, where it has one.
    fn spawn_watch(&self, ctx: Ctx) {
        match self {
            Backend::Docker(api) => {
                tokio::task::spawn_local(api.clone().watch(ctx));
            }
            Backend::Containerd(_) => {
                let watcher = ContainerdApi::new(ctx.socket.clone(), ctx.opts.request_timeout);
                tokio::task::spawn_local(watcher.watch(ctx));
            }
            Backend::Cri(_) => {}
        }
    }
}

/// What a runtime's tasks share: the cache, the counters and the runtime's
/// health.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub runtime: Runtime,
    pub socket: PathBuf,
    pub opts: Arc<ResolverOptions>,
    pub shared: Arc<Shared>,
    health: Rc<RefCell<Health>>,
}

impl Ctx {
    pub fn new(runtime: Runtime, opts: Arc<ResolverOptions>, shared: Arc<Shared>) -> Ctx {
        let socket = opts.socket(runtime).to_path_buf();
        let health = Rc::new(RefCell::new(Health::new(runtime, opts.retry_min, opts.retry_max)));
        Ctx { runtime, socket, opts, shared, health }
    }

    /// The runtime answered.
    pub fn succeeded(&self) {
        self.health.borrow_mut().on_success(self.shared.counters.of(self.runtime));
    }

    /// A request failed; returns how long to wait before the next.
    pub fn failed(&self, error: &FetchError) -> Duration {
        self.health.borrow_mut().on_failure(error, &self.socket, self.shared.counters.of(self.runtime))
    }

    pub fn retry_min(&self) -> Duration {
        self.opts.retry_min
    }

    pub fn store(&self, container: Container) {
        let mut cache = self.shared.cache();
        let evicted = cache.insert_known(container);
        self.shared.counters.evictions.fetch_add(evicted, std::sync::atomic::Ordering::Relaxed);
    }

    /// Stores `container` unless its full metadata is already known (from
    /// an inspect, which says more than an event does).
    pub fn store_if_unknown(&self, container: Container) {
        let known = self.shared.cache().is_known(&container.id);
        if !known {
            self.store(container);
        }
    }

    fn store_unknown(&self, id: &str) {
        let until = Instant::now() + self.opts.not_found_ttl;
        let evicted = self.shared.cache().insert_unknown(id, until);
        self.shared.counters.evictions.fetch_add(evicted, std::sync::atomic::Ordering::Relaxed);
        bump(&self.shared.counters.not_found);
    }

    pub fn mark_gone(&self, id: &str) {
        self.shared.cache().mark_gone(id, Instant::now());
    }
}

/// Answers `runtime`'s fetch requests until the resolver stops.
pub(crate) async fn run(mut backend: Backend, ctx: Ctx, mut requests: mpsc::Receiver<ContainerRef>) {
    // A runtime whose socket is there is watched from the start, so that
    // containers are known from their creation; another is watched once it
    // first answers.
    let mut watching = ctx.socket.exists();
    if watching {
        backend.spawn_watch(ctx.clone());
    }
    while let Some(r) = requests.recv().await {
        loop {
            bump(&ctx.shared.counters.of(ctx.runtime).fetches);
            let timeout = ctx.opts.request_timeout;
            let answer = match tokio::time::timeout(timeout, backend.fetch(&r, &ctx)).await {
                Ok(answer) => answer,
                Err(_) => Err(FetchError::Timeout(timeout)),
            };
            match answer {
                Ok(found) => {
                    ctx.succeeded();
                    match found {
                        Some(container) => ctx.store(container),
                        None => ctx.store_unknown(&r.id),
                    }
                    if !watching {
                        watching = true;
                        backend.spawn_watch(ctx.clone());
                    }
                    break;
                }
                Err(error) => {
                    let wait = ctx.failed(&error);
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// Drops destroyed containers past their grace period.
pub(crate) async fn sweep(shared: Arc<Shared>, grace: Duration) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        shared.cache().sweep(Instant::now(), grace);
    }
}
