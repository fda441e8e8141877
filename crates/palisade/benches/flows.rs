//! `palisade flows` throughput: generated VPC Flow Logs records (default format) parsed and
//! attributed on one core, in bounded memory.
//!
//! ```sh
//! cargo bench -p palisade --bench flows -- [--records 10000000] [--rules 10000] [--seed 1] [--recurring]
//! ```
//!
//! The account is testkit's generated one (`--rules` rules). Records are drawn from its
//! packets (biased to what the rules allow, with near misses and noise), written as log
//! lines with ACCEPT or REJECT as the engine decides, and about a third of the accepted
//! ones followed by their reply. Lines are made a chunk (64k) at a time with fresh source
//! ports and times, so connections keep arriving and the tracked-connection table must
//! forget old ones; only parsing and attribution are timed (this thread's CPU time), not
//! making the lines (`--recurring` keeps each packet's source port instead, so its
//! connections recur all run long, as long-lived ones do across windows). Prints
//! records/s for parsing alone and for parsing + attribution, the connections tracked at
//! the end and the process's peak resident memory.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::net::IpAddr;
use std::time::Duration;

use palisade_analysis::flows::{Attributor, FlowConfig, Observation, Outcome};
use palisade_engine::{Packet, Payload, compile};
use palisade_flowlog::{Format, Reader, Record};
use palisade_model::{Direction, Snapshot};
use palisade_testkit::{AccountConfig, PacketGen, account};

const CHUNK: usize = 1 << 16;
/// Records handed to the attributor at once.
const BATCH: usize = 32;

struct Args {
    records: usize,
    rules: usize,
    seed: u64,
    /// Reuse each packet's source port in every chunk, so its connections recur all run
    /// long (a log of long-lived connections) instead of being new each chunk.
    recurring: bool,
}

fn args() -> Args {
    let mut a = Args {
        records: 10_000_000,
        rules: 10_000,
        seed: 1,
        recurring: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok());
        match flag.as_str() {
            "--records" => a.records = value().expect("--records N"),
            "--rules" => a.rules = value().expect("--rules N"),
            "--seed" => a.seed = value().map(|v: usize| v as u64).expect("--seed N"),
            "--recurring" => a.recurring = true,
            // cargo bench passes --bench; nothing else is ours.
            _ => {}
        }
    }
    a
}

/// Appends one default-format line for `pkt` (and maybe its reply) to `out`.
fn lines_for(
    snap: &Snapshot,
    engine: &palisade_engine::Engine,
    pkt: &Packet,
    port: u16,
    t: u64,
    reply: bool,
    out: &mut String,
) -> usize {
    let Some(eni) = snap.enis.get(&pkt.interface) else {
        return 0;
    };
    let Some(local) = eni
        .private_addrs()
        .find(|a| a.is_ipv4() == pkt.remote.is_ipv4())
    else {
        return 0;
    };
    let (proto, dport) = match pkt.payload {
        Payload::Tcp { dst_port } => (6, dst_port),
        Payload::Udp { dst_port } => (17, dst_port),
        Payload::Icmp { .. } => (1, 0),
        Payload::Icmpv6 { .. } => (58, 0),
        Payload::Other(n) => (n, 0),
    };
    let accepted = engine.allows(pkt).unwrap_or(false);
    let action = if accepted { "ACCEPT" } else { "REJECT" };
    let (src, dst): (IpAddr, IpAddr) = match pkt.direction {
        Direction::Ingress => (pkt.remote, local),
        Direction::Egress => (local, pkt.remote),
    };
    let _ = writeln!(
        out,
        "2 123456789012 {} {src} {dst} {port} {dport} {proto} 10 1840 {t} {} {action} OK",
        pkt.interface,
        t + 60
    );
    if reply && accepted {
        let _ = writeln!(
            out,
            "2 123456789012 {} {dst} {src} {dport} {port} {proto} 8 9120 {t} {} ACCEPT OK",
            pkt.interface,
            t + 60
        );
        return 2;
    }
    1
}

