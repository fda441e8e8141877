//! One compiled table: the rules of one group set, in one direction, for one address family.
//!
//! A packet's remote address selects an elementary address interval (binary search over
//! sorted starts) and its payload selects a protocol/port class (binary search over at most a
//! few hundred port or ICMP boundaries); each maps to an interned bitset of rule indices and
//! the packet matches the rules in their intersection. Group-reference rules are kept apart,
//! as bitsets keyed by reference context (see `refs`). Rule indices follow
//! `(group_id, rule_id)` order, so reading the set bits in order yields sorted matches.

use std::fmt::Debug;

use ipnet::IpNet;
use palisade_model::{IcmpMatch, Peer, Protocol, Rule, Snapshot, Traffic, VpcId};

use super::refs::{RefIndex, RefKeys};
use super::sweep::{Bitsets, Elementary, Interner, Span, locate, sweep};
use crate::packet::{Payload, RuleMatch};

/// An address family's key type: `u32` for IPv4, `u128` for IPv6.
pub(crate) trait Family: Copy + Ord + Debug {
    /// The largest address.
    const MAX: u128;
    /// Narrows a key known to be within `0..=MAX`.
    fn narrow(v: u128) -> Self;
    /// The inclusive range of `net` when it is of this family.
    fn range(net: &IpNet) -> Option<(u128, u128)>;
    /// The reference keys `addr` satisfies.
    fn ref_keys(index: &RefIndex, addr: Self) -> &[u32];
}

impl Family for u32 {
    const MAX: u128 = Self::MAX as u128;
    fn narrow(v: u128) -> Self {
        Self::try_from(v).expect("IPv4 interval bounds stay within u32 by construction")
    }
    fn range(net: &IpNet) -> Option<(u128, u128)> {
        match net {
            IpNet::V4(n) => Some((
                Self::from(n.network()).into(),
                Self::from(n.broadcast()).into(),
            )),
            IpNet::V6(_) => None,
        }
    }
    #[inline]
    fn ref_keys(index: &RefIndex, addr: Self) -> &[u32] {
        index.keys_v4(addr)
    }
}

impl Family for u128 {
    const MAX: Self = Self::MAX;
    fn narrow(v: u128) -> Self {
        v
    }
    fn range(net: &IpNet) -> Option<(u128, u128)> {
        match net {
            IpNet::V6(n) => Some((n.network().into(), n.broadcast().into())),
            IpNet::V4(_) => None,
        }
    }
    #[inline]
    fn ref_keys(index: &RefIndex, addr: Self) -> &[u32] {
        index.keys_v6(addr)
    }
}

/// A rule offered to a table, with the VPC of its group (what group references resolve from).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate<'a> {
    pub(crate) id: &'a RuleMatch,
    pub(crate) rule: &'a Rule,
    pub(crate) from_vpc: &'a VpcId,
}

/// Port (or ICMP `type << 8 | code`) classes over `0..=65535`.
#[derive(Debug, Clone, Default)]
struct Classes {
    starts: Vec<u16>,
    sets: Vec<u32>,
}

impl Classes {
    fn new(e: Elementary) -> Self {
        let starts = e
            .starts
            .into_iter()
            .map(|s| u16::try_from(s).expect("port bounds stay within u16 by construction"))
            .collect();
        Self {
            starts,
            sets: e.sets,
        }
    }

    #[inline]
    fn get(&self, key: u16) -> u32 {
        self.sets[locate(&self.starts, key)]
    }

