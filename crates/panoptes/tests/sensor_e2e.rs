//! Privileged end-to-end tests: the real binary, real programs, real kernel
//! events. Each test starts its own `panoptes run`, acts, stops it and
//! asserts on the JSON lines it wrote.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;

use common::{privileged, sh, unique, Running};
use serde_json::Value;

fn argv(e: &Value) -> Vec<String> {
    e["exec"]["argv"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
}

#[test]
fn exec_with_arguments_exit_and_ancestry() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "process"]);
    let tag = unique("exec");
    sh(&format!("/bin/echo {tag} second-arg > /dev/null; exit 0"));
    let me = std::process::id();
    let out = run.stop();

    let exec = out.find("exec", |e| argv(e).contains(&tag));
    assert_eq!(argv(exec), vec!["/bin/echo".to_string(), tag.clone(), "second-arg".into()]);
    assert_eq!(exec["exec"]["filename"], "/bin/echo");
    assert_eq!(exec["exec"]["result"], 0);
    assert_eq!(exec["exec"]["file"], "/usr/bin/echo", "the kernel's view resolves the /bin symlink");
    assert_eq!(exec["exec"]["memfd"], false);
    assert_eq!(exec["process"]["exe"], "/usr/bin/echo");
    assert!(exec["process"]["exec_id"].as_str().unwrap().ends_with(&format!(":{}", exec["process"]["pid"])));
    assert!(exec["exec"]["cwd"].as_str().unwrap().starts_with('/'));
    assert_eq!(exec["process"]["uid"], 0);
    assert!(exec["time"].as_str().unwrap().ends_with('Z'));

    // Ancestry: sh (dash), then this test process, then on up to init.
    let ancestors = exec["process"]["ancestors"].as_array().unwrap();
    assert!(ancestors.len() >= 2, "{ancestors:?}");
    assert_eq!(ancestors[0]["exe"], "/usr/bin/dash");
    assert_eq!(ancestors[0]["cmdline"].as_str().unwrap().split(' ').next(), Some("sh"));
    assert_eq!(ancestors[1]["pid"], me);
    assert_eq!(exec["process"]["parent_exec_id"], ancestors[0]["exec_id"]);
    let last = ancestors.last().unwrap();
    assert!(last["pid"] == 1 || last["pid"] == 0 || ancestors.len() >= 3, "chain should reach init: {ancestors:?}");

    // The fork that made the echo process and its exit.
    let pid = exec["process"]["pid"].as_u64().unwrap();
    out.find("fork", |e| e["fork"]["child_pid"] == pid && e["fork"]["thread"] == false);
    let exit = out.find("exit", |e| e["process"]["pid"] == pid);
    assert_eq!(exit["exit"]["code"], 0);
    assert_eq!(exit["process"]["exe"], "/usr/bin/echo");
    assert_eq!(exit["process"]["exec_id"], exec["process"]["exec_id"]);
}

#[test]
fn failed_exec_and_exit_signal() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "exec,exit"]);
    let missing = format!("/nonexistent/{}", unique("missing"));
    let _ = Command::new("sh").arg("-c").arg(format!("exec {missing}")).status();
    sh("sh -c 'kill -9 $$'; true");
    let out = run.stop();
    let failed = out.find("exec", |e| e["exec"]["filename"] == missing.as_str());
    assert_eq!(failed["exec"]["result"], -2, "ENOENT");
    assert!(failed["exec"]["file"].is_null());
    out.find("exit", |e| e["exit"]["signal"] == 9);
    assert_eq!(out.of_kind("fork").count(), 0, "fork was narrowed away by --events");
}

