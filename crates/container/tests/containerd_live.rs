//! Live: a container started with `ctr` in the containerd that the private
//! test dockerd manages is found from its cgroup (`/default/<id>`) and
//! resolved through the containerd gRPC API; one that is created, runs and
//! is deleted before anyone asks is still described.
//!
//! Needs root and `scripts/dockerd-for-tests.sh` (docker.io brings
//! containerd and ctr); skipped with a message otherwise, failed when
//! PANOPTES_PRIVILEGED_TESTS=1.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use panoptes_container::{from_proc_cgroup, ContainerRef, Resolver, ResolverOptions, Runtime};
use support::eventually;
use support::live::{
    docker_ready, nowhere, output, run, unavailable, unique_id, CONTAINERD_SOCKET, DOCKER_SOCKET, IMAGE,
};

/// containerd namespace of the test container (one the resolver asks).
const NAMESPACE: &str = "default";
/// How the imported image is named inside containerd.
const CTR_IMAGE: &str = "docker.io/panoptes-test/busybox:latest";

fn ctr(args: &[&str]) -> String {
    ctr_in(NAMESPACE, args)
}

fn ctr_in(namespace: &str, args: &[&str]) -> String {
    let mut all = vec!["-a", CONTAINERD_SOCKET, "-n", namespace];
    all.extend_from_slice(args);
    run("ctr", &all)
}

/// Kills and deletes the task and container however the test ends.
struct Removed {
    namespace: String,
    id: String,
}

impl Removed {
    fn new(namespace: &str, id: &str) -> Removed {
        Removed { namespace: namespace.to_owned(), id: id.to_owned() }
    }
}

impl Drop for Removed {
    fn drop(&mut self) {
        let base = ["-a", CONTAINERD_SOCKET, "-n", self.namespace.as_str()];
        let id = self.id.as_str();
        let _ = output("ctr", &[&base[..], &["tasks", "kill", "-s", "SIGKILL", id]].concat());
        for _ in 0..50 {
            let out = output("ctr", &[&base[..], &["tasks", "rm", "-f", id]].concat());
            if out.status.success() || String::from_utf8_lossy(&out.stderr).contains("not found") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = output("ctr", &[&base[..], &["containers", "rm", id]].concat());
    }
}

/// A containerd namespace of the test's own (named `panoptes-TAG-<unique>`),
/// emptied and removed however the test ends.
struct Namespace(String);

impl Namespace {
    fn new(tag: &str) -> Namespace {
        Namespace(format!("panoptes-{tag}-{}", &unique_id()[16..32]))
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let ns = self.0.as_str();
        let list = |what: &[&str]| -> Vec<String> {
            let out = output("ctr", &[&["-a", CONTAINERD_SOCKET, "-n", ns][..], what].concat());
            String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
        };
        let remove = |what: &[&str], names: Vec<String>| {
            for name in names {
                let _ = output("ctr", &[&["-a", CONTAINERD_SOCKET, "-n", ns][..], what, &[name.as_str()]].concat());
            }
        };
        remove(&["images", "rm"], list(&["images", "ls", "-q"]));
        let snapshots = list(&["snapshots", "ls"])
            .iter()
            .skip(1)
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .collect();
        remove(&["snapshots", "rm"], snapshots);
        remove(&["content", "rm"], list(&["content", "ls", "-q"]));
        let _ = output("ctr", &["-a", CONTAINERD_SOCKET, "namespaces", "rm", ns]);
    }
}

/// The pid of task `id` in `namespace`.
fn task_pid(namespace: &str, id: &str) -> String {
    ctr_in(namespace, &["tasks", "ls"])
        .lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some(id)).then(|| f.next().map(str::to_owned)).flatten()
        })
        .expect("the task's pid in `ctr tasks ls`")
}

/// The test image inside containerd's `default` namespace, imported from dockerd.
fn import_image() {
    import_image_in(NAMESPACE);
}

fn import_image_in(namespace: &str) {
    if ctr_in(namespace, &["images", "ls", "-q"]).lines().any(|l| l == CTR_IMAGE) {
        return;
    }
    let save = format!(
        "docker -H unix://{DOCKER_SOCKET} save {IMAGE} | ctr -a {CONTAINERD_SOCKET} -n {namespace} images import -"
    );
    run("sh", &["-c", &save]);
}

