//! Flow-log attribution: worked examples with known answers (replies, flows both ways,
//! group references, prefix lists, IPv6, contradictions, suggestions), and a property test
//! that every record is attributed to exactly the rules the engine's `decide` names.

use std::net::IpAddr;

use palisade_analysis::flows::{Attributor, ContradictionKind, FlowConfig, Observation, Outcome};
use palisade_engine::{Packet, Payload, RuleMatch, Verdict, compile};
use palisade_model::Direction;
use proptest::prelude::*;

use crate::world::{World, sg};

fn obs<'a>(
    eni: &'a str,
    src: &str,
    sp: u16,
    dst: &str,
    dp: u16,
    proto: u8,
    accept: bool,
) -> Observation<'a> {
    Observation {
        interface: eni,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        src_port: sp,
        dst_port: dp,
        protocol: proto,
        packets: 10,
        bytes: 1000,
        start: 1_700_000_000,
        end: 1_700_000_060,
        accepted: accept,
        direction: None,
        tcp_flags: None,
    }
}

/// web (sg-1, eni-1 10.0.0.10 + 2600:1f00::10): 443 from anywhere (v4, v6), a range 8000-8100
/// from 10.0.0.0/8, all egress. db (sg-3, eni-3 10.0.2.10): 5432 from sg-2 (app, eni-2
/// 10.0.1.10) and from prefix list pl-1 (192.0.2.0/24); app egress 5432 to sg-3.
fn world() -> World {
    let mut w = World::new();
    w.group(1).group(2).group(3);
    w.prefix_list(1, &["192.0.2.0/24"]);
    w.eni(1, &["10.0.0.10", "2600:1f00::10"], &[1])
        .eni(2, &["10.0.1.10"], &[2])
        .eni(3, &["10.0.2.10"], &[3]);
    w.ingress(1, "tcp", Some((443, 443)), "0.0.0.0/0"); // sgr-1
    w.ingress(1, "tcp", Some((443, 443)), "::/0"); // sgr-2
    w.ingress(1, "tcp", Some((8000, 8100)), "10.0.0.0/8"); // sgr-3
    w.egress(1, "-1", None, "0.0.0.0/0"); // sgr-4
    w.egress(2, "tcp", Some((5432, 5432)), "sg-00000003"); // sgr-5
    w.ingress(3, "tcp", Some((5432, 5432)), "sg-00000002"); // sgr-6
    w.ingress(3, "tcp", Some((5432, 5432)), "pl-00000001"); // sgr-7
    w
}

fn rules(a: &Attributor<'_>) -> Vec<String> {
    a.last_rules().map(|m| m.rule_id.to_string()).collect()
}

const WEB: &str = "eni-00000001";
const APP: &str = "eni-00000002";
const DB: &str = "eni-00000003";

#[test]
fn a_request_is_a_use_its_reply_is_not() {
    let w = world();
    let engine = compile(&w.snap);
    let mut a = Attributor::new(&w.snap, &engine, FlowConfig::default());
    let req = obs(WEB, "198.51.100.7", 51514, "10.0.0.10", 443, 6, true);
    assert_eq!(
        a.observe(&req),
        Outcome::Allowed {
            rules: 1,
            new_flow: true
        }
    );
    assert_eq!(rules(&a), ["sgr-00000001"]);
    // The reply leaves by an egress rule that allows everything, yet it is a reply.
    let reply = obs(WEB, "10.0.0.10", 443, "198.51.100.7", 51514, 6, true);
    assert_eq!(a.observe(&reply), Outcome::Reply { inferred: false });
    // The same flow in the next interval: a use, not a new flow.
    assert_eq!(
        a.observe(&req),
        Outcome::Allowed {
            rules: 1,
            new_flow: false
        }
    );
    let report = a.finish();
    let used: Vec<_> = report
        .used
        .iter()
        .map(|u| (u.rule.id.to_string(), u.records, u.flows, u.packets))
        .collect();
    assert_eq!(used, [("sgr-00000001".to_owned(), 2, 1, 20)]);
    // The egress rule carried only replies: unused.
    let unused: Vec<_> = report
        .unused
        .iter()
        .map(|(_, r)| r.id.to_string())
        .collect();
    assert_eq!(unused, ["sgr-00000002", "sgr-00000003", "sgr-00000004"]);
    assert_eq!(report.totals.replies, 1);
    // sg-2 and sg-3's interfaces logged nothing: their rules are not judged.
    assert_eq!(report.unobserved_groups, [sg(2), sg(3)]);
}

