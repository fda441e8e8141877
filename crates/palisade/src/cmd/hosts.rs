//! `palisade hosts`: the agents following a `palisade serve` (`agent --watch`), the version
//! each enforces, its lag and last error; `palisade hosts wait` blocks until every host a
//! change affects enforces it (as OVN's `--wait=hv`).
//!
//! ```text
//! palisade hosts --endpoint http://HOST:PORT [--region R] [--json]
//! palisade hosts wait --endpoint http://HOST:PORT --version V [--timeout 30] [--region R]
//! ```
//! Both ask `POST /_palisade/hosts` (signed like every call); `wait` asks again every 50 ms.
//! A host is done with version V when it has a watch open and reports enforcing V, or the
//! version at which its view last changed if that is older (a write that does not touch a
//! host's view leaves it current). Stale hosts (no watch and no report for three
//! heartbeats) are not waited for; they are named on stderr.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use palisade_api::watch::HostsAnswer;

use crate::output;
use crate::remote::Remote;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct HostsArgs {
    #[command(subcommand)]
    command: Option<HostsCommand>,
    #[command(flatten)]
    list: ListArgs,
}

#[derive(Debug, clap::Subcommand)]
enum HostsCommand {
    /// Wait until every affected host enforces a version (exit 0), or time out (exit 1).
    // `--version` here is the version waited for, not the program's.
    #[command(disable_version_flag = true)]
    Wait(WaitArgs),
}

#[derive(Debug, clap::Args)]
struct ServerArgs {
    /// The `palisade serve` to ask (http://HOST:PORT); signed with AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY from the environment.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The region [default: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1].
    #[arg(long)]
    region: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Print the server's answer as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct WaitArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// The version to wait for: a write's `x-palisade-version` header.
    #[arg(long)]
    version: i64,
    /// Seconds to wait at most.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
}

pub(crate) fn run(args: HostsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(HostsCommand::Wait(wait)) => run_wait(&wait),
        None => run_list(&args.list),
    }
}

fn remote(args: &ServerArgs) -> anyhow::Result<Remote> {
    let Some(endpoint) = &args.endpoint else {
        anyhow::bail!("pass the server: --endpoint http://HOST:PORT");
    };
    Remote::new(endpoint, args.region.as_deref(), Duration::from_secs(10))
}

fn ask(remote: &Remote) -> anyhow::Result<HostsAnswer> {
    let value = remote.post("/_palisade/hosts", "{}")?;
    serde_json::from_value(value).context("reading the server's list of hosts")
}

fn run_list(args: &ListArgs) -> anyhow::Result<ExitCode> {
    let remote = remote(&args.server)?;
    let answer = ask(&remote)?;
    if args.json {
        output::text(&serde_json::to_string_pretty(&answer)?);
        return Ok(ExitCode::SUCCESS);
    }
    output::line(&format!(
        "scope version {} ({}, {} hosts)",
        answer.version,
        remote.region(),
        answer.hosts.len()
    ));
    output::line(&format!(
        "{:<24} {:<12} {:>8} {:>8} {:>5}  {:<24} LAST ERROR",
        "HOST", "STATUS", "VERSION", "VIEW", "LAG", "INTERFACES"
    ));
    for h in &answer.hosts {
        let version = h.version.map_or_else(|| "-".to_owned(), |v| v.to_string());
        output::line(&format!(
            "{:<24} {:<12} {:>8} {:>8} {:>5}  {:<24} {}",
            h.host,
            h.status,
            version,
            h.view_version,
            h.lag,
            h.interfaces.join(","),
            h.last_error.as_deref().unwrap_or("-")
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_wait(args: &WaitArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.timeout.is_finite() && args.timeout > 0.0,
        "--timeout {}: expected a positive number of seconds",
        args.timeout
    );
    let remote = remote(&args.server)?;
    let deadline = Instant::now() + Duration::from_secs_f64(args.timeout);
    loop {
        let answer = ask(&remote)?;
        anyhow::ensure!(
            args.version <= answer.version,
            "version {} is newer than the scope's ({})",
            args.version,
            answer.version
        );
        let live: Vec<_> = answer
            .hosts
            .iter()
            .filter(|h| h.status != "stale")
            .collect();
        let pending: Vec<&str> = live
            .iter()
            .filter(|h| !h.enforces(args.version))
            .map(|h| h.host.as_str())
            .collect();
        if pending.is_empty() {
            for h in answer.hosts.iter().filter(|h| h.status == "stale") {
                output::warn(&format!("not waited for: {} is stale", h.host));
            }
            output::line(&format!(
                "{} hosts enforce version {}",
                live.len(),
                args.version
            ));
            return Ok(ExitCode::SUCCESS);
        }
        if Instant::now() >= deadline {
            output::warn(&format!(
                "timed out after {} s; not yet at version {}: {}",
                args.timeout,
                args.version,
                pending.join(", ")
            ));
            return Ok(ExitCode::from(1));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
