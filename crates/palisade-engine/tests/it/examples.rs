//! Hand-written semantics checks on one small account, each naming the rules it expects:
//! CIDR edges, ports, ICMP wildcards, families never crossing, group references matching
//! private (never public) addresses, same VPC or active peering only, prefix lists.

use std::net::{IpAddr, Ipv4Addr};

use palisade_engine::{Decision, Engine, Packet, Payload, compile, reference};
use palisade_model::{
    AddressFamily, ConntrackConfig, Direction, Eni, GroupRef, IcmpMatch, Peer, Peering,
    PeeringStatus, PortRange, PrefixList, PrefixListEntry, Rule, RuleSpec, SecurityGroup, Snapshot,
    Traffic,
};
use palisade_testkit::ids::{
    account, eni_id, group_id, peering_id, prefix_list_id, rule_id, vpc_id,
};

const WEB: u64 = 1;
const CLIENTS: u64 = 2;

fn eni(n: u64, vpc: u64, group: u64, private: [u8; 4], public: Option<[u8; 4]>) -> Eni {
    Eni {
        id: eni_id(n),
        owner: account(),
        vpc_id: vpc_id(vpc),
        subnet_id: None,
        private_ipv4: vec![Ipv4Addr::from(private)],
        ipv6: vec![format!("fd00::{n}").parse().expect("valid IPv6")],
        public_ipv4: public.map(Ipv4Addr::from),
        groups: vec![group_id(group)],
        instance_id: None,
        description: String::new(),
        conntrack: ConntrackConfig::default(),
        tags: Vec::new(),
    }
}

/// VPC 1 peers with VPC 2 (active) and VPC 3 (pending). Group WEB (VPC 1) has rules 1..=6;
/// group CLIENTS (VPC 1) has members in all three VPCs.
fn snapshot() -> Snapshot {
    let mut s = Snapshot::default();
    for (n, other, status) in [
        (1, 2, PeeringStatus::Active),
        (2, 3, PeeringStatus::PendingAcceptance),
    ] {
        s.peerings.insert(
            peering_id(n),
            Peering {
                id: peering_id(n),
                requester_vpc: vpc_id(1),
                requester_owner: account(),
                accepter_vpc: vpc_id(other),
                accepter_owner: account(),
                status,
                tags: Vec::new(),
                detail: Default::default(),
            },
        );
    }
    let entries = ["192.0.2.0/28", "198.51.100.0/24"].map(|c| PrefixListEntry {
        cidr: c.parse().expect("valid CIDR"),
        description: None,
    });
    s.prefix_lists.insert(
        prefix_list_id(1),
        PrefixList {
            id: prefix_list_id(1),
            name: "partners".into(),
            owner: account(),
            family: AddressFamily::Ipv4,
            max_entries: 5,
            version: 1,
            entries: entries.to_vec(),
            tags: Vec::new(),
            change: Default::default(),
        },
    );
    let clients = Peer::Group(GroupRef::same_account(group_id(CLIENTS)));
    let specs = [
        (
            Traffic::Tcp(PortRange::single(443)),
            Peer::parse_ipv4("0.0.0.0/0").expect("valid"),
        ),
        (
            Traffic::Tcp(PortRange::new(8000, 8100).expect("valid")),
            Peer::parse_ipv4("10.0.0.0/24").expect("valid"),
        ),
        (
            Traffic::Icmp(IcmpMatch::new(Some(8), None).expect("valid")),
            Peer::parse_ipv4("10.0.0.0/8").expect("valid"),
        ),
        (Traffic::Tcp(PortRange::single(5432)), clients),
        (
            Traffic::Udp(PortRange::single(53)),
            Peer::PrefixList(prefix_list_id(1)),
        ),
        (
            Traffic::Icmpv6(IcmpMatch::ANY),
            Peer::parse_ipv6("fd00::/64").expect("valid"),
        ),
    ];
    let mut web = SecurityGroup::empty(
        group_id(WEB),
        "web".into(),
        "d".into(),
        vpc_id(1),
        account(),
    );
    for (n, (traffic, peer)) in (1u64..).zip(specs) {
        let spec = RuleSpec {
            direction: Direction::Ingress,
            traffic,
            peer,
        };
        let rule = Rule {
            id: rule_id(n),
            group_id: group_id(WEB),
            spec,
            description: None,
            tags: Vec::new(),
        };
        web.insert_existing(rule).expect("distinct rules");
    }
    s.groups.insert(group_id(WEB), web);
    let clients = SecurityGroup::empty(
        group_id(CLIENTS),
        "clients".into(),
        "d".into(),
        vpc_id(1),
        account(),
    );
    s.groups.insert(group_id(CLIENTS), clients);
    for e in [
        eni(1, 1, WEB, [10, 0, 0, 10], Some([54, 0, 0, 1])),
        eni(2, 1, CLIENTS, [10, 0, 1, 5], Some([54, 0, 0, 2])),
        eni(3, 2, CLIENTS, [10, 1, 0, 5], None),
        eni(4, 3, CLIENTS, [10, 2, 0, 5], None),
    ] {
        s.enis.insert(e.id.clone(), e);
    }
    s
}

