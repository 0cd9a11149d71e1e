//! Command-line behaviour that needs no privileges: version, config errors,
//! and the clear refusal when nothing can be watched.

mod common;

use std::process::Command;

use common::BIN;

#[test]
fn version_has_git_hash() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("panoptes 0."), "{text}");
    assert!(text.contains("(git "), "{text}");
}

#[test]
fn bad_event_kind_names_key_and_value() {
    let out = Command::new(BIN).args(["run", "--events", "exec,exek"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("run.events") && err.contains("exek") && err.contains("known:"), "{err}");
}

#[test]
fn unknown_config_key_names_key_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, "[run]\noutputs = [\"stdout\"]\n[sensor]\nforensic = true\n").unwrap();
    let out = Command::new(BIN).args(["run", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("forensic") && err.contains(&path.display().to_string()) && err.contains("line 4"), "{err}");
}

#[test]
fn bad_output_spec_is_rejected() {
    let out = Command::new(BIN).args(["run", "--output", "jsonl="]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("run.outputs"), "{err}");
}

#[test]
fn unprivileged_run_explains_and_fails() {
    // As nobody (needs root to switch user; as non-root we already are one).
    let mut cmd = if unsafe { libc::geteuid() } == 0 {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    let out = cmd.args(["run", "--duration", "1", "--output", "stdout"]).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success(), "must fail without privileges: {err}");
    assert!(err.contains("not root"), "{err}");
}