#[test]
fn a_reply_logged_before_its_request_is_still_a_reply() {
    let w = world();
    let engine = compile(&w.snap);
    let mut a = Attributor::new(&w.snap, &engine, FlowConfig::default());
    let reply = obs(WEB, "10.0.0.10", 443, "198.51.100.7", 51514, 6, true);
    assert_eq!(a.observe(&reply), Outcome::Reply { inferred: true });
    let req = obs(WEB, "198.51.100.7", 51514, "10.0.0.10", 443, 6, true);
    assert_eq!(
        a.observe(&req),
        Outcome::Allowed {
            rules: 1,
            new_flow: true
        }
    );
    // An egress flow the web server opens itself is a use of the egress rule.
    let out = obs(WEB, "10.0.0.10", 40100, "203.0.113.9", 80, 6, true);
    assert_eq!(
        a.observe(&out),
        Outcome::Allowed {
            rules: 1,
            new_flow: true
        }
    );
    assert_eq!(rules(&a), ["sgr-00000004"]);
    // TCP flags settle a record that ports alone would misread: SYN-ACK answers.
    // (10.1.2.3 may reach 8000-8100, so this could answer a flow it opened to 8050.)
    let mut odd = obs(WEB, "10.0.0.10", 8050, "10.1.2.3", 80, 6, true);
    odd.tcp_flags = Some(18);
    assert_eq!(a.observe(&odd), Outcome::Reply { inferred: true });
}

#[test]
fn group_references_prefix_lists_and_ipv6() {
    let w = world();
    let engine = compile(&w.snap);
    let mut a = Attributor::new(&w.snap, &engine, FlowConfig::default());
    // app -> db by group reference, seen on both interfaces.
    let on_app = obs(APP, "10.0.1.10", 40000, "10.0.2.10", 5432, 6, true);
    assert_eq!(
        a.observe(&on_app),
        Outcome::Allowed {
            rules: 1,
            new_flow: true
        }
    );
    assert_eq!(rules(&a), ["sgr-00000005"]);
    let on_db = obs(DB, "10.0.1.10", 40000, "10.0.2.10", 5432, 6, true);
    assert_eq!(
        a.observe(&on_db),
        Outcome::Allowed {
            rules: 1,
            new_flow: true
        }
    );
    assert_eq!(rules(&a), ["sgr-00000006"]);
    // From the prefix list's network.
    let from_pl = obs(DB, "192.0.2.77", 40001, "10.0.2.10", 5432, 6, true);
    assert_eq!(
        a.observe(&from_pl),
        Outcome::Allowed {
            rules: 1,
            new_flow: true
        }
    );
    assert_eq!(rules(&a), ["sgr-00000007"]);
    // IPv6 only matches the ::/0 rule.
    let v6 = obs(WEB, "2001:db8::1", 50000, "2600:1f00::10", 443, 6, true);
    assert_eq!(
        a.observe(&v6),
        Outcome::Allowed {
            rules: 1,
            new_flow: true
        }
    );
    assert_eq!(rules(&a), ["sgr-00000002"]);
}

#[test]
fn contradictions_are_reported() {
    let w = world();
    let engine = compile(&w.snap);
    let mut a = Attributor::new(&w.snap, &engine, FlowConfig::default());
    // Accepted into db from a host in no group: no rule allows it.
    let stray = obs(DB, "10.0.9.9", 40000, "10.0.2.10", 5432, 6, true);
    assert_eq!(a.observe(&stray), Outcome::AcceptedWithoutRule);
    // Rejected although sgr-1 allows it: something else (a network ACL) dropped it.
    let acl = obs(WEB, "198.51.100.8", 40000, "10.0.0.10", 443, 6, false);
    assert_eq!(a.observe(&acl), Outcome::RejectedButAllowed { rules: 1 });
    // Rejected and not allowed: consistent.
    let ssh = obs(WEB, "198.51.100.8", 40000, "10.0.0.10", 22, 6, false);
    assert_eq!(a.observe(&ssh), Outcome::Rejected);
    // flow-direction, where logged, is taken as is; unknown interfaces are counted.
    let mut odd = obs(WEB, "10.0.0.10", 443, "198.51.100.7", 1, 6, false);
    odd.direction = Some(Direction::Ingress);
    assert_eq!(a.observe(&odd), Outcome::Rejected);
    assert_eq!(
        a.observe(&obs("eni-0badbad0", "10.0.0.1", 1, "10.0.0.2", 2, 6, true)),
        Outcome::UnknownInterface
    );
    assert_eq!(
        a.observe(&obs(WEB, "10.9.9.9", 1, "10.9.9.8", 2, 6, true)),
        Outcome::NotItsAddress
    );
    let report = a.finish();
    let kinds: Vec<_> = report.contradictions.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            ContradictionKind::AcceptedWithoutRule,
            ContradictionKind::RejectedButAllowed
        ]
    );
    assert_eq!(
        report.contradictions[1].rules[0].rule_id.to_string(),
        "sgr-00000001"
    );
    assert_eq!(
        (
            report.totals.unknown_interface,
            report.totals.not_its_address
        ),
        (1, 1)
    );
}

