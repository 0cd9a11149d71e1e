//! Panoptes configuration: the TOML file (`/etc/panoptes/panoptes.toml` or
//! `--config PATH`) is read into [`RawConfig`] (unknown keys are errors),
//! command-line flags override its keys, and [`RawConfig::validate`] turns
//! it into a [`Config`] the pipeline builds from without re-checking.
//! Every error names the key and the value.

use std::path::{Path, PathBuf};
use std::time::Duration;

use event::EventKind;
use serde::Deserialize;

/// Where the default config file lives.
pub const DEFAULT_PATH: &str = "/etc/panoptes/panoptes.toml";

/// What can be wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config key `{key}` = {value:?}: {reason}")]
    Invalid { key: &'static str, value: String, reason: String },
}

fn invalid(key: &'static str, value: impl ToString, reason: impl ToString) -> ConfigError {
    ConfigError::Invalid { key, value: value.to_string(), reason: reason.to_string() }
}

/// The file as written (every key optional, unknown keys rejected).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    pub run: RunSection,
    pub sensor: SensorSection,
    pub pipeline: PipelineSection,
    pub process_tree: TreeSection,
    pub store: StoreSection,
    pub containers: ContainersSection,
    pub rules: RulesSection,
    pub assets: AssetsSection,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunSection {
    /// `stdout`, `jsonl=PATH` (events and alerts; `-` is stdout),
    /// `jsonl:alerts=PATH` (alerts only), `record=PATH` (events in the
    /// binary recording, for `panoptes replay`), `webhook=URL` (alerts
    /// POSTed as JSON to an http:// or https:// URL).
    pub outputs: Vec<String>,
    /// Kinds or families to emit; empty means all.
    pub events: Vec<String>,
    /// Stop after this many seconds; 0 runs until SIGINT/SIGTERM.
    pub duration_secs: u64,
    /// Write the final counters as JSON here; empty is off.
    pub stats_json: String,
}

impl Default for RunSection {
    fn default() -> Self {
        RunSection { outputs: vec!["stdout".into()], events: Vec::new(), duration_secs: 0, stats_json: String::new() }
    }
}

/// Which sensor watches the host.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SensorKind {
    /// eBPF, else audit, else the proc connector.
    #[default]
    Auto,
    Ebpf,
    Audit,
    Proc,
}

