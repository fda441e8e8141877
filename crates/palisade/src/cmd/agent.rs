//! `palisade agent`: keeps one host's nftables ruleset in step with the desired state.
//!
//! ```text
//! palisade agent --snapshot-dir DIR --map ENI_ID=IFNAME [--map …] [--config FILE]
//!                --state-file PATH [--interval-ms 500] [--netns NAME] [--once]
//! palisade agent status --state-file PATH [--json]
//! ```
//! On start it loads the fail-closed ruleset (every mapped interface drops everything), so
//! nothing passes until a real ruleset is in. Then it polls the snapshot directory (names,
//! sizes, modification times and contents of its `*.json` files) every interval; on every
//! change it loads the snapshot, renders, and applies: set element updates when only
//! memberships changed, else one atomic whole-table replace. A failed load, render or apply
//! keeps the previous ruleset in force and is recorded. Each applied generation is logged and
//! written to the state file (JSON), with the ruleset text next to it (`PATH.nft`);
//! `palisade agent status` reads them.
//!
//! Desired state from `palisade serve` (Describe calls) is not implemented: export the
//! server's describe-* JSON into the directory instead.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use palisade_dataplane::{LocalInterface, Nft, Ruleset};

use crate::output;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct AgentArgs {
    #[command(subcommand)]
    command: Option<AgentCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Subcommand)]
enum AgentCommand {
    /// Show the generation in force, as recorded in the state file.
    Status(StatusArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Directory of describe-* JSON files holding the desired state.
    #[arg(long, value_name = "DIR")]
    snapshot_dir: Option<PathBuf>,
    /// A local interface: ENI id = host-side Linux interface name (repeatable).
    #[arg(long = "map", value_name = "ENI_ID=IFNAME")]
    maps: Vec<LocalInterface>,
    /// JSON config `{"interfaces": {"eni-…": "IFNAME", …}}`, merged with --map.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the state of the ruleset in force is recorded (and `PATH.nft`, its text).
    #[arg(long, value_name = "PATH", default_value = "/run/palisade/agent.json")]
    state_file: PathBuf,
    /// Poll interval in milliseconds.
    #[arg(long, default_value_t = 500)]
    interval_ms: u64,
    /// Run nft and conntrack inside this named network namespace (`ip netns exec`).
    #[arg(long, value_name = "NAME")]
    netns: Option<String>,
    /// Apply once and exit (0 applied, 2 failed).
    #[arg(long)]
    once: bool,
}

#[derive(Debug, clap::Args)]
struct StatusArgs {
    #[arg(long, value_name = "PATH", default_value = "/run/palisade/agent.json")]
    state_file: PathBuf,
    /// Print the state file as is.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: AgentArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(AgentCommand::Status(status)) => run_status(&status),
        None => run_agent(args.run),
    }
}

fn run_agent(args: RunArgs) -> anyhow::Result<ExitCode> {
    let Some(dir) = args.snapshot_dir.clone() else {
        anyhow::bail!("--snapshot-dir is required (the server source is not implemented)");
    };
    let interfaces = interfaces(&args)?;
    let nft = match &args.netns {
        Some(ns) => Nft::in_netns(ns),
        None => Nft::host(),
    };
    if let Some(parent) = args.state_file.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    // Fail closed: nothing passes on the mapped interfaces until a ruleset is in.
    let closed = palisade_dataplane::render_closed(&interfaces)?;
    nft.load(closed.text())
        .context("loading the fail-closed ruleset")?;
    tracing::info!(
        interfaces = interfaces.len(),
        "fail-closed ruleset in force"
    );
    let mut state = State {
        generation: 0,
        current: closed,
        fingerprint: None,
    };
    write_state(&args.state_file, &state, "closed", &[], None)?;
    loop {
        match fingerprint(&dir) {
            Ok(fp) if Some(fp) == state.fingerprint => {}
            Ok(fp) => {
                let res = step(&nft, &dir, &interfaces, &mut state);
                state.fingerprint = Some(fp);
                if let Err(err) = &res {
                    tracing::error!(
                        "generation {} not applied, previous ruleset kept: {err:#}",
                        state.generation + 1
                    );
                    write_state(
                        &args.state_file,
                        &state,
                        "error",
                        &[],
                        Some(&format!("{err:#}")),
                    )?;
                } else if let Ok((kind, flushed)) = &res {
                    write_state(&args.state_file, &state, kind, flushed, None)?;
                }
                if args.once {
                    return Ok(if res.is_ok() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(2)
                    });
                }
            }
            Err(err) => tracing::error!("reading {}: {err:#}", dir.display()),
        }
        std::thread::sleep(Duration::from_millis(args.interval_ms));
    }
}

