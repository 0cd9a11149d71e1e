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
/// A namespace the resolver does not ask on its own (no cgroup path names it).
const OTHER_NAMESPACE: &str = "panoptes-other";
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
struct Removed(String);

impl Drop for Removed {
    fn drop(&mut self) {
        let base = ["-a", CONTAINERD_SOCKET, "-n", NAMESPACE];
        let id = self.0.as_str();
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
    let _cleanup = Removed(id.clone());

    let pid = ctr(&["tasks", "ls"])
        .lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some(id.as_str())).then(|| f.next().map(str::to_owned)).flatten()
        })
        .expect("the task's pid in `ctr tasks ls`");
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
    // (a lookup alone asks only moby, k8s.io and default).
    import_image_in(OTHER_NAMESPACE);
    let other = unique_id();
    ctr_in(OTHER_NAMESPACE, &["run", "--rm", "--label", "team=indigo", CTR_IMAGE, &other, "true"]);
    let r = ContainerRef { id: other, runtime: Runtime::Containerd, pod_uid: None };
    assert!(
        eventually(Duration::from_secs(5), || resolver.lookup(&r).image.is_some()),
        "a container of namespace {OTHER_NAMESPACE} is not described: {:?}",
        resolver.stats()
    );
    assert_eq!(resolver.lookup(&r).labels.get("team").map(String::as_str), Some("indigo"));
    assert_eq!(resolver.stats().warnings, 0, "{:?}", resolver.stats());
    // (The lookup queues a fetch to a Docker socket that is not there.)
    let c = resolver.lookup(&ContainerRef { id: docker_id, runtime: Runtime::Docker, pod_uid: None });
    assert_eq!((c.runtime.as_str(), c.image), ("docker", None), "Docker's container is not containerd's");
}