#[test]
fn file_write_rename_unlink_chmod() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "file"]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    sh(&format!(
        "echo x > {d}/a && mv {d}/a {d}/b && chmod 4755 {d}/b && chown 1:1 {d}/b && rm {d}/b && cd {d} && echo y > rel && cat rel >/dev/null && cat /etc/hostname > /dev/null"
    ));
    let out = run.stop();

    let open = out.find("file_open", |e| e["file"]["path"] == format!("{d}/a"));
    let names: Vec<&str> =
        open["file"]["flags_names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for flag in ["O_WRONLY", "O_CREAT", "O_TRUNC"] {
        assert!(names.contains(&flag), "{names:?}");
    }
    assert_eq!(open["file"]["reason"], "write");
    assert!(open["file"]["result"].as_i64().unwrap() >= 0);
    assert_eq!(open["process"]["exe"], "/usr/bin/dash");

    let rename = out.find("file_rename", |e| e["file"]["new_path"] == format!("{d}/b"));
    assert_eq!(rename["file"]["path"], format!("{d}/a"));
    assert_eq!(rename["file"]["result"], 0);
    assert_eq!(rename["process"]["exe"], "/usr/bin/mv");

    let chmod = out.find("file_chmod", |e| e["file"]["path"] == format!("{d}/b"));
    assert_eq!(chmod["file"]["mode_octal"], "0o4755");
    let chown = out.find("file_chown", |e| e["file"]["path"] == format!("{d}/b"));
    assert_eq!((chown["file"]["uid"].as_u64(), chown["file"]["gid"].as_u64()), (Some(1), Some(1)));

    let unlink = out.find("file_unlink", |e| e["file"]["path"] == format!("{d}/b"));
    assert_eq!(unlink["file"]["result"], 0);
    assert_eq!(unlink["process"]["exe"], "/usr/bin/rm");

    // A relative path is reported absolute.
    let rel = out.find("file_open", |e| e["file"]["raw_path"] == "rel");
    assert_eq!(rel["file"]["path"], format!("{d}/rel"));
    // Read-only opens of unwatched files are filtered in the kernel.
    assert!(out.of_kind("file_open").all(|e| e["file"]["path"] != "/etc/hostname"));
    assert!(out.of_kind("file_open").all(|e| e["file"]["reason"] != "forensics"));
}

#[test]
fn watched_read_and_forensics_mode() {
    if !privileged() {
        return;
    }
    let home = std::path::PathBuf::from(format!("/home/{}", unique("user")));
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::write(home.join(".ssh/id_test"), "key").unwrap();
    let run = Running::start(&["--events", "file_open"]);
    sh("cat /etc/shadow > /dev/null; cat /etc/hostname > /dev/null; cat /proc/self/environ > /dev/null");
    sh(&format!("cat {}/.ssh/id_test > /dev/null; cat {}/.profile 2>/dev/null; true", home.display(), home.display()));
    let out = run.stop();
    std::fs::remove_dir_all(&home).unwrap();
    let key = out.find("file_open", |e| e["file"]["path"] == format!("{}/.ssh/id_test", home.display()));
    assert_eq!(key["file"]["reason"], "watched", "/home/*/.ssh/* matches any user");
    let shadow = out.find("file_open", |e| e["file"]["path"] == "/etc/shadow");
    assert_eq!(shadow["file"]["reason"], "watched");
    assert_eq!(shadow["process"]["exe"], "/usr/bin/cat");
    out.find("file_open", |e| e["file"]["raw_path"] == "/proc/self/environ" && e["file"]["reason"] == "watched");
    assert!(out.of_kind("file_open").all(|e| e["file"]["path"] != "/etc/hostname"));

    let run = Running::start(&["--events", "file_open", "--forensics"]);
    sh("cat /etc/hostname > /dev/null");
    let out = run.stop();
    let host = out.find("file_open", |e| e["file"]["path"] == "/etc/hostname");
    assert_eq!(host["file"]["reason"], "forensics");
}

