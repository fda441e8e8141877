//! Reachability: worked examples, and a property test against the engine — `reach` says yes
//! exactly when the engine allows the packet on both sides.

use std::net::IpAddr;

use palisade_analysis::space::{TrafficSet, describe_traffic, payload_key};
use palisade_analysis::{Blocker, Endpoint, Index, exposure, reach};
use palisade_engine::{Packet, Payload, Verdict, compile};
use palisade_model::{Direction, PeeringStatus, Snapshot};
use proptest::prelude::*;

use crate::world::{World, eni, sg};

fn ep(s: &str) -> Endpoint {
    s.parse().unwrap()
}

fn tiers() -> World {
    // web (sg-1) -> app (sg-2) on tcp/8080; app -> db (sg-3) on tcp/5432; web open to the world on 443.
    let mut w = World::new();
    w.group(1).group(2).group(3);
    w.eni(1, &["10.0.0.10", "2600:1f00::10"], &[1])
        .eni(2, &["10.0.1.10"], &[2])
        .eni(3, &["10.0.2.10"], &[3]);
    w.ingress(1, "tcp", Some((443, 443)), "0.0.0.0/0");
    w.ingress(1, "tcp", Some((443, 443)), "::/0");
    w.egress(1, "-1", None, "0.0.0.0/0");
    w.ingress(2, "tcp", Some((8080, 8080)), "sg-00000001");
    w.egress(2, "tcp", Some((5432, 5432)), "sg-00000003");
    w.ingress(3, "tcp", Some((5432, 5432)), "sg-00000002");
    w.ingress(3, "icmp", Some((8, -1)), "10.0.0.0/16");
    w
}

fn tcp(port: u16) -> u32 {
    payload_key(Payload::Tcp { dst_port: port }).unwrap()
}

#[test]
fn interface_to_interface_lists_the_exact_traffic_and_rules() {
    let w = tiers();
    let index = Index::new(&w.snap);
    let r = reach(&index, &ep("eni-00000001"), &ep("eni-00000002")).unwrap();
    let set = TrafficSet::from_ranges(r.flows.iter().map(|f| f.keys));
    assert_eq!(describe_traffic(&set), "tcp/8080");
    assert_eq!(r.flows[0].egress.len(), 1);
    assert_eq!(r.flows[0].ingress[0].group_id, sg(2));
    assert!(r.allows(tcp(8080)));
    assert!(!r.allows(tcp(8081)));

    // app -> db: egress and ingress both by group reference.
    let r = reach(&index, &ep("sg-00000002"), &ep("sg-00000003")).unwrap();
    assert_eq!(
        describe_traffic(&TrafficSet::from_ranges(r.flows.iter().map(|f| f.keys))),
        "tcp/5432"
    );

    // web -> db: web's egress allows it, db's ingress does not (web is not in sg-2).
    let r = reach(&index, &ep("eni-00000001"), &ep("eni-00000003")).unwrap();
    assert!(!r.allows(tcp(5432)));
    assert_eq!(r.verdicts(tcp(5432))[0].blocked_by, Some(Blocker::Ingress));
    // ICMP echo is allowed from the VPC CIDR.
    assert!(
        r.allows(
            payload_key(Payload::Icmp {
                icmp_type: 8,
                code: 0
            })
            .unwrap()
        )
    );

    // db -> app: db has no egress rule at all.
    let r = reach(&index, &ep("eni-00000003"), &ep("eni-00000002")).unwrap();
    assert_eq!(r.verdicts(tcp(8080))[0].blocked_by, Some(Blocker::Both));
}

#[test]
fn address_sources_use_only_the_interface_side() {
    let w = tiers();
    let index = Index::new(&w.snap);
    let r = reach(&index, &ep("internet"), &ep("eni-00000001")).unwrap();
    assert!(r.allows(tcp(443)));
    assert!(!r.allows(tcp(22)));
    assert_eq!(r.flows.len(), 2, "one flow per family: {:#?}", r.flows);
    let r = reach(&index, &ep("internet"), &ep("eni-00000003")).unwrap();
    assert!(r.flows.is_empty());
    assert_eq!(r.verdicts(tcp(5432))[0].blocked_by, Some(Blocker::Ingress));
    let r = reach(&index, &ep("10.0.5.5"), &ep("eni-00000003")).unwrap();
    assert!(
        r.allows(
            payload_key(Payload::Icmp {
                icmp_type: 8,
                code: 3
            })
            .unwrap()
        )
    );
    assert!(reach(&index, &ep("10.0.0.0/8"), &ep("internet")).is_err());
    assert!("eni-nothex".parse::<Endpoint>().is_err());
}

