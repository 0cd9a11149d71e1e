//! The one-line human forms of an event and of an alert, for the `stdout`
//! output.

use event::{Action, Alert, Body, Container, Event, KillBy, SockAddr};

fn addr(a: &Option<SockAddr>) -> String {
    match a {
        Some(SockAddr::Inet { ip, port }) => format!("{ip}:{port}"),
        Some(SockAddr::Inet6 { ip, port }) => format!("[{ip}]:{port}"),
        Some(SockAddr::Unix { path }) => format!("unix:{path}"),
        Some(SockAddr::Other { number }) => format!("family:{number}"),
        None => "?".into(),
    }
}

fn result(r: i64) -> String {
    if r < 0 {
        format!(" = {r}")
    } else {
        String::new()
    }
}

/// What happened, in a few words.
pub fn detail(body: &Body) -> String {
    match body {
        Body::Exec(e) => {
            let mut s = format!("{} [{}]", e.filename, e.argv.join(" "));
            if e.memfd {
                s.push_str(" memfd");
            }
            if e.deleted {
                s.push_str(" deleted");
            }
            s + &result(e.result)
        }
        Body::Fork(f) => format!("child={} thread={}", f.child_pid, f.thread),
        Body::Exit(x) => match (x.code, x.signal) {
            (_, Some(sig)) => format!("signal={sig}"),
            (code, None) => format!("code={}", code.unwrap_or(0)),
        },
        Body::FileOpen(o) => format!("{} {} ({:?}){}", o.path, o.flags_names.join("|"), o.reason, result(o.result)),
        Body::FileRename(r) => format!("{} -> {}{}", r.path, r.new_path, result(r.result)),
        Body::FileUnlink(u) => format!("{}{}", u.path, result(u.result)),
        Body::FileChmod(c) => format!("{} {}{}", c.path, c.mode_octal, result(c.result)),
        Body::FileChown(c) => format!("{} {}:{}{}", c.path, c.uid as i32, c.gid as i32, result(c.result)),
        Body::NetConnect(n) | Body::NetBind(n) => format!("{}{}", addr(&n.addr), result(n.result)),
        Body::NetListen(l) => format!("{} backlog={}{}", addr(&l.local), l.backlog, result(l.result)),
        Body::NetAccept(a) => format!("{} <- {}{}", addr(&a.local), addr(&a.peer), result(a.result)),
        Body::Ptrace(p) => format!("{} target={}{}", p.request_name, p.target_pid, result(p.result)),
        Body::ModuleLoad(m) => format!("{} {}{}", m.syscall, m.path.as_deref().unwrap_or("(image)"), result(m.result)),
        Body::MemfdCreate(m) => format!("name={}{}", m.name, result(m.result)),
        Body::Setid(s) => {
            format!("{}({:?}){}", s.syscall, s.ids.iter().map(|i| *i as i32).collect::<Vec<_>>(), result(s.result))
        }
        Body::Capset(c) => format!("eff={:#x} perm={:#x}{}", c.effective, c.permitted, result(c.result)),
        Body::Mount(m) => format!("{} on {} type {}{}", m.source, m.target, m.fstype, result(m.result)),
        Body::Umount(u) => format!("{}{}", u.target, result(u.result)),
        Body::Unshare(u) => format!("{}{}", u.namespaces.join("|"), result(u.result)),
        Body::Setns(s) => {
            format!("{} {}{}", s.ns_file.as_deref().unwrap_or("?"), s.namespaces.join("|"), result(s.result))
        }
        Body::Bpf(b) => format!("{}{}", b.cmd_name, result(b.result)),
        Body::Kill(k) => format!("{} sig={} target={}{}", k.syscall, k.signal, k.target_pid, result(k.result)),
        Body::AssetChange(a) => format!("{} {} {}: {}", a.table, a.change, a.key, a.summary),
        Body::Loss(l) => format!("hop={} count={} total={} {:?}", l.hop, l.count, l.total, l.by_kind),
    }
}

