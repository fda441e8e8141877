//! `palisade reach`: what can flow from a source to a destination, through which rules on
//! each side; or, with `--from internet` and no `--to`, every interface the internet can
//! reach along its real path (internet gateway, route table, public or global address),
//! riskiest first, then the interfaces whose rules admit the internet but whose path lacks a
//! link (latent). A `--to` query judges the security groups only.
//!
//! ```text
//! palisade reach -i SNAPSHOT --from SRC --to DST [--protocol P (--port N | --icmp-type T [--icmp-code C])] [--json]
//! palisade reach -i SNAPSHOT --from internet [--protocol P …] [--json]
//! ```
//! SRC and DST are an interface id, a group id (every member), an address or CIDR, or
//! `internet`. Exit 0 when something (or the asked packet) can flow, 1 when not, 2 on error.
//! A group end answers for every member pair; the asked packet is "reachable" when any pair
//! can carry it, and every blocked pair says which side blocks.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use palisade_analysis::space::{describe_keys, payload_key};
use palisade_analysis::{Blocker, Endpoint, Index, InterfaceExposure, exposure, reach};
use palisade_engine::{Payload, RuleMatch};
use palisade_model::{AddressFamily, Snapshot};
use serde::Serialize;

use crate::output;

#[derive(Debug, clap::Args)]
pub(crate) struct ReachArgs {
    /// describe-* JSON file, or a directory of them (every *.json); repeatable.
    #[arg(short = 'i', long = "input", required = true)]
    inputs: Vec<PathBuf>,
    /// Source: eni-…, sg-… (every member), an address or CIDR, or `internet`.
    #[arg(long)]
    from: String,
    /// Destination: eni-…, sg-…, an address or CIDR, or `internet`. Omit with
    /// `--from internet` for the exposure report.
    #[arg(long)]
    to: Option<String>,
    /// Ask about one packet: tcp, udp, icmp, icmpv6 or a protocol number.
    #[arg(long)]
    protocol: Option<String>,
    /// The destination port (tcp, udp).
    #[arg(long, requires = "protocol", conflicts_with_all = ["icmp_type", "icmp_code"])]
    port: Option<u16>,
    /// The ICMP or ICMPv6 type.
    #[arg(long, requires = "protocol")]
    icmp_type: Option<u8>,
    /// The ICMP or ICMPv6 code (default 0).
    #[arg(long, requires = "icmp_type")]
    icmp_code: Option<u8>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct JsonRule {
    group_id: String,
    rule_id: String,
    rule: String,
}

#[derive(Debug, Serialize)]
struct JsonFlow {
    src: String,
    dst: String,
    family: &'static str,
    traffic: Vec<String>,
    egress: Vec<JsonRule>,
    ingress: Vec<JsonRule>,
}

#[derive(Debug, Serialize)]
struct JsonVerdict {
    src: String,
    dst: String,
    reachable: bool,
    blocked_by: Option<&'static str>,
    why: Option<String>,
}

#[derive(Debug, Serialize)]
struct JsonReach {
    from: String,
    to: String,
    reachable: bool,
    flows: Vec<JsonFlow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    packet: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    verdicts: Vec<JsonVerdict>,
}

#[derive(Debug, Serialize)]
struct JsonExposedFlow {
    family: &'static str,
    traffic: Vec<String>,
    world_open: bool,
    sources: Vec<String>,
    rules: Vec<JsonRule>,
}

#[derive(Debug, Serialize)]
struct JsonExposure {
    interface: String,
    risk: u32,
    flows: Vec<JsonExposedFlow>,
    latent_flows: Vec<JsonExposedFlow>,
    paths: Vec<serde_json::Value>,
}

fn json_flows(snapshot: &Snapshot, runs: &[palisade_analysis::ExposedRun]) -> Vec<JsonExposedFlow> {
    runs.iter()
        .map(|r| JsonExposedFlow {
            family: family_name(r.family),
            traffic: describe_keys(r.keys.0, r.keys.1),
            world_open: r.world_open,
            sources: if r.world_open {
                vec!["internet".into()]
            } else {
                r.sources
                    .to_cidrs()
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            },
            rules: json_rules(snapshot, &r.rules),
        })
        .collect()
}

pub(crate) fn run(args: ReachArgs) -> anyhow::Result<ExitCode> {
    let snapshot = crate::input::load_snapshot(&args.inputs)?;
    let index = Index::new(&snapshot);
    let src: Endpoint = args
        .from
        .parse()
        .with_context(|| format!("--from {}", args.from))?;
    let key = packet_key(&args)?;
    let Some(to) = &args.to else {
        anyhow::ensure!(
            src == Endpoint::Internet,
            "--to is required unless --from internet (exposure report)"
        );
        return exposure_report(&snapshot, &index, key, args.json);
    };
    let dst: Endpoint = to.parse().with_context(|| format!("--to {to}"))?;
    let res = reach(&index, &src, &dst)?;
    let flows: Vec<&palisade_analysis::Flow> = match key {
        Some((k, _)) => res.flows_for(k).collect(),
        None => res.flows.iter().collect(),
    };
    let reachable = !flows.is_empty();
    let verdicts: Vec<JsonVerdict> = match key {
        Some((k, _)) => res
            .verdicts(k)
            .into_iter()
            .map(|v| JsonVerdict {
                reachable: v.blocked_by.is_none(),
                blocked_by: v.blocked_by.map(blocker_name),
                why: v.blocked_by.map(|b| why(b, &v.src, &v.dst)),
                src: v.src,
                dst: v.dst,
            })
            .collect(),
        None => Vec::new(),
    };
    if args.json {
        let out = JsonReach {
            from: src.to_string(),
            to: dst.to_string(),
            reachable,
            flows: flows.iter().map(|f| json_flow(&snapshot, f)).collect(),
            packet: key.map(|(_, what)| what),
            verdicts,
        };
        output::line(&serde_json::to_string_pretty(&out).context("encoding the answer")?);
    } else {
        print_reach(
            &snapshot,
            &src,
            &dst,
            key.as_ref().map(|(_, w)| w.as_str()),
            &flows,
            &verdicts,
        );
    }
    Ok(if reachable {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The traffic key of the asked packet, and its text.
fn packet_key(args: &ReachArgs) -> anyhow::Result<Option<(u32, String)>> {
    let Some(protocol) = &args.protocol else {
        anyhow::ensure!(
            args.port.is_none() && args.icmp_type.is_none(),
            "--port and --icmp-type need --protocol"
        );
        return Ok(None);
    };
    let payload =
        super::packet_flags::payload(protocol, args.port, args.icmp_type, args.icmp_code)?;
    let key = payload_key(payload).context("no such packet")?;
    let what = match payload {
        Payload::Icmp { icmp_type, code } => format!("icmp type {icmp_type} code {code}"),
        Payload::Icmpv6 { icmp_type, code } => format!("icmpv6 type {icmp_type} code {code}"),
        _ => describe_keys(key, key).join(", "),
    };
    Ok(Some((key, what)))
}

fn blocker_name(b: Blocker) -> &'static str {
    match b {
        Blocker::Egress => "egress",
        Blocker::Ingress => "ingress",
        Blocker::Both => "both",
        Blocker::NoCommonAddressPair => "no-common-address-pair",
        Blocker::NoCommonFamily => "no-common-family",
    }
}

fn why(b: Blocker, src: &str, dst: &str) -> String {
    match b {
        Blocker::Egress => format!("no egress rule of {src} allows it to {dst}"),
        Blocker::Ingress => format!("no ingress rule of {dst} allows it from {src}"),
        Blocker::Both => {
            format!("neither an egress rule of {src} nor an ingress rule of {dst} allows it")
        }
        Blocker::NoCommonAddressPair => {
            format!("{src}'s egress and {dst}'s ingress each allow it, but for different addresses")
        }
        Blocker::NoCommonFamily => format!("{src} and {dst} share no address family"),
    }
}

fn family_name(f: AddressFamily) -> &'static str {
    f.aws_name()
}

fn rule_text(snapshot: &Snapshot, m: &RuleMatch) -> String {
    snapshot
        .groups
        .get(&m.group_id)
        .and_then(|g| g.rule(&m.rule_id))
        .map_or_else(String::new, |r| r.spec.to_string())
}

fn json_rules(snapshot: &Snapshot, rules: &[RuleMatch]) -> Vec<JsonRule> {
    rules
        .iter()
        .map(|m| JsonRule {
            group_id: m.group_id.to_string(),
            rule_id: m.rule_id.to_string(),
            rule: rule_text(snapshot, m),
        })
        .collect()
}

fn json_flow(snapshot: &Snapshot, f: &palisade_analysis::Flow) -> JsonFlow {
    JsonFlow {
        src: f.src.to_string(),
        dst: f.dst.to_string(),
        family: family_name(f.family),
        traffic: describe_keys(f.keys.0, f.keys.1),
        egress: json_rules(snapshot, &f.egress),
        ingress: json_rules(snapshot, &f.ingress),
    }
}

fn print_reach(
    snapshot: &Snapshot,
    src: &Endpoint,
    dst: &Endpoint,
    packet: Option<&str>,
    flows: &[&palisade_analysis::Flow],
    verdicts: &[JsonVerdict],
) {
    match (packet, flows.is_empty()) {
        (Some(p), false) => output::line(&format!("reachable: {p} can flow from {src} to {dst}")),
        (Some(p), true) => output::line(&format!(
            "not reachable: {p} cannot flow from {src} to {dst}"
        )),
        (None, false) => output::line(&format!("reachable: from {src} to {dst}:")),
        (None, true) => output::line(&format!(
            "not reachable: nothing can flow from {src} to {dst}"
        )),
    }
    for f in flows {
        output::line(&format!(
            "  {} -> {} [{}]: {}",
            f.src,
            f.dst,
            family_name(f.family),
            describe_keys(f.keys.0, f.keys.1).join(", ")
        ));
        for (side, rules) in [("egress", &f.egress), ("ingress", &f.ingress)] {
            for m in rules.iter() {
                output::line(&format!(
                    "      {side}: {} {} ({})",
                    m.group_id,
                    m.rule_id,
                    rule_text(snapshot, m)
                ));
            }
        }
    }
    for v in verdicts.iter().filter(|v| !v.reachable) {
        if let Some(w) = &v.why {
            output::line(&format!("  blocked {} -> {}: {w}", v.src, v.dst));
        }
    }
}

fn exposure_report(
    snapshot: &Snapshot,
    index: &Index<'_>,
    key: Option<(u32, String)>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut exposed: Vec<InterfaceExposure> = exposure(index);
    if let Some((k, _)) = &key {
        for e in &mut exposed {
            e.runs.retain(|r| r.keys.0 <= *k && *k <= r.keys.1);
            e.latent.retain(|r| r.keys.0 <= *k && *k <= r.keys.1);
        }
        exposed.retain(|e| !e.runs.is_empty() || !e.latent.is_empty());
    }
    let reachable = exposed.iter().filter(|e| !e.runs.is_empty()).count();
    if json {
        let out: Vec<JsonExposure> = exposed
            .iter()
            .map(|e| JsonExposure {
                interface: e.eni.to_string(),
                risk: e.risk,
                flows: json_flows(snapshot, &e.runs),
                latent_flows: json_flows(snapshot, &e.latent),
                paths: e
                    .paths
                    .iter()
                    .map(|(f, p)| crate::cmd::audit::path_json(e.eni.as_str(), *f, p))
                    .collect(),
            })
            .collect();
        output::line(
            &serde_json::to_string_pretty(&serde_json::json!({ "exposed": out }))
                .context("encoding the report")?,
        );
    } else if exposed.is_empty() {
        output::line("no interface is reachable from the internet");
    } else {
        output::line(&format!(
            "{reachable} interface(s) reachable from the internet, riskiest first; {} latent:",
            exposed.len() - reachable
        ));
        for e in &exposed {
            match e.runs.is_empty() {
                true => output::line(&format!("{} (latent)", e.eni)),
                false => output::line(&format!("{} (risk {})", e.eni, e.risk)),
            }
            for (f, p) in &e.paths {
                output::line(&format!("  {} path: {p}", family_name(*f)));
            }
            let latent = e.latent.iter().map(|r| (r, "latent: "));
            for (r, tag) in e.runs.iter().map(|r| (r, "")).chain(latent) {
                let from = if r.world_open {
                    format!("the whole {} internet", family_name(r.family))
                } else {
                    r.sources.describe(4)
                };
                let via: Vec<String> = r
                    .rules
                    .iter()
                    .map(|m| format!("{} {}", m.group_id, m.rule_id))
                    .collect();
                output::line(&format!(
                    "  {tag}{} from {from} via {}",
                    describe_keys(r.keys.0, r.keys.1).join(", "),
                    via.join(", ")
                ));
            }
        }
    }
    Ok(if reachable == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIERS: &str = include_str!("../../../palisade-analysis/test_data/tiers.json");

    fn args(
        dir: &std::path::Path,
        from: &str,
        to: Option<&str>,
        packet: Option<(&str, u16)>,
    ) -> ReachArgs {
        ReachArgs {
            inputs: vec![dir.to_path_buf()],
            from: from.into(),
            to: to.map(Into::into),
            protocol: packet.map(|p| p.0.into()),
            port: packet.map(|p| p.1),
            icmp_type: None,
            icmp_code: None,
            json: true,
        }
    }

    #[test]
    fn exit_codes_follow_the_answer() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("snap.json"), TIERS).unwrap();
        let p = dir.path();
        let code = |a| run(a).unwrap();
        assert_eq!(
            code(args(
                p,
                "sg-00000001",
                Some("sg-00000002"),
                Some(("tcp", 5432))
            )),
            ExitCode::SUCCESS
        );
        assert_eq!(
            code(args(
                p,
                "sg-00000001",
                Some("sg-00000002"),
                Some(("tcp", 5433))
            )),
            ExitCode::from(1)
        );
        assert_eq!(
            code(args(
                p,
                "internet",
                Some("eni-00000001"),
                Some(("tcp", 443))
            )),
            ExitCode::SUCCESS
        );
        assert_eq!(
            code(args(p, "internet", Some("eni-00000002"), None)),
            ExitCode::from(1)
        );
        assert_eq!(
            code(args(p, "internet", None, Some(("tcp", 443)))),
            ExitCode::SUCCESS
        );
        assert_eq!(
            code(args(p, "internet", None, Some(("tcp", 3306)))),
            ExitCode::from(1)
        );
        assert!(run(args(p, "eni-00000001", None, None)).is_err());
        assert!(run(args(p, "not-an-endpoint", Some("eni-00000001"), None)).is_err());
        assert!(run(args(p, "eni-0000000f", Some("eni-00000001"), None)).is_err());
    }
}
