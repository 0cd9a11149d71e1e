//! Docker and podman, through the Docker Engine API on a unix socket
//! (podman serves a Docker-compatible API on its own socket).
//!
//! A fetch is one `GET /containers/<id>/json` (inspect). A watch of the
//! daemon's event stream keeps the cache true: `create`, `start` and
//! `rename` inspect (so a container is known before its first process
//! runs, however short its life), `destroy` starts the grace period after
//! which the entry is dropped. When an inspect cannot answer — the
//! container is already removed — the event's own attributes (name, image,
//! labels) stand in.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use bollard::errors::Error as DockerError;
use bollard::models::{ContainerInspectResponse, EventMessage};
use bollard::query_parameters::EventsOptions;
use bollard::Docker;
use event::Container;
use futures_util::StreamExt;

use crate::cgroup::{ContainerRef, Runtime};
use crate::error::FetchError;
use crate::metadata::{non_empty, with_labels};
use crate::worker::Ctx;

/// A Docker-API client for one socket, connected on first use and again
/// after a failure.
#[derive(Clone)]
pub(crate) struct DockerApi {
    runtime: Runtime,
    socket: PathBuf,
    timeout: Duration,
    client: Option<Docker>,
}

impl DockerApi {
    pub fn new(runtime: Runtime, socket: PathBuf, timeout: Duration) -> Self {
        DockerApi { runtime, socket, timeout, client: None }
    }

    async fn client(&mut self) -> Result<Docker, FetchError> {
        if let Some(client) = &self.client {
            return Ok(client.clone());
        }
        let path = self.socket.to_string_lossy();
        let secs = self.timeout.as_secs().max(1);
        // Ask the daemon which API version it speaks: a fixed version is
        // refused by daemons older or much newer than it.
        let client = Docker::connect_with_unix(&path, secs, bollard::API_DEFAULT_VERSION)?.negotiate_version().await?;
        self.client = Some(client.clone());
        Ok(client)
    }

    /// Inspects `r`; `Ok(None)` when the daemon does not know it.
    pub async fn fetch(&mut self, r: &ContainerRef) -> Result<Option<Container>, FetchError> {
        let client = self.client().await?;
        match client.inspect_container(&r.id, None).await {
            Ok(inspect) => Ok(Some(from_inspect(r, inspect))),
            Err(DockerError::DockerResponseServerError { status_code: 404, .. }) => Ok(None),
            Err(e) => {
                self.client = None;
                Err(e.into())
            }
        }
    }

