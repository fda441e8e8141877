//! `palisade eval`: is this packet allowed on this interface in this direction, and by
//! which rules?
//!
//! ```text
//! palisade eval -i FILE_OR_DIR [-i …] --interface ENI_ID --direction ingress|egress \
//!     --protocol PROTO --peer IP [--port N | --icmp-type T [--icmp-code C]] [--json]
//! palisade eval --endpoint http://HOST:PORT [--region R] …same packet flags…
//! ```
//! Exit 0 when allowed, 1 when denied, 2 on any error (message on stderr). `--trace FILE`
//! replays an event stream through the stateful engine instead (see `cmd::trace`).
//!
//! `--endpoint` asks a running `palisade serve` for the caller's live state (one SigV4-signed
//! `POST /_palisade/eval` with `{}`, answered by a describe-* JSON document), imports it through
//! the same path as `-i` files and decides locally, so output and exit codes are the same.
//! The request itself (endpoint, credentials, region, error messages) is `crate::remote`'s.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use palisade_engine::{Decision, Packet, Payload, Verdict};
use palisade_model::{Direction, EniId, Snapshot};
use serde::Serialize;

use crate::output;

const PACKET: &[&str] = &[
    "interface",
    "direction",
    "protocol",
    "peer",
    "port",
    "icmp_type",
    "icmp_code",
];

