//! Tree building over synthetic stored events.

use serde_json::{json, Value};

use super::*;

fn proc_(
    pid: u32,
    ppid: u32,
    start: u64,
    exe: &str,
    exec_id: &str,
    parent_exec_id: &str,
    ancestor: Option<Value>,
) -> Value {
    json!({
        "pid": pid, "tid": pid, "ppid": ppid, "uid": 0, "start_boot_ns": start, "exe": exe, "cmdline": exe,
        "exec_id": exec_id, "parent_exec_id": parent_exec_id,
        "ancestors": ancestor.map(|a| vec![a]).unwrap_or_default(),
    })
}

fn ev(kind: &str, t: u32, process: Value, container: &str, key: &str, body: Value) -> Value {
    let mut v = json!({
        "kind": kind,
        "time": format!("2026-11-23T12:00:{t:02}.000000000Z"),
        "process": process,
        "container": if container.is_empty() { Value::Null } else { json!({"id": container}) },
    });
    v[key] = body;
    v
}

const C: &str = "c0ffee";

fn shim() -> Value {
    json!({"pid": 50, "exec_id": "b:1:50", "exe": "/usr/bin/containerd-shim-runc-v2", "cmdline": "shim -id c0ffee"})
}

/// init (sh, pid 100) forks 101 which execs touch and writes, forks 102
/// which renames and deletes; 101 re-parented (ppid 1) by the time it
/// writes; init exits; 102 has no exit event.
fn container_events() -> Vec<Value> {
    let init = proc_(100, 50, 1000, "/bin/sh", "b:1000:100", "b:1:50", Some(shim()));
    let init_after = init.clone();
    let c101 = proc_(101, 100, 2000, "/bin/sh", "b:2000:101", "b:1000:100", None);
    let c101_exec = proc_(101, 100, 2000, "/bin/touch", "b:2500:101", "b:1000:100", None);
    let c101_orphan = proc_(101, 1, 2000, "/bin/touch", "b:2500:101", "b:1000:100", None);
    let c102 = proc_(102, 100, 3000, "/bin/sh", "b:3000:102", "b:1000:100", None);
    vec![
        ev(
            "exec",
            1,
            init.clone(),
            C,
            "exec",
            json!({"result": 0, "file": "/bin/sh", "argv": ["sh", "-c", "run"], "cwd": "/"}),
        ),
        ev("fork", 2, init.clone(), C, "fork", json!({"child_pid": 101, "child_start_boot_ns": 2000, "thread": false})),
        ev("fork", 2, init.clone(), C, "fork", json!({"child_pid": 100, "child_start_boot_ns": 9, "thread": true})),
        ev(
            "exec",
            3,
            c101,
            C,
            "exec",
            json!({"result": 0, "file": "/bin/touch", "argv": ["touch", "/tmp/x"], "cwd": "/tmp"}),
        ),
        ev(
            "file_open",
            4,
            c101_orphan.clone(),
            C,
            "file",
            json!({"result": 3, "path": "/tmp/x", "flags_names": ["O_WRONLY", "O_CREAT"]}),
        ),
        ev(
            "file_open",
            4,
            c101_orphan.clone(),
            C,
            "file",
            json!({"result": -13, "path": "/etc/denied", "flags_names": ["O_WRONLY"]}),
        ),
        ev("file_chmod", 5, c101_exec, C, "file", json!({"result": 0, "path": "/tmp/x", "mode_octal": "0o4755"})),
        ev("exit", 6, c101_orphan, C, "exit", json!({"code": 0})),
        ev(
            "fork",
            7,
            init_after.clone(),
            C,
            "fork",
            json!({"child_pid": 102, "child_start_boot_ns": 3000, "thread": false}),
        ),
        ev("file_rename", 8, c102.clone(), C, "file", json!({"result": 0, "path": "/tmp/x", "new_path": "/tmp/y"})),
        ev("file_unlink", 9, c102, C, "file", json!({"result": 0, "path": "/tmp/y"})),
        ev("exit", 10, init_after, C, "exit", json!({"code": 137, "signal": null})),
    ]
}

