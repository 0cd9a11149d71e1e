//! Unit tests of the record parser (golden corpora are in `tests/`).

use super::*;

fn text(rec: &Record, key: &str) -> String {
    rec.text(key).map(|t| t.into_owned()).unwrap_or_else(|| "<none>".into())
}

#[test]
fn syscall_line() {
    let line = r#"type=SYSCALL msg=audit(1490995752.404:20614537): arch=c000003e syscall=44 success=yes exit=464 comm="charon" exe=2F7573722F62696E key=(null)"#;
    let rec = Record::parse_line(line).unwrap();
    assert_eq!((rec.rtype.number, rec.rtype.name()), (1300, "SYSCALL"));
    assert_eq!(rec.time, AuditTime { secs: 1_490_995_752, millis: 404 });
    assert_eq!(rec.serial, 20_614_537);
    assert_eq!(rec.node, None);
    assert_eq!(text(&rec, "exe"), "/usr/bin");
    assert_eq!(rec.get("exe").map(Value::as_written), Some("2F7573722F62696E"));
    assert_eq!(rec.get("key"), Some(Value::Null));
    assert_eq!(rec.syscall_name().as_deref(), Some("sendto"));
    assert_eq!(rec.exit(), Some(464));
    assert_eq!(rec.success(), Some(true));
    assert!(rec.keys().is_empty());
    assert_eq!(rec.raw(), line);
}

#[test]
fn node_prefix_and_enrichment() {
    let line = "node=web-1 type=SYSCALL msg=audit(1700000000.5:7): arch=c000003e syscall=59 auid=1000\x1dARCH=x86_64 SYSCALL=execve AUID=\"alice\"\n";
    let rec = Record::parse_line(line).unwrap();
    assert_eq!(rec.node.as_deref(), Some("web-1"));
    assert_eq!(rec.time.millis, 500);
    assert_eq!(rec.len(), 3);
    let enriched: Vec<(&str, String)> =
        rec.enrichment().map(|f| (f.key, f.value.text().unwrap_or_default().into_owned())).collect();
    assert_eq!(enriched, vec![("ARCH", "x86_64".into()), ("SYSCALL", "execve".into()), ("AUID", "alice".into())]);
}

#[test]
fn netlink_message() {
    let rec = Record::parse_netlink(1300, b"audit(1700000000.123:456): pid=42 comm=\"sh\"\0\0").unwrap();
    assert_eq!(rec.rtype.name(), "SYSCALL");
    assert_eq!(rec.serial, 456);
    assert_eq!(rec.int("pid"), Some(42));
    assert_eq!(text(&rec, "comm"), "sh");
    let eoe = Record::parse_netlink(1320, b"audit(1700000000.123:456): ").unwrap();
    assert_eq!(eoe.rtype.number, EOE);
    assert!(eoe.is_empty());
    let unknown = Record::parse_netlink(1999, b"audit(1.0:1): x=1").unwrap();
    assert_eq!(unknown.rtype.name(), "UNKNOWN[1999]");
    assert_eq!(Record::parse_netlink(1300, b"\0"), Err(ParseError::Empty));
    assert_eq!(Record::parse_netlink(1300, b"pid=1"), Err(ParseError::MissingHeader));
}

#[test]
fn header_variants() {
    // DAEMON_CONFIG has no colon after the header.
    let rec =
        Record::parse_line("type=DAEMON_CONFIG msg=audit(1490239800.477:34) config changed, auid=0 pid=1512").unwrap();
    assert_eq!(rec.int("auid"), Some(0));
    let rec = Record::parse_line("type=UNKNOWN[1334] msg=audit(1.000:2): a=b").unwrap();
    assert_eq!((rec.rtype.number, rec.rtype.name()), (1334, "BPF"));
    let rec = Record::parse_line("type=FUTURE_THING msg=audit(1.000:2): a=b").unwrap();
    assert_eq!((rec.rtype.number, rec.rtype.name()), (0, "FUTURE_THING"));
}

#[test]
fn malformed_lines_are_errors() {
    assert_eq!(Record::parse_line("type=UNKNOWN[1329] msg=?"), Err(ParseError::MissingHeader));
    assert_eq!(Record::parse_line(""), Err(ParseError::Empty));
    assert_eq!(Record::parse_line("hello"), Err(ParseError::MissingType));
    assert_eq!(Record::parse_line("type=SYSCALL msg=audit(x.1:2): a=1"), Err(ParseError::BadTimestamp));
    assert_eq!(Record::parse_line("type=SYSCALL msg=audit(1.1:4294967296): a=1"), Err(ParseError::BadSerial));
    assert_eq!(Record::parse_line("type=SYSCALL msg=audit(1.1:2"), Err(ParseError::MissingHeader));
    assert!(matches!(Record::parse_line("type=a{b msg=audit(1.1:2): "), Err(ParseError::BadType(_))));
    let long = format!("type=SYSCALL msg=audit(1.1:2): a={}", "x".repeat(MAX_RECORD_LEN));
    assert!(matches!(Record::parse_line(&long), Err(ParseError::TooLong(..))));
}

#[test]
fn keys_split_on_0x01() {
    let rec = Record::parse_line(r#"type=SYSCALL msg=audit(1.1:2): key=65786563013634626974""#).unwrap();
    assert_eq!(rec.keys(), vec!["exec", "64bit"]);
    let rec = Record::parse_line(r#"type=SYSCALL msg=audit(1.1:2): key="pam""#).unwrap();
    assert_eq!(rec.keys(), vec!["pam"]);
}

#[test]
fn interpreted_values() {
    let rec = Record::parse_line(
        "type=SYSCALL msg=audit(1.1:2): arch=x86_64 syscall=execve exit=EACCES(Permission denied) a0=0x1fd05c0",
    )
    .unwrap();
    assert_eq!(rec.syscall_name().as_deref(), Some("execve"));
    assert_eq!(rec.exit(), Some(-13));
    assert_eq!(rec.hex("a0"), Some(0x1fd05c0));
}

#[test]
fn user_space_result() {
    let rec = Record::parse_line(
        "type=USER_LOGIN msg=audit(1.1:2): pid=1 msg='op=login acct=28696E76616C6964207573657229 res=failed'",
    )
    .unwrap();
    assert_eq!(rec.success(), Some(false));
    assert_eq!(text(&rec, "acct"), "(invalid user)");
    assert_eq!(rec.get("msg"), None);
}
