//! `palisade serve --lab`: the EC2 API with a real network behind it. Every running instance
//! is a network namespace on this host, wired to its VPC's router namespace, and enforced by
//! its interfaces' security groups through the data plane's rulesets
//! (`palisade_dataplane::lab`). `palisade lab exec|why|status` work on a running lab through
//! the files it keeps in `--lab-dir`.
//!
//! The lab follows the store: every committed write wakes it; it reads every scope, plans the
//! network and moves the host to it. Before it starts it checks that it can really enforce
//! (root, `ip`, `nft`, network namespaces) and refuses to start otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine as _;
use palisade_dataplane::lab::{
    self, Fabric, INTERNET_V4, INTERNET_V6, LabScope, Plan, World, instance_ns, internet_ns,
    nic_addrs, router_ns,
};
use palisade_engine::{Packet, Verdict};
use palisade_model::{Direction, EniId, SeqIdGen, Snapshot};
use palisade_store::{Observed, Scope, Store, WriteObserver};
use serde::{Deserialize, Serialize};

use crate::output;

mod flowlogs;

/// The manifest a running lab keeps in its directory.
const MANIFEST: &str = "lab.json";

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LabFlags {
    /// Run the lab: every running instance becomes a network namespace on this host,
    /// enforced by its security groups (needs root, nftables and iproute2).
    #[arg(long)]
    pub(crate) lab: bool,
    /// Where the lab keeps its manifest, snapshots and UserData logs.
    #[arg(long, value_name = "DIR", default_value = "/run/palisade-lab")]
    pub(crate) lab_dir: PathBuf,
    /// The prefix of every namespace the lab creates (`PREFIX-i-…`, `PREFIX-vpc-…`,
    /// `PREFIX-internet`); a start removes what a previous run with it left.
    #[arg(long, value_name = "PREFIX", default_value = "pl", value_parser = parse_prefix)]
    pub(crate) lab_prefix: String,
    /// Seconds per flow-log window: every instance interface's traffic is written as VPC Flow
    /// Logs records (default format, gzip, S3 layout) under `LAB_DIR/flow-logs/`; 0 = none.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) lab_flow_log_interval: u64,
}

fn parse_prefix(s: &str) -> Result<String, String> {
    let ok =
        !s.is_empty() && s.len() <= 16 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| s.to_owned())
        .ok_or_else(|| format!("'{s}' is not 1 to 16 letters, digits or '_'"))
}

/// What refuses a lab here, if anything: it never pretends to enforce.
pub(crate) fn check_prerequisites(prefix: &str) -> anyhow::Result<()> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .context("running id -u")?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        bail!("the lab needs root (network namespaces and nftables); run it as root");
    }
    for (tool, args) in [("ip", &["-V"][..]), ("nft", &["--version"][..])] {
        let ok = Command::new(tool)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            bail!(
                "the lab needs `{tool}` ({}), which is missing",
                if tool == "ip" { "iproute2" } else { "nftables" }
            );
        }
    }
    let probe = format!("{prefix}-probe");
    let made = Command::new("ip")
        .args(["netns", "add", &probe])
        .output()
        .context("running ip netns add")?;
    if !made.status.success() {
        bail!(
            "the lab cannot create network namespaces here: {}",
            String::from_utf8_lossy(&made.stderr).trim()
        );
    }
    let nft = Command::new("ip")
        .args([
            "netns", "exec", &probe, "nft", "add", "table", "inet", "probe",
        ])
        .output();
    let _ = Command::new("ip").args(["netns", "del", &probe]).status();
    match nft {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => bail!(
            "nftables does not work in a network namespace here: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => bail!("running nft: {e}"),
    }
}

/// Wakes the lab after every committed write.
#[derive(Debug, Default)]
struct Signal {
    generation: Mutex<(u64, bool)>,
    cond: Condvar,
}

impl Signal {
    fn bump(&self) {
        if let Ok(mut g) = self.generation.lock() {
            g.0 += 1;
            self.cond.notify_all();
        }
    }

    fn stop(&self) {
        if let Ok(mut g) = self.generation.lock() {
            g.1 = true;
            self.cond.notify_all();
        }
    }

