//! go-libaudit's aucoalesce corpus: each YAML test is the records of one
//! event. They must reassemble into exactly that event (EOE dropped), and
//! the mapping must give the Panoptes kind and the fields the `.json.golden`
//! has: process pid/ppid/name/exe/title, exec args and cwd, addresses,
//! file paths, and the result (`success`/`fail`, errno names).

mod common;

use std::collections::BTreeMap;

use event::{Body, EventKind, SockAddr};
use panoptes_audit::tables::errno_name;
use panoptes_audit::{mapping, Completion};
use serde_json::Value as Json;

const FILES: &[&str] = &[
    "random-internet",
    "rhel-7-linux-3.10.0",
    "ubuntu-16.04-linux-4.13.0",
    "ubuntu-16.10-linux-4.8.0",
    "ubuntu-17.04-linux-4.10.0",
    "ubuntu-20.04.6-linux-5.15.0-1034-gcp",
    "ubuntu-21.10-linux-5.13",
    "ubuntu-24.04-linux-6.8.0",
];

/// The Panoptes kind each test maps to; every other test maps to nothing
/// (user-space records, or syscalls Panoptes has no kind for: adjtimex,
/// mknod, ioctl, setsockopt, read, linkat, getpeername, getsockname,
/// clock_adjtime).
fn expected_kind(test: &str) -> Option<EventKind> {
    Some(match test {
        "EXECVE" | "EXECVE with multiple keys" | "file_mode_preservation" => EventKind::Exec,
        "connect syscall" => EventKind::NetConnect,
        "accept syscall" => EventKind::NetAccept,
        "listen syscall" => EventKind::NetListen,
        "mount syscall" => EventKind::Mount,
        "rename syscall" => EventKind::FileRename,
        "unlink syscall" | "AVC_AppArmor_unlink" => EventKind::FileUnlink,
        _ => return None,
    })
}

fn s(v: &Json) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn inet(addr: &Option<SockAddr>) -> Option<(String, String)> {
    match addr {
        Some(SockAddr::Inet { ip, port }) | Some(SockAddr::Inet6 { ip, port }) => {
            Some((ip.to_string(), port.to_string()))
        }
        _ => None,
    }
}

