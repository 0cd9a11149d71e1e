//! Unit tests of the reassembler (the go-libaudit corpora are in `tests/`).

use super::*;

fn rec(rtype: &str, serial: u32) -> Record {
    Record::parse_line(&format!("type={rtype} msg=audit(1700000000.000:{serial}): a=1")).unwrap()
}

fn rec_at(rtype: &str, millis: u32, serial: u32) -> Record {
    Record::parse_line(&format!("type={rtype} msg=audit(1700000000.{millis:03}:{serial}): a=1")).unwrap()
}

fn summary(events: &[AuditEvent]) -> Vec<(u32, usize, Completion)> {
    events.iter().map(|e| (e.serial, e.records.len(), e.completion)).collect()
}

fn small() -> Reassembler {
    Reassembler::new(ReassemblerConfig { max_in_flight: 3, timeout_ms: 100, max_records_per_event: 4 })
}

#[test]
fn eoe_completes_and_is_not_stored() {
    let mut r = small();
    let mut out = Vec::new();
    for t in ["SYSCALL", "CWD", "PATH", "PROCTITLE", "EOE"] {
        r.push(rec(t, 10), 0, &mut out);
    }
    assert_eq!(summary(&out), vec![(10, 4, Completion::Eoe)]);
    assert_eq!(r.in_flight(), 0);
    assert_eq!(r.stats().records_in, 5);
}

#[test]
fn standalone_records_complete_at_once() {
    let mut r = small();
    let mut out = Vec::new();
    r.push(rec("USER_LOGIN", 5), 0, &mut out);
    r.push(rec("DAEMON_START", 6), 0, &mut out);
    r.push(rec("LOGIN", 7), 0, &mut out);
    assert_eq!(summary(&out), vec![(5, 1, Completion::Standalone), (6, 1, Completion::Standalone)]);
    assert_eq!(r.in_flight(), 1);
}

#[test]
fn interleaved_records_group_by_serial() {
    let mut r = small();
    let mut out = Vec::new();
    r.push(rec("SYSCALL", 2), 0, &mut out);
    r.push(rec("SYSCALL", 1), 0, &mut out);
    r.push(rec("PROCTITLE", 1), 0, &mut out);
    r.push(rec("PROCTITLE", 2), 0, &mut out);
    r.push(rec("EOE", 2), 0, &mut out);
    r.push(rec("EOE", 1), 0, &mut out);
    assert_eq!(summary(&out), vec![(2, 2, Completion::Eoe), (1, 2, Completion::Eoe)]);
    let stats = r.stats();
    assert_eq!((stats.lost, stats.reordered), (0, 1));
}

#[test]
fn gaps_count_as_lost_and_refill() {
    let mut r = small();
    let mut out = Vec::new();
    r.push(rec("USER_CMD", 10), 0, &mut out);
    r.push(rec("USER_CMD", 14), 0, &mut out);
    assert_eq!(r.stats().lost, 3);
    r.push(rec("USER_CMD", 12), 0, &mut out);
    assert_eq!(r.stats().lost, 2);
    // Before the first serial seen: never counted, so nothing to refill.
    r.push(rec("USER_CMD", 3), 0, &mut out);
    assert_eq!(r.stats().lost, 2);
    assert_eq!(out.len(), 4);
}

#[test]
fn in_flight_limit_evicts_oldest_serial() {
    let mut r = small();
    let mut out = Vec::new();
    for serial in [4, 2, 3, 5] {
        r.push(rec("SYSCALL", serial), 0, &mut out);
    }
    assert_eq!(summary(&out), vec![(2, 1, Completion::Evicted)]);
    assert_eq!(r.stats().evicted, 1);
    assert_eq!(r.in_flight(), 3);
}

#[test]
fn timeout_flushes_old_events_only() {
    let mut r = small();
    let mut out = Vec::new();
    r.push(rec("SYSCALL", 1), 0, &mut out);
    r.push(rec("SYSCALL", 2), 60, &mut out);
    r.flush_expired(99, &mut out);
    assert!(out.is_empty());
    r.flush_expired(100, &mut out);
    assert_eq!(summary(&out), vec![(1, 1, Completion::Timeout)]);
    r.flush(&mut out);
    assert_eq!(summary(&out)[1], (2, 1, Completion::Flushed));
    assert_eq!(r.stats().timed_out, 1);
}

#[test]
fn late_records_are_emitted_alone() {
    let mut r = small();
    let mut out = Vec::new();
    r.push(rec("SYSCALL", 1), 0, &mut out);
    r.push(rec("EOE", 1), 0, &mut out);
    r.push(rec("PATH", 1), 0, &mut out);
    r.push(rec("EOE", 1), 0, &mut out);
    assert_eq!(summary(&out), vec![(1, 1, Completion::Eoe), (1, 1, Completion::Late)]);
    assert_eq!(r.stats().late_records, 2);
}

#[test]
fn record_cap_drops_and_counts() {
    let mut r = small();
    let mut out = Vec::new();
    for _ in 0..6 {
        r.push(rec("PATH", 1), 0, &mut out);
    }
    r.push(rec("EOE", 1), 0, &mut out);
    assert_eq!(summary(&out), vec![(1, 4, Completion::Eoe)]);
    assert_eq!(r.stats().dropped_records, 2);
}

#[test]
fn wrap_is_not_loss_but_restart_is_a_reset() {
    let mut r = small();
    let mut out = Vec::new();
    for serial in [u32::MAX - 1, u32::MAX, 0, 1] {
        r.push(rec("USER_CMD", serial), 0, &mut out);
    }
    assert_eq!(r.stats().lost, 0);
    r.push(rec("USER_CMD", 90_000_000), 0, &mut out);
    r.push(rec("USER_CMD", 90_000_001), 0, &mut out);
    let stats = r.stats();
    assert_eq!((stats.lost, stats.resets), (0, 1));
}

#[test]
fn same_serial_new_timestamp_is_a_new_event() {
    let mut r = small();
    let mut out = Vec::new();
    r.push(rec_at("SYSCALL", 1, 7), 0, &mut out);
    r.push(rec_at("SYSCALL", 2, 7), 0, &mut out);
    r.flush(&mut out);
    assert_eq!(summary(&out), vec![(7, 1, Completion::Evicted), (7, 1, Completion::Flushed)]);
}

#[test]
fn nodes_have_separate_serials() {
    let mut r = small();
    let mut out = Vec::new();
    for (node, serial) in [("a", 100), ("b", 5), ("a", 101), ("b", 6)] {
        let line = format!("node={node} type=USER_CMD msg=audit(1.000:{serial}): a=1");
        r.push(Record::parse_line(&line).unwrap(), 0, &mut out);
    }
    assert_eq!(r.stats().lost, 0);
    assert_eq!(out[1].node.as_deref(), Some("b"));
}

#[test]
fn eoe_first_then_rest() {
    let mut r = small();
    let mut out = Vec::new();
    r.push(rec("EOE", 3), 0, &mut out);
    r.push(rec("SYSCALL", 3), 0, &mut out);
    r.flush(&mut out);
    assert_eq!(summary(&out), vec![(3, 1, Completion::Flushed)]);
    let mut r = small();
    r.push(rec("EOE", 3), 0, &mut out);
    r.flush(&mut out);
    assert_eq!(r.stats().orphan_eoe, 1);
}