#[test]
fn tcp_connect_bind_listen_accept_on_loopback() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "network"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (mut server, peer) = listener.accept().unwrap();
    client.write_all(b"hi").unwrap();
    let mut buf = [0u8; 2];
    server.read_exact(&mut buf).unwrap();
    // A refused connect has a result.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    assert!(TcpStream::connect(("127.0.0.1", closed_port)).is_err());
    // IPv6 loopback and a unix socket path.
    let listener6 = TcpListener::bind("[::1]:0").unwrap();
    let port6 = listener6.local_addr().unwrap().port();
    let _client6 = TcpStream::connect(("::1", port6)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("pn.sock");
    let _unix_listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let _unix_client = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    let out = run.stop();
    let me = std::process::id();

    let v6 = out.find("net_connect", |e| e["net"]["addr"]["port"] == port6);
    assert_eq!((v6["net"]["addr"]["family"].as_str(), v6["net"]["addr"]["ip"].as_str()), (Some("inet6"), Some("::1")));
    assert_eq!(v6["net"]["result"], 0);
    let unix = out.find("net_connect", |e| e["net"]["addr"]["path"] == sock.display().to_string());
    assert_eq!(unix["net"]["addr"]["family"], "unix");
    assert_eq!(unix["net"]["socket_type"], "stream");
    out.find("net_bind", |e| e["net"]["addr"]["path"] == sock.display().to_string());

    let connect = out.find("net_connect", |e| e["net"]["addr"]["port"] == port);
    assert_eq!(connect["net"]["addr"]["family"], "inet");
    assert_eq!(connect["net"]["addr"]["ip"], "127.0.0.1");
    assert_eq!(connect["net"]["result"], 0);
    assert_eq!(connect["net"]["socket_type"], "stream");
    assert_eq!(connect["net"]["protocol"], "tcp");
    assert_eq!(connect["process"]["pid"], me);
    let refused = out.find("net_connect", |e| e["net"]["addr"]["port"] == closed_port);
    assert_eq!(refused["net"]["result"], -111, "ECONNREFUSED");

    out.find("net_bind", |e| e["net"]["addr"]["ip"] == "127.0.0.1" && e["process"]["pid"] == me);
    let listen = out.find("net_listen", |e| e["net"]["local"]["port"] == port);
    assert_eq!(listen["net"]["local"]["ip"], "127.0.0.1");
    let accept = out.find("net_accept", |e| e["net"]["local"]["port"] == port);
    assert_eq!(accept["net"]["peer"]["port"], peer.port());
    assert!(accept["net"]["result"].as_i64().unwrap() >= 0);
}

#[test]
fn ptrace_by_strace() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "ptrace"]);
    sh("strace -f -o /dev/null /bin/true");
    let out = run.stop();
    let p = out.find("ptrace", |e| e["process"]["exe"] == "/usr/bin/strace");
    assert!(p["ptrace"]["request_name"].as_str().unwrap().starts_with("PTRACE_"));
    out.find("ptrace", |e| {
        e["ptrace"]["request_name"] == "PTRACE_SEIZE" || e["ptrace"]["request_name"] == "PTRACE_TRACEME"
    });
}

#[test]
fn memfd_create_and_fileless_exec() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "exec,memfd_create"]);
    let name = unique("memfd");
    let script = format!(
        "import os\nfd = os.memfd_create('{name}', 0)\nos.write(fd, open('/bin/true','rb').read())\nos.execve('/proc/self/fd/%d' % fd, ['fileless', '{name}'], {{}})\n"
    );
    let status = Command::new("python3").arg("-c").arg(&script).status().unwrap();
    assert!(status.success());
    let out = run.stop();
    let memfd = out.find("memfd_create", |e| e["memfd"]["name"] == name.as_str());
    assert!(memfd["memfd"]["result"].as_i64().unwrap() >= 0);
    let exec = out.find("exec", |e| argv(e).contains(&name));
    assert_eq!(exec["exec"]["memfd"], true, "{exec}");
    assert_eq!(exec["exec"]["deleted"], true);
    assert_eq!(exec["exec"]["nlink"], 0);
    assert!(exec["exec"]["file"].as_str().unwrap().contains(&format!("memfd:{name}")), "{exec}");
    assert_eq!(exec["process"]["exe"], exec["exec"]["file"]);
}

