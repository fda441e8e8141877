//! `palisade flows` output: the table, the JSON report, SARIF, and `--records` lines.

use std::fmt::Write as _;
use std::path::Path;

use palisade_analysis::flows::{Attributor, FlowReport, Observation, Outcome, Suggestion};
use palisade_ec2::permission::rules_to_permissions;
use palisade_model::{Protocol, Rule, Snapshot};
use serde_json::{Value, json};

use super::{ReadStats, outcome_name};

fn protocol_name(n: u8) -> String {
    match n {
        Protocol::TCP => "tcp".into(),
        Protocol::UDP => "udp".into(),
        Protocol::ICMP => "icmp".into(),
        Protocol::ICMPV6 => "icmpv6".into(),
        n => n.to_string(),
    }
}

fn rule_text(rule: &Rule) -> String {
    rule.spec.to_string()
}

fn ports_json(ports: &[(u8, u16)]) -> Vec<Value> {
    ports
        .iter()
        .map(|&(p, port)| json!({ "protocol": protocol_name(p), "port": port }))
        .collect()
}

/// `{"GroupId": …, "IpPermissions": […]}`: what `aws ec2 revoke-…/authorize-…
/// --cli-input-json` takes.
fn cli_input(group: &str, perms: &[palisade_ec2::permission::IpPermission]) -> Value {
    json!({ "GroupId": group, "IpPermissions": perms })
}

fn suggestion_json(s: &Suggestion) -> Value {
    let revoke = rules_to_permissions([&s.rule]);
    let authorize = rules_to_permissions(s.replace_with.iter());
    let verb = match s.rule.direction() {
        palisade_model::Direction::Ingress => "ingress",
        palisade_model::Direction::Egress => "egress",
    };
    json!({
        "group_id": s.group_id.to_string(),
        "rule_id": s.rule.id.to_string(),
        "direction": s.rule.direction().as_str(),
        "rule": rule_text(&s.rule),
        "reason": s.reason,
        "authorize_command": format!("aws ec2 authorize-security-group-{verb} --cli-input-json file://authorize.json"),
        "revoke_command": format!("aws ec2 revoke-security-group-{verb} --cli-input-json file://revoke.json"),
        "authorize": cli_input(s.group_id.as_str(), &authorize),
        "revoke": cli_input(s.group_id.as_str(), &revoke),
    })
}

