//! One security group → its two chains (ingress, egress) and the sets only it uses. Every
//! line ends in `accept` (rules only allow); a packet that matches none returns to the
//! interface chain. What the output depends on besides the group is recorded in [`Deps`], so
//! the renderer's cache knows when it is still valid.
//!
//! - CIDR peers with TCP or UDP ports are elements `cidr . ports` of one concatenated
//!   interval set per group, direction, protocol and family (`sg_<id>_in_tcp_v4`), matched by
//!   one line (`ip saddr . tcp dport @sg_<id>_in_tcp_v4 accept`): nft loads a set element
//!   much faster than a rule, and a lookup costs the same for 1 or 10,000 elements. Elements
//!   are made disjoint (interval sets refuse overlaps).
//! - Other CIDR peers are grouped by traffic into one anonymous set per line
//!   (`ip saddr { 10.0.0.0/8, 192.0.2.0/24 } icmp type 8 accept`); `/0` becomes
//!   `meta nfproto ipv4|ipv6`.
//! - A prefix list is a named interval set `pl_<id>_v4|_v6`.
//! - A group reference is a named set of the referenced members' private addresses
//!   (`grp_<id>_v4|_v6`), so a membership change is a set element change, not a rule change.
//!   Its TCP and UDP rules share one line per set and protocol (`tcp dport { 22, 80 }`).
//! - Protocol `-1` matches no protocol; a number becomes `meta l4proto N`; ICMP type/code
//!   become `icmp type T icmp code C` (`-1` leaves the field out).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use ipnet::IpNet;
use palisade_model::{
    AddressFamily, Direction, GroupId, GroupRef, Peer, PortRange, PrefixListId, SecurityGroup,
    Snapshot, Traffic, VpcId,
};

use super::untracked::{self, Everywhere, L4};
use super::{ident, sg_chain_name};
use crate::ruleset::Object;

/// A group's rendered pieces.
#[derive(Debug)]
pub(super) struct GroupOut {
    /// The ingress and egress chains.
    pub(super) chains: [Arc<Object>; 2],
    /// The concatenated CIDR sets of this group.
    pub(super) sets: Vec<Arc<Object>>,
    /// Member sets the chains match; their elements are computed per render.
    pub(super) member_refs: Vec<MemberRef>,
    /// Prefix-list sets the chains match: name and list.
    pub(super) prefix_refs: Vec<(String, PrefixListId)>,
    pub(super) warnings: Vec<String>,
    pub(super) n_rules: usize,
    pub(super) everywhere: Everywhere,
}

/// One member set a group's chain matches.
#[derive(Debug, Clone)]
pub(super) struct MemberRef {
    pub(super) name: String,
    pub(super) from_vpc: VpcId,
    pub(super) gref: GroupRef,
    pub(super) fam: AddressFamily,
}

/// What a group's rendering read of the snapshot besides the group itself: the VPC of each
/// referenced group (it names the member set) and the family of each prefix list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Deps {
    groups: Vec<(GroupId, Option<VpcId>)>,
    lists: Vec<(PrefixListId, Option<AddressFamily>)>,
}

impl Deps {
    pub(super) fn of(snapshot: &Snapshot, group: &SecurityGroup) -> Self {
        let mut groups = Vec::new();
        let mut lists = Vec::new();
        for rule in group.rules() {
            match rule.peer() {
                Peer::Group(gref) => groups.push((
                    gref.group_id.clone(),
                    snapshot
                        .groups
                        .get(&gref.group_id)
                        .map(|g| g.vpc_id.clone()),
                )),
                Peer::PrefixList(id) => {
                    lists.push((id.clone(), snapshot.prefix_lists.get(id).map(|l| l.family)))
                }
                Peer::Ipv4(_) | Peer::Ipv6(_) => {}
            }
        }
        Self { groups, lists }
    }