#[test]
fn deleted_binary_exec() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "exec"]);
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join(unique("gone"));
    std::fs::copy("/bin/true", &bin).unwrap();
    let linked = Command::new(&bin).arg("linked").status().unwrap();
    assert!(linked.success());
    // Open, unlink, then exec through the fd: the kernel runs a file with
    // no links left.
    let script = format!(
        "import os\nfd = os.open('{b}', os.O_RDONLY)\nos.unlink('{b}')\nos.execve('/proc/self/fd/%d' % fd, ['gone', 'deleted'], {{}})\n",
        b = bin.display()
    );
    assert!(Command::new("python3").arg("-c").arg(&script).status().unwrap().success());
    let out = run.stop();
    let path = bin.display().to_string();
    let first = out.find("exec", |e| e["exec"]["filename"] == path.as_str());
    assert_eq!(first["exec"]["deleted"], false);
    assert_eq!(first["exec"]["nlink"], 1);
    assert_eq!(first["exec"]["file"], path.as_str());
    let gone = out.find("exec", |e| argv(e) == vec!["gone".to_string(), "deleted".into()]);
    assert_eq!(gone["exec"]["deleted"], true, "{gone}");
    assert_eq!(gone["exec"]["nlink"], 0);
    assert_eq!(gone["exec"]["memfd"], false);
    assert_eq!(gone["exec"]["file"], path.as_str(), "the dentry keeps its last name");
}

#[test]
fn setuid_setgid_and_unshare() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "setid,unshare,setns,capset"]);
    let status = Command::new("python3")
        .arg("-c")
        .arg("import os\nos.setresgid(65534, 65534, 65534)\nos.setuid(65534)\n")
        .status()
        .unwrap();
    assert!(status.success());
    sh("unshare --net --uts true");
    let out = run.stop();
    let setuid = out.find("setid", |e| e["setid"]["syscall"] == "setuid");
    assert_eq!(setuid["setid"]["ids"], serde_json::json!([65534]));
    assert_eq!(setuid["setid"]["result"], 0);
    assert_eq!(setuid["process"]["uid"], 65534, "records are built at syscall exit: the change shows");
    assert_eq!(setuid["process"]["gid"], 65534);
    let setresgid = out.find("setid", |e| e["setid"]["syscall"] == "setresgid");
    assert_eq!(setresgid["setid"]["ids"], serde_json::json!([65534, 65534, 65534]));
    let unshare = out.find("unshare", |e| e["process"]["exe"] == "/usr/bin/unshare");
    let ns: Vec<&str> =
        unshare["namespace"]["namespaces"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(ns.contains(&"CLONE_NEWNET") && ns.contains(&"CLONE_NEWUTS"), "{ns:?}");
    assert_eq!(unshare["namespace"]["result"], 0);
}

#[test]
fn kill_mount_and_bpf() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "kill,mount,umount,bpf"]);
    sh("sleep 30 & kill -TERM $!; wait; true");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    sh(&format!("mount -t tmpfs pn-test-tmpfs {d} && umount {d}"));
    sh("bpftool prog show > /dev/null 2>&1 || true");
    let out = run.stop();
    let kill = out.find("kill", |e| e["kill"]["signal"] == 15);
    assert_eq!(kill["kill"]["syscall"], "kill");
    let mount = out.find("mount", |e| e["mount"]["source"] == "pn-test-tmpfs");
    assert_eq!(mount["mount"]["fstype"], "tmpfs");
    assert_eq!(mount["mount"]["target"], d.to_string());
    assert_eq!(mount["mount"]["result"], 0);
    out.find("umount", |e| e["mount"]["target"] == d.to_string());
    out.find("bpf", |e| e["process"]["exe"] == "/usr/sbin/bpftool");
}

