//! The eBPF sensor: loads `probes.bpf.o` with aya, steers it through the
//! `config` and `watch` maps, attaches each program on its own (a program
//! that fails is reported and the rest run), and hands out ring-buffer
//! records and the kernel's per-kind drop counters.

use std::collections::BTreeMap;
use std::os::fd::AsRawFd;
use std::path::Path;

use aya::maps::lpm_trie::{Key, LpmTrie};
use aya::maps::{Array, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, TracePoint};
use aya::{Btf, Ebpf, EbpfLoader};
use config::WatchPattern;
use event::EventKind;

use crate::convert::wire_kind;
use crate::programs::{spec, AttachPoint, ProgramSpec};
use crate::wire::{layout, Config, KillKey, MAX_KINDS, WATCH_LEN};

/// The compiled kernel side.
static PROBES: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probes.bpf.o"));

const TRACEFS: &str = "/sys/kernel/tracing";
const DETACH_THREADS: usize = 16;

/// What the caller wants traced.
#[derive(Debug, Clone)]
pub struct EbpfOptions {
    pub ringbuf_bytes: u32,
    pub kinds: Vec<EventKind>,
    pub forensics: bool,
    pub watch_paths: Vec<WatchPattern>,
    /// Execs killed in the kernel (rules with `action: kill` decidable at
    /// sched_process_exec).
    pub kills: ExecKillTargets,
}

/// What the exec tracepoint kills (wire.h PN_KILL_*, `kill_exec`).
#[derive(Debug, Clone, Default)]
pub struct ExecKillTargets {
    pub memfd: bool,
    pub deleted: bool,
    /// Executables, identified by device and inode when loaded (a file
    /// replaced later is a different file and is not killed).
    pub files: Vec<std::path::PathBuf>,
}

/// Why the sensor could not start at all.
#[derive(Debug, thiserror::Error)]
pub enum EbpfError {
    #[error("no kernel BTF at /sys/kernel/btf/vmlinux ({0}); the eBPF sensor needs a kernel built with CONFIG_DEBUG_INFO_BTF")]
    NoBtf(String),
    #[error("loading the eBPF object failed: {0}{hint}", hint = if *.1 { " (not root: run as root or grant CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)" } else { "" })]
    Load(String, bool),
    #[error("eBPF map `{0}`: {1}")]
    Map(&'static str, String),
    #[error("watch path {path:?}: {reason}")]
    WatchPath { path: String, reason: String },
    #[error("no eBPF program could be attached; nothing is watched. First failure: {0}")]
    NothingAttached(String),
}

/// One program that is off, and why.
#[derive(Debug, Clone)]
pub struct ProgramFailure {
    pub program: String,
    pub kind: Option<EventKind>,
    pub reason: String,
}

/// What ended up watched.
#[derive(Debug, Clone, Default)]
pub struct AttachReport {
    pub attached: Vec<String>,
    pub failed: Vec<ProgramFailure>,
    /// Requested kinds with no program attached.
    pub kinds_off: Vec<EventKind>,
    /// Requested kinds with some programs off.
    pub kinds_partial: Vec<EventKind>,
    /// tracefs was mounted by us.
    pub mounted_tracefs: bool,
}

/// An attached link, owned so it can be dropped (detached) on any thread.
type Link = Box<dyn Send>;

pub struct EbpfSensor {
    bpf: Ebpf,
    ring: RingBuf<MapData>,
    links: Vec<Link>,
    pub report: AttachReport,
}

impl EbpfSensor {
    /// Loads, configures and attaches. Errors only when nothing at all can
    /// be watched; partial failures land in `report`.
    pub fn start(opts: &EbpfOptions) -> Result<EbpfSensor, EbpfError> {
        let mounted_tracefs = ensure_tracefs();
        let btf = Btf::from_sys_fs().map_err(|e| EbpfError::NoBtf(e.to_string()))?;
        let not_root = unsafe_geteuid() != 0;
        let mut bpf = EbpfLoader::new()
            .btf(Some(&btf))
            .set_max_entries("events", opts.ringbuf_bytes)
            .load(PROBES)
            .map_err(|e| EbpfError::Load(chain(&e), not_root))?;

        write_config(&mut bpf, opts)?;
        write_watch_list(&mut bpf, &opts.watch_paths)?;
        write_kill_list(&mut bpf, &opts.kills.files)?;
        let ring_map = bpf.take_map("events").ok_or(EbpfError::Map("events", "missing".into()))?;
        let ring = RingBuf::try_from(ring_map).map_err(|e| EbpfError::Map("events", e.to_string()))?;

        let (mut report, links) = attach_all(&mut bpf, &btf, &opts.kinds);
        report.mounted_tracefs = mounted_tracefs;
        if report.attached.is_empty() {
            let first = report.failed.first().map(|f| format!("{}: {}", f.program, f.reason)).unwrap_or_default();
            return Err(EbpfError::NothingAttached(first));
        }
        Ok(EbpfSensor { bpf, ring, links, report })
    }

