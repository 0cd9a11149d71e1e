//! `panoptes tree`: the process tree of a container (or of a host process)
//! rebuilt from stored events, with what each process changed on disk —
//! the godo view: "what ran in this container and what did it change?".
//!
//! Input is the stored JSON events in time order (see docs/events.md).
//! Processes are instances keyed by (pid, start time), threads are already
//! folded by the sensor. Parents come from the fork event that created the
//! process (so re-parenting after a parent's death does not move it), then
//! from `parent_exec_id`, then from `ppid`. A container's init gets its
//! runtime shim as an outside root when the events' ancestry names it.
//! Processes without an exit are given the container init's exit time,
//! marked `exit_inferred`.

mod render;
mod when;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

pub use render::{render, Format};
pub use when::parse_time;

/// One file change by a process (successful calls only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileChange {
    pub time: String,
    /// `create`, `write`, `rename`, `delete`, `chmod`, `chown`.
    pub op: &'static str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// One program image a process ran (a process may exec several times).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecStep {
    pub time: String,
    pub exe: Option<String>,
    pub argv: Vec<String>,
}

/// One process instance and its children.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProcNode {
    pub pid: u32,
    pub ppid: u32,
    pub start_time: Option<String>,
    pub exit_time: Option<String>,
    /// The exit time was not seen and was taken from the container's stop.
    pub exit_inferred: bool,
    pub exit_code: Option<i32>,
    pub exit_signal: Option<i32>,
    pub exe: Option<String>,
    pub argv: Vec<String>,
    pub cwd: Option<String>,
    pub uid: Option<u32>,
    pub container_id: Option<String>,
    /// Not part of the selection: the runtime shim or host parent shown as
    /// the root for orientation.
    pub outside: bool,
    pub exec_ids: Vec<String>,
    /// Every image it exec'd while watched, in order (`exe`/`argv` above are
    /// the last; a child that never exec'd shows its parent's).
    pub execs: Vec<ExecStep>,
    pub files: Vec<FileChange>,
    pub children: Vec<ProcNode>,
}

/// Which processes to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every process of the events given (already filtered by container).
    All,
    /// The subtree of the most recent instance of this pid.
    Pid(u32),
}

type Key = (u32, u64);

#[derive(Default)]
struct Builder {
    nodes: HashMap<Key, ProcNode>,
    order: Vec<Key>,
    forked_by: HashMap<Key, Key>,
    by_exec_id: HashMap<String, Key>,
    parent_exec_id: HashMap<Key, String>,
    /// The first ancestor each process's events named.
    first_ancestor: HashMap<Key, Outside>,
}

/// A parent outside the selection, as the events' ancestry names it.
#[derive(Debug, Clone)]
struct Outside {
    pid: u32,
    exec_id: Option<String>,
    exe: Option<String>,
    cmdline: Option<String>,
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

impl Builder {
    fn key(p: &Value) -> Option<Key> {
        Some((u32::try_from(p["pid"].as_u64()?).ok()?, p["start_boot_ns"].as_u64().unwrap_or(0)))
    }

    fn node(&mut self, key: Key) -> &mut ProcNode {
        if !self.nodes.contains_key(&key) {
            self.order.push(key);
        }
        self.nodes.entry(key).or_insert_with(|| ProcNode { pid: key.0, ..Default::default() })
    }

    fn add(&mut self, ev: &Value) {
        let p = &ev["process"];
        let Some(key) = Self::key(p) else { return };
        let time = s(&ev["time"]);
        let container = s(&ev["container"]["id"]);
        let exec_id = s(&p["exec_id"]);
        let node = self.node(key);
        node.ppid = p["ppid"].as_u64().unwrap_or(0) as u32;
        if node.start_time.is_none() {
            node.start_time = time.clone();
        }
        if node.exe.is_none() {
            node.exe = s(&p["exe"]);
            if let Some(cmd) = p["cmdline"].as_str() {
                node.argv = cmd.split(' ').map(str::to_string).collect();
            }
        }
        node.uid = p["uid"].as_u64().map(|u| u as u32).or(node.uid);
        if container.is_some() {
            node.container_id = container;
        }
        if let Some(id) = &exec_id {
            if !node.exec_ids.contains(id) {
                node.exec_ids.push(id.clone());
            }
            self.by_exec_id.insert(id.clone(), key);
        }
        if let Some(parent) = s(&p["parent_exec_id"]) {
            self.parent_exec_id.entry(key).or_insert(parent);
        }
        if let Some(a) = p["ancestors"].as_array().and_then(|a| a.first()) {
            self.first_ancestor.entry(key).or_insert(Outside {
                pid: a["pid"].as_u64().unwrap_or(0) as u32,
                exec_id: s(&a["exec_id"]),
                exe: s(&a["exe"]),
                cmdline: s(&a["cmdline"]),
            });
        }
        self.apply_body(key, ev, time.unwrap_or_default());
    }

