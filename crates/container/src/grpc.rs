//! A gRPC channel over a unix socket, for containerd and CRI runtimes.

use std::path::Path;

use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};

use crate::error::FetchError;

/// Connects to the gRPC server listening on `socket`.
pub(crate) async fn connect_unix(socket: &Path) -> Result<Channel, FetchError> {
    let socket = socket.to_path_buf();
    // The URI is required by the API but unused: every connection goes to
    // the socket.
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move { UnixStream::connect(socket).await.map(TokioIo::new) }
        }))
        .await?;
    Ok(channel)
}

/// A gRPC channel to a unix socket, connected on first use and dropped on
/// error so the next use reconnects.
#[derive(Debug)]
pub(crate) struct CachedChannel {
    socket: std::path::PathBuf,
    channel: Option<Channel>,
}

impl CachedChannel {
    pub(crate) fn new(socket: std::path::PathBuf) -> Self {
        CachedChannel { socket, channel: None }
    }

    pub(crate) async fn get(&mut self) -> Result<Channel, FetchError> {
        if let Some(channel) = &self.channel {
            return Ok(channel.clone());
        }
        let channel = connect_unix(&self.socket).await?;
        self.channel = Some(channel.clone());
        Ok(channel)
    }

    /// Forgets the connection (after a transport error).
    pub(crate) fn reset(&mut self) {
        self.channel = None;
    }
}
