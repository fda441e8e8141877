//! `palisade bench`: measures the compiled engine on generated accounts (1k, 10k, 100k rules
//! by default) and prints the README's Markdown table — compile time, decisions per second
//! on one core for the compiled engine and the reference evaluator, their ratio, and the
//! approximate memory of the compiled structure.
//!
//! Two traces: a *host* trace (packets on the 16 interfaces of one host, the data plane's
//! case: that host's tables stay in cache) and an *account* trace (every packet on a random
//! interface of the whole account, so tables mostly miss the cache). The ratios divide the
//! compiled engine's `decide` (verdict and matched rules, owned) and `allows` (verdict only)
//! by the reference's `decide`, all on the host trace.
//!
//! Every size is first checked: the compiled engine must agree with the reference on a
//! sample of the measured packets, or the run fails. Timings use the wall clock of this one
//! thread; on a shared machine they swing, so the ratio is the steadier figure.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use palisade_engine::{Engine, Packet, compile, reference};
use palisade_model::{Direction, Peer, PortRange, Rule, RuleSpec, Snapshot, Traffic};
use palisade_testkit::{AccountConfig, PacketGen, account};

use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Rule counts of the generated accounts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    rules: Vec<usize>,
    /// Seconds spent measuring each engine at each size.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Seed of the generated accounts and packets.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Largest account the (slow) reference evaluator is timed on.
    #[arg(long, default_value_t = 10_000)]
    reference_max_rules: usize,
    /// Interfaces of the host trace.
    #[arg(long, default_value_t = 16)]
    host_interfaces: usize,
}

const PACKETS: usize = 1 << 16;

struct Row {
    rules: usize,
    interfaces: usize,
    group_sets: usize,
    compile_ms: f64,
    host_allows: f64,
    host_decide: f64,
    account_allows: f64,
    reference: Option<f64>,
    update_ms: f64,
    bytes: usize,
}

pub(crate) fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    if !(args.seconds > 0.0 && args.seconds.is_finite()) {
        bail!("--seconds must be a positive number, not {}", args.seconds);
    }
    let budget = Duration::from_secs_f64(args.seconds);
    let mut rows = Vec::new();
    for &rules in &args.rules {
        tracing::info!(rules, "generating account");
        let snap = account(AccountConfig {
            rules,
            seed: args.seed,
        });
        let traffic = PacketGen::new(&snap);
        let account_trace = traffic.packets(args.seed ^ 0x5eed, PACKETS);
        let host_trace = PacketGen::new(&snap)
            .on_host(args.host_interfaces, args.seed)
            .packets(args.seed ^ 0x4057, PACKETS);
        if account_trace.is_empty() {
            bail!("the generated account of {rules} rules has no interfaces");
        }
        let (engine, compile_ms) = time_compile(&snap, budget);
        for trace in [&host_trace, &account_trace] {
            check(&engine, &snap, trace, rules)
                .with_context(|| format!("checking the engine on {rules} rules"))?;
        }
        tracing::info!(rules, "measuring");
        let allows = |p: &Packet| engine.allows(p) == Ok(true);
        let decide = |p: &Packet| engine.decide(p).is_ok_and(|d| d.matches.is_empty());
        let host_allows = rate(&host_trace, budget, allows);
        let host_decide = rate(&host_trace, budget, decide);
        let account_allows = rate(&account_trace, budget, allows);
        let reference = (rules <= args.reference_max_rules).then(|| {
            rate(&host_trace, budget, |p| {
                reference::decide(&snap, p).is_ok_and(|d| d.matches.is_empty())
            })
        });
        let update_ms = time_update(&engine, &snap)?;
        rows.push(Row {
            rules,
            interfaces: snap.enis.len(),
            group_sets: engine.n_group_sets(),
            compile_ms,
            host_allows,
            host_decide,
            account_allows,
            reference,
            update_ms,
            bytes: engine.approx_bytes(),
        });
    }
    output::text(&table(&rows));
    Ok(ExitCode::SUCCESS)
}

