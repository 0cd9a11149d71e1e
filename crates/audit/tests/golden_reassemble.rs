//! go-libaudit's reassembler corpus (`testdata/*.log`), with the upstream
//! test's settings: at most 5 events in flight, 2 s timeout, every line
//! pushed without time passing, then a flush. Expected groupings and loss
//! are the ones stated in `shared/testdata/audit/README.md`.

mod common;

use panoptes_audit::AuditEvent;

fn groups(events: &[AuditEvent]) -> Vec<(u32, usize)> {
    events.iter().map(|e| (e.serial, e.records.len())).collect()
}

fn run(file: &str) -> (Vec<(u32, usize)>, u64, Vec<AuditEvent>) {
    let lines = common::lines(&format!("go-libaudit/testdata/{file}"));
    let (events, reassembler) = common::reassemble(&lines);
    let stats = reassembler.stats();
    assert_eq!(stats.records_in, lines.len() as u64, "{file}");
    assert_eq!(stats.events_out, events.len() as u64, "{file}");
    assert_eq!(events.iter().map(|e| e.records.len() as u64).sum::<u64>(), lines.len() as u64, "{file}");
    (groups(&events), stats.lost, events)
}

#[test]
fn normal() {
    let (groups, lost, _) = run("normal.log");
    assert_eq!(groups, vec![(58, 2), (59, 5), (60, 5), (61, 4), (62, 1)]);
    assert_eq!(lost, 0);
}

#[test]
fn out_of_order_groups_like_normal() {
    let (groups, lost, events) = run("out_of_order.log");
    assert_eq!(groups, vec![(58, 2), (59, 5), (60, 5), (61, 4), (62, 1)]);
    assert_eq!(lost, 0);
    // Records stay in arrival order: event 60's late PATH is last.
    let last = events[2].records.last().map(|r| r.rtype.name().to_string());
    assert_eq!(last.as_deref(), Some("PATH"));
}

#[test]
fn lost_messages() {
    let (groups, lost, _) = run("lost_messages.log");
    assert_eq!(groups, vec![(49, 2), (59, 5), (60, 5), (61, 4), (62, 1)]);
    assert_eq!(lost, 9);
}

#[test]
fn rollover() {
    let (groups, lost, _) = run("rollover.log");
    assert_eq!(groups, vec![(4294967294, 1), (4294967295, 1), (0, 1), (1, 1), (2, 1)]);
    assert_eq!(lost, 0);
}

/// The same corpus pushed one record at a time with the audit timestamps as
/// the clock (as `panoptes replay` would): events older than 2 s close by
/// timeout, and the groupings do not change.
#[test]
fn normal_with_record_time_as_clock() {
    use panoptes_audit::{Reassembler, ReassemblerConfig, Record};
    let mut r = Reassembler::new(ReassemblerConfig { max_in_flight: 5, timeout_ms: 2000, max_records_per_event: 64 });
    let mut out = Vec::new();
    for line in common::lines("go-libaudit/testdata/normal.log") {
        let rec = Record::parse_line(&line).unwrap();
        let now = rec.time.unix_ms();
        r.push(rec, now, &mut out);
        r.flush_expired(now, &mut out);
    }
    r.flush(&mut out);
    assert_eq!(groups(&out), vec![(58, 2), (59, 5), (60, 5), (61, 4), (62, 1)]);
    assert!(r.stats().timed_out >= 3);
}
