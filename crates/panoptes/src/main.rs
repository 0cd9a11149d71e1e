//! The `panoptes` binary: parses the command line, builds the configuration
//! and hands it to the crate that does the work. Nothing else lives here.

mod assets;
mod replay;
mod rules;
mod run;
mod tree;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: the event path allocates and frees many small strings per
/// event (owned event fields, alerts); glibc malloc cost ~10 % of a replay.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("PANOPTES_GIT_HASH"), ")");

/// Runtime security and host intrusion detection for Linux hosts and containers.
#[derive(Parser)]
#[command(name = "panoptes", version = VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Watch this host: eBPF sensor, process tree, containers, store, outputs.
    Run(run::RunArgs),
    /// Process tree of a container or host process, with the files each changed.
    Tree(tree::TreeArgs),
    /// Run recorded events (JSON lines) or an audit log through the rules.
    Replay(replay::ReplayArgs),
    /// What is on this host: processes, ports, users, packages, services, ...
    Assets(assets::AssetsArgs),
    /// List, check and test detection rules; import Sigma rules.
    Rules(rules::RulesArgs),
}

fn main() -> ExitCode {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PANOPTES_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::main(args),
        Command::Tree(args) => tree::main(args),
        Command::Replay(args) => replay::main(args),
        Command::Assets(args) => assets::main(args),
        Command::Rules(args) => rules::main(args),
    }
}
