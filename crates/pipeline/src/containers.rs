//! Container enrichment on the event path: the process's cgroup path (read
//! by the kernel at exec) names the container; the resolver answers from
//! its cache at once and fetches metadata in the background, so this never
//! waits on a runtime socket.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use config::ContainersConfig;
use container::{ContainerRef, Resolver, ResolverOptions, Runtime};
use event::{Container, Event, Process};

use crate::counters::Counters;

/// Parsed cgroup paths kept (a host has few distinct ones).
const PARSE_CACHE: usize = 4096;
/// Events held at most while metadata is fetched; past it the oldest go
/// out without it.
const MAX_HELD: usize = 65_536;

struct Held {
    until: Instant,
    ev: Event,
    wanted: bool,
}

pub struct Containers {
    resolver: Resolver,
    parsed: HashMap<String, Option<ContainerRef>>,
    /// The resolver's containerd namespace version `parsed` was made with
    /// (a path that named no container may name one under a namespace
    /// learned since).
    parsed_version: u64,
    /// How long an event may wait for its container's metadata.
    wait: Duration,
    held: VecDeque<Held>,
}

impl Containers {
    pub fn start(cfg: &ContainersConfig) -> Containers {
        let resolver = Resolver::start(ResolverOptions {
            docker_socket: cfg.docker_socket.clone(),
            containerd_socket: cfg.containerd_socket.clone(),
            podman_socket: cfg.podman_socket.clone(),
            crio_socket: cfg.crio_socket.clone(),
            ..ResolverOptions::default()
        });
        Containers {
            resolver,
            parsed: HashMap::new(),
            parsed_version: 0,
            wait: cfg.metadata_wait,
            held: VecDeque::new(),
        }
    }

    /// The event's container metadata is on its way: a fetch is in flight
    /// and its runtime is not known to be down.
    fn incomplete(&self, ev: &Event) -> bool {
        ev.container.as_ref().is_some_and(|c| {
            let down = Runtime::ALL.iter().any(|r| r.as_str() == c.runtime && self.resolver.is_down(*r));
            c.name.is_none() && !down && self.resolver.is_pending(&c.id)
        })
    }

    /// Holds `ev` when its container's metadata is on the way (or when
    /// earlier events are held, to keep order); otherwise returns what can
    /// go out now.
    pub fn hold(&mut self, ev: Event, wanted: bool, counters: &Counters) -> Option<Vec<(Event, bool)>> {
        if self.held.is_empty() && !self.incomplete(&ev) {
            return Some(vec![(ev, wanted)]);
        }
        self.held.push_back(Held { until: Instant::now() + self.wait, ev, wanted });
        (self.held.len() > MAX_HELD).then(|| self.release(counters, false))
    }

    /// Held events that may go now, in order, with their container looked
    /// up again.
    pub fn release(&mut self, counters: &Counters, all: bool) -> Vec<(Event, bool)> {
        let now = Instant::now();
        let mut out = Vec::new();
        while let Some(mut front) = self.held.pop_front() {
            if front.ev.container.as_ref().is_some_and(|c| c.name.is_none()) {
                front.ev.container = self.lookup(&front.ev.process);
            }
            let incomplete = self.incomplete(&front.ev);
            let overdue = all || front.until <= now || self.held.len() >= MAX_HELD;
            if incomplete && !overdue {
                self.held.push_front(front);
                break;
            }
            if incomplete {
                counters.container_wait_expired.fetch_add(1, Ordering::Relaxed);
            }
            out.push((front.ev, front.wanted));
        }
        out
    }

    /// The container of `process`, or `None` on the host.
    pub fn lookup(&mut self, process: &Process) -> Option<Container> {
        let cgroup = process.cgroup.as_deref()?;
        let version = self.resolver.namespaces_version();
        if version != self.parsed_version {
            self.parsed.clear();
            self.parsed_version = version;
        }
        let parsed = match self.parsed.get(cgroup) {
            Some(parsed) => parsed.clone(),
            None => {
                if self.parsed.len() >= PARSE_CACHE {
                    self.parsed.clear();
                }
                let parsed = self.resolver.container_ref(cgroup);
                self.parsed.insert(cgroup.to_string(), parsed.clone());
                parsed
            }
        };
        parsed.map(|r| self.resolver.lookup(&r))
    }

    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }
}