fn check(file: &str, name: &str, lines: &[String], golden: &Json, problems: &mut Vec<String>) -> bool {
    let mut fail = |what: String| problems.push(format!("{file} / {name}: {what}"));
    let want = &golden["event"];
    let (events, _) = common::reassemble(lines);
    let records = lines.iter().filter(|l| !l.starts_with("type=EOE ")).count();
    let [event] = events.as_slice() else {
        fail(format!("{} events, want 1", events.len()));
        return false;
    };
    if event.records.len() != records {
        fail(format!("{} records, want {records}", event.records.len()));
    }
    let has_eoe = lines.len() != records;
    if has_eoe != (event.completion == Completion::Eoe) {
        fail(format!("completion {:?} (EOE present: {has_eoe})", event.completion));
    }
    if Some(u64::from(event.serial)) != want["sequence"].as_u64() {
        fail(format!("sequence {} != {}", event.serial, want["sequence"]));
    }
    let ts = common::go_timestamp(event.time.secs, event.time.millis);
    if want["@timestamp"].as_str() != Some(ts.as_str()) {
        fail(format!("timestamp {ts} != {}", want["@timestamp"]));
    }

    // The process header, for every event with a SYSCALL record.
    let wp = &want["process"];
    if let Some(process) = mapping::process(event) {
        let checks: [(&str, Option<String>, Option<String>); 5] = [
            ("pid", Some(process.pid.to_string()), s(&wp["pid"])),
            ("ppid", Some(process.ppid.to_string()), s(&wp["ppid"])),
            ("name", Some(process.comm.clone()), s(&wp["name"])),
            ("exe", process.exe.clone(), s(&wp["exe"])),
            ("title", process.cmdline.clone(), s(&wp["title"])),
        ];
        for (field, got, want) in checks {
            if got != want {
                fail(format!("process.{field} {got:?} != {want:?}"));
            }
        }
    }

    let mapped = mapping::to_event(event);
    let kind = mapped.as_ref().map(|e| e.kind());
    if kind != expected_kind(name) {
        fail(format!("kind {kind:?} != {:?}", expected_kind(name)));
        return true;
    }
    let Some(mapped) = mapped else { return true };
    if Some(mapped.time_unix_ns) != Some(event.time.unix_ns()) || mapped.time_boot_ns != 0 {
        fail("event times".into());
    }
    if mapped.process.pid.to_string() != s(&wp["pid"]).unwrap_or_default() {
        fail("mapped pid".into());
    }
    let result = match &mapped.body {
        Body::Exec(e) => e.result,
        Body::NetConnect(n) => n.result,
        Body::NetAccept(n) => n.result,
        Body::NetListen(n) => n.result,
        Body::Mount(m) => m.result,
        Body::FileRename(f) => f.result,
        Body::FileUnlink(f) => f.result,
        other => panic!("unexpected body {other:?}"),
    };
    let want_result = if result >= 0 { "success" } else { "fail" };
    if s(&want["result"]).as_deref() != Some(want_result) {
        fail(format!("result {result} vs {}", want["result"]));
    }
    let want_exit = s(&want["data"]["exit"]).unwrap_or_default();
    let got_exit = errno_name(result).map_or_else(|| result.to_string(), str::to_string);
    if got_exit != want_exit {
        fail(format!("exit {got_exit} != {want_exit}"));
    }
    let file_path = s(&want["file"]["path"]);
    match &mapped.body {
        Body::Exec(exec) => {
            let args: Vec<String> = wp["args"].as_array().map(|a| a.iter().filter_map(s).collect()).unwrap_or_default();
            if exec.argv != args {
                fail(format!("argv {:?} != {args:?}", exec.argv));
            }
            if exec.cwd != s(&wp["cwd"]) {
                fail(format!("cwd {:?} != {:?}", exec.cwd, wp["cwd"]));
            }
            if Some(&exec.filename) != file_path.as_ref() {
                fail(format!("filename {} != {file_path:?}", exec.filename));
            }
            if exec.file != mapped.process.exe
                || exec.inode.to_string() != s(&want["file"]["inode"]).unwrap_or_default()
            {
                fail("exec file/inode".into());
            }
        }
        Body::NetConnect(net) => {
            let dest = (
                s(&want["destination"]["ip"]).unwrap_or_default(),
                s(&want["destination"]["port"]).unwrap_or_default(),
            );
            if inet(&net.addr) != Some(dest.clone()) {
                fail(format!("addr {:?} != {dest:?}", net.addr));
            }
        }
        Body::NetAccept(net) => {
            let peer = (s(&want["source"]["ip"]).unwrap_or_default(), s(&want["source"]["port"]).unwrap_or_default());
            if inet(&net.peer) != Some(peer.clone()) {
                fail(format!("peer {:?} != {peer:?}", net.peer));
            }
        }
        Body::FileRename(f) => {
            let new = want["paths"]
                .as_array()
                .and_then(|p| p.iter().find(|p| p["nametype"] == "CREATE"))
                .and_then(|p| s(&p["name"]));
            if Some(&f.path) != file_path.as_ref() || Some(&f.new_path) != new.as_ref() {
                fail(format!("rename {} -> {} vs {file_path:?} -> {new:?}", f.path, f.new_path));
            }
        }
        Body::FileUnlink(f) => {
            // AVC_AppArmor_unlink's golden has no `file`: expect the DELETE item.
            let want = file_path.unwrap_or_else(|| "/var/lib/apt/lists/partial/.apt-acquire-privs-test.zW4jyj".into());
            if f.path != want {
                fail(format!("unlink {} != {want}", f.path));
            }
        }
        Body::Mount(m) if Some(&m.target) != file_path.as_ref() => {
            fail(format!("mount target {} != {file_path:?}", m.target));
        }
        _ => {}
    }
    true
}

#[test]
fn aucoalesce_events_reassemble_and_map() {
    let mut problems = Vec::new();
    let mut tests = 0;
    let mut mapped = BTreeMap::new();
    for file in FILES {
        let golden: Json =
            serde_json::from_str(&common::read(&format!("go-libaudit/aucoalesce/testdata/{file}.json.golden")))
                .unwrap();
        let golden: BTreeMap<String, Json> = golden
            .as_array()
            .expect("array")
            .iter()
            .map(|g| (s(&g["test_name"]).unwrap_or_default(), g.clone()))
            .collect();
        let yaml = common::yaml_tests(&format!("go-libaudit/aucoalesce/testdata/{file}.yaml"));
        assert_eq!(yaml.len(), golden.len(), "{file}: yaml tests vs golden entries");
        for (name, lines) in &yaml {
            let want = golden.get(name).unwrap_or_else(|| panic!("{file}: no golden for {name}"));
            if check(file, name, lines, want, &mut problems) {
                tests += 1;
            }
            if let Some(kind) = expected_kind(name) {
                *mapped.entry(kind).or_insert(0) += 1;
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    assert_eq!(tests, 48);
    assert_eq!(mapped.values().sum::<i32>(), 10, "{mapped:?}");
}
