use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::body::*;
use crate::samples;

fn encode_all(events: &[Event]) -> Vec<u8> {
    let mut enc = Encoder::new();
    let mut out = Vec::new();
    for ev in events {
        enc.encode(ev, &mut out);
    }
    out
}

fn read_all(bytes: &[u8]) -> Vec<Result<Event, String>> {
    Reader::new(bytes).map(|r| r.map_err(|e| e.to_string())).collect()
}

fn ok(results: Vec<Result<Event, String>>) -> Vec<Event> {
    results.into_iter().map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect()
}

/// Events whose strings, numbers and options take other values than the
/// samples: every field of every kind survives, edge values included.
fn varied() -> Vec<Event> {
    let mut out = samples::all_kinds();
    let mut ev = samples::event(EventKind::Exec);
    if let Body::Exec(b) = &mut ev.body {
        b.env = BTreeMap::from([("LD_PRELOAD".into(), "/tmp/é.so".into())]);
        b.stdin = Some("inet");
        b.result = i64::MIN;
        b.inode = u64::MAX;
        b.argv.push(String::new());
    }
    Arc::make_mut(&mut ev.process).ancestors = Arc::default();
    ev.container = None;
    out.push(ev);
    let mut ev = samples::event(EventKind::NetConnect);
    if let Body::NetConnect(b) = &mut ev.body {
        b.addr = Some(SockAddr::Inet6 { ip: "::1".parse().unwrap(), port: 65535 });
        b.fd = i32::MIN;
    }
    out.push(ev);
    let mut ev = samples::event(EventKind::NetConnect);
    if let Body::NetConnect(b) = &mut ev.body {
        b.addr = Some(SockAddr::Unix { path: "/run/docker.sock".into() });
    }
    out.push(ev);
    let mut ev = samples::event(EventKind::NetConnect);
    if let Body::NetConnect(b) = &mut ev.body {
        b.addr = Some(SockAddr::Other { number: 16 });
    }
    out.push(ev);
    let mut ev = samples::event(EventKind::Exit);
    ev.process = Arc::new(Process::default());
    ev.time_unix_ns = 0;
    ev.time_boot_ns = u64::MAX;
    out.push(ev);
    out
}

#[test]
fn every_kind_has_one_number() {
    for kind in EventKind::ALL {
        assert_eq!(KINDS_V1.iter().filter(|k| *k == kind).count(), 1, "{kind:?}");
    }
    assert_eq!(KINDS_V1.len(), EventKind::ALL.len());
}

#[test]
fn events_read_back_equal() {
    let events = varied();
    let bytes = encode_all(&events);
    assert_eq!(ok(read_all(&bytes)), events);
}

/// The v1 layout, byte for byte: a change here breaks existing recordings.
#[test]
fn layout_is_stable() {
    let ev = Event {
        time_boot_ns: 2,
        time_unix_ns: 1,
        process: Arc::new(Process {
            pid: 300,
            comm: "sh".into(),
            ancestors: vec![Ancestor { pid: 1, ..Default::default() }].into(),
            ..Default::default()
        }),
        container: None,
        body: Body::Exit(Exit { code: Some(-1), signal: None, core_dumped: true }),
    };
    let hex: String = encode_all(&[ev]).iter().map(|b| format!("{b:02x}")).collect();
    let want = [
        "504e505452454301", // header
        "07000000",
        "03",
        "01",
        "01",
        "01",
        "000000", // ancestor list in slot 1: one, pid 1, 3 Nones
        "17000000",
        "02",
        "01",
        "ac02",
        "000000000000", // process slot 1: pid 300, tid..egid 0
        "027368",
        "000000000000",
        "00",
        "00",
        "00",
        "01", // comm "sh", 6 Nones, start, cgroup id, cgroup, list 1
        "18000000",
        "01",
        "02",
        "0100000000000000",
        "0200000000000000",
        "01",
        "00", // event: exit, times, slots
        "0101",
        "00",
        "01", // code Some(-1), signal None, core dumped
    ]
    .concat();
    assert_eq!(hex, want);
}

