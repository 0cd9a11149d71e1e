//! The line reader gives what the full parser gives, line for line, and
//! shares repeated process objects.

use proptest::prelude::*;

use super::*;
use crate::samples;
use crate::EventKind;

/// Both readers on one line: the same event, or both an error.
fn same_as_full(reader: &mut LineReader, line: &[u8]) {
    let full = Event::from_json_slice(line);
    let read = reader.read(line);
    match (&full, &read) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", String::from_utf8_lossy(line)),
        (Err(_), Err(_)) => {}
        _ => panic!("full {full:?} vs line reader {read:?} on {}", String::from_utf8_lossy(line)),
    }
}

#[test]
fn every_kind_reads_as_the_full_parser_reads_it_and_repeats_share() {
    let mut reader = LineReader::new();
    for ev in samples::all_kinds() {
        let line = ev.to_json();
        let read = reader.read(line.as_bytes()).unwrap();
        assert_eq!(read, ev);
        same_as_full(&mut reader, line.as_bytes());
    }
    let kinds = samples::all_kinds().len() as u64;
    // One process object in all samples: parsed once, shared after.
    assert_eq!(reader.stats(), LineStats { shared: 2 * kinds - 1, parsed: 1, full: 0, direct: 0 });
    let a = reader.read(samples::event(EventKind::Exec).to_json().as_bytes()).unwrap();
    let b = reader.read(samples::event(EventKind::Exit).to_json().as_bytes()).unwrap();
    assert!(Arc::ptr_eq(&a.process, &b.process));
}

#[test]
fn host_events_are_read_in_place() {
    let mut reader = LineReader::new();
    for mut ev in samples::all_kinds() {
        ev.container = None;
        let line = ev.to_json();
        assert_eq!(reader.read(line.as_bytes()).unwrap(), ev);
    }
    let kinds = samples::all_kinds().len() as u64;
    assert_eq!(reader.stats(), LineStats { shared: kinds - 1, parsed: 1, full: 0, direct: kinds });
    // Near misses of the shape read as the full parser reads them.
    let mut ev = samples::event(EventKind::Exit);
    ev.container = None;
    let line = ev.to_json();
    let boot = format!("\"time_boot_ns\":{}", ev.time_boot_ns);
    let cases = [
        line.replacen(&boot, "\"time_boot_ns\":007", 1),
        line.replacen(&boot, "\"time_boot_ns\":0", 1),
        line.replacen(&boot, "\"time_boot_ns\":18446744073709551616", 1),
        line.replacen(&boot, "\"time_boot_ns\":18446744073709551615", 1),
        line.replacen(&boot, "\"time_boot_ns\":1.5", 1),
        line.replacen(&boot, "\"time_boot_ns\": 5", 1),
        line.replacen("\"time\":\"", "\"time\":\"x", 1),
        line.replacen("\"time\":\"", "\"time\":\"\\u0032", 1),
        line.replacen("\"kind\":\"exit\"", "\"kind\":\"exi\\u0074\"", 1),
        line.replacen("\"container\":null,\"exit\":", "\"container\":null,\"fork\":", 1),
        line.replacen("\"container\":null,", "\"container\":null,\"container\":null,", 1),
        format!("{}, \"x\":1}}", &line[..line.len() - 1]),
        format!("{} }}", &line[..line.len() - 1]),
        format!("{}}}", &line[..line.len() - 2]),
    ];
    for case in &cases {
        same_as_full(&mut reader, case.as_bytes());
    }
}

