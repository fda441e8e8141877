//! Which rule carried each flow: VPC Flow Logs records attributed to the exact set of rules
//! that allow them, with replies told apart from the flows that opened them.
//!
//! A record is one interface, one direction and one 5-tuple over an interval. For each one
//! the [`Attributor`]:
//! - finds the interface in the snapshot and the record's direction (from `flow-direction`
//!   when the log has it, else from which end is one of the interface's addresses);
//! - asks the engine for every rule of every group on the interface that admits the packet
//!   (the same answer as [`palisade_engine::Engine::decide`]);
//! - remembers the connections it has seen opened, so that the other direction's records
//!   are replies: EC2 logs the replies of an accepted flow as ACCEPT too, and they are no
//!   use of a rule (an egress rule that only ever saw replies is unused). A connection's
//!   later records in its opening direction take the rules of its first allowed record
//!   from that table (the engine would answer the same). A record allowed in neither
//!   direction by rules but accepted is reported, as is a REJECT that the rules allow (a
//!   network ACL, or something outside the groups).
//!
//! When a record could be either side (both directions' rules admit it and its opener was
//! not seen first), TCP flags decide where the log has them (a SYN without ACK opens; a
//! SYN-ACK answers), else the ports: the side whose destination port is the lower one is
//! taken as the opener (clients use ephemeral ports). ICMP records carry no type in flow
//! logs: they are judged as echo requests (IPv4 type 8, IPv6 type 128, code 0).
//!
//! Memory is bounded: connections are forgotten `horizon` seconds after their last record,
//! and at most `max_connections` are kept; each rule keeps at most `max_peers` distinct
//! peers and `max_ports` distinct ports. Pure: records in, a report out.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use palisade_engine::{Engine, InterfaceClass, Payload, RuleMatch};
use palisade_model::{
    Direction, EniId, GroupId, NewRule, Peer, PortRange, Protocol, Rule, Snapshot, Traffic,
};
use rustc_hash::{FxHashMap, FxHashSet};

use conns::{Conn, ConnKey, Conns, RuleLists};

mod conns;

/// Limits and thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowConfig {
    /// Seconds a connection is remembered after the end of its last record.
    pub horizon: u64,
    /// Connections remembered at most (the oldest are forgotten first).
    pub max_connections: usize,
    /// Distinct peers kept per rule.
    pub max_peers: usize,
    /// Distinct (protocol, port) pairs kept per rule.
    pub max_ports: usize,
    /// A wide rule is narrowed only to at most this many observed networks.
    pub max_suggested_networks: usize,
    /// A port range is narrowed only to at most this many observed ports.
    pub max_suggested_ports: usize,
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            horizon: 900,
            max_connections: 1 << 20,
            max_peers: 1024,
            max_ports: 64,
            max_suggested_networks: 8,
            max_suggested_ports: 4,
        }
    }
}

/// One flow log record as the attributor reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation<'a> {
    pub interface: &'a str,
    /// The packets' source and destination (`pkt-srcaddr`/`pkt-dstaddr` where logged).
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: u8,
    pub packets: u64,
    pub bytes: u64,
    pub start: u64,
    pub end: u64,
    pub accepted: bool,
    /// `flow-direction`, where logged.
    pub direction: Option<Direction>,
    pub tcp_flags: Option<u16>,
}

impl<'a> Observation<'a> {
    /// A parsed flow log record as the attributor reads it: the packet-level addresses
    /// where logged, ports 0 where the protocol has none. `None` when a field it needs
    /// (interface, addresses, protocol, action) is missing, as in NODATA records.
    pub fn from_record(r: &palisade_flowlog::Record<'a>) -> Option<Self> {
        use palisade_flowlog::{Action, FlowDirection};
        Some(Self {
            interface: r.interface_id?,
            src: r.pkt_src_addr.or(r.src_addr)?,
            dst: r.pkt_dst_addr.or(r.dst_addr)?,
            src_port: r.src_port.unwrap_or(0),
            dst_port: r.dst_port.unwrap_or(0),
            protocol: r.protocol?,
            packets: r.packets.unwrap_or(0),
            bytes: r.bytes.unwrap_or(0),
            start: r.start.unwrap_or(0),
            end: r.end.or(r.start).unwrap_or(0),
            accepted: r.action? == Action::Accept,
            direction: r.flow_direction.map(|d| match d {
                FlowDirection::Ingress => Direction::Ingress,
                FlowDirection::Egress => Direction::Egress,
            }),
            tcp_flags: r.tcp_flags,
        })
    }
}

