//! The hygiene checks: default group with rules, unused and launch-wizard groups, rule
//! counts per group and per interface, broad public sources, non-canonical CIDRs, stale
//! references.

use std::collections::BTreeSet;

use ipnet::IpNet;
use palisade_engine::RuleMatch;
use palisade_model::{AddressFamily, Direction, GroupId, Peer, SecurityGroup};

use super::{AuditConfig, CheckId, Finding, Resource};
use crate::exposure::internet_parts;
use crate::index::Index;
use crate::space::AddrSet;

/// Public addresses from which a group's ingress counts as broad: a /8 of IPv4, a /16 of
/// IPv6. Wider than any one provider's published range (Cloudflare's widest IPv4 block is a
/// /13, AWS's a /10), so allow-lists of known providers stay silent (prowler#6780), while
/// Prowler flags every public CIDR from /1 to /23.
const BROAD_V4: u128 = 1 << 24;
const BROAD_V6: u128 = 1 << 112;

pub(super) fn hygiene_checks(index: &Index<'_>, config: &AuditConfig, out: &mut Vec<Finding>) {
    let snap = index.snapshot;
    let mut referenced_by_others: BTreeSet<&GroupId> = BTreeSet::new();
    for g in snap.groups.values() {
        for r in g.rules() {
            if let Peer::Group(gref) = r.peer()
                && gref.group_id != g.id
            {
                referenced_by_others.insert(&gref.group_id);
            }
        }
    }
    let inet = internet_parts(index);
    for g in snap.groups.values() {
        let group_match = |r: &palisade_model::Rule| RuleMatch {
            group_id: g.id.clone(),
            rule_id: r.id.clone(),
        };
        let resource = || Resource::Group(g.id.clone());
        if g.is_default() && !g.rules().is_empty() {
            let message = format!(
                "default group {g_id} of {vpc} has {n} rule(s); it should allow nothing",
                g_id = g.id,
                vpc = g.vpc_id,
                n = g.rules().len()
            );
            let rules = g.rules().iter().map(group_match).collect();
            out.push(Finding::new(
                CheckId::DefaultGroupHasRules,
                resource(),
                message,
                rules,
            ));
        }
        if !g.is_default()
            && index.members(&g.id).is_empty()
            && !referenced_by_others.contains(&g.id)
        {
            let message = format!(
                "{} ({}) is attached to no interface and referenced by no other group",
                g.id, g.name
            );
            out.push(Finding::new(
                CheckId::UnusedGroup,
                resource(),
                message,
                Vec::new(),
            ));
        }
        if g.name.to_ascii_lowercase().contains("launch-wizard") {
            let message = format!("{} ({}) was made by the EC2 launch wizard", g.id, g.name);
            out.push(Finding::new(
                CheckId::LaunchWizardGroup,
                resource(),
                message,
                Vec::new(),
            ));
        }
        for direction in [Direction::Ingress, Direction::Egress] {
            let n = index.group_rules(&g.id, direction).len();
            if n > config.max_rules_per_group as usize {
                let message = format!(
                    "{} has {n} {direction} rules (maximum {})",
                    g.id, config.max_rules_per_group
                );
                out.push(Finding::new(
                    CheckId::GroupTooManyRules,
                    resource(),
                    message,
                    Vec::new(),
                ));
            }
        }
        broad(index, &inet, g, out);
        for r in g.rules() {
            if let Some(why) = stale(index, g, r.peer()) {
                let message = format!("{} rule {} ({}): {why}", g.id, r.id, r.spec);
                out.push(Finding::new(
                    CheckId::StaleReference,
                    resource(),
                    message,
                    vec![group_match(r)],
                ));
            }
        }
    }
    for raw in &config.raw_cidrs {
        let Ok(net) = raw.text.trim().parse::<IpNet>() else {
            continue;
        };
        if net.trunc() != net {
            let rules = raw
                .rule_id
                .iter()
                .map(|id| RuleMatch {
                    group_id: raw.group_id.clone(),
                    rule_id: id.clone(),
                })
                .collect();
            let message = format!(
                "{} {} rule written as {} is stored by EC2 as {}: the whole /{} is allowed, not one host",
                raw.group_id,
                raw.direction,
                raw.text.trim(),
                net.trunc(),
                net.prefix_len()
            );
            out.push(Finding::new(
                CheckId::NonCanonicalCidr,
                Resource::Group(raw.group_id.clone()),
                message,
                rules,
            ));
        }
    }
    if config.enabled(CheckId::InterfaceTooManyRules) {
        too_many_rules(index, config.max_rules_per_interface, out);
    }
}

