//! Live: a real container in the private test dockerd is found from its
//! init process's cgroup and resolved through the Docker API; a container
//! that lives and is removed before anyone asks is still described.
//!
//! Needs root and `scripts/dockerd-for-tests.sh` (docker.io, busybox-static);
//! skipped with a message otherwise, failed when PANOPTES_PRIVILEGED_TESTS=1.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use panoptes_container::{from_proc_cgroup, ContainerRef, Resolver, ResolverOptions, Runtime};
use support::eventually;
use support::live::{docker, docker_ready, nowhere, output, unique, DOCKER_SOCKET, IMAGE};

/// Removes the container however the test ends.
struct Removed(String);

impl Drop for Removed {
    fn drop(&mut self) {
        let _ = output("docker", &["-H", &format!("unix://{DOCKER_SOCKET}"), "rm", "-f", &self.0]);
    }
}

/// A resolver that knows only the test dockerd.
fn docker_resolver(dir: &Path) -> Resolver {
    Resolver::start(ResolverOptions {
        docker_socket: PathBuf::from(DOCKER_SOCKET),
        containerd_socket: nowhere(dir, "containerd.sock"),
        podman_socket: nowhere(dir, "podman.sock"),
        crio_socket: nowhere(dir, "crio.sock"),
        ..ResolverOptions::default()
    })
}

#[test]
fn docker_container_resolves_from_its_cgroup() {
    if !docker_ready() {
        return;
    }
    let name = unique("panoptes-live");
    let id = docker(&["run", "-d", "--name", &name, "--label", "team=blue", "--network", "none", IMAGE, "sleep", "30"]);
    let _cleanup = Removed(name.clone());
    assert_eq!(id.len(), 64, "docker run printed {id:?}");

    let pid = docker(&["inspect", "-f", "{{.State.Pid}}", &id]);
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("read the container's cgroup");
    let found = from_proc_cgroup(&cgroup).unwrap_or_else(|| panic!("no container in {cgroup}"));
    assert_eq!((found.id.as_str(), found.runtime), (id.as_str(), Runtime::Docker), "{cgroup}");

    let image_id = docker(&["inspect", "-f", "{{.Image}}", &id]);
    let dir = tempfile::tempdir().unwrap();
    let resolver = docker_resolver(dir.path());
    assert!(
        eventually(Duration::from_secs(10), || resolver.lookup(&found).name.is_some()),
        "no metadata: {:?}",
        resolver.stats()
    );
    let c = resolver.lookup(&found);
    assert_eq!(c.id, id);
    assert_eq!(c.runtime, "docker");
    assert_eq!(c.name.as_deref(), Some(name.as_str()));
    assert_eq!(c.image.as_deref(), Some(IMAGE));
    assert_eq!(c.image_id.as_deref(), Some(image_id.as_str()));
    assert_eq!(c.labels.get("team").map(String::as_str), Some("blue"));
    assert_eq!(resolver.stats().warnings, 0, "{:?}", resolver.stats());

    // The daemon's destroy event reaches the watch.
    docker(&["rm", "-f", &name]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(resolver.lookup(&found).name.as_deref(), Some(name.as_str()), "kept through the grace period");
}

/// `docker run --rm` of a command that exits at once: the container is
/// gone before the first lookup, yet its name and image are known (from the
/// daemon's events, which the resolver follows from its start).
#[test]
fn a_container_removed_before_any_lookup_is_still_described() {
    if !docker_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let resolver = docker_resolver(dir.path());
    // The watch subscribes as the resolver starts: a container created and
    // removed with no lookup shows when it is following.
    let probe = unique("panoptes-probe");
    docker(&["create", "--name", &probe, "--network", "none", IMAGE, "true"]);
    docker(&["rm", &probe]);
    assert!(eventually(Duration::from_secs(10), || resolver.stats().cached >= 1), "{:?}", resolver.stats());
    let name = unique("panoptes-brief");
    let cidfile = dir.path().join("cid");
    let cid = cidfile.to_string_lossy();
    docker(&[
        "run",
        "--rm",
        "--cidfile",
        &cid,
        "--name",
        &name,
        "--label",
        "team=amber",
        "--network",
        "none",
        IMAGE,
        "true",
    ]);
    let id = std::fs::read_to_string(&cidfile).expect("docker wrote the container id");
    let gone = docker(&["ps", "-a", "-q", "--no-trunc", "--filter", &format!("id={id}")]);
    assert!(gone.is_empty(), "the container was removed: {gone:?}");

    let r = ContainerRef { id: id.trim().to_owned(), runtime: Runtime::Docker, pod_uid: None };
    assert!(
        eventually(Duration::from_secs(5), || resolver.lookup(&r).name.is_some()),
        "no metadata: {:?}",
        resolver.stats()
    );
    let c = resolver.lookup(&r);
    assert_eq!((c.name.as_deref(), c.image.as_deref()), (Some(name.as_str()), Some(IMAGE)));
    assert_eq!(c.labels.get("team").map(String::as_str), Some("amber"));
    assert_eq!(resolver.stats().warnings, 0, "{:?}", resolver.stats());
}
