//! End-to-end tests of `panoptes assets` against the real machine: real
//! nginx, redis and PostgreSQL from Debian started on loopback ports (on
//! the host and inside a Docker container), users, groups and
//! packages checked against `getent` and `dpkg-query`, a modified package
//! file in a fixture root, and `panoptes run` turning a new listening port
//! into an `asset_change` event.

mod common;
#[path = "assets_e2e/docker_images.rs"]
mod docker_images;

use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{docker, privileged, Running, BIN};
use docker_images::{image, Container};
use serde_json::Value;

const DOCKER_SOCKET: &str = common::DOCKER_SOCKET;
const REDIS_IMAGE: &str = "panoptes-test/redis:assets";
const NGINX_IMAGE: &str = "panoptes-test/nginx:assets";
const POSTGRES_IMAGE: &str = "panoptes-test/postgres:assets";
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Runs `panoptes assets ARGS --format json` and returns the snapshot.
fn assets(args: &[&str]) -> (Value, String) {
    let out = Command::new(BIN).arg("assets").args(args).args(["--format", "json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "panoptes assets {args:?}: {stderr}");
    (serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON: {e}\n{stderr}")), stderr)
}

fn rows<'a>(snapshot: &'a Value, table: &str) -> Vec<&'a Value> {
    let t = snapshot["tables"].as_array().unwrap().iter().find(|t| t["name"] == table);
    t.unwrap_or_else(|| panic!("no table {table}"))["rows"].as_array().unwrap().iter().collect()
}

fn s<'a>(row: &'a Value, col: &str) -> &'a str {
    row[col].as_str().unwrap_or("")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited {status} before listening on {port}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} not listening on {port} within 60 s");
}

/// Stops the servers it holds, by pid, whatever happens.
struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            // SAFETY: signalling our own child by pid.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        }
        for c in &mut self.0 {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && matches!(c.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The version a command prints, by regex-free search: the text after
/// `marker` up to the first character that is not a digit or a dot.
fn printed_version(cmd: &str, args: &[&str], marker: &str) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let at = text.find(marker).unwrap_or_else(|| panic!("{marker:?} not in {text:?}")) + marker.len();
    text[at..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect()
}

fn app<'a>(snapshot: &'a Value, name: &str, pid: u32) -> &'a Value {
    let apps = rows(snapshot, "apps");
    apps.iter().copied().find(|a| s(a, "name") == name && s(a, "pid") == pid.to_string()).unwrap_or_else(|| {
        panic!("no {name} app with pid {pid}: {}", serde_json::to_string_pretty(&apps).unwrap_or_default())
    })
}

fn listening(snapshot: &Value, port: u16) -> &Value {
    let socks = rows(snapshot, "sockets");
    socks
        .iter()
        .copied()
        .find(|r| s(r, "local_port") == port.to_string() && s(r, "state") == "LISTEN" && s(r, "proto") == "tcp")
        .unwrap_or_else(|| panic!("no listener on {port}"))
}