#[test]
fn a_repeated_process_is_written_once_and_shared() {
    let events: Vec<Event> =
        [EventKind::Fork, EventKind::FileOpen, EventKind::Exit].iter().map(|k| samples::event(*k)).collect();
    let bytes = encode_all(&events);
    let tags: Vec<u8> = frames(&bytes).iter().map(|f| bytes[f.start]).collect();
    assert_eq!(tags, [TAG_ANCESTORS, TAG_PROCESS, TAG_CONTAINER, TAG_EVENT, TAG_EVENT, TAG_EVENT]);
    let back = ok(read_all(&bytes));
    assert_eq!(back, events);
    assert!(Arc::ptr_eq(&back[0].process, &back[2].process));
    // The JSON form of the same events is several times larger.
    let json: usize = events.iter().map(|e| e.to_json().len() + 1).sum();
    assert!(bytes.len() * 2 < json, "{} vs {json}", bytes.len());
}

/// More processes than slots, revisited in between: slots are reused and
/// every event still gets its own process and ancestry.
#[test]
fn reused_slots_keep_every_event_right() {
    let mut events = Vec::new();
    for i in 0..(PROCESS_SLOTS as u32 + 600) {
        let mut ev = samples::event(if i % 2 == 0 { EventKind::Exec } else { EventKind::Exit });
        let p = Arc::make_mut(&mut ev.process);
        p.pid = i;
        let mut list = p.ancestors.to_vec();
        list[0].pid = i % (ANCESTOR_SLOTS as u32 + 7);
        p.ancestors = list.into();
        if i % 3 == 0 {
            ev.container.as_mut().unwrap().id = format!("{:064x}", i % (CONTAINER_SLOTS as u32 + 3));
        }
        events.push(ev);
        if i % 5 == 0 {
            // The first process again (evicted once the table is full).
            events.push(events[0].clone());
        }
    }
    let bytes = encode_all(&events);
    assert_eq!(ok(read_all(&bytes)), events);
    // Read one at a time, each event dropped before the next: a reused
    // slot's process is then read over in place (its strings reused), and
    // a process with fewer optional fields than the one before leaves none
    // of the old values behind.
    let mut shorter = events.clone();
    for (i, ev) in shorter.iter_mut().enumerate().filter(|(i, _)| i % 3 == 1) {
        let p = Arc::make_mut(&mut ev.process);
        p.cwd = None;
        p.cmdline = Some(format!("c{i}"));
    }
    let bytes = encode_all(&shorter);
    let mut n = 0;
    for (got, want) in Reader::new(&bytes[..]).zip(&shorter) {
        assert_eq!(&got.unwrap(), want);
        n += 1;
    }
    assert_eq!(n, shorter.len());
}

#[test]
fn appended_parts_start_over() {
    let events = varied();
    let mut bytes = encode_all(&events[..5]);
    bytes.extend(encode_all(&events[5..]));
    assert_eq!(ok(read_all(&bytes)), events);
    // One encoder after a restart does the same.
    let mut enc = Encoder::new();
    let mut out = Vec::new();
    enc.encode(&events[0], &mut out);
    enc.restart();
    enc.encode(&events[1], &mut out);
    assert_eq!(out.windows(8).filter(|w| *w == MAGIC).count(), 2);
    assert_eq!(ok(read_all(&out)), events[..2].to_vec());
}

/// A reader handing out one byte at a time: frames straddle every read.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn frames_straddling_reads() {
    let events = varied();
    let bytes = encode_all(&events);
    let back: Vec<Event> = Reader::new(Trickle(&bytes)).map(|r| r.unwrap()).collect();
    assert_eq!(back, events);
    // A frame larger than the read buffer.
    let mut ev = samples::event(EventKind::Exec);
    if let Body::Exec(b) = &mut ev.body {
        b.argv = vec!["x".repeat(READ_CHUNK + 10)];
    }
    let bytes = encode_all(&[ev.clone(), ev.clone()]);
    assert_eq!(ok(read_all(&bytes)), vec![ev.clone(), ev]);
}

#[test]
fn a_truncated_recording_keeps_what_is_whole() {
    let events = varied();
    let bytes = encode_all(&events);
    let cut = &bytes[..bytes.len() - 3];
    let back = read_all(cut);
    assert_eq!(back.len(), events.len());
    assert_eq!(ok(back[..events.len() - 1].to_vec()), events[..events.len() - 1]);
    let err = back.last().unwrap().as_ref().unwrap_err();
    assert!(err.contains("ends inside a"), "{err}");
    // Cut inside the length itself.
    let end = bytes.len() - u32::from_le_bytes(last_frame_len(&bytes)) as usize - 4;
    let back = read_all(&bytes[..end + 2]);
    assert!(back.last().unwrap().as_ref().unwrap_err().contains("inside a frame's length"));
}