#[test]
fn exposure_lists_the_open_interface_first() {
    let mut w = tiers();
    w.ingress(2, "tcp", Some((22, 22)), "0.0.0.0/0");
    let index = Index::new(&w.snap);
    let exp = exposure(&index);
    let enis: Vec<String> = exp.iter().map(|e| e.eni.to_string()).collect();
    assert_eq!(enis, ["eni-00000002", "eni-00000001"]);
    assert!(exp[0].risk > exp[1].risk);
    assert!(exp.iter().all(|e| e.runs.iter().all(|r| r.world_open)));
}

#[test]
fn group_references_cross_only_active_peerings() {
    let mut w = World::new();
    w.vpc(2, "10.1.0.0/16", "2600:1f01::/56")
        .group(1)
        .group_in(2, 2, "peer");
    w.eni(1, &["10.0.0.10"], &[1])
        .eni_in(2, 2, &["10.1.0.10"], &[2]);
    w.ingress(1, "tcp", Some((22, 22)), "sg-00000002");
    w.egress(2, "-1", None, "0.0.0.0/0");
    let check = |snap: &Snapshot| {
        let index = Index::new(snap);
        reach(&index, &ep("eni-00000002"), &ep("eni-00000001"))
            .unwrap()
            .allows(tcp(22))
    };
    assert!(!check(&w.snap));
    w.peering(1, 1, 2, PeeringStatus::Active);
    assert!(check(&w.snap));
    w.peering(1, 1, 2, PeeringStatus::Deleted);
    assert!(!check(&w.snap));
}

/// A small deterministic generator (seeded by proptest).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        let n = u64::try_from(v.len()).unwrap();
        &v[usize::try_from(self.next() % n).unwrap()]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const V4: &[&str] = &["10.0.0.1", "10.0.0.2", "10.0.1.7", "10.1.0.1", "10.1.0.9"];
const V6: &[&str] = &["2600:1f00::1", "2600:1f00::2", "2600:1f01::1"];
const PEERS: &[&str] = &[
    "0.0.0.0/0",
    "0.0.0.0/1",
    "128.0.0.0/1",
    "10.0.0.0/16",
    "10.0.0.2/32",
    "10.1.0.0/24",
    "::/0",
    "2600:1f00::/64",
    "2600:1f01::1/128",
    "sg-00000001",
    "sg-00000002",
    "sg-00000003",
    "sg-00000099",
    "pl-00000001",
];
const TRAFFIC: &[(&str, Option<(i64, i64)>)] = &[
    ("-1", None),
    ("tcp", Some((22, 22))),
    ("tcp", Some((0, 65535))),
    ("tcp", Some((20, 80))),
    ("udp", Some((53, 53))),
    ("icmp", Some((8, -1))),
    ("icmp", Some((3, 4))),
    ("icmpv6", Some((128, 0))),
    ("47", None),
];
const PAYLOADS: &[Payload] = &[
    Payload::Tcp { dst_port: 22 },
    Payload::Tcp { dst_port: 21 },
    Payload::Tcp { dst_port: 80 },
    Payload::Tcp { dst_port: 81 },
    Payload::Udp { dst_port: 53 },
    Payload::Udp { dst_port: 22 },
    Payload::Icmp {
        icmp_type: 8,
        code: 0,
    },
    Payload::Icmp {
        icmp_type: 3,
        code: 4,
    },
    Payload::Icmp {
        icmp_type: 3,
        code: 3,
    },
    Payload::Icmpv6 {
        icmp_type: 128,
        code: 0,
    },
    Payload::Other(47),
    Payload::Other(50),
];

