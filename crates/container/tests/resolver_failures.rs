//! The resolver against runtimes that are missing, hang, answer garbage, or
//! answer properly: lookups never wait, one warning per outage, retries
//! back off, metadata arrives when the runtime answers.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use event::Container;
use panoptes_container::{ContainerRef, Resolver, ResolverOptions, Runtime};
use support::{container_ref, eventually, FakeServer, Mode};

/// Far more than a cache lookup takes, far less than any socket timeout here.
const LOOKUP_LIMIT: Duration = Duration::from_millis(100);

fn options(dir: &Path) -> ResolverOptions {
    ResolverOptions {
        docker_socket: dir.join("docker.sock"),
        containerd_socket: dir.join("containerd.sock"),
        podman_socket: dir.join("podman.sock"),
        crio_socket: dir.join("crio.sock"),
        request_queue: 8,
        retry_min: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        request_timeout: Duration::from_millis(500),
        gone_grace: Duration::from_millis(300),
        not_found_ttl: Duration::from_secs(30),
        cache_capacity: 100,
    }
}

/// A lookup, checked to return at once.
fn quick_lookup(resolver: &Resolver, r: &ContainerRef) -> Container {
    let start = Instant::now();
    let c = resolver.lookup(r);
    let took = start.elapsed();
    assert!(took < LOOKUP_LIMIT, "lookup blocked for {took:?}");
    c
}

fn assert_id_only(c: &Container, r: &ContainerRef) {
    assert_eq!(c.id, r.id);
    assert_eq!(c.runtime, r.runtime.as_str());
    assert_eq!((&c.name, &c.image, &c.image_id, c.labels.len()), (&None, &None, &None, 0), "{c:?}");
}

/// Looks `r` up every 5 ms for `period`, checking each lookup is immediate
/// and id-only.
fn hammer(resolver: &Resolver, r: &ContainerRef, period: Duration) -> u64 {
    let end = Instant::now() + period;
    let mut n = 0;
    while Instant::now() < end {
        assert_id_only(&quick_lookup(resolver, r), r);
        n += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    n
}

#[test]
fn missing_socket_warns_once_backs_off_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let resolver = Resolver::start(opts.clone());
    let r = container_ref(1, Runtime::Docker);

    let lookups = hammer(&resolver, &r, Duration::from_millis(700));
    let early = resolver.stats().runtime(Runtime::Docker);
    hammer(&resolver, &r, Duration::from_millis(1300));
    let late = resolver.stats().runtime(Runtime::Docker);

    assert_eq!(late.warnings, 1, "one warning per outage, not per lookup or retry: {late:?}");
    assert!(late.down);
    // Tries at about 0, 50, 150, 350, 750, 1150, 1550, 1950 ms.
    assert!(early.fetches >= 3, "retried: {early:?}");
    assert!(late.fetches > early.fetches, "kept retrying: {early:?} then {late:?}");
    assert!(late.fetches <= 12, "backed off instead of retrying per lookup ({lookups}+ lookups): {late:?}");
    assert!(late.fetches - early.fetches <= 6, "backoff grew: {early:?} then {late:?}");
    assert_eq!(late.fetch_errors, late.fetches);
    assert_eq!(late.retries, late.fetch_errors);
    let others = resolver.stats().runtime(Runtime::Containerd);
    assert_eq!((others.fetches, others.warnings), (0, 0), "other runtimes untouched");

    // The runtime comes up: the parked request is retried and answered.
    let server = FakeServer::start(&opts.docker_socket, Mode::Docker);
    server.add_container(&r.id, "web", "nginx:1.27", "sha256:feed", &[("team", "blue")]);
    assert!(
        eventually(Duration::from_secs(3), || resolver.lookup(&r).name.is_some()),
        "metadata after recovery: {:?}",
        resolver.stats()
    );
    let c = quick_lookup(&resolver, &r);
    assert_eq!(c.name.as_deref(), Some("web"));
    let s = resolver.stats().runtime(Runtime::Docker);
    assert_eq!((s.warnings, s.recoveries, s.down), (1, 1, false), "{s:?}");

    // It goes away again: a new outage, a second warning, cached metadata kept.
    drop(server);
    assert!(
        eventually(Duration::from_secs(3), || resolver.stats().runtime(Runtime::Docker).warnings == 2),
        "second outage warned: {:?}",
        resolver.stats()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(resolver.stats().runtime(Runtime::Docker).warnings, 2);
    assert_eq!(quick_lookup(&resolver, &r).name.as_deref(), Some("web"));
}

#[test]
fn hanging_socket_times_out_with_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.request_timeout = Duration::from_millis(300);
    let server = FakeServer::start(&opts.docker_socket, Mode::Hang);
    let resolver = Resolver::start(opts);
    let r = container_ref(2, Runtime::Docker);

    hammer(&resolver, &r, Duration::from_millis(1800));
    let s = resolver.stats().runtime(Runtime::Docker);
    assert_eq!(s.warnings, 1, "{s:?}");
    assert!(s.fetch_errors >= 2, "timed out and retried: {s:?}");
    // Each try costs a 300 ms timeout plus a growing wait.
    assert!(s.fetches <= 8, "{s:?}");
    assert!(server.connections() >= 1);
}