#[test]
fn untracked_udp_both_ways_and_icmp() {
    // DNS: udp/53 in from anywhere, everything out; ping in from 10.0.0.0/8.
    let mut w = World::new();
    w.group(1);
    w.eni(1, &["10.0.0.53"], &[1]);
    w.ingress(1, "udp", Some((53, 53)), "0.0.0.0/0");
    w.egress(1, "-1", None, "0.0.0.0/0");
    w.ingress(1, "icmp", Some((8, -1)), "10.0.0.0/8");
    let engine = compile(&w.snap);
    let mut a = Attributor::new(&w.snap, &engine, FlowConfig::default());
    let e = "eni-00000001";
    // The answer goes out first in the log: both directions allow it; the ports say reply.
    assert_eq!(
        a.observe(&obs(e, "10.0.0.53", 53, "198.51.100.1", 40000, 17, true)),
        Outcome::Reply { inferred: true }
    );
    assert_eq!(
        a.observe(&obs(e, "198.51.100.1", 40000, "10.0.0.53", 53, 17, true)),
        Outcome::Allowed {
            rules: 1,
            new_flow: true
        }
    );
    // ICMP records carry no type: judged as echo requests.
    assert_eq!(
        a.observe(&obs(e, "10.1.1.1", 0, "10.0.0.53", 0, 1, true)),
        Outcome::Allowed {
            rules: 1,
            new_flow: true
        }
    );
    assert_eq!(rules(&a), ["sgr-00000003"]);
    assert_eq!(
        a.observe(&obs(e, "10.0.0.53", 0, "10.1.1.1", 0, 1, true)),
        Outcome::Reply { inferred: false }
    );
}

#[test]
fn wide_rules_get_narrower_suggestions() {
    let w = world();
    let engine = compile(&w.snap);
    let mut a = Attributor::new(&w.snap, &engine, FlowConfig::default());
    let sources = ["198.51.100.7", "198.51.100.9", "203.0.113.5", "192.0.2.200"];
    for (port, src) in (50000u16..).zip(sources) {
        let o = obs(WEB, src, port, "10.0.0.10", 443, 6, true);
        assert!(matches!(a.observe(&o), Outcome::Allowed { .. }));
    }
    // 8000-8100 from 10.0.0.0/8, of which only 8080 was used, from one /24.
    let o = obs(WEB, "10.2.3.4", 50100, "10.0.0.10", 8080, 6, true);
    assert!(matches!(a.observe(&o), Outcome::Allowed { .. }));
    let report = a.finish();
    let s: Vec<_> = report
        .suggestions
        .iter()
        .map(|s| {
            let with: Vec<String> = s
                .replace_with
                .iter()
                .map(|r| format!("{} {}", r.spec.traffic, r.spec.peer))
                .collect();
            (s.rule.id.to_string(), with)
        })
        .collect();
    assert_eq!(
        s,
        [
            (
                "sgr-00000001".to_owned(),
                vec![
                    "tcp/443 192.0.2.0/24".to_owned(),
                    "tcp/443 198.51.100.0/24".into(),
                    "tcp/443 203.0.113.0/24".into()
                ]
            ),
            (
                "sgr-00000003".to_owned(),
                vec!["tcp/8080 10.2.3.0/24".to_owned()]
            ),
        ]
    );
    assert!(
        report.suggestions[0].reason.contains("3 of 0.0.0.0/0"),
        "{}",
        report.suggestions[0].reason
    );
}

fn local_of(w: &World, pkt: &Packet) -> Option<IpAddr> {
    let eni = w.snap.enis.get(&pkt.interface)?;
    eni.private_addrs()
        .find(|a| a.is_ipv4() == pkt.remote.is_ipv4())
}

