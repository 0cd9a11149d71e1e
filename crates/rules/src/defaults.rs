//! The default rules, compiled into the binary (sources in
//! `crates/rules/defaults/`). `panoptes run` loads them unless
//! `--no-default-rules`; `--rules PATH` adds more.

use crate::load::Source;

macro_rules! embed {
    ($($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../defaults/", $file))),)*]
    };
}

/// (file name, text) of every default rule file.
pub const FILES: &[(&str, &str)] = embed![
    "base.yml",
    "execution.yml",
    "persistence.yml",
    "kernel.yml",
    "credential_access.yml",
    "privilege_escalation.yml",
    "defense_evasion.yml",
    "container.yml",
    "discovery_and_impact.yml",
    "sequences.yml",
];

/// The default rule files as load sources, named `defaults/<file>`.
pub fn sources() -> Vec<Source> {
    FILES.iter().map(|(name, text)| Source::text(format!("defaults/{name}"), *text)).collect()
}
