//! `palisade eval --trace EVENTS.jsonl|-`: streams packet and configuration events through
//! the stateful engine (`palisade_engine::flow::FlowTable`) and prints one JSON line per
//! packet: `{"t":…,"verdict":"allow"|"deny","reason":…}` (plus `matches` when rules were
//! consulted and admitted it, `related` for ICMP errors of a tracked connection).
//!
//! The event format, one JSON object a line, is `palisade_trace`'s: packets, `authorize-*` /
//! `revoke-*` changes with AWS `IpPermissions`, and `set-conntrack-limit` (default
//! [`DEFAULT_LIMIT`]); times (`t`, seconds) must not decrease.
//!
//! Malformed input stops the run with exit 2 and an error naming the line. Memory stays
//! bounded: lines are read one at a time, output is flushed every 64 KiB, and idle
//! connections are expired whenever the table has doubled since the last sweep.

use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use palisade_engine::flow::{FlowPacket, FlowTable, FlowVerdict};
use palisade_model::{
    AuthorizeCtx, Direction, GroupId, PrefixListId, Quotas, SeqIdGen, Snapshot, Timestamp,
};
use palisade_trace::Event;
use serde::Serialize;

use crate::output;

/// Tracked connections per interface unless the trace sets another limit.
pub(crate) const DEFAULT_LIMIT: u32 = 1_000_000;

/// Replays the events at `path` (`-` for stdin) over `snapshot`. The output is JSON lines
/// whether or not `json` is set (`--json` only keeps the flag meaningful for `eval`).
pub(crate) fn run(snapshot: Snapshot, path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let _ = json;
    let summary = if path.as_os_str() == "-" {
        replay(
            snapshot,
            std::io::stdin().lock(),
            "stdin",
            &mut output::text,
        )?
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.display().to_string();
        replay(
            snapshot,
            std::io::BufReader::new(file),
            &name,
            &mut output::text,
        )?
    };
    tracing::debug!(
        packets = summary.packets,
        allowed = summary.allowed,
        denied = summary.denied,
        changes = summary.changes,
        conntrack_allowance_exceeded = summary.allowance_exceeded,
        "trace replayed"
    );
    Ok(ExitCode::SUCCESS)
}

/// Totals of one replay.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) packets: u64,
    pub(crate) allowed: u64,
    pub(crate) denied: u64,
    pub(crate) changes: u64,
    pub(crate) allowance_exceeded: u64,
}

#[derive(Debug, Serialize)]
struct JsonVerdict<'a> {
    t: &'a serde_json::Number,
    verdict: &'static str,
    reason: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    matches: Vec<JsonMatch>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    related: bool,
}

#[derive(Debug, Serialize)]
struct JsonMatch {
    group_id: String,
    rule_id: String,
}

/// The replay itself, over any reader; `emit` receives output text in chunks.
pub(crate) fn replay(
    snapshot: Snapshot,
    reader: impl BufRead,
    name: &str,
    emit: &mut dyn FnMut(&str),
) -> anyhow::Result<Summary> {
    let mut state = Replay {
        table: FlowTable::new(snapshot, DEFAULT_LIMIT),
        ids: SeqIdGen::starting_at(1 << 64),
        last: Timestamp::ZERO,
        sweep_at: SWEEP_MIN,
        out: String::new(),
        summary: Summary::default(),
    };
    for (idx, line) in reader.lines().enumerate() {
        let line_no = idx + 1;
        let line = line.with_context(|| format!("reading {name}"))?;
        if line.trim().is_empty() {
            continue;
        }
        if let Err(e) = state.line(&line) {
            // Verdicts of the lines before stay valid output.
            emit(&state.out);
            return Err(e.context(format!("{name}: line {line_no}")));
        }
        if state.out.len() >= FLUSH_BYTES {
            emit(&state.out);
            state.out.clear();
        }
    }
    emit(&state.out);
    Ok(state.summary)
}

const FLUSH_BYTES: usize = 64 * 1024;
const SWEEP_MIN: usize = 1 << 16;

struct Replay {
    table: FlowTable,
    ids: SeqIdGen,
    last: Timestamp,
    sweep_at: usize,
    out: String,
    summary: Summary,
}

