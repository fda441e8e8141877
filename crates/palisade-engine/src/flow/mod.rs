//! The stateful engine: EC2 security-group connection tracking as a sans-IO flow table.
//!
//! [`FlowTable::observe`] judges one packet at an instant the caller supplies;
//! [`FlowTable::expire`] forgets connections idle past their timeout and
//! [`FlowTable::poll_timeout`] says when that is next worth calling (quinn-proto's
//! `handle_timeout`/`poll_timeout`). No clock, no threads, no I/O.
//!
//! Semantics (EC2 UG "Security group connection tracking"):
//! - a packet of a **tracked** connection is allowed whatever the rules now say, in both
//!   directions, for connections started inbound or outbound; ICMP echo replies and ICMP
//!   errors quoting a tracked connection included;
//! - a TCP or UDP flow is **untracked** when a rule admitting it names all addresses
//!   (`0.0.0.0/0` or `::/0`) and the other direction has a rule admitting all addresses of the
//!   same family on all ports. Its packets are judged by the current rules, it takes no room
//!   in the interface's allowance, and it stops at once when a rule change makes it
//!   disallowed or tracked ([`FlowTable::change`] re-judges every untracked flow);
//! - ICMP and other protocols are always tracked; other protocols by addresses and protocol
//!   number only, for 600 s;
//! - new connections are judged by the current rules, and a full table drops them
//!   (`conntrack_allowance_exceeded`).
//!
//! Timeouts and TCP states are in [`state`]; the storage layout in `key`.

mod key;
mod packet;
pub mod state;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::IpAddr;

use palisade_model::{
    ConntrackConfig, Direction, EniId, GroupId, Peer, PortRange, Snapshot, Timestamp, Traffic,
};

use self::key::{AnyKey, Entry, FlowHasher, Interner, Maps, Tuple};
pub use self::packet::{
    FlowError, FlowPacket, FlowReason, FlowVerdict, QuotedFlow, TcpFlags, Transport,
};
pub use self::state::State;
use crate::packet::{DecideError, RuleMatch, Verdict};
use crate::{Engine, compile};

/// Counters of one interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InterfaceStats {
    /// Tracked connections stored (live, or dead but not yet expired).
    pub tracked: u32,
    /// Untracked flows remembered.
    pub untracked: u32,
    /// New tracked connections dropped because the table was full (EC2's
    /// `conntrack_allowance_exceeded`).
    pub allowance_exceeded: u64,
}

/// Connection tracking for every interface of a snapshot.
#[derive(Debug, Clone)]
pub struct FlowTable {
    snapshot: Snapshot,
    engine: Engine,
    interfaces: HashMap<EniId, u32, FlowHasher>,
    infos: Vec<InterfaceInfo>,
    endpoints: Interner,
    maps: Maps,
    /// Deadlines are stored as milliseconds after this instant (see `rel`).
    epoch: Timestamp,
    /// A lower bound of every stored deadline, absolute milliseconds.
    next_deadline: Option<u64>,
    max_tracked_per_interface: u32,
    /// The last (interface, local address) looked up and its endpoint id.
    last_endpoint: Option<(u32, IpAddr, u32)>,
    /// The last interface looked up and its index (cleared when interfaces change).
    last_interface: Option<(EniId, u32)>,
}

#[derive(Debug, Clone)]
struct InterfaceInfo {
    present: bool,
    config: ConntrackConfig,
    /// `open[direction][family][tcp=0/udp=1]`: a rule admits all addresses of the family
    /// on all ports of the protocol in that direction.
    open: [[[bool; 2]; 2]; 2],
    stats: InterfaceStats,
}

impl FlowTable {
    /// A table over `snapshot`, holding at most `max_tracked_per_interface` tracked
    /// connections on each interface.
    pub fn new(snapshot: Snapshot, max_tracked_per_interface: u32) -> Self {
        let engine = compile(&snapshot);
        let mut table = Self {
            snapshot,
            engine,
            interfaces: HashMap::default(),
            infos: Vec::new(),
            endpoints: Interner::default(),
            maps: Maps::default(),
            epoch: Timestamp::ZERO,
            next_deadline: None,
            max_tracked_per_interface,
            last_endpoint: None,
            last_interface: None,
        };
        table.refresh_interfaces();
        table
    }