#[test]
fn real_nginx_redis_and_postgres_are_found_with_versions_ports_and_pids() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let d = dir.path().display().to_string();
    let mut servers = Servers(Vec::new());

    let nginx_port = free_port();
    let conf = format!("{d}/nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off; master_process on; worker_processes 1; pid {d}/nginx.pid; error_log {d}/nginx.err;\n\
             events {{}}\nhttp {{ access_log off; client_body_temp_path {d}/cb; proxy_temp_path {d}/px;\n\
             fastcgi_temp_path {d}/fc; uwsgi_temp_path {d}/uw; scgi_temp_path {d}/sc;\n\
             server {{ listen 127.0.0.1:{nginx_port}; }} }}\n"
        ),
    )
    .unwrap();
    servers.0.push(Command::new("nginx").args(["-c", &conf, "-p", &d]).stderr(Stdio::null()).spawn().unwrap());
    wait_port(nginx_port, "nginx", &mut servers.0[0]);

    let redis_port = free_port();
    let redis = Command::new("redis-server")
        .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--dir", &d])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    servers.0.push(redis);
    wait_port(redis_port, "redis", &mut servers.0[1]);

    let pg_port = free_port();
    let pgdata = format!("{d}/pg");
    let (uid, gid) = (user_id("postgres", "-u"), user_id("postgres", "-g"));
    std::fs::create_dir(&pgdata).unwrap();
    std::os::unix::fs::chown(&pgdata, Some(uid), Some(gid)).unwrap();
    let initdb = Command::new(format!("{PG_BIN}/initdb"))
        .args(["-D", &pgdata, "-A", "trust", "-U", "postgres"])
        .uid(uid)
        .gid(gid)
        .output()
        .unwrap();
    assert!(initdb.status.success(), "initdb: {}", String::from_utf8_lossy(&initdb.stderr));
    let postgres = Command::new(format!("{PG_BIN}/postgres"))
        .args(["-D", &pgdata, "-p", &pg_port.to_string(), "-k", &pgdata, "-c", "listen_addresses=127.0.0.1"])
        .uid(uid)
        .gid(gid)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    servers.0.push(postgres);
    wait_port(pg_port, "postgres", &mut servers.0[2]);

    let (snap, stderr) = assets(&["apps", "sockets", "--no-store"]);
    let pids: Vec<u32> = servers.0.iter().map(Child::id).collect();

    let nginx = app(&snap, "nginx", pids[0]);
    assert_eq!(s(nginx, "version"), printed_version("nginx", &["-v"], "nginx/"), "{nginx}");
    assert_eq!(s(nginx, "conf"), conf);
    assert!(s(nginx, "ports").contains(&format!("tcp:127.0.0.1:{nginx_port}")), "{nginx}");
    assert_eq!(s(listening(&snap, nginx_port), "pid"), pids[0].to_string());

    let redis = app(&snap, "redis", pids[1]);
    assert_eq!(s(redis, "version"), printed_version("redis-server", &["--version"], "v="), "{redis}");
    assert!(s(redis, "ports").contains(&format!("tcp:127.0.0.1:{redis_port}")), "{redis}");
    assert_eq!(s(listening(&snap, redis_port), "pid"), pids[1].to_string());

    let pg = app(&snap, "postgres", pids[2]);
    let pg_version = printed_version(&format!("{PG_BIN}/postgres"), &["--version"], "(PostgreSQL) ");
    assert_eq!(s(pg, "version"), pg_version, "{pg}");
    assert_eq!(s(pg, "conf"), format!("{pgdata}/postgresql.conf"));
    assert!(s(pg, "ports").contains(&format!("tcp:127.0.0.1:{pg_port}")), "{pg}");
    assert_eq!(s(listening(&snap, pg_port), "pid"), pids[2].to_string());
    // Workers are folded into their master.
    assert_eq!(rows(&snap, "apps").iter().filter(|a| s(a, "conf") == conf).count(), 1, "{stderr}");
    drop(servers);
}

