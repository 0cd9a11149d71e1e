//! The applications table: well-known servers recognised among running
//! processes (nginx, apache, redis, mysql/mariadb, postgres, mongod, etcd,
//! dockerd, containerd, kubelet, sshd, Java applications), one row per
//! main process (workers, whose parent is the same application, are
//! folded in), with version, configuration path and listening ports.
//! Files are read through `/proc/<pid>/root`, so applications inside
//! containers are found as well as the host's. How versions are found:
//! [`crate::appver`].

use std::collections::{BTreeMap, BTreeSet};

use crate::appver::Versions;
use crate::model::{row, Table};
use crate::proc::{in_root, ProcInfo};
use crate::Ctx;

/// How one application is recognised and described.
pub struct AppRule {
    pub name: &'static str,
    pub kind: &'static str,
    /// Executable file names.
    pub exes: &'static [&'static str],
    /// Regex with one group: the version as the binary spells it.
    pub binary_pattern: Option<&'static str>,
    /// Arguments that make it print its version, and the regex for it.
    pub version_args: &'static [&'static str],
    pub output_pattern: &'static str,
    /// Command-line options that name the configuration file.
    pub conf_flags: &'static [&'static str],
    /// Default configuration paths (inside the process's root).
    pub conf_defaults: &'static [&'static str],
}

pub const RULES: &[AppRule] = &[
    AppRule {
        name: "nginx",
        kind: "web_service",
        exes: &["nginx"],
        binary_pattern: Some(r"nginx/(\d+\.\d+\.\d+)"),
        version_args: &["-v"],
        output_pattern: r"nginx/(\d+(?:\.\d+)+)",
        conf_flags: &["-c"],
        conf_defaults: &["/etc/nginx/nginx.conf", "/usr/local/nginx/conf/nginx.conf"],
    },
    AppRule {
        name: "apache",
        kind: "web_service",
        exes: &["apache2", "httpd"],
        binary_pattern: Some(r"Apache/(\d+\.\d+\.\d+)"),
        version_args: &["-v"],
        output_pattern: r"Apache/(\d+(?:\.\d+)+)",
        conf_flags: &["-f"],
        conf_defaults: &[
            "/etc/apache2/apache2.conf",
            "/etc/httpd/conf/httpd.conf",
            "/usr/local/apache2/conf/httpd.conf",
        ],
    },
    AppRule {
        name: "redis",
        kind: "database",
        exes: &["redis-server", "redis-check-rdb"],
        binary_pattern: None,
        version_args: &["--version"],
        output_pattern: r"v=(\d+(?:\.\d+)+)",
        conf_flags: &[],
        conf_defaults: &["/etc/redis/redis.conf", "/usr/local/etc/redis/redis.conf"],
    },
    AppRule {
        name: "mysql",
        kind: "database",
        exes: &["mysqld", "mariadbd"],
        binary_pattern: None,
        version_args: &["--version"],
        output_pattern: r"Ver (\d+(?:\.\d+)+)",
        conf_flags: &["--defaults-file"],
        conf_defaults: &["/etc/mysql/my.cnf", "/etc/my.cnf"],
    },
    AppRule {
        name: "postgres",
        kind: "database",
        exes: &["postgres", "postmaster"],
        binary_pattern: Some(r"\(PostgreSQL\) (\d+(?:\.\d+)+)"),
        version_args: &["--version"],
        output_pattern: r"\(PostgreSQL\) (\d+(?:\.\d+)+)",
        conf_flags: &["config_file", "-D"],
        conf_defaults: &[],
    },
    AppRule {
        name: "mongodb",
        kind: "database",
        exes: &["mongod"],
        binary_pattern: None,
        version_args: &["--version"],
        output_pattern: r"db version v(\d+(?:\.\d+)+)",
        conf_flags: &["--config", "-f"],
        conf_defaults: &["/etc/mongod.conf"],
    },
    AppRule {
        name: "etcd",
        kind: "database",
        exes: &["etcd"],
        binary_pattern: None,
        version_args: &["--version"],
        output_pattern: r"etcd Version: (\d+(?:\.\d+)+)",
        conf_flags: &["--config-file"],
        conf_defaults: &[],
    },
    AppRule {
        name: "docker",
        kind: "container_component",
        exes: &["dockerd"],
        binary_pattern: None,
        version_args: &["--version"],
        output_pattern: r"Docker version (\d+(?:\.\d+)+)",
        conf_flags: &["--config-file"],
        conf_defaults: &["/etc/docker/daemon.json"],
    },
    AppRule {
        name: "containerd",
        kind: "container_component",
        exes: &["containerd"],
        binary_pattern: None,
        version_args: &["--version"],
        output_pattern: r"containerd \S+ v?(\d+(?:\.\d+)+)",
        conf_flags: &["--config", "-c"],
        conf_defaults: &["/etc/containerd/config.toml"],
    },
    AppRule {
        name: "kubelet",
        kind: "container_component",
        exes: &["kubelet"],
        binary_pattern: None,
        version_args: &["--version"],
        output_pattern: r"Kubernetes v(\d+(?:\.\d+)+)",
        conf_flags: &["--config"],
        conf_defaults: &["/var/lib/kubelet/config.yaml"],
    },
    AppRule {
        name: "sshd",
        kind: "remote_access",
        exes: &["sshd"],
        binary_pattern: Some(r"OpenSSH_(\d+\.\d+(?:p\d+)?)"),
        version_args: &["-V"],
        output_pattern: r"OpenSSH_(\d+\.\d+(?:p\d+)?)",
        conf_flags: &["-f"],
        conf_defaults: &["/etc/ssh/sshd_config"],
    },
    AppRule {
        name: "java",
        kind: "java_app",
        exes: &["java"],
        binary_pattern: None,
        version_args: &[],
        output_pattern: "",
        conf_flags: &[],
        conf_defaults: &[],
    },
];

