//! `panoptes rules list|lint|test|fields|import-sigma`, and the rule flags
//! shared with `run` and `replay`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use config::RawConfig;
use event::fields::FIELDS;
use rules::{Level, RuleSet};

/// Which rules to load.
#[derive(Args, Debug, Default, Clone)]
pub struct RuleArgs {
    /// Rule file or directory (Panoptes YAML or Sigma .yml); repeatable.
    /// Key: rules.paths.
    #[arg(long = "rules", value_name = "PATH")]
    pub paths: Vec<String>,
    /// Leave out the built-in rules. Key: rules.defaults = false.
    #[arg(long)]
    pub no_default_rules: bool,
    /// Refuse to start when a rule has an error. Key: rules.strict.
    #[arg(long)]
    pub strict: bool,
    /// Imported Sigma rules below this level are loaded turned off
    /// [default: medium]. Key: rules.sigma_min_severity.
    #[arg(long, value_name = "LEVEL", value_parser = ["info", "low", "medium", "high", "critical"])]
    pub sigma_min_severity: Option<String>,
}

impl RuleArgs {
    pub fn apply(&self, raw: &mut RawConfig) {
        if !self.paths.is_empty() {
            raw.rules.paths = self.paths.clone();
        }
        if self.no_default_rules {
            raw.rules.defaults = false;
        }
        if self.strict {
            raw.rules.strict = true;
        }
        if let Some(level) = &self.sigma_min_severity {
            raw.rules.sigma_min_severity = level.clone();
        }
    }

