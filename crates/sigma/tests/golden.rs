//! Exact conditions for test rules of different shapes. Each expected
//! string was checked by hand against the Sigma rule (shared/testdata) and
//! docs/rules.md; a change here is a change of the mapping.

mod common;

use common::converted;

fn condition(path: &str) -> String {
    converted(path).condition
}

#[test]
fn process_creation_contains_all() {
    assert_eq!(
        condition("process_creation/proc_creation_lnx_mount_hidepid.yml"),
        r#"kind == exec and exec.result == 0 and (process.exe iendswith "/mount" and process.cmdline icontains "hidepid=2" and process.cmdline icontains " -o ")"#
    );
}

#[test]
fn one_of_selections_and_a_list_of_maps() {
    assert_eq!(
        condition("process_creation/proc_creation_lnx_local_groups.yml"),
        r#"kind == exec and exec.result == 0 and ((process.exe iendswith "/groups") or (process.exe iendswith ("/cat", "/ed", "/head", "/less", "/more", "/nano", "/tail", "/vi", "/vim") and process.cmdline icontains "/etc/group"))"#
    );
}

#[test]
fn not_filter_with_parentheses_from_the_rule() {
    assert_eq!(
        condition("process_creation/proc_creation_lnx_susp_network_utilities_execution.yml"),
        r#"kind == exec and exec.result == 0 and (((process.exe iendswith ("/nc", "/ncat", "/netcat", "/socat")) and not (process.cmdline icontains (" --listen ", " -l "))) or (process.exe iendswith ("/autorecon", "/hping", "/hping2", "/hping3", "/naabu", "/nmap", "/nping", "/telnet", "/zenmap")))"#
    );
}

#[test]
fn regex_is_case_sensitive_and_escaped() {
    assert_eq!(
        condition("process_creation/proc_creation_lnx_wget_download_suspicious_directory.yml"),
        r#"kind == exec and exec.result == 0 and ((process.exe iendswith "/wget") and (process.cmdline regex "\\s-O\\s" or process.cmdline icontains "--output-document") and (process.cmdline icontains "/tmp/"))"#
    );
}

#[test]
fn wildcards_inside_contains_and_startswith() {
    assert_eq!(
        condition("process_creation/proc_creation_lnx_susp_sensitive_file_access.yml"),
        concat!(
            r#"kind == exec and exec.result == 0 and (((process.exe iendswith ("/cat", "/echo", "/grep", "/head", "/more", "/tail") and process.cmdline icontains ">") or (process.exe iendswith ("/emacs", "/nano", "/sed", "/vi", "/vim"))) and "#,
            r#"(process.cmdline icontains ("/bin/login", "/bin/passwd", "/boot/", "/etc/cron.", "/etc/crontab", "/etc/hosts", "/etc/init.d", "/etc/sudoers", "/opt/bin/", "/sbin", "/usr/bin/", "/usr/local/bin/") or process.cmdline iglob "*/etc/*.conf*") and "#,
            r#"not (process.exe iendswith "/bin/sed" and (process.cmdline iglob "sed -i /^*" or process.cmdline istartswith "sed -ne s/^") and process.cmdline iendswith "/etc/mdadm/mdadm.conf"))"#
        )
    );
    assert_eq!(
        condition("auditd/syscall/lnx_auditd_susp_exe_folders.yml"),
        r#"event.syscall exists and (process.exe istartswith ("/tmp/", "/var/www/", "/usr/local/apache2/", "/usr/local/httpd/", "/var/apache/", "/srv/www/", "/home/httpd/html/", "/srv/http/", "/usr/share/nginx/html/", "/var/lib/pgsql/data/", "/usr/local/mysql/data/", "/var/lib/mysql/", "/var/vsftpd/", "/etc/bind/", "/var/named/") or process.exe iglob "/home/*/public_html/*")"#
    );
}

#[test]
fn file_event_not_one_of_filters() {
    assert_eq!(
        condition("file_event/file_event_lnx_persistence_sudoers_files.yml"),
        r#"kind in (file_open, file_rename) and file.result >= 0 and (kind == file_rename or file.reason == write) and ((file.target istartswith "/etc/sudoers.d/") and not (process.exe iendswith "/usr/bin/dpkg" and file.target ieq "/etc/sudoers.d/README.dpkg-new"))"#
    );
}

#[test]
fn network_ports_and_cidr_filter() {
    let rule = converted("network_connection/net_connection_lnx_susp_malware_callback_port.yml");
    assert_eq!(
        rule.condition,
        r#"kind == net_connect and net.addr.family in (inet, inet6) and ((net.addr.port in (888, 999, 2200, 2222, 4000, 4444, 6789, 8531, 50501, 51820)) and not (net.addr.ip cidr ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "::1/128", "fe80::/10", "fc00::/7")))"#
    );
    assert!(rule.notes.iter().any(|n| n.starts_with("Initiated: 'true' always holds")));
    assert!(rule.output.contains("(connect {net.addr.ip}:{net.addr.port}, process {process.exe}"));
}

#[test]
fn keywords_with_not() {
    let rule = converted("builtin/lnx_clear_syslog.yml");
    assert_eq!(
        rule.condition,
        r#"(event.strings icontains ("rm /var/log/syslog", "rm -r /var/log/syslog", "rm -f /var/log/syslog", "rm -rf /var/log/syslog", "mv /var/log/syslog", " >/var/log/syslog", " > /var/log/syslog")) and not (event.strings icontains "/syslog.")"#
    );
    assert!(rule.notes.iter().any(|n| n.starts_with("product-only rule")));
}