#[test]
fn lines_in_other_shapes_go_through_the_full_parser() {
    let ev = samples::event(EventKind::FileOpen);
    let line = ev.to_json();
    let process = serde_json::to_string(&*ev.process).unwrap();
    let cases = [
        // The process object mentions the container key inside a string.
        line.replacen("\"comm\":\"", "\"comm\":\",\\\"container\\\":", 1),
        line.replacen("\"comm\":\"", "\"comm\":\",\"container\":", 1),
        // A second process member, before or after the container.
        line.replacen(",\"container\":", &format!(",\"process\":{process},\"container\":"), 1),
        line.replacen(",\"file\":{", &format!(",\"process\":{process},\"file\":{{"), 1),
        // Keys in another order, nested values or escapes before the process.
        line.replacen("{\"kind\":\"file_open\",", "{\"kind\":\"file_open\",\"container\":null,", 1),
        line.replacen(",\"time_boot_ns\"", ",\"x\":{\"a\":1},\"time_boot_ns\"", 1),
        line.replacen("\"time\":\"", "\"time\":\"\\\"", 1),
        line.replacen(",\"process\":{", ",\"process\":null,\"y\":{", 1),
        line.replacen(",\"process\":{", ",\"process\":[{", 1),
        // Not the writer's shape at all.
        format!(" {line}"),
        line.replacen("\"kind\":\"file_open\"", "\"kind\":\"nope\"", 1),
        line[..line.len() - 1].to_string(),
        format!("{line}}}"),
        String::new(),
    ];
    let mut reader = LineReader::new();
    for case in &cases {
        same_as_full(&mut reader, case.as_bytes());
    }
    let s = reader.stats();
    assert!(s.full > 0);
    assert_eq!(s.shared + s.parsed + s.full, cases.len() as u64, "each line counted once: {s:?}");
    // The escaped container key is still the writer's shape: shared path.
    let mut reader = LineReader::new();
    let read = reader.read(cases[0].as_bytes()).unwrap();
    assert_eq!(read.process.comm, format!(",\"container\":{}", ev.process.comm));
    assert_eq!(reader.stats().parsed, 1);
}

#[test]
fn ancestor_lists_are_shared_between_processes_and_kept_apart() {
    let mut reader = LineReader::new();
    let mut lines = Vec::new();
    for n in 0..6 {
        for pid in 0..3u32 {
            let mut ev = samples::event(EventKind::FileOpen);
            let p = Arc::make_mut(&mut ev.process);
            p.pid = pid;
            p.ancestors = samples::ancestors(n).into();
            if n == 5 {
                // Same length as the list of 4, another parent.
                let mut list = samples::ancestors(4);
                list[0].cmdline = Some("other".into());
                p.ancestors = list.into();
            }
            lines.push(ev.to_json());
        }
    }
    // Twice, so later lines meet kept lists of other processes.
    for line in lines.iter().chain(lines.iter()) {
        same_as_full(&mut reader, line.as_bytes());
    }
    // Ancestors written after another key (not the writer's order).
    let ev = samples::event(EventKind::Exec);
    let mut process = serde_json::to_value(&*ev.process).unwrap();
    let list = process.as_object_mut().unwrap().remove("ancestors").unwrap();
    let moved = format!("{{\"ancestors\":{list},{}", &process.to_string()[1..]);
    let line = ev.to_json().replacen(&serde_json::to_string(&*ev.process).unwrap(), &moved, 1);
    assert_ne!(line, ev.to_json());
    assert_eq!(reader.read(line.as_bytes()).unwrap(), ev);
}

#[test]
fn the_kept_set_is_bounded() {
    let mut reader = LineReader::new();
    let mut ev = samples::event(EventKind::Fork);
    for pid in 0..(MAX_PROCESSES as u32 + 10) {
        Arc::make_mut(&mut ev.process).pid = pid;
        let read = reader.read(ev.to_json().as_bytes()).unwrap();
        assert_eq!(read.process.pid, pid);
    }
    assert!(reader.processes.len() <= MAX_PROCESSES);
    assert_eq!(reader.ancestors.len(), 1);
    assert_eq!(reader.stats().parsed, MAX_PROCESSES as u64 + 10);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// A recorded line with bytes replaced, inserted or removed anywhere:
    /// the line reader agrees with the full parser.
    #[test]
    fn mangled_lines_read_as_the_full_parser_reads_them(
        kind in 0usize..EventKind::ALL.len(),
        host in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(
            vec![b'"', b',', b'{', b'}', b'[', b']', b':', b'\\', b'a', b'1', b' ', 0xff]
        )), 1..4),
    ) {
        let mut ev = samples::event(EventKind::ALL[kind]);
        if host {
            ev.container = None;
        }
        let mut line = ev.to_json().into_bytes();
        for (at, op, byte) in edits {
            let i = at.index(line.len());
            match op {
                0 => line[i] = byte,
                1 => line.insert(i, byte),
                _ => { line.remove(i); }
            }
        }
        let mut reader = LineReader::new();
        // Twice: once parsing the process object, once sharing it.
        same_as_full(&mut reader, &line);
        same_as_full(&mut reader, &line);
    }
}
