//! The flow table against a plainly written model: a `Vec` of flows scanned linearly, absolute
//! deadlines, the reference evaluator for rules, and every rule re-read from the snapshot.
//! They must agree on every verdict, reason, match list, and on the table's contents, for
//! random sequences of packets, time steps, expiries and rule changes.
//!
//! Shared with the table on purpose: the TCP/UDP state transitions and timeouts of
//! [`State`] (unit-tested on their own in `tests.rs`). Everything else — keys, interning,
//! 32-bit deadlines and epoch moves, capacity, untracked re-judging — is written again here.

use std::net::IpAddr;

use palisade_model::{
    ConntrackConfig, Direction, Eni, EniId, Peer, PortRange, Rule, RuleId, RuleSpec, Snapshot,
    Timestamp, Traffic,
};
use proptest::prelude::*;

use super::{addr, eni, rule, sg, tcp_port, world};
use crate::flow::{
    FlowPacket, FlowReason, FlowTable, FlowVerdict, QuotedFlow, State, TcpFlags, Transport,
};
use crate::packet::Verdict;
use crate::reference;

#[derive(Debug, Clone)]
struct Flow {
    interface: EniId,
    local: IpAddr,
    remote: IpAddr,
    protocol: u8,
    local_port: u16,
    remote_port: u16,
    state: State,
    deadline: u64,
    ingress_started: bool,
    untracked: bool,
}

#[derive(Debug, Clone)]
struct Model {
    snapshot: Snapshot,
    flows: Vec<Flow>,
    capacity: usize,
    exceeded: Vec<(EniId, u64)>,
}

/// (protocol, local port, remote port) of the flow a packet belongs to.
fn identity(pkt: &FlowPacket) -> Option<(u8, u16, u16)> {
    match pkt.transport {
        Transport::Tcp {
            local_port,
            remote_port,
            ..
        } => Some((6, local_port, remote_port)),
        Transport::Udp {
            local_port,
            remote_port,
        } => Some((17, local_port, remote_port)),
        Transport::Icmp {
            icmp_type, ident, ..
        } => match (pkt.remote.is_ipv6(), icmp_type) {
            (false, 0 | 8) => Some((1, ident, 0)),
            (true, 128 | 129) => Some((58, ident, 0)),
            _ => None,
        },
        Transport::Other(n) => Some((n, 0, 0)),
    }
}

fn timeout_ms(snapshot: &Snapshot, interface: &EniId, state: State) -> u64 {
    let config = snapshot
        .enis
        .get(interface)
        .map_or(ConntrackConfig::default(), |e| e.conntrack);
    u64::from(state.timeout_secs(&config)) * 1000
}

fn everywhere_all_ports(rule: &Rule, v6: bool, protocol: u8) -> bool {
    let family_ok = match rule.peer() {
        Peer::Ipv4(n) => !v6 && n.prefix_len() == 0,
        Peer::Ipv6(n) => v6 && n.prefix_len() == 0,
        _ => false,
    };
    let ports_ok = match rule.traffic() {
        Traffic::All => true,
        Traffic::Tcp(r) => protocol == 6 && r == PortRange::ALL,
        Traffic::Udp(r) => protocol == 17 && r == PortRange::ALL,
        _ => false,
    };
    family_ok && ports_ok
}

impl Model {
    fn untracked(&self, pkt: &FlowPacket, matches: &[crate::RuleMatch]) -> bool {
        let protocol = match pkt.transport {
            Transport::Tcp { .. } => 6,
            Transport::Udp { .. } => 17,
            _ => return false,
        };
        let admitted_by_everywhere = matches.iter().any(|m| {
            let group = &self.snapshot.groups[&m.group_id];
            group
                .rules()
                .iter()
                .any(|r| r.id == m.rule_id && r.peer().is_everywhere())
        });
        let Some(eni) = self.snapshot.enis.get(&pkt.interface) else {
            return false;
        };
        let other_open = eni
            .groups
            .iter()
            .filter_map(|g| self.snapshot.groups.get(g))
            .any(|g| {
                g.rules_in(pkt.direction.opposite())
                    .any(|r| everywhere_all_ports(r, pkt.remote.is_ipv6(), protocol))
            });
        admitted_by_everywhere && other_open
    }

    fn position(&self, pkt: &FlowPacket, remote: IpAddr, id: (u8, u16, u16)) -> Option<usize> {
        self.flows.iter().position(|f| {
            f.interface == pkt.interface
                && f.local == pkt.local
                && f.remote == remote
                && (f.protocol, f.local_port, f.remote_port) == id
        })
    }

