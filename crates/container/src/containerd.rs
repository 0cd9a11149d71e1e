//! containerd, through its gRPC API (the `containerd-client` bindings).
//!
//! containerd keeps containers per namespace; cgroup paths do not always
//! say which, so a fetch asks `moby`, `k8s.io` and `default` in turn
//! (`k8s.io` first for a container in a Kubernetes pod), then the other
//! namespaces the watch has learned (listed when it subscribes, then from
//! `/namespaces/create` and the namespace of every event; they also let the
//! resolver take `/<namespace>/<id>` cgroup paths for containers). Pod name,
//! namespace and uid come from the labels the CRI plugin puts on the
//! container; the image id is the digest of the image's target. A
//! subscription to container events keeps the cache true:
//! `/containers/create` fetches the new container from the event's
//! namespace (so it is known before its first process runs, however short
//! its life) and `/containers/delete`
//! starts the grace period of deleted containers. Containers of the `moby`
//! namespace are Docker's, which the Docker watch describes better.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use containerd_client::events::{ContainerCreate, ContainerDelete, NamespaceCreate};
use containerd_client::services::v1::containers_client::ContainersClient;
use containerd_client::services::v1::events_client::EventsClient;
use containerd_client::services::v1::images_client::ImagesClient;
use containerd_client::services::v1::namespaces_client::NamespacesClient;
use containerd_client::services::v1::{GetContainerRequest, GetImageRequest, ListNamespacesRequest, SubscribeRequest};
use event::Container;
use prost::Message;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Code, Request};

use crate::cgroup::{ContainerRef, Runtime};
use crate::error::FetchError;
use crate::grpc::CachedChannel;
use crate::metadata::{non_empty, with_labels, LABEL_CONTAINER_NAME};
use crate::worker::Ctx;

/// The containerd namespaces asked, in order, for a container outside a pod.
const NAMESPACES: [&str; 3] = ["moby", "k8s.io", "default"];
/// The same for a container in a Kubernetes pod.
const POD_NAMESPACES: [&str; 3] = ["k8s.io", "moby", "default"];
/// Label nerdctl puts the container name in.
const LABEL_NERDCTL_NAME: &str = "nerdctl/name";

/// A containerd client, connected on first use and again after a failure.
pub(crate) struct ContainerdApi {
    timeout: Duration,
    channel: CachedChannel,
}

impl ContainerdApi {
    pub fn new(socket: PathBuf, timeout: Duration) -> Self {
        ContainerdApi { timeout, channel: CachedChannel::new(socket) }
    }

    /// The container `r` from the first namespace that has it: the usual
    /// three, then the `learned` others.
    pub async fn fetch(&mut self, r: &ContainerRef, learned: &[String]) -> Result<Option<Container>, FetchError> {
        let usual = if r.pod_uid.is_some() { POD_NAMESPACES } else { NAMESPACES };
        let others = learned.iter().map(String::as_str).filter(|ns| !usual.contains(ns));
        let namespaces: Vec<&str> = usual.into_iter().chain(others).collect();
        self.fetch_in(r, &namespaces).await
    }

    /// The container `r` from the first of `namespaces` that has it.
    async fn fetch_in(&mut self, r: &ContainerRef, namespaces: &[&str]) -> Result<Option<Container>, FetchError> {
        let channel = self.channel.get().await?;
        for &namespace in namespaces {
            let Some(request) = in_namespace(GetContainerRequest { id: r.id.clone() }, namespace) else {
                continue;
            };
            match ContainersClient::new(channel.clone()).get(request).await {
                Ok(answer) => {
                    let found = answer.into_inner().container.ok_or_else(|| {
                        FetchError::Malformed(format!("containerd answered Get({}) without a container", r.id))
                    })?;
                    let image_id = image_digest(channel.clone(), namespace, &found.image).await;
                    let labels: BTreeMap<String, String> = found.labels.into_iter().collect();
                    let mut c = with_labels(r, labels);
                    c.name = c.labels.get(LABEL_CONTAINER_NAME).or_else(|| c.labels.get(LABEL_NERDCTL_NAME)).cloned();
                    c.image = non_empty(found.image);
                    c.image_id = image_id;
                    return Ok(Some(c));
                }
                Err(status) if status.code() == Code::NotFound => continue,
                Err(status) => {
                    self.channel.reset();
                    return Err(status.into());
                }
            }
        }
        Ok(None)
    }

