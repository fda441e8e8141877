//! proptest strategies: small snapshots dense in collisions (few VPCs, a tiny address
//! universe, overlapping CIDRs of every length, group references that resolve or not,
//! dangling groups and prefix lists, peerings active and not) and packets aimed at them.
//!
//! Snapshots are built from index-based specs, so proptest shrinks them meaningfully: fewer
//! groups, fewer rules, smaller indices. They need not pass `Snapshot::check`: the engine
//! must agree with the reference on inconsistent input too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use palisade_engine::{Packet, Payload};
use palisade_model::{
    AddressFamily, ConntrackConfig, Direction, Eni, GroupRef, IcmpMatch, Peer, Peering,
    PeeringStatus, PortRange, PrefixList, PrefixListEntry, Rule, RuleSpec, SecurityGroup, Snapshot,
    Traffic,
};
use proptest::prelude::*;
use proptest::sample::select;

use crate::ids;

const N_VPCS: u64 = 3;

/// A snapshot and packets to decide on it.
pub fn snapshot_and_packets(max_packets: usize) -> impl Strategy<Value = (Snapshot, Vec<Packet>)> {
    small_snapshot().prop_flat_map(move |snap| {
        let packets = prop::collection::vec(packet(&snap), 1..=max_packets);
        (Just(snap), packets)
    })
}

/// A small snapshot: 3 VPCs, up to 5 groups of up to 8 rules, up to 8 interfaces.
pub fn small_snapshot() -> impl Strategy<Value = Snapshot> {
    (
        prop::collection::vec((0..N_VPCS, 0..N_VPCS, 0u8..4), 0..3),
        prop::collection::vec((any::<bool>(), prop::collection::vec(cidr(), 0..4)), 0..3),
        prop::collection::vec((0..N_VPCS, prop::collection::vec(rule_spec(), 0..8)), 1..=5),
        prop::collection::vec(eni_spec(), 1..=8),
    )
        .prop_map(|(peerings, lists, groups, enis)| build(&peerings, lists, groups, enis))
}

/// A packet aimed at `snap`: its interfaces (and one unknown), addresses at and around every
/// CIDR edge, interface address and prefix-list entry, ports and ICMP codes at and around
/// every rule's bounds.
pub fn packet(snap: &Snapshot) -> impl Strategy<Value = Packet> + use<> {
    let mut enis: Vec<_> = snap.enis.keys().cloned().collect();
    enis.push(ids::eni_id(0xdead));
    let mut addrs: Vec<IpAddr> = universe();
    let mut ports: Vec<u16> = vec![0, 1, 22, 80, 443, 65535];
    let mut icmp: Vec<(u8, u8)> = vec![(0, 0), (3, 1), (8, 0), (255, 255)];
    let mut protos: Vec<u8> = vec![0, 6, 17, 47, 255];
    let mut edges = |net: IpNet| {
        let around = |a: IpAddr| [step(a, false), a, step(a, true)];
        addrs.extend(around(net.network()));
        addrs.extend(around(net.broadcast()));
    };
    for pl in snap.prefix_lists.values() {
        pl.entries.iter().for_each(|e| edges(e.cidr));
    }
    for g in snap.groups.values() {
        for r in g.rules() {
            match r.peer() {
                Peer::Ipv4(n) => edges(IpNet::V4(*n)),
                Peer::Ipv6(n) => edges(IpNet::V6(*n)),
                _ => {}
            }
            match r.traffic() {
                Traffic::Tcp(p) | Traffic::Udp(p) => {
                    for x in [p.from(), p.to()] {
                        ports.extend([x.wrapping_sub(1), x, x.wrapping_add(1)]);
                    }
                }
                Traffic::Icmp(m) | Traffic::Icmpv6(m) => {
                    let t = m.icmp_type().unwrap_or(8);
                    let c = m.code().unwrap_or(0);
                    icmp.extend([(t, c), (t, c.wrapping_add(1)), (t.wrapping_add(1), c)]);
                }
                Traffic::Protocol(n) => protos.extend([n, n.wrapping_add(1)]),
                Traffic::All => {}
            }
        }
    }
    for e in snap.enis.values() {
        addrs.extend(e.private_addrs());
        addrs.extend(e.public_ipv4.map(IpAddr::V4));
    }
    let payload = prop_oneof![
        4 => select(ports.clone()).prop_map(|dst_port| Payload::Tcp { dst_port }),
        2 => select(ports).prop_map(|dst_port| Payload::Udp { dst_port }),
        1 => select(icmp.clone()).prop_map(|(icmp_type, code)| Payload::Icmp { icmp_type, code }),
        1 => select(icmp).prop_map(|(icmp_type, code)| Payload::Icmpv6 { icmp_type, code }),
        1 => select(protos).prop_map(Payload::Other),
    ];
    let remote = prop_oneof![9 => select(addrs), 1 => any::<IpAddr>()];
    let direction = prop_oneof![Just(Direction::Ingress), Just(Direction::Egress)];
    (select(enis), direction, remote, payload).prop_map(
        |(interface, direction, remote, payload)| Packet {
            interface,
            direction,
            remote,
            payload,
        },
    )
}

