//! CRI-O, through the Kubernetes CRI `RuntimeService` (the `k8s-cri`
//! bindings, API `runtime.v1`).
//!
//! A fetch is one `ContainerStatus` call: the container name is the CRI
//! metadata name, the image is the image spec (`image_id`, or `image_ref`
//! on runtimes older than CRI 1.31), and pod name, namespace and uid come
//! from the `io.kubernetes.pod.*` labels. CRI has no event stream that
//! every CRI-O version serves, so entries are not watched: they leave the
//! cache by its capacity bound.

use std::collections::BTreeMap;
use std::path::PathBuf;

use event::Container;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::ContainerStatusRequest;
use tonic::Code;

use crate::cgroup::ContainerRef;
use crate::error::FetchError;
use crate::grpc::CachedChannel;
use crate::metadata::{non_empty, with_labels};

/// A CRI client, connected on first use and again after a failure.
pub(crate) struct CriApi {
    channel: CachedChannel,
}

impl CriApi {
    pub fn new(socket: PathBuf) -> Self {
        CriApi { channel: CachedChannel::new(socket) }
    }

    /// The status of container `r`; `Ok(None)` when the runtime does not know it.
    pub async fn fetch(&mut self, r: &ContainerRef) -> Result<Option<Container>, FetchError> {
        let channel = self.channel.get().await?;
        let request = ContainerStatusRequest { container_id: r.id.clone(), verbose: false };
        let status = match RuntimeServiceClient::new(channel).container_status(request).await {
            Ok(answer) => answer.into_inner().status,
            Err(status) if status.code() == Code::NotFound => return Ok(None),
            Err(status) => {
                self.channel.reset();
                return Err(status.into());
            }
        };
        let status = status
            .ok_or_else(|| FetchError::Malformed(format!("ContainerStatus({}) answered without a status", r.id)))?;
        let labels: BTreeMap<String, String> = status.labels.into_iter().collect();
        let mut c = with_labels(r, labels);
        c.name = status.metadata.and_then(|m| non_empty(m.name));
        c.image = status.image.and_then(|i| non_empty(i.user_specified_image).or_else(|| non_empty(i.image)));
        c.image_id = non_empty(status.image_id).or_else(|| non_empty(status.image_ref));
        Ok(Some(c))
    }
}
