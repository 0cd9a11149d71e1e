//! Rules the converter must refuse, each with the reason a user needs, and
//! small shapes the test rules do not cover. The fixtures are written for
//! these tests (not taken from the Sigma repository).

use panoptes_sigma::{convert_dir, convert_str, is_sigma, Outcome, Yaml};

fn rule(logsource: &str, detection: &str) -> String {
    format!("title: Test {{x}}\nid: 11111111-2222-3333-4444-555555555555\nlevel: low\nauthor: Tester\nlogsource: {logsource}\ndetection:\n{detection}")
}

const PROC: &str = "{product: linux, category: process_creation}";
const AUDITD: &str = "{product: linux, service: auditd}";
const NET: &str = "{product: linux, category: network_connection}";

fn reason(yaml: &str) -> String {
    match convert_str(yaml, "t.yml") {
        Outcome::Unsupported { reason, .. } => reason,
        Outcome::Converted(rule) => panic!("converted: {}", rule.condition),
    }
}

fn condition(yaml: &str) -> String {
    match convert_str(yaml, "t.yml") {
        Outcome::Converted(rule) => rule.condition,
        Outcome::Unsupported { reason, .. } => panic!("refused: {reason}"),
    }
}

#[test]
fn broken_files() {
    assert!(reason("title: [unclosed").starts_with("invalid YAML: "));
    assert_eq!(reason(""), "empty file: no YAML document");
    assert!(reason("a: 1\n---\nb: 2\n").starts_with("2 YAML documents in one file"));
    assert!(reason("- just\n- a list\n").starts_with("not a Sigma rule"));
    assert!(reason("title: x\ndetection: {condition: a}\n").starts_with("not a Sigma rule"));
    assert_eq!(reason(&rule(PROC, "")), "invalid Sigma rule: detection is not a mapping");
    let untitled = rule(PROC, "  s: {Image: a}\n  condition: s\n").replace("title: Test {x}\n", "");
    assert_eq!(reason(&untitled), "invalid Sigma rule: the rule has no title");
}

#[test]
fn empty_or_inconsistent_detection() {
    assert_eq!(
        reason(&rule(PROC, "  condition: selection\n")),
        "invalid Sigma rule: detection has no search identifiers"
    );
    assert_eq!(
        reason(&rule(PROC, "  selection:\n  condition: selection\n")),
        "invalid Sigma rule: selection selection is empty"
    );
    assert_eq!(
        reason(&rule(PROC, "  selection: {}\n  condition: selection\n")),
        "invalid Sigma rule: selection selection is empty"
    );
    assert_eq!(reason(&rule(PROC, "  selection: {Image: x}\n")), "invalid Sigma rule: detection has no condition");
    assert_eq!(
        reason(&rule(PROC, "  selection: {Image: x}\n  condition: selection and not filter\n")),
        "invalid condition: unknown search identifier `filter`"
    );
    assert_eq!(
        reason(&rule(PROC, "  selection: {Image: x}\n  condition: 1 of filter_*\n")),
        "invalid condition: `1 of filter_*` matches no search identifier"
    );
    assert_eq!(
        reason(&rule(PROC, "  selection: {Image: x}\n  condition: selection | count() > 3\n")),
        "invalid condition: aggregation (`| …`) at column 11 is not supported"
    );
    assert_eq!(
        reason(&rule(PROC, "  selection: {Image: x}\n  timeframe: 5m\n  condition: selection\n")),
        "timeframe (a correlation over time) is not supported"
    );
    assert_eq!(
        reason(&rule(PROC, "  selection: {Image: []}\n  condition: selection\n")),
        "invalid Sigma rule: Image has an empty value list"
    );
}

#[test]
fn unknown_modifiers_and_fields_are_named() {
    assert_eq!(
        reason(&rule(PROC, "  s: {CommandLine|base64: x}\n  condition: s\n")),
        "modifier base64 is not supported"
    );
    assert_eq!(
        reason(&rule(PROC, "  s: {CommandLine|contains|windash: x}\n  condition: s\n")),
        "modifier windash is not supported"
    );
    assert_eq!(
        reason(&rule(PROC, "  s: {CommandLine|exists: true}\n  condition: s\n")),
        "modifier exists is not supported"
    );
    assert_eq!(
        reason(&rule(PROC, "  s: {OriginalFileName: x}\n  condition: s\n")),
        "field OriginalFileName is not mapped for logsource process_creation"
    );
    assert_eq!(reason(&rule(NET, "  s: {Initiated: 'false'}\n  condition: s\n")).split(' ').next(), Some("Initiated:"));
    assert_eq!(
        reason(&rule(NET, "  s: {DestinationPort|contains: 22}\n  condition: s\n")),
        "DestinationPort: modifier contains on an integer field"
    );
    assert_eq!(
        reason(&rule(NET, "  s: {DestinationIp: 'not-an-ip'}\n  condition: s\n")),
        "DestinationIp: \"not-an-ip\" is not an IP address"
    );
    assert!(reason(&rule(PROC, "  s: {CommandLine|re: '(?<=x)y'}\n  condition: s\n"))
        .starts_with("CommandLine: invalid regex"));
    assert_eq!(
        reason(&rule("{product: windows, category: process_creation}", "  s: {Image: x}\n  condition: s\n")),
        "logsource product windows: only product linux rules are converted"
    );
    assert!(reason(&rule("{product: linux, category: dns_query}", "  s: {QueryName: x}\n  condition: s\n"))
        .starts_with("logsource category dns_query"));
}

