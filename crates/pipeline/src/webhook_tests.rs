//! The webhook against a real local HTTP server: delivery, retries, dead
//! endpoints, full queues, and a bounded close.

use std::time::{Duration, Instant};

use super::*;
use crate::test_http::{dead_url, serve, Answer};

fn quick(url: &str) -> WebhookOptions {
    WebhookOptions {
        timeout: Duration::from_secs(2),
        backoff: Duration::from_millis(20),
        close_wait: Duration::from_secs(5),
        ..WebhookOptions::new(url)
    }
}

fn alert_json() -> String {
    event::samples::alert().to_json()
}

#[test]
fn posts_the_alert_json() {
    let server = serve(&[Answer::Status(200)]);
    let mut hook = Webhook::start(quick(&server.url)).unwrap();
    assert!(hook.send(alert_json()));
    let request = server.next();
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/hooks/panoptes?token=s3cret"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body, alert_json());
    assert_eq!(event::Alert::from_json(&request.body).unwrap(), event::samples::alert());
    assert_eq!(hook.close(), WebhookStats { sent: 1, failed: 0, dropped: 0 });
}

#[test]
fn server_errors_are_retried_until_delivered() {
    let server = serve(&[Answer::Status(500), Answer::Status(503), Answer::Status(200)]);
    let mut hook = Webhook::start(quick(&server.url)).unwrap();
    assert!(hook.send(alert_json()));
    let bodies: Vec<String> = (0..3).map(|_| server.next().body).collect();
    assert!(bodies.iter().all(|b| *b == alert_json()), "the same alert each time");
    assert_eq!(hook.close(), WebhookStats { sent: 1, failed: 0, dropped: 0 });
    assert!(server.received().is_empty(), "no fourth try");
}

#[test]
fn retries_end_in_a_counted_failure() {
    let server = serve(&[Answer::Status(502)]);
    let mut hook = Webhook::start(quick(&server.url)).unwrap();
    assert!(hook.send(alert_json()));
    assert_eq!(hook.close(), WebhookStats { sent: 0, failed: 1, dropped: 0 });
    assert_eq!(server.received().len(), 3, "three attempts");
}

#[test]
fn client_errors_are_not_retried() {
    let server = serve(&[Answer::Status(404), Answer::Status(200)]);
    let mut hook = Webhook::start(quick(&server.url)).unwrap();
    assert!(hook.send(alert_json()));
    assert!(hook.send(alert_json()));
    assert_eq!(hook.close(), WebhookStats { sent: 1, failed: 1, dropped: 0 });
    assert_eq!(server.received().len(), 2);
}

#[test]
fn dead_port_is_a_counted_failure_without_hanging() {
    let mut hook = Webhook::start(quick(&dead_url())).unwrap();
    let started = Instant::now();
    assert!(hook.send(alert_json()));
    assert!(hook.send(alert_json()));
    assert_eq!(hook.close(), WebhookStats { sent: 0, failed: 2, dropped: 0 });
    // Refused connections fail at once: only the backoff (20 + 40 ms per
    // alert) is spent, nowhere near the request timeout.
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn silent_server_fails_after_the_timeout() {
    let server = serve(&[Answer::Hang]);
    let opts = WebhookOptions { timeout: Duration::from_millis(300), attempts: 2, ..quick(&server.url) };
    let mut hook = Webhook::start(opts).unwrap();
    let started = Instant::now();
    assert!(hook.send(alert_json()));
    assert_eq!(hook.close(), WebhookStats { sent: 0, failed: 1, dropped: 0 });
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(600) && took < Duration::from_secs(3), "{took:?}");
    assert_eq!(server.received().len(), 2);
}

#[test]
fn full_queue_drops_are_counted_and_close_is_bounded() {
    let server = serve(&[Answer::Hang]);
    let opts = WebhookOptions {
        capacity: 1,
        timeout: Duration::from_secs(30),
        close_wait: Duration::from_millis(300),
        ..quick(&server.url)
    };
    let mut hook = Webhook::start(opts).unwrap();
    assert!(hook.send(alert_json()));
    // The first alert is in flight (the server holds it) ...
    server.next();
    // ... the second waits in the queue, the third finds it full.
    assert!(hook.send(alert_json()));
    assert!(!hook.send(alert_json()));
    assert_eq!(hook.stats(), WebhookStats { sent: 0, failed: 0, dropped: 1 });
    let started = Instant::now();
    let stats = hook.close();
    assert!(started.elapsed() < Duration::from_secs(2), "close waited {:?}", started.elapsed());
    assert_eq!(stats, WebhookStats { sent: 0, failed: 2, dropped: 1 }, "in flight and queued count as failed");
    assert_eq!(hook.stats(), stats, "closed counters stay put");
    assert!(!hook.send(alert_json()), "a closed webhook takes nothing");
}

#[test]
fn urls_in_logs_lose_their_secrets() {
    assert_eq!(redact("https://user:pw@hooks.example.com:8443/T0/B1/xyz?token=1"), "https://hooks.example.com:8443");
    assert_eq!(redact("http://127.0.0.1:9/hook"), "http://127.0.0.1:9");
}