/// How long `--endpoint` waits for the server's answer.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["inputs", "endpoint"])))]
pub(crate) struct EvalArgs {
    /// describe-* JSON file, or a directory of them (every *.json); repeatable.
    #[arg(short = 'i', long = "input")]
    inputs: Vec<PathBuf>,
    /// Evaluate the live state of a running `palisade serve` (http://HOST:PORT) instead of
    /// -i files. The request is SigV4-signed with AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY from the environment (AWS_SESSION_TOKEN is ignored).
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The region whose state --endpoint evaluates [default: AWS_REGION, else
    /// AWS_DEFAULT_REGION, else us-east-1].
    #[arg(long, requires = "endpoint")]
    region: Option<String>,
    /// The network interface (`eni-…`) the packet crosses.
    #[arg(long, required_unless_present = "trace")]
    interface: Option<String>,
    /// ingress (the packet arrives) or egress (it leaves).
    #[arg(long, required_unless_present = "trace")]
    direction: Option<Direction>,
    /// tcp, udp, icmp, icmpv6 or a protocol number (0–255).
    #[arg(long, required_unless_present = "trace")]
    protocol: Option<String>,
    /// The remote address: the source for ingress, the destination for egress.
    #[arg(long, required_unless_present = "trace")]
    peer: Option<IpAddr>,
    /// The destination port (tcp, udp).
    #[arg(long, conflicts_with_all = ["icmp_type", "icmp_code"])]
    port: Option<u16>,
    /// The ICMP or ICMPv6 type.
    #[arg(long)]
    icmp_type: Option<u8>,
    /// The ICMP or ICMPv6 code (default 0).
    #[arg(long, requires = "icmp_type")]
    icmp_code: Option<u8>,
    /// Print `{"verdict":…,"matches":[…]}` instead of a sentence.
    #[arg(long)]
    json: bool,
    /// Replay packet and configuration events (JSON lines; `-` for stdin) through the
    /// stateful engine instead of deciding one packet.
    #[arg(long, value_name = "EVENTS.jsonl", conflicts_with_all = PACKET)]
    trace: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct JsonDecision {
    verdict: &'static str,
    matches: Vec<JsonMatch>,
}

#[derive(Debug, Serialize)]
struct JsonMatch {
    group_id: String,
    rule_id: String,
    direction: &'static str,
    rule: String,
}

pub(crate) fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let snapshot = match &args.endpoint {
        Some(endpoint) => {
            crate::remote::Remote::new(endpoint, args.region.as_deref(), FETCH_TIMEOUT)?
                .snapshot()?
        }
        None => crate::input::load_snapshot(&args.inputs)?,
    };
    if let Some(trace) = &args.trace {
        return crate::cmd::trace::run(snapshot, trace, args.json);
    }
    let pkt = packet(&args)?;
    let engine = palisade_engine::compile(&snapshot);
    let decision = engine.decide(&pkt)?;
    let matches = describe_matches(&snapshot, &decision);
    if args.json {
        let out = JsonDecision {
            verdict: decision.verdict.as_str(),
            matches,
        };
        output::line(&serde_json::to_string(&out).context("encoding the decision")?);
    } else {
        output::line(&sentence(&snapshot, &pkt, &decision, &matches));
    }
    Ok(match decision.verdict {
        Verdict::Allow => ExitCode::SUCCESS,
        Verdict::Deny => ExitCode::from(1),
    })
}

/// The packet the flags describe, checked for consistency (ports only for tcp/udp, ICMP
/// type only for icmp/icmpv6, ICMP families matching the peer's).
fn packet(args: &EvalArgs) -> anyhow::Result<Packet> {
    let (Some(interface), Some(direction), Some(protocol), Some(remote)) =
        (&args.interface, args.direction, &args.protocol, args.peer)
    else {
        anyhow::bail!("--interface, --direction, --protocol and --peer are required");
    };
    let interface: EniId = interface
        .parse()
        .with_context(|| format!("--interface {interface}"))?;
    let payload =
        super::packet_flags::payload(protocol, args.port, args.icmp_type, args.icmp_code)?;
    match payload {
        Payload::Icmp { .. } => anyhow::ensure!(
            remote.is_ipv4(),
            "icmp is IPv4; use icmpv6 with an IPv6 --peer"
        ),
        Payload::Icmpv6 { .. } => anyhow::ensure!(
            remote.is_ipv6(),
            "icmpv6 is IPv6; use icmp with an IPv4 --peer"
        ),
        _ => {}
    }
    Ok(Packet {
        interface,
        direction,
        remote,
        payload,
    })
}

fn describe_matches(snapshot: &Snapshot, decision: &Decision) -> Vec<JsonMatch> {
    decision
        .matches
        .iter()
        .map(|m| {
            let rule = snapshot
                .groups
                .get(&m.group_id)
                .and_then(|g| g.rule(&m.rule_id));
            JsonMatch {
                group_id: m.group_id.to_string(),
                rule_id: m.rule_id.to_string(),
                direction: rule.map_or("", |r| r.direction().as_str()),
                rule: rule.map_or_else(String::new, |r| match &r.description {
                    Some(d) if !d.is_empty() => format!("{} ({d})", r.spec),
                    _ => r.spec.to_string(),
                }),
            }
        })
        .collect()
}

fn what(pkt: &Packet) -> String {
    let traffic = match pkt.payload {
        Payload::Tcp { dst_port } => format!("tcp/{dst_port}"),
        Payload::Udp { dst_port } => format!("udp/{dst_port}"),
        Payload::Icmp { icmp_type, code } => format!("icmp type {icmp_type} code {code}"),
        Payload::Icmpv6 { icmp_type, code } => format!("icmpv6 type {icmp_type} code {code}"),
        Payload::Other(n) => format!("protocol {n}"),
    };
    let (word, side) = match pkt.direction {
        Direction::Ingress => ("from", "into"),
        Direction::Egress => ("to", "out of"),
    };
    format!("{traffic} {word} {} {side} {}", pkt.remote, pkt.interface)
}

fn sentence(
    snapshot: &Snapshot,
    pkt: &Packet,
    decision: &Decision,
    matches: &[JsonMatch],
) -> String {
    match decision.verdict {
        Verdict::Allow => {
            let rules: Vec<String> = matches
                .iter()
                .map(|m| format!("{} {}: {}", m.group_id, m.rule_id, m.rule))
                .collect();
            format!("allow: {} is allowed by {}", what(pkt), rules.join("; "))
        }
        Verdict::Deny => {
            let groups: Vec<String> = snapshot
                .enis
                .get(&pkt.interface)
                .map(|e| e.groups.iter().map(ToString::to_string).collect())
                .unwrap_or_default();
            format!(
                "deny: {} matches no {} rule of {}",
                what(pkt),
                pkt.direction,
                if groups.is_empty() {
                    "any group".to_owned()
                } else {
                    groups.join(", ")
                }
            )
        }
    }
}