    /// Waits until the generation differs from `seen` (or a second passes); returns the
    /// current one, or `None` when stopped.
    fn wait(&self, seen: u64) -> Option<u64> {
        let g = self.generation.lock().ok()?;
        let (g, _) = self
            .cond
            .wait_timeout_while(g, Duration::from_secs(1), |g| g.0 == seen && !g.1)
            .ok()?;
        (!g.1).then_some(g.0)
    }
}

/// The server's store tells the lab about each committed write.
impl WriteObserver for Signal {
    fn written(&self, _: &Scope) {
        self.bump();
    }
}

/// A running lab: its thread, and how to stop it.
pub(crate) struct Lab {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Lab {
    /// Checks the host, clears what an earlier run left, and starts following `store`;
    /// returns the store the server must use (so that its writes wake the lab).
    pub(crate) fn start(
        flags: &LabFlags,
        store: Arc<dyn Store>,
    ) -> anyhow::Result<(Self, Arc<dyn Store>)> {
        check_prerequisites(&flags.lab_prefix)?;
        std::fs::create_dir_all(&flags.lab_dir)
            .with_context(|| format!("creating {}", flags.lab_dir.display()))?;
        // What a crashed run left: its manifest names namespaces that are about to go.
        let _ = std::fs::remove_file(flags.lab_dir.join(MANIFEST));
        let fabric = Fabric::start(&flags.lab_prefix).context("clearing an earlier lab")?;
        let signal = Arc::new(Signal::default());
        let wrapped: Arc<dyn Store> = Arc::new(Observed::new(store.clone(), signal.clone()));
        let dir = flags.lab_dir.clone();
        let sig = signal.clone();
        let interval = (flags.lab_flow_log_interval > 0)
            .then(|| Duration::from_secs(flags.lab_flow_log_interval));
        let thread = std::thread::Builder::new()
            .name("lab".into())
            .spawn(move || follow(fabric, store, &dir, &sig, interval))
            .context("starting the lab thread")?;
        output::line(&format!(
            "lab: namespaces {}-*, files in {}",
            flags.lab_prefix,
            flags.lab_dir.display()
        ));
        Ok((
            Self {
                signal,
                thread: Some(thread),
            },
            wrapped,
        ))
    }

