//! `panoptes assets`: collects the inventory tables (all, or the ones
//! named), prints them (`--format table|json`), saves the snapshot in the
//! store, and with `diff` / `list` compares and lists stored snapshots.
//! The collection runs in its own thread at low CPU and I/O priority.

use std::path::PathBuf;
use std::process::ExitCode;

use assets::{Change, Collector, Options, Snapshot, TableKind};
use clap::{Args, Subcommand};
use config::StoreSection;
use store::AssetSnapshots;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AssetsArgs {
    #[command(subcommand)]
    action: Option<Action>,
    #[command(flatten)]
    collect: CollectArgs,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Changes between two stored snapshots [default: the last two].
    Diff(DiffArgs),
    /// Stored snapshots.
    List(StoreArgs),
}

#[derive(Args, Debug)]
struct StoreArgs {
    /// SQLite store [default: the store.path default].
    #[arg(long = "store", value_name = "PATH")]
    store_path: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct DiffArgs {
    /// Older snapshot id.
    old: Option<i64>,
    /// Newer snapshot id.
    new: Option<i64>,
    /// table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Args, Debug)]
struct CollectArgs {
    /// Tables to collect [default: all]: host, processes, sockets, users,
    /// groups, packages, package_files, services, cron, modules,
    /// containers, apps, suid.
    #[arg(value_name = "TABLE")]
    tables: Vec<String>,
    /// table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    /// Print each table's cost (ms) and the digest counters on stderr.
    #[arg(long)]
    timings: bool,
    /// SQLite store the snapshot is saved in [default: the store.path default].
    #[arg(long = "store", value_name = "PATH", conflicts_with = "no_store")]
    store_path: Option<PathBuf>,
    /// Do not save the snapshot.
    #[arg(long)]
    no_store: bool,
    /// Read files (/etc, /var/lib/dpkg, unit files, ...) under this
    /// directory instead of / (processes and sockets stay live).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Hash every dpkg file for integrity, not only the ones changed since
    /// their package was installed.
    #[arg(long)]
    full_integrity: bool,
    /// Never run an application binary to learn its version.
    #[arg(long)]
    no_exec_versions: bool,
    /// Digest read budget in MiB per second (0 = unlimited).
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    hash_rate_mib: u64,
    /// Docker Engine API socket.
    #[arg(long, value_name = "PATH")]
    docker_socket: Option<PathBuf>,
    /// containerd socket.
    #[arg(long, value_name = "PATH")]
    containerd_socket: Option<PathBuf>,
}

pub fn main(args: AssetsArgs) -> ExitCode {
    let result = match args.action {
        Some(Action::Diff(d)) => diff(d),
        Some(Action::List(s)) => list(s),
        None => collect(args.collect),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("panoptes assets: {message}");
            ExitCode::from(code)
        }
    }
}

type Failure = (u8, String);

fn store_path(p: Option<PathBuf>) -> PathBuf {
    p.unwrap_or_else(|| PathBuf::from(StoreSection::default().path))
}

fn collect(args: CollectArgs) -> Result<(), Failure> {
    let mut tables = Vec::new();
    for name in &args.tables {
        let t = TableKind::from_name(name)
            .ok_or_else(|| (2, format!("unknown table {name:?}; known: {}", TableKind::vocabulary())))?;
        tables.push(t);
    }
    let defaults = Options::default();
    let opts = Options {
        root: args.root.unwrap_or(defaults.root.clone()),
        hash_rate: args.hash_rate_mib << 20,
        full_integrity: args.full_integrity,
        exec_versions: !args.no_exec_versions,
        docker_socket: args.docker_socket.unwrap_or(defaults.docker_socket.clone()),
        containerd_socket: args.containerd_socket.unwrap_or(defaults.containerd_socket.clone()),
        ..defaults
    };
    let worker = std::thread::Builder::new().name("panoptes-assets".into()).spawn(move || {
        assets::lower_priority(10);
        let mut collector = Collector::new(opts);
        let snapshot = collector.collect(&tables);
        (snapshot, collector.hash_stats())
    });
    let (snapshot, hashes) = worker
        .map_err(|e| (1, format!("cannot start the collector thread: {e}")))?
        .join()
        .map_err(|_| (1, "the collector thread panicked".to_string()))?;
    let json = serde_json::to_string(&snapshot).map_err(|e| (1, format!("cannot encode the snapshot: {e}")))?;
    match args.format.as_str() {
        "json" => println!("{json}"),
        _ => print!("{}", render_tables(&snapshot)),
    }
    for t in &snapshot.tables {
        for w in &t.warnings {
            eprintln!("panoptes assets: {}: {w}", t.name);
        }
        if t.warnings_dropped > 0 {
            eprintln!("panoptes assets: {}: {} more warnings", t.name, t.warnings_dropped);
        }
    }
    if args.timings {
        eprintln!("timings (ms):");
        for t in &snapshot.tables {
            eprintln!("  {:<14} {:>7} ({} rows)", t.name, t.elapsed_ms, t.rows.len());
        }
        eprintln!("  {:<14} {:>7}", "total", snapshot.elapsed_ms());
        eprintln!(
            "digests: {} files, {} MiB read, {} cache hits, {} ms throttled",
            hashes.hashed_files,
            hashes.hashed_bytes >> 20,
            hashes.cache_hits,
            hashes.throttled_ms
        );
    }
    if !args.no_store {
        let path = store_path(args.store_path);
        let id = AssetSnapshots::open(&path)
            .and_then(|mut s| s.save(snapshot.time_unix_ns, &snapshot.host, &json))
            .map_err(|e| (1, format!("{e} (use --store PATH to put it elsewhere, or --no-store)")))?;
        eprintln!("panoptes assets: snapshot {id} saved in {}", path.display());
    }
    Ok(())
}

/// Each table as aligned columns (long values cut), under a header line.
pub fn render_tables(snapshot: &Snapshot) -> String {
    const WIDEST: usize = 60;
    let mut out = String::new();
    for t in &snapshot.tables {
        let columns = TableKind::from_name(&t.name).map(|k| k.columns()).unwrap_or(&[]);
        out.push_str(&format!("== {} ({} rows, {} ms) ==\n", t.name, t.rows.len(), t.elapsed_ms));
        let cell = |v: &str| -> String {
            let v = v.replace(['\n', '\t'], " ");
            if v.chars().count() > WIDEST {
                format!("{}…", v.chars().take(WIDEST - 1).collect::<String>())
            } else {
                v
            }
        };
        let cells: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|r| columns.iter().map(|c| cell(r.get(*c).map(String::as_str).unwrap_or("-"))).collect())
            .collect();
        let widths: Vec<usize> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| cells.iter().map(|r| r[i].chars().count()).chain([c.len()]).max().unwrap_or(0))
            .collect();
        let line = |values: Vec<&str>| -> String {
            let padded: Vec<String> = values.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect();
            format!("{}\n", padded.join("  ").trim_end())
        };
        out.push_str(&line(columns.to_vec()));
        for r in &cells {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        out.push('\n');
    }
    out
}