#[test]
fn auditd_records() {
    assert_eq!(
        reason(&rule(AUDITD, "  s: {type: SYSCALL, SYSCALL: ptrace, a0: 16}\n  condition: s\n")),
        "raw syscall arguments (a0..a3 of a SYSCALL record) are not in Panoptes events"
    );
    assert_eq!(
        reason(&rule(AUDITD, "  s: {type: [EXECVE, PATH]}\n  condition: s\n")),
        "type: several record types in one selection"
    );
    assert_eq!(
        reason(&rule(AUDITD, "  s: {a1: x, name: /etc/x}\n  condition: s\n")),
        "invalid Sigma rule: a selection mixes fields of EXECVE and PATH records"
    );
    assert_eq!(
        reason(&rule(AUDITD, "  s: {type: CWD, cwd: /tmp}\n  condition: s\n")),
        "auditd record type CWD is not a syscall event: Panoptes has no counterpart for it"
    );
    assert_eq!(
        condition(&rule(AUDITD, "  s: {type: SYSCALL, SYSCALL: PTRACE}\n  condition: s\n")),
        r#"event.syscall ieq "ptrace""#
    );
    assert_eq!(
        reason(&rule(AUDITD, "  s: {type: syscall, exe|endswith: /x}\n  n: {a1: y}\n  condition: s and not n\n")),
        "raw syscall arguments (a0..a3 of a SYSCALL record) are not in Panoptes events",
        "in a rule of SYSCALL records an untyped a1 is a raw argument"
    );
    assert_eq!(
        condition(&rule(AUDITD, "  s: {type: syscall, exe|endswith: /x}\n  condition: s\n")),
        r#"event.syscall exists and process.exe iendswith "/x""#
    );
}

#[test]
fn shapes_beyond_the_test_rules() {
    assert_eq!(
        condition(&rule(PROC, "  s:\n    Image: null\n    CommandLine|endswith: '\\*x'\n  condition: all of them\n")),
        r#"kind == exec and exec.result == 0 and (not process.exe exists and process.cmdline iendswith "*x")"#
    );
    assert_eq!(
        condition(&rule(PROC, "  a: {Image: '/bin/[x]?'}\n  _b: {Image: y}\n  condition: 1 of them\n")),
        r#"kind == exec and exec.result == 0 and (process.exe iglob "/bin/[[]x[]]?")"#
    );
    assert_eq!(
        condition(&rule(NET, "  s: {Initiated: 'true'}\n  condition: s\n")),
        "kind == net_connect and net.addr.family in (inet, inet6) and (kind == net_connect and net.addr.family in (inet, inet6))"
    );
    assert_eq!(
        condition(&rule(PROC, "  s: {CommandLine: 'say \"hi\" \\ now'}\n  condition: s\n")),
        r#"kind == exec and exec.result == 0 and (process.cmdline ieq "say \"hi\" \\ now")"#
    );
    assert_eq!(
        condition(&rule(PROC, "  s: {Image: a}\n  t: {Image: b}\n  condition: [s, t]\n")),
        r#"kind == exec and exec.result == 0 and ((process.exe ieq "a") or (process.exe ieq "b"))"#
    );
    let Outcome::Converted(r) =
        convert_str(&rule(PROC, "  s: {Image: a}\n  condition: s\n").replace("level: low\n", ""), "d/x.yml")
    else {
        panic!()
    };
    assert_eq!((r.severity.as_str(), r.output.starts_with("Test {{x}} (")), ("medium", true));
    assert_eq!(r.notes, vec!["no level: severity medium"]);
}

#[test]
fn is_sigma_needs_logsource_and_detection() {
    let doc = |text: &str| yaml_rust2::YamlLoader::load_from_str(text).unwrap().remove(0);
    assert!(is_sigma(&doc("logsource: {}\ndetection: {}\n")));
    assert!(!is_sigma(&doc("- rule: x\n  condition: kind == exec\n")));
    assert!(!is_sigma(&doc("logsource: {}\n")));
    assert!(!is_sigma(&Yaml::Null));
}

#[test]
fn convert_dir_reports_every_yaml_file() {
    let dir = std::env::temp_dir().join(format!("panoptes-sigma-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("b.yml"), rule(PROC, "  s: {Image: a}\n  condition: s\n")).unwrap();
    std::fs::write(dir.join("sub/a.YAML"), "not: [valid").unwrap();
    std::fs::write(dir.join("sub/c.yaml"), [0xff, 0xfe, 0x00]).unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let outcomes = convert_dir(&dir).unwrap();
    let sources: Vec<&str> = outcomes.iter().map(|o| o.source()).collect();
    assert_eq!(sources, vec!["b.yml", "sub/a.YAML", "sub/c.yaml"]);
    assert!(matches!(&outcomes[0], Outcome::Converted(r) if r.source == "b.yml"));
    assert!(matches!(&outcomes[1], Outcome::Unsupported { reason, .. } if reason.starts_with("invalid YAML")));
    assert!(matches!(&outcomes[2], Outcome::Unsupported { reason, .. } if reason.starts_with("cannot read the file")));
    assert!(convert_dir(&dir.join("missing")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