    /// Follows namespace creations and container creations and deletions
    /// until the resolver stops.
    pub async fn watch(mut self, ctx: Ctx) {
        loop {
            let wait = match self.follow_events(&ctx).await {
                Ok(()) => ctx.retry_min(),
                Err(e) => {
                    self.channel.reset();
                    ctx.failed(&e)
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn follow_events(&mut self, ctx: &Ctx) -> Result<(), FetchError> {
        let channel = tokio::time::timeout(self.timeout, self.channel.get())
            .await
            .map_err(|_| FetchError::Timeout(self.timeout))??;
        let filters =
            [r#"topic=="/containers/create""#, r#"topic=="/containers/delete""#, r#"topic=="/namespaces/create""#];
        let request = SubscribeRequest { filters: filters.map(str::to_owned).to_vec() };
        let mut client = EventsClient::new(channel.clone());
        let mut events = tokio::time::timeout(self.timeout, client.subscribe(request))
            .await
            .map_err(|_| FetchError::Timeout(self.timeout))??
            .into_inner();
        // Listed after subscribing: a namespace created in between comes as
        // an event. Without the list the events still count.
        let mut namespaces = NamespacesClient::new(channel);
        let listed = namespaces.list(ListNamespacesRequest { filter: String::new() });
        match tokio::time::timeout(self.timeout, listed).await {
            Ok(Ok(answer)) => ctx.shared.learn_namespaces(answer.get_ref().namespaces.iter().map(|n| n.name.as_str())),
            Ok(Err(status)) => tracing::debug!(%status, "containerd namespaces not listed"),
            Err(_) => tracing::debug!("containerd namespace list timed out"),
        }
        tracing::debug!("following containerd container events");
        while let Some(envelope) = events.message().await? {
            ctx.succeeded();
            // A namespace made implicitly (by an image import or a first
            // container) publishes no `/namespaces/create`: every event
            // names its namespace.
            ctx.shared.learn_namespaces([envelope.namespace.as_str()]);
            let Some(any) = envelope.event else { continue };
            if envelope.topic == "/namespaces/create" {
                match NamespaceCreate::decode(any.value.as_slice()) {
                    Ok(created) => ctx.shared.learn_namespaces([created.name.as_str()]),
                    Err(e) => tracing::debug!(error = %e, topic = %envelope.topic, "undecodable containerd event"),
                }
                continue;
            }
            if envelope.topic == "/containers/create" {
                match ContainerCreate::decode(any.value.as_slice()) {
                    Ok(_) if envelope.namespace == "moby" => {}
                    Ok(created) => self.on_create(created.id, &envelope.namespace, ctx).await,
                    Err(e) => tracing::debug!(error = %e, topic = %envelope.topic, "undecodable containerd event"),
                }
                continue;
            }
            match ContainerDelete::decode(any.value.as_slice()) {
                Ok(deleted) => ctx.mark_gone(&deleted.id),
                Err(e) => tracing::debug!(error = %e, topic = %envelope.topic, "undecodable containerd event"),
            }
        }
        Ok(())
    }

    /// Fetches a container just created, from the namespace the event
    /// names; a failure leaves it to the fetch a lookup asks for.
    async fn on_create(&mut self, id: String, namespace: &str, ctx: &Ctx) {
        let r = ContainerRef { id, runtime: Runtime::Containerd, pod_uid: None };
        match tokio::time::timeout(self.timeout, self.fetch_in(&r, &[namespace])).await {
            Ok(Ok(Some(container))) => ctx.store(container),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::debug!(id = %r.id, error = %e, "containerd fetch after create failed"),
            Err(_) => tracing::debug!(id = %r.id, "containerd fetch after create timed out"),
        }
    }
}

/// The digest of image `name` in `namespace`; `None` when it cannot be had
/// (the container's other metadata is still worth keeping).
async fn image_digest(channel: Channel, namespace: &str, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let request = in_namespace(GetImageRequest { name: name.to_owned() }, namespace)?;
    match ImagesClient::new(channel).get(request).await {
        Ok(answer) => answer.into_inner().image.and_then(|i| i.target).and_then(|t| non_empty(t.digest)),
        Err(status) => {
            tracing::debug!(image = name, namespace, %status, "containerd image lookup failed");
            None
        }
    }
}

/// A request scoped to a containerd namespace; `None` for a name that
/// cannot be a gRPC metadata value (containerd's names are ASCII).
fn in_namespace<T>(message: T, namespace: &str) -> Option<Request<T>> {
    let value = MetadataValue::try_from(namespace).ok()?;
    let mut request = Request::new(message);
    request.metadata_mut().insert("containerd-namespace", value);
    Some(request)
}