    /// Detaches every program. Each tracepoint detach waits for an RCU
    /// grace period in the kernel; doing them from several threads at once
    /// lets the grace periods overlap (seconds become a fraction).
    pub fn detach(mut self) {
        let links = std::mem::take(&mut self.links);
        let per_thread = links.len().div_ceil(DETACH_THREADS).max(1);
        let mut chunks: Vec<Vec<Link>> = Vec::new();
        let mut links = links.into_iter().peekable();
        while links.peek().is_some() {
            chunks.push(links.by_ref().take(per_thread).collect());
        }
        std::thread::scope(|scope| {
            for chunk in chunks {
                scope.spawn(move || drop(chunk));
            }
        });
        drop(self);
    }

    /// Waits up to `timeout_ms` for records, then hands every available
    /// record to `on_record`. Returns how many were handed over.
    pub fn poll(&mut self, timeout_ms: i32, mut on_record: impl FnMut(&[u8])) -> usize {
        let mut pfd = libc::pollfd { fd: self.ring.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd for the duration of the call.
        unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        let mut n = 0;
        while let Some(item) = self.ring.next() {
            on_record(&item);
            n += 1;
        }
        n
    }

    /// Kernel-side drops since load, by wire kind number (summed over CPUs).
    pub fn kernel_drops(&self) -> Result<Vec<u64>, EbpfError> {
        let map = self.bpf.map("drops").ok_or(EbpfError::Map("drops", "missing".into()))?;
        let drops: PerCpuArray<&MapData, u64> =
            PerCpuArray::try_from(map).map_err(|e| EbpfError::Map("drops", e.to_string()))?;
        let mut out = vec![0u64; MAX_KINDS];
        for (index, slot) in out.iter_mut().enumerate() {
            if let Ok(values) = drops.get(&(index as u32), 0) {
                *slot = values.iter().sum();
            }
        }
        Ok(out)
    }
}

fn unsafe_geteuid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// Mounts tracefs at /sys/kernel/tracing when no tracefs is reachable
/// (some hosts boot without it). Returns whether it mounted.
fn ensure_tracefs() -> bool {
    if Path::new(TRACEFS).join("events").exists() || Path::new("/sys/kernel/debug/tracing/events").exists() {
        return false;
    }
    let ok = std::process::Command::new("mount")
        .args(["-t", "tracefs", "tracefs", TRACEFS])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        tracing::info!(path = TRACEFS, "mounted tracefs");
    } else {
        tracing::warn!(path = TRACEFS, "tracefs is not mounted and mounting it failed; tracepoints may not attach");
    }
    ok
}

fn write_config(bpf: &mut Ebpf, opts: &EbpfOptions) -> Result<(), EbpfError> {
    let mut kinds_mask = 0u64;
    for kind in &opts.kinds {
        if let Some(n) = wire_kind(*kind) {
            kinds_mask |= 1 << n;
        }
    }
    let kill_flags = if opts.kills.memfd { layout::PN_KILL_MEMFD as u32 } else { 0 }
        | if opts.kills.deleted { layout::PN_KILL_DELETED as u32 } else { 0 };
    let config = Config {
        self_tgid: std::process::id(),
        forensics: u32::from(opts.forensics),
        kinds_mask,
        kill_flags,
        reserved: 0,
    };
    let map = bpf.map_mut("config").ok_or(EbpfError::Map("config", "missing".into()))?;
    let mut array: Array<&mut MapData, Config> =
        Array::try_from(map).map_err(|e| EbpfError::Map("config", e.to_string()))?;
    array.set(0, config, 0).map_err(|e| EbpfError::Map("config", e.to_string()))
}

/// Fills `kill_exec` with the files' identities. A file that cannot be
/// read is skipped with a warning (there is nothing to kill until it
/// exists; user space still kills it when the rule matches).
fn write_kill_list(bpf: &mut Ebpf, files: &[std::path::PathBuf]) -> Result<(), EbpfError> {
    use std::os::unix::fs::MetadataExt;
    if files.is_empty() {
        return Ok(());
    }
    let map = bpf.map_mut("kill_exec").ok_or(EbpfError::Map("kill_exec", "missing".into()))?;
    let mut hash: aya::maps::HashMap<&mut MapData, KillKey, u32> =
        aya::maps::HashMap::try_from(map).map_err(|e| EbpfError::Map("kill_exec", e.to_string()))?;
    for file in files {
        match std::fs::metadata(file) {
            Ok(meta) => {
                let key = KillKey { dev: kernel_dev(meta.dev()), ino: meta.ino() };
                hash.insert(key, 1, 0).map_err(|e| EbpfError::Map("kill_exec", e.to_string()))?;
            }
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "kill rule target not found; it is killed from user space if it appears")
            }
        }
    }
    Ok(())
}