fn user_id(name: &str, flag: &str) -> u32 {
    let out = Command::new("id").args([flag, name]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// An image holding only the host's redis-server binary (as
/// /usr/local/bin/redis-server, like the official image: no package
/// database) and the libraries `ldd` names.
fn redis_image() {
    image(REDIS_IMAGE, |root| {
        root.copy_linked("/usr/bin/redis-server", "/usr/local/bin/redis-server");
        std::fs::create_dir_all(root.path("data")).unwrap();
    });
}

/// The host's nginx at its Debian path (but no package database), with a
/// configuration listening on 127.0.0.1:8080 of the container's own
/// network namespace.
fn nginx_image() {
    image(NGINX_IMAGE, |root| {
        root.copy_linked("/usr/sbin/nginx", "/usr/sbin/nginx");
        root.write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        root.write("/etc/group", "root:x:0:\n");
        // Its compiled-in error log, opened before the configuration is read.
        std::fs::create_dir_all(root.path("var/log/nginx")).unwrap();
        root.write(
            "/etc/nginx/nginx.conf",
            "master_process on; worker_processes 1; user root root;\n\
             pid /tmp/nginx.pid; error_log /tmp/nginx.err;\n\
             events {}\nhttp { access_log off; client_body_temp_path /tmp/cb; proxy_temp_path /tmp/px;\n\
             fastcgi_temp_path /tmp/fc; uwsgi_temp_path /tmp/uw; scgi_temp_path /tmp/sc;\n\
             server { listen 127.0.0.1:8080; } }\n",
        );
    });
}

/// The user the PostgreSQL container runs as (`--user`).
const PG_USER: &str = "70:70";

/// The host's PostgreSQL 15 server and initdb (which runs the server
/// through /bin/sh: busybox), its share directory and the two modules
/// initdb loads, and a `postgres` user.
fn postgres_image() {
    image(POSTGRES_IMAGE, |root| {
        for exe in ["postgres", "initdb"] {
            root.copy_linked(&format!("{PG_BIN}/{exe}"), &format!("{PG_BIN}/{exe}"));
        }
        for module in ["plpgsql.so", "dict_snowball.so"] {
            let path = format!("/usr/lib/postgresql/15/lib/{module}");
            root.copy_linked(&path, &path);
        }
        let share = Path::new("/usr/share/postgresql/15");
        let files = Command::new("find").arg(share).args(["-type", "f"]).output().unwrap();
        for f in String::from_utf8_lossy(&files.stdout).lines() {
            root.copy(f, f);
        }
        root.copy("/bin/busybox", "/bin/sh");
        root.write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\npostgres:x:70:70:PostgreSQL:/tmp:/bin/sh\n");
        root.write("/etc/group", "root:x:0:\npostgres:x:70:\n");
    });
}

/// The container's socket listening on `port`, and its row of the
/// containers table.
fn assert_container_rows(c: &Container, snap: &Value, port: u16, image: &str) {
    let sock = rows(snap, "sockets")
        .into_iter()
        .find(|r| s(r, "local_port") == port.to_string() && s(r, "container") == c.id)
        .unwrap_or_else(|| panic!("no socket {port} of the container"));
    assert_eq!((s(sock, "pid"), s(sock, "state")), (c.pid.to_string().as_str(), "LISTEN"));
    let row = rows(snap, "containers").into_iter().find(|r| s(r, "id") == c.id).expect("container row");
    assert_eq!((s(row, "name"), s(row, "image"), s(row, "runtime")), (c.name.as_str(), image, "docker"));
    assert_eq!(s(row, "pid"), c.pid.to_string());
}

fn container_assets() -> (Value, String) {
    assets(&["apps", "sockets", "containers", "--no-store", "--docker-socket", DOCKER_SOCKET])
}

#[test]
fn redis_inside_a_docker_container_is_found_through_its_root() {
    if !privileged() || !docker() {
        return;
    }
    redis_image();
    let args = ["--port", "6380", "--save", "", "--appendonly", "no", "--dir", "/data"];
    let c = Container::run("redis", &[&[REDIS_IMAGE, "/usr/local/bin/redis-server"][..], &args].concat());
    c.wait_listening(6380);
    let (snap, stderr) = container_assets();
    let redis = app(&snap, "redis", c.pid);
    assert_eq!(s(redis, "container"), c.id);
    assert_eq!(s(redis, "exe"), "/usr/local/bin/redis-server");
    assert_eq!(s(redis, "version"), printed_version("redis-server", &["--version"], "v="), "{redis}\n{stderr}");
    assert_eq!(s(redis, "version_source"), "exec", "no package database in the image: the binary was asked");
    assert!(s(redis, "ports").contains("tcp:0.0.0.0:6380"), "{redis}");
    assert_container_rows(&c, &snap, 6380, REDIS_IMAGE);
}

#[test]
fn nginx_inside_a_docker_container_is_found_through_its_root() {
    if !privileged() || !docker() {
        return;
    }
    nginx_image();
    let c =
        Container::run("nginx", &[NGINX_IMAGE, "/usr/sbin/nginx", "-c", "/etc/nginx/nginx.conf", "-g", "daemon off;"]);
    c.wait_listening(8080);
    let (snap, stderr) = container_assets();
    let nginx = app(&snap, "nginx", c.pid);
    assert_eq!(s(nginx, "container"), c.id);
    assert_eq!(s(nginx, "exe"), "/usr/sbin/nginx");
    assert_eq!(s(nginx, "version"), printed_version("nginx", &["-v"], "nginx/"), "{nginx}\n{stderr}");
    assert_eq!(s(nginx, "version_source"), "binary", "no package database in the image: {nginx}");
    assert_eq!(s(nginx, "conf"), "/etc/nginx/nginx.conf");
    assert!(s(nginx, "ports").contains("tcp:127.0.0.1:8080"), "{nginx}");
    // The worker is folded into its master.
    let in_container = rows(&snap, "apps").into_iter().filter(|a| s(a, "container") == c.id).count();
    assert_eq!(in_container, 1, "{stderr}");
    assert_container_rows(&c, &snap, 8080, NGINX_IMAGE);
}

#[test]
fn postgres_inside_a_docker_container_is_found_through_its_root() {
    if !privileged() || !docker() {
        return;
    }
    postgres_image();
    let script = format!(
        "{PG_BIN}/initdb -D /tmp/pgdata -A trust -U postgres --no-locale -E UTF8 >/dev/null && \
         exec {PG_BIN}/postgres -D /tmp/pgdata -k /tmp -h 127.0.0.1 -p 5433"
    );
    let c = Container::run("postgres", &["--user", PG_USER, POSTGRES_IMAGE, "/bin/sh", "-c", &script]);
    c.wait_listening(5433);
    let (snap, stderr) = container_assets();
    // The shell exec'd the server: the container's first process.
    let pg = app(&snap, "postgres", c.pid);
    assert_eq!(s(pg, "container"), c.id);
    assert_eq!(s(pg, "exe"), format!("{PG_BIN}/postgres"));
    let version = printed_version(&format!("{PG_BIN}/postgres"), &["--version"], "(PostgreSQL) ");
    assert_eq!(s(pg, "version"), version, "{pg}\n{stderr}");
    assert_eq!(s(pg, "version_source"), "binary", "no package database in the image: {pg}");
    assert_eq!(s(pg, "conf"), "/tmp/pgdata/postgresql.conf");
    assert!(s(pg, "ports").contains("tcp:127.0.0.1:5433"), "{pg}");
    assert_eq!(rows(&snap, "apps").into_iter().filter(|a| s(a, "container") == c.id).count(), 1, "{stderr}");
    assert_container_rows(&c, &snap, 5433, POSTGRES_IMAGE);
}

#[test]
fn users_groups_and_packages_match_getent_and_dpkg_query() {
    if !privileged() {
        return;
    }
    let (snap, _) = assets(&["users", "groups", "packages", "--no-store"]);
    let getent = |db: &str| String::from_utf8(Command::new("getent").arg(db).output().unwrap().stdout).unwrap();
    let expected_users: BTreeSet<String> = getent("passwd")
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            format!("{} {} {} {} {}", f[0], f[2], f[3], f[5], f[6])
        })
        .collect();
    let users: BTreeSet<String> = rows(&snap, "users")
        .iter()
        .map(|u| format!("{} {} {} {} {}", s(u, "name"), s(u, "uid"), s(u, "gid"), s(u, "home"), s(u, "shell")))
        .collect();
    assert_eq!(users, expected_users);
    for u in rows(&snap, "users") {
        assert!(
            ["set", "empty", "locked", "unknown"].contains(&s(u, "password"))
                || s(u, "password").ends_with("(in passwd)"),
            "{u}"
        );
        assert!(!s(u, "password").contains('$'), "never a hash: {u}");
    }
    let root = rows(&snap, "users").into_iter().find(|u| s(u, "name") == "root").unwrap();
    assert_eq!(s(root, "uid"), "0");

    let expected_groups: BTreeSet<String> = getent("group")
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            format!("{} {} {}", f[0], f[2], f[3].replace(',', " "))
        })
        .collect();
    let groups: BTreeSet<String> =
        rows(&snap, "groups").iter().map(|g| format!("{} {} {}", s(g, "name"), s(g, "gid"), s(g, "members"))).collect();
    assert_eq!(groups, expected_groups);

    let q =
        Command::new("dpkg-query").args(["-W", "-f", "${db:Status-Abbrev} ${Package} ${Version}\n"]).output().unwrap();
    let expected_packages: BTreeSet<String> = String::from_utf8_lossy(&q.stdout)
        .lines()
        .filter(|l| l.starts_with("ii"))
        .filter_map(|l| l.split_once(' ').map(|(_, rest)| rest.trim().to_string()))
        .collect();
    let packages: BTreeSet<String> = rows(&snap, "packages")
        .iter()
        .filter(|p| s(p, "type") == "dpkg" && s(p, "status") == "installed")
        .map(|p| format!("{} {}", s(p, "name"), s(p, "version")))
        .collect();
    assert!(expected_packages.len() > 50);
    assert_eq!(packages, expected_packages);
}

