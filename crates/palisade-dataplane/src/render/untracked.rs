//! Untracked flows (EC2 UG "Security group connection tracking"): a TCP or UDP flow is not
//! tracked when the rule that admits it allows all addresses (`0.0.0.0/0` or `::/0`) and the
//! other direction has a rule allowing all addresses on all ports of that protocol; per
//! address family. Its replies pass by rule, not by state, and it stops at once when the
//! enabling rule goes.
//!
//! Rendered as `notrack` in a `prerouting priority raw` chain, from two interval sets of
//! `address . protocol . port` per family:
//! - `nt_srv`: a local address that receives such flows on that port (ingress side);
//! - `nt_cli`: a local address that starts such flows to that port (egress side).
//!
//! A flow between two local interfaces is untracked only when it is untracked at both ends:
//! one host has one conntrack table, and the tracked end's replies need the state. Both
//! directions of a flow are matched (request by `th dport`, reply by `th sport`) so the reply
//! is untracked too and judged by the rules, which by construction admit it.
//!
//! A local flow untracked at one end only keeps its conntrack entry (the tracked end needs
//! it), but EC2 tracks per interface: at the untracked end its packets are judged by the
//! current rules, so revoking the rule there cuts it at once. So its first packet marks the
//! entry ([`mark_lines`]: `ct mark` bit [`UNTRACKED_AT_SERVER`] when the end that received the
//! first packet is untracked, [`UNTRACKED_AT_CLIENT`] when the end that sent it is), and the
//! interface chains accept by state only packets whose own end is not marked
//! ([`stateful_lines`]); the others go on to the rules.

use std::net::IpAddr;

use palisade_model::{
    AddressFamily, Direction, Eni, GroupId, PortRange, Rule, SecurityGroup, Traffic,
};

use super::sg::fam_suffix;

/// Elements of `nt_srv_v4`, `nt_srv_v6` (index 0, 1) and `nt_cli_v4`, `nt_cli_v6`.
#[derive(Debug, Default)]
pub(super) struct Untracked {
    pub(super) srv: [Vec<String>; 2],
    pub(super) cli: [Vec<String>; 2],
}

impl Untracked {
    pub(super) fn is_empty(&self) -> bool {
        self.srv.iter().chain(&self.cli).all(Vec::is_empty)
    }
}

/// `address . protocol . ports`.
type Element = (IpAddr, &'static str, PortRange);

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum L4 {
    Tcp,
    Udp,
}

impl L4 {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }

    /// The ports of this protocol a rule's traffic admits.
    pub(super) fn ports(self, traffic: Traffic) -> Option<PortRange> {
        match (self, traffic) {
            (_, Traffic::All) => Some(PortRange::ALL),
            (Self::Tcp, Traffic::Tcp(r)) | (Self::Udp, Traffic::Udp(r)) => Some(r),
            _ => None,
        }
    }
}

/// What one group contributes to untracking: the TCP and UDP ports of its rules whose peer
/// is everywhere, by family (v4, v6), direction (ingress, egress) and protocol (tcp, udp).
/// Kept with the group in the renderer's cache, so an unchanged group is not read again.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Everywhere([[[Vec<PortRange>; 2]; 2]; 2]);

pub(super) fn everywhere(group: &SecurityGroup) -> Everywhere {
    let mut res = Everywhere::default();
    for rule in group.rules() {
        if !rule.peer().is_everywhere() {
            continue;
        }
        let Some(fam) = peer_family(rule) else {
            continue;
        };
        let dir = match rule.direction() {
            Direction::Ingress => 0,
            Direction::Egress => 1,
        };
        for (l4_idx, l4) in [L4::Tcp, L4::Udp].into_iter().enumerate() {
            if let Some(r) = l4.ports(rule.traffic()) {
                res.0[fam_idx(fam)][dir][l4_idx].push(r);
            }
        }
    }
    res
}

fn fam_idx(fam: AddressFamily) -> usize {
    match fam {
        AddressFamily::Ipv4 => 0,
        AddressFamily::Ipv6 => 1,
    }
}

/// The untracked sets' elements for `enis`, from each of their groups' [`Everywhere`]
/// (`None` for a group missing from the snapshot).
pub(super) fn compute<'a>(
    enis: &[&Eni],
    everywhere_of: impl Fn(&GroupId) -> Option<&'a Everywhere>,
) -> Untracked {
    let mut elems: [[Vec<Element>; 2]; 2] = Default::default();
    for eni in enis {
        let groups: Vec<&Everywhere> = eni.groups.iter().filter_map(&everywhere_of).collect();
        for fam in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
            let idx = fam_idx(fam);
            let addrs: Vec<IpAddr> = eni
                .private_addrs()
                .filter(|a| AddressFamily::of(*a) == fam)
                .collect();
            if addrs.is_empty() {
                continue;
            }
            for (l4_idx, l4) in [L4::Tcp, L4::Udp].into_iter().enumerate() {
                let ranges = |dir: usize| {
                    groups
                        .iter()
                        .flat_map(move |g| g.0[idx][dir][l4_idx].iter().copied())
                };
                let all_ports = |dir: usize| ranges(dir).any(|r| r == PortRange::ALL);
                let ports = |dir: usize| merge_ports(ranges(dir).collect());
                // Egress everywhere on all ports: the ingress ports are served untracked.
                if all_ports(1) {
                    push(&mut elems[0][idx], &addrs, l4, &ports(0));
                }
                if all_ports(0) {
                    push(&mut elems[1][idx], &addrs, l4, &ports(1));
                }
            }
        }
    }
    let format = |mut list: Vec<Element>| {
        list.sort();
        list.dedup();
        list.into_iter()
            .map(|(a, p, r)| format!("{a} . {p} . {r}"))
            .collect::<Vec<_>>()
    };
    let [[s4, s6], [c4, c6]] = elems;
    Untracked {
        srv: [format(s4), format(s6)],
        cli: [format(c4), format(c6)],
    }
}