/// What one record was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted and allowed by `rules` rules; `new_flow` when it opened a connection not
    /// seen before (later records of the same flow are uses too, not new flows).
    Allowed { rules: usize, new_flow: bool },
    /// The reply side of an allowed flow; `inferred` when its opener was not seen (yet).
    Reply { inferred: bool },
    /// Rejected, and no rule allows it.
    Rejected,
    /// Accepted, yet no rule allows it in either direction: the snapshot is stale, or the
    /// traffic is outside what groups filter.
    AcceptedWithoutRule,
    /// Rejected, yet `rules` rules allow it: a network ACL, or something outside the groups.
    RejectedButAllowed { rules: usize },
    /// The interface is not in the snapshot.
    UnknownInterface,
    /// Neither address is the interface's and the log names no direction.
    NotItsAddress,
}

/// What happened to one rule over the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleUsage {
    pub group_id: GroupId,
    pub rule: Rule,
    /// Records attributed (an open connection logs one a capture interval).
    pub records: u64,
    /// Connections opened.
    pub flows: u64,
    pub packets: u64,
    pub bytes: u64,
    /// Unix seconds: the earliest start and the latest end of its records.
    pub first_seen: u64,
    pub last_seen: u64,
    /// Distinct remote addresses, sorted; `peers_truncated` when more were seen than kept.
    pub peers: Vec<IpAddr>,
    pub peers_truncated: bool,
    /// Distinct (protocol, destination port) pairs (port 0 where the protocol has none).
    pub ports: Vec<(u8, u16)>,
    pub ports_truncated: bool,
}

/// A record that contradicts the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contradiction {
    pub kind: ContradictionKind,
    pub interface: EniId,
    pub direction: Direction,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: u8,
    pub start: u64,
    /// The rules that allow it (for a REJECT).
    pub rules: Vec<RuleMatch>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContradictionKind {
    AcceptedWithoutRule,
    RejectedButAllowed,
}

impl ContradictionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AcceptedWithoutRule => "accepted-without-rule",
            Self::RejectedButAllowed => "rejected-but-allowed",
        }
    }
}

/// A narrower rule set that would have carried every attributed flow: revoke `rule`,
/// authorize `replace_with`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub group_id: GroupId,
    pub rule: Rule,
    pub reason: String,
    pub replace_with: Vec<NewRule>,
}

/// Counts over every record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub records: u64,
    pub allowed: u64,
    pub replies: u64,
    pub replies_inferred: u64,
    pub rejected: u64,
    pub accepted_without_rule: u64,
    pub rejected_but_allowed: u64,
    pub unknown_interface: u64,
    pub not_its_address: u64,
    /// Connections forgotten to stay within `max_connections` before their horizon.
    pub evicted: u64,
    /// Earliest start and latest end over all records (0 when none).
    pub first: u64,
    pub last: u64,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowReport {
    pub totals: Totals,
    /// Rules with at least one attributed record, by (group id, rule id).
    pub used: Vec<RuleUsage>,
    /// Rules of groups on logged interfaces that no record used.
    pub unused: Vec<(GroupId, Rule)>,
    /// Groups none of whose interfaces appear in the logs (their rules cannot be judged).
    pub unobserved_groups: Vec<GroupId>,
    /// The first contradictions (at most 1,000); `totals` counts them all.
    pub contradictions: Vec<Contradiction>,
    pub suggestions: Vec<Suggestion>,
}

const MAX_CONTRADICTIONS: usize = 1000;

struct Iface<'s> {
    id: &'s EniId,
    class: Option<InterfaceClass>,
    addrs: Addrs,
    observed: bool,
}

/// An interface's addresses, the first few inline (read for every record without a
/// direction; a pointer to follow would be one more cache miss).
struct Addrs {
    inline: [IpAddr; Self::INLINE],
    n_inline: usize,
    more: Vec<IpAddr>,
}

impl Addrs {
    const INLINE: usize = 3;