/// A fixture root holding the dpkg status stanza, md5sums and files of one
/// real package, plus a broken stanza; one of the files is modified.
fn fixture_root(package: &str) -> (tempfile::TempDir, String, String) {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let status = std::fs::read_to_string("/var/lib/dpkg/status").unwrap();
    let stanza = status
        .split("\n\n")
        .find(|s| s.lines().next() == Some(&format!("Package: {package}")))
        .unwrap_or_else(|| panic!("{package} not installed"));
    std::fs::create_dir_all(r.join("var/lib/dpkg/info")).unwrap();
    std::fs::write(
        r.join("var/lib/dpkg/status"),
        format!("{stanza}\n\nPackage: broken\nStatus: install ok installed\nthis line breaks the stanza\n"),
    )
    .unwrap();
    let arch = stanza.lines().find_map(|l| l.strip_prefix("Architecture: ")).unwrap_or("all");
    let sums = [format!("{package}:{arch}.md5sums"), format!("{package}.md5sums")]
        .into_iter()
        .find(|n| Path::new("/var/lib/dpkg/info").join(n).exists())
        .expect("md5sums of the package");
    let text = std::fs::read_to_string(Path::new("/var/lib/dpkg/info").join(&sums)).unwrap();
    std::fs::write(r.join("var/lib/dpkg/info").join(&sums), &text).unwrap();
    let mut modified = String::new();
    for line in text.lines() {
        let (_, path) = line.split_once("  ").unwrap();
        let dest: PathBuf = r.join(path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(Path::new("/").join(path), &dest).unwrap();
        if modified.is_empty() && std::fs::metadata(&dest).unwrap().len() > 0 {
            let mut bytes = std::fs::read(&dest).unwrap();
            bytes[0] ^= 0x20;
            std::fs::write(&dest, bytes).unwrap();
            modified = format!("/{path}");
        }
    }
    (root, modified, sums)
}

#[test]
fn a_modified_package_file_is_reported_and_a_broken_stanza_is_skipped() {
    let (root, modified, _) = fixture_root("base-files");
    let r = root.path().display().to_string();
    for extra in [None, Some("--full-integrity")] {
        let mut args = vec!["package_files", "packages", "--no-store", "--root", &r];
        args.extend(extra);
        let (snap, stderr) = assets(&args);
        let files = rows(&snap, "package_files");
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(s(files[0], "path"), modified);
        assert_eq!(s(files[0], "package"), "base-files");
        assert_eq!(s(files[0], "status"), "modified");
        let actual = Command::new("md5sum").arg(root.path().join(modified.trim_start_matches('/'))).output().unwrap();
        assert!(String::from_utf8_lossy(&actual.stdout).starts_with(s(files[0], "actual_md5")));
        assert_ne!(s(files[0], "actual_md5"), s(files[0], "expected_md5"));
        let dpkg: Vec<&Value> = rows(&snap, "packages").into_iter().filter(|p| s(p, "type") == "dpkg").collect();
        assert_eq!(dpkg.len(), 1, "the broken stanza is skipped, the good one stands");
        assert!(stderr.contains("this line breaks the stanza") && stderr.contains("package skipped"), "{stderr}");
    }
}

#[test]
fn run_turns_a_new_listening_port_into_an_asset_change_event_and_saves_snapshots() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db").display().to_string();
    let run = Running::start(&["--assets-interval", "10s", "--store", &db, "--events", "asset_change"]);
    let snapshots = |db: &str| -> usize {
        let out = Command::new(BIN).args(["assets", "list", "--store", db]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().skip(1).count()
    };
    let wait_for = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(120);
        while snapshots(&db) < n {
            assert!(Instant::now() < deadline, "fewer than {n} snapshots after 120 s");
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    wait_for(1);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    wait_for(2);
    let out = run.stop();
    drop(listener);
    let ev = out.find("asset_change", |e| {
        e["asset"]["table"] == "sockets"
            && e["asset"]["change"] == "added"
            && e["asset"]["details"]["local_port"] == port.to_string().as_str()
    });
    assert_eq!(ev["asset"]["details"]["pid"], std::process::id().to_string().as_str());
    assert!(ev["asset"]["summary"].as_str().unwrap().starts_with("new listening port tcp 127.0.0.1:"), "{ev}");
    assert_eq!(ev["process"]["comm"], "panoptes");
    // The same change from the stored snapshots.
    let diff = Command::new(BIN).args(["assets", "diff", "--store", &db]).output().unwrap();
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(text.contains(&format!("+ sockets        new listening port tcp 127.0.0.1:{port}")), "{text}");
}

#[test]
fn package_files_match_dpkg_verify_on_this_machine() {
    if !privileged() {
        return;
    }
    // dpkg's own check: `..5` in the flags is an MD5 mismatch; conffiles
    // (`c`) are not checked by the inventory.
    let verify = Command::new("dpkg").arg("--verify").output().unwrap();
    let expected: BTreeSet<String> = String::from_utf8_lossy(&verify.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 2 && f[0].get(2..3) == Some("5") && f[f.len() - 2] != "c").then(|| f[f.len() - 1].to_string())
        })
        .collect();
    let (snap, stderr) = assets(&["package_files", "--no-store"]);
    let found: BTreeSet<String> = rows(&snap, "package_files").iter().map(|r| s(r, "path").to_string()).collect();
    assert_eq!(found, expected, "{stderr}");
}