    /// Reserves room for `n` more IPv4 connections (benchmarks, known loads).
    pub fn reserve_v4(&mut self, n: usize) {
        self.maps.v4.reserve(n);
    }

    /// Reserves room for `n` more IPv6 connections (benchmarks, known loads).
    pub fn reserve_v6(&mut self, n: usize) {
        self.maps.v6.reserve(n);
    }

    /// Changes the per-interface limit; connections above a lowered limit are kept, new
    /// ones wait for room.
    pub fn set_max_tracked_per_interface(&mut self, limit: u32) {
        self.max_tracked_per_interface = limit;
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Connections stored (tracked and untracked, live or not yet expired).
    pub fn len(&self) -> usize {
        self.maps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.maps.len() == 0
    }

    /// Bytes of the connection maps' slot arrays (the per-connection memory; the small
    /// per-interface and per-endpoint tables are not counted).
    pub fn memory_bytes(&self) -> usize {
        self.maps.memory_bytes()
    }

    /// The counters of an interface.
    pub fn interface_stats(&self, eni: &EniId) -> Option<InterfaceStats> {
        let idx = *self.interfaces.get(eni)?;
        Some(self.infos[idx as usize].stats)
    }

    /// When [`FlowTable::expire`] may next forget something: a lower bound of the earliest
    /// deadline (calling earlier is harmless). `None` when the table is empty.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        if self.maps.len() == 0 {
            return None;
        }
        self.next_deadline.map(Timestamp::from_millis)
    }

    /// Forgets every connection idle past its timeout at `now`; returns how many.
    pub fn expire(&mut self, now: Timestamp) -> usize {
        let now_rel = self.rel(now);
        let before = self.maps.len();
        let mut earliest = u64::MAX;
        let Self {
            maps,
            infos,
            endpoints,
            ..
        } = self;
        maps.retain(|tuple, entry| {
            if u64::from(entry.deadline()) > now_rel {
                earliest = earliest.min(u64::from(entry.deadline()));
                return true;
            }
            let (idx, _) = endpoints.endpoint(tuple.local_id);
            uncount(&mut infos[idx as usize].stats, *entry);
            false
        });
        self.next_deadline = (earliest != u64::MAX).then(|| self.epoch.millis() + earliest);
        before - self.maps.len()
    }

    /// Judges one packet at `now` and updates the connection it belongs to.
    pub fn observe(&mut self, now: Timestamp, pkt: &FlowPacket) -> Result<FlowVerdict, FlowError> {
        if pkt.local.is_ipv4() != pkt.remote.is_ipv4() {
            return Err(FlowError::MixedFamilies {
                local: pkt.local,
                remote: pkt.remote,
            });
        }
        let iface = self.interface_idx(&pkt.interface)?;
        // An endpoint never interned has no connection: interning waits for one.
        let local_id = self.find_local_id(iface, pkt.local);
        let now_rel = self.rel(now);
        let mut expired = false;
        if let Some(tuple) = local_id.and_then(|id| flow_tuple(pkt, id)) {
            let key = AnyKey::pack(&tuple);
            let Self {
                maps,
                infos,
                epoch,
                next_deadline,
                ..
            } = self;
            if let Some(entry) = maps.get_mut(&key) {
                let entry_now = *entry;
                if u64::from(entry_now.deadline()) > now_rel {
                    if entry_now.has(Entry::UNTRACKED) {
                        return self.observe_untracked(iface, key, entry_now, pkt, now_rel);
                    }
                    // The fast path: a live tracked connection, one map probe.
                    let next = next_state(entry_now, pkt);
                    let config = &infos[iface as usize].config;
                    entry.set_deadline(deadline_for(config, next, now_rel, *epoch, next_deadline));
                    entry.set_state(next);
                    return Ok(FlowVerdict::new(
                        Verdict::Allow,
                        FlowReason::TrackedConnection,
                        Vec::new(),
                    ));
                }
                maps.remove(&key);
                uncount(&mut infos[iface as usize].stats, entry_now);
                expired = true;
            }
        }
        if local_id.is_some_and(|id| self.is_related(pkt, id, now_rel)) {
            let mut verdict =
                FlowVerdict::new(Verdict::Allow, FlowReason::TrackedConnection, Vec::new());
            verdict.related = true;
            return Ok(verdict);
        }
        self.observe_new(iface, local_id, pkt, now, expired)
    }

    /// Applies a configuration change: `edit` changes the snapshot (rules, memberships,
    /// interfaces …), `changed_groups` names every group whose rules changed. Only what the
    /// change touches is recompiled; every untracked flow is re-judged and dropped when it
    /// is no longer allowed or no longer untracked. Tracked connections are kept (EC2:
    /// "existing tracked connections are not interrupted"), except those of interfaces that
    /// no longer exist.
    pub fn change<R>(
        &mut self,
        changed_groups: &[GroupId],
        edit: impl FnOnce(&mut Snapshot) -> R,
    ) -> R {
        let res = edit(&mut self.snapshot);
        self.engine.update(&self.snapshot, changed_groups);
        self.refresh_interfaces();
        self.rejudge_untracked();
        res
    }

    fn observe_untracked(
        &mut self,
        iface: u32,
        key: AnyKey,
        entry: Entry,
        pkt: &FlowPacket,
        now_rel: u64,
    ) -> Result<FlowVerdict, FlowError> {
        let decision = self.engine.decide(&pkt.to_packet()).map_err(decide_error)?;
        if decision.verdict == Verdict::Deny {
            // Untracked flows are "immediately interrupted" when their rule goes.
            self.maps.remove(&key);
            uncount(&mut self.infos[iface as usize].stats, entry);
            return Ok(FlowVerdict::new(
                Verdict::Deny,
                FlowReason::NoMatchingRule,
                Vec::new(),
            ));
        }
        self.advance(iface, key, entry, pkt, now_rel);
        Ok(FlowVerdict::new(
            Verdict::Allow,
            FlowReason::Untracked,
            decision.matches,
        ))
    }

    fn observe_new(
        &mut self,
        iface: u32,
        local_id: Option<u32>,
        pkt: &FlowPacket,
        now: Timestamp,
        expired: bool,
    ) -> Result<FlowVerdict, FlowError> {
        let decision = self.engine.decide(&pkt.to_packet()).map_err(decide_error)?;
        if decision.verdict == Verdict::Deny {
            let reason = if expired {
                FlowReason::Expired
            } else {
                FlowReason::NoMatchingRule
            };
            return Ok(FlowVerdict::new(Verdict::Deny, reason, Vec::new()));
        }
        let Some(state) = initial_state(pkt) else {
            return Ok(FlowVerdict::new(
                Verdict::Allow,
                FlowReason::Rule,
                decision.matches,
            ));
        };
        let local_id = match local_id {
            Some(id) => id,
            None => self.intern_local_id(iface, pkt.local),
        };
        let Some(tuple) = flow_tuple(pkt, local_id) else {
            return Ok(FlowVerdict::new(
                Verdict::Allow,
                FlowReason::Rule,
                decision.matches,
            ));
        };
        let untracked = self.is_untracked(iface, pkt, &decision.matches);
        if !untracked && self.infos[iface as usize].stats.tracked >= self.max_tracked_per_interface
        {
            // Dead connections still hold room until expired: expire first when any may be due.
            if self.poll_timeout().is_some_and(|t| t <= now) {
                self.expire(now);
            }
            let stats = &mut self.infos[iface as usize].stats;
            if stats.tracked >= self.max_tracked_per_interface {
                stats.allowance_exceeded += 1;
                return Ok(FlowVerdict::new(
                    Verdict::Deny,
                    FlowReason::TableFull,
                    decision.matches,
                ));
            }
        }
        let mut flags = 0;
        if pkt.direction == Direction::Ingress {
            flags |= Entry::INGRESS_STARTED;
        }
        if untracked {
            flags |= Entry::UNTRACKED;
        }
        let now_rel = self.rel(now);
        let deadline = self.deadline(iface, state, now_rel);
        let entry = Entry::new(deadline, state, flags);
        self.maps.insert(AnyKey::pack(&tuple), entry);
        let stats = &mut self.infos[iface as usize].stats;
        if untracked {
            stats.untracked += 1;
            return Ok(FlowVerdict::new(
                Verdict::Allow,
                FlowReason::Untracked,
                decision.matches,
            ));
        }
        stats.tracked += 1;
        Ok(FlowVerdict::new(
            Verdict::Allow,
            FlowReason::Rule,
            decision.matches,
        ))
    }

    /// Moves a live connection to its next state and refreshes its deadline.
    fn advance(&mut self, iface: u32, key: AnyKey, entry: Entry, pkt: &FlowPacket, now_rel: u64) {
        let next = next_state(entry, pkt);
        let Self {
            maps,
            infos,
            epoch,
            next_deadline,
            ..
        } = self;
        let config = &infos[iface as usize].config;
        let deadline = deadline_for(config, next, now_rel, *epoch, next_deadline);
        if let Some(slot) = maps.get_mut(&key) {
            slot.set_state(next);
            slot.set_deadline(deadline);
        }
    }

    /// Is this an ICMP error quoting a live tracked connection of this interface?
    fn is_related(&self, pkt: &FlowPacket, local_id: u32, now_rel: u64) -> bool {
        let Transport::Icmp {
            icmp_type,
            related: Some(quoted),
            ..
        } = pkt.transport
        else {
            return false;
        };
        if !is_icmp_error(pkt.remote.is_ipv6(), icmp_type)
            || quoted.remote.is_ipv4() != pkt.local.is_ipv4()
        {
            return false;
        }
        let (local_port, remote_port) = match quoted.protocol {
            6 | 17 => (quoted.local_port, quoted.remote_port),
            _ => (0, 0),
        };
        let tuple = Tuple {
            local_id,
            remote: quoted.remote,
            local_port,
            remote_port,
            protocol: quoted.protocol,
        };
        self.maps
            .get(&AnyKey::pack(&tuple))
            .is_some_and(|e| !e.has(Entry::UNTRACKED) && u64::from(e.deadline()) > now_rel)
    }

    /// EC2: untracked when a matching rule admits all addresses and the other direction
    /// admits all addresses of the family on all ports (TCP and UDP only).
    fn is_untracked(&self, iface: u32, pkt: &FlowPacket, matches: &[RuleMatch]) -> bool {
        untracked_by(&self.snapshot, &self.infos[iface as usize], pkt, matches)
    }

    /// Re-judges every untracked flow against the current rules.
    fn rejudge_untracked(&mut self) {
        let Self {
            maps,
            infos,
            endpoints,
            engine,
            snapshot,
            interfaces,
            ..
        } = self;
        let ids: Vec<&EniId> = {
            let mut ids = vec![None; infos.len()];
            for (id, idx) in interfaces.iter() {
                ids[*idx as usize] = Some(id);
            }
            ids.into_iter()
                .map(|id| id.expect("every interface index has an id"))
                .collect()
        };
        maps.retain(|tuple, entry| {
            let (idx, local) = endpoints.endpoint(tuple.local_id);
            let info = &infos[idx as usize];
            if !info.present {
                uncount(&mut infos[idx as usize].stats, *entry);
                return false;
            }
            if !entry.has(Entry::UNTRACKED) {
                return true;
            }
            let direction = if entry.has(Entry::INGRESS_STARTED) {
                Direction::Ingress
            } else {
                Direction::Egress
            };
            let pkt = FlowPacket {
                interface: ids[idx as usize].clone(),
                direction,
                local,
                remote: tuple.remote,
                transport: match tuple.protocol {
                    6 => Transport::Tcp {
                        local_port: tuple.local_port,
                        remote_port: tuple.remote_port,
                        flags: TcpFlags::ACK,
                    },
                    _ => Transport::Udp {
                        local_port: tuple.local_port,
                        remote_port: tuple.remote_port,
                    },
                },
            };
            let keep = engine.decide(&pkt.to_packet()).is_ok_and(|d| {
                d.verdict == Verdict::Allow && untracked_by(snapshot, info, &pkt, &d.matches)
            });
            if !keep {
                uncount(&mut infos[idx as usize].stats, *entry);
            }
            keep
        });
    }

    /// Re-reads interfaces from the snapshot: indices are stable, removed ones marked absent.
    fn refresh_interfaces(&mut self) {
        self.last_interface = None;
        for info in &mut self.infos {
            info.present = false;
        }
        for eni in self.snapshot.enis.values() {
            let idx = match self.interfaces.get(&eni.id) {
                Some(idx) => *idx,
                None => {
                    let idx = u32::try_from(self.infos.len()).expect("fewer than 2^32 interfaces");
                    self.interfaces.insert(eni.id.clone(), idx);
                    self.infos.push(InterfaceInfo {
                        present: true,
                        config: eni.conntrack,
                        open: [[[false; 2]; 2]; 2],
                        stats: InterfaceStats::default(),
                    });
                    idx
                }
            };
            let open = open_table(&self.snapshot, &eni.groups);
            let info = &mut self.infos[idx as usize];
            info.present = true;
            info.config = eni.conntrack;
            info.open = open;
        }
    }

    fn interface_idx(&mut self, eni: &EniId) -> Result<u32, FlowError> {
        if let Some((id, idx)) = &self.last_interface
            && id == eni
        {
            return Ok(*idx);
        }
        match self.interfaces.get(eni) {
            Some(idx) if self.infos[*idx as usize].present => {
                self.last_interface = Some((eni.clone(), *idx));
                Ok(*idx)
            }
            _ => Err(FlowError::UnknownInterface(eni.clone())),
        }
    }

    /// The endpoint id of (interface, local address), if any connection ever used it.
    fn find_local_id(&mut self, iface: u32, local: IpAddr) -> Option<u32> {
        if let Some((i, addr, id)) = self.last_endpoint
            && i == iface
            && addr == local
        {
            return Some(id);
        }
        let id = self.endpoints.find(iface, local)?;
        self.last_endpoint = Some((iface, local, id));
        Some(id)
    }

    fn intern_local_id(&mut self, iface: u32, local: IpAddr) -> u32 {
        let id = self.endpoints.intern(iface, local);
        self.last_endpoint = Some((iface, local, id));
        id
    }

    /// `now` in milliseconds after the epoch, moving the epoch forward first when a
    /// deadline after `now` might not fit in 32 bits.
    fn rel(&mut self, now: Timestamp) -> u64 {
        let rel = now.saturating_sub(self.epoch);
        if rel + MAX_TIMEOUT_MS < u64::from(u32::MAX) {
            return rel;
        }
        self.rebase(now);
        now.saturating_sub(self.epoch)
    }

    /// Moves the epoch to `now`, shifting every stored deadline (dead ones become 0).
    fn rebase(&mut self, now: Timestamp) {
        let shift = now.saturating_sub(self.epoch);
        self.maps.retain(|_, e| {
            e.set_deadline(
                u32::try_from(u64::from(e.deadline()).saturating_sub(shift)).unwrap_or(0),
            );
            true
        });
        self.epoch = now;
    }

    fn deadline(&mut self, iface: u32, state: State, now_rel: u64) -> u32 {
        let config = &self.infos[iface as usize].config;
        deadline_for(config, state, now_rel, self.epoch, &mut self.next_deadline)
    }
}

