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
//! This module builds the small current-thread runtime that one request needs.

use std::io::ErrorKind;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use palisade_engine::{Decision, Packet, Payload, Verdict};
use palisade_model::{Direction, EniId, Protocol, Snapshot};
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

/// The region `--endpoint` asks about when neither `--region` nor the environment names one.
const DEFAULT_REGION: &str = "us-east-1";

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
        Some(endpoint) => live_snapshot(endpoint, args.region.as_deref())?,
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

/// The caller's state in `region` as `palisade serve` at `endpoint` holds it, imported like
/// a `-i` file.
fn live_snapshot(endpoint: &str, region: Option<&str>) -> anyhow::Result<Snapshot> {
    // The client speaks plain HTTP to one host and port, and takes no path.
    let host_port = endpoint
        .strip_prefix("http://")
        .map(|h| h.trim_end_matches('/'))
        .filter(|h| !h.contains('/'))
        .and_then(|h| h.rsplit_once(':'))
        .filter(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    anyhow::ensure!(
        host_port.is_some(),
        "--endpoint {endpoint}: expected http://HOST:PORT (palisade serve speaks plain HTTP)"
    );
    let (key, secret) = credentials()?;
    let region = region.map_or_else(region_from_env, ToOwned::to_owned);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    // The timer is created inside the runtime: `timeout` needs its time driver.
    let fetched = runtime.block_on(async {
        let fetch = palisade_api::fetch_json(endpoint, &key, &secret, &region, "{}");
        tokio::time::timeout(FETCH_TIMEOUT, fetch).await
    });
    let doc = match fetched {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => return Err(fetch_error(endpoint, &e)),
        Err(_) => anyhow::bail!("{endpoint}: no answer within {} s", FETCH_TIMEOUT.as_secs()),
    };
    let text = serde_json::to_string(&doc).context("re-encoding the live state")?;
    crate::input::import_text(&format!("{endpoint} (live state, {region})"), &text)
}

/// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, both required and non-empty.
fn credentials() -> anyhow::Result<(String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => Ok((key, secret)),
        _ => anyhow::bail!(
            "--endpoint signs its request with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; \
             set both (`palisade serve` without --keys prints its dev-mode pair at start-up)"
        ),
    }
}

/// `AWS_REGION`, else `AWS_DEFAULT_REGION`, else us-east-1, as the AWS CLI resolves it.
fn region_from_env() -> String {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| DEFAULT_REGION.to_owned())
}

/// A failed fetch as the user needs it: unreachable server, or the error code the server
/// answered (JSON `{"code","message"}` or EC2's XML envelope).
fn fetch_error(endpoint: &str, e: &std::io::Error) -> anyhow::Error {
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset | ErrorKind::TimedOut
    ) {
        return anyhow::anyhow!(
            "cannot reach {endpoint}: {e} (is `palisade serve` running there?)"
        );
    }
    let text = e.to_string();
    match server_error(&text) {
        Some((code, message)) => {
            let hint = if code == "AuthFailure" {
                " (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
            } else {
                ""
            };
            anyhow::anyhow!("{endpoint} answered {code}: {message}{hint}")
        }
        None => anyhow::anyhow!("asking {endpoint} for its state: {text}"),
    }
}

/// The error code and message in a failed answer, when it carries one.
fn server_error(text: &str) -> Option<(String, String)> {
    if let Some(start) = text.find('{')
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text[start..])
        && let Some(code) = v.get("code").and_then(|c| c.as_str())
    {
        let message = v.get("message").and_then(|m| m.as_str()).unwrap_or("");
        return Some((code.to_owned(), message.to_owned()));
    }
    let between = |open: &str, close: &str| -> Option<String> {
        let from = text.find(open)? + open.len();
        let len = text[from..].find(close)?;
        Some(text[from..from + len].to_owned())
    };
    let code = between("<Code>", "</Code>")?;
    Some((code, between("<Message>", "</Message>").unwrap_or_default()))
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
    let protocol = Protocol::parse(protocol).with_context(|| format!("--protocol {protocol}"))?;
    let icmp = |name: &str| -> anyhow::Result<(u8, u8)> {
        anyhow::ensure!(
            args.port.is_none(),
            "--port applies to tcp and udp, not {name}"
        );
        let t = args
            .icmp_type
            .with_context(|| format!("{name} needs --icmp-type"))?;
        Ok((t, args.icmp_code.unwrap_or(0)))
    };
    let port = |name: &str| -> anyhow::Result<u16> {
        anyhow::ensure!(
            args.icmp_type.is_none(),
            "--icmp-type applies to icmp and icmpv6, not {name}"
        );
        args.port.with_context(|| format!("{name} needs --port"))
    };
    let payload = match protocol {
        Protocol::All => anyhow::bail!("--protocol -1 is a rule wildcard, not a packet's protocol"),
        Protocol::Tcp => Payload::Tcp {
            dst_port: port("tcp")?,
        },
        Protocol::Udp => Payload::Udp {
            dst_port: port("udp")?,
        },
        Protocol::Icmp => {
            anyhow::ensure!(
                remote.is_ipv4(),
                "icmp is IPv4; use icmpv6 with an IPv6 --peer"
            );
            let (icmp_type, code) = icmp("icmp")?;
            Payload::Icmp { icmp_type, code }
        }
        Protocol::Icmpv6 => {
            anyhow::ensure!(
                remote.is_ipv6(),
                "icmpv6 is IPv6; use icmp with an IPv4 --peer"
            );
            let (icmp_type, code) = icmp("icmpv6")?;
            Payload::Icmpv6 { icmp_type, code }
        }
        Protocol::Number(n) => {
            anyhow::ensure!(
                args.port.is_none() && args.icmp_type.is_none(),
                "protocol {n} has no ports or ICMP types"
            );
            Payload::Other(n)
        }
    };
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