    /// Whether the snapshot still has what these deps recorded (for the same group, so the
    /// same references): checked in place, without building a new `Deps`.
    pub(super) fn hold(&self, snapshot: &Snapshot) -> bool {
        let groups = self
            .groups
            .iter()
            .all(|(id, vpc)| snapshot.groups.get(id).map(|g| &g.vpc_id) == vpc.as_ref());
        groups
            && self
                .lists
                .iter()
                .all(|(id, fam)| snapshot.prefix_lists.get(id).map(|l| l.family) == *fam)
    }
}

/// Renders both directions of `group`; with `unforwarded`, its ingress references match
/// only packets their sender's interface did not forward for others (`eni::FORWARDED`).
pub(super) fn render_group(
    snapshot: &Snapshot,
    group: &SecurityGroup,
    unforwarded: bool,
) -> GroupOut {
    let mut out = GroupOut {
        chains: [
            Arc::new(Object::chain(String::new(), None, Vec::new())),
            Arc::new(Object::chain(String::new(), None, Vec::new())),
        ],
        sets: Vec::new(),
        member_refs: Vec::new(),
        prefix_refs: Vec::new(),
        warnings: Vec::new(),
        n_rules: 0,
        everywhere: untracked::everywhere(group),
    };
    for (idx, dir) in [Direction::Ingress, Direction::Egress]
        .into_iter()
        .enumerate()
    {
        let guard = match (unforwarded, dir) {
            (true, Direction::Ingress) => {
                format!("meta mark & {:#010x} == 0x00000000 ", super::eni::FORWARDED)
            }
            _ => String::new(),
        };
        let lines = chain_lines(snapshot, &mut out, group, dir, &guard);
        out.chains[idx] = Arc::new(Object::chain(sg_chain_name(&group.id, dir), None, lines));
    }
    out
}

/// A line matching a named set, merged with others of the same set and protocol.
enum Named {
    Ports {
        fam: AddressFamily,
        set: String,
        l4: L4,
        ranges: Vec<PortRange>,
        /// What a member set's line matches first (`reference_guard`); empty otherwise.
        guard: String,
    },
    Other(String),
}