/// Each frame's tag and payload (after the header of a one-part recording).
fn frames(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut at = MAGIC.len();
    let mut out = Vec::new();
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        out.push(at + 4..at + 4 + len);
        at += 4 + len;
    }
    out
}

fn last_frame_len(bytes: &[u8]) -> [u8; 4] {
    let last = frames(bytes).pop().unwrap();
    (last.len() as u32).to_le_bytes()
}

#[test]
fn not_a_recording() {
    let back = read_all(b"{\"kind\":\"exec\"}\n");
    assert_eq!(back.len(), 1);
    assert!(back[0].as_ref().unwrap_err().contains("no header"), "{:?}", back[0]);
    assert!(read_all(b"").is_empty());
    assert!(!is_recording(b"{\"kind\""));
    assert!(is_recording(&encode_all(&varied())));
}

#[test]
fn a_broken_length_skips_to_the_next_part() {
    let events = varied();
    let mut bytes = encode_all(&events[..3]);
    let second = encode_all(&events[3..]);
    // Break the last frame's length of the first part: the reader cannot
    // find the next frame and skips to the second part's header.
    let end = bytes.len() - u32::from_le_bytes(last_frame_len(&bytes)) as usize - 4;
    bytes[end..end + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend(&second);
    let back = read_all(&bytes);
    let errors: Vec<_> = back.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("frame length 4294967295") && errors[0].contains("skipped"), "{}", errors[0]);
    let good: Vec<Event> = back.into_iter().filter_map(Result::ok).collect();
    assert_eq!(good.len(), events.len() - 1);
    assert_eq!(good[..2], events[..2]);
    assert_eq!(good[2..], events[3..]);
}

/// A definition that fails to read empties its slot: an event naming the
/// slot then fails instead of getting the process defined there before.
#[test]
fn a_broken_definition_fails_its_events_not_others() {
    let ev = samples::event(EventKind::Fork);
    let mut bytes = encode_all(std::slice::from_ref(&ev));
    let event_frame = bytes[frames(&bytes).pop().unwrap().start - 4..].to_vec();
    // Process slot 1 again, with a comm longer than the frame.
    bytes.extend([5, 0, 0, 0, TAG_PROCESS, 1, 0, 0, 0x7f]);
    bytes.extend(&event_frame);
    // An unknown tag is skipped alone.
    bytes.extend([2, 0, 0, 0, 9, 9]);
    let back = read_all(&bytes);
    assert_eq!(back.len(), 4, "{back:?}");
    assert_eq!(back[0].as_ref().unwrap(), &ev);
    assert!(back[1].as_ref().is_err_and(|e| e.contains("frame ends early")), "{:?}", back[1]);
    assert!(back[2].as_ref().is_err_and(|e| e.contains("process slot 1 is empty")), "{:?}", back[2]);
    assert!(back[3].as_ref().is_err_and(|e| e.contains("unknown frame tag 9")), "{:?}", back[3]);
}

#[test]
fn unknown_names_are_interned_as_from_json() {
    let mut ev = samples::event(EventKind::FileUnlink);
    if let Body::FileUnlink(b) = &mut ev.body {
        b.syscall = "unlinkat3";
    }
    assert_eq!(ok(read_all(&encode_all(&[ev.clone()]))), vec![ev.clone()]);
    if let Body::FileUnlink(b) = &mut ev.body {
        b.syscall = Box::leak("x".repeat(crate::intern::MAX_INTERNED_LEN + 1).into_boxed_str());
    }
    let back = read_all(&encode_all(&[ev]));
    assert!(back[0].as_ref().is_err_and(|e| e.contains("longer than")), "{back:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Any damage: the reader never panics, ends, reports at most one
    /// result per frame, and every event before the first damaged byte
    /// comes back as written.
    #[test]
    fn damaged_recordings(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6)) {
        let events = varied();
        let mut ends = Vec::new();
        let mut enc = Encoder::new();
        let mut bytes = Vec::new();
        for ev in &events {
            enc.encode(ev, &mut bytes);
            ends.push(bytes.len());
        }
        let mut first = bytes.len();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len());
            first = first.min(i);
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => { bytes.remove(i); }
            }
        }
        let back = read_all(&bytes);
        prop_assert!(back.len() <= bytes.len() / 5 + 2);
        let intact = ends.iter().filter(|&&e| e <= first).count();
        for (got, want) in back.iter().zip(&events).take(intact) {
            prop_assert_eq!(got.as_ref().ok(), Some(want));
        }
    }
}