/// The `untracked` chain: request packets (`th dport`) and reply packets (`th sport`) of
/// flows untracked at every local end.
pub(super) fn chain_lines() -> Vec<String> {
    let mut lines = Vec::new();
    for fam in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
        let ip = match fam {
            AddressFamily::Ipv4 => "ip",
            AddressFamily::Ipv6 => "ip6",
        };
        let f = fam_suffix(fam);
        // Request: client = saddr, server = daddr, port = th dport.
        // Reply: server = saddr, client = daddr, port = th sport.
        for (port, src_set, dst_set) in [("dport", "cli", "srv"), ("sport", "srv", "cli")] {
            let src = format!("{ip} saddr . meta l4proto . th {port} @nt_{src_set}_{f}");
            let dst = format!("{ip} daddr . meta l4proto . th {port} @nt_{dst_set}_{f}");
            lines.push(format!("{src} {dst} notrack"));
            lines.push(format!("{src} {ip} daddr != @local_{f} notrack"));
            lines.push(format!("{ip} saddr != @local_{f} {dst} notrack"));
        }
    }
    lines
}

/// `ct mark` bit: the flow's original destination (its server) is an untracked end.
pub(super) const UNTRACKED_AT_SERVER: u32 = 0x1000_0000;
/// `ct mark` bit: the flow's original source (its client) is an untracked end.
pub(super) const UNTRACKED_AT_CLIENT: u32 = 0x2000_0000;

/// For `filter_prerouting`, before the interface dispatch: mark new tracked flows that are
/// untracked at one local end (flows untracked at every end never get here as `new`: the raw
/// chain took them out of conntrack). Other bits of `ct mark` are left alone.
pub(super) fn mark_lines() -> Vec<String> {
    let mut lines = Vec::new();
    for fam in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
        let ip = match fam {
            AddressFamily::Ipv4 => "ip",
            AddressFamily::Ipv6 => "ip6",
        };
        let f = fam_suffix(fam);
        for (addr, set, bit) in [
            ("daddr", "srv", UNTRACKED_AT_SERVER),
            ("saddr", "cli", UNTRACKED_AT_CLIENT),
        ] {
            lines.push(format!(
                "ct state new {ip} {addr} . meta l4proto . th dport @nt_{set}_{f} ct mark set ct mark | {bit:#010x}"
            ));
        }
    }
    lines
}

/// The "accept by state" lines of an interface chain: a packet is accepted by state unless
/// its flow is untracked at this interface's end. Ingress (to the interface): original direction = this end is the server, reply = the
/// client; egress the other way round.
pub(super) fn stateful_lines(dir: Direction) -> Vec<String> {
    let (original, reply) = match dir {
        Direction::Ingress => (UNTRACKED_AT_SERVER, UNTRACKED_AT_CLIENT),
        Direction::Egress => (UNTRACKED_AT_CLIENT, UNTRACKED_AT_SERVER),
    };
    [("original", original), ("reply", reply)]
        .into_iter()
        .map(|(ct_dir, bit)| {
            format!(
                "ct direction {ct_dir} ct mark & {bit:#010x} == 0x00000000 ct state established,related accept"
            )
        })
        .collect()
}

fn peer_family(rule: &Rule) -> Option<AddressFamily> {
    match rule.peer() {
        palisade_model::Peer::Ipv4(_) => Some(AddressFamily::Ipv4),
        palisade_model::Peer::Ipv6(_) => Some(AddressFamily::Ipv6),
        _ => None,
    }
}

fn push(out: &mut Vec<Element>, addrs: &[IpAddr], l4: L4, ports: &[PortRange]) {
    for addr in addrs {
        for r in ports {
            out.push((*addr, l4.name(), *r));
        }
    }
}

/// Sorted, overlapping and adjacent ranges joined (interval sets refuse overlaps).
pub(super) fn merge_ports(mut ranges: Vec<PortRange>) -> Vec<PortRange> {
    ranges.sort();
    let mut res: Vec<(u16, u16)> = Vec::new();
    for r in ranges {
        match res.last_mut() {
            Some(last) if u32::from(r.from()) <= u32::from(last.1) + 1 => {
                last.1 = last.1.max(r.to())
            }
            _ => res.push((r.from(), r.to())),
        }
    }
    res.into_iter()
        .filter_map(|(a, b)| PortRange::new(a, b).ok())
        .collect()
}