#[test]
fn garbage_answers_warn_once() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let server = FakeServer::start(&opts.podman_socket, Mode::Garbage);
    let resolver = Resolver::start(opts);
    let r = container_ref(3, Runtime::Podman);

    hammer(&resolver, &r, Duration::from_millis(1500));
    let s = resolver.stats().runtime(Runtime::Podman);
    assert_eq!(s.warnings, 1, "{s:?}");
    assert!(s.fetch_errors >= 3, "{s:?}");
    assert!(s.fetches <= 10, "{s:?}");
    assert!(server.connections() >= 3, "each retry reconnects");
}

#[test]
fn grpc_runtimes_missing_warn_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let resolver = Resolver::start(options(dir.path()));
    let containerd = container_ref(4, Runtime::Containerd);
    let crio = ContainerRef { pod_uid: Some("pod-uid-1".into()), ..container_ref(5, Runtime::CriO) };

    let end = Instant::now() + Duration::from_millis(1200);
    while Instant::now() < end {
        assert_id_only(&quick_lookup(&resolver, &containerd), &containerd);
        let c = quick_lookup(&resolver, &crio);
        assert_eq!(c.pod_uid.as_deref(), Some("pod-uid-1"), "pod uid from the cgroup even without the runtime");
        std::thread::sleep(Duration::from_millis(5));
    }
    let s = resolver.stats();
    for runtime in [Runtime::Containerd, Runtime::CriO] {
        let rs = s.runtime(runtime);
        assert_eq!(rs.warnings, 1, "{rs:?}");
        assert!(rs.fetches >= 3 && rs.fetches <= 10, "{rs:?}");
    }
    assert_eq!(s.warnings, 2);
}

#[test]
fn queue_is_bounded_and_deduplicated() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.request_queue = 4;
    opts.retry_min = Duration::from_secs(5);
    let resolver = Resolver::start(opts);

    let same = container_ref(6, Runtime::Docker);
    for _ in 0..100 {
        quick_lookup(&resolver, &same);
    }
    assert_eq!(resolver.stats().queue_drops, 0, "repeated lookups queue one fetch");

    for n in 100..150 {
        quick_lookup(&resolver, &container_ref(n, Runtime::Docker));
    }
    let s = resolver.stats();
    // One request in the worker (parked behind the dead socket), four queued.
    assert!(s.queue_drops >= 50 - 5, "{s:?}");
    assert_eq!(s.queue_drops, s.runtime(Runtime::Docker).queue_drops);
    assert_eq!(s.misses, 150);
}

#[test]
fn docker_inspect_fills_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let server = FakeServer::start(&opts.docker_socket, Mode::Docker);
    let r = ContainerRef { pod_uid: Some("cgroup-pod".into()), ..container_ref(7, Runtime::Docker) };
    server.add_container(
        &r.id,
        "api",
        "registry.local/api:2",
        "sha256:abcd",
        &[("team", "blue"), ("io.kubernetes.pod.name", "api-0"), ("io.kubernetes.pod.namespace", "prod")],
    );
    let resolver = Resolver::start(opts);

    assert_id_only(&quick_lookup(&resolver, &r), &r);
    assert!(eventually(Duration::from_secs(3), || resolver.lookup(&r).name.is_some()), "{:?}", resolver.stats());
    let c = quick_lookup(&resolver, &r);
    assert_eq!(c.name.as_deref(), Some("api"));
    assert_eq!(c.image.as_deref(), Some("registry.local/api:2"));
    assert_eq!(c.image_id.as_deref(), Some("sha256:abcd"));
    assert_eq!(c.runtime, "docker");
    assert_eq!(c.labels.get("team").map(String::as_str), Some("blue"));
    assert_eq!((c.pod.as_deref(), c.namespace.as_deref()), (Some("api-0"), Some("prod")));
    assert_eq!(c.pod_uid.as_deref(), Some("cgroup-pod"));

    // An id the daemon does not know: asked once, then believed for a while.
    let unknown = container_ref(8, Runtime::Docker);
    quick_lookup(&resolver, &unknown);
    assert!(eventually(Duration::from_secs(3), || resolver.stats().not_found == 1));
    let inspects = server.inspects();
    for _ in 0..20 {
        assert_id_only(&quick_lookup(&resolver, &unknown), &unknown);
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.inspects(), inspects, "not-found answers are cached");

    let s = resolver.stats();
    assert_eq!((s.warnings, s.cached), (0, 1), "{s:?}");
    assert!(s.hits >= 1);
}