/// Compiles until `budget` is spent (at least 3 times) and returns the median time.
fn time_compile(snap: &Snapshot, budget: Duration) -> (Engine, f64) {
    let mut times = Vec::new();
    let started = Instant::now();
    let mut engine;
    loop {
        let t = Instant::now();
        engine = compile(black_box(snap));
        times.push(t.elapsed().as_secs_f64() * 1e3);
        if times.len() >= 3 && (started.elapsed() >= budget || times.len() >= 50) {
            break;
        }
    }
    times.sort_by(f64::total_cmp);
    (engine, times[times.len() / 2])
}

/// Authorizes one rule in the most widely attached group and times `Engine::update`.
fn time_update(engine: &Engine, snap: &Snapshot) -> anyhow::Result<f64> {
    let Some(group_id) = snap
        .groups
        .keys()
        .max_by_key(|g| snap.members(g).count())
        .cloned()
    else {
        bail!("the generated account has no groups");
    };
    let mut new = snap.clone();
    let rule = Rule {
        id: "sgr-fffffffffffffffff".parse()?,
        group_id: group_id.clone(),
        spec: RuleSpec {
            direction: Direction::Ingress,
            traffic: Traffic::Tcp(PortRange::single(4242)),
            peer: Peer::parse_ipv4("198.51.100.0/24")?,
        },
        description: None,
        tags: Vec::new(),
    };
    if let Some(group) = new.groups.get_mut(&group_id) {
        group.insert_existing(rule)?;
    }
    let mut engine = engine.clone();
    let started = Instant::now();
    engine.update(&new, &[group_id]);
    Ok(started.elapsed().as_secs_f64() * 1e3)
}

/// The compiled engine must agree with the reference on a sample of the packets.
fn check(engine: &Engine, snap: &Snapshot, packets: &[Packet], rules: usize) -> anyhow::Result<()> {
    let sample = if rules > 10_000 { 300 } else { 3_000 };
    for pkt in packets.iter().take(sample) {
        let want = reference::decide(snap, pkt);
        if engine.decide(pkt) != want {
            bail!("compiled engine and reference disagree on {pkt:?}");
        }
        if engine.allows(pkt).ok() != want.as_ref().ok().map(|d| !d.matches.is_empty()) {
            bail!("allows and decide disagree on {pkt:?}");
        }
    }
    Ok(())
}

/// Decisions per second of `decide` over the packets, for about `budget`.
fn rate(packets: &[Packet], budget: Duration, decide: impl Fn(&Packet) -> bool) -> f64 {
    let started = Instant::now();
    let mut n: u64 = 0;
    let mut sink = 0usize;
    while started.elapsed() < budget {
        // Timing in slices keeps the clock out of the measured loop.
        for pkt in packets.iter().take(4_096) {
            sink += usize::from(decide(black_box(pkt)));
        }
        n += packets.len().min(4_096) as u64;
    }
    black_box(sink);
    n as f64 / started.elapsed().as_secs_f64()
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| rules | interfaces | group sets | compile | allows/s, host | decide/s, host | allows/s, account | decide/s, reference | ratio decide | ratio allows | update | memory |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let (reference, ratio_decide, ratio_allows) = match r.reference {
            Some(x) => (
                si(x),
                format!("{:.0}×", r.host_decide / x),
                format!("{:.0}×", r.host_allows / x),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {:.1} ms | {} | {} | {} | {} | {} | {} | {:.1} ms | {:.1} MiB |\n",
            r.rules,
            r.interfaces,
            r.group_sets,
            r.compile_ms,
            si(r.host_allows),
            si(r.host_decide),
            si(r.account_allows),
            reference,
            ratio_decide,
            ratio_allows,
            r.update_ms,
            r.bytes as f64 / (1024.0 * 1024.0),
        ));
    }
    out
}

fn si(x: f64) -> String {
    match x {
        x if x >= 1e6 => format!("{:.1} M", x / 1e6),
        x if x >= 1e3 => format!("{:.1} k", x / 1e3),
        x => format!("{x:.0}"),
    }
}