fn random_world(seed: u64) -> World {
    let mut g = Gen(seed);
    let mut w = World::new();
    w.vpc(2, "10.1.0.0/16", "2600:1f01::/56");
    w.prefix_list(1, &["10.0.1.0/24", "10.1.0.8/29"]);
    if g.chance(50) {
        let status = if g.chance(70) {
            PeeringStatus::Active
        } else {
            PeeringStatus::PendingAcceptance
        };
        w.peering(1, 1, 2, status);
    }
    for n in 1..=3 {
        w.group_in(n, if n == 3 { 2 } else { 1 }, &format!("g{n}"));
        for _ in 0..(g.next() % 5) {
            let dir = if g.chance(50) {
                Direction::Ingress
            } else {
                Direction::Egress
            };
            let (proto, ports) = *g.pick(TRAFFIC);
            let peer = *g.pick(PEERS);
            // Duplicates are rejected by the model; skip them.
            let traffic =
                palisade_model::Traffic::parse(proto, ports.map(|p| p.0), ports.map(|p| p.1))
                    .unwrap();
            let peer_v = if peer.starts_with("sg-") {
                palisade_model::Peer::Group(palisade_model::GroupRef::same_account(
                    peer.parse().unwrap(),
                ))
            } else if peer.starts_with("pl-") {
                palisade_model::Peer::PrefixList(peer.parse().unwrap())
            } else {
                palisade_model::Peer::parse_cidr(peer).unwrap()
            };
            let spec = palisade_model::RuleSpec {
                direction: dir,
                traffic,
                peer: peer_v.clone(),
            };
            if w.snap.groups[&sg(n)]
                .rules()
                .iter()
                .any(|r| r.spec.same_rule(&spec))
            {
                continue;
            }
            w.rule_peer(n, dir, traffic, peer_v);
        }
    }
    for n in 1..=4 {
        let vpc_n = if n == 4 { 2 } else { 1 };
        let mut addrs: Vec<&str> = vec![*g.pick(if vpc_n == 1 { &V4[..3] } else { &V4[3..] })];
        if g.chance(50) {
            addrs.push(*g.pick(if vpc_n == 1 { &V6[..2] } else { &V6[2..] }));
        }
        let groups: Vec<u32> = if vpc_n == 1 {
            let mut v = vec![1 + u32::try_from(g.next() % 2).unwrap()];
            if g.chance(40) {
                v.push(3 - v[0]);
            }
            v
        } else {
            vec![3]
        };
        w.eni_in(n, vpc_n, &addrs, &groups);
    }
    w
}

fn allowed(
    engine: &palisade_engine::Engine,
    e: u32,
    dir: Direction,
    remote: IpAddr,
    payload: Payload,
) -> bool {
    let d = engine
        .decide(&Packet {
            interface: eni(e),
            direction: dir,
            remote,
            payload,
        })
        .unwrap();
    d.verdict == Verdict::Allow
}

// Case count from PROPTEST_CASES (default 256; CI raises it), per the project's test rules.
proptest! {
    #[test]
    fn reach_agrees_with_the_engine(seed in any::<u64>()) {
        let w = random_world(seed);
        let snap = &w.snap;
        let engine = compile(snap);
        let index = Index::new(snap);
        for a in 1..=4u32 {
            for b in 1..=4u32 {
                let r = reach(&index, &Endpoint::Interface(eni(a)), &Endpoint::Interface(eni(b))).unwrap();
                let (ea, eb) = (&snap.enis[&eni(a)], &snap.enis[&eni(b)]);
                for &payload in PAYLOADS {
                    let key = payload_key(payload).unwrap();
                    let mut expect = false;
                    for sa in ea.private_addrs() {
                        for db in eb.private_addrs() {
                            if sa.is_ipv4() != db.is_ipv4() { continue; }
                            let out_ok = allowed(&engine, a, Direction::Egress, db, payload);
                            let in_ok = allowed(&engine, b, Direction::Ingress, sa, payload);
                            expect |= out_ok && in_ok;
                        }
                    }
                    prop_assert_eq!(r.allows(key), expect, "eni {} -> eni {} {:?}", a, b, payload);
                    prop_assert_eq!(r.verdicts(key)[0].blocked_by.is_none(), expect);
                    // The rules each flow names are exactly the engine's matches.
                    for flow in r.flows_for(key) {
                        let (palisade_analysis::Party::Interface { addr: sa, .. }, palisade_analysis::Party::Interface { addr: db, .. }) = (&flow.src, &flow.dst) else { unreachable!() };
                        let out = engine.decide(&Packet { interface: eni(a), direction: Direction::Egress, remote: *db, payload }).unwrap();
                        let inn = engine.decide(&Packet { interface: eni(b), direction: Direction::Ingress, remote: *sa, payload }).unwrap();
                        prop_assert_eq!(&flow.egress, &out.matches);
                        prop_assert_eq!(&flow.ingress, &inn.matches);
                    }
                }
            }
            // Address sources: a single address, only the interface's ingress applies.
            for remote in ["10.0.0.2", "10.1.0.9", "8.8.8.8", "2600:1f00::2", "2001:db8::5"] {
                let addr: IpAddr = remote.parse().unwrap();
                let r = reach(&index, &ep(remote), &Endpoint::Interface(eni(a))).unwrap();
                let e = &snap.enis[&eni(a)];
                let fam_ok = e.private_addrs().any(|x| x.is_ipv4() == addr.is_ipv4());
                for &payload in PAYLOADS {
                    let expect = fam_ok && allowed(&engine, a, Direction::Ingress, addr, payload);
                    prop_assert_eq!(r.allows(payload_key(payload).unwrap()), expect, "{} -> eni {} {:?}", remote, a, payload);
                }
            }
        }
    }
}
