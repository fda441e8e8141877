//! Packets for generated accounts: biased to hit what the snapshot allows (an address inside
//! a rule's peer, a port inside its range), plus near misses (one port off, one address past
//! the CIDR, the other family or protocol, a member's public address) and random noise.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use palisade_engine::{Packet, Payload};
use palisade_model::{Direction, Eni, GroupId, Peer, Rule, Snapshot, Traffic};

use crate::rng::Rng;

/// Draws packets for one snapshot.
#[derive(Debug)]
pub struct PacketGen<'a> {
    snap: &'a Snapshot,
    enis: Vec<&'a Eni>,
    /// The interfaces packets are decided on (all, or one host's).
    local: Vec<&'a Eni>,
    members: HashMap<&'a GroupId, Vec<&'a Eni>>,
    public: HashMap<IpAddr, Ipv4Addr>,
}

impl<'a> PacketGen<'a> {
    pub fn new(snap: &'a Snapshot) -> Self {
        let mut members: HashMap<&GroupId, Vec<&Eni>> = HashMap::new();
        let mut public = HashMap::new();
        for eni in snap.enis.values() {
            if let Some(p) = eni.public_ipv4 {
                public.extend(eni.private_addrs().map(|a| (a, p)));
            }
            for g in &eni.groups {
                members.entry(g).or_default().push(eni);
            }
        }
        let enis: Vec<&Eni> = snap.enis.values().collect();
        Self {
            snap,
            local: enis.clone(),
            enis,
            members,
            public,
        }
    }

    /// Keeps `n` interfaces, chosen from `seed`, as the only ones packets arrive on: the
    /// interfaces of one host, whose tables stay in cache (the data plane's case).
    pub fn on_host(mut self, n: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut pool = self.enis.clone();
        self.local = (0..n.min(pool.len()))
            .map(|_| pool.swap_remove(rng.index(pool.len())))
            .collect();
        self
    }

    /// `n` packets from `seed`; the same arguments always give the same packets.
    pub fn packets(&self, seed: u64, n: usize) -> Vec<Packet> {
        let mut rng = Rng::new(seed);
        (0..n).map(|_| self.packet(&mut rng)).collect()
    }

    /// One packet: 65% built from a rule of the interface (a third of those then nudged into
    /// a near miss), 35% random. Panics only on a snapshot without interfaces.
    pub fn packet(&self, rng: &mut Rng) -> Packet {
        let eni = *rng.pick(&self.local);
        let direction = if rng.percent(50) {
            Direction::Ingress
        } else {
            Direction::Egress
        };
        let rules: Vec<&Rule> = eni
            .groups
            .iter()
            .filter_map(|g| self.snap.groups.get(g))
            .flat_map(|g| g.rules_in(direction))
            .collect();
        let (remote, payload) = if !rules.is_empty() && rng.percent(65) {
            let rule = *rng.pick(&rules);
            let hit = (
                self.address_in(rule.peer(), rng),
                payload_in(rule.traffic(), rng),
            );
            if rng.percent(33) {
                self.near_miss(rule, hit, rng)
            } else {
                hit
            }
        } else {
            (self.random_addr(rng), random_payload(rng))
        };
        Packet {
            interface: eni.id.clone(),
            direction,
            remote,
            payload,
        }
    }

    fn address_in(&self, peer: &Peer, rng: &mut Rng) -> IpAddr {
        match peer {
            Peer::Ipv4(n) => {
                let (lo, hi) = (u32::from(n.network()), u32::from(n.broadcast()));
                IpAddr::V4(Ipv4Addr::from(
                    lo + rng.u32() % (hi - lo).saturating_add(1).max(1),
                ))
            }
            Peer::Ipv6(n) => {
                let (lo, hi) = (u128::from(n.network()), u128::from(n.broadcast()));
                let span = (hi - lo).saturating_add(1).max(1);
                IpAddr::V6(Ipv6Addr::from(lo + rng.u128() % span))
            }
            Peer::PrefixList(id) => match self.snap.prefix_lists.get(id) {
                Some(pl) if !pl.entries.is_empty() => {
                    let e = rng.pick(&pl.entries);
                    match e.cidr {
                        ipnet::IpNet::V4(n) => self.address_in(&Peer::Ipv4(n), rng),
                        ipnet::IpNet::V6(n) => self.address_in(&Peer::Ipv6(n), rng),
                    }
                }
                _ => self.random_addr(rng),
            },
            Peer::Group(gref) => match self.members.get(&gref.group_id) {
                Some(m) => {
                    let addrs: Vec<IpAddr> = rng.pick(m).private_addrs().collect();
                    *rng.pick(&addrs)
                }
                None => self.random_addr(rng),
            },
        }
    }

    fn near_miss(
        &self,
        rule: &Rule,
        (addr, payload): (IpAddr, Payload),
        rng: &mut Rng,
    ) -> (IpAddr, Payload) {
        match rng.below(4) {
            0 => (addr, port_off_by_one(payload, rng)),
            1 => (addr_past(rule.peer(), addr, rng), payload),
            2 => match self.public_of(addr) {
                Some(public) => (public, payload),
                None => (flip_family(addr, rng), payload),
            },
            _ => (addr, other_protocol(payload)),
        }
    }

    fn public_of(&self, addr: IpAddr) -> Option<IpAddr> {
        self.public.get(&addr).map(|p| IpAddr::V4(*p))
    }