pub fn rule_for(p: &ProcInfo) -> Option<&'static AppRule> {
    let exe = p.exe_name();
    RULES.iter().find(|r| r.exes.contains(&exe))
}

/// The configuration file a command line names (`-c X`, `--opt=X`,
/// `-c config_file=X` as postgres takes it), else the first default
/// that exists in the process's root. For `-D` (a data directory) the
/// file is `postgresql.conf` inside it.
pub fn config_path(rule: &AppRule, argv: &[String], exists: &dyn Fn(&str) -> bool) -> String {
    // nginx and postgres rewrite their argv into one string
    // ("nginx: master process nginx -c /etc/x.conf"): split it again.
    let split: Vec<String>;
    let argv = if argv.len() == 1 {
        split = argv[0].split_whitespace().map(str::to_string).collect();
        &split
    } else {
        argv
    };
    for (i, a) in argv.iter().enumerate() {
        for flag in rule.conf_flags {
            let value = if a == flag {
                argv.get(i + 1).cloned()
            } else {
                a.strip_prefix(flag).and_then(|v| v.strip_prefix('=')).map(str::to_string)
            };
            if let Some(v) = value {
                if *flag == "-D" {
                    let conf = format!("{}/postgresql.conf", v.trim_end_matches('/'));
                    if exists(&conf) {
                        return conf;
                    }
                    continue;
                }
                return v;
            }
        }
        if rule.name == "redis" && i > 0 && a.ends_with(".conf") {
            return a.clone();
        }
    }
    rule.conf_defaults.iter().find(|p| exists(p)).map(|p| p.to_string()).unwrap_or_default()
}

/// What a Java process runs: the jar of `-jar`, else the main class.
pub fn java_main(argv: &[String]) -> String {
    let mut skip_next = false;
    for (i, a) in argv.iter().enumerate().skip(1) {
        if skip_next {
            skip_next = false;
            continue;
        }
        match a.as_str() {
            "-jar" => return argv.get(i + 1).cloned().unwrap_or_default(),
            "-cp" | "-classpath" | "--class-path" | "-p" | "--module-path" => skip_next = true,
            s if s.starts_with('-') => {}
            s => return s.to_string(),
        }
    }
    String::new()
}

