//! Which sink gets what: events and alerts in `jsonl=`, only alerts in
//! `jsonl:alerts=` and webhooks, with the counters the summary shows.

use std::sync::atomic::Ordering::Relaxed;

use event::{samples, Alert, Event, EventKind};

use super::*;
use crate::test_http::{serve, Answer};

fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn alert_only_sinks_get_alerts_and_no_events() {
    let dir = tempfile::tempdir().unwrap();
    let (all, alerts) = (dir.path().join("all.jsonl"), dir.path().join("out/alerts.jsonl"));
    let outputs = vec![
        Output::Jsonl { path: Some(all.clone()), alerts_only: false },
        Output::Jsonl { path: Some(alerts.clone()), alerts_only: true },
    ];
    let counters = Counters::default();
    let mut sinks = Sinks::open(&outputs).unwrap();
    assert!(sinks.wants_json());
    let exec = samples::event(EventKind::Exec);
    let alert = samples::alert();
    sinks.write(&exec, None, &counters);
    sinks.write_alert(&alert, &counters);
    sinks.write(&samples::event(EventKind::FileOpen), None, &counters);
    sinks.close(&counters);

    let got = lines(&alerts);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(Alert::from_json(&got[0]).unwrap(), alert);
    let got = lines(&all);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(Event::from_json(&got[0]).unwrap(), exec);
    assert_eq!(got[1], alert.to_json());
    assert!(got[2].starts_with(r#"{"kind":"file_open""#));
    assert_eq!(counters.alerts_written.load(Relaxed), 1);
    assert_eq!(counters.sink_errors.load(Relaxed), 0);
}

#[test]
fn alerts_only_json_needs_no_event_json() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = vec![Output::Stdout, Output::Jsonl { path: Some(dir.path().join("a.jsonl")), alerts_only: true }];
    assert!(!Sinks::open(&outputs).unwrap().wants_json());
}

#[test]
fn webhook_sink_posts_alerts_only_and_counts() {
    let server = serve(&[Answer::Status(200)]);
    let counters = Counters::default();
    let mut sinks = Sinks::open(&[Output::Webhook { url: server.url.clone() }]).unwrap();
    assert!(!sinks.wants_json());
    sinks.write(&samples::event(EventKind::Exec), None, &counters);
    sinks.write_alert(&samples::alert(), &counters);
    assert_eq!(server.next().body, samples::alert().to_json());
    sinks.close(&counters);
    assert!(server.received().is_empty(), "the event was not posted");
    let got = [&counters.alerts_written, &counters.webhook_sent, &counters.webhook_failed, &counters.webhook_dropped]
        .map(|c| c.load(Relaxed));
    assert_eq!(got, [1, 1, 0, 0]);
}

#[test]
fn failed_writes_are_counted_not_fatal() {
    // /dev/full takes the open but refuses every write.
    let outputs = vec![Output::Jsonl { path: Some("/dev/full".into()), alerts_only: true }];
    let counters = Counters::default();
    let mut sinks = Sinks::open(&outputs).unwrap();
    sinks.write_alert(&samples::alert(), &counters);
    sinks.write_alert(&samples::alert(), &counters);
    sinks.close(&counters);
    assert!(counters.sink_errors.load(Relaxed) >= 2, "{}", counters.sink_errors.load(Relaxed));
    assert_eq!(counters.alerts_written.load(Relaxed), 2);
}

/// `record=` takes events, not alerts; a second run appending to the same
/// file starts its own part, and the file reads back whole.
#[test]
fn record_sink_appends_events_in_parts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rec/events.rec");
    let counters = Counters::default();
    let mut written = Vec::new();
    for run in 0..2 {
        let mut sinks = Sinks::open(&[Output::Record { path: Some(path.clone()) }]).unwrap();
        assert!(!sinks.wants_json());
        for kind in [EventKind::Exec, EventKind::FileOpen, EventKind::Exit] {
            let mut ev = samples::event(kind);
            std::sync::Arc::make_mut(&mut ev.process).pid = run;
            sinks.write(&ev, None, &counters);
            written.push(ev);
        }
        sinks.write_alert(&samples::alert(), &counters);
        sinks.close(&counters);
    }
    let bytes = std::fs::read(&path).unwrap();
    assert!(event::record::is_recording(&bytes));
    let back: Vec<Event> = event::record::Reader::new(&bytes[..]).map(|r| r.unwrap()).collect();
    assert_eq!(back, written);
    assert_eq!(counters.sink_errors.load(Relaxed), 0);
}

/// A failed write starts a new part: what follows is readable even though
/// the definitions it needs were in the lost bytes.
#[test]
fn record_sink_restarts_after_a_failed_write() {
    let counters = Counters::default();
    let mut sinks = Sinks::open(&[Output::Record { path: Some("/dev/full".into()) }]).unwrap();
    for _ in 0..3 {
        // Large enough to pass the buffer and fail at once.
        let mut ev = samples::event(EventKind::Exec);
        if let event::Body::Exec(b) = &mut ev.body {
            b.argv = vec!["x".repeat(300 << 10)];
        }
        sinks.write(&ev, None, &counters);
    }
    assert!(counters.sink_errors.load(Relaxed) >= 3);
    let Format::Record { encoder, buf } = &mut sinks.sinks[0].format else { panic!("record sink") };
    // After the last failure the encoder starts over: its next frames
    // begin with the header and define the process again.
    buf.clear();
    encoder.encode(&samples::event(EventKind::Exit), buf);
    assert!(event::record::is_recording(buf));
    let back: Vec<_> = event::record::Reader::new(&buf[..]).collect();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].as_ref().unwrap(), &samples::event(EventKind::Exit));
}