/// A resolver that knows only the test containerd.
fn containerd_resolver(dir: &Path) -> Resolver {
    Resolver::start(ResolverOptions {
        docker_socket: nowhere(dir, "docker.sock"),
        containerd_socket: PathBuf::from(CONTAINERD_SOCKET),
        podman_socket: nowhere(dir, "podman.sock"),
        crio_socket: nowhere(dir, "crio.sock"),
        ..ResolverOptions::default()
    })
}

/// The test dockerd and its containerd are there (skips, or fails when
/// privileged tests are required, otherwise).
fn containerd_ready() -> bool {
    if !docker_ready() {
        return false;
    }
    if !Path::new(CONTAINERD_SOCKET).exists() {
        unavailable(&format!("dockerd's containerd socket {CONTAINERD_SOCKET} is missing"));
        return false;
    }
    true
}

#[test]
fn ctr_container_resolves_through_containerd() {
    if !containerd_ready() {
        return;
    }
    import_image();
    let id = unique_id();
    ctr(&["run", "-d", "--label", "team=green", CTR_IMAGE, &id, "sleep", "30"]);
    let _cleanup = Removed::new(NAMESPACE, &id);

    let pid = task_pid(NAMESPACE, &id);
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("read the task's cgroup");
    let found = from_proc_cgroup(&cgroup).unwrap_or_else(|| panic!("no container in {cgroup}"));
    assert_eq!((found.id.as_str(), found.runtime), (id.as_str(), Runtime::Containerd), "{cgroup}");

    let digest = ctr(&["images", "ls"])
        .lines()
        .find(|l| l.starts_with(CTR_IMAGE))
        .and_then(|l| l.split_whitespace().find(|f| f.starts_with("sha256:")))
        .map(str::to_owned)
        .expect("the image digest in `ctr images ls`");

    let dir = tempfile::tempdir().unwrap();
    let resolver = containerd_resolver(dir.path());
    assert!(
        eventually(Duration::from_secs(10), || resolver.lookup(&found).image.is_some()),
        "no metadata: {:?}",
        resolver.stats()
    );
    let c = resolver.lookup(&found);
    assert_eq!(c.id, id);
    assert_eq!(c.runtime, "containerd");
    assert_eq!(c.image.as_deref(), Some(CTR_IMAGE));
    assert_eq!(c.image_id.as_deref(), Some(digest.as_str()));
    assert_eq!(c.labels.get("team").map(String::as_str), Some("green"));
    assert_eq!(c.name, None, "ctr containers have no name label");
    assert_eq!(resolver.stats().warnings, 0, "{:?}", resolver.stats());
}

/// `ctr run --rm` of a command that exits at once: the container is
/// deleted before the first lookup, yet it is known from its creation.
#[test]
fn a_ctr_container_deleted_before_any_lookup_is_still_described() {
    if !containerd_ready() {
        return;
    }
    import_image();
    let dir = tempfile::tempdir().unwrap();
    let resolver = containerd_resolver(dir.path());
    // The watch subscribes as the resolver starts: a container created and
    // deleted with no lookup shows when it is following.
    let probe = unique_id();
    ctr(&["containers", "create", CTR_IMAGE, &probe, "true"]);
    ctr(&["containers", "rm", &probe]);
    assert!(eventually(Duration::from_secs(10), || resolver.stats().cached >= 1), "{:?}", resolver.stats());
    // Docker's containers (namespace `moby`) are left to the Docker watch:
    // the cache is shared and keyed by id.
    let docker = format!("unix://{DOCKER_SOCKET}");
    let cidfile = dir.path().join("cid");
    let cid = cidfile.to_string_lossy();
    run("docker", &["-H", &docker, "run", "--rm", "--cidfile", &cid, "--network", "none", IMAGE, "true"]);
    let docker_id = std::fs::read_to_string(&cidfile).expect("docker wrote the container id").trim().to_owned();
    let id = unique_id();
    ctr(&["run", "--rm", "--label", "team=violet", CTR_IMAGE, &id, "true"]);
    assert!(!ctr(&["containers", "ls", "-q"]).lines().any(|l| l == id), "the container was deleted");

    let r = ContainerRef { id: id.clone(), runtime: Runtime::Containerd, pod_uid: None };
    assert!(
        eventually(Duration::from_secs(5), || resolver.lookup(&r).image.is_some()),
        "no metadata: {:?}",
        resolver.stats()
    );
    let c = resolver.lookup(&r);
    assert_eq!(c.image.as_deref(), Some(CTR_IMAGE));
    assert_eq!(c.labels.get("team").map(String::as_str), Some("violet"));
    // A creation in a namespace of its own is fetched from that namespace
    // (a lookup alone asks only moby, k8s.io, default and the namespaces
    // learned by then).
    let own = Namespace::new("own");
    import_image_in(&own.0);
    let other = unique_id();
    ctr_in(&own.0, &["run", "--rm", "--label", "team=indigo", CTR_IMAGE, &other, "true"]);
    let r = ContainerRef { id: other, runtime: Runtime::Containerd, pod_uid: None };
    assert!(
        eventually(Duration::from_secs(5), || resolver.lookup(&r).image.is_some()),
        "a container of namespace {} is not described: {:?}",
        own.0,
        resolver.stats()
    );
    assert_eq!(resolver.lookup(&r).labels.get("team").map(String::as_str), Some("indigo"));
    assert_eq!(resolver.stats().warnings, 0, "{:?}", resolver.stats());
    // (The lookup queues a fetch to a Docker socket that is not there.)
    let c = resolver.lookup(&ContainerRef { id: docker_id, runtime: Runtime::Docker, pod_uid: None });
    assert_eq!((c.runtime.as_str(), c.image), ("docker", None), "Docker's container is not containerd's");
}