/// `reference_guard`: the start of every line that matches a member set (a group
/// reference), empty unless forwarded packets must not match references.
fn chain_lines(
    snapshot: &Snapshot,
    out: &mut GroupOut,
    group: &SecurityGroup,
    dir: Direction,
    reference_guard: &str,
) -> Vec<String> {
    let mut concat: BTreeMap<(AddressFamily, L4), BTreeMap<IpNet, Vec<PortRange>>> =
        BTreeMap::new();
    let mut cidrs: BTreeMap<(AddressFamily, Traffic), Vec<IpNet>> = BTreeMap::new();
    let mut named: Vec<Named> = Vec::new();
    let mut named_ports: HashMap<(AddressFamily, String, L4), usize> = HashMap::new();
    let mut named_other: HashSet<String> = HashSet::new();
    let mut push_named = |fam: AddressFamily, set: &str, traffic: Traffic, guard: &str| {
        if let Some(l4) = ported(traffic) {
            let key = (fam, set.to_owned(), l4);
            if let Some(&idx) = named_ports.get(&key) {
                if let Named::Ports { ranges, .. } = &mut named[idx] {
                    ranges.extend(l4.ports(traffic));
                }
                return;
            }
            named_ports.insert(key, named.len());
            named.push(Named::Ports {
                fam,
                set: set.to_owned(),
                l4,
                ranges: l4.ports(traffic).into_iter().collect(),
                guard: guard.to_owned(),
            });
            return;
        }
        if let Some(line) = line(fam, dir, &Addr::Set(set), traffic)
            && named_other.insert(line.clone())
        {
            named.push(Named::Other(format!("{guard}{line}")));
        }
    };
    for rule in group.rules_in(dir) {
        out.n_rules += 1;
        let traffic = rule.traffic();
        match rule.peer() {
            Peer::Ipv4(net) => add_cidr(&mut concat, &mut cidrs, IpNet::V4(*net), traffic),
            Peer::Ipv6(net) => add_cidr(&mut concat, &mut cidrs, IpNet::V6(*net), traffic),
            Peer::PrefixList(id) => {
                let Some(list) = snapshot.prefix_lists.get(id) else {
                    out.warnings.push(format!(
                        "security group {} rule {} references prefix list {id}, which is not in the snapshot: it matches nothing",
                        group.id, rule.id
                    ));
                    continue;
                };
                let name = format!("pl_{}_{}", hex(id.as_str()), fam_suffix(list.family));
                out.prefix_refs.push((name.clone(), id.clone()));
                push_named(list.family, &name, traffic, "");
            }
            Peer::Group(gref) => {
                for fam in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
                    if traffic_match(traffic, fam).is_none() {
                        continue;
                    }
                    let name = member_set_name(snapshot, group, gref, fam);
                    out.member_refs.push(MemberRef {
                        name: name.clone(),
                        from_vpc: group.vpc_id.clone(),
                        gref: gref.clone(),
                        fam,
                    });
                    push_named(fam, &name, traffic, reference_guard);
                }
            }
        }
    }
    let mut lines = Vec::new();
    for ((fam, l4), by_net) in concat {
        let name = format!(
            "{}_{}_{}",
            sg_chain_name(&group.id, dir),
            l4.name(),
            fam_suffix(fam)
        );
        let (ty, key) = match fam {
            AddressFamily::Ipv4 => ("ipv4_addr . inet_service", "ip"),
            AddressFamily::Ipv6 => ("ipv6_addr . inet_service", "ip6"),
        };
        let addr = match dir {
            Direction::Ingress => "saddr",
            Direction::Egress => "daddr",
        };
        lines.push(format!("{key} {addr} . {} dport @{name} accept", l4.name()));
        out.sets.push(Arc::new(Object::set(
            name,
            ty,
            true,
            disjoint_elements(by_net),
        )));
    }
    for ((fam, traffic), nets) in cidrs {
        let nets = merge_cidrs(nets);
        lines.extend(line(fam, dir, &Addr::Cidrs(&nets), traffic));
    }
    for n in named {
        match n {
            Named::Ports {
                fam,
                set,
                l4,
                ranges,
                guard,
            } => {
                let ranges = untracked::merge_ports(ranges);
                let ports: Vec<String> = ranges.iter().map(ToString::to_string).collect();
                let ports = match ports.as_slice() {
                    [one] => one.clone(),
                    many => format!("{{ {} }}", many.join(", ")),
                };
                let key = addr_key(fam, dir);
                lines.push(format!(
                    "{guard}{key} @{set} {} dport {ports} accept",
                    l4.name()
                ));
            }
            Named::Other(line) => lines.push(line),
        }
    }
    lines
}

/// TCP or UDP traffic on some, not all, ports: what the concatenated sets and merged port
/// lines hold. All ports stay `meta l4proto tcp`, which also matches packets without ports.
fn ported(traffic: Traffic) -> Option<L4> {
    match traffic {
        Traffic::Tcp(r) if r != PortRange::ALL => Some(L4::Tcp),
        Traffic::Udp(r) if r != PortRange::ALL => Some(L4::Udp),
        _ => None,
    }
}

fn add_cidr(
    concat: &mut BTreeMap<(AddressFamily, L4), BTreeMap<IpNet, Vec<PortRange>>>,
    cidrs: &mut BTreeMap<(AddressFamily, Traffic), Vec<IpNet>>,
    net: IpNet,
    traffic: Traffic,
) {
    let fam = family_of(&net);
    match ported(traffic) {
        Some(l4) => concat
            .entry((fam, l4))
            .or_default()
            .entry(net.trunc())
            .or_default()
            .extend(l4.ports(traffic)),
        None => cidrs.entry((fam, traffic)).or_default().push(net),
    }
}