/// Where rules point and interfaces live: a handful of addresses in each family.
fn universe() -> Vec<IpAddr> {
    let mut res = Vec::new();
    for (a, b) in [(0, 0), (0, 1), (1, 0)] {
        for d in 0..6 {
            res.push(IpAddr::V4(Ipv4Addr::new(10, a, b, d)));
        }
    }
    for d in 0..6 {
        res.push(IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, d)));
        res.push(IpAddr::V6(Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, d)));
    }
    res.push(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    res
}

fn step(a: IpAddr, up: bool) -> IpAddr {
    match a {
        IpAddr::V4(a) => {
            let v = u32::from(a);
            IpAddr::V4(Ipv4Addr::from(if up {
                v.wrapping_add(1)
            } else {
                v.wrapping_sub(1)
            }))
        }
        IpAddr::V6(a) => {
            let v = u128::from(a);
            IpAddr::V6(Ipv6Addr::from(if up {
                v.wrapping_add(1)
            } else {
                v.wrapping_sub(1)
            }))
        }
    }
}

/// An address of the universe, or (rarely) anything.
fn addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![9 => select(universe()), 1 => any::<IpAddr>()]
}

/// A CIDR of either family and any length; sometimes with host bits set, as a hand-built
/// snapshot may have them.
fn cidr() -> impl Strategy<Value = IpNet> {
    (addr(), 0u8..=128, any::<bool>()).prop_map(|(a, len, trunc)| {
        let net = match a {
            IpAddr::V4(a) => IpNet::V4(Ipv4Net::new(a, bias(len, 32)).expect("len ≤ 32")),
            IpAddr::V6(a) => IpNet::V6(Ipv6Net::new(a, bias(len, 128)).expect("len ≤ 128")),
        };
        if trunc { net.trunc() } else { net }
    })
}

/// Maps `0..=128` onto `0..=max`, favouring long prefixes (which the universe makes hit).
fn bias(len: u8, max: u8) -> u8 {
    if len >= 64 {
        max - (len - 64) % 4
    } else {
        len % (max + 1)
    }
}

#[derive(Debug, Clone)]
enum PeerSpec {
    Cidr(IpNet),
    List(u64),
    Group { group: u64, peering: Option<u64> },
}

type RuleSpecTuple = (bool, Traffic, PeerSpec);

fn rule_spec() -> impl Strategy<Value = RuleSpecTuple> {
    let peer = prop_oneof![
        3 => cidr().prop_map(PeerSpec::Cidr),
        1 => (0u64..4).prop_map(PeerSpec::List),
        2 => (0u64..7, prop::option::of(0u64..4))
            .prop_map(|(group, peering)| PeerSpec::Group { group, peering }),
    ];
    (any::<bool>(), traffic(), peer)
}

fn traffic() -> impl Strategy<Value = Traffic> {
    let port = prop_oneof![select(vec![0u16, 1, 22, 80, 443, 65535]), any::<u16>()];
    let range = (port.clone(), port)
        .prop_map(|(a, b)| PortRange::new(a.min(b), a.max(b)).expect("min ≤ max"));
    let small = prop::option::of(prop_oneof![0u8..4, Just(8u8), Just(255u8)]);
    let icmp = (small.clone(), small).prop_map(|(t, c)| {
        IcmpMatch::new(t, if t.is_some() { c } else { None }).expect("code only with a type")
    });
    prop_oneof![
        1 => Just(Traffic::All),
        3 => range.clone().prop_map(Traffic::Tcp),
        2 => range.prop_map(Traffic::Udp),
        1 => icmp.clone().prop_map(Traffic::Icmp),
        1 => icmp.prop_map(Traffic::Icmpv6),
        // Raw numbers, 6/17/1/58 included: `Traffic::Protocol(6)` cannot come from parsing
        // but can be built, and the engine must treat it as the reference does.
        1 => prop_oneof![select(vec![0u8, 1, 6, 17, 47, 58]), any::<u8>()].prop_map(Traffic::Protocol),
    ]
}

