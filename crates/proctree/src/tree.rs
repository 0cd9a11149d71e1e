//! The tree itself: live processes by pid, exited ones lingering by
//! (pid, start time) until their eviction deadline, and the walk that
//! builds `process.ancestors`.
//!
//! Exec ids: `<boot id>:<ns>:<pid>`, where ns is the CLOCK_BOOTTIME time of
//! the process's last successful exec, or of its start when it has not
//! exec'd since we watched it. A new image gets a new exec id, as in
//! Tetragon, so "bash then curl in the same pid" are two instances.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use event::{Ancestor, Body, Event, Exec, Fork, Process};

use crate::snapshot::{self, same_start, ProcEntry};
use crate::users::Users;

/// Tuning knobs (from `[process_tree]` in the config).
#[derive(Debug, Clone)]
pub struct TreeOptions {
    /// How long an exited process stays for late events.
    pub exit_linger_ns: u64,
    /// Cap on entries, live and lingering together.
    pub max_processes: usize,
    /// Longest ancestor chain attached to an event.
    pub max_ancestors: usize,
    /// Read /proc for processes met before their fork/exec was seen. Off
    /// when replaying a recorded log: /proc describes now, not then.
    pub read_proc: bool,
}

impl Default for TreeOptions {
    fn default() -> Self {
        TreeOptions { exit_linger_ns: 5_000_000_000, max_processes: 65_536, max_ancestors: 64, read_proc: true }
    }
}

/// Counters, reported on shutdown and in stats.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TreeStats {
    pub live: usize,
    pub lingering: usize,
    pub evicted: u64,
    /// Lingering entries evicted before their deadline to make room.
    pub evicted_early: u64,
    /// New processes not tracked because the tree was full.
    pub refused: u64,
    /// Processes first met through an event, read from /proc.
    pub proc_reads: u64,
    /// Of those, gone before we could read them.
    pub proc_read_misses: u64,
    /// Rough heap bytes held by entries.
    pub approx_bytes: usize,
}

#[derive(Debug, Clone)]
struct Node {
    pid: u32,
    ppid: u32,
    start_boot_ns: u64,
    exec_id: Arc<str>,
    parent_exec_id: Option<Arc<str>>,
    exe: Option<Arc<str>>,
    cmdline: Option<Arc<str>>,
    cgroup: Option<Arc<str>>,
    cwd: Option<Arc<str>>,
}

impl Node {
    fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Node>()
            + self.exec_id.len()
            + self.exe.as_ref().map_or(0, |s| s.len())
            + self.cmdline.as_ref().map_or(0, |s| s.len())
            + self.cgroup.as_ref().map_or(0, |s| s.len())
            + self.cwd.as_ref().map_or(0, |s| s.len())
    }
}

pub struct ProcessTree {
    opts: TreeOptions,
    boot_id: String,
    live: HashMap<u32, Node>,
    lingering: HashMap<u32, Vec<Node>>,
    /// (deadline, pid, exec id), in exit order.
    evictions: VecDeque<(u64, u32, Arc<str>)>,
    lingering_count: usize,
    stats: TreeStats,
    users: Users,
}

impl ProcessTree {
    pub fn new(opts: TreeOptions) -> ProcessTree {
        Self::with_boot_id(opts, snapshot::read_boot_id())
    }

    pub fn with_boot_id(opts: TreeOptions, boot_id: String) -> ProcessTree {
        ProcessTree {
            opts,
            boot_id,
            live: HashMap::new(),
            lingering: HashMap::new(),
            evictions: VecDeque::new(),
            lingering_count: 0,
            stats: TreeStats::default(),
            users: Users::default(),
        }
    }

    /// Loads every process in /proc. Returns how many were added.
    pub fn snapshot_proc(&mut self) -> usize {
        let entries = snapshot::all();
        self.load_entries(entries)
    }

    /// Loads entries (from /proc or a test), parents before children so
    /// parent exec ids resolve.
    pub fn load_entries(&mut self, mut entries: Vec<ProcEntry>) -> usize {
        entries.sort_by_key(|e| e.start_boot_ns);
        let mut added = 0;
        for entry in entries {
            let node = self.node_from_entry(&entry);
            if self.insert_live(node) {
                added += 1;
            }
        }
        added
    }

