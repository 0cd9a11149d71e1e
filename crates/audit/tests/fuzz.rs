//! Property tests: arbitrary bytes and mutated real lines never panic the
//! parser, the typed decoders, the reassembler or the mapping, and the
//! reassembler accounts for every record it is given.

mod common;

use panoptes_audit::{decode, mapping, AuditEvent, Reassembler, ReassemblerConfig, Record};
use proptest::prelude::*;

/// Every raw line of the corpora (read once).
fn corpus_lines() -> &'static [String] {
    static LINES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LINES.get_or_init(read_corpus)
}

fn read_corpus() -> Vec<String> {
    let mut files: Vec<String> = [
        "audit-rhel6.log",
        "audit-rhel7.log",
        "audit-ubuntu14.log",
        "audit-ubuntu16.log",
        "audit-ubuntu17.log",
        "test2.log",
        "test3.log",
    ]
    .iter()
    .map(|f| format!("go-libaudit/auparse/testdata/{f}"))
    .collect();
    files.extend(
        ["normal", "out_of_order", "lost_messages", "rollover"].iter().map(|f| format!("go-libaudit/testdata/{f}.log")),
    );
    files.extend(
        [
            "auditbeat/sudo.log",
            "auditbeat/setuid.log",
            "auditbeat/chown.log",
            "auditbeat/userlogin.log",
            "filebeat/test.log",
        ]
        .iter()
        .map(|f| format!("elastic-beats/{f}")),
    );
    let mut lines: Vec<String> = files.iter().flat_map(|f| common::lines(f)).collect();
    for file in
        ["rhel-7-linux-3.10.0", "ubuntu-16.10-linux-4.8.0", "ubuntu-17.04-linux-4.10.0", "ubuntu-16.04-linux-4.13.0"]
    {
        for (_, records) in common::yaml_tests(&format!("go-libaudit/aucoalesce/testdata/{file}.yaml")) {
            lines.extend(records);
        }
    }
    lines
}

/// Reads everything a consumer could read from a record.
fn touch(rec: &Record) {
    for f in rec.fields().chain(rec.enrichment()) {
        let _ = (f.value.decoded(), f.value.text(), f.value.as_written());
    }
    let _ = (rec.keys(), rec.arch(), rec.syscall_name(), rec.exit(), rec.success(), rec.hex("a0"), rec.int("pid"));
    let _ = (decode::proctitle(rec), decode::path_item(rec), decode::cwd(rec), decode::sockaddr(rec, rec.arch()));
    let _ = decode::execve_argv([rec]);
}

fn feed(records: Vec<Record>, config: ReassemblerConfig) -> (Vec<AuditEvent>, Reassembler) {
    let mut r = Reassembler::new(config);
    let mut out = Vec::new();
    for (i, rec) in records.into_iter().enumerate() {
        r.push(rec, i as u64, &mut out);
        if i % 7 == 0 {
            r.flush_expired(i as u64, &mut out);
        }
    }
    r.flush(&mut out);
    (out, r)
}

/// records in = records out + dropped + EOE records (never stored).
fn accounted(records_in: u64, eoe: u64, events: &[AuditEvent], r: &Reassembler) {
    let out: u64 = events.iter().map(|e| e.records.len() as u64).sum();
    let stats = r.stats();
    assert_eq!(stats.records_in, records_in);
    assert_eq!(out + stats.dropped_records + eoe, records_in, "{stats:?}");
    assert_eq!(stats.events_out, events.len() as u64);
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let special = prop::sample::select(vec![
        b'"', b'\'', b'=', b' ', b'(', b')', b':', b'.', 0x1d, 0x01, 0, b'\n', b'{', b'}', 0xff,
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), special).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(line: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = line.to_vec();
    for m in mutations {
        let len = b.len().max(1);
        match *m {
            Mutation::Flip(i, v) if !b.is_empty() => b[i % len] = v,
            Mutation::Insert(i, v) => b.insert(i % (b.len() + 1), v),
            Mutation::Delete(i, n) if !b.is_empty() => {
                let start = i % len;
                let end = (start + n).min(b.len());
                b.drain(start..end);
            }
            Mutation::Truncate(i) => b.truncate(i % (b.len() + 1)),
            _ => {}
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), ty in any::<u16>()) {
        if let Ok(rec) = Record::parse_line_bytes(&bytes) { touch(&rec); }
        if let Ok(rec) = Record::parse_netlink(ty, &bytes) { touch(&rec); }
        let mut prefixed = b"type=SYSCALL msg=audit(1.2:3): ".to_vec();
        prefixed.extend_from_slice(&bytes);
        if let Ok(rec) = Record::parse_line_bytes(&prefixed) { touch(&rec); }
    }

    #[test]
    fn mutated_lines_never_panic(
        picks in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(mutation(), 0..6)), 1..40),
        max_in_flight in 1usize..8,
    ) {
        let corpus = corpus_lines();
        let mut records = Vec::new();
        let mut eoe = 0;
        for (index, mutations) in &picks {
            let line = apply(index.get(corpus).as_bytes(), mutations);
            if let Ok(rec) = Record::parse_line_bytes(&line) {
                touch(&rec);
                eoe += u64::from(rec.rtype.number == panoptes_audit::record::EOE);
                records.push(rec);
            }
        }
        let n = records.len() as u64;
        let config = ReassemblerConfig { max_in_flight, timeout_ms: 5, max_records_per_event: 4 };
        let (events, r) = feed(records, config);
        accounted(n, eoe, &events, &r);
        for event in &events {
            let _ = mapping::to_event(event);
            let _ = mapping::process(event);
        }
    }

    #[test]
    fn reassembler_accounts_for_every_record(
        input in prop::collection::vec((0usize..6, 0u32..40, 0u32..3, 0usize..3), 0..200),
        base in prop::sample::select(vec![0u32, 1000, u32::MAX - 20]),
        max_in_flight in 1usize..10,
    ) {
        const TYPES: [&str; 6] = ["SYSCALL", "PATH", "EOE", "USER_CMD", "PROCTITLE", "LOGIN"];
        let mut records = Vec::new();
        let mut eoe = 0;
        for (t, serial, millis, node) in input {
            let serial = base.wrapping_add(serial);
            let line = format!("node=n{node} type={} msg=audit(1700000000.{millis:03}:{serial}): a=1", TYPES[t]);
            let rec = Record::parse_line(&line).expect("valid line");
            eoe += u64::from(t == 2);
            records.push(rec);
        }
        let n = records.len() as u64;
        let (events, r) = feed(records, ReassemblerConfig { max_in_flight, timeout_ms: 3, max_records_per_event: 3 });
        accounted(n, eoe, &events, &r);
        prop_assert!(r.stats().lost < 40 * 3);
    }
}
