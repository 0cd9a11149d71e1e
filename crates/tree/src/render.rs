//! Output of the tree: indented text for people, nested JSON for tools,
//! Graphviz dot for pictures.

use std::fmt::Write;

use crate::ProcNode;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Dot,
}

impl Format {
    pub fn parse(word: &str) -> Option<Format> {
        match word {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "dot" => Some(Format::Dot),
            _ => None,
        }
    }
}

pub fn render(forest: &[ProcNode], format: Format) -> String {
    match format {
        Format::Text => {
            let mut out = String::new();
            for root in forest {
                text(&mut out, root, "", true, true);
            }
            out
        }
        Format::Json => serde_json::to_string_pretty(forest).unwrap_or_default() + "\n",
        Format::Dot => dot(forest),
    }
}

fn label(n: &ProcNode) -> String {
    let cmd = if n.argv.is_empty() { n.exe.clone().unwrap_or_else(|| "?".into()) } else { n.argv.join(" ") };
    let mut l = format!("[{}] {}", n.pid, cmd);
    if n.outside {
        l.push_str("  (outside)");
        return l;
    }
    if let Some(uid) = n.uid {
        let _ = write!(l, "  uid={uid}");
    }
    if let Some(t) = &n.start_time {
        let _ = write!(l, "  start={t}");
    }
    match (&n.exit_time, n.exit_code, n.exit_signal) {
        (Some(t), _, Some(sig)) => {
            let _ = write!(l, "  exit={t} signal={sig}");
        }
        (Some(t), code, None) => {
            let _ = write!(l, "  exit={t}");
            if let Some(code) = code {
                let _ = write!(l, " code={code}");
            }
            if n.exit_inferred {
                l.push_str(" (container stop)");
            }
        }
        (None, _, _) => l.push_str("  running"),
    }
    l
}

fn text(out: &mut String, n: &ProcNode, prefix: &str, last: bool, root: bool) {
    let (branch, next) = if root {
        ("", "")
    } else if last {
        ("└─ ", "   ")
    } else {
        ("├─ ", "│  ")
    };
    let _ = writeln!(out, "{prefix}{branch}{}", label(n));
    let child_prefix = format!("{prefix}{next}");
    if let Some(cwd) = &n.cwd {
        let _ = writeln!(out, "{child_prefix}{}cwd {cwd}", if n.children.is_empty() { "  " } else { "│ " });
    }
    for f in &n.files {
        let bar = if n.children.is_empty() { "  " } else { "│ " };
        let mut line = format!("{child_prefix}{bar}{} {}", f.op, f.path);
        if let Some(new) = &f.new_path {
            let _ = write!(line, " -> {new}");
        }
        if let Some(mode) = &f.mode {
            let _ = write!(line, " {mode}");
        }
        let _ = writeln!(out, "{line}");
    }
    for (i, child) in n.children.iter().enumerate() {
        text(out, child, &child_prefix, i + 1 == n.children.len(), false);
    }
}

fn dot(forest: &[ProcNode]) -> String {
    let mut out = String::from("digraph panoptes_tree {\n  node [shape=box, fontname=monospace];\n");
    let mut next = 0usize;
    for root in forest {
        dot_node(&mut out, root, None, &mut next);
    }
    out.push_str("}\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot_node(out: &mut String, n: &ProcNode, parent: Option<usize>, next: &mut usize) {
    let id = *next;
    *next += 1;
    let mut text = escape(&label(n));
    for f in &n.files {
        let _ = write!(text, "\\l{} {}", f.op, escape(&f.path));
        if let Some(new) = &f.new_path {
            let _ = write!(text, " -> {}", escape(new));
        }
    }
    let style = if n.outside { ", style=dashed" } else { "" };
    let _ = writeln!(out, "  p{id} [label=\"{text}\\l\"{style}];");
    if let Some(parent) = parent {
        let _ = writeln!(out, "  p{parent} -> p{id};");
    }
    for child in &n.children {
        dot_node(out, child, Some(id), next);
    }
}
