//! The Panoptes event model: one [`Event`] type that every sensor produces and
//! every later stage (process tree, container enrichment, rules, sinks)
//! consumes.
//!
//! An event is a common header ([`Process`], times, container) plus a
//! kind-specific [`Body`]. Its JSON form is stable and documented in
//! `docs/events.md`: `{"kind": ..., "time": ..., "time_boot_ns": ...,
//! "process": {...}, "container": ..., "<body key>": {...}}`. Kind names and
//! body keys are defined once, in [`kind`], and nowhere else.
//! [`Event::from_json`] reads that shape back (whole or partial events).
//!
//! An [`Alert`] is a rule match: its JSON line (`"kind": "alert"`) carries
//! the matching events in their own JSON shape.

mod alert;
pub mod body;
mod de;
mod derived;
pub mod fields;
pub mod intern;
mod json;
pub mod kind;
pub mod lines;
pub mod names;
pub mod record;
#[cfg(any(test, feature = "samples"))]
pub mod samples;
pub mod time;

pub use alert::{Action, Alert, AlertProcess, KillBy, RuleRef, Severity, SeverityParseError};
pub use body::*;
pub use kind::EventKind;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One thing that happened on the host, as seen by a sensor and enriched.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// CLOCK_BOOTTIME nanoseconds when the kernel saw it.
    pub time_boot_ns: u64,
    /// Wall-clock nanoseconds since the Unix epoch (boot time + offset).
    pub time_unix_ns: u64,
    /// Who did it. Shared: a replay hands every event of one process the
    /// same copy; writers take it with `Arc::make_mut` (no copy while it is
    /// theirs alone).
    pub process: Arc<Process>,
    /// Which container it came from; `None` on the host or until the
    /// container resolver (a later stage) fills it.
    pub container: Option<Container>,
    /// What happened.
    pub body: Body,
}

impl Event {
    /// The kind, derived from the body (there is no second copy of it).
    pub fn kind(&self) -> EventKind {
        self.body.kind()
    }
}

/// The acting process: header fields from the kernel, the rest from the
/// process tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Process {
    /// Thread group id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Parent's pid (the kernel's `real_parent`).
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    pub euid: u32,
    pub egid: u32,
    /// Kernel task name (16 bytes at most).
    pub comm: String,
    /// Executable path; `None` until known (kernel threads have none).
    pub exe: Option<String>,
    /// Command line, arguments joined by spaces.
    pub cmdline: Option<String>,
    /// Working directory as of the last exec (inherited at fork).
    pub cwd: Option<String>,
    /// User name of `uid` (host accounts; in a container only root).
    pub user: Option<String>,
    /// Unique id of this process instance (see docs/events.md).
    pub exec_id: Option<String>,
    /// Parent's exec id.
    pub parent_exec_id: Option<String>,
    /// CLOCK_BOOTTIME ns when the process started.
    pub start_boot_ns: u64,
    /// cgroup v2 id from the kernel.
    pub cgroup_id: u64,
    /// cgroup path (v2, or v1 memory controller's on v1/hybrid hosts), the
    /// key for container resolution.
    pub cgroup: Option<String>,
    /// Parent first, up to init. Shared: the processes of one lineage
    /// often carry the same list (replays hand them one copy).
    pub ancestors: Arc<[Ancestor]>,
}

/// One link of `process.ancestors`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ancestor {
    pub pid: u32,
    pub exec_id: Option<String>,
    pub exe: Option<String>,
    pub cmdline: Option<String>,
}

/// Container the event came from: the id from the process's cgroup, the
/// rest from the container runtime (filled asynchronously; until the
/// runtime answered, or when it cannot, only `id` and `runtime` are set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Container {
    /// Full container id (64 hex for Docker, containerd, CRI-O, podman).
    pub id: String,
    pub name: Option<String>,
    pub image: Option<String>,
    pub image_id: Option<String>,
    /// `docker`, `containerd`, `cri-o`, `podman`, ...
    pub runtime: String,
    /// Kubernetes pod name, namespace and uid when the runtime is CRI.
    pub pod: Option<String>,
    pub namespace: Option<String>,
    pub pod_uid: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
}