    /// Updates the tree from a process event and fills the event's
    /// `process` (exe, cmdline, exec ids, ancestors).
    pub fn enrich(&mut self, ev: &mut Event) {
        match &ev.body {
            Body::Fork(fork) if !fork.thread => {
                let fork = fork.clone();
                self.on_fork(&ev.process, &fork);
            }
            Body::Exec(exec) if exec.result == 0 => {
                let exec = exec.clone();
                self.on_exec(&ev.process, &exec, ev.time_boot_ns);
            }
            _ => {}
        }
        self.fill(std::sync::Arc::make_mut(&mut ev.process));
        if let Body::Exit(_) = ev.body {
            self.on_exit(ev.process.pid, ev.process.start_boot_ns, ev.time_boot_ns);
        }
    }

    /// Evicts lingering processes whose deadline is past `now_boot_ns`.
    pub fn evict(&mut self, now_boot_ns: u64) {
        while let Some((deadline, _, _)) = self.evictions.front() {
            if *deadline > now_boot_ns {
                break;
            }
            self.evict_front();
            self.stats.evicted += 1;
        }
    }

    pub fn stats(&self) -> TreeStats {
        let approx_bytes = self.live.values().map(Node::approx_bytes).sum::<usize>()
            + self.lingering.values().flatten().map(Node::approx_bytes).sum::<usize>();
        TreeStats { live: self.live.len(), lingering: self.lingering_count, approx_bytes, ..self.stats.clone() }
    }

    fn exec_id(&self, ns: u64, pid: u32) -> Arc<str> {
        Arc::from(format!("{}:{}:{}", self.boot_id, ns, pid))
    }

    fn node_from_entry(&self, e: &ProcEntry) -> Node {
        Node {
            pid: e.pid,
            ppid: e.ppid,
            start_boot_ns: e.start_boot_ns,
            exec_id: self.exec_id(e.start_boot_ns, e.pid),
            parent_exec_id: self.live.get(&e.ppid).map(|p| p.exec_id.clone()),
            exe: e.exe.as_deref().map(Arc::from),
            cmdline: e.cmdline.as_deref().map(Arc::from),
            cgroup: e.cgroup.as_deref().map(Arc::from),
            cwd: e.cwd.as_deref().map(Arc::from),
        }
    }

    /// Inserts a live node, making room by early eviction when full.
    fn insert_live(&mut self, node: Node) -> bool {
        if !self.live.contains_key(&node.pid) && self.live.len() + self.lingering_count >= self.opts.max_processes {
            if self.evictions.is_empty() {
                self.stats.refused += 1;
                return false;
            }
            self.evict_front();
            self.stats.evicted_early += 1;
        }
        self.live.insert(node.pid, node);
        true
    }

    fn evict_front(&mut self) {
        let Some((_, pid, exec_id)) = self.evictions.pop_front() else { return };
        if let Some(nodes) = self.lingering.get_mut(&pid) {
            let before = nodes.len();
            nodes.retain(|n| n.exec_id != exec_id);
            self.lingering_count -= before - nodes.len();
            if nodes.is_empty() {
                self.lingering.remove(&pid);
            }
        }
    }

    /// The node for (pid, start), live or lingering; read from /proc or
    /// made from the event header when the tree has never seen it.
    fn find_or_load(&mut self, p: &Process) -> Option<&mut Node> {
        let live_matches =
            self.live.get(&p.pid).is_some_and(|n| p.start_boot_ns == 0 || same_start(n.start_boot_ns, p.start_boot_ns));
        if !live_matches {
            let lingers = self
                .lingering
                .get(&p.pid)
                .is_some_and(|v| v.iter().any(|n| same_start(n.start_boot_ns, p.start_boot_ns)));
            if lingers {
                return self
                    .lingering
                    .get_mut(&p.pid)
                    .and_then(|v| v.iter_mut().find(|n| same_start(n.start_boot_ns, p.start_boot_ns)));
            }
            let node = self.load_unknown(p);
            if !self.insert_live(node) {
                return None;
            }
        }
        self.live.get_mut(&p.pid)
    }