impl Replay {
    fn line(&mut self, line: &str) -> anyhow::Result<()> {
        let line = palisade_trace::parse_line(line)?;
        let now = line.at();
        if now < self.last {
            bail!(
                "time {} goes backwards (previous event at {})",
                line.t(),
                self.last
            );
        }
        self.last = now;
        match line.event()? {
            Event::Packet(pkt) => self.packet(now, line.t(), &pkt),
            Event::Change {
                group_id,
                direction,
                authorize,
                permissions,
            } => {
                self.summary.changes += 1;
                self.change(&group_id, direction, authorize, &permissions)
            }
            Event::SetLimit(limit) => {
                self.table.set_max_tracked_per_interface(limit);
                Ok(())
            }
        }
    }

    fn packet(
        &mut self,
        now: Timestamp,
        t: &serde_json::Number,
        pkt: &FlowPacket,
    ) -> anyhow::Result<()> {
        if self.table.len() >= self.sweep_at {
            self.table.expire(now);
            self.sweep_at = (self.table.len() * 2).max(SWEEP_MIN);
        }
        let verdict = self.table.observe(now, pkt)?;
        self.summary.packets += 1;
        match verdict.verdict {
            palisade_engine::Verdict::Allow => self.summary.allowed += 1,
            palisade_engine::Verdict::Deny => self.summary.denied += 1,
        }
        if verdict.reason == palisade_engine::flow::FlowReason::TableFull {
            self.summary.allowance_exceeded += 1;
        }
        self.out.push_str(&render(t, &verdict)?);
        self.out.push('\n');
        Ok(())
    }

    fn change(
        &mut self,
        group_id: &GroupId,
        direction: Direction,
        authorize: bool,
        permissions: &serde_json::Value,
    ) -> anyhow::Result<()> {
        let rules = palisade_ec2::permission::parse_ip_permissions_value(permissions, direction)
            .context("ip_permissions")?;
        let weights: Vec<(PrefixListId, u32)> = self
            .table
            .snapshot()
            .prefix_lists
            .values()
            .map(|pl| (pl.id.clone(), pl.max_entries))
            .collect();
        if !self.table.snapshot().groups.contains_key(group_id) {
            bail!("unknown security group {group_id}");
        }
        let ids = &mut self.ids;
        let res = self
            .table
            .change(std::slice::from_ref(group_id), |snapshot| {
                let Some(group) = snapshot.groups.get_mut(group_id) else {
                    return Ok(());
                };
                if authorize {
                    let quotas = Quotas::default();
                    let weight =
                        |id: &PrefixListId| weights.iter().find(|(w, _)| w == id).map(|(_, n)| *n);
                    let ctx = AuthorizeCtx {
                        quotas: &quotas,
                        prefix_list_weight: &weight,
                    };
                    group.authorize(rules, &ctx, ids).map(|_| ())
                } else {
                    let specs: Vec<_> = rules.into_iter().map(|r| r.spec).collect();
                    group.revoke_matching(&specs).map(|_| ())
                }
            });
        res.with_context(|| {
            format!(
                "{} on {group_id}",
                if authorize { "authorize" } else { "revoke" }
            )
        })
    }
}