    fn load(&self) -> RuleSet {
        let mut diagnostics = Vec::new();
        let mut sources = if self.no_default_rules { Vec::new() } else { rules::defaults::sources() };
        let paths: Vec<PathBuf> = self.paths.iter().map(PathBuf::from).collect();
        sources.extend(rules::read_sources(&paths, &mut diagnostics));
        let mut set = rules::load(&sources);
        diagnostics.append(&mut set.diagnostics);
        set.diagnostics = diagnostics;
        let min = self.sigma_min_severity.as_deref().unwrap_or("medium").parse().unwrap_or(event::Severity::Medium);
        set.disable_sigma_below(min);
        set
    }
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// List the loaded rules and sequences.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// table or json.
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// Check rules; exit 1 on any error (and with --strict on warnings).
    Lint {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Run the test events written in the rules; exit 1 on a failure.
    Test {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Every field a condition or output template can use.
    Fields,
    /// Convert Sigma rules (logsource product linux) into Panoptes rules.
    ImportSigma {
        /// Directory (or file) of Sigma .yml rules.
        dir: PathBuf,
        /// Write one Panoptes rule file per converted rule here.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

pub fn main(args: RulesArgs) -> ExitCode {
    match args.command {
        RulesCommand::List { rules, format } => list(&rules.load(), &format),
        RulesCommand::Lint { rules } => lint(&rules),
        RulesCommand::Test { rules } => test(&rules),
        RulesCommand::Fields => {
            for f in FIELDS.iter() {
                let kinds = match f.kinds {
                    None => "all".to_string(),
                    Some(k) => k.iter().map(|k| k.name()).collect::<Vec<_>>().join(","),
                };
                let ty = if f.multi { format!("{}*", f.ty.name()) } else { f.ty.name().to_string() };
                println!("{:<28} {:<8} {:<40} {}", f.name, ty, kinds, f.doc);
            }
            ExitCode::SUCCESS
        }
        RulesCommand::ImportSigma { dir, out } => import_sigma(&dir, out.as_deref()),
    }
}

fn kinds_text(mask: u64) -> String {
    if mask == rules::compile::ALL_KINDS {
        return "all".into();
    }
    event::EventKind::ALL
        .iter()
        .filter(|k| mask & rules::compile::kind_bit(**k) != 0)
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(",")
}

fn list(set: &RuleSet, format: &str) -> ExitCode {
    let mut rows = Vec::new();
    for r in &set.rules {
        rows.push((&r.meta, "rule", kinds_text(r.kinds)));
    }
    for s in &set.sequences {
        rows.push((&s.meta, "sequence", kinds_text(s.steps.iter().fold(0, |m, st| m | st.kinds))));
    }
    if format == "json" {
        let json: Vec<serde_json::Value> = rows
            .iter()
            .map(|(m, ty, kinds)| {
                serde_json::json!({"id": m.id, "type": ty, "title": m.title, "description": m.description,
                    "severity": m.severity, "mitre": m.mitre, "tags": m.tags, "kinds": kinds,
                    "action": if m.action == rules::ActionKind::Kill { "kill" } else { "alert" },
                    "enabled": m.enabled, "source": m.source, "author": m.author})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
    } else {
        println!("{:<40} {:<8} {:<9} {:<18} {:<6} KINDS", "ID", "SEVERITY", "TYPE", "MITRE", "ACTION");
        for (m, ty, kinds) in &rows {
            let action = if m.action == rules::ActionKind::Kill { "kill" } else { "alert" };
            let id = if m.enabled { m.id.clone() } else { format!("{} (off)", m.id) };
            println!(
                "{:<40} {:<8} {:<9} {:<18} {:<6} {}",
                id,
                m.severity.to_string(),
                ty,
                m.mitre.join(","),
                action,
                kinds
            );
        }
        eprintln!("{} rules, {} sequences", set.rules.len(), set.sequences.len());
    }
    report_diagnostics(set);
    ExitCode::SUCCESS
}

fn report_diagnostics(set: &RuleSet) -> (usize, usize) {
    let mut counts = (0, 0);
    for d in &set.diagnostics {
        eprintln!("{d}");
        match d.level {
            Level::Error => counts.0 += 1,
            Level::Warning => counts.1 += 1,
        }
    }
    counts
}

fn lint(args: &RuleArgs) -> ExitCode {
    let set = args.load();
    let (errors, mut warnings) = report_diagnostics(&set);
    let report = rules::testing::run(&set);
    for id in &report.untested {
        eprintln!("warning: rule `{id}` has no match or no nomatch test events");
        warnings += 1;
    }
    eprintln!("{} rules, {} sequences: {errors} errors, {warnings} warnings", set.rules.len(), set.sequences.len());
    if errors > 0 || (args.strict && warnings > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn test(args: &RuleArgs) -> ExitCode {
    let set = args.load();
    let (errors, _) = report_diagnostics(&set);
    let report = rules::testing::run(&set);
    for f in &report.failures {
        eprintln!("FAIL {f}");
    }
    println!(
        "{} cases in {} rules and {} sequences: {} passed, {} failed",
        report.cases,
        set.rules.len(),
        set.sequences.len(),
        report.cases - report.failures.len(),
        report.failures.len()
    );
    if report.failures.is_empty() && errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn import_sigma(dir: &std::path::Path, out: Option<&std::path::Path>) -> ExitCode {
    if !dir.exists() {
        eprintln!("panoptes rules import-sigma: {}: no such file or directory", dir.display());
        return ExitCode::from(2);
    }
    let outcomes = match sigma::convert_dir(dir) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("panoptes rules import-sigma: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    let (mut converted, mut unsupported) = (0usize, 0usize);
    if let Some(out) = out {
        if let Err(e) = std::fs::create_dir_all(out) {
            eprintln!("panoptes rules import-sigma: {}: {e}", out.display());
            return ExitCode::from(2);
        }
    }
    for o in &outcomes {
        match o {
            sigma::Outcome::Converted(rule) => {
                converted += 1;
                if let Some(out) = out {
                    let name = format!("{}.yml", rule.source.trim_end_matches(".yml").replace('/', "__"));
                    if let Err(e) = std::fs::write(out.join(&name), sigma::to_panoptes_yaml(rule)) {
                        eprintln!("panoptes rules import-sigma: {}: {e}", out.join(name).display());
                        return ExitCode::FAILURE;
                    }
                }
            }
            sigma::Outcome::Unsupported { source, title, reason } => {
                unsupported += 1;
                println!("unsupported: {source} ({}): {reason}", title.as_deref().unwrap_or("untitled"));
            }
        }
    }
    let total = converted + unsupported;
    let pct = if total > 0 { converted as f64 * 100.0 / total as f64 } else { 0.0 };
    println!("{converted} of {total} Sigma rules converted ({pct:.1} %), {unsupported} unsupported");
    ExitCode::SUCCESS
}
