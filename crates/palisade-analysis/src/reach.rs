//! Reachability: what traffic can flow from a source to a destination, and through which
//! rules on each side.
//!
//! A flow from interface A (address a) to interface B (address b, same family) is allowed
//! when some egress rule of A's groups matches remote b and some ingress rule of B's groups
//! matches remote a — exactly what `palisade_engine` decides for the two packets. Only
//! private addresses are paired (group references match private addresses only). When one
//! end is a set of addresses (a CIDR, or `internet`), only the interface side's rules apply:
//! a traffic key is reachable when some address of the set, of a family the interface has,
//! is matched. A group endpoint stands for every member interface; each pair is answered.

use std::net::IpAddr;

use ipnet::IpNet;
use palisade_engine::RuleMatch;
use palisade_model::{AddressFamily, Direction, Eni, EniId, GroupId};
use thiserror::Error;

use crate::index::{Index, has_family};
use crate::ranges::sweep;
use crate::space::AddrSet;

/// One end of a reachability question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Interface(EniId),
    /// Every member interface of the group.
    Group(GroupId),
    /// A CIDR or an address.
    Network(IpNet),
    /// Every public address outside all VPCs, IPv4 and IPv6.
    Internet,
}

/// Why an endpoint cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReachError {
    #[error(
        "'{0}' is not an interface id (eni-…), a group id (sg-…), an address or CIDR, or 'internet'"
    )]
    BadEndpoint(String),
    #[error("unknown network interface {0}")]
    UnknownInterface(EniId),
    #[error("unknown security group {0}")]
    UnknownGroup(GroupId),
    #[error("security group {0} has no member interfaces")]
    EmptyGroup(GroupId),
    #[error("at least one end must be an interface or a group (both are address sets)")]
    NoInterface,
}

impl std::str::FromStr for Endpoint {
    type Err = ReachError;
    fn from_str(s: &str) -> Result<Self, ReachError> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("internet") {
            return Ok(Self::Internet);
        }
        if s.starts_with("eni-") {
            return s
                .parse()
                .map(Self::Interface)
                .map_err(|_| ReachError::BadEndpoint(s.into()));
        }
        if s.starts_with("sg-") {
            return s
                .parse()
                .map(Self::Group)
                .map_err(|_| ReachError::BadEndpoint(s.into()));
        }
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(Self::Network(net.trunc()));
        }
        s.parse::<IpAddr>()
            .map(|a| Self::Network(IpNet::from(a)))
            .map_err(|_| ReachError::BadEndpoint(s.into()))
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Interface(id) => write!(f, "{id}"),
            Self::Group(id) => write!(f, "{id}"),
            Self::Network(n) => write!(f, "{n}"),
            Self::Internet => f.write_str("internet"),
        }
    }
}

/// One end of a pair as answered: an interface and the address used, or an address set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    Interface { eni: EniId, addr: IpAddr },
    Addresses(String),
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Interface { eni, addr } => write!(f, "{eni} ({addr})"),
            Self::Addresses(s) => f.write_str(s),
        }
    }
}

/// A contiguous run of traffic keys that can flow, with the rules that admit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub src: Party,
    pub dst: Party,
    pub family: AddressFamily,
    pub keys: (u32, u32),
    /// Egress rules of the source admitting the whole run (empty for an address source).
    pub egress: Vec<RuleMatch>,
    /// Ingress rules of the destination admitting the whole run (empty for an address
    /// destination).
    pub ingress: Vec<RuleMatch>,
}

/// Which side stops one piece of traffic between one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    /// No egress rule of the source matches the destination's addresses.
    Egress,
    /// No ingress rule of the destination matches the source's addresses.
    Ingress,
    Both,
    /// Each side allows it for some addresses, but never for the same address pair.
    NoCommonAddressPair,
    /// The two ends share no address family.
    NoCommonFamily,
}

/// The verdict for one pair of ends on one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairVerdict {
    pub src: String,
    pub dst: String,
    /// `None` when allowed.
    pub blocked_by: Option<Blocker>,
}

/// The answer to a reachability question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub flows: Vec<Flow>,
    /// Pairs of concrete ends considered: (source label, destination label).
    pub pairs: Vec<(String, String)>,
    work: Vec<PairWork>,
}

/// Egress key intervals, ingress key intervals, and whether each side is free (no rules).
type AddrPairWork = (Vec<(u32, u32)>, Vec<(u32, u32)>, bool, bool);

#[derive(Debug, Clone, PartialEq, Eq)]
struct PairWork {
    src: String,
    dst: String,
    /// Per address pair: egress and ingress (key interval) lists.
    addr_pairs: Vec<AddrPairWork>,
}

