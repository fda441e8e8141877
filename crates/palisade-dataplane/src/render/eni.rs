//! The chains every local interface gets whatever its groups: the platform allow-list
//! (traffic EC2 never filters), the chains all interfaces share (`link_out`, `track_in`,
//! `track_out`, the `src_v6` set) and the per-interface chains (link-level traffic,
//! anti-spoofing, accept by state, then one `jump` per security group, then `drop`).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use palisade_model::{Direction, Eni, Snapshot};

use super::{sg_chain_name, strings, untracked};
use crate::interface::LocalInterface;

/// The Amazon DNS server of each VPC with a local interface: "the base of the VPC IPv4
/// network range plus two", in the primary CIDR block (VPC UG "Amazon DNS server").
pub(super) fn resolvers(snapshot: &Snapshot, enis: &[&Eni]) -> Vec<Ipv4Addr> {
    let mut res = BTreeSet::new();
    for eni in enis {
        let Some(vpc) = snapshot.vpcs.get(&eni.vpc_id) else {
            continue;
        };
        let Some(primary) = vpc.cidrs_v4.first() else {
            continue;
        };
        let base = u32::from(primary.network());
        res.insert(Ipv4Addr::from(base.wrapping_add(2)));
    }
    res.into_iter().collect()
}

/// Traffic EC2 never filters, sent by an instance ("Internetwork traffic privacy in Amazon
/// VPC": Amazon DNS, DHCP, instance metadata, ECS task metadata, Windows licence activation,
/// Amazon Time Sync — all on link-local 169.254.0.0/16 or fd00:ec2::/32 on Nitro — and the
/// VPC resolver at base+2; IPv6 link-local for neighbour discovery and DHCPv6).
pub(super) fn platform_out(resolvers: &[Ipv4Addr]) -> Vec<String> {
    let mut lines = vec![
        "ip daddr 169.254.0.0/16 accept".to_owned(),
        "ip6 daddr { fd00:ec2::123, fd00:ec2::253, fd00:ec2::254 } accept".to_owned(),
        "ip6 daddr fe80::/10 accept".to_owned(),
        "ip6 daddr ff02::1:2 udp sport 546 udp dport 547 accept".to_owned(),
    ];
    if !resolvers.is_empty() {
        lines.push(format!(
            "ip daddr {} meta l4proto {{ tcp, udp }} th dport 53 accept",
            addr_list(&strings(resolvers))
        ));
    }
    lines
}

/// The same services talking to an instance (replies normally pass as established flows).
pub(super) fn platform_in(resolvers: &[Ipv4Addr]) -> Vec<String> {
    let mut lines = vec![
        "ip saddr 169.254.0.0/16 accept".to_owned(),
        "ip6 saddr { fd00:ec2::123, fd00:ec2::253, fd00:ec2::254 } accept".to_owned(),
        "ip6 saddr fe80::/10 accept".to_owned(),
    ];
    if !resolvers.is_empty() {
        lines.push(format!(
            "ip saddr {} meta l4proto {{ tcp, udp }} th sport 53 accept",
            addr_list(&strings(resolvers))
        ));
    }
    lines
}

fn addr_list(items: &[String]) -> String {
    match items {
        [one] => one.clone(),
        many => format!("{{ {} }}", many.join(", ")),
    }
}

/// Traffic every interface may send before any rule: the first jump of every `eni_…_out`
/// chain. Shared, so each interface costs one rule for it, not three.
pub(super) fn link_out() -> Vec<String> {
    vec![
        // DHCP before the instance has an address (RFC 2131 §4.1: source 0.0.0.0).
        "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept".to_owned(),
        // Neighbour discovery (RFC 4861 §7.1.1: hop limit 255, never forwarded) and MLD
        // reports: IPv6 does not work without them.
        "ip6 hoplimit 255 icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept"
            .to_owned(),
        "ip6 daddr ff02::/16 icmpv6 type { mld-listener-report, mld2-listener-report } accept".to_owned(),
    ]
}

/// The chain every interface chain of `dir` jumps to before its groups: accept by state,
/// unless the flow is untracked at this end (`untracked`), drop invalid packets, then the
/// platform allow-list. Always rendered this way, also with no untracked flow in sight:
/// entries marked under an older ruleset keep their meaning after the last untracked rule
/// goes. Its `accept` and `drop` end the base chain as they would inline.
pub(super) fn track(dir: Direction) -> Vec<String> {
    let platform = match dir {
        Direction::Ingress => "platform_in",
        Direction::Egress => "platform_out",
    };
    let mut lines = untracked::stateful_lines(dir);
    lines.push("ct state invalid drop".to_owned());
    lines.push(format!("jump {platform}"));
    lines
}

/// The elements of `src_v6` (`ifname . ipv6_addr`): the IPv6 sources each interface may
/// send from, its link-local range and its own addresses. One set for every interface,
/// instead of an anonymous set in each chain (each of which the kernel loads as a set).
pub(super) fn sources_v6(interfaces: &[(&LocalInterface, &Eni)]) -> Vec<String> {
    let mut elems = Vec::new();
    for (iface, eni) in interfaces {
        let name = iface.ifname();
        elems.push(format!("\"{name}\" . fe80::/10"));
        for addr in &eni.ipv6 {
            elems.push(format!("\"{name}\" . {addr}"));
        }
    }
    elems
}

/// `meta mark` bit of a packet an interface sent from an address not its own: traffic an
/// instance with its source/destination check off forwards for others. Group references
/// match only packets without it: "the security group reference … does not allow traffic"
/// routed through a middlebox appliance (EC2 UG "Security group rules for different use
/// cases"); a reference matches what the member's own interface sends.
pub(super) const FORWARDED: u32 = 0x0001_0000;

/// What an instance sends through this interface.
pub(super) fn eni_out(snapshot: &Snapshot, eni: &Eni, forwards: bool) -> Vec<String> {
    let mut lines = vec!["jump link_out".to_owned()];
    // Anti-spoofing: an interface sends only from its own private addresses (IPv6 also from
    // its link-local address: `src_v6`); with its source/destination check off, other
    // sources pass, marked as forwarded.
    let spoofed = match forwards {
        false => "drop".to_owned(),
        true => format!("meta mark set meta mark | {FORWARDED:#010x}"),
    };
    let v4: Vec<String> = strings(&eni.private_ipv4);
    match v4.is_empty() {
        true => lines.push(format!("meta nfproto ipv4 {spoofed}")),
        false => lines.push(format!("ip saddr != {} {spoofed}", addr_list(&v4))),
    }
    lines.push(format!("iifname . ip6 saddr != @src_v6 {spoofed}"));
    lines.extend(track_and_groups(snapshot, eni, Direction::Egress));
    lines
}

/// What this interface receives.
pub(super) fn eni_in(snapshot: &Snapshot, eni: &Eni) -> Vec<String> {
    track_and_groups(snapshot, eni, Direction::Ingress)
}

fn track_and_groups(snapshot: &Snapshot, eni: &Eni, dir: Direction) -> Vec<String> {
    let track = match dir {
        Direction::Ingress => "track_in",
        Direction::Egress => "track_out",
    };
    let mut lines = vec![
        format!("jump {track}"),
        // Packets the groups judge (new and untracked flows), and below those they drop:
        // the per-interface counters `palisade lab why` reads.
        "counter".to_owned(),
    ];
    for group_id in eni
        .groups
        .iter()
        .filter(|g| snapshot.groups.contains_key(*g))
    {
        lines.push(format!("jump {}", sg_chain_name(group_id, dir)));
    }
    lines.push("counter drop".to_owned());
    lines
}
