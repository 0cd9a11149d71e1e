//! Fake container runtimes on unix sockets, for the resolver tests: a
//! Docker Engine API that answers from a table, one that accepts and never
//! answers, and one that answers garbage.

#![allow(dead_code)]

pub mod live;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use panoptes_container::{ContainerRef, Runtime};

/// How a fake server behaves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// A Docker Engine API answering from its container table.
    Docker,
    /// Accepts connections, reads, never answers.
    Hang,
    /// Answers every connection with bytes that are not HTTP.
    Garbage,
}

#[derive(Default)]
struct State {
    /// Container id → inspect JSON.
    containers: Mutex<HashMap<String, String>>,
    /// Event JSON lines not yet sent to the events stream.
    events: Mutex<Vec<String>>,
    stop: AtomicBool,
    connections: AtomicU64,
    inspects: AtomicU64,
}

/// A fake runtime listening on a unix socket until dropped.
pub struct FakeServer {
    path: PathBuf,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    pub fn start(path: &Path, mode: Mode) -> FakeServer {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).expect("bind fake runtime socket");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let state = Arc::new(State::default());
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || accept_loop(listener, mode, shared));
        FakeServer { path: path.to_owned(), state, thread: Some(thread) }
    }

    /// Adds a container the Docker mode answers inspect for.
    pub fn add_container(&self, id: &str, name: &str, image: &str, image_id: &str, labels: &[(&str, &str)]) {
        let labels: serde_json::Map<String, serde_json::Value> =
            labels.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
        let json = serde_json::json!({
            "Id": id,
            "Name": format!("/{name}"),
            "Image": image_id,
            "State": {"Status": "running", "Running": true, "Pid": 4242},
            "Config": {"Image": image, "Labels": labels},
        });
        self.state.containers.lock().unwrap().insert(id.to_owned(), json.to_string());
    }

    pub fn remove_container(&self, id: &str) {
        self.state.containers.lock().unwrap().remove(id);
    }

    /// Sends a container event (`start`, `rename`, `destroy`, ...) on the events stream.
    pub fn push_event(&self, action: &str, id: &str) {
        self.push_event_with(action, id, &[]);
    }

    /// Sends a container event with actor attributes (the daemon's are the
    /// container's labels plus `name` and `image`).
    pub fn push_event_with(&self, action: &str, id: &str, attributes: &[(&str, &str)]) {
        let attributes: serde_json::Map<String, serde_json::Value> =
            attributes.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
        let json = serde_json::json!({
            "Type": "container", "Action": action, "status": action, "id": id,
            "Actor": {"ID": id, "Attributes": attributes}, "scope": "local", "time": 1, "timeNano": 1,
        });
        self.state.events.lock().unwrap().push(json.to_string());
    }

    pub fn connections(&self) -> u64 {
        self.state.connections.load(SeqCst)
    }

    pub fn inspects(&self) -> u64 {
        self.state.inspects.load(SeqCst)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.state.stop.store(true, SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn accept_loop(listener: UnixListener, mode: Mode, state: Arc<State>) {
    let mut connections = Vec::new();
    while !state.stop.load(SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                state.connections.fetch_add(1, SeqCst);
                let state = Arc::clone(&state);
                connections.push(std::thread::spawn(move || serve(stream, mode, state)));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    for c in connections {
        let _ = c.join();
    }
}

fn serve(mut stream: UnixStream, mode: Mode, state: Arc<State>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let mut buf = Vec::new();
    while !state.stop.load(SeqCst) {
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => continue, // read timeout: check stop, read again
        }
        match mode {
            Mode::Hang => buf.clear(),
            Mode::Garbage => {
                let _ = stream.write_all(b"\x00\xffSSH-2.0-definitely not HTTP\r\n\r\n\xfe\xfe");
                return;
            }
            Mode::Docker => {
                while let Some(end) = find(&buf, b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end + 4);
                    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                    if path.split('?').next().unwrap_or("").ends_with("/events") {
                        stream_events(stream, &state);
                        return;
                    }
                    let (status, body) = route(&path, &state);
                    let reply = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n\
                         Content-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

fn route(path: &str, state: &State) -> (&'static str, String) {
    let path = path.split('?').next().unwrap_or("");
    if path.ends_with("/version") {
        return ("200 OK", r#"{"ApiVersion":"1.41","MinAPIVersion":"1.12","Version":"20.10.24"}"#.to_owned());
    }
    if path.ends_with("/_ping") {
        return ("200 OK", "OK".to_owned());
    }
    if let Some(id) = path.strip_suffix("/json").and_then(|p| p.rsplit_once("/containers/")).map(|(_, id)| id) {
        state.inspects.fetch_add(1, SeqCst);
        if let Some(json) = state.containers.lock().unwrap().get(id) {
            return ("200 OK", json.clone());
        }
        return ("404 Not Found", format!(r#"{{"message":"No such container: {id}"}}"#));
    }
    ("404 Not Found", r#"{"message":"page not found"}"#.to_owned())
}

fn stream_events(mut stream: UnixStream, state: &State) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    while !state.stop.load(SeqCst) {
        let pending: Vec<String> = std::mem::take(&mut *state.events.lock().unwrap());
        for line in pending {
            let line = format!("{line}\n");
            let chunk = format!("{:x}\r\n{line}\r\n", line.len());
            if stream.write_all(chunk.as_bytes()).is_err() {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A container reference with a made-up id.
pub fn container_ref(n: u64, runtime: Runtime) -> ContainerRef {
    ContainerRef { id: format!("{n:064x}"), runtime, pod_uid: None }
}

/// Polls `check` every 20 ms until it is true or `limit` passes.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