    fn new(all: &[IpAddr]) -> Self {
        let mut inline = [IpAddr::from([0u8; 4]); Self::INLINE];
        let n_inline = all.len().min(Self::INLINE);
        inline[..n_inline].copy_from_slice(&all[..n_inline]);
        Self {
            inline,
            n_inline,
            more: all[n_inline..].to_vec(),
        }
    }

    fn contains(&self, addr: &IpAddr) -> bool {
        self.inline[..self.n_inline].contains(addr) || self.more.contains(addr)
    }
}

#[derive(Default)]
struct Stats {
    records: u64,
    flows: u64,
    packets: u64,
    bytes: u64,
    first: u64,
    last: u64,
    /// Distinct peers, by family (numbers hash in one or two words; `IpAddr` hashes a
    /// discriminant and a byte slice).
    peers_v4: FxHashSet<u32>,
    peers_v6: FxHashSet<u128>,
    peers_truncated: bool,
    ports: FxHashSet<(u8, u16)>,
    ports_truncated: bool,
}

impl Stats {
    fn n_peers(&self) -> usize {
        self.peers_v4.len() + self.peers_v6.len()
    }

    fn has_peer(&self, peer: IpAddr) -> bool {
        match peer {
            IpAddr::V4(a) => self.peers_v4.contains(&u32::from(a)),
            IpAddr::V6(a) => self.peers_v6.contains(&u128::from(a)),
        }
    }

    fn insert_peer(&mut self, peer: IpAddr) {
        match peer {
            IpAddr::V4(a) => self.peers_v4.insert(u32::from(a)),
            IpAddr::V6(a) => self.peers_v6.insert(u128::from(a)),
        };
    }
}

/// Attributes records one at a time; [`Attributor::finish`] reports.
#[allow(missing_debug_implementations)] // borrows a snapshot and an engine; nothing to show
pub struct Attributor<'s> {
    snapshot: &'s Snapshot,
    engine: &'s Engine,
    config: FlowConfig,
    /// Interfaces by [`EniId::numeric_key`] (no string to follow and compare on a hit), and by
    /// name for ids that have none.
    iface_index: FxHashMap<u128, u32>,
    odd_ifaces: FxHashMap<&'s str, u32>,
    ifaces: Vec<Iface<'s>>,
    rule_index: FxHashMap<RuleMatch, u32>,
    /// The same, by the address of the engine's `RuleMatch` (stable: the engine is borrowed
    /// immutably for the attributor's life), so a hit hashes one word, not two ids.
    by_address: FxHashMap<usize, u32>,
    rules: Vec<(RuleMatch, &'s Rule)>,
    stats: Vec<Stats>,
    conns: Conns,
    /// The rule lists `conns` entries name.
    lists: RuleLists,
    latest: u64,
    since_sweep: u32,
    matched: Vec<u32>,
    /// [`Attributor::observe_batch`]'s records resolved (kept for its allocation).
    resolved: Vec<Resolved>,
    /// The same, their connections' home slots.
    homes: Vec<conns::Home>,
    totals: Totals,
    contradictions: Vec<Contradiction>,
}

impl<'s> Attributor<'s> {
    /// An attributor over `snapshot`, with `engine` compiled from it.
    pub fn new(snapshot: &'s Snapshot, engine: &'s Engine, config: FlowConfig) -> Self {
        let mut ifaces = Vec::with_capacity(snapshot.enis.len());
        let mut iface_index = FxHashMap::default();
        let mut odd_ifaces = FxHashMap::default();
        for (id, eni) in &snapshot.enis {
            let mut addrs: Vec<IpAddr> = eni.private_addrs().collect();
            addrs.extend(eni.public_ipv4.map(IpAddr::V4));
            let idx = index_u32(ifaces.len());
            match EniId::numeric_key(id.as_str()) {
                Some(key) => iface_index.insert(key, idx),
                None => odd_ifaces.insert(id.as_str(), idx),
            };
            ifaces.push(Iface {
                id,
                class: engine.class_of(id).ok(),
                addrs: Addrs::new(&addrs),
                observed: false,
            });
        }
        let mut rules = Vec::new();
        for group in snapshot.groups.values() {
            for rule in group.rules() {
                rules.push((
                    RuleMatch {
                        group_id: group.id.clone(),
                        rule_id: rule.id.clone(),
                    },
                    rule,
                ));
            }
        }
        let stats = (0..rules.len()).map(|_| Stats::default()).collect();
        let rule_index = rules
            .iter()
            .enumerate()
            .map(|(i, (m, _))| (m.clone(), index_u32(i)))
            .collect();
        Self {
            snapshot,
            engine,
            config,
            iface_index,
            odd_ifaces,
            ifaces,
            rule_index,
            by_address: FxHashMap::default(),
            rules,
            stats,
            conns: Conns::default(),
            lists: RuleLists::default(),
            latest: 0,
            since_sweep: 0,
            matched: Vec::new(),
            resolved: Vec::new(),
            homes: Vec::new(),
            totals: Totals::default(),
            contradictions: Vec::new(),
        }
    }