impl SensorKind {
    pub fn parse(word: &str) -> Option<SensorKind> {
        match word {
            "auto" => Some(SensorKind::Auto),
            "ebpf" => Some(SensorKind::Ebpf),
            "audit" => Some(SensorKind::Audit),
            "proc" => Some(SensorKind::Proc),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SensorSection {
    /// `auto`, `ebpf`, `audit` or `proc`.
    pub kind: SensorKind,
    /// Ring buffer size in bytes: a power of two, at least 64 KiB.
    pub ringbuf_bytes: u64,
    /// Report every open, read-only ones included.
    pub forensics: bool,
    /// Read-only opens of these absolute paths are reported. A trailing `*`
    /// matches any suffix; `/proc/*/...` any pid, `/home/*/...` any user.
    pub watch_paths: Vec<String>,
}

/// Paths whose mere reading is worth an event.
pub const DEFAULT_WATCH_PATHS: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d/*",
    "/etc/security/opasswd",
    "/root/.ssh/*",
    "/home/*/.ssh/*",
    "/etc/ssh/ssh_host_*",
    "/proc/*/environ",
    "/proc/*/mem",
    "/proc/*/maps",
];

impl Default for SensorSection {
    fn default() -> Self {
        SensorSection {
            kind: SensorKind::Auto,
            ringbuf_bytes: 16 << 20,
            forensics: false,
            watch_paths: DEFAULT_WATCH_PATHS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineSection {
    /// Capacity of the sensor → processing queue, in events. Its slots are
    /// allocated up front (~370 bytes each); the ring buffer absorbs bursts.
    pub queue_capacity: usize,
}

impl Default for PipelineSection {
    fn default() -> Self {
        PipelineSection { queue_capacity: 16_384 }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TreeSection {
    /// Seconds an exited process stays for late events.
    pub exit_linger_secs: u64,
    /// Cap on tracked processes (live and lingering).
    pub max_processes: usize,
}

impl Default for TreeSection {
    fn default() -> Self {
        TreeSection { exit_linger_secs: 5, max_processes: 65_536 }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// Keep events and alerts in the embedded SQLite store.
    pub enabled: bool,
    /// Database file.
    pub path: String,
    /// Delete events older than this many hours (0 = keep by age forever).
    pub max_age_hours: u64,
    /// Keep the database under this many MiB by deleting the oldest events
    /// (0 = no size limit).
    pub max_size_mib: u64,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            enabled: true,
            path: "/var/lib/panoptes/panoptes.db".into(),
            max_age_hours: 24 * 7,
            max_size_mib: 1024,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ContainersSection {
    /// Attach container metadata (name, image, labels, pod) to events.
    pub enabled: bool,
    pub docker_socket: String,
    pub containerd_socket: String,
    pub podman_socket: String,
    pub crio_socket: String,
    /// How long events of a newly seen container may wait (in order) for
    /// its metadata before they go out with the id alone.
    pub metadata_wait_ms: u64,
}

impl Default for ContainersSection {
    fn default() -> Self {
        ContainersSection {
            enabled: true,
            docker_socket: "/var/run/docker.sock".into(),
            containerd_socket: "/run/containerd/containerd.sock".into(),
            podman_socket: "/run/podman/podman.sock".into(),
            crio_socket: "/var/run/crio/crio.sock".into(),
            metadata_wait_ms: 2000,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RulesSection {
    /// Rule files or directories (Panoptes YAML or Sigma `.yml`), loaded
    /// after the built-in rules.
    pub paths: Vec<String>,
    /// Load the built-in default rules.
    pub defaults: bool,
    /// Refuse to start when a rule has an error (otherwise it is skipped and
    /// reported).
    pub strict: bool,
    /// Alerts one rule may raise for one process per window; further ones
    /// are counted and reported with the next alert.
    pub alert_burst: u32,
    pub alert_window_secs: u64,
    /// Carry out `action: kill` (false: alert only, saying so).
    pub actions: bool,
    /// Imported Sigma rules below this level are loaded turned off
    /// (`info`, `low`, `medium`, `high`, `critical`).
    pub sigma_min_severity: String,
}

impl Default for RulesSection {
    fn default() -> Self {
        RulesSection {
            paths: Vec::new(),
            defaults: true,
            strict: false,
            alert_burst: 5,
            alert_window_secs: 60,
            actions: true,
            sigma_min_severity: "medium".into(),
        }
    }
}

/// Rules as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesConfig {
    pub paths: Vec<PathBuf>,
    pub defaults: bool,
    pub strict: bool,
    pub alert_burst: u32,
    pub alert_window: Duration,
    pub actions: bool,
    pub sigma_min_severity: event::Severity,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AssetsSection {
    /// How often `panoptes run` collects the asset inventory and turns
    /// changes into `asset_change` events: `30s`, `10m`, `1h`, `1d`, plain
    /// seconds; `0` or `off` disables it.
    pub interval: String,
}

impl Default for AssetsSection {
    fn default() -> Self {
        AssetsSection { interval: "1h".into() }
    }
}

/// Shortest asset collection interval: a collection costs seconds.
pub const MIN_ASSETS_INTERVAL: Duration = Duration::from_secs(10);

/// Parses an interval: `off`/`0` (None), `N` seconds, or `N` with a unit
/// `s`, `m`, `h`, `d`.
pub fn parse_interval(text: &str) -> Result<Option<Duration>, String> {
    let t = text.trim();
    if t == "off" || t == "0" {
        return Ok(None);
    }
    let (digits, unit) = t.find(|c: char| !c.is_ascii_digit()).map_or((t, ""), |i| t.split_at(i));
    let n: u64 =
        digits.parse().map_err(|_| "expected a number with s, m, h or d (e.g. \"1h\"), or \"off\"".to_string())?;
    let secs = match unit {
        "" | "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => return Err(format!("unknown unit {unit:?}; use s, m, h or d")),
    }
    .ok_or("too long")?;
    let d = Duration::from_secs(secs);
    if d < MIN_ASSETS_INTERVAL {
        return Err(format!("must be at least {}s (or \"off\")", MIN_ASSETS_INTERVAL.as_secs()));
    }
    Ok(Some(d))
}

/// The store as configured (None in `Config::store` when disabled).
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    pub path: PathBuf,
    pub max_age: Option<Duration>,
    pub max_bytes: Option<u64>,
}

/// Runtime sockets (None in `Config::containers` when disabled).
#[derive(Debug, Clone, PartialEq)]
pub struct ContainersConfig {
    pub docker_socket: PathBuf,
    pub containerd_socket: PathBuf,
    pub podman_socket: PathBuf,
    pub crio_socket: PathBuf,
    pub metadata_wait: Duration,
}

/// One output sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Human-readable lines on stdout.
    Stdout,
    /// JSON lines; `None` path is stdout. `alerts_only` keeps only alerts.
    Jsonl { path: Option<PathBuf>, alerts_only: bool },
    /// Events (not alerts) in the binary recording (`event::record`);
    /// `None` path is stdout.
    Record { path: Option<PathBuf> },
    /// Each alert POSTed as JSON to an http:// or https:// URL.
    Webhook { url: String },
}

/// A checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub outputs: Vec<Output>,
    /// Kinds to emit (never empty).
    pub kinds: Vec<EventKind>,
    pub duration: Option<Duration>,
    pub stats_json: Option<PathBuf>,
    pub sensor: SensorKind,
    pub ringbuf_bytes: u32,
    pub forensics: bool,
    pub watch_paths: Vec<WatchPattern>,
    pub queue_capacity: usize,
    pub exit_linger: Duration,
    pub max_processes: usize,
    pub store: Option<StoreConfig>,
    pub containers: Option<ContainersConfig>,
    pub rules: RulesConfig,
    /// Periodic asset collection in `panoptes run`; None when off.
    pub assets_interval: Option<Duration>,
}

impl RawConfig {
    /// Reads `path`. Errors carry the path and, for syntax or unknown keys,
    /// the line, column and key from the TOML parser.
    pub fn from_file(path: &Path) -> Result<RawConfig, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse { path: path.to_path_buf(), message })
    }

    pub fn from_toml(text: &str) -> Result<RawConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }

    /// Checks every key and builds the typed configuration.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        let outputs = self.run.outputs.iter().map(|o| parse_output(o)).collect::<Result<Vec<_>, _>>()?;
        if outputs.is_empty() {
            return Err(invalid("run.outputs", "[]", "at least one output is needed (e.g. \"stdout\")"));
        }
        let mut kinds = Vec::new();
        for word in &self.run.events {
            let expanded = EventKind::expand(word.trim()).ok_or_else(|| {
                invalid("run.events", word, format!("unknown event kind; known: {}", EventKind::vocabulary()))
            })?;
            for kind in expanded {
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
        }
        if kinds.is_empty() {
            kinds = EventKind::ALL.iter().copied().filter(|k| *k != EventKind::Loss).collect();
        }
        let rb = self.sensor.ringbuf_bytes;
        if !rb.is_power_of_two() || !(64 << 10..=1 << 30).contains(&rb) {
            return Err(invalid("sensor.ringbuf_bytes", rb, "must be a power of two between 65536 and 1073741824"));
        }
        let watch_paths = self
            .sensor
            .watch_paths
            .iter()
            .map(|p| WatchPattern::parse(p).map_err(|reason| invalid("sensor.watch_paths", p, reason)))
            .collect::<Result<Vec<_>, _>>()?;
        if self.pipeline.queue_capacity == 0 || self.pipeline.queue_capacity > 16 << 20 {
            return Err(invalid("pipeline.queue_capacity", self.pipeline.queue_capacity, "must be 1..=16777216"));
        }
        if self.process_tree.max_processes < 64 {
            return Err(invalid("process_tree.max_processes", self.process_tree.max_processes, "must be at least 64"));
        }
        if self.process_tree.exit_linger_secs > 3600 {
            return Err(invalid(
                "process_tree.exit_linger_secs",
                self.process_tree.exit_linger_secs,
                "must be at most 3600",
            ));
        }
        let store = if self.store.enabled {
            if self.store.path.is_empty() {
                return Err(invalid("store.path", "", "must name a file when store.enabled is true"));
            }
            Some(StoreConfig {
                path: PathBuf::from(&self.store.path),
                max_age: (self.store.max_age_hours > 0).then(|| Duration::from_secs(self.store.max_age_hours * 3600)),
                max_bytes: (self.store.max_size_mib > 0).then_some(self.store.max_size_mib << 20),
            })
        } else {
            None
        };
        let c = &self.containers;
        for (key, value) in [
            ("containers.docker_socket", &c.docker_socket),
            ("containers.containerd_socket", &c.containerd_socket),
            ("containers.podman_socket", &c.podman_socket),
            ("containers.crio_socket", &c.crio_socket),
        ] {
            if !value.starts_with('/') {
                return Err(ConfigError::Invalid {
                    key,
                    value: value.clone(),
                    reason: "must be an absolute socket path".into(),
                });
            }
        }
        let containers = c.enabled.then(|| ContainersConfig {
            docker_socket: PathBuf::from(&c.docker_socket),
            containerd_socket: PathBuf::from(&c.containerd_socket),
            podman_socket: PathBuf::from(&c.podman_socket),
            crio_socket: PathBuf::from(&c.crio_socket),
            metadata_wait: Duration::from_millis(c.metadata_wait_ms),
        });
        if c.metadata_wait_ms > 60_000 {
            return Err(invalid("containers.metadata_wait_ms", c.metadata_wait_ms, "must be at most 60000"));
        }
        Ok(Config {
            outputs,
            kinds,
            duration: (self.run.duration_secs > 0).then(|| Duration::from_secs(self.run.duration_secs)),
            stats_json: (!self.run.stats_json.is_empty()).then(|| PathBuf::from(&self.run.stats_json)),
            sensor: self.sensor.kind,
            ringbuf_bytes: rb as u32,
            forensics: self.sensor.forensics,
            watch_paths,
            queue_capacity: self.pipeline.queue_capacity,
            exit_linger: Duration::from_secs(self.process_tree.exit_linger_secs),
            max_processes: self.process_tree.max_processes,
            store,
            containers,
            rules: self.rules_config()?,
            assets_interval: parse_interval(&self.assets.interval)
                .map_err(|reason| invalid("assets.interval", &self.assets.interval, reason))?,
        })
    }

    fn rules_config(&self) -> Result<RulesConfig, ConfigError> {
        let r = &self.rules;
        if r.alert_burst == 0 {
            return Err(invalid("rules.alert_burst", 0, "must be at least 1"));
        }
        if !(1..=86_400).contains(&r.alert_window_secs) {
            return Err(invalid("rules.alert_window_secs", r.alert_window_secs, "must be 1..=86400"));
        }
        if let Some(p) = r.paths.iter().find(|p| p.trim().is_empty()) {
            return Err(invalid("rules.paths", p, "an empty path"));
        }
        Ok(RulesConfig {
            paths: r.paths.iter().map(PathBuf::from).collect(),
            defaults: r.defaults,
            strict: r.strict,
            alert_burst: r.alert_burst,
            alert_window: Duration::from_secs(r.alert_window_secs),
            actions: r.actions,
            sigma_min_severity: r
                .sigma_min_severity
                .parse()
                .map_err(|e| invalid("rules.sigma_min_severity", &r.sigma_min_severity, e))?,
        })
    }
}

fn parse_output(text: &str) -> Result<Output, ConfigError> {
    let path_of = |p: &str| -> Result<Option<PathBuf>, ConfigError> {
        match p {
            "" => Err(invalid("run.outputs", text, "the path after `=` is empty")),
            "-" => Ok(None),
            p => Ok(Some(PathBuf::from(p))),
        }
    };
    if text == "stdout" {
        Ok(Output::Stdout)
    } else if let Some(p) = text.strip_prefix("jsonl:alerts=") {
        Ok(Output::Jsonl { path: path_of(p)?, alerts_only: true })
    } else if let Some(p) = text.strip_prefix("jsonl=") {
        Ok(Output::Jsonl { path: path_of(p)?, alerts_only: false })
    } else if let Some(p) = text.strip_prefix("record=") {
        Ok(Output::Record { path: path_of(p)? })
    } else if let Some(url) = text.strip_prefix("webhook=") {
        check_webhook_url(url).map_err(|reason| invalid("run.outputs", text, reason))?;
        Ok(Output::Webhook { url: url.to_string() })
    } else {
        Err(invalid(
            "run.outputs",
            text,
            "expected `stdout`, `jsonl=PATH`, `jsonl:alerts=PATH`, `record=PATH` or `webhook=URL`",
        ))
    }
}

/// A webhook URL: http:// or https://, a host, no spaces. The rest (port,
/// path, query) is left to the HTTP client.
fn check_webhook_url(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else {
        return Err("the webhook URL must start with http:// or https://".into());
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the webhook URL contains spaces or control characters".into());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err("the webhook URL has no host".into());
    }
    Ok(())
}

/// One watch-list entry, parsed: the bytes to match and whether the match
/// is exact or a prefix. The grammar (trailing `*` = prefix; `*` as the pid
/// in `/proc/*/`) is defined here once; the kernel side matches it as
/// described in wire.h.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchPattern {
    pub text: String,
    pub bytes: Vec<u8>,
    pub exact: bool,
}

/// Longest pattern, terminating NUL included (`PN_WATCH_LEN` in wire.h).
pub const WATCH_MAX: usize = 128;

impl WatchPattern {
    pub fn parse(text: &str) -> Result<WatchPattern, String> {
        if !text.starts_with('/') {
            return Err("must be an absolute path".into());
        }
        let (body, exact) = match text.strip_suffix('*') {
            Some(prefix) => (prefix, false),
            None => (text, true),
        };
        if let Some(pos) = body.find('*') {
            let star_component = (body.starts_with("/proc/*/") || body.starts_with("/home/*/")) && pos == 6;
            if !star_component || body[7..].contains('*') {
                return Err("`*` is allowed only at the end, as the pid in /proc/*/ or the user in /home/*/".into());
            }
        }
        if body.len() + usize::from(exact) > WATCH_MAX {
            return Err(format!("longer than {} bytes", WATCH_MAX - 1));
        }
        Ok(WatchPattern { text: text.to_string(), bytes: body.as_bytes().to_vec(), exact })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let c = RawConfig::default().validate().unwrap();
        assert_eq!(c.outputs, vec![Output::Stdout]);
        assert!(c.kinds.contains(&EventKind::Exec) && !c.kinds.contains(&EventKind::Loss));
        assert_eq!(c.ringbuf_bytes, 16 << 20);
        assert_eq!(c.duration, None);
    }

    #[test]
    fn full_file_parses() {
        let raw = RawConfig::from_toml(
            r#"
            [run]
            outputs = ["stdout", "jsonl=/tmp/e.jsonl", "jsonl:alerts=-", "record=/tmp/e.rec"]
            events = ["process", "file_open"]
            duration_secs = 3
            [sensor]
            ringbuf_bytes = 1048576
            watch_paths = ["/etc/shadow", "/proc/*/environ"]
            [pipeline]
            queue_capacity = 1000
            [process_tree]
            exit_linger_secs = 2
            max_processes = 100
            "#,
        )
        .unwrap();
        let c = raw.validate().unwrap();
        assert_eq!(c.outputs[1], Output::Jsonl { path: Some("/tmp/e.jsonl".into()), alerts_only: false });
        assert_eq!(c.outputs[2], Output::Jsonl { path: None, alerts_only: true });
        assert_eq!(c.outputs[3], Output::Record { path: Some("/tmp/e.rec".into()) });
        assert_eq!(c.kinds, vec![EventKind::Exec, EventKind::Fork, EventKind::Exit, EventKind::FileOpen]);
        assert_eq!(c.duration, Some(Duration::from_secs(3)));
    }

    #[test]
    fn unknown_key_names_the_key_and_line() {
        let err = RawConfig::from_toml("[sensor]\nringbuf_byte = 4096\n").unwrap_err();
        assert!(err.contains("ringbuf_byte"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn bad_values_name_key_and_value() {
        let cases = [
            ("[run]\nevents = [\"exek\"]", "run.events", "exek"),
            ("[run]\noutputs = [\"syslog\"]", "run.outputs", "syslog"),
            ("[sensor]\nringbuf_bytes = 1000", "sensor.ringbuf_bytes", "1000"),
            ("[sensor]\nwatch_paths = [\"etc/shadow\"]", "sensor.watch_paths", "etc/shadow"),
            ("[sensor]\nwatch_paths = [\"/etc/*/shadow\"]", "sensor.watch_paths", "/etc/*/shadow"),
            ("[pipeline]\nqueue_capacity = 0", "pipeline.queue_capacity", "0"),
            ("[store]\npath = \"\"", "store.path", ""),
            ("[containers]\ndocker_socket = \"docker.sock\"", "containers.docker_socket", "docker.sock"),
        ];
        for (toml, key, value) in cases {
            let err = RawConfig::from_toml(toml).unwrap().validate().unwrap_err().to_string();
            assert!(err.contains(key) && err.contains(value), "{toml} -> {err}");
        }
    }

    #[test]
    fn webhook_outputs() {
        for url in ["http://127.0.0.1:8080/alerts", "https://hooks.example.com/T0/B1?x=1", "http://[::1]:9/"] {
            let c = RawConfig::from_toml(&format!("[run]\noutputs = [\"webhook={url}\"]")).unwrap().validate().unwrap();
            assert_eq!(c.outputs, vec![Output::Webhook { url: url.into() }]);
        }
        for (bad, why) in [
            ("webhook=", "http:// or https://"),
            ("webhook=ftp://example.com/x", "http:// or https://"),
            ("webhook=example.com", "http:// or https://"),
            ("webhook=https://", "no host"),
            ("webhook=http://:80/x", "no host"),
            ("webhook=http://exa mple.com/", "spaces"),
        ] {
            let raw = RawConfig {
                run: RunSection { outputs: vec![bad.into()], ..RunSection::default() },
                ..RawConfig::default()
            };
            let err = raw.validate().unwrap_err().to_string();
            assert!(err.contains("run.outputs") && err.contains(bad) && err.contains(why), "{bad} -> {err}");
        }
    }

    #[test]
    fn watch_patterns() {
        let p = WatchPattern::parse("/etc/sudoers.d/*").unwrap();
        assert_eq!((p.bytes.as_slice(), p.exact), (&b"/etc/sudoers.d/"[..], false));
        assert!(WatchPattern::parse("/etc/shadow").unwrap().exact);
        assert!(WatchPattern::parse("/proc/*/environ").is_ok());
        assert!(WatchPattern::parse("/home/*/.ssh/*").is_ok());
        assert!(WatchPattern::parse("/home/*/.ssh/*/x*").is_err());
        assert!(WatchPattern::parse(&format!("/{}", "a".repeat(126))).is_ok());
        assert!(WatchPattern::parse(&format!("/{}", "a".repeat(127))).is_err());
    }

    #[test]
    fn wrong_type_is_a_parse_error_naming_the_key() {
        let err = RawConfig::from_toml("[sensor]\nforensics = \"yes\"").unwrap_err();
        assert!(err.contains("forensics"), "{err}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = RawConfig::from_file(Path::new("/nonexistent/p.toml")).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/p.toml"), "{err}");
    }
}

#[cfg(test)]
mod assets_tests {
    use super::*;

    #[test]
    fn assets_interval_forms_and_errors() {
        let interval = |t: &str| RawConfig::from_toml(&format!("[assets]\ninterval = \"{t}\"")).unwrap().validate();
        assert_eq!(interval("1h").unwrap().assets_interval, Some(Duration::from_secs(3600)));
        assert_eq!(interval("90").unwrap().assets_interval, Some(Duration::from_secs(90)));
        assert_eq!(interval("15m").unwrap().assets_interval, Some(Duration::from_secs(900)));
        assert_eq!(interval("off").unwrap().assets_interval, None);
        assert_eq!(interval("0").unwrap().assets_interval, None);
        assert_eq!(RawConfig::default().validate().unwrap().assets_interval, Some(Duration::from_secs(3600)));
        for bad in ["5s", "1w", "soon", ""] {
            let err = interval(bad).unwrap_err().to_string();
            assert!(err.contains("assets.interval") && err.contains(&format!("{bad:?}")), "{bad} -> {err}");
        }
    }
}

#[cfg(test)]
mod packaged {
    use super::*;

    #[test]
    fn packaged_example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/panoptes.toml");
        let raw = RawConfig::from_file(&path).unwrap();
        raw.validate().unwrap();
    }
}
