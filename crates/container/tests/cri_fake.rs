//! CRI-O through the CRI `RuntimeService`, against a fake CRI server on a
//! unix socket that answers `ContainerStatus` from a table (no CRI-O runs
//! on this machine): metadata mapping, not-found, and a server that goes
//! away.

mod support;

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use k8s_cri::v1::{ContainerMetadata, ContainerStatus, ContainerStatusRequest, ContainerStatusResponse, ImageSpec};
use panoptes_container::{ContainerRef, Resolver, ResolverOptions, Runtime};
use support::{container_ref, eventually};
use tonic::body::Body;
use tonic::{Request, Response, Status};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A CRI RuntimeService that only knows ContainerStatus.
#[derive(Clone)]
struct FakeCri {
    containers: Arc<HashMap<String, ContainerStatus>>,
}

impl tonic::server::NamedService for FakeCri {
    const NAME: &'static str = "runtime.v1.RuntimeService";
}

impl tonic::server::UnaryService<ContainerStatusRequest> for FakeCri {
    type Response = ContainerStatusResponse;
    type Future = BoxFuture<Result<Response<ContainerStatusResponse>, Status>>;

    fn call(&mut self, request: Request<ContainerStatusRequest>) -> Self::Future {
        let id = request.into_inner().container_id;
        let answer = match self.containers.get(&id) {
            Some(status) => {
                Ok(Response::new(ContainerStatusResponse { status: Some(status.clone()), info: HashMap::new() }))
            }
            None => Err(Status::not_found(format!("could not find container {id:?}"))),
        };
        Box::pin(async move { answer })
    }
}

impl tower::Service<http::Request<Body>> for FakeCri {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != "/runtime.v1.RuntimeService/ContainerStatus" {
            return Box::pin(async { Ok(Status::unimplemented("fake CRI").into_http()) });
        }
        let service = self.clone();
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
            Ok(grpc.unary(service, request).await)
        })
    }
}

/// Serves `containers` on `socket` until the returned sender is dropped.
fn serve(socket: &Path, containers: HashMap<String, ContainerStatus>) -> std::sync::mpsc::Sender<()> {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let (ready, is_ready) = std::sync::mpsc::channel();
    let socket = socket.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::UnixListener::bind(&socket).unwrap();
            ready.send(()).unwrap();
            let shutdown = async move {
                let _ = tokio::task::spawn_blocking(move || stopped.recv()).await;
            };
            tonic::transport::Server::builder()
                .add_service(FakeCri { containers: Arc::new(containers) })
                .serve_with_incoming_shutdown(tokio_stream::wrappers::UnixListenerStream::new(listener), shutdown)
                .await
                .unwrap();
            let _ = std::fs::remove_file(&socket);
        });
    });
    is_ready.recv_timeout(Duration::from_secs(5)).unwrap();
    stop
}

fn options(dir: &Path) -> ResolverOptions {
    ResolverOptions {
        docker_socket: dir.join("docker.sock"),
        containerd_socket: dir.join("containerd.sock"),
        podman_socket: dir.join("podman.sock"),
        crio_socket: dir.join("crio.sock"),
        retry_min: Duration::from_millis(50),
        retry_max: Duration::from_millis(200),
        request_timeout: Duration::from_millis(500),
        ..ResolverOptions::default()
    }
}

fn pod_container(id: &str) -> ContainerStatus {
    let labels: HashMap<String, String> = [
        ("io.kubernetes.pod.name", "web-7d9f"),
        ("io.kubernetes.pod.namespace", "shop"),
        ("io.kubernetes.pod.uid", "8d6a8f1c-29b4-4bd4-9a5e-1f0d2c3b4a59"),
        ("io.kubernetes.container.name", "nginx"),
        ("app", "web"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    ContainerStatus {
        id: id.to_owned(),
        metadata: Some(ContainerMetadata { name: "nginx".into(), attempt: 0 }),
        image: Some(ImageSpec { image: "docker.io/library/nginx:1.27".into(), ..Default::default() }),
        image_ref: "docker.io/library/nginx@sha256:aaaa".into(),
        image_id: "sha256:bbbb".into(),
        labels,
        ..Default::default()
    }
}

#[test]
fn crio_container_status_fills_pod_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let r = ContainerRef {
        pod_uid: Some("8d6a8f1c-29b4-4bd4-9a5e-1f0d2c3b4a59".into()),
        ..container_ref(1, Runtime::CriO)
    };
    let _server = serve(&opts.crio_socket, HashMap::from([(r.id.clone(), pod_container(&r.id))]));
    let resolver = Resolver::start(opts);

    assert!(eventually(Duration::from_secs(5), || resolver.lookup(&r).name.is_some()), "{:?}", resolver.stats());
    let c = resolver.lookup(&r);
    assert_eq!(c.runtime, "cri-o");
    assert_eq!(c.name.as_deref(), Some("nginx"));
    assert_eq!(c.image.as_deref(), Some("docker.io/library/nginx:1.27"));
    assert_eq!(c.image_id.as_deref(), Some("sha256:bbbb"));
    assert_eq!(c.pod.as_deref(), Some("web-7d9f"));
    assert_eq!(c.namespace.as_deref(), Some("shop"));
    assert_eq!(c.pod_uid.as_deref(), Some("8d6a8f1c-29b4-4bd4-9a5e-1f0d2c3b4a59"));
    assert_eq!(c.labels.get("app").map(String::as_str), Some("web"));

    let unknown = container_ref(2, Runtime::CriO);
    resolver.lookup(&unknown);
    assert!(eventually(Duration::from_secs(5), || resolver.stats().not_found == 1), "{:?}", resolver.stats());
    assert_eq!(resolver.stats().warnings, 0, "NotFound is an answer, not an outage");
}

#[test]
fn crio_outage_and_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let socket: PathBuf = opts.crio_socket.clone();
    let r = container_ref(3, Runtime::CriO);
    let resolver = Resolver::start(opts);

    resolver.lookup(&r);
    assert!(eventually(Duration::from_secs(3), || resolver.stats().runtime(Runtime::CriO).fetches >= 3));
    let s = resolver.stats().runtime(Runtime::CriO);
    assert_eq!((s.warnings, s.down), (1, true), "{s:?}");

    let _server = serve(&socket, HashMap::from([(r.id.clone(), pod_container(&r.id))]));
    assert!(eventually(Duration::from_secs(3), || resolver.lookup(&r).name.is_some()), "{:?}", resolver.stats());
    let s = resolver.stats().runtime(Runtime::CriO);
    assert_eq!((s.warnings, s.recoveries, s.down), (1, 1, false), "{s:?}");
}