    fn observe(&mut self, now: u64, pkt: &FlowPacket) -> FlowVerdict {
        let verdict = |v, r, m| FlowVerdict {
            verdict: v,
            reason: r,
            matches: m,
            related: false,
        };
        let decision =
            reference::decide(&self.snapshot, &pkt.to_packet()).expect("known interface");
        let mut expired = false;
        if let Some(id) = identity(pkt)
            && let Some(idx) = self.position(pkt, pkt.remote, id)
        {
            let flow = &self.flows[idx];
            if flow.deadline > now {
                if flow.untracked && decision.verdict == Verdict::Deny {
                    self.flows.remove(idx);
                    return verdict(Verdict::Deny, FlowReason::NoMatchingRule, Vec::new());
                }
                let original = (pkt.direction == Direction::Ingress) == flow.ingress_started;
                let next = match pkt.transport {
                    Transport::Tcp { flags, .. } => flow.state.on_tcp(flags, original),
                    Transport::Udp { .. } => flow.state.on_udp(original),
                    _ => flow.state,
                };
                let deadline = now + timeout_ms(&self.snapshot, &pkt.interface, next);
                let flow = &mut self.flows[idx];
                flow.state = next;
                flow.deadline = deadline;
                if flow.untracked {
                    return verdict(Verdict::Allow, FlowReason::Untracked, decision.matches);
                }
                return verdict(Verdict::Allow, FlowReason::TrackedConnection, Vec::new());
            }
            self.flows.remove(idx);
            expired = true;
        }
        if let Transport::Icmp {
            icmp_type,
            related: Some(q),
            ..
        } = pkt.transport
        {
            let error = if pkt.remote.is_ipv6() {
                (1..=4).contains(&icmp_type)
            } else {
                [3, 4, 5, 11, 12].contains(&icmp_type)
            };
            let ports = if q.protocol == 6 || q.protocol == 17 {
                (q.local_port, q.remote_port)
            } else {
                (0, 0)
            };
            if error
                && q.remote.is_ipv6() == pkt.local.is_ipv6()
                && let Some(idx) = self.position(pkt, q.remote, (q.protocol, ports.0, ports.1))
                && !self.flows[idx].untracked
                && self.flows[idx].deadline > now
            {
                return FlowVerdict {
                    verdict: Verdict::Allow,
                    reason: FlowReason::TrackedConnection,
                    matches: Vec::new(),
                    related: true,
                };
            }
        }
        if decision.verdict == Verdict::Deny {
            let reason = if expired {
                FlowReason::Expired
            } else {
                FlowReason::NoMatchingRule
            };
            return verdict(Verdict::Deny, reason, Vec::new());
        }
        let state = match pkt.transport {
            Transport::Tcp { flags, .. } => {
                let (s, a, f, r) = (
                    flags.contains(TcpFlags::SYN),
                    flags.contains(TcpFlags::ACK),
                    flags.contains(TcpFlags::FIN),
                    flags.contains(TcpFlags::RST),
                );
                match (s, a, f || r) {
                    (true, false, false) => Some(State::TcpSynSent),
                    (false, true, false) => Some(State::TcpEstablished),
                    _ => None,
                }
            }
            Transport::Udp { .. } => Some(State::UdpUnreplied),
            Transport::Icmp { icmp_type, .. } => {
                (icmp_type == if pkt.remote.is_ipv6() { 128 } else { 8 }).then_some(State::IcmpEcho)
            }
            Transport::Other(_) => Some(State::Other),
        };
        let (Some(state), Some(id)) = (state, identity(pkt)) else {
            return verdict(Verdict::Allow, FlowReason::Rule, decision.matches);
        };
        let untracked = self.untracked(pkt, &decision.matches);
        let count = |flows: &[Flow]| {
            flows
                .iter()
                .filter(|f| f.interface == pkt.interface && !f.untracked)
                .count()
        };
        if !untracked && count(&self.flows) >= self.capacity {
            self.flows.retain(|f| f.deadline > now);
            if count(&self.flows) >= self.capacity {
                match self.exceeded.iter_mut().find(|(e, _)| *e == pkt.interface) {
                    Some((_, n)) => *n += 1,
                    None => self.exceeded.push((pkt.interface.clone(), 1)),
                }
                return verdict(Verdict::Deny, FlowReason::TableFull, decision.matches);
            }
        }
        self.flows.push(Flow {
            interface: pkt.interface.clone(),
            local: pkt.local,
            remote: pkt.remote,
            protocol: id.0,
            local_port: id.1,
            remote_port: id.2,
            state,
            deadline: now + timeout_ms(&self.snapshot, &pkt.interface, state),
            ingress_started: pkt.direction == Direction::Ingress,
            untracked,
        });
        let reason = if untracked {
            FlowReason::Untracked
        } else {
            FlowReason::Rule
        };
        verdict(Verdict::Allow, reason, decision.matches)
    }