/// `pkt` as its interface's flow log records it (source port 33000, with `packets` and
/// `bytes`), or `None` for what the test skips: ICMP (a flow log has only the protocol
/// number: 6 and 17 read as TCP and UDP), or no address of the family on the interface.
fn record_of<'p>(
    w: &World,
    pkt: &'p Packet,
    accepted: bool,
    (packets, bytes): (u64, u64),
) -> Option<Observation<'p>> {
    let (protocol, dst_port) = match pkt.payload {
        Payload::Tcp { dst_port } => (6, dst_port),
        Payload::Udp { dst_port } => (17, dst_port),
        Payload::Other(n) if ![1, 6, 17, 58].contains(&n) => (n, 0),
        _ => return None,
    };
    let local = local_of(w, pkt)?;
    let (src, dst) = match pkt.direction {
        Direction::Ingress => (pkt.remote, local),
        Direction::Egress => (local, pkt.remote),
    };
    Some(Observation {
        interface: pkt.interface.as_str(),
        src,
        dst,
        src_port: 33000,
        dst_port,
        protocol,
        packets,
        bytes,
        start: 1,
        end: 2,
        accepted,
        direction: Some(pkt.direction),
        tcp_flags: None,
    })
}

proptest! {
    // Every record that is not a reply is attributed to exactly the rules `decide` names,
    // and every reply is one the other direction's rules (or an earlier record) opened.
    #[test]
    fn attribution_is_the_engines_decision(
        (snap, packets) in palisade_testkit::strategies::snapshot_and_packets(24),
        accept in prop::collection::vec(any::<bool>(), 24),
    ) {
        let w = World::from_snapshot(snap);
        let engine = compile(&w.snap);
        let mut a = Attributor::new(&w.snap, &engine, FlowConfig::default());
        for (pkt, &accepted) in packets.iter().zip(&accept) {
            let Some(o) = record_of(&w, pkt, accepted, (1, 60)) else { continue };
            let decision = engine.decide(pkt).unwrap();
            let outcome = a.observe(&o);
            let got: Vec<RuleMatch> = a.last_rules().cloned().collect();
            match outcome {
                Outcome::Allowed { .. } | Outcome::RejectedButAllowed { .. } => {
                    prop_assert_eq!(got, decision.matches);
                }
                Outcome::Rejected | Outcome::AcceptedWithoutRule => {
                    prop_assert_eq!(decision.verdict, Verdict::Deny);
                    prop_assert!(got.is_empty());
                }
                Outcome::Reply { inferred: true } => {
                    let back = Packet {
                        interface: pkt.interface.clone(),
                        direction: pkt.direction.opposite(),
                        remote: pkt.remote,
                        payload: match pkt.payload {
                            Payload::Tcp { .. } => Payload::Tcp { dst_port: 33000 },
                            Payload::Udp { .. } => Payload::Udp { dst_port: 33000 },
                            p => p,
                        },
                    };
                    prop_assert!(engine.allows(&back).unwrap());
                }
                Outcome::Reply { inferred: false } => prop_assert!(accepted),
                Outcome::UnknownInterface | Outcome::NotItsAddress => {
                    prop_assert!(!w.snap.enis.contains_key(&pkt.interface));
                }
            }
        }
    }
}

proptest! {
    // A connection's later records take the rules of its first allowed one from the
    // connection table instead of the engine: they must be the engine's answer still, and
    // a run with every record logged twice must report the same rules, flows, peers and
    // ports, with twice the records, packets and bytes.
    #[test]
    fn a_connections_later_records_keep_its_rules(
        (snap, packets) in palisade_testkit::strategies::snapshot_and_packets(24),
        accept in prop::collection::vec(any::<bool>(), 24),
    ) {
        let w = World::from_snapshot(snap);
        let engine = compile(&w.snap);
        let mut once = Attributor::new(&w.snap, &engine, FlowConfig::default());
        let mut twice = Attributor::new(&w.snap, &engine, FlowConfig::default());
        for (pkt, &accepted) in packets.iter().zip(&accept) {
            let Some(o) = record_of(&w, pkt, accepted, (3, 180)) else { continue };
            once.observe(&o);
            let first = twice.observe(&o);
            let first_rules: Vec<RuleMatch> = twice.last_rules().cloned().collect();
            let again = twice.observe(&o);
            let again_rules: Vec<RuleMatch> = twice.last_rules().cloned().collect();
            if let Outcome::Allowed { rules, .. } = first {
                prop_assert_eq!(again, Outcome::Allowed { rules, new_flow: false });
                prop_assert_eq!(&again_rules, &first_rules);
                prop_assert_eq!(again_rules, engine.decide(pkt).unwrap().matches);
            }
        }
        let (once, twice) = (once.finish(), twice.finish());
        prop_assert_eq!(once.used.len(), twice.used.len());
        for (u1, u2) in once.used.iter().zip(&twice.used) {
            prop_assert_eq!((&u1.group_id, &u1.rule.id), (&u2.group_id, &u2.rule.id));
            prop_assert_eq!((u1.flows, &u1.peers, &u1.ports), (u2.flows, &u2.peers, &u2.ports));
            prop_assert_eq!(
                (2 * u1.records, 2 * u1.packets, 2 * u1.bytes),
                (u2.records, u2.packets, u2.bytes)
            );
        }
        prop_assert_eq!(once.unused, twice.unused);
        prop_assert_eq!(once.suggestions, twice.suggestions);
    }
}

