//! `palisade agent`: keeps one host's nftables ruleset in step with the desired state.
//!
//! ```text
//! palisade agent (--snapshot-dir DIR | --endpoint http://HOST:PORT [--region R])
//!                --map ENI_ID=IFNAME [--map …] [--config FILE]
//!                --state-file PATH [--interval-ms 500] [--netns NAME] [--nft-processes] [--once]
//!                [--poll | --watch [--host NAME]] [--metrics-addr ADDR:PORT]
//! palisade agent status --state-file PATH [--json]
//! ```
//! On start it loads the fail-closed ruleset (every mapped interface drops everything), so
//! nothing passes until a real ruleset is in. Then, every interval, it reads the desired
//! state from one of two sources:
//! - `--snapshot-dir`: the names and contents of the directory's `*.json` files;
//! - `--endpoint`: a running `palisade serve`, asked for the account's whole state in the
//!   region (one SigV4-signed `POST /_palisade/eval` with `{}`, see `crate::remote`), imported
//!   exactly like a `-i` file.
//!
//! A directory is polled; a server's change feed is followed (`agent/watch.rs`): the host's
//! own view, then deltas as writes commit. `--poll` polls a server too: polling keeps the
//! server stateless about its agents, and every poll is idempotent, so a lost answer costs
//! nothing but the next interval. The price is latency: a change is in force at most
//! one interval plus one fetch, import, render and apply after it was made (measured in the
//! data plane's benchmark: well under a second for 10,000 rules), and every poll transfers the
//! account's whole state.
//!
//! The content read is fingerprinted; only when it differs from what was last applied does
//! the agent load, render (re-rendering only the groups that changed, `Renderer`) and apply:
//! one transaction of the objects that changed (set elements alone when only memberships
//! changed), or a whole-table replace for the first. A failed read, fetch, import, render or apply keeps the
//! previous ruleset in force, is recorded as `last_error` (logged once per distinct message)
//! and is retried on the next tick, since the fingerprint is recorded only once applied; a
//! retry after a failed apply replaces the whole table rather than trusting a delta.
//! When the content read again is the one in force (the server is back, a broken file is
//! gone) the error is cleared without a new generation. Each applied generation is logged
//! and written to the state file (JSON), with the ruleset text next to it (`PATH.nft`);
//! `palisade agent status` reads them.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use palisade_dataplane::{
    ApplyError, ApplyReport, LocalInterface, Nft, NftEngine, Renderer, Ruleset,
};
use palisade_model::Snapshot;

use crate::output;
use crate::remote::{Fetched, Remote};

mod metrics;
mod watch;

use metrics::AgentMetrics;

/// How long one poll of `--endpoint` waits for the server's answer.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// How the agent follows its source, shown after `palisade agent --help`.
const SOURCES_HELP: &str = "\
Desired state: --snapshot-dir DIR (describe-* JSON files) or --endpoint http://HOST:PORT (a
running `palisade serve`). A server's change feed is followed: the host's view only, then
each change as it commits, reported back (`palisade hosts`). A directory, and a server with
--poll (the account's whole state in the region), is polled every --interval-ms, so a change
is enforced at most one interval plus one fetch, render and apply after it was made.
Content that did not change is not re-applied. A failed read, fetch,
import, render or apply keeps the previous ruleset in force, is recorded as last_error in the
state file and is retried on the next tick; until the first ruleset is in, the mapped
interfaces drop everything (fail closed).";

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, after_help = SOURCES_HELP)]
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
    /// Follow a running `palisade serve` (http://HOST:PORT) instead of a directory, through
    /// its change feed (or, with --poll, every --interval-ms). Requests are SigV4-signed
    /// with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment.
    #[arg(long, value_name = "URL", conflicts_with = "snapshot_dir")]
    endpoint: Option<String>,
    /// The region whose state --endpoint follows [default: AWS_REGION, else
    /// AWS_DEFAULT_REGION, else us-east-1].
    #[arg(long, requires = "endpoint")]
    region: Option<String>,
    /// A local interface: ENI id = host-side Linux interface name (repeatable).
    #[arg(long = "map", value_name = "ENI_ID=IFNAME")]
    maps: Vec<LocalInterface>,
    /// JSON config `{"interfaces": {"eni-…": "IFNAME", …}}`, merged with --map.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the state of the ruleset in force is recorded (and `PATH.nft`, its text).
    #[arg(long, value_name = "PATH", default_value = "/run/palisade/agent.json")]
    state_file: PathBuf,
    /// Poll interval in milliseconds (of the directory or the server): the bound on how
    /// long a change waits before it is picked up.
    #[arg(long, default_value_t = 500)]
    interval_ms: u64,
    /// With --endpoint, the default: follow the server's change feed (one long-lived
    /// signed `POST /_palisade/watch`): the host's own view first, then only what changes
    /// in it, applied as it comes; reconnects with back-off and resumes.
    #[arg(long)]
    watch: bool,
    /// With --endpoint: poll the account's whole state every --interval-ms instead of
    /// following the change feed (for a server that predates the feed).
    #[arg(long, conflicts_with = "watch")]
    poll: bool,
    /// The name this host reports under to the change feed (unique in the account and region)
    /// [default: the kernel's hostname].
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// Run nft and conntrack inside this named network namespace (`ip netns exec`).
    #[arg(long, value_name = "NAME")]
    netns: Option<String>,
    /// Run one `nft` process per apply even when libnftables is there (by default nft
    /// runs in-process through libnftables.so.1 when the host has it, with one context
    /// kept for the agent's lifetime; the state file's `nft` says which is used).
    #[arg(long)]
    nft_processes: bool,
    /// Apply once and exit (0 applied, 2 failed).
    #[arg(long)]
    once: bool,
    /// Serve Prometheus metrics at `http://ADDR:PORT/metrics` (render and apply time,
    /// ruleset size, failed applies, versions and lag with the change feed, packets judged and
    /// dropped per interface). Unauthenticated: keep it on loopback or a private network.
    #[arg(long, value_name = "ADDR:PORT")]
    metrics_addr: Option<SocketAddr>,
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