    fn change(&mut self, edit: &Edit) {
        edit.apply(&mut self.snapshot);
        let flows = std::mem::take(&mut self.flows);
        for flow in flows {
            if !self.snapshot.enis.contains_key(&flow.interface) {
                continue;
            }
            if flow.untracked {
                let pkt = FlowPacket {
                    interface: flow.interface.clone(),
                    direction: if flow.ingress_started {
                        Direction::Ingress
                    } else {
                        Direction::Egress
                    },
                    local: flow.local,
                    remote: flow.remote,
                    transport: if flow.protocol == 6 {
                        Transport::Tcp {
                            local_port: flow.local_port,
                            remote_port: flow.remote_port,
                            flags: TcpFlags::ACK,
                        }
                    } else {
                        Transport::Udp {
                            local_port: flow.local_port,
                            remote_port: flow.remote_port,
                        }
                    },
                };
                let d =
                    reference::decide(&self.snapshot, &pkt.to_packet()).expect("known interface");
                if d.verdict == Verdict::Deny || !self.untracked(&pkt, &d.matches) {
                    continue;
                }
            }
            self.flows.push(flow);
        }
    }
}

/// The rules the random sequences switch on and off.
fn pool() -> Vec<RuleSpec> {
    vec![
        rule(Direction::Ingress, tcp_port(80), "0.0.0.0/0"),
        rule(Direction::Ingress, tcp_port(22), "203.0.113.0/24"),
        rule(Direction::Egress, Traffic::All, "0.0.0.0/0"),
        rule(Direction::Egress, Traffic::All, "::/0"),
        rule(
            Direction::Ingress,
            Traffic::Udp(PortRange::single(53)),
            "0.0.0.0/0",
        ),
        rule(
            Direction::Ingress,
            Traffic::Icmp(palisade_model::IcmpMatch::ANY),
            "0.0.0.0/0",
        ),
        rule(Direction::Ingress, tcp_port(80), "::/0"),
        rule(Direction::Ingress, Traffic::All, "0.0.0.0/0"),
        rule(Direction::Egress, tcp_port(443), "0.0.0.0/0"),
        rule(Direction::Ingress, Traffic::Protocol(47), "0.0.0.0/0"),
        rule(Direction::Egress, Traffic::Udp(PortRange::ALL), "::/0"),
        rule(Direction::Ingress, Traffic::Tcp(PortRange::ALL), "::/0"),
    ]
}

/// Toggles rule `idx` of the pool: revoked when present, else added with id `sgr-1nnnnnnn`.
#[derive(Debug, Clone)]
struct Edit {
    idx: usize,
    serial: usize,
}

impl Edit {
    fn apply(&self, snapshot: &mut Snapshot) {
        let spec = pool()[self.idx].clone();
        let group = snapshot.groups.get_mut(&sg()).expect("group");
        if group.rules().iter().any(|r| r.spec.same_rule(&spec)) {
            group.revoke_matching(&[spec]).expect("present");
            return;
        }
        let id: RuleId = format!("sgr-{:08x}", 0x1000_0000 + self.serial)
            .parse()
            .expect("generated id");
        let rule = Rule {
            id,
            group_id: sg(),
            spec,
            description: None,
            tags: Vec::new(),
        };
        group.insert_existing(rule).expect("absent");
    }
}

fn eni2() -> EniId {
    "eni-00000002".parse().expect("literal id")
}

#[derive(Debug, Clone)]
enum Event {
    Packet(FlowPacket),
    Advance(u64),
    Expire,
    Toggle(usize),
}

