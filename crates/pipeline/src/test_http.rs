//! A tiny HTTP/1.1 server on 127.0.0.1 for the webhook tests: answers
//! each request with the next status of a script (the last one repeats, or
//! never answers when `hang` is set) and hands every request it read to the
//! test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, Sender};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub(crate) struct Server {
    pub url: String,
    pub requests: Receiver<Request>,
}

impl Server {
    /// The next request, waiting up to 10 s.
    pub fn next(&self) -> Request {
        self.requests.recv_timeout(Duration::from_secs(10)).expect("a request reached the test server")
    }

    /// Requests that arrived so far.
    pub fn received(&self) -> Vec<Request> {
        self.requests.try_iter().collect()
    }
}

/// What the server answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Status(u16),
    /// Read the request, then keep the connection open and say nothing.
    Hang,
}

/// Starts a server answering the `script` in order (its last entry repeats).
pub(crate) fn serve(script: &[Answer]) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let url = format!("http://{}/hooks/panoptes?token=s3cret", listener.local_addr().expect("local addr"));
    let (tx, requests) = unbounded();
    let script = script.to_vec();
    let turn = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (tx, script, turn) = (tx.clone(), script.clone(), turn.clone());
            thread::spawn(move || connection(stream, &tx, &script, &turn));
        }
    });
    Server { url, requests }
}

fn connection(stream: TcpStream, tx: &Sender<Request>, script: &[Answer], turn: &std::sync::atomic::AtomicUsize) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let n = turn.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let answer = script.get(n).or(script.last()).copied().unwrap_or(Answer::Status(200));
        if tx.send(request).is_err() {
            return;
        }
        match answer {
            Answer::Status(code) => {
                let reply = format!("HTTP/1.1 {code} Scripted\r\nContent-Length: 2\r\n\r\nok");
                if writer.write_all(reply.as_bytes()).is_err() {
                    return;
                }
            }
            Answer::Hang => {
                thread::sleep(Duration::from_secs(60));
                return;
            }
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method, path, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// A URL on 127.0.0.1 where nothing listens.
pub(crate) fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}/hook")
}