pub fn collect(ctx: &mut Ctx<'_>, table: &mut Table) {
    let procs = ctx.procs(table).to_vec();
    let sockets = ctx.socket_rows(table);
    let by_pid: BTreeMap<u32, &ProcInfo> = procs.iter().map(|p| (p.pid, p)).collect();
    // Listening ports by owning pid.
    let mut ports: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for s in &sockets {
        let listening = s.get("state").is_some_and(|st| st == "LISTEN" || st == "UNCONN");
        let (Some(pid), Some(port), true) = (s.get("pid").and_then(|p| p.parse().ok()), s.get("local_port"), listening)
        else {
            continue;
        };
        let ip = s.get("local_ip").map(String::as_str).unwrap_or("");
        let ip = if ip.contains(':') { format!("[{ip}]") } else { ip.to_string() };
        ports
            .entry(pid)
            .or_default()
            .insert(format!("{}:{ip}:{port}", s.get("proto").map(String::as_str).unwrap_or("")));
    }
    let mut versions = Versions::new(ctx.opts);
    let btime = crate::proc::boot_time(&ctx.opts.proc_root).unwrap_or(0);
    let ticks = crate::proc::clock_ticks();
    let proc_root = ctx.opts.proc_root.clone();
    for p in &procs {
        let Some(rule) = rule_for(p) else { continue };
        // A worker: its parent is the same application in the same container.
        if by_pid.get(&p.ppid).is_some_and(|parent| {
            rule_for(parent).is_some_and(|r| r.name == rule.name) && parent.container_id() == p.container_id()
        }) {
            continue;
        }
        let mut app_ports = BTreeSet::new();
        let mut stack = vec![p.pid];
        while let Some(pid) = stack.pop() {
            app_ports.extend(ports.get(&pid).into_iter().flatten().cloned());
            stack.extend(procs.iter().filter(|c| c.ppid == pid && c.exe == p.exe).map(|c| c.pid));
        }
        let exists = |path: &str| in_root(&proc_root, p.pid, path).exists();
        let found = versions.of(rule, p);
        table.push(row([
            ("name", rule.name.to_string()),
            ("type", rule.kind.to_string()),
            ("version", found.version),
            ("version_source", found.source.to_string()),
            ("package", found.package),
            ("conf", config_path(rule, &p.argv, &exists)),
            ("main", if rule.name == "java" { java_main(&p.argv) } else { String::new() }),
            ("pid", p.pid.to_string()),
            ("exe", p.exe.clone().unwrap_or_default()),
            ("start_time", crate::util::rfc3339(btime as i64 + (p.start_ticks / ticks) as i64)),
            ("ports", app_ports.into_iter().collect::<Vec<_>>().join(" ")),
            ("container", p.container_id()),
        ]));
    }
    versions.finish(table);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn rule(name: &str) -> &'static AppRule {
        RULES.iter().find(|r| r.name == name).unwrap()
    }

    #[test]
    fn config_paths_from_flags_and_defaults() {
        let none = |_: &str| false;
        let all = |_: &str| true;
        assert_eq!(
            config_path(rule("nginx"), &argv("nginx: master process /usr/sbin/nginx -c /tmp/n.conf"), &none),
            "/tmp/n.conf"
        );
        assert_eq!(config_path(rule("nginx"), &argv("nginx"), &all), "/etc/nginx/nginx.conf");
        let rewritten = vec!["nginx: master process nginx -c /tmp/x/nginx.conf -p /tmp/x".to_string()];
        assert_eq!(config_path(rule("nginx"), &rewritten, &none), "/tmp/x/nginx.conf");
        assert_eq!(config_path(rule("nginx"), &argv("nginx"), &none), "");
        assert_eq!(config_path(rule("redis"), &argv("redis-server /etc/redis/r.conf"), &none), "/etc/redis/r.conf");
        assert_eq!(config_path(rule("mysql"), &argv("mysqld --defaults-file=/srv/my.cnf"), &none), "/srv/my.cnf");
        assert_eq!(
            config_path(rule("postgres"), &argv("postgres -D /var/lib/pg/data"), &all),
            "/var/lib/pg/data/postgresql.conf"
        );
        assert_eq!(
            config_path(
                rule("postgres"),
                &argv("postgres -D /d -c config_file=/etc/postgresql/15/main/postgresql.conf"),
                &none
            ),
            "/etc/postgresql/15/main/postgresql.conf"
        );
    }

    #[test]
    fn java_main_class_or_jar() {
        assert_eq!(java_main(&argv("java -Xmx1g -jar /opt/app.jar --port 1")), "/opt/app.jar");
        assert_eq!(java_main(&argv("java -cp a.jar:b.jar org.example.Main x")), "org.example.Main");
    }

    #[test]
    fn workers_are_recognised_by_exe_name() {
        let p = ProcInfo {
            exe: Some("/usr/bin/redis-check-rdb".into()),
            comm: "redis-server".into(),
            ..Default::default()
        };
        assert_eq!(rule_for(&p).map(|r| r.name), Some("redis"));
        let p = ProcInfo { exe: Some("/usr/bin/bash".into()), comm: "nginx".into(), ..Default::default() };
        assert!(rule_for(&p).is_none(), "the executable decides, not the (forgeable) comm");
    }
}