#[test]
fn container_tree_has_edges_files_and_inferred_exits() {
    let forest = build(&container_events(), &Selection::All);
    assert_eq!(forest.len(), 1, "{forest:#?}");
    let shim = &forest[0];
    assert!(shim.outside);
    assert_eq!(shim.pid, 50);
    assert_eq!(shim.exe.as_deref(), Some("/usr/bin/containerd-shim-runc-v2"));
    let init = &shim.children[0];
    assert_eq!((init.pid, init.exe.as_deref(), init.exit_code), (100, Some("/bin/sh"), Some(137)));
    assert_eq!(init.argv, vec!["sh", "-c", "run"]);
    let kids: Vec<u32> = init.children.iter().map(|c| c.pid).collect();
    assert_eq!(kids, vec![101, 102], "re-parented 101 stays under its forker");

    let touch = &init.children[0];
    assert_eq!(touch.exe.as_deref(), Some("/bin/touch"));
    assert_eq!(touch.cwd.as_deref(), Some("/tmp"));
    assert_eq!(touch.exec_ids, vec!["b:2000:101", "b:2500:101"]);
    assert_eq!(touch.execs.len(), 1);
    assert_eq!(touch.execs[0].argv, vec!["touch", "/tmp/x"]);
    let ops: Vec<(&str, &str)> = touch.files.iter().map(|f| (f.op, f.path.as_str())).collect();
    assert_eq!(ops, vec![("create", "/tmp/x"), ("chmod", "/tmp/x")], "failed opens are not changes");
    assert_eq!(touch.files[1].mode.as_deref(), Some("0o4755"));
    assert!(!touch.exit_inferred);

    let mover = &init.children[1];
    assert_eq!(mover.argv, vec!["sh", "-c", "run"], "a child that never exec'd runs its parent's image");
    assert_eq!(mover.cwd.as_deref(), Some("/"), "and inherits its cwd");
    assert!(mover.execs.is_empty());
    assert_eq!(mover.files[0].new_path.as_deref(), Some("/tmp/y"));
    assert_eq!(mover.files[1].op, "delete");
    assert_eq!(mover.exit_time.as_deref(), Some("2026-11-23T12:00:10.000000000Z"));
    assert!(mover.exit_inferred, "no exit event: the container stop fills it");
    assert_eq!(mover.start_time.as_deref(), Some("2026-11-23T12:00:07.000000000Z"), "start = fork time");
}

#[test]
fn pid_selection_gives_the_subtree() {
    let forest = build(&container_events(), &Selection::Pid(101));
    assert_eq!(forest.len(), 1);
    assert_eq!(forest[0].pid, 101);
    assert!(forest[0].children.is_empty());
    assert!(build(&container_events(), &Selection::Pid(4242)).is_empty());
}

#[test]
fn renders_text_json_and_dot() {
    let forest = build(&container_events(), &Selection::All);
    let text = render(&forest, Format::Text);
    assert!(text.contains("[50] shim -id c0ffee  (outside)"), "{text}");
    assert!(text.contains("└─ [100] sh -c run"), "{text}");
    assert!(text.contains("├─ [101] touch /tmp/x"), "{text}");
    assert!(text.contains("create /tmp/x"), "{text}");
    assert!(text.contains("rename /tmp/x -> /tmp/y"), "{text}");
    assert!(text.contains("(container stop)"), "{text}");
    let json: Value = serde_json::from_str(&render(&forest, Format::Json)).unwrap();
    assert_eq!(json[0]["children"][0]["children"][1]["files"][1]["op"], "delete");
    let dot = render(&forest, Format::Dot);
    assert!(dot.starts_with("digraph"));
    assert_eq!(dot.matches(" -> p").count(), 3, "{dot}");
    assert!(dot.contains("style=dashed"));
}

#[test]
fn garbage_events_are_ignored() {
    let events = vec![json!({}), json!({"kind": "exec", "process": {"pid": "x"}}), json!(null)];
    assert!(build(&events, &Selection::All).is_empty());
}
