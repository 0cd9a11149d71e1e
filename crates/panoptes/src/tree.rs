//! `panoptes tree`: reads stored events and prints the process tree of a
//! container (`--container ID|NAME`) or of a host process (`--pid PID`),
//! with the files each process changed.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use config::StoreSection;
use store::{EventFilter, Store};
use tree::{build, parse_time, render, Format, Selection};

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["container", "pid"])))]
pub struct TreeArgs {
    /// Container id (or a unique prefix of 4+ characters) or name.
    #[arg(long, value_name = "ID|NAME")]
    container: Option<String>,
    /// A host process: its subtree from its most recent instance.
    #[arg(long, value_name = "PID")]
    pid: Option<u32>,
    /// From this time: RFC 3339, Unix seconds, or an age such as 10m.
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Until this time (same forms as --since).
    #[arg(long, value_name = "T")]
    until: Option<String>,
    /// text, json or dot.
    #[arg(long, default_value = "text", value_name = "FORMAT")]
    format: String,
    /// SQLite store [default: the store.path default].
    #[arg(long = "store", value_name = "PATH")]
    store_path: Option<PathBuf>,
}

fn now_unix_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

fn run(args: TreeArgs) -> Result<String, String> {
    let format =
        Format::parse(&args.format).ok_or_else(|| format!("--format {:?}: expected text, json or dot", args.format))?;
    let now = now_unix_ns();
    let since = args.since.as_deref().map(|t| parse_time(t, now).map_err(|e| format!("--since {e}"))).transpose()?;
    let until = args.until.as_deref().map(|t| parse_time(t, now).map_err(|e| format!("--until {e}"))).transpose()?;
    let path = args.store_path.unwrap_or_else(|| PathBuf::from(StoreSection::default().path));
    let store = Store::open_read_only(&path).map_err(|e| e.to_string())?;
    let kinds = ["exec", "fork", "exit", "file_open", "file_rename", "file_unlink", "file_chmod", "file_chown"];
    let mut filter = EventFilter {
        since_unix_ns: since,
        until_unix_ns: until,
        kinds: Some(kinds.iter().map(|k| k.to_string()).collect()),
        ..Default::default()
    };
    let selection = match (&args.container, args.pid) {
        (Some(c), _) => {
            let id = store.resolve_container(c).map_err(|e| e.to_string())?.ok_or_else(|| {
                format!("no container {c:?} in {} (see stored containers with --format json)", path.display())
            })?;
            filter.container = Some(id);
            Selection::All
        }
        (None, Some(pid)) => Selection::Pid(pid),
        (None, None) => return Err("give --container or --pid".into()),
    };
    let rows = store.events(&filter).map_err(|e| e.to_string())?;
    let events: Vec<serde_json::Value> = rows.iter().filter_map(|r| serde_json::from_str(&r.json).ok()).collect();
    let forest = build(&events, &selection);
    if forest.is_empty() {
        return Err("no matching process events in the store for that selection and time window".into());
    }
    Ok(render(&forest, format))
}

pub fn main(args: TreeArgs) -> ExitCode {
    match run(args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("panoptes tree: {e}");
            ExitCode::from(2)
        }
    }
}
