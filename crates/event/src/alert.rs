//! [`Alert`]: what the rules engine emits when a rule matches, and its JSON
//! line (docs/rules.md, "Alerts"): `kind: "alert"` first, then the rule, its
//! verdict, the process it is about and the events that matched, each in
//! its own event JSON shape. Sinks write it, the store keeps it, and the
//! store reader and tests read it back with [`Alert::from_json`].

use std::fmt;
use std::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::time::rfc3339_nanos;
use crate::{Ancestor, Container, Event};

/// One rule match.
///
/// `remote = "Self"` makes the derives inherent functions, wrapped by the
/// trait impls below: serde writes a struct's `tag` but does not read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", tag = "kind", rename = "alert", deny_unknown_fields)]
pub struct Alert {
    /// When it was raised (the last matching event's time); `time` in JSON.
    #[serde(rename = "time", serialize_with = "time_text", deserialize_with = "crate::de::rfc3339")]
    pub time_unix_ns: u64,
    pub rule: RuleRef,
    pub severity: Severity,
    /// ATT&CK technique ids (`T1059`, ...).
    pub mitre: Vec<String>,
    pub tags: Vec<String>,
    /// The rule's `output` with the event's fields filled in.
    pub message: String,
    /// The process the alert is about (of a sequence: the last step's).
    pub process: AlertProcess,
    pub container: Option<Container>,
    /// The matching event, or every step's event of a sequence.
    pub events: Vec<Event>,
    pub action: Action,
    /// Alerts of the same rule and process dropped by the rate limit since
    /// the previous one that went out.
    pub suppressed: u64,
}

impl Serialize for Alert {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Alert::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Alert {
    /// Buffers the line to check and drop `kind` first; alerts are few.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Alert, D::Error> {
        let mut line = serde_json::Map::deserialize(d)?;
        match line.remove("kind") {
            Some(Value::String(kind)) if kind == "alert" => {}
            Some(other) => return Err(de::Error::custom(format_args!("`kind` is {other}, not \"alert\""))),
            None => return Err(de::Error::missing_field("kind")),
        }
        Alert::deserialize(Value::Object(line)).map_err(de::Error::custom)
    }
}

fn time_text<S: Serializer>(unix_ns: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339_nanos(*unix_ns))
}

impl Alert {
    /// One JSON line (no trailing newline).
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        self.write_json(&mut out);
        // serde_json writes UTF-8 only.
        String::from_utf8(out).unwrap_or_default()
    }

    /// [`Alert::to_json`] appended to `out` (a buffer reused between
    /// alerts: an alert's line is several kilobytes).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let start = out.len();
        // Plain structs, strings and events: serialising cannot fail.
        if let Err(e) = serde_json::to_writer(&mut *out, self) {
            out.truncate(start);
            out.extend_from_slice(format!("{{\"kind\":\"error\",\"error\":{:?}}}", e.to_string()).as_bytes());
        }
    }

    /// Reads an alert line back (the store reader, tests).
    pub fn from_json(line: &str) -> Result<Alert, serde_json::Error> {
        serde_json::from_str(line)
    }
}

/// Which rule fired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRef {
    /// The rule id (`exec_from_temp_dir`; a Sigma rule's id).
    pub id: String,
    /// A Sigma rule's title.
    pub title: Option<String>,
    /// The file it came from (`rules/default/execution.yml`, `sigma:<path>`).
    pub source: String,
    /// A Sigma rule's author (the Detection Rule License asks for credit).
    pub author: Option<String>,
}

/// How bad a match is; ordered, `Info` lowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Lowest first.
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// The word used in rules and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A word that is not a severity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?}; expected one of info, low, medium, high, critical")]
pub struct SeverityParseError(pub String);

impl FromStr for Severity {
    type Err = SeverityParseError;

    fn from_str(word: &str) -> Result<Severity, SeverityParseError> {
        Severity::ALL.into_iter().find(|s| s.name() == word).ok_or_else(|| SeverityParseError(word.to_string()))
    }
}

/// The process an alert is about: the event's process header, trimmed to
/// what a responder needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertProcess {
    pub pid: u32,
    pub exec_id: Option<String>,
    pub exe: Option<String>,
    pub cmdline: Option<String>,
    pub uid: u32,
    pub user: Option<String>,
    pub cwd: Option<String>,
    /// Parent first, up to init.
    pub ancestors: std::sync::Arc<[Ancestor]>,
}

/// What Panoptes did about the match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Reported only.
    Alert,
    /// The process was killed (or killing it failed: `ok` false, `error`
    /// says why).
    Kill { by: KillBy, ok: bool, error: Option<String> },
}

/// Who sent the kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KillBy {
    /// The eBPF program, before the syscall returned.
    Kernel,
    /// Panoptes, with kill(2), after the event arrived.
    UserSpace,
}

#[cfg(test)]
#[path = "alert_tests.rs"]
mod tests;