/// A container in a containerd namespace of its own has the cgroup
/// `/<namespace>/<id>`, which names no runtime by itself: the resolver
/// learns containerd's namespaces (listed when its watch subscribes, then
/// from `/namespaces/create`), takes such paths for containers and fetches
/// them from those namespaces.
#[test]
fn containers_of_other_namespaces_are_found_from_their_cgroup() {
    if !containerd_ready() {
        return;
    }
    // Before the resolver starts: a namespace with a running container.
    let before = Namespace::new("before");
    import_image_in(&before.0);
    let id = unique_id();
    ctr_in(&before.0, &["run", "-d", "--label", "team=amber", CTR_IMAGE, &id, "sleep", "30"]);
    let _running = Removed::new(&before.0, &id);
    let pid = task_pid(&before.0, &id);
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("read the task's cgroup");
    let cgroup = text
        .lines()
        .find_map(|l| l.splitn(3, ':').nth(2).filter(|p| p.contains(&id)))
        .unwrap_or_else(|| panic!("no cgroup path with the id in {text}"))
        .to_owned();
    assert_eq!(cgroup, format!("/{}/{id}", before.0), "containerd's cgroupfs layout");
    assert_eq!(from_proc_cgroup(&text), None, "the path alone names no container");

    let dir = tempfile::tempdir().unwrap();
    let resolver = containerd_resolver(dir.path());
    assert!(
        eventually(Duration::from_secs(10), || resolver.container_ref(&cgroup).is_some()),
        "namespace {} not learned: {:?}",
        before.0,
        resolver.stats()
    );
    let r = resolver.container_ref(&cgroup).unwrap();
    assert_eq!((r.id.as_str(), r.runtime), (id.as_str(), Runtime::Containerd));
    assert!(
        eventually(Duration::from_secs(5), || resolver.lookup(&r).image.is_some()),
        "not fetched from namespace {}: {:?}",
        before.0,
        resolver.stats()
    );
    let c = resolver.lookup(&r);
    assert_eq!(c.image.as_deref(), Some(CTR_IMAGE));
    assert_eq!(c.labels.get("team").map(String::as_str), Some("amber"));

    // While it runs: a namespace created now, and a container in it that is
    // gone before anyone asks.
    let version = resolver.namespaces_version();
    let after = Namespace::new("after");
    import_image_in(&after.0);
    let short = unique_id();
    ctr_in(&after.0, &["run", "--rm", "--label", "team=olive", CTR_IMAGE, &short, "true"]);
    let path = format!("/{}/{short}", after.0);
    assert!(
        eventually(Duration::from_secs(5), || resolver.container_ref(&path).is_some()),
        "namespace {} not learned from its creation: {:?}",
        after.0,
        resolver.stats()
    );
    assert!(resolver.namespaces_version() > version, "learning a namespace changes the version");
    let r = resolver.container_ref(&path).unwrap();
    assert!(eventually(Duration::from_secs(5), || resolver.lookup(&r).image.is_some()), "{:?}", resolver.stats());
    assert_eq!(resolver.lookup(&r).labels.get("team").map(String::as_str), Some("olive"));

    assert_eq!(resolver.container_ref(&format!("/not-a-namespace/{short}")), None);
    assert_eq!(resolver.stats().warnings, 0, "{:?}", resolver.stats());
}