/// stat's st_dev → the kernel's `s_dev` encoding (MAJOR << 20 | MINOR).
pub fn kernel_dev(st_dev: u64) -> u64 {
    let major = libc::major(st_dev) as u64;
    let minor = libc::minor(st_dev) as u64;
    (major << 20) | minor
}

/// The LPM key of a watch pattern: an exact entry's prefix covers the
/// terminating NUL, a prefix entry stops before it.
pub fn watch_key(pattern: &WatchPattern) -> Key<[u8; WATCH_LEN]> {
    let mut data = [0u8; WATCH_LEN];
    let n = pattern.bytes.len().min(WATCH_LEN);
    data[..n].copy_from_slice(&pattern.bytes[..n]);
    let bits = (n + usize::from(pattern.exact)).min(WATCH_LEN) * 8;
    Key::new(bits as u32, data)
}

fn write_watch_list(bpf: &mut Ebpf, patterns: &[WatchPattern]) -> Result<(), EbpfError> {
    let map = bpf.map_mut("watch").ok_or(EbpfError::Map("watch", "missing".into()))?;
    let mut trie: LpmTrie<&mut MapData, [u8; WATCH_LEN], u8> =
        LpmTrie::try_from(map).map_err(|e| EbpfError::Map("watch", e.to_string()))?;
    for pattern in patterns {
        trie.insert(&watch_key(pattern), 1, 0)
            .map_err(|e| EbpfError::WatchPath { path: pattern.text.clone(), reason: e.to_string() })?;
    }
    Ok(())
}

/// Attaches every program whose kind is wanted. Exit handlers go first so
/// an enter handler is attached only when its exit twin is.
fn attach_all(bpf: &mut Ebpf, btf: &Btf, kinds: &[EventKind]) -> (AttachReport, Vec<Link>) {
    let mut report = AttachReport::default();
    let mut links = Vec::new();
    let mut specs: Vec<ProgramSpec> = Vec::new();
    let names: Vec<String> = bpf.programs().map(|(name, _)| name.to_string()).collect();
    for name in names {
        match spec(&name) {
            Some(s) if kinds.contains(&s.kind) => specs.push(s),
            Some(_) => {}
            None => report.failed.push(ProgramFailure {
                program: name,
                kind: None,
                reason: "name outside the naming convention; not attached".into(),
            }),
        }
    }
    specs.sort_by_key(|s| (s.needs_exit.is_some(), s.program.clone()));
    for s in &specs {
        if let Some(exit) = &s.needs_exit {
            if !report.attached.contains(exit) {
                report.failed.push(ProgramFailure {
                    program: s.program.clone(),
                    kind: Some(s.kind),
                    reason: format!("{exit} is not attached"),
                });
                continue;
            }
        }
        match attach_one(bpf, btf, s) {
            Ok(link) => {
                links.push(link);
                report.attached.push(s.program.clone());
            }
            Err(reason) => {
                report.failed.push(ProgramFailure { program: s.program.clone(), kind: Some(s.kind), reason })
            }
        }
    }
    let mut per_kind: BTreeMap<EventKind, (usize, usize)> = BTreeMap::new();
    for s in &specs {
        let entry = per_kind.entry(s.kind).or_default();
        if report.attached.contains(&s.program) {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    for kind in kinds {
        match per_kind.get(kind) {
            None | Some((0, _)) => {
                if wire_kind(*kind).is_some() {
                    report.kinds_off.push(*kind)
                }
            }
            Some((_, 0)) => {}
            Some(_) => report.kinds_partial.push(*kind),
        }
    }
    (report, links)
}

/// An error with its whole `source()` chain, so the OS error shows.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn attach_one(bpf: &mut Ebpf, btf: &Btf, s: &ProgramSpec) -> Result<Link, String> {
    let program = bpf.program_mut(&s.program).ok_or("program vanished from the object")?;
    match &s.attach {
        AttachPoint::TracePoint { category, name } => {
            let tp: &mut TracePoint = program.try_into().map_err(|e| format!("{e}"))?;
            tp.load().map_err(|e| format!("load: {}", chain(&e)))?;
            let id = tp.attach(category, name).map_err(|e| format!("attach {category}/{name}: {}", chain(&e)))?;
            Ok(Box::new(tp.take_link(id).map_err(|e| chain(&e))?))
        }
        AttachPoint::BtfTracePoint { name } => {
            let tp: &mut BtfTracePoint = program.try_into().map_err(|e| format!("{e}"))?;
            tp.load(name, btf).map_err(|e| format!("load: {}", chain(&e)))?;
            let id = tp.attach().map_err(|e| format!("attach tp_btf/{name}: {}", chain(&e)))?;
            Ok(Box::new(tp.take_link(id).map_err(|e| chain(&e))?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_keys() {
        let k = watch_key(&WatchPattern::parse("/etc/shadow").unwrap());
        assert_eq!(k.prefix_len(), 12 * 8);
        let k = watch_key(&WatchPattern::parse("/etc/sudoers.d/*").unwrap());
        assert_eq!(k.prefix_len(), 15 * 8);
    }
}