    /// Connections remembered now (bounded by `max_connections`).
    pub fn tracked(&self) -> usize {
        self.conns.live()
    }

    /// The rules the last record was attributed to (or, for a contradiction, that allow
    /// it), in `(group id, rule id)` order.
    pub fn last_rules(&self) -> impl Iterator<Item = &RuleMatch> + '_ {
        self.matched.iter().map(|&i| &self.rules[i as usize].0)
    }

    /// Attributes one record.
    pub fn observe(&mut self, o: &Observation<'_>) -> Outcome {
        let resolved = self.resolve(o);
        self.observe_resolved(o, resolved)
    }

    fn observe_resolved(&mut self, o: &Observation<'_>, resolved: Resolved) -> Outcome {
        self.matched.clear();
        let t = &mut self.totals;
        t.records += 1;
        if t.first == 0 || o.start < t.first {
            t.first = o.start;
        }
        t.last = t.last.max(o.end);
        let outcome = self.judge(o, resolved);
        let t = &mut self.totals;
        match outcome {
            Outcome::Allowed { .. } => t.allowed += 1,
            Outcome::Reply { inferred } => {
                t.replies += 1;
                t.replies_inferred += u64::from(inferred);
            }
            Outcome::Rejected => t.rejected += 1,
            Outcome::AcceptedWithoutRule => t.accepted_without_rule += 1,
            Outcome::RejectedButAllowed { .. } => t.rejected_but_allowed += 1,
            Outcome::UnknownInterface => t.unknown_interface += 1,
            Outcome::NotItsAddress => t.not_its_address += 1,
        }
        outcome
    }

    /// Attributes `batch` in order, exactly as [`Attributor::observe`] on each record in turn
    /// would, calling `each` after each one with its index and outcome (and the attributor:
    /// its `last_rules` are that record's). Faster on logs of many connections: the batch's
    /// connections are looked up in the table first, so their cache misses overlap instead
    /// of following one another.
    pub fn observe_batch(
        &mut self,
        batch: &[Observation<'_>],
        mut each: impl FnMut(usize, Outcome, &Self),
    ) {
        // Each record's interface and direction, found once; the loads of their connections'
        // slots are only summed, so the processor keeps them all in flight.
        let mut resolved = std::mem::take(&mut self.resolved);
        let mut homes = std::mem::take(&mut self.homes);
        resolved.clear();
        homes.clear();
        for o in batch {
            let r = self.resolve(o);
            if let Some((iface, Some(direction))) = r
                && o.accepted
            {
                homes.push(self.conns.home(&conn_key(iface, direction, o)));
            }
            resolved.push(r);
        }
        // A loop of loads alone, so that many are in flight at once.
        let mut touched = 0u64;
        for &home in &homes {
            touched = touched.wrapping_add(self.conns.touch(home));
        }
        self.homes = homes;
        std::hint::black_box(touched);
        for (i, (o, &r)) in batch.iter().zip(&resolved).enumerate() {
            let outcome = self.observe_resolved(o, r);
            each(i, outcome, self);
        }
        self.resolved = resolved;
    }

    /// The record's interface (`None`: not in the snapshot) and its direction there
    /// (`None`: neither address is the interface's and the log names none).
    #[inline]
    fn resolve(&self, o: &Observation<'_>) -> Resolved {
        let iface = self.iface_of(o.interface)?;
        Some((iface, direction_of(o, &self.ifaces[iface as usize].addrs)))
    }

    #[inline]
    fn iface_of(&self, interface: &str) -> Option<u32> {
        match EniId::numeric_key(interface) {
            Some(key) => self.iface_index.get(&key),
            None => self.odd_ifaces.get(interface),
        }
        .copied()
    }

    fn judge(&mut self, o: &Observation<'_>, resolved: Resolved) -> Outcome {
        let Some((iface, direction)) = resolved else {
            return Outcome::UnknownInterface;
        };
        let info = &mut self.ifaces[iface as usize];
        info.observed = true;
        let Some(direction) = direction else {
            return Outcome::NotItsAddress;
        };
        let eni = info.id;
        let class = info.class;
        let key = conn_key(iface, direction, o);
        let remote = key.remote;
        self.latest = self.latest.max(o.end);
        self.sweep();

        // A REJECT is judged by the rules alone: it neither opens nor answers a connection.
        if !o.accepted {
            let forward = payload(o.protocol, o.dst_port, remote);
            let n = self.match_rules(class, direction, remote, forward);
            if n > 0 {
                self.contradiction(ContradictionKind::RejectedButAllowed, eni, direction, o);
                return Outcome::RejectedButAllowed { rules: n };
            }
            return Outcome::Rejected;
        }

        // One probe: `place` stays valid to the end (nothing is removed before then).
        let mut place = self.conns.find(&key);
        let known = self.conns.get(place);
        if let Some(c) = known
            && c.opener != direction
            && o.accepted
        {
            let last = c.last.max(o.end);
            self.conns.set(&mut place, &key, Conn { last, ..c });
            return Outcome::Reply { inferred: false };
        }
        // A further record of a connection whose opener was allowed: its rules are known,
        // and its peer and port are in their sets already.
        if let Some(c) = known
            && c.opener == direction
            && c.opener_seen
            && o.accepted
            && let Some(rules) = self.lists.get(c.rules)
        {
            self.matched.extend_from_slice(rules);
            let last = c.last.max(o.end);
            self.conns.set(&mut place, &key, Conn { last, ..c });
            let n = self.matched.len();
            self.count(o, remote, false);
            return Outcome::Allowed {
                rules: n,
                new_flow: false,
            };
        }

        // The rules that admit this record as the opening direction.
        let n = self.match_rules(
            class,
            direction,
            remote,
            payload(o.protocol, o.dst_port, remote),
        );

        let continuing = known.is_some_and(|c| c.opener == direction);
        // Could it be the answer to a flow opened the other way? Only asked when the
        // answer matters: nothing allows it this way, or it looks like an answer.
        if !continuing && (n == 0 || looks_like_reply(o)) {
            // The opener's destination port is this record's source port.
            let back = payload(o.protocol, o.src_port, remote);
            let reverse = class.is_some_and(|c| {
                (self.engine).visit_class(c, direction.opposite(), remote, back, |_| {}) > 0
            });
            if reverse {
                self.matched.clear();
                let conn = remembered(known, direction.opposite(), false, o.end);
                self.conns.set(&mut place, &key, conn);
                return Outcome::Reply { inferred: true };
            }
        }
        if n == 0 {
            self.contradiction(ContradictionKind::AcceptedWithoutRule, eni, direction, o);
            return Outcome::AcceptedWithoutRule;
        }
        let new_flow = !known.is_some_and(|c| c.opener == direction && c.opener_seen);
        let conn = Conn {
            rules: self.lists.intern(&self.matched),
            ..remembered(known, direction, true, o.end)
        };
        self.conns.set(&mut place, &key, conn);
        self.count(o, remote, new_flow);
        Outcome::Allowed { rules: n, new_flow }
    }

    /// Appends to `matched` every rule admitting `payload` from/to `remote` on an interface
    /// of `class` in `direction`, in `(group id, rule id)` order; returns how many. An
    /// interface with no groups the engine knows of has no class: nothing allows.
    fn match_rules(
        &mut self,
        class: Option<InterfaceClass>,
        direction: Direction,
        remote: IpAddr,
        payload: Payload,
    ) -> usize {
        let Some(class) = class else {
            return 0;
        };
        let rule_index = &self.rule_index;
        let by_address = &mut self.by_address;
        let matched = &mut self.matched;
        self.engine
            .visit_class(class, direction, remote, payload, |m| {
                let address = std::ptr::from_ref(m) as usize;
                let i = match by_address.get(&address) {
                    Some(&i) => Some(i),
                    // Every rule the engine names is one of the snapshot's.
                    None => rule_index.get(m).copied().inspect(|&i| {
                        by_address.insert(address, i);
                    }),
                };
                matched.extend(i);
            })
    }

    /// Counts `o` for every rule in `matched`: a continuing flow's peer and port were
    /// counted with its first record (or found their sets full), so only a new one's are.
    fn count(&mut self, o: &Observation<'_>, remote: IpAddr, new_flow: bool) {
        let port = (o.protocol, port_of(o.protocol, o.dst_port));
        for &i in &self.matched {
            let s = &mut self.stats[i as usize];
            s.records += 1;
            s.flows += u64::from(new_flow);
            s.packets += o.packets;
            s.bytes += o.bytes;
            if s.first == 0 || o.start < s.first {
                s.first = o.start;
            }
            s.last = s.last.max(o.end);
            if !new_flow {
                continue;
            }
            // One hash while the set has room; a full set only checks membership.
            if !s.peers_truncated {
                if s.n_peers() < self.config.max_peers {
                    s.insert_peer(remote);
                } else if !s.has_peer(remote) {
                    s.peers_truncated = true;
                }
            }
            if !s.ports_truncated {
                if s.ports.len() < self.config.max_ports {
                    s.ports.insert(port);
                } else if !s.ports.contains(&port) {
                    s.ports_truncated = true;
                }
            }
        }
    }

    /// Forgets connections past the horizon (every 64k records), and the oldest half when
    /// the table is full.
    fn sweep(&mut self) {
        self.since_sweep += 1;
        let max = self.config.max_connections;
        // Slots of forgotten connections count in `len` until purged.
        if self.conns.len() >= max {
            self.conns.purge();
        }
        let full = self.conns.len() >= max;
        if self.since_sweep < 1 << 16 && !full {
            return;
        }
        self.since_sweep = 0;
        self.conns
            .expire_before(self.latest.saturating_sub(self.config.horizon));
        if full {
            self.conns.purge();
            if self.conns.len() >= max {
                let mut lasts = self.conns.lasts();
                let mid = lasts.len() / 2;
                let (_, &mut median, _) = lasts.select_nth_unstable(mid);
                self.totals.evicted += self.conns.retain(|last| last > median) as u64;
            }
        }
    }

    fn contradiction(
        &mut self,
        kind: ContradictionKind,
        eni: &EniId,
        direction: Direction,
        o: &Observation<'_>,
    ) {
        if self.contradictions.len() >= MAX_CONTRADICTIONS {
            return;
        }
        self.contradictions.push(Contradiction {
            kind,
            interface: eni.clone(),
            direction,
            src: o.src,
            dst: o.dst,
            src_port: o.src_port,
            dst_port: o.dst_port,
            protocol: o.protocol,
            start: o.start,
            rules: self.last_rules().cloned().collect(),
        });
    }

    /// The report over every record observed.
    pub fn finish(self) -> FlowReport {
        let mut observed_groups: FxHashSet<&GroupId> = FxHashSet::default();
        for iface in self.ifaces.iter().filter(|i| i.observed) {
            if let Some(eni) = self.snapshot.enis.get(iface.id) {
                observed_groups.extend(eni.groups.iter());
            }
        }
        let mut used = Vec::new();
        let mut unused = Vec::new();
        let mut suggestions = Vec::new();
        for ((id, rule), stats) in self.rules.iter().zip(self.stats) {
            if stats.records == 0 {
                if observed_groups.contains(&id.group_id) {
                    unused.push((id.group_id.clone(), (*rule).clone()));
                }
                continue;
            }
            let mut peers: Vec<IpAddr> = (stats.peers_v4.iter())
                .map(|&a| IpAddr::V4(a.into()))
                .chain(stats.peers_v6.iter().map(|&a| IpAddr::V6(a.into())))
                .collect();
            peers.sort_unstable();
            let mut ports: Vec<(u8, u16)> = stats.ports.into_iter().collect();
            ports.sort_unstable();
            let usage = RuleUsage {
                group_id: id.group_id.clone(),
                rule: (*rule).clone(),
                records: stats.records,
                flows: stats.flows,
                packets: stats.packets,
                bytes: stats.bytes,
                first_seen: stats.first,
                last_seen: stats.last,
                peers,
                peers_truncated: stats.peers_truncated,
                ports,
                ports_truncated: stats.ports_truncated,
            };
            suggestions.extend(suggest(&usage, &self.config));
            used.push(usage);
        }
        let key = |g: &GroupId, r: &Rule| (g.clone(), r.id.clone());
        used.sort_by_key(|u| key(&u.group_id, &u.rule));
        unused.sort_by_key(|(g, r)| key(g, r));
        let unobserved_groups = self
            .snapshot
            .groups
            .keys()
            .filter(|g| !observed_groups.contains(g))
            .cloned()
            .collect();
        FlowReport {
            totals: self.totals,
            used,
            unused,
            unobserved_groups,
            contradictions: self.contradictions,
            suggestions,
        }
    }
}

