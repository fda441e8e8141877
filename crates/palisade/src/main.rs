//! The `palisade` binary: one front for the model, engine, API server, data plane and
//! analysis. Parses flags, installs logging, wires crates together and picks exit codes
//! (0 allow/ok, 1 deny/findings, 2 error). It never panics on input.

mod cmd;
mod input;
mod output;
mod remote;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The server's requests allocate on tokio's workers and free on the store thread; glibc's
// per-thread arenas made that cross-thread traffic a tenth of a write's CPU (malloc,
// consolidation), mimalloc's free lists do not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Cloud security groups, built for real: EC2 semantics, enforced with nftables, answered fast.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Is this packet allowed on this interface, and by which rules?
    Eval(cmd::eval::EvalArgs),
    /// Print the rules of a use-case preset as AWS IpPermissions JSON.
    Preset(cmd::preset::PresetArgs),
    /// Serve the EC2 Query API for security groups.
    Serve(cmd::serve::ServeArgs),
    /// Work with a running lab (`serve --lab`): exec in an instance, why a packet drops,
    /// status and counters.
    Lab(cmd::lab::LabArgs),
    /// Render the nftables ruleset that enforces a snapshot on one host.
    Render(cmd::render::RenderArgs),
    /// Keep a host's nftables ruleset in step with the desired state.
    Agent(cmd::agent::AgentArgs),
    /// The agents following a server: their version, lag and errors; wait for a version.
    Hosts(cmd::hosts::HostsArgs),
    /// What can flow from A to B, and through which rules?
    Reach(cmd::reach::ReachArgs),
    /// Audit a snapshot: exposure, risky ports, redundant, unused and stale rules.
    Audit(cmd::audit::AuditArgs),
    /// Which rules carried the flows of VPC Flow Logs, which none used, and narrower ones.
    Flows(cmd::flows::FlowsArgs),
    /// Rule and reachability changes between two snapshots.
    Diff(cmd::diff::DiffArgs),
    /// Draw groups, interfaces and the references between them.
    Graph(cmd::graph::GraphArgs),
    /// Measure the engine on generated accounts.
    Bench(cmd::bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init_logging();
    let res = match cli.command {
        Command::Eval(args) => cmd::eval::run(args),
        Command::Preset(args) => cmd::preset::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Lab(args) => cmd::lab::run(args),
        Command::Render(args) => cmd::render::run(args),
        Command::Agent(args) => cmd::agent::run(args),
        Command::Hosts(args) => cmd::hosts::run(args),
        Command::Reach(args) => cmd::reach::run(args),
        Command::Audit(args) => cmd::audit::run(args),
        Command::Flows(args) => cmd::flows::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Graph(args) => cmd::graph::run(args),
        Command::Bench(args) => cmd::bench::run(args),
    };
    match res {
        Ok(code) => code,
        Err(err) => {
            output::error(&err);
            ExitCode::from(2)
        }
    }
}