    fn load_unknown(&mut self, p: &Process) -> Node {
        let entry = if self.opts.read_proc {
            self.stats.proc_reads += 1;
            snapshot::read_proc(p.pid)
        } else {
            None
        };
        match entry {
            Some(entry) if p.start_boot_ns == 0 || same_start(entry.start_boot_ns, p.start_boot_ns) => {
                self.node_from_entry(&entry)
            }
            _ => {
                if self.opts.read_proc {
                    self.stats.proc_read_misses += 1;
                }
                Node {
                    pid: p.pid,
                    ppid: p.ppid,
                    start_boot_ns: p.start_boot_ns,
                    exec_id: self.exec_id(p.start_boot_ns, p.pid),
                    parent_exec_id: self.live.get(&p.ppid).map(|n| n.exec_id.clone()),
                    exe: None,
                    cmdline: None,
                    cgroup: None,
                    cwd: None,
                }
            }
        }
    }

    fn on_fork(&mut self, parent: &Process, fork: &Fork) {
        let (exe, cmdline, cgroup, cwd, parent_exec_id) = match self.find_or_load(parent) {
            Some(p) => (p.exe.clone(), p.cmdline.clone(), p.cgroup.clone(), p.cwd.clone(), Some(p.exec_id.clone())),
            None => (None, None, None, None, None),
        };
        let child = Node {
            pid: fork.child_pid,
            ppid: parent.pid,
            start_boot_ns: fork.child_start_boot_ns,
            exec_id: self.exec_id(fork.child_start_boot_ns, fork.child_pid),
            parent_exec_id,
            exe,
            cmdline,
            cgroup,
            cwd,
        };
        self.insert_live(child);
    }

    fn on_exec(&mut self, p: &Process, exec: &Exec, time_boot_ns: u64) {
        let exec_id = self.exec_id(time_boot_ns, p.pid);
        let parent_exec_id = self.live.get(&p.ppid).map(|n| n.exec_id.clone());
        let exe = exec.file.clone().unwrap_or_else(|| exec.filename.clone());
        let cmdline = exec.argv.join(" ");
        if let Some(node) = self.find_or_load(p) {
            node.exec_id = exec_id;
            node.parent_exec_id = parent_exec_id;
            node.ppid = p.ppid;
            node.exe = Some(Arc::from(exe));
            node.cmdline = Some(Arc::from(cmdline));
            if let Some(cgroup) = &exec.cgroup {
                node.cgroup = Some(Arc::from(cgroup.as_str()));
            }
            if let Some(cwd) = &exec.cwd {
                node.cwd = Some(Arc::from(cwd.as_str()));
            }
        }
    }

    fn on_exit(&mut self, pid: u32, start_boot_ns: u64, time_boot_ns: u64) {
        let matches = self.live.get(&pid).is_some_and(|n| same_start(n.start_boot_ns, start_boot_ns));
        if !matches {
            return;
        }
        if let Some(node) = self.live.remove(&pid) {
            self.evictions.push_back((
                time_boot_ns.saturating_add(self.opts.exit_linger_ns),
                pid,
                node.exec_id.clone(),
            ));
            self.lingering.entry(pid).or_default().push(node);
            self.lingering_count += 1;
        }
    }

    fn fill(&mut self, p: &mut Process) {
        let Some(node) = self.find_or_load(p) else { return };
        // The kernel's parent is the truth now (re-parenting after the
        // parent died); the tree follows it.
        if p.ppid != 0 && node.ppid != p.ppid {
            node.ppid = p.ppid;
        }
        p.exe = node.exe.as_deref().map(str::to_string);
        p.cmdline = node.cmdline.as_deref().map(str::to_string);
        p.cgroup = node.cgroup.as_deref().map(str::to_string);
        p.cwd = node.cwd.as_deref().map(str::to_string);
        p.exec_id = Some(node.exec_id.to_string());
        p.parent_exec_id = node.parent_exec_id.as_deref().map(str::to_string);
        let (pid, ppid) = (node.pid, node.ppid);
        p.user = self.users.name(p.uid).map(str::to_string);
        p.ancestors = self.ancestors(pid, ppid).into();
    }