/// A record's interface index and direction (see [`Attributor::resolve`]).
type Resolved = Option<(u32, Option<Direction>)>;

/// The record's direction on an interface with `addrs`: `flow-direction` where logged,
/// else which end is the interface's.
#[inline]
fn direction_of(o: &Observation<'_>, addrs: &Addrs) -> Option<Direction> {
    match o.direction {
        Some(d) => Some(d),
        None if addrs.contains(&o.dst) => Some(Direction::Ingress),
        None if addrs.contains(&o.src) => Some(Direction::Egress),
        None => None,
    }
}

/// The connection `o` belongs to, seen from interface `iface` in `direction`.
#[inline]
fn conn_key(iface: u32, direction: Direction, o: &Observation<'_>) -> ConnKey {
    let (local, remote, local_port, remote_port) = match direction {
        Direction::Ingress => (o.dst, o.src, o.dst_port, o.src_port),
        Direction::Egress => (o.src, o.dst, o.src_port, o.dst_port),
    };
    ConnKey {
        iface,
        protocol: o.protocol,
        local,
        local_port,
        remote,
        remote_port,
    }
}

/// A connection after one more record (`known` is what was remembered of it), opened by
/// `opener` when it is new.
fn remembered(known: Option<Conn>, opener: Direction, opener_seen: bool, end: u64) -> Conn {
    match known {
        Some(c) => Conn {
            last: c.last.max(end),
            opener_seen: c.opener_seen | (opener_seen && c.opener == opener),
            ..c
        },
        None => Conn {
            opener,
            opener_seen,
            last: end,
            rules: 0,
        },
    }
}