fn load(store: &AssetSnapshots, id: i64) -> Result<Snapshot, Failure> {
    let (_, json) = store.load(id).map_err(|e| (1, e.to_string()))?.ok_or((2, format!("no snapshot {id}")))?;
    serde_json::from_str(&json).map_err(|e| (1, format!("snapshot {id} is unreadable: {e}")))
}

fn diff(args: DiffArgs) -> Result<(), Failure> {
    let path = store_path(args.store.store_path);
    let store = AssetSnapshots::open_read_only(&path).map_err(|e| (1, e.to_string()))?;
    let ids: Vec<i64> = store.list().map_err(|e| (1, e.to_string()))?.iter().map(|m| m.id).collect();
    let (old, new) = match (args.old, args.new) {
        (Some(o), Some(n)) => (o, n),
        (Some(o), None) => (o, *ids.last().ok_or((2, "no snapshots stored".to_string()))?),
        _ if ids.len() >= 2 => (ids[ids.len() - 2], ids[ids.len() - 1]),
        _ => return Err((2, format!("{} holds {} snapshot(s); diff needs two", path.display(), ids.len()))),
    };
    let changes: Vec<Change> = assets::diff(&load(&store, old)?, &load(&store, new)?);
    if args.format == "json" {
        println!("{}", serde_json::to_string(&changes).map_err(|e| (1, e.to_string()))?);
    } else {
        eprintln!("snapshot {old} → {new}: {} changes", changes.len());
        for c in &changes {
            let mark = match c.change.as_str() {
                "added" => '+',
                "removed" => '-',
                _ => '~',
            };
            println!("{mark} {:<14} {}", c.table, c.summary);
        }
    }
    Ok(())
}

fn list(args: StoreArgs) -> Result<(), Failure> {
    let path = store_path(args.store_path);
    let store = AssetSnapshots::open_read_only(&path).map_err(|e| (1, e.to_string()))?;
    println!("{:>6}  {:<30}  {:<20}  {:>10}", "ID", "TIME", "HOST", "BYTES");
    for m in store.list().map_err(|e| (1, e.to_string()))? {
        let time = assets::rfc3339((m.time_unix_ns / 1_000_000_000) as i64);
        println!("{:>6}  {:<30}  {:<20}  {:>10}", m.id, time, m.host, m.bytes);
    }
    Ok(())
}