fn packet() -> impl Strategy<Value = FlowPacket> {
    let transport = prop_oneof![
        (
            prop::sample::select(vec![22u16, 80, 443, 1000]),
            prop::sample::select(vec![1000u16, 80, 443]),
            prop::sample::select(vec!["S", "SA", "A", "PA", "F", "FA", "R"])
        )
            .prop_map(|(local_port, remote_port, f)| Transport::Tcp {
                local_port,
                remote_port,
                flags: TcpFlags::parse(f).expect("literal")
            }),
        (
            prop::sample::select(vec![53u16, 5000]),
            prop::sample::select(vec![53u16, 5000])
        )
            .prop_map(|(local_port, remote_port)| Transport::Udp {
                local_port,
                remote_port
            }),
        (
            prop::sample::select(vec![0u8, 8, 3, 128, 129, 1]),
            any::<bool>(),
            prop::sample::select(vec![80u16, 1000])
        )
            .prop_map(|(icmp_type, quote, port)| Transport::Icmp {
                icmp_type,
                code: 0,
                ident: 1,
                related: quote.then(|| QuotedFlow {
                    protocol: 6,
                    remote: addr("198.51.100.7"),
                    local_port: port,
                    remote_port: 443
                }),
            }),
        prop::sample::select(vec![47u8, 50]).prop_map(Transport::Other),
    ];
    (
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec!["203.0.113.9", "198.51.100.7", "2001:db8:ffff::9"]),
        transport,
    )
        .prop_map(|(second, ingress, remote, transport)| {
            let remote = addr(remote);
            let local = if remote.is_ipv4() {
                addr("10.0.1.10")
            } else {
                addr("2001:db8::10")
            };
            FlowPacket {
                interface: if second { eni2() } else { eni() },
                direction: if ingress {
                    Direction::Ingress
                } else {
                    Direction::Egress
                },
                local,
                remote,
                transport,
            }
        })
}

fn event() -> impl Strategy<Value = Event> {
    let steps = vec![
        0u64,
        1,
        999,
        1000,
        9_999,
        10_000,
        29_999,
        30_000,
        45_000,
        59_999,
        60_000,
        119_999,
        120_000,
        600_000,
        432_000_000,
        5_000_000_000,
    ];
    prop_oneof![
        8 => packet().prop_map(Event::Packet),
        4 => prop::sample::select(steps).prop_map(Event::Advance),
        1 => Just(Event::Expire),
        2 => (0..pool().len()).prop_map(Event::Toggle),
    ]
}

fn start(initial: &[bool]) -> Snapshot {
    let specs: Vec<RuleSpec> = pool()
        .into_iter()
        .zip(initial)
        .filter(|(_, on)| **on)
        .map(|(s, _)| s)
        .collect();
    let mut snapshot = world(&specs, ConntrackConfig::default());
    let mut second: Eni = snapshot.enis[&eni()].clone();
    second.id = eni2();
    second.conntrack = ConntrackConfig::new(Some(60), Some(90), Some(45)).expect("in range");
    snapshot.enis.insert(eni2(), second);
    snapshot
}

proptest! {
    #[test]
    fn flow_table_matches_model(
        initial in prop::collection::vec(any::<bool>(), 12),
        capacity in 1usize..5,
        events in prop::collection::vec(event(), 1..80),
    ) {
        let snapshot = start(&initial);
        let cap = u32::try_from(capacity).expect("small");
        let mut table = FlowTable::new(snapshot.clone(), cap);
        let mut model = Model { snapshot, flows: Vec::new(), capacity, exceeded: Vec::new() };
        let mut now = 0u64;
        for (serial, ev) in events.into_iter().enumerate() {
            match ev {
                Event::Packet(pkt) => {
                    let got = table.observe(Timestamp::from_millis(now), &pkt).expect("well-formed");
                    let want = model.observe(now, &pkt);
                    prop_assert_eq!(got, want, "at {} ms: {:?}", now, pkt);
                }
                Event::Advance(ms) => now += ms,
                Event::Expire => {
                    table.expire(Timestamp::from_millis(now));
                    model.flows.retain(|f| f.deadline > now);
                }
                Event::Toggle(idx) => {
                    let edit = Edit { idx, serial };
                    table.change(&[sg()], |s| edit.apply(s));
                    model.change(&edit);
                }
            }
            prop_assert_eq!(table.len(), model.flows.len());
            for id in [eni(), eni2()] {
                let stats = table.interface_stats(&id).expect("interface");
                let mine = |untracked: bool| model.flows.iter().filter(|f| f.interface == id && f.untracked == untracked).count();
                prop_assert_eq!(stats.tracked as usize, mine(false));
                prop_assert_eq!(stats.untracked as usize, mine(true));
                let exceeded = model.exceeded.iter().find(|(e, _)| *e == id).map_or(0, |(_, n)| *n);
                prop_assert_eq!(stats.allowance_exceeded, exceeded);
            }
            if let Some(due) = table.poll_timeout() {
                let earliest = model.flows.iter().map(|f| f.deadline).min().expect("non-empty");
                prop_assert!(due.millis() <= earliest);
            }
        }
    }
}