/// Ingress from public addresses short of the whole internet (any amount: Prowler's
/// any-port-from-ip), and broad public sources, counted over the group's ingress rules together (CIDRs, prefix
/// lists and references alike; the public part only). Rules open to the whole internet of a
/// family are left to the exposure checks; egress is never exposure (prowler#4936).
fn broad(index: &Index<'_>, inet: &[AddrSet], g: &SecurityGroup, out: &mut Vec<Finding>) {
    for (family, threshold, name) in [
        (AddressFamily::Ipv4, BROAD_V4, "IPv4"),
        (AddressFamily::Ipv6, BROAD_V6, "IPv6"),
    ] {
        let everything = index.internet.family(family);
        let mut sources = AddrSet::empty();
        let mut rules = Vec::new();
        for &r in index.group_rules(&g.id, Direction::Ingress) {
            let part = inet[r].family(family);
            if part.is_empty() || part.covers(&everything) {
                continue;
            }
            sources.union_in_place(&part);
            rules.push(index.rules[r].rule_match());
        }
        // Rules that add up to the whole internet are the exposure checks' business.
        if sources.is_empty() || sources.covers(&everything) {
            continue;
        }
        rules.sort();
        let message = format!(
            "{} admits ingress from public {name} addresses {}",
            g.id,
            sources.describe(4)
        );
        out.push(Finding::new(
            CheckId::PublicSourceIngress,
            Resource::Group(g.id.clone()),
            message,
            rules.clone(),
        ));
        let count = match family {
            AddressFamily::Ipv4 => sources.v4.count(),
            AddressFamily::Ipv6 => sources.v6.count(),
        };
        if count < threshold {
            continue;
        }
        let message = format!(
            "{} admits {count} public {name} addresses ({}) through {} rule(s)",
            g.id,
            sources.describe(4),
            rules.len()
        );
        out.push(Finding::new(
            CheckId::BroadCidr,
            Resource::Group(g.id.clone()),
            message,
            rules,
        ));
    }
}

fn stale(index: &Index<'_>, g: &SecurityGroup, peer: &Peer) -> Option<String> {
    let snap = index.snapshot;
    match peer {
        Peer::PrefixList(pl) if !snap.prefix_lists.contains_key(pl) => {
            Some(format!("prefix list {pl} does not exist"))
        }
        Peer::Group(gref) => {
            if let Some(pid) = &gref.peering_id {
                match snap.peerings.get(pid) {
                    None => return Some(format!("peering {pid} does not exist")),
                    Some(p) if !p.joins(&p.requester_vpc, &p.accepter_vpc) => {
                        return Some(format!("peering {pid} is {}", p.status.aws_name()));
                    }
                    Some(_) => {}
                }
            }
            let foreign = gref.owner.as_ref().is_some_and(|o| o != &g.owner);
            match snap.groups.get(&gref.group_id) {
                None if foreign => None,
                None => Some(format!("group {} does not exist (deleted?)", gref.group_id)),
                Some(target)
                    if target.vpc_id != g.vpc_id
                        && !snap.peered(&g.vpc_id, &target.vpc_id, gref.peering_id.as_ref()) =>
                {
                    Some(format!(
                        "group {} is in {} with no active peering to {}",
                        target.id, target.vpc_id, g.vpc_id
                    ))
                }
                Some(_) => None,
            }
        }
        _ => None,
    }
}

fn too_many_rules(index: &Index<'_>, max: u32, out: &mut Vec<Finding>) {
    let weight = |r: usize| -> u64 {
        match index.rules[r].rule.peer() {
            Peer::PrefixList(pl) => index
                .snapshot
                .prefix_lists
                .get(pl)
                .map_or(1, |p| u64::from(p.max_entries)),
            _ => 1,
        }
    };
    for class in &index.classes {
        for direction in [Direction::Ingress, Direction::Egress] {
            let total: u64 = index
                .class_rules(class, direction)
                .into_iter()
                .map(weight)
                .sum();
            if total <= u64::from(max) {
                continue;
            }
            for eni in &class.enis {
                let message = format!(
                    "{} carries {total} {direction} rules across {} group(s) (maximum {max})",
                    eni.id,
                    class.groups.len()
                );
                out.push(Finding::new(
                    CheckId::InterfaceTooManyRules,
                    Resource::Interface(eni.id.clone()),
                    message,
                    Vec::new(),
                ));
            }
        }
    }
}