/// Where the desired state comes from.
#[derive(Debug)]
enum Source {
    Dir(PathBuf),
    Server(Remote),
}

/// The desired state as read on one tick, before it is loaded.
#[derive(Debug)]
enum Content {
    Files(PathBuf),
    Document(Fetched),
}

impl Source {
    fn new(args: &RunArgs) -> anyhow::Result<Self> {
        match (&args.snapshot_dir, &args.endpoint) {
            // clap's `requires` is not checked here (the command also has a subcommand).
            (Some(_), None) if args.region.is_some() => {
                anyhow::bail!("--region applies to --endpoint, not to --snapshot-dir")
            }
            (Some(_), None) if args.watch => {
                anyhow::bail!("--watch follows --endpoint; a --snapshot-dir is polled")
            }
            (Some(_), None) if args.poll => {
                anyhow::bail!("--poll applies to --endpoint; a --snapshot-dir is always polled")
            }
            (Some(dir), None) => Ok(Self::Dir(dir.clone())),
            (None, Some(endpoint)) => Ok(Self::Server(Remote::new(
                endpoint,
                args.region.as_deref(),
                FETCH_TIMEOUT,
            )?)),
            _ => anyhow::bail!(
                "pass the desired state's source: --snapshot-dir DIR or --endpoint http://HOST:PORT"
            ),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Dir(dir) => dir.display().to_string(),
            Self::Server(remote) => format!("{} ({})", remote.endpoint(), remote.region()),
        }
    }

    /// The content's fingerprint, and the content to load if it changed.
    fn read(&self) -> anyhow::Result<(u64, Content)> {
        match self {
            Self::Dir(dir) => Ok((fingerprint_dir(dir)?, Content::Files(dir.clone()))),
            Self::Server(remote) => {
                let fetched = remote.fetch()?;
                Ok((fingerprint(&fetched.text), Content::Document(fetched)))
            }
        }
    }
}

impl Content {
    fn load(&self) -> anyhow::Result<Snapshot> {
        match self {
            Self::Files(dir) => crate::input::load_snapshot(std::slice::from_ref(dir)),
            Self::Document(fetched) => fetched.import(),
        }
    }
}