#[test]
fn threads_are_marked() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "fork"]);
    let status = Command::new("python3")
        .arg("-c")
        .arg("import threading\nt = threading.Thread(target=lambda: None)\nt.start()\nt.join()\n")
        .status()
        .unwrap();
    assert!(status.success());
    let out = run.stop();
    let t = out.find("fork", |e| e["fork"]["thread"] == true && e["process"]["comm"] == "python3");
    assert_eq!(t["fork"]["child_pid"], t["process"]["pid"], "a thread belongs to its process");
}

#[test]
fn overload_is_counted_and_reported_as_loss() {
    if !privileged() {
        return;
    }
    // A tiny queue and ring so a burst must drop; every drop must be counted.
    let run = Running::start(&["--events", "process", "--queue-capacity", "1", "--ringbuf-bytes", "65536"]);
    sh("for i in $(seq 1 400); do /bin/true; done");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let out = run.stop();
    let drops = out.stats["drops_total"].as_u64().unwrap();
    assert!(drops > 0, "a 1-slot queue under a 400-exec burst must drop: {}", out.stats);
    let loss: u64 = out.of_kind("loss").map(|e| e["loss"]["count"].as_u64().unwrap()).sum();
    assert_eq!(loss, drops, "every drop is reported by a loss event");
    let received: u64 = out.stats["received"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    let queue_drops: u64 =
        out.stats["drops"]["sensor_queue"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    let written: u64 = out.stats["events"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "loss")
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    // Kinds the rules need are traced too; the output leaves them out.
    let filtered: u64 = out.stats["filtered"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(received, written + filtered + queue_drops, "received = written + filtered + dropped at the queue");
}

#[test]
fn programs_that_cannot_attach_are_named_and_the_rest_runs() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "module_load,exec"]);
    sh("/bin/true");
    let out = run.stop();
    let tracepoint = std::path::Path::new("/sys/kernel/tracing/events/syscalls/sys_enter_finit_module");
    let kinds_off: Vec<&str> = out.stats["kinds_off"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    if tracepoint.exists() {
        assert!(!kinds_off.contains(&"module_load"), "{kinds_off:?}");
    } else {
        // This kernel has no module syscalls: the kind is off, the program
        // and the reason are named, and everything else still runs.
        assert_eq!(kinds_off, vec!["module_load"]);
        let off = out.stats["programs_off"].as_array().unwrap();
        assert!(
            off.iter().any(|p| p["program"] == "sys_exit_finit_module"
                && p["reason"].as_str().unwrap().contains("sys_exit_finit_module")),
            "{off:?}"
        );
        assert!(out.stderr.contains("event kind OFF") && out.stderr.contains("module_load"), "{}", out.stderr);
    }
    out.find("exec", |e| e["exec"]["filename"] == "/bin/true");
}

#[test]
fn long_argv_is_capped_and_flagged() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "exec"]);
    let tag = unique("long");
    let long = "A".repeat(6000);
    let status = Command::new("/bin/true").arg(&tag).arg(&long).status().unwrap();
    assert!(status.success());
    sh(&format!("/bin/true {tag} short"));
    let out = run.stop();
    let capped =
        out.find("exec", |e| argv(e).get(1) == Some(&tag) && argv(e).len() >= 3 && argv(e)[2].starts_with("AAAA"));
    assert_eq!(capped["exec"]["argv_truncated"], true);
    let bytes: usize = argv(capped).iter().map(|a| a.len() + 1).sum();
    assert!(bytes <= 4096 && bytes > 4000, "argv bytes {bytes}");
    let short = out.find("exec", |e| argv(e) == vec!["/bin/true".to_string(), tag.clone(), "short".into()]);
    assert_eq!(short["exec"]["argv_truncated"], false);
}