#[test]
fn keywords_all_and_backslash() {
    assert_eq!(
        condition("builtin/lnx_susp_jexboss.yml"),
        r#"event.strings icontains "bash -c /bin/bash" and event.strings icontains "&/dev/tcp/""#
    );
    let dev_tcp = condition("builtin/lnx_susp_dev_tcp.yml");
    assert!(dev_tcp.ends_with(r#""echo -e '#!/bin/bash\\nbash -i >& /dev/tcp/")"#), "{dev_tcp}");
}

#[test]
fn auditd_execve_arguments_and_integers() {
    assert_eq!(
        condition("auditd/execve/lnx_auditd_capabilities_discovery.yml"),
        r#"kind == exec and exec.result == 0 and exec.argv[0] ieq "getcap" and exec.argv[1] ieq "-r" and exec.argv[2] ieq "/""#
    );
    assert_eq!(
        condition("auditd/execve/lnx_auditd_susp_cmds.yml"),
        concat!(
            r#"(kind == exec and exec.result == 0 and exec.argv[0] ieq "chmod" and exec.argv[1] ieq "777") or "#,
            r#"(kind == exec and exec.result == 0 and exec.argv[0] ieq "chmod" and exec.argv[1] ieq "u+s") or "#,
            r#"(kind == exec and exec.result == 0 and exec.argv[0] ieq "cp" and exec.argv[1] ieq "/bin/ksh") or "#,
            r#"(kind == exec and exec.result == 0 and exec.argv[0] ieq "cp" and exec.argv[1] ieq "/bin/sh")"#
        )
    );
}

#[test]
fn auditd_typed_and_untyped_selections_with_keywords() {
    assert_eq!(
        condition("auditd/execve/lnx_auditd_binary_padding.yml"),
        r#"(kind == exec and exec.result == 0) and ((event.strings icontains "truncate" and event.strings icontains "-s") or ((event.strings icontains "dd" and event.strings icontains "if=") and not (event.strings icontains "of=")))"#
    );
    assert_eq!(
        condition("auditd/execve/lnx_auditd_screencaputre_xwd.yml"),
        r#"(kind == exec and exec.result == 0 and exec.argv[0] ieq "xwd") and ((exec.argv[1] ieq "-root" and exec.argv[2] ieq "-out" and exec.argv[3] iendswith ".xwd") or (exec.argv[1] ieq "-out" and exec.argv[2] iendswith ".xwd"))"#
    );
}

#[test]
fn auditd_path_and_syscall_records() {
    let rule = converted("auditd/path/lnx_auditd_auditing_config_change.yml");
    assert_eq!(
        rule.condition,
        r#"event.paths iglob "/etc/audit/*" or event.paths iglob "/etc/audisp/*" or event.paths ieq "/etc/libaudit.conf""#
    );
    assert!(rule.output.contains("(paths {event.paths}, process {process.exe}"));
    assert_eq!(
        condition("auditd/lnx_auditd_audio_capture.yml"),
        r#"(kind == exec and exec.result == 0 and exec.argv[0] ieq "arecord" and exec.argv[1] ieq "-vv" and exec.argv[2] ieq "-fdat") or (process.exe iendswith "/ecasound" and event.syscall ieq "memfd_create")"#
    );
    assert_eq!(
        condition("auditd/syscall/lnx_auditd_web_rce.yml"),
        r#"event.syscall iin ("execve", "execveat") and process.euid == 33"#
    );
}

#[test]
fn metadata() {
    let rule = converted("process_creation/proc_creation_lnx_mount_hidepid.yml");
    assert_eq!(rule.id, format!("sigma-{}", rule.sigma_id));
    assert_eq!(rule.source, "process_creation/proc_creation_lnx_mount_hidepid.yml");
    assert!(rule.mitre.iter().all(|t| t.starts_with('T')));
    assert!(!rule.mitre.is_empty() && rule.author.is_some() && rule.status.is_some());
    assert_eq!(
        rule.output,
        format!("{} (process {{process.exe}}, cmdline {{process.cmdline}}, user {{process.user}})", rule.title)
    );
}

#[test]
fn path_nametype_create_reads_as_creating_events() {
    let yaml = "title: t\nid: 00000000-0000-4000-8000-0000000000aa\nlogsource: {product: linux, service: auditd}\ndetection:\n  p:\n    type: PATH\n    nametype: CREATE\n  n:\n    name|startswith: /etc/systemd/system/\n  condition: p and n\n";
    let panoptes_sigma::Outcome::Converted(rule) = panoptes_sigma::convert_str(yaml, "t.yml") else {
        panic!("not converted")
    };
    assert!(
        rule.condition.contains(r#"(kind == file_rename or (kind == file_open and file.flags_names == "O_CREAT"))"#),
        "{}",
        rule.condition
    );
    assert!(rule.notes.iter().any(|n| n.contains("nametype CREATE")));
    let normal = yaml.replace("CREATE", "NORMAL");
    assert!(matches!(panoptes_sigma::convert_str(&normal, "t.yml"), panoptes_sigma::Outcome::Unsupported { .. }));
}