    /// Follows the daemon's container events until the resolver stops.
    pub async fn watch(mut self, ctx: Ctx) {
        loop {
            let wait = match self.follow_events(&ctx).await {
                Ok(()) => ctx.retry_min(),
                Err(e) => {
                    self.client = None;
                    ctx.failed(&e)
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// One connection to the event stream; `Ok` when the daemon ended it.
    async fn follow_events(&mut self, ctx: &Ctx) -> Result<(), FetchError> {
        let client = tokio::time::timeout(self.timeout, self.client())
            .await
            .map_err(|_| FetchError::Timeout(self.timeout))??;
        let filters = HashMap::from([
            ("type".to_owned(), vec!["container".to_owned()]),
            ("event".to_owned(), ["create", "start", "rename", "destroy", "remove"].map(str::to_owned).to_vec()),
        ]);
        let mut events = client.events(Some(EventsOptions { filters: Some(filters), ..EventsOptions::default() }));
        tracing::debug!(runtime = %self.runtime, "following container events");
        while let Some(event) = events.next().await {
            ctx.succeeded();
            self.on_event(event?, ctx).await;
        }
        Ok(())
    }

    async fn on_event(&mut self, event: EventMessage, ctx: &Ctx) {
        let Some(actor) = event.actor else { return };
        let Some(id) = actor.id else { return };
        let r = ContainerRef { id, runtime: self.runtime, pod_uid: None };
        let attributes = actor.attributes.unwrap_or_default();
        match event.action.as_deref() {
            Some("create" | "start" | "rename") => {
                match tokio::time::timeout(self.timeout, self.fetch(&r)).await {
                    Ok(Ok(Some(container))) => return ctx.store(container),
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => {
                        tracing::debug!(runtime = %self.runtime, id = %r.id, error = %e, "inspect after event failed")
                    }
                    Err(_) => tracing::debug!(runtime = %self.runtime, id = %r.id, "inspect after event timed out"),
                }
                ctx.store_if_unknown(from_attributes(&r, attributes));
            }
            Some("destroy" | "remove") => {
                ctx.store_if_unknown(from_attributes(&r, attributes));
                ctx.mark_gone(&r.id);
            }
            _ => {}
        }
    }
}

/// Attributes of a container event that are not labels: the daemon adds
/// them to the container's labels (a label of the same name is hidden).
const EVENT_ATTRIBUTES: [&str; 5] = ["name", "image", "exitCode", "signal", "oldName"];

/// The container an event describes, for when inspect cannot answer: name,
/// image and labels, no image id.
fn from_attributes(r: &ContainerRef, mut attributes: HashMap<String, String>) -> Container {
    let name = attributes.remove("name").and_then(non_empty);
    let image = attributes.remove("image").and_then(non_empty);
    attributes.retain(|key, _| !EVENT_ATTRIBUTES.contains(&key.as_str()));
    let mut c = with_labels(r, attributes.into_iter().collect());
    c.name = name;
    c.image = image;
    c
}

/// The event-model container of an inspect answer.
fn from_inspect(r: &ContainerRef, inspect: ContainerInspectResponse) -> Container {
    let config = inspect.config.unwrap_or_default();
    let labels: BTreeMap<String, String> = config.labels.unwrap_or_default().into_iter().collect();
    let mut c = with_labels(r, labels);
    c.name = inspect.name.map(|n| n.trim_start_matches('/').to_owned()).and_then(non_empty);
    c.image = config.image.and_then(non_empty);
    c.image_id = inspect.image.and_then(non_empty);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_fields() {
        let json = r#"{
            "Id": "abc", "Name": "/web", "Image": "sha256:1234",
            "Config": {"Image": "nginx:1.27", "Labels": {"team": "blue", "io.kubernetes.pod.name": "web-0"}}
        }"#;
        let inspect: ContainerInspectResponse = match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => panic!("test JSON: {e}"),
        };
        let r = ContainerRef { id: "abc".into(), runtime: Runtime::Docker, pod_uid: None };
        let c = from_inspect(&r, inspect);
        assert_eq!(c.name.as_deref(), Some("web"));
        assert_eq!(c.image.as_deref(), Some("nginx:1.27"));
        assert_eq!(c.image_id.as_deref(), Some("sha256:1234"));
        assert_eq!(c.labels.get("team").map(String::as_str), Some("blue"));
        assert_eq!(c.pod.as_deref(), Some("web-0"));
        assert_eq!(c.runtime, "docker");
    }

    #[test]
    fn event_attributes() {
        let attributes = HashMap::from(
            [
                ("name", "job"),
                ("image", "busybox:1"),
                ("exitCode", "0"),
                ("team", "red"),
                ("io.kubernetes.pod.name", "p"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let r = ContainerRef { id: "abc".into(), runtime: Runtime::Docker, pod_uid: None };
        let c = from_attributes(&r, attributes);
        assert_eq!((c.name.as_deref(), c.image.as_deref(), c.image_id), (Some("job"), Some("busybox:1"), None));
        let labels: Vec<(&str, &str)> = c.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(labels, [("io.kubernetes.pod.name", "p"), ("team", "red")]);
        assert_eq!(c.pod.as_deref(), Some("p"));
        let bare = from_attributes(&r, HashMap::from([("name".to_owned(), String::new())]));
        assert_eq!((bare.name, bare.image, bare.labels.len()), (None, None, 0));
    }

    #[test]
    fn sparse_inspect() {
        let inspect = ContainerInspectResponse { name: Some(String::new()), ..Default::default() };
        let r = ContainerRef { id: "abc".into(), runtime: Runtime::Podman, pod_uid: None };
        let c = from_inspect(&r, inspect);
        assert_eq!((c.name, c.image, c.image_id, c.runtime.as_str()), (None, None, None, "podman"));
    }
}