proptest! {
    // `observe_batch` is `observe` on each record in turn: the same outcomes, the same rules
    // after each record and the same report, whatever the batch size, with replies and
    // repeats in the log and a connection table small enough to be swept mid-batch.
    #[test]
    fn a_batch_is_its_records_in_turn(
        (snap, packets) in palisade_testkit::strategies::snapshot_and_packets(24),
        accept in prop::collection::vec(any::<bool>(), 24),
        batch_size in 1..40usize,
    ) {
        let w = World::from_snapshot(snap);
        let engine = compile(&w.snap);
        let mut records = Vec::new();
        for (pkt, &accepted) in packets.iter().zip(&accept) {
            let Some(o) = record_of(&w, pkt, accepted, (2, 120)) else { continue };
            let reply = Observation {
                src: o.dst,
                dst: o.src,
                src_port: o.dst_port,
                dst_port: o.src_port,
                direction: Some(pkt.direction.opposite()),
                ..o
            };
            records.extend([o, reply, o]);
        }
        let config = FlowConfig { max_connections: 8, ..FlowConfig::default() };
        let mut one = Attributor::new(&w.snap, &engine, config);
        let expected: Vec<(Outcome, Vec<RuleMatch>)> = records
            .iter()
            .map(|o| (one.observe(o), one.last_rules().cloned().collect()))
            .collect();
        let mut batched = Attributor::new(&w.snap, &engine, config);
        let mut got = Vec::new();
        for batch in records.chunks(batch_size) {
            batched.observe_batch(batch, |i, outcome, a| {
                got.push((got.len(), i, outcome, a.last_rules().cloned().collect::<Vec<_>>()));
            });
        }
        prop_assert_eq!(got.len(), expected.len());
        for ((n, i, outcome, rules), (want, want_rules)) in got.into_iter().zip(expected) {
            prop_assert_eq!(i, n % batch_size);
            prop_assert_eq!((outcome, rules), (want, want_rules));
        }
        prop_assert_eq!(one.finish(), batched.finish());
    }
}

#[test]
fn an_interface_id_is_matched_exactly() {
    let w = world();
    let engine = compile(&w.snap);
    let mut a = Attributor::new(&w.snap, &engine, FlowConfig::default());
    let at = |eni| obs(eni, "198.51.100.7", 40000, "10.0.0.10", 443, 6, true);
    assert!(matches!(a.observe(&at(WEB)), Outcome::Allowed { .. }));
    // One zero fewer or more, upper case, no prefix: other interfaces, none of them known.
    for other in [
        "eni-0000001",
        "eni-000000001",
        "eni-0000000A",
        "ENI-00000001",
        "00000001",
    ] {
        assert_eq!(a.observe(&at(other)), Outcome::UnknownInterface, "{other}");
    }
}

#[test]
fn peers_and_ports_are_bounded() {
    let w = world();
    let engine = compile(&w.snap);
    let config = FlowConfig {
        max_peers: 3,
        max_ports: 2,
        max_connections: 16,
        ..FlowConfig::default()
    };
    let mut a = Attributor::new(&w.snap, &engine, config);
    for i in 0..100u16 {
        let src = IpAddr::from([198, 51, 100, u8::try_from(i).unwrap()]);
        let o = Observation {
            src,
            ..obs(WEB, "198.51.100.1", 40000 + i, "10.0.0.10", 443, 6, true)
        };
        assert!(matches!(a.observe(&o), Outcome::Allowed { .. }));
    }
    let report = a.finish();
    let u = &report.used[0];
    assert_eq!((u.peers.len(), u.peers_truncated, u.flows), (3, true, 100));
    assert!(report.totals.evicted > 0);
    // A truncated peer set never yields a narrowing suggestion.
    assert!(report.suggestions.is_empty());
}