#[derive(Debug)]
struct State {
    generation: u64,
    current: Ruleset,
    fingerprint: Option<u64>,
}

/// Load, render, apply one generation.
fn step(
    nft: &Nft,
    dir: &Path,
    interfaces: &[LocalInterface],
    state: &mut State,
) -> anyhow::Result<(&'static str, Vec<String>)> {
    let snapshot = crate::input::load_snapshot(&[dir.to_path_buf()])?;
    let next = palisade_dataplane::render(&snapshot, interfaces)?;
    for warning in next.warnings() {
        tracing::warn!("{warning}");
    }
    let report = nft.apply(Some(&state.current), &next)?;
    state.generation += 1;
    state.current = next;
    let flushed: Vec<String> = report.flushed.iter().map(ToString::to_string).collect();
    tracing::info!(
        generation = state.generation,
        kind = report.kind.as_str(),
        rules = state.current.n_rules(),
        interfaces = state.current.n_interfaces(),
        flushed = flushed.join(","),
        "applied"
    );
    Ok((report.kind.as_str(), flushed))
}

fn interfaces(args: &RunArgs) -> anyhow::Result<Vec<LocalInterface>> {
    let mut res = args.maps.clone();
    if let Some(path) = &args.config {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let config: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let Some(map) = config.get("interfaces").and_then(|v| v.as_object()) else {
            anyhow::bail!(
                "{}: expected {{\"interfaces\": {{\"eni-…\": \"IFNAME\"}}}}",
                path.display()
            );
        };
        for (eni, ifname) in map {
            let Some(ifname) = ifname.as_str() else {
                anyhow::bail!("{}: interfaces.{eni} must be a string", path.display());
            };
            res.push(
                format!("{eni}={ifname}")
                    .parse()
                    .with_context(|| format!("in {}", path.display()))?,
            );
        }
    }
    if res.is_empty() {
        anyhow::bail!("no local interface: pass --map ENI_ID=IFNAME or --config FILE");
    }
    Ok(res)
}

/// Changes whenever a `*.json` file in `dir` is added, removed or rewritten.
fn fingerprint(dir: &Path) -> anyhow::Result<u64> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            files.insert(path, text);
        }
    }
    let mut hasher = std::hash::DefaultHasher::new();
    files.hash(&mut hasher);
    Ok(hasher.finish())
}

fn write_state(
    path: &Path,
    state: &State,
    kind: &str,
    flushed: &[String],
    error: Option<&str>,
) -> anyhow::Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let nft_path = path.with_extension("nft");
    let json = serde_json::json!({
        "generation": state.generation,
        "applied": kind,
        "updated_at_unix": now,
        "interfaces": state.current.n_interfaces(),
        "rules": state.current.n_rules(),
        "warnings": state.current.warnings(),
        "flushed_conntrack": flushed,
        "last_error": error,
        "ruleset": nft_path.display().to_string(),
    });
    // Written then renamed, so a reader never sees half a file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    if error.is_none() {
        std::fs::write(&nft_path, state.current.text())
            .with_context(|| format!("writing {}", nft_path.display()))?;
    }
    Ok(())
}

fn run_status(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let path = &args.state_file;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {} (is the agent running?)", path.display()))?;
    if args.json {
        output::text(&text);
        return Ok(ExitCode::SUCCESS);
    }
    let state: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    for key in [
        "generation",
        "applied",
        "updated_at_unix",
        "interfaces",
        "rules",
        "ruleset",
        "last_error",
    ] {
        output::line(&format!(
            "{key}: {}",
            state.get(key).unwrap_or(&serde_json::Value::Null)
        ));
    }
    let failed = state.get("last_error").is_some_and(|e| !e.is_null());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
