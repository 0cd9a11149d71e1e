//! Where the Sigma test rules live: `shared/testdata/sigma` beside the
//! repository (the rules are under the Detection Rule License and are not
//! copied into the repository).

#![allow(dead_code)]

use std::path::PathBuf;

/// `shared/testdata/sigma/rules/linux`; panics with a hint when missing.
pub fn linux_rules() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/sigma/rules/linux");
    assert!(
        dir.is_dir(),
        "{} is missing: the Sigma test rules live in shared/testdata beside the repository",
        dir.display()
    );
    dir
}

/// The text of one test rule, by path under `rules/linux`.
pub fn rule_text(path: &str) -> String {
    let file = linux_rules().join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// Converts one test rule, which must convert.
pub fn converted(path: &str) -> panoptes_sigma::SigmaRule {
    match panoptes_sigma::convert_str(&rule_text(path), path) {
        panoptes_sigma::Outcome::Converted(rule) => rule,
        other => panic!("{path} did not convert: {other:?}"),
    }
}