    fn random_addr(&self, rng: &mut Rng) -> IpAddr {
        match rng.below(4) {
            0 => {
                let addrs: Vec<IpAddr> = rng.pick(&self.enis).private_addrs().collect();
                *rng.pick(&addrs)
            }
            1 => IpAddr::V6(Ipv6Addr::from(rng.u128())),
            _ => IpAddr::V4(Ipv4Addr::from(rng.u32())),
        }
    }
}

/// A payload the traffic admits.
pub fn payload_in(traffic: Traffic, rng: &mut Rng) -> Payload {
    let any_u8 = |v: Option<u8>, rng: &mut Rng| v.unwrap_or_else(|| rng.u8());
    match traffic {
        Traffic::All => random_payload(rng),
        Traffic::Tcp(r) => Payload::Tcp {
            dst_port: port_in(r.from(), r.to(), rng),
        },
        Traffic::Udp(r) => Payload::Udp {
            dst_port: port_in(r.from(), r.to(), rng),
        },
        Traffic::Icmp(m) => Payload::Icmp {
            icmp_type: any_u8(m.icmp_type(), rng),
            code: any_u8(m.code(), rng),
        },
        Traffic::Icmpv6(m) => Payload::Icmpv6 {
            icmp_type: any_u8(m.icmp_type(), rng),
            code: any_u8(m.code(), rng),
        },
        Traffic::Protocol(n) => Payload::Other(n),
    }
}

/// Any payload: mostly tcp and udp on popular ports.
pub fn random_payload(rng: &mut Rng) -> Payload {
    let port = |rng: &mut Rng| {
        if rng.percent(60) {
            *rng.pick(&crate::POPULAR_PORTS)
        } else {
            rng.u16()
        }
    };
    match rng.weighted(&[60, 20, 8, 6, 6]) {
        0 => Payload::Tcp {
            dst_port: port(rng),
        },
        1 => Payload::Udp {
            dst_port: port(rng),
        },
        2 => Payload::Icmp {
            icmp_type: rng.u8() % 12,
            code: rng.u8() % 4,
        },
        3 => Payload::Icmpv6 {
            icmp_type: 128 + rng.u8() % 9,
            code: 0,
        },
        _ => Payload::Other(rng.u8()),
    }
}

fn port_in(from: u16, to: u16, rng: &mut Rng) -> u16 {
    let span = u32::from(to - from) + 1;
    from + u16::try_from(rng.u32() % span).expect("< span ≤ 65536, and from + it ≤ to")
}

fn port_off_by_one(payload: Payload, rng: &mut Rng) -> Payload {
    let nudge = |p: u16, rng: &mut Rng| {
        if rng.percent(50) {
            p.wrapping_add(1)
        } else {
            p.wrapping_sub(1)
        }
    };
    match payload {
        Payload::Tcp { dst_port } => Payload::Tcp {
            dst_port: nudge(dst_port, rng),
        },
        Payload::Udp { dst_port } => Payload::Udp {
            dst_port: nudge(dst_port, rng),
        },
        Payload::Icmp { icmp_type, code } => Payload::Icmp {
            icmp_type,
            code: code.wrapping_add(1),
        },
        Payload::Icmpv6 { icmp_type, code } => Payload::Icmpv6 {
            icmp_type: icmp_type.wrapping_add(1),
            code,
        },
        Payload::Other(n) => Payload::Other(n.wrapping_add(1)),
    }
}

fn other_protocol(payload: Payload) -> Payload {
    match payload {
        Payload::Tcp { dst_port } => Payload::Udp { dst_port },
        Payload::Udp { dst_port } => Payload::Tcp { dst_port },
        Payload::Icmp { icmp_type, code } => Payload::Icmpv6 { icmp_type, code },
        Payload::Icmpv6 { icmp_type, code } => Payload::Icmp { icmp_type, code },
        Payload::Other(n) => Payload::Other(n ^ 0x80),
    }
}

/// The address just below or just above the peer's CIDR (or the neighbour of `addr`).
fn addr_past(peer: &Peer, addr: IpAddr, rng: &mut Rng) -> IpAddr {
    let up = rng.percent(50);
    match (peer, addr) {
        (Peer::Ipv4(n), _) => {
            let v = if up {
                u32::from(n.broadcast()).wrapping_add(1)
            } else {
                u32::from(n.network()).wrapping_sub(1)
            };
            IpAddr::V4(Ipv4Addr::from(v))
        }
        (Peer::Ipv6(n), _) => {
            let v = if up {
                u128::from(n.broadcast()).wrapping_add(1)
            } else {
                u128::from(n.network()).wrapping_sub(1)
            };
            IpAddr::V6(Ipv6Addr::from(v))
        }
        (_, IpAddr::V4(a)) => IpAddr::V4(Ipv4Addr::from(if up {
            u32::from(a).wrapping_add(1)
        } else {
            u32::from(a).wrapping_sub(1)
        })),
        (_, IpAddr::V6(a)) => IpAddr::V6(Ipv6Addr::from(if up {
            u128::from(a).wrapping_add(1)
        } else {
            u128::from(a).wrapping_sub(1)
        })),
    }
}

/// The same host bits in the other family (an IPv4-mapped address, or the low 32 bits).
fn flip_family(addr: IpAddr, rng: &mut Rng) -> IpAddr {
    match addr {
        IpAddr::V4(a) if rng.percent(50) => IpAddr::V6(a.to_ipv6_mapped()),
        IpAddr::V4(a) => IpAddr::V6(Ipv6Addr::from(u128::from(u32::from(a)))),
        IpAddr::V6(a) => IpAddr::V4(Ipv4Addr::from(
            u32::try_from(u128::from(a) & 0xffff_ffff).expect("masked to 32 bits"),
        )),
    }
}