#[test]
fn exec_from_overlay_reports_the_overlay_path() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let name = unique("ovl");
    sh(&format!(
        "mkdir -p {d}/lower {d}/upper {d}/work {d}/merged && cp /bin/true {d}/lower/{name} && \
         mount -t overlay overlay -o lowerdir={d}/lower,upperdir={d}/upper,workdir={d}/work {d}/merged"
    ));
    let run = Running::start(&["--events", "exec"]);
    let status = Command::new(format!("{d}/merged/{name}")).status();
    let out = run.stop();
    sh(&format!("umount {d}/merged"));
    assert!(status.unwrap().success());
    let exec = out.find("exec", |e| e["exec"]["filename"] == format!("{d}/merged/{name}"));
    assert_eq!(exec["exec"]["fs"], "overlay", "{exec}");
    assert_eq!(exec["exec"]["file"], format!("{d}/merged/{name}"));
}

#[test]
fn capset_and_setns() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "capset,setns"]);
    sh("setpriv --inh-caps=-all --bounding-set=-sys_module true");
    sh("nsenter --net=/proc/self/ns/net --uts=/proc/self/ns/uts true");
    let out = run.stop();
    let cap = out.find("capset", |e| e["process"]["exe"] == "/usr/bin/setpriv");
    assert_eq!(cap["capset"]["result"], 0);
    assert_eq!(cap["capset"]["inheritable"], 0);
    assert!(cap["capset"]["permitted"].as_u64().unwrap() > 0);
    let ns = out.find("setns", |e| e["process"]["exe"] == "/usr/bin/nsenter");
    assert_eq!(ns["namespace"]["result"], 0);
    assert!(ns["namespace"]["ns_file"].as_str().unwrap().contains(":["), "{ns}");
}

#[test]
fn sigterm_stops_cleanly_with_counters() {
    if !privileged() {
        return;
    }
    let run = Running::start(&["--events", "exec"]);
    sh("/bin/true");
    let out = run.stop_with(libc::SIGTERM);
    assert!(out.stderr.contains("panoptes: stopped after"), "{}", out.stderr);
    assert!(out.stderr.contains("drops total:"), "{}", out.stderr);
    assert!(out.stats["events"]["exec"].as_u64().unwrap() >= 1, "{}", out.stats);
    assert_eq!(out.stats["drops_total"], 0);
}

/// `--output record=` beside `jsonl=` in a live run: `panoptes replay` of
/// the binary recording gives back exactly the events of the JSON lines.
#[test]
fn live_binary_recording_replays_the_same_events() {
    if !privileged() {
        return;
    }
    let keep = tempfile::tempdir().unwrap();
    let rec = keep.path().join("events.rec");
    let run = Running::start(&["--events", "process,file", "--output", &format!("record={}", rec.display())]);
    let tag = unique("rec");
    let dir = keep.path().display().to_string();
    sh(&format!("/bin/echo {tag} > {dir}/a; mv {dir}/a {dir}/b; rm {dir}/b; ls {dir} > /dev/null"));
    let out = run.stop();
    let events: Vec<&Value> = out.events.iter().filter(|e| e["kind"] != "alert").collect();
    assert!(events.iter().any(|e| e["kind"] == "exec" && argv(e).contains(&tag)), "the echo exec was recorded");

    let back = keep.path().join("back.jsonl");
    let status = Command::new(common::BIN)
        .args(["replay", &rec.display().to_string(), "--no-default-rules", "--events"])
        .arg("process,file,network,security,inventory")
        .arg("--output")
        .arg(format!("jsonl={}", back.display()))
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&back).unwrap();
    let replayed: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(replayed.len(), events.len());
    for (got, want) in replayed.iter().zip(events) {
        assert_eq!(got, want);
    }
    assert!(std::fs::metadata(&rec).unwrap().len() * 2 < text.len() as u64);
}