/// This thread's CPU time (`/proc/thread-self/schedstat`, nanoseconds on CPU): on a shared
/// machine the wall clock counts other processes' turns too.
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args = args();
    let snap = account(AccountConfig {
        rules: args.rules,
        seed: args.seed,
    });
    let engine = compile(&snap);
    let packets = PacketGen::new(&snap);
    let pool = packets.packets(args.seed, CHUNK);
    let format = Format::default();
    let mut attributor = Attributor::new(&snap, &engine, FlowConfig::default());

    let mut made = 0usize;
    let mut text = String::with_capacity(CHUNK * 120);
    let mut parse_time = Duration::ZERO;
    let mut total_time = Duration::ZERO;
    let mut chunk_no: u64 = 0;
    let mut allowed = 0u64;
    let mut matched = 0u64;
    while made < args.records {
        // Make one chunk (not timed): new source ports and times each chunk.
        text.clear();
        let mut n = 0;
        let t = 1_764_633_600 + chunk_no * 60;
        for (i, pkt) in pool.iter().enumerate() {
            if n >= CHUNK || made + n >= args.records {
                break;
            }
            let mix = (i as u64).wrapping_mul(0x9e37_79b9).wrapping_add(chunk_no);
            // Each chunk moves every port by a step coprime to the range, so a packet's
            // connection is new in each chunk (the range wraps only after 28,000 chunks).
            let step = if args.recurring { 0 } else { chunk_no * 7_919 };
            let port = 32768 + (((mix >> 7) + step) % 28000) as u16;
            n += lines_for(
                &snap,
                &engine,
                pkt,
                port,
                t,
                mix.is_multiple_of(3),
                &mut text,
            );
        }
        chunk_no += 1;
        made += n;

        // Parsing alone.
        let start = cpu_time();
        let mut reader = Reader::new(format.clone());
        let mut rec = Record::default();
        for line in text.lines() {
            black_box(reader.read(line, &mut rec).ok());
            black_box(&rec);
        }
        parse_time += cpu_time() - start;

        // Parsing and attribution, a batch of records at a time (as `palisade flows` does).
        let start = cpu_time();
        let mut reader = Reader::new(format.clone());
        let mut batch = Vec::with_capacity(BATCH);
        let mut count = |batch: &mut Vec<Observation<'_>>| {
            attributor.observe_batch(batch, |_, outcome, _| {
                if let Outcome::Allowed { rules, .. } = outcome {
                    allowed += 1;
                    matched += rules as u64;
                }
            });
            batch.clear();
        };
        for line in text.lines() {
            if let Ok(true) = reader.read(line, &mut rec)
                && let Some(o) = Observation::from_record(&rec)
            {
                batch.push(o);
                if batch.len() == BATCH {
                    count(&mut batch);
                }
            }
        }
        count(&mut batch);
        total_time += cpu_time() - start;
    }
    let tracked = attributor.tracked();
    let report = attributor.finish();
    let per_sec = |d: Duration| made as f64 / d.as_secs_f64();
    println!(
        "| records | rules | parse only | parse + attribute | allowed | replies | tracked at end | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {made} | {} | {:.2} M/s | {:.2} M/s | {allowed} | {} | {tracked} | {} MiB |",
        args.rules,
        per_sec(parse_time) / 1e6,
        per_sec(total_time) / 1e6,
        report.totals.replies,
        peak_rss_kib().map_or(0, |k| k / 1024),
    );
    eprintln!(
        "{:.1} rules per allowed record; {} rules used, {} unused, {} contradictions (first 1000 kept)",
        matched as f64 / allowed.max(1) as f64,
        report.used.len(),
        report.unused.len(),
        report.totals.accepted_without_rule + report.totals.rejected_but_allowed
    );
}