type EniSpec = (u64, Vec<u64>, Vec<IpAddr>, Option<IpAddr>);

fn eni_spec() -> impl Strategy<Value = EniSpec> {
    (
        0..N_VPCS,
        prop::collection::vec(0u64..7, 0..4),
        prop::collection::vec(addr(), 0..4),
        prop::option::of(addr()),
    )
}

fn build(
    peerings: &[(u64, u64, u8)],
    lists: Vec<(bool, Vec<IpNet>)>,
    groups: Vec<(u64, Vec<RuleSpecTuple>)>,
    enis: Vec<EniSpec>,
) -> Snapshot {
    let mut snap = Snapshot::default();
    for (i, &(a, b, status)) in (1u64..).zip(peerings) {
        let status = match status {
            0 | 1 => PeeringStatus::Active,
            2 => PeeringStatus::PendingAcceptance,
            _ => PeeringStatus::Deleted,
        };
        let p = Peering {
            id: ids::peering_id(i),
            requester_vpc: ids::vpc_id(a + 1),
            requester_owner: ids::account(),
            accepter_vpc: ids::vpc_id(b + 1),
            accepter_owner: ids::account(),
            status,
            tags: Vec::new(),
            detail: Default::default(),
        };
        snap.peerings.insert(p.id.clone(), p);
    }
    for (i, (v6, cidrs)) in (1u64..).zip(lists) {
        let id = ids::prefix_list_id(i);
        let entries = cidrs.into_iter().map(|cidr| PrefixListEntry {
            cidr,
            description: None,
        });
        let pl = PrefixList {
            name: format!("pl{i}"),
            id: id.clone(),
            owner: ids::account(),
            family: if v6 {
                AddressFamily::Ipv6
            } else {
                AddressFamily::Ipv4
            },
            max_entries: 10,
            version: 1,
            entries: entries.collect(),
            tags: Vec::new(),
            change: Default::default(),
        };
        snap.prefix_lists.insert(id, pl);
    }
    let mut next_rule = 1;
    // Group ids 1..=n exist; indices past n name groups that do not (deleted or foreign).
    for (i, (vpc, rules)) in (1u64..).zip(groups) {
        let id = ids::group_id(i);
        let mut group = SecurityGroup::empty(
            id.clone(),
            format!("g{i}"),
            "d".into(),
            ids::vpc_id(vpc + 1),
            ids::account(),
        );
        for (egress, traffic, peer) in rules {
            let peer = match peer {
                PeerSpec::Cidr(IpNet::V4(n)) => Peer::Ipv4(n),
                PeerSpec::Cidr(IpNet::V6(n)) => Peer::Ipv6(n),
                PeerSpec::List(n) => Peer::PrefixList(ids::prefix_list_id(n + 1)),
                PeerSpec::Group { group, peering } => Peer::Group(GroupRef {
                    peering_id: peering.map(|p| ids::peering_id(p + 1)),
                    ..GroupRef::same_account(ids::group_id(group + 1))
                }),
            };
            let direction = if egress {
                Direction::Egress
            } else {
                Direction::Ingress
            };
            next_rule += 1;
            let rule = Rule {
                id: ids::rule_id(next_rule),
                group_id: id.clone(),
                spec: RuleSpec {
                    direction,
                    traffic,
                    peer,
                },
                description: None,
                tags: Vec::new(),
            };
            // A duplicate spec is refused, as EC2 refuses it; the rest of the group stands.
            let _ = group.insert_existing(rule);
        }
        snap.groups.insert(id, group);
    }
    for (i, (vpc, groups, addrs, public)) in (1u64..).zip(enis) {
        let id = ids::eni_id(i);
        let eni = Eni {
            id: id.clone(),
            owner: ids::account(),
            vpc_id: ids::vpc_id(vpc + 1),
            subnet_id: None,
            private_ipv4: addrs
                .iter()
                .filter_map(|a| match a {
                    IpAddr::V4(a) => Some(*a),
                    IpAddr::V6(_) => None,
                })
                .collect(),
            ipv6: addrs
                .iter()
                .filter_map(|a| match a {
                    IpAddr::V6(a) => Some(*a),
                    IpAddr::V4(_) => None,
                })
                .collect(),
            public_ipv4: public.and_then(|a| match a {
                IpAddr::V4(a) => Some(a),
                IpAddr::V6(_) => None,
            }),
            groups: groups.into_iter().map(|g| ids::group_id(g + 1)).collect(),
            instance_id: None,
            description: String::new(),
            conntrack: ConntrackConfig::default(),
            tags: Vec::new(),
        };
        snap.enis.insert(id, eni);
    }
    snap
}