/// The deadline of a connection entering `state` at `now_rel`, lowering the table's
/// earliest-deadline bound.
fn deadline_for(
    config: &ConntrackConfig,
    state: State,
    now_rel: u64,
    epoch: Timestamp,
    next_deadline: &mut Option<u64>,
) -> u32 {
    let rel = now_rel + u64::from(state.timeout_secs(config)) * 1000;
    let abs = epoch.millis() + rel;
    *next_deadline = Some(next_deadline.map_or(abs, |d| d.min(abs)));
    u32::try_from(rel).expect("rel() keeps now + the longest timeout below 2^32 ms")
}

/// The state a live connection moves to on this packet.
fn next_state(entry: Entry, pkt: &FlowPacket) -> State {
    let original = (pkt.direction == Direction::Ingress) == entry.has(Entry::INGRESS_STARTED);
    let state = entry.state();
    match pkt.transport {
        Transport::Tcp { flags, .. } => state.on_tcp(flags, original),
        Transport::Udp { .. } => state.on_udp(original),
        Transport::Icmp { .. } | Transport::Other(_) => state,
    }
}

/// The longest idle timeout (EC2's `TcpEstablishedTimeout` maximum), in milliseconds.
const MAX_TIMEOUT_MS: u64 = 432_000 * 1000;