/// A table index: snapshots hold far fewer than 2^32 interfaces or rules.
fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The payload the rules match for a record (its destination port).
fn payload(protocol: u8, dst_port: u16, remote: IpAddr) -> Payload {
    match protocol {
        Protocol::TCP => Payload::Tcp { dst_port },
        Protocol::UDP => Payload::Udp { dst_port },
        Protocol::ICMP | Protocol::ICMPV6 => echo_request(remote),
        n => Payload::Other(n),
    }
}

fn echo_request(remote: IpAddr) -> Payload {
    match remote {
        IpAddr::V4(_) => Payload::Icmp {
            icmp_type: 8,
            code: 0,
        },
        IpAddr::V6(_) => Payload::Icmpv6 {
            icmp_type: 128,
            code: 0,
        },
    }
}

fn port_of(protocol: u8, dst_port: u16) -> u16 {
    match protocol {
        Protocol::TCP | Protocol::UDP => dst_port,
        _ => 0,
    }
}

/// Both directions' rules admit the record: is it the answering side?
fn looks_like_reply(o: &Observation<'_>) -> bool {
    const SYN: u16 = 0x02;
    const ACK: u16 = 0x10;
    if o.protocol == Protocol::TCP
        && let Some(flags) = o.tcp_flags
        && flags & SYN != 0
    {
        return flags & ACK != 0;
    }
    match o.protocol {
        Protocol::TCP | Protocol::UDP => o.dst_port > o.src_port,
        _ => false,
    }
}

