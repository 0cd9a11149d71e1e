//! Which container a process is in, read from its cgroup path.
//!
//! Every container runtime puts a container's processes in a cgroup whose
//! path carries the full 64-hex container id, in a shape that also tells the
//! runtime: `/docker/<id>`, `/system.slice/docker-<id>.scope`,
//! `.../cri-containerd-<id>.scope`, `.../crio-<id>.scope`,
//! `/machine.slice/libpod-<id>.scope`, `/kubepods/<qos>/pod<uid>/<id>`, ...
//! (cgroup v1 and v2 alike). [`parse_cgroup_path`] recognises those shapes
//! and nothing else: a path without a container id (the host, a user
//! session, this machine's `/process_api/<hex>`) is `None`, never a guess.
//!
//! The path is scanned from the leaf up, so a process in a sub-cgroup a
//! container made for itself (`libpod-<id>.scope/container`, nested
//! `init.scope`) still belongs to that container.
//!
//! containerd (cgroupfs) puts a container at `/<namespace>/<id>`. A bare id
//! is taken for containerd's only under `default`, `moby` and `k8s.io`; for
//! any other namespace [`parse_namespaced_path`] needs to be told which
//! names are containerd's namespaces (the resolver learns them from
//! containerd), since a directory name alone cannot say so.

use std::fmt;

/// Length of a full container id in hex digits.
const ID_LEN: usize = 64;

/// The container runtime that created a container, as told by its cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Runtime {
    Docker,
    Containerd,
    CriO,
    Podman,
}

impl Runtime {
    /// Every runtime, in a fixed order (used to index per-runtime state).
    pub const ALL: [Runtime; 4] = [Runtime::Docker, Runtime::Containerd, Runtime::CriO, Runtime::Podman];

    /// The name used in events (`container.runtime`).
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Containerd => "containerd",
            Runtime::CriO => "cri-o",
            Runtime::Podman => "podman",
        }
    }

    /// Position in [`Runtime::ALL`].
    pub(crate) fn index(self) -> usize {
        match self {
            Runtime::Docker => 0,
            Runtime::Containerd => 1,
            Runtime::CriO => 2,
            Runtime::Podman => 3,
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A container as named by a cgroup path: enough to ask its runtime the rest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerRef {
    /// Full container id, 64 lowercase hex digits.
    pub id: String,
    pub runtime: Runtime,
    /// Kubernetes pod uid (with dashes) when the path is under `kubepods`.
    pub pod_uid: Option<String>,
}

impl ContainerRef {
    /// The container of process `pid`, from `/proc/<pid>/cgroup`;
    /// `Ok(None)` for a process on the host.
    pub fn from_pid(pid: u32) -> std::io::Result<Option<ContainerRef>> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))?;
        Ok(from_proc_cgroup(&text))
    }
}

/// The container named by the text of a `/proc/<pid>/cgroup` file: every
/// line is tried (`N:controllers:/path` for v1, `0::/path` for v2) and the
/// first that names a container wins.
pub fn from_proc_cgroup(text: &str) -> Option<ContainerRef> {
    text.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let _hierarchy = fields.next()?;
        let _controllers = fields.next()?;
        parse_cgroup_path(fields.next()?.trim_end())
    })
}

/// The container named by one cgroup path, or `None` when the path is not a
/// container's.
pub fn parse_cgroup_path(path: &str) -> Option<ContainerRef> {
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let under_kubepods = components.iter().any(|c| c.starts_with("kubepods"));
    for (depth, component) in components.iter().enumerate().rev() {
        let parent = depth.checked_sub(1).and_then(|p| components.get(p)).copied();
        if let Some((id, runtime)) = container_in(component, parent, under_kubepods) {
            let pod_uid = if under_kubepods { components[..depth].iter().find_map(|c| pod_uid_in(c)) } else { None };
            return Some(ContainerRef { id: id.to_owned(), runtime, pod_uid });
        }
    }
    None
}

/// The container a path names as `<namespace>/<id>` (innermost first)
/// where `is_namespace` says the parent is one of containerd's namespaces:
/// containerd's cgroupfs layout for namespaces [`parse_cgroup_path`] does
/// not know.
pub fn parse_namespaced_path(path: &str, is_namespace: impl Fn(&str) -> bool) -> Option<ContainerRef> {
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    components.windows(2).rev().find_map(|pair| {
        let [namespace, id] = pair else { return None };
        (is_container_id(id) && is_namespace(namespace)).then(|| ContainerRef {
            id: (*id).to_owned(),
            runtime: Runtime::Containerd,
            pod_uid: None,
        })
    })
}

/// The container id and runtime one path component names, given its parent.
fn container_in<'a>(component: &'a str, parent: Option<&str>, under_kubepods: bool) -> Option<(&'a str, Runtime)> {
    if is_container_id(component) {
        // A bare id names its runtime only through its parent: dockerd's
        // cgroupfs parent, a containerd namespace, or a kubelet pod cgroup
        // (cgroupfs driver), where containerd is by far the common runtime.
        return match parent? {
            "docker" => Some((component, Runtime::Docker)),
            "default" | "moby" | "k8s.io" => Some((component, Runtime::Containerd)),
            p if under_kubepods && p.starts_with("pod") => Some((component, Runtime::Containerd)),
            _ => None,
        };
    }
    let unit = component.strip_suffix(".scope").unwrap_or(component);
    // The monitors (conmon) sit beside the container: not the container.
    if unit.starts_with("crio-conmon-") || unit.starts_with("libpod-conmon-") {
        return None;
    }
    const PREFIXES: [(&str, Runtime); 6] = [
        ("docker-", Runtime::Docker),
        ("cri-containerd-", Runtime::Containerd),
        ("nerdctl-", Runtime::Containerd),
        ("crio-", Runtime::CriO),
        ("libpod-", Runtime::Podman),
        ("cri-dockerd-", Runtime::Docker),
    ];
    PREFIXES.iter().find_map(|(prefix, runtime)| {
        let id = unit.strip_prefix(prefix)?;
        is_container_id(id).then_some((id, *runtime))
    })
}

/// The pod uid a kubelet pod cgroup names: `pod<uid>` (cgroupfs driver) or
/// `kubepods[-<qos>]-pod<uid_with_underscores>.slice` (systemd driver).
fn pod_uid_in(component: &str) -> Option<String> {
    let raw = match component.strip_suffix(".slice") {
        Some(slice) => slice.strip_prefix("kubepods")?.rsplit_once("-pod")?.1,
        None => component.strip_prefix("pod")?,
    };
    let plausible = (32..=36).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-' || b == b'_')
        && raw.bytes().filter(u8::is_ascii_hexdigit).count() == 32;
    plausible.then(|| raw.replace('_', "-").to_ascii_lowercase())
}

/// A full container id: exactly 64 lowercase hex digits.
fn is_container_id(s: &str) -> bool {
    s.len() == ID_LEN && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
#[path = "cgroup_tests.rs"]
mod tests;