/// The JSON report.
pub(super) fn json(report: &FlowReport, stats: &ReadStats) -> Value {
    let t = &report.totals;
    let rules: Vec<Value> = report
        .used
        .iter()
        .map(|u| {
            json!({
                "group_id": u.group_id.to_string(),
                "rule_id": u.rule.id.to_string(),
                "direction": u.rule.direction().as_str(),
                "rule": rule_text(&u.rule),
                "records": u.records,
                "flows": u.flows,
                "packets": u.packets,
                "bytes": u.bytes,
                "first_seen": u.first_seen,
                "last_seen": u.last_seen,
                "peers": u.peers.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "peers_truncated": u.peers_truncated,
                "ports": ports_json(&u.ports),
                "ports_truncated": u.ports_truncated,
            })
        })
        .collect();
    let unused: Vec<Value> = report
        .unused
        .iter()
        .map(|(g, r)| {
            json!({
                "group_id": g.to_string(),
                "rule_id": r.id.to_string(),
                "direction": r.direction().as_str(),
                "rule": rule_text(r),
            })
        })
        .collect();
    let contradictions: Vec<Value> = report
        .contradictions
        .iter()
        .map(|c| {
            json!({
                "kind": c.kind.as_str(),
                "interface": c.interface.to_string(),
                "direction": c.direction.as_str(),
                "protocol": protocol_name(c.protocol),
                "src": c.src.to_string(),
                "src_port": c.src_port,
                "dst": c.dst.to_string(),
                "dst_port": c.dst_port,
                "start": c.start,
                "rules": c.rules.iter().map(|m| m.rule_id.to_string()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "totals": {
            "files": stats.files,
            "lines": stats.lines,
            "records": t.records,
            "allowed": t.allowed,
            "replies": t.replies,
            "replies_inferred": t.replies_inferred,
            "rejected": t.rejected,
            "accepted_without_rule": t.accepted_without_rule,
            "rejected_but_allowed": t.rejected_but_allowed,
            "unknown_interface": t.unknown_interface,
            "not_its_address": t.not_its_address,
            "no_data": stats.no_data,
            "skip_data": stats.skip_data,
            "incomplete": stats.incomplete,
            "bad_lines": stats.bad_lines,
            "first": t.first,
            "last": t.last,
        },
        "rules": rules,
        "unused": unused,
        "unobserved_groups": report.unobserved_groups.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "contradictions": contradictions,
        "suggestions": report.suggestions.iter().map(suggestion_json).collect::<Vec<_>>(),
    })
}

/// The human report.
pub(super) fn table(snapshot: &Snapshot, report: &FlowReport, stats: &ReadStats) -> String {
    let t = &report.totals;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} records in {} files: {} allowed, {} replies, {} rejected; {} accepted without a rule, {} rejected although allowed; {} on unknown interfaces",
        t.records,
        stats.files,
        t.allowed,
        t.replies,
        t.rejected,
        t.accepted_without_rule,
        t.rejected_but_allowed,
        t.unknown_interface
    );
    if stats.no_data + stats.skip_data + stats.incomplete + stats.bad_lines > 0 {
        let _ = writeln!(
            out,
            "skipped: {} NODATA, {} SKIPDATA, {} incomplete, {} not records",
            stats.no_data, stats.skip_data, stats.incomplete, stats.bad_lines
        );
    }
    let _ = writeln!(out, "\nRules used ({}):", report.used.len());
    for u in &report.used {
        let name = snapshot
            .groups
            .get(&u.group_id)
            .map_or("", |g| g.name.as_str());
        let ports: Vec<String> = u
            .ports
            .iter()
            .map(|&(p, port)| format!("{}/{port}", protocol_name(p)))
            .collect();
        let _ = writeln!(
            out,
            "  {} {} ({name}) {}: {} flows, {} records, {} packets, {} bytes, {} peers{}, ports {}{}",
            u.group_id,
            u.rule.id,
            rule_text(&u.rule),
            u.flows,
            u.records,
            u.packets,
            u.bytes,
            u.peers.len(),
            if u.peers_truncated { "+" } else { "" },
            ports.join(","),
            if u.ports_truncated { ",…" } else { "" },
        );
    }
    let _ = writeln!(
        out,
        "\nRules unused over the logs ({}):",
        report.unused.len()
    );
    for (g, r) in &report.unused {
        let _ = writeln!(out, "  {g} {} {}", r.id, rule_text(r));
    }
    if !report.unobserved_groups.is_empty() {
        let list: Vec<String> = report
            .unobserved_groups
            .iter()
            .map(ToString::to_string)
            .collect();
        let _ = writeln!(
            out,
            "\nGroups with no logged interface (not judged): {}",
            list.join(", ")
        );
    }
    if !report.contradictions.is_empty() {
        let _ = writeln!(out, "\nRecords that contradict the groups:");
        for c in report.contradictions.iter().take(20) {
            let _ = writeln!(
                out,
                "  {} {} {} {} {}:{} -> {}:{}",
                c.kind.as_str(),
                c.interface,
                c.direction,
                protocol_name(c.protocol),
                c.src,
                c.src_port,
                c.dst,
                c.dst_port
            );
        }
    }
    if !report.suggestions.is_empty() {
        let _ = writeln!(out, "\nNarrower rules that carry the same flows:");
        for s in &report.suggestions {
            let v = suggestion_json(s);
            let _ = writeln!(
                out,
                "  {} {} {}: {}",
                s.group_id,
                s.rule.id,
                rule_text(&s.rule),
                s.reason
            );
            let _ = writeln!(out, "    authorize: {}", v["authorize"]);
            let _ = writeln!(out, "    revoke:    {}", v["revoke"]);
        }
    }
    out
}

/// SARIF 2.1.0: unused rules and suggestions as notes, contradictions as warnings.
pub(super) fn sarif(report: &FlowReport) -> Value {
    let descriptors = [
        ("flows-unused-rule", "A rule no logged flow used", "note"),
        (
            "flows-narrower-rule",
            "A narrower rule carries the same flows",
            "note",
        ),
        (
            "flows-accepted-without-rule",
            "An accepted record no rule allows",
            "warning",
        ),
        (
            "flows-rejected-but-allowed",
            "A rejected record the groups allow",
            "warning",
        ),
    ];
    let rules: Vec<Value> = descriptors
        .iter()
        .map(|(id, text, level)| {
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": text },
                "defaultConfiguration": { "level": level },
            })
        })
        .collect();
    let result = |idx: usize, message: String, name: String| {
        json!({
            "ruleId": descriptors[idx].0,
            "ruleIndex": idx,
            "level": descriptors[idx].2,
            "message": { "text": message },
            "locations": [{ "logicalLocations": [{ "name": name, "fullyQualifiedName": name }] }],
        })
    };
    let mut results = Vec::new();
    for (g, r) in &report.unused {
        results.push(result(
            0,
            format!("{} {} is unused over the logs", r.id, rule_text(r)),
            format!("{g}/{}", r.id),
        ));
    }
    for s in &report.suggestions {
        results.push(result(
            1,
            format!("{} {}: {}", s.rule.id, rule_text(&s.rule), s.reason),
            format!("{}/{}", s.group_id, s.rule.id),
        ));
    }
    for c in &report.contradictions {
        let idx = match c.kind {
            palisade_analysis::flows::ContradictionKind::AcceptedWithoutRule => 2,
            palisade_analysis::flows::ContradictionKind::RejectedButAllowed => 3,
        };
        results.push(result(
            idx,
            format!(
                "{} {} {}:{} -> {}:{} ({})",
                c.direction,
                protocol_name(c.protocol),
                c.src,
                c.src_port,
                c.dst,
                c.dst_port,
                c.kind.as_str()
            ),
            c.interface.to_string(),
        ));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "palisade",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/palisade/palisade",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// One `--records` line.
pub(super) fn record_line(
    path: &Path,
    o: &Observation<'_>,
    outcome: Outcome,
    attributor: &Attributor<'_>,
) -> String {
    let rules: Vec<String> = attributor
        .last_rules()
        .map(|m| m.rule_id.to_string())
        .collect();
    let inferred = matches!(outcome, Outcome::Reply { inferred: true });
    json!({
        "file": path.display().to_string(),
        "interface": o.interface,
        "src": o.src.to_string(),
        "src_port": o.src_port,
        "dst": o.dst.to_string(),
        "dst_port": o.dst_port,
        "protocol": protocol_name(o.protocol),
        "action": if o.accepted { "ACCEPT" } else { "REJECT" },
        "outcome": outcome_name(outcome),
        "reply_inferred": inferred,
        "rules": rules,
    })
    .to_string()
}