/// Narrower rules for a used rule, when its traffic came from few networks or used few of
/// its ports.
fn suggest(u: &RuleUsage, config: &FlowConfig) -> Option<Suggestion> {
    let spec = &u.rule.spec;
    let networks = if u.peers_truncated {
        None
    } else {
        narrower_networks(&spec.peer, &u.peers, config.max_suggested_networks)
    };
    let ports = if u.ports_truncated {
        None
    } else {
        narrower_ports(spec.traffic, &u.ports, config.max_suggested_ports)
    };
    if networks.is_none() && ports.is_none() {
        return None;
    }
    let peers: Vec<Peer> = networks.clone().map_or_else(
        || vec![spec.peer.clone()],
        |n| n.iter().map(|n| net_peer(*n)).collect(),
    );
    let traffics: Vec<Traffic> = ports.clone().unwrap_or_else(|| vec![spec.traffic]);
    let mut replace_with = Vec::new();
    for traffic in &traffics {
        for peer in &peers {
            let mut rule = NewRule::new(spec.direction, *traffic, peer.clone());
            rule.description = u.rule.description.clone();
            replace_with.push(rule);
        }
    }
    let mut reasons = Vec::new();
    if let Some(n) = &networks {
        let list: Vec<String> = n.iter().map(ToString::to_string).collect();
        let flows = if u.flows == 1 {
            "the one flow".to_owned()
        } else {
            format!("all {} flows", u.flows)
        };
        reasons.push(format!(
            "{flows} came from {} ({} of {})",
            list.join(", "),
            n.len(),
            spec.peer
        ));
    }
    if let Some(p) = &ports {
        let list: Vec<String> = p.iter().map(ToString::to_string).collect();
        reasons.push(format!(
            "only {} of {} was used",
            list.join(", "),
            spec.traffic
        ));
    }
    Some(Suggestion {
        group_id: u.group_id.clone(),
        rule: u.rule.clone(),
        reason: reasons.join("; "),
        replace_with,
    })
}