/// `cidr . ports` elements covering exactly the union of `cidr × ports`, pairwise disjoint:
/// a CIDR keeps only the ports none of the CIDRs containing it has (CIDRs nest or are
/// disjoint, so sorted order visits a CIDR's ancestors before it).
fn disjoint_elements(by_net: BTreeMap<IpNet, Vec<PortRange>>) -> Vec<String> {
    let mut elems = Vec::new();
    // Ancestors of the current CIDR, each with the union of its own and its ancestors' ports.
    let mut stack: Vec<(IpNet, Vec<PortRange>)> = Vec::new();
    for (net, ports) in by_net {
        while stack.last().is_some_and(|(top, _)| !top.contains(&net)) {
            stack.pop();
        }
        let ports = untracked::merge_ports(ports);
        let covered: &[PortRange] = stack.last().map_or(&[], |(_, c)| c.as_slice());
        for r in subtract(&ports, covered) {
            elems.push(format!("{net} . {r}"));
        }
        let mut cumulative = covered.to_vec();
        cumulative.extend(ports);
        stack.push((net, untracked::merge_ports(cumulative)));
    }
    elems
}

/// `ranges` minus `covered`; both sorted and disjoint.
fn subtract(ranges: &[PortRange], covered: &[PortRange]) -> Vec<PortRange> {
    let mut res = Vec::new();
    for r in ranges {
        let (mut from, to) = (u32::from(r.from()), u32::from(r.to()));
        for c in covered {
            let (cf, ct) = (u32::from(c.from()), u32::from(c.to()));
            if ct < from || cf > to {
                continue;
            }
            if cf > from {
                res.extend(port_range(from, cf - 1));
            }
            from = ct + 1;
        }
        if from <= to {
            res.extend(port_range(from, to));
        }
    }
    res
}

fn port_range(from: u32, to: u32) -> Option<PortRange> {
    PortRange::new(u16::try_from(from).ok()?, u16::try_from(to).ok()?).ok()
}

/// `grp_<id>_v4`; when the referencing group sits in another VPC than the referenced one (a
/// peered reference), the members differ by referencing VPC, so the name carries it.
fn member_set_name(
    snapshot: &Snapshot,
    group: &SecurityGroup,
    gref: &GroupRef,
    fam: AddressFamily,
) -> String {
    let own_vpc = snapshot.groups.get(&gref.group_id).map(|g| &g.vpc_id);
    let mut name = format!("grp_{}", hex(gref.group_id.as_str()));
    if own_vpc.is_some_and(|v| v != &group.vpc_id) || gref.peering_id.is_some() {
        name.push_str(&format!("_from_{}", hex(group.vpc_id.as_str())));
    }
    if let Some(pcx) = &gref.peering_id {
        name.push_str(&format!("_via_{}", hex(pcx.as_str())));
    }
    format!("{name}_{}", fam_suffix(fam))
}

/// Which addresses a line matches.
enum Addr<'a> {
    Cidrs(&'a [IpNet]),
    Set(&'a str),
}

fn addr_key(fam: AddressFamily, dir: Direction) -> &'static str {
    match (fam, dir) {
        (AddressFamily::Ipv4, Direction::Ingress) => "ip saddr",
        (AddressFamily::Ipv4, Direction::Egress) => "ip daddr",
        (AddressFamily::Ipv6, Direction::Ingress) => "ip6 saddr",
        (AddressFamily::Ipv6, Direction::Egress) => "ip6 daddr",
    }
}

fn line(fam: AddressFamily, dir: Direction, addr: &Addr<'_>, traffic: Traffic) -> Option<String> {
    let traffic = traffic_match(traffic, fam)?;
    let key = addr_key(fam, dir);
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

pub(super) fn family_of(net: &IpNet) -> AddressFamily {
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
pub(super) fn hex(id: &str) -> String {
    let ident = ident(id);
    match ident.split_once('_') {
        Some((_, rest)) => rest.to_owned(),
        None => ident,
    }
}