/// `TIME KIND pid=.. uid=.. exe: detail  <- parent`, then
/// ` container=NAME` for an event in a container.
pub fn line(ev: &Event) -> String {
    let p = &ev.process;
    let parent = p.ancestors.first().and_then(|a| a.exe.as_deref()).unwrap_or("?");
    let mut line = format!(
        "{} {:<12} pid={} uid={} {}: {}  <- {}",
        event::time::rfc3339_nanos(ev.time_unix_ns),
        ev.kind().name(),
        p.pid,
        p.uid,
        p.exe.as_deref().unwrap_or(&p.comm),
        detail(&ev.body),
        parent
    );
    if let Some(c) = &ev.container {
        line.push_str(&format!(" container={}", container_name(c)));
    }
    line
}

/// A container's name, or its short id while the name is unknown.
fn container_name(c: &Container) -> String {
    c.name.clone().unwrap_or_else(|| c.id.chars().take(12).collect())
}

/// `ALERT SEVERITY RULE pid=.. exe: message [MITRE,..] container=NAME|-`, then
/// what was done when it was more than an alert, and the suppressed count.
pub fn alert_line(alert: &Alert) -> String {
    let p = &alert.process;
    let container = alert.container.as_ref().map(container_name).unwrap_or_else(|| "-".into());
    let exe = p.exe.as_deref().unwrap_or("?");
    let mut line = format!("ALERT {} {} pid={} {exe}: {}", alert.severity, alert.rule.id, p.pid, alert.message);
    if !alert.mitre.is_empty() {
        line.push_str(&format!(" [{}]", alert.mitre.join(",")));
    }
    line.push_str(&format!(" container={container}"));
    if let Action::Kill { by, ok, error } = &alert.action {
        let by = match by {
            KillBy::Kernel => "kernel",
            KillBy::UserSpace => "user_space",
        };
        match (ok, error) {
            (true, _) => line.push_str(&format!(" action=kill({by})")),
            (false, e) => {
                line.push_str(&format!(" action=kill({by}) FAILED: {}", e.as_deref().unwrap_or("unknown error")))
            }
        }
    }
    if alert.suppressed > 0 {
        line.push_str(&format!(" (+{} suppressed)", alert.suppressed));
    }
    line
}

#[cfg(test)]
mod tests {
    use event::{samples, EventKind};

    use super::*;

    #[test]
    fn event_line_is_golden() {
        let mut ev = samples::event(EventKind::Exec);
        assert_eq!(
            line(&ev),
            "2026-11-23T12:00:00.123456789Z exec         pid=4242 uid=1000 /usr/bin/bash: \
             /tmp/x [/tmp/x --connect 203.0.113.7:4444]  <- /usr/bin/sshd container=web"
        );
        ev.container.as_mut().unwrap().name = None;
        assert!(line(&ev).ends_with("  <- /usr/bin/sshd container=0123456789ab"), "{}", line(&ev));
        ev.container = None;
        assert!(line(&ev).ends_with("  <- /usr/bin/sshd"), "host events name no container: {}", line(&ev));
    }

    #[test]
    fn alert_line_is_golden() {
        let mut alert = samples::alert();
        assert_eq!(
            alert_line(&alert),
            "ALERT high exec_from_temp_dir pid=4242 /tmp/x: /tmp/x ran from a temp dir (parent /usr/bin/sshd) \
             [T1059] container=web action=kill(kernel) (+2 suppressed)"
        );
        alert.action = Action::Alert;
        alert.suppressed = 0;
        alert.mitre = vec!["T1059".into(), "T1105".into()];
        alert.container.as_mut().unwrap().name = None;
        assert_eq!(
            alert_line(&alert),
            "ALERT high exec_from_temp_dir pid=4242 /tmp/x: /tmp/x ran from a temp dir (parent /usr/bin/sshd) \
             [T1059,T1105] container=0123456789ab"
        );
        alert.action = Action::Kill { by: KillBy::UserSpace, ok: false, error: Some("ESRCH: no such process".into()) };
        alert.container = None;
        alert.process.exe = None;
        alert.mitre.clear();
        assert_eq!(
            alert_line(&alert),
            "ALERT high exec_from_temp_dir pid=4242 ?: /tmp/x ran from a temp dir (parent /usr/bin/sshd) \
             container=- action=kill(user_space) FAILED: ESRCH: no such process"
        );
    }
}