fn run_agent(args: RunArgs) -> anyhow::Result<ExitCode> {
    super::no_huge_pages();
    let source = Source::new(&args)?;
    let interfaces = interfaces(&args)?;
    let nft = match &args.netns {
        Some(ns) => Nft::in_netns(ns),
        None => Nft::host(),
    };
    let nft = if args.nft_processes {
        nft.with_processes()
    } else {
        nft
    };
    if let (NftEngine::Processes, false, Some(why)) =
        (nft.engine(), args.nft_processes, Nft::library_unavailable())
    {
        tracing::info!("libnftables not used, nft runs as processes: {why}");
    }
    if let Some(parent) = args.state_file.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let metrics = Arc::new(AgentMetrics::new());
    if let Some(addr) = args.metrics_addr {
        metrics::serve(addr, &metrics, &nft, &interfaces)?;
    }
    // Fail closed: nothing passes on the mapped interfaces until a ruleset is in.
    let closed = palisade_dataplane::render_closed(&interfaces)?;
    nft.load(&closed.text())
        .context("loading the fail-closed ruleset")?;
    tracing::info!(
        interfaces = interfaces.len(),
        source = source.describe(),
        interval_ms = args.interval_ms,
        nft = nft.engine().as_str(),
        "fail-closed ruleset in force"
    );
    let mut state = State {
        version: None,
        generation: 0,
        current: closed,
        fingerprint: None,
        applied: "closed",
        flushed: Vec::new(),
        error: None,
        in_doubt: false,
        metrics,
        renderer: Renderer::new(),
        nft_engine: nft.engine().as_str(),
        timings: Timings::default(),
    };
    write_state(&args.state_file, &mut state)?;
    // A server is watched unless --poll says otherwise.
    if let (false, Source::Server(remote)) = (args.poll, &source) {
        return watch::run(&args, remote, &nft, &interfaces, &mut state);
    }
    loop {
        match tick(&source, &nft, &interfaces, &mut state) {
            Ok(true) => write_state(&args.state_file, &mut state)?,
            Ok(false) => {
                if let Some(error) = state.error.take() {
                    tracing::info!(
                        generation = state.generation,
                        "the source is readable again and unchanged, generation in force: \
                         cleared {error}"
                    );
                    write_state(&args.state_file, &mut state)?;
                }
            }
            Err(err) => {
                let message = format!("{err:#}");
                // Logged and recorded once per distinct message, not on every tick.
                if state.error.as_deref() != Some(message.as_str()) {
                    tracing::error!(
                        "generation {} not applied, previous ruleset kept (retried every \
                         {} ms): {message}",
                        state.generation + 1,
                        args.interval_ms
                    );
                    state.error = Some(message);
                    write_state(&args.state_file, &mut state)?;
                }
            }
        }
        if args.once {
            return Ok(if state.error.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            });
        }
        std::thread::sleep(Duration::from_millis(args.interval_ms));
    }
}

/// What is in force, and what the state file says about it.
#[derive(Debug)]
pub(crate) struct State {
    /// Following the change feed: the version of the view in force.
    version: Option<i64>,
    generation: u64,
    current: Ruleset,
    /// The fingerprint of the content `current` was rendered from; `None` before the first.
    fingerprint: Option<u64>,
    /// How the last generation went in (`closed`, `replace`, `incremental`, `members`, `unchanged`).
    applied: &'static str,
    flushed: Vec<String>,
    /// Why the source's latest content is not in force, if it is not.
    error: Option<String>,
    /// The last apply failed: the kernel's table may differ from `current`.
    in_doubt: bool,
    metrics: Arc<AgentMetrics>,
    /// Keeps the groups rendered for `current`, so the next render redoes changed ones only.
    renderer: Renderer,
    /// How nft runs (`libnftables` or `nft processes`).
    nft_engine: &'static str,
    timings: Timings,
}

/// Where the last change's time went, in the state file: the server-to-enforcement
/// latency of one host, split (wall clock, so comparable with other processes' clocks).
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub(crate) struct Timings {
    /// When the feed message carrying the version in force arrived (watch only).
    received_unix_ms: Option<f64>,
    /// The view held to a snapshot (watch only).
    import_ms: f64,
    render_ms: f64,
    apply_ms: f64,
    /// When the state file naming it was written.
    written_unix_ms: f64,
}

impl Timings {
    pub(crate) fn received(&mut self) {
        self.received_unix_ms = Some(unix_ms());
    }

    pub(crate) fn imported(&mut self, took: Duration) {
        self.import_ms = took.as_secs_f64() * 1e3;
    }
}

fn unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

/// One poll: read the source and, when its content changed, load, render and apply it as
/// the next generation. `Ok(true)` when a generation was applied, `Ok(false)` when the
/// content is the one in force. The fingerprint is recorded only once applied, so any
/// failure is retried on the next tick.
fn tick(
    source: &Source,
    nft: &Nft,
    interfaces: &[LocalInterface],
    state: &mut State,
) -> anyhow::Result<bool> {
    let (fp, content) = source.read()?;
    if state.fingerprint == Some(fp) {
        state.metrics.caught_up();
        return Ok(false);
    }
    state.metrics.change_seen();
    let snapshot = content.load().inspect_err(|_| state.metrics.failed())?;
    enforce(nft, interfaces, state, fp, &snapshot, &source.describe())?;
    Ok(true)
}