    /// Stops following and removes everything the lab made.
    pub(crate) fn stop(mut self) {
        self.signal.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The lab thread: reconcile after every change (and every second), hand the plan to the
/// flow-log thread, clean up at the end.
fn follow(
    mut fabric: Fabric,
    store: Arc<dyn Store>,
    dir: &Path,
    signal: &Signal,
    interval: Option<Duration>,
) {
    let mut seen = 0;
    let mut user_data_ran: BTreeSet<String> = BTreeSet::new();
    let mut logs = interval.and_then(|i| {
        flowlogs::FlowLogThread::start(dir, fabric.prefix(), i)
            .map_err(|e| tracing::error!(error = %format!("{e:#}"), "lab: no flow logs"))
            .ok()
    });
    loop {
        match reconcile(&mut fabric, &*store, dir, &mut user_data_ran) {
            Ok(owners) => {
                if let Some(l) = logs.as_mut() {
                    l.update(fabric.plan(), owners);
                }
            }
            Err(e) => tracing::error!(error = %format!("{e:#}"), "lab: reconcile failed"),
        }
        match signal.wait(seen) {
            Some(g) => seen = g,
            None => break,
        }
    }
    if let Some(l) = logs.take() {
        l.stop();
    }
    let _ = std::fs::remove_file(dir.join(MANIFEST));
    if let Err(e) = fabric.stop() {
        tracing::error!(error = %e, "lab: clean-up failed");
    }
}

fn reconcile(
    fabric: &mut Fabric,
    store: &dyn Store,
    dir: &Path,
    user_data_ran: &mut BTreeSet<String>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut scopes = Vec::new();
    // ENI → owner account, for the flow logs.
    let mut owners = BTreeMap::new();
    for scope in store.scopes()? {
        let mut out = None;
        store.read(&scope, &mut SeqIdGen::default(), &mut |state| {
            out = Some(LabScope::from_state(state));
        })?;
        if let Some(s) = &out {
            for eni in s.snapshot.enis.keys() {
                owners.insert(eni.to_string(), scope.account.to_string());
            }
        }
        scopes.extend(out);
    }
    let world = World::from_scopes(scopes);
    let plan = Plan::compute(&world);
    for w in &plan.warnings {
        tracing::warn!("lab: {w}");
    }
    let snapshots: BTreeMap<String, Snapshot> = world
        .regions
        .iter()
        .map(|(r, s)| (r.clone(), s.snapshot.clone()))
        .collect();
    let started = fabric.apply(plan, &snapshots)?;
    // The manifest and snapshots first, so `lab exec` works as soon as UserData runs.
    write_manifest(fabric, &snapshots, dir)?;
    for id in started {
        let Some(inst) = fabric.plan().instances.get(&id) else {
            continue;
        };
        if !user_data_ran.insert(id.to_string()) {
            continue;
        }
        let Some(data) = &inst.user_data else {
            continue;
        };
        let script = match base64::engine::general_purpose::STANDARD.decode(data.trim()) {
            Ok(s) => s,
            Err(_) => data.clone().into_bytes(), // EC2 accepts raw text from some clients
        };
        let log = dir.join(format!("{id}.log"));
        lab::spawn_user_data(fabric.prefix(), &id, &script, &log)?;
        tracing::info!(instance = %id, log = %log.display(), "lab: UserData started");
    }
    Ok(owners)
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    prefix: String,
    internet: String,
    instances: Vec<ManifestInstance>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ManifestInstance {
    id: String,
    name: Option<String>,
    region: String,
    namespace: String,
    interfaces: Vec<ManifestNic>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ManifestNic {
    eni: String,
    vpc: String,
    ifname: String,
    router: String,
    addresses: Vec<IpAddr>,
}

fn write_manifest(
    fabric: &Fabric,
    snapshots: &BTreeMap<String, Snapshot>,
    dir: &Path,
) -> anyhow::Result<()> {
    let prefix = fabric.prefix();
    let manifest = Manifest {
        prefix: prefix.to_owned(),
        internet: internet_ns(prefix),
        instances: fabric
            .plan()
            .instances
            .values()
            .map(|i| ManifestInstance {
                id: i.id.to_string(),
                name: i.name.clone(),
                region: i.region.clone(),
                namespace: instance_ns(prefix, &i.id),
                interfaces: i
                    .nics
                    .iter()
                    .map(|n| ManifestNic {
                        eni: n.eni.to_string(),
                        vpc: n.vpc.to_string(),
                        ifname: n.ifname.clone(),
                        router: router_ns(prefix, &n.vpc),
                        addresses: nic_addrs(n),
                    })
                    .collect(),
            })
            .collect(),
    };
    for (region, snapshot) in snapshots {
        let doc = palisade_ec2::describe::export(snapshot);
        write_atomic(&dir.join(format!("{region}.json")), &doc.to_string())?;
    }
    write_atomic(
        &dir.join(MANIFEST),
        &serde_json::to_string_pretty(&manifest)?,
    )
}

/// Writes `text` to `path` through a rename, unless the file already holds it (the lab
/// reconciles every second; most rounds change nothing).
fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

// ---------------------------------------------------------------------------------------
// palisade lab exec | why | status

#[derive(Debug, clap::Args)]
pub(crate) struct LabArgs {
    /// The running lab's directory (`palisade serve --lab --lab-dir`).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/run/palisade-lab",
        global = true
    )]
    lab_dir: PathBuf,
    #[command(subcommand)]
    command: LabCommand,
}

#[derive(Debug, clap::Subcommand)]
enum LabCommand {
    /// Run a command inside an instance (by instance id, interface id or Name tag), or in
    /// `internet`, the namespace that stands for the internet.
    Exec {
        target: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// Explain what happens to a packet: each security-group check on its way (the
    /// sender's egress, the receiver's ingress) with the rules that allow it or the groups
    /// that do not, and the kernel's counters at each interface.
    Why {
        /// The sender: an instance (id, interface id or Name tag) or `internet`.
        from: String,
        /// The receiver: an instance or `internet`.
        to: String,
        /// `tcp/PORT`, `udp/PORT`, `icmp`, `icmpv6` or a protocol number.
        traffic: String,
        /// Use IPv6 addresses (default: IPv4).
        #[arg(short = '6', long = "ipv6")]
        ipv6: bool,
    },
    /// Instances, their namespaces and addresses, and per-interface counters.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(args: LabArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(args.lab_dir.join(MANIFEST)).with_context(|| {
        format!(
            "no running lab in {} (start one with `palisade serve --lab`)",
            args.lab_dir.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text).context("reading the lab manifest")?;
    match args.command {
        LabCommand::Exec { target, command } => {
            let ns = match target.as_str() {
                "internet" => manifest.internet.clone(),
                t => find(&manifest, t)?.0.namespace.clone(),
            };
            let status = Command::new("ip")
                .args(["netns", "exec", &ns])
                .args(&command)
                .status()
                .with_context(|| format!("running {command:?} in {ns}"))?;
            Ok(ExitCode::from(
                u8::try_from(status.code().unwrap_or(1)).unwrap_or(1),
            ))
        }
        LabCommand::Why {
            from,
            to,
            traffic,
            ipv6,
        } => why(&manifest, &args.lab_dir, &from, &to, &traffic, ipv6),
        LabCommand::Status { json } => status(&manifest, json),
    }
}

/// An instance and one of its interfaces named by instance id, interface id or Name tag.
fn find<'a>(
    m: &'a Manifest,
    target: &str,
) -> anyhow::Result<(&'a ManifestInstance, &'a ManifestNic)> {
    let hits: Vec<_> = m
        .instances
        .iter()
        .flat_map(|i| i.interfaces.iter().map(move |n| (i, n)))
        .filter(|(i, n)| {
            n.eni == target
                || (i.id == target || i.name.as_deref() == Some(target)) && n.ifname == "eth0"
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => bail!("no running instance or interface '{target}' in the lab"),
        _ => bail!("'{target}' names more than one instance; use an instance id"),
    }
}

fn status(m: &Manifest, json: bool) -> anyhow::Result<ExitCode> {
    #[derive(Serialize)]
    struct Row<'a> {
        instance: &'a str,
        name: Option<&'a str>,
        interface: &'a str,
        namespace: &'a str,
        addresses: &'a [IpAddr],
        egress_judged: u64,
        egress_dropped: u64,
        ingress_judged: u64,
        ingress_dropped: u64,
    }
    let mut rows = Vec::new();
    for i in &m.instances {
        for n in &i.interfaces {
            let eni: EniId = n.eni.parse()?;
            let vpc = n.vpc.parse()?;
            let c = lab::counters(&m.prefix, &vpc, &eni)?;
            rows.push(Row {
                instance: &i.id,
                name: i.name.as_deref(),
                interface: &n.eni,
                namespace: &i.namespace,
                addresses: &n.addresses,
                egress_judged: c.egress_judged,
                egress_dropped: c.egress_dropped,
                ingress_judged: c.ingress_judged,
                ingress_dropped: c.ingress_dropped,
            });
        }
    }
    if json {
        output::line(&serde_json::to_string_pretty(&rows)?);
    } else {
        for r in &rows {
            let addrs: Vec<String> = r.addresses.iter().map(ToString::to_string).collect();
            output::line(&format!(
                "{} {} {} [{}] egress {} judged / {} dropped, ingress {} judged / {} dropped",
                r.instance,
                r.name.unwrap_or("-"),
                r.interface,
                addrs.join(" "),
                r.egress_judged,
                r.egress_dropped,
                r.ingress_judged,
                r.ingress_dropped
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One end of a `why`.
struct End<'a> {
    label: String,
    nic: Option<(&'a ManifestInstance, &'a ManifestNic)>,
    addr: IpAddr,
}

fn end<'a>(m: &'a Manifest, name: &str, v6: bool) -> anyhow::Result<End<'a>> {
    if name == "internet" {
        let addr = if v6 {
            IpAddr::V6(INTERNET_V6)
        } else {
            IpAddr::V4(INTERNET_V4)
        };
        return Ok(End {
            label: format!("the internet ({addr})"),
            nic: None,
            addr,
        });
    }
    let (inst, nic) = find(m, name)?;
    let addr = nic
        .addresses
        .iter()
        .copied()
        .find(|a| a.is_ipv6() == v6)
        .with_context(|| {
            format!(
                "{} has no {} address",
                nic.eni,
                if v6 { "IPv6" } else { "IPv4" }
            )
        })?;
    Ok(End {
        label: format!("{} ({}, {addr})", inst.id, nic.eni),
        nic: Some((inst, nic)),
        addr,
    })
}

fn why(
    m: &Manifest,
    dir: &Path,
    from: &str,
    to: &str,
    traffic: &str,
    v6: bool,
) -> anyhow::Result<ExitCode> {
    let src = end(m, from, v6)?;
    let dst = end(m, to, v6)?;
    let (proto, port) = match traffic.split_once('/') {
        Some((p, port)) => (
            p,
            Some(
                port.parse::<u16>()
                    .with_context(|| format!("port in '{traffic}'"))?,
            ),
        ),
        None => (traffic, None),
    };
    // icmp and icmpv6 mean an echo request: what ping sends.
    let echo = match proto {
        "icmp" => Some(8),
        "icmpv6" => Some(128),
        _ => None,
    };
    let payload = super::packet_flags::payload(proto, port, echo, None)?;
    let region = src
        .nic
        .or(dst.nic)
        .map(|(i, _)| i.region.clone())
        .context("name at least one instance")?;
    let snapshot = crate::input::load_snapshot(&[dir.join(format!("{region}.json"))])?;
    let engine = palisade_engine::compile(&snapshot);
    output::line(&format!("{traffic} from {} to {}", src.label, dst.label));
    let mut dropped_at = None;
    for (end, remote, direction) in [
        (&src, dst.addr, Direction::Egress),
        (&dst, src.addr, Direction::Ingress),
    ] {
        let Some((_, nic)) = end.nic else { continue };
        let eni: EniId = nic.eni.parse()?;
        let pkt = Packet {
            interface: eni.clone(),
            direction,
            remote,
            payload,
        };
        let decision = engine.decide(&pkt)?;
        let counters = lab::counters(&m.prefix, &nic.vpc.parse()?, &eni)?;
        let (judged, dropped) = match direction {
            Direction::Egress => (counters.egress_judged, counters.egress_dropped),
            Direction::Ingress => (counters.ingress_judged, counters.ingress_dropped),
        };
        let groups: Vec<String> = snapshot
            .enis
            .get(&eni)
            .map(|e| e.groups.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let word = if direction == Direction::Egress {
            "to"
        } else {
            "from"
        };
        match decision.verdict {
            Verdict::Allow => {
                let rules: Vec<String> = decision
                    .matches
                    .iter()
                    .map(|r| {
                        let text = snapshot
                            .groups
                            .get(&r.group_id)
                            .and_then(|g| g.rule(&r.rule_id))
                            .map_or_else(String::new, |x| x.spec.to_string());
                        format!("{} {} ({text})", r.group_id, r.rule_id)
                    })
                    .collect();
                output::line(&format!(
                    "  allowed at {eni} {direction}: {} {word} {remote} by {}",
                    traffic,
                    rules.join("; ")
                ));
            }
            Verdict::Deny => {
                output::line(&format!(
                    "  dropped at {eni} {direction}: no {direction} rule of {} allows {traffic} {word} {remote}",
                    groups.join(", ")
                ));
                dropped_at.get_or_insert(format!("{eni} {direction}"));
            }
        }
        output::line(&format!(
            "    kernel: {judged} packets judged by the groups at {eni} {direction}, {dropped} dropped"
        ));
    }
    Ok(match dropped_at {
        Some(at) => {
            output::line(&format!("verdict: dropped at {at}"));
            ExitCode::from(1)
        }
        None => {
            output::line("verdict: the security groups allow it");
            ExitCode::SUCCESS
        }
    })
}