impl Reach {
    /// True when some flow admits the key.
    pub fn allows(&self, key: u32) -> bool {
        self.flows
            .iter()
            .any(|f| f.keys.0 <= key && key <= f.keys.1)
    }

    /// The flows admitting one key.
    pub fn flows_for(&self, key: u32) -> impl Iterator<Item = &Flow> {
        self.flows
            .iter()
            .filter(move |f| f.keys.0 <= key && key <= f.keys.1)
    }

    /// For every pair of ends: allowed, or which side blocks the key.
    pub fn verdicts(&self, key: u32) -> Vec<PairVerdict> {
        let inside = |list: &[(u32, u32)]| list.iter().any(|&(lo, hi)| lo <= key && key <= hi);
        self.work
            .iter()
            .map(|w| {
                let mut any_e = false;
                let mut any_i = false;
                let mut both = false;
                for (e, i, e_free, i_free) in &w.addr_pairs {
                    let ok_e = *e_free || inside(e);
                    let ok_i = *i_free || inside(i);
                    any_e |= ok_e;
                    any_i |= ok_i;
                    both |= ok_e && ok_i;
                }
                let blocked_by = match (both, any_e, any_i) {
                    (true, _, _) => None,
                    _ if w.addr_pairs.is_empty() => Some(Blocker::NoCommonFamily),
                    (false, false, false) => Some(Blocker::Both),
                    (false, false, true) => Some(Blocker::Egress),
                    (false, true, false) => Some(Blocker::Ingress),
                    (false, true, true) => Some(Blocker::NoCommonAddressPair),
                };
                PairVerdict {
                    src: w.src.clone(),
                    dst: w.dst.clone(),
                    blocked_by,
                }
            })
            .collect()
    }
}

enum Resolved<'s> {
    Interfaces(Vec<&'s Eni>),
    Addresses(String, AddrSet),
}

fn resolve<'s>(index: &Index<'s>, ep: &Endpoint) -> Result<Resolved<'s>, ReachError> {
    match ep {
        Endpoint::Interface(id) => index
            .snapshot
            .enis
            .get(id)
            .map(|e| Resolved::Interfaces(vec![e]))
            .ok_or_else(|| ReachError::UnknownInterface(id.clone())),
        Endpoint::Group(id) => {
            if !index.snapshot.groups.contains_key(id) {
                return Err(ReachError::UnknownGroup(id.clone()));
            }
            let members = index.members(id);
            if members.is_empty() {
                return Err(ReachError::EmptyGroup(id.clone()));
            }
            Ok(Resolved::Interfaces(members.to_vec()))
        }
        Endpoint::Network(net) => Ok(Resolved::Addresses(
            net.to_string(),
            AddrSet::from_net(*net),
        )),
        Endpoint::Internet => Ok(Resolved::Addresses(
            "internet".into(),
            index.internet.clone(),
        )),
    }
}

/// Answers "what can flow from `src` to `dst`".
pub fn reach(index: &Index<'_>, src: &Endpoint, dst: &Endpoint) -> Result<Reach, ReachError> {
    let (src_r, dst_r) = (resolve(index, src)?, resolve(index, dst)?);
    let mut out = Reach {
        flows: Vec::new(),
        pairs: Vec::new(),
        work: Vec::new(),
    };
    match (&src_r, &dst_r) {
        (Resolved::Addresses(..), Resolved::Addresses(..)) => return Err(ReachError::NoInterface),
        (Resolved::Interfaces(srcs), Resolved::Interfaces(dsts)) => {
            for a in srcs {
                for b in dsts {
                    interface_pair(index, a, b, &mut out);
                }
            }
        }
        (Resolved::Addresses(label, set), Resolved::Interfaces(dsts)) => {
            for b in dsts {
                address_pair(index, label, set, b, Direction::Ingress, &mut out);
            }
        }
        (Resolved::Interfaces(srcs), Resolved::Addresses(label, set)) => {
            for a in srcs {
                address_pair(index, label, set, a, Direction::Egress, &mut out);
            }
        }
    }
    Ok(out)
}

