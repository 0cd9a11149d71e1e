//! The alert's JSON shape (golden), reading it back, and severities.

use super::*;
use crate::samples;
use crate::{Body, EventKind, Exit, Process};

fn small_alert() -> Alert {
    Alert {
        time_unix_ns: 1_000_000_001,
        rule: RuleRef { id: "r1".into(), title: None, source: "rules/t.yml".into(), author: Some("A. Author".into()) },
        severity: Severity::Medium,
        mitre: vec!["T1059".into(), "T1105".into()],
        tags: vec![],
        message: "pid 7 \"quoted\"".into(),
        process: AlertProcess { pid: 7, uid: 0, user: Some("root".into()), ..AlertProcess::default() },
        container: None,
        events: vec![Event {
            time_boot_ns: 5,
            time_unix_ns: 1_000_000_001,
            process: Process { pid: 7, comm: "sh".into(), ..Process::default() }.into(),
            container: None,
            body: Body::Exit(Exit { code: Some(0), signal: None, core_dumped: false }),
        }],
        action: Action::Alert,
        suppressed: 0,
    }
}

#[test]
fn json_shape_is_golden() {
    let ev = small_alert().events[0].to_json();
    let expected = format!(
        concat!(
            r#"{{"kind":"alert","time":"1970-01-01T00:00:01.000000001Z","#,
            r#""rule":{{"id":"r1","title":null,"source":"rules/t.yml","author":"A. Author"}},"#,
            r#""severity":"medium","mitre":["T1059","T1105"],"tags":[],"message":"pid 7 \"quoted\"","#,
            r#""process":{{"pid":7,"exec_id":null,"exe":null,"cmdline":null,"uid":0,"user":"root","cwd":null,"ancestors":[]}},"#,
            r#""container":null,"events":[{}],"action":{{"type":"alert"}},"suppressed":0}}"#
        ),
        ev
    );
    assert_eq!(small_alert().to_json(), expected);
    assert!(ev.starts_with(r#"{"kind":"exit","time":"1970-01-01T00:00:01.000000001Z""#), "{ev}");
}

#[test]
fn kill_actions_have_their_documented_form() {
    let cases = [
        (Action::Alert, r#"{"type":"alert"}"#),
        (
            Action::Kill { by: KillBy::Kernel, ok: true, error: None },
            r#"{"type":"kill","by":"kernel","ok":true,"error":null}"#,
        ),
        (
            Action::Kill { by: KillBy::UserSpace, ok: false, error: Some("ESRCH".into()) },
            r#"{"type":"kill","by":"user_space","ok":false,"error":"ESRCH"}"#,
        ),
    ];
    for (action, json) in cases {
        assert_eq!(serde_json::to_string(&action).unwrap(), json);
        assert_eq!(serde_json::from_str::<Action>(json).unwrap(), action);
    }
}

#[test]
fn alerts_round_trip() {
    for alert in [small_alert(), samples::alert()] {
        let json = alert.to_json();
        assert!(json.starts_with(r#"{"kind":"alert","time":""#), "{json}");
        assert_eq!(Alert::from_json(&json).unwrap(), alert, "{json}");
    }
    // A sequence alert holds every step's event.
    let mut seq = samples::alert();
    seq.events = vec![samples::event(EventKind::FileOpen), samples::event(EventKind::Exec)];
    assert_eq!(Alert::from_json(&seq.to_json()).unwrap(), seq);
}

#[test]
fn bad_alert_lines_are_errors() {
    let good: serde_json::Value = serde_json::from_str(&small_alert().to_json()).unwrap();
    let with = |key: &str, value: serde_json::Value| {
        let mut v = good.clone();
        v[key] = value;
        Alert::from_json(&v.to_string()).unwrap_err().to_string()
    };
    assert!(with("kind", "exec".into()).contains("alert"), "{}", with("kind", "exec".into()));
    assert!(with("severity", "severe".into()).contains("unknown variant `severe`"));
    assert!(with("time", "soon".into()).contains("not an RFC 3339 time"));
    assert!(with("extra", 1.into()).contains("unknown field `extra`"));
    assert!(with("action", serde_json::json!({"type": "ban"})).contains("unknown variant `ban`"));
    let event_line = small_alert().events[0].to_json();
    assert!(Alert::from_json(&event_line).is_err());
}

#[test]
fn severities_parse_print_and_order() {
    for s in Severity::ALL {
        assert_eq!(s.to_string().parse::<Severity>(), Ok(s));
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
    }
    assert!(Severity::Info < Severity::Low && Severity::High < Severity::Critical);
    assert_eq!(Severity::ALL.iter().max(), Some(&Severity::Critical));
    let err = "severe".parse::<Severity>().unwrap_err().to_string();
    assert_eq!(err, "unknown severity \"severe\"; expected one of info, low, medium, high, critical");
    assert!("High".parse::<Severity>().is_err(), "words are lower case");
}
