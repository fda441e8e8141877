//! One security group, one direction → the lines of its chain. Every line ends in `accept`
//! (rules only allow); a packet that matches none returns to the interface chain.
//!
//! - CIDR peers are grouped by traffic into one interval set per line
//!   (`ip saddr { 10.0.0.0/8, 192.0.2.0/24 } tcp dport 22 accept`); `/0` becomes
//!   `meta nfproto ipv4|ipv6`.
//! - A prefix list is a named interval set `pl_<id>_v4|_v6`.
//! - A group reference is a named set of the referenced members' private addresses
//!   (`grp_<id>_v4|_v6`), so a membership change is a set element change, not a rule change.
//! - Protocol `-1` matches no protocol; a number becomes `meta l4proto N`; ICMP type/code
//!   become `icmp type T icmp code C` (`-1` leaves the field out).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;
use palisade_model::{AddressFamily, Direction, GroupRef, Peer, PortRange, SecurityGroup, Traffic};

use super::{Ctx, ident};

/// Which addresses a line matches.
enum Addr<'a> {
    Cidrs(&'a [IpNet]),
    Set(&'a str),
}

pub(super) fn chain_lines(ctx: &mut Ctx<'_>, group: &SecurityGroup, dir: Direction) -> Vec<String> {
    let snapshot = ctx.snapshot;
    let mut cidrs: BTreeMap<(AddressFamily, Traffic), Vec<IpNet>> = BTreeMap::new();
    let mut named = Vec::new();
    for rule in group.rules_in(dir) {
        ctx.n_rules += 1;
        let traffic = rule.traffic();
        match rule.peer() {
            Peer::Ipv4(net) => {
                cidrs
                    .entry((AddressFamily::Ipv4, traffic))
                    .or_default()
                    .push(IpNet::V4(*net));
            }
            Peer::Ipv6(net) => {
                cidrs
                    .entry((AddressFamily::Ipv6, traffic))
                    .or_default()
                    .push(IpNet::V6(*net));
            }
            Peer::PrefixList(id) => {
                let Some(list) = snapshot.prefix_lists.get(id) else {
                    ctx.warnings.push(format!(
                        "security group {} rule {} references prefix list {id}, which is not in the snapshot: it matches nothing",
                        group.id, rule.id
                    ));
                    continue;
                };
                let name = format!("pl_{}_{}", hex(id.as_str()), fam_suffix(list.family));
                let nets: Vec<IpNet> = list
                    .entries
                    .iter()
                    .map(|e| e.cidr.trunc())
                    .filter(|n| family_of(n) == list.family)
                    .collect();
                ctx.prefix_sets
                    .entry(name.clone())
                    .or_insert_with(|| merge_cidrs(nets));
                named.extend(line(list.family, dir, &Addr::Set(&name), traffic));
            }
            Peer::Group(gref) => {
                for fam in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
                    if traffic_match(traffic, fam).is_none() {
                        continue;
                    }
                    let name = member_set_name(ctx, group, gref, fam);
                    let members: BTreeSet<IpAddr> = snapshot
                        .referenced_members(&group.vpc_id, gref)
                        .flat_map(|eni| eni.private_addrs())
                        .filter(|a| AddressFamily::of(*a) == fam)
                        .collect();
                    ctx.member_sets.entry(name.clone()).or_insert(members);
                    named.extend(line(fam, dir, &Addr::Set(&name), traffic));
                }
            }
        }
    }
    let mut lines = Vec::new();
    for ((fam, traffic), nets) in cidrs {
        let nets = merge_cidrs(nets);
        lines.extend(line(fam, dir, &Addr::Cidrs(&nets), traffic));
    }
    lines.extend(named);
    lines
}

/// `grp_<id>_v4`; when the referencing group sits in another VPC than the referenced one (a
/// peered reference), the members differ by referencing VPC, so the name carries it.
fn member_set_name(
    ctx: &Ctx<'_>,
    group: &SecurityGroup,
    gref: &GroupRef,
    fam: AddressFamily,
) -> String {
    let own_vpc = ctx.snapshot.groups.get(&gref.group_id).map(|g| &g.vpc_id);
    let mut name = format!("grp_{}", hex(gref.group_id.as_str()));
    if own_vpc.is_some_and(|v| v != &group.vpc_id) || gref.peering_id.is_some() {
        name.push_str(&format!("_from_{}", hex(group.vpc_id.as_str())));
    }
    if let Some(pcx) = &gref.peering_id {
        name.push_str(&format!("_via_{}", hex(pcx.as_str())));
    }
    format!("{name}_{}", fam_suffix(fam))
}