/// Flows between two interfaces over every same-family pair of private addresses.
fn interface_pair(index: &Index<'_>, a: &Eni, b: &Eni, out: &mut Reach) {
    let egress = index.interface_rules(&a.id, Direction::Egress);
    let ingress = index.interface_rules(&b.id, Direction::Ingress);
    let mut work = PairWork {
        src: a.id.to_string(),
        dst: b.id.to_string(),
        addr_pairs: Vec::new(),
    };
    for src_addr in a.private_addrs() {
        for dst_addr in b.private_addrs() {
            if src_addr.is_ipv4() != dst_addr.is_ipv4() {
                continue;
            }
            let e: Vec<usize> = egress
                .iter()
                .copied()
                .filter(|&r| index.rules[r].addrs.contains(dst_addr))
                .collect();
            let i: Vec<usize> = ingress
                .iter()
                .copied()
                .filter(|&r| index.rules[r].addrs.contains(src_addr))
                .collect();
            let family = AddressFamily::of(src_addr);
            let src = Party::Interface {
                eni: a.id.clone(),
                addr: src_addr,
            };
            let dst = Party::Interface {
                eni: b.id.clone(),
                addr: dst_addr,
            };
            push_flows(index, &e, &i, false, false, src, dst, family, out);
            work.addr_pairs
                .push((keys(index, &e), keys(index, &i), false, false));
        }
    }
    out.pairs.push((work.src.clone(), work.dst.clone()));
    out.work.push(work);
}

/// Flows between an address set and an interface: only the interface's rules apply.
fn address_pair(
    index: &Index<'_>,
    label: &str,
    set: &AddrSet,
    eni: &Eni,
    direction: Direction,
    out: &mut Reach,
) {
    let rules = index.interface_rules(&eni.id, direction);
    let (src_label, dst_label) = match direction {
        Direction::Ingress => (label.to_owned(), eni.id.to_string()),
        Direction::Egress => (eni.id.to_string(), label.to_owned()),
    };
    let mut work = PairWork {
        src: src_label,
        dst: dst_label,
        addr_pairs: Vec::new(),
    };
    for family in [AddressFamily::Ipv4, AddressFamily::Ipv6] {
        let part = set.family(family);
        if part.is_empty() || !has_family(eni, family) {
            continue;
        }
        let matched: Vec<usize> = rules
            .iter()
            .copied()
            .filter(|&r| index.rules[r].addrs.intersects(&part))
            .collect();
        let addr = eni
            .private_addrs()
            .find(|a| AddressFamily::of(*a) == family)
            .or_else(|| eni.public_ipv4.map(IpAddr::V4));
        let Some(addr) = addr else { continue };
        let me = Party::Interface {
            eni: eni.id.clone(),
            addr,
        };
        let them = Party::Addresses(match set == &index.internet {
            true => format!("internet ({})", family.aws_name()),
            false => part.describe(4),
        });
        let ks = keys(index, &matched);
        match direction {
            Direction::Ingress => {
                push_flows(index, &[], &matched, true, false, them, me, family, out);
                work.addr_pairs.push((Vec::new(), ks, true, false));
            }
            Direction::Egress => {
                push_flows(index, &matched, &[], false, true, me, them, family, out);
                work.addr_pairs.push((ks, Vec::new(), false, true));
            }
        }
    }
    out.pairs.push((work.src.clone(), work.dst.clone()));
    out.work.push(work);
}

fn keys(index: &Index<'_>, rules: &[usize]) -> Vec<(u32, u32)> {
    rules.iter().map(|&r| index.rules[r].keys).collect()
}

/// Cuts the egress and ingress rule intervals into runs both sides admit. A side that is
/// `free` (an address set, no rules) admits everything.
#[allow(clippy::too_many_arguments)]
fn push_flows(
    index: &Index<'_>,
    egress: &[usize],
    ingress: &[usize],
    egress_free: bool,
    ingress_free: bool,
    src: Party,
    dst: Party,
    family: AddressFamily,
    out: &mut Reach,
) {
    let mut intervals = keys(index, egress);
    intervals.extend(keys(index, ingress));
    let n_e = egress.len();
    let mut flows: Vec<Flow> = Vec::new();
    for (lo, hi, covering) in sweep(&intervals) {
        let e: Vec<RuleMatch> = covering
            .iter()
            .filter(|&&c| c < n_e)
            .map(|&c| index.rules[egress[c]].rule_match())
            .collect();
        let i: Vec<RuleMatch> = covering
            .iter()
            .filter(|&&c| c >= n_e)
            .map(|&c| index.rules[ingress[c - n_e]].rule_match())
            .collect();
        if (e.is_empty() && !egress_free) || (i.is_empty() && !ingress_free) {
            continue;
        }
        let (e, i) = (sorted(e), sorted(i));
        // Merge with the previous run when contiguous and admitted by the same rules.
        if let Some(last) = flows.last_mut()
            && last.keys.1.checked_add(1) == Some(lo)
            && last.egress == e
            && last.ingress == i
        {
            last.keys.1 = hi;
            continue;
        }
        flows.push(Flow {
            src: src.clone(),
            dst: dst.clone(),
            family,
            keys: (lo, hi),
            egress: e,
            ingress: i,
        });
    }
    out.flows.extend(flows);
}

fn sorted(mut v: Vec<RuleMatch>) -> Vec<RuleMatch> {
    v.sort();
    v.dedup();
    v
}