    fn ancestors(&mut self, pid: u32, mut ppid: u32) -> Vec<Ancestor> {
        let mut chain = Vec::new();
        let mut seen = pid;
        while ppid != 0 && ppid != seen && chain.len() < self.opts.max_ancestors {
            if !self.live.contains_key(&ppid) {
                let probe = Process { pid: ppid, ..Default::default() };
                if self.find_or_load(&probe).is_none() {
                    break;
                }
            }
            let Some(node) = self.live.get(&ppid) else { break };
            chain.push(Ancestor {
                pid: node.pid,
                exec_id: Some(node.exec_id.to_string()),
                exe: node.exe.as_deref().map(str::to_string),
                cmdline: node.cmdline.as_deref().map(str::to_string),
            });
            seen = ppid;
            ppid = node.ppid;
        }
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use event::{Exit, FilePath};

    const S: u64 = 1_000_000_000;

    fn tree() -> ProcessTree {
        let mut t = ProcessTree::with_boot_id(
            TreeOptions { exit_linger_ns: 5 * S, max_processes: 8, max_ancestors: 64, read_proc: true },
            "abcd0123".into(),
        );
        // Pids far above pid_max so /proc look-ups of unknown ones miss.
        t.load_entries(vec![
            ProcEntry {
                pid: 9_000_001,
                ppid: 0,
                start_boot_ns: S,
                exe: Some("/sbin/init".into()),
                cmdline: Some("init".into()),
                cgroup: Some("/".into()),
                cwd: None,
            },
            ProcEntry {
                pid: 9_000_010,
                ppid: 9_000_001,
                start_boot_ns: 2 * S,
                exe: Some("/bin/bash".into()),
                cmdline: Some("bash -l".into()),
                cgroup: Some("/docker/c1".into()),
                cwd: None,
            },
        ]);
        t
    }

    fn proc_(pid: u32, ppid: u32, start: u64) -> Process {
        Process { pid, tid: pid, ppid, start_boot_ns: start, ..Default::default() }
    }

    fn ev(time: u64, process: Process, body: Body) -> Event {
        Event { time_boot_ns: time, time_unix_ns: time, process: process.into(), container: None, body }
    }

    fn fork_exec(t: &mut ProcessTree, parent: Process, child: u32, at: u64, file: &str) -> Event {
        let mut f = ev(
            at,
            parent.clone(),
            Body::Fork(Fork { child_pid: child, child_tid: child, thread: false, child_start_boot_ns: at }),
        );
        t.enrich(&mut f);
        let mut e = ev(
            at + 1000,
            proc_(child, parent.pid, at),
            Body::Exec(Exec {
                filename: file.into(),
                file: Some(file.into()),
                argv: vec![file.into(), "-x".into()],
                ..Default::default()
            }),
        );
        t.enrich(&mut e);
        e
    }

    #[test]
    fn fork_exec_gives_new_exec_id_and_ancestry() {
        let mut t = tree();
        let e = fork_exec(&mut t, proc_(9_000_010, 9_000_001, 2 * S), 9_000_020, 10 * S, "/usr/bin/curl");
        let p = &e.process;
        assert_eq!(p.exe.as_deref(), Some("/usr/bin/curl"));
        assert_eq!(p.cmdline.as_deref(), Some("/usr/bin/curl -x"));
        assert_eq!(p.exec_id.as_deref(), Some(format!("abcd0123:{}:9000020", 10 * S + 1000).as_str()));
        assert_eq!(p.parent_exec_id.as_deref(), Some(format!("abcd0123:{}:9000010", 2 * S).as_str()));
        let chain: Vec<(u32, Option<&str>)> = p.ancestors.iter().map(|a| (a.pid, a.exe.as_deref())).collect();
        assert_eq!(chain, vec![(9_000_010, Some("/bin/bash")), (9_000_001, Some("/sbin/init"))]);
    }

    #[test]
    fn cgroup_is_inherited_and_updated_at_exec() {
        let mut t = tree();
        let e = fork_exec(&mut t, proc_(9_000_010, 9_000_001, 2 * S), 9_000_060, 10 * S, "/bin/sh");
        assert_eq!(e.process.cgroup.as_deref(), Some("/docker/c1"), "inherited from the parent");
        let mut moved = ev(
            11 * S,
            proc_(9_000_060, 9_000_010, 10 * S),
            Body::Exec(Exec { filename: "/bin/x".into(), cgroup: Some("/docker/c2".into()), ..Default::default() }),
        );
        t.enrich(&mut moved);
        assert_eq!(moved.process.cgroup.as_deref(), Some("/docker/c2"), "the kernel's view at exec wins");
    }

    #[test]
    fn forked_child_inherits_image_until_exec() {
        let mut t = tree();
        let mut f = ev(
            3 * S,
            proc_(9_000_010, 9_000_001, 2 * S),
            Body::Fork(Fork { child_pid: 9_000_030, child_tid: 9_000_030, thread: false, child_start_boot_ns: 3 * S }),
        );
        t.enrich(&mut f);
        let mut u = ev(4 * S, proc_(9_000_030, 9_000_010, 3 * S), Body::FileUnlink(FilePath::default()));
        t.enrich(&mut u);
        assert_eq!(u.process.exe.as_deref(), Some("/bin/bash"));
        assert_eq!(u.process.exec_id.as_deref(), Some(format!("abcd0123:{}:9000030", 3 * S).as_str()));
        assert_eq!(u.process.ancestors[0].pid, 9_000_010);
    }

    #[test]
    fn exited_process_lingers_then_is_evicted() {
        let mut t = tree();
        fork_exec(&mut t, proc_(9_000_010, 9_000_001, 2 * S), 9_000_040, 10 * S, "/bin/true");
        let mut x =
            ev(11 * S, proc_(9_000_040, 9_000_010, 10 * S), Body::Exit(Exit { code: Some(0), ..Default::default() }));
        t.enrich(&mut x);
        assert_eq!(x.process.exe.as_deref(), Some("/bin/true"));
        assert_eq!(t.stats().lingering, 1);
        // A late event of the exited process still resolves.
        let mut late = ev(12 * S, proc_(9_000_040, 9_000_010, 10 * S), Body::FileUnlink(FilePath::default()));
        t.enrich(&mut late);
        assert_eq!(late.process.exe.as_deref(), Some("/bin/true"));
        t.evict(15 * S);
        assert_eq!(t.stats().lingering, 1, "deadline is exit + 5 s");
        t.evict(16 * S);
        let s = t.stats();
        assert_eq!((s.lingering, s.evicted), (0, 1));
    }

    #[test]
    fn pid_reuse_does_not_mix_instances() {
        let mut t = tree();
        fork_exec(&mut t, proc_(9_000_010, 9_000_001, 2 * S), 9_000_050, 10 * S, "/bin/old");
        let mut x = ev(11 * S, proc_(9_000_050, 9_000_010, 10 * S), Body::Exit(Exit::default()));
        t.enrich(&mut x);
        let e = fork_exec(&mut t, proc_(9_000_010, 9_000_001, 2 * S), 9_000_050, 12 * S, "/bin/new");
        assert_eq!(e.process.exe.as_deref(), Some("/bin/new"));
        let mut late_old = ev(12 * S + 5, proc_(9_000_050, 9_000_010, 10 * S), Body::FileUnlink(FilePath::default()));
        t.enrich(&mut late_old);
        assert_eq!(late_old.process.exe.as_deref(), Some("/bin/old"));
    }

    #[test]
    fn capacity_is_bounded_and_counted() {
        let mut t = tree(); // 2 entries, cap 8
        for i in 0..10u32 {
            let parent = proc_(9_000_010, 9_000_001, 2 * S);
            let mut f = ev(
                3 * S,
                parent,
                Body::Fork(Fork {
                    child_pid: 9_100_000 + i,
                    child_tid: 9_100_000 + i,
                    thread: false,
                    child_start_boot_ns: 3 * S,
                }),
            );
            t.enrich(&mut f);
        }
        let s = t.stats();
        assert_eq!(s.live, 8);
        assert_eq!(s.refused, 4);
        assert!(s.approx_bytes > 0);
    }

    #[test]
    fn unknown_process_gets_header_identity() {
        let mut t = tree();
        let mut u = ev(4 * S, proc_(9_000_777, 9_000_010, 3 * S), Body::FileUnlink(FilePath::default()));
        t.enrich(&mut u);
        assert_eq!(u.process.exe, None);
        assert_eq!(u.process.exec_id.as_deref(), Some(format!("abcd0123:{}:9000777", 3 * S).as_str()));
        assert_eq!(u.process.ancestors[0].pid, 9_000_010);
        assert_eq!(t.stats().proc_read_misses, 1);
    }
}
