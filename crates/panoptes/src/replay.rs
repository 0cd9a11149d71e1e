//! `panoptes replay --audit-log FILE`: an existing audit log through the
//! event pipeline (process tree, outputs, optional store).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use config::RawConfig;

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// An audit.log, or the base of a rotated set (audit.log, audit.log.1,
    /// ... are read oldest first), or a directory holding them.
    #[arg(long, value_name = "PATH")]
    audit_log: PathBuf,
    /// `stdout`, `jsonl=PATH` (`-` = stdout) or `jsonl:alerts=PATH`; repeatable.
    #[arg(long = "output", value_name = "SPEC")]
    outputs: Vec<String>,
    /// Event kinds or families to emit, comma-separated.
    #[arg(long, value_name = "KIND,...", value_delimiter = ',')]
    events: Vec<String>,
    /// Also store the events in this SQLite file (for `panoptes tree`).
    #[arg(long = "store", value_name = "PATH")]
    store_path: Option<String>,
    /// Write final counters as JSON to PATH.
    #[arg(long, value_name = "PATH")]
    stats_json: Option<String>,
}

pub fn main(args: ReplayArgs) -> ExitCode {
    let mut raw = RawConfig::default();
    if !args.outputs.is_empty() {
        raw.run.outputs = args.outputs;
    }
    raw.run.events = args.events;
    raw.store.enabled = args.store_path.is_some();
    if let Some(path) = args.store_path {
        raw.store.path = path;
    }
    raw.containers.enabled = false;
    let cfg = match raw.validate() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("panoptes replay: {e}");
            return ExitCode::from(2);
        }
    };
    match pipeline::replay_audit_log(&cfg, &args.audit_log) {
        Ok(summary) => {
            eprint!("{}", summary.render());
            if let Some(path) = args.stats_json {
                if let Err(e) = std::fs::write(&path, serde_json::to_string_pretty(&summary).unwrap_or_default()) {
                    eprintln!("panoptes replay: cannot write stats to {path}: {e}");
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("panoptes replay: {e}");
            ExitCode::from(2)
        }
    }
}