fn dir_idx(direction: Direction) -> usize {
    match direction {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

fn decide_error(e: DecideError) -> FlowError {
    match e {
        DecideError::UnknownInterface(id) => FlowError::UnknownInterface(id),
    }
}

fn uncount(stats: &mut InterfaceStats, entry: Entry) {
    if entry.has(Entry::UNTRACKED) {
        stats.untracked = stats.untracked.saturating_sub(1);
    } else {
        stats.tracked = stats.tracked.saturating_sub(1);
    }
}

fn untracked_by(
    snapshot: &Snapshot,
    info: &InterfaceInfo,
    pkt: &FlowPacket,
    matches: &[RuleMatch],
) -> bool {
    let proto = match pkt.transport {
        Transport::Tcp { .. } => 0,
        Transport::Udp { .. } => 1,
        Transport::Icmp { .. } | Transport::Other(_) => return false,
    };
    let family = usize::from(pkt.remote.is_ipv6());
    info.open[dir_idx(pkt.direction.opposite())][family][proto]
        && matches.iter().any(|m| {
            snapshot
                .groups
                .get(&m.group_id)
                .and_then(|g| g.rule(&m.rule_id))
                .is_some_and(|r| r.peer().is_everywhere())
        })
}

/// Which (direction, family, protocol) have a rule admitting all addresses on all ports.
fn open_table(snapshot: &Snapshot, groups: &[GroupId]) -> [[[bool; 2]; 2]; 2] {
    let mut open = [[[false; 2]; 2]; 2];
    for group in groups.iter().filter_map(|g| snapshot.groups.get(g)) {
        for rule in group.rules() {
            let family = match rule.peer() {
                Peer::Ipv4(n) if n.prefix_len() == 0 => 0,
                Peer::Ipv6(n) if n.prefix_len() == 0 => 1,
                _ => continue,
            };
            let d = dir_idx(rule.direction());
            match rule.traffic() {
                Traffic::All => {
                    open[d][family] = [true, true];
                }
                Traffic::Tcp(r) if r == PortRange::ALL => open[d][family][0] = true,
                Traffic::Udp(r) if r == PortRange::ALL => open[d][family][1] = true,
                _ => {}
            }
        }
    }
    open
}

/// The connection a packet belongs to; `None` for packets that never have one (ICMP other
/// than echo).
fn flow_tuple(pkt: &FlowPacket, local_id: u32) -> Option<Tuple> {
    let (protocol, local_port, remote_port) = match pkt.transport {
        Transport::Tcp {
            local_port,
            remote_port,
            ..
        } => (6, local_port, remote_port),
        Transport::Udp {
            local_port,
            remote_port,
        } => (17, local_port, remote_port),
        Transport::Icmp {
            icmp_type, ident, ..
        } => {
            let v6 = pkt.remote.is_ipv6();
            if !is_echo(v6, icmp_type) {
                return None;
            }
            (if v6 { 58 } else { 1 }, ident, 0)
        }
        Transport::Other(n) => (n, 0, 0),
    };
    Some(Tuple {
        local_id,
        remote: pkt.remote,
        local_port,
        remote_port,
        protocol,
    })
}

/// The state a packet with no connection starts; `None` when it starts none.
fn initial_state(pkt: &FlowPacket) -> Option<State> {
    match pkt.transport {
        Transport::Tcp { flags, .. } => State::tcp_new(flags),
        Transport::Udp { .. } => Some(State::UdpUnreplied),
        // Only an echo request starts an ICMP connection (RFC 792 type 8, RFC 4443 type 128).
        Transport::Icmp { icmp_type, .. } => {
            let request = if pkt.remote.is_ipv6() { 128 } else { 8 };
            (icmp_type == request).then_some(State::IcmpEcho)
        }
        Transport::Other(_) => Some(State::Other),
    }
}

/// Echo request or reply (RFC 792: 8/0; RFC 4443: 128/129).
fn is_echo(v6: bool, icmp_type: u8) -> bool {
    if v6 {
        matches!(icmp_type, 128 | 129)
    } else {
        matches!(icmp_type, 0 | 8)
    }
}

/// ICMP error messages, which quote the datagram they answer (RFC 792: destination
/// unreachable 3, source quench 4, redirect 5, time exceeded 11, parameter problem 12;
/// RFC 4443: 1–4).
fn is_icmp_error(v6: bool, icmp_type: u8) -> bool {
    if v6 {
        matches!(icmp_type, 1..=4)
    } else {
        matches!(icmp_type, 3 | 4 | 5 | 11 | 12)
    }
}
