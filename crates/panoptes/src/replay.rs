//! `panoptes replay FILE`: recorded events (JSON lines or the binary
//! recording) through the rules and the outputs; `panoptes replay --audit-log FILE`: an existing audit log
//! through the whole event pipeline (process tree, rules, outputs, optional
//! store).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use config::RawConfig;

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Recorded events: one JSON object per line (`panoptes run --output
    /// jsonl=FILE`) or the binary recording (`--output record=FILE`).
    #[arg(value_name = "FILE", required_unless_present = "audit_log", conflicts_with = "audit_log")]
    events: Option<PathBuf>,
    /// An audit.log, or the base of a rotated set (audit.log, audit.log.1,
    /// ... are read oldest first), or a directory holding them.
    #[arg(long, value_name = "PATH")]
    audit_log: Option<PathBuf>,
    #[command(flatten)]
    rules: crate::rules::RuleArgs,
    /// Do not carry out `action: kill` (always off for FILE).
    #[arg(long, hide = true)]
    no_actions: bool,
    /// `stdout`, `jsonl=PATH` (`-` = stdout), `jsonl:alerts=PATH` or
    /// `record=PATH` (converts FILE, with `--events`); repeatable.
    #[arg(long = "output", value_name = "SPEC")]
    outputs: Vec<String>,
    /// Event kinds or families to print, comma-separated (default: all for
    /// --audit-log, none for FILE: only alerts).
    #[arg(long = "events", value_name = "KIND,...", value_delimiter = ',')]
    kinds: Vec<String>,
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
    raw.run.events = args.kinds.clone();
    args.rules.apply(&mut raw);
    // A replay never kills: the processes are not these.
    raw.rules.actions = false;
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
    let result = match (&args.events, &args.audit_log) {
        (Some(events), _) => {
            let mut cfg = cfg;
            if args.kinds.is_empty() {
                cfg.kinds.clear();
            }
            pipeline::replay_events(&cfg, events)
        }
        (None, Some(log)) => pipeline::replay_audit_log(&cfg, log),
        (None, None) => {
            eprintln!("panoptes replay: give FILE or --audit-log PATH");
            return ExitCode::from(2);
        }
    };
    match result {
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