    fn heap_bytes(&self) -> usize {
        self.starts.capacity() * 2 + self.sets.capacity() * 4
    }
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Table<A> {
    rules: Vec<RuleMatch>,
    sets: Bitsets,
    addr_starts: Vec<A>,
    addr_sets: Vec<u32>,
    tcp: Classes,
    udp: Classes,
    icmp: Classes,
    icmpv6: Classes,
    /// Other protocol numbers: the set of protocol-`-1` rules, and exceptions for numbers
    /// some rule names (sorted by number).
    other_default: u32,
    other: Vec<(u8, u32)>,
    /// (reference key, rules naming it), sorted by key.
    refs: Vec<(u32, u32)>,
    /// Every group-reference rule: when the traffic set misses it, the reference index is
    /// not consulted at all.
    refs_any: u32,
}

impl<A: Family> Table<A> {
    /// Compiles `candidates` (any order) for family `A`.
    pub(crate) fn build(
        candidates: &[Candidate<'_>],
        snapshot: &Snapshot,
        ref_keys: &mut RefKeys,
    ) -> Self {
        let mut relevant: Vec<Candidate<'_>> = candidates
            .iter()
            .copied()
            .filter(|c| in_family::<A>(c.rule.peer(), snapshot))
            .collect();
        relevant.sort_by(|a, b| a.id.cmp(b.id));
        let mut rules: Vec<RuleMatch> = Vec::with_capacity(relevant.len());
        let mut bits: Vec<u32> = Vec::with_capacity(relevant.len());
        for c in &relevant {
            if rules.last() != Some(c.id) {
                rules.push(c.id.clone());
            }
            bits.push(u32::try_from(rules.len() - 1).expect("fewer than 2^32 rules per table"));
        }
        let mut interner = Interner::new(rules.len());

        let mut addr_spans = Vec::new();
        let mut refs: Vec<(u32, u32)> = Vec::new();
        let (mut tcp, mut udp, mut icmp, mut icmpv6) = (vec![], vec![], vec![], vec![]);
        let mut all_bits = Vec::new();
        let mut numbered: Vec<(u8, u32)> = Vec::new();
        let full = |bit| Span {
            lo: 0,
            hi: u128::from(u16::MAX),
            bit,
        };
        for (c, &bit) in relevant.iter().zip(&bits) {
            match c.rule.peer() {
                Peer::Ipv4(n) => addr_spans.extend(span::<A>(&IpNet::V4(*n), bit)),
                Peer::Ipv6(n) => addr_spans.extend(span::<A>(&IpNet::V6(*n), bit)),
                Peer::PrefixList(id) => {
                    let entries = snapshot
                        .prefix_lists
                        .get(id)
                        .map_or(&[][..], |pl| &pl.entries);
                    addr_spans.extend(entries.iter().filter_map(|e| span::<A>(&e.cidr, bit)));
                }
                Peer::Group(gref) => refs.push((ref_keys.intern(c.from_vpc, gref), bit)),
            }
            match c.rule.traffic() {
                Traffic::All => {
                    all_bits.push(bit);
                    for classes in [&mut tcp, &mut udp, &mut icmp, &mut icmpv6] {
                        classes.push(full(bit));
                    }
                }
                Traffic::Tcp(r) => tcp.push(port_span(r.from(), r.to(), bit)),
                Traffic::Udp(r) => udp.push(port_span(r.from(), r.to(), bit)),
                Traffic::Icmp(m) => icmp.extend(icmp_spans(m, bit)),
                Traffic::Icmpv6(m) => icmpv6.extend(icmp_spans(m, bit)),
                Traffic::Protocol(n) => {
                    // A bare protocol number matches every payload carrying it, the four
                    // classified protocols included (see `Payload::matched_by`).
                    match n {
                        Protocol::TCP => tcp.push(full(bit)),
                        Protocol::UDP => udp.push(full(bit)),
                        Protocol::ICMP => icmp.push(full(bit)),
                        Protocol::ICMPV6 => icmpv6.push(full(bit)),
                        _ => {}
                    }
                    numbered.push((n, bit));
                }
            }
        }

        let addr = sweep(&addr_spans, A::MAX, &mut interner);
        let port_max = u128::from(u16::MAX);
        let tcp = Classes::new(sweep(&tcp, port_max, &mut interner));
        let udp = Classes::new(sweep(&udp, port_max, &mut interner));
        let icmp = Classes::new(sweep(&icmp, port_max, &mut interner));
        let icmpv6 = Classes::new(sweep(&icmpv6, port_max, &mut interner));
        let other_default = interner.intern_bits(all_bits.iter().copied());
        numbered.sort_unstable();
        let mut other = Vec::new();
        for chunk in numbered.chunk_by(|a, b| a.0 == b.0) {
            let set =
                interner.intern_bits(all_bits.iter().copied().chain(chunk.iter().map(|e| e.1)));
            other.push((chunk[0].0, set));
        }
        refs.sort_unstable();
        let refs_any = interner.intern_bits(refs.iter().map(|e| e.1));
        let refs = refs
            .chunk_by(|a, b| a.0 == b.0)
            .map(|chunk| (chunk[0].0, interner.intern_bits(chunk.iter().map(|e| e.1))))
            .collect();

        Self {
            rules,
            sets: interner.finish(),
            addr_starts: addr.starts.into_iter().map(A::narrow).collect(),
            addr_sets: addr.sets,
            tcp,
            udp,
            icmp,
            icmpv6,
            other_default,
            other,
            refs,
            refs_any,
        }
    }

    /// The set of rules whose traffic admits `payload`.
    #[inline]
    fn payload_set(&self, payload: Payload) -> u32 {
        match payload {
            Payload::Tcp { dst_port } => self.tcp.get(dst_port),
            Payload::Udp { dst_port } => self.udp.get(dst_port),
            Payload::Icmp { icmp_type, code } => self.icmp.get(icmp_key(icmp_type, code)),
            Payload::Icmpv6 { icmp_type, code } => self.icmpv6.get(icmp_key(icmp_type, code)),
            Payload::Other(n) => match self.other.binary_search_by_key(&n, |e| e.0) {
                Ok(i) => self.other[i].1,
                Err(_) => self.other_default,
            },
        }
    }

    /// True when some rule admits the packet. Allocates nothing.
    #[inline]
    pub(crate) fn allows(&self, addr: A, payload: Payload, index: &RefIndex) -> bool {
        let traffic = self.payload_set(payload);
        if traffic == 0 {
            return false;
        }
        let peer = self.addr_sets[locate(&self.addr_starts, addr)];
        if peer != 0 && self.sets.intersects(peer, traffic) {
            return true;
        }
        self.refs_any != 0
            && self.sets.intersects(self.refs_any, traffic)
            && self
                .ref_sets(addr, index)
                .any(|set| self.sets.intersects(set, traffic))
    }

    /// Every rule admitting the packet, in `(group_id, rule_id)` order.
    pub(crate) fn matches(&self, addr: A, payload: Payload, index: &RefIndex) -> Vec<RuleMatch> {
        let mut res = Vec::new();
        self.visit(addr, payload, index, |m| res.push(m.clone()));
        res
    }

    /// Calls `f` on every rule admitting the packet, in `(group_id, rule_id)` order, without
    /// allocating (for tables of up to 512 rules); returns how many there were.
    pub(crate) fn visit(
        &self,
        addr: A,
        payload: Payload,
        index: &RefIndex,
        mut f: impl FnMut(&RuleMatch),
    ) -> usize {
        let traffic = self.payload_set(payload);
        if traffic == 0 {
            return 0;
        }
        // Tables of up to 512 rules (every real interface: EC2 caps rules × groups at 1000
        // per family and direction) accumulate on the stack.
        let words = self.sets.words();
        let mut stack = [0u64; 8];
        let mut heap = Vec::new();
        let acc: &mut [u64] = if words <= stack.len() {
            &mut stack[..words]
        } else {
            heap.resize(words, 0);
            &mut heap
        };
        let traffic_words = self.sets.get(traffic);
        let peer = self.addr_sets[locate(&self.addr_starts, addr)];
        let refs = if self.refs_any != 0 && self.sets.intersects(self.refs_any, traffic) {
            Some(self.ref_sets(addr, index))
        } else {
            None
        };
        for set in std::iter::once(peer).chain(refs.into_iter().flatten()) {
            for ((a, p), t) in acc.iter_mut().zip(self.sets.get(set)).zip(traffic_words) {
                *a |= p & t;
            }
        }
        let mut n = 0;
        for (word_idx, &word) in acc.iter().enumerate() {
            let mut w = word;
            while w != 0 {
                let bit = word_idx * 64 + w.trailing_zeros() as usize;
                f(&self.rules[bit]);
                n += 1;
                w &= w - 1;
            }
        }
        n
    }

    /// The rule sets of the reference contexts `addr` satisfies that this table names.
    #[inline]
    fn ref_sets<'s>(&'s self, addr: A, index: &'s RefIndex) -> impl Iterator<Item = u32> + 's {
        let keys = if self.refs.is_empty() {
            &[][..]
        } else {
            A::ref_keys(index, addr)
        };
        keys.iter().filter_map(|k| {
            self.refs
                .binary_search_by_key(k, |e| e.0)
                .ok()
                .map(|i| self.refs[i].1)
        })
    }

    pub(crate) fn n_rules(&self) -> usize {
        self.rules.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        let rule_bytes: usize = self
            .rules
            .iter()
            .map(|r| r.group_id.as_str().len() + r.rule_id.as_str().len())
            .sum();
        self.rules.capacity() * size_of::<RuleMatch>()
            + rule_bytes
            + self.sets.heap_bytes()
            + self.addr_starts.capacity() * size_of::<A>()
            + self.addr_sets.capacity() * 4
            + [&self.tcp, &self.udp, &self.icmp, &self.icmpv6]
                .iter()
                .map(|c| c.heap_bytes())
                .sum::<usize>()
            + self.other.capacity() * size_of::<(u8, u32)>()
            + self.refs.capacity() * size_of::<(u32, u32)>()
    }
}

/// Can a rule with this peer ever match an address of family `A`?
fn in_family<A: Family>(peer: &Peer, snapshot: &Snapshot) -> bool {
    match peer {
        Peer::Ipv4(n) => A::range(&IpNet::V4(*n)).is_some(),
        Peer::Ipv6(n) => A::range(&IpNet::V6(*n)).is_some(),
        Peer::PrefixList(id) => snapshot
            .prefix_lists
            .get(id)
            .is_some_and(|pl| pl.entries.iter().any(|e| A::range(&e.cidr).is_some())),
        Peer::Group(_) => true,
    }
}

fn span<A: Family>(net: &IpNet, bit: u32) -> Option<Span> {
    A::range(net).map(|(lo, hi)| Span { lo, hi, bit })
}

fn port_span(from: u16, to: u16, bit: u32) -> Span {
    Span {
        lo: u128::from(from),
        hi: u128::from(to),
        bit,
    }
}

#[inline]
fn icmp_key(icmp_type: u8, code: u8) -> u16 {
    u16::from(icmp_type) << 8 | u16::from(code)
}

/// The `type << 8 | code` keys an ICMP match admits, as spans.
fn icmp_spans(m: IcmpMatch, bit: u32) -> Vec<Span> {
    let key = |t: u8, c: u8| u128::from(icmp_key(t, c));
    match (m.icmp_type(), m.code()) {
        (None, None) => vec![Span {
            lo: 0,
            hi: u128::from(u16::MAX),
            bit,
        }],
        (Some(t), None) => vec![Span {
            lo: key(t, 0),
            hi: key(t, u8::MAX),
            bit,
        }],
        (Some(t), Some(c)) => vec![Span {
            lo: key(t, c),
            hi: key(t, c),
            bit,
        }],
        // Not constructible today (`IcmpMatch::new` refuses it), handled for completeness.
        (None, Some(c)) => (0..=u8::MAX)
            .map(|t| Span {
                lo: key(t, c),
                hi: key(t, c),
                bit,
            })
            .collect(),
    }
}
