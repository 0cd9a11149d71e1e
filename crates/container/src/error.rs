//! Why one metadata fetch from a container runtime failed.
//!
//! Every variant means "the runtime did not give a usable answer": the
//! resolver treats them alike (one warning per outage, retry with backoff)
//! and only uses the text for the log line.

use std::time::Duration;

/// A failed request to a container runtime.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The Docker-compatible API (Docker, podman) failed or answered garbage.
    #[error("Docker API: {0}")]
    Docker(Box<bollard::errors::Error>),
    /// The gRPC connection (containerd, CRI-O) could not be made.
    #[error("cannot connect: {0}")]
    Connect(#[from] tonic::transport::Error),
    /// The gRPC call failed.
    #[error("gRPC call failed: {0}")]
    Grpc(Box<tonic::Status>),
    /// No answer within the request timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The runtime answered, but not with something we can use.
    #[error("unusable answer: {0}")]
    Malformed(String),
}

impl From<bollard::errors::Error> for FetchError {
    fn from(e: bollard::errors::Error) -> Self {
        FetchError::Docker(Box::new(e))
    }
}

impl From<tonic::Status> for FetchError {
    fn from(s: tonic::Status) -> Self {
        FetchError::Grpc(Box::new(s))
    }
}