fn render(t: &serde_json::Number, verdict: &FlowVerdict) -> anyhow::Result<String> {
    let out = JsonVerdict {
        t,
        verdict: verdict.verdict.as_str(),
        reason: verdict.reason.as_str(),
        matches: verdict
            .matches
            .iter()
            .map(|m| JsonMatch {
                group_id: m.group_id.to_string(),
                rule_id: m.rule_id.to_string(),
            })
            .collect(),
        related: verdict.related,
    };
    serde_json::to_string(&out).context("encoding a verdict")
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use palisade_model::{
        AccountId, ConntrackConfig, Eni, EniId, NewRule, Peer, PortRange, SecurityGroup, Traffic,
        Vpc, VpcId,
    };

    use super::*;

    fn snapshot() -> Snapshot {
        let owner: AccountId = "123456789012".parse().expect("literal");
        let vpc_id: VpcId = "vpc-00000001".parse().expect("literal");
        let sg: GroupId = "sg-00000001".parse().expect("literal");
        let mut group = SecurityGroup::empty(
            sg.clone(),
            "web".into(),
            "web".into(),
            vpc_id.clone(),
            owner.clone(),
        );
        let quotas = Quotas::default();
        let ctx = AuthorizeCtx {
            quotas: &quotas,
            prefix_list_weight: &|_| None,
        };
        let rules = vec![
            NewRule::new(
                Direction::Ingress,
                Traffic::Tcp(PortRange::single(22)),
                Peer::parse_cidr("203.0.113.0/24").expect("cidr"),
            ),
            NewRule::new(
                Direction::Ingress,
                Traffic::Tcp(PortRange::single(80)),
                Peer::parse_cidr("0.0.0.0/0").expect("cidr"),
            ),
            NewRule::new(
                Direction::Egress,
                Traffic::All,
                Peer::parse_cidr("0.0.0.0/0").expect("cidr"),
            ),
        ];
        group
            .authorize(rules, &ctx, &mut SeqIdGen::default())
            .expect("valid rules");
        let mut s = Snapshot::default();
        s.vpcs.insert(
            vpc_id.clone(),
            Vpc {
                id: vpc_id.clone(),
                owner: owner.clone(),
                cidrs_v4: vec!["10.0.0.0/16".parse().expect("cidr")],
                cidrs_v6: Vec::new(),
                is_default: false,
                tags: Vec::new(),
                attributes: Default::default(),
            },
        );
        s.groups.insert(sg.clone(), group);
        let eni: EniId = "eni-00000001".parse().expect("literal");
        s.enis.insert(
            eni.clone(),
            Eni {
                id: eni,
                owner,
                vpc_id,
                subnet_id: None,
                private_ipv4: vec!["10.0.1.10".parse().expect("ip")],
                ipv6: Vec::new(),
                public_ipv4: None,
                groups: vec![sg],
                instance_id: None,
                description: String::new(),
                conntrack: ConntrackConfig::default(),
                tags: Vec::new(),
            },
        );
        s
    }

    /// Replays `events` and compares the output (and a final `error: …` line) with
    /// `expected`, whose lines are compared without their leading indentation.
    #[track_caller]
    fn check(events: &str, expected: &str) {
        let mut out = String::new();
        let res = replay(snapshot(), Cursor::new(events), "trace", &mut |s| {
            out.push_str(s)
        });
        if let Err(e) = res {
            out.push_str(&format!("error: {e:#}\n"));
        }
        let expected: String = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(out, expected);
    }

    const IN: &str = r#""interface":"eni-00000001","direction":"ingress""#;
    const OUT: &str = r#""interface":"eni-00000001","direction":"egress""#;

    #[test]
    fn inbound_ssh_then_rule_revoked() {
        let events = format!(
            "{{\"t\":0,{IN},\"protocol\":\"tcp\",\"src\":\"203.0.113.9\",\"src_port\":5000,\"dst\":\"10.0.1.10\",\"dst_port\":22,\"tcp_flags\":\"S\"}}\n\
             {{\"t\":0.5,{OUT},\"protocol\":\"tcp\",\"src\":\"10.0.1.10\",\"src_port\":22,\"dst\":\"203.0.113.9\",\"dst_port\":5000,\"tcp_flags\":\"SA\"}}\n\
             {{\"t\":1,\"action\":\"revoke-ingress\",\"group_id\":\"sg-00000001\",\"ip_permissions\":[{{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,\"IpRanges\":[{{\"CidrIp\":\"203.0.113.0/24\"}}]}}]}}\n\
             {{\"t\":2,{IN},\"protocol\":\"tcp\",\"src\":\"203.0.113.9\",\"src_port\":5000,\"dst\":\"10.0.1.10\",\"dst_port\":22}}\n\
             {{\"t\":3,{IN},\"protocol\":\"tcp\",\"src\":\"203.0.113.9\",\"src_port\":5001,\"dst\":\"10.0.1.10\",\"dst_port\":22,\"tcp_flags\":\"S\"}}\n"
        );
        check(
            &events,
            r#"
            {"t":0,"verdict":"allow","reason":"rule","matches":[{"group_id":"sg-00000001","rule_id":"sgr-00000000000000001"}]}
            {"t":0.5,"verdict":"allow","reason":"tracked connection"}
            {"t":2,"verdict":"allow","reason":"tracked connection"}
            {"t":3,"verdict":"deny","reason":"no matching rule"}
        "#,
        );
    }

    #[test]
    fn untracked_http_stops_when_rule_revoked() {
        let events = format!(
            "{{\"t\":0,{IN},\"protocol\":\"tcp\",\"src\":\"198.51.100.7\",\"src_port\":5000,\"dst\":\"10.0.1.10\",\"dst_port\":80,\"tcp_flags\":\"S\"}}\n\
             {{\"t\":1,\"action\":\"revoke-ingress\",\"group_id\":\"sg-00000001\",\"ip_permissions\":[{{\"IpProtocol\":\"tcp\",\"FromPort\":80,\"ToPort\":80,\"IpRanges\":[{{\"CidrIp\":\"0.0.0.0/0\"}}]}}]}}\n\
             {{\"t\":2,{IN},\"protocol\":\"tcp\",\"src\":\"198.51.100.7\",\"src_port\":5000,\"dst\":\"10.0.1.10\",\"dst_port\":80}}\n\
             {{\"t\":3,\"action\":\"authorize-ingress\",\"group_id\":\"sg-00000001\",\"ip_permissions\":[{{\"IpProtocol\":\"tcp\",\"FromPort\":80,\"ToPort\":80,\"IpRanges\":[{{\"CidrIp\":\"0.0.0.0/0\"}}]}}]}}\n\
             {{\"t\":4,{IN},\"protocol\":\"tcp\",\"src\":\"198.51.100.7\",\"src_port\":5000,\"dst\":\"10.0.1.10\",\"dst_port\":80}}\n"
        );
        check(
            &events,
            r#"
            {"t":0,"verdict":"allow","reason":"untracked","matches":[{"group_id":"sg-00000001","rule_id":"sgr-00000000000000002"}]}
            {"t":2,"verdict":"deny","reason":"no matching rule"}
            {"t":4,"verdict":"allow","reason":"untracked","matches":[{"group_id":"sg-00000001","rule_id":"sgr-10000000000000001"}]}
        "#,
        );
    }

    #[test]
    fn table_full_and_expired() {
        let events = format!(
            "{{\"t\":0,\"action\":\"set-conntrack-limit\",\"limit\":1}}\n\
             {{\"t\":0,{IN},\"protocol\":\"tcp\",\"src\":\"203.0.113.9\",\"src_port\":1,\"dst\":\"10.0.1.10\",\"dst_port\":22,\"tcp_flags\":\"S\"}}\n\
             {{\"t\":1,{IN},\"protocol\":\"tcp\",\"src\":\"203.0.113.9\",\"src_port\":2,\"dst\":\"10.0.1.10\",\"dst_port\":22,\"tcp_flags\":\"S\"}}\n\
             {{\"t\":120,{IN},\"protocol\":\"udp\",\"src\":\"203.0.113.9\",\"src_port\":1,\"dst\":\"10.0.1.10\",\"dst_port\":22}}\n\
             {{\"t\":121,\"interface\":\"eni-00000001\",\"direction\":\"egress\",\"protocol\":\"udp\",\"src\":\"10.0.1.10\",\"src_port\":22,\"dst\":\"203.0.113.9\",\"dst_port\":1}}\n"
        );
        // The last packet's UDP flow is new and egress is open; the SYN_SENT entry of port 1
        // expired at 120 s, which makes room for nothing here but is reported per flow.
        check(
            &events,
            r#"
            {"t":0,"verdict":"allow","reason":"rule","matches":[{"group_id":"sg-00000001","rule_id":"sgr-00000000000000001"}]}
            {"t":1,"verdict":"deny","reason":"table full","matches":[{"group_id":"sg-00000001","rule_id":"sgr-00000000000000001"}]}
            {"t":120,"verdict":"deny","reason":"no matching rule"}
            {"t":121,"verdict":"allow","reason":"rule","matches":[{"group_id":"sg-00000001","rule_id":"sgr-00000000000000003"}]}
        "#,
        );
    }

    #[test]
    fn expired_connection_reported() {
        let events = format!(
            "{{\"t\":0,{OUT},\"protocol\":\"icmp\",\"src\":\"10.0.1.10\",\"dst\":\"198.51.100.7\",\"icmp_type\":8}}\n\
             {{\"t\":29.999,{IN},\"protocol\":\"icmp\",\"src\":\"198.51.100.7\",\"dst\":\"10.0.1.10\",\"icmp_type\":0}}\n\
             {{\"t\":60,{IN},\"protocol\":\"icmp\",\"src\":\"198.51.100.7\",\"dst\":\"10.0.1.10\",\"icmp_type\":0}}\n"
        );
        check(
            &events,
            r#"
            {"t":0,"verdict":"allow","reason":"rule","matches":[{"group_id":"sg-00000001","rule_id":"sgr-00000000000000003"}]}
            {"t":29.999,"verdict":"allow","reason":"tracked connection"}
            {"t":60,"verdict":"deny","reason":"expired"}
        "#,
        );
    }

    #[test]
    fn malformed_lines_named() {
        let ok = format!(
            "{{\"t\":5,{IN},\"protocol\":\"tcp\",\"src\":\"203.0.113.9\",\"src_port\":1,\"dst\":\"10.0.1.10\",\"dst_port\":22}}\n"
        );
        check(
            &format!(
                "{ok}\n{{\"t\":4,{IN},\"protocol\":\"47\",\"src\":\"203.0.113.9\",\"dst\":\"10.0.1.10\"}}\n"
            ),
            r#"
            {"t":5,"verdict":"allow","reason":"rule","matches":[{"group_id":"sg-00000001","rule_id":"sgr-00000000000000001"}]}
            error: trace: line 3: time 4 goes backwards (previous event at 5.000s)
        "#,
        );
        check(
            &format!(
                "{{\"t\":1,{IN},\"protocol\":\"tcp\",\"src\":\"203.0.113.9\",\"src_port\":1,\"dst\":\"10.0.1.10\",\"dst_port\":22,\"tcp_flags\":\"SF\"}}\n"
            ),
            r#"
            error: trace: line 1: tcp_flags: unknown 'SF' (expected one of S, SA, A, PA, F, FA, R)
        "#,
        );
        check(
            &format!(
                "{{\"t\":1,{IN},\"protocol\":\"udp\",\"src\":\"203.0.113.9\",\"dst\":\"10.0.1.10\",\"dst_port\":22}}\n"
            ),
            r#"
            error: trace: line 1: src_port is required for tcp and udp
        "#,
        );
        check(
            &format!(
                "{{\"t\":1,{IN},\"protocol\":\"icmpv6\",\"src\":\"203.0.113.9\",\"dst\":\"10.0.1.10\",\"icmp_type\":128}}\n"
            ),
            r#"
            error: trace: line 1: protocol: icmp goes with IPv4 addresses, icmpv6 with IPv6 ones
        "#,
        );
        check(
            "{\"t\":1,\"src_prot\":2}\n",
            r#"
            error: trace: line 1: malformed event: unknown field `src_prot`, expected one of `t`, `interface`, `direction`, `protocol`, `src`, `src_port`, `dst`, `dst_port`, `tcp_flags`, `icmp_type`, `icmp_code`, `action`, `group_id`, `ip_permissions`, `limit` at line 1 column 17
        "#,
        );
        check(
            "{\"t\":-1,\"action\":\"revoke-egress\"}\n",
            r#"
            error: trace: line 1: t: -1 is not a non-negative number of seconds
        "#,
        );
        check(
            "{\"t\":1,\"action\":\"revoke-egress\",\"group_id\":\"sg-00000009\",\"ip_permissions\":[]}\n",
            r#"
            error: trace: line 1: unknown security group sg-00000009
        "#,
        );
        check(
            &format!(
                "{{\"t\":1,{OUT},\"protocol\":\"tcp\",\"src\":\"10.0.1.10\",\"src_port\":1,\"dst\":\"::1\",\"dst_port\":22}}\n"
            ),
            r#"
            error: trace: line 1: src 10.0.1.10 and dst ::1 are of different address families
        "#,
        );
    }
}