#[test]
fn podman_uses_the_docker_api_on_its_socket() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let server = FakeServer::start(&opts.podman_socket, Mode::Docker);
    let r = container_ref(9, Runtime::Podman);
    server.add_container(&r.id, "db", "quay.io/db:1", "sha256:0123", &[]);
    let resolver = Resolver::start(opts);
    quick_lookup(&resolver, &r);
    assert!(eventually(Duration::from_secs(3), || resolver.lookup(&r).name.as_deref() == Some("db")));
    assert_eq!(resolver.lookup(&r).runtime, "podman");
}

#[test]
fn events_keep_the_cache_true() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let server = FakeServer::start(&opts.docker_socket, Mode::Docker);
    let first = container_ref(10, Runtime::Docker);
    server.add_container(&first.id, "one", "busybox", "sha256:1", &[]);
    let resolver = Resolver::start(opts);
    quick_lookup(&resolver, &first);
    assert!(eventually(Duration::from_secs(3), || resolver.lookup(&first).name.is_some()));

    // start: fetched before anyone asks.
    let second = container_ref(11, Runtime::Docker);
    server.add_container(&second.id, "two", "busybox", "sha256:1", &[]);
    server.push_event("start", &second.id);
    assert!(eventually(Duration::from_secs(3), || resolver.stats().cached == 2), "{:?}", resolver.stats());
    let hits = resolver.stats().hits;
    assert_eq!(quick_lookup(&resolver, &second).name.as_deref(), Some("two"));
    assert_eq!(resolver.stats().hits, hits + 1);

    // rename: refetched.
    server.add_container(&second.id, "renamed", "busybox", "sha256:1", &[]);
    server.push_event("rename", &second.id);
    assert!(eventually(Duration::from_secs(3), || resolver.lookup(&second).name.as_deref() == Some("renamed")));

    // destroy: still resolvable for the grace period, then gone.
    server.remove_container(&first.id);
    server.push_event("destroy", &first.id);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(quick_lookup(&resolver, &first).name.as_deref(), Some("one"), "late events still resolve");
    assert!(
        eventually(Duration::from_secs(4), || resolver.stats().cached == 1),
        "dropped after the grace period: {:?}",
        resolver.stats()
    );
    assert_id_only(&quick_lookup(&resolver, &first), &first);
    assert_eq!(resolver.stats().warnings, 0);
}

/// A runtime whose socket is there is watched from the start: a container
/// is known from its `create` event before any lookup names it, and one
/// removed before it could be inspected is described by its events.
#[test]
fn containers_are_known_from_creation_even_when_short_lived() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let server = FakeServer::start(&opts.docker_socket, Mode::Docker);
    let resolver = Resolver::start(opts);

    let created = container_ref(20, Runtime::Docker);
    server.add_container(&created.id, "fresh", "busybox", "sha256:1", &[("team", "red")]);
    server.push_event_with("create", &created.id, &[("name", "fresh"), ("image", "busybox"), ("team", "red")]);
    assert!(eventually(Duration::from_secs(3), || resolver.stats().cached == 1), "{:?}", resolver.stats());
    let c = quick_lookup(&resolver, &created);
    assert_eq!((c.name.as_deref(), c.image_id.as_deref()), (Some("fresh"), Some("sha256:1")), "inspected: {c:?}");
    assert_eq!(resolver.stats().misses, 0, "known before the first lookup");

    // Created and removed before the inspect: the event's attributes stand in.
    let brief = container_ref(21, Runtime::Docker);
    server.push_event_with("create", &brief.id, &[("name", "brief"), ("image", "busybox:1"), ("team", "blue")]);
    // Destroyed without a create seen: the destroy event still names it.
    let gone = container_ref(22, Runtime::Docker);
    server.push_event_with("destroy", &gone.id, &[("name", "gone"), ("image", "alpine"), ("exitCode", "0")]);
    assert!(eventually(Duration::from_secs(3), || resolver.stats().cached == 3), "{:?}", resolver.stats());
    let c = quick_lookup(&resolver, &brief);
    assert_eq!(
        (c.name.as_deref(), c.image.as_deref(), c.image_id.as_deref()),
        (Some("brief"), Some("busybox:1"), None)
    );
    assert_eq!(c.labels.get("team").map(String::as_str), Some("blue"));
    let c = quick_lookup(&resolver, &gone);
    assert_eq!((c.name.as_deref(), c.labels.len()), (Some("gone"), 0), "exitCode is not a label: {c:?}");

    // An event never overwrites what an inspect said.
    server.push_event_with("destroy", &created.id, &[("name", "other"), ("image", "busybox")]);
    std::thread::sleep(Duration::from_millis(100));
    let c = quick_lookup(&resolver, &created);
    assert_eq!((c.name.as_deref(), c.image_id.as_deref()), (Some("fresh"), Some("sha256:1")));
    assert_eq!(resolver.stats().warnings, 0);
}