/// Renders `snapshot` and applies it as the next generation; `fp` names its content.
fn enforce(
    nft: &Nft,
    interfaces: &[LocalInterface],
    state: &mut State,
    fp: u64,
    snapshot: &Snapshot,
    source: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let next = state
        .renderer
        .render(snapshot, interfaces)
        .inspect_err(|_| state.metrics.failed())?;
    state.metrics.rendered(started.elapsed());
    state.timings.render_ms = started.elapsed().as_secs_f64() * 1e3;
    for warning in next.warnings() {
        tracing::warn!("{warning}");
    }
    let started = Instant::now();
    let report = apply(nft, state, &next);
    state.in_doubt = report.is_err();
    let report = report.inspect_err(|_| state.metrics.failed())?;
    let took = started.elapsed();
    state.timings.apply_ms = took.as_secs_f64() * 1e3;
    state.generation += 1;
    state.current = next;
    state.fingerprint = Some(fp);
    state.applied = report.kind.as_str();
    state.flushed = report.flushed.iter().map(ToString::to_string).collect();
    state.error = None;
    state.metrics.applied(
        state.applied,
        took,
        state.generation,
        state.current.n_rules(),
        state.current.n_interfaces(),
    );
    tracing::info!(
        generation = state.generation,
        kind = state.applied,
        rules = state.current.n_rules(),
        interfaces = state.current.n_interfaces(),
        flushed = state.flushed.join(","),
        source,
        "applied"
    );
    Ok(())
}

/// Applies `next` over the generation in force. After a failed apply the kernel may hold
/// part of it (the table loaded but a conntrack flush failed, or the table changed behind
/// the agent's back), so the retry replaces the whole table, which is idempotent, instead
/// of sending a delta computed against what may no longer be there.
fn apply(nft: &Nft, state: &State, next: &Ruleset) -> Result<ApplyReport, ApplyError> {
    match state.in_doubt {
        false => nft.apply(Some(&state.current), next),
        true => nft.replace(Some(&state.current), next),
    }
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
fn fingerprint_dir(dir: &Path) -> anyhow::Result<u64> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            files.insert(path, text);
        }
    }
    Ok(fingerprint(&files))
}

/// The fingerprint of a source's content: equal contents, equal fingerprints (SipHash with
/// fixed keys, so stable for the agent's lifetime).
fn fingerprint(content: &impl Hash) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    content.hash(&mut hasher);
    hasher.finish()
}

fn write_state(path: &Path, state: &mut State) -> anyhow::Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    state.timings.written_unix_ms = unix_ms();
    let nft_path = path.with_extension("nft");
    let json = serde_json::json!({
        "version": state.version,
        "generation": state.generation,
        "applied": state.applied,
        "updated_at_unix": now,
        "interfaces": state.current.n_interfaces(),
        "rules": state.current.n_rules(),
        "warnings": state.current.warnings(),
        "flushed_conntrack": state.flushed,
        "last_error": state.error,
        "ruleset": nft_path.display().to_string(),
        "nft": state.nft_engine,
        "timings": state.timings,
    });
    // The ruleset first, so a state file naming a version has its text next to it.
    if state.error.is_none() {
        replace_file(&nft_path, state.current.text().as_bytes())?;
    }
    replace_file(path, serde_json::to_string_pretty(&json)?.as_bytes())?;
    Ok(())
}

/// Replaces the file at `path` with `bytes` so that a reader sees the old content or the
/// new, never half a file or none: written to `PATH.tmp`, then swapped with the old file
/// in one `renameat2(RENAME_EXCHANGE)` and the old one (now at `PATH.tmp`) removed.
///
/// Not a plain rename over the old file: on ext4 (`auto_da_alloc`, the default) that
/// starts writing the new file's data back at once, for crash safety, which costs about
/// 0.1 ms of a busy host's time per file here; an exchange does not. Nor fsynced: the
/// files describe the kernel's table, which does not outlive a crash of the host either;
/// after a restart the agent loads the fail-closed ruleset and writes them anew first.
fn replace_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;

    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    let swapped = match renameat_with(CWD, &tmp, CWD, path, RenameFlags::EXCHANGE) {
        Ok(()) => true,
        // No old file yet, or a file system without exchange: a plain rename.
        Err(Errno::NOENT | Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => false,
        Err(e) => {
            return Err(std::io::Error::from(e))
                .with_context(|| format!("writing {}", path.display()));
        }
    };
    if swapped {
        std::fs::remove_file(&tmp).with_context(|| format!("removing {}", tmp.display()))
    } else {
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    }
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

#[cfg(test)]
mod tests {
    use super::replace_file;

    #[test]
    fn replace_file_creates_then_swaps_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.json");
        replace_file(&path, b"first").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        replace_file(&path, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["agent.json"]);
    }
}
