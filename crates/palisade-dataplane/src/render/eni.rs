//! The chains every local interface gets whatever its groups: the platform allow-list
//! (traffic EC2 never filters) and the per-interface chains (link-level traffic,
//! anti-spoofing, accept by state, then one `jump` per security group, then `drop`).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use palisade_model::{Direction, Eni, Snapshot};

use super::{sg_chain_name, strings, untracked};

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

/// What an instance sends through this interface.
pub(super) fn eni_out(snapshot: &Snapshot, eni: &Eni) -> Vec<String> {
    let mut lines = vec![
        // DHCP before the instance has an address (RFC 2131 §4.1: source 0.0.0.0).
        "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept".to_owned(),
        // Neighbour discovery (RFC 4861 §7.1.1: hop limit 255, never forwarded) and MLD
        // reports: IPv6 does not work without them.
        "ip6 hoplimit 255 icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept"
            .to_owned(),
        "ip6 daddr ff02::/16 icmpv6 type { mld-listener-report, mld2-listener-report } accept".to_owned(),
    ];
    // Anti-spoofing: an interface sends only from its own private addresses (IPv6 also from
    // its link-local address).
    let v4: Vec<String> = strings(&eni.private_ipv4);
    match v4.is_empty() {
        true => lines.push("meta nfproto ipv4 drop".to_owned()),
        false => lines.push(format!("ip saddr != {} drop", addr_list(&v4))),
    }
    let mut v6: Vec<String> = vec!["fe80::/10".to_owned()];
    v6.extend(strings(&eni.ipv6));
    lines.push(format!("ip6 saddr != {{ {} }} drop", v6.join(", ")));
    lines.extend(stateful_and_groups(
        snapshot,
        eni,
        "platform_out",
        Direction::Egress,
    ));
    lines
}

/// What this interface receives.
pub(super) fn eni_in(snapshot: &Snapshot, eni: &Eni) -> Vec<String> {
    stateful_and_groups(snapshot, eni, "platform_in", Direction::Ingress)
}

fn stateful_and_groups(
    snapshot: &Snapshot,
    eni: &Eni,
    platform: &str,
    dir: Direction,
) -> Vec<String> {
    // Accept by state, unless the flow is untracked at this end (`untracked`). Always
    // rendered this way, also with no untracked flow in sight: entries marked under an older
    // ruleset keep their meaning after the last untracked rule goes.
    let mut lines = untracked::stateful_lines(dir);
    lines.extend([
        "ct state invalid drop".to_owned(),
        format!("jump {platform}"),
        // Packets the groups judge (new and untracked flows), and below those they drop:
        // the per-interface counters `palisade lab why` reads.
        "counter".to_owned(),
    ]);
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
