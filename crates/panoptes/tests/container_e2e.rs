//! Privileged end-to-end tests with a real Docker engine: events from a
//! container carry its name, image and labels, and `panoptes tree` rebuilds
//! what ran in it and what it changed. dockerd is started (idempotently) by
//! scripts/dockerd-for-tests.sh on a private socket; scripts/test.sh stops
//! it by pid after the suite.

mod common;

use std::process::Command;

use common::{docker, privileged, unique, Running, BIN};
use serde_json::Value;

const SOCKET: &str = common::DOCKER_SOCKET;
const IMAGE: &str = common::DOCKER_IMAGE;

fn docker_cmd(args: &[&str]) -> std::process::Output {
    let out = Command::new("docker").arg("-H").arg(format!("unix://{SOCKET}")).args(args).output().unwrap();
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn argv(e: &Value) -> Vec<String> {
    e["exec"]["argv"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

/// Depth-first search of a `panoptes tree --format json` forest.
fn find<'a>(nodes: &'a Value, pred: &dyn Fn(&Value) -> bool) -> Option<&'a Value> {
    for n in nodes.as_array()? {
        if pred(n) {
            return Some(n);
        }
        if let Some(hit) = find(&n["children"], pred) {
            return Some(hit);
        }
    }
    None
}

#[test]
fn container_events_are_enriched_and_the_tree_shows_what_ran() {
    if !privileged() || !docker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let db_arg = db.display().to_string();
    let run = Running::start(&["--events", "process,file", "--store", &db_arg, "--docker-socket", SOCKET]);
    let name = unique("ctr");
    let script = "echo hi > /tmp/a; mv /tmp/a /tmp/b; chmod 600 /tmp/b; rm /tmp/b; sh -c 'touch /tmp/child'; sleep 1";
    docker_cmd(&["run", "--name", &name, "--network", "none", "--label", "team=blue", IMAGE, "sh", "-c", script]);
    let id =
        String::from_utf8(docker_cmd(&["inspect", "--format", "{{.Id}}", &name]).stdout).unwrap().trim().to_string();
    docker_cmd(&["rm", &name]);
    let out = run.stop();

    // Every event from the container names it.
    let mine: Vec<&Value> = out.events.iter().filter(|e| e["container"]["id"] == id.as_str()).collect();
    assert!(mine.len() >= 8, "events from the container: {}", mine.len());
    for e in &mine {
        let c = &e["container"];
        assert_eq!(c["name"], name.as_str(), "{e}");
        assert_eq!(c["image"], IMAGE, "{e}");
        assert_eq!(c["runtime"], "docker");
        assert_eq!(c["labels"]["team"], "blue");
        assert!(c["image_id"].as_str().unwrap_or("").starts_with("sha256:"), "{c}");
        assert_eq!(e["process"]["cgroup"], format!("/docker/{id}"));
    }
    let init =
        out.find("exec", |e| e["container"]["id"] == id.as_str() && argv(e).first().map(String::as_str) == Some("sh"));
    assert_eq!(init["exec"]["fs"], "overlay", "a container's files live on overlayfs");
    // Host events stay host events.
    assert!(out.events.iter().any(|e| e["container"].is_null()));
    assert!(out.stats["store"]["written"].as_u64().unwrap() > 0, "{}", out.stats);

    // The tree from the store.
    let tree = Command::new(BIN)
        .args(["tree", "--container", &name, "--store", &db_arg, "--format", "json"])
        .output()
        .unwrap();
    assert!(tree.status.success(), "{}", String::from_utf8_lossy(&tree.stderr));
    let forest: Value = serde_json::from_slice(&tree.stdout).unwrap();
    let files = |n: &Value| -> Vec<(String, String)> {
        n["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["op"].as_str().unwrap().into(), f["path"].as_str().unwrap().into()))
            .collect()
    };
    // Root: the runtime shim (outside), then the container's init.
    assert_eq!(forest.as_array().unwrap().len(), 1, "{forest:#}");
    let shim = &forest[0];
    assert_eq!(shim["outside"], true);
    assert_eq!(shim["exe"], "/usr/bin/containerd-shim-runc-v2");
    let sh = &shim["children"][0];
    assert_eq!(sh["container_id"], id.as_str());
    assert_eq!(sh["outside"], false);
    // busybox sh runs the script, then execs its last command.
    assert_eq!(sh["execs"][0]["argv"], serde_json::json!(["sh", "-c", script]), "{sh:#}");
    assert_eq!(sh["execs"][1]["argv"], serde_json::json!(["sleep", "1"]));
    assert_eq!(sh["cwd"], "/");
    assert!(files(sh).contains(&("create".into(), "/tmp/a".into())), "{sh:#}");
    // busybox runs its applets in forked children without exec: each
    // child of the init did one change.
    let kids = sh["children"].as_array().unwrap();
    let did = |op: &str, path: &str| kids.iter().find(|k| files(k).contains(&(op.to_string(), path.to_string())));
    let mv = did("rename", "/tmp/a").unwrap_or_else(|| panic!("rename under init: {sh:#}"));
    assert_eq!(mv["files"][0]["new_path"], "/tmp/b");
    assert_eq!(did("chmod", "/tmp/b").expect("chmod under init")["files"][0]["mode"], "0o600");
    did("delete", "/tmp/b").expect("delete under init");
    // The nested `sh -c 'touch /tmp/child'` (a forked sh that runs touch
    // as its last command, in its own process).
    let touch = find(&sh["children"], &|n| files(n).contains(&("create".into(), "/tmp/child".into())))
        .unwrap_or_else(|| panic!("touch below init: {sh:#}"));
    assert_eq!(touch["ppid"], sh["pid"]);
    assert!(sh["exit_time"].is_string() && touch["exit_time"].is_string());

    // Text and dot render too; an unknown container is a clear error.
    let text = Command::new(BIN).args(["tree", "--container", &id[..12], "--store", &db_arg]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("rename /tmp/a -> /tmp/b"), "{text}");
    let dot =
        Command::new(BIN).args(["tree", "--container", &name, "--store", &db_arg, "--format", "dot"]).output().unwrap();
    assert!(String::from_utf8(dot.stdout).unwrap().starts_with("digraph"));
    let missing =
        Command::new(BIN).args(["tree", "--container", "no-such-container", "--store", &db_arg]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-container"));
}

#[test]
fn tree_of_a_host_process() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db").display().to_string();
    let d = dir.path().display().to_string();
    let run = Running::start(&["--events", "process,file", "--store", &db, "--no-containers"]);
    let mut child =
        Command::new("sh").arg("-c").arg(format!("sh -c 'echo x > {d}/f'; mv {d}/f {d}/g")).spawn().unwrap();
    let pid = child.id();
    assert!(child.wait().unwrap().success());
    let out = run.stop();
    assert!(out.events.iter().all(|e| e["container"].is_null()), "--no-containers");
    let tree = Command::new(BIN)
        .args(["tree", "--pid", &pid.to_string(), "--store", &db, "--format", "json"])
        .output()
        .unwrap();
    assert!(tree.status.success(), "{}", String::from_utf8_lossy(&tree.stderr));
    let forest: Value = serde_json::from_slice(&tree.stdout).unwrap();
    let root = &forest[0];
    assert_eq!(root["pid"], pid);
    assert_eq!(root["exe"], "/usr/bin/dash");
    let files = |n: &Value| {
        n["files"].as_array().unwrap().iter().map(|f| f["op"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let kids = root["children"].as_array().unwrap();
    let writer = kids.iter().find(|k| files(k) == vec!["create"]).unwrap_or_else(|| panic!("{forest:#}"));
    assert_eq!(writer["files"][0]["path"], format!("{d}/f"));
    let mover = kids.iter().find(|k| files(k) == vec!["rename"]).unwrap_or_else(|| panic!("{forest:#}"));
    assert_eq!(mover["exe"], "/usr/bin/mv");
    assert_eq!(mover["files"][0]["new_path"], format!("{d}/g"));
}

#[test]
fn dead_runtime_socket_leaves_the_id_and_warns_once() {
    if !privileged() || !docker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("no-docker.sock").display().to_string();
    let run = Running::start(&["--events", "process", "--no-store", "--docker-socket", &dead]);
    let name = unique("dead");
    let started = std::time::Instant::now();
    docker_cmd(&["run", "--name", &name, "--network", "none", IMAGE, "sh", "-c", "/bin/true; /bin/true; /bin/true"]);
    let id =
        String::from_utf8(docker_cmd(&["inspect", "--format", "{{.Id}}", &name]).stdout).unwrap().trim().to_string();
    docker_cmd(&["rm", &name]);
    let out = run.stop();
    let mine: Vec<&Value> = out.events.iter().filter(|e| e["container"]["id"] == id.as_str()).collect();
    assert!(mine.len() >= 4, "events still flow with the id: {}", mine.len());
    for e in &mine {
        assert_eq!(e["container"]["runtime"], "docker");
        assert!(e["container"]["name"].is_null() && e["container"]["image"].is_null(), "{e}");
    }
    let docker = out.stats["containers"]["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["runtime"] == "docker")
        .unwrap()
        .clone();
    assert_eq!(docker["warnings"], 1, "one warning per outage: {docker}");
    assert!(docker["fetch_errors"].as_u64().unwrap() >= 1);
    let warn_lines = out.stderr.lines().filter(|l| l.contains("WARN") && l.contains(&dead)).count();
    assert_eq!(warn_lines, 1, "{}", out.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// dockerd's containerd (scripts/dockerd-for-tests.sh).
const CONTAINERD_SOCKET: &str = "/run/panoptes-test/exec/containerd/containerd.sock";

/// A container started with `ctr` in a containerd namespace of its own
/// (cgroup `/<namespace>/<id>`, which names no runtime by itself) is a
/// container in `panoptes run`'s events, with its image and labels.
#[test]
fn a_container_in_its_own_containerd_namespace_is_enriched() {
    if !privileged() || !docker() {
        return;
    }
    let namespace = unique("ns");
    let ctr = format!("ctr -a {CONTAINERD_SOCKET} -n {namespace}");
    // Emptied and removed however the test ends (a namespace must be empty
    // to go).
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let ctr = &self.0;
            let script = format!(
                "{ctr} images ls -q | xargs -r {ctr} images rm; \
                 {ctr} snapshots ls | awk 'NR > 1 {{print $1}}' | xargs -r -n1 {ctr} snapshots rm; \
                 {ctr} content ls -q | xargs -r {ctr} content rm; \
                 ctr -a {CONTAINERD_SOCKET} namespaces rm {}",
                ctr.rsplit(' ').next().unwrap_or_default()
            );
            let _ = Command::new("sh").arg("-c").arg(script).output();
        }
    }
    let _cleanup = Cleanup(ctr.clone());
    let image = format!("docker.io/{IMAGE}");
    common::sh(&format!("docker -H unix://{SOCKET} save {IMAGE} | {ctr} images import - >/dev/null"));

    let run = Running::start(&["--events", "process,file", "--no-store", "--containerd-socket", CONTAINERD_SOCKET]);
    let id = format!("{:0>64}", unique("").trim_start_matches("pn").replace('x', "0"));
    common::sh(&format!(
        "{ctr} run --rm --label team=teal {image} {id} sh -c 'echo hi > /tmp/ns-file; /bin/true; sleep 0.2'"
    ));
    let out = run.stop();

    let cgroup = format!("/{namespace}/{id}");
    let mine: Vec<&Value> = out.events.iter().filter(|e| e["process"]["cgroup"] == cgroup.as_str()).collect();
    assert!(mine.len() >= 4, "events from the container: {}", mine.len());
    for e in &mine {
        let c = &e["container"];
        assert_eq!(c["id"], id.as_str(), "{e}");
        assert_eq!(c["runtime"], "containerd", "{e}");
        assert_eq!(c["image"], image.as_str(), "{e}");
        assert_eq!(c["labels"]["team"], "teal", "{e}");
    }
    out.find("file_open", |e| e["file"]["path"] == "/tmp/ns-file" && e["container"]["id"] == id.as_str());
}
