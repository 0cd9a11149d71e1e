//! Container attribution for Panoptes: which container a process is in
//! ([`cgroup`], from its cgroup path) and what that container is
//! ([`Resolver`], from the container runtime, without ever blocking the
//! event path).
//!
//! Runtimes: Docker and podman (Docker Engine API), containerd (gRPC, in
//! namespaces `moby`, `k8s.io`, `default`), CRI-O (CRI `RuntimeService`).
//! A runtime that is missing, slow or answers garbage leaves containers
//! with id and runtime only, logs one warning per outage and is retried
//! with exponential backoff.

mod cache;
pub mod cgroup;
mod containerd;
mod cri;
mod docker;
mod error;
mod grpc;
mod health;
pub mod metadata;
mod resolver;
mod stats;
mod worker;

pub use cgroup::{from_proc_cgroup, parse_cgroup_path, parse_namespaced_path, ContainerRef, Runtime};
pub use resolver::{Resolver, ResolverOptions};
pub use stats::{RuntimeStats, Stats};