    fn apply_body(&mut self, key: Key, ev: &Value, time: String) {
        let kind = ev["kind"].as_str().unwrap_or("");
        let file = &ev["file"];
        let ok = |v: &Value| v["result"].as_i64().unwrap_or(-1) >= 0;
        match kind {
            "fork" if ev["fork"]["thread"] == false => {
                let f = &ev["fork"];
                let child =
                    (f["child_pid"].as_u64().unwrap_or(0) as u32, f["child_start_boot_ns"].as_u64().unwrap_or(0));
                self.forked_by.insert(child, key);
                let (exe, argv, cwd) = {
                    let parent = self.node(key);
                    (parent.exe.clone(), parent.argv.clone(), parent.cwd.clone())
                };
                let node = self.node(child);
                node.start_time.get_or_insert(time);
                if node.exe.is_none() && node.execs.is_empty() {
                    node.exe = exe;
                    node.argv = argv;
                }
                if node.cwd.is_none() {
                    node.cwd = cwd;
                }
            }
            "exec" if ok(&ev["exec"]) => {
                let e = &ev["exec"];
                let node = self.node(key);
                node.exe = s(&e["file"]).or_else(|| s(&e["filename"]));
                node.argv = strings(&e["argv"]);
                node.cwd = s(&e["cwd"]).or(node.cwd.take());
                node.execs.push(ExecStep { time, exe: node.exe.clone(), argv: node.argv.clone() });
            }
            "exit" => {
                let node = self.node(key);
                node.exit_time = Some(time);
                node.exit_code = ev["exit"]["code"].as_i64().map(|c| c as i32);
                node.exit_signal = ev["exit"]["signal"].as_i64().map(|c| c as i32);
            }
            "file_open" if ok(file) => {
                let created = strings(&file["flags_names"]).iter().any(|f| f == "O_CREAT");
                self.change(key, time, if created { "create" } else { "write" }, file, None);
            }
            "file_rename" if ok(file) => {
                let new_path = s(&file["new_path"]);
                self.change(key, time, "rename", file, new_path);
            }
            "file_unlink" if ok(file) => self.change(key, time, "delete", file, None),
            "file_chmod" if ok(file) => self.change(key, time, "chmod", file, None),
            "file_chown" if ok(file) => self.change(key, time, "chown", file, None),
            _ => {}
        }
    }

    fn change(&mut self, key: Key, time: String, op: &'static str, file: &Value, new_path: Option<String>) {
        let path = s(&file["path"]).unwrap_or_default();
        let mode = s(&file["mode_octal"]);
        self.node(key).files.push(FileChange { time, op, path, new_path, mode });
    }

    /// The parent of each node: fork event, else parent exec id, else the
    /// latest earlier instance of the ppid.
    fn parent_of(&self, key: Key) -> Option<Key> {
        if let Some(parent) = self.forked_by.get(&key) {
            if self.nodes.contains_key(parent) {
                return Some(*parent);
            }
        }
        if let Some(parent) = self.parent_exec_id.get(&key).and_then(|id| self.by_exec_id.get(id)) {
            if *parent != key {
                return Some(*parent);
            }
        }
        let ppid = self.nodes.get(&key)?.ppid;
        self.order.iter().filter(|k| k.0 == ppid && k.1 <= key.1 && **k != key).max_by_key(|k| k.1).copied()
    }
}

/// Builds the forest from events in time order.
pub fn build(events: &[Value], selection: &Selection) -> Vec<ProcNode> {
    let mut b = Builder::default();
    for ev in events {
        b.add(ev);
    }
    let mut children: BTreeMap<Key, Vec<Key>> = BTreeMap::new();
    let mut roots: Vec<Key> = Vec::new();
    for key in &b.order {
        match b.parent_of(*key) {
            Some(parent) => children.entry(parent).or_default().push(*key),
            None => roots.push(*key),
        }
    }
    fill_inferred_exits(&mut b, &roots);
    let roots = match selection {
        Selection::All => roots,
        Selection::Pid(pid) => {
            b.order.iter().filter(|k| k.0 == *pid).max_by_key(|k| k.1).copied().into_iter().collect()
        }
    };
    let mut forest: Vec<ProcNode> = roots.iter().map(|k| assemble(&b, &children, *k, 0)).collect();
    if *selection == Selection::All {
        forest = attach_outside_roots(&b, forest, &roots);
    }
    forest
}

/// A container's processes die with its init: a missing exit is the
/// init's exit.
fn fill_inferred_exits(b: &mut Builder, roots: &[Key]) {
    let init_exit: HashMap<String, String> = roots
        .iter()
        .filter_map(|k| b.nodes.get(k))
        .filter_map(|n| Some((n.container_id.clone()?, n.exit_time.clone()?)))
        .collect();
    for node in b.nodes.values_mut() {
        if node.exit_time.is_none() {
            if let Some(t) = node.container_id.as_ref().and_then(|c| init_exit.get(c)) {
                node.exit_time = Some(t.clone());
                node.exit_inferred = true;
            }
        }
    }
}

fn assemble(b: &Builder, children: &BTreeMap<Key, Vec<Key>>, key: Key, depth: usize) -> ProcNode {
    let mut node = b.nodes.get(&key).cloned().unwrap_or_default();
    if depth < 256 {
        node.children = children
            .get(&key)
            .map(|c| c.iter().map(|k| assemble(b, children, *k, depth + 1)).collect())
            .unwrap_or_default();
    }
    node
}

/// Roots whose parent is outside the selection (a container init and its
/// shim) are grouped under that parent, shown as an `outside` node.
fn attach_outside_roots(b: &Builder, forest: Vec<ProcNode>, roots: &[Key]) -> Vec<ProcNode> {
    let mut out: Vec<ProcNode> = Vec::new();
    let mut by_parent: BTreeMap<(u32, Option<String>), usize> = BTreeMap::new();
    for (node, key) in forest.into_iter().zip(roots) {
        let Some(parent) = b.first_ancestor.get(key).filter(|a| a.pid != 0) else {
            out.push(node);
            continue;
        };
        let slot = *by_parent.entry((parent.pid, parent.exec_id.clone())).or_insert_with(|| {
            out.push(ProcNode {
                pid: parent.pid,
                exe: parent.exe.clone(),
                argv: parent.cmdline.as_deref().map(|c| c.split(' ').map(str::to_string).collect()).unwrap_or_default(),
                exec_ids: parent.exec_id.iter().cloned().collect(),
                outside: true,
                ..Default::default()
            });
            out.len() - 1
        });
        out[slot].children.push(node);
    }
    out
}

#[cfg(test)]
mod tests;