/// Decides an ingress packet to interface 1 and checks the matched WEB rule numbers, with
/// both engines.
#[track_caller]
fn check(engine: &Engine, snap: &Snapshot, remote: &str, payload: Payload, want: &[u64]) {
    let pkt = Packet {
        interface: eni_id(1),
        direction: Direction::Ingress,
        remote: remote.parse::<IpAddr>().expect("valid address"),
        payload,
    };
    let want = Decision::from_matches(
        want.iter()
            .map(|&n| palisade_engine::RuleMatch {
                group_id: group_id(WEB),
                rule_id: rule_id(n),
            })
            .collect(),
    );
    assert_eq!(
        engine.decide(&pkt),
        Ok(want.clone()),
        "compiled, {remote} {payload:?}"
    );
    assert_eq!(
        reference::decide(snap, &pkt),
        Ok(want),
        "reference, {remote} {payload:?}"
    );
}

fn tcp(dst_port: u16) -> Payload {
    Payload::Tcp { dst_port }
}

#[test]
fn cidr_and_port_edges() {
    let s = snapshot();
    let e = compile(&s);
    check(&e, &s, "10.0.0.255", tcp(8000), &[2]);
    check(&e, &s, "10.0.0.0", tcp(8100), &[2]);
    check(&e, &s, "10.0.1.0", tcp(8000), &[]);
    check(&e, &s, "10.0.0.7", tcp(7999), &[]);
    check(&e, &s, "10.0.0.7", tcp(8101), &[]);
    check(&e, &s, "10.0.0.7", tcp(443), &[1]);
    check(&e, &s, "10.0.0.7", Payload::Udp { dst_port: 443 }, &[]);
}

#[test]
fn icmp_type_with_any_code() {
    let s = snapshot();
    let e = compile(&s);
    check(
        &e,
        &s,
        "10.200.0.1",
        Payload::Icmp {
            icmp_type: 8,
            code: 7,
        },
        &[3],
    );
    check(
        &e,
        &s,
        "10.200.0.1",
        Payload::Icmp {
            icmp_type: 0,
            code: 0,
        },
        &[],
    );
    check(
        &e,
        &s,
        "11.0.0.1",
        Payload::Icmp {
            icmp_type: 8,
            code: 0,
        },
        &[],
    );
    check(
        &e,
        &s,
        "fd00::99",
        Payload::Icmpv6 {
            icmp_type: 128,
            code: 0,
        },
        &[6],
    );
    check(
        &e,
        &s,
        "fd00::99",
        Payload::Icmp {
            icmp_type: 8,
            code: 0,
        },
        &[],
    );
}

#[test]
fn families_never_cross() {
    let s = snapshot();
    let e = compile(&s);
    check(&e, &s, "::ffff:10.0.0.7", tcp(8000), &[]);
    check(&e, &s, "::", tcp(443), &[]);
}

#[test]
fn group_reference_matches_private_addresses_same_vpc_or_active_peering() {
    let s = snapshot();
    let e = compile(&s);
    check(&e, &s, "10.0.1.5", tcp(5432), &[4]);
    check(&e, &s, "fd00::2", tcp(5432), &[4]);
    check(&e, &s, "54.0.0.2", tcp(5432), &[]);
    check(&e, &s, "10.1.0.5", tcp(5432), &[4]);
    check(&e, &s, "10.2.0.5", tcp(5432), &[]);
    check(&e, &s, "10.0.1.6", tcp(5432), &[]);
}

#[test]
fn prefix_list_entries_match() {
    let s = snapshot();
    let e = compile(&s);
    check(&e, &s, "192.0.2.15", Payload::Udp { dst_port: 53 }, &[5]);
    check(&e, &s, "192.0.2.16", Payload::Udp { dst_port: 53 }, &[]);
    check(
        &e,
        &s,
        "198.51.100.200",
        Payload::Udp { dst_port: 53 },
        &[5],
    );
}

#[test]
fn several_rules_match_in_order() {
    let s = snapshot();
    let e = compile(&s);
    let mut s2 = s.clone();
    let group = s2.groups.get_mut(&group_id(WEB)).expect("exists");
    let spec = RuleSpec {
        direction: Direction::Ingress,
        traffic: Traffic::All,
        peer: Peer::parse_ipv4("10.0.0.0/16").expect("valid"),
    };
    group
        .insert_existing(Rule {
            id: rule_id(9),
            group_id: group_id(WEB),
            spec,
            description: None,
            tags: Vec::new(),
        })
        .expect("distinct");
    let e2 = compile(&s2);
    check(&e, &s, "10.0.0.9", tcp(443), &[1]);
    check(&e2, &s2, "10.0.0.9", tcp(443), &[1, 9]);
    check(&e2, &s2, "10.0.1.5", tcp(5432), &[4, 9]);
}

#[test]
fn unknown_interface_is_an_error() {
    let s = snapshot();
    let e = compile(&s);
    let pkt = Packet {
        interface: eni_id(99),
        direction: Direction::Egress,
        remote: "10.0.0.1".parse().expect("valid"),
        payload: tcp(1),
    };
    assert_eq!(e.decide(&pkt), reference::decide(&s, &pkt));
    assert!(e.allows(&pkt).is_err());
}