fn net_peer(net: IpNet) -> Peer {
    match net {
        IpNet::V4(n) => Peer::Ipv4(n),
        IpNet::V6(n) => Peer::Ipv6(n),
    }
}

/// The /24s (IPv4) or /64s (IPv6) the peers fall in, when they are fewer than `max` and
/// strictly narrower than the rule's CIDR.
fn narrower_networks(peer: &Peer, peers: &[IpAddr], max: usize) -> Option<Vec<IpNet>> {
    let (rule_len, bucket_len) = match peer {
        Peer::Ipv4(n) => (n.prefix_len(), 24),
        Peer::Ipv6(n) => (n.prefix_len(), 64),
        Peer::PrefixList(_) | Peer::Group(_) => return None,
    };
    if rule_len >= bucket_len {
        return None;
    }
    let mut nets: Vec<IpNet> = peers
        .iter()
        .filter_map(|a| match a {
            IpAddr::V4(a) => Ipv4Net::new(*a, bucket_len)
                .ok()
                .map(|n| IpNet::V4(n.trunc())),
            IpAddr::V6(a) => Ipv6Net::new(*a, bucket_len)
                .ok()
                .map(|n| IpNet::V6(n.trunc())),
        })
        .collect();
    nets.sort_unstable();
    nets.dedup();
    let nets = IpNet::aggregate(&nets);
    (!nets.is_empty() && nets.len() <= max).then_some(nets)
}

/// The ports used, when the rule admits a range (or all traffic) of which at most `max`
/// TCP/UDP ports carried flows.
fn narrower_ports(traffic: Traffic, used: &[(u8, u16)], max: usize) -> Option<Vec<Traffic>> {
    if used.is_empty() || used.len() > max {
        return None;
    }
    let wide = match traffic {
        Traffic::All => true,
        Traffic::Tcp(r) | Traffic::Udp(r) => r.from() != r.to(),
        _ => false,
    };
    if !wide {
        return None;
    }
    used.iter()
        .map(|&(proto, port)| {
            let range = PortRange::new(port, port).ok()?;
            match proto {
                Protocol::TCP => Some(Traffic::Tcp(range)),
                Protocol::UDP => Some(Traffic::Udp(range)),
                _ => None,
            }
        })
        .collect()
}