fn line(fam: AddressFamily, dir: Direction, addr: &Addr<'_>, traffic: Traffic) -> Option<String> {
    let traffic = traffic_match(traffic, fam)?;
    let key = match (fam, dir) {
        (AddressFamily::Ipv4, Direction::Ingress) => "ip saddr",
        (AddressFamily::Ipv4, Direction::Egress) => "ip daddr",
        (AddressFamily::Ipv6, Direction::Ingress) => "ip6 saddr",
        (AddressFamily::Ipv6, Direction::Egress) => "ip6 daddr",
    };
    let addr = match addr {
        Addr::Cidrs(nets) if nets.iter().any(|n| n.prefix_len() == 0) => match fam {
            AddressFamily::Ipv4 => "meta nfproto ipv4".to_owned(),
            AddressFamily::Ipv6 => "meta nfproto ipv6".to_owned(),
        },
        Addr::Cidrs([one]) => format!("{key} {one}"),
        Addr::Cidrs(many) => {
            let many: Vec<String> = many.iter().map(ToString::to_string).collect();
            format!("{key} {{ {} }}", many.join(", "))
        }
        Addr::Set(name) => format!("{key} @{name}"),
    };
    let parts: Vec<&str> = [addr.as_str(), traffic.as_str(), "accept"]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    Some(parts.join(" "))
}

/// The protocol/port part of a line; `None` when the traffic cannot occur in `fam` (ICMP in
/// IPv6, ICMPv6 in IPv4).
fn traffic_match(traffic: Traffic, fam: AddressFamily) -> Option<String> {
    let ports = |proto: &str, r: PortRange| match r {
        PortRange::ALL => format!("meta l4proto {proto}"),
        r => format!("{proto} dport {r}"),
    };
    let icmp = |proto: &str, l4: &str, m: palisade_model::IcmpMatch| match (m.icmp_type(), m.code())
    {
        (None, _) => format!("meta l4proto {l4}"),
        (Some(t), None) => format!("{proto} type {t}"),
        (Some(t), Some(c)) => format!("{proto} type {t} {proto} code {c}"),
    };
    match (traffic, fam) {
        (Traffic::All, _) => Some(String::new()),
        (Traffic::Tcp(r), _) => Some(ports("tcp", r)),
        (Traffic::Udp(r), _) => Some(ports("udp", r)),
        (Traffic::Icmp(m), AddressFamily::Ipv4) => Some(icmp("icmp", "icmp", m)),
        (Traffic::Icmpv6(m), AddressFamily::Ipv6) => Some(icmp("icmpv6", "ipv6-icmp", m)),
        (Traffic::Icmp(_) | Traffic::Icmpv6(_), _) => None,
        (Traffic::Protocol(n), _) => Some(format!("meta l4proto {n}")),
    }
}

/// Sorted, with every CIDR inside another one removed (CIDRs nest or are disjoint, so the
/// result is disjoint: interval sets refuse overlaps).
pub(super) fn merge_cidrs(mut nets: Vec<IpNet>) -> Vec<IpNet> {
    nets.sort();
    nets.dedup();
    let mut kept: Vec<IpNet> = Vec::with_capacity(nets.len());
    for net in nets {
        if kept.last().is_some_and(|last| last.contains(&net)) {
            continue;
        }
        kept.push(net);
    }
    kept
}

fn family_of(net: &IpNet) -> AddressFamily {
    match net {
        IpNet::V4(_) => AddressFamily::Ipv4,
        IpNet::V6(_) => AddressFamily::Ipv6,
    }
}

pub(super) fn fam_suffix(fam: AddressFamily) -> &'static str {
    match fam {
        AddressFamily::Ipv4 => "v4",
        AddressFamily::Ipv6 => "v6",
    }
}

/// The hex part of an id (`sg-0abc` → `0abc`).
fn hex(id: &str) -> String {
    let ident = ident(id);
    match ident.split_once('_') {
        Some((_, rest)) => rest.to_owned(),
        None => ident,
    }
}
