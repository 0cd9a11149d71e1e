//! `panoptes run`: flags override config-file keys (each flag is named
//! after its key), then the pipeline runs until SIGINT/SIGTERM.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Args;
use config::{ConfigError, RawConfig, DEFAULT_PATH};

#[derive(Args, Debug, Default)]
pub struct RunArgs {
    /// Config file [default: /etc/panoptes/panoptes.toml when it exists].
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// `stdout`, `jsonl=PATH` (every event and alert; `-` = stdout),
    /// `jsonl:alerts=PATH`, `record=PATH` (every event in the binary
    /// recording, for `panoptes replay`) or `webhook=URL` (alerts POSTed as
    /// JSON).
    /// Repeatable. Key: run.outputs.
    #[arg(long = "output", value_name = "SPEC")]
    outputs: Vec<String>,
    /// Event kinds or families to emit, comma-separated. Key: run.events.
    #[arg(long, value_name = "KIND,...", value_delimiter = ',')]
    events: Vec<String>,
    /// Stop after SECS seconds. Key: run.duration_secs.
    #[arg(long = "duration", value_name = "SECS")]
    duration_secs: Option<u64>,
    /// Write final counters as JSON to PATH. Key: run.stats_json.
    #[arg(long, value_name = "PATH")]
    stats_json: Option<String>,
    /// auto (eBPF, else audit, else proc connector), ebpf, audit or proc.
    /// Key: sensor.kind.
    #[arg(long, value_name = "KIND", value_parser = ["auto", "ebpf", "audit", "proc"])]
    sensor: Option<String>,
    /// Ring buffer bytes (power of two). Key: sensor.ringbuf_bytes.
    #[arg(long, value_name = "BYTES")]
    ringbuf_bytes: Option<u64>,
    /// Report every open, read-only ones too. Key: sensor.forensics.
    #[arg(long)]
    forensics: bool,
    /// Replace the watch list (repeatable). Key: sensor.watch_paths.
    #[arg(long = "watch-path", value_name = "PATH")]
    watch_paths: Vec<String>,
    /// Sensor → processing queue capacity. Key: pipeline.queue_capacity.
    #[arg(long, value_name = "N")]
    queue_capacity: Option<usize>,
    /// Seconds exited processes stay in the tree. Key: process_tree.exit_linger_secs.
    #[arg(long, value_name = "SECS")]
    exit_linger_secs: Option<u64>,
    /// Cap on tracked processes. Key: process_tree.max_processes.
    #[arg(long, value_name = "N")]
    max_processes: Option<usize>,
    /// SQLite store file. Key: store.path.
    #[arg(long = "store", value_name = "PATH")]
    store_path: Option<String>,
    /// Do not store events. Key: store.enabled = false.
    #[arg(long)]
    no_store: bool,
    /// Do not resolve container metadata. Key: containers.enabled = false.
    #[arg(long)]
    no_containers: bool,
    /// Docker Engine API socket. Key: containers.docker_socket.
    #[arg(long, value_name = "PATH")]
    docker_socket: Option<String>,
    /// containerd socket. Key: containers.containerd_socket.
    #[arg(long, value_name = "PATH")]
    containerd_socket: Option<String>,
    /// Asset inventory interval (`10m`, `1h`, `off`). Key: assets.interval.
    #[arg(long, value_name = "DURATION")]
    assets_interval: Option<String>,
    #[command(flatten)]
    rules: crate::rules::RuleArgs,
}

impl RunArgs {
    fn apply(self, raw: &mut RawConfig) {
        self.rules.apply(raw);
        if !self.outputs.is_empty() {
            raw.run.outputs = self.outputs;
        }
        if !self.events.is_empty() {
            raw.run.events = self.events;
        }
        if let Some(v) = self.duration_secs {
            raw.run.duration_secs = v;
        }
        if let Some(v) = self.stats_json {
            raw.run.stats_json = v;
        }
        if let Some(kind) = self.sensor.as_deref().and_then(config::SensorKind::parse) {
            raw.sensor.kind = kind;
        }
        if let Some(v) = self.ringbuf_bytes {
            raw.sensor.ringbuf_bytes = v;
        }
        if self.forensics {
            raw.sensor.forensics = true;
        }
        if !self.watch_paths.is_empty() {
            raw.sensor.watch_paths = self.watch_paths;
        }
        if let Some(v) = self.queue_capacity {
            raw.pipeline.queue_capacity = v;
        }
        if let Some(v) = self.exit_linger_secs {
            raw.process_tree.exit_linger_secs = v;
        }
        if let Some(v) = self.max_processes {
            raw.process_tree.max_processes = v;
        }
        if let Some(v) = self.store_path {
            raw.store.path = v;
        }
        if self.no_store {
            raw.store.enabled = false;
        }
        if self.no_containers {
            raw.containers.enabled = false;
        }
        if let Some(v) = self.docker_socket {
            raw.containers.docker_socket = v;
        }
        if let Some(v) = self.containerd_socket {
            raw.containers.containerd_socket = v;
        }
        if let Some(v) = self.assets_interval {
            raw.assets.interval = v;
        }
    }
}

fn load(args: RunArgs) -> Result<config::Config, ConfigError> {
    let mut raw = match &args.config {
        Some(path) => RawConfig::from_file(path)?,
        None if Path::new(DEFAULT_PATH).exists() => RawConfig::from_file(Path::new(DEFAULT_PATH))?,
        None => RawConfig::default(),
    };
    args.apply(&mut raw);
    raw.validate()
}

pub fn main(args: RunArgs) -> ExitCode {
    let cfg = match load(args) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("panoptes: {e}");
            return ExitCode::from(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, stop.clone()) {
            eprintln!("panoptes: cannot install signal handler: {e}");
            return ExitCode::FAILURE;
        }
    }
    match pipeline::run(&cfg, &stop) {
        Ok(summary) => {
            eprint!("{}", summary.render());
            if let Some(path) = &cfg.stats_json {
                let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
                if let Err(e) = std::fs::write(path, json) {
                    eprintln!("panoptes: cannot write stats to {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("panoptes: {e}");
            ExitCode::FAILURE
        }
    }
}
